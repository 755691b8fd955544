//! Every message kind from the citizen, end to end: media fetched from the (simulated) Graph
//! API arrive in Element byte for byte; locations, contacts, choices and reactions are native.

use serde_json::{Value, json};

use crate::harness::{Citizen, WAIT, citizen_writes, stack};

const GHOST: &str = "@whatsapp_393331234567:comune.test";

fn bytes(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn citizen_media_location_contacts_and_choices_arrive_natively() {
    let stack = stack().await;
    let sim = &stack.sim;
    let anna = Citizen::phone("393331234567", "Anna");
    let (mario, room) = citizen_writes(&stack, &anna, "ciao").await;

    let photo = bytes(40_000, 1);
    let voice = bytes(9_000, 2);
    let pdf = bytes(25_000, 3);
    let img_id = sim.add_media(photo.clone(), "image/jpeg", None);
    let voice_id = sim.add_media(voice.clone(), "audio/ogg; codecs=opus", None);
    let pdf_id = sim.add_media(pdf.clone(), "application/pdf", Some("domanda.pdf"));
    let messages = vec![
        sim.media_message(&anna, "image", &img_id, json!({"caption": "Buca in *via Roma*"})),
        sim.media_message(&anna, "audio", &voice_id, json!({"voice": true})),
        sim.media_message(&anna, "document", &pdf_id, json!({"filename": "domanda.pdf", "caption": "Il modulo"})),
        sim.message(&anna, "location", json!({"latitude": 45.4642, "longitude": 9.19, "name": "Municipio", "address": "Piazza Scala 2"})),
        sim.message(&anna, "contacts", json!([{"name": {"formatted_name": "Mario Bianchi", "first_name": "Mario"}, "phones": [{"phone": "+39 333 000 1111", "type": "CELL", "wa_id": "393330001111"}]}])),
        sim.message(&anna, "interactive", json!({"type": "list_reply", "list_reply": {"id": "eventi", "title": "Eventi", "description": "Cultura e sport"}})),
    ];
    assert_eq!(sim.post(&sim.notification(&[&anna], messages)).await, 200);
    let msgs = mario
        .wait_for(&room, 8, "every kind", |e| e["sender"] == GHOST)
        .await;
    let c: Vec<&Value> = msgs.iter().map(|m| &m["content"]).collect();

    assert_eq!(c[1]["msgtype"], "m.image");
    assert_eq!(c[1]["body"], "Buca in *via Roma*");
    assert_eq!(c[1]["info"]["mimetype"], "image/jpeg");
    assert_eq!(c[1]["info"]["size"], 40_000);
    assert_eq!(
        mario.download(c[1]["url"].as_str().unwrap()).await,
        photo,
        "photo bytes identical"
    );

    assert_eq!(c[2]["msgtype"], "m.audio");
    assert!(
        c[2].get("org.matrix.msc3245.voice").is_some(),
        "a voice note is marked as one"
    );
    assert_eq!(c[2]["info"]["mimetype"], "audio/ogg");
    assert_eq!(mario.download(c[2]["url"].as_str().unwrap()).await, voice);

    assert_eq!(c[3]["msgtype"], "m.file");
    assert_eq!(c[3]["filename"], "domanda.pdf");
    assert_eq!(c[3]["body"], "Il modulo");
    assert_eq!(mario.download(c[3]["url"].as_str().unwrap()).await, pdf);

    assert_eq!(c[4]["msgtype"], "m.location");
    assert_eq!(c[4]["geo_uri"], "geo:45.4642,9.19");
    assert!(c[4]["body"].as_str().unwrap().contains("Municipio"));

    assert_eq!(c[5]["msgtype"], "m.text");
    assert!(c[5]["body"].as_str().unwrap().contains("Mario Bianchi"));
    assert_eq!(c[6]["msgtype"], "m.file");
    let vcf = String::from_utf8(mario.download(c[6]["url"].as_str().unwrap()).await).unwrap();
    assert!(
        vcf.contains("FN:Mario Bianchi") && vcf.contains("TEL;TYPE=CELL:+39 333 000 1111"),
        "{vcf}"
    );

    assert_eq!(c[7]["body"], "↩️ Chose: Eventi — Cultura e sport");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn citizen_reactions_annotate_and_removal_redacts() {
    let stack = stack().await;
    let sim = &stack.sim;
    let anna = Citizen::phone("393331234567", "Anna");
    let (mario, room) = citizen_writes(&stack, &anna, "ciao").await;
    let answer = mario
        .send(
            &room,
            json!({"msgtype": "m.text", "body": "Apriamo alle 9"}),
        )
        .await;
    sim.wait_for_messages(1, WAIT).await;
    let wamid = sim.accepted()[0].response["messages"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let react = |emoji: Option<&str>| {
        let mut r = json!({"message_id": wamid});
        if let Some(e) = emoji {
            r["emoji"] = json!(e);
        }
        sim.notification(&[&anna], vec![sim.message(&anna, "reaction", r)])
    };
    assert_eq!(sim.post(&react(Some("👍"))).await, 200);
    let r = crate::harness::eventually("the reaction", || async {
        let evs = mario.events(&room, "m.reaction").await;
        evs.into_iter()
            .find(|e| e["sender"] == GHOST && !e["content"].as_object().unwrap().is_empty())
    })
    .await;
    assert_eq!(r["content"]["m.relates_to"]["rel_type"], "m.annotation");
    assert_eq!(r["content"]["m.relates_to"]["event_id"], answer.as_str());
    assert_eq!(r["content"]["m.relates_to"]["key"], "👍");

    // Removing it (Meta omits the emoji) redacts the annotation.
    assert_eq!(sim.post(&react(None)).await, 200);
    crate::harness::eventually("the redaction", || async {
        let evs = mario.events(&room, "m.reaction").await;
        let redacted = |e: &Value| e["content"].as_object().is_none_or(|o| o.is_empty());
        (!evs.is_empty() && evs.iter().all(redacted)).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_attachments_location_reactions_and_deletions() {
    let stack = stack().await;
    let sim = &stack.sim;
    let anna = Citizen::phone("393331234567", "Anna");
    let (mario, room) = citizen_writes(&stack, &anna, "ciao").await;
    let citizen_event = mario.messages(&room).await[0]["event_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let png = bytes(30_000, 7);
    let pdf = bytes(50_000, 8);
    let ogg = bytes(8_000, 9);
    let png_uri = mario.upload("image/png", png.clone()).await;
    let pdf_uri = mario.upload("application/pdf", pdf.clone()).await;
    let ogg_uri = mario.upload("audio/ogg", ogg.clone()).await;
    mario.send(&room, json!({"msgtype": "m.image", "body": "Il programma della festa", "filename": "festa.png", "url": png_uri, "info": {"mimetype": "image/png", "size": 30_000}})).await;
    mario.send(&room, json!({"msgtype": "m.file", "body": "bando.pdf", "url": pdf_uri, "info": {"mimetype": "application/pdf", "size": 50_000},
        "m.relates_to": {"m.in_reply_to": {"event_id": citizen_event}}})).await;
    mario.send(&room, json!({"msgtype": "m.audio", "body": "Voice message", "url": ogg_uri, "info": {"mimetype": "audio/ogg", "size": 8_000},
        "org.matrix.msc3245.voice": {}, "org.matrix.msc1767.audio": {}})).await;
    mario
        .send(
            &room,
            json!({"msgtype": "m.location", "body": "Municipio", "geo_uri": "geo:45.4642,9.19"}),
        )
        .await;
    // Oversize: refused before anything is downloaded or uploaded.
    let big_uri = mario.upload("video/mp4", bytes(1000, 10)).await;
    mario.send(&room, json!({"msgtype": "m.video", "body": "riunione.mp4", "url": big_uri, "info": {"mimetype": "video/mp4", "size": 40 * 1024 * 1024}})).await;
    let refusal = mario
        .wait_for(&room, 1, "the size refusal", |e| {
            e["sender"] == "@sportello:comune.test"
        })
        .await;
    assert!(
        refusal[0]["content"]["body"]
            .as_str()
            .unwrap()
            .contains("too large"),
        "{refusal:?}"
    );
    let reaction = mario.send_event(&room, "m.reaction", json!({"m.relates_to": {"rel_type": "m.annotation", "event_id": citizen_event, "key": "👍"}})).await;

    let sent = sim.wait_for_messages(5, WAIT).await;
    let kinds: Vec<&str> = sent.iter().map(|m| m["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["image", "document", "audio", "location", "reaction"]
    );
    for m in &sent {
        assert_eq!(m["to"], "393331234567");
    }
    let img = sim
        .media(sent[0]["image"]["id"].as_str().unwrap())
        .expect("uploaded to the Graph API");
    assert_eq!(
        (img.bytes == png, img.mime_type.as_str()),
        (true, "image/png"),
        "image bytes identical"
    );
    assert_eq!(sent[0]["image"]["caption"], "Il programma della festa");
    assert!(
        sent[0]["image"].get("link").is_none(),
        "never a public link"
    );
    let doc = sim
        .media(sent[1]["document"]["id"].as_str().unwrap())
        .unwrap();
    assert!(doc.bytes == pdf);
    assert_eq!(sent[1]["document"]["filename"], "bando.pdf");
    assert!(
        sent[1]["context"]["message_id"]
            .as_str()
            .unwrap()
            .starts_with("wamid."),
        "reply context"
    );
    assert!(
        sim.media(sent[2]["audio"]["id"].as_str().unwrap())
            .unwrap()
            .bytes
            == ogg
    );
    assert_eq!(
        sent[3]["location"],
        json!({"latitude": 45.4642, "longitude": 9.19, "name": "Municipio"})
    );
    assert_eq!(sent[4]["reaction"]["emoji"], "👍");
    assert_eq!(
        sent[4]["reaction"]["message_id"],
        sent[1]["context"]["message_id"]
    );

    // Removing the reaction removes it on WhatsApp; deleting a sent message cannot.
    mario.redact(&room, &reaction).await;
    let sent = sim.wait_for_messages(6, WAIT).await;
    assert_eq!(
        sent[5]["reaction"],
        json!({"message_id": sent[4]["reaction"]["message_id"], "emoji": ""})
    );
    let image_event = mario
        .messages(&room)
        .await
        .iter()
        .find(|e| e["content"]["msgtype"] == "m.image")
        .unwrap()["event_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let image_event: matrix_sdk::ruma::OwnedEventId = image_event.try_into().unwrap();
    mario.redact(&room, &image_event).await;
    let notice = mario
        .wait_for(&room, 2, "the deletion notice", |e| {
            e["sender"] == "@sportello:comune.test"
        })
        .await;
    assert!(
        notice[1]["content"]["body"]
            .as_str()
            .unwrap()
            .contains("not on WhatsApp")
    );

    // Video and sticker go the same way.
    let mp4 = bytes(60_000, 11);
    let webp = bytes(20_000, 12);
    let mp4_uri = mario.upload("video/mp4", mp4.clone()).await;
    let webp_uri = mario.upload("image/webp", webp.clone()).await;
    mario.send(&room, json!({"msgtype": "m.video", "body": "Il video", "filename": "v.mp4", "url": mp4_uri, "info": {"mimetype": "video/mp4", "size": 60_000}})).await;
    mario.send_event(&room, "m.sticker", json!({"body": "ok", "url": webp_uri, "info": {"mimetype": "image/webp", "size": 20_000}})).await;
    let sent = sim.wait_for_messages(8, WAIT).await;
    assert_eq!(sent[6]["type"], "video");
    assert_eq!(sent[6]["video"]["caption"], "Il video");
    assert!(
        sim.media(sent[6]["video"]["id"].as_str().unwrap())
            .unwrap()
            .bytes
            == mp4
    );
    assert_eq!(sent[7]["type"], "sticker");
    assert!(
        sim.media(sent[7]["sticker"]["id"].as_str().unwrap())
            .unwrap()
            .bytes
            == webp
    );
    assert_eq!(
        sim.accepted_messages().len(),
        8,
        "the deletion and the oversize video sent nothing"
    );
}
