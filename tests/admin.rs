//! The admin room: generated help, permissions with an audit log, and blocks that stop a
//! number both ways (and at Meta).

use serde_json::json;

use crate::harness::{Citizen, Staff, bot_reply as reply_to, citizen_writes, eventually};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_commands_permissions_audit_and_blocks() {
    let stack = crate::harness::stack_with(crate::harness::StackOptions {
        extra_toml: "[policies]\ncode_of_conduct = \"Codice di condotta: niente insulti.\"\ncode_of_conduct_version = \"2026-1\"\n".into(),
        ..Default::default()
    })
    .await;
    let sim = &stack.sim;
    let anna_admin = Staff::login(&stack.synapse.url, "anna").await;
    let admin_room = anna_admin
        .room_for_alias("#whatsapp_admin:comune.test")
        .await;
    anna_admin.accept_invite(&admin_room).await;
    let say = |text: &'static str| {
        let admin = &anna_admin;
        let room = admin_room.clone();
        async move {
            let ev = admin
                .send(&room, json!({"msgtype": "m.text", "body": text}))
                .await;
            reply_to(admin, &room, ev.as_str()).await
        }
    };

    let help = say("help").await;
    assert!(help["formatted_body"].as_str().unwrap().contains("<table>"));
    assert!(
        help["body"]
            .as_str()
            .unwrap()
            .contains("!block <number|this room> <reason>")
    );
    assert!(
        say("blok").await["body"]
            .as_str()
            .unwrap()
            .contains("is not a command")
    );

    let citizen = Citizen::phone("393331234567", "Rossi");
    let (mario, portal) = citizen_writes(&stack, &citizen, "primo").await;

    // A staff member who is not an admin cannot block; the attempt is audited.
    let ev = mario
        .send(
            &portal,
            json!({"msgtype": "m.text", "body": "!block this room spam"}),
        )
        .await;
    let refused = reply_to(&mario, &portal, ev.as_str()).await;
    assert!(
        refused["body"]
            .as_str()
            .unwrap()
            .contains("Only the office's administrators"),
        "{refused}"
    );
    assert!(
        sim.recorded().is_empty(),
        "a command is never sent to the citizen"
    );

    // Any staff member may send the code of conduct first; it goes out like an answer.
    let ev = mario
        .send(
            &portal,
            json!({"msgtype": "m.text", "body": "!warn this room"}),
        )
        .await;
    let warned = reply_to(&mario, &portal, ev.as_str()).await;
    assert!(
        warned["body"].as_str().unwrap().contains("version 2026-1"),
        "{warned}"
    );
    let sent = sim.wait_for_messages(1, crate::harness::WAIT).await;
    assert_eq!(
        (sent[0]["to"].as_str(), sent[0]["text"]["body"].as_str()),
        (
            Some("393331234567"),
            Some("Codice di condotta: niente insulti.")
        )
    );

    let blocked = say("block +39 333 1234567 linguaggio offensivo").await;
    let body = blocked["body"].as_str().unwrap();
    assert!(
        body.contains("Blocked +39•••4567: linguaggio offensivo")
            && body.contains("blocked on WhatsApp too"),
        "{body}"
    );
    let calls: Vec<_> = sim
        .recorded()
        .into_iter()
        .filter(|r| r.path.ends_with("/block_users"))
        .collect();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        (calls[0].method.as_str(), &calls[0].body["block_users"]),
        ("POST", &json!([{"user": "+393331234567"}]))
    );
    eventually("the portal marked blocked", || async {
        mario.sync().await;
        mario
            .client
            .get_room(&portal)
            .and_then(|r| r.name())
            .filter(|n| n.starts_with("⛔"))
            .map(|_| ())
    })
    .await;

    // Nothing passes either way.
    assert_eq!(
        sim.post(&sim.notification(&[&citizen], vec![sim.text(&citizen, "ancora insulti")]))
            .await,
        200
    );
    let ev = mario
        .send(&portal, json!({"msgtype": "m.text", "body": "risposta"}))
        .await;
    assert!(
        reply_to(&mario, &portal, ev.as_str()).await["body"]
            .as_str()
            .unwrap()
            .contains("blocked")
    );
    let other = Citizen::phone("393409876543", "Bo");
    sim.post(&sim.notification(&[&other], vec![sim.text(&other, "marker")]))
        .await;
    let bo_room = mario
        .room_for_alias("#whatsapp_393409876543:comune.test")
        .await;
    mario.accept_invite(&bo_room).await;
    mario
        .wait_for(&bo_room, 1, "the marker", |e| {
            e["content"]["body"] == "marker"
        })
        .await;
    let portal_msgs = mario.messages(&portal).await;
    assert!(
        !portal_msgs
            .iter()
            .any(|e| e["content"]["body"] == "ancora insulti"),
        "a blocked citizen's message was bridged"
    );
    assert_eq!(
        sim.accepted_messages().len(),
        1,
        "only the code of conduct went out"
    );

    let list = say("blocked").await;
    assert!(
        list["formatted_body"]
            .as_str()
            .unwrap()
            .contains("+39•••4567")
            && list["body"]
                .as_str()
                .unwrap()
                .contains("linguaggio offensivo")
    );

    let unblocked = say("!unblock +393331234567").await;
    assert!(
        unblocked["body"]
            .as_str()
            .unwrap()
            .contains("Unblocked +39•••4567"),
        "{unblocked}"
    );
    assert!(
        sim.recorded()
            .iter()
            .any(|r| r.method == "DELETE" && r.path.ends_with("/block_users"))
    );
    sim.post(&sim.notification(&[&citizen], vec![sim.text(&citizen, "scusate")]))
        .await;
    mario
        .wait_for(&portal, 1, "the message after unblocking", |e| {
            e["content"]["body"] == "scusate"
        })
        .await;

    let audit = say("audit").await;
    let a = audit["body"].as_str().unwrap();
    assert!(
        a.contains("@mario:comune.test")
            && a.contains("!block this room spam")
            && a.contains("Only the office's administrators"),
        "{a}"
    );
    assert!(
        a.contains("@anna:comune.test") && a.contains("block +39"),
        "{a}"
    );
    assert!(
        !a.contains("3331234567"),
        "numbers are masked in the audit log: {a}"
    );
}

/// `office.admin_power_level`: a member of the admin room with that power level runs admin
/// commands without being listed in `office.admins`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_room_power_level_grants_admin_commands() {
    let stack = crate::harness::stack_with(crate::harness::StackOptions {
        admin_power_level: 100,
        ..Default::default()
    })
    .await;
    let anna = crate::harness::news::Admin::join(&stack, "anna").await;
    let room = anna.staff.client.get_room(&anna.room).unwrap();
    let eve_id = matrix_sdk::ruma::UserId::parse(stack.user_id("eve")).unwrap();
    room.invite_user_by_id(&eve_id).await.unwrap();
    let eve = crate::harness::news::Admin::join(&stack, "eve").await;
    assert!(
        eve.say("blocked")
            .await
            .contains("Only the office's administrators"),
        "eve has no power yet"
    );
    // Anna raises eve to 100 (the state event through the client-server API).
    let room_id = anna.room.as_str();
    let mut pl = anna
        .staff
        .state(room_id, "m.room.power_levels", "")
        .await
        .unwrap();
    pl["users"][eve_id.as_str()] = json!(100);
    anna.staff
        .put_state(room_id, "m.room.power_levels", "", &pl)
        .await;
    let list = eve.say("blocked").await;
    assert!(!list.contains("Only the office's administrators"), "{list}");
}

/// `!hours` shows the week and the office's state; admins switch emergency mode on and off,
/// and each switch is audited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hours_and_emergency_mode() {
    let stack = crate::harness::stack().await;
    let anna = crate::harness::news::Admin::join(&stack, "anna").await;
    let hours = anna.say("hours").await;
    assert!(
        hours.starts_with("Office hours (Europe/Rome):")
            && hours.contains("Tuesday: 9:00–13:00, 15:00–17:00")
            && hours.contains("Sunday: closed")
            && (hours.contains("Open now, until ") || hours.contains("Closed now")),
        "{hours}"
    );
    assert!(
        anna.say("hours emergency on")
            .await
            .contains("Add the message for citizens"),
        "a message is required"
    );
    let on = anna
        .say("hours emergency on Alluvione: per emergenze chiamate il 112")
        .await;
    assert_eq!(
        on,
        "Emergency mode on: Alluvione: per emergenze chiamate il 112"
    );
    let shown = anna.say("hours").await;
    assert!(
        shown.contains("Emergency mode is on (by @anna:comune.test")
            && shown.ends_with("Alluvione: per emergenze chiamate il 112"),
        "{shown}"
    );
    assert!(
        anna.say("hours emergency off")
            .await
            .starts_with("Emergency mode off")
    );
    assert!(!anna.say("hours").await.contains("Emergency mode is on"));
    let audit = anna.say("audit").await;
    assert!(
        audit.contains("hours emergency on Alluvione") && audit.contains("hours emergency off"),
        "{audit}"
    );
}
