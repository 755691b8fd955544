use super::*;
use crate::whatsapp::signature::{SignatureError, verify_signature};
use hmac::{Hmac, Mac};
use sha2::Sha256;

fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[test]
fn signature_accepts_exact_body_only() {
    let body = br#"{"object":"whatsapp_business_account","entry":[]}"#;
    let good = sign(b"secret", body);
    assert_eq!(verify_signature(b"secret", Some(&good), body), Ok(()));
    assert_eq!(
        verify_signature(b"other", Some(&good), body),
        Err(SignatureError::Mismatch)
    );
    let mut altered = body.to_vec();
    altered[3] = b'X';
    assert_eq!(
        verify_signature(b"secret", Some(&good), &altered),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify_signature(b"secret", None, body),
        Err(SignatureError::Missing)
    );
    assert_eq!(
        verify_signature(b"secret", Some("sha1=abc"), body),
        Err(SignatureError::Malformed)
    );
    assert_eq!(
        verify_signature(b"secret", Some("sha256=zz"), body),
        Err(SignatureError::Malformed)
    );
    // Uppercase hex is still the same bytes.
    assert_eq!(
        verify_signature(
            b"secret",
            Some(&good.to_uppercase().replace("SHA256=", "sha256=")),
            body
        ),
        Ok(())
    );
}

#[test]
fn signature_is_over_raw_escaped_bytes() {
    // Meta signs the \u-escaped form; re-serialising would change the bytes.
    let body = br#"{"entry":[],"t":"\u00e4\u00f6"}"#;
    let sig = sign(b"k", body);
    let reserialised = serde_json::to_vec(&serde_json::from_slice::<Value>(body).unwrap()).unwrap();
    assert_eq!(verify_signature(b"k", Some(&sig), body), Ok(()));
    assert_ne!(verify_signature(b"k", Some(&sig), &reserialised), Ok(()));
}

#[test]
fn parses_text_with_identity_profile_and_context() {
    let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
      "messaging_product":"whatsapp","metadata":{"phone_number_id":"42"},
      "contacts":[{"profile":{"name":"Anna"},"wa_id":"393331234567","user_id":"IT.abc"}],
      "messages":[{"from":"393331234567","id":"wamid.1","timestamp":"1700000000","type":"text",
                   "text":{"body":"hi"},"context":{"from":"3900","id":"wamid.0","forwarded":true}},
                  {"id":"wamid.2","type":"text","from":"12ab","text":{"body":"x"}}]}}]}]}"#;
    let ups = parse(body, "42").unwrap();
    let Update::Message(m) = &ups[0] else {
        panic!("{ups:?}")
    };
    assert_eq!(m.profile_name.as_deref(), Some("Anna"));
    assert_eq!(m.citizen_key().as_str(), "p:393331234567");
    assert_eq!(m.bsuid.as_ref().unwrap().expose(), "IT.abc");
    assert_eq!(m.timestamp, Some(1_700_000_000));
    assert_eq!(m.text_body(), Some("hi"));
    assert_eq!(m.context.reply_to, Some(WaMessageId::new("wamid.0")));
    assert!(m.context.forwarded);
    assert!(matches!(&ups[1], Update::Bad { .. }));
    // A BSUID in `from` is understood as one.
    let odd = br#"{"entry":[{"changes":[{"field":"messages","value":{
      "messages":[{"from":"US.1234","id":"w","type":"text","text":{"body":"x"}}]}}]}]}"#;
    let Update::Message(m) = &parse(odd, "42").unwrap()[0] else {
        panic!()
    };
    assert_eq!(m.citizen_key().as_str(), "b:US.1234");
    assert!(matches!(
        parse(body, "43").unwrap()[0],
        Update::ForeignNumber
    ));
}

#[test]
fn bsuid_only_citizen() {
    let body = br#"{"entry":[{"changes":[{"field":"messages","value":{
      "contacts":[{"profile":{"name":"Bo"},"user_id":"US.13491208655302741918"}],
      "messages":[{"from_user_id":"US.13491208655302741918","id":"w","timestamp":1,"type":"text","text":{"body":"x"}}]}}]}]}"#;
    let ups = parse(body, "42").unwrap();
    let Update::Message(m) = &ups[0] else {
        panic!()
    };
    assert_eq!(m.citizen_key().as_str(), "b:US.13491208655302741918");
}

#[test]
fn identity_changes() {
    let system = |from: &str, sys: &str| {
        let body = format!(
            r#"{{"entry":[{{"changes":[{{"field":"messages","value":{{
              "messages":[{{{from}"id":"w","type":"system","system":{sys}}}]}}}}]}}]}}"#
        );
        parse(body.as_bytes(), "42").unwrap().remove(0)
    };
    let change = |u: Update| match u {
        Update::Message(m) => m.identity_change().map(|k| k.as_str()),
        other => panic!("{other:?}"),
    };
    let number = r#"{"body":"x","wa_id":"393339999999","type":"user_changed_number"}"#;
    assert_eq!(
        change(system(r#""from":"393331111111","#, number)),
        Some("p:393339999999".into())
    );
    let older = r#"{"body":"x","new_wa_id":"393338888888","type":"user_changed_number"}"#;
    assert_eq!(
        change(system(r#""from":"393331111111","#, older)),
        Some("p:393338888888".into())
    );
    let bsuid = r#"{"body":"x","user_id":"IT.NEW1","type":"user_changed_user_id"}"#;
    assert_eq!(
        change(system(r#""from_user_id":"IT.OLD1","#, bsuid)),
        Some("b:IT.NEW1".into())
    );
    // Placeholders and other system messages change nothing.
    let placeholder = r#"{"body":"x","wa_id":"NEW_NUMBER","type":"user_changed_number"}"#;
    assert_eq!(
        change(system(r#""from":"393331111111","#, placeholder)),
        None
    );
    let identity = r#"{"body":"x","type":"customer_identity_changed"}"#;
    assert_eq!(change(system(r#""from":"393331111111","#, identity)), None);
    // Without a sender the BSUID change is left to `user_id_update`.
    assert!(matches!(system("", bsuid), Update::Other { .. }));
    let update = br#"{"entry":[{"changes":[{"field":"user_id_update","value":{
      "user_id_update":[{"wa_id":"393331111111","detail":"d","timestamp":"1",
        "user_id":{"previous":"IT.OLD1","current":"IT.NEW1"}},
        {"wa_id":"393331111111","user_id":{"previous":"IT.OLD1"}}]}}]}]}"#;
    let ups = parse(update, "42").unwrap();
    let Update::IdentityUpdate(u) = &ups[0] else {
        panic!("{ups:?}")
    };
    assert_eq!(u.phone.as_ref().unwrap().expose(), "393331111111");
    assert_eq!(u.previous.as_ref().unwrap().expose(), "IT.OLD1");
    assert_eq!(u.current.expose(), "IT.NEW1");
    assert!(matches!(ups[1], Update::Bad { .. }), "no current id");
}

#[test]
fn not_json_and_not_notification() {
    assert!(matches!(parse(b"nope", "1"), Err(ParseError::NotJson(_))));
    assert!(matches!(
        parse(b"{\"a\":1}", "1"),
        Err(ParseError::NotNotification(_))
    ));
}

/// Statuses read by name, ranked along a message's life; an unknown one is kept, not
/// ranked; the stored form is the name (queue items written before read back).
#[test]
fn statuses_are_typed_ranked_and_stored_by_name() {
    let order = ["accepted", "sent", "delivered", "read", "failed"];
    let ranks: Vec<Option<u8>> = order
        .iter()
        .map(|s| Status::from((*s).to_owned()).rank())
        .collect();
    assert_eq!(ranks, vec![Some(0), Some(1), Some(2), Some(3), Some(4)]);
    assert_eq!(Status::from("played".to_owned()).rank(), Some(3));
    let odd = Status::from("deleted".to_owned());
    assert_eq!((odd.rank(), odd.as_str()), (None, "deleted"));
    let stored: Status = serde_json::from_str("\"delivered\"").unwrap();
    assert_eq!(stored, Status::Delivered);
    assert_eq!(serde_json::to_string(&Status::Read).unwrap(), "\"read\"");
}
