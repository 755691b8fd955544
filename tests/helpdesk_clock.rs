//! The helpdesk on a pinned clock, end to end: the bridge reads a `FixedClock` the test moves
//! through the launch town's week (Tuesday 9–13 and 15–17, Wednesday 9–13), and the citizen's
//! messages carry the same moments. A reminder counts open office time only and comes once;
//! the window warning comes before the 24 hours end; `!stats` counts the first response in
//! office time, the close, the rating and the held answer — per staff member for admins only.

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use sportello::clock::FixedClock;
use sportello_simulator::Simulator;

use crate::harness::news::Admin;
use crate::harness::{BOT, Citizen, StackOptions, WAIT, stack_with};

/// A moment in Rome in December 2026 (CET, UTC+1).
fn rome(day: u32, h: u32, m: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, day, h - 1, m, 0).unwrap()
}

/// A text from `who`, stamped at `at` as Meta stamps it.
fn text_at(sim: &Simulator, who: &Citizen, body: &str, at: chrono::DateTime<Utc>) -> Value {
    let mut m = sim.text(who, body);
    m["timestamp"] = json!(at.timestamp().to_string());
    m
}

fn bodies_from_bot(events: &[Value], start: &str) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["sender"] == BOT)
        .filter_map(|e| e["content"]["body"].as_str())
        .filter(|b| b.starts_with(start))
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_and_stats_follow_office_time_on_a_pinned_clock() {
    let clock = FixedClock::at(rome(1, 10, 0));
    let stack = stack_with(StackOptions {
        clock: Some(clock.clone()),
        extra_toml: "[helpdesk]\ncheck_seconds = 1\nsatisfaction = true\n".into(),
        ..Default::default()
    })
    .await;
    let sim = &stack.sim;
    let anna = Citizen::phone("393331234567", "Anna Rossi");
    let first = "Buongiorno, quando apre l'ufficio tributi? È urgente 🙏";
    let message = text_at(sim, &anna, first, rome(1, 10, 0));
    let (mario, room) = crate::harness::citizen_sends(&stack, &anna, message, first).await;

    // 15:05: five hours later by the wall, 3 h 05 of office time (10–13, 15–15:05).
    clock.set(rome(1, 15, 5));
    mario
        .wait_for(&room, 1, "the reminder", |e| {
            e["sender"] == BOT
                && e["content"]["body"]
                    == "⏰ @mario:comune.test: the citizen has waited 185 minutes of office time for an answer."
        })
        .await;

    // Wednesday 9:05: the window closes at 10:00; one warning, and no second reminder.
    clock.set(rome(2, 9, 5));
    mario
        .wait_for(&room, 1, "the window warning", |e| {
            e["sender"] == BOT
                && e["content"]["body"].as_str().is_some_and(|b| {
                    b.starts_with(
                        "⏰ WhatsApp's 24-hour window closes on 02/12/2026 10:00 (in 55 minutes)",
                    )
                })
        })
        .await;

    // 9:10: Mario answers — the first response took 5 h 10 of office time.
    clock.set(rome(2, 9, 10));
    let say = |body: &str| json!({"msgtype": "m.text", "body": body});
    mario
        .send(&room, say("Buongiorno! **È** aperto oggi fino alle 13."))
        .await;
    sim.wait_for_messages(1, WAIT).await;
    // She asks again at 9:20 and gets an answer at 9:30 (a later answer, not a first one).
    clock.set(rome(2, 9, 20));
    let again = text_at(sim, &anna, "Grazie! Serve l'appuntamento?", rome(2, 9, 20));
    assert_eq!(
        sim.post(&sim.notification(&[&anna], vec![again])).await,
        200
    );
    mario
        .wait_for(&room, 1, "her second message", |e| {
            e["content"]["body"] == "Grazie! Serve l'appuntamento?"
        })
        .await;
    clock.set(rome(2, 9, 30));
    mario.send(&room, say("No, basta presentarsi.")).await;
    sim.wait_for_messages(2, WAIT).await;

    // 9:40: closed; the question goes out and she taps 😊.
    clock.set(rome(2, 9, 40));
    mario.send(&room, say("!close Informazione data")).await;
    sim.wait_for_messages(3, WAIT).await;
    let mut tap = sim.message(
        &anna,
        "interactive",
        json!({"type": "button_reply", "button_reply": {"id": "sportello:csat:good", "title": "😊 Well"}}),
    );
    tap["timestamp"] = json!(rome(2, 9, 45).timestamp().to_string());
    assert_eq!(sim.post(&sim.notification(&[&anna], vec![tap])).await, 200);
    mario
        .wait_for(&room, 1, "the rating", |e| {
            e["content"]["body"] == "⭐ The citizen's rating: 😊 Well"
        })
        .await;

    // Thursday 11:00: her window closed at 9:45; Mario's message is held.
    clock.set(rome(3, 11, 0));
    mario
        .send(&room, say("Le ricordo che domani l'ufficio è chiuso."))
        .await;
    mario
        .wait_for(&room, 1, "the held notice", |e| {
            e["sender"] == BOT
                && e["content"]["body"]
                    .as_str()
                    .is_some_and(|b| b.starts_with("Not sent yet"))
        })
        .await;

    let events = mario.messages(&room).await;
    assert_eq!(
        bodies_from_bot(&events, "⏰ @mario").len(),
        1,
        "one reminder"
    );
    assert_eq!(
        bodies_from_bot(&events, "⏰ WhatsApp").len(),
        1,
        "one warning"
    );

    // The admin's figures for the three days, with Mario's line.
    let admin = Admin::join(&stack, "anna").await;
    let stats = admin.say("!stats 2026-12-01..2026-12-03").await;
    let expected = [
        "How the office is doing, from 01/12/2026 00:00 to 04/12/2026 00:00",
        "new conversations: 1",
        "conversations answered: 1",
        "closed: 1",
        "waiting for an answer now: 0",
        "first response, median (office hours): 5 h 10 min",
        "first response, 90th percentile: 5 h 10 min",
        "answers held (24-hour window closed): 1",
        "satisfaction: 😊 Well 1 · 😐 So-so 0 · 🙁 Badly 0",
        "broadcasts: 0 (0 messages sent)",
        "By staff member:",
        "@mario:comune.test · 2 · 1 · 5 h 10 min · 5 h 10 min · 1 · 1",
    ];
    for line in expected {
        assert!(stats.contains(line), "{line:?} missing from:\n{stats}");
    }
    // Today (Thursday) holds only the held answer.
    let today = admin.say("!stats today").await;
    assert!(
        today.contains("new conversations: 0")
            && today.contains("answers held (24-hour window closed): 1"),
        "{today}"
    );
    assert!(
        admin
            .say("!stats 03/12/2026..01/12/2026")
            .await
            .starts_with("The period ends before it starts")
    );
    assert!(
        admin
            .say("!stats ieri")
            .await
            .starts_with("I cannot read the period \"ieri\"")
    );

    // Mario, staff but not an admin, is invited into the admin room by Anna: he sees the
    // office's figures, not each person's.
    admin.staff.sync().await;
    let admin_room = admin
        .staff
        .client
        .get_room(&admin.room)
        .expect("the admin room");
    let mario_id = matrix_sdk::ruma::UserId::parse("@mario:comune.test").unwrap();
    admin_room
        .invite_user_by_id(&mario_id)
        .await
        .expect("invite");
    let mario_admin = Admin::join(&stack, "mario").await;
    let his = mario_admin.say("!stats 01/12/2026..03/12/2026").await;
    assert!(
        his.contains("new conversations: 1") && !his.contains("By staff member"),
        "{his}"
    );
}
