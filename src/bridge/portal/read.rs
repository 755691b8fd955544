//! Staff → citizen signals: when a staff member's read receipt reaches a citizen's message,
//! WhatsApp shows the citizen blue ticks; while staff type in a portal, "typing…" (which also
//! marks the latest message read, so both follow `bridge.mark_read`). Best effort: a failure
//! is logged and never holds up the citizen's queue.

use std::sync::PoisonError;
use std::time::{Duration, Instant};

use tracing::{debug, warn};

use crate::bridge::engine::item::Work;
use crate::bridge::engine::worker::Step;
use crate::bridge::portal::Portals;
use crate::ids::CitizenKey;
use crate::ids::WaMessageId;
use crate::matrix::types::Ephemeral;
use crate::store::{Mark, Store, StoreError};

/// WhatsApp's typing indicator lasts 25 s; refresh it at most this often per room.
const TYPING_EVERY: Duration = Duration::from_secs(20);

impl Portals {
    /// Turns a transaction's receipts and typing notices into `MarkRead` work items (with the
    /// citizen whose queue they join).
    pub(in crate::bridge) fn route_ephemeral(
        &self,
        e: Ephemeral,
    ) -> Result<Option<(String, Work)>, StoreError> {
        if !self.parts.config.raw.bridge.mark_read {
            return Ok(None);
        }
        let store = &self.parts.store;
        match e {
            Ephemeral::Read {
                room_id,
                event_id,
                user_id,
            } => {
                if !self.parts.config.is_staff(&user_id) {
                    return Ok(None);
                }
                let Some(portal) = store.portal_by_room(&room_id)? else {
                    return Ok(None);
                };
                // Staff may read a message before its worker has recorded it: then the
                // worker finds it, after that message's item.
                let (wamid, event_id) = match store.wamid_for_event(&event_id)? {
                    Some(w) if !self.readable(&w)? => return Ok(None),
                    Some(w) => (w, None),
                    None => (String::new(), Some(event_id)),
                };
                Ok(Some((
                    portal.citizen.as_str(),
                    mark_read(wamid, false, event_id, self.now_secs()),
                )))
            }
            Ephemeral::Typing { room_id, user_ids } => {
                if !user_ids.iter().any(|u| self.parts.config.is_staff(u)) {
                    return Ok(None);
                }
                let Some(portal) = store.portal_by_room(&room_id)? else {
                    return Ok(None);
                };
                let wamid = portal.last_inbound.unwrap_or_default();
                let mut last = self
                    .typing_sent
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                if last
                    .get(&room_id)
                    .is_some_and(|t| t.elapsed() < TYPING_EVERY)
                {
                    return Ok(None);
                }
                last.insert(room_id, Instant::now());
                Ok(Some((
                    portal.citizen.as_str(),
                    mark_read(wamid, true, None, self.now_secs()),
                )))
            }
        }
    }

    /// Only the citizen's messages are marked read (outbound ones carry a status), once.
    fn readable(&self, wamid: &str) -> Result<bool, StoreError> {
        let store = &self.parts.store;
        Ok(store.status(wamid)?.is_none() && !store.seen(&Mark::Read(wamid))?)
    }

    /// The message a `MarkRead` item is about, found now when the router could not yet.
    pub(in crate::bridge) fn read_target(
        &self,
        citizen: &CitizenKey,
        wamid: String,
        typing: bool,
        event_id: Option<String>,
    ) -> Result<Option<String>, StoreError> {
        let store = &self.parts.store;
        if !wamid.is_empty() {
            return Ok(Some(wamid));
        }
        let found = match event_id {
            Some(ev) => store.wamid_for_event(&ev)?,
            None if typing => store
                .portal(&citizen.as_str())?
                .and_then(|p| p.last_inbound),
            None => None,
        };
        match found {
            Some(w) if typing || self.readable(&w)? => Ok(Some(w)),
            _ => Ok(None),
        }
    }

    pub(in crate::bridge) async fn mark_read(
        &self,
        wamid: &str,
        typing: bool,
        queued_at: u64,
    ) -> Step {
        if typing && self.now_secs().saturating_sub(queued_at) > TYPING_EVERY.as_secs() {
            debug!("stale typing notice dropped");
            return Step::Done(vec![]);
        }
        let id = WaMessageId::new(wamid);
        match self.parts.graph.mark_read(&id, typing).await {
            Ok(()) => {
                debug!(wamid = %id, typing, "marked read on WhatsApp");
                Step::Done(vec![Store::seen_op(&Mark::Read(wamid))])
            }
            Err(e) => {
                warn!(wamid = %id, "could not mark read on WhatsApp: {}", crate::ids::mask_text(&e.to_string()));
                Step::Done(vec![])
            }
        }
    }
}

fn mark_read(wamid: String, typing: bool, event_id: Option<String>, now: u64) -> Work {
    Work::MarkRead {
        wamid,
        typing,
        queued_at: now,
        event_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge::Bridge;
    use crate::store::PortalRecord;

    /// Staff can read a citizen's message before the worker that bridged it has recorded its
    /// wamid (its commit comes after the Matrix send). The receipt is then queued behind that
    /// message and resolved by the worker; once marked, or for a staff message, nothing goes.
    #[test]
    fn a_receipt_that_beats_its_message_is_resolved_by_the_worker() {
        let raw =
            crate::config::RawConfig::from_toml(&crate::config::valid_test_toml(), "t", |_| None)
                .unwrap();
        let staff = raw.office.staff[0].clone();
        let store = Store::memory();
        let (_tx, rx) = tokio::sync::watch::channel(false);
        let bridge = Bridge::new(raw.validate().unwrap(), store.clone(), rx);
        let portal = PortalRecord::new(
            &CitizenKey::parse("p:393331234567").unwrap(),
            "!portal:x",
            "@ghost:x",
        );
        store.commit(Store::portal_ops(&portal)).unwrap();
        let read = |event_id: &str| Ephemeral::Read {
            room_id: "!portal:x".into(),
            event_id: event_id.into(),
            user_id: staff.clone(),
        };

        let (citizen, work) = bridge
            .portals()
            .route_ephemeral(read("$citizen"))
            .unwrap()
            .unwrap();
        assert_eq!(citizen, "p:393331234567");
        let key = CitizenKey::parse(&citizen).unwrap();
        let Work::MarkRead {
            wamid, event_id, ..
        } = work
        else {
            panic!("{work:?}")
        };
        assert_eq!(
            (wamid.as_str(), event_id.as_deref()),
            ("", Some("$citizen"))
        );
        let target = || {
            bridge
                .portals()
                .read_target(&key, wamid.clone(), false, event_id.clone())
        };
        assert_eq!(target().unwrap(), None, "not recorded yet: nothing to mark");
        store
            .commit(Store::message_ops("wamid.C", "!portal:x", "$citizen"))
            .unwrap();
        assert_eq!(target().unwrap().as_deref(), Some("wamid.C"));
        store
            .commit(vec![Store::seen_op(&Mark::Read("wamid.C"))])
            .unwrap();
        assert_eq!(target().unwrap(), None, "marked once");

        // A staff message (it has a status) is never marked read, found early or late.
        let mut ops = Store::message_ops("wamid.S", "!portal:x", "$staff");
        ops.push(Store::status_op("wamid.S", "sent", None));
        store.commit(ops).unwrap();
        assert!(
            bridge
                .portals()
                .route_ephemeral(read("$staff"))
                .unwrap()
                .is_none()
        );
        let late = bridge
            .portals()
            .read_target(&key, String::new(), false, Some("$staff".into()));
        assert_eq!(late.unwrap(), None);
    }
}
