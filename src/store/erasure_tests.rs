//! The erasure walk over a store holding two citizens in every table that can hold one.

use std::collections::BTreeSet;

use serde_json::json;

use super::*;
use crate::ids::CitizenKey;
use crate::store::{
    BlockRecord, ConsentEntry, Conversation, ErasureRequest, Failing, Mark, PortalRecord,
    QueueItem, ReactionRef, RecipientState, Subscription,
};

/// Everything the bridge can hold about the citizen with this number.
fn citizen_everywhere(store: &Store, digits: &str, name: &str, n: u8) -> (Subject, Vec<String>) {
    let key = CitizenKey::parse(&format!("p:{digits}")).unwrap();
    let c = key.as_str();
    let bsuid = format!("b:IT.{n}{n}{n}{n}{n}{n}");
    let room = format!("!room{n}:comune.test");
    let ghost = format!("@whatsapp_h{n}abc:comune.test");
    let (wa_in, wa_out, wa_bc) = (
        format!("wamid.IN{n}{digits}"),
        format!("wamid.OUT{n}"),
        format!("wamid.BC{n}"),
    );
    let event = format!("$event{n}");
    let mut p = PortalRecord::new(&key, &room, &ghost);
    p.profile_name = Some(name.into());
    p.phone = Some(digits.into());
    let mut ops = Store::portal_ops(&p);
    ops.push(Store::identity_op(&bsuid, &c));
    ops.extend(Store::message_ops(&wa_in, &room, &event));
    ops.extend(Store::message_ops(&wa_out, &room, &format!("$staff{n}")));
    ops.push(Store::status_op(&wa_out, "read", None));
    ops.push(Store::status_op(&wa_bc, "delivered", None));
    ops.push(Store::reaction_op(
        ReactionRef::Citizen(&wa_out),
        &format!("$react{n}"),
    ));
    ops.push(Store::reaction_op(
        ReactionRef::Staff(&format!("$sr{n}")),
        &wa_in,
    ));
    ops.extend(marks_and_queues(store, &c, digits, &room, &wa_in, &wa_out));
    ops.extend(news_and_the_rest(
        store, &c, digits, name, &room, &wa_in, &wa_bc, n,
    ));
    store.commit(ops).unwrap();
    let subject = Subject {
        citizen: c.clone(),
        identities: vec![c.clone(), bsuid.clone()],
        room_id: Some(room.clone()),
        ghost: Some(ghost.clone()),
    };
    let needles = vec![
        digits.to_owned(),
        digits[2..].to_owned(),
        name.into(),
        bsuid[2..].to_owned(),
        room,
        ghost,
        wa_in,
        wa_out,
        wa_bc,
        hex::encode(c.as_bytes()),
    ];
    (subject, needles)
}

/// Marks naming the citizen or their messages, their queue, held work, block and audit lines.
fn marks_and_queues(
    store: &Store,
    c: &str,
    digits: &str,
    room: &str,
    wa_in: &str,
    wa_out: &str,
) -> Vec<Op> {
    let mut ops = Vec::new();
    for mark in [
        Mark::Message(wa_in),
        Mark::Status {
            wamid: wa_out,
            status: "read",
        },
        Mark::Read(wa_in),
        Mark::Preference {
            citizen: c,
            value: "stop",
            at: 5,
        },
        Mark::WindowClosed {
            citizen: c,
            until: 9,
        },
        Mark::Reminded {
            citizen: c,
            since: 3,
        },
        Mark::WindowWarned { citizen: c, at: 4 },
        Mark::SweepPanic(c),
    ] {
        ops.push(Store::seen_op(&mark));
    }
    let queued = store.queue_push_op(c, br#"{"work":"window_topic"}"#);
    let item = QueueItem {
        key: queued.key.clone(),
        body: vec![],
    };
    ops.push(Store::seen_op(&Mark::Stalled(&item.key)));
    ops.push(Store::failing_op(
        &item,
        &Failing {
            since: 1,
            attempts: 1,
            last_error: "x".into(),
        },
    ));
    ops.push(queued);
    ops.push(store.held_push_op(c, b"{}"));
    let block = BlockRecord {
        reason: "r".into(),
        by: "@a:x".into(),
        at: 1,
        meta: String::new(),
    };
    ops.push(Store::block_op(c, &block));
    ops.push(store.audit_op(&AuditEntry {
        at: 1,
        who: "@admin:comune.test".into(),
        room: "!admin:comune.test".into(),
        command: format!(
            "!block +{} {} {} spam",
            &digits[..2],
            &digits[2..5],
            &digits[5..]
        ),
        result: "ok".into(),
    }));
    ops.push(store.audit_op(&AuditEntry {
        at: 1,
        who: "@urp:comune.test".into(),
        room: room.to_owned(),
        command: "!close".into(),
        result: "ok".into(),
    }));
    ops
}

/// The news service's records, the conversation, a dead letter, the phone's history and
/// contacts, an erasure request.
#[allow(clippy::too_many_arguments)]
fn news_and_the_rest(
    store: &Store,
    c: &str,
    digits: &str,
    name: &str,
    room: &str,
    wa_in: &str,
    wa_bc: &str,
    n: u8,
) -> Vec<Op> {
    let mut ops = Vec::new();
    let sub = Subscription {
        topics: vec!["eventi".into()],
        ..Default::default()
    };
    ops.extend(Store::subscription_ops(c, None, &sub));
    ops.push(store.consent_op(
        c,
        &ConsentEntry {
            at: 1,
            action: "subscribe".into(),
            topics: vec!["eventi".into()],
            channel: "keyword".into(),
            wamid: Some(wa_in.to_owned()),
            policy_version: "1".into(),
            note: None,
            by: None,
        },
    ));
    let send = RecipientSend {
        ordinal: n.into(),
        state: RecipientState::Sent,
        wamid: Some(wa_bc.to_owned()),
        detail: None,
        attempts: 1,
        retry_at: 0,
    };
    ops.push(Store::recipient_op(7, c, &send));
    ops.push(Store::broadcast_wamid_op(wa_bc, 7));
    ops.push(Store::tag_op(&format!("sportello:bc:7:{n}"), wa_bc));
    ops.push(Store::conversation_op(
        c,
        &Conversation::opened_by_citizen(1),
    ));
    ops.push(store.dead_letter_op("unreadable", format!(r#"{{"from":"{digits}"}}"#).as_bytes()));
    ops.push(Store::history_media_op(
        &format!("wamid.H{n}"),
        format!(r#"{{"from":"{digits}"}}"#).as_bytes(),
    ));
    ops.push(Store::contact_name_op(digits, Some(name)));
    let request = ErasureRequest {
        citizen: c.to_owned(),
        room_id: Some(room.to_owned()),
        received_at: 1,
        due: 2,
        reminded_day: None,
    };
    ops.push(store.request_op(&request).1);
    ops
}

fn both_threads(a: &str, b: &str) -> serde_json::Value {
    json!({"entry": [{"changes": [{"value": {"history": [{"threads": [
        {"id": a, "messages": [{"from": a, "text": {"body": "È aperto?"}}]},
        {"id": b, "messages": [{"from": b, "text": {"body": "Grazie"}}]}
    ]}]}}]}]})
}

/// Every table and entry that still names one of `needles` (as text, anywhere in key or value).
fn traces(store: &Store, needles: &[String]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for table in Store::tables() {
        for (k, v) in store.dump(table).unwrap() {
            let t = format!(
                "{} {}",
                String::from_utf8_lossy(&k),
                String::from_utf8_lossy(&v)
            );
            let hexed = hex::encode(&k);
            for n in needles {
                if t.contains(n.as_str()) || hexed.contains(n.as_str()) {
                    out.insert(format!("{table}: {n}"));
                }
            }
        }
    }
    out
}

#[test]
fn erasing_one_citizen_leaves_no_trace_of_them_and_all_of_the_other() {
    let store = Store::memory();
    let (anna, anna_needles) = citizen_everywhere(&store, "393331234567", "Anna D'Amico", 1);
    let (_, bruno_needles) = citizen_everywhere(&store, "393479876543", "Bruno È", 2);
    store
        .commit(vec![Store::history_chunk_op(
            0,
            1,
            both_threads("393331234567", "393479876543")
                .to_string()
                .as_bytes(),
        )])
        .unwrap();
    let before_bruno = traces(&store, &bruno_needles);
    assert!(!traces(&store, &anna_needles).is_empty());

    let found = store.held_about(&anna).unwrap();
    let tables: BTreeSet<&str> = found.iter().map(|f| f.table).collect();
    for t in SEARCHED {
        assert!(
            tables.contains(t),
            "the walk found nothing of Anna's in {t}"
        );
    }
    store.commit(Store::erase_ops(&found)).unwrap();

    assert_eq!(traces(&store, &anna_needles), BTreeSet::new());
    assert_eq!(
        traces(&store, &bruno_needles),
        before_bruno,
        "Bruno's data is untouched"
    );
    // The office's records stay, without Anna: the audit lines and Bruno's thread.
    let audit = store.audit(10).unwrap();
    assert_eq!(audit.len(), 4);
    assert!(
        audit
            .iter()
            .any(|e| e.command == "!block [erased]" && e.who == "@admin:comune.test")
    );
    let chunk = &store.history_chunks().unwrap()[0].0;
    assert!(String::from_utf8_lossy(chunk).contains("Grazie"));
    assert!(!String::from_utf8_lossy(chunk).contains("È aperto"));
}

#[test]
fn every_table_is_searched_or_holds_nothing_personal() {
    let listed: BTreeSet<&str> = SEARCHED
        .iter()
        .chain(NOTHING_PERSONAL.iter())
        .copied()
        .collect();
    let all: BTreeSet<&str> = Store::tables().into_iter().collect();
    assert_eq!(listed, all);
}

#[test]
fn a_number_is_found_however_it_was_typed() {
    let s = Subject {
        citizen: "p:393331234567".into(),
        identities: vec!["p:393331234567".into()],
        ..Default::default()
    };
    for typed in [
        "!block +39 333 123 4567 spam",
        "!export 3331234567",
        "!forget 333-123-4567",
        "{\"wa_id\":\"393331234567\"}",
    ] {
        assert!(s.named_in(typed), "{typed}");
    }
    for other in [
        "!block 393479876543",
        "!stats mese",
        "È aperto l'ufficio? 🙂",
    ] {
        assert!(!s.named_in(other), "{other}");
    }
}
