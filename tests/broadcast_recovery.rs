//! Broadcasts across a crash: the bridge SIGKILLed mid-broadcast, and recipients left
//! `sending` resolved by their callback tags — nobody gets it twice; the uncertain ones only
//! when an admin says so.

use sportello::store::{Broadcast, BroadcastState, RecipientSend, RecipientState, Store, now_secs};

use crate::harness::broadcast::{
    Kind, assert_exactly_once, broadcast_sends, key, news_toml, number, report, seed_ops, seeded,
};
use crate::harness::news::{Admin, seed};
use crate::harness::{StackOptions, eventually, stack_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcast_survives_sigkill_exactly_once() {
    const N: usize = 600;
    let _heavy = crate::harness::heavy().await;
    let (mut stack, admin) = seeded(N, 50, 8).await;
    stack.stop_bridge().await;
    let (mut child, _dir) = crate::harness::bridge_process(&stack).await;
    assert!(admin.say("approve 1").await.contains("approved"));
    let sim = stack.sim.clone();
    eventually("a third of the broadcast", || async {
        (broadcast_sends(&stack, 1).len() >= N / 3).then_some(())
    })
    .await;
    child.kill().unwrap(); // SIGKILL, mid-broadcast
    child.wait().unwrap();
    let at_kill = broadcast_sends(&stack, 1).len();
    assert!(at_kill < N, "the broadcast had already finished");

    stack.start_bridge().await.unwrap();
    // Sends in flight at the kill whose status never came are uncertain: not resent by the
    // bridge; no recipient got it twice.
    let first = report(&admin, 1, ", done)").await;
    let uncertain: usize = first_line(&first)
        .rsplit(": ")
        .next()
        .and_then(|n| n.trim().parse().ok())
        .expect("the uncertain count ends the report");
    let sent_now = broadcast_sends(&stack, 1);
    assert!(sent_now.values().all(|s| s.len() == 1), "nobody twice");
    assert_eq!(sent_now.len() + uncertain, N, "{first}");
    assert!(
        first.contains(&format!("sent {} of {N}", N - uncertain)),
        "{first}"
    );
    // The admin decides to send them again (here none had left: they get it once).
    let resent = admin.say("broadcast resend-uncertain 1").await;
    if uncertain > 0 {
        assert!(
            resent.contains(&format!("goes again to {uncertain} recipients")),
            "{resent}"
        );
    } else {
        assert!(resent.contains("no recipients"), "{resent}");
    }
    let done = report(&admin, 1, &format!("sent {N} of {N}")).await;
    assert!(
        first_line(&done).ends_with("sends them again): 0"),
        "{done}"
    );
    assert_exactly_once(&stack, N);
    eprintln!(
        "killed after {at_kill} sends; {uncertain} uncertain; {} requests in all",
        sim.recorded()
            .iter()
            .filter(|r| r.body["biz_opaque_callback_data"].is_string())
            .count()
    );
}

/// After a crash, recipients left `sending` are resolved by their callback tag: the one whose
/// status arrived is not sent again; the one with none is uncertain and is sent again only
/// when an admin says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupted_sends_are_resolved_by_their_tags() {
    let mut stack = stack_with(StackOptions {
        extra_toml: news_toml(50, 3),
        ..Default::default()
    })
    .await;
    let kinds = vec![Kind::Outside; 3];
    seed(&mut stack, |_| {
        let mut ops = seed_ops(&kinds);
        // Broadcast #1 was being sent when the bridge died: citizen 0's send reached WhatsApp
        // (its status, with the tag, was stored), citizen 1's never left; 2 is still ahead.
        let b = Broadcast {
            id: 1,
            topic: Some("eventi".into()),
            text: "Avviso".into(),
            created_by: "@anna:comune.test".into(),
            created_at: now_secs(),
            state: BroadcastState::Sending,
            approved_by: Some("@anna:comune.test".into()),
            started_at: Some(now_secs()),
            finished_at: None,
            audience: 3,
            cursor: Some(key(1)),
            next_ordinal: 2,
            counts: Default::default(),
            progress_event: None,
            report_event: None,
            cancelled_by: None,
            attachment: None,
            // As an earlier version stored it: the template is chosen when the sender starts.
            template: None,
        };
        ops.push(Store::broadcast_op(&b));
        for i in 0..2 {
            let r = RecipientSend {
                ordinal: i as u64,
                state: RecipientState::Sending,
                wamid: None,
                detail: None,
                attempts: 0,
                retry_at: 0,
            };
            ops.push(Store::recipient_op(1, &key(i), &r));
        }
        ops.push(Store::tag_op("sportello-bc-1-0", "wamid.SEEN0"));
        ops
    })
    .await;
    let admin = Admin::join(&stack, "anna").await;
    let first = report(&admin, 1, "sent 2 of 3").await;
    assert!(
        first_line(&first).ends_with("sends them again): 1"),
        "{first}"
    );
    let sends = broadcast_sends(&stack, 1);
    assert!(
        !sends.contains_key(&number(0)),
        "resent although WhatsApp had it"
    );
    assert!(
        !sends.contains_key(&number(1)),
        "resent without proof that it never arrived"
    );
    assert_eq!(sends[&number(2)].len(), 1);
    assert_eq!(sends.len(), 1);
    // An admin decides: the uncertain one is sent again, once.
    let resent = admin.say("broadcast resend-uncertain 1").await;
    assert!(resent.contains("goes again to 1 recipients"), "{resent}");
    let done = report(&admin, 1, "sent 3 of 3").await;
    assert!(
        first_line(&done).ends_with("sends them again): 0"),
        "{done}"
    );
    let sends = broadcast_sends(&stack, 1);
    assert_eq!(sends[&number(1)].len(), 1);
    assert!(!sends.contains_key(&number(0)));
    assert!(
        admin
            .say("broadcast resend-uncertain 1")
            .await
            .contains("no recipients")
    );
}

/// A report's first line: its counts (Meta's pricing follows on the next).
fn first_line(report: &str) -> &str {
    report.lines().next().unwrap_or_default()
}
