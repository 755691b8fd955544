//! The bridge's own settings and handles kept in the store (`meta` table): which rooms it
//! made, emergency mode, a broadcast's stop request. Their keys are written only here.

use crate::store::kv::Op;
use crate::store::{META, R, Store};

/// One thing the bridge keeps for itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Meta {
    /// The admin room's id.
    AdminRoomId,
    /// The WhatsApp space's id.
    SpaceRoomId,
    /// Emergency mode, while on (its text, who and when, as JSON); empty when off.
    Emergency,
    /// Who asked to stop a broadcast being sent.
    BroadcastCancel(u64),
    /// Whether the admins were told a condition started ("on") and not yet that it ended.
    Alert(&'static str),
    /// The account's message templates as last read from Meta (JSON).
    Templates,
    /// The id of a shelf's sub-space in the WhatsApp space (`to_answer`, …).
    Shelf(&'static str),
    /// The key of the hashed ghost ids (hex; made once, kept with the store).
    GhostIdKey,
    /// When the last chunk of a shared history not imported yet came (Unix seconds); empty
    /// once it is imported.
    HistoryChunkAt,
    /// When the privacy sweep last applied the retention rules (Unix seconds).
    PrivacySweepAt,
}

impl Meta {
    fn key(self) -> String {
        match self {
            Meta::AdminRoomId => "admin_room_id".into(),
            Meta::SpaceRoomId => "space_room_id".into(),
            Meta::Emergency => "emergency".into(),
            Meta::BroadcastCancel(id) => format!("broadcast_cancel:{id}"),
            Meta::Alert(name) => format!("alert:{name}"),
            Meta::Templates => "templates".into(),
            Meta::Shelf(name) => format!("shelf:{name}"),
            Meta::HistoryChunkAt => "history_chunk_at".into(),
            Meta::GhostIdKey => "ghost_id_key".into(),
            Meta::PrivacySweepAt => "privacy_sweep_at".into(),
        }
    }
}

impl Store {
    pub fn meta(&self, m: Meta) -> R<Option<String>> {
        Ok(self
            .kv
            .get(META, m.key().as_bytes())?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    pub fn meta_op(m: Meta, value: &str) -> Op {
        Op::put(META, m.key().as_bytes(), value.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys are those earlier versions wrote: an upgraded bridge finds its rooms.
    #[test]
    fn meta_keys_are_unchanged() {
        assert_eq!(Meta::AdminRoomId.key(), "admin_room_id");
        assert_eq!(Meta::SpaceRoomId.key(), "space_room_id");
        assert_eq!(Meta::Emergency.key(), "emergency");
        assert_eq!(Meta::BroadcastCancel(7).key(), "broadcast_cancel:7");
        assert_eq!(Meta::Alert("token").key(), "alert:token");
        assert_eq!(Meta::Templates.key(), "templates");
        assert_eq!(Meta::Shelf("closed").key(), "shelf:closed");
        let store = Store::memory();
        store
            .commit(vec![Store::meta_op(Meta::BroadcastCancel(7), "@anna:x")])
            .unwrap();
        assert_eq!(
            store.meta(Meta::BroadcastCancel(7)).unwrap().as_deref(),
            Some("@anna:x")
        );
        assert_eq!(store.meta(Meta::BroadcastCancel(8)).unwrap(), None);
    }
}
