//! WhatsApp ⇄ Matrix content conversion. Pure: no I/O, no store, no clock.
//! Later message families (media, location, contacts, interactive) get a file each.

pub mod attachment;
pub mod echo;
pub mod inbound;
pub mod markup;
pub mod outbound;

pub use attachment::Attachment;
pub use inbound::{MediaRef, Reaction, Uploaded, citizen_to_matrix};
pub use outbound::{MediaOut, Outbound, Refusal, staff_to_outbound};

use serde_json::{Value, json};

use crate::ids::CitizenKey;

/// A Matrix event to send: type and content.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixEvent {
    pub event_type: &'static str,
    pub content: Value,
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
