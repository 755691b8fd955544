//! `!hours` in the admin room: the schedule, whether the office is open now and the next
//! change, and the emergency mode admins switch on (with a message) and off. The mode is kept
//! in the store; every switch is in the audit log like any command.

use serde::{Deserialize, Serialize};

use crate::bridge::engine::command::{Answer, Call, Command, Run};
use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::item::CommandWork;
use crate::bridge::engine::item::Reply;
use crate::bridge::office::Office;
use crate::commands::{CommandSpec, Parsed, Where, Who};
use crate::hours::{week_lines, when_text};
use crate::store::Meta;
use crate::store::Store;

/// The emergency mode, as stored under `meta/emergency`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Emergency {
    pub text: String,
    pub by: String,
    pub at: u64,
}

impl Office {
    pub(in crate::bridge) fn emergency(&self) -> Result<Option<Emergency>, Failure> {
        Ok(self
            .store
            .meta(Meta::Emergency)?
            .filter(|v| !v.is_empty())
            .and_then(|v| serde_json::from_str(&v).ok()))
    }

    pub(in crate::bridge) async fn hours_command(
        &self,
        p: &Parsed,
        c: &CommandWork,
        is_admin: bool,
    ) -> Result<Reply, Failure> {
        let args = p.args.trim();
        if let Some(rest) = args.strip_prefix("emergency") {
            if !is_admin {
                return Ok(Reply::text(
                    self.t("cmd_refused", &[("name", "hours emergency")]),
                ));
            }
            let rest = rest.trim();
            if rest == "off" {
                return Ok(Reply {
                    ops: vec![Store::meta_op(Meta::Emergency, "")],
                    ..Reply::text(self.t("hours_emergency_off", &[]))
                });
            }
            let Some(text) = rest.strip_prefix("on").map(str::trim) else {
                return Ok(Reply::text(
                    self.t("cmd_usage", &[("usage", &p.spec.usage())]),
                ));
            };
            if text.is_empty() {
                return Ok(Reply::text(self.t("hours_emergency_text", &[])));
            }
            let e = Emergency {
                text: text.to_owned(),
                by: c.sender.clone(),
                at: self.clock.unix(),
            };
            let json = serde_json::to_string(&e).expect("serialisable");
            return Ok(Reply {
                ops: vec![Store::meta_op(Meta::Emergency, &json)],
                ..Reply::text(self.t("hours_emergency_on", &[("text", text)]))
            });
        }
        Ok(Reply::text(self.hours_text()?))
    }

    /// The schedule and the office's state now, for `!hours`.
    pub(super) fn hours_text(&self) -> Result<String, Failure> {
        let now = self.clock.now();
        let config = &self.config;
        let s = config.schedule();
        let lang = self.texts.lang();
        let week = week_lines(&s, lang, &self.t("hours_closed", &[])).join("\n");
        let mut extra = String::new();
        if !s.local_holidays.is_empty() {
            let list: Vec<String> = s
                .local_holidays
                .iter()
                .map(|(m, d, name)| format!("{d:02}/{m:02} {name}"))
                .collect();
            extra.push_str(&self.t("hours_local", &[("list", &list.join(", "))]));
        }
        let today = now.with_timezone(&s.tz).date_naive();
        let upcoming: Vec<String> = s
            .closures
            .iter()
            .filter(|c| c.to >= today)
            .map(|c| {
                format!(
                    "{} → {} {}",
                    c.from.format("%d/%m/%Y"),
                    c.to.format("%d/%m/%Y"),
                    c.reason
                )
            })
            .collect();
        if !upcoming.is_empty() {
            extra.push_str(&self.t("hours_closures", &[("list", &upcoming.join("; "))]));
        }
        let mut state = match s.next_change(now) {
            Some((t, false)) => self.t("hours_open_now", &[("until", &when_text(t, lang))]),
            Some((t, true)) => {
                let why = s
                    .closed_day(today)
                    .map(|w| format!(" ({w})"))
                    .unwrap_or_default();
                self.t(
                    "hours_closed_now",
                    &[("why", &why), ("when", &when_text(t, lang))],
                )
            }
            None => String::new(),
        };
        if let Some(e) = self.emergency()? {
            state.push_str(&self.t(
                "hours_emergency",
                &[
                    ("by", &e.by),
                    ("at", &self.config.local_stamp(e.at)),
                    ("text", &e.text),
                ],
            ));
        }
        let tz = config.raw.office.timezone.clone();
        Ok(self.t(
            "hours_show",
            &[
                ("tz", &tz),
                ("week", &week),
                ("extra", &extra),
                ("now", &state),
            ],
        ))
    }
}

fn hours<'a>(b: &'a Office, call: Call<'a>) -> Answer<'a> {
    Box::pin(b.hours_command(call.p, call.c, call.is_admin))
}

/// Office hours and emergency mode.
pub(in crate::bridge) static COMMANDS: [Command<Office>; 1] = [Command {
    spec: CommandSpec {
        name: "hours",
        args: "[emergency on <text> | emergency off]",
        help: "office hours, open or closed now and the next change; admins switch emergency mode",
        who: Who::Staff,
        place: Where::AdminRoom,
    },
    run: Run::Handler(hours),
}];
