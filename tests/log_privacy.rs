//! Logs free of personal data on every path: webhooks whose every field holds a citizen's
//! number and name — valid ones of each kind, wrong types everywhere, not a notification,
//! not JSON — and homeserver transactions just as broken go through the bridge, and nothing
//! it logged names them.

use serde_json::{Value, json};
use sportello_simulator::webhook::sign;

use crate::harness::{Citizen, StackOptions, citizen_writes, stack_with};

const NUMBER: &str = "393339998877";
const NAME: &str = "Gianfranco Peretti";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_number_or_name_reaches_the_logs() {
    let stack = stack_with(StackOptions {
        autoreply: "enabled = true".into(),
        ..Default::default()
    })
    .await;
    let sim = &stack.sim;
    let pnid = stack.config.raw.whatsapp.phone_number_id.clone();
    let secret = stack.config.raw.whatsapp.app_secret.clone();
    let who = format!("{NAME} {NUMBER}");
    let gianfranco = Citizen::phone(NUMBER, NAME);

    // Valid webhooks of every kind the bridge reads, about him.
    let text = sim.text(&gianfranco, &format!("Sono {who}, È urgente"));
    let wamid = text["id"].as_str().unwrap().to_owned();
    let mut valid = vec![
        sim.notification(&[&gianfranco], vec![text]),
        sim.failed_status_notification("wamid.HBgMMzkzMzM5OTk4ODc3FQIAERgS", NUMBER, 131026, &who),
        sim.echoes(vec![sim.app_text(&gianfranco, &who)]),
        sim.contact_sync(&gianfranco, Some(NAME)),
        sim.history_chunk(
            0,
            1,
            100,
            &[(
                &gianfranco,
                vec![sim.history_message(
                    &gianfranco,
                    false,
                    1_790_000_000,
                    "text",
                    json!({"body": who}),
                )],
            )],
        ),
        sim.preference_notification(&gianfranco, "stop"),
    ];
    // Wrong types in every field, and values where names go.
    let everywhere = |field: &str| {
        json!({"object": "whatsapp_business_account", "entry": [{"id": who, "changes": [{"field": field, "value": {
            "metadata": {"phone_number_id": pnid, "display_phone_number": who},
            "contacts": [{"profile": {"name": NUMBER}, "wa_id": who, "user_id": who}],
            "messages": [{"from": who, "id": 393339998877u64, "type": NAME, "timestamp": who, NAME: NUMBER, "context": {"id": who}}],
            "statuses": [{"id": who, "status": NAME, "recipient_id": who, "errors": [{"code": who, "title": who}]}],
            "message_echoes": [{"from": who, "to": who, "id": who, "type": who}],
            "state_sync": [{"type": who, "contact": {"phone_number": who, "full_name": NUMBER}}],
            "history": [{"metadata": {"phase": who}, "threads": [{"id": who, "messages": [{"id": who, "type": who}]}], "errors": [{"code": who, "title": who}]}],
            "user_preferences": [{"wa_id": who, "value": NAME, "category": who}]
        }}]}]})
    };
    for field in [
        "messages",
        "smb_message_echoes",
        "history",
        "smb_app_state_sync",
        "user_preferences",
        NAME,
    ] {
        valid.push(everywhere(field));
    }
    valid.push(json!({"object": "whatsapp_business_account", "entry": who}));
    valid.push(json!({"object": who, "entry": []}));
    valid.push(json!({"object": "whatsapp_business_account", "entry": [{"changes": who}]}));
    for n in &valid {
        assert_eq!(sim.post(n).await, 200, "{n}");
    }
    let not_json = format!("{{\"entry\": [\"{who}\"").into_bytes();
    let signature = sign(&secret, &not_json);
    sim.post_raw(not_json, Some(signature)).await;

    // Homeserver transactions with the same values in the wrong places.
    let hs_token = stack.config.raw.appservice.hs_token.clone();
    let bad_txns = [
        json!({"events": &who}),
        json!({"events": [{"event_id": &who, "room_id": NUMBER, "type": &who}, &who, {"sender": NUMBER, "content": {"body": &who}}]}),
        json!({"events": [], "ephemeral": [{"type": "m.receipt", "room_id": &who, "content": {&who: {"m.read": {NUMBER: {"ts": &who}}}}}]}),
    ];
    for (i, body) in bad_txns.iter().enumerate() {
        let r = reqwest::Client::new()
            .put(format!(
                "{}/_matrix/app/v1/transactions/privacy{i}",
                stack.bridge_url()
            ))
            .bearer_auth(&hs_token)
            .json(body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
    }

    // Everything before the marker has been routed once the marker is in its room; and his
    // message is in his.
    let marker = Citizen::phone("393330000001", "Segnaposto");
    let (mario, _) = citizen_writes(&stack, &marker, "Ultimo messaggio").await;
    let room = mario
        .room_for_alias(&crate::harness::portal_alias(&gianfranco))
        .await;
    mario.accept_invite(&room).await;
    mario
        .wait_for(&room, 1, "his message", |e: &Value| {
            e["content"]["body"]
                .as_str()
                .is_some_and(|b| b.starts_with("Sono "))
        })
        .await;

    let logs = crate::harness::captured_logs();
    assert!(
        logs.contains("dead letter"),
        "the broken bodies were logged about"
    );
    for secret in [NUMBER, "3339998877", NAME, "Peretti", wamid.as_str()] {
        let line = logs.lines().find(|l| l.contains(secret));
        assert!(line.is_none(), "the logs contain {secret}: {line:?}");
    }
}
