//! A conversation never stalls: what once killed a citizen's worker is delivered, and what
//! cannot be delivered is explained, end to end against a real Synapse.

use serde_json::json;

use crate::harness::news::Admin;
use crate::harness::{
    BOT, Citizen, StackOptions, WAIT, bot_reply, citizen_writes, stack, stack_with,
};

/// Element's HTML for ordinary Italian whose formatted parts start with a multi-byte
/// character (accented capitals, emoji): each answer reaches WhatsApp as markup, and so does
/// the plain message after them (once, the first of these killed the citizen's worker).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn element_html_starting_with_accents_and_emoji_reaches_whatsapp() {
    let stack = stack().await;
    let sim = &stack.sim;
    let lucia = Citizen::phone("393471112233", "Lucia Bianchi");
    let (mario, room) = citizen_writes(&stack, &lucia, "L'ufficio è aperto oggi?").await;

    let answers = [
        (
            "**È** aperto oggi",
            "<strong>È</strong> aperto oggi",
            "*È* aperto oggi",
        ),
        (
            "_È_ chiuso domani",
            "<em>È</em> chiuso domani",
            "_È_ chiuso domani",
        ),
        (
            "- 🎉 Festa\n- À presto",
            "<ul>\n<li>🎉 Festa</li>\n<li>À presto</li>\n</ul>\n",
            "- 🎉 Festa\n- À presto",
        ),
        (
            "1. Èrcole\n2. Ùmbria",
            "<ol>\n<li>Èrcole</li>\n<li>Ùmbria</li>\n</ol>\n",
            "1. Èrcole\n2. Ùmbria",
        ),
        (
            "> È così\n\nsì",
            "<blockquote>\n<p>È così</p>\n</blockquote>\n<p>sì</p>\n",
            "> È così\nsì",
        ),
    ];
    for (body, html, _) in answers {
        mario
            .send(
                &room,
                json!({
                    "msgtype": "m.text",
                    "body": body,
                    "format": "org.matrix.custom.html",
                    "formatted_body": html,
                }),
            )
            .await;
    }
    mario
        .send(
            &room,
            json!({"msgtype": "m.text", "body": "Buona giornata"}),
        )
        .await;

    let sent = sim.wait_for_messages(answers.len() + 1, WAIT).await;
    let bodies: Vec<&str> = sent
        .iter()
        .map(|m| m["text"]["body"].as_str().unwrap())
        .collect();
    let mut expected: Vec<&str> = answers.iter().map(|(_, _, wa)| *wa).collect();
    expected.push("Buona giornata");
    assert_eq!(bodies, expected);
    assert!(sent.iter().all(|m| m["to"] == "393471112233"));
}

/// A dead-letter id out of a notice: the number after "n. ".
fn dead_letter_id(text: &str) -> String {
    let after = text.split("n. ").nth(1).expect("a dead letter number");
    after.chars().take_while(char::is_ascii_digit).collect()
}

/// A real item that panics (a test-only fail point armed for its content) is given up: a dead
/// letter, a notice in the citizen's room, one line in the admin room; the citizen's and the
/// staff's next messages still go through, and `!retry` delivers it once the fault is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_item_is_given_up_and_the_conversation_goes_on() {
    const CITIZEN_FAULT: &str = "GUASTO-CITTADINO-7f3";
    const STAFF_FAULT: &str = "GUASTO-STAFF-7f3";
    const ROUTER_FAULT: &str = "GUASTO-ROUTER-7f3";
    sportello::failpoint::arm("worker.item", CITIZEN_FAULT);
    sportello::failpoint::arm("worker.item", STAFF_FAULT);
    sportello::failpoint::arm("router.delivery", ROUTER_FAULT);
    // In Italian, the product's default language.
    let stack = stack_with(StackOptions {
        language: "it".into(),
        ..Default::default()
    })
    .await;
    let sim = &stack.sim;
    let admin = Admin::join(&stack, "anna").await;
    let giulia = Citizen::phone("393409876543", "Giulia Verdi");
    let (mario, room) = citizen_writes(&stack, &giulia, "Buongiorno").await;
    let from_bot = |e: &serde_json::Value| e["sender"] == BOT;

    // The citizen's message whose handling panics, then an ordinary one.
    let broken = format!("È aperto l'ufficio? {CITIZEN_FAULT} 😀");
    for text in [broken.as_str(), "Grazie, a domani"] {
        let n = sim.notification(&[&giulia], vec![sim.text(&giulia, text)]);
        assert_eq!(sim.post(&n).await, 200);
    }
    let seen = mario
        .wait_for(&room, 1, "the next message", |e| {
            e["content"]["body"] == "Grazie, a domani"
        })
        .await;
    assert_eq!(seen.len(), 1);
    let notices = mario
        .wait_for(&room, 1, "the notice about the lost message", from_bot)
        .await;
    let notice = notices[0]["content"]["body"].as_str().unwrap().to_owned();
    assert!(
        notice.contains("Non è stato possibile mostrare qui un messaggio del cittadino")
            && notice.contains("gli amministratori sono stati avvisati"),
        "{notice}"
    );
    let citizen_dead = dead_letter_id(&notice);
    // Order: the notice stands where the broken message would have been.
    let order: Vec<String> = mario
        .messages(&room)
        .await
        .iter()
        .filter_map(|e| e["content"]["body"].as_str().map(str::to_owned))
        .collect();
    let at = |needle: &str| order.iter().position(|b| b.contains(needle)).unwrap();
    assert!(
        at("Non è stato possibile") < at("Grazie, a domani"),
        "{order:?}"
    );

    // A staff answer whose sending panics is explained under it; the next one goes out.
    let bad = mario
        .send(
            &room,
            json!({"msgtype": "m.text", "body": format!("Sì {STAFF_FAULT}")}),
        )
        .await;
    mario
        .send(
            &room,
            json!({"msgtype": "m.text", "body": "Sì, fino alle 13"}),
        )
        .await;
    let sent = sim.wait_for_messages(1, WAIT).await;
    assert_eq!(sent[0]["text"]["body"], "Sì, fino alle 13");
    let staff_notice = bot_reply(&mario, &room, bad.as_str()).await;
    let staff_notice = staff_notice["body"].as_str().unwrap().to_owned();
    assert!(
        staff_notice.contains("Non è stato possibile inviare questo messaggio a WhatsApp"),
        "{staff_notice}"
    );

    // A delivery whose routing panics is set aside whole; the others are routed.
    let n = sim.notification(
        &[&giulia],
        vec![sim.text(&giulia, &format!("Ultima domanda {ROUTER_FAULT}"))],
    );
    assert_eq!(sim.post(&n).await, 200);
    let n = sim.notification(&[&giulia], vec![sim.text(&giulia, "Arrivederci")]);
    assert_eq!(sim.post(&n).await, 200);
    mario
        .wait_for(&room, 1, "the message after the broken delivery", |e| {
            e["content"]["body"] == "Arrivederci"
        })
        .await;

    // The admin room has one line for each, with numbers masked.
    let lines = admin
        .staff
        .wait_for(&admin.room, 3, "the admins' lines", |e| {
            e["sender"] == BOT
                && e["content"]["body"].as_str().is_some_and(|b| {
                    b.starts_with("⚠️ Non consegnato") || b.contains("non sa leggere")
                })
        })
        .await;
    let bodies: Vec<&str> = lines
        .iter()
        .map(|e| e["content"]["body"].as_str().unwrap())
        .collect();
    assert!(
        bodies.iter().all(|b| !b.contains("393409876543")),
        "{bodies:?}"
    );
    assert!(
        bodies.iter().any(|b| b.contains("+39•••6543")),
        "{bodies:?}"
    );
    let router_dead = dead_letter_id(
        bodies
            .iter()
            .find(|b| b.contains("non sa leggere"))
            .expect("the router's line"),
    );

    // !deadletters lists all three; after the fault is fixed, !retry delivers them.
    let list = admin.say("!deadletters").await;
    for id in [&citizen_dead, &router_dead] {
        assert!(list.contains(id.as_str()), "{list}");
    }
    sportello::failpoint::disarm("worker.item", CITIZEN_FAULT);
    sportello::failpoint::disarm("router.delivery", ROUTER_FAULT);
    let retried = admin.say(&format!("!retry {citizen_dead}")).await;
    assert!(retried.contains("rimesso in coda"), "{retried}");
    mario
        .wait_for(&room, 1, "the retried message", |e| {
            e["content"]["body"] == broken.as_str()
        })
        .await;
    let rerouted = admin.say(&format!("retry {router_dead}")).await;
    assert!(rerouted.contains("rimesso in ingresso"), "{rerouted}");
    mario
        .wait_for(&room, 1, "the rerouted message", |e| {
            e["content"]["body"]
                .as_str()
                .is_some_and(|b| b.starts_with("Ultima domanda"))
        })
        .await;
    // The staff one is discarded; it is gone from the list, and the audit log says who did it.
    let staff_dead = dead_letter_id(&staff_notice);
    let dropped = admin.say(&format!("drop {staff_dead}")).await;
    assert!(dropped.contains("scartato"), "{dropped}");
    assert!(admin.say("deadletters").await.contains("Nessun elemento"));
    let audit = admin.say("audit 5").await;
    assert!(audit.contains(&format!("drop {staff_dead}")), "{audit}");
    sportello::failpoint::disarm("worker.item", STAFF_FAULT);

    // The panic's text never reached the logs unmasked.
    let logs = crate::harness::captured_logs();
    assert!(logs.contains("fail point worker.item fired"));
    assert!(!logs.contains("393409876543"));
}

/// A photo larger than the homeserver accepts is not downloaded: staff see its size, the
/// limit and the citizen's caption; a small photo and the next text still arrive, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_larger_than_the_homeserver_accepts_is_explained_not_fetched() {
    let stack = stack_with(StackOptions {
        language: "it".into(),
        max_upload_size: "1M".into(),
        ..Default::default()
    })
    .await;
    let sim = &stack.sim;
    let paolo = Citizen::phone("393351239876", "Paolo Neri");
    let (mario, room) = citizen_writes(&stack, &paolo, "Vi mando le foto della buca").await;

    let big = sim.add_media(vec![7u8; 1_500_000], "image/jpeg", None);
    let small_bytes: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
    let small = sim.add_media(small_bytes.clone(), "image/jpeg", None);
    let n = sim.notification(
        &[&paolo],
        vec![
            sim.media_message(
                &paolo,
                "image",
                &big,
                json!({"caption": "Buca in via Roma, è profonda"}),
            ),
            sim.media_message(&paolo, "image", &small, json!({})),
            sim.text(&paolo, "Grazie dell'attenzione"),
        ],
    );
    assert_eq!(sim.post(&n).await, 200);
    let msgs = mario
        .wait_for(&room, 1, "the last message", |e| {
            e["content"]["body"] == "Grazie dell'attenzione"
        })
        .await;
    assert_eq!(msgs.len(), 1);
    let all = mario.messages(&room).await;
    let bodies: Vec<&str> = all
        .iter()
        .filter_map(|e| e["content"]["body"].as_str())
        .collect();
    let notice = all
        .iter()
        .find(|e| e["content"]["msgtype"] == "m.notice")
        .expect("a notice for the large photo");
    let text = notice["content"]["body"].as_str().unwrap();
    assert!(
        text.contains("una foto di 1,5 MB")
            && text.contains("accetta file fino a 1,1 MB")
            && text.contains("Didascalia: Buca in via Roma, è profonda"),
        "{text}"
    );
    let image = all
        .iter()
        .find(|e| e["content"]["msgtype"] == "m.image")
        .expect("the small photo");
    let mxc = image["content"]["url"].as_str().unwrap();
    assert_eq!(mario.download(mxc).await, small_bytes);
    // In the order sent, and only the small photo was downloaded from WhatsApp.
    let at = |needle: &str| bodies.iter().position(|b| b.contains(needle)).unwrap();
    assert!(at("1,5 MB") < at("Grazie dell'attenzione"), "{bodies:?}");
    assert_eq!(sim.media_downloads(), 1);
}

/// A tmpfs of `size` mounted for a test (root only), unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().ok()?;
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallDisk { dir })
    }
    /// Fills the disk to the last byte; returns the filler's path.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let path = self.dir.path().join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        let block = vec![0u8; 4096];
        while f.write_all(&block).is_ok() {}
        let _ = f.write_all(&[0u8]);
        let _ = f.sync_all();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// The store's disk fills up: webhooks are answered 5xx (nothing acknowledged, so nothing
/// lost: Meta retries), and once space is freed the same bridge, not restarted, takes them
/// again and every message arrives once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_webhooks_and_the_bridge_recovers_when_it_clears() {
    let Some(disk) = SmallDisk::mount("8m") else {
        eprintln!("skipped: mounting a small tmpfs needs root");
        return;
    };
    let mut stack = stack().await;
    let rita = Citizen::phone("393482223344", "Rita Gallo");
    let (mario, room) = citizen_writes(&stack, &rita, "Prima del disco pieno").await;
    // The store moves onto the small disk.
    stack.stop_bridge().await;
    let old = stack.config.raw.store.path.clone();
    let new = disk.dir.path().join("store");
    std::fs::create_dir_all(&new).unwrap();
    std::fs::copy(old.join("sportello.redb"), new.join("sportello.redb")).unwrap();
    stack.config.raw.store.path = new;
    stack.start_bridge().await.unwrap();
    let sim = &stack.sim;

    let filler = disk.fill();
    // Long messages until the store can take no more: those are answered 5xx.
    let long = "È una segnalazione lunga, con l'apostrofo e 😀. ".repeat(80);
    let posts: Vec<_> = (0..60)
        .map(|i| sim.notification(&[&rita], vec![sim.text(&rita, &format!("{i:02} {long}"))]))
        .collect();
    let mut accepted = Vec::new();
    let mut refused = Vec::new();
    for (i, n) in posts.iter().enumerate() {
        match sim.post(n).await {
            200 => accepted.push(i),
            s => {
                assert!(
                    s >= 500,
                    "{s}: a webhook that cannot be stored is not acknowledged"
                );
                refused.push(i);
            }
        }
    }
    assert!(
        !refused.is_empty(),
        "the disk never filled up: the test proves nothing"
    );
    std::fs::remove_file(filler).unwrap();
    // Meta retries what was not acknowledged; the same bridge takes it now.
    for i in &refused {
        assert_eq!(sim.post_until_ok(&posts[*i], 20).await, 200);
        accepted.push(*i);
    }
    let after = sim.notification(&[&rita], vec![sim.text(&rita, "Dopo: tutto a posto")]);
    assert_eq!(sim.post(&after).await, 200);
    mario
        .wait_for(&room, 1, "the message after the disk cleared", |e| {
            e["content"]["body"] == "Dopo: tutto a posto"
        })
        .await;
    // Each exactly once, in the order the bridge acknowledged them.
    let bodies: Vec<usize> = mario
        .messages(&room)
        .await
        .iter()
        .filter_map(|e| e["content"]["body"].as_str()?.get(..2)?.parse().ok())
        .collect();
    assert_eq!(bodies, accepted);
    eprintln!(
        "disk full: {} of {} webhooks refused, all taken after it cleared",
        refused.len(),
        posts.len()
    );
    stack.stop_bridge().await;
}

/// Synapse stored a citizen's message but its answer was lost, and then Synapse restarted
/// (forgetting the appservice's transaction ids): the retry finds the stored event instead of
/// posting the message a second time. Found by the fault figures (Synapse stopped mid-flood).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_whose_answer_was_lost_to_a_synapse_restart_is_not_posted_twice() {
    const LOST: &str = "RISPOSTA-PERSA-4c1";
    let mut stack = stack_with(StackOptions {
        retry_max_secs: 2,
        ..Default::default()
    })
    .await;
    let sim = stack.sim.clone();
    let teo = Citizen::phone("393491112200", "Teo Ferri");
    let (mario, room) = citizen_writes(&stack, &teo, "Buongiorno").await;
    sportello::failpoint::arm("ghost.answer_lost", LOST);
    let text = format!("È arrivata la mia domanda? {LOST}");
    assert_eq!(
        sim.post(&sim.notification(&[&teo], vec![sim.text(&teo, &text)]))
            .await,
        200
    );
    // Stored in the room, though the bridge was told nothing.
    mario
        .wait_for(&room, 1, "the stored message", |e| {
            e["content"]["body"] == text.as_str()
        })
        .await;
    stack.synapse.stop();
    stack.synapse.resume().unwrap();
    sportello::failpoint::disarm("ghost.answer_lost", LOST);
    assert_eq!(
        sim.post_until_ok(
            &sim.notification(&[&teo], vec![sim.text(&teo, "E poi?")]),
            20
        )
        .await,
        200
    );
    let after = |e: &serde_json::Value| e["content"]["body"] == "E poi?";
    mario.wait_for(&room, 1, "the next message", after).await;
    let copies = mario
        .messages(&room)
        .await
        .iter()
        .filter(|e| e["content"]["body"] == text.as_str())
        .count();
    assert_eq!(copies, 1, "posted again after the restart");
}
