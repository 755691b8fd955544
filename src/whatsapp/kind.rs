//! The kind of a citizen's message, as Meta names it in the message's `type`: one enum, so a
//! kind is matched, never compared as a string, and a kind Meta adds later is kept by name
//! (`Unknown`) and shown to staff as unsupported instead of being lost.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Kind {
    Text,
    Image,
    Video,
    Audio,
    Voice,
    Document,
    Sticker,
    Location,
    Contacts,
    /// A list pick or a reply button of an interactive message.
    Interactive,
    /// A template's quick-reply button.
    Button,
    Order,
    /// Meta's own note: a number or business-scoped id changed.
    System,
    Reaction,
    /// Meta's "unsupported" (a kind the Cloud API does not deliver).
    Unsupported,
    /// A kind this bridge does not know yet, as Meta named it.
    Unknown(String),
}

const NAMED: [(Kind, &str); 15] = [
    (Kind::Text, "text"),
    (Kind::Image, "image"),
    (Kind::Video, "video"),
    (Kind::Audio, "audio"),
    (Kind::Voice, "voice"),
    (Kind::Document, "document"),
    (Kind::Sticker, "sticker"),
    (Kind::Location, "location"),
    (Kind::Contacts, "contacts"),
    (Kind::Interactive, "interactive"),
    (Kind::Button, "button"),
    (Kind::Order, "order"),
    (Kind::System, "system"),
    (Kind::Reaction, "reaction"),
    (Kind::Unsupported, "unsupported"),
];

impl Kind {
    /// The kind Meta's `type` names.
    pub fn parse(name: &str) -> Kind {
        NAMED
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(k, _)| k.clone())
            .unwrap_or_else(|| Kind::Unknown(name.to_owned()))
    }

    /// Meta's name for it: also the key of the message's own object in the payload.
    pub fn as_str(&self) -> &str {
        match self {
            Kind::Unknown(name) => name,
            known => NAMED
                .iter()
                .find(|(k, _)| k == known)
                .map(|(_, n)| *n)
                .unwrap_or("unknown"),
        }
    }

    /// Its name for logs and metric labels: never anything but a plain word.
    pub fn label(&self) -> &str {
        crate::ids::plain_word(self.as_str())
    }

    /// A file delivered by media id (fetched from the Graph API before conversion).
    pub fn is_media(&self) -> bool {
        matches!(
            self,
            Kind::Image | Kind::Video | Kind::Audio | Kind::Voice | Kind::Document | Kind::Sticker
        )
    }
}

impl From<String> for Kind {
    fn from(name: String) -> Kind {
        Kind::parse(&name)
    }
}

impl From<Kind> for String {
    fn from(k: Kind) -> String {
        k.as_str().to_owned()
    }
}

/// In logs: Meta's name, or `other` for a name that is not a plain word (see
/// [`crate::ids::plain_word`]).
impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back_and_unknown_kinds_are_kept() {
        for (k, n) in &NAMED {
            assert_eq!(Kind::parse(n), *k);
            assert_eq!(k.as_str(), *n);
        }
        let new = Kind::parse("request_welcome");
        assert_eq!(new, Kind::Unknown("request_welcome".into()));
        assert_eq!(new.to_string(), "request_welcome");
        // Stored queue items keep the kind as Meta's name.
        assert_eq!(serde_json::to_string(&Kind::System).unwrap(), "\"system\"");
        let back: Kind = serde_json::from_str("\"ephemeral\"").unwrap();
        assert_eq!(back, Kind::Unknown("ephemeral".into()));
        assert!(Kind::Voice.is_media() && !Kind::Text.is_media());
    }
}
