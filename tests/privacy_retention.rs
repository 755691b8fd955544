//! Retention and citizens' requests on a pinned clock, end to end: the daily sweep erases
//! citizens with no message for `privacy.inactive_days` and no subscription (a subscriber is
//! kept), deletes the consent records of subscriptions ended `privacy.ledger_days` ago, and
//! reminds an overdue erasure request once a day; `!requests close` ends one turned down.

use chrono::{Duration, Utc};
use serde_json::Value;
use sportello::clock::FixedClock;

use crate::harness::news::Admin;
use crate::harness::{BOT, Citizen, StackOptions, eventually, stack_with};

const ANNA: &str = "393331234567";
const BRUNO: &str = "393471112222";
const CARLA: &str = "393489998888";

/// The bot's lines in the admin room that start with `head`.
async fn lines(admin: &Admin, head: &str) -> Vec<String> {
    admin
        .staff
        .messages(&admin.room)
        .await
        .iter()
        .filter(|e| e["sender"] == BOT)
        .filter_map(|e| e["content"]["body"].as_str())
        .filter(|b| b.starts_with(head))
        .map(str::to_owned)
        .collect()
}

async fn wait_line(admin: &Admin, head: &str, n: usize) -> Vec<String> {
    eventually(head, || async {
        let l = lines(admin, head).await;
        (l.len() >= n).then_some(l)
    })
    .await
}

/// `!export` of a number, as JSON (`None`: the bridge holds nothing about it).
async fn export(admin: &Admin, number: &str) -> Option<Value> {
    let before = admin.staff.messages(&admin.room).await.len();
    let reply = admin.say(&format!("!export {number}")).await;
    if reply.starts_with("The bridge holds nothing") {
        return None;
    }
    let file = eventually("the export file", || async {
        let events = admin.staff.messages(&admin.room).await;
        events[before..]
            .iter()
            .find(|e| {
                e["content"]["msgtype"] == "m.file"
                    && e["content"]["body"].as_str().unwrap().ends_with(".json")
            })
            .cloned()
    })
    .await;
    let bytes = admin
        .staff
        .download(file["content"]["url"].as_str().unwrap())
        .await;
    Some(serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_and_requests_follow_the_pinned_clock() {
    let t0 = Utc::now();
    let clock = FixedClock::at(t0);
    let stack = stack_with(StackOptions {
        clock: Some(clock.clone()),
        extra_toml: "[privacy]\ninactive_days = 60\nledger_days = 30\ncheck_seconds = 1\n".into(),
        ..Default::default()
    })
    .await;
    let sim = &stack.sim;
    let admin = Admin::join(&stack, "anna").await;
    let (anna, bruno, carla) = (
        Citizen::phone(ANNA, "Anna Rossi"),
        Citizen::phone(BRUNO, "Bruno Bianchi"),
        Citizen::phone(CARLA, "Carla Verdi"),
    );
    let writes = |c: &Citizen, texts: &[&str]| {
        let n = sim.notification(&[c], texts.iter().map(|t| sim.text(c, t)).collect());
        async move { assert_eq!(sim.post(&n).await, 200) }
    };
    writes(
        &anna,
        &["Vorrei che cancellaste i miei dati: DELETE MY DATA"],
    )
    .await;
    writes(&bruno, &["ISCRIVIMI eventi", "delete my data, please"]).await;
    writes(&carla, &["ISCRIVIMI eventi", "CANCELLAMI"]).await;
    let requests = wait_line(&admin, "🗑 Erasure request", 2).await;
    let number_of = |who: &str| {
        let line = requests.iter().find(|l| l.contains(who)).unwrap();
        line["🗑 Erasure request ".len()..]
            .split(' ')
            .next()
            .unwrap()
            .to_owned()
    };
    let listed = admin.say("!requests").await;
    assert!(
        listed.contains("+39•••4567") && listed.contains("30 days left"),
        "{listed}"
    );
    let closed = admin
        .say(&format!(
            "!requests close {} not our data to erase",
            number_of("+39•••2222")
        ))
        .await;
    assert!(closed.contains("closed without erasure"), "{closed}");
    eventually("Carla's two answers", || async {
        let to_carla = sim
            .accepted_messages()
            .into_iter()
            .filter(|m| m["to"] == CARLA)
            .count();
        (to_carla >= 2).then_some(())
    })
    .await;
    assert!(
        export(&admin, CARLA).await.unwrap()["held_by_the_bridge"]["consent_ledger"].is_array()
    );

    // Day 31: the request is overdue; Carla's ended subscription's records go, Bruno's stay.
    clock.set(t0 + Duration::days(31));
    let overdue = wait_line(&admin, "⚠️ Erasure request", 1).await;
    assert!(
        overdue[0].contains(&number_of("+39•••4567")) && overdue[0].contains("+39•••4567"),
        "{overdue:?}"
    );
    let swept = wait_line(&admin, "🧹 Retention:", 1).await;
    assert_eq!(
        swept[0],
        "🧹 Retention: 0 citizens with no message for 60 days and no subscription are being erased; 2 consent-ledger entries of 1 subscriptions ended more than 30 days ago deleted."
    );
    let carla_held = export(&admin, CARLA).await.unwrap();
    assert!(
        carla_held["held_by_the_bridge"]["consent_ledger"].is_null(),
        "{carla_held:#}"
    );
    assert!(
        carla_held["held_by_the_bridge"]["portal"].is_array(),
        "she is still a citizen with a room"
    );
    let bruno_held = export(&admin, BRUNO).await.unwrap();
    assert_eq!(
        bruno_held["held_by_the_bridge"]["consent_ledger"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Day 61: Anna and Carla wrote nothing for 60 days and have no subscription: erased.
    // Bruno, a subscriber, is kept. The overdue request is reminded again (a new day).
    clock.set(t0 + Duration::days(61));
    let swept = wait_line(&admin, "🧹 Retention:", 2).await;
    assert_eq!(
        swept[1],
        "🧹 Retention: 2 citizens with no message for 60 days and no subscription are being erased; 0 consent-ledger entries of 0 subscriptions ended more than 30 days ago deleted."
    );
    eventually("Anna's request answered by her erasure", || async {
        (admin.say("!requests").await == "No open erasure requests.").then_some(())
    })
    .await;
    assert_eq!(export(&admin, ANNA).await, None);
    assert_eq!(export(&admin, CARLA).await, None);
    let bruno_held = export(&admin, BRUNO).await.unwrap();
    assert_eq!(
        bruno_held["held_by_the_bridge"]["subscription"][0]["value"]["topics"][0],
        "eventi"
    );
    assert_eq!(
        lines(&admin, "⚠️ Erasure request").await.len(),
        2,
        "once a day"
    );
    assert_eq!(lines(&admin, "🧹 Retention:").await.len(), 2, "once a day");
}
