//! The three webhooks of a number that stays on the WhatsApp Business app ("coexistence"),
//! typed: `smb_message_echoes` (what the office sent, edited or deleted from the phone),
//! `history` (the chats shared once at onboarding, in chunks; a later webhook with `messages[]`
//! brings the media of a placeholder; a refusal comes as `errors[]`) and `smb_app_state_sync`
//! (the phone's contacts). Tolerant as `webhook.rs` is: a bad item is reported, never fatal.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{Bsuid, WaId, WaMessageId};
use crate::whatsapp::kind::Kind;
use crate::whatsapp::webhook::{Context, InboundMessage, Update, int_or_string, str_field};

/// The webhook fields of coexistence.
pub const FIELDS: [&str; 3] = ["smb_message_echoes", "history", "smb_app_state_sync"];

/// What the office did from the app.
#[derive(Debug, Clone, PartialEq)]
pub enum EchoWhat {
    /// A message sent: its object as Meta gives it (`type` and `<type>`, like a citizen's).
    Message { kind: Kind, raw: Value },
    /// One of its messages edited: the new message object.
    Edit { original: WaMessageId, raw: Value },
    /// One of its messages deleted.
    Revoke { original: WaMessageId },
}

/// A message echo: something the office did in the app, for one citizen.
#[derive(Debug, Clone, PartialEq)]
pub struct Echo {
    pub id: WaMessageId,
    /// The citizen (`to`, a leading `+` dropped), or their business-scoped id.
    pub to: Option<WaId>,
    pub to_bsuid: Option<Bsuid>,
    pub timestamp: Option<i64>,
    pub what: EchoWhat,
}

/// One message of the shared history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryMessage {
    pub id: String,
    /// Sent by the office (else by the citizen of the thread).
    pub from_office: bool,
    /// Unix seconds (the device's time).
    pub timestamp: i64,
    /// The message object as Meta gives it.
    pub raw: Value,
}

impl HistoryMessage {
    /// A `media_placeholder`: its media comes in a later webhook, under the same id.
    pub fn is_placeholder(&self) -> bool {
        self.raw["type"] == "media_placeholder"
    }
}

/// One citizen's chat in a chunk of history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryThread {
    pub phone: String,
    pub messages: Vec<HistoryMessage>,
}

/// A chunk of the shared history. `progress` 100: the sync is complete.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryChunk {
    pub phase: u8,
    pub chunk_order: u32,
    pub progress: u8,
    pub threads: Vec<HistoryThread>,
}

/// The phone's owner did not share the history (2593109), or Meta could not.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRefusal {
    pub code: i64,
    pub title: String,
    pub details: String,
}

/// A contact of the phone's address book, added (or edited) or removed.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactSync {
    pub phone: WaId,
    /// `full_name`, else `first_name` (none on a removal).
    pub name: Option<String>,
    pub removed: bool,
    pub timestamp: Option<i64>,
}

/// A message object of the office's or of the history (no sender of its own) as a message to
/// convert: its kind from `type`, the message it answers from `context.id`.
pub fn as_message(id: &str, timestamp: Option<i64>, raw: Value) -> InboundMessage {
    InboundMessage {
        id: WaMessageId::new(id),
        phone: None,
        bsuid: None,
        profile_name: None,
        timestamp,
        kind: Kind::from(str_field(&raw, "type").unwrap_or("unknown").to_owned()),
        context: Context {
            reply_to: raw
                .get("context")
                .and_then(|c| str_field(c, "id"))
                .map(WaMessageId::new),
            ..Context::default()
        },
        raw,
    }
}

fn array<'a>(v: &'a Value, k: &str) -> impl Iterator<Item = &'a Value> {
    v.get(k).and_then(Value::as_array).into_iter().flatten()
}

/// A number as Meta writes it in these webhooks (sometimes with a `+`).
fn number(v: &Value, k: &str) -> Option<WaId> {
    str_field(v, k).and_then(|s| WaId::parse(s.trim_start_matches('+')))
}

fn bad(reason: &str, raw: &Value) -> Update {
    Update::Bad {
        reason: reason.to_owned(),
        raw: raw.clone(),
    }
}

/// The updates of one coexistence change (`field` is one of [`FIELDS`]).
pub fn parse(field: &str, value: &Value) -> Vec<Update> {
    match field {
        "smb_message_echoes" => {
            let business = value["metadata"]["display_phone_number"]
                .as_str()
                .map(|b| b.trim_start_matches('+'));
            let contacts: Vec<&Value> = array(value, "contacts").collect();
            array(value, "message_echoes")
                .map(|e| parse_echo(e, business, &contacts))
                .collect()
        }
        "smb_app_state_sync" => array(value, "state_sync").map(parse_contact).collect(),
        _ => parse_history(value),
    }
}

/// The citizen of an echo: `to` as Meta documents it — or, as some senders write it, the one
/// of `to` and `from` that is not the business's number; else the only contact given.
fn echo_citizen(e: &Value, business: Option<&str>, contacts: &[&Value]) -> Option<WaId> {
    let not_ours = |w: &WaId| business != Some(w.expose());
    number(e, "to")
        .filter(not_ours)
        .or_else(|| number(e, "from").filter(not_ours))
        .or_else(|| match contacts {
            [c] => number(c, "wa_id"),
            _ => None,
        })
}

fn parse_echo(e: &Value, business: Option<&str>, contacts: &[&Value]) -> Update {
    let Some(id) = str_field(e, "id") else {
        return bad("a message echo without an id", e);
    };
    let to = echo_citizen(e, business, contacts);
    let to_bsuid = str_field(e, "to_user_id")
        .or_else(|| match contacts {
            [c] => str_field(c, "user_id"),
            _ => None,
        })
        .and_then(Bsuid::parse);
    if to.is_none() && to_bsuid.is_none() {
        return bad("a message echo names no citizen (to)", e);
    }
    let original = |k: &str| {
        e.get(k)
            .and_then(|o| str_field(o, "original_message_id"))
            .map(WaMessageId::new)
    };
    let what = match str_field(e, "type") {
        Some("revoke") => match original("revoke") {
            Some(original) => EchoWhat::Revoke { original },
            None => return bad("a revoke echo without the original message's id", e),
        },
        Some("edit") => match (original("edit"), e["edit"].get("message")) {
            (Some(original), Some(m)) if m.is_object() => EchoWhat::Edit {
                original,
                raw: m.clone(),
            },
            _ => return bad("an edit echo without the original id or the new message", e),
        },
        Some(kind) => EchoWhat::Message {
            kind: Kind::from(kind.to_owned()),
            raw: e.clone(),
        },
        None => return bad("a message echo without a type", e),
    };
    Update::Echo(Box::new(Echo {
        id: WaMessageId::new(id),
        to,
        to_bsuid,
        timestamp: int_or_string(e.get("timestamp")),
        what,
    }))
}

fn parse_contact(s: &Value) -> Update {
    if str_field(s, "type").is_some_and(|t| t != "contact") {
        return Update::Other {
            field: "smb_app_state_sync (not a contact)".into(),
        };
    }
    let c = &s["contact"];
    let Some(phone) = number(c, "phone_number") else {
        return bad("a synced contact without a phone number", s);
    };
    let name = str_field(c, "full_name")
        .or_else(|| str_field(c, "first_name"))
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    Update::ContactSync(ContactSync {
        phone,
        name,
        removed: str_field(s, "action") == Some("remove"),
        timestamp: int_or_string(s.get("metadata").and_then(|m| m.get("timestamp"))),
    })
}

fn parse_history(value: &Value) -> Vec<Update> {
    let mut out = Vec::new();
    let media: Vec<HistoryMessage> = array(value, "messages")
        .filter_map(|m| history_message(m, None))
        .collect();
    if !media.is_empty() {
        out.push(Update::HistoryMedia(media));
    }
    for h in array(value, "history") {
        for e in array(h, "errors") {
            out.push(Update::HistoryRefused(HistoryRefusal {
                code: e["code"].as_i64().unwrap_or(0),
                title: str_field(e, "title").unwrap_or_default().to_owned(),
                details: e["error_data"]["details"]
                    .as_str()
                    .or_else(|| str_field(e, "message"))
                    .unwrap_or_default()
                    .to_owned(),
            }));
        }
        if h.get("errors").is_some() && h.get("threads").is_none() {
            continue;
        }
        let meta = &h["metadata"];
        let threads = array(h, "threads")
            .filter_map(|t| {
                let phone = number(t, "id")?;
                let messages = array(t, "messages")
                    .filter_map(|m| history_message(m, Some(phone.expose())))
                    .collect();
                Some(HistoryThread {
                    phone: phone.expose().to_owned(),
                    messages,
                })
            })
            .collect();
        let small = |k: &str| int_or_string(meta.get(k)).unwrap_or(0).clamp(0, 255) as u8;
        out.push(Update::History(Box::new(HistoryChunk {
            phase: small("phase"),
            chunk_order: int_or_string(meta.get("chunk_order"))
                .unwrap_or(0)
                .clamp(0, u32::MAX as i64) as u32,
            progress: small("progress").min(100),
            threads,
        })));
    }
    out
}

/// A history message; `thread`: the citizen's number (none for a media follow-up, whose
/// sender is known by its id).
fn history_message(m: &Value, thread: Option<&str>) -> Option<HistoryMessage> {
    let id = str_field(m, "id")?;
    str_field(m, "type")?;
    let from = str_field(m, "from").map(|f| f.trim_start_matches('+'));
    Some(HistoryMessage {
        id: id.to_owned(),
        from_office: thread.is_some_and(|t| from != Some(t)),
        timestamp: int_or_string(m.get("timestamp")).unwrap_or(0),
        raw: m.clone(),
    })
}

#[cfg(test)]
mod tests;
