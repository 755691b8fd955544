use super::*;

fn key(k: &str) -> crate::ids::CitizenKey {
    crate::ids::CitizenKey::parse(k).expect("a citizen key")
}

#[tokio::test]
async fn queues_keep_order_per_citizen_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = Store::open(dir.path()).unwrap();
        let ops = vec![
            s.queue_push_op("p:391", b"one"),
            s.queue_push_op("p:392", b"other"),
            s.queue_push_op("p:391", b"two"),
        ];
        s.commit(ops).unwrap();
        s.inbox_push(Source::Matrix, b"{}").await.unwrap();
    }
    let s = Store::open(dir.path()).unwrap();
    assert_eq!(s.queue_citizens().unwrap(), vec!["p:391", "p:392"]);
    let head = s.queue_head("p:391").unwrap().unwrap();
    assert_eq!(head.body, b"one");
    s.commit(vec![
        Store::queue_done_op(&head),
        s.queue_push_op("p:391", b"three"),
    ])
    .unwrap();
    assert_eq!(s.queue_head("p:391").unwrap().unwrap().body, b"two");
    assert_eq!(s.queue_len("p:391").unwrap(), 2);
    let inbox = s.inbox_pending(10).unwrap();
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].source, Source::Matrix);
    assert!(s.next_seq() > inbox[0].seq);
}

/// Concurrent deliveries share commits, and each is durable when its call returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_inbox_pushes_are_group_committed_and_durable() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = Store::open(dir.path()).unwrap();
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..200u32 {
            let s = s.clone();
            tasks.spawn(async move { s.inbox_push(Source::WhatsApp, &i.to_be_bytes()).await });
        }
        let mut seqs = std::collections::BTreeSet::new();
        while let Some(r) = tasks.join_next().await {
            seqs.insert(r.unwrap().unwrap());
        }
        assert_eq!(
            seqs.len(),
            200,
            "every delivery has its own sequence number"
        );
    }
    let s = Store::open(dir.path()).unwrap();
    let mut bodies: Vec<Vec<u8>> = s
        .inbox_pending(1000)
        .unwrap()
        .into_iter()
        .map(|e| e.body)
        .collect();
    bodies.sort();
    let want: Vec<Vec<u8>> = (0..200u32).map(|i| i.to_be_bytes().to_vec()).collect();
    assert_eq!(bodies, want);
}

#[test]
fn portals_and_message_map() {
    let s = Store::memory();
    let p = PortalRecord {
        profile_name: Some("Anna".into()),
        phone: Some("39333".into()),
        ..PortalRecord::new(&key("p:39333"), "!r:x", "@whatsapp_39333:x")
    };
    s.commit(Store::portal_ops(&p)).unwrap();
    assert_eq!(s.portal_by_room("!r:x").unwrap(), Some(p.clone()));
    s.commit(Store::message_ops("wamid.A", "!r:x", "$e"))
        .unwrap();
    assert_eq!(s.wamid_for_event("$e").unwrap().as_deref(), Some("wamid.A"));
    assert_eq!(
        s.event_for_wamid("wamid.A").unwrap().unwrap().event_id,
        "$e"
    );
}

/// The audience is read page by page in key order, the topic index follows every change,
/// and the sweeper's portal pages cover every portal once.
#[test]
fn audiences_and_portals_are_paged() {
    let s = Store::memory();
    let sub = |topics: &[&str]| Subscription {
        topics: topics.iter().map(|t| t.to_string()).collect(),
        ..Default::default()
    };
    let mut ops = Vec::new();
    for i in 0..25 {
        let c = format!("p:3933300{i:04}");
        let topics: &[&str] = if i % 5 == 0 {
            &["bandi"]
        } else {
            &["eventi", "bandi"]
        };
        ops.extend(Store::subscription_ops(&c, None, &sub(topics)));
        ops.extend(Store::portal_ops(&PortalRecord::new(
            &key(&c),
            &format!("!r{i}:x"),
            &format!("@g{i}:x"),
        )));
    }
    s.commit(ops).unwrap();
    let page = |topic: Option<&str>| {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let p = s.audience_page(topic, cursor.as_deref(), 7).unwrap();
            let Some(last) = p.last().cloned() else { break };
            all.extend(p);
            cursor = Some(last);
        }
        all
    };
    assert_eq!(page(Some("eventi")).len(), 20);
    assert_eq!(page(Some("bandi")).len(), 25);
    assert_eq!(page(None).len(), 25);
    let ev = page(Some("eventi"));
    assert!(ev.windows(2).all(|w| w[0] < w[1]), "key order, no repeats");
    assert_eq!(s.topic_count("eventi").unwrap(), 20);

    // Leaving a topic updates the index; leaving everything removes the record.
    let c = "p:39333000001";
    let old = s.subscription(c).unwrap().unwrap();
    s.commit(Store::subscription_ops(c, Some(&old), &sub(&["bandi"])))
        .unwrap();
    assert_eq!(s.topic_count("eventi").unwrap(), 19);
    let old = s.subscription(c).unwrap().unwrap();
    s.commit(Store::subscription_ops(c, Some(&old), &sub(&[])))
        .unwrap();
    assert!(s.subscription(c).unwrap().is_none());
    assert_eq!(s.subscription_totals().unwrap(), (24, 0));

    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let p = s.portals_page(after.as_deref(), 10).unwrap();
        let Some(last) = p.last() else { break };
        after = Some(last.citizen.as_str());
        seen.extend(p.into_iter().map(|p| p.citizen.as_str()));
    }
    assert_eq!(seen.len(), 25);
}

/// Marks and reaction references keep the key formats earlier versions wrote, so a store
/// written before reads the same after an upgrade.
#[test]
fn mark_and_reaction_keys_keep_their_stored_format() {
    use super::{Mark, ReactionRef};
    let cases = [
        (Mark::Message("wamid.A"), "w:wamid.A"),
        (
            Mark::Status {
                wamid: "wamid.A",
                status: "read",
            },
            "s:wamid.A:read",
        ),
        (
            Mark::Preference {
                citizen: "p:39333",
                value: "stop",
                at: 7,
            },
            "u:p:39333:stop:7",
        ),
        (Mark::Event("$e"), "e:$e"),
        (Mark::Read("wamid.B"), "r:wamid.B"),
        (Mark::Stalled(&[0xab, 0x01]), "q:ab01"),
        (
            Mark::WindowClosed {
                citizen: "p:39333",
                until: 9,
            },
            "t:p:39333:9",
        ),
        (Mark::SweepPanic("p:39333"), "sweep-panic:p:39333"),
    ];
    for (mark, key) in cases {
        assert_eq!(mark.key(), key);
    }
    let s = Store::memory();
    s.commit(vec![Store::reaction_op(
        ReactionRef::Citizen("wamid.C"),
        "$r",
    )])
    .unwrap();
    assert_eq!(
        s.reaction(ReactionRef::Citizen("wamid.C"))
            .unwrap()
            .as_deref(),
        Some("$r")
    );
    assert_eq!(s.reaction(ReactionRef::Staff("wamid.C")).unwrap(), None);
}

/// A broadcast state written by a later version reads as `Unknown` instead of failing the
/// whole broadcast record; the known ones keep their stored names.
#[test]
fn a_broadcast_state_of_a_later_version_reads_as_unknown() {
    use crate::store::BroadcastState;
    let state: BroadcastState = serde_json::from_str("\"paused\"").unwrap();
    assert_eq!(state, BroadcastState::Unknown);
    for (s, name) in [
        (BroadcastState::Draft, "\"draft\""),
        (BroadcastState::Sending, "\"sending\""),
        (BroadcastState::Done, "\"done\""),
        (BroadcastState::Cancelled, "\"cancelled\""),
    ] {
        assert_eq!(serde_json::to_string(&s).unwrap(), name);
        assert_eq!(serde_json::from_str::<BroadcastState>(name).unwrap(), s);
    }
}
