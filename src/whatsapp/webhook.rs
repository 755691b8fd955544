//! Meta's webhook, parsed: a notification into updates (the signature is checked before,
//! in `signature.rs`). Unknown fields are ignored, unknown kinds are kept with
//! their raw JSON, and one bad item never takes its neighbours down with it.

use serde::Deserialize;
use serde_json::Value;

use crate::ids::{Bsuid, CitizenKey, WaId, WaMessageId, without_values};
use crate::whatsapp::kind::Kind;
use crate::whatsapp::status::parse_status;
pub use crate::whatsapp::status::{Status, StatusPricing, StatusUpdate};
use crate::whatsapp::{coexistence, templates};

#[derive(Debug, Deserialize)]
struct Notification {
    #[serde(default)]
    object: Option<String>,
    entry: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
struct Entry {
    /// The business account (WABA) id.
    #[serde(default)]
    id: Value,
    #[serde(default)]
    changes: Vec<Change>,
}

impl Entry {
    /// Its changes, each with the account's id.
    fn changes(self) -> impl Iterator<Item = (String, Change)> {
        let waba = match &self.id {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => String::new(),
        };
        self.changes.into_iter().map(move |c| (waba.clone(), c))
    }
}

#[derive(Debug, Deserialize)]
struct Change {
    #[serde(default)]
    field: String,
    #[serde(default)]
    value: Value,
}

/// A reply/forward context on an inbound message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    /// The wamid of the business message replied to (or whose button was tapped).
    pub reply_to: Option<WaMessageId>,
    pub forwarded: bool,
    pub frequently_forwarded: bool,
}

/// One citizen message, identity resolved, body kept raw for conversion.
#[derive(Debug, Clone)]
pub struct InboundMessage {
    pub id: WaMessageId,
    pub phone: Option<WaId>,
    pub bsuid: Option<Bsuid>,
    pub profile_name: Option<String>,
    pub timestamp: Option<i64>,
    /// `text`, `image`, …: whatever Meta said (an unknown kind kept by name).
    pub kind: Kind,
    pub context: Context,
    /// The whole message object as received.
    pub raw: Value,
}

impl InboundMessage {
    /// The key the citizen was first seen under: the phone number if known.
    pub fn citizen_key(&self) -> CitizenKey {
        match (&self.phone, &self.bsuid) {
            (Some(p), _) => CitizenKey::Phone(p.clone()),
            (None, Some(b)) => CitizenKey::Bsuid(b.clone()),
            (None, None) => unreachable!("parse() rejects messages without identity"),
        }
    }

    /// The text of a `text` message.
    pub fn text_body(&self) -> Option<&str> {
        self.raw.get("text")?.get("body")?.as_str()
    }

    /// The citizen's new identity, when this is Meta's `system` message saying it changed:
    /// the new number of `user_changed_number` (`wa_id`, or `new_wa_id` in older payloads) or
    /// the new business-scoped id of `user_changed_user_id`.
    pub fn identity_change(&self) -> Option<CitizenKey> {
        if self.kind != Kind::System {
            return None;
        }
        let s = self.raw.get("system")?;
        match str_field(s, "type")? {
            "user_changed_number" => str_field(s, "wa_id")
                .and_then(WaId::parse)
                .or_else(|| str_field(s, "new_wa_id").and_then(WaId::parse))
                .map(CitizenKey::Phone),
            "user_changed_user_id" => str_field(s, "user_id")
                .and_then(Bsuid::parse)
                .map(CitizenKey::Bsuid),
            _ => None,
        }
    }
}

/// A citizen's business-scoped id was regenerated (`user_id_update`, after a number change).
#[derive(Debug, Clone)]
pub struct IdentityUpdate {
    /// The citizen's number, when Meta gave it.
    pub phone: Option<WaId>,
    pub previous: Option<Bsuid>,
    pub current: Bsuid,
}

/// A citizen's marketing-messages setting changed in WhatsApp (`user_preferences`).
#[derive(Debug, Clone)]
pub struct Preference {
    pub phone: Option<WaId>,
    pub bsuid: Option<Bsuid>,
    /// `stop`, `resume` or `signup`.
    pub value: String,
    pub category: String,
    pub timestamp: Option<i64>,
}

#[derive(Debug, Clone)]
pub enum Update {
    Message(InboundMessage),
    Status(StatusUpdate),
    /// A `user_preferences` change (marketing stop/resume).
    Preference(Preference),
    /// A `user_id_update`: the citizen's business-scoped id changed.
    IdentityUpdate(IdentityUpdate),
    /// A template's status, quality or category changed at Meta.
    Template(Box<crate::whatsapp::templates::TemplateEvent>),
    /// Value-level `errors[]` that belong to no message (e.g. 130429).
    Errors(Vec<Value>),
    /// Coexistence: something the office sent, edited or deleted in the WhatsApp Business app.
    Echo(Box<coexistence::Echo>),
    /// Coexistence: a chunk of the chat history shared at onboarding.
    History(Box<coexistence::HistoryChunk>),
    /// Coexistence: the media of history placeholders, under their ids.
    HistoryMedia(Vec<coexistence::HistoryMessage>),
    /// Coexistence: the history was not shared (the phone's owner turned it off).
    HistoryRefused(coexistence::HistoryRefusal),
    /// Coexistence: a contact of the phone's address book.
    ContactSync(coexistence::ContactSync),
    /// A field Sportello does not handle (yet): acknowledged and logged.
    Other {
        field: String,
    },
    /// Addressed to another phone number id: acknowledged and dropped.
    ForeignNumber,
    /// An item that cannot be used; kept as a dead letter with the reason.
    Bad {
        reason: String,
        raw: Value,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    #[error("the body is not a WhatsApp notification (no entry[] list): {0}")]
    NotNotification(String),
}

/// Strings of Unix seconds, integers, or garbage (→ `None`).
pub(super) fn int_or_string(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub(super) fn str_field<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// A webhook field's name as it may be logged: Meta's are `snake_case` words; anything else
/// is not repeated.
fn field_name(field: &str) -> String {
    let plain = !field.is_empty()
        && field.len() <= 64
        && field.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if plain {
        field.to_owned()
    } else {
        "(not a field name)".to_owned()
    }
}

/// The body as a notification (errors never quote its values).
fn notification(body: &[u8]) -> Result<Notification, ParseError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| ParseError::NotJson(without_values(&e.to_string())))?;
    let n: Notification = serde_json::from_value(v)
        .map_err(|e| ParseError::NotNotification(without_values(&e.to_string())))?;
    if let Some(o) = &n.object
        && o != "whatsapp_business_account"
    {
        let o = without_values(&format!("\"{o}\""));
        return Err(ParseError::NotNotification(format!("object is {o}")));
    }
    Ok(n)
}

/// Splits a notification into updates for `phone_number_id` (others → `ForeignNumber`).
pub fn parse(body: &[u8], phone_number_id: &str) -> Result<Vec<Update>, ParseError> {
    let n = notification(body)?;
    let mut out = Vec::new();
    for (waba, change) in n.entry.into_iter().flat_map(Entry::changes) {
        if templates::FIELDS.contains(&change.field.as_str()) {
            out.push(template_update(&waba, change));
            continue;
        }
        let coexisting = coexistence::FIELDS.contains(&change.field.as_str());
        if !coexisting
            && !["messages", "user_preferences", "user_id_update"].contains(&change.field.as_str())
        {
            out.push(Update::Other {
                field: field_name(&change.field),
            });
            continue;
        }
        let value = change.value;
        let pnid = value
            .get("metadata")
            .and_then(|m| m.get("phone_number_id"))
            .and_then(Value::as_str);
        if pnid.is_some_and(|p| p != phone_number_id) {
            out.push(Update::ForeignNumber);
            continue;
        }
        if coexisting {
            out.extend(coexistence::parse(&change.field, &value));
            continue;
        }
        for p in value
            .get("user_preferences")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            out.push(parse_preference(p));
        }
        for u in value
            .get("user_id_update")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            out.push(parse_user_id_update(u));
        }
        let contacts: &[Value] = value
            .get("contacts")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for m in value
            .get("messages")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            out.push(parse_message(m, contacts));
        }
        for s in value
            .get("statuses")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            out.push(parse_status(s));
        }
        if let Some(errs) = value.get("errors").and_then(Value::as_array) {
            out.push(Update::Errors(errs.clone()));
        }
    }
    Ok(out)
}

/// A template webhook's change (the account's, not the number's: no `metadata`).
fn template_update(waba: &str, change: Change) -> Update {
    match templates::parse_event(waba, &change.field, &change.value) {
        Some(event) => Update::Template(Box::new(event)),
        None => Update::Bad {
            reason: format!("{} without a template's name", change.field),
            raw: change.value,
        },
    }
}

fn parse_message(m: &Value, contacts: &[Value]) -> Update {
    let bad = |reason: &str| Update::Bad {
        reason: reason.to_owned(),
        raw: m.clone(),
    };
    let Some(id) = str_field(m, "id") else {
        return bad("message without an id");
    };
    let Some(kind) = str_field(m, "type") else {
        return bad("message without a type");
    };
    let from = str_field(m, "from");
    let from_user = str_field(m, "from_user_id");
    // The matching contact: by wa_id/user_id, or the only one when `from` is absent.
    let contact = contacts
        .iter()
        .find(|c| {
            (from.is_some() && str_field(c, "wa_id") == from)
                || (from_user.is_some() && str_field(c, "user_id") == from_user)
        })
        .or(
            if from.is_none() && from_user.is_none() && contacts.len() == 1 {
                contacts.first()
            } else {
                None
            },
        );
    let phone_raw = from.or_else(|| contact.and_then(|c| str_field(c, "wa_id")));
    let bsuid_raw = from_user.or_else(|| contact.and_then(|c| str_field(c, "user_id")));
    let phone = phone_raw.and_then(WaId::parse);
    // Some senders put the BSUID in `from` too; accept it there.
    let bsuid = bsuid_raw
        .and_then(Bsuid::parse)
        .or_else(|| phone_raw.and_then(Bsuid::parse));
    let system_type = m.get("system").and_then(|s| str_field(s, "type"));
    if phone.is_none() && bsuid.is_none() && system_type == Some("user_changed_user_id") {
        // Meta names no sender here; the `user_id_update` it sends for the same change does.
        return Update::Other {
            field: "messages (user_changed_user_id without a sender)".into(),
        };
    }
    if phone.is_none() && bsuid.is_none() {
        return bad(match (phone_raw, bsuid_raw) {
            (Some(_), _) => {
                "the sender's number (from) is neither digits nor a business-scoped user id"
            }
            (None, Some(_)) => {
                "the sender has no phone number and a malformed business-scoped user id"
            }
            (None, None) => "the message names no sender (neither from nor from_user_id)",
        });
    }
    let ctx = m.get("context").cloned().unwrap_or(Value::Null);
    Update::Message(InboundMessage {
        id: WaMessageId::new(id),
        phone,
        bsuid,
        profile_name: contact
            .and_then(|c| c.get("profile"))
            .and_then(|p| str_field(p, "name"))
            .map(str::to_owned),
        timestamp: int_or_string(m.get("timestamp")),
        kind: Kind::parse(kind),
        context: Context {
            reply_to: str_field(&ctx, "id").map(WaMessageId::new),
            forwarded: ctx
                .get("forwarded")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            frequently_forwarded: ctx
                .get("frequently_forwarded")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        },
        raw: m.clone(),
    })
}

fn parse_preference(p: &Value) -> Update {
    let phone = str_field(p, "wa_id").and_then(WaId::parse);
    let bsuid = str_field(p, "user_id").and_then(Bsuid::parse);
    match (str_field(p, "value"), phone.is_some() || bsuid.is_some()) {
        (Some(value), true) => Update::Preference(Preference {
            phone,
            bsuid,
            value: value.to_owned(),
            category: str_field(p, "category").unwrap_or_default().to_owned(),
            timestamp: int_or_string(p.get("timestamp")),
        }),
        _ => Update::Bad {
            reason: "user preference without a value or a valid wa_id".into(),
            raw: p.clone(),
        },
    }
}

fn parse_user_id_update(u: &Value) -> Update {
    let id = |which: &str| {
        let ids = u.get("user_id");
        ids.and_then(|v| str_field(v, which)).and_then(Bsuid::parse)
    };
    match id("current") {
        Some(current) => Update::IdentityUpdate(IdentityUpdate {
            phone: str_field(u, "wa_id").and_then(WaId::parse),
            previous: id("previous"),
            current,
        }),
        None => Update::Bad {
            reason: "user id update without a valid current user id".into(),
            raw: u.clone(),
        },
    }
}

#[cfg(test)]
#[path = "webhook_tests.rs"]
mod tests;
