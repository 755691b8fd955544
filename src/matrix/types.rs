//! What arrives from the homeserver: transactions parsed into the events the bridge cares
//! about, with ruma's event types doing the validation.

use ruma::events::{
    AnyMessageLikeEvent, AnyTimelineEvent, MessageLikeEvent,
    room::message::{MessageType, RoomMessageEventContent},
};
use ruma::serde::Raw;
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Transaction {
    #[serde(default)]
    events: Vec<Raw<AnyTimelineEvent>>,
}

/// A timeline event from a transaction, reduced to what routing needs.
#[derive(Debug, Clone)]
pub struct TxnEvent {
    pub event_id: String,
    pub room_id: String,
    pub sender: String,
    pub event_type: String,
    /// The raw event JSON, kept for the queue.
    pub raw: Value,
}

/// Parses a transaction body. Events ruma cannot read are returned as `Err` items so the
/// caller can report them without losing the rest.
pub fn parse_transaction(body: &[u8]) -> Result<Vec<Result<TxnEvent, String>>, String> {
    let unreadable = |e: serde_json::Error| crate::ids::without_values(&e.to_string());
    let t: Transaction = serde_json::from_slice(body).map_err(unreadable)?;
    Ok(t.events
        .into_iter()
        .map(|raw| {
            let v: Value = serde_json::from_str(raw.json().get()).map_err(unreadable)?;
            let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
            match (s("event_id"), s("room_id"), s("sender"), s("type")) {
                (Some(event_id), Some(room_id), Some(sender), Some(event_type)) => Ok(TxnEvent {
                    event_id,
                    room_id,
                    sender,
                    event_type,
                    raw: v,
                }),
                _ => Err("event without event_id, room_id, sender or type".to_owned()),
            }
        })
        .collect())
}

/// Ephemeral data from a transaction that the bridge acts on.
#[derive(Debug, Clone, PartialEq)]
pub enum Ephemeral {
    /// `user_id` has read up to `event_id` (public `m.read` receipts only).
    Read {
        room_id: String,
        event_id: String,
        user_id: String,
    },
    /// These users are typing in the room now.
    Typing {
        room_id: String,
        user_ids: Vec<String>,
    },
}

/// The receipts and typing notices of a transaction (stable and MSC2409 keys).
pub fn parse_ephemeral(body: &[u8]) -> Vec<Ephemeral> {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let mut out = Vec::new();
    let lists = ["ephemeral", "de.sorunome.msc2409.ephemeral"];
    for e in lists
        .iter()
        .filter_map(|k| v.get(*k).and_then(Value::as_array))
        .flatten()
    {
        let Some(room_id) = e.get("room_id").and_then(Value::as_str) else {
            continue;
        };
        match e.get("type").and_then(Value::as_str) {
            Some("m.receipt") => {
                for (event_id, kinds) in e["content"].as_object().into_iter().flatten() {
                    for user_id in kinds
                        .get("m.read")
                        .and_then(Value::as_object)
                        .into_iter()
                        .flat_map(|m| m.keys())
                    {
                        out.push(Ephemeral::Read {
                            room_id: room_id.into(),
                            event_id: event_id.clone(),
                            user_id: user_id.clone(),
                        });
                    }
                }
            }
            Some("m.typing") => {
                let user_ids = e["content"]["user_ids"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                out.push(Ephemeral::Typing {
                    room_id: room_id.into(),
                    user_ids,
                });
            }
            _ => {}
        }
    }
    // Both keys may carry the same data.
    let mut unique = Vec::new();
    for e in out {
        if !unique.contains(&e) {
            unique.push(e);
        }
    }
    unique
}

/// A member's place in a room, as an `m.room.member` event leaves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Membership {
    Join,
    Invite,
    /// Left or was kicked.
    Leave,
    Ban,
    Knock,
}

/// Whose membership an `m.room.member` event changed, and to what; `None` for any other
/// event or an unreadable one.
pub fn member_change(ev: &TxnEvent) -> Option<(String, Membership)> {
    if ev.event_type != "m.room.member" {
        return None;
    }
    let user = ev.raw.get("state_key")?.as_str()?;
    let membership = match ev.raw.get("content")?.get("membership")?.as_str()? {
        "join" => Membership::Join,
        "invite" => Membership::Invite,
        "leave" => Membership::Leave,
        "ban" => Membership::Ban,
        "knock" => Membership::Knock,
        _ => return None,
    };
    Some((user.to_owned(), membership))
}

/// A staff member's message, as the WhatsApp side needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct StaffMessage {
    pub kind: StaffKind,
    /// Plain body, reply fallback removed.
    pub body: String,
    /// `org.matrix.custom.html` body, reply fallback removed.
    pub html: Option<String>,
    pub reply_to: Option<String>,
    /// Edits (`m.replace`) are recognised so they are not sent as new messages.
    pub is_edit: bool,
    /// The event content as sent (media URL and info, geo URI, …).
    pub content: Value,
}

/// What a staff member did in a portal, as far as WhatsApp is concerned.
#[derive(Debug, Clone, PartialEq)]
pub enum StaffEvent {
    /// `m.room.message` or `m.sticker`.
    Message(StaffMessage),
    /// An `m.annotation` reaction.
    Reaction { target: String, key: String },
    /// A redaction (of a message or of a reaction).
    Redaction { redacts: String },
    /// A poll, which WhatsApp cannot carry.
    Poll,
}

/// Classifies a timeline event from a portal; `None` for what WhatsApp has no use for.
pub fn staff_event(event: &Value) -> Option<StaffEvent> {
    let content = event.get("content").cloned().unwrap_or(Value::Null);
    match event.get("type")?.as_str()? {
        "m.room.message" => staff_message(event).map(StaffEvent::Message),
        "m.sticker" => Some(StaffEvent::Message(StaffMessage {
            kind: StaffKind::Other("m.sticker".into()),
            body: content["body"].as_str().unwrap_or("sticker").to_owned(),
            html: None,
            reply_to: None,
            is_edit: false,
            content,
        })),
        "m.reaction" => {
            let rel = content.get("m.relates_to")?;
            (rel.get("rel_type")?.as_str()? == "m.annotation").then(|| StaffEvent::Reaction {
                target: rel["event_id"].as_str().unwrap_or_default().to_owned(),
                key: rel["key"].as_str().unwrap_or_default().to_owned(),
            })
        }
        // Room v11+ carry `redacts` in the content, older versions at the top level.
        "m.room.redaction" => content
            .get("redacts")
            .or_else(|| event.get("redacts"))
            .and_then(Value::as_str)
            .map(|r| StaffEvent::Redaction {
                redacts: r.to_owned(),
            }),
        "m.poll.start" | "org.matrix.msc3381.poll.start" => Some(StaffEvent::Poll),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum StaffKind {
    Text,
    Emote,
    Notice,
    /// Any other msgtype (media, location, …): its name.
    Other(String),
}

/// Reads an `m.room.message` event with ruma; `None` if it is not one (or redacted).
pub fn staff_message(event: &Value) -> Option<StaffMessage> {
    let raw: Raw<AnyTimelineEvent> = Raw::from_json(serde_json::value::to_raw_value(event).ok()?);
    let AnyTimelineEvent::MessageLike(AnyMessageLikeEvent::RoomMessage(
        MessageLikeEvent::Original(ev),
    )) = raw.deserialize().ok()?
    else {
        return None;
    };
    let content: RoomMessageEventContent = ev.content;
    let (kind, body, formatted) = match &content.msgtype {
        MessageType::Text(t) => (StaffKind::Text, t.body.clone(), t.formatted.clone()),
        MessageType::Emote(t) => (StaffKind::Emote, t.body.clone(), t.formatted.clone()),
        MessageType::Notice(t) => (StaffKind::Notice, t.body.clone(), t.formatted.clone()),
        other => (
            StaffKind::Other(other.msgtype().to_owned()),
            other.body().to_owned(),
            None,
        ),
    };
    let rel = event.get("content").and_then(|c| c.get("m.relates_to"));
    let reply_to = rel
        .and_then(|r| r.get("m.in_reply_to"))
        .and_then(|r| r.get("event_id"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let is_edit = rel.and_then(|r| r.get("rel_type")).and_then(Value::as_str) == Some("m.replace");
    let html = formatted
        .filter(|f| f.format == ruma::events::room::message::MessageFormat::Html)
        .map(|f| strip_html_reply_fallback(&f.body));
    let body = if reply_to.is_some() {
        strip_plain_reply_fallback(&body)
    } else {
        body
    };
    Some(StaffMessage {
        kind,
        body,
        html,
        reply_to,
        is_edit,
        content: event.get("content").cloned().unwrap_or(Value::Null),
    })
}

/// Removes `<mx-reply>…</mx-reply>` (older clients quote the replied-to message there).
fn strip_html_reply_fallback(html: &str) -> String {
    match (html.find("<mx-reply>"), html.find("</mx-reply>")) {
        (Some(a), Some(b)) if b > a => {
            format!("{}{}", &html[..a], &html[b + "</mx-reply>".len()..])
        }
        _ => html.to_owned(),
    }
}

/// Removes the leading `> ` quote lines and the blank line after them.
/// A plain body without the `> ` reply fallback some clients still put in front.
pub fn strip_plain_reply_fallback(body: &str) -> String {
    if !body.starts_with("> ") {
        return body.to_owned();
    }
    let mut lines = body
        .lines()
        .skip_while(|l| l.starts_with("> ") || *l == ">");
    let mut rest: Vec<&str> = Vec::new();
    if let Some(first) = lines.next()
        && !first.is_empty()
    {
        rest.push(first);
    }
    rest.extend(lines);
    rest.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(content: Value) -> Value {
        json!({"type": "m.room.message", "event_id": "$e", "room_id": "!r:x", "sender": "@m:x",
               "origin_server_ts": 1, "content": content})
    }

    #[test]
    fn reads_text_html_and_reply_without_fallback() {
        let m = staff_message(&ev(json!({
            "msgtype": "m.text",
            "body": "> <@w:x> question\n\nanswer",
            "format": "org.matrix.custom.html",
            "formatted_body": "<mx-reply><blockquote>q</blockquote></mx-reply><b>answer</b>",
            "m.relates_to": {"m.in_reply_to": {"event_id": "$q"}}
        })))
        .unwrap();
        assert_eq!(m.kind, StaffKind::Text);
        assert_eq!(m.body, "answer");
        assert_eq!(m.html.as_deref(), Some("<b>answer</b>"));
        assert_eq!(m.reply_to.as_deref(), Some("$q"));
    }

    #[test]
    fn recognises_emote_media_and_edits() {
        assert_eq!(
            staff_message(&ev(json!({"msgtype": "m.emote", "body": "waves"})))
                .unwrap()
                .kind,
            StaffKind::Emote
        );
        let img = staff_message(&ev(
            json!({"msgtype": "m.image", "body": "x.png", "url": "mxc://x/y"}),
        ))
        .unwrap();
        assert_eq!(img.kind, StaffKind::Other("m.image".into()));
        let edit = staff_message(&ev(json!({"msgtype": "m.text", "body": "* fixed",
            "m.new_content": {"msgtype": "m.text", "body": "fixed"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": "$o"}})))
        .unwrap();
        assert!(edit.is_edit);
        assert!(staff_message(&json!({"type": "m.room.member", "event_id": "$e", "room_id": "!r:x",
            "sender": "@m:x", "origin_server_ts": 1, "state_key": "@m:x", "content": {"membership": "join"}})).is_none());
    }

    #[test]
    fn ephemeral_receipts_and_typing() {
        let body = json!({
            "ephemeral": [
                {"type": "m.receipt", "room_id": "!r:x", "content": {"$e": {"m.read": {"@m:x": {"ts": 1}}, "m.read.private": {"@p:x": {"ts": 1}}}}},
                {"type": "m.typing", "room_id": "!r:x", "content": {"user_ids": ["@m:x"]}},
                {"type": "m.presence", "content": {}}
            ],
            "de.sorunome.msc2409.ephemeral": [
                {"type": "m.typing", "room_id": "!r:x", "content": {"user_ids": ["@m:x"]}}
            ]
        });
        let e = parse_ephemeral(body.to_string().as_bytes());
        assert_eq!(
            e,
            vec![
                Ephemeral::Read {
                    room_id: "!r:x".into(),
                    event_id: "$e".into(),
                    user_id: "@m:x".into()
                },
                Ephemeral::Typing {
                    room_id: "!r:x".into(),
                    user_ids: vec!["@m:x".into()]
                },
            ]
        );
    }

    #[test]
    fn transaction_keeps_good_events_and_reports_bad_ones() {
        let body =
            json!({"events": [ev(json!({"msgtype": "m.text", "body": "hi"})), {"type": "x"}]});
        let evs = parse_transaction(body.to_string().as_bytes()).unwrap();
        assert!(evs[0].is_ok());
        assert!(evs[1].is_err());
        assert!(parse_transaction(b"[").is_err());
    }
}
