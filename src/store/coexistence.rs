//! What coexistence with the WhatsApp Business app keeps: the chunks of the shared history
//! until the last one has come (then it is imported in order, and they are deleted), the media
//! that came for a history placeholder before it was imported, and the names of the phone's
//! contacts (only when `coexistence.contact_names`).

use super::{Op, R, Store};

/// phase (u8) ‖ chunk order (u32 BE) → the chunk as received (JSON, owned by the bridge).
pub(super) const HISTORY_CHUNKS: &str = "phasechunk_history";
/// wamid → the message object that brings a placeholder's media (JSON).
pub(super) const HISTORY_MEDIA: &str = "wamid_historymedia";
/// number (digits) → the contact's name in the office's phone.
pub(super) const CONTACT_NAMES: &str = "phone_contactname";

pub(super) const COEXISTENCE_TABLES: [&str; 3] = [HISTORY_CHUNKS, HISTORY_MEDIA, CONTACT_NAMES];

fn chunk_key(phase: u8, order: u32) -> Vec<u8> {
    let mut k = vec![phase];
    k.extend_from_slice(&order.to_be_bytes());
    k
}

impl Store {
    pub fn history_chunk_op(phase: u8, order: u32, chunk: &[u8]) -> Op {
        Op::put(HISTORY_CHUNKS, chunk_key(phase, order), chunk)
    }

    /// Every stored chunk, in (phase, chunk order) order, with the write that deletes it.
    pub fn history_chunks(&self) -> R<Vec<(Vec<u8>, Op)>> {
        Ok(self
            .kv
            .scan(HISTORY_CHUNKS, b"", usize::MAX)?
            .into_iter()
            .map(|(k, v)| (v, Op::delete(HISTORY_CHUNKS, k)))
            .collect())
    }

    pub fn history_media_op(wamid: &str, message: &[u8]) -> Op {
        Op::put(HISTORY_MEDIA, wamid.as_bytes(), message)
    }

    /// The media that came for placeholder `wamid`, with the write that deletes it.
    pub fn history_media(&self, wamid: &str) -> R<Option<(Vec<u8>, Op)>> {
        Ok(self
            .kv
            .get(HISTORY_MEDIA, wamid.as_bytes())?
            .map(|v| (v, Op::delete(HISTORY_MEDIA, wamid.as_bytes()))))
    }

    /// The write that keeps (or, with `None`, forgets) a contact's name.
    pub fn contact_name_op(phone: &str, name: Option<&str>) -> Op {
        match name {
            Some(n) => Op::put(CONTACT_NAMES, phone.as_bytes(), n.as_bytes()),
            None => Op::delete(CONTACT_NAMES, phone.as_bytes()),
        }
    }

    pub fn contact_name(&self, phone: &str) -> R<Option<String>> {
        Ok(self
            .kv
            .get(CONTACT_NAMES, phone.as_bytes())?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_come_back_in_phase_and_order_and_go() {
        let store = Store::memory();
        store
            .commit(vec![
                Store::history_chunk_op(1, 2, b"b"),
                Store::history_chunk_op(0, 7, b"a"),
                Store::history_chunk_op(1, 1, b"c"),
                Store::history_chunk_op(1, 1, b"c"),
            ])
            .unwrap();
        let chunks = store.history_chunks().unwrap();
        let bodies: Vec<&[u8]> = chunks.iter().map(|(b, _)| b.as_slice()).collect();
        assert_eq!(
            bodies,
            [&b"a"[..], b"c", b"b"],
            "a retried chunk is kept once"
        );
        store
            .commit(chunks.into_iter().map(|(_, op)| op).collect())
            .unwrap();
        assert!(store.history_chunks().unwrap().is_empty());
        store
            .commit(vec![Store::contact_name_op(
                "393331234567",
                Some("Anna Rossi"),
            )])
            .unwrap();
        assert_eq!(
            store.contact_name("393331234567").unwrap().as_deref(),
            Some("Anna Rossi")
        );
        store
            .commit(vec![Store::contact_name_op("393331234567", None)])
            .unwrap();
        assert_eq!(store.contact_name("393331234567").unwrap(), None);
    }
}
