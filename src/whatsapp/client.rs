//! The Graph API client: the base URL and version come from config, so tests and the demo
//! point it at the simulator. Each call returns the decoded success body or a [`GraphError`].

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::error::GraphError;
use crate::ids::{CitizenKey, WaMessageId};
use crate::metrics::Metrics;
use crate::whatsapp::message::Message;

#[derive(Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    base: String,
    phone_number_id: String,
    token: String,
    /// What Meta last said of the token, shared by every clone.
    token_state: Arc<Mutex<TokenState>>,
    /// Where requests are counted, when metrics are kept.
    metrics: Option<Arc<Metrics>>,
}

/// What Meta last said of the access token: accepted (any call that succeeded) or refused
/// (190 and the other token and permission codes); unknown until a call got an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenState {
    Unknown,
    Accepted,
    Refused { code: i64, message: String },
}

/// Media metadata from `GET /{version}/{media-id}`.
#[derive(Debug, Clone)]
pub struct MediaInfo {
    pub url: String,
    pub mime_type: String,
    /// As Meta gives it: hex here, base64 in webhooks.
    pub sha256: Option<String>,
    pub file_size: Option<u64>,
}

/// A media file looked up: too large to fetch, or its download started.
pub enum Opened {
    TooLarge { size: u64 },
    Download(Box<MediaDownload>),
}

/// A media download under way: what Meta said of the file, and the response whose body is
/// the file (read it as a stream: `response.bytes_stream()`).
pub struct MediaDownload {
    pub info: MediaInfo,
    pub response: reqwest::Response,
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
            token_state: Arc::new(Mutex::new(TokenState::Unknown)),
            metrics: None,
        }
    }

    /// Counts every request (result, Meta's error code, latency) in `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// What Meta said of the token at the last call it answered.
    pub fn token_state(&self) -> TokenState {
        self.token_state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Notes what an answer says of the token (a failure that is not about it says nothing),
    /// and counts the request.
    fn note<T>(&self, result: &Result<T, GraphError>, started: Instant) {
        if let Some(m) = &self.metrics {
            let (outcome, code) = match result {
                Ok(_) => ("ok", None),
                Err(GraphError::Api { code, .. }) => ("error", Some(*code)),
                Err(GraphError::Unreachable(_)) => ("unreachable", None),
                Err(GraphError::Timeout) => ("timeout", None),
                Err(_) => ("error", None),
            };
            m.graph(outcome, code, started.elapsed());
        }
        let state = match result {
            Ok(_) => TokenState::Accepted,
            Err(e @ GraphError::Api { code, .. }) if e.refuses_token() => TokenState::Refused {
                code: *code,
                message: e.to_string(),
            },
            Err(_) => return,
        };
        *self
            .token_state
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = state;
    }

    /// Reads the office's phone number (`GET /{phone-number-id}`): proves that Meta answers
    /// and accepts the token, and notes it.
    pub async fn check(&self) -> Result<(), GraphError> {
        let url = format!(
            "{}/{}?fields=id,display_phone_number,quality_rating",
            self.base, self.phone_number_id
        );
        let started = Instant::now();
        let result = match self.get_bytes(&url).await {
            Ok((status, _)) if (200..300).contains(&status) => Ok(()),
            Ok((status, bytes)) => Err(GraphError::from_body(status, &bytes)),
            Err(e) => Err(e),
        };
        self.note(&result, started);
        result
    }

    /// Sends a request (with the token) and decodes the JSON answer or the Graph error.
    async fn request(&self, req: reqwest::RequestBuilder) -> Result<Value, GraphError> {
        let started = Instant::now();
        let result = self.answer(req).await;
        self.note(&result, started);
        result
    }

    /// `GET {base}/{path}` with the token: the decoded answer or the Graph error.
    pub(super) async fn get_json(&self, path: &str) -> Result<Value, GraphError> {
        self.request(self.http.get(format!("{}/{}", self.base, path)))
            .await
    }

    async fn answer(&self, req: reqwest::RequestBuilder) -> Result<Value, GraphError> {
        let res = req
            .bearer_auth(&self.token)
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

    fn url(&self, path: &str) -> String {
        format!("{}/{}/{}", self.base, self.phone_number_id, path)
    }

    async fn post(&self, path: &str, body: &Value) -> Result<Value, GraphError> {
        self.request(self.http.post(self.url(path)).json(body))
            .await
    }

    /// Sends a text message to a citizen, optionally as a reply to `reply_to`.
    pub async fn send_text(
        &self,
        to: &CitizenKey,
        body: &str,
        reply_to: Option<&WaMessageId>,
    ) -> Result<Sent, GraphError> {
        self.send(to, &Message::text(body, false), reply_to).await
    }

    async fn get_bytes(&self, url: &str) -> Result<(u16, Vec<u8>), GraphError> {
        let res = self
            .http
            .get(url)
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(transport)?;
        let status = res.status().as_u16();
        Ok((status, res.bytes().await.map_err(transport)?.to_vec()))
    }

    /// Looks up a media id: a download URL valid for 5 minutes, the type, hash and size.
    pub async fn media_info(&self, media_id: &str) -> Result<MediaInfo, GraphError> {
        let (status, bytes) = self
            .get_bytes(&format!("{}/{}", self.base, media_id))
            .await?;
        if !(200..300).contains(&status) {
            return Err(GraphError::from_body(status, &bytes));
        }
        let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let url = v["url"].as_str().ok_or_else(|| GraphError::Unexpected {
            status,
            body: "no url in the media lookup".into(),
        })?;
        Ok(MediaInfo {
            url: url.to_owned(),
            mime_type: v["mime_type"]
                .as_str()
                .unwrap_or("application/octet-stream")
                .to_owned(),
            sha256: v["sha256"].as_str().map(str::to_owned),
            file_size: v["file_size"]
                .as_u64()
                .or_else(|| v["file_size"].as_str().and_then(|s| s.parse().ok())),
        })
    }

    /// Downloads a citizen's media: lookup, then the authenticated download; an expired URL
    /// (404) is looked up again once.
    /// Looks the media up and, unless Meta announces more than `limit` bytes, starts its
    /// download; the caller reads the body as a stream. A download URL that expired between
    /// the two (404) is looked up once more.
    pub async fn open_media(&self, media_id: &str, limit: u64) -> Result<Opened, GraphError> {
        for attempt in 0..2 {
            let info = self.media_info(media_id).await?;
            if let Some(size) = info.file_size.filter(|s| *s > limit) {
                return Ok(Opened::TooLarge { size });
            }
            let response = self
                .http
                .get(&info.url)
                .bearer_auth(&self.token)
                .send()
                .await
                .map_err(transport)?;
            let status = response.status().as_u16();
            if (200..300).contains(&status) {
                return Ok(Opened::Download(Box::new(MediaDownload { info, response })));
            }
            if status != 404 || attempt == 1 {
                let bytes = response.bytes().await.map_err(transport)?;
                return Err(GraphError::from_body(status, &bytes));
            }
        }
        unreachable!("the loop returns")
    }

    /// Uploads media for sending; returns the media id (kept by Meta for 30 days).
    pub async fn upload_media(
        &self,
        bytes: Vec<u8>,
        mime_type: &str,
        filename: &str,
    ) -> Result<String, GraphError> {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(filename.to_owned())
            .mime_str(mime_type)
            .map_err(|e| GraphError::Unexpected {
                status: 0,
                body: format!("bad MIME type {mime_type}: {e}"),
            })?;
        let form = reqwest::multipart::Form::new()
            .text("messaging_product", "whatsapp")
            .text("type", mime_type.to_owned())
            .part("file", part);
        let v = self
            .request(self.http.post(self.url("media")).multipart(form))
            .await?;
        v["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| GraphError::Unexpected {
                status: 200,
                body: "no id in the upload answer".into(),
            })
    }

    /// Sends any message kind: `body` is the object under `type` (e.g. `{"id": …}` for an image).
    pub async fn send(
        &self,
        to: &CitizenKey,
        message: &Message,
        reply_to: Option<&WaMessageId>,
    ) -> Result<Sent, GraphError> {
        self.send_with(to, message, reply_to, None).await
    }

    /// Like [`send`](Self::send), with a `biz_opaque_callback_data` tag that Meta echoes on
    /// the message's statuses (no personal data in it).
    pub async fn send_tagged(
        &self,
        to: &CitizenKey,
        message: &Message,
        tag: &str,
    ) -> Result<Sent, GraphError> {
        self.send_with(to, message, None, Some(tag)).await
    }

    async fn send_with(
        &self,
        to: &CitizenKey,
        message: &Message,
        reply_to: Option<&WaMessageId>,
        tag: Option<&str>,
    ) -> Result<Sent, GraphError> {
        let mut req = message.to_json();
        req["messaging_product"] = json!("whatsapp");
        req["recipient_type"] = json!("individual");
        match to {
            CitizenKey::Phone(p) => req["to"] = json!(p.expose()),
            CitizenKey::Bsuid(b) => req["recipient"] = json!(b.expose()),
        }
        if let Some(r) = reply_to {
            req["context"] = json!({ "message_id": r.expose() });
        }
        if let Some(t) = tag {
            req["biz_opaque_callback_data"] = json!(t);
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

    /// Blocks (or, with `block = false`, unblocks) phone numbers with Meta's Block Users API.
    /// Returns the answer's per-user lists; a partial failure (error 139100) comes with them,
    /// so the answer is returned whenever it has them.
    pub async fn block_users(&self, phones: &[&str], block: bool) -> Result<Value, GraphError> {
        let users: Vec<Value> = phones
            .iter()
            .map(|p| json!({"user": format!("+{p}")}))
            .collect();
        let body = json!({"messaging_product": "whatsapp", "block_users": users});
        let url = self.url("block_users");
        let req = if block {
            self.http.post(url)
        } else {
            self.http.delete(url)
        };
        let res = req
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .map_err(transport)?;
        let status = res.status().as_u16();
        let bytes = res.bytes().await.map_err(transport)?;
        let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if v.get("block_users").is_some() {
            return Ok(v);
        }
        Err(GraphError::from_body(status, &bytes))
    }

    /// Marks a citizen's message (and the ones before it) as read: blue ticks. With
    /// `typing`, also shows "typing…" until the answer or 25 s.
    pub async fn mark_read(&self, id: &WaMessageId, typing: bool) -> Result<(), GraphError> {
        let mut req =
            json!({"messaging_product": "whatsapp", "status": "read", "message_id": id.expose()});
        if typing {
            req["typing_indicator"] = json!({"type": "text"});
        }
        let v = self.post("messages", &req).await?;
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
