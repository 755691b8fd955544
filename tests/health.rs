//! Health probes as an administrator's monitoring uses them: `/_matrix/mau/live` and
//! `/_matrix/mau/ready`, part by part, with a revoked token and a homeserver that stops
//! answering — and nothing personal in any answer.

use serde_json::{Value, json};

use crate::harness::{Citizen, citizen_writes, eventually, stack};

async fn ready(http: &reqwest::Client, base: &str) -> (u16, Value) {
    let r = http
        .get(format!("{base}/_matrix/mau/ready"))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_names_the_failing_part_and_recovers() {
    let mut stack = stack().await;
    let http = reqwest::Client::new();
    let base = stack.bridge_url();
    let live = http
        .get(format!("{base}/_matrix/mau/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200);
    assert_eq!(live.json::<Value>().await.unwrap(), json!({"ok": true}));

    // At start the Graph API is asked once, so the bridge is soon ready.
    let (_, ok) = eventually("the bridge to be ready", || async {
        let r = ready(&http, &base).await;
        (r.0 == 200).then_some(r)
    })
    .await;
    assert_eq!(
        ok,
        json!({"ready": true, "store": {"state": "ok"}, "homeserver": {"state": "ok"},
               "whatsapp": {"state": "ok"}})
    );

    // Meta revokes the token: the next answer staff send is refused with 190, and the probe
    // says what to renew — without the citizen's number.
    let anna = Citizen::phone("393331234567", "Anna");
    let (mario, room) = citizen_writes(&stack, &anna, "Buongiorno, è aperto?").await;
    stack.sim.revoke_token(true);
    mario
        .send(
            &room,
            json!({"msgtype": "m.text", "body": "**È** aperto fino alle 13"}),
        )
        .await;
    let (status, body) = eventually("the probe to see the refused token", || async {
        let r = ready(&http, &base).await;
        (r.0 == 503).then_some(r)
    })
    .await;
    assert_eq!(status, 503);
    assert_eq!(body["ready"], false);
    assert_eq!(body["store"]["state"], "ok");
    assert_eq!(body["homeserver"]["state"], "ok");
    assert_eq!(body["whatsapp"]["state"], "failing");
    let detail = body["whatsapp"]["detail"].as_str().unwrap();
    assert!(
        detail.contains("190") && detail.contains("whatsapp.access_token"),
        "{detail}"
    );
    assert!(!body.to_string().contains("3331234567"), "{body}");

    // Renewed: the next answer that goes through makes the bridge ready again.
    stack.sim.revoke_token(false);
    mario
        .send(
            &room,
            json!({"msgtype": "m.text", "body": "Ora funziona 🙂"}),
        )
        .await;
    eventually("the bridge to be ready again", || async {
        (ready(&http, &base).await.0 == 200).then_some(())
    })
    .await;

    // The homeserver stops answering: the probe says so within its own wait, and recovers.
    let synapse = &mut stack.synapse;
    tokio::task::block_in_place(|| synapse.stop());
    let (status, body) = ready(&http, &base).await;
    tokio::task::block_in_place(|| stack.synapse.resume()).unwrap();
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["homeserver"]["state"], "failing", "{body}");
    assert_eq!(body["whatsapp"]["state"], "ok", "{body}");
    eventually("the homeserver to answer again", || async {
        (ready(&http, &base).await.0 == 200).then_some(())
    })
    .await;
}

/// The admin room is told once when Meta refuses the token and once when it accepts it again,
/// and once when the homeserver stops answering and once when it is back — in Italian here,
/// as the office reads it — and nothing more while a condition lasts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_room_is_told_once_per_condition_and_change() {
    let mut stack = crate::harness::stack_with(crate::harness::StackOptions {
        language: "it".into(),
        extra_toml: "[alerts]\nunreachable_minutes = 0\ncheck_seconds = 1\n".into(),
        ..Default::default()
    })
    .await;
    let anna = crate::harness::Staff::login(&stack.synapse.url, "anna").await;
    let admin_room = anna.room_for_alias("#whatsapp_admin:comune.test").await;
    anna.accept_invite(&admin_room).await;
    let alerts = |anna: &crate::harness::Staff, room: matrix_sdk::ruma::OwnedRoomId| {
        let client = anna.client.clone();
        async move {
            crate::harness::Staff { client }
                .messages(&room)
                .await
                .into_iter()
                .filter_map(|e| e["content"]["body"].as_str().map(str::to_owned))
                .filter(|b| b.starts_with("⚠️") || b.starts_with("✅"))
                .collect::<Vec<_>>()
        }
    };

    stack.sim.revoke_token(true);
    let told = eventually("the refused token to be told", || async {
        let a = alerts(&anna, admin_room.clone()).await;
        (!a.is_empty()).then_some(a)
    })
    .await;
    assert!(told[0].contains("whatsapp.access_token"), "{told:?}");
    // Several rounds later, still once.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    stack.sim.revoke_token(false);
    let told = eventually("the renewed token to be told", || async {
        let a = alerts(&anna, admin_room.clone()).await;
        (a.len() >= 2).then_some(a)
    })
    .await;
    assert_eq!(told.len(), 2, "{told:?}");
    assert!(told[1].contains("accetta di nuovo"), "{told:?}");

    // The homeserver stops answering for a few rounds: told when it is back (the notice
    // waits in the admin room's queue), with its end.
    let synapse = &mut stack.synapse;
    tokio::task::block_in_place(|| synapse.stop());
    tokio::time::sleep(std::time::Duration::from_secs(8)).await;
    tokio::task::block_in_place(|| stack.synapse.resume()).unwrap();
    let told = eventually("the homeserver's outage to be told", || async {
        let a = alerts(&anna, admin_room.clone()).await;
        (a.len() >= 4).then_some(a)
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let told_later = alerts(&anna, admin_room.clone()).await;
    assert_eq!(told_later, told, "nothing more once it is over");
    assert!(told[2].contains("server Matrix non risponde"), "{told:?}");
    assert!(told[3].contains("risponde di nuovo"), "{told:?}");
}
