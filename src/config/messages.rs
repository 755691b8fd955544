//! What the office sends citizens beyond answers: its policies (`[policies]`, each with a
//! version) and its approved WhatsApp templates (`[templates.<key>]`).

use serde::{Deserialize, Serialize};

/// The office's texts for citizens, each with a version recorded when it is sent.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Policies {
    #[serde(default)]
    pub code_of_conduct: String,
    #[serde(default)]
    pub code_of_conduct_version: String,
    #[serde(default)]
    pub privacy: String,
    #[serde(default)]
    pub privacy_version: String,
}

impl Policies {
    /// The privacy policy's and the code of conduct's versions as shown and recorded
    /// (`-` when not set).
    pub fn versions(&self) -> (&str, &str) {
        fn shown(v: &str) -> &str {
            if v.is_empty() { "-" } else { v }
        }
        (
            shown(&self.privacy_version),
            shown(&self.code_of_conduct_version),
        )
    }
}

/// An approved WhatsApp template (created and approved in Meta's WhatsApp Manager).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// The template's name at Meta.
    pub name: String,
    /// Its language code, exactly as approved (`it`, `en_US`, …). May be left out when the
    /// bridge reads the templates from Meta (`whatsapp.business_account_id`): the office's
    /// language is then chosen.
    #[serde(default)]
    pub language: String,
    /// How many `{{n}}` parameters its body takes (Meta's list, when read, says instead).
    #[serde(default)]
    pub params: usize,
    /// `marketing`, `utility` or `authentication`, for the cost estimate when Meta's list is
    /// not read (Meta's list, when read, says instead).
    #[serde(default)]
    pub category: String,
    /// What it says, for the staff listing.
    #[serde(default)]
    pub description: String,
}
