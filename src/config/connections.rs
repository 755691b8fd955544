//! Where the bridge connects (`[homeserver]`, `[appservice]`, `[whatsapp]`): addresses,
//! tokens and secrets (never printed: their `Debug` says only whether they are set).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::set;

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
