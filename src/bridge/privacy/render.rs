//! An export, pure: what the store's entries about a citizen say (keys and values decoded:
//! JSON as JSON, times as numbers), the conversation as read from the room (each event as a
//! line: when, citizen or office, what, its attachment), and the two files an admin gets — the
//! JSON, and a readable HTML page (one language, headings, tables with captions and header
//! cells, times in `<time>`, everything escaped) a citizen can be given as it is.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::store::Found;
use crate::texts::Texts;

/// The section a table's entries are filed under (JSON key and the label's text key).
pub fn section(table: &str) -> &'static str {
    match table {
        "citizen_portal" => "portal",
        "citizen_conversation" => "conversation",
        "citizen_subscription" => "subscription",
        "citizen_block" => "block",
        "roomid_citizen" | "ghostid_citizen" => "room_links",
        "phone_contactname" => "contact_name",
        "citizenseq_work" | "queuekey_failing" => "queued_work",
        "citizenseq_heldwork" => "held_answers",
        "citizenseq_consent" => "consent_ledger",
        "wamid_event" | "eventid_wamid" => "message_map",
        "broadcastcitizen_send" | "wamid_broadcast" | "callbacktag_wamid" => "broadcasts",
        "waidentity_citizen" => "identities",
        "topiccitizen_since" => "news_lists",
        "wamid_status" => "statuses",
        "reaction_ref" => "reactions",
        "seq_erasurerequest" => "erasure_requests",
        "deadletter_json" => "dead_letters",
        "seen_time" => "marks",
        "seq_audit" => "audit",
        "phasechunk_history" | "wamid_historymedia" => "shared_history",
        // A table added later and not named here yet: still shown, under its own heading.
        _ => "other",
    }
}

/// One stored entry, decoded.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Record {
    pub key: String,
    pub value: Value,
}

/// Who wrote a line of the conversation.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum From {
    Citizen,
    Office,
    /// The service's notes for staff (what was sent automatically, a request received).
    Service,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Attachment {
    pub name: String,
    pub mimetype: Option<String>,
    pub size: Option<u64>,
    pub url: Option<String>,
}

/// One event of the room.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Line {
    /// RFC 3339 in the office's time zone.
    pub at: String,
    pub from: From,
    /// `text`, `image`, `file`, `notice`, `reaction` …
    pub kind: String,
    pub text: String,
    pub attachment: Option<Attachment>,
}

/// Everything an export says.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Export {
    pub generated_at: String,
    pub office: String,
    /// The citizen's identities (the number in full: the export is theirs).
    pub identities: Vec<String>,
    pub held_by_the_bridge: BTreeMap<&'static str, Vec<Record>>,
    pub conversation: Vec<Line>,
    /// What is not here, and where it is.
    pub elsewhere: Vec<String>,
}

fn decode_key(table: &str, k: &[u8]) -> String {
    let num = |b: &[u8]| <[u8; 8]>::try_from(b).map(u64::from_be_bytes).ok();
    // A broadcast id (u64) then a citizen key.
    if table == "broadcastcitizen_send" && k.len() > 8 {
        let id = num(&k[..8]).unwrap_or_default();
        return format!("{id}/{}", String::from_utf8_lossy(&k[8..]));
    }
    if let Ok(s) = std::str::from_utf8(k)
        && !s.chars().any(char::is_control)
    {
        return s.to_owned();
    }
    if let Some(n) = num(k) {
        return n.to_string();
    }
    // A citizen key (or a topic), a 0 byte, then a sequence number (or a citizen key).
    match k.iter().position(|b| *b == 0) {
        Some(i) => {
            let tail = &k[i + 1..];
            let tail = match (num(tail), std::str::from_utf8(tail)) {
                (Some(n), _) => n.to_string(),
                (None, Ok(s)) => s.to_owned(),
                (None, Err(_)) => hex::encode(tail),
            };
            format!("{}/{tail}", String::from_utf8_lossy(&k[..i]))
        }
        None => hex::encode(k),
    }
}

fn decode_value(v: &[u8]) -> Value {
    if let Ok(j) = serde_json::from_slice::<Value>(v) {
        return j;
    }
    if let Ok(b) = <[u8; 8]>::try_from(v) {
        return Value::from(u64::from_be_bytes(b));
    }
    match std::str::from_utf8(v) {
        Ok(s) => Value::from(s),
        Err(_) => Value::from(hex::encode(v)),
    }
}

/// The store's entries by section, decoded (an entry as it would be after an erasure is not
/// what is held now: the value shown is the one held).
pub fn held(found: &[Found]) -> BTreeMap<&'static str, Vec<Record>> {
    let mut out: BTreeMap<&'static str, Vec<Record>> = BTreeMap::new();
    for f in found {
        out.entry(section(f.section())).or_default().push(Record {
            key: decode_key(f.section(), &f.key),
            value: decode_value(&f.value),
        });
    }
    out
}

/// A timeline event as a line, or `None` for what is not part of the conversation (state,
/// redacted events).
pub fn line(e: &Value, ghost: &str, bot: &str, at: String) -> Option<Line> {
    let c = &e["content"];
    let sender = e["sender"].as_str();
    let from = if sender == Some(ghost) {
        From::Citizen
    } else if sender == Some(bot) && c["msgtype"] == "m.notice" {
        From::Service
    } else {
        From::Office
    };
    let (kind, text) = match e["type"].as_str()? {
        "m.room.message" => {
            let kind = c["msgtype"].as_str()?.trim_start_matches("m.").to_owned();
            (kind, c["body"].as_str().unwrap_or("").to_owned())
        }
        "m.reaction" => (
            "reaction".into(),
            c["m.relates_to"]["key"].as_str()?.to_owned(),
        ),
        "m.sticker" => (
            "sticker".into(),
            c["body"].as_str().unwrap_or("").to_owned(),
        ),
        _ => return None,
    };
    let url = c["url"].as_str().or(c["file"]["url"].as_str());
    let attachment = url.map(|u| Attachment {
        name: c["filename"]
            .as_str()
            .or(c["body"].as_str())
            .unwrap_or("")
            .to_owned(),
        mimetype: c["info"]["mimetype"].as_str().map(str::to_owned),
        size: c["info"]["size"].as_u64(),
        url: Some(u.to_owned()),
    });
    Some(Line {
        at,
        from,
        kind,
        text,
        attachment,
    })
}

pub fn to_json(x: &Export) -> Vec<u8> {
    serde_json::to_vec_pretty(x).expect("serialisable")
}

pub use crate::convert::markup::escape as esc;

/// An RFC 3339 instant as people read it (`02/12/2026 07:27`), in its own offset.
fn readable(at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| t.format("%d/%m/%Y %H:%M").to_string())
        .unwrap_or_else(|_| at.to_owned())
}

const STYLE: &str = "body{font-family:sans-serif;max-width:60em;margin:auto;padding:1em;line-height:1.5}\
table{border-collapse:collapse;width:100%}th,td{border:1px solid #666;padding:.3em;text-align:left;vertical-align:top}\
caption{text-align:left;font-weight:bold}pre{white-space:pre-wrap;margin:0}";

/// The page: the language's own words, a heading per part, the conversation as a table.
pub fn to_html(x: &Export, texts: &Texts, lang: &str) -> String {
    let t = |k: &str| esc(&texts.get(k, &[]));
    let mut h = format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head><meta charset=\"utf-8\"><title>{title}</title><style>{STYLE}</style></head>\n<body><main>\n<h1>{title}</h1>\n<p>{intro}</p>\n<ul><li>{office_l}: {office}</li><li>{ids_l}: {ids}</li><li>{gen_l}: <time datetime=\"{gen}\">{gen_shown}</time></li></ul>\n",
        title = t("export_title"),
        intro = t("export_intro"),
        office_l = t("export_office"),
        office = esc(&x.office),
        ids_l = t("export_identities"),
        ids = esc(&x.identities.join(", ")),
        gen_l = t("export_generated"),
        gen = esc(&x.generated_at),
        gen_shown = esc(&readable(&x.generated_at)),
    );
    h.push_str(&format!("<h2>{}</h2>\n", t("export_conversation")));
    if x.conversation.is_empty() {
        h.push_str(&format!("<p>{}</p>\n", t("export_no_conversation")));
    } else {
        h.push_str(&format!(
            "<table>\n<caption>{}</caption>\n<thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead>\n<tbody>\n",
            t("export_conversation_caption"), t("export_when"), t("export_who"), t("export_what"), t("export_attachment")
        ));
        for l in &x.conversation {
            let who = match l.from {
                From::Citizen => t("export_citizen"),
                From::Office => t("export_office_side"),
                From::Service => t("export_service"),
            };
            let file = l.attachment.as_ref().map_or(String::new(), |a| {
                let mime = a
                    .mimetype
                    .as_deref()
                    .map_or(String::new(), |m| format!(", {m}"));
                let size = a.size.map_or(String::new(), |s| format!(", {s} B"));
                esc(&format!("{}{mime}{size}", a.name))
            });
            h.push_str(&format!(
                "<tr><td><time datetime=\"{at}\">{shown}</time></td><td>{who}</td><td>{text}</td><td>{file}</td></tr>\n",
                at = esc(&l.at),
                shown = esc(&readable(&l.at)),
                text = esc(&l.text),
            ));
        }
        h.push_str("</tbody>\n</table>\n");
    }
    h.push_str(&format!("<h2>{}</h2>\n", t("export_held")));
    for (section, records) in &x.held_by_the_bridge {
        h.push_str(&format!(
            "<h3>{}</h3>\n<dl>\n",
            t(&format!("privacy_section_{section}"))
        ));
        for r in records {
            let v = serde_json::to_string_pretty(&r.value).unwrap_or_default();
            h.push_str(&format!(
                "<dt>{}</dt><dd><pre>{}</pre></dd>\n",
                esc(&r.key),
                esc(&v)
            ));
        }
        h.push_str("</dl>\n");
    }
    h.push_str(&format!("<h2>{}</h2>\n<ul>\n", t("export_elsewhere")));
    for e in &x.elsewhere {
        h.push_str(&format!("<li>{}</li>\n", esc(e)));
    }
    h.push_str("</ul>\n</main></body>\n</html>\n");
    h
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
