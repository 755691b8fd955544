//! A citizen's number or business-scoped id changes: the person keeps their room,
//! subscriptions and consent ledger, and replies and news follow them to the new identity
//! (never to the old number, which a carrier may give to somebody else).

use std::time::Duration;

use serde_json::json;

use crate::harness::news::Admin;
use crate::harness::{Citizen, WAIT, citizen_writes, eventually, stack};

/// The texts the simulator accepted for `to` (a number or a business-scoped id).
fn texts_to(stack: &crate::harness::Stack, to: &str) -> Vec<String> {
    stack
        .sim
        .accepted_messages()
        .into_iter()
        .filter(|m| m["to"] == to || (m.get("to").is_none() && m["recipient"] == to))
        .map(|m| m["text"]["body"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_number_keeps_the_room_and_gets_the_replies_and_the_news() {
    let stack = stack().await;
    let sim = &stack.sim;
    let old = Citizen::phone("393331110001", "Rossi");
    let new = Citizen::phone("393337770002", "Rossi");
    let (mario, room) = citizen_writes(&stack, &old, "buongiorno").await;
    let n = sim.notification(&[&old], vec![sim.text(&old, "ISCRIVIMI EVENTI")]);
    assert_eq!(sim.post(&n).await, 200);
    sim.wait_for_messages(1, WAIT).await;

    // Meta's system message: staff are told, the room is renamed after the new number.
    assert_eq!(
        sim.post(&sim.number_change(&old, "393337770002")).await,
        200
    );
    let told = mario
        .wait_for(&room, 1, "the number change notice", |e| {
            e["content"]["body"]
                .as_str()
                .is_some_and(|b| b.contains("changed their WhatsApp number, now +39•••0002"))
        })
        .await;
    assert_eq!(told[0]["content"]["msgtype"], "m.notice");
    eventually("the room renamed after the new number", || async {
        let name = mario.state(room.as_str(), "m.room.name", "").await?;
        name["name"]
            .as_str()
            .is_some_and(|n| n.contains("+39•••0002"))
            .then_some(())
    })
    .await;

    // Staff answer: it goes to the new number.
    mario
        .send(
            &room,
            json!({"msgtype": "m.text", "body": "Ricevuto, grazie"}),
        )
        .await;
    eventually("the reply at the new number", || async {
        texts_to(&stack, "393337770002")
            .iter()
            .any(|t| t == "Ricevuto, grazie")
            .then_some(())
    })
    .await;

    // The citizen writes from the new number: the same room.
    let n = sim.notification(&[&new], vec![sim.text(&new, "grazie a voi")]);
    assert_eq!(sim.post(&n).await, 200);
    mario
        .wait_for(&room, 1, "the message from the new number", |e| {
            e["content"]["body"] == "grazie a voi"
        })
        .await;

    // The subscription and its ledger followed; the news goes to the new number only.
    let admin = Admin::join(&stack, "anna").await;
    let ledger = admin.say("consent +39 333 777 0002").await;
    assert!(ledger.contains("eventi"), "{ledger}");
    let draft = admin
        .say("broadcast eventi Strada chiusa in via Roma")
        .await;
    assert!(draft.contains("Recipients now: 1"), "{draft}");
    assert!(admin.say("approve 1").await.contains("approved"));
    eventually("the news at the new number", || async {
        texts_to(&stack, "393337770002")
            .iter()
            .any(|t| t == "Strada chiusa in via Roma")
            .then_some(())
    })
    .await;
    // Nothing but the subscription's answer ever went to the old number.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let to_old = texts_to(&stack, "393331110001");
    assert_eq!(to_old.len(), 1, "{to_old:?}");
    assert!(to_old[0].contains("eventi"), "{to_old:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewed_user_id_keeps_a_username_citizen_in_their_room() {
    let stack = stack().await;
    let sim = &stack.sim;
    let before = Citizen::bsuid_only("IT.a1B2c3D4e5", "Utente");
    let after = Citizen::bsuid_only("IT.z9Y8x7W6v5", "Utente");
    let (mario, room) = citizen_writes(&stack, &before, "ciao").await;

    // Meta's `user_id_update` (no number: a username user).
    let update = sim.user_id_update_notification(&before, "IT.a1B2c3D4e5", "IT.z9Y8x7W6v5");
    assert_eq!(sim.post(&update).await, 200);
    // The next message, under the new id only, lands in the same room …
    let n = sim.notification(&[&after], vec![sim.text(&after, "ci sono ancora")]);
    assert_eq!(sim.post(&n).await, 200);
    mario
        .wait_for(&room, 1, "the message under the new id", |e| {
            e["content"]["body"] == "ci sono ancora"
        })
        .await;
    // … and the answer goes to the new id.
    mario
        .send(&room, json!({"msgtype": "m.text", "body": "Buongiorno"}))
        .await;
    eventually("the reply to the new id", || async {
        texts_to(&stack, "IT.z9Y8x7W6v5")
            .iter()
            .any(|t| t == "Buongiorno")
            .then_some(())
    })
    .await;
    assert!(texts_to(&stack, "IT.a1B2c3D4e5").is_empty());
}
