//! The office's GDPR paperwork, derived from the config so it changes when the config does:
//! the art. 13 notice for citizens (`notice.rs`) and the art. 30 register entry (`record.rs`),
//! each in Italian and English, as drafts for the office and its data-protection officer to
//! review. Pure: the config in, text out. What both say is gathered once here ([`Facts`]).

mod notice;
mod record;

pub use notice::privacy_notice;
pub use record::processing_record;

use crate::config::{Config, EraseInMatrix};
use crate::store::RETENTION;

const DAY: u64 = 86_400;

/// What the paperwork states, read from the config.
pub(crate) struct Facts {
    pub office: String,
    pub controller: String,
    pub controller_contact: String,
    pub dpo: String,
    pub hosting: String,
    /// `(name, description)` of each news list.
    pub lists: Vec<(String, String)>,
    pub subscribe: String,
    pub unsubscribe: String,
    pub menu: String,
    pub erase_words: Vec<String>,
    pub request_days: u32,
    /// Days; 0: not automatic.
    pub inactive_days: u32,
    pub ledger_days: u32,
    pub keep_room: bool,
    pub complaints_url: String,
    pub coexistence: bool,
    pub contact_names: bool,
    /// Days: duplicate marks, statuses, message links, failed deliveries, anonymous figures.
    pub marks: u64,
    pub statuses: u64,
    pub links: u64,
    pub dead: u64,
    pub figures: u64,
}

/// The config's value, or a marked gap for the office to fill in.
fn or_gap(v: &str, it: bool) -> String {
    match (v.trim().is_empty(), it) {
        (false, _) => v.trim().to_owned(),
        (true, true) => "[da completare]".into(),
        (true, false) => "[to fill in]".into(),
    }
}

/// The first of a list of synonyms, quoted as citizens type it (upper case: how the welcome
/// and the answers write keywords).
fn first(words: &[String]) -> String {
    words
        .first()
        .map_or(String::new(), |w| format!("\"{}\"", w.to_uppercase()))
}

impl Facts {
    pub(crate) fn of(c: &Config) -> Facts {
        let r = &c.raw;
        let p = &r.privacy;
        let s = &r.subscriptions;
        Facts {
            office: r.office.name.clone(),
            controller: p.controller.clone(),
            controller_contact: p.controller_contact.clone(),
            dpo: p.dpo_contact.clone(),
            hosting: p.hosting.clone(),
            lists: s
                .topics
                .iter()
                .map(|t| (t.name.clone(), t.description.clone()))
                .collect(),
            subscribe: first(&s.subscribe_keywords),
            unsubscribe: first(&s.unsubscribe_keywords),
            menu: first(&s.menu_keywords),
            erase_words: p.erasure_keywords.clone(),
            request_days: p.request_days,
            inactive_days: p.inactive_days,
            ledger_days: p.ledger_days,
            keep_room: p.erase_in_matrix == EraseInMatrix::Keep,
            complaints_url: r.autoreply.complaints_url.clone(),
            coexistence: r.coexistence.enabled,
            contact_names: r.coexistence.enabled && r.coexistence.contact_names,
            marks: RETENTION.marks / DAY,
            statuses: RETENTION.statuses / DAY,
            links: RETENTION.messages / DAY,
            dead: RETENTION.dead_letters / DAY,
            figures: RETENTION.ledger / DAY,
        }
    }

    pub(crate) fn controller(&self, it: bool) -> String {
        if self.controller.trim().is_empty() {
            or_gap("", it)
        } else {
            self.controller.clone()
        }
    }

    pub(crate) fn gap(&self, v: &str, it: bool) -> String {
        or_gap(v, it)
    }

    /// The erasure keywords, quoted, joined by "o" / "or".
    pub(crate) fn erase_words(&self, it: bool) -> String {
        let quoted: Vec<String> = self
            .erase_words
            .iter()
            .map(|w| format!("\"{w}\""))
            .collect();
        quoted.join(if it { " o " } else { " or " })
    }
}

#[cfg(test)]
mod tests;
