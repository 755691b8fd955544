//! Reading rooms back as the bridge's bot, which is a member of every portal: an alias's room,
//! every event of a room, the bodies of its messages (the fault figures count with these).

use serde_json::Value;

use crate::Stack;

/// Reads rooms as the bridge's bot (a member of every portal).
pub(crate) struct RoomReader {
    pub(crate) http: reqwest::Client,
    pub(crate) hs: String,
    token: String,
}

impl RoomReader {
    pub(crate) fn new(stack: &Stack) -> RoomReader {
        RoomReader {
            http: reqwest::Client::new(),
            hs: stack.synapse.url.trim_end_matches('/').to_owned(),
            token: stack.config.raw.appservice.as_token.clone(),
        }
    }

    pub(crate) async fn get(&self, path: &str) -> anyhow::Result<Value> {
        Ok(self
            .http
            .get(format!("{}{path}", self.hs))
            .bearer_auth(&self.token)
            .send()
            .await?
            .json()
            .await?)
    }

    pub(crate) async fn room(&self, alias: &str) -> anyhow::Result<Option<String>> {
        let alias = alias.replace('#', "%23");
        let v = self
            .get(&format!("/_matrix/client/v3/directory/room/{alias}"))
            .await?;
        Ok(v["room_id"].as_str().map(str::to_owned))
    }

    /// Every timeline event of a room, oldest first.
    pub(crate) async fn events(&self, room: &str) -> anyhow::Result<Vec<Value>> {
        let mut out = Vec::new();
        let mut from = String::new();
        loop {
            let v = self
                .get(&format!(
                    "/_matrix/client/v3/rooms/{room}/messages?dir=f&limit=1000{from}"
                ))
                .await?;
            let chunk = v["chunk"].as_array().cloned().unwrap_or_default();
            if chunk.is_empty() {
                return Ok(out);
            }
            out.extend(chunk);
            match v["end"].as_str() {
                Some(end) => from = format!("&from={end}"),
                None => return Ok(out),
            }
        }
    }

    /// The bodies of the room's messages, oldest first (none if it does not exist yet).
    pub(crate) async fn bodies(&self, alias: &str) -> anyhow::Result<Vec<String>> {
        let Some(room) = self.room(alias).await? else {
            return Ok(vec![]);
        };
        Ok(self
            .events(&room)
            .await?
            .iter()
            .filter(|e| e["type"] == "m.room.message")
            .filter_map(|e| e["content"]["body"].as_str().map(str::to_owned))
            .collect())
    }
}
