//! Subscriptions end to end: keywords and list picks change a citizen's topics, the bot
//! answers (confirmation, privacy policy, code of conduct, the MENU list) and staff see it as
//! notices; every change is in the consent ledger; Meta's marketing stop is honoured.

use serde_json::{Value, json};

use crate::harness::BOT;
use crate::harness::news::Admin;
use crate::harness::{Citizen, StackOptions, citizen_writes, eventually, stack_with};

const POLICIES: &str = r#"
[policies]
privacy = "https://comune.test/privacy"
privacy_version = "P1"
code_of_conduct = "Rispetto per tutti: niente insulti."
code_of_conduct_version = "C1"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keywords_lists_ledger_and_marketing_stop() {
    let stack = stack_with(StackOptions {
        extra_toml: POLICIES.into(),
        ..Default::default()
    })
    .await;
    let sim = &stack.sim;
    let citizen = Citizen::phone("393331112222", "Verdi");
    let (mario, room) = citizen_writes(&stack, &citizen, "buongiorno").await;
    let writes = |text: &'static str| {
        let n = sim.notification(&[&citizen], vec![sim.text(&citizen, text)]);
        async move { assert_eq!(sim.post(&n).await, 200) }
    };
    let sent_to_citizen = |n: usize| async move {
        let m = sim.wait_for_messages(n, crate::harness::WAIT).await;
        assert_eq!(m.len(), n, "{m:#?}");
        assert!(m.iter().all(|x| x["to"] == "393331112222"));
        m
    };
    let bot_notice = |containing: &'static str| {
        let (mario, room) = (&mario, &room);
        async move {
            mario
                .wait_for(room, 1, containing, |e| {
                    e["sender"] == BOT
                        && e["content"]["body"]
                            .as_str()
                            .unwrap_or("")
                            .contains(containing)
                })
                .await
        }
    };

    // ISCRIVIMI + topic: confirmation, privacy policy and code of conduct, in that order.
    writes("Iscrivimi a EVENTI").await;
    let m = sent_to_citizen(3).await;
    let bodies: Vec<&str> = m
        .iter()
        .map(|x| x["text"]["body"].as_str().unwrap())
        .collect();
    assert!(
        bodies[0].starts_with("You are subscribed to eventi."),
        "{bodies:?}"
    );
    assert_eq!(
        bodies[1],
        "Privacy policy (version P1): https://comune.test/privacy"
    );
    assert_eq!(
        bodies[2],
        "Code of conduct of this service (version C1): Rispetto per tutti: niente insulti."
    );
    // Staff see the keyword as a notice (not a question) and the bot's answer to it.
    let shown = mario
        .wait_for(&room, 1, "the keyword", |e| {
            e["content"]["body"] == "Iscrivimi a EVENTI"
        })
        .await;
    assert_eq!(shown[0]["content"]["msgtype"], "m.notice");
    let answer = bot_notice("Also sent: privacy policy (P1) and code of conduct (C1)").await;
    assert_eq!(
        answer[0]["content"]["m.relates_to"]["m.in_reply_to"]["event_id"],
        shown[0]["event_id"]
    );

    // MENU: a WhatsApp list message with the topics, "all" and "unsubscribe from all".
    writes("menu").await;
    let m = sent_to_citizen(4).await;
    let list = &m[3]["interactive"];
    assert_eq!(list["type"], "list");
    assert!(
        list["body"]["text"]
            .as_str()
            .unwrap()
            .contains("subscribed to: eventi")
    );
    let rows: Vec<Value> = list["action"]["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["rows"].as_array().unwrap().clone())
        .collect();
    assert_eq!(rows.len(), 8, "6 topics + all + unsubscribe");
    let bandi = rows.iter().find(|r| r["title"] == "bandi").unwrap();

    // Picking "bandi" from the list (the policies were already sent: not again).
    let pick = sim.message(
        &citizen,
        "interactive",
        json!({"type": "list_reply", "list_reply": {"id": bandi["id"], "title": "bandi"}}),
    );
    assert_eq!(
        sim.post(&sim.notification(&[&citizen], vec![pick])).await,
        200
    );
    let m = sent_to_citizen(5).await;
    assert!(
        m[4]["text"]["body"]
            .as_str()
            .unwrap()
            .starts_with("You are subscribed to eventi, bandi."),
        "{}",
        m[4]
    );

    // An ordinary message that starts with a keyword is for the staff, not the bot.
    writes("stop ai lavori in via Roma: quando finiscono?").await;
    let q = mario
        .wait_for(&room, 1, "the question", |e| {
            e["content"]["body"] == "stop ai lavori in via Roma: quando finiscono?"
        })
        .await;
    assert_eq!(q[0]["content"]["msgtype"], "m.text");

    writes("cancellami eventi").await;
    let m = sent_to_citizen(6).await;
    let b = m[5]["text"]["body"].as_str().unwrap();
    assert!(
        b.contains("no longer get the news of eventi") && b.contains("still subscribed to bandi"),
        "{b}"
    );

    let admin = Admin::join(&stack, "anna").await;
    let counts = admin.say("subscribers").await;
    assert!(
        counts.contains("bandi: 1") && counts.contains("eventi: 0"),
        "{counts}"
    );

    // STOP leaves everything; a staff member re-subscribes the citizen at their request.
    writes("STOP").await;
    sent_to_citizen(7).await;
    let ev = mario
        .send(
            &room,
            json!({"msgtype": "m.text", "body": "!subscribe this room viabilita asked at the desk"}),
        )
        .await;
    let done = crate::harness::bot_reply(&mario, &room, ev.as_str()).await;
    assert!(
        done["body"]
            .as_str()
            .unwrap()
            .contains("note: asked at the desk"),
        "{done}"
    );
    let m = sent_to_citizen(8).await;
    assert!(
        m[7]["text"]["body"]
            .as_str()
            .unwrap()
            .starts_with("You are subscribed to viabilità.")
    );

    // Meta's marketing stop: recorded, shown in the room, and counted.
    let stop = sim.preference_notification(&citizen, "stop");
    assert_eq!(sim.post(&stop).await, 200);
    bot_notice("turned off promotional messages").await;
    let counts = eventually("the stop to be counted", || async {
        let c = admin.say("subscribers viabilità").await;
        c.contains("turned off: 1").then_some(c)
    })
    .await;
    assert!(counts.contains("viabilità: 1"), "{counts}");

    let ledger = admin.say("consent +39 333 111 2222").await;
    let lines: Vec<&str> = ledger.lines().skip(1).collect();
    assert_eq!(lines.len(), 6, "{ledger}");
    let expect = [
        ("subscribe", "eventi", "keyword"),
        ("subscribe", "bandi", "list"),
        ("unsubscribe", "eventi", "keyword"),
        ("unsubscribe", "bandi", "keyword"),
        ("subscribe", "viabilità", "staff"),
        ("marketing_stop", "viabilità", "whatsapp_settings"),
    ];
    for (line, (action, topic, channel)) in lines.iter().zip(expect) {
        assert!(
            line.contains(&format!(
                " · {action} · {topic} · {channel} · privacy P1 · conduct C1"
            )),
            "{line}"
        );
    }
    assert!(
        lines[4].contains("@mario:comune.test: asked at the desk"),
        "{}",
        lines[4]
    );
    assert!(
        !ledger.contains("3331112222"),
        "numbers are masked: {ledger}"
    );
    assert_eq!(sim.accepted_messages().len(), 8, "nothing else was sent");
}
