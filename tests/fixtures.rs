//! Conformance against the public Cloud API examples in ../shared/fixtures/whatsapp-cloud,
//! read in place (never copied). Skips with a message when ../shared is absent.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sportello::convert::{MatrixEvent, Uploaded, citizen_to_matrix};
use sportello::ids::CitizenKey;
use sportello::whatsapp::GraphError;
use sportello::whatsapp::webhook::{Update, parse};

fn fixtures() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/whatsapp-cloud");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!(
            "SKIPPED: {} is absent; the fixture conformance tests need ../shared beside the checkout",
            p.display()
        );
        None
    }
}

fn files(dir: &Path, category: &str) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir.join(category))
        .unwrap_or_else(|e| panic!("{category}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            (
                format!("{category}/{}", p.file_name().unwrap().to_string_lossy()),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    assert!(!v.is_empty(), "{category} is empty");
    v
}

fn phone_number_id(body: &[u8]) -> String {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    v["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

const WEBHOOK_CATEGORIES: [&str; 11] = [
    "messages",
    "statuses",
    "system",
    "echoes",
    "user_preferences",
    "webhook_errors",
    "edge_cases",
    "account_template_webhooks",
    "calls",
    "groups",
    "statuses",
];

#[test]
fn every_webhook_fixture_parses() {
    let Some(dir) = fixtures() else { return };
    let mut count = 0;
    for cat in WEBHOOK_CATEGORIES {
        for (name, body) in files(&dir, cat) {
            let updates =
                parse(&body, &phone_number_id(&body)).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!updates.is_empty(), "{name}: no updates");
            assert!(
                !updates.iter().any(|u| matches!(u, Update::ForeignNumber)),
                "{name}"
            );
            count += 1;
        }
    }
    assert!(count >= 200, "only {count} webhook fixtures");
}

/// Every message fixture becomes a Matrix event; text stays text. Only messages with no
/// usable sender are refused, with a reason (kept as dead letters by the bridge).
#[test]
fn message_fixtures_become_matrix_events() {
    let Some(dir) = fixtures() else { return };
    let mut kinds = std::collections::BTreeMap::<String, usize>::new();
    let mut refused = Vec::new();
    for cat in ["messages", "system", "edge_cases"] {
        for (name, body) in files(&dir, cat) {
            for u in parse(&body, &phone_number_id(&body)).unwrap() {
                match u {
                    Update::Message(m) => {
                        check_message_kind(&name, &m);
                        *kinds.entry(m.kind.to_string()).or_default() += 1;
                    }
                    Update::Bad { reason, raw } => {
                        // Only placeholders (PHONE_NUMBER, …) or a missing sender are refused.
                        let from = raw["from"].as_str().unwrap_or("");
                        assert!(
                            !from.chars().all(|c| c.is_ascii_digit()) || from.is_empty(),
                            "{name}: {reason}"
                        );
                        assert!(reason.contains("sender"), "{name}: {reason}");
                        refused.push(name.clone());
                    }
                    _ => {}
                }
            }
        }
    }
    for k in [
        "text",
        "image",
        "audio",
        "video",
        "document",
        "sticker",
        "location",
        "contacts",
        "interactive",
        "button",
        "reaction",
        "system",
        "unsupported",
    ] {
        assert!(
            kinds.contains_key(k),
            "no {k} message among the fixtures: {kinds:?}"
        );
    }
    eprintln!(
        "{} message(s) refused for a placeholder or missing sender: {refused:?}",
        refused.len()
    );
}

/// What each kind must become in Matrix (media as if fetched and uploaded).
fn check_message_kind(name: &str, m: &sportello::whatsapp::webhook::InboundMessage) {
    use sportello::convert::inbound::{media_ref, reaction};
    use sportello::whatsapp::kind::Kind;
    let upload = Uploaded {
        mxc: "mxc://t/x".into(),
        mime: "application/octet-stream".into(),
        size: 1,
        filename: "f".into(),
    };
    let media = (m.kind.is_media() || m.kind == Kind::Contacts).then_some(&upload);
    let evs = c2m(m, None, media);
    let msgtype = |i: usize| evs[i].content["msgtype"].as_str().unwrap_or("").to_owned();
    for e in &evs {
        let body = e.content["body"].as_str().unwrap_or("");
        assert!(!body.is_empty(), "{name}: empty body");
    }
    match m.kind.as_str() {
        "text" => {
            assert_eq!(msgtype(0), "m.text", "{name}");
            assert!(
                evs[0].content["body"]
                    .as_str()
                    .unwrap()
                    .contains(m.text_body().unwrap()),
                "{name}"
            );
        }
        "sticker" if media_ref(m).is_some() => assert_eq!(evs[0].event_type, "m.sticker", "{name}"),
        k if m.kind.is_media() && media_ref(m).is_some() => {
            let want = match k {
                "image" => "m.image",
                "video" => "m.video",
                "audio" | "voice" => "m.audio",
                _ => "m.file",
            };
            assert_eq!(msgtype(0), want, "{name}");
            assert_eq!(evs[0].content["url"], "mxc://t/x", "{name}");
        }
        "location" => assert!(
            ["m.location", "m.notice"].contains(&msgtype(0).as_str()),
            "{name}"
        ),
        "contacts" => {
            assert_eq!(
                (evs.len(), msgtype(0), msgtype(1)),
                (2, "m.text".into(), "m.file".into()),
                "{name}"
            );
        }
        "interactive" | "button" => assert_eq!(msgtype(0), "m.text", "{name}"),
        "reaction" => {
            assert!(evs.is_empty(), "{name}");
            assert!(reaction(m).is_some(), "{name}");
        }
        _ => assert_eq!(msgtype(0), "m.notice", "{name}: {}", m.kind),
    }
    for e in &evs {
        assert!(
            ["m.room.message", "m.sticker"].contains(&e.event_type),
            "{name}"
        );
    }
}

/// Number and business-scoped id changes are understood: the new number from `wa_id` (or
/// the older `new_wa_id`, placeholders aside), the new id from `user_id_update`, and a
/// `user_changed_user_id` that names no sender is acknowledged, not refused.
#[test]
fn identity_change_fixtures() {
    let Some(dir) = fixtures() else { return };
    let mut numbers = Vec::new();
    let mut updates = Vec::new();
    for (name, body) in files(&dir, "system") {
        for u in parse(&body, &phone_number_id(&body)).unwrap() {
            match u {
                Update::Message(m) => {
                    if let Some(CitizenKey::Phone(p)) = m.identity_change() {
                        numbers.push((name.clone(), p.expose().to_owned()));
                    }
                }
                Update::IdentityUpdate(u) => updates.push((
                    name.clone(),
                    u.phone.map(|p| p.expose().to_owned()),
                    u.previous.map(|b| b.expose().to_owned()),
                    u.current.expose().to_owned(),
                )),
                Update::Other { field } => assert!(
                    name.contains("bsuid") && field.contains("user_changed_user_id"),
                    "{name}: {field}"
                ),
                Update::Bad { reason, .. } => {
                    assert!(reason.contains("sender"), "{name}: {reason}")
                }
                _ => {}
            }
        }
    }
    numbers.sort();
    assert_eq!(
        numbers,
        [
            (
                "system/meta_openapi_system_message.json".to_owned(),
                "12195555358".to_owned()
            ),
            (
                "system/pywa_user_changed_number.json".to_owned(),
                "972912345678".to_owned()
            ),
        ]
    );
    assert_eq!(
        updates,
        [(
            "system/restfb_useridupdate.json".to_owned(),
            Some("16505551234".to_owned()),
            Some("US.10101010101010101010".to_owned()),
            "US.13491208655302741918".to_owned()
        )]
    );
}

#[test]
fn status_fixtures_yield_statuses() {
    let Some(dir) = fixtures() else { return };
    for (name, body) in files(&dir, "statuses") {
        let ups = parse(&body, &phone_number_id(&body)).unwrap();
        assert!(
            ups.iter().any(|u| matches!(u, Update::Status(_))),
            "{name}: {ups:?}"
        );
    }
}

#[test]
fn graph_error_fixtures_decode() {
    let Some(dir) = fixtures() else { return };
    for (name, body) in files(&dir, "api_errors") {
        let v: Value = serde_json::from_slice(&body).unwrap();
        let e = GraphError::from_body(400, &body);
        let GraphError::Api { code, message, .. } = &e else {
            panic!("{name}: {e:?}")
        };
        assert_eq!(Some(*code), v["error"]["code"].as_i64(), "{name}");
        assert!(!message.is_empty(), "{name}");
    }
}

/// The simulator accepts every documented `/messages` request (placeholders filled in):
/// it is at least as permissive as Meta's own examples.
#[tokio::test]
async fn simulator_accepts_documented_send_requests() {
    let Some(dir) = fixtures() else { return };
    let sim = sportello_simulator::Simulator::start(sportello_simulator::SimConfig {
        auto_statuses: false,
        ..Default::default()
    })
    .await
    .unwrap();
    let cfg = sim.config().clone();
    let url = format!("{}/v23.0/{}/messages", sim.base_url(), cfg.phone_number_id);
    let http = reqwest::Client::new();
    let mut n = 0;
    for (name, body) in files(&dir, "send_requests") {
        let mut v: Value = serde_json::from_slice(&body).unwrap();
        if v.get("block_users").is_some() || v.get("pin").is_some() {
            continue;
        }
        if let Some(to) = v.get("to").and_then(Value::as_str)
            && !to
                .trim_start_matches('+')
                .chars()
                .all(|c| c.is_ascii_digit())
        {
            v["to"] = json!("16505551234");
        }
        if v.get("recipient")
            .and_then(Value::as_str)
            .is_some_and(|r| r.starts_with('<'))
        {
            v["recipient"] = json!("US.13491208655302741918");
        }
        let r = http
            .post(&url)
            .bearer_auth(&cfg.access_token)
            .json(&v)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let answer: Value = r.json().await.unwrap();
        assert_eq!(status, 200, "{name}: {answer}");
        n += 1;
    }
    assert!(n >= 60, "{n}");
    // And refuses what Meta refuses.
    let bad = json!({"messaging_product": "whatsapp", "to": "16505551234", "type": "text", "text": {"body": "x".repeat(4097)}});
    let r = http
        .post(&url)
        .bearer_auth(&cfg.access_token)
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = http
        .post(&url)
        .bearer_auth("wrong")
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["code"], 190);
}

/// Conversion with the English texts.
fn c2m(
    m: &sportello::whatsapp::webhook::InboundMessage,
    reply_to: Option<&str>,
    media: Option<&Uploaded>,
) -> Vec<MatrixEvent> {
    citizen_to_matrix(
        m,
        reply_to,
        media.into(),
        &sportello::texts::Texts::default(),
    )
}

/// Coexistence's webhooks (history chunks, their media, contacts, the app's sync answers and
/// a disconnection) parse into updates; none is taken for another number. The refusal's
/// example is a bare `value` (Meta shows no envelope): it is checked wrapped, in the unit
/// tests of `whatsapp/coexistence.rs`.
#[test]
fn coexistence_fixtures_parse() {
    let Some(dir) = fixtures() else { return };
    let mut kinds = std::collections::BTreeSet::new();
    for (name, body) in files(&dir, "coexistence") {
        let v: Value = serde_json::from_slice(&body).unwrap();
        if v.get("entry").is_none() {
            continue; // a bare value, or an API answer
        }
        let updates =
            parse(&body, &phone_number_id(&body)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!updates.is_empty(), "{name}: no updates");
        for u in &updates {
            assert!(
                !matches!(u, Update::ForeignNumber | Update::Bad { .. }),
                "{name}: {u:?}"
            );
            kinds.insert(
                format!("{u:?}")
                    .split(['(', ' ', '{'])
                    .next()
                    .unwrap()
                    .to_owned(),
            );
        }
    }
    for k in ["History", "HistoryMedia", "ContactSync", "Message"] {
        assert!(kinds.contains(k), "no {k} among {kinds:?}");
    }
}
