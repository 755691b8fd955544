//! Coexistence with the WhatsApp Business app, end to end with the simulator's webhooks in
//! Meta's shapes: what the office sends from the phone appears in the citizen's room as the
//! office, counts as an answer and quiets the automatic reply; its edits and deletions, and
//! the citizen's own, show as such; broadcasts keep under the number's throughput. The shared
//! history and the phone's contacts are in `coexistence_history.rs`.

use serde_json::{Value, json};

use crate::harness::news::Admin;
use crate::harness::{BOT, Citizen, StackOptions, WAIT, citizen_writes, portal_alias, stack_with};

/// How the office's messages from the phone are marked (English texts in tests).
pub(crate) const LABEL: &str = "📱 From the WhatsApp Business app:";

/// A stack whose automatic replies are on (an echo must keep them quiet).
pub(crate) async fn autoreplying_stack() -> sportello_testkit::Stack {
    stack_with(StackOptions {
        autoreply: "enabled = true".into(),
        ..Default::default()
    })
    .await
}

/// The bodies of the bot's messages.
pub(crate) fn bot_bodies(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["sender"] == BOT)
        .filter_map(|e| e["content"]["body"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_phone_s_messages_edits_and_deletions_reach_the_room() {
    let stack = autoreplying_stack().await;
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
