//! Coexistence with the WhatsApp Business app, end to end with the simulator's webhooks in
//! Meta's shapes: what the office sends from the phone appears in the citizen's room as the
//! office, counts as an answer and quiets the automatic reply; its edits and deletions show as
//! such; the shared history, in chunks out of order and delivered twice, is imported once, in
//! order, at its own times; a refusal reaches the admins; the phone's contacts name citizens
//! who have no profile name.

use serde_json::{Value, json};

use crate::harness::news::Admin;
use crate::harness::staff::Staff;
use crate::harness::{BOT, Citizen, StackOptions, WAIT, citizen_writes, portal_alias, stack_with};

const LABEL: &str = "📱 From the WhatsApp Business app:";

fn bot_bodies(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["sender"] == BOT)
        .filter_map(|e| e["content"]["body"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_phone_s_messages_edits_and_deletions_reach_the_room() {
    let stack = stack_with(StackOptions {
        autoreply: "enabled = true".into(),
        ..Default::default()
    })
    .await;
    let sim = &stack.sim;

    // Anna writes first: the automatic reply goes; then the office answers from the phone.
    let anna = Citizen::phone("393331234567", "Anna Rossi");
    let (mario, anna_room) =
        citizen_writes(&stack, &anna, "Buongiorno, l'anagrafe è aperta oggi?").await;
    sim.wait_for_messages(1, WAIT).await;
    let answer = sim.app_text(&anna, "Sì, fino alle 13. *È* meglio prenotare 🙂");
    assert_eq!(sim.post(&sim.echoes(vec![answer])).await, 200);
    let shown = mario
        .wait_for(&anna_room, 1, "the phone's answer", |e| {
            e["sender"] == BOT
                && e["content"]["body"]
                    == format!("{LABEL}\nSì, fino alle 13. *È* meglio prenotare 🙂")
        })
        .await;
    let c = &shown[0]["content"];
    assert_eq!(c["it.sportello.origin"], "whatsapp_business_app");
    assert!(
        c["formatted_body"]
            .as_str()
            .unwrap()
            .contains("<strong>È</strong> meglio prenotare"),
        "{c}"
    );
    crate::harness::eventually("Anna's conversation answered", || async {
        let s = mario
            .state(anna_room.as_str(), "it.sportello.conversation", "")
            .await?;
        (s["state"] == "open" && s["needs_answer"] == false).then_some(())
    })
    .await;

    // Bruno: the office writes to him first, from the phone; his answer gets no automatic
    // reply (staff just wrote), while Carla, new, gets the welcome.
    let bruno = Citizen::phone("393332222222", "Bruno Bianchi");
    let first = sim.app_text(
        &bruno,
        "Buongiorno, le scriviamo per la sua pratica edilizia.",
    );
    let first_id = first["id"].as_str().unwrap().to_owned();
    assert_eq!(sim.post(&sim.echoes(vec![first])).await, 200);
    let bruno_room = mario.room_for_alias(&portal_alias(&bruno)).await;
    mario.accept_invite(&bruno_room).await;
    let thanks = sim.text(&bruno, "Grazie, passo domani");
    let thanks_id = thanks["id"].as_str().unwrap().to_owned();
    let n = sim.notification(&[&bruno], vec![thanks]);
    assert_eq!(sim.post(&n).await, 200);
    mario
        .wait_for(&bruno_room, 1, "Bruno's answer", |e| {
            e["content"]["body"] == "Grazie, passo domani"
        })
        .await;
    // On a coexistence number the citizen's own edits come too: his event is replaced.
    let edit = sim.message(
        &bruno,
        "edit",
        json!({"original_message_id": thanks_id, "message": {"type": "text", "text": {"body": "Grazie, passo *giovedì*"}}}),
    );
    assert_eq!(
        sim.post(&sim.notification(&[&bruno], vec![edit])).await,
        200
    );
    let replaced = mario
        .wait_for(&bruno_room, 1, "Bruno's edit", |e| {
            e["content"]["m.new_content"]["body"] == "Grazie, passo *giovedì*"
        })
        .await;
    assert!(
        replaced[0]["sender"]
            .as_str()
            .unwrap()
            .starts_with("@whatsapp_")
    );
    assert_eq!(
        replaced[0]["content"]["m.new_content"]["formatted_body"],
        "Grazie, passo <strong>giovedì</strong>"
    );
    // … and his deletions: the event is redacted; neither gets an automatic reply.
    let revoke = sim.message(&bruno, "revoke", json!({"original_message_id": thanks_id}));
    assert_eq!(
        sim.post(&sim.notification(&[&bruno], vec![revoke])).await,
        200
    );
    crate::harness::eventually("Bruno's message redacted", || async {
        let events = mario.messages(&bruno_room).await;
        let gone = !events
            .iter()
            .any(|e| e["content"]["body"] == "Grazie, passo domani");
        let redacted = events
            .iter()
            .any(|e| e["unsigned"]["redacted_because"].is_object());
        (gone && redacted).then_some(())
    })
    .await;
    let carla = Citizen::phone("393333333333", "Carla");
    citizen_writes(&stack, &carla, "Salve").await;
    sim.wait_for_messages(2, WAIT).await;
    let to: Vec<String> = sim
        .accepted_messages()
        .iter()
        .map(|m| m["to"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        to,
        ["393331234567", "393333333333"],
        "no automatic reply to Bruno"
    );

    // An image from the phone, an edit of the first text, a deletion of the image, and a
    // deletion of a message the bridge never saw.
    let jpeg = b"\xff\xd8\xff\xe0 modulo edilizia".to_vec();
    let media_id = sim.add_media(jpeg.clone(), "image/jpeg", None);
    let sha = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&jpeg))
    };
    let image = sim.app_message(
        &bruno,
        "image",
        json!({"id": media_id, "mime_type": "image/jpeg", "sha256": sha, "caption": "Il modulo da compilare"}),
    );
    let image_id = image["id"].as_str().unwrap().to_owned();
    assert_eq!(sim.post(&sim.echoes(vec![image])).await, 200);
    let img = mario
        .wait_for(&bruno_room, 1, "the phone's image", |e| {
            e["sender"] == BOT && e["content"]["msgtype"] == "m.image"
        })
        .await;
    let mxc = img[0]["content"]["url"].as_str().unwrap().to_owned();
    assert_eq!(mario.download(&mxc).await, jpeg);
    assert_eq!(
        img[0]["content"]["body"],
        format!("{LABEL}\nIl modulo da compilare")
    );

    let edit = sim.app_edit(
        &bruno,
        &first_id,
        json!({"type": "text", "text": {"body": "Buongiorno, le scriviamo per la sua pratica edilizia n. 42."}}),
    );
    let revoke = sim.app_revoke(&bruno, &image_id);
    let unknown = sim.app_revoke(&bruno, "wamid.HBgMMzkzMzMyMjIyMjIyFQIAERgSNONSEEN");
    assert_eq!(
        sim.post(&sim.echoes(vec![edit, revoke, unknown])).await,
        200
    );
    let edited = mario
        .wait_for(&bruno_room, 1, "the edit", |e| {
            e["sender"] == BOT && e["content"]["m.relates_to"]["rel_type"] == "m.replace"
        })
        .await;
    assert_eq!(
        edited[0]["content"]["m.new_content"]["body"],
        format!("{LABEL}\nBuongiorno, le scriviamo per la sua pratica edilizia n. 42.")
    );
    mario
        .wait_for(&bruno_room, 1, "the unknown deletion's notice", |e| {
            e["content"]["body"]
                == "🗑️ A message the bridge does not know was deleted in the WhatsApp Business app."
        })
        .await;
    crate::harness::eventually("the image redacted", || async {
        let events = mario.messages(&bruno_room).await;
        let image = events.iter().find(|e| e["content"]["url"] == mxc.as_str());
        (image.is_none()).then_some(())
    })
    .await;

    // The phone's answers are the office's: the figures name the app.
    let admin = Admin::join(&stack, "anna").await;
    let stats = admin.say("!stats today").await;
    assert!(
        stats.contains("WhatsApp Business app · 2 · 1 ·"),
        "the answer to Anna (first) and to Bruno:\n{stats}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shared_history_is_imported_once_in_order_with_its_times() {
    let stack = stack_with(StackOptions {
        autoreply: "enabled = true".into(),
        ..Default::default()
    })
    .await;
    let sim = &stack.sim;
    let anna = Citizen::phone("393331234567", "Anna Rossi");
    // Pablo never wrote to the Cloud API: the phone's contacts name him.
    let pablo = Citizen::phone("393339876543", "Pablo");
    assert_eq!(
        sim.post(&sim.contact_sync(&pablo, Some("Pablo Morales")))
            .await,
        200
    );
    assert_eq!(
        sim.post(&sim.contact_sync(&anna, Some("Anna (anagrafe)")))
            .await,
        200
    );

    // Anna's live message comes first; the history holds it too.
    let t0: u64 = 1_790_000_000; // 2026-09-21
    let day = 86_400;
    let live = sim.text(&anna, "Grazie, a domani!");
    let live_id = live["id"].as_str().unwrap().to_owned();
    let (mario, anna_room) = {
        let n = sim.notification(&[&anna], vec![live.clone()]);
        assert_eq!(sim.post(&n).await, 200);
        let mario = Staff::login(&stack.synapse.url, "mario").await;
        let room = mario.room_for_alias(&portal_alias(&anna)).await;
        mario.accept_invite(&room).await;
        (mario, room)
    };
    sim.wait_for_messages(1, WAIT).await; // the welcome

    let h = |c: &Citizen, office: bool, at: u64, text: &str| {
        sim.history_message(c, office, at, "text", json!({"body": text}))
    };
    // Oldest phase (90–180 days), middle (1–90, with a placeholder), newest (day 0–1).
    let placeholder = sim.history_message(
        &anna,
        false,
        t0 + 2 * day + 60,
        "media_placeholder",
        json!({}),
    );
    let placeholder_id = placeholder["id"].as_str().unwrap().to_owned();
    let mut live_in_history = live.clone();
    live_in_history["timestamp"] = json!((t0 + 3 * day + 10).to_string());
    live_in_history["history_context"] = json!({"status": "DELIVERED"});
    let oldest = sim.history_chunk(
        2,
        3,
        100,
        &[
            (
                &anna,
                vec![
                    h(
                        &anna,
                        false,
                        t0,
                        "Buongiorno, serve la carta d'identità nuova",
                    ),
                    h(&anna, true, t0 + 600, "Può prenotare sul sito del Comune"),
                ],
            ),
            (
                &pablo,
                vec![h(&pablo, false, t0 + 100, "C'è il mercato sabato?")],
            ),
        ],
    );
    let middle = sim.history_chunk(
        1,
        2,
        70,
        &[
            (
                &anna,
                vec![
                    h(
                        &anna,
                        false,
                        t0 + 2 * day,
                        "Ho prenotato per giovedì, è giusto?",
                    ),
                    placeholder,
                ],
            ),
            (
                &pablo,
                vec![h(
                    &pablo,
                    true,
                    t0 + 2 * day + 5,
                    "Sì, in piazza dalle 8 alle 13",
                )],
            ),
        ],
    );
    let newest = sim.history_chunk(
        0,
        1,
        40,
        &[(
            &anna,
            vec![
                h(&anna, true, t0 + 3 * day, "Perfetto, porti la foto"),
                live_in_history,
            ],
        )],
    );
    let jpeg = b"\xff\xd8\xff\xe0 ricevuta".to_vec();
    let media_id = sim.add_media(jpeg.clone(), "image/jpeg", None);
    let mut media = sim.media_message(&anna, "image", &media_id, json!({"caption": "La ricevuta"}));
    media["id"] = json!(placeholder_id);
    media["timestamp"] = json!((t0 + 2 * day + 60).to_string());
    // Newest first, as Meta sends them, with retries; the media before its placeholder's
    // import; the last chunk twice.
    for n in [
        &newest,
        &middle,
        &newest,
        &sim.history_media(vec![media]),
        &middle,
        &oldest,
        &oldest,
    ] {
        assert_eq!(sim.post(n).await, 200);
    }

    let admin = Admin::join(&stack, "anna").await;
    crate::harness::eventually("the import told to the admins", || async {
        let bodies = bot_bodies(&admin.staff.messages(&admin.room).await);
        bodies
            .iter()
            .any(|b| b.starts_with("📥 History from the WhatsApp Business app imported (messages: 7, conversations: 2, from 21/09/2026"))
            .then_some(())
    })
    .await;
    let expected: Vec<(bool, u64, &str)> = vec![
        (false, t0, "Buongiorno, serve la carta d'identità nuova"),
        (true, t0 + 600, "Può prenotare sul sito del Comune"),
        (false, t0 + 2 * day, "Ho prenotato per giovedì, è giusto?"),
        (false, t0 + 2 * day + 60, "La ricevuta"),
        (true, t0 + 3 * day, "Perfetto, porti la foto"),
    ];
    let imported = crate::harness::eventually("Anna's history in her room", || async {
        let events = mario.messages(&anna_room).await;
        let from = events.iter().position(|e| {
            e["content"]["body"]
                .as_str()
                .is_some_and(|b| b.starts_with("📥 History imported"))
        })?;
        let rest: Vec<Value> = events[from + 1..].to_vec();
        (rest.len() >= expected.len()).then_some((events[from].clone(), rest))
    })
    .await;
    let (intro, rest) = imported;
    assert!(
        intro["content"]["body"].as_str().unwrap().starts_with(
            "📥 History imported from the WhatsApp Business app (messages: 5, from 21/09/2026"
        ),
        "{intro}"
    );
    for (e, (office, at, text)) in rest.iter().zip(&expected) {
        let body = e["content"]["body"].as_str().unwrap();
        assert_eq!(e["origin_server_ts"], json!(at * 1000), "{body}");
        if *office {
            assert_eq!(e["sender"], BOT);
            assert_eq!(body, format!("{LABEL}\n{text}"));
        } else {
            assert!(
                e["sender"].as_str().unwrap().starts_with("@whatsapp_"),
                "{e}"
            );
            assert_eq!(body, *text);
        }
    }
    let image = &rest[3]["content"];
    assert_eq!(
        image["msgtype"], "m.image",
        "the placeholder became its image"
    );
    assert_eq!(mario.download(image["url"].as_str().unwrap()).await, jpeg);
    let all = mario.messages(&anna_room).await;
    let count = |text: &str| {
        all.iter()
            .filter(|e| {
                e["content"]["body"]
                    .as_str()
                    .is_some_and(|b| b.ends_with(text))
            })
            .count()
    };
    assert_eq!(
        count("Grazie, a domani!"),
        1,
        "the live message is not imported again"
    );
    assert_eq!(
        count("Può prenotare sul sito del Comune"),
        1,
        "once, whatever the retries"
    );
    assert!(all.iter().all(|e| e["content"]["body"] != "📎 An attachment: it follows when WhatsApp sends it."));
    let _ = live_id;

    // Pablo's room: named after the phone's contact; Anna keeps her own profile name.
    let pablo_room = mario.room_for_alias(&portal_alias(&pablo)).await;
    mario.accept_invite(&pablo_room).await;
    let name = mario
        .state(pablo_room.as_str(), "m.room.name", "")
        .await
        .unwrap();
    assert!(
        name["name"].as_str().unwrap().contains("Pablo Morales"),
        "{name}"
    );
    let name = mario
        .state(anna_room.as_str(), "m.room.name", "")
        .await
        .unwrap();
    assert!(
        name["name"].as_str().unwrap().contains("Anna Rossi"),
        "{name}"
    );
    let pablo_msgs = mario.messages(&pablo_room).await;
    let bodies: Vec<&str> = pablo_msgs
        .iter()
        .filter_map(|e| e["content"]["body"].as_str())
        .collect();
    assert_eq!(
        bodies.last(),
        Some(&format!("{LABEL}\nSì, in piazza dalle 8 alle 13").as_str())
    );
    assert_eq!(
        sim.accepted_messages().len(),
        1,
        "nothing sent to the citizens but Anna's welcome"
    );

    // The retried last chunk found nothing new; a refusal is told.
    crate::harness::eventually("the retry found nothing new", || async {
        bot_bodies(&admin.staff.messages(&admin.room).await)
            .iter()
            .any(|b| b.starts_with("📥 The history from the WhatsApp Business app came again"))
            .then_some(())
    })
    .await;
    assert_eq!(sim.post(&sim.history_declined()).await, 200);
    crate::harness::eventually("the refusal told", || async {
        bot_bodies(&admin.staff.messages(&admin.room).await)
            .iter()
            .any(|b| b.starts_with("⚠️ The chat history was not shared from the WhatsApp Business app (error 2593109: History sharing is turned off by the business)"))
            .then_some(())
    })
    .await;
}

/// On a coexistence number Meta allows 20 messages a second: a broadcast configured for 80
/// keeps under 20 and the simulator, limited to 20, never answers 130429.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcasts_keep_under_a_coexistence_number_s_throughput() {
    use crate::harness::broadcast::{
        assert_exactly_once, news_toml_with, peak_per_second, report, seeded_with,
    };
    const N: usize = 120;
    let _heavy = crate::harness::heavy().await;
    let toml = format!(
        "{}\n[coexistence]\nenabled = true\n",
        news_toml_with(80, 30, "")
    );
    let (stack, admin) = seeded_with(
        N,
        StackOptions {
            extra_toml: toml,
            ..Default::default()
        },
    )
    .await;
    stack.sim.set_throughput(Some(20));
    assert!(admin.say("approve 1").await.contains("approved"));
    let done = report(&admin, 1, &format!("sent {N} of {N}")).await;
    assert!(done.contains("failed: none"), "{done}");
    assert_exactly_once(&stack, N);
    let recorded = stack.sim.recorded();
    let refused = recorded
        .iter()
        .filter(|r| r.response["error"]["code"] == 130429)
        .count();
    assert_eq!(refused, 0, "130429 answers");
    let times: Vec<std::time::SystemTime> = recorded
        .iter()
        .filter(|r| r.body["biz_opaque_callback_data"].is_string())
        .map(|r| r.at)
        .collect();
    let peak = peak_per_second(&times);
    assert!(peak <= 20, "peak {peak} per second");
    eprintln!("coexistence broadcast: {N} sends, peak {peak}/s");
}
