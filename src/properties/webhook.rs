//! Webhooks from Meta: signature checking, tolerant parsing, and every message turned into
//! Matrix events — none of it panics, whatever arrives.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::{italian, json_with_keys};
use crate::convert::{self, inbound as conv};
use crate::whatsapp::signature::{SignatureError, verify_signature};
use crate::whatsapp::webhook::{Update, parse};

const KEYS: &[&str] = &[
    "object",
    "entry",
    "id",
    "changes",
    "field",
    "value",
    "messaging_product",
    "metadata",
    "phone_number_id",
    "display_phone_number",
    "contacts",
    "profile",
    "name",
    "wa_id",
    "user_id",
    "messages",
    "statuses",
    "from",
    "timestamp",
    "type",
    "text",
    "body",
    "image",
    "video",
    "audio",
    "document",
    "sticker",
    "location",
    "latitude",
    "longitude",
    "address",
    "reaction",
    "message_id",
    "emoji",
    "interactive",
    "list_reply",
    "button_reply",
    "title",
    "description",
    "nfm_reply",
    "response_json",
    "button",
    "payload",
    "context",
    "forwarded",
    "frequently_forwarded",
    "referral",
    "errors",
    "code",
    "error_data",
    "details",
    "status",
    "recipient_id",
    "biz_opaque_callback_data",
    "pricing",
    "conversation",
    "system",
    "new_wa_id",
    "mime_type",
    "sha256",
    "caption",
    "filename",
    "voice",
    "phones",
    "phone",
    "emails",
    "org",
    "urls",
    "order",
    "product_items",
    "user_preferences",
    "category",
    "previous_user_id",
    "user_id_update",
    "messages_echoes",
    "unsupported",
];

const FIELDS: &[&str] = &[
    "messages",
    "user_preferences",
    "account_update",
    "smb_message_echoes",
];

const KINDS: &[&str] = &[
    "text",
    "image",
    "video",
    "audio",
    "document",
    "sticker",
    "location",
    "contacts",
    "reaction",
    "interactive",
    "button",
    "order",
    "system",
    "unsupported",
    "request_welcome",
    "unknown",
];

/// A message of any kind, its body random but shaped like Meta's.
fn message() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(KINDS),
        json_with_keys(KEYS),
        italian(),
        "[0-9]{6,15}",
        prop::option::of(json_with_keys(KEYS)),
    )
        .prop_map(|(kind, body, text, from, context)| {
            let mut m = json!({"from": from, "id": format!("wamid.{from}"), "timestamp": "1764590000", "type": kind});
            m[kind] = match kind {
                "text" => json!({"body": text}),
                _ => body,
            };
            if let Some(c) = context {
                m["context"] = c;
            }
            m
        })
}

/// A notification shaped like Meta's, with random values inside.
fn notification() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(FIELDS),
        prop::collection::vec(message(), 0..3),
        json_with_keys(KEYS),
        json_with_keys(KEYS),
    )
        .prop_map(|(field, messages, statuses, contacts)| {
            json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
                "field": field,
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {"phone_number_id": "1"},
                    "contacts": [contacts],
                    "messages": messages,
                    "statuses": [statuses],
                }
            }]}]})
        })
}

proptest! {
    #[test]
    fn a_signed_body_verifies_and_any_change_is_refused(
        secret in "[A-Za-z0-9]{1,64}",
        body in prop::collection::vec(any::<u8>(), 0..512),
        flip in any::<prop::sample::Index>(),
    ) {
        let header = sportello_simulator::webhook::sign(&secret, &body);
        prop_assert!(verify_signature(secret.as_bytes(), Some(&header), &body).is_ok());
        let mut changed = body.clone();
        if changed.is_empty() {
            changed.push(b'x');
        } else {
            let i = flip.index(changed.len());
            changed[i] ^= 0x01;
        }
        prop_assert!(matches!(
            verify_signature(secret.as_bytes(), Some(&header), &changed),
            Err(SignatureError::Mismatch)
        ));
    }

    #[test]
    fn any_signature_header_is_checked_without_panicking(header in ".{0,80}", body in ".{0,40}") {
        let r = verify_signature(b"secret", Some(&header), body.as_bytes());
        prop_assert!(r.is_err(), "a random header cannot match");
    }

    #[test]
    fn any_bytes_parse_or_fail_cleanly(body in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse(&body, "1");
    }

    #[test]
    fn any_json_parses_or_fails_cleanly(v in json_with_keys(KEYS)) {
        let _ = parse(v.to_string().as_bytes(), "1");
    }

    /// Whatever a message holds, it becomes Matrix events (at least a notice saying what
    /// arrived), never a panic.
    #[test]
    fn every_message_becomes_matrix_events(n in notification()) {
        let texts = crate::texts::Texts::default();
        let Ok(updates) = parse(n.to_string().as_bytes(), "1") else {
            return Ok(());
        };
        for u in updates {
            if let Update::Message(m) = u {
                let _ = m.citizen_key();
                let _ = m.identity_change();
                let _ = conv::media_ref(&m);
                let _ = conv::reaction(&m);
                let _ = conv::contacts_vcf(&m);
                let events = convert::citizen_to_matrix(&m, None, None.into(), &texts);
                // Only a reaction without a target shows nothing (there is nothing to show).
                prop_assert!(!events.is_empty() || m.kind == crate::whatsapp::kind::Kind::Reaction, "{}", m.kind);
            }
        }
    }

    /// A citizen's text arrives as written: the body is the text itself.
    #[test]
    fn a_text_message_keeps_its_text(text in italian().prop_map(|t| format!("Buongiorno {t}"))) {
        let n = json!({"entry": [{"changes": [{"field": "messages", "value": {
            "metadata": {"phone_number_id": "1"},
            "contacts": [{"profile": {"name": "Anna"}, "wa_id": "393331234567"}],
            "messages": [{"from": "393331234567", "id": "wamid.x", "type": "text", "text": {"body": text}}]}}]}]});
        let updates = parse(n.to_string().as_bytes(), "1").unwrap();
        let Some(Update::Message(m)) = updates.into_iter().next() else {
            return Err(TestCaseError::fail("no message"));
        };
        let ev = convert::citizen_to_matrix(&m, None, None.into(), &crate::texts::Texts::default());
        prop_assert_eq!(ev[0].content["body"].as_str(), Some(text.as_str()));
    }
}
