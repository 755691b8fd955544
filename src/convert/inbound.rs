//! Citizen → Matrix: every kind of WhatsApp message as the Matrix event(s) Element shows
//! natively. Pure: media arrive already uploaded ([`Uploaded`]), reply targets already mapped.

use serde_json::{Value, json};

use super::attachment::{Attachment, size_words};
use super::{MatrixEvent, markup};
use crate::ids::{CitizenKey, WaMessageId};
use crate::texts::Texts;
use crate::whatsapp::kind::Kind;
use crate::whatsapp::webhook::InboundMessage;

/// What to fetch from the Graph API for a media message.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaRef {
    pub id: String,
    pub kind: Kind,
    pub mime: Option<String>,
    /// As in the webhook: base64 (sometimes hex).
    pub sha256: Option<String>,
    pub filename: Option<String>,
}

/// Media already uploaded to Matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Uploaded {
    pub mxc: String,
    pub mime: String,
    pub size: u64,
    pub filename: String,
}

pub fn media_ref(msg: &InboundMessage) -> Option<MediaRef> {
    if !msg.kind.is_media() {
        return None;
    }
    let o = msg.raw.get(msg.kind.as_str())?;
    Some(MediaRef {
        id: o.get("id")?.as_str()?.to_owned(),
        kind: msg.kind.clone(),
        mime: o
            .get("mime_type")
            .and_then(Value::as_str)
            .map(str::to_owned),
        sha256: o.get("sha256").and_then(Value::as_str).map(str::to_owned),
        filename: o.get("filename").and_then(Value::as_str).map(str::to_owned),
    })
}

/// A file name for media that came without one.
pub fn default_filename(kind: &str, mime: &str) -> String {
    let ext = match mime.split(';').next().unwrap_or("").trim() {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "video/mp4" => "mp4",
        "video/3gpp" => "3gp",
        "audio/ogg" => "ogg",
        "audio/mpeg" => "mp3",
        "audio/aac" => "aac",
        "audio/amr" => "amr",
        "audio/mp4" => "m4a",
        "application/pdf" => "pdf",
        "text/vcard" => "vcf",
        _ => "bin",
    };
    let base = match kind {
        "voice" | "audio" => "audio",
        "document" => "document",
        other => other,
    };
    format!("{base}.{ext}")
}

/// A citizen's reaction: added (`emoji`) or removed (no or empty emoji).
#[derive(Debug, Clone, PartialEq)]
pub enum Reaction {
    Add { target: WaMessageId, emoji: String },
    Remove { target: WaMessageId },
}

pub fn reaction(msg: &InboundMessage) -> Option<Reaction> {
    if msg.kind != Kind::Reaction {
        return None;
    }
    let r = msg.raw.get("reaction")?;
    let target = WaMessageId::new(r.get("message_id")?.as_str()?);
    match r
        .get("emoji")
        .and_then(Value::as_str)
        .filter(|e| !e.is_empty())
    {
        Some(e) => Some(Reaction::Add {
            target,
            emoji: e.to_owned(),
        }),
        None => Some(Reaction::Remove { target }),
    }
}

fn s<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str().filter(|x| !x.is_empty())
}

/// The values of `field` in the objects of the list `list` of a shared contact.
fn items<'a>(
    c: &'a Value,
    list: &str,
    field: &'a str,
) -> impl Iterator<Item = (&'a Value, &'a str)> {
    c.get(list)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(move |o| s(o, &[field]).map(|v| (o, v)))
}

/// The contacts of a `contacts` message as one vCard file (name, text).
pub fn contacts_vcf(msg: &InboundMessage) -> Option<(String, String)> {
    let list = msg.raw.get("contacts")?.as_array()?;
    let mut out = String::new();
    for c in list {
        let name = s(c, &["name", "formatted_name"]).unwrap_or("?");
        out.push_str(&format!(
            "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{}\r\n",
            vcf_escape(name)
        ));
        if let Some(org) = s(c, &["org", "company"]) {
            out.push_str(&format!("ORG:{}\r\n", vcf_escape(org)));
        }
        for (p, n) in items(c, "phones", "phone") {
            out.push_str(&format!(
                "TEL;TYPE={}:{}\r\n",
                s(p, &["type"]).unwrap_or("CELL"),
                vcf_escape(n)
            ));
        }
        for (_, e) in items(c, "emails", "email") {
            out.push_str(&format!("EMAIL:{}\r\n", vcf_escape(e)));
        }
        for (_, u) in items(c, "urls", "url") {
            out.push_str(&format!("URL:{}\r\n", vcf_escape(u)));
        }
        out.push_str("END:VCARD\r\n");
    }
    let first = list
        .first()
        .and_then(|c| s(c, &["name", "formatted_name"]))
        .unwrap_or("contacts");
    let file: String = first
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Some((format!("{}.vcf", file.trim()), out))
}

fn vcf_escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace(',', "\\,")
        .replace(';', "\\;")
        .replace('\n', "\\n")
}

/// A readable card for each shared contact.
fn contacts_card(msg: &InboundMessage, t: &Texts) -> String {
    let mut lines = vec![t.get("contacts_header", &[])];
    for c in msg
        .raw
        .get("contacts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        lines.push(format!(
            "👤 {}",
            s(c, &["name", "formatted_name"]).unwrap_or("?")
        ));
        if let Some(org) = s(c, &["org", "company"]) {
            lines.push(format!("   🏢 {org}"));
        }
        lines.extend(items(c, "phones", "phone").map(|(_, n)| format!("   📞 {n}")));
        lines.extend(items(c, "emails", "email").map(|(_, e)| format!("   ✉️ {e}")));
    }
    lines.join("\n")
}

/// The flow's answers: `response_json` is itself JSON (and not always an object).
fn flow_answers(nfm: &Value, t: &Texts) -> String {
    let raw = s(nfm, &["response_json"]).unwrap_or("");
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(map)) => {
            let mut lines: Vec<String> = map
                .iter()
                .filter(|(k, _)| k.as_str() != "flow_token")
                .map(|(k, v)| {
                    format!(
                        "• {k}: {}",
                        v.as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| v.to_string())
                    )
                })
                .collect();
            if lines.is_empty() {
                lines.push(t.get("form_empty", &[]));
            }
            lines.join("\n")
        }
        Ok(other) => format!("• {other}"),
        Err(_) => format!("• {raw}"),
    }
}

fn text(body: String) -> Value {
    let mut c = json!({"msgtype": "m.text", "body": body});
    if let Some(h) = markup::wa_to_html(c["body"].as_str().unwrap_or("")) {
        c["format"] = json!("org.matrix.custom.html");
        c["formatted_body"] = json!(h);
    }
    c
}

fn notice(body: String) -> Value {
    json!({"msgtype": "m.notice", "body": body})
}

fn media_content(
    kind: &str,
    m: &Uploaded,
    caption: Option<&str>,
    voice: bool,
) -> (&'static str, Value) {
    let info = json!({"mimetype": m.mime, "size": m.size});
    let body = caption.unwrap_or(&m.filename).to_owned();
    let mut c = json!({"body": body, "filename": m.filename, "url": m.mxc, "info": info});
    if let Some(cap) = caption
        && let Some(h) = markup::wa_to_html(cap)
    {
        c["format"] = json!("org.matrix.custom.html");
        c["formatted_body"] = json!(h);
    }
    let msgtype = match kind {
        "image" => "m.image",
        "video" => "m.video",
        "audio" | "voice" => "m.audio",
        "sticker" => {
            return (
                "m.sticker",
                json!({"body": "sticker", "url": m.mxc, "info": info}),
            );
        }
        _ => "m.file",
    };
    c["msgtype"] = json!(msgtype);
    if voice {
        c["org.matrix.msc3245.voice"] = json!({});
        c["org.matrix.msc1767.audio"] = json!({});
    }
    ("m.room.message", c)
}

/// The event(s) for a citizen's message, the first of which stands for its wamid. `media`
/// is the uploaded attachment (or the `.vcf` of a contacts message); `None` for a media kind
/// means it could not be fetched.
pub fn citizen_to_matrix(
    msg: &InboundMessage,
    reply_to: Option<&str>,
    attachment: Attachment,
    t: &Texts,
) -> Vec<MatrixEvent> {
    let raw = &msg.raw;
    let obj = raw.get(msg.kind.as_str()).cloned().unwrap_or(Value::Null);
    let one = |c: Value| vec![("m.room.message", c)];
    let mut events: Vec<(&'static str, Value)> = match &msg.kind {
        Kind::Text => one(text(msg.text_body().unwrap_or("").to_owned())),
        k if k.is_media() => vec![media_event(k.as_str(), &obj, attachment, t)],
        Kind::Location => one(location(&obj, t)),
        Kind::Contacts => {
            let mut v = one(text(contacts_card(msg, t)));
            if let Attachment::Uploaded(m) = attachment {
                v.push((
                    "m.room.message",
                    json!({"msgtype": "m.file", "body": m.filename, "filename": m.filename, "url": m.mxc,
                           "info": {"mimetype": m.mime, "size": m.size}}),
                ));
            }
            v
        }
        Kind::Interactive => one(text(interactive_choice(&obj, t))),
        Kind::Button => one(text(t.get(
            "tapped",
            &[(
                "text",
                s(&obj, &["text"]).or(s(&obj, &["payload"])).unwrap_or("?"),
            )],
        ))),
        Kind::Order => one(notice(order(&obj, t))),
        Kind::System => one(notice(system(msg, &obj, t))),
        Kind::Reaction => vec![],
        other => one(notice(unsupported(raw, other.as_str(), &obj, t))),
    };
    if let Some((_, first)) = events.first_mut() {
        mark_first(first, msg, reply_to, t);
    }
    events
        .into_iter()
        .map(|(event_type, content)| MatrixEvent {
            event_type,
            content,
        })
        .collect()
}

/// An image, video, audio, voice note, sticker or document: the uploaded file, or a notice
/// saying why it is not there (with the caption, the citizen's words, never lost).
fn media_event(k: &str, obj: &Value, attachment: Attachment, t: &Texts) -> (&'static str, Value) {
    if let Attachment::Uploaded(m) = attachment {
        let voice = k == "voice" || obj.get("voice").and_then(Value::as_bool).unwrap_or(false);
        return media_content(k, m, s(obj, &["caption"]), voice);
    }
    let what = match k {
        "image" => "what_image",
        "video" => "what_video",
        "audio" | "voice" => "what_audio",
        "sticker" => "what_sticker",
        _ => "what_document",
    };
    let what = t.get(what, &[]);
    let mut body = match attachment {
        Attachment::TooLarge { size, limit } => {
            let size = size
                .map(size_words)
                .unwrap_or_else(|| format!("> {}", size_words(limit)));
            t.get(
                "media_too_large",
                &[
                    ("what", &what),
                    ("size", &size),
                    ("limit", &size_words(limit)),
                ],
            )
        }
        _ => t.get("media_unfetched", &[("what", &what)]),
    };
    if let Some(c) = s(obj, &["caption"]) {
        body = format!("{body}\n{}", t.get("media_caption", &[("caption", c)]));
    }
    ("m.room.message", notice(body))
}

/// A shared location (a notice when it has no coordinates).
fn location(obj: &Value, t: &Texts) -> Value {
    let lat = obj.get("latitude").and_then(Value::as_f64);
    let lon = obj.get("longitude").and_then(Value::as_f64);
    let (Some(lat), Some(lon)) = (lat, lon) else {
        return notice(t.get("location_no_coords", &[]));
    };
    let mut label: Vec<String> = [s(obj, &["name"]), s(obj, &["address"])]
        .into_iter()
        .flatten()
        .map(str::to_owned)
        .collect();
    if label.is_empty() {
        label.push(t.get("location_fallback", &[]));
    }
    let body = format!("📍 {} ({lat}, {lon})", label.join(", "));
    json!({"msgtype": "m.location", "body": body, "geo_uri": format!("geo:{lat},{lon}")})
}

/// What the citizen chose or sent from an interactive message (button, list, flow form).
fn interactive_choice(obj: &Value, t: &Texts) -> String {
    if let Some(b) = obj.get("button_reply") {
        t.get("chose", &[("title", s(b, &["title"]).unwrap_or("?"))])
    } else if let Some(l) = obj.get("list_reply") {
        let title = s(l, &["title"]).unwrap_or("?");
        let title = match s(l, &["description"]) {
            Some(d) => format!("{title} — {d}"),
            None => title.to_owned(),
        };
        t.get("chose", &[("title", &title)])
    } else if let Some(n) = obj.get("nfm_reply") {
        let answers = flow_answers(n, t);
        t.get(
            "form_sent",
            &[
                ("name", s(n, &["name"]).unwrap_or("flow")),
                ("answers", &answers),
            ],
        )
    } else {
        t.get(
            "interactive_other",
            &[("kind", s(obj, &["type"]).unwrap_or("?"))],
        )
    }
}

/// A catalogue order: how many items, and the citizen's note.
fn order(obj: &Value, t: &Texts) -> String {
    let items = obj
        .get("product_items")
        .and_then(Value::as_array)
        .map(Vec::len)
        .unwrap_or(0);
    let note = s(obj, &["text"])
        .map(|x| format!(": {x}"))
        .unwrap_or_default();
    t.get("order", &[("items", &items.to_string()), ("text", &note)])
}

/// Meta's own message: a number or id change (the portal moves: `bridge/portal/identity.rs`;
/// staff are told), or another system note.
fn system(msg: &InboundMessage, obj: &Value, t: &Texts) -> String {
    match msg.identity_change() {
        Some(CitizenKey::Phone(p)) => t.get("number_changed", &[("new", &p.masked())]),
        Some(CitizenKey::Bsuid(b)) => t.get("user_id_changed", &[("new", &b.masked())]),
        None => {
            let body = s(obj, &["body"])
                .map(str::to_owned)
                .unwrap_or_else(|| t.get("system_default", &[]));
            t.get("system", &[("body", &body)])
        }
    }
}

/// A kind the bridge cannot show, with Meta's reason when it gives one.
fn unsupported(raw: &Value, kind: &str, obj: &Value, t: &Texts) -> String {
    let what = s(obj, &["type"]).unwrap_or(kind);
    let why = raw
        .get("errors")
        .and_then(|e| e.get(0))
        .and_then(|e| s(e, &["title"]).or(s(e, &["message"])))
        .map(|w| format!(" ({w})"))
        .unwrap_or_default();
    t.get("unsupported_kind", &[("what", what), ("why", &why)])
}

/// Forwarded marks and ad referrals go on the first event (not on a file), and the reply.
fn mark_first(first: &mut Value, msg: &InboundMessage, reply_to: Option<&str>, t: &Texts) {
    let mut prefix = Vec::new();
    if msg.context.frequently_forwarded {
        prefix.push(t.get("forwarded_many", &[]));
    } else if msg.context.forwarded {
        prefix.push(t.get("forwarded", &[]));
    }
    if let Some(r) = msg.raw.get("referral") {
        let head = s(r, &["headline"])
            .or(s(r, &["body"]))
            .map(str::to_owned)
            .unwrap_or_else(|| t.get("an_ad", &[]));
        let url = s(r, &["source_url"])
            .map(|u| format!(" ({u})"))
            .unwrap_or_default();
        prefix.push(t.get("via_ad", &[("headline", &head), ("url", &url)]));
    }
    if !prefix.is_empty() && first.get("url").is_none() {
        let p = prefix.join("\n");
        let body = first["body"].as_str().unwrap_or("").to_owned();
        let html = first["formatted_body"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| markup::escape(&body).replace('\n', "<br>"));
        first["body"] = json!(format!("{p}:\n{body}"));
        first["format"] = json!("org.matrix.custom.html");
        first["formatted_body"] = json!(format!(
            "<em>{}:</em><br>{html}",
            markup::escape(&p).replace('\n', "<br>")
        ));
    }
    if let Some(ev) = reply_to {
        first["m.relates_to"] = json!({"m.in_reply_to": {"event_id": ev}});
    }
}
