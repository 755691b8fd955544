//! The webhook edge: handshake, signatures, duplicates, dead letters.

use std::time::Duration;

use serde_json::json;
use sportello_simulator::webhook::{meta_bytes, sign};

use crate::harness::{Citizen, citizen_writes, stack};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_answers_the_challenge_only_with_the_right_token() {
    let stack = stack().await;
    let http = reqwest::Client::new();
    let url = stack.webhook_url();
    let ok = http
        .get(format!(
            "{url}?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=verify-me"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.unwrap(), "1158201444");
    for q in [
        "hub.mode=subscribe&hub.challenge=1&hub.verify_token=wrong",
        "hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=verify-me",
        "hub.challenge=1",
    ] {
        let r = http.get(format!("{url}?{q}")).send().await.unwrap();
        assert_eq!(r.status(), 403, "{q}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicates_are_bridged_once_and_bad_signatures_store_nothing() {
    let mut stack = stack().await;
    let sim = stack.sim.clone();
    let anna = Citizen::phone("393331234567", "Anna");
    let msg = sim.text(&anna, "una volta sola");
    // The same id twice inside one array, and the whole delivery three times.
    let n = sim.notification(&[&anna], vec![msg.clone(), msg]);
    for _ in 0..3 {
        assert_eq!(sim.post(&n).await, 200);
    }
    // Wrong and missing signatures: 401, nothing stored.
    let intruder = Citizen::phone("390000000001", "Intruso");
    let bad = meta_bytes(&sim.notification(&[&intruder], vec![sim.text(&intruder, "falso")]));
    assert_eq!(
        sim.post_raw(bad.clone(), Some(sign("not-the-app-secret", &bad)))
            .await,
        401
    );
    assert_eq!(sim.post_raw(bad.clone(), None).await, 401);
    assert_eq!(
        sim.post_raw(bad.clone(), Some("sha256=00".into())).await,
        401
    );
    // Signed but unparseable: acknowledged, kept as a dead letter.
    let garbage = b"{\"object\":\"whatsapp_business_account\",\"entry\":\"oops\"}".to_vec();
    assert_eq!(
        sim.post_raw(
            garbage.clone(),
            Some(sign(&sim.config().app_secret, &garbage))
        )
        .await,
        200
    );
    // A marker message proves everything before it was processed.
    let (mario, room) = citizen_writes(&stack, &anna, "fine").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let all = mario.messages(&room).await;
    let bodies: Vec<&str> = all
        .iter()
        .map(|m| m["content"]["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["una volta sola", "fine"]);
    let alias: matrix_sdk::ruma::OwnedRoomAliasId =
        "#whatsapp_390000000001:comune.test".try_into().unwrap();
    assert!(
        mario.client.resolve_room_alias(&alias).await.is_err(),
        "no portal for an unsigned sender"
    );

    // …and reported in the admin room.
    let admin = crate::harness::Staff::login(&stack.synapse.url, "anna").await;
    let admin_room = admin.room_for_alias("#whatsapp_admin:comune.test").await;
    admin.accept_invite(&admin_room).await;
    let report = admin
        .wait_for(&admin_room, 1, "the dead-letter report", |e| {
            e["sender"] == "@sportello:comune.test"
        })
        .await;
    assert!(
        report[0]["content"]["body"]
            .as_str()
            .unwrap()
            .contains("not lost"),
        "{report:?}"
    );

    stack.stop_bridge().await;
    let store = sportello::store::Store::open(&stack.config.raw.store.path).unwrap();
    let dead = store.dead_letters(10).unwrap();
    assert_eq!(dead.len(), 1);
    assert!(dead[0].body.contains("oops"));
    assert!(
        dead[0].reason.contains("not a WhatsApp notification"),
        "{}",
        dead[0].reason
    );
    assert!(store.inbox_pending(10).unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_batches_are_accepted_and_statuses_stay_monotonic() {
    let mut stack = stack().await;
    let sim = &stack.sim;
    // 1,000 status updates padded to ~2.6 MB, under Meta's 3 MB limit.
    let mut n = sim.status_notification("wamid.X", "delivered", "393331234567");
    let one = n["entry"][0]["changes"][0]["value"]["statuses"][0].clone();
    let statuses: Vec<_> = (0..1000)
        .map(|i| {
            let mut s = one.clone();
            s["id"] = json!(format!("wamid.{i}"));
            s["padding"] = json!("x".repeat(2600));
            s
        })
        .collect();
    n["entry"][0]["changes"][0]["value"]["statuses"] = json!(statuses);
    let bytes = meta_bytes(&n);
    assert!(bytes.len() > 2_600_000, "{}", bytes.len());
    assert_eq!(sim.post(&n).await, 200);

    // Statuses of one message delivered out of order and repeated: the latest stays `read`.
    let statuses: Vec<_> = ["sent", "delivered", "read"]
        .iter()
        .map(|s| sim.status_notification("wamid.R", s, "393331234567"))
        .collect();
    assert_eq!(sim.post_in_order(&statuses, &[2, 1, 1, 0]).await, [200; 4]);
    let marker = Citizen::phone("393331234567", "Anna");
    citizen_writes(&stack, &marker, "fine").await;
    stack.stop_bridge().await;
    let store = sportello::store::Store::open(&stack.config.raw.store.path).unwrap();
    assert_eq!(store.status("wamid.R").unwrap().as_deref(), Some("read"));
    assert_eq!(
        store.status("wamid.999").unwrap().as_deref(),
        Some("delivered")
    );
}
