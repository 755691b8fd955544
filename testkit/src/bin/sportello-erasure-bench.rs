//! Benchmark: what one erasure (`!forget`) and one export (`!export`) cost in the store. Both
//! walk every table that can hold a citizen (the design keeps no per-citizen index of
//! everything), so their cost grows with the store, not with the citizen. This fills a redb
//! store with CITIZENS citizens, each with a portal, MESSAGES messages both ways (message map,
//! statuses, dedupe marks), a subscription and its consent ledger, then times the walk for one
//! citizen and the commit that erases them.
//!
//!     cargo run --release -p sportello-testkit --bin sportello-erasure-bench -- [CITIZENS] [MESSAGES]
//!
//! Defaults: 10,000 citizens × 20 messages (about 800,000 entries).

use std::time::Instant;

use sportello::ids::CitizenKey;
use sportello::store::{ConsentEntry, Mark, Op, PortalRecord, Store, Subject, Subscription};

fn number(i: usize) -> String {
    format!("39333{:07}", i)
}

/// Everything one citizen leaves in the store.
fn citizen_ops(store: &Store, i: usize, messages: usize) -> Vec<Op> {
    let key = CitizenKey::parse(&format!("p:{}", number(i))).unwrap();
    let c = key.as_str();
    let room = format!("!room{i}:comune.test");
    let mut p = PortalRecord::new(&key, &room, &format!("@whatsapp_{}:comune.test", number(i)));
    p.profile_name = Some(format!("Cittadino {i}"));
    p.phone = Some(number(i));
    let mut ops = Store::portal_ops(&p);
    for m in 0..messages {
        let wamid = format!("wamid.{i}.{m}");
        ops.extend(Store::message_ops(&wamid, &room, &format!("$e{i}.{m}")));
        ops.push(Store::seen_op(&Mark::Message(&wamid)));
        ops.push(Store::status_op(&wamid, "read", None));
    }
    let sub = Subscription {
        topics: vec!["eventi".into()],
        ..Default::default()
    };
    ops.extend(Store::subscription_ops(&c, None, &sub));
    ops.push(store.consent_op(
        &c,
        &ConsentEntry {
            at: 1,
            action: "subscribe".into(),
            topics: vec!["eventi".into()],
            channel: "keyword".into(),
            wamid: None,
            policy_version: "1".into(),
            note: None,
            by: None,
        },
    ));
    ops
}

fn main() {
    let args = sportello_testkit::measure::numeric_args();
    let citizens = args.first().copied().unwrap_or(10_000);
    let messages = args.get(1).copied().unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let fill = Instant::now();
    let mut entries = 0usize;
    let mut batch = Vec::new();
    for i in 0..citizens {
        batch.extend(citizen_ops(&store, i, messages));
        if batch.len() > 20_000 {
            entries += batch.len();
            store.commit(std::mem::take(&mut batch)).unwrap();
        }
    }
    entries += batch.len();
    store.commit(batch).unwrap();
    println!(
        "store: {citizens} citizens × {messages} messages, {entries} writes, filled in {:.1} s",
        fill.elapsed().as_secs_f64()
    );
    let who = citizens / 2;
    let c = format!("p:{}", number(who));
    let subject = Subject {
        citizen: c.clone(),
        identities: vec![c],
        room_id: Some(format!("!room{who}:comune.test")),
        ghost: Some(format!("@whatsapp_{}:comune.test", number(who))),
    };
    for round in 1..=3 {
        let t = Instant::now();
        let found = store.held_about(&subject).unwrap();
        let walk = t.elapsed();
        println!(
            "round {round}: the walk (what !export shows) found {} entries in {:.0} ms",
            found.len(),
            walk.as_secs_f64() * 1000.0
        );
    }
    let found = store.held_about(&subject).unwrap();
    let t = Instant::now();
    store.commit(Store::erase_ops(&found)).unwrap();
    println!(
        "the erasure's commit ({} writes): {:.1} ms",
        found.len(),
        t.elapsed().as_secs_f64() * 1000.0
    );
    let left = store.held_about(&subject).unwrap().len();
    println!("left about the citizen afterwards: {left}");
    assert_eq!(left, 0);
}
