//! The router: takes persisted deliveries from the inbox in arrival order, dedupes them
//! (wamid, status, event id), and moves each item into its citizen's queue — in the same
//! commit that removes the delivery from the inbox, so nothing is lost or doubled by a crash.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use tracing::{Instrument, debug, error, info, info_span, warn};

use super::Bridge;
use super::work::{CitizenWork, CommandWork, StaffWork, StatusWork, Work};
use crate::ids::CitizenKey;
use crate::matrix::types::{parse_ephemeral, parse_transaction};
use crate::store::{InboxEntry, Op, Source, Store, StoreError};
use crate::whatsapp::webhook::{self, InboundMessage, StatusUpdate, Update};

/// What routing one delivery produced: the writes, and the citizens to wake.
#[derive(Default)]
struct Routed {
    ops: Vec<Op>,
    wake: Vec<String>,
    /// Marks and identities written in this batch but not yet committed.
    marks: HashSet<String>,
    identities: HashMap<String, String>,
}

impl Routed {
    fn first_time(&mut self, store: &Store, mark: String) -> Result<bool, StoreError> {
        if self.marks.contains(&mark) || store.seen(&mark)? {
            return Ok(false);
        }
        self.ops.push(Store::seen_op(&mark));
        self.marks.insert(mark);
        Ok(true)
    }

    fn push(&mut self, store: &Store, citizen: &str, work: &Work) {
        self.ops
            .push(store.queue_push_op(citizen, &work.to_bytes()));
        if !self.wake.iter().any(|c| c == citizen) {
            self.wake.push(citizen.to_owned());
        }
    }
}

impl Bridge {
    pub(super) async fn route_forever(&self) {
        loop {
            if self.shutting_down() {
                break;
            }
            if let Err(e) = self.route_pending().await {
                error!("routing the inbox failed, retrying: {e}");
            }
            let mut rx = self.inner.shutdown.clone();
            tokio::select! {
                _ = self.inner.inbox.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                _ = rx.wait_for(|v| *v) => break,
            }
        }
    }

    async fn route_pending(&self) -> Result<(), StoreError> {
        loop {
            let batch = self.inner.store.inbox_pending(64)?;
            if batch.is_empty() {
                return Ok(());
            }
            for entry in batch {
                let span = match entry.source {
                    Source::WhatsApp => info_span!("webhook", seq = entry.seq),
                    Source::Matrix => info_span!("transaction", seq = entry.seq),
                };
                let mut routed = async {
                    match entry.source {
                        Source::WhatsApp => self.route_webhook(&entry),
                        Source::Matrix => self.route_transaction(&entry),
                    }
                }
                .instrument(span)
                .await?;
                routed.ops.push(Store::inbox_done_op(entry.seq));
                self.inner.store.commit(routed.ops)?;
                for c in routed.wake {
                    self.kick(c);
                }
            }
        }
    }

    fn route_webhook(&self, entry: &InboxEntry) -> Result<Routed, StoreError> {
        let store = &self.inner.store;
        let mut r = Routed::default();
        let pnid = &self.inner.config.raw.whatsapp.phone_number_id;
        let updates = match webhook::parse(&entry.body, pnid) {
            Ok(u) => u,
            Err(e) => {
                warn!("a signed webhook could not be read and was kept as a dead letter: {e}");
                r.ops
                    .push(store.dead_letter_op(&e.to_string(), &entry.body));
                self.report_dead_letter(&mut r, &e.to_string(), entry.seq);
                return Ok(r);
            }
        };
        debug!(updates = updates.len(), "webhook parsed");
        for u in updates {
            match u {
                Update::Message(m) => self.route_message(&mut r, m)?,
                Update::Status(s) => self.route_status(&mut r, s)?,
                Update::Errors(errs) => {
                    let codes: Vec<String> = errs.iter().map(|e| e["code"].to_string()).collect();
                    warn!(codes = ?codes, "WhatsApp reported errors that belong to no message");
                }
                Update::Other { field } => info!(
                    field,
                    "webhook field not handled by this version; acknowledged"
                ),
                Update::ForeignNumber => debug!("update for another phone number id; dropped"),
                Update::Bad { reason, raw } => {
                    warn!(
                        "an item of a webhook could not be used and was kept as a dead letter: {reason}"
                    );
                    let body = serde_json::to_vec(&raw).unwrap_or_default();
                    r.ops.push(store.dead_letter_op(&reason, &body));
                    self.report_dead_letter(&mut r, &reason, entry.seq);
                }
            }
        }
        Ok(r)
    }

    /// Tells the admin room that something Meta sent was kept as a dead letter.
    fn report_dead_letter(&self, r: &mut Routed, reason: &str, seq: u64) {
        let args = [
            ("reason", crate::ids::mask_text(reason)),
            ("seq", seq.to_string()),
        ];
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let notice = Work::AdminNotice {
            text: self.t("dead_letter", &args),
            txn_id: super::inbound::txn_id("dead", &format!("{seq}|{reason}")),
        };
        r.push(&self.inner.store, super::admin::ADMIN_QUEUE, &notice);
    }

    /// Keeps one monotonic status per outbound wamid (`sent` < `delivered` < `read`,
    /// `failed` terminal) and queues what staff should see behind the citizen's other work.
    fn route_status(&self, r: &mut Routed, s: StatusUpdate) -> Result<(), StoreError> {
        let store = &self.inner.store;
        if !r.first_time(store, format!("s:{}:{}", s.id.expose(), s.status))? {
            return Ok(());
        }
        let rank = |st: &str| match st {
            "accepted" => 0,
            "sent" => 1,
            "delivered" => 2,
            "read" | "played" => 3,
            "failed" => 4,
            _ => -1,
        };
        let new = rank(&s.status);
        if new < 0 {
            info!(wamid = %s.id, status = %s.status, "ignored unknown status");
            return Ok(());
        }
        let old = store.status(s.id.expose())?.map(|o| rank(&o)).unwrap_or(0);
        debug!(wamid = %s.id, status = %s.status, "status");
        if new <= old {
            return Ok(());
        }
        r.ops.push(Store::status_op(s.id.expose(), &s.status));
        if new < 2 {
            return Ok(());
        }
        // The citizen: through the message map, else the recipient's identity.
        let citizen = match store.event_for_wamid(s.id.expose())? {
            Some(m) => store.portal_by_room(&m.room_id)?.map(|p| p.citizen),
            None => {
                let ids = [
                    s.recipient.clone().map(CitizenKey::Phone),
                    s.recipient_bsuid.clone().map(CitizenKey::Bsuid),
                ];
                let mut found = None;
                for id in ids.into_iter().flatten() {
                    found = found.or(store.citizen_for_identity(&id.as_str())?);
                }
                found
            }
        };
        match citizen {
            Some(c) => {
                let work = Work::Status(StatusWork {
                    wamid: s.id.expose().to_owned(),
                    status: s.status.clone(),
                    error: s.error(),
                });
                r.push(store, &c, &work);
            }
            None => {
                debug!(wamid = %s.id, "status for a message the bridge did not send; recorded only")
            }
        }
        Ok(())
    }

    /// Finds (or assigns) the citizen key, so one citizen seen by phone and by BSUID keeps
    /// one queue and one room.
    fn route_message(&self, r: &mut Routed, m: InboundMessage) -> Result<(), StoreError> {
        let store = &self.inner.store;
        if !r.first_time(store, format!("w:{}", m.id.expose()))? {
            debug!(wamid = %m.id, "duplicate delivery ignored");
            return Ok(());
        }
        let identities: Vec<String> = [
            m.phone.clone().map(CitizenKey::Phone),
            m.bsuid.clone().map(CitizenKey::Bsuid),
        ]
        .into_iter()
        .flatten()
        .map(|k| k.as_str())
        .collect();
        let mut citizen = None;
        for id in &identities {
            if let Some(c) = r.identities.get(id).cloned() {
                citizen = Some(c);
                break;
            }
            if let Some(c) = store.citizen_for_identity(id)? {
                citizen = Some(c);
                break;
            }
        }
        let citizen = citizen.unwrap_or_else(|| m.citizen_key().as_str());
        for id in identities {
            if r.identities.get(&id) != Some(&citizen)
                && store.citizen_for_identity(&id)?.as_ref() != Some(&citizen)
            {
                r.ops.push(Store::identity_op(&id, &citizen));
                r.identities.insert(id, citizen.clone());
            }
        }
        if store.block(&citizen)?.is_some() {
            // Kept nowhere beyond the block record: only the dedupe mark is written.
            info!(wamid = %m.id, citizen = %m.citizen_key(), "message from a blocked citizen dropped");
            return Ok(());
        }
        info!(wamid = %m.id, citizen = %m.citizen_key(), kind = %m.kind, "citizen message queued");
        r.push(store, &citizen, &Work::Citizen(CitizenWork::from(&m)));
        Ok(())
    }

    fn route_transaction(&self, entry: &InboxEntry) -> Result<Routed, StoreError> {
        let store = &self.inner.store;
        let mut r = Routed::default();
        for e in parse_ephemeral(&entry.body) {
            if let Some((citizen, wamid, typing)) = self.route_ephemeral(e)? {
                let work = Work::MarkRead {
                    wamid,
                    typing,
                    queued_at: crate::store::now_secs(),
                };
                r.push(store, &citizen, &work);
            }
        }
        let events = match parse_transaction(&entry.body) {
            Ok(e) => e,
            Err(e) => {
                warn!(
                    "a transaction from the homeserver could not be read and was kept as a dead letter: {e}"
                );
                r.ops.push(store.dead_letter_op(&e, &entry.body));
                return Ok(r);
            }
        };
        for ev in events {
            let ev = match ev {
                Ok(ev) => ev,
                Err(e) => {
                    warn!("skipped an unreadable event in a transaction: {e}");
                    continue;
                }
            };
            const BRIDGED: [&str; 6] = [
                "m.room.message",
                "m.sticker",
                "m.reaction",
                "m.room.redaction",
                "m.poll.start",
                "org.matrix.msc3381.poll.start",
            ];
            if self.is_own_user(&ev.sender) || !BRIDGED.contains(&ev.event_type.as_str()) {
                continue;
            }
            if !r.first_time(store, format!("e:{}", ev.event_id))? {
                debug!(event_id = %ev.event_id, "event already handled");
                continue;
            }
            let body = ev.raw["content"]["body"].as_str().unwrap_or("").to_owned();
            let text =
                ev.event_type == "m.room.message" && ev.raw["content"]["msgtype"] == "m.text";
            if self.admin_room_id().as_deref() == Some(ev.room_id.as_str()) {
                if text {
                    info!(event_id = %ev.event_id, sender = %ev.sender, "admin-room command queued");
                    let work = Work::Command(CommandWork {
                        event_id: ev.event_id,
                        room_id: ev.room_id,
                        sender: ev.sender,
                        body,
                        citizen: None,
                    });
                    r.push(store, super::admin::ADMIN_QUEUE, &work);
                }
                continue;
            }
            let Some(portal) = store.portal_by_room(&ev.room_id)? else {
                debug!(room_id = %ev.room_id, "message outside any portal; ignored");
                continue;
            };
            // A `!command` in a portal (other than !template, which is a send) is not for the citizen.
            if let (true, crate::commands::Line::Command(p)) =
                (text, crate::commands::parse(&body, false))
                && p.spec.name != "template"
            {
                info!(event_id = %ev.event_id, command = p.spec.name, "portal command queued");
                let work = Work::Command(CommandWork {
                    event_id: ev.event_id,
                    room_id: ev.room_id,
                    sender: ev.sender,
                    body,
                    citizen: Some(portal.citizen.clone()),
                });
                r.push(store, &portal.citizen, &work);
                continue;
            }
            info!(event_id = %ev.event_id, sender = %ev.sender, "staff message queued");
            let work = Work::Staff(StaffWork {
                event_id: ev.event_id,
                room_id: ev.room_id,
                sender: ev.sender,
                event: ev.raw,
                in_flight: false,
                attempts: 0,
            });
            r.push(store, &portal.citizen, &work);
        }
        Ok(r)
    }
}
