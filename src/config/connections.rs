//! Where the bridge connects (`[homeserver]`, `[appservice]`, `[whatsapp]`): addresses,
//! tokens and secrets (never printed: their `Debug` says only whether they are set).

use std::fmt;

use serde::{Deserialize, Serialize};

use std::net::SocketAddr;

use super::{set, valid_localpart};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Homeserver {
    pub url: String,
    pub server_name: String,
}

#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Appservice {
    #[serde(default = "d_as_id")]
    pub id: String,
    pub bind: String,
    pub url: String,
    #[serde(default)]
    pub as_token: String,
    #[serde(default)]
    pub hs_token: String,
    #[serde(default = "d_bot")]
    pub bot_localpart: String,
    #[serde(default = "d_prefix")]
    pub ghost_prefix: String,
}

/// `[alerts]`: what the admin room is told about the bridge's own health.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Alerts {
    /// Meta or the homeserver unreachable this long (minutes) is told in the admin room.
    #[serde(default = "d_unreachable")]
    pub unreachable_minutes: u64,
    /// How often Meta and the homeserver are asked (seconds).
    #[serde(default = "d_check")]
    pub check_seconds: u64,
}

impl Default for Alerts {
    fn default() -> Self {
        Alerts {
            unreachable_minutes: d_unreachable(),
            check_seconds: d_check(),
        }
    }
}

fn d_unreachable() -> u64 {
    10
}
fn d_check() -> u64 {
    60
}

/// `[metrics]`: Prometheus metrics, off unless `bind` is set; never on the webhook's port.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Metrics {
    /// Address and port of the metrics listener (`/metrics`), e.g. 127.0.0.1:9464; empty: off.
    #[serde(default)]
    pub bind: String,
}

impl Metrics {
    /// Where to listen, when metrics are on.
    pub fn addr(&self) -> Option<SocketAddr> {
        self.bind.parse().ok()
    }

    /// What is wrong with `[metrics]` (one sentence each).
    pub fn problems(&self, appservice_bind: &str) -> Vec<String> {
        if self.bind.is_empty() {
            return vec![];
        }
        match self.bind.parse::<SocketAddr>() {
            Err(_) => vec![format!(
                "metrics.bind must be an address and port such as 127.0.0.1:9464 (it is \"{}\"), or empty for no metrics.",
                self.bind
            )],
            Ok(a)
                if appservice_bind
                    .parse::<SocketAddr>()
                    .is_ok_and(|b| b.port() == a.port()) =>
            {
                vec!["metrics.bind must not use appservice.bind's port: metrics are never served where Meta and Synapse call.".into()]
            }
            Ok(_) => vec![],
        }
    }
}

#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WhatsApp {
    #[serde(default = "d_graph")]
    pub api_base_url: String,
    #[serde(default = "d_version")]
    pub api_version: String,
    #[serde(default)]
    pub phone_number_id: String,
    #[serde(default)]
    pub access_token: String,
    #[serde(default)]
    pub app_secret: String,
    #[serde(default)]
    pub verify_token: String,
    #[serde(default = "d_webhook")]
    pub webhook_path: String,
    #[serde(default = "d_timeout")]
    pub request_timeout_secs: u64,
    /// The WhatsApp Business Account id: with it, the templates are read from Meta.
    #[serde(default)]
    pub business_account_id: String,
    /// Hours between two readings of Meta's templates (besides start-up and `!templates sync`).
    #[serde(default = "d_template_sync")]
    pub template_sync_hours: u64,
}

fn d_template_sync() -> u64 {
    6
}

impl fmt::Debug for Appservice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Appservice")
            .field("id", &self.id)
            .field("bind", &self.bind)
            .field("url", &self.url)
            .field("as_token", &set(&self.as_token))
            .field("hs_token", &set(&self.hs_token))
            .field("bot_localpart", &self.bot_localpart)
            .field("ghost_prefix", &self.ghost_prefix)
            .finish()
    }
}

impl fmt::Debug for WhatsApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WhatsApp")
            .field("api_base_url", &self.api_base_url)
            .field("api_version", &self.api_version)
            .field("phone_number_id", &self.phone_number_id)
            .field("access_token", &set(&self.access_token))
            .field("app_secret", &set(&self.app_secret))
            .field("verify_token", &set(&self.verify_token))
            .field("webhook_path", &self.webhook_path)
            .field("business_account_id", &self.business_account_id)
            .field("template_sync_hours", &self.template_sync_hours)
            .finish()
    }
}

fn d_as_id() -> String {
    "sportello".into()
}
fn d_bot() -> String {
    "sportello".into()
}
fn d_prefix() -> String {
    "whatsapp_".into()
}
fn d_graph() -> String {
    "https://graph.facebook.com".into()
}
fn d_version() -> String {
    "v23.0".into()
}
fn d_webhook() -> String {
    "/whatsapp/webhook".into()
}
fn d_timeout() -> u64 {
    30
}

impl Homeserver {
    /// What is wrong with `[homeserver]` (one sentence each).
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            p.push(format!(
                "homeserver.url must start with http:// or https:// (it is \"{}\").",
                self.url
            ));
        }
        if self.server_name.is_empty() || self.server_name.contains(['/', ' ', '@']) {
            p.push(
                "homeserver.server_name must be a bare server name such as comune.example.it."
                    .into(),
            );
        }
        p
    }
}

impl Appservice {
    /// What is wrong with `[appservice]` (one sentence each).
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if self.bind.parse::<SocketAddr>().is_err() {
            p.push(format!(
                "appservice.bind must be an address and port such as 127.0.0.1:29330 (it is \"{}\").",
                self.bind
            ));
        }
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            p.push(
                "appservice.url must be the http(s) URL at which Synapse reaches the bridge."
                    .into(),
            );
        }
        for (name, v) in [("as_token", &self.as_token), ("hs_token", &self.hs_token)] {
            if v.len() < 16 {
                p.push(format!("appservice.{name} is not set or shorter than 16 characters; `sportello init` makes one."));
            }
        }
        if !self.as_token.is_empty() && self.as_token == self.hs_token {
            p.push("appservice.as_token and appservice.hs_token must differ.".into());
        }
        if !valid_localpart(&self.bot_localpart) {
            p.push("appservice.bot_localpart may contain only a-z, 0-9, . _ = - /".into());
        }
        if self.ghost_prefix.is_empty() || !valid_localpart(&self.ghost_prefix) {
            p.push(
                "appservice.ghost_prefix must be non-empty and contain only a-z, 0-9, . _ = - /"
                    .into(),
            );
        } else if self.bot_localpart.starts_with(&self.ghost_prefix) {
            p.push("appservice.bot_localpart must not start with the ghost_prefix.".into());
        }
        p
    }
}

impl WhatsApp {
    /// What is wrong with `[whatsapp]` (one sentence each).
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if !(self.api_base_url.starts_with("http://") || self.api_base_url.starts_with("https://"))
        {
            p.push("whatsapp.api_base_url must be an http(s) URL.".into());
        }
        if !self.api_version.starts_with('v') {
            p.push("whatsapp.api_version looks like v23.0.".into());
        }
        if self.phone_number_id.is_empty()
            || !self.phone_number_id.bytes().all(|b| b.is_ascii_digit())
        {
            p.push(
                "whatsapp.phone_number_id must be the numeric id of the office's number.".into(),
            );
        }
        for (name, v) in [
            ("access_token", &self.access_token),
            ("app_secret", &self.app_secret),
            ("verify_token", &self.verify_token),
        ] {
            if v.is_empty() {
                p.push(format!(
                    "whatsapp.{name} is not set (in the file or its environment variable)."
                ));
            }
        }
        if !self.webhook_path.starts_with('/') || self.webhook_path.starts_with("/_matrix") {
            p.push("whatsapp.webhook_path must start with / and not with /_matrix.".into());
        }
        if self.request_timeout_secs == 0 {
            p.push("whatsapp.request_timeout_secs must be at least 1.".into());
        }
        p
    }
}
