//! The coexistence webhooks in the router, each once: an echo is queued for the citizen it
//! went to; a history chunk is kept (the last one, `progress` 100, queues the import in the
//! admin room's queue); the media of an imported placeholder is queued for its room, one
//! that comes before its placeholder is kept for the import; a refusal is told to the admins;
//! a contact's name is kept and given to the citizen's portal.

use serde_json::json;
use tracing::info;

use crate::bridge::coexistence::Coexistence;
use crate::bridge::engine::item::{ADMIN_QUEUE, EchoItem, EchoWork, HistoryWork, Work};
use crate::bridge::engine::router::Routed;
use crate::ids::CitizenKey;
use crate::store::{Mark, Meta, Store, StoreError};
use crate::whatsapp::coexistence::{
    ContactSync, Echo, EchoWhat, HistoryChunk, HistoryMessage, HistoryRefusal,
};

impl Coexistence {
    /// The citizen behind these identities (linked to them in this batch), unless blocked.
    pub(in crate::bridge) fn citizen_of(
        &self,
        r: &mut Routed,
        ids: &[CitizenKey],
    ) -> Result<Option<String>, StoreError> {
        let Some(first) = ids.first() else {
            return Ok(None);
        };
        let citizen = self
            .portals
            .owner_of_any(r, ids)?
            .unwrap_or_else(|| first.as_str());
        for id in ids {
            self.portals.link_identity(r, id, &citizen)?;
        }
        if self.parts.store.block(&citizen)?.is_some() {
            info!(citizen = %first, "coexistence: a blocked citizen's message dropped");
            return Ok(None);
        }
        Ok(Some(citizen))
    }

    pub(in crate::bridge) fn route_echo(&self, r: &mut Routed, e: Echo) -> Result<(), StoreError> {
        let store = &self.parts.store;
        let ids: Vec<CitizenKey> = [
            e.to.clone().map(CitizenKey::Phone),
            e.to_bsuid.clone().map(CitizenKey::Bsuid),
        ]
        .into_iter()
        .flatten()
        .collect();
        if self.portals.erased_before(&ids, e.timestamp)? {
            return Ok(());
        }
        if !r.first_time(store, Mark::Message(e.id.expose()))? {
            return Ok(());
        }
        let Some(citizen) = self.citizen_of(r, &ids)? else {
            return Ok(());
        };
        let item = match e.what {
            EchoWhat::Message { raw, .. } => EchoItem::Message { raw },
            EchoWhat::Edit { original, raw } => EchoItem::Edit {
                original: original.expose().to_owned(),
                raw,
            },
            EchoWhat::Revoke { original } => EchoItem::Revoke {
                original: original.expose().to_owned(),
            },
        };
        info!(wamid = %e.id, citizen = %ids[0], "message echo from the WhatsApp Business app queued");
        let work = EchoWork {
            wamid: e.id.expose().to_owned(),
            timestamp: e.timestamp,
            item,
        };
        r.push(store, &citizen, &Work::Echo(Box::new(work)));
        Ok(())
    }

    /// Kept (a retried chunk replaces itself); the last one queues the import.
    pub(in crate::bridge) fn route_history(&self, r: &mut Routed, h: HistoryChunk) {
        let body = serde_json::to_vec(&h).unwrap_or_default();
        r.ops
            .push(Store::history_chunk_op(h.phase, h.chunk_order, &body));
        let now = self.parts.clock.unix().to_string();
        r.ops.push(Store::meta_op(Meta::HistoryChunkAt, &now));
        let messages: usize = h.threads.iter().map(|t| t.messages.len()).sum();
        info!(
            phase = h.phase,
            chunk = h.chunk_order,
            progress = h.progress,
            messages,
            "a chunk of the shared history kept"
        );
        if h.progress >= 100 {
            r.push(&self.parts.store, ADMIN_QUEUE, &Work::HistoryComplete);
        }
    }

    /// Media of history placeholders: posted as an answer to one already imported, kept for
    /// the import otherwise.
    pub(in crate::bridge) fn route_history_media(
        &self,
        r: &mut Routed,
        media: Vec<HistoryMessage>,
    ) -> Result<(), StoreError> {
        let store = &self.parts.store;
        for mut m in media {
            let id = format!("{}#media", m.id);
            if !r.first_time(store, Mark::Message(&id))? {
                continue;
            }
            let shown = store.event_for_wamid(&m.id)?;
            let portal = match &shown {
                Some(s) => store.portal_by_room(&s.room_id)?,
                None => None,
            };
            let Some(portal) = portal else {
                let raw = serde_json::to_vec(&m.raw).unwrap_or_default();
                r.ops.push(Store::history_media_op(&m.id, &raw));
                continue;
            };
            // After its placeholder, as an answer to it.
            m.raw["context"] = json!({"id": m.id});
            m.raw["id"] = json!(id);
            m.from_office = m.raw["from"] != json!(portal.phone);
            m.id = id;
            let work = HistoryWork {
                extent: None,
                messages: vec![m],
                next: 0,
            };
            r.push(
                store,
                &portal.citizen.as_str(),
                &Work::History(Box::new(work)),
            );
        }
        Ok(())
    }

    pub(in crate::bridge) fn route_refusal(
        &self,
        r: &mut Routed,
        x: HistoryRefusal,
    ) -> Result<(), StoreError> {
        let store = &self.parts.store;
        let mark = format!("history-refused:{}:{}", x.code, x.details);
        if !r.first_time(store, Mark::Message(&mark))? {
            return Ok(());
        }
        info!(code = x.code, "the shared history was refused");
        let code = x.code.to_string();
        let details = if x.details.is_empty() {
            &x.title
        } else {
            &x.details
        };
        let text = self.t("history_refused", &[("code", &code), ("details", details)]);
        let txn_id = crate::matrix::txn_id("history-refused", &mark);
        r.push(store, ADMIN_QUEUE, &Work::AdminNotice { text, txn_id });
        Ok(())
    }

    /// A contact of the phone: its name kept (or forgotten), and given to the citizen's
    /// portal if there is one (only with `coexistence.contact_names`).
    pub(in crate::bridge) fn route_contact(
        &self,
        r: &mut Routed,
        c: ContactSync,
    ) -> Result<(), StoreError> {
        if !self.parts.config.raw.coexistence.contact_names {
            return Ok(());
        }
        let store = &self.parts.store;
        let phone = c.phone.expose();
        let name = c.name.filter(|_| !c.removed);
        r.ops.push(Store::contact_name_op(phone, name.as_deref()));
        let key = CitizenKey::Phone(c.phone.clone()).as_str();
        if let (Some(name), Some(citizen)) = (name, self.portals.identity_owner(r, &key)?) {
            r.push(store, &citizen, &Work::ContactName { name });
        }
        Ok(())
    }
}
