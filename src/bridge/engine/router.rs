//! The router: takes deliveries in arrival order, dedupes them (wamid, status, event id),
//! and moves each item into its citizen's queue. A delivery handed over by the HTTP edge
//! (`intake.rs`) is routed in the durable commit that acknowledges it; one kept in the inbox
//! (left by a crash, or by a store error) leaves it in the same commit that queues what it
//! carried, so nothing is lost or doubled by a crash. That commit is a soon one
//! (`store::durability`): a crash that loses it leaves the deliveries in the inbox, to be
//! routed again.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use tracing::{debug, error, info, info_span, warn};

use crate::bridge::Bridge;
use crate::bridge::engine::item::{CitizenWork, StatusWork, Work};
use crate::ids::{CitizenKey, plain_word};
use crate::store::{InboxEntry, Mark, Op, Source, Store, StoreError, Subscription};
use crate::whatsapp::webhook::{self, InboundMessage, Preference, Status, StatusUpdate, Update};

/// What routing one delivery produced: the writes, and the citizens to wake.
#[derive(Default)]
pub(in crate::bridge) struct Routed {
    pub ops: Vec<Op>,
    pub wake: Vec<String>,
    /// Marks, identities, subscriptions, statuses and broadcast counts written in this batch but not
    /// yet committed.
    marks: HashSet<String>,
    pub(in crate::bridge) identities: HashMap<String, String>,
    pub subs: HashMap<String, Option<Subscription>>,
    pub(in crate::bridge) stats: HashMap<u64, BTreeMap<String, u64>>,
    statuses: HashMap<String, crate::store::StatusRecord>,
}

impl Routed {
    /// The citizen's subscription as this batch leaves it.
    pub fn subscription(
        &self,
        store: &Store,
        citizen: &str,
    ) -> Result<Option<Subscription>, StoreError> {
        match self.subs.get(citizen) {
            Some(s) => Ok(s.clone()),
            None => store.subscription(citizen),
        }
    }

    pub(in crate::bridge) fn first_time(
        &mut self,
        store: &Store,
        mark: Mark<'_>,
    ) -> Result<bool, StoreError> {
        let key = mark.key();
        if self.marks.contains(&key) || store.seen(&mark)? {
            return Ok(false);
        }
        self.ops.push(Store::seen_op(&mark));
        self.marks.insert(key);
        Ok(true)
    }

    pub fn push(&mut self, store: &Store, citizen: &str, work: &Work) {
        self.ops
            .push(store.queue_push_op(citizen, &work.to_bytes()));
        if !self.wake.iter().any(|c| c == citizen) {
            self.wake.push(citizen.to_owned());
        }
    }
}

/// At most this many deliveries in one commit, from the inbox or handed over (`intake.rs`).
pub(in crate::bridge) const BATCH: usize = 64;

/// Where a batch of deliveries comes from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(in crate::bridge) enum Arrival {
    /// Stored in the inbox (durable since they were acknowledged): they leave it in the
    /// batch's commit, a soon one (see the module's comment).
    Inbox,
    /// Handed over by the HTTP edge and not stored yet (`intake.rs`): the batch's commit is
    /// durable, and only then are they acknowledged.
    Edge,
}

impl Bridge {
    /// Routes the inbox in batches: one commit per batch (the deliveries leave the inbox in
    /// the same commit that queues what they carried).
    pub(in crate::bridge) fn route_pending(&self) -> Result<(), StoreError> {
        loop {
            let batch = self.inner.store.inbox_pending(BATCH)?;
            if batch.is_empty() {
                return Ok(());
            }
            for c in self.route_batch(&batch, Arrival::Inbox)? {
                self.kick(c);
            }
        }
    }

    /// Routes `batch` in one commit and returns the queues to wake. A delivery whose routing
    /// panics is kept as a dead letter (whole, so `!retry` can route it again after a fix)
    /// and reported in the admin room; the batch is routed again without it. A store error
    /// routes nothing: the caller keeps the deliveries (in the inbox) for a later try.
    pub(in crate::bridge) fn route_batch(
        &self,
        batch: &[InboxEntry],
        arrival: Arrival,
    ) -> Result<Vec<String>, StoreError> {
        let mut poisoned: HashSet<u64> = HashSet::new();
        'again: loop {
            // Subscriptions change only under this lock (see `subscribe`).
            let _subs = self.inner.news.subscriptions_lock();
            let mut routed = Routed::default();
            // The writes of each delivery that may have been routed before.
            let mut replayed = Vec::new();
            for entry in batch {
                let start = routed.ops.len();
                let span = match entry.source {
                    Source::WhatsApp => info_span!("webhook", seq = entry.seq),
                    Source::Matrix => info_span!("transaction", seq = entry.seq),
                };
                let _entered = span.enter();
                if crate::failpoint::fires("router.store", &entry.body) {
                    return Err(StoreError::new("fail point router.store"));
                }
                if poisoned.contains(&entry.seq) {
                    self.dead_letter_delivery(&mut routed, entry);
                } else {
                    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
                        crate::failpoint::hit("router.delivery", &entry.body);
                        match entry.source {
                            Source::WhatsApp => self.route_webhook(entry, &mut routed),
                            Source::Matrix => self.route_transaction(entry, &mut routed),
                        }
                    }));
                    match result {
                        Ok(r) => r?,
                        Err(_) => {
                            // What the batch wrote so far may be half of this delivery's:
                            // drop it all and route the batch again without it.
                            error!("routing a delivery panicked; it is set aside");
                            poisoned.insert(entry.seq);
                            continue 'again;
                        }
                    }
                }
                if arrival == Arrival::Inbox {
                    if self.inner.store.may_have_been_routed(entry.seq) {
                        replayed.push(start..routed.ops.len());
                    }
                    routed.ops.push(Store::inbox_done_op(entry.seq));
                }
            }
            match arrival {
                // Soon: lost in a crash, the deliveries are still in the inbox (durable since
                // they were acknowledged) and are routed again; what a delivery that may have
                // been routed before queues is looked for before it is repeated.
                Arrival::Inbox => {
                    for ops in replayed {
                        self.inner.store.note_may_have_run(&routed.ops[ops]);
                    }
                    self.inner.store.commit_soon(routed.ops)?;
                }
                // Durable: the deliveries are acknowledged once it returns.
                Arrival::Edge => self.inner.store.commit(routed.ops)?,
            }
            return Ok(routed.wake);
        }
    }

    fn route_webhook(&self, entry: &InboxEntry, r: &mut Routed) -> Result<(), StoreError> {
        let store = &self.inner.store;
        let pnid = &self.inner.config.raw.whatsapp.phone_number_id;
        let updates = match webhook::parse(&entry.body, pnid) {
            Ok(u) => u,
            Err(e) => {
                warn!("a signed webhook could not be read and was kept as a dead letter: {e}");
                let origin = crate::store::Origin::Inbox { matrix: false };
                let (id, op) = store.dead_letter_from_op(&e.to_string(), &entry.body, Some(origin));
                r.ops.push(op);
                self.report_dead_letter(r, &e.to_string(), id);
                return Ok(());
            }
        };
        debug!(updates = updates.len(), "webhook parsed");
        for u in updates {
            match u {
                Update::Message(m) => self.route_message(r, m)?,
                Update::Status(s) => self.route_status(r, s)?,
                Update::Preference(p) => self.route_preference(r, p)?,
                Update::IdentityUpdate(u) => self.inner.portals.route_identity_update(r, u)?,
                Update::Template(e) => self.inner.templates.route_event(r, *e)?,
                Update::Echo(e) => self.inner.coexistence.route_echo(r, *e)?,
                Update::History(h) => self.inner.coexistence.route_history(r, *h),
                Update::HistoryMedia(m) => self.inner.coexistence.route_history_media(r, m)?,
                Update::HistoryRefused(x) => self.inner.coexistence.route_refusal(r, x)?,
                Update::ContactSync(c) => self.inner.coexistence.route_contact(r, c)?,
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
                    let (id, op) = store.dead_letter_from_op(&reason, &body, None);
                    r.ops.push(op);
                    self.report_dead_letter(r, &reason, id);
                }
            }
        }
        Ok(())
    }

    /// Meta refused a marketing message because the citizen stopped them (131050): their
    /// subscription notes it, as a `user_preferences` stop would.
    fn marketing_refused(&self, r: &mut Routed, s: &StatusUpdate) -> Result<(), StoreError> {
        if s.error().map(|e| e.0) != Some(131050) {
            return Ok(());
        }
        // A subscriber may never have written (no identity yet): their key is the number.
        let phone_key = s.recipient.clone().map(|p| CitizenKey::Phone(p).as_str());
        if let Some(c) = self.status_citizen(s)?.or(phone_key) {
            self.inner
                .news
                .apply_marketing(r, &c, true, "error_131050")?;
        }
        Ok(())
    }

    /// Keeps one monotonic status per outbound wamid (`sent` < `delivered` < `read`,
    /// `failed` terminal) and queues what staff should see behind the citizen's other work.
    fn route_status(&self, r: &mut Routed, s: StatusUpdate) -> Result<(), StoreError> {
        let store = &self.inner.store;
        if self.to_erased(&s)? {
            debug!(wamid = %s.id, "status of a message to an erased citizen dropped");
            return Ok(());
        }
        if !r.first_time(
            store,
            Mark::Status {
                wamid: s.id.expose(),
                status: s.status.as_str(),
            },
        )? {
            return Ok(());
        }
        let Some(new) = s.status.rank() else {
            info!(wamid = %s.id, status = %s.status, "ignored unknown status");
            return Ok(());
        };
        let previous = match r.statuses.get(s.id.expose()) {
            Some(st) => Some(st.clone()),
            None => store.status_record(s.id.expose())?,
        };
        let old_status = previous.as_ref().map(|p| p.status.clone());
        let old = old_status
            .as_deref()
            .and_then(|o| Status::from(o.to_owned()).rank())
            .unwrap_or(0);
        debug!(wamid = %s.id, status = %s.status, "status");
        if let Some(tag) = s
            .callback
            .as_deref()
            .filter(|t| crate::bridge::news::sender::parse_tag(t).is_some())
        {
            r.ops.push(Store::tag_op(tag, s.id.expose()));
        }
        if new <= old {
            return Ok(());
        }
        let record = Store::status_record_of(s.status.as_str(), pricing_of(&s, previous));
        r.ops.push(Store::status_record_op(s.id.expose(), &record));
        r.statuses.insert(s.id.expose().to_owned(), record);
        self.marketing_refused(r, &s)?;
        let broadcast = match s
            .callback
            .as_deref()
            .and_then(crate::bridge::news::sender::parse_tag)
        {
            Some((id, _)) => Some(id),
            None => store.broadcast_for_wamid(s.id.expose())?,
        };
        if let Some(id) = broadcast {
            // Counted per broadcast (for its report), not shown in any room.
            return self
                .inner
                .news
                .count_broadcast_status(r, id, old_status.as_deref(), &s);
        }
        if new < 2 {
            return Ok(());
        }
        match self.status_citizen(&s)? {
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

    /// A status, up to their erasure's second, of a message to a citizen since erased (a
    /// status loses nothing when dropped, so the erasure's own second counts as before).
    fn to_erased(&self, s: &StatusUpdate) -> Result<bool, StoreError> {
        let ids = [
            s.recipient.clone().map(CitizenKey::Phone),
            s.recipient_bsuid.clone().map(CitizenKey::Bsuid),
        ];
        let ids: Vec<CitizenKey> = ids.into_iter().flatten().collect();
        let erased = self.inner.portals.erasure_of(&ids)?;
        Ok(erased.is_some_and(|r| s.timestamp.is_none_or(|t| t <= r.at as i64)))
    }

    /// The citizen a status is about: through the message map, else the recipient's identity.
    fn status_citizen(&self, s: &StatusUpdate) -> Result<Option<String>, StoreError> {
        let store = &self.inner.store;
        if let Some(m) = store.event_for_wamid(s.id.expose())? {
            return Ok(store
                .portal_by_room(&m.room_id)?
                .map(|p| p.citizen.as_str()));
        }
        let ids = [
            s.recipient.clone().map(CitizenKey::Phone),
            s.recipient_bsuid.clone().map(CitizenKey::Bsuid),
        ];
        let mut found = None;
        for id in ids.into_iter().flatten() {
            found = found.or(store.citizen_for_identity(&id.as_str())?);
        }
        Ok(found)
    }

    /// Meta's marketing stop/resume for a citizen (known or not yet seen).
    fn route_preference(&self, r: &mut Routed, p: Preference) -> Result<(), StoreError> {
        let store = &self.inner.store;
        let key = match (&p.phone, &p.bsuid) {
            (Some(ph), _) => CitizenKey::Phone(ph.clone()),
            (None, Some(b)) => CitizenKey::Bsuid(b.clone()),
            (None, None) => return Ok(()),
        };
        if (self.inner.portals).erased_before(std::slice::from_ref(&key), p.timestamp)? {
            return Ok(());
        }
        let citizen_key = key.as_str();
        let mark = Mark::Preference {
            citizen: &citizen_key,
            value: &p.value,
            at: p.timestamp.unwrap_or(0),
        };
        if !r.first_time(store, mark)? {
            return Ok(());
        }
        let citizen = store
            .citizen_for_identity(&key.as_str())?
            .unwrap_or_else(|| key.as_str());
        match p.value.as_str() {
            "stop" => self
                .inner
                .news
                .apply_marketing(r, &citizen, true, "whatsapp_settings"),
            "resume" | "signup" => {
                self.inner
                    .news
                    .apply_marketing(r, &citizen, false, "whatsapp_settings")
            }
            other => {
                let (value, category) = (plain_word(other), plain_word(&p.category));
                info!(value, category, "user preference not handled; acknowledged");
                Ok(())
            }
        }
    }

    /// Finds (or assigns) the citizen key, so one citizen seen by phone and by BSUID keeps
    /// one queue and one room.
    fn route_message(&self, r: &mut Routed, m: InboundMessage) -> Result<(), StoreError> {
        let store = &self.inner.store;
        let identities: Vec<CitizenKey> = [
            m.phone.clone().map(CitizenKey::Phone),
            m.bsuid.clone().map(CitizenKey::Bsuid),
        ]
        .into_iter()
        .flatten()
        .collect();
        if self.inner.portals.erased_before(&identities, m.timestamp)? {
            // Sent before the citizen was erased (a retry, an old delivery): not taken in.
            info!(wamid = %m.id, "message from before the citizen's erasure dropped");
            return Ok(());
        }
        if !r.first_time(store, Mark::Message(m.id.expose()))? {
            debug!(wamid = %m.id, "duplicate delivery ignored");
            return Ok(());
        }
        let citizen = self
            .inner
            .portals
            .owner_of_any(r, &identities)?
            .unwrap_or_else(|| m.citizen_key().as_str());
        // A number or business-scoped id change: the new one is the same citizen.
        let changed = m.identity_change();
        for id in identities.iter().chain(&changed) {
            self.inner.portals.link_identity(r, id, &citizen)?;
        }
        if store.block(&citizen)?.is_some() {
            // Kept nowhere beyond the block record: only the dedupe mark is written.
            info!(wamid = %m.id, citizen = %m.citizen_key(), "message from a blocked citizen dropped");
            return Ok(());
        }
        let mut work = CitizenWork::from(&m);
        let cfg = &self.inner.config.raw.subscriptions;
        if let Some((intent, channel)) = crate::keywords::intent(&m.kind, &m.raw, cfg) {
            info!(wamid = %m.id, ?channel, "subscription keyword");
            work.keyword = Some(Box::new(self.inner.news.apply_intent(
                r,
                &citizen,
                Some(m.id.expose()),
                intent,
                channel,
                None,
            )?));
        }
        self.inner.privacy.route_request(r, &citizen, &mut work)?;
        info!(wamid = %m.id, citizen = %m.citizen_key(), kind = %m.kind, "citizen message queued");
        r.push(store, &citizen, &Work::Citizen(work));
        if let Some(new) = changed {
            self.inner.portals.queue_new_identity(r, &citizen, new);
        }
        Ok(())
    }
}

/// What Meta charges for a message: from this status, or from an earlier one (a `read` may
/// not say), one earlier in the same batch included.
fn pricing_of(
    s: &StatusUpdate,
    previous: Option<crate::store::StatusRecord>,
) -> Option<crate::store::Priced> {
    match &s.pricing {
        Some(p) => Some(crate::store::Priced {
            kind: p.kind.clone(),
            category: p.category.clone(),
        }),
        None => previous.and_then(|p| p.pricing),
    }
}

#[cfg(test)]
#[path = "router_tests.rs"]
pub(in crate::bridge) mod tests;
