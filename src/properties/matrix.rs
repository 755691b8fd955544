//! What Synapse pushes: transactions, ephemeral data, staff events, and staff messages turned
//! into WhatsApp messages — none of it panics, whatever arrives.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::{italian, json_with_keys};
use crate::convert::outbound::staff_to_outbound;
use crate::matrix::types::{
    Membership, member_change, parse_ephemeral, parse_transaction, staff_event, staff_message,
    strip_plain_reply_fallback,
};

const KEYS: &[&str] = &[
    "events",
    "ephemeral",
    "de.sorunome.msc2409.ephemeral",
    "type",
    "content",
    "event_id",
    "room_id",
    "sender",
    "origin_server_ts",
    "m.read",
    "m.receipt",
    "m.typing",
    "user_ids",
    "msgtype",
    "body",
    "format",
    "formatted_body",
    "m.relates_to",
    "m.in_reply_to",
    "rel_type",
    "key",
    "redacts",
    "url",
    "info",
    "mimetype",
    "size",
    "geo_uri",
    "filename",
    "m.new_content",
    "ts",
    "unsigned",
    "m.room.message",
    "m.reaction",
    "m.text",
    "m.image",
    "m.file",
    "m.location",
    "m.emote",
    "m.notice",
    "org.matrix.custom.html",
    "m.annotation",
    "m.replace",
    "m.room.member",
    "state_key",
    "membership",
    "join",
    "leave",
    "ban",
];

const MSGTYPES: &[&str] = &[
    "m.text",
    "m.emote",
    "m.notice",
    "m.image",
    "m.file",
    "m.audio",
    "m.video",
    "m.location",
    "m.sticker",
    "m.unknown",
];

/// A staff event shaped like Element's, with random content.
fn staff_event_json() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec![
            "m.room.message",
            "m.reaction",
            "m.room.redaction",
            "m.sticker",
        ]),
        prop::sample::select(MSGTYPES),
        italian(),
        prop::option::of(italian()),
        json_with_keys(KEYS),
        any::<bool>(),
    )
        .prop_map(|(ty, msgtype, body, html, extra, reply)| {
            let mut content = json!({"msgtype": msgtype, "body": body, "extra": extra});
            if let Some(h) = html {
                content["format"] = json!("org.matrix.custom.html");
                content["formatted_body"] = json!(h);
            }
            if reply {
                content["m.relates_to"] = json!({"m.in_reply_to": {"event_id": "$x"}});
            }
            json!({"type": ty, "event_id": "$e", "room_id": "!r:x", "sender": "@mario:x",
                   "origin_server_ts": 1, "content": content})
        })
}

proptest! {
    #[test]
    fn any_transaction_parses_or_fails_cleanly(
        v in json_with_keys(KEYS),
        bytes in prop::collection::vec(any::<u8>(), 0..128),
    ) {
        let body = json!({"events": [v.clone()], "ephemeral": [v.clone()]}).to_string();
        let _ = parse_transaction(body.as_bytes());
        let _ = parse_ephemeral(body.as_bytes());
        let _ = parse_transaction(&bytes);
        let _ = parse_ephemeral(&bytes);
        let _ = staff_event(&v);
        for ev in parse_transaction(body.as_bytes()).unwrap_or_default().into_iter().flatten() {
            let _ = member_change(&ev);
        }
    }

    /// A membership event names the user and state it says, whatever else it carries.
    #[test]
    fn membership_events_read_user_and_state(
        user in "@[a-zà-ù0-9._=-]{1,12}:[a-z.]{1,8}",
        which in 0usize..6,
        extra in json_with_keys(KEYS),
    ) {
        let states = ["join", "invite", "leave", "ban", "knock", "strana"];
        let body = json!({"events": [{"type": "m.room.member", "event_id": "$m", "room_id": "!r:x",
            "sender": "@anna:x", "origin_server_ts": 1, "state_key": user,
            "content": {"membership": states[which], "displayname": "Anna È", "extra": extra}}]});
        let events = parse_transaction(body.to_string().as_bytes()).unwrap();
        let ev = events.into_iter().next().unwrap().unwrap();
        let expected = [Membership::Join, Membership::Invite, Membership::Leave, Membership::Ban, Membership::Knock];
        prop_assert_eq!(member_change(&ev), expected.get(which).map(|m| (user.clone(), *m)));
    }

    /// Every staff event is either ignored, refused with a reason, or becomes a message.
    #[test]
    fn every_staff_event_converts_or_is_refused(ev in staff_event_json()) {
        let _ = staff_event(&ev);
        if let Some(m) = staff_message(&ev) {
            let _ = staff_to_outbound(&m, None);
            let _ = staff_to_outbound(&m, Some("Mario – URP"));
        }
    }

    /// Plain staff text goes to WhatsApp as typed (signature none).
    #[test]
    fn plain_staff_text_reaches_whatsapp_unchanged(body in italian().prop_map(|t| format!("Sì, {t}"))) {
        let ev = json!({"type": "m.room.message", "event_id": "$e", "room_id": "!r:x",
                        "sender": "@mario:x", "origin_server_ts": 1,
                        "content": {"msgtype": "m.text", "body": body}});
        let m = staff_message(&ev).expect("a message");
        match staff_to_outbound(&m, None) {
            Ok(crate::convert::outbound::Outbound::Text(t)) => prop_assert_eq!(t, body),
            other => prop_assert!(false, "{:?}", other),
        }
    }

    #[test]
    fn reply_fallbacks_strip_without_panicking(body in "(> [^\n]{0,10}\n){0,3}\n?.{0,20}") {
        let stripped = strip_plain_reply_fallback(&body);
        prop_assert!(stripped.len() <= body.len());
    }
}
