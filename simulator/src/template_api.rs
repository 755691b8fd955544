//! Meta's template management as the bridge meets it: `GET /{version}/{waba-id}/message_templates`
//! (paged: `limit`, the `after` cursor, `paging.next` while there is more) and the account's
//! template webhooks — `message_template_status_update`, `message_template_quality_update`
//! and `template_category_update` — in the shapes of Meta's reference (integer template id,
//! the WABA id as the entry's id, no `metadata`).

use std::collections::HashMap;

use axum::{
    Json, Router,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
};
use base64::Engine;
use serde_json::{Value, json};

use crate::{Recorded, Simulator};

pub(crate) fn router(sim: Simulator) -> Router {
    Router::new()
        .route("/{version}/{waba}/message_templates", get(list))
        .with_state(sim)
}

fn error(status: StatusCode, code: i64, message: &str) -> Response {
    let body = json!({"error": {"message": message, "type": "OAuthException", "code": code,
        "fbtrace_id": "AsimTemplates"}});
    (status, Json(body)).into_response()
}

async fn list(
    State(sim): State<Simulator>,
    Path((version, waba)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let response = if !sim.token_ok(&headers) {
        error(
            StatusCode::UNAUTHORIZED,
            190,
            "Invalid OAuth access token - Cannot parse access token",
        )
    } else if waba != sim.cfg.waba_id {
        error(
            StatusCode::BAD_REQUEST,
            100,
            "Unsupported get request. Object does not exist",
        )
    } else {
        page(&sim, &version, &waba, &q)
    };
    sim.state.lock().unwrap().recorded.push(Recorded {
        method: "GET".into(),
        path: format!("/{version}/{waba}/message_templates"),
        body: json!(q),
        at: std::time::SystemTime::now(),
        status: response.status().as_u16(),
        response: Value::Null,
    });
    response
}

fn cursor(i: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(i.to_string())
}

fn from_cursor(c: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(c).ok()?;
    String::from_utf8(bytes).ok()?.parse().ok()
}

fn page(sim: &Simulator, version: &str, waba: &str, q: &HashMap<String, String>) -> Response {
    let all = sim.approved_templates();
    let limit = q
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(25)
        .clamp(1, 100);
    let start = q
        .get("after")
        .and_then(|a| from_cursor(a))
        .map_or(0, |i| i + 1);
    let wanted = q.get("status").map(|s| s.to_uppercase());
    let data: Vec<Value> = all
        .iter()
        .filter(|t| wanted.as_ref().is_none_or(|s| *s == t.status))
        .skip(start)
        .take(limit)
        .map(|t| t.list_entry())
        .collect();
    let last = start + data.len();
    let mut paging =
        json!({"cursors": {"before": cursor(start), "after": cursor(last.saturating_sub(1))}});
    if last < all.len() {
        paging["next"] = json!(format!(
            "{}/{version}/{waba}/message_templates?limit={limit}&after={}",
            sim.base_url(),
            cursor(last - 1)
        ));
    }
    Json(json!({"data": data, "paging": paging})).into_response()
}

impl Simulator {
    /// Changes a template's status at "Meta" and returns the `message_template_status_update`
    /// webhook Meta sends for it (`reason` as Meta gives it, e.g. `INVALID_FORMAT`).
    pub fn change_template_status(
        &self,
        name: &str,
        language: &str,
        event: &str,
        reason: Option<&str>,
    ) -> Value {
        let id = self.update_template(name, language, |t| {
            t.status = match event {
                "REINSTATED" => "APPROVED".into(),
                other => other.into(),
            }
        });
        let mut value = json!({
            "event": event,
            "message_template_id": id,
            "message_template_name": name,
            "message_template_language": language,
            "reason": reason,
        });
        if event == "PAUSED" {
            value["other_info"] = json!({"title": "FIRST_PAUSE",
                "description": format!("Your WhatsApp message template {name} has been paused for 3 hours due to low quality.")});
        }
        self.template_webhook("message_template_status_update", value)
    }

    /// The `message_template_quality_update` webhook for a template whose quality changed.
    pub fn change_template_quality(
        &self,
        name: &str,
        language: &str,
        previous: &str,
        new: &str,
    ) -> Value {
        let id = self.update_template(name, language, |_| {});
        self.template_webhook(
            "message_template_quality_update",
            json!({
                "previous_quality_score": previous,
                "new_quality_score": new,
                "message_template_id": id,
                "message_template_name": name,
                "message_template_language": language,
            }),
        )
    }

    /// The `template_category_update` webhook announcing that the template's category will
    /// change from `current` to `correct` at `at` (Unix seconds), as Meta does 24 hours ahead.
    pub fn template_category_notice(
        &self,
        name: &str,
        language: &str,
        current: &str,
        correct: &str,
        at: i64,
    ) -> Value {
        let id = self.update_template(name, language, |_| {});
        self.template_webhook(
            "template_category_update",
            json!({
                "message_template_id": id,
                "message_template_name": name,
                "message_template_language": language,
                "new_category": current,
                "correct_category": correct,
                "category_update_timestamp": at,
            }),
        )
    }

    fn update_template(
        &self,
        name: &str,
        language: &str,
        change: impl FnOnce(&mut crate::templates::ApprovedTemplate),
    ) -> u64 {
        let mut st = self.state.lock().unwrap();
        match st
            .templates
            .iter_mut()
            .find(|t| t.name == name && t.language == language)
        {
            Some(t) => {
                change(t);
                t.id
            }
            None => 0,
        }
    }

    fn template_webhook(&self, field: &str, value: Value) -> Value {
        json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": self.cfg.waba_id, "time": crate::webhook::now(),
                "changes": [{"value": value, "field": field}]}]
        })
    }
}
