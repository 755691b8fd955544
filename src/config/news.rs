//! The news service's configuration: topics and the keywords citizens write (`[subscriptions]`)
//! and how broadcasts are sent (`[broadcast]`), with their defaults and checks.

use serde::{Deserialize, Serialize};

/// A news list citizens can join.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    /// One word, as citizens type it (accents and case are ignored when matching).
    pub name: String,
    /// What the list brings, shown in the MENU (≤ 72 characters).
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Subscriptions {
    #[serde(default = "d_topics")]
    pub topics: Vec<Topic>,
    /// A message made of one of these (optionally followed by topics) subscribes.
    #[serde(default = "d_subscribe")]
    pub subscribe_keywords: Vec<String>,
    /// … unsubscribes (from everything, or from the topics named after it).
    #[serde(default = "d_unsubscribe")]
    pub unsubscribe_keywords: Vec<String>,
    /// … gets the list of topics to pick from.
    #[serde(default = "d_menu")]
    pub menu_keywords: Vec<String>,
}

impl Default for Subscriptions {
    fn default() -> Self {
        Subscriptions {
            topics: d_topics(),
            subscribe_keywords: d_subscribe(),
            unsubscribe_keywords: d_unsubscribe(),
            menu_keywords: d_menu(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Broadcast {
    /// The pace of broadcasts (Meta allows 80 per second per number, replies included).
    #[serde(default = "d_mps")]
    pub messages_per_second: u32,
    /// `!approve` must come from an admin other than the one who wrote the draft.
    #[serde(default)]
    pub require_second_approver: bool,
    /// Key of the `[templates.…]` entry (one parameter: the text) used for citizens outside
    /// the 24-hour window. Empty: they are skipped and counted in the report.
    #[serde(default)]
    pub template: String,
    /// For a broadcast with an attachment: per kind (`image`, `video`, `document`), the key of
    /// a `[templates.…]` entry whose header is of that kind (one body parameter: the text).
    /// A kind without one: citizens outside the window get `template`, text only.
    #[serde(default)]
    pub media_templates: std::collections::BTreeMap<String, String>,
    /// How often the progress message in the admin room is edited (seconds).
    #[serde(default = "d_progress")]
    pub progress_every_secs: u64,
    /// After a crash, how long to wait for Meta's statuses of sends whose outcome is unknown
    /// before sending them again (seconds).
    #[serde(default = "d_resolve")]
    pub resolve_wait_secs: u64,
}

impl Default for Broadcast {
    fn default() -> Self {
        Broadcast {
            messages_per_second: d_mps(),
            require_second_approver: false,
            template: String::new(),
            media_templates: Default::default(),
            progress_every_secs: d_progress(),
            resolve_wait_secs: d_resolve(),
        }
    }
}

fn d_topics() -> Vec<Topic> {
    [
        ("eventi", "Eventi, cultura e manifestazioni in città"),
        ("viabilità", "Traffico, strade chiuse, lavori e trasporti"),
        ("orari", "Orari e chiusure degli uffici comunali"),
        ("bandi", "Bandi, concorsi e contributi"),
        ("scadenze", "Scadenze di tasse, iscrizioni e domande"),
        ("emergenze", "Allerte meteo, protezione civile, emergenze"),
    ]
    .into_iter()
    .map(|(name, description)| Topic {
        name: name.into(),
        description: description.into(),
    })
    .collect()
}

fn words(w: &[&str]) -> Vec<String> {
    w.iter().map(|s| s.to_string()).collect()
}
fn d_subscribe() -> Vec<String> {
    words(&["iscrivimi", "iscrivi", "iscrizione", "subscribe", "start"])
}
fn d_unsubscribe() -> Vec<String> {
    words(&["cancellami", "disiscrivimi", "stop", "unsubscribe", "basta"])
}
fn d_menu() -> Vec<String> {
    words(&["menu", "menù", "liste", "notizie", "news"])
}
fn d_mps() -> u32 {
    // Meta's 80 per second, less room for answers to citizens.
    72
}
fn d_progress() -> u64 {
    3
}
fn d_resolve() -> u64 {
    60
}

impl Subscriptions {
    /// The problems of the lists and broadcasts, the template names given checked against the
    /// `[templates.…]` entries.
    pub(super) fn problems(&self, templates: &[&String], b: &Broadcast) -> Vec<String> {
        let mut p = self.problems_without_templates(b);
        if !b.template.is_empty() && !templates.contains(&&b.template) {
            p.push(format!(
                "broadcast.template = \"{}\" is not one of the [templates.…] entries.",
                b.template
            ));
        }
        for (kind, key) in &b.media_templates {
            if !templates.contains(&key) {
                p.push(format!(
                    "broadcast.media_templates.{kind} = \"{key}\" is not one of the [templates.…] entries."
                ));
            }
        }
        p
    }

    /// The problems of the lists and broadcasts that do not depend on which templates exist.
    pub(super) fn problems_without_templates(&self, b: &Broadcast) -> Vec<String> {
        let mut p = Vec::new();
        if self.topics.len() > 8 {
            p.push(format!(
                "subscriptions.topics has {} topics; WhatsApp's list message shows 10 rows, so at most 8 topics fit with \"all\" and \"unsubscribe\".",
                self.topics.len()
            ));
        }
        for t in &self.topics {
            if t.name.trim().is_empty() || t.name.contains(char::is_whitespace) {
                p.push(format!(
                    "subscriptions.topics: \"{}\" must be one word.",
                    t.name
                ));
            }
            if t.name.chars().count() > 24 || t.description.chars().count() > 72 {
                p.push(format!(
                    "subscriptions.topics: \"{}\" is too long for WhatsApp's list (name ≤ 24, description ≤ 72 characters).",
                    t.name
                ));
            }
        }
        if b.messages_per_second == 0 {
            p.push("broadcast.messages_per_second must be at least 1.".into());
        }
        if b.progress_every_secs == 0 {
            p.push("broadcast.progress_every_secs must be at least 1.".into());
        }
        for kind in b.media_templates.keys() {
            if !["image", "video", "document"].contains(&kind.as_str()) {
                p.push(format!(
                    "broadcast.media_templates: \"{kind}\" is not a header kind (image, video, document)."
                ));
            }
        }
        p
    }
}
