//! Citizens' data rights end to end (real Synapse, matrix-sdk staff, the simulator): `!export`
//! checked field by field; `!forget` after the citizen's own request, leaving nothing in the
//! store but the erasure record (every table walked), old deliveries kept out, the citizen
//! starting afresh in a new room; and erasure in `redact` mode.

use serde_json::{Value, json};
use sportello::store::Store;

use crate::harness::news::Admin;
use crate::harness::{BOT, Citizen, StackOptions, WAIT, citizen_writes, eventually, stack_with};

const NUMBER: &str = "393331234567";
const MASKED: &str = "+39•••4567";

/// The files the bot posted in the admin room, as (name, bytes).
async fn files(admin: &Admin) -> Vec<(String, Vec<u8>)> {
    let events = admin.staff.messages(&admin.room).await;
    let mut out = Vec::new();
    for e in events
        .iter()
        .filter(|e| e["sender"] == BOT && e["content"]["msgtype"] == "m.file")
    {
        let url = e["content"]["url"].as_str().unwrap();
        let name = e["content"]["body"].as_str().unwrap().to_owned();
        out.push((name, admin.staff.download(url).await));
    }
    out
}

/// The admin room's line from the bot that starts with `head`.
async fn admin_line(admin: &Admin, head: &str) -> String {
    let found = admin
        .staff
        .wait_for(&admin.room, 1, head, |e| {
            e["sender"] == BOT
                && e["content"]["body"]
                    .as_str()
                    .unwrap_or("")
                    .starts_with(head)
        })
        .await;
    found[0]["content"]["body"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_gives_everything_held_and_the_conversation() {
    let stack = stack_with(StackOptions::default()).await;
    let sim = &stack.sim;
    let anna = Citizen::phone(NUMBER, "Anna Rossi");
    let first = "Buongiorno, **È** aperto l'ufficio? 🙂";
    let (mario, room) = citizen_writes(&stack, &anna, first).await;
    let jpeg = b"\xFF\xD8\xFF\xE0 carta d'identita".to_vec();
    let media = sim.add_media(jpeg.clone(), "image/jpeg", None);
    let image = sim.media_message(
        &anna,
        "image",
        &media,
        json!({"caption": "La mia carta d'identità"}),
    );
    let keyword = sim.text(&anna, "ISCRIVIMI eventi");
    let n = sim.notification(&[&anna], vec![image, keyword]);
    assert_eq!(sim.post(&n).await, 200);
    mario
        .wait_for(&room, 1, "the image", |e| {
            e["content"]["msgtype"] == "m.image"
        })
        .await;
    mario
        .wait_for(&room, 1, "the subscription", |e| {
            e["content"]["body"] == "ISCRIVIMI eventi"
        })
        .await;
    let answer = mario
        .send(
            &room,
            json!({"msgtype": "m.text", "body": "Sì, fino alle 13."}),
        )
        .await;
    let sent = eventually("the answer at WhatsApp", || async {
        let m = sim.accepted_messages();
        m.into_iter()
            .find(|m| m["text"]["body"] == "Sì, fino alle 13.")
    })
    .await;
    assert_eq!(sent["to"], NUMBER);
    // Its `read` status is shown as the ghost's receipt once the bridge has recorded it.
    let ghost: matrix_sdk::ruma::OwnedUserId = format!("@whatsapp_{NUMBER}:comune.test")
        .try_into()
        .unwrap();
    let joined = mario.client.get_room(&room).unwrap();
    eventually("the answer read", || async {
        use matrix_sdk::ruma::events::receipt::{ReceiptThread, ReceiptType};
        mario.sync().await;
        let r = joined
            .load_user_receipt(ReceiptType::Read, ReceiptThread::Unthreaded, &ghost)
            .await
            .ok()
            .flatten();
        (r.map(|(e, _)| e) == Some(answer.clone())).then_some(())
    })
    .await;

    let admin = Admin::join(&stack, "anna").await;
    let blocked = admin
        .say(&format!("!block {NUMBER} prova di esportazione"))
        .await;
    assert!(blocked.contains("blocked"), "{blocked}");
    let reply = admin.say("!export +39 333 123 4567").await;
    assert!(
        reply.starts_with(&format!("📦 Export of {MASKED}")),
        "{reply}"
    );
    let files = files(&admin).await;
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["export-+39•••4567.json", "export-+39•••4567.html"]);

    let x: Value = serde_json::from_slice(&files[0].1).unwrap();
    assert_eq!(x["identities"], json!([NUMBER]));
    let held = &x["held_by_the_bridge"];
    let portal = &held["portal"][0]["value"];
    assert_eq!(portal["profile_name"], "Anna Rossi");
    assert_eq!(portal["phone"], NUMBER);
    assert_eq!(portal["room_id"], room.as_str());
    assert_eq!(
        held["subscription"][0]["value"]["topics"],
        json!(["eventi"])
    );
    let ledger = &held["consent_ledger"][0]["value"];
    assert_eq!(
        (ledger["action"].as_str(), ledger["channel"].as_str()),
        (Some("subscribe"), Some("keyword"))
    );
    assert_eq!(held["block"][0]["value"]["reason"], "prova di esportazione");
    assert_eq!(
        held["news_lists"][0]["key"].as_str().unwrap(),
        format!("eventi/p:{NUMBER}")
    );
    assert_eq!(held["conversation"][0]["value"]["state"], "open");
    // The answer's wamid, as the simulator gave it to the bridge, with its status.
    let answered = sim
        .accepted()
        .into_iter()
        .find(|r| r.body["text"]["body"] == "Sì, fino alle 13.")
        .expect("the answer was recorded");
    let wamid = answered.response["messages"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let statuses = held["statuses"].as_array().unwrap();
    let status = statuses.iter().find(|s| s["key"] == wamid.as_str());
    assert_eq!(
        status.map(|s| &s["value"]["status"]),
        Some(&json!("read")),
        "{statuses:?}"
    );
    assert!(
        held["message_map"].as_array().unwrap().len() >= 4,
        "{held:#}"
    );

    let lines = x["conversation"].as_array().unwrap();
    let said: Vec<(&str, &str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["from"].as_str().unwrap(),
                l["kind"].as_str().unwrap(),
                l["text"].as_str().unwrap(),
            )
        })
        .collect();
    let first_line = said
        .iter()
        .position(|l| l == &("citizen", "text", first))
        .expect("Anna's question");
    let image_line = said
        .iter()
        .position(|l| l.0 == "citizen" && l.1 == "image")
        .expect("the image");
    let answer = said
        .iter()
        .position(|l| l == &("office", "text", "Sì, fino alle 13."))
        .expect("the answer");
    assert!(first_line < image_line && image_line < answer, "{said:#?}");
    let attachment = &lines[image_line]["attachment"];
    assert_eq!(attachment["mimetype"], "image/jpeg");
    assert_eq!(attachment["size"], jpeg.len());
    assert!(attachment["url"].as_str().unwrap().starts_with("mxc://"));
    assert!(lines[first_line]["at"].as_str().unwrap().contains("+01:00"));

    let html = String::from_utf8(files[1].1.clone()).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(html.contains("Buongiorno, **È** aperto l&#39;ufficio? 🙂"));
    assert!(html.contains("<th scope=\"col\">When</th>"));
    assert!(html.contains("Sì, fino alle 13."));

    // Audited, like every command; a number never seen has nothing.
    let audit = admin.say("!audit").await;
    assert!(audit.contains("!export"), "{audit}");
    let nothing = admin.say("!export 393479999999").await;
    assert_eq!(nothing, "The bridge holds nothing about +39•••9999.");
    drop(stack);
}

/// Every (table, needle) where the store still names one of `needles`.
fn traces(store: &Store, needles: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for table in Store::tables() {
        for (k, v) in store.dump(table).unwrap() {
            let text = format!(
                "{} {}",
                String::from_utf8_lossy(&k),
                String::from_utf8_lossy(&v)
            );
            for n in needles
                .iter()
                .filter(|n| text.contains(n.as_str()) || hex::encode(&k).contains(&hex::encode(n)))
            {
                out.push(format!("{table}: {n} in {text}"));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forget_leaves_only_the_erasure_record_and_the_citizen_starts_afresh() {
    let mut stack = stack_with(StackOptions::default()).await;
    let sim = &stack.sim;
    let anna = Citizen::phone(NUMBER, "Anna Rossi");
    let first = "Buongiorno, è aperto l'ufficio anagrafe?";
    // Stamped a minute ago, so Meta's retry below is plainly from before the erasure.
    let mut question = sim.text(&anna, first);
    let a_minute_ago = chrono::Utc::now().timestamp() - 60;
    question["timestamp"] = json!(a_minute_ago.to_string());
    let old_wamid = question["id"].as_str().unwrap().to_owned();
    let old = sim.notification(&[&anna], vec![question.clone()]);
    let (mario, room) = crate::harness::citizen_sends(&stack, &anna, question, first).await;
    let ghost = mario.messages(&room).await[0]["sender"]
        .as_str()
        .unwrap()
        .to_owned();
    mario
        .send(
            &room,
            json!({"msgtype": "m.text", "body": "Sì, fino alle 13."}),
        )
        .await;

    // The citizen asks, in her own words.
    let ask = sim.text(&anna, "Per favore, CANCELLA I MIEI DATI!");
    let ask_wamid = ask["id"].as_str().unwrap().to_owned();
    assert_eq!(sim.post(&sim.notification(&[&anna], vec![ask])).await, 200);
    let ack = eventually("the acknowledgement", || async {
        sim.accepted_messages().into_iter().find(|m| {
            m["text"]["body"].as_str().is_some_and(|b| b.starts_with("We have received your request to erase your data. The office will answer you by "))
        })
    })
    .await;
    assert_eq!(ack["to"], NUMBER);
    let admin = Admin::join(&stack, "anna").await;
    let line = admin_line(&admin, "🗑 Erasure request").await;
    assert!(
        line.contains(&format!("from {MASKED}: answer due by ")),
        "{line}"
    );
    mario
        .wait_for(&room, 1, "the request shown to staff", |e| {
            e["sender"] == BOT
                && e["content"]["body"]
                    .as_str()
                    .unwrap_or("")
                    .starts_with("🗑 The citizen asks for their data to be erased")
        })
        .await;
    let open = admin.say("!requests").await;
    assert!(
        open.contains(MASKED) && open.contains("days left"),
        "{open}"
    );

    let queued = admin
        .say(&format!("!forget {NUMBER} the citizen asked"))
        .await;
    assert!(
        queued.starts_with(&format!(
            "🗑 Erasure of {MASKED} queued (reason: the citizen asked; room: keep)"
        )),
        "{queued}"
    );
    let report = admin_line(&admin, &format!("🗑 {MASKED} was erased from the bridge")).await;
    assert!(
        report.contains("by @anna:comune.test, reason: the citizen asked"),
        "{report}"
    );
    for part in [
        "citizen's record 1",
        "erasure requests 1",
        "conversation state 1",
        "In Matrix: the room stays as the office's record",
        "Not erased: the messages at Meta",
    ] {
        assert!(report.contains(part), "{part} in {report}");
    }
    assert_eq!(admin.say("!requests").await, "No open erasure requests.");
    mario
        .wait_for(&room, 1, "the room's notice", |e| {
            e["content"]["body"]
                .as_str()
                .unwrap_or("")
                .starts_with("🗑 This citizen's data was erased from the bridge on ")
        })
        .await;
    let member = mario
        .state(room.as_str(), "m.room.member", &ghost)
        .await
        .unwrap();
    assert_eq!(member["membership"], "leave", "the ghost left");

    // Nothing in the store names her: every table walked, with the bridge stopped.
    stack.stop_bridge().await;
    {
        let store = Store::open(&stack.config.raw.store.path).unwrap();
        let needles: Vec<String> = [
            NUMBER,
            "3331234567",
            "Anna Rossi",
            room.as_str(),
            &ghost,
            &old_wamid,
            &ask_wamid,
            first,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(traces(&store, &needles), Vec::<String>::new());
        let records = store.dump("erasedhash_record").unwrap();
        assert_eq!(records.len(), 1, "one identity, one record");
        let record: Value = serde_json::from_slice(&records[0].1).unwrap();
        assert_eq!(record["by"], "@anna:comune.test");
        assert_eq!(record["reason"], "the citizen asked");
        assert!(record["requested_at"].as_u64().is_some());
        // The command log keeps who erased whom, by the masked number only.
        let audit = store.dump("seq_audit").unwrap();
        let forget = format!("!forget {MASKED} the citizen asked");
        assert!(
            audit
                .iter()
                .any(|(_, v)| String::from_utf8_lossy(v).contains(&forget))
        );
    }
    stack.start_bridge().await.unwrap();
    let sim = &stack.sim;

    // Meta retries her old message: not taken in again. Her new one starts a new room.
    assert_eq!(sim.post(&old).await, 200);
    let again = "Sono di nuovo io: a che ora chiude?";
    assert_eq!(
        sim.post(&sim.notification(&[&anna], vec![sim.text(&anna, again)]))
            .await,
        200
    );
    let new_room = eventually("a new room", || async {
        mario
            .portals_offered()
            .await
            .into_iter()
            .find(|r| r != &room)
    })
    .await;
    mario.accept_invite(&new_room).await;
    let shown = mario
        .wait_for(&new_room, 1, "her new message", |e| {
            e["content"]["body"] == again
        })
        .await;
    assert_eq!(shown.len(), 1);
    let new_msgs = mario.messages(&new_room).await;
    assert!(
        !new_msgs.iter().any(|e| e["content"]["body"] == first),
        "the old message is not back"
    );
    let old_msgs = mario.messages(&room).await;
    assert_eq!(
        old_msgs
            .iter()
            .filter(|e| e["content"]["body"] == first)
            .count(),
        1
    );
    assert!(!old_msgs.iter().any(|e| e["content"]["body"] == again));
    let _ = WAIT;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forget_in_redact_mode_redacts_the_citizen_and_renames_the_room() {
    let stack = stack_with(StackOptions {
        hashed_ids: true,
        extra_toml: "[privacy]\nerase_in_matrix = \"redact\"\n".into(),
        ..Default::default()
    })
    .await;
    let sim = &stack.sim;
    let anna = Citizen::phone(NUMBER, "Anna Rossi");
    let n = sim.notification(&[&anna], vec![sim.text(&anna, "Ecco la mia richiesta")]);
    assert_eq!(sim.post(&n).await, 200);
    let mario = crate::harness::Staff::login(&stack.synapse.url, "mario").await;
    let room = eventually("the portal", || async {
        mario.portals_offered().await.into_iter().next()
    })
    .await;
    mario.accept_invite(&room).await;
    let media = sim.add_media(
        b"%PDF-1.4 modulo".to_vec(),
        "application/pdf",
        Some("modulo ISEE.pdf"),
    );
    let doc = sim.media_message(
        &anna,
        "document",
        &media,
        json!({"filename": "modulo ISEE.pdf"}),
    );
    assert_eq!(sim.post(&sim.notification(&[&anna], vec![doc])).await, 200);
    let file = mario
        .wait_for(&room, 1, "the document", |e| {
            e["content"]["msgtype"] == "m.file"
        })
        .await;
    let mxc = file[0]["content"]["url"].as_str().unwrap().to_owned();
    mario
        .send(
            &room,
            json!({"msgtype": "m.text", "body": "Ricevuto, grazie."}),
        )
        .await;

    let admin = Admin::join(&stack, "anna").await;
    admin
        .say(&format!("!forget {NUMBER} richiesta scritta del cittadino"))
        .await;
    let report = admin_line(&admin, &format!("🗑 {MASKED} was erased from the bridge")).await;
    // Her two messages and her membership (which carried her name).
    assert!(
        report.contains("3 of the citizen's events redacted"),
        "{report}"
    );
    assert!(
        report.contains(&mxc),
        "the file listed for the Synapse administrator: {report}"
    );

    let events = mario.messages(&room).await;
    let citizen_events: Vec<&Value> = events
        .iter()
        .filter(|e| e["sender"] != BOT && e["sender"] != "@mario:comune.test")
        .collect();
    assert_eq!(citizen_events.len(), 2);
    for e in citizen_events {
        assert_eq!(e["content"], json!({}), "redacted: {e}");
    }
    assert!(
        events
            .iter()
            .any(|e| e["content"]["body"] == "Ricevuto, grazie."),
        "staff messages stay"
    );
    let name = mario.state(room.as_str(), "m.room.name", "").await.unwrap();
    assert_eq!(name["name"], "Erased citizen");
    let topic = mario
        .state(room.as_str(), "m.room.topic", "")
        .await
        .unwrap();
    assert_eq!(topic["topic"], "");
}
