//! Helpers for the admin room and the news service: an admin who types commands and reads
//! the bot's replies, and seeding the store with subscribers while the bridge is stopped
//! (thousands of citizens without creating thousands of rooms in Synapse).

use matrix_sdk::ruma::OwnedRoomId;
use serde_json::json;
use sportello::store::{Op, Store};

use super::{Stack, Staff, bot_reply};

/// An admin in the admin room.
pub struct Admin {
    pub staff: Staff,
    pub room: OwnedRoomId,
}

impl Admin {
    pub async fn join(stack: &Stack, name: &str) -> Admin {
        let staff = Staff::login(&stack.synapse.url, name).await;
        let room = staff.room_for_alias("#whatsapp_admin:comune.test").await;
        staff.accept_invite(&room).await;
        Admin { staff, room }
    }

    /// Types a command; returns the body of the bot's reply.
    pub async fn say(&self, text: &str) -> String {
        let ev = self
            .staff
            .send(&self.room, json!({"msgtype": "m.text", "body": text}))
            .await;
        bot_reply(&self.staff, &self.room, ev.as_str()).await["body"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// Stops the bridge, writes `ops` into its store, and starts it again.
pub async fn seed(stack: &mut Stack, ops: impl FnOnce(&Store) -> Vec<Op>) {
    stack.stop_bridge().await;
    {
        let store = Store::open(&stack.config.raw.store.path).expect("the store opens");
        let ops = ops(&store);
        for chunk in ops.chunks(5000) {
            store.commit(chunk.to_vec()).expect("seeded");
        }
    }
    stack.start_bridge().await.expect("the bridge restarts");
}
