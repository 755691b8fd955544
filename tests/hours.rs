//! Automatic replies end to end: the first-contact welcome combined with the out-of-hours
//! notice into one message, once per closed period; nothing over a staff member's answer or
//! a subscription keyword. (Schedule edge cases are unit tests in `src/hours.rs`.)

use chrono::{Duration, Utc};
use serde_json::json;

use crate::harness::BOT;
use crate::harness::{Citizen, StackOptions, citizen_writes, stack_with};

/// `[hours]` open every day, all day (national holidays still close the office).
fn open_all_day() -> String {
    let days = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let lines: String = days
        .iter()
        .map(|d| format!("{d} = [\"00:00-23:59\"]\n"))
        .collect();
    format!("[hours]\n{lines}")
}

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
            && text.contains("URP Comune di Prova is closed now (Chiusura per prova): we have your message and will answer ")
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

/// A complaint word gets the complaints app's address once a day; staff send it with the
/// office's own command name, and ready replies with `!reply`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complaints_redirect_and_ready_replies() {
    let stack = stack_with(StackOptions {
        autoreply:
            "complaints_url = \"https://comune.test/reclami\"\ncomplaint_command = \"reclami\""
                .into(),
        extra_toml: format!(
            "{}\n[replies.orari]\ntext = \"Siamo aperti tutti i giorni.\"\n",
            open_all_day()
        ),
        ..Default::default()
    })
    .await;
    let sim = &stack.sim;
    let dora = Citizen::phone("393330004444", "Dora");
    let (mario, room) = citizen_writes(&stack, &dora, "Salve").await;
    sim.wait_for_messages(1, crate::harness::WAIT).await; // the welcome
    let writes = |text: &'static str| {
        let n = sim.notification(&[&dora], vec![sim.text(&dora, text)]);
        let (mario, room) = (&mario, &room);
        async move {
            assert_eq!(sim.post(&n).await, 200);
            mario
                .wait_for(room, 1, text, |e| e["content"]["body"] == text)
                .await;
        }
    };
    writes("Vorrei fare un RECLAMO per la buca").await;
    let m = sim.wait_for_messages(2, crate::harness::WAIT).await;
    let redirect = "Complaints and reports are not taken on WhatsApp: please send them through https://comune.test/reclami. Thank you!";
    assert!(
        m[1]["text"]["body"].as_str().unwrap().contains(redirect),
        "{}",
        m[1]
    );
    mario
        .wait_for(&room, 1, "the staff notice", |e| {
            e["sender"] == BOT
                && e["content"]["body"]
                    .as_str()
                    .is_some_and(|b| b.contains(redirect))
        })
        .await;
    writes("Altra segnalazione, stessa buca").await;

    // Staff: the office's name for the redirect, then a ready reply.
    mario
        .send(&room, json!({"msgtype": "m.text", "body": "!reclami"}))
        .await;
    let m = sim.wait_for_messages(3, crate::harness::WAIT).await;
    assert_eq!(
        m.len(),
        3,
        "no second automatic redirect the same day: {m:#?}"
    );
    assert_eq!(m[2]["text"]["body"], redirect);
    mario
        .send(&room, json!({"msgtype": "m.text", "body": "!reply orari"}))
        .await;
    let m = sim.wait_for_messages(4, crate::harness::WAIT).await;
    assert_eq!(m[3]["text"]["body"], "Siamo aperti tutti i giorni.");
    let ev = mario
        .send(&room, json!({"msgtype": "m.text", "body": "!replies"}))
        .await;
    let list = crate::harness::bot_reply(&mario, &room, ev.as_str()).await;
    assert!(
        list["body"]
            .as_str()
            .unwrap()
            .contains("!reply orari — Siamo aperti tutti i giorni.")
    );
}

/// Emergency mode: citizens writing get the emergency message once (here during opening
/// hours).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emergency_message_reaches_citizens_once() {
    let stack = stack_with(StackOptions {
        autoreply: "enabled = true".into(),
        extra_toml: open_all_day(),
        ..Default::default()
    })
    .await;
    let sim = &stack.sim;
    let anna = crate::harness::news::Admin::join(&stack, "anna").await;
    assert!(
        anna.say("hours emergency on Strade allagate: chiamate il 112")
            .await
            .starts_with("Emergency mode on")
    );
    let elio = Citizen::phone("393330005555", "Elio");
    let (mario, room) = citizen_writes(&stack, &elio, "Ciao").await;
    let m = sim.wait_for_messages(1, crate::harness::WAIT).await;
    let text = m[0]["text"]["body"].as_str().unwrap();
    assert!(
        text.starts_with("Welcome") && text.ends_with("⚠️ Strade allagate: chiamate il 112"),
        "{text}"
    );
    let n = sim.notification(&[&elio], vec![sim.text(&elio, "Grazie")]);
    assert_eq!(sim.post(&n).await, 200);
    mario
        .wait_for(&room, 1, "the second message", |e| {
            e["content"]["body"] == "Grazie"
        })
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        sim.accepted_messages().len(),
        1,
        "the emergency message goes once"
    );
}
