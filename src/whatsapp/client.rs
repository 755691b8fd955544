//! The Graph API client: the base URL and version come from config, so tests and the demo
//! point it at the simulator. Each call returns the decoded success body or a [`GraphError`].

use std::time::Duration;

use serde_json::{Value, json};

use super::error::GraphError;
use crate::ids::{CitizenKey, WaMessageId};

#[derive(Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    base: String,
    phone_number_id: String,
    token: String,
}

/// What Meta answered to an accepted send.
#[derive(Debug, Clone)]
pub struct Sent {
    pub id: WaMessageId,
    /// `accepted`, `held_for_quality_assessment`, `paused` (templates), if given.
    pub message_status: Option<String>,
}

impl GraphClient {
    pub fn new(
        base_url: &str,
        version: &str,
        phone_number_id: &str,
        token: &str,
        timeout: Duration,
    ) -> Self {
        GraphClient {
            http: reqwest::Client::builder()
                .timeout(timeout)
                .connect_timeout(Duration::from_secs(10))
                .build()
                .expect("TLS backend available"),
            base: format!("{}/{}", base_url.trim_end_matches('/'), version),
            phone_number_id: phone_number_id.to_owned(),
            token: token.to_owned(),
        }
    }

    async fn post(&self, path: &str, body: &Value) -> Result<Value, GraphError> {
        let url = format!("{}/{}/{}", self.base, self.phone_number_id, path);
        let res = self
            .http
            .post(&url)
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .map_err(transport)?;
        let status = res.status().as_u16();
        let bytes = res.bytes().await.map_err(transport)?;
        if !(200..300).contains(&status) {
            return Err(GraphError::from_body(status, &bytes));
        }
        serde_json::from_slice(&bytes).map_err(|_| GraphError::Unexpected {
            status,
            body: crate::ids::mask_text(&String::from_utf8_lossy(&bytes[..bytes.len().min(300)])),
        })
    }

    /// Sends a text message to a citizen, optionally as a reply to `reply_to`.
    pub async fn send_text(
        &self,
        to: &CitizenKey,
        body: &str,
        reply_to: Option<&WaMessageId>,
    ) -> Result<Sent, GraphError> {
        let mut req = json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "type": "text",
            "text": { "body": body, "preview_url": false },
        });
        match to {
            CitizenKey::Phone(p) => req["to"] = json!(p.expose()),
            CitizenKey::Bsuid(b) => req["recipient"] = json!(b.expose()),
        }
        if let Some(r) = reply_to {
            req["context"] = json!({ "message_id": r.expose() });
        }
        let v = self.post("messages", &req).await?;
        let m = v.get("messages").and_then(|m| m.get(0));
        let id = m
            .and_then(|m| m.get("id"))
            .and_then(Value::as_str)
            .ok_or_else(|| GraphError::Unexpected {
                status: 200,
                body: "no messages[0].id in the answer".into(),
            })?;
        Ok(Sent {
            id: WaMessageId::new(id),
            message_status: m
                .and_then(|m| m.get("message_status"))
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }

    /// Marks a citizen's message as read (blue ticks).
    pub async fn mark_read(&self, id: &WaMessageId) -> Result<(), GraphError> {
        let v = self
            .post(
                "messages",
                &json!({"messaging_product": "whatsapp", "status": "read", "message_id": id.expose()}),
            )
            .await?;
        match v.get("success").and_then(Value::as_bool) {
            Some(true) => Ok(()),
            _ => Err(GraphError::Unexpected {
                status: 200,
                body: "success was not true".into(),
            }),
        }
    }
}

fn transport(e: reqwest::Error) -> GraphError {
    if e.is_timeout() {
        GraphError::Timeout
    } else if e.is_connect() {
        GraphError::Unreachable(e.to_string())
    } else {
        // The request may have been sent (e.g. the connection broke mid-answer).
        GraphError::Timeout
    }
}
