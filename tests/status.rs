//! Delivery status back to staff: receipts for delivered and read, a notice for failed.

use matrix_sdk::ruma::{
    OwnedUserId,
    events::receipt::{ReceiptThread, ReceiptType},
};
use serde_json::json;

use crate::harness::{Citizen, WAIT, citizen_writes, eventually, stack};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivered_and_read_become_receipts_and_failed_a_notice() {
    let stack = stack().await;
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
            && body.contains("cannot be delivered"),
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
