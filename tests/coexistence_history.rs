//! Coexistence: the chat history shared at onboarding, in chunks out of order and delivered
//! twice, is imported once, in order, at its own times, a placeholder joined by its media; a
//! retry that brings nothing new and a refusal are told to the admins; the phone's contacts
//! name citizens who have no profile name, never over their own.

use serde_json::{Value, json};

use crate::coexistence::{LABEL, autoreplying_stack, bot_bodies};
use crate::harness::news::Admin;
use crate::harness::staff::Staff;
use crate::harness::{BOT, Citizen, WAIT, portal_alias};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shared_history_is_imported_once_in_order_with_its_times() {
    let stack = autoreplying_stack().await;
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
