//! Citizen → Matrix: a queued WhatsApp message becomes an event from the citizen's ghost in
//! their portal. The Matrix transaction id is derived from the wamid, so a retry after a
//! crash or timeout yields the same event, never a second one.

use sha2::{Digest, Sha256};
use tracing::info;

use super::Bridge;
use super::work::CitizenWork;
use super::worker::{Step, Transient};
use crate::convert;
use crate::ids::CitizenKey;
use crate::store::Store;

pub(super) fn txn_id(prefix: &str, id: &str) -> String {
    format!(
        "{prefix}.{}",
        hex::encode(&Sha256::digest(id.as_bytes())[..12])
    )
}

fn store_err(e: crate::store::StoreError) -> Transient {
    Transient {
        reason: e.to_string(),
        update: None,
    }
}

impl Bridge {
    pub(super) async fn deliver_citizen_message(
        &self,
        citizen: &str,
        c: CitizenWork,
    ) -> Result<Step, Transient> {
        let store = &self.inner.store;
        let Some(key) = CitizenKey::parse(citizen) else {
            let op = store.dead_letter_op(
                "queue item for an unreadable citizen key",
                &serde_json::to_vec(&c.raw).unwrap_or_default(),
            );
            return Ok(Step::Done(vec![op]));
        };
        let m = c.to_inbound();
        let mut portal = self
            .ensure_portal(citizen, &key, m.profile_name.as_deref())
            .await?;
        // A citizen first seen by BSUID whose number is now known: answers go to the number.
        let mut ops = Vec::new();
        let learned_phone = m.phone.as_ref().filter(|_| portal.phone.is_none());
        let learned_bsuid = m.bsuid.as_ref().filter(|_| portal.bsuid.is_none());
        if learned_phone.is_some() || learned_bsuid.is_some() {
            portal.phone = portal
                .phone
                .or(learned_phone.map(|p| p.expose().to_owned()));
            portal.bsuid = portal
                .bsuid
                .or(learned_bsuid.map(|b| b.expose().to_owned()));
            ops.extend(Store::portal_ops(&portal));
        }
        let reply_to = match &m.context.reply_to {
            Some(w) => store
                .event_for_wamid(w.expose())
                .map_err(store_err)?
                .map(|r| r.event_id),
            None => None,
        };
        let ev = convert::citizen_to_matrix(&m, reply_to.as_deref());
        let txn = txn_id("wa", m.id.expose());
        let sent = self
            .inner
            .matrix
            .send(
                Some(&portal.ghost),
                &portal.room_id,
                ev.event_type,
                &txn,
                &ev.content,
            )
            .await;
        match sent {
            Ok(event_id) => {
                info!(wamid = %m.id, %event_id, "citizen message bridged");
                ops.extend(Store::message_ops(
                    m.id.expose(),
                    &portal.room_id,
                    &event_id,
                ));
                Ok(Step::Done(ops))
            }
            Err(e) if e.errcode() == Some("M_FORBIDDEN") => {
                // The ghost may have left or been kicked: rejoin, then retry.
                let _ = self.inner.matrix.join(&portal.ghost, &portal.room_id).await;
                Err(e.into())
            }
            Err(e) => Err(e.into()),
        }
    }
}
