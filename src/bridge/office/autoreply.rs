//! Automatic replies after a citizen's message is in their room: the first-contact welcome,
//! the out-of-hours (or emergency) notice and the complaints redirect, as decided by the pure `crate::autoreply`, composed
//! into one message and sent like the keyword answers (`Work::BotSend`), with a notice for
//! staff. The portal record keeps what the citizen was told.

use crate::autoreply::{Situation, decide, mentions};
use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::item::KeywordReply;
use crate::bridge::office::Office;
use crate::hours::{week_lines, when_text};
use crate::store::PortalRecord;
use crate::whatsapp::message::Message;

impl Office {
    /// The automatic reply to the message just bridged, if any; updates `portal`.
    pub(in crate::bridge) fn auto_reply(
        &self,
        portal: &mut PortalRecord,
        keyword: bool,
        text: Option<&str>,
    ) -> Result<Option<KeywordReply>, Failure> {
        let raw = &self.config.raw;
        if !raw.autoreply.enabled {
            return Ok(None);
        }
        let schedule = self.config.schedule();
        let now = self.clock.now();
        let emergency = self.emergency()?;
        let period = schedule.next_change(now).map(|(t, _)| t.timestamp());
        let quiet = raw.autoreply.quiet_minutes as i64 * 60;
        let today = now.with_timezone(&schedule.tz).date_naive().to_string();
        let complaint = self.complaints_text().is_some()
            && text.is_some_and(|t| mentions(t, &raw.autoreply.complaint_keywords))
            && portal.complaint_told.as_deref() != Some(today.as_str());
        let d = decide(Situation {
            first_contact: !portal.welcomed,
            open: schedule.is_open(now),
            next_opening: period,
            told_for: portal.closed_told,
            emergency: emergency.is_some(),
            staff_recent: portal
                .last_staff_at
                .is_some_and(|t| now.timestamp() - t < quiet),
            keyword,
            complaint,
        });
        if !d.any() {
            return Ok(None);
        }
        let mut parts = Vec::new();
        if d.welcome {
            parts.push(self.welcome_text(&schedule));
            portal.welcomed = true;
        }
        if d.closed {
            parts.push(self.closed_text(&schedule, now));
        }
        if let (true, Some(e)) = (d.emergency, &emergency) {
            parts.push(self.t("auto_emergency", &[("text", &e.text)]));
        }
        let complained = match (d.complaint, self.complaints_text()) {
            (true, Some(t)) => {
                parts.push(t);
                portal.complaint_told = Some(today);
                true
            }
            _ => false,
        };
        if d.closed || d.emergency {
            portal.closed_told = period;
        }
        let told = [
            (d.welcome, "welcome"),
            (d.closed, "closed"),
            (d.emergency && emergency.is_some(), "emergency"),
            (complained, "complaint"),
        ];
        for (_, kind) in told.iter().filter(|(on, _)| *on) {
            self.metrics
                .auto_replies
                .get_or_create(&crate::metrics::KindLabel { kind })
                .inc();
        }
        let text = parts.join("\n\n");
        Ok(Some(KeywordReply {
            notice: self.t("auto_notice", &[("reply", &text)]),
            messages: vec![Message::text(text.clone(), true)],
            channel: "auto".into(),
        }))
    }

    /// The first-contact welcome: the office, its hours, where complaints go, the privacy
    /// policy.
    fn welcome_text(&self, schedule: &crate::hours::Schedule) -> String {
        let raw = &self.config.raw;
        let closed = self.t("hours_closed", &[]);
        let hours: Vec<String> = week_lines(schedule, self.texts.lang(), &closed)
            .into_iter()
            .filter(|l| !l.ends_with(&closed))
            .collect();
        let complaints = match raw.autoreply.complaints_url.as_str() {
            "" => String::new(),
            url => self.t("auto_complaints", &[("url", url)]),
        };
        let privacy = match raw.policies.privacy.as_str() {
            "" => String::new(),
            url => self.t("auto_privacy", &[("url", url)]),
        };
        self.t(
            "auto_welcome",
            &[
                ("office", &raw.office.name),
                ("hours", &hours.join("; ")),
                ("complaints", &complaints),
                ("privacy", &privacy),
            ],
        )
    }

    /// The out-of-hours notice: why the office is closed today, when it opens, the numbers
    /// for emergencies.
    fn closed_text(
        &self,
        schedule: &crate::hours::Schedule,
        now: chrono::DateTime<chrono::Utc>,
    ) -> String {
        let raw = &self.config.raw;
        let today = now.with_timezone(&schedule.tz).date_naive();
        let why = schedule
            .closed_day(today)
            .map(|w| format!(" ({w})"))
            .unwrap_or_default();
        let when = schedule
            .next_opening(now)
            .map(|t| when_text(t, self.texts.lang()))
            .unwrap_or_default();
        let numbers = match raw.autoreply.emergency_numbers.as_str() {
            "" => String::new(),
            n => self.t("auto_numbers", &[("numbers", n)]),
        };
        self.t(
            "auto_closed",
            &[
                ("office", &raw.office.name),
                ("why", &why),
                ("when", &when),
                ("numbers", &numbers),
            ],
        )
    }
}
