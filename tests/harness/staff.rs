//! A staff member in Element, played by matrix-sdk: logs in, accepts invites, reads and
//! sends messages.

use std::time::Duration;

use matrix_sdk::{
    Client,
    config::SyncSettings,
    room::MessagesOptions,
    ruma::{OwnedEventId, OwnedRoomAliasId, OwnedRoomId, RoomId},
};
use serde_json::Value;

use super::eventually;

pub struct Staff {
    pub client: Client,
}

impl Staff {
    /// Logs in (the test users' password is their name).
    pub async fn login(homeserver: &str, name: &str) -> Staff {
        let client = Client::builder()
            .homeserver_url(homeserver)
            .build()
            .await
            .expect("client");
        client
            .matrix_auth()
            .login_username(name, name)
            .send()
            .await
            .expect("login");
        Staff { client }
    }

    pub async fn sync(&self) {
        self.client
            .sync_once(SyncSettings::default().timeout(Duration::from_millis(500)))
            .await
            .expect("sync");
    }

    /// The room behind a portal alias (`#whatsapp_<digits>:server`), once it exists.
    pub async fn room_for_alias(&self, alias: &str) -> OwnedRoomId {
        let alias: OwnedRoomAliasId = alias.try_into().expect("alias");
        eventually(&format!("the portal {alias}"), || async {
            self.client
                .resolve_room_alias(&alias)
                .await
                .ok()
                .map(|r| r.room_id)
        })
        .await
    }

    /// The rooms offered to this staff member (invited or joined) that are not the WhatsApp
    /// space or one of its shelves: the portals.
    pub async fn portals_offered(&self) -> Vec<OwnedRoomId> {
        self.sync().await;
        let mut spaces = Vec::new();
        for alias in [
            "#whatsapp_space:comune.test",
            "#whatsapp_shelf_to_answer:comune.test",
            "#whatsapp_shelf_in_progress:comune.test",
            "#whatsapp_shelf_closed:comune.test",
        ] {
            spaces.extend(self.try_room_for_alias(alias).await);
        }
        self.client
            .invited_rooms()
            .into_iter()
            .chain(self.client.joined_rooms())
            .map(|r| r.room_id().to_owned())
            .filter(|id| !spaces.contains(id))
            .collect()
    }

    /// The room behind an alias, if it exists now.
    pub async fn try_room_for_alias(&self, alias: &str) -> Option<OwnedRoomId> {
        let alias: OwnedRoomAliasId = alias.try_into().expect("alias");
        self.client
            .resolve_room_alias(&alias)
            .await
            .ok()
            .map(|r| r.room_id)
    }

    /// Joins `room_id` unless already in it (accepting the invite, once it came).
    pub async fn join_once(&self, room_id: &RoomId) {
        self.sync().await;
        if self
            .client
            .joined_rooms()
            .iter()
            .any(|r| r.room_id() == room_id)
        {
            return;
        }
        self.accept_invite(room_id).await;
    }

    /// Waits for an invite to `room_id`, accepts it.
    pub async fn accept_invite(&self, room_id: &RoomId) {
        eventually("the invite", || async {
            self.sync().await;
            self.client
                .invited_rooms()
                .iter()
                .any(|r| r.room_id() == room_id)
                .then_some(())
        })
        .await;
        self.client.join_room_by_id(room_id).await.expect("join");
    }

    /// The room's `m.room.message` events, oldest first, as raw JSON.
    pub async fn messages(&self, room_id: &RoomId) -> Vec<Value> {
        self.events(room_id, "m.room.message").await
    }

    /// The room's events of one type, oldest first, as raw JSON (redacted ones included).
    pub async fn events(&self, room_id: &RoomId, event_type: &str) -> Vec<Value> {
        self.sync().await;
        let Some(room) = self.client.get_room(room_id) else {
            return vec![];
        };
        let mut opts = MessagesOptions::backward();
        opts.limit = 200u32.into();
        let Ok(res) = room.messages(opts).await else {
            return vec![];
        };
        let mut out: Vec<Value> = res
            .chunk
            .iter()
            .filter_map(|e| serde_json::from_str::<Value>(e.raw().json().get()).ok())
            .filter(|v| v["type"] == event_type)
            .collect();
        out.reverse();
        out
    }

    /// Waits until the room has at least `n` messages matching `pred`.
    pub async fn wait_for(
        &self,
        room_id: &RoomId,
        n: usize,
        what: &str,
        pred: impl Fn(&Value) -> bool,
    ) -> Vec<Value> {
        eventually(what, || async {
            let m: Vec<Value> = self
                .messages(room_id)
                .await
                .into_iter()
                .filter(&pred)
                .collect();
            (m.len() >= n).then_some(m)
        })
        .await
    }

    /// Downloads media through the authenticated media API, as Element does.
    pub async fn download(&self, mxc: &str) -> Vec<u8> {
        let (server, id) = mxc.strip_prefix("mxc://").unwrap().split_once('/').unwrap();
        let url = format!(
            "{}/_matrix/client/v1/media/download/{server}/{id}",
            self.client.homeserver().as_str().trim_end_matches('/')
        );
        let res = reqwest::Client::new()
            .get(url)
            .bearer_auth(self.client.access_token().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "download {mxc}");
        res.bytes().await.unwrap().to_vec()
    }

    /// Uploads media as this user, as Element does before sending an attachment.
    pub async fn upload(&self, mime: &str, bytes: Vec<u8>) -> String {
        let url = format!(
            "{}/_matrix/media/v3/upload",
            self.client.homeserver().as_str().trim_end_matches('/')
        );
        let res = reqwest::Client::new()
            .post(url)
            .bearer_auth(self.client.access_token().unwrap())
            .header("content-type", mime)
            .body(bytes)
            .send()
            .await
            .unwrap();
        let v: Value = res.json().await.unwrap();
        v["content_uri"].as_str().expect("content_uri").to_owned()
    }

    /// Sends an event of any type; returns its id.
    pub async fn send_event(
        &self,
        room_id: &RoomId,
        event_type: &str,
        content: Value,
    ) -> OwnedEventId {
        let room = self.client.get_room(room_id).expect("joined room");
        room.send_raw(event_type, content)
            .await
            .expect("send")
            .response
            .event_id
    }

    /// Redacts an event.
    pub async fn redact(&self, room_id: &RoomId, event_id: &matrix_sdk::ruma::EventId) {
        let room = self.client.get_room(room_id).expect("joined room");
        room.redact(event_id, None, None).await.expect("redact");
    }

    /// Sends an `m.room.message` with this content; returns the event id.
    pub async fn send(&self, room_id: &RoomId, content: Value) -> OwnedEventId {
        let room = self.client.get_room(room_id).expect("joined room");
        room.send_raw("m.room.message", content)
            .await
            .expect("send")
            .response
            .event_id
    }

    /// A user's display name in a room, read from the homeserver (the room's current
    /// member event), not from the client's cache.
    pub async fn display_name(&self, room_id: &RoomId, user: &str) -> Option<String> {
        let v = self.state(room_id.as_str(), "m.room.member", user).await?;
        v["displayname"].as_str().map(str::to_owned)
    }

    fn state_url(&self, room_id: &str, event_type: &str, key: &str) -> String {
        format!(
            "{}/_matrix/client/v3/rooms/{room_id}/state/{event_type}/{key}",
            self.client.homeserver().as_str().trim_end_matches('/')
        )
    }

    /// A state event's content, read from the homeserver (not the client's cache).
    pub async fn state(&self, room_id: &str, event_type: &str, key: &str) -> Option<Value> {
        let url = self.state_url(room_id, event_type, key);
        let token = self.client.access_token()?;
        let res = reqwest::Client::new()
            .get(url)
            .bearer_auth(token)
            .send()
            .await;
        res.ok()?.json().await.ok()
    }

    /// Writes a state event through the client-server API.
    pub async fn put_state(&self, room_id: &str, event_type: &str, key: &str, content: &Value) {
        let url = self.state_url(room_id, event_type, key);
        let token = self.client.access_token().expect("logged in");
        let res = reqwest::Client::new()
            .put(url)
            .bearer_auth(token)
            .json(content)
            .send()
            .await
            .expect("the homeserver answers");
        assert!(
            res.status().is_success(),
            "{}",
            res.text().await.unwrap_or_default()
        );
    }
}
