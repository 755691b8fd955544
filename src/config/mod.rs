//! Configuration: the TOML file (plus secrets from the environment) read into `RawConfig`,
//! then validated into `Config`, which the rest of the bridge trusts. Every problem is one
//! plain sentence; secrets are printed only as "set"/"not set".

use serde::{Deserialize, Serialize};
use std::{net::SocketAddr, path::PathBuf};

mod bridge;
mod coexistence;
mod connections;
mod hours;
mod messages;
mod news;
mod privacy;
mod typo;
pub use bridge::{Bridge, GhostIds, Signature, parse_span};
pub use coexistence::{COEXISTENCE_MPS, Coexistence};
pub use connections::{Appservice, Homeserver, WhatsApp};
pub use hours::{AutoReply, CannedReply, ClosureConfig, HelpdeskConfig, Hours};
pub use messages::{Policies, Template};
pub use news::{Broadcast as BroadcastConfig, Subscriptions, Topic};
pub use privacy::{EraseInMatrix, Privacy};

const TEMPLATE: &str = include_str!("template.toml");

/// Environment variables that override the secrets of the file.
pub const SECRET_ENV: [(&str, &str); 5] = [
    ("SPORTELLO_AS_TOKEN", "appservice.as_token"),
    ("SPORTELLO_HS_TOKEN", "appservice.hs_token"),
    ("SPORTELLO_WHATSAPP_ACCESS_TOKEN", "whatsapp.access_token"),
    ("SPORTELLO_WHATSAPP_APP_SECRET", "whatsapp.app_secret"),
    ("SPORTELLO_WHATSAPP_VERIFY_TOKEN", "whatsapp.verify_token"),
];

/// The starter file `sportello init` writes, with the given tokens.
pub fn starter(as_token: &str, hs_token: &str, verify_token: &str) -> String {
    TEMPLATE
        .replace("{{AS_TOKEN}}", as_token)
        .replace("{{HS_TOKEN}}", hs_token)
        .replace("{{VERIFY_TOKEN}}", verify_token)
}

/// A fresh random token (32 bytes, hex).
pub fn random_token() -> String {
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub homeserver: Homeserver,
    pub appservice: Appservice,
    pub whatsapp: WhatsApp,
    pub office: Office,
    #[serde(default)]
    pub bridge: Bridge,
    #[serde(default)]
    pub store: Store,
    #[serde(default)]
    pub log: Log,
    /// Approved message templates staff may send with `!template <key> [params…]`.
    #[serde(default)]
    pub templates: std::collections::BTreeMap<String, Template>,
    /// Texts sent to citizens: code of conduct, privacy policy.
    #[serde(default)]
    pub policies: Policies,
    /// Office hours: weekly ranges, local holidays, closures.
    #[serde(default)]
    pub hours: Hours,
    /// Named replies staff send with `!reply <name>`.
    #[serde(default)]
    pub replies: std::collections::BTreeMap<String, CannedReply>,
    /// The welcome and out-of-hours replies.
    #[serde(default)]
    pub autoreply: AutoReply,
    /// News topics and the keywords citizens write.
    #[serde(default)]
    pub subscriptions: Subscriptions,
    /// How broadcasts are paced, approved and reported.
    #[serde(default)]
    pub broadcast: BroadcastConfig,
    /// Replacements for the built-in texts, by key (see src/texts.rs).
    #[serde(default)]
    pub texts: std::collections::BTreeMap<String, String>,
    /// Prometheus metrics, on their own listener.
    #[serde(default)]
    pub metrics: connections::Metrics,
    /// Alerts in the admin room about the bridge's own health.
    #[serde(default)]
    pub alerts: connections::Alerts,
    /// Meta's rates, for what a broadcast costs.
    #[serde(default)]
    pub pricing: crate::pricing::Pricing,
    /// Reminders about citizens waiting for an answer.
    #[serde(default)]
    pub helpdesk: HelpdeskConfig,
    /// The number also on the WhatsApp Business app.
    #[serde(default)]
    pub coexistence: Coexistence,
    /// Citizens' data rights: erasure, retention, the paperwork's contacts.
    #[serde(default)]
    pub privacy: Privacy,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Office {
    pub name: String,
    /// IANA time zone of the office (times shown to staff and citizens).
    #[serde(default = "d_tz")]
    pub timezone: String,
    /// An existing room to use as the admin room (id or alias); empty: the bot creates one.
    #[serde(default)]
    pub admin_room: String,
    /// Language of what the bridge writes: "it" or "en".
    #[serde(default = "d_lang")]
    pub language: String,
    #[serde(default)]
    pub staff: Vec<String>,
    #[serde(default)]
    pub admins: Vec<String>,
    /// Also admins: members of the admin room with at least this power level (0 = off).
    #[serde(default)]
    pub admin_power_level: i64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Store {
    #[serde(default = "d_store")]
    pub path: PathBuf,
}
impl Default for Store {
    fn default() -> Self {
        Store { path: d_store() }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Log {
    #[serde(default = "d_filter")]
    pub filter: String,
    /// `text` (for people) or `json` (one object a line, for log collectors).
    #[serde(default = "d_format")]
    pub format: String,
}
impl Default for Log {
    fn default() -> Self {
        Log {
            filter: d_filter(),
            format: d_format(),
        }
    }
}

fn d_format() -> String {
    "text".into()
}

fn d_lang() -> String {
    "it".into()
}
fn d_tz() -> String {
    "Europe/Rome".into()
}
fn d_store() -> PathBuf {
    "sportello-data".into()
}
fn d_filter() -> String {
    "info".into()
}

/// A validated configuration. Cheap to clone; shared by every task of the bridge.
#[derive(Clone, Debug)]
pub struct Config {
    pub raw: RawConfig,
    pub bind: SocketAddr,
    pub bot_user_id: String,
}

/// The file could not be read, or it has problems (one sentence each).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not valid TOML for Sportello: {message}")]
    Parse { path: String, message: String },
    #[error("the configuration has {} problem(s):\n- {}", .0.len(), .0.join("\n- "))]
    Invalid(Vec<String>),
}

impl RawConfig {
    /// Parses TOML text; `env` supplies overrides for the secrets (see [`SECRET_ENV`]).
    pub fn from_toml(
        text: &str,
        path: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: typo::explain(&e, text),
        })?;
        for (var, _) in SECRET_ENV {
            if let Some(v) = env(var).filter(|v| !v.is_empty()) {
                *raw.secret_mut(var) = v;
            }
        }
        Ok(raw)
    }

    fn secret_mut(&mut self, var: &str) -> &mut String {
        match var {
            "SPORTELLO_AS_TOKEN" => &mut self.appservice.as_token,
            "SPORTELLO_HS_TOKEN" => &mut self.appservice.hs_token,
            "SPORTELLO_WHATSAPP_ACCESS_TOKEN" => &mut self.whatsapp.access_token,
            "SPORTELLO_WHATSAPP_APP_SECRET" => &mut self.whatsapp.app_secret,
            _ => &mut self.whatsapp.verify_token,
        }
    }

    /// Every problem, one plain sentence each; empty when the config is usable.
    pub fn problems(&self) -> Vec<String> {
        let mut p = self.homeserver.problems();
        p.extend(self.appservice.problems());
        p.extend(self.metrics.problems(&self.appservice.bind));
        if !["text", "json"].contains(&self.log.format.as_str()) {
            p.push(format!(
                "log.format must be \"text\" or \"json\" (it is \"{}\").",
                self.log.format
            ));
        }
        p.extend(self.whatsapp.problems());
        p.extend(self.office_problems());
        p.extend(self.bridge.problems());
        let tz: chrono_tz::Tz = self
            .office
            .timezone
            .parse()
            .unwrap_or(chrono_tz::Europe::Rome);
        if let Err(e) = self.hours.schedule(tz) {
            p.extend(e);
        }
        // With Meta's list read, a name may be a Meta template's: checked when it is used.
        if self.whatsapp.business_account_id.trim().is_empty() {
            let templates: Vec<&String> = self.templates.keys().collect();
            p.extend(self.subscriptions.problems(&templates, &self.broadcast));
        } else {
            p.extend(
                self.subscriptions
                    .problems_without_templates(&self.broadcast),
            );
        }
        p.extend(self.pricing.problems());
        if self.whatsapp.template_sync_hours == 0 {
            p.push("whatsapp.template_sync_hours must be at least 1.".into());
        }
        p
    }

    /// The office, its texts and templates.
    fn office_problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if self.office.timezone.parse::<chrono_tz::Tz>().is_err() {
            p.push(format!(
                "office.timezone \"{}\" is not an IANA time zone such as Europe/Rome.",
                self.office.timezone
            ));
        }
        if !matches!(self.office.language.as_str(), "it" | "en") {
            p.push(format!(
                "office.language must be \"it\" or \"en\" (it is \"{}\").",
                self.office.language
            ));
        }
        for key in self.texts.keys() {
            if !crate::texts::Texts::known(key) {
                p.push(format!(
                    "texts.{key} is not a text of Sportello (see src/texts.rs for the keys)."
                ));
            }
        }
        for (key, t) in &self.templates {
            let from_meta = !self.whatsapp.business_account_id.trim().is_empty();
            if t.name.trim().is_empty() || (t.language.trim().is_empty() && !from_meta) {
                p.push(format!(
                    "templates.{key} needs the template's name and language as approved at Meta (the language may be left out when whatsapp.business_account_id is set)."
                ));
            }
            if !["", "marketing", "utility", "authentication"].contains(&t.category.as_str()) {
                p.push(format!(
                    "templates.{key}.category must be \"marketing\", \"utility\" or \"authentication\"."
                ));
            }
            if key.contains(char::is_whitespace) {
                p.push(format!(
                    "templates.\"{key}\": a template key cannot contain spaces."
                ));
            }
        }
        if self.office.name.trim().is_empty() {
            p.push("office.name must be set: staff and citizens see it.".into());
        }
        for u in self.office.staff.iter().chain(&self.office.admins) {
            if !(u.starts_with('@') && u.contains(':')) {
                p.push(format!(
                    "\"{u}\" in office.staff/admins is not a Matrix user id like @mario:{}.",
                    self.homeserver.server_name
                ));
            }
        }
        if self.office.staff.is_empty() && self.office.admins.is_empty() {
            p.push(
                "office.staff and office.admins are both empty: nobody could answer citizens."
                    .into(),
            );
        }
        p
    }

    pub fn validate(self) -> Result<Config, ConfigError> {
        let problems = self.problems();
        if !problems.is_empty() {
            return Err(ConfigError::Invalid(problems));
        }
        Ok(Config {
            bind: self.appservice.bind.parse().expect("checked above"),
            bot_user_id: format!(
                "@{}:{}",
                self.appservice.bot_localpart, self.homeserver.server_name
            ),
            raw: self,
        })
    }
}

fn valid_localpart(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'=' | b'-' | b'/'))
}

impl Config {
    /// Reads and validates a file, with secrets from the process environment.
    pub fn load(path: &std::path::Path) -> Result<Config, ConfigError> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: p.clone(),
            source,
        })?;
        RawConfig::from_toml(&text, &p, |k| std::env::var(k).ok())?.validate()
    }

    /// Is this Matrix user allowed to answer citizens?
    pub fn is_staff(&self, user: &str) -> bool {
        self.raw.office.staff.iter().any(|s| s == user)
            || self.raw.office.admins.iter().any(|s| s == user)
    }

    /// The texts in the office's language, with the configured replacements.
    pub fn texts(&self) -> crate::texts::Texts {
        let lang = if self.raw.office.language == "en" {
            crate::texts::Lang::En
        } else {
            crate::texts::Lang::It
        };
        crate::texts::Texts::new(lang, self.raw.texts.clone())
    }

    /// The office's time zone (validated).
    pub fn timezone(&self) -> chrono_tz::Tz {
        self.raw
            .office
            .timezone
            .parse()
            .unwrap_or(chrono_tz::Europe::Rome)
    }

    /// The office hours (validated with the rest of the file).
    /// A moment (unix seconds) as the office reads it: `dd/mm/yyyy hh:mm`, office time.
    /// The day of an instant in the office's time zone, as citizens read it (`01/01/2027`).
    pub fn local_day(&self, at: u64) -> String {
        self.local_stamp(at)
            .split(' ')
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn local_stamp(&self, at: u64) -> String {
        use chrono::TimeZone;
        chrono::Utc
            .timestamp_opt(at as i64, 0)
            .single()
            .map(|t| {
                // "%d/%m/%Y %H:%M" written directly: a strftime pattern is parsed again on
                // every call, and this runs for every bridged message (the topic's line).
                use chrono::{Datelike, Timelike};
                let t = t.with_timezone(&self.timezone());
                format!(
                    "{:02}/{:02}/{} {:02}:{:02}",
                    t.day(),
                    t.month(),
                    t.year(),
                    t.hour(),
                    t.minute()
                )
            })
            .unwrap_or_default()
    }

    pub fn schedule(&self) -> crate::hours::Schedule {
        self.raw
            .hours
            .schedule(self.timezone())
            .expect("checked by validate")
    }

    /// The broadcast pace: `broadcast.messages_per_second`, at most Meta's throughput for a
    /// coexistence number when the number is on the WhatsApp Business app too.
    pub fn broadcast_pace(&self) -> u32 {
        let mps = self.raw.broadcast.messages_per_second;
        if self.raw.coexistence.enabled {
            mps.min(COEXISTENCE_MPS)
        } else {
            mps
        }
    }

    /// Staff and admins, each once, in config order.
    pub fn all_staff(&self) -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        for u in self.raw.office.admins.iter().chain(&self.raw.office.staff) {
            if !v.contains(u) {
                v.push(u.clone());
            }
        }
        v
    }
}

pub(super) fn set(s: &str) -> &'static str {
    if s.is_empty() { "not set" } else { "set" }
}

impl RawConfig {
    /// The effective configuration as TOML, with every secret replaced by "set"/"not set".
    pub fn redacted_toml(&self) -> String {
        let mut c = self.clone();
        for var in SECRET_ENV.map(|(v, _)| v) {
            let s = c.secret_mut(var);
            *s = format!("<{}>", set(s));
        }
        toml::to_string_pretty(&c).unwrap_or_else(|e| format!("(cannot show: {e})"))
    }
}

/// A valid config for unit tests (starter file with every required value filled in).
#[cfg(test)]
pub(crate) fn valid_test_toml() -> String {
    starter(&"a".repeat(32), &"h".repeat(32), "verify")
        .replace("phone_number_id = \"\"", "phone_number_id = \"1234567890\"")
        .replace("access_token = \"\"", "access_token = \"EAAB\"")
        .replace("app_secret = \"\"", "app_secret = \"s3cret\"")
        .replace("staff = []", "staff = [\"@mario:comune.example.it\"]")
}

/// [`valid_test_toml`] read and validated.
#[cfg(test)]
pub(crate) fn valid_test_config() -> Config {
    RawConfig::from_toml(&valid_test_toml(), "t", |_| None)
        .and_then(RawConfig::validate)
        .expect("the test configuration is valid")
}

#[cfg(test)]
mod tests;
