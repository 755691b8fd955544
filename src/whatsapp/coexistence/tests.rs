use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::whatsapp::webhook::parse as parse_webhook;

/// A fixture of `../shared`, or `None` (the test is then skipped) where it is not checked out.
fn fixture(path: &str) -> Option<Vec<u8>> {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/whatsapp-cloud")
        .join(path);
    match std::fs::read(&full) {
        Ok(b) => Some(b),
        Err(_) => {
            eprintln!("skipped: {} is not here", full.display());
            None
        }
    }
}

const PNID: &str = "106540352242922";

fn updates(path: &str) -> Option<Vec<Update>> {
    Some(parse_webhook(&fixture(path)?, PNID).unwrap())
}

/// A notification around one change, as Meta wraps it.
fn wrap(field: &str, value: Value) -> Vec<u8> {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398",
        "changes": [{"field": field, "value": value}]}]})
    .to_string()
    .into_bytes()
}

#[test]
fn echoes_of_a_text_an_edit_and_a_revoke() {
    let Some(u) = updates("echoes/metadocs_smb_echo_text.json") else {
        return;
    };
    let [Update::Echo(e)] = u.as_slice() else {
        panic!("{u:?}")
    };
    assert_eq!(e.to.as_ref().map(|w| w.expose()), Some("16505551234"));
    assert_eq!(e.timestamp, Some(1739321024));
    let EchoWhat::Message { kind, raw } = &e.what else {
        panic!("{e:?}")
    };
    assert_eq!(
        (kind.as_str(), raw["text"]["body"].as_str().is_some()),
        ("text", true)
    );

    let u = updates("echoes/metadocs_smb_echo_edit_image_caption.json").unwrap();
    let [Update::Echo(e)] = u.as_slice() else {
        panic!("{u:?}")
    };
    let EchoWhat::Edit { original, raw } = &e.what else {
        panic!("{e:?}")
    };
    assert!(original.expose().starts_with("wamid.HBgLMTU1NTI1NDMyNDQ"));
    assert_eq!(raw["image"]["caption"], "Updated image caption");

    let u = updates("echoes/metadocs_smb_echo_revoke.json").unwrap();
    let [Update::Echo(e)] = u.as_slice() else {
        panic!("{u:?}")
    };
    assert!(
        matches!(&e.what, EchoWhat::Revoke { original } if original.expose().ends_with("RAA="))
    );
}

/// pywa's examples put the citizen in `from` and the business in `to`: the citizen is still
/// the one that is not the business's number.
#[test]
fn an_echo_written_the_other_way_round_still_names_the_citizen() {
    let Some(body) = fixture("echoes/pywa_smb_echo_revoke.json") else {
        return;
    };
    let u = parse_webhook(&body, "1122334455667").unwrap();
    let [Update::Echo(e)] = u.as_slice() else {
        panic!("{u:?}")
    };
    assert_eq!(e.to.as_ref().map(|w| w.expose()), Some("972987654321"));
    assert!(matches!(&e.what, EchoWhat::Revoke { .. }));
    let body = fixture("echoes/pywa_smb_echo_edit.json").unwrap();
    let u = parse_webhook(&body, "1122334455667").unwrap();
    let [Update::Echo(e)] = u.as_slice() else {
        panic!("{u:?}")
    };
    assert_eq!(e.to.as_ref().map(|w| w.expose()), Some("972987654321"));
    assert!(
        matches!(&e.what, EchoWhat::Edit { raw, .. } if raw["text"]["body"] == "Text was edited")
    );
}

#[test]
fn a_history_chunk_its_media_and_a_refusal() {
    let Some(u) = updates("coexistence/metadocs_history_phase0_chunk1_two_threads.json") else {
        return;
    };
    let [Update::History(h)] = u.as_slice() else {
        panic!("{u:?}")
    };
    assert_eq!((h.phase, h.chunk_order, h.progress), (0, 1, 55));
    assert_eq!(h.threads.len(), 2);
    let t = &h.threads[0];
    assert_eq!(t.phone, "16505551234");
    let who: Vec<bool> = t.messages.iter().map(|m| m.from_office).collect();
    assert_eq!(
        who,
        [true, true, false],
        "the office twice, then the citizen"
    );
    assert!(t.messages[1].is_placeholder());
    assert_eq!(t.messages[2].timestamp, 1739230970);

    let u = updates("coexistence/metadocs_history_media_followup_image.json").unwrap();
    let [Update::HistoryMedia(m)] = u.as_slice() else {
        panic!("{u:?}")
    };
    assert_eq!(
        m[0].id, t.messages[1].id,
        "the placeholder's media, by its id"
    );
    assert_eq!(m[0].raw["image"]["id"], "24230790383178626");

    let value: Value = serde_json::from_slice(
        &fixture("coexistence/metadocs_history_declined_2593109_value_only.json").unwrap(),
    )
    .unwrap();
    let u = parse_webhook(&wrap("history", value), PNID).unwrap();
    let [Update::HistoryRefused(r)] = u.as_slice() else {
        panic!("{u:?}")
    };
    assert_eq!(r.code, 2593109);
    assert_eq!(r.details, "History sharing is turned off by the business");
}

#[test]
fn a_contact_from_the_phone() {
    let Some(u) = updates("coexistence/metadocs_smb_app_state_sync_contact_add.json") else {
        return;
    };
    let [Update::ContactSync(c)] = u.as_slice() else {
        panic!("{u:?}")
    };
    assert_eq!(c.phone.expose(), "16505551234");
    assert_eq!(c.name.as_deref(), Some("Pablo Morales"));
    assert!(!c.removed);
    assert_eq!(c.timestamp, Some(1739321024));
    // A removal has no names; a number with a `+` is the same number; an integer timestamp.
    let v = json!({"state_sync": [{"type": "contact", "contact": {"phone_number": "+393331234567"},
        "action": "remove", "metadata": {"timestamp": 1739321099}}]});
    let u = parse_webhook(&wrap("smb_app_state_sync", v), PNID).unwrap();
    let [Update::ContactSync(c)] = u.as_slice() else {
        panic!("{u:?}")
    };
    assert_eq!(
        (c.phone.expose(), c.removed, c.name.clone()),
        ("393331234567", true, None)
    );
    assert_eq!(c.timestamp, Some(1739321099));
}

#[test]
fn italian_and_broken_items() {
    let v = json!({"metadata": {"phone_number_id": PNID, "display_phone_number": "390000000000"}, "message_echoes": [
        {"from": "390000000000", "to": "+393331234567", "id": "wamid.E1", "timestamp": "1796170000",
         "type": "text", "text": {"body": "**È** aperto l'ufficio 🏛️"}},
        {"from": "390000000000", "id": "wamid.E2", "type": "text", "text": {"body": "a chi?"}},
        {"to": "393331234567", "id": "wamid.E3", "type": "revoke", "revoke": {}}]});
    let u = parse_webhook(&wrap("smb_message_echoes", v), PNID).unwrap();
    assert!(matches!(&u[0], Update::Echo(e) if e.to.as_ref().unwrap().expose() == "393331234567"));
    assert!(matches!(&u[1], Update::Bad { reason, .. } if reason.contains("names no citizen")));
    assert!(matches!(&u[2], Update::Bad { reason, .. } if reason.contains("original")));
    // Another number's echo is not ours.
    let v = json!({"metadata": {"phone_number_id": "999"}, "message_echoes": []});
    let u = parse_webhook(&wrap("smb_message_echoes", v), PNID).unwrap();
    assert!(matches!(u.as_slice(), [Update::ForeignNumber]));
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
        Just(Value::from("È l'ora 🕘")),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("id".to_owned()),
                    Just("to".to_owned()),
                    Just("type".to_owned()),
                    Just("threads".to_owned()),
                    Just("messages".to_owned()),
                    Just("metadata".to_owned()),
                    Just("contact".to_owned()),
                    Just("errors".to_owned()),
                    Just("edit".to_owned()),
                    "[a-z_]{1,8}"
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    /// Whatever a coexistence webhook's value holds, parsing it never panics, and every
    /// echo names a citizen and every history message has an id.
    #[test]
    fn any_coexistence_value_parses_without_panicking(
        field in prop_oneof![Just("smb_message_echoes"), Just("history"), Just("smb_app_state_sync")],
        items in proptest::collection::vec(any_json(), 0..4),
        key in prop_oneof![Just("message_echoes"), Just("history"), Just("state_sync"), Just("messages")],
    ) {
        let value = json!({ key: items });
        for u in parse(field, &value) {
            match u {
                Update::Echo(e) => prop_assert!(e.to.is_some() || e.to_bsuid.is_some()),
                Update::History(h) => {
                    prop_assert!(h.progress <= 100);
                    for t in &h.threads {
                        prop_assert!(t.messages.iter().all(|m| !m.id.is_empty()));
                    }
                }
                _ => {}
            }
        }
    }
}
