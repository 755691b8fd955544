//! Order and durability: a homeserver outage, Graph API failures, terminal errors.

use std::time::Duration;

use serde_json::json;

use crate::harness::{Citizen, Failure, Staff, WAIT, citizen_writes, stack};

const GHOST: &str = "@whatsapp_393331234567:comune.test";

async fn portal(stack: &crate::harness::Stack) -> (Staff, matrix_sdk::ruma::OwnedRoomId, Citizen) {
    let anna = Citizen::phone("393331234567", "Anna");
    let (mario, room) = citizen_writes(stack, &anna, "primo").await;
    (mario, room, anna)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn homeserver_outage_loses_nothing_and_keeps_order() {
    let mut stack = stack().await;
    let (mario, room, anna) = portal(&stack).await;
    let sim = stack.sim.clone();
    let synapse = &mut stack.synapse;
    tokio::task::block_in_place(|| synapse.stop());
    // Meta keeps delivering; the bridge persists and acknowledges each one.
    for i in 1..=5 {
        let n = sim.notification(&[&anna], vec![sim.text(&anna, &format!("durante {i}"))]);
        assert_eq!(
            sim.post(&n).await,
            200,
            "acknowledged while the homeserver is down"
        );
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    tokio::task::block_in_place(|| stack.synapse.resume()).unwrap();
    let msgs = mario
        .wait_for(&room, 6, "all messages after the outage", |e| {
            e["sender"] == GHOST
        })
        .await;
    let bodies: Vec<&str> = msgs
        .iter()
        .map(|m| m["content"]["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        [
            "primo",
            "durante 1",
            "durante 2",
            "durante 3",
            "durante 4",
            "durante 5"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graph_500_then_success_is_delivered_once_and_refusals_are_explained() {
    let stack = stack().await;
    let (mario, room, _anna) = portal(&stack).await;
    let sim = &stack.sim;
    sim.fail_next(Failure::Http500);
    sim.fail_next(Failure::service_unavailable());
    mario
        .send(
            &room,
            json!({"msgtype": "m.text", "body": "dopo due errori"}),
        )
        .await;
    let sent = sim.wait_for_messages(1, WAIT).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["text"]["body"], "dopo due errori");
    let posts = sim
        .recorded()
        .iter()
        .filter(|r| r.path.ends_with("/messages") && r.body.get("type").is_some())
        .count();
    assert_eq!(posts, 3, "two failures, then one success");

    // A terminal error: a notice replying to the staff message, with the code and a reason.
    sim.fail_next(Failure::Graph {
        http_status: 400,
        code: 131026,
        message: "Message undeliverable".into(),
    });
    let ev = mario
        .send(
            &room,
            json!({"msgtype": "m.text", "body": "non consegnabile"}),
        )
        .await;
    let notices = mario
        .wait_for(&room, 1, "the failure notice", |e| {
            e["sender"] == "@sportello:comune.test"
        })
        .await;
    let c = &notices[0]["content"];
    assert_eq!(c["msgtype"], "m.notice");
    assert_eq!(c["m.relates_to"]["m.in_reply_to"]["event_id"], ev.as_str());
    let body = c["body"].as_str().unwrap();
    assert!(
        body.contains("131026") && body.contains("cannot be delivered"),
        "{body}"
    );

    // Later messages are not stuck behind it, and nothing was sent twice.
    mario
        .send(&room, json!({"msgtype": "m.text", "body": "ultimo"}))
        .await;
    let sent = sim.wait_for_messages(2, WAIT).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let bodies: Vec<String> = sim
        .accepted_messages()
        .iter()
        .map(|m| m["text"]["body"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(bodies, ["dopo due errori", "ultimo"], "{sent:?}");

    // No answer in time: maybe delivered, so not resent; the staff member is told.
    sim.fail_next(Failure::Delay(Duration::from_secs(7)));
    let slow = mario
        .send(&room, json!({"msgtype": "m.text", "body": "lento"}))
        .await;
    let notices = mario
        .wait_for(&room, 2, "the timeout notice", |e| {
            e["sender"] == "@sportello:comune.test"
        })
        .await;
    assert_eq!(
        notices[1]["content"]["m.relates_to"]["m.in_reply_to"]["event_id"],
        slow.as_str()
    );
    assert!(
        notices[1]["content"]["body"]
            .as_str()
            .unwrap()
            .contains("did not answer in time")
    );
    tokio::time::sleep(Duration::from_secs(4)).await;
    let tries = sim
        .recorded()
        .iter()
        .filter(|r| r.body["text"]["body"] == "lento")
        .count();
    assert_eq!(tries, 1, "a timed-out send is never repeated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_and_too_long_are_refused_before_sending() {
    let stack = stack().await;
    let (mario, room, _anna) = portal(&stack).await;
    let sim = &stack.sim;
    mario
        .send(
            &room,
            json!({"msgtype": "m.text", "body": "x".repeat(4097)}),
        )
        .await;
    let poll = json!({"org.matrix.msc3381.poll.start": {"question": {"org.matrix.msc1767.text": "Orari?"},
        "kind": "org.matrix.msc3381.poll.disclosed", "max_selections": 1,
        "answers": [{"id": "a", "org.matrix.msc1767.text": "Mattina"}, {"id": "b", "org.matrix.msc1767.text": "Pomeriggio"}]},
        "org.matrix.msc1767.text": "Orari?"});
    mario
        .send_event(&room, "org.matrix.msc3381.poll.start", poll)
        .await;
    let gif = mario
        .upload("image/gif", vec![b'G', b'I', b'F', b'8', b'9', b'a', 0, 0])
        .await;
    mario.send(&room, json!({"msgtype": "m.image", "body": "a.gif", "url": gif, "info": {"mimetype": "image/gif", "size": 8}})).await;
    let notices = mario
        .wait_for(&room, 3, "three refusal notices", |e| {
            e["sender"] == "@sportello:comune.test"
        })
        .await;
    let bodies: Vec<&str> = notices
        .iter()
        .map(|n| n["content"]["body"].as_str().unwrap())
        .collect();
    assert!(bodies[0].contains("4096"), "{bodies:?}");
    assert!(bodies[1].contains("no polls"), "{bodies:?}");
    assert!(bodies[2].contains("JPEG, PNG"), "{bodies:?}");
    assert!(sim.recorded().is_empty(), "nothing reached WhatsApp");
}

/// The bridge process is killed (SIGKILL) while WhatsApp has a send in hand but has not
/// answered. At the next start the outcome is unknown: staff are told, nothing is resent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_send_reports_instead_of_resending() {
    // No read marks or typing: the simulator's delay must fall on the send itself, not on a
    // mark-read call the staff message may queue before it.
    let mut stack = crate::harness::stack_with(crate::harness::StackOptions {
        request_timeout_secs: 60,
        mark_read: false,
        ..Default::default()
    })
    .await;
    let (mario, room, _anna) = portal(&stack).await;
    stack.stop_bridge().await;
    // The same bridge, as a separate process on the same port and store.
    let (mut child, _dir) = crate::harness::bridge_process(&stack).await;

    let sim = stack.sim.clone();
    sim.fail_next(Failure::Delay(Duration::from_secs(30)));
    let ev = mario
        .send(&room, json!({"msgtype": "m.text", "body": "in volo"}))
        .await;
    crate::harness::eventually("the send to reach WhatsApp", || async {
        sim.recorded()
            .iter()
            .any(|r| r.body["text"]["body"] == "in volo")
            .then_some(())
    })
    .await;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    stack.start_bridge().await.unwrap();
    let notices = mario
        .wait_for(&room, 1, "the unknown-outcome notice", |e| {
            e["sender"] == "@sportello:comune.test"
        })
        .await;
    let c = &notices[0]["content"];
    assert_eq!(c["m.relates_to"]["m.in_reply_to"]["event_id"], ev.as_str());
    assert!(
        c["body"]
            .as_str()
            .unwrap()
            .contains("may or may not have reached"),
        "{c}"
    );
    // Later messages flow again, and the interrupted one was not sent a second time.
    mario
        .send(&room, json!({"msgtype": "m.text", "body": "dopo"}))
        .await;
    crate::harness::eventually("the next message", || async {
        sim.recorded()
            .iter()
            .any(|r| r.body["text"]["body"] == "dopo" && r.status == 200)
            .then_some(())
    })
    .await;
    let tries = sim
        .recorded()
        .iter()
        .filter(|r| r.body["text"]["body"] == "in volo")
        .count();
    assert_eq!(tries, 1);
}

/// 131056 (too many messages to this citizen): wait 1 s, then 4 s (4^X), then send once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pair_rate_limit_backs_off_four_to_the_x() {
    let stack = stack().await;
    let (mario, room, _anna) = portal(&stack).await;
    let sim = &stack.sim;
    for _ in 0..2 {
        sim.fail_next(Failure::Graph {
            http_status: 400,
            code: 131056,
            message: "(Business Account, Consumer Account) pair rate limit hit".into(),
        });
    }
    mario
        .send(&room, json!({"msgtype": "m.text", "body": "piano piano"}))
        .await;
    sim.wait_for_messages(1, WAIT).await;
    let tries: Vec<_> = sim
        .recorded()
        .into_iter()
        .filter(|r| r.body["text"]["body"] == "piano piano")
        .collect();
    assert_eq!(
        tries.iter().map(|r| r.status).collect::<Vec<_>>(),
        [400, 400, 200]
    );
    let gap = |a: usize, b: usize| tries[b].at.duration_since(tries[a].at).unwrap();
    assert!(gap(0, 1) >= Duration::from_secs(1), "{:?}", gap(0, 1));
    assert!(gap(1, 2) >= Duration::from_secs(4), "{:?}", gap(1, 2));
}
