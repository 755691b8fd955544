//! Broadcasts end to end: a draft with its preview, approval, 1:1 sends to every eligible
//! subscriber exactly once at the configured pace (measured from the simulator's clock),
//! exclusions decided at the moment of sending, an edited progress message and a report that
//! follows Meta's statuses; completion through 130429 bursts (crashes: `broadcast_recovery.rs`).

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use sportello_simulator::templates::ApprovedTemplate;

use crate::harness::broadcast::{
    Kind, assert_exactly_once, broadcast_sends, news_toml, news_toml_with, number, peak_per_second,
    report, seed_ops, seeded, seeded_with,
};
use crate::harness::news::{Admin, seed};
use crate::harness::{BOT, Citizen, StackOptions, eventually, stack_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcast_to_two_thousand_exactly_once_within_the_cap() {
    const MPS: u32 = 200;
    let _heavy = crate::harness::heavy().await;
    let mut stack = stack_with(StackOptions {
        extra_toml: news_toml(MPS, 30),
        ..Default::default()
    })
    .await;
    let kinds: Vec<Kind> = (0..2100)
        .map(|i| match i {
            i if i >= 2000 => Kind::OtherTopic,
            i if i % 50 == 1 => Kind::Blocked,
            i if i % 50 == 2 => Kind::Stopped,
            i if i % 3 == 0 => Kind::Inside,
            _ => Kind::Outside,
        })
        .collect();
    seed(&mut stack, |_| seed_ops(&kinds)).await;
    let admin = Admin::join(&stack, "anna").await;

    let text = "Strada chiusa\nvia Roma, fino alle 18.";
    let draft = admin.say(&format!("broadcast eventi {text}")).await;
    let inside = kinds.iter().filter(|k| **k == Kind::Inside).count();
    let outside = kinds.iter().filter(|k| **k == Kind::Outside).count();
    assert!(
        draft.starts_with("Draft #1 — list: eventi")
            && draft.contains(&format!(
                "Recipients now: {} ({inside} inside",
                inside + outside
            ))
            && draft.contains(&format!("{outside} outside: template \"notizie_comune\""))
            && draft.contains("Excluded now: blocked 40, promotions turned off 40")
            && draft.contains(text),
        "{draft}"
    );

    // After the draft: two citizens (outside the window, no room yet) write STOP, and one is
    // blocked. They are excluded when sending.
    let sim = &stack.sim;
    for i in [7, 8] {
        let c = Citizen::phone(&number(i), "Seeded");
        let n = sim.notification(&[&c], vec![sim.text(&c, "STOP")]);
        assert_eq!(sim.post(&n).await, 200);
    }
    let blocked = admin.say(&format!("block +{} abuse", number(10))).await;
    assert!(blocked.starts_with("Blocked"), "{blocked}");
    eventually("the two STOP answers", || async {
        (sim.accepted().len() >= 2).then_some(())
    })
    .await;

    let started = admin.say("approve 1").await;
    assert!(started.contains("Broadcast #1 approved"), "{started}");
    let excluded_late: BTreeSet<usize> = [7, 8, 10].into();
    let expected: BTreeSet<String> = kinds
        .iter()
        .enumerate()
        .filter(|(i, k)| matches!(k, Kind::Inside | Kind::Outside) && !excluded_late.contains(i))
        .map(|(i, _)| number(i))
        .collect();
    let done = report(&admin, 1, &format!("sent {} of", expected.len())).await;
    assert!(
        done.contains("excluded: blocked 41, promotions turned off 40 ·"),
        "{done}"
    );

    // Every eligible citizen exactly once, nobody else; free-form inside the window,
    // the template outside.
    let sends = broadcast_sends(&stack, 1);
    let got: BTreeSet<String> = sends.keys().cloned().collect();
    assert_eq!(got, expected);
    assert!(sends.values().all(|v| v.len() == 1), "someone got it twice");
    for (to, v) in &sends {
        let i: usize = to[5..].parse().unwrap();
        match kinds[i] {
            Kind::Inside => assert_eq!(v[0]["text"]["body"], text),
            _ => {
                assert_eq!(v[0]["template"]["name"], "notizie_comune");
                assert_eq!(
                    v[0]["template"]["components"][0]["parameters"][0]["text"],
                    "Strada chiusa via Roma, fino alle 18."
                );
            }
        }
    }

    // The pace, from the simulator's clock.
    let times: Vec<SystemTime> = sim
        .recorded()
        .iter()
        .filter(|r| r.body["biz_opaque_callback_data"].is_string())
        .map(|r| r.at)
        .collect();
    let peak = peak_per_second(&times);
    assert!(peak <= MPS as usize, "peak {peak} per second");
    let span = times
        .iter()
        .max()
        .unwrap()
        .duration_since(*times.iter().min().unwrap())
        .unwrap();
    let mean = times.len() as f64 / span.as_secs_f64();
    eprintln!(
        "broadcast: {} sends, peak {peak}/s, mean {mean:.0}/s",
        times.len()
    );
    assert!(mean <= MPS as f64, "mean {mean}");

    // The progress message was edited as sending went on.
    let msgs = admin.staff.messages(&admin.room).await;
    let progress = msgs
        .iter()
        .find(|e| {
            e["sender"] == BOT
                && e["content"]["body"]
                    .as_str()
                    .is_some_and(|b| b.starts_with("📢 Broadcast #1"))
        })
        .expect("a progress message");
    let edits: Vec<&Value> = msgs
        .iter()
        .filter(|e| e["content"]["m.relates_to"]["event_id"] == progress["event_id"])
        .collect();
    assert!(edits.len() >= 3, "{} edits", edits.len());
    let last = edits.last().unwrap()["content"]["m.new_content"]["body"]
        .as_str()
        .unwrap();
    assert!(last.contains("[■■■■■■■■■■]"), "{last}");

    // Meta's statuses arrive (the simulator sends sent, delivered, read): the report follows.
    let n = expected.len();
    report(&admin, 1, &format!("delivered {n} · read {n}")).await;
    let list = admin.say("broadcasts").await;
    assert!(list.contains("#1 · eventi · done"), "{list}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throughput_errors_slow_the_broadcast_down_and_it_completes() {
    const N: usize = 300;
    let _heavy = crate::harness::heavy().await;
    let (stack, admin) = seeded(N, 100, 30).await;
    // Meta allows only 40 per second here: bursts of 130429.
    stack.sim.set_throughput(Some(40));
    assert!(admin.say("approve 1").await.contains("approved"));
    let done = report(&admin, 1, &format!("sent {N} of {N}")).await;
    assert!(done.contains("failed: none"), "{done}");
    assert_exactly_once(&stack, N);
    let refused = stack
        .sim
        .recorded()
        .iter()
        .filter(|r| r.response["error"]["code"] == 130429)
        .count();
    assert!(
        refused > 0,
        "the simulator never refused: the test proves nothing"
    );
    eprintln!("130429 answers: {refused}");
}

/// A second admin must approve when configured; `!cancel` stops a broadcast being sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_approver_and_cancel_mid_broadcast() {
    const N: usize = 400;
    let _heavy = crate::harness::heavy().await;
    let (stack, anna) = seeded_with(
        N,
        StackOptions {
            admins: vec!["anna".into(), "bruno".into()],
            extra_toml: news_toml_with(20, 30, "require_second_approver = true"),
            ..Default::default()
        },
    )
    .await;
    let refused = anna.say("approve 1").await;
    assert!(refused.contains("other than its author"), "{refused}");
    assert!(broadcast_sends(&stack, 1).is_empty());
    let bruno = Admin::join(&stack, "bruno").await;
    assert!(
        bruno
            .say("approve 1")
            .await
            .contains("approved by @bruno:comune.test")
    );
    eventually("the first sends", || async {
        (broadcast_sends(&stack, 1).len() >= 40).then_some(())
    })
    .await;
    assert!(bruno.say("cancel 1").await.contains("stopping"));
    let done = report(&anna, 1, "cancelled").await;
    let sent = broadcast_sends(&stack, 1).len();
    assert!(sent < N, "{sent} sent although cancelled");
    assert!(done.contains(&format!("sent {sent} of {N}")), "{done}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        broadcast_sends(&stack, 1).len(),
        sent,
        "sending went on after the report"
    );
    assert!(
        anna.say("broadcasts")
            .await
            .contains("#1 · eventi · cancelled")
    );
}

/// Sends `!broadcast eventi <text>` as a reply to an attachment; returns the draft's text.
async fn broadcast_replying_to(
    admin: &Admin,
    msgtype: &str,
    file: &str,
    bytes: &[u8],
    text: &str,
) -> String {
    let mime = if msgtype == "m.image" {
        "image/jpeg"
    } else {
        "application/pdf"
    };
    let mxc = admin.staff.upload(mime, bytes.to_vec()).await;
    let attachment = admin
        .staff
        .send(
            &admin.room,
            serde_json::json!({"msgtype": msgtype, "body": file, "url": mxc,
                "info": {"mimetype": mime, "size": bytes.len()}}),
        )
        .await;
    // Replied to from Element, with the old plain-text reply fallback in front.
    let ev = admin
        .staff
        .send(
            &admin.room,
            serde_json::json!({"msgtype": "m.text",
                "body": format!("> <@anna:comune.test> sent a file.\n\nbroadcast eventi {text}"),
                "m.relates_to": {"m.in_reply_to": {"event_id": attachment}}}),
        )
        .await;
    let draft = crate::harness::bot_reply(&admin.staff, &admin.room, ev.as_str()).await;
    draft["body"].as_str().unwrap().to_owned()
}

/// `!broadcast` as a reply to an image: uploaded to WhatsApp once, sent with the text as its
/// caption inside the window, and outside in the template whose header takes an image. A
/// document, with no template for it, goes outside as the text template. The simulator holds
/// the approved templates and refuses a send that does not match one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_replying_to_an_image_sends_it_inside_the_window() {
    let extra = r#"media_templates = { image = "foto" }
[templates.foto]
name = "notizie_foto"
language = "it"
params = 1
description = "Foto dal Comune: {{1}}""#;
    let mut stack = stack_with(StackOptions {
        extra_toml: news_toml_with(50, 30, extra),
        ..Default::default()
    })
    .await;
    for (name, header) in [("notizie_comune", None), ("notizie_foto", Some("image"))] {
        stack.sim.approve_template(ApprovedTemplate {
            name: name.into(),
            language: "it".into(),
            header: header.map(str::to_owned),
            body_params: 1,
            ..Default::default()
        });
    }
    let kinds = [Kind::Inside, Kind::Outside, Kind::Inside];
    seed(&mut stack, |_| seed_ops(&kinds)).await;
    let admin = Admin::join(&stack, "anna").await;
    let photo: Vec<u8> = (0..30_000u32).map(|i| (i % 251) as u8).collect();
    let draft = broadcast_replying_to(
        &admin,
        "m.image",
        "festa.jpg",
        &photo,
        "Festa in piazza sabato",
    )
    .await;
    assert!(draft.contains("Attachment: festa.jpg (image)"), "{draft}");
    assert!(
        draft.contains("the template notizie_foto with the attachment"),
        "{draft}"
    );
    assert!(admin.say("approve 1").await.contains("approved"));
    report(&admin, 1, "sent 3 of 3").await;
    let sends = broadcast_sends(&stack, 1);
    for i in [0, 2] {
        let m = &sends[&number(i)][0];
        assert_eq!(m["type"], "image");
        assert_eq!(m["image"]["caption"], "Festa in piazza sabato");
        let media = stack.sim.media(m["image"]["id"].as_str().unwrap()).unwrap();
        assert_eq!(
            media.bytes, photo,
            "the photo's bytes reach WhatsApp unchanged"
        );
    }
    let outside = &sends[&number(1)][0]["template"];
    assert_eq!(outside["name"], "notizie_foto");
    assert_eq!(outside["components"][0]["type"], "header");
    assert_eq!(
        outside["components"][0]["parameters"][0]["image"]["id"],
        sends[&number(0)][0]["image"]["id"],
        "uploaded once for everyone, the template's header included"
    );
    assert_eq!(
        outside["components"][1]["parameters"][0]["text"],
        "Festa in piazza sabato"
    );

    // A document: no template takes one, so outside the window the text template.
    let pdf = b"%PDF-1.4 avviso".to_vec();
    let draft =
        broadcast_replying_to(&admin, "m.file", "avviso.pdf", &pdf, "Avviso pubblico").await;
    assert!(
        draft.contains("those outside get the template, with the text only"),
        "{draft}"
    );
    assert!(admin.say("approve 2").await.contains("approved"));
    report(&admin, 2, "sent 3 of 3").await;
    let sends = broadcast_sends(&stack, 2);
    assert_eq!(sends[&number(0)][0]["document"]["filename"], "avviso.pdf");
    let outside = &sends[&number(1)][0]["template"];
    assert_eq!(outside["name"], "notizie_comune");
    assert_eq!(outside["components"].as_array().unwrap().len(), 1);
    assert!(
        stack
            .sim
            .recorded()
            .iter()
            .filter(|r| r.path.ends_with("/messages"))
            .all(|r| r.status == 200),
        "the simulator refused a send"
    );
}

/// Error 131050 (the citizen stopped marketing messages): counted as a failure with its
/// reason, and the citizen is excluded from later broadcasts until they resume.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marketing_stop_error_is_honoured() {
    let (stack, admin) = seeded(3, 50, 30).await;
    stack.sim.fail_next(crate::harness::Failure::Graph {
        http_status: 400,
        code: 131050,
        message: "Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business".into(),
    });
    assert!(admin.say("approve 1").await.contains("approved"));
    let done = report(&admin, 1, "sent 2 of").await;
    assert!(done.contains("failed: 131050"), "{done}");
    let counts = eventually("the stop to be recorded", || async {
        let c = admin.say("subscribers").await;
        c.contains("turned off: 1").then_some(c)
    })
    .await;
    assert!(counts.contains("eventi: 3"), "{counts}");

    // The same error can come later, as a `failed` status of an accepted send.
    let sim = &stack.sim;
    let accepted = sim.accepted();
    let (to, wamid) = accepted
        .iter()
        .map(|r| {
            (
                r.body["to"].as_str().unwrap(),
                r.response["messages"][0]["id"].as_str().unwrap(),
            )
        })
        .next()
        .unwrap();
    let failed = sim.failed_status_notification(wamid, to, 131050, "Marketing messages stopped");
    assert_eq!(sim.post(&failed).await, 200);
    report(&admin, 1, "131050 Marketing messages stopped ×1").await;
    eventually("the second stop to be recorded", || async {
        admin
            .say("subscribers")
            .await
            .contains("turned off: 2")
            .then_some(())
    })
    .await;
    // The next broadcast leaves both out.
    let draft = admin.say("broadcast eventi Secondo avviso").await;
    assert!(
        draft.contains("Recipients now: 1") && draft.contains("promotions turned off 2"),
        "{draft}"
    );
}
