use super::*;
use crate::ids::{Bsuid, WaId};
use crate::whatsapp::webhook::{Update, parse};

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
    let ev = citizen_to_matrix(&m, Some("$q"));
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
    let plain = citizen_to_matrix(
        &inbound(
            json!({"from": "393331234567", "id": "w2", "type": "text", "text": {"body": "hi"}}),
        ),
        None,
    );
    assert!(plain.content.get("formatted_body").is_none());
    assert!(plain.content.get("m.relates_to").is_none());
}

#[test]
fn forwarded_is_marked_and_unknown_kinds_become_notices() {
    let m = inbound(
        json!({"from": "393331234567", "id": "w1", "type": "text", "text": {"body": "news"},
        "context": {"forwarded": true}}),
    );
    assert!(
        citizen_to_matrix(&m, None).content["body"]
            .as_str()
            .unwrap()
            .starts_with("↪ Forwarded:")
    );
    let v = inbound(
        json!({"from": "393331234567", "id": "w3", "type": "sticker", "sticker": {"id": "1"}}),
    );
    let ev = citizen_to_matrix(&v, None);
    assert_eq!(ev.content["msgtype"], "m.notice");
    assert!(ev.content["body"].as_str().unwrap().contains("sticker"));
}

fn staff(kind: StaffKind, body: &str, html: Option<&str>) -> StaffMessage {
    StaffMessage {
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
    assert_eq!(
        staff_to_whatsapp(
            &staff(StaffKind::Other("m.image".into()), "x.png", None),
            None
        ),
        Err(Refusal::Unsupported("m.image".into()))
    );
    assert_eq!(
        staff_to_whatsapp(&staff(StaffKind::Text, &"a".repeat(4097), None), None),
        Err(Refusal::TooLong(4097))
    );
    assert!(staff_to_whatsapp(&staff(StaffKind::Text, &"é".repeat(4096), None), None).is_ok());
    let mut e = staff(StaffKind::Text, "fix", None);
    e.is_edit = true;
    assert_eq!(staff_to_whatsapp(&e, None), Err(Refusal::Edit));
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
