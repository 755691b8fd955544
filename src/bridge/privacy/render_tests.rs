//! The export's decoding and its two renderings, with ordinary Italian and markup a citizen
//! may write.

use serde_json::json;

use super::*;
use crate::texts::{Lang, Texts};

const BOT: &str = "@sportello:comune.test";

fn export() -> Export {
    let ghost = "@whatsapp_habc:comune.test";
    let events = [
        json!({"type": "m.room.message", "sender": ghost, "content": {"msgtype": "m.text", "body": "**È** aperto l'ufficio? <script>alert(1)</script> 🙂"}}),
        json!({"type": "m.room.message", "sender": ghost, "content": {"msgtype": "m.image", "body": "carta d'identità.jpg", "url": "mxc://comune.test/abc", "info": {"mimetype": "image/jpeg", "size": 2048}}}),
        json!({"type": "m.room.message", "sender": "@urp:comune.test", "content": {"msgtype": "m.text", "body": "Sì, fino alle 13."}}),
        json!({"type": "m.reaction", "sender": ghost, "content": {"m.relates_to": {"key": "👍", "event_id": "$x"}}}),
        json!({"type": "m.room.member", "sender": ghost, "content": {"membership": "join"}}),
        json!({"type": "m.room.message", "sender": ghost, "content": {}}),
        json!({"type": "m.room.message", "sender": BOT, "content": {"msgtype": "m.notice", "body": "🤖 Risposta automatica"}}),
    ];
    let conversation: Vec<Line> = events
        .iter()
        .filter_map(|e| line(e, ghost, BOT, "2026-12-02T10:00:00+01:00".into()))
        .collect();
    let found = vec![
        Found {
            table: "citizen_portal",
            key: b"p:393331234567".to_vec(),
            value: br#"{"profile_name":"Anna D'Amico"}"#.to_vec(),
            rewrite: None,
        },
        Found {
            table: "seen_time",
            key: b"w:wamid.X".to_vec(),
            value: 1_796_170_000u64.to_be_bytes().to_vec(),
            rewrite: None,
        },
        Found {
            table: "citizenseq_consent",
            key: [b"p:393331234567\0".as_slice(), &7u64.to_be_bytes()].concat(),
            value: br#"{"action":"subscribe"}"#.to_vec(),
            rewrite: None,
        },
        Found {
            table: "broadcastcitizen_send",
            key: [7u64.to_be_bytes().as_slice(), b"p:393331234567"].concat(),
            value: br#"{"state":"sent"}"#.to_vec(),
            rewrite: None,
        },
    ];
    Export {
        generated_at: "2026-12-02T10:00:00+01:00".into(),
        office: "URP di Bassano".into(),
        identities: vec!["393331234567".into()],
        held_by_the_bridge: held(&found),
        conversation,
        elsewhere: vec!["Meta <processor>".into()],
    }
}

#[test]
fn the_conversation_is_read_line_by_line() {
    let x = export();
    assert_eq!(
        x.conversation.len(),
        5,
        "state and redacted events are not lines"
    );
    assert_eq!(x.conversation[4].from, From::Service);
    assert_eq!(x.conversation[0].from, From::Citizen);
    assert_eq!(x.conversation[0].kind, "text");
    let image = &x.conversation[1];
    assert_eq!(image.kind, "image");
    assert_eq!(
        image.attachment,
        Some(Attachment {
            name: "carta d'identità.jpg".into(),
            mimetype: Some("image/jpeg".into()),
            size: Some(2048),
            url: Some("mxc://comune.test/abc".into())
        })
    );
    assert_eq!(x.conversation[2].from, From::Office);
    assert_eq!(
        (
            x.conversation[3].kind.as_str(),
            x.conversation[3].text.as_str()
        ),
        ("reaction", "👍")
    );
}

#[test]
fn stored_entries_are_decoded_by_section() {
    let x = export();
    let h = &x.held_by_the_bridge;
    assert_eq!(h["portal"][0].value["profile_name"], "Anna D'Amico");
    assert_eq!(h["marks"][0].value, json!(1_796_170_000u64));
    assert_eq!(h["consent_ledger"][0].key, "p:393331234567/7");
    assert_eq!(h["broadcasts"][0].key, "7/p:393331234567");
    let j: serde_json::Value = serde_json::from_slice(&to_json(&x)).unwrap();
    assert_eq!(j["conversation"][0]["from"], "citizen");
    assert_eq!(
        j["held_by_the_bridge"]["portal"][0]["key"],
        "p:393331234567"
    );
}

#[test]
fn the_page_is_accessible_and_escapes_everything() {
    let x = export();
    let html = to_html(&x, &Texts::new(Lang::It, Default::default()), "it");
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"it\">"));
    assert_eq!(html.matches("<h1>").count(), 1);
    assert!(html.contains("<caption>Messaggi in ordine di tempo</caption>"));
    assert_eq!(html.matches("<th scope=\"col\">").count(), 4);
    assert!(html.contains("<time datetime=\"2026-12-02T10:00:00+01:00\">02/12/2026 10:00</time>"));
    assert!(html.contains("<td>servizio (nota per l&#39;ufficio)</td>"));
    assert!(html.contains("**È** aperto l&#39;ufficio? &lt;script&gt;alert(1)&lt;/script&gt; 🙂"));
    assert!(!html.contains("<script>"));
    assert!(html.contains("carta d&#39;identità.jpg, image/jpeg, 2048 B"));
    assert!(html.contains("<h3>scheda del cittadino</h3>"));
    assert!(html.contains("Meta &lt;processor&gt;"));
    let en = to_html(&x, &Texts::new(Lang::En, Default::default()), "en");
    assert!(en.contains("<html lang=\"en\">") && en.contains("<th scope=\"col\">When</th>"));
}

/// Every section an entry can be filed under has its heading in both languages; a table not
/// named yet is shown under "other", not mislabelled.
#[test]
fn every_section_has_its_heading() {
    let tables = [
        "citizen_portal",
        "citizen_conversation",
        "citizen_subscription",
        "citizen_block",
        "roomid_citizen",
        "ghostid_citizen",
        "phone_contactname",
        "citizenseq_work",
        "queuekey_failing",
        "citizenseq_heldwork",
        "citizenseq_consent",
        "wamid_event",
        "eventid_wamid",
        "broadcastcitizen_send",
        "wamid_broadcast",
        "callbacktag_wamid",
        "waidentity_citizen",
        "topiccitizen_since",
        "wamid_status",
        "reaction_ref",
        "seq_erasurerequest",
        "deadletter_json",
        "seen_time",
        "seq_audit",
        "phasechunk_history",
        "wamid_historymedia",
        "a_table_added_later",
    ];
    for t in tables {
        let key = format!("privacy_section_{}", section(t));
        assert!(Texts::known(&key), "{key}");
    }
    assert_eq!(section("wamid_historymedia"), "shared_history");
    assert_eq!(section("a_table_added_later"), "other");
}
