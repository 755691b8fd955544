use super::*;
use crate::ids::{Bsuid, WaId};
use crate::matrix::types::{StaffKind, StaffMessage};
use crate::whatsapp::webhook::{InboundMessage, Update, parse};

fn inbound(message: Value) -> InboundMessage {
    let body = json!({"entry": [{"changes": [{"field": "messages", "value": {
        "contacts": [{"profile": {"name": "Anna"}, "wa_id": "393331234567"}],
        "messages": [message]}}]}]});
    match parse(body.to_string().as_bytes(), "1").unwrap().remove(0) {
        Update::Message(m) => m,
        other => panic!("{other:?}"),
    }
}

#[test]
fn citizen_text_with_markup_and_reply() {
    let m = inbound(
        json!({"from": "393331234567", "id": "w1", "type": "text", "text": {"body": "*Ciao* a tutti"}}),
    );
    let ev = c2m(&m, Some("$q"), None).remove(0);
    assert_eq!(ev.content["body"], "*Ciao* a tutti");
    assert_eq!(
        ev.content["formatted_body"],
        "<strong>Ciao</strong> a tutti"
    );
    assert_eq!(ev.content["format"], "org.matrix.custom.html");
    assert_eq!(
        ev.content["m.relates_to"]["m.in_reply_to"]["event_id"],
        "$q"
    );
    let plain = c2m(
        &inbound(
            json!({"from": "393331234567", "id": "w2", "type": "text", "text": {"body": "hi"}}),
        ),
        None,
        None,
    );
    assert_eq!(plain.len(), 1);
    assert!(plain[0].content.get("formatted_body").is_none());
    assert!(plain[0].content.get("m.relates_to").is_none());
}

fn one(message: Value, media: Option<&Uploaded>) -> Value {
    let mut evs = c2m(&inbound(message), None, media);
    assert_eq!(evs.len(), 1, "{evs:?}");
    evs.remove(0).content
}

fn upl(mime: &str, filename: &str) -> Uploaded {
    Uploaded {
        mxc: "mxc://comune.test/abc".into(),
        mime: mime.into(),
        size: 1234,
        filename: filename.into(),
    }
}

#[test]
fn forwarded_is_marked_and_missing_media_is_explained() {
    let c = one(
        json!({"from": "393331234567", "id": "w1", "type": "text", "text": {"body": "news"}, "context": {"forwarded": true}}),
        None,
    );
    assert!(c["body"].as_str().unwrap().starts_with("↪ Forwarded:"));
    let c = one(
        json!({"from": "393331234567", "id": "w3", "type": "sticker", "sticker": {"id": "1"}}),
        None,
    );
    assert_eq!(c["msgtype"], "m.notice");
    assert!(
        c["body"]
            .as_str()
            .unwrap()
            .contains("a sticker that could not be fetched")
    );
}

#[test]
fn media_kinds_become_native_matrix_media() {
    let img = one(
        json!({"from": "393331234567", "id": "w", "type": "image", "image": {"id": "1", "mime_type": "image/jpeg", "caption": "*buca* in via Roma"}}),
        Some(&upl("image/jpeg", "image.jpg")),
    );
    assert_eq!(
        (
            img["msgtype"].as_str(),
            img["body"].as_str(),
            img["filename"].as_str()
        ),
        (
            Some("m.image"),
            Some("*buca* in via Roma"),
            Some("image.jpg")
        )
    );
    assert_eq!(img["info"]["mimetype"], "image/jpeg");
    assert_eq!(img["info"]["size"], 1234);
    assert_eq!(img["url"], "mxc://comune.test/abc");
    assert_eq!(img["formatted_body"], "<strong>buca</strong> in via Roma");
    let voice = one(
        json!({"from": "393331234567", "id": "w", "type": "audio", "audio": {"id": "1", "mime_type": "audio/ogg; codecs=opus", "voice": true}}),
        Some(&upl("audio/ogg", "audio.ogg")),
    );
    assert_eq!(voice["msgtype"], "m.audio");
    assert!(voice.get("org.matrix.msc3245.voice").is_some());
    let doc = one(
        json!({"from": "393331234567", "id": "w", "type": "document", "document": {"id": "1", "filename": "domanda.pdf"}}),
        Some(&upl("application/pdf", "domanda.pdf")),
    );
    assert_eq!(
        (doc["msgtype"].as_str(), doc["body"].as_str()),
        (Some("m.file"), Some("domanda.pdf"))
    );
    let mut st = c2m(
        &inbound(
            json!({"from": "393331234567", "id": "w", "type": "sticker", "sticker": {"id": "1", "animated": false}}),
        ),
        None,
        Some(&upl("image/webp", "sticker.webp")),
    );
    assert_eq!(st[0].event_type, "m.sticker");
    assert_eq!(st.remove(0).content["url"], "mxc://comune.test/abc");
}

#[test]
fn locations_and_contacts_are_readable() {
    let loc = one(
        json!({"from": "393331234567", "id": "w", "type": "location", "location": {"latitude": 45.46, "longitude": 9.19, "name": "Municipio", "address": "Piazza Scala 2"}}),
        None,
    );
    assert_eq!(loc["msgtype"], "m.location");
    assert_eq!(loc["geo_uri"], "geo:45.46,9.19");
    assert!(
        loc["body"]
            .as_str()
            .unwrap()
            .contains("Municipio, Piazza Scala 2")
    );

    let contacts = inbound(
        json!({"from": "393331234567", "id": "w", "type": "contacts", "contacts": [{"name": {"formatted_name": "Ufficio Tributi"}, "phones": [{"phone": "+39 02 1234", "type": "WORK"}], "emails": [{"email": "tributi@comune.it"}]}]}),
    );
    let (file, vcf) = inbound::contacts_vcf(&contacts).unwrap();
    assert_eq!(file, "Ufficio Tributi.vcf");
    assert!(
        vcf.contains("FN:Ufficio Tributi\r\n") || vcf.contains("FN:Ufficio Tributi\r"),
        "{vcf}"
    );
    assert!(vcf.contains("TEL;TYPE=WORK:+39 02 1234"));
    let evs = c2m(
        &contacts,
        None,
        Some(&upl("text/vcard", "Ufficio Tributi.vcf")),
    );
    assert_eq!(evs.len(), 2);
    assert!(
        evs[0].content["body"]
            .as_str()
            .unwrap()
            .contains("📞 +39 02 1234")
    );
    assert_eq!(evs[1].content["msgtype"], "m.file");
}

#[test]
fn choices_system_notes_unsupported_kinds_and_ads_are_readable() {
    let flow = one(
        json!({"from": "393331234567", "id": "w", "type": "interactive", "interactive": {"type": "nfm_reply", "nfm_reply": {"name": "flow", "body": "Sent", "response_json": "{\"flow_token\":\"x\",\"via\":\"Roma\"}"}}}),
        None,
    );
    assert!(flow["body"].as_str().unwrap().contains("• via: Roma"));
    assert!(!flow["body"].as_str().unwrap().contains("flow_token"));
    let list = one(
        json!({"from": "393331234567", "id": "w", "type": "interactive", "interactive": {"type": "list_reply", "list_reply": {"id": "1", "title": "Eventi", "description": "Cultura"}}}),
        None,
    );
    assert_eq!(list["body"], "↩️ Chose: Eventi — Cultura");
    let button = one(
        json!({"from": "393331234567", "id": "w", "type": "button", "button": {"payload": "STOP", "text": "Stop promotions"}}),
        None,
    );
    assert_eq!(button["body"], "↩️ Tapped: Stop promotions");
    let sys = one(
        json!({"from": "393331234567", "id": "w", "type": "system", "system": {"body": "User A changed from 1 to 2", "type": "user_changed_number"}}),
        None,
    );
    assert_eq!(
        (sys["msgtype"].as_str(), sys["body"].as_str()),
        (
            Some("m.notice"),
            Some("WhatsApp: User A changed from 1 to 2")
        )
    );
    let poll = one(
        json!({"from": "393331234567", "id": "w", "type": "unsupported", "unsupported": {"type": "poll_creation"}, "errors": [{"code": 131051, "title": "Message type unknown"}]}),
        None,
    );
    assert!(
        poll["body"]
            .as_str()
            .unwrap()
            .contains("poll_creation message")
            && poll["body"]
                .as_str()
                .unwrap()
                .contains("Message type unknown")
    );
    let ad = one(
        json!({"from": "393331234567", "id": "w", "type": "text", "text": {"body": "Info?"}, "referral": {"source_url": "https://fb.me/x", "headline": "Festa"}}),
        None,
    );
    assert!(
        ad["body"]
            .as_str()
            .unwrap()
            .starts_with("📣 Via an ad: Festa (https://fb.me/x):\nInfo?")
    );
}

#[test]
fn reactions() {
    let add = inbound(
        json!({"from": "393331234567", "id": "w", "type": "reaction", "reaction": {"message_id": "wamid.T", "emoji": "👍"}}),
    );
    assert_eq!(
        inbound::reaction(&add),
        Some(Reaction::Add {
            target: crate::ids::WaMessageId::new("wamid.T"),
            emoji: "👍".into()
        })
    );
    for r in [
        json!({"message_id": "wamid.T"}),
        json!({"message_id": "wamid.T", "emoji": ""}),
    ] {
        let rm =
            inbound(json!({"from": "393331234567", "id": "w", "type": "reaction", "reaction": r}));
        assert_eq!(
            inbound::reaction(&rm),
            Some(Reaction::Remove {
                target: crate::ids::WaMessageId::new("wamid.T")
            })
        );
    }
}

fn staff(kind: StaffKind, body: &str, html: Option<&str>) -> StaffMessage {
    StaffMessage {
        content: json!({"body": body}),
        kind,
        body: body.into(),
        html: html.map(Into::into),
        reply_to: None,
        is_edit: false,
    }
}

#[test]
fn staff_text_html_emote_signature() {
    assert_eq!(
        staff_to_whatsapp(&staff(StaffKind::Text, "Orari", Some("<b>Orari</b>")), None).unwrap(),
        "*Orari*"
    );
    assert_eq!(
        staff_to_whatsapp(&staff(StaffKind::Emote, "saluta", None), None).unwrap(),
        "_saluta_"
    );
    assert_eq!(
        staff_to_whatsapp(&staff(StaffKind::Text, "Sì", None), Some("URP")).unwrap(),
        "Sì\n\n— URP"
    );
}

#[test]
fn staff_refusals() {
    let mut e = staff(StaffKind::Text, "fix", None);
    assert_eq!(
        staff_to_whatsapp(&staff(StaffKind::Text, &"a".repeat(4097), None), None),
        Err(Refusal::TooLong(4097))
    );
    assert!(staff_to_whatsapp(&staff(StaffKind::Text, &"é".repeat(4096), None), None).is_ok());
    e.is_edit = true;
    assert_eq!(staff_to_whatsapp(&e, None), Err(Refusal::Edit));
    assert_eq!(
        staff_to_outbound(
            &staff(
                StaffKind::Other("m.key.verification.request".into()),
                "x",
                None
            ),
            None
        ),
        Err(Refusal::Unsupported("m.key.verification.request".into()))
    );
}

fn media_msg(msgtype: &str, content: Value) -> StaffMessage {
    let mut m = staff(
        StaffKind::Other(msgtype.into()),
        content["body"].as_str().unwrap_or(""),
        None,
    );
    m.content = content;
    m
}

#[test]
fn staff_media_and_location() {
    let img = media_msg(
        "m.image",
        json!({"body": "Il bando", "filename": "bando.png", "url": "mxc://s/a", "info": {"mimetype": "image/png", "size": 1000}}),
    );
    let Ok(Outbound::Media(m)) = staff_to_outbound(&img, None) else {
        panic!()
    };
    assert_eq!(
        (
            m.kind,
            m.mime.as_str(),
            m.caption.as_deref(),
            m.filename.as_str()
        ),
        ("image", "image/png", Some("Il bando"), "bando.png")
    );
    assert_eq!(
        outbound::media_message(&m, "77").to_json(),
        json!({"type": "image", "image": {"id": "77", "caption": "Il bando"}})
    );
    let pdf = media_msg(
        "m.file",
        json!({"body": "bando.pdf", "url": "mxc://s/b", "info": {"mimetype": "application/pdf", "size": 2_000_000}}),
    );
    let Ok(Outbound::Media(m)) = staff_to_outbound(&pdf, None) else {
        panic!()
    };
    assert_eq!((m.kind, m.caption.clone()), ("document", None));
    assert_eq!(
        outbound::media_message(&m, "78").to_json(),
        json!({"type": "document", "document": {"id": "78", "filename": "bando.pdf"}})
    );
    let big = media_msg(
        "m.video",
        json!({"body": "v.mp4", "url": "mxc://s/c", "info": {"mimetype": "video/mp4", "size": 20 * 1024 * 1024}}),
    );
    assert!(matches!(
        staff_to_outbound(&big, None),
        Err(Refusal::TooLarge { kind: "video", .. })
    ));
    let gif = media_msg(
        "m.image",
        json!({"body": "a.gif", "url": "mxc://s/d", "info": {"mimetype": "image/gif"}}),
    );
    let err = staff_to_outbound(&gif, None).unwrap_err();
    assert!(
        err.text(&crate::texts::Texts::default())
            .contains("JPEG, PNG (max 5 MB)"),
        "{err}"
    );
    let loc = media_msg(
        "m.location",
        json!({"body": "Municipio", "geo_uri": "geo:45.4642,9.19;u=10"}),
    );
    assert_eq!(
        staff_to_outbound(&loc, None),
        Ok(Outbound::Location {
            latitude: 45.4642,
            longitude: 9.19,
            name: Some("Municipio".into())
        })
    );
    let bad = media_msg("m.location", json!({"body": "x", "geo_uri": "geo:999,1"}));
    assert_eq!(staff_to_outbound(&bad, None), Err(Refusal::BadLocation));
}

#[test]
fn names() {
    let p = CitizenKey::Phone(WaId::parse("393331234567").unwrap());
    assert_eq!(
        room_name("{name} ({number})", Some("Anna"), &p),
        "Anna (+39•••4567)"
    );
    assert_eq!(room_name("{full_number}", None, &p), "+393331234567");
    let b = CitizenKey::Bsuid(Bsuid::parse("IT.abcdef").unwrap());
    assert_eq!(ghost_displayname(None, &b), "IT.…cdef (WhatsApp)");
    assert_eq!(ghost_displayname(Some(" Anna "), &p), "Anna (WhatsApp)");
}

/// Conversion with the English texts.
fn c2m(m: &InboundMessage, reply_to: Option<&str>, media: Option<&Uploaded>) -> Vec<MatrixEvent> {
    citizen_to_matrix(m, reply_to, media.into(), &crate::texts::Texts::default())
}

/// The WhatsApp text of a text/emote/notice (or why it is refused).
fn staff_to_whatsapp(m: &StaffMessage, signature: Option<&str>) -> Result<String, Refusal> {
    match staff_to_outbound(m, signature)? {
        Outbound::Text(t) => Ok(t),
        other => panic!("not text: {other:?}"),
    }
}

#[test]
fn sizes_read_as_phones_show_them() {
    use crate::convert::attachment::size_words;
    assert_eq!(size_words(850_000), "850 kB");
    assert_eq!(size_words(1_500_000), "1,5 MB");
    assert_eq!(size_words(1_048_576), "1,1 MB");
    assert_eq!(size_words(120_000_000), "120 MB");
    assert!(size_words(u64::MAX).ends_with(" MB"));
}
