use std::sync::Arc;

use chrono::TimeZone;

use super::*;
use crate::bridge::Bridge;
use crate::clock::FixedClock;
use crate::store::{ConvState, Conversation, QueueItem};

const ANNA: &str = "p:393331234567";

/// Rome time as UTC.
fn rome(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    chrono_tz::Europe::Rome
        .with_ymd_and_hms(2026, 12, d, h, m, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// A bridge at a pinned moment (the launch town's hours, in Italian), with Anna waiting since
/// `since`; `settings` replace lines of the starter config.
fn bridge_at(since: DateTime<Utc>, settings: &[(&str, &str)]) -> (Bridge, Store, Arc<FixedClock>) {
    let toml = settings
        .iter()
        .fold(crate::config::valid_test_toml(), |t, (from, to)| {
            t.replace(from, to)
        });
    let raw = crate::config::RawConfig::from_toml(&toml, "t", |_| None).unwrap();
    let store = Store::memory();
    let clock = FixedClock::at(since);
    let (_, rx) = tokio::sync::watch::channel(true);
    let bridge = Bridge::with_clock(raw.validate().unwrap(), store.clone(), rx, clock.clone());
    let mut portal = PortalRecord::new(
        &crate::ids::CitizenKey::parse(ANNA).unwrap(),
        "!portal:x",
        "@ghost:x",
    );
    portal.last_inbound_at = Some(since.timestamp());
    let mut ops = Store::portal_ops(&portal);
    ops.push(Store::conversation_op(
        ANNA,
        &Conversation::opened_by_citizen(since.timestamp() as u64),
    ));
    store.commit(ops).unwrap();
    (bridge, store, clock)
}

/// The texts of the notices queued for Anna, in order.
fn notices(store: &Store) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    while let Some(item) = store.queue_head(ANNA).unwrap() {
        if let Ok(Work::Notice(n)) = Work::from_bytes(&item.body) {
            out.push((n.text, n.html));
        }
        done(store, &item);
    }
    out
}

fn done(store: &Store, item: &QueueItem) {
    store.commit(vec![Store::queue_done_op(item)]).unwrap();
}

/// Tuesday 1 December 2026, the office open 9–13 and 15–17 (Rome): Anna wrote at 12:30. At
/// 13:00 the office is closed: nothing. At 15:10 she has waited 40 minutes of office time:
/// nothing yet. At 15:31, 61 minutes: the staff are mentioned, once. On Wednesday at 10:31 her
/// window closes within two hours: one warning.
#[tokio::test]
async fn reminders_count_office_time_and_come_once() {
    let (bridge, store, clock) = bridge_at(rome(1, 12, 30), &[]);
    let h = &bridge.inner.helpdesk;
    clock.set(rome(1, 13, 0));
    assert_eq!(h.remind_round().unwrap(), 0, "closed");
    clock.set(rome(1, 15, 10));
    assert_eq!(h.remind_round().unwrap(), 0, "40 minutes of office time");
    clock.set(rome(1, 15, 31));
    assert_eq!(h.remind_round().unwrap(), 1);
    let told = notices(&store);
    assert_eq!(told.len(), 1);
    assert_eq!(
        told[0].0,
        "⏰ @mario:comune.example.it: il cittadino aspetta una risposta da 61 minuti di apertura dell'ufficio."
    );
    assert!(
        told[0]
            .1
            .as_deref()
            .unwrap()
            .contains("https://matrix.to/#/@mario:comune.example.it")
    );
    clock.set(rome(1, 15, 45));
    assert_eq!(h.remind_round().unwrap(), 0, "once per waiting message");

    clock.set(rome(2, 10, 31));
    assert_eq!(h.remind_round().unwrap(), 1);
    let warned = notices(&store);
    assert!(
        warned[0].0.contains(
            "La finestra di 24 ore di WhatsApp si chiude il 02/12/2026 12:30 (tra 119 minuti)"
        ),
        "{warned:?}"
    );
    clock.set(rome(2, 11, 0));
    assert_eq!(h.remind_round().unwrap(), 0, "once per window");
}

/// Whoever handles it is the one mentioned; an answered conversation is not reminded; with
/// `outside_hours` the reminder comes at night too, counting the hours as they pass.
#[tokio::test]
async fn reminders_mention_the_assignee_and_may_run_at_night() {
    let (bridge, store, clock) = bridge_at(
        rome(1, 18, 0),
        &[
            ("outside_hours = false", "outside_hours = true"),
            ("window_warning_minutes = 120", "window_warning_minutes = 0"),
        ],
    );
    let h = &bridge.inner.helpdesk;
    let mut c = store.conversation(ANNA).unwrap().unwrap();
    c.assignee = Some("@anna:comune.example.it".into());
    store
        .commit(vec![Store::conversation_op(ANNA, &c)])
        .unwrap();
    clock.set(rome(1, 19, 5));
    assert_eq!(h.remind_round().unwrap(), 1, "at night, 65 minutes");
    assert!(
        notices(&store)[0]
            .0
            .starts_with("⏰ @anna:comune.example.it:")
    );
    c.state = ConvState::Open;
    c.unanswered_since = None;
    store
        .commit(vec![Store::conversation_op(ANNA, &c)])
        .unwrap();
    clock.set(rome(1, 23, 0));
    assert_eq!(h.remind_round().unwrap(), 0, "answered");
}
