//! The appservice API as Synapse calls it: tokens, queries, ping, replayed transactions.

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{Citizen, WAIT, citizen_writes, stack};

async fn put_txn(url: &str, token: Option<&str>, txn: &str, body: &Value) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .put(format!("{url}/_matrix/app/v1/transactions/{txn}"))
        .json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_checked_and_replays_are_processed_once() {
    let stack = stack().await;
    let url = stack.bridge_url();
    let hs_token = stack.config.raw.appservice.hs_token.clone();
    let empty = json!({"events": []});
    assert_eq!(
        put_txn(&url, None, "1", &empty).await,
        (
            401,
            json!({"errcode": "M_MISSING_TOKEN", "error": "Missing access token"})
        )
    );
    let (status, body) = put_txn(&url, Some("wrong"), "1", &empty).await;
    assert_eq!(
        (status, body["errcode"].as_str()),
        (403, Some("M_FORBIDDEN"))
    );
    let http = reqwest::Client::new();
    for (method, path) in [
        ("GET", "/_matrix/app/v1/users/@whatsapp_1:comune.test"),
        ("GET", "/_matrix/app/v1/rooms/%23whatsapp_1:comune.test"),
        ("POST", "/_matrix/app/v1/ping"),
    ] {
        let req = http
            .request(method.parse().unwrap(), format!("{url}{path}"))
            .json(&json!({}));
        assert_eq!(
            req.try_clone().unwrap().send().await.unwrap().status(),
            401,
            "{path} without token"
        );
        assert_eq!(
            req.try_clone()
                .unwrap()
                .bearer_auth("nope")
                .send()
                .await
                .unwrap()
                .status(),
            403,
            "{path}"
        );
    }
    let ping = http
        .post(format!("{url}/_matrix/app/v1/ping"))
        .bearer_auth(&hs_token)
        .json(&json!({"transaction_id": "t"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ping.status(), 200);

    // A portal, then a staff event delivered three times (same txn twice, then a new txn id,
    // as after a homeserver restart): sent to WhatsApp once.
    let sim = &stack.sim;
    let anna = Citizen::phone("393331234567", "Anna");
    let (_mario, room) = citizen_writes(&stack, &anna, "ciao").await;
    let ghost_known = http
        .get(format!(
            "{url}/_matrix/app/v1/users/@whatsapp_393331234567:comune.test"
        ))
        .bearer_auth(&hs_token)
        .send()
        .await
        .unwrap();
    assert_eq!(ghost_known.status(), 200);
    let unknown = http
        .get(format!(
            "{url}/_matrix/app/v1/users/@whatsapp_390000000:comune.test"
        ))
        .bearer_auth(&hs_token)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);

    let ev = json!({"type": "m.room.message", "event_id": "$replayed:comune.test", "room_id": room.as_str(),
        "sender": "@mario:comune.test", "origin_server_ts": 1, "content": {"msgtype": "m.text", "body": "una volta"}});
    let txn = json!({"events": [ev]});
    assert_eq!(put_txn(&url, Some(&hs_token), "900", &txn).await.0, 200);
    assert_eq!(put_txn(&url, Some(&hs_token), "900", &txn).await.0, 200);
    assert_eq!(put_txn(&url, Some(&hs_token), "1", &txn).await.0, 200);
    // Echoes of the bridge's own users are ignored.
    let echo = json!({"events": [{"type": "m.room.message", "event_id": "$echo:comune.test", "room_id": room.as_str(),
        "sender": "@whatsapp_393331234567:comune.test", "origin_server_ts": 1, "content": {"msgtype": "m.text", "body": "eco"}}]});
    assert_eq!(put_txn(&url, Some(&hs_token), "901", &echo).await.0, 200);
    let sent = sim.wait_for_messages(1, WAIT).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(sim.accepted_messages().len(), 1, "{sent:?}");
    assert_eq!(sent[0]["text"]["body"], "una volta");
}
