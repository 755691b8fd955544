//! The helpdesk end to end, as staff see it in Element: a conversation's state in the room
//! name, the topic, the `it.sportello.conversation` state event and its shelf among the
//! WhatsApp space's sub-spaces; `!claim`, `!wait`, `!note`, `!close` in the citizen's room, the
//! assignee mentioned when the citizen writes again, `!open` in the admin room, and a closed
//! conversation reopened by the citizen.

use matrix_sdk::ruma::RoomId;
use serde_json::{Value, json};

use crate::harness::news::Admin;
use crate::harness::staff::Staff;
use crate::harness::{BOT, Citizen, bot_reply, citizen_writes, eventually, stack};

/// Waits until the room's name, topic and state event show `state` (and `topic` in the
/// topic), and the room sits on `shelf` alone (drawn in that order, so all are waited for).
async fn shown(mario: &Staff, room: &RoomId, name: &str, state: &str, topic: &str, shelf: &str) {
    let room_s = room.as_str();
    eventually(
        &format!("the conversation shown as {state} on {shelf}"),
        || async {
            let n = mario.state(room_s, "m.room.name", "").await?;
            let t = mario.state(room_s, "m.room.topic", "").await?;
            let s = mario.state(room_s, "it.sportello.conversation", "").await?;
            let drawn = n["name"] == name
                && t["topic"].as_str().is_some_and(|t| t.contains(topic))
                && s["state"] == state;
            (drawn && on_shelf_alone(mario, room_s, shelf).await).then_some(())
        },
    )
    .await;
}

/// Whether the room is a child of the `shelf` sub-space and of no other shelf.
async fn on_shelf_alone(mario: &Staff, room: &str, shelf: &str) -> bool {
    for other in ["to_answer", "in_progress", "closed"] {
        let alias = format!("#whatsapp_shelf_{other}:comune.test");
        let Some(space) = mario.try_room_for_alias(&alias).await else {
            if other == shelf {
                return false;
            }
            continue;
        };
        mario.join_once(&space).await;
        let child = mario
            .state(space.as_str(), "m.space.child", room)
            .await
            .unwrap_or(Value::Null);
        if child["via"].is_array() != (other == shelf) {
            return false;
        }
    }
    true
}

async fn command(mario: &Staff, room: &RoomId, body: &str) -> String {
    let ev = mario
        .send(room, json!({"msgtype": "m.text", "body": body}))
        .await;
    bot_reply(mario, room, ev.as_str()).await["body"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conversation_is_seen_through_its_states_in_element() {
    let stack = stack().await;
    let sim = &stack.sim;
    let anna = Citizen::phone("393331234567", "Anna Rossi");
    let (mario, room) =
        citizen_writes(&stack, &anna, "Buongiorno, è aperto l'ufficio anagrafe?").await;
    let base = "Anna Rossi (+39•••4567)";
    shown(
        &mario,
        &room,
        &format!("🔴 New · {base}"),
        "new",
        "Conversation new, to answer since",
        "to_answer",
    )
    .await;

    // Mario takes it and answers: open, in progress.
    let said = command(&mario, &room, "!claim").await;
    assert_eq!(said, "Now handled by @mario:comune.test.");
    mario
        .send(
            &room,
            json!({"msgtype": "m.text", "body": "Sì, **È** aperto fino alle 13"}),
        )
        .await;
    sim.wait_for_messages(1, crate::harness::WAIT).await;
    shown(
        &mario,
        &room,
        &format!("🟡 Open · {base}"),
        "open",
        "handled by @mario:comune.test",
        "in_progress",
    )
    .await;

    // An internal note: marked as such, nothing goes to WhatsApp.
    let note = command(
        &mario,
        &room,
        "!note Verificare con l'anagrafe se serve l'appuntamento",
    )
    .await;
    assert_eq!(
        note,
        "🔒 Internal note by @mario:comune.test (not sent to the citizen): Verificare con l'anagrafe se serve l'appuntamento"
    );

    // He asks and waits; the citizen answers: open again, and Mario is mentioned.
    command(&mario, &room, "!wait").await;
    shown(
        &mario,
        &room,
        &format!("⏳ Waiting · {base}"),
        "waiting",
        "waiting for the citizen",
        "in_progress",
    )
    .await;
    let n = sim.notification(
        &[&anna],
        vec![sim.text(&anna, "Grazie! Serve l'appuntamento?")],
    );
    assert_eq!(sim.post(&n).await, 200);
    let mention = mario
        .wait_for(&room, 1, "the mention", |e| {
            e["sender"] == BOT
                && e["content"]["body"] == "@mario:comune.test: the citizen wrote again."
        })
        .await;
    assert!(
        mention[0]["content"]["formatted_body"]
            .as_str()
            .unwrap()
            .contains("https://matrix.to/#/@mario:comune.test")
    );
    shown(
        &mario,
        &room,
        &format!("🟡 Open · {base}"),
        "open",
        "handled by @mario",
        "to_answer",
    )
    .await;

    // The admin room's list: Anna waits, handled by Mario.
    let admin = Admin::join(&stack, "anna").await;
    let open = admin.say("open").await;
    assert!(
        open.starts_with("Conversations to answer (1), oldest first:")
            && open.contains("Anna Rossi +39•••4567 · open · @mario:comune.test ·"),
        "{open}"
    );

    // Closed with a note; the citizen writing again reopens it.
    let closed = command(&mario, &room, "!close Appuntamento fissato").await;
    assert!(
        closed.starts_with("Conversation closed: Appuntamento fissato."),
        "{closed}"
    );
    shown(
        &mario,
        &room,
        &format!("✅ Closed · {base}"),
        "closed",
        "Conversation closed",
        "closed",
    )
    .await;
    assert!(admin.say("open").await.contains("No conversation waits"));
    let n = sim.notification(
        &[&anna],
        vec![sim.text(&anna, "Scusate, un'altra domanda 🙏")],
    );
    assert_eq!(sim.post(&n).await, 200);
    shown(
        &mario,
        &room,
        &format!("🔴 New · {base}"),
        "new",
        "handled by @mario",
        "to_answer",
    )
    .await;
    assert_eq!(
        sim.accepted().len(),
        1,
        "only Mario's answer went to WhatsApp: commands and notes never"
    );
}

/// `!close` with a closing message and the satisfaction question configured: both go to the
/// citizen (three reply buttons, in Meta's shape), the tap comes back as a rating shown to
/// staff, and the conversation stays closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_thanks_the_citizen_and_asks_how_it_went() {
    let stack = crate::harness::stack_with(crate::harness::StackOptions {
        extra_toml: "[helpdesk]\nclosing_message = \"Grazie per averci scritto, a presto!\"\nsatisfaction = true\n".into(),
        ..Default::default()
    })
    .await;
    let sim = &stack.sim;
    let anna = Citizen::phone("393331234567", "Anna Rossi");
    let (mario, room) = citizen_writes(&stack, &anna, "L'ufficio tributi è aperto domani?").await;
    mario
        .send(
            &room,
            json!({"msgtype": "m.text", "body": "Sì, dalle 9 alle 13."}),
        )
        .await;
    sim.wait_for_messages(1, crate::harness::WAIT).await;
    command(&mario, &room, "!close Informazione data").await;
    let sent = sim.wait_for_messages(3, crate::harness::WAIT).await;
    assert_eq!(
        sent[1]["text"]["body"],
        "Grazie per averci scritto, a presto!"
    );
    let question = &sent[2]["interactive"];
    assert_eq!(question["type"], "button");
    let ids: Vec<&str> = question["action"]["buttons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["reply"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "sportello:csat:good",
            "sportello:csat:ok",
            "sportello:csat:bad"
        ]
    );

    let tap = sim.message(
        &anna,
        "interactive",
        json!({"type": "button_reply", "button_reply": {"id": "sportello:csat:good", "title": "😊 Well"}}),
    );
    assert_eq!(sim.post(&sim.notification(&[&anna], vec![tap])).await, 200);
    mario
        .wait_for(&room, 1, "the rating", |e| {
            e["sender"] == BOT && e["content"]["body"] == "⭐ The citizen's rating: 😊 Well"
        })
        .await;
    let state = mario
        .state(room.as_str(), "it.sportello.conversation", "")
        .await
        .unwrap();
    assert_eq!(state["state"], "closed", "a rating does not reopen it");
    assert_eq!(sim.accepted().len(), 3, "no automatic reply to the tap");
}

/// Two staff answer at the same moment: both answers reach the citizen and the conversation is
/// open, handled by whoever claimed it; after a restart the citizen writing again puts it back
/// on the shelf to answer and mentions her.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_staff_answering_at_once_and_a_restart() {
    let mut stack = crate::harness::stack_with(crate::harness::StackOptions {
        staff: vec!["mario".into(), "lucia".into()],
        ..Default::default()
    })
    .await;
    let anna = Citizen::phone("393331234567", "Anna Rossi");
    let (mario, room) = citizen_writes(&stack, &anna, "C'è il mercato domenica? 🧺").await;
    let lucia = Staff::login(&stack.synapse.url, "lucia").await;
    lucia.accept_invite(&room).await;
    assert_eq!(
        command(&lucia, &room, "!claim").await,
        "Now handled by @lucia:comune.test."
    );
    let (a, b) = tokio::join!(
        mario.send(
            &room,
            json!({"msgtype": "m.text", "body": "Sì, in piazza Garibaldi"})
        ),
        lucia.send(
            &room,
            json!({"msgtype": "m.text", "body": "Dalle 8 alle 13, **è** confermato"})
        )
    );
    assert_ne!(a, b);
    let sent = stack.sim.wait_for_messages(2, crate::harness::WAIT).await;
    assert_eq!(sent.len(), 2, "both answers");
    let base = "Anna Rossi (+39•••4567)";
    shown(
        &mario,
        &room,
        &format!("🟡 Open · {base}"),
        "open",
        "handled by @lucia:comune.test",
        "in_progress",
    )
    .await;

    stack.stop_bridge().await;
    stack.start_bridge().await.unwrap();
    let sim = &stack.sim;
    let n = sim.notification(&[&anna], vec![sim.text(&anna, "Perfetto, e se piove?")]);
    assert_eq!(sim.post(&n).await, 200);
    lucia
        .wait_for(&room, 1, "the mention after the restart", |e| {
            e["sender"] == BOT
                && e["content"]["body"] == "@lucia:comune.test: the citizen wrote again."
        })
        .await;
    shown(
        &mario,
        &room,
        &format!("🟡 Open · {base}"),
        "open",
        "handled by @lucia",
        "to_answer",
    )
    .await;
}
