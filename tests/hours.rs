//! Automatic replies end to end: the first-contact welcome combined with the out-of-hours
//! notice into one message, once per closed period; nothing over a staff member's answer or
//! a subscription keyword. (Schedule edge cases are unit tests in `src/hours.rs`.)

use chrono::{Duration, Utc};
use serde_json::json;

use crate::harness::news::BOT;
use crate::harness::{Citizen, StackOptions, citizen_writes, stack_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn welcome_and_out_of_hours_once_and_never_over_staff() {
    // Closed from yesterday to three days from now, whatever today is.
    let tz = chrono_tz::Europe::Rome;
    let today = Utc::now().with_timezone(&tz).date_naive();
    let (from, to) = (today - Duration::days(1), today + Duration::days(3));
    let stack = stack_with(StackOptions {
        autoreply: "complaints_url = \"https://comune.test/reclami\"\nemergency_numbers = \"112\"".into(),
        extra_toml: format!(
            "[hours]\nclosures = [{{ from = \"{from}\", to = \"{to}\", reason = \"Chiusura per prova\" }}]\n"
        ),
        ..Default::default()
    })
    .await;
    let sim = &stack.sim;
    let anna = Citizen::phone("393330001111", "Anna");
    let (mario, room) = citizen_writes(&stack, &anna, "Buongiorno").await;
    let m = sim.wait_for_messages(1, crate::harness::WAIT).await;
    let text = m[0]["text"]["body"].as_str().unwrap();
    assert!(
        text.starts_with("Welcome to the WhatsApp channel of URP Comune di Prova")
            && text.contains("please use https://comune.test/reclami")
            && text.contains("The office is closed now (Chiusura per prova): we have your message and will answer ")
            && text.ends_with("In an emergency: 112."),
        "{text}"
    );
    mario
        .wait_for(&room, 1, "the notice for staff", |e| {
            e["sender"] == BOT
                && e["content"]["body"].as_str().is_some_and(|b| {
                    b.starts_with("🤖 Automatic reply sent to the citizen: Welcome")
                })
        })
        .await;
    // Later messages in the same closed period: no second notice.
    let n = sim.notification(&[&anna], vec![sim.text(&anna, "C'è nessuno?")]);
    assert_eq!(sim.post(&n).await, 200);
    mario
        .wait_for(&room, 1, "the second message", |e| {
            e["content"]["body"] == "C'è nessuno?"
        })
        .await;

    // A citizen whose first message is a keyword gets only the keyword's answer; once a staff
    // member has answered, their next message gets no automatic reply either.
    let bruno = Citizen::phone("393330002222", "Bruno");
    let (mario, bruno_room) = citizen_writes(&stack, &bruno, "MENU").await;
    sim.wait_for_messages(2, crate::harness::WAIT).await;
    mario
        .send(
            &bruno_room,
            json!({"msgtype": "m.text", "body": "Buongiorno Bruno, eccomi."}),
        )
        .await;
    sim.wait_for_messages(3, crate::harness::WAIT).await;
    let n = sim.notification(&[&bruno], vec![sim.text(&bruno, "Grazie!")]);
    assert_eq!(sim.post(&n).await, 200);
    mario
        .wait_for(&bruno_room, 1, "Bruno's thanks", |e| {
            e["content"]["body"] == "Grazie!"
        })
        .await;
    // A marker from a third citizen proves the queues moved on.
    let carla = Citizen::phone("393330003333", "Carla");
    citizen_writes(&stack, &carla, "Salve").await;
    let all = sim.wait_for_messages(4, crate::harness::WAIT).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let sent = sim.accepted_messages();
    let to: Vec<&str> = sent.iter().map(|m| m["to"].as_str().unwrap()).collect();
    assert_eq!(
        to,
        [
            "393330001111",
            "393330002222",
            "393330002222",
            "393330003333"
        ],
        "{all:#?}"
    );
    assert_eq!(all[1]["type"], "interactive", "Bruno's MENU answer");
}
