//! WhatsApp's 24-hour window: staff answers after it are held (not sent into a certain
//! failure), `!template` reaches the citizen, and the held answer goes out when they write.

use serde_json::json;

use crate::harness::{BOT, Citizen, StackOptions, Staff, WAIT, eventually, stack_with};

async fn topic(mario: &Staff, room: &str) -> String {
    let v = mario
        .state(room, "m.room.topic", "")
        .await
        .unwrap_or_default();
    v["topic"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_the_window_answers_are_held_templates_go_and_the_reply_releases_them() {
    let stack = stack_with(StackOptions {
        extra_toml: "[templates.riprendi]\nname = \"riprendi_conversazione\"\nlanguage = \"it\"\nparams = 1\ndescription = \"Ciao {{1}}, l'URP ha una risposta per te.\"\n".into(),
        ..Default::default()
    })
    .await;
    let sim = &stack.sim;
    let anna = Citizen::phone("393331234567", "Anna");
    // A message written 25 hours ago (delivered late, or the office was closed).
    let mut old = sim.text(&anna, "Quando riapre la biblioteca?");
    let then = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 25 * 3600;
    old["timestamp"] = json!(then.to_string());
    assert_eq!(sim.post(&sim.notification(&[&anna], vec![old])).await, 200);
    let mario = Staff::login(&stack.synapse.url, "mario").await;
    let room = mario
        .room_for_alias("#whatsapp_393331234567:comune.test")
        .await;
    mario.accept_invite(&room).await;
    mario
        .wait_for(&room, 1, "the old message", |e| e["sender"] != BOT)
        .await;
    assert!(topic(&mario, room.as_str()).await.contains("window closed"));

    // A free-form answer is held, with a notice listing the templates.
    let late = mario
        .send(
            &room,
            json!({"msgtype": "m.text", "body": "Riapre lunedì alle 9"}),
        )
        .await;
    let n = mario
        .wait_for(&room, 1, "the held notice", |e| e["sender"] == BOT)
        .await;
    assert_eq!(
        n[0]["content"]["m.relates_to"]["m.in_reply_to"]["event_id"],
        late.as_str()
    );
    let body = n[0]["content"]["body"].as_str().unwrap();
    assert!(
        body.contains("held") && body.contains("!template riprendi <text>"),
        "{body}"
    );
    assert!(
        sim.recorded().is_empty(),
        "nothing sent into a certain failure"
    );

    // A wrong template command is explained; a right one goes out.
    mario
        .send(
            &room,
            json!({"msgtype": "m.text", "body": "!template riprendi"}),
        )
        .await;
    let n = mario
        .wait_for(&room, 2, "the parameter notice", |e| e["sender"] == BOT)
        .await;
    assert!(
        n[1]["content"]["body"]
            .as_str()
            .unwrap()
            .contains("takes 1 parameter(s), 0 given")
    );
    mario
        .send(
            &room,
            json!({"msgtype": "m.text", "body": "!template riprendi \"Anna Rossi\""}),
        )
        .await;
    let sent = sim.wait_for_messages(1, WAIT).await;
    assert_eq!(sent[0]["type"], "template");
    assert_eq!(sent[0]["to"], "393331234567");
    assert_eq!(
        sent[0]["template"],
        json!({"name": "riprendi_conversazione", "language": {"code": "it"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "Anna Rossi"}]}]})
    );

    // The citizen answers: the window opens, the held answer goes out by itself.
    assert_eq!(
        sim.post(&sim.notification(&[&anna], vec![sim.text(&anna, "Grazie, ditemi")]))
            .await,
        200
    );
    let sent = sim.wait_for_messages(2, WAIT).await;
    assert_eq!(sent[1]["text"]["body"], "Riapre lunedì alle 9");
    let n = mario
        .wait_for(&room, 3, "the release notice", |e| e["sender"] == BOT)
        .await;
    assert!(
        n[2]["content"]["body"]
            .as_str()
            .unwrap()
            .contains("sending the 1 held message(s) now")
    );
    eventually("the topic to show the open window", || async {
        topic(&mario, room.as_str())
            .await
            .contains("window open until")
            .then_some(())
    })
    .await;

    // Meta refusing with 131047 anyway (clocks disagree): held as well, released on reply.
    sim.fail_next(crate::harness::Failure::window_closed());
    mario
        .send(
            &room,
            json!({"msgtype": "m.text", "body": "Un'ultima cosa"}),
        )
        .await;
    mario
        .wait_for(&room, 4, "the second held notice", |e| e["sender"] == BOT)
        .await;
    assert_eq!(sim.accepted_messages().len(), 2);
    assert_eq!(
        sim.post(&sim.notification(&[&anna], vec![sim.text(&anna, "Sì?")]))
            .await,
        200
    );
    let sent = sim.wait_for_messages(3, WAIT).await;
    assert_eq!(sent[2]["text"]["body"], "Un'ultima cosa");

    // Accepted, then failed asynchronously with 131047: held too, and released on reply.
    mario
        .send(&room, json!({"msgtype": "m.text", "body": "Dimenticavo"}))
        .await;
    let sent = sim.wait_for_messages(4, WAIT).await;
    assert_eq!(sent[3]["text"]["body"], "Dimenticavo");
    let wamid = sim.accepted()[3].response["messages"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let failed =
        sim.failed_status_notification(&wamid, "393331234567", 131047, "Re-engagement message");
    assert_eq!(sim.post(&failed).await, 200);
    let n = mario
        .wait_for(&room, 6, "the held notice after the failed status", |e| {
            e["sender"] == BOT
        })
        .await;
    assert!(
        n[5]["content"]["body"].as_str().unwrap().contains("held"),
        "{:?}",
        n[5]
    );
    assert_eq!(
        sim.post(&sim.notification(&[&anna], vec![sim.text(&anna, "Eccomi")]))
            .await,
        200
    );
    let sent = sim.wait_for_messages(5, WAIT).await;
    assert_eq!(sent[4]["text"]["body"], "Dimenticavo");
}
