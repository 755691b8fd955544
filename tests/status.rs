//! Delivery status back to staff: receipts for delivered and read, a notice for failed.

use matrix_sdk::ruma::{
    OwnedUserId,
    events::receipt::{ReceiptThread, ReceiptType},
};
use serde_json::json;

use crate::harness::{Citizen, WAIT, citizen_writes, eventually};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivered_and_read_become_receipts_and_failed_a_notice() {
    // In Italian, the product's default language.
    let stack = crate::harness::stack_with(crate::harness::StackOptions {
        language: "it".into(),
        ..Default::default()
    })
    .await;
    let anna = Citizen::phone("393331234567", "Anna");
    let (mario, room) = citizen_writes(&stack, &anna, "ciao").await;
    let sim = &stack.sim;

    // The simulator answers sent, delivered, read (as Meta does for a message that is read).
    let ev = mario
        .send(&room, json!({"msgtype": "m.text", "body": "Buongiorno"}))
        .await;
    sim.wait_for_messages(1, WAIT).await;
    let joined = mario.client.get_room(&room).unwrap();
    for (who, what) in [
        ("@sportello:comune.test", "delivered (bot receipt)"),
        ("@whatsapp_393331234567:comune.test", "read (ghost receipt)"),
    ] {
        let user: OwnedUserId = who.try_into().unwrap();
        eventually(what, || async {
            mario.sync().await;
            let r = joined
                .load_user_receipt(ReceiptType::Read, ReceiptThread::Unthreaded, &user)
                .await
                .ok()
                .flatten();
            (r.map(|(e, _)| e) == Some(ev.clone())).then_some(())
        })
        .await;
    }
    let no_notice = mario
        .messages(&room)
        .await
        .iter()
        .all(|e| e["sender"] != "@sportello:comune.test");
    assert!(
        no_notice,
        "statuses of a delivered message post nothing visible"
    );

    // Accepted, then failed asynchronously (131026): a notice replying to the message.
    sim.set_auto_statuses(false);
    let ev2 = mario
        .send(&room, json!({"msgtype": "m.text", "body": "secondo"}))
        .await;
    let sent = sim.wait_for_messages(2, WAIT).await;
    assert_eq!(sent.len(), 2);
    let wamid = sim.accepted()[1].response["messages"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let failed =
        sim.failed_status_notification(&wamid, "393331234567", 131026, "Message undeliverable");
    assert_eq!(sim.post(&failed).await, 200);
    assert_eq!(
        sim.post(&failed).await,
        200,
        "a retried status is shown once"
    );
    let notices = mario
        .wait_for(&room, 1, "the failure notice", |e| {
            e["sender"] == "@sportello:comune.test"
        })
        .await;
    let c = &notices[0]["content"];
    assert_eq!(c["msgtype"], "m.notice");
    assert_eq!(c["m.relates_to"]["m.in_reply_to"]["event_id"], ev2.as_str());
    let body = c["body"].as_str().unwrap();
    assert!(
        body.contains("131026")
            && body.contains("Message undeliverable")
            && body.starts_with("Non consegnato. WhatsApp non è riuscito a consegnarlo (errore 131026: Message undeliverable)") && body.contains("non può essere consegnato"),
        "{body}"
    );
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let bot_msgs = mario
        .messages(&room)
        .await
        .into_iter()
        .filter(|e| e["sender"] == "@sportello:comune.test")
        .count();
    assert_eq!(bot_msgs, 1);
}

/// Staff reading a citizen's message gives the citizen blue ticks; staff typing shows
/// "typing…"; with `bridge.mark_read = false` neither leaves the office.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_read_and_typing_reach_whatsapp_only_when_enabled() {
    for enabled in [true, false] {
        let stack = crate::harness::stack_with(crate::harness::StackOptions {
            mark_read: enabled,
            ..Default::default()
        })
        .await;
        let sim = &stack.sim;
        let anna = Citizen::phone("393331234567", "Anna");
        let msg = sim.text(&anna, "C'è qualcuno?");
        let wamid = msg["id"].as_str().unwrap().to_owned();
        assert_eq!(sim.post(&sim.notification(&[&anna], vec![msg])).await, 200);
        let mario = crate::harness::Staff::login(&stack.synapse.url, "mario").await;
        let room = mario
            .room_for_alias("#whatsapp_393331234567:comune.test")
            .await;
        mario.accept_invite(&room).await;
        let ev = mario
            .wait_for(&room, 1, "the message", |e| {
                e["content"]["body"] == "C'è qualcuno?"
            })
            .await[0]["event_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let joined = mario.client.get_room(&room).unwrap();
        let ev: matrix_sdk::ruma::OwnedEventId = ev.try_into().unwrap();
        joined
            .send_single_receipt(
                matrix_sdk::ruma::api::client::receipt::create_receipt::v3::ReceiptType::Read,
                ReceiptThread::Unthreaded,
                ev,
            )
            .await
            .unwrap();
        joined.typing_notice(true).await.unwrap();
        let reads = || {
            sim.recorded()
                .into_iter()
                .filter(|r| r.body["status"] == "read")
                .map(|r| r.body)
                .collect::<Vec<_>>()
        };
        if enabled {
            let got = eventually("the read mark and the typing indicator", || async {
                let r = reads();
                (r.len() >= 2).then_some(r)
            })
            .await;
            // Synapse sends receipts and typing on separate streams: either may come first.
            let mark =
                json!({"messaging_product": "whatsapp", "status": "read", "message_id": wamid});
            assert!(got.contains(&mark), "{got:?}");
            let typing = got
                .iter()
                .find(|r| r.get("typing_indicator").is_some())
                .expect("a typing indicator");
            assert_eq!(typing["typing_indicator"], json!({"type": "text"}));
            assert_eq!(typing["message_id"], wamid.as_str());
        } else {
            // A marker proves the receipt and the typing notice were processed.
            mario
                .send(&room, json!({"msgtype": "m.text", "body": "marker"}))
                .await;
            sim.wait_for_messages(1, WAIT).await;
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            assert!(reads().is_empty(), "nothing leaves when mark_read is off");
        }
    }
}
