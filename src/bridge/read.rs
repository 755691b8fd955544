//! Staff → citizen signals: when a staff member's read receipt reaches a citizen's message,
//! WhatsApp shows the citizen blue ticks; while staff type in a portal, "typing…" (which also
//! marks the latest message read, so both follow `bridge.mark_read`). Best effort: a failure
//! is logged and never holds up the citizen's queue.

use std::time::{Duration, Instant};

use tracing::{debug, warn};

use super::Bridge;
use super::worker::Step;
use crate::ids::WaMessageId;
use crate::matrix::types::Ephemeral;
use crate::store::{Store, StoreError, now_secs};

/// WhatsApp's typing indicator lasts 25 s; refresh it at most this often per room.
const TYPING_EVERY: Duration = Duration::from_secs(20);

impl Bridge {
    /// Turns a transaction's receipts and typing notices into `MarkRead` work items.
    pub(super) fn route_ephemeral(
        &self,
        e: Ephemeral,
    ) -> Result<Option<(String, String, bool)>, StoreError> {
        if !self.inner.config.raw.bridge.mark_read {
            return Ok(None);
        }
        let store = &self.inner.store;
        match e {
            Ephemeral::Read {
                room_id,
                event_id,
                user_id,
            } => {
                if !self.inner.config.is_staff(&user_id) {
                    return Ok(None);
                }
                let Some(portal) = store.portal_by_room(&room_id)? else {
                    return Ok(None);
                };
                let Some(wamid) = store.wamid_for_event(&event_id)? else {
                    return Ok(None);
                };
                // Outbound messages carry a status; only the citizen's are marked read.
                if store.status(&wamid)?.is_some() || store.seen(&format!("r:{wamid}"))? {
                    return Ok(None);
                }
                Ok(Some((portal.citizen, wamid, false)))
            }
            Ephemeral::Typing { room_id, user_ids } => {
                if !user_ids.iter().any(|u| self.inner.config.is_staff(u)) {
                    return Ok(None);
                }
                let Some(portal) = store.portal_by_room(&room_id)? else {
                    return Ok(None);
                };
                let Some(wamid) = portal.last_inbound else {
                    return Ok(None);
                };
                let mut last = self.inner.typing_sent.lock().expect("poisoned");
                if last
                    .get(&room_id)
                    .is_some_and(|t| t.elapsed() < TYPING_EVERY)
                {
                    return Ok(None);
                }
                last.insert(room_id, Instant::now());
                Ok(Some((portal.citizen, wamid, true)))
            }
        }
    }

    pub(super) async fn mark_read(&self, wamid: &str, typing: bool, queued_at: u64) -> Step {
        if typing && now_secs().saturating_sub(queued_at) > TYPING_EVERY.as_secs() {
            debug!("stale typing notice dropped");
            return Step::Done(vec![]);
        }
        let id = WaMessageId::new(wamid);
        match self.inner.graph.mark_read(&id, typing).await {
            Ok(()) => {
                debug!(wamid = %id, typing, "marked read on WhatsApp");
                Step::Done(vec![Store::seen_op(&format!("r:{wamid}"))])
            }
            Err(e) => {
                warn!(wamid = %id, "could not mark read on WhatsApp: {}", crate::ids::mask_text(&e.to_string()));
                Step::Done(vec![])
            }
        }
    }
}
