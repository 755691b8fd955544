//! Portals and text both ways, end to end against a real Synapse.

use serde_json::{Value, json};

use crate::harness::{Citizen, Staff, WAIT, citizen_writes, eventually, stack, stack_with};

const ANNA_WA: &str = "393331234567";
const ANNA_ALIAS: &str = "#whatsapp_393331234567:comune.test";
const ANNA_GHOST: &str = "@whatsapp_393331234567:comune.test";

fn from(user: &'static str) -> impl Fn(&Value) -> bool {
    move |e: &Value| e["sender"] == user
}

async fn state(staff: &Staff, room: &str) -> Vec<Value> {
    let token = staff.client.access_token().unwrap();
    let url = format!(
        "{}/_matrix/client/v3/rooms/{room}/state",
        staff.client.homeserver().as_str().trim_end_matches('/')
    );
    reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn citizen_and_staff_talk_with_formatting_and_replies() {
    let stack = stack().await;
    let sim = &stack.sim;
    let anna = Citizen::phone(ANNA_WA, "Anna Rossi");
    let first = sim.text(&anna, "Buongiorno, quali sono gli *orari* dell'anagrafe?");
    let first_wamid = first["id"].as_str().unwrap().to_owned();
    assert_eq!(
        sim.post(&sim.notification(&[&anna], vec![first])).await,
        200
    );

    let mario = Staff::login(&stack.synapse.url, "mario").await;
    let room = mario.room_for_alias(ANNA_ALIAS).await;
    mario.accept_invite(&room).await;
    let msgs = mario
        .wait_for(&room, 1, "the citizen's message", from(ANNA_GHOST))
        .await;
    let c = &msgs[0]["content"];
    assert_eq!(c["msgtype"], "m.text");
    assert_eq!(
        c["body"],
        "Buongiorno, quali sono gli *orari* dell'anagrafe?"
    );
    assert_eq!(
        c["formatted_body"],
        "Buongiorno, quali sono gli <strong>orari</strong> dell&#39;anagrafe?"
    );
    let citizen_event = msgs[0]["event_id"].as_str().unwrap().to_owned();

    // Ghost named after the profile; room named from the template with a masked number.
    assert_eq!(
        mario.display_name(&room, ANNA_GHOST).await.as_deref(),
        Some("Anna Rossi (WhatsApp)")
    );
    let name = mario
        .client
        .get_room(&room)
        .unwrap()
        .name()
        .unwrap_or_default();
    // (After the conversation's state, which `helpdesk.rs` checks.)
    assert!(name.ends_with("Anna Rossi (+39•••4567)"), "{name}");

    // Power levels: staff 50, admin 100, ghost 0, the bot (creator, room v12) not listed.
    let st = state(&mario, room.as_str()).await;
    let pl = st
        .iter()
        .find(|e| e["type"] == "m.room.power_levels")
        .unwrap();
    assert_eq!(pl["content"]["users"]["@mario:comune.test"], 50);
    assert_eq!(pl["content"]["users"]["@anna:comune.test"], 100);
    assert_eq!(pl["content"]["users"][ANNA_GHOST], 0);
    assert!(
        pl["content"]["users"]
            .get("@sportello:comune.test")
            .is_none()
    );
    assert!(pl["content"]["state_default"].as_i64().unwrap() > 0);
    // The room sits in the bot's WhatsApp space.
    let parent = st
        .iter()
        .find(|e| e["type"] == "m.space.parent")
        .expect("m.space.parent");
    let space = parent["state_key"].as_str().unwrap().to_owned();
    let space_id: matrix_sdk::ruma::OwnedRoomId = space.as_str().try_into().unwrap();
    mario.accept_invite(&space_id).await;
    let sst = state(&mario, &space).await;
    assert!(
        sst.iter()
            .any(|e| e["type"] == "m.space.child" && e["state_key"] == room.as_str())
    );
    assert!(
        sst.iter()
            .any(|e| e["type"] == "m.room.create" && e["content"]["type"] == "m.space")
    );

    // Staff answer in HTML, as a reply: WhatsApp markup, reply context, to the citizen.
    let answer = mario
        .send(&room, json!({
            "msgtype": "m.text",
            "body": "> <@whatsapp_393331234567:comune.test> Buongiorno\n\nLun–ven 9-13, *giovedì* anche 15-17",
            "format": "org.matrix.custom.html",
            "formatted_body": "<mx-reply><blockquote>Buongiorno</blockquote></mx-reply>Lun–ven <code>9-13</code>, <em>giovedì</em> anche <strong>15-17</strong>",
            "m.relates_to": {"m.in_reply_to": {"event_id": citizen_event}}
        }))
        .await;
    let sent = sim.wait_for_messages(1, WAIT).await;
    assert_eq!(sent.len(), 1);
    let s = &sent[0];
    assert_eq!(s["messaging_product"], "whatsapp");
    assert_eq!(s["recipient_type"], "individual");
    assert_eq!(s["to"], ANNA_WA);
    assert_eq!(s["type"], "text");
    assert_eq!(s["text"]["body"], "Lun–ven `9-13`, _giovedì_ anche *15-17*");
    assert_eq!(s["context"]["message_id"], first_wamid.as_str());

    // The citizen quotes the office's answer: a Matrix reply to the staff event.
    let answer_wamid = sim.accepted()[0].response["messages"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = sim.reply(&anna, "_Grazie_ mille!", &answer_wamid);
    assert_eq!(
        sim.post(&sim.notification(&[&anna], vec![reply])).await,
        200
    );
    let msgs = mario
        .wait_for(&room, 2, "the citizen's reply", from(ANNA_GHOST))
        .await;
    let c = &msgs[1]["content"];
    assert_eq!(
        c["m.relates_to"]["m.in_reply_to"]["event_id"],
        answer.as_str()
    );
    assert_eq!(c["formatted_body"], "<em>Grazie</em> mille!");

    // Privacy: no phone number, wamid or token in anything the bridge logged.
    let logs = crate::harness::captured_logs();
    assert!(logs.contains("+39•••4567"), "the masked number is logged");
    let hs_token = stack.config.raw.appservice.hs_token.clone();
    for secret in [
        ANNA_WA,
        "3331234567",
        first_wamid.as_str(),
        answer_wamid.as_str(),
        hs_token.as_str(),
    ] {
        assert!(!logs.contains(secret), "logs contain {secret}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_room_for_later_messages_also_after_a_restart() {
    let mut stack = stack().await;
    let anna = Citizen::phone(ANNA_WA, "Anna Rossi");
    let n = stack
        .sim
        .notification(&[&anna], vec![stack.sim.text(&anna, "uno")]);
    assert_eq!(stack.sim.post(&n).await, 200);
    let mario = Staff::login(&stack.synapse.url, "mario").await;
    let room = mario.room_for_alias(ANNA_ALIAS).await;
    mario.accept_invite(&room).await;
    mario.wait_for(&room, 1, "first", from(ANNA_GHOST)).await;

    stack.stop_bridge().await;
    stack.start_bridge().await.unwrap();
    // The profile name changed meanwhile: ghost and room follow it.
    let anna2 = Citizen::phone(ANNA_WA, "Anna R.");
    let n = stack
        .sim
        .notification(&[&anna2], vec![stack.sim.text(&anna2, "due")]);
    assert_eq!(stack.sim.post_until_ok(&n, 20).await, 200);
    let msgs = mario
        .wait_for(
            &room,
            2,
            "second message in the same room",
            from(ANNA_GHOST),
        )
        .await;
    assert_eq!(msgs[0]["content"]["body"], "uno");
    assert_eq!(msgs[1]["content"]["body"], "due");
    assert_eq!(mario.room_for_alias(ANNA_ALIAS).await, room);
    eventually("the ghost renamed", || async {
        mario.sync().await;
        (mario.display_name(&room, ANNA_GHOST).await.as_deref() == Some("Anna R. (WhatsApp)"))
            .then_some(())
    })
    .await;
    // Exactly one portal was ever offered to staff (besides the space and its shelves).
    let portals = mario.portals_offered().await;
    assert_eq!(portals, std::slice::from_ref(&room), "one portal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simultaneous_first_messages_create_one_room_in_order() {
    let stack = stack().await;
    let sim = stack.sim.clone();
    let bo = Citizen::phone("393409876543", "Bo");
    // One batch of three, and three separate deliveries at the same moment.
    let batch = sim.notification(
        &[&bo],
        (1..=3)
            .map(|i| sim.text(&bo, &format!("batch {i}")))
            .collect(),
    );
    let singles: Vec<Value> = (1..=3)
        .map(|i| sim.notification(&[&bo], vec![sim.text(&bo, &format!("single {i}"))]))
        .collect();
    let (a, b, c, d) = tokio::join!(
        sim.post(&batch),
        sim.post(&singles[0]),
        sim.post(&singles[1]),
        sim.post(&singles[2])
    );
    assert_eq!([a, b, c, d], [200; 4]);
    let mario = Staff::login(&stack.synapse.url, "mario").await;
    let room = mario
        .room_for_alias("#whatsapp_393409876543:comune.test")
        .await;
    mario.accept_invite(&room).await;
    let msgs = mario
        .wait_for(
            &room,
            6,
            "six messages",
            from("@whatsapp_393409876543:comune.test"),
        )
        .await;
    let bodies: Vec<&str> = msgs
        .iter()
        .map(|m| m["content"]["body"].as_str().unwrap())
        .collect();
    let batch_pos: Vec<usize> = (1..=3)
        .map(|i| {
            bodies
                .iter()
                .position(|b| *b == format!("batch {i}"))
                .unwrap()
        })
        .collect();
    assert!(
        batch_pos.windows(2).all(|w| w[0] < w[1]),
        "a batch keeps its order: {bodies:?}"
    );
    assert_eq!(
        mario.portals_offered().await,
        std::slice::from_ref(&room),
        "one portal"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_staff_is_not_relayed_and_is_told_so() {
    // Also: bridge.signature = "staff" signs with the staff member's display name.
    let stack = stack_with(crate::harness::StackOptions {
        signature: "staff".into(),
        ..Default::default()
    })
    .await;
    let sim = &stack.sim;
    let anna = Citizen::phone(ANNA_WA, "Anna");
    sim.post(&sim.notification(&[&anna], vec![sim.text(&anna, "ciao")]))
        .await;
    let mario = Staff::login(&stack.synapse.url, "mario").await;
    let room = mario.room_for_alias(ANNA_ALIAS).await;
    mario.accept_invite(&room).await;
    // Mario invites Eve, who is not staff; Eve writes.
    mario
        .client
        .get_room(&room)
        .unwrap()
        .invite_user_by_id(&matrix_sdk::ruma::OwnedUserId::try_from("@eve:comune.test").unwrap())
        .await
        .unwrap();
    let eve = Staff::login(&stack.synapse.url, "eve").await;
    eve.accept_invite(&room).await;
    let ev = eve
        .send(&room, json!({"msgtype": "m.text", "body": "sono Eve"}))
        .await;
    let notices = mario
        .wait_for(&room, 1, "the refusal notice", |e| {
            e["sender"] == "@sportello:comune.test" && e["content"]["msgtype"] == "m.notice"
        })
        .await;
    assert_eq!(
        notices[0]["content"]["m.relates_to"]["m.in_reply_to"]["event_id"],
        ev.as_str()
    );
    assert!(
        notices[0]["content"]["body"]
            .as_str()
            .unwrap()
            .contains("not on the office's staff list")
    );
    // Mario's message after Eve's still goes through; Eve's never does.
    mario
        .send(&room, json!({"msgtype": "m.text", "body": "risposta"}))
        .await;
    let sent = sim.wait_for_messages(1, WAIT).await;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let sent_after = sim.accepted_messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent_after.len(), 1);
    assert_eq!(sent_after[0]["text"]["body"], "risposta\n\n— mario");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bsuid_only_citizen_gets_a_portal_and_answers() {
    let stack = stack_with(crate::harness::StackOptions {
        signature: "office".into(),
        ..Default::default()
    })
    .await;
    let sim = &stack.sim;
    let user = Citizen::bsuid_only("IT.a1B2c3D4e5", "Utente");
    sim.post(&sim.notification(&[&user], vec![sim.text(&user, "ciao")]))
        .await;
    let mario = Staff::login(&stack.synapse.url, "mario").await;
    let room = mario
        .room_for_alias("#whatsapp_bsuid._i_t.a1_b2c3_d4e5:comune.test")
        .await;
    mario.accept_invite(&room).await;
    mario
        .wait_for(
            &room,
            1,
            "the message",
            from("@whatsapp_bsuid._i_t.a1_b2c3_d4e5:comune.test"),
        )
        .await;
    mario
        .send(&room, json!({"msgtype": "m.text", "body": "Buongiorno"}))
        .await;
    let sent = sim.wait_for_messages(1, WAIT).await;
    assert_eq!(sent[0]["recipient"], "IT.a1B2c3D4e5");
    assert!(sent[0].get("to").is_none());
    // bridge.signature = "office"
    assert_eq!(
        sent[0]["text"]["body"],
        "Buongiorno\n\n— URP Comune di Prova"
    );

    // Later the same citizen writes with their number too: same room, answers go to the number.
    let both = Citizen {
        wa_id: Some("393471112223".into()),
        ..user.clone()
    };
    sim.post(&sim.notification(&[&both], vec![sim.text(&both, "eccomi")]))
        .await;
    let ghost = "@whatsapp_bsuid._i_t.a1_b2c3_d4e5:comune.test";
    mario
        .wait_for(&room, 2, "the second message in the same room", |e| {
            e["sender"] == ghost
        })
        .await;
    mario
        .send(&room, json!({"msgtype": "m.text", "body": "Perfetto"}))
        .await;
    let sent = sim.wait_for_messages(2, WAIT).await;
    assert_eq!(sent[1]["to"], "393471112223");
    let alias: matrix_sdk::ruma::OwnedRoomAliasId =
        "#whatsapp_393471112223:comune.test".try_into().unwrap();
    assert!(
        mario.client.resolve_room_alias(&alias).await.is_err(),
        "no second portal"
    );
}

/// A room left under the bot's space alias that the bot cannot join (as when the homeserver
/// went down while creating the space) is replaced, never adopted: adopting it once sent every
/// citizen's first message to a dead letter ("not in room") for good.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_under_the_space_alias_the_bot_cannot_join_is_replaced() {
    let stack = stack().await;
    let hs = &stack.synapse.url;
    let as_token = &stack.config.raw.appservice.as_token;
    let matrix = sportello::matrix::MatrixClient::new(hs, as_token);
    matrix.register("whatsapp_blocker").await.unwrap();
    let blocker: serde_json::Value = reqwest::Client::new()
        .post(format!(
            "{hs}/_matrix/client/v3/createRoom?user_id=@whatsapp_blocker:comune.test"
        ))
        .bearer_auth(as_token)
        .json(&json!({"room_alias_name": "whatsapp_space", "preset": "private_chat"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let blocker = blocker["room_id"]
        .as_str()
        .expect("the blocking room")
        .to_owned();

    let lucia = Citizen::phone("393471112244", "Lucia Verdi");
    let (mario, room) = citizen_writes(&stack, &lucia, "È aperto l'ufficio?").await;
    let parent = mario
        .events(&room, "m.space.parent")
        .await
        .pop()
        .expect("the portal sits in a space");
    let space = parent["state_key"].as_str().unwrap();
    assert_ne!(space, blocker, "the half-made room was not adopted");
    let alias = matrix
        .resolve_alias("#whatsapp_space:comune.test")
        .await
        .unwrap();
    assert_eq!(
        alias.as_deref(),
        Some(space),
        "the alias names the new space"
    );
}
