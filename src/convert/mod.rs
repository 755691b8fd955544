//! WhatsApp ⇄ Matrix content conversion. Pure: no I/O, no store, no clock.
//! Later message families (media, location, contacts, interactive) get a file each.

pub mod inbound;
pub mod markup;

pub use inbound::{MediaRef, Reaction, Uploaded, citizen_to_matrix};

use serde_json::{Value, json};

use crate::ids::CitizenKey;
use crate::matrix::types::{StaffKind, StaffMessage};

/// WhatsApp's limit on a text body, in characters.
pub const MAX_TEXT_CHARS: usize = 4096;

/// A Matrix event to send: type and content.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixEvent {
    pub event_type: &'static str,
    pub content: Value,
}

/// Why a staff message is not sent to WhatsApp; the sentence is shown in the room.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    #[error(
        "WhatsApp cannot edit a message once it is sent; the citizen still sees the original. Send the correction as a new message."
    )]
    Edit,
    #[error(
        "{0} messages are not sent to WhatsApp by this version of Sportello; send the content as text instead."
    )]
    Unsupported(String),
    #[error(
        "The message is too long for WhatsApp ({0} characters; the limit is 4096). Split it into shorter messages."
    )]
    TooLong(usize),
    #[error("The message is empty.")]
    Empty,
}

/// A staff message as the WhatsApp text body, with the signature line appended.
pub fn staff_to_whatsapp(m: &StaffMessage, signature: Option<&str>) -> Result<String, Refusal> {
    if m.is_edit {
        return Err(Refusal::Edit);
    }
    let text = match &m.html {
        Some(h) => markup::html_to_wa(h),
        None => m.body.clone(),
    };
    let text = match &m.kind {
        StaffKind::Text | StaffKind::Notice => text,
        StaffKind::Emote => format!("_{}_", text.trim()),
        StaffKind::Other(kind) => return Err(Refusal::Unsupported(kind.clone())),
    };
    if text.trim().is_empty() {
        return Err(Refusal::Empty);
    }
    let text = match signature.filter(|s| !s.trim().is_empty()) {
        Some(s) => format!("{text}\n\n— {s}"),
        None => text,
    };
    let n = text.chars().count();
    if n > MAX_TEXT_CHARS {
        return Err(Refusal::TooLong(n));
    }
    Ok(text)
}

/// The room name from the configured template: `{name}`, `{number}` (masked), `{full_number}`.
pub fn room_name(template: &str, profile_name: Option<&str>, citizen: &CitizenKey) -> String {
    let (masked, full) = match citizen {
        CitizenKey::Phone(p) => (p.masked(), format!("+{}", p.expose())),
        CitizenKey::Bsuid(b) => (b.masked(), b.masked()),
    };
    template
        .replace("{name}", profile_name.unwrap_or("WhatsApp user"))
        .replace("{number}", &masked)
        .replace("{full_number}", &full)
}

/// The ghost's display name: the WhatsApp profile name, or the masked number.
pub fn ghost_displayname(profile_name: Option<&str>, citizen: &CitizenKey) -> String {
    match profile_name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => format!("{n} (WhatsApp)"),
        None => format!("{} (WhatsApp)", citizen.masked()),
    }
}

/// A notice from the bot, optionally replying to an event.
pub fn notice(text: &str, reply_to: Option<&str>) -> Value {
    let mut c = json!({"msgtype": "m.notice", "body": text});
    if let Some(ev) = reply_to {
        c["m.relates_to"] = json!({"m.in_reply_to": {"event_id": ev}});
    }
    c
}

#[cfg(test)]
mod tests;
