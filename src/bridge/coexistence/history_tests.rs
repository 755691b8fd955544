use std::sync::Arc;

use chrono::{TimeZone, Utc};
use serde_json::json;

use super::*;
use crate::bridge::Bridge;
use crate::clock::FixedClock;
use crate::whatsapp::coexistence::HistoryThread;

const T: i64 = 1_796_170_000;

fn bridge() -> (Bridge, Store, Arc<FixedClock>) {
    let store = Store::memory();
    let clock = FixedClock::at(Utc.timestamp_opt(T, 0).unwrap());
    let (_, rx) = tokio::sync::watch::channel(true);
    let config = crate::config::valid_test_config();
    let bridge = Bridge::with_clock(config, store.clone(), rx, clock.clone());
    (bridge, store, clock)
}

fn message(id: &str, at: i64, text: &str) -> HistoryMessage {
    HistoryMessage {
        id: id.into(),
        from_office: false,
        timestamp: at,
        raw: json!({"id": id, "type": "text", "text": {"body": text}}),
    }
}

fn chunk(phase: u8, order: u32, progress: u8, messages: Vec<HistoryMessage>) -> HistoryChunk {
    HistoryChunk {
        phase,
        chunk_order: order,
        progress,
        threads: vec![HistoryThread {
            phone: "393331234567".into(),
            messages,
        }],
    }
}

fn route(bridge: &Bridge, store: &Store, c: HistoryChunk) {
    let mut r = Routed::default();
    bridge.inner.coexistence.route_history(&mut r, c);
    store.commit(r.ops).unwrap();
}

/// Everything queued for `key`, taken out, in order.
fn drain(store: &Store, key: &str) -> Vec<Work> {
    let mut out = Vec::new();
    while let Some(item) = store.queue_head(key).unwrap() {
        out.push(Work::from_bytes(&item.body).unwrap());
        store.commit(vec![Store::queue_done_op(&item)]).unwrap();
    }
    out
}

/// Two chunks, newest first: shared out as one item in time order; a chunk that comes again
/// afterwards brings nothing new.
#[tokio::test]
async fn chunks_are_shared_out_in_time_order_once() {
    let (bridge, store, _) = bridge();
    let co = &bridge.inner.coexistence;
    route(
        &bridge,
        &store,
        chunk(
            0,
            1,
            50,
            vec![message("wamid.C", T - 100, "Perfetto, grazie")],
        ),
    );
    let older = chunk(
        1,
        2,
        100,
        vec![
            message("wamid.A", T - 9000, "Buongiorno"),
            message("wamid.B", T - 8000, "È aperto sabato?"),
        ],
    );
    route(&bridge, &store, older.clone());
    assert!(matches!(
        drain(&store, ADMIN_QUEUE).as_slice(),
        [Work::HistoryComplete]
    ));
    co.share_history().await.unwrap();
    let queued = drain(&store, "p:393331234567");
    let [Work::History(h)] = queued.as_slice() else {
        panic!("{queued:?}")
    };
    let ids: Vec<&str> = h.messages.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["wamid.A", "wamid.B", "wamid.C"]);
    assert_eq!(
        h.extent.map(|x| (x.count, x.from, x.to)),
        Some((3, T - 9000, T - 100))
    );
    assert!(store.history_chunks().unwrap().is_empty());
    route(&bridge, &store, older);
    co.share_history().await.unwrap();
    assert!(drain(&store, "p:393331234567").is_empty(), "nothing twice");
}

/// A sync that stops half-way: nothing for six hours after its latest chunk, then the admins
/// are told and what came is imported; once.
#[tokio::test]
async fn an_unfinished_history_is_imported_after_six_hours() {
    let (bridge, store, clock) = bridge();
    let co = &bridge.inner.coexistence;
    assert!(!co.history_overdue().unwrap(), "no history at all");
    route(
        &bridge,
        &store,
        chunk(0, 1, 40, vec![message("wamid.A", T - 100, "Buongiorno")]),
    );
    clock.set(Utc.timestamp_opt(T + 5 * 3600, 0).unwrap());
    assert!(!co.history_overdue().unwrap());
    clock.set(Utc.timestamp_opt(T + UNFINISHED_AFTER as i64, 0).unwrap());
    assert!(co.history_overdue().unwrap());
    let queued = drain(&store, ADMIN_QUEUE);
    assert!(
        matches!(&queued[..], [Work::AdminNotice { text, .. }, Work::HistoryComplete] if text.contains("6 ore fa")),
        "{queued:?}"
    );
    assert!(!co.history_overdue().unwrap(), "told once");
}

/// A citizen erased before the history came: what they wrote before their erasure is not
/// imported; what they wrote since is.
#[tokio::test]
async fn an_erased_citizen_s_old_history_is_not_imported() {
    let (bridge, store, _) = bridge();
    let anna = CitizenKey::parse("p:393331234567").unwrap();
    let hash = bridge.inner.portals.erasure_hash(&anna).unwrap();
    let record = crate::store::ErasureRecord {
        at: (T - 5000) as u64,
        by: "@anna:comune.test".into(),
        reason: "chiesto dalla cittadina".into(),
        requested_at: None,
        done_at: (T - 5000) as u64,
    };
    store
        .commit(vec![Store::erasure_record_op(&hash, &record)])
        .unwrap();
    let messages = vec![
        message("wamid.A", T - 9000, "Buongiorno"),
        message("wamid.B", T - 100, "Sono di nuovo io"),
    ];
    route(&bridge, &store, chunk(0, 1, 100, messages));
    bridge.inner.coexistence.share_history().await.unwrap();
    let queued = drain(&store, "p:393331234567");
    let [Work::History(h)] = queued.as_slice() else {
        panic!("{queued:?}")
    };
    let ids: Vec<&str> = h.messages.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["wamid.B"]);
}
