//! The bridge's client-server calls to the homeserver, made with the appservice token and,
//! to act as a ghost, identity assertion (`?user_id=`). Knows nothing of WhatsApp.

use std::sync::Arc;
use std::time::Duration;

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

use crate::metrics::Metrics;

#[derive(Debug, thiserror::Error)]
pub enum MatrixError {
    /// The homeserver's message names users (a ghost's id carries a number): masked.
    #[error(
        "the homeserver answered HTTP {status} {errcode}: {}",
        crate::ids::mask_text(message)
    )]
    Api {
        status: u16,
        errcode: String,
        message: String,
    },
    #[error("cannot reach the homeserver: {}", crate::ids::mask_text(.0))]
    Unreachable(String),
}

impl MatrixError {
    /// Worth trying again later (homeserver down, overloaded, or rate limiting).
    pub fn is_transient(&self) -> bool {
        match self {
            MatrixError::Unreachable(_) => true,
            MatrixError::Api { status, .. } => *status >= 500 || *status == 429,
        }
    }
    pub fn errcode(&self) -> Option<&str> {
        match self {
            MatrixError::Api { errcode, .. } => Some(errcode),
            _ => None,
        }
    }
}

#[derive(Clone)]
pub struct MatrixClient {
    pub(super) http: reqwest::Client,
    pub(super) base: String,
    pub(super) token: String,
    /// Where requests are counted, when metrics are kept.
    metrics: Option<Arc<Metrics>>,
}

pub(super) fn enc(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

impl MatrixClient {
    pub fn new(base_url: &str, as_token: &str) -> Self {
        MatrixClient {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .connect_timeout(Duration::from_secs(5))
                .build()
                .expect("TLS backend available"),
            base: base_url.trim_end_matches('/').to_owned(),
            token: as_token.to_owned(),
            metrics: None,
        }
    }

    /// Counts every request (result, errcode, latency) in `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    pub(super) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        as_user: Option<&str>,
        body: Option<&Value>,
    ) -> Result<Value, MatrixError> {
        let started = std::time::Instant::now();
        let mut url = format!("{}{}", self.base, path);
        if let Some(u) = as_user {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str("user_id=");
            url.push_str(&enc(u));
        }
        let mut req = self.http.request(method, &url).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(b);
        }
        let result = answer(req).await;
        if let Some(m) = &self.metrics {
            let (outcome, errcode) = match &result {
                Ok(_) => ("ok", ""),
                Err(MatrixError::Api { errcode, .. }) => ("error", errcode.as_str()),
                Err(MatrixError::Unreachable(_)) => ("unreachable", ""),
            };
            m.homeserver(outcome, errcode, started.elapsed());
        }
        result
    }
}

/// Sends a request and reads the JSON answer or the homeserver's error.
async fn answer(req: reqwest::RequestBuilder) -> Result<Value, MatrixError> {
    let res = req
        .send()
        .await
        .map_err(|e| MatrixError::Unreachable(e.to_string()))?;
    let status = res.status().as_u16();
    let bytes = res
        .bytes()
        .await
        .map_err(|e| MatrixError::Unreachable(e.to_string()))?;
    let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if (200..300).contains(&status) {
        return Ok(v);
    }
    Err(MatrixError::Api {
        status,
        errcode: v
            .get("errcode")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned(),
        message: v
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
    })
}

impl MatrixClient {
    /// Registers a ghost (`M_USER_IN_USE` counts as done).
    pub async fn register(&self, localpart: &str) -> Result<(), MatrixError> {
        let body = json!({"type": "m.login.application_service", "username": localpart, "inhibit_login": true});
        match self
            .call(
                reqwest::Method::POST,
                "/_matrix/client/v3/register",
                None,
                Some(&body),
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.errcode() == Some("M_USER_IN_USE") => Ok(()),
            Err(e) => Err(e),
        }
    }

    pub async fn set_displayname(&self, user: &str, name: &str) -> Result<(), MatrixError> {
        let path = format!("/_matrix/client/v3/profile/{}/displayname", enc(user));
        self.call(
            reqwest::Method::PUT,
            &path,
            Some(user),
            Some(&json!({"displayname": name})),
        )
        .await
        .map(|_| ())
    }

    pub async fn displayname(&self, user: &str) -> Result<Option<String>, MatrixError> {
        let path = format!("/_matrix/client/v3/profile/{}/displayname", enc(user));
        match self.call(reqwest::Method::GET, &path, None, None).await {
            Ok(v) => Ok(v
                .get("displayname")
                .and_then(Value::as_str)
                .map(str::to_owned)),
            Err(e) if e.errcode() == Some("M_NOT_FOUND") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates a room as the bot; returns its id.
    pub async fn create_room(&self, body: &Value) -> Result<String, MatrixError> {
        let v = self
            .call(
                reqwest::Method::POST,
                "/_matrix/client/v3/createRoom",
                None,
                Some(body),
            )
            .await?;
        room_id_of(&v)
    }

    pub async fn resolve_alias(&self, alias: &str) -> Result<Option<String>, MatrixError> {
        let path = format!("/_matrix/client/v3/directory/room/{}", enc(alias));
        match self.call(reqwest::Method::GET, &path, None, None).await {
            Ok(v) => room_id_of(&v).map(Some),
            Err(e) if e.errcode() == Some("M_NOT_FOUND") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The latest `limit` timeline events of a room, newest first, as the bot sees them.
    pub async fn recent_events(
        &self,
        room_id: &str,
        limit: usize,
    ) -> Result<Vec<Value>, MatrixError> {
        let path = format!(
            "/_matrix/client/v3/rooms/{}/messages?dir=b&limit={limit}",
            enc(room_id)
        );
        let v = self.call(reqwest::Method::GET, &path, None, None).await?;
        Ok(v["chunk"].as_array().cloned().unwrap_or_default())
    }

    /// Removes an alias (one the bridge created). A missing alias counts as removed.
    pub async fn delete_alias(&self, alias: &str) -> Result<(), MatrixError> {
        let path = format!("/_matrix/client/v3/directory/room/{}", enc(alias));
        match self.call(reqwest::Method::DELETE, &path, None, None).await {
            Ok(_) => Ok(()),
            Err(e) if e.errcode() == Some("M_NOT_FOUND") => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Points `alias` at `room_id` (as the bot; an alias already there is left as it is).
    pub async fn put_alias(&self, alias: &str, room_id: &str) -> Result<(), MatrixError> {
        let path = format!("/_matrix/client/v3/directory/room/{}", enc(alias));
        let body = json!({ "room_id": room_id });
        match self
            .call(reqwest::Method::PUT, &path, None, Some(&body))
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.errcode() == Some("M_UNKNOWN") || e.errcode() == Some("M_ROOM_IN_USE") => {
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// `user` leaves the room (done if they are not in it).
    pub async fn leave(&self, user: &str, room_id: &str) -> Result<(), MatrixError> {
        let path = format!("/_matrix/client/v3/rooms/{}/leave", enc(room_id));
        match self
            .call(reqwest::Method::POST, &path, Some(user), Some(&json!({})))
            .await
        {
            Err(MatrixError::Api { status: 403, .. }) | Ok(_) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Deactivates one of the bridge's ghosts and erases its profile (the appservice may, for
    /// its own users); done if it already is.
    pub async fn deactivate(&self, user: &str) -> Result<(), MatrixError> {
        let body = json!({ "erase": true });
        match self
            .call(
                reqwest::Method::POST,
                "/_matrix/client/v3/account/deactivate",
                Some(user),
                Some(&body),
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(MatrixError::Api {
                status: 401 | 403, ..
            }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    pub async fn join(&self, user: &str, room_id: &str) -> Result<(), MatrixError> {
        let path = format!("/_matrix/client/v3/rooms/{}/join", enc(room_id));
        self.call(reqwest::Method::POST, &path, Some(user), Some(&json!({})))
            .await
            .map(|_| ())
    }

    pub async fn invite(&self, room_id: &str, user: &str) -> Result<(), MatrixError> {
        let path = format!("/_matrix/client/v3/rooms/{}/invite", enc(room_id));
        match self
            .call(
                reqwest::Method::POST,
                &path,
                None,
                Some(&json!({"user_id": user})),
            )
            .await
        {
            Ok(_) => Ok(()),
            // Already invited or joined.
            Err(MatrixError::Api {
                status: 403,
                ref message,
                ..
            }) if message.contains("already") => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Sends a message event; the same `txn_id` for the same sender yields the same event.
    pub async fn send(
        &self,
        as_user: Option<&str>,
        room_id: &str,
        event_type: &str,
        txn_id: &str,
        content: &Value,
    ) -> Result<String, MatrixError> {
        self.send_at(as_user, room_id, event_type, txn_id, content, None)
            .await
    }

    /// [`Self::send`] with the event's timestamp set to `ts_ms` (Unix milliseconds; the
    /// appservice `ts` parameter), for messages imported from the past.
    pub async fn send_at(
        &self,
        as_user: Option<&str>,
        room_id: &str,
        event_type: &str,
        txn_id: &str,
        content: &Value,
        ts_ms: Option<i64>,
    ) -> Result<String, MatrixError> {
        let mut path = format!(
            "/_matrix/client/v3/rooms/{}/send/{}/{}",
            enc(room_id),
            enc(event_type),
            enc(txn_id)
        );
        if let Some(ts) = ts_ms {
            path.push_str(&format!("?ts={ts}"));
        }
        let v = self
            .call(reqwest::Method::PUT, &path, as_user, Some(content))
            .await?;
        v.get("event_id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| MatrixError::Api {
                status: 200,
                errcode: "?".into(),
                message: "no event_id".into(),
            })
    }

    pub async fn set_state(
        &self,
        room_id: &str,
        event_type: &str,
        state_key: &str,
        content: &Value,
    ) -> Result<(), MatrixError> {
        let path = format!(
            "/_matrix/client/v3/rooms/{}/state/{}/{}",
            enc(room_id),
            enc(event_type),
            enc(state_key)
        );
        self.call(reqwest::Method::PUT, &path, None, Some(content))
            .await
            .map(|_| ())
    }

    /// Redacts an event (as `as_user`); the same `txn_id` redacts once.
    pub async fn redact(
        &self,
        as_user: Option<&str>,
        room_id: &str,
        event_id: &str,
        txn_id: &str,
    ) -> Result<(), MatrixError> {
        self.redact_with(as_user, room_id, event_id, txn_id, json!({}))
            .await
    }

    /// Redacts an event as the bot, saying why.
    pub async fn redact_because(
        &self,
        room_id: &str,
        event_id: &str,
        txn_id: &str,
        reason: &str,
    ) -> Result<(), MatrixError> {
        let body = json!({ "reason": reason });
        self.redact_with(None, room_id, event_id, txn_id, body)
            .await
    }

    async fn redact_with(
        &self,
        as_user: Option<&str>,
        room_id: &str,
        event_id: &str,
        txn_id: &str,
        body: Value,
    ) -> Result<(), MatrixError> {
        let path = format!(
            "/_matrix/client/v3/rooms/{}/redact/{}/{}",
            enc(room_id),
            enc(event_id),
            enc(txn_id)
        );
        self.call(reqwest::Method::PUT, &path, as_user, Some(&body))
            .await
            .map(|_| ())
    }

    /// Fetches one event (as the bot, which is in every portal).
    pub async fn event(&self, room_id: &str, event_id: &str) -> Result<Value, MatrixError> {
        let path = format!(
            "/_matrix/client/v3/rooms/{}/event/{}",
            enc(room_id),
            enc(event_id)
        );
        self.call(reqwest::Method::GET, &path, None, None).await
    }

    /// A state event's content (as the bot).
    pub async fn state(
        &self,
        room_id: &str,
        event_type: &str,
        state_key: &str,
    ) -> Result<Value, MatrixError> {
        let path = format!(
            "/_matrix/client/v3/rooms/{}/state/{}/{}",
            enc(room_id),
            enc(event_type),
            enc(state_key)
        );
        self.call(reqwest::Method::GET, &path, None, None).await
    }

    /// Posts an `m.read` receipt on `event_id` as `as_user` (the bot when `None`).
    pub async fn receipt(
        &self,
        as_user: Option<&str>,
        room_id: &str,
        event_id: &str,
    ) -> Result<(), MatrixError> {
        let path = format!(
            "/_matrix/client/v3/rooms/{}/receipt/m.read/{}",
            enc(room_id),
            enc(event_id)
        );
        self.call(reqwest::Method::POST, &path, as_user, Some(&json!({})))
            .await
            .map(|_| ())
    }

    /// Who the homeserver says the bot is: proves it answers and takes the as_token.
    pub async fn whoami(&self, bot: &str) -> Result<String, MatrixError> {
        let v = self
            .call(
                reqwest::Method::GET,
                "/_matrix/client/v3/account/whoami",
                Some(bot),
                None,
            )
            .await?;
        Ok(v.get("user_id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned())
    }

    /// Asks the homeserver to ping the appservice (proves both directions).
    pub async fn ping(&self, appservice_id: &str, txn: &str) -> Result<u64, MatrixError> {
        let path = format!("/_matrix/client/v1/appservice/{}/ping", enc(appservice_id));
        let v = self
            .call(
                reqwest::Method::POST,
                &path,
                None,
                Some(&json!({"transaction_id": txn})),
            )
            .await?;
        Ok(v.get("duration_ms").and_then(Value::as_u64).unwrap_or(0))
    }
}

fn room_id_of(v: &Value) -> Result<String, MatrixError> {
    v.get("room_id")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| MatrixError::Api {
            status: 200,
            errcode: "?".into(),
            message: "no room_id".into(),
        })
}
