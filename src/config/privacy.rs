//! `[privacy]`: how the office honours citizens' data rights — what erasure does in Matrix,
//! how long an inactive citizen and an ended subscription's consent records are kept, the
//! words a citizen writes to ask for erasure, and the office's data-protection contacts (used by
//! `sportello privacy-notice` and `sportello processing-record`).

use serde::{Deserialize, Serialize};

/// What an erasure does to the citizen's room.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EraseInMatrix {
    /// The room and its messages stay, as a record the office may be obliged to keep; the
    /// ghost leaves it and the bridge no longer links it to anyone.
    #[default]
    Keep,
    /// The citizen's messages and media are redacted, the ghost renamed, the room renamed.
    Redact,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Privacy {
    #[serde(default)]
    pub erase_in_matrix: EraseInMatrix,
    /// Citizens with no message either way for this many days and no active subscription are
    /// erased by the daily sweep. 0 (the default when absent): never.
    #[serde(default)]
    pub inactive_days: u32,
    /// Consent-ledger entries of a citizen with no active subscription are deleted this many
    /// days after the last of them. 0 (the default when absent): kept.
    #[serde(default)]
    pub ledger_days: u32,
    /// What a citizen writes to ask for erasure (accents, case and punctuation ignored; the
    /// message only has to contain it).
    #[serde(default = "erasure_keywords")]
    pub erasure_keywords: Vec<String>,
    /// Days the office has to answer a request (GDPR art. 12: one month).
    #[serde(default = "request_days")]
    pub request_days: u32,
    /// How often (real seconds) the sweep checks whether a day has passed.
    #[serde(default = "check_seconds")]
    pub check_seconds: u64,
    /// The controller (the municipality) and how to reach it, for the paperwork.
    #[serde(default)]
    pub controller: String,
    #[serde(default)]
    pub controller_contact: String,
    /// The data-protection officer's contact (art. 37: a public authority must have one).
    #[serde(default)]
    pub dpo_contact: String,
    /// Where the homeserver and the bridge run (the paperwork's "where it is kept").
    #[serde(default)]
    pub hosting: String,
}

fn erasure_keywords() -> Vec<String> {
    vec!["CANCELLA I MIEI DATI".into(), "DELETE MY DATA".into()]
}
fn request_days() -> u32 {
    30
}
fn check_seconds() -> u64 {
    3600
}

impl Default for Privacy {
    fn default() -> Self {
        Privacy {
            erase_in_matrix: EraseInMatrix::Keep,
            inactive_days: 0,
            ledger_days: 0,
            erasure_keywords: erasure_keywords(),
            request_days: request_days(),
            check_seconds: check_seconds(),
            controller: String::new(),
            controller_contact: String::new(),
            dpo_contact: String::new(),
            hosting: String::new(),
        }
    }
}
