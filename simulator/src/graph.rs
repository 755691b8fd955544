//! The Graph API endpoints Sportello calls, answering as Meta documents:
//! `POST /{version}/{phone-number-id}/messages` (send, or mark as read + typing).
//! Requests are checked against Meta's documented shapes; a malformed one gets Meta's
//! `(#100) Invalid parameter` error, as the real API would answer.

use std::time::SystemTime;

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use base64::Engine;
use serde_json::{Value, json};

use crate::{Failure, Recorded, Simulator};

pub(crate) fn router(sim: Simulator) -> Router {
    Router::new()
        .route("/{version}/{pnid}/messages", post(messages))
        .route("/{version}/{pnid}/block_users", post(block).delete(block))
        .with_state(sim)
}

fn fbtrace(sim: &Simulator) -> String {
    format!("AsimTrace{}x", sim.next_counter())
}

/// Meta's error body.
fn graph_error(sim: &Simulator, status: u16, code: i64, title: &str, details: &str) -> Response {
    let body = json!({"error": {
        "message": format!("(#{code}) {title}"),
        "type": "OAuthException",
        "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": details},
        "fbtrace_id": fbtrace(sim),
    }});
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        Json(body),
    )
        .into_response()
}

/// Checks a send request against the documented shape; returns the problem, if any.
fn check_send(body: &Value) -> Result<(), String> {
    if body.get("messaging_product").and_then(Value::as_str) != Some("whatsapp") {
        return Err("messaging_product must be \"whatsapp\"".into());
    }
    if let Some(rt) = body.get("recipient_type")
        && rt != "individual"
    {
        return Err("recipient_type must be \"individual\"".into());
    }
    let to = body.get("to").and_then(Value::as_str);
    let recipient = body.get("recipient").and_then(Value::as_str);
    match (to, recipient) {
        (Some(t), _)
            if !t
                .trim_start_matches('+')
                .chars()
                .all(|c| c.is_ascii_digit())
                || t.is_empty() =>
        {
            return Err("to must be a phone number".into());
        }
        (None, None) => return Err("to or recipient is required".into()),
        _ => {}
    }
    // Meta: `type` is optional and defaults to text; its own examples also omit it next to
    // another kind's object (e.g. `interactive`), so infer it from the object present.
    const KINDS: [&str; 11] = [
        "text",
        "interactive",
        "template",
        "image",
        "video",
        "audio",
        "document",
        "sticker",
        "location",
        "contacts",
        "reaction",
    ];
    let kind = body
        .get("type")
        .and_then(Value::as_str)
        .or_else(|| KINDS.into_iter().find(|k| body.get(*k).is_some()))
        .unwrap_or("text");
    let Some(obj) = body.get(kind) else {
        return Err(format!("the {kind} object is required"));
    };
    match kind {
        "text" => {
            let b = obj
                .get("body")
                .and_then(Value::as_str)
                .ok_or("text.body is required")?;
            if b.is_empty() {
                return Err("text.body must not be empty".into());
            }
            if b.chars().count() > 4096 {
                return Err("text.body is longer than 4096 characters".into());
            }
        }
        "reaction" => {
            obj.get("message_id")
                .and_then(Value::as_str)
                .ok_or("reaction.message_id is required")?;
        }
        "image" | "video" | "audio" | "document" | "sticker" => {
            if obj.get("id").is_none() && obj.get("link").is_none() {
                return Err(format!("{kind}.id or {kind}.link is required"));
            }
        }
        "location" => {
            if obj.get("latitude").is_none() || obj.get("longitude").is_none() {
                return Err("location.latitude and longitude are required".into());
            }
        }
        "template" => {
            obj.get("name")
                .and_then(Value::as_str)
                .ok_or("template.name is required")?;
            obj.get("language")
                .and_then(|l| l.get("code"))
                .ok_or("template.language.code is required")?;
            for c in obj
                .get("components")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let kind = c.get("type").and_then(Value::as_str).unwrap_or("");
                if !["header", "body", "button", "carousel", "limited_time_offer"].contains(&kind) {
                    return Err(format!("template component type {kind:?} is not valid"));
                }
                for p in c
                    .get("parameters")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let t = p.get("type").and_then(Value::as_str).unwrap_or("");
                    if ["image", "video", "document"].contains(&t)
                        && p[t].get("id").is_none()
                        && p[t].get("link").is_none()
                    {
                        return Err(format!("a {t} parameter needs {t}.id or {t}.link"));
                    }
                }
            }
        }
        "interactive" => check_interactive(obj)?,
        "contacts" => {}
        other => return Err(format!("unknown message type {other}")),
    }
    if let Some(ctx) = body.get("context")
        && ctx.get("message_id").and_then(Value::as_str).is_none()
    {
        return Err("context.message_id must be a string".into());
    }
    Ok(())
}

/// A wamid like Meta's: `wamid.` + base64 of data that includes the recipient's number.
fn wamid(sim: &Simulator, to: &str) -> String {
    let n = sim.next_counter();
    let raw = format!("\x15\x02\x00\x11\x18{to}\x15\x02\x00\x12\x18\x14SIM{n:017X}\x00");
    format!(
        "wamid.{}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// Block Users API: `{"messaging_product":"whatsapp","block_users":[{"user":"+1650…"}]}` →
/// `{"block_users":{"added_users":[{"input","wa_id"}]}}` (`removed_users` for DELETE).
async fn block_users(
    sim: &Simulator,
    method: &str,
    pnid: &str,
    headers: &HeaderMap,
    body: &Value,
) -> Response {
    let response = if !sim.token_ok(headers) {
        graph_error(sim, 401, 190, "Invalid OAuth access token", "")
    } else if pnid != sim.cfg.phone_number_id {
        graph_error(
            sim,
            400,
            100,
            "Unsupported request. Object does not exist",
            "",
        )
    } else {
        let users = body["block_users"].as_array().cloned().unwrap_or_default();
        if body["messaging_product"] != "whatsapp" || users.is_empty() || users.len() > 1000 {
            graph_error(
                sim,
                400,
                100,
                "Invalid parameter",
                "block_users needs 1 to 1000 users",
            )
        } else {
            let list: Vec<Value> = users
                .iter()
                .map(|u| {
                    let input = u["user"].as_str().unwrap_or_default();
                    json!({"input": input, "wa_id": input.trim_start_matches('+')})
                })
                .collect();
            let key = if method == "POST" {
                "added_users"
            } else {
                "removed_users"
            };
            Json(json!({"messaging_product": "whatsapp", "block_users": {key: list}}))
                .into_response()
        }
    };
    let status = response.status().as_u16();
    sim.state.lock().unwrap().recorded.push(Recorded {
        method: method.into(),
        path: format!("/{pnid}/block_users"),
        body: body.clone(),
        at: SystemTime::now(),
        status,
        response: Value::Null,
    });
    response
}

/// POST blocks, DELETE unblocks.
async fn block(
    State(sim): State<Simulator>,
    method: axum::http::Method,
    Path((_v, pnid)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    block_users(&sim, method.as_str(), &pnid, &headers, &v).await
}

async fn messages(
    State(sim): State<Simulator>,
    Path((version, pnid)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/{version}/{pnid}/messages");
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    // Recorded on arrival (status 0 until answered): a request whose client gave up before
    // the answer still reached "Meta".
    let arrived = SystemTime::now();
    if sim.state.lock().unwrap().light {
        let failure = sim.next_failure();
        let response = answer(&sim, &pnid, &headers, &parsed, failure).await;
        let status = response.status().as_u16();
        sim.state.lock().unwrap().light_log.push((arrived, status));
        return response;
    }
    let index = {
        let mut st = sim.state.lock().unwrap();
        st.recorded.push(Recorded {
            method: "POST".into(),
            path,
            body: parsed.clone(),
            at: SystemTime::now(),
            status: 0,
            response: Value::Null,
        });
        st.recorded.len() - 1
    };
    let failure = sim.next_failure();
    let reset = matches!(failure, Some(Failure::Reset));
    let failure = failure.filter(|_| !reset);
    let response = answer(&sim, &pnid, &headers, &parsed, failure).await;
    let status = response.status().as_u16();
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    {
        let mut st = sim.state.lock().unwrap();
        st.recorded[index].status = status;
        st.recorded[index].response = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    }
    if reset {
        // Taken (recorded as answered), but the answer breaks off: the connection drops.
        let broken = futures_stream_error();
        return Response::from_parts(parts, axum::body::Body::from_stream(broken));
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// A body that fails at once, so the server drops the connection mid-answer.
fn futures_stream_error()
-> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    futures_util::stream::once(async {
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "simulated reset",
        ))
    })
}

async fn answer(
    sim: &Simulator,
    pnid: &str,
    headers: &HeaderMap,
    body: &Value,
    failure: Option<Failure>,
) -> Response {
    if !sim.token_ok(headers) {
        return graph_error(
            sim,
            401,
            190,
            "Invalid OAuth access token - Cannot parse access token",
            "",
        );
    }
    if pnid != sim.cfg.phone_number_id {
        return graph_error(
            sim,
            400,
            100,
            "Unsupported post request. Object does not exist",
            "",
        );
    }
    match failure {
        Some(Failure::Graph {
            http_status,
            code,
            message,
        }) => {
            return graph_error(sim, http_status, code, &message, &message);
        }
        Some(Failure::Http500) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response();
        }
        Some(Failure::Delay(d)) => tokio::time::sleep(d).await,
        // Handled by the caller (the message is taken; the answer breaks off).
        Some(Failure::Reset) => {}
        None => {}
    }
    // Mark as read (and typing indicator).
    if body.get("status").and_then(Value::as_str) == Some("read") {
        if body.get("message_id").and_then(Value::as_str).is_none() {
            return graph_error(sim, 400, 100, "Invalid parameter", "message_id is required");
        }
        return Json(json!({"success": true})).into_response();
    }
    if let Err(problem) = check_send(body) {
        return graph_error(sim, 400, 100, "Invalid parameter", &problem);
    }
    if body.get("type").and_then(Value::as_str) == Some("template")
        && let Err((status, code, title, details)) =
            crate::templates::check(&sim.approved_templates(), &body["template"])
    {
        return graph_error(sim, status, code, title, &details);
    }
    if !sim.within_throughput() {
        return graph_error(
            sim,
            400,
            130429,
            "Rate limit hit",
            "Message failed to send because there were too many messages sent from this phone number in a short period of time",
        );
    }
    let (input, contact) = match (
        body.get("to").and_then(Value::as_str),
        body.get("recipient").and_then(Value::as_str),
    ) {
        (Some(to), _) => (
            to.to_owned(),
            json!({"input": to, "wa_id": to.trim_start_matches('+')}),
        ),
        (None, Some(r)) => (r.to_owned(), json!({"input": r, "user_id": r})),
        (None, None) => unreachable!("checked"),
    };
    let id = wamid(sim, input.trim_start_matches('+'));
    let mut message = json!({"id": id});
    if body.get("type").and_then(Value::as_str) == Some("template") {
        message["message_status"] = json!("accepted");
    }
    if sim.auto_statuses() {
        let s = sim.clone();
        let (id, to) = (id.clone(), input.clone());
        let callback = body
            .get("biz_opaque_callback_data")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let pricing = sim.pricing_for(to.trim_start_matches('+'), body);
        tokio::spawn(async move { s.deliver_statuses(&id, &to, callback, pricing).await });
    }
    Json(json!({"messaging_product": "whatsapp", "contacts": [contact], "messages": [message]}))
        .into_response()
}

/// Meta's limits on interactive messages: reply buttons (1–3, each `{"type": "reply",
/// "reply": {"id", "title"}}`, titles of 1–20 characters, ids unique) and lists (at most 10
/// rows), under a body text.
fn check_interactive(obj: &Value) -> Result<(), String> {
    if obj["body"]["text"].as_str().is_none_or(str::is_empty) {
        return Err("interactive.body.text is required".into());
    }
    match obj["type"].as_str() {
        Some("button") => {
            let buttons = obj["action"]["buttons"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if !(1..=3).contains(&buttons.len()) {
                return Err("interactive.action.buttons must have 1 to 3 buttons".into());
            }
            let mut ids = Vec::new();
            for b in &buttons {
                let title = b["reply"]["title"].as_str().unwrap_or("");
                let id = b["reply"]["id"].as_str().unwrap_or("");
                if b["type"] != "reply" || id.is_empty() || id.len() > 256 {
                    return Err("a button needs type \"reply\" and an id".into());
                }
                if title.is_empty() || title.chars().count() > 20 {
                    return Err(format!(
                        "button title \"{title}\" must be 1 to 20 characters"
                    ));
                }
                if ids.contains(&id) {
                    return Err("button ids must be unique".into());
                }
                ids.push(id);
            }
            Ok(())
        }
        Some("list") => {
            let rows: usize = obj["action"]["sections"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|s| s["rows"].as_array().map_or(0, Vec::len))
                .sum();
            if rows == 0 || rows > 10 {
                return Err("a list has 1 to 10 rows".into());
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reply buttons as Meta limits them: 1 to 3, titles up to 20 characters, ids unique.
    #[test]
    fn interactive_buttons_are_checked() {
        let buttons = |titles: &[&str]| {
            let list: Vec<Value> = titles
                .iter()
                .enumerate()
                .map(
                    |(i, t)| json!({"type": "reply", "reply": {"id": format!("b{i}"), "title": t}}),
                )
                .collect();
            json!({"type": "button", "body": {"text": "Com'è andata?"}, "action": {"buttons": list}})
        };
        assert!(check_interactive(&buttons(&["😊 Bene", "😐 Così così", "🙁 Male"])).is_ok());
        assert!(check_interactive(&buttons(&[])).is_err());
        assert!(check_interactive(&buttons(&["a", "b", "c", "d"])).is_err());
        assert!(check_interactive(&buttons(&["un titolo troppo lungo per WhatsApp"])).is_err());
        let mut same = buttons(&["a", "b"]);
        same["action"]["buttons"][1]["reply"]["id"] = json!("b0");
        assert!(check_interactive(&same).is_err());
    }
}
