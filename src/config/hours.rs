//! `[hours]`: the office's weekly opening ranges, local holidays and closures, read into
//! the pure [`crate::hours::Schedule`]. Defaults: the launch town's week.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::hours::{Closure, Range, Schedule, parse_range};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Hours {
    #[serde(default = "morning")]
    pub monday: Vec<String>,
    #[serde(default = "long_day")]
    pub tuesday: Vec<String>,
    #[serde(default = "morning")]
    pub wednesday: Vec<String>,
    #[serde(default = "long_day")]
    pub thursday: Vec<String>,
    #[serde(default = "morning")]
    pub friday: Vec<String>,
    #[serde(default)]
    pub saturday: Vec<String>,
    #[serde(default)]
    pub sunday: Vec<String>,
    /// Local holidays every year, "MM-DD" = name (the patron saint).
    #[serde(default)]
    pub local_holidays: BTreeMap<String, String>,
    #[serde(default)]
    pub closures: Vec<ClosureConfig>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClosureConfig {
    /// First closed day, "YYYY-MM-DD".
    pub from: String,
    /// Last closed day (the same as `from` for one day).
    #[serde(default)]
    pub to: String,
    pub reason: String,
}

impl Default for Hours {
    fn default() -> Self {
        Hours {
            monday: morning(),
            tuesday: long_day(),
            wednesday: morning(),
            thursday: long_day(),
            friday: morning(),
            saturday: vec![],
            sunday: vec![],
            local_holidays: BTreeMap::new(),
            closures: vec![],
        }
    }
}

fn morning() -> Vec<String> {
    vec!["09:00-13:00".into()]
}
fn long_day() -> Vec<String> {
    vec!["09:00-13:00".into(), "15:00-17:00".into()]
}

fn date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("\"{s}\" is not a date like 2026-12-24"))
}

impl Hours {
    /// The schedule, or every problem, one sentence each.
    pub fn schedule(&self, tz: chrono_tz::Tz) -> Result<Schedule, Vec<String>> {
        let mut problems = Vec::new();
        let days = [
            ("monday", &self.monday),
            ("tuesday", &self.tuesday),
            ("wednesday", &self.wednesday),
            ("thursday", &self.thursday),
            ("friday", &self.friday),
            ("saturday", &self.saturday),
            ("sunday", &self.sunday),
        ];
        let mut week: [Vec<Range>; 7] = Default::default();
        for (i, (name, ranges)) in days.iter().enumerate() {
            for r in ranges.iter() {
                match parse_range(r) {
                    Ok(r) => week[i].push(r),
                    Err(e) => problems.push(format!("hours.{name}: {e}.")),
                }
            }
            week[i].sort_by_key(|r| r.from);
            if week[i].windows(2).any(|w| w[0].to > w[1].from) {
                problems.push(format!("hours.{name}: the ranges overlap."));
            }
        }
        let mut local_holidays = Vec::new();
        for (md, name) in &self.local_holidays {
            match NaiveDate::parse_from_str(&format!("2024-{md}"), "%Y-%m-%d") {
                Ok(d) => {
                    use chrono::Datelike;
                    local_holidays.push((d.month(), d.day(), name.clone()));
                }
                Err(_) => problems.push(format!(
                    "hours.local_holidays: \"{md}\" is not a day like \"12-07\"."
                )),
            }
        }
        let mut closures = Vec::new();
        for c in &self.closures {
            let to = if c.to.is_empty() { &c.from } else { &c.to };
            match (date(&c.from), date(to)) {
                (Ok(from), Ok(to)) if from <= to => closures.push(Closure {
                    from,
                    to,
                    reason: c.reason.clone(),
                }),
                (Ok(_), Ok(_)) => problems.push(format!(
                    "hours.closures: \"{}\" ends before it starts.",
                    c.reason
                )),
                (Err(e), _) | (_, Err(e)) => problems.push(format!("hours.closures: {e}.")),
            }
        }
        if problems.is_empty() {
            Ok(Schedule {
                tz,
                week,
                closures,
                local_holidays,
            })
        } else {
            Err(problems)
        }
    }
}

/// `[autoreply]`: what the automatic replies point to, and when they keep quiet.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AutoReply {
    /// false: no welcome, no out-of-hours notice (staff still see everything).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The office's complaints web app (complaints and reports are not taken on WhatsApp).
    #[serde(default)]
    pub complaints_url: String,
    /// Numbers to call in an emergency, told in the out-of-hours notice.
    #[serde(default)]
    pub emergency_numbers: String,
    /// No automatic reply when a staff member wrote to the citizen within these minutes.
    #[serde(default = "ten")]
    pub quiet_minutes: u64,
    /// Whole words (case and accents ignored) that get the complaints redirect, once a day.
    #[serde(default = "complaint_words")]
    pub complaint_keywords: Vec<String>,
    /// The staff command that sends the complaints redirect (`!eurp`).
    #[serde(default = "eurp")]
    pub complaint_command: String,
}

/// A canned reply staff send with `!reply <name>`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CannedReply {
    pub text: String,
}

fn complaint_words() -> Vec<String> {
    [
        "reclamo",
        "reclami",
        "segnalazione",
        "segnalazioni",
        "segnalare",
        "segnalo",
        "denuncia",
        "denunciare",
        "disservizio",
        "disservizi",
        "lamentela",
        "lamentele",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}
fn eurp() -> String {
    "eurp".into()
}

impl Default for AutoReply {
    fn default() -> Self {
        AutoReply {
            enabled: true,
            complaints_url: String::new(),
            emergency_numbers: String::new(),
            quiet_minutes: ten(),
            complaint_keywords: complaint_words(),
            complaint_command: eurp(),
        }
    }
}

fn yes() -> bool {
    true
}
fn ten() -> u64 {
    10
}

/// `[helpdesk]`: reminders about citizens waiting for an answer.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HelpdeskConfig {
    /// A citizen's message unanswered for this many minutes of open office time gets a
    /// mention of whoever handles it (or of the staff) in its room; 0: never.
    #[serde(default = "d_remind")]
    pub remind_after_minutes: u64,
    /// A conversation whose 24-hour window closes within this many minutes, the citizen's
    /// last message unanswered, gets a warning in its room; 0: never.
    #[serde(default = "d_window_warning")]
    pub window_warning_minutes: u64,
    /// Remind and warn while the office is closed too.
    #[serde(default)]
    pub outside_hours: bool,
    /// Sent to the citizen by `!close` while their window is open; empty: nothing.
    #[serde(default)]
    pub closing_message: String,
    /// `!close` also asks the citizen, with three reply buttons, how it went.
    #[serde(default)]
    pub satisfaction: bool,
    /// How often the conversations are looked at for reminders and warnings (seconds).
    #[serde(default = "d_check")]
    pub check_seconds: u64,
}

fn d_check() -> u64 {
    60
}

fn d_remind() -> u64 {
    60
}

fn d_window_warning() -> u64 {
    120
}

impl Default for HelpdeskConfig {
    fn default() -> Self {
        HelpdeskConfig {
            remind_after_minutes: d_remind(),
            window_warning_minutes: d_window_warning(),
            outside_hours: false,
            closing_message: String::new(),
            satisfaction: false,
            check_seconds: d_check(),
        }
    }
}
