//! Reading a room's timeline page by page, as the bot (which is in every portal): what an
//! export reads and an erasure walks.

use serde_json::Value;

use super::client::{MatrixClient, MatrixError, enc};

/// One page of a timeline and where the next one starts (`None`: there is no more).
pub struct Page {
    pub events: Vec<Value>,
    pub next: Option<String>,
}

impl MatrixClient {
    /// Up to `limit` events from `from` (`None`: the room's first event when `forward`, its
    /// latest otherwise).
    pub async fn timeline_page(
        &self,
        room_id: &str,
        from: Option<&str>,
        forward: bool,
        limit: usize,
    ) -> Result<Page, MatrixError> {
        let dir = if forward { "f" } else { "b" };
        let mut path = format!(
            "/_matrix/client/v3/rooms/{}/messages?dir={dir}&limit={limit}",
            enc(room_id)
        );
        if let Some(f) = from {
            path.push_str(&format!("&from={}", enc(f)));
        }
        let v = self.call(reqwest::Method::GET, &path, None, None).await?;
        let events = v["chunk"].as_array().cloned().unwrap_or_default();
        let next = v["end"]
            .as_str()
            .filter(|_| !events.is_empty())
            .map(str::to_owned);
        Ok(Page { events, next })
    }
}
