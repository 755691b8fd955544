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
