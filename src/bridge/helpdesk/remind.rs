//! Reminders that respect office hours: every `helpdesk.check_seconds` (a minute), each conversation that needs an answer
//! is looked at. Unanswered for `helpdesk.remind_after_minutes` of open office time → a mention
//! of whoever handles it (or of the staff) in its room; its 24-hour window closing within
//! `helpdesk.window_warning_minutes` → a warning there. Once each (a mark per waiting message
//! and per window), and only while the office is open unless `helpdesk.outside_hours`.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use tracing::warn;

use crate::bridge::engine::item::{NoticeWork, Work};
use crate::bridge::helpdesk::Helpdesk;
use crate::store::{Conversation, Mark, Op, PortalRecord, Store, StoreError};
use crate::whatsapp::WINDOW_SECS;

impl Helpdesk {
    /// A round every `helpdesk.check_seconds`, until shutdown.
    pub(in crate::bridge) async fn remind_forever(&self) {
        let every = Duration::from_secs(self.parts.config.raw.helpdesk.check_seconds.max(1));
        loop {
            if self.parts.life.sleep_or_shutdown(every).await {
                return;
            }
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.remind_round())) {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => warn!("reminders: {e}"),
                Err(_) => warn!("a reminder round panicked; the next one runs as usual"),
            }
        }
    }

    /// One look at every conversation needing an answer; how many notices were queued.
    pub(in crate::bridge) fn remind_round(&self) -> Result<usize, StoreError> {
        let cfg = &self.parts.config.raw.helpdesk;
        let now_secs = self.parts.clock.unix();
        let now = at(now_secs as i64);
        let schedule = self.parts.config.schedule();
        if !cfg.outside_hours && !schedule.is_open(now) {
            return Ok(0);
        }
        let store = &self.parts.store;
        let mut queued = 0;
        for (citizen, c) in store.conversations_needing_answer()? {
            let Some(portal) = store.portal(&citizen)? else {
                continue;
            };
            let mut ops = Vec::new();
            if let Some(since) = c.unanswered_since
                && cfg.remind_after_minutes > 0
            {
                let waited = if cfg.outside_hours {
                    now_secs.saturating_sub(since)
                } else {
                    schedule.open_seconds(at(since as i64), now)
                };
                let mark = Mark::Reminded {
                    citizen: &citizen,
                    since,
                };
                if waited >= cfg.remind_after_minutes * 60 && !store.seen(&mark)? {
                    ops.push(Store::seen_op(&mark));
                    ops.push(self.reminder(&portal, &c, waited, &mark.key()));
                }
            }
            if let Some(op) = self.window_warning(&portal, now_secs as i64)? {
                ops.extend(op);
            }
            if !ops.is_empty() {
                queued += ops.len() / 2;
                store.commit(ops)?;
                self.parts.wake.queue(citizen);
            }
        }
        Ok(queued)
    }

    /// The mention of whoever handles it (or of the staff), queued in the citizen's queue.
    fn reminder(&self, portal: &PortalRecord, c: &Conversation, waited: u64, key: &str) -> Op {
        let who: Vec<String> = match &c.assignee {
            Some(a) => vec![a.clone()],
            None => self.parts.config.raw.office.staff.clone(),
        };
        let minutes = (waited / 60).to_string();
        let plain = self.t(
            "conv_remind",
            &[("who", &who.join(", ")), ("minutes", &minutes)],
        );
        let pills: Vec<String> = who
            .iter()
            .map(|u| crate::convert::markup::pill(u))
            .collect();
        let html = self.t(
            "conv_remind",
            &[("who", &pills.join(", ")), ("minutes", &minutes)],
        );
        self.queued_notice(portal, plain, Some(html), key)
    }

    /// The warning that the window closes soon, once per window.
    fn window_warning(
        &self,
        portal: &PortalRecord,
        now: i64,
    ) -> Result<Option<Vec<Op>>, StoreError> {
        let warn_secs = self.parts.config.raw.helpdesk.window_warning_minutes as i64 * 60;
        let Some(last) = portal.last_inbound_at else {
            return Ok(None);
        };
        let closes = last + WINDOW_SECS;
        if warn_secs == 0 || now >= closes || closes - now > warn_secs {
            return Ok(None);
        }
        let citizen = portal.citizen.as_str();
        let mark = Mark::WindowWarned {
            citizen: &citizen,
            at: last,
        };
        if self.parts.store.seen(&mark)? {
            return Ok(None);
        }
        let text = self.t(
            "conv_window_closing",
            &[
                ("when", &self.parts.config.local_stamp(closes as u64)),
                ("minutes", &((closes - now) / 60).to_string()),
            ],
        );
        Ok(Some(vec![
            Store::seen_op(&mark),
            self.queued_notice(portal, text, None, &mark.key()),
        ]))
    }

    fn queued_notice(
        &self,
        portal: &PortalRecord,
        text: String,
        html: Option<String>,
        key: &str,
    ) -> Op {
        let notice = Work::Notice(NoticeWork {
            room_id: portal.room_id.clone(),
            text,
            html,
            reply_to: None,
            txn_id: crate::matrix::txn_id("remind", key),
        });
        self.parts
            .store
            .queue_push_op(&portal.citizen.as_str(), &notice.to_bytes())
    }
}

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
}

#[cfg(test)]
#[path = "remind_tests.rs"]
mod tests;
