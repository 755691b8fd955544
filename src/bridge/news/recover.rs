//! What the broadcast sender cannot know or decide by itself: recipients left `sending` by
//! a crash (resolved by their callback tag, else uncertain and never resent by the bridge), an
//! admin's decision to resend the uncertain ones, and a recipient whose decision panicked
//! (that recipient fails alone).

use std::time::{Duration, Instant};

use serde_json::json;
use tracing::{info, warn};

use crate::bridge::engine::failure::Failure;
use crate::bridge::news::News;
use crate::bridge::news::pace::tag;
use crate::bridge::news::sender::{Mode, NotSent};
use crate::ids::CitizenKey;
use crate::store::{Broadcast, BroadcastState, Store, StoreError};
use crate::store::{Bucket, RecipientState};

impl News {
    /// Recipients left `sending` by a crash: their tag's status says Meta got them; without
    /// one within `broadcast.resolve_wait_secs` (counted from now, whatever happened before)
    /// they are uncertain — perhaps sent before the crash — and are not sent again.
    pub(in crate::bridge) async fn resolve_unknown(
        &self,
        b: &mut Broadcast,
    ) -> Result<(), Failure> {
        let store = &self.parts.store;
        let wait = Duration::from_secs(self.parts.config.raw.broadcast.resolve_wait_secs);
        let started = Instant::now();
        loop {
            let mut open = 0;
            let mut ops = Vec::new();
            for (citizen, mut r) in store.recipients_in(b.id, &RecipientState::Sending)? {
                if let Some(wamid) = store.tag_wamid(&tag(b.id, r.ordinal))? {
                    info!(
                        broadcast = b.id,
                        "an interrupted send reached WhatsApp; not resent"
                    );
                    ops.push(Store::broadcast_wamid_op(&wamid, b.id));
                    r.state = RecipientState::Sent;
                    r.wamid = Some(wamid);
                    self.count(b, Bucket::Sent);
                    self.count(b, Bucket::SentAfterRestart);
                    ops.push(Store::recipient_op(b.id, &citizen, &r));
                } else if started.elapsed() >= wait {
                    warn!(
                        broadcast = b.id,
                        "an interrupted send has no status: uncertain, not resent"
                    );
                    r.state = RecipientState::Uncertain;
                    self.count(b, Bucket::Uncertain);
                    ops.push(Store::recipient_op(b.id, &citizen, &r));
                } else {
                    open += 1;
                }
            }
            if !ops.is_empty() {
                ops.push(Store::broadcast_op(b));
                store.commit(ops)?;
            }
            if open == 0 {
                return Ok(());
            }
            if self
                .parts
                .life
                .sleep_or_shutdown(Duration::from_millis(500))
                .await
            {
                return Err(Failure::transient("shutting down"));
            }
        }
    }

    /// An admin's decision to send the uncertain recipients again: they go back to
    /// `deferred`, and the broadcast to `sending` (its sender picks them up). How many.
    pub(in crate::bridge) fn resend_uncertain(&self, b: &mut Broadcast) -> Result<usize, Failure> {
        let store = &self.parts.store;
        let uncertain = store.recipients_in(b.id, &RecipientState::Uncertain)?;
        if uncertain.is_empty() {
            return Ok(0);
        }
        let mut ops = Vec::new();
        for (citizen, mut r) in uncertain.iter().cloned() {
            r.state = RecipientState::Deferred;
            r.retry_at = 0;
            r.detail = Some("resend_uncertain".into());
            ops.push(Store::recipient_op(b.id, &citizen, &r));
        }
        let n = uncertain.len() as u64;
        let left = b.count(&Bucket::Uncertain).saturating_sub(n);
        b.set_count(&Bucket::Uncertain, left);
        let resent = b.count(&Bucket::ResentUncertain) + n;
        b.set_count(&Bucket::ResentUncertain, resent);
        b.state = BroadcastState::Sending;
        b.finished_at = None;
        ops.push(Store::broadcast_op(b));
        store.commit(ops)?;
        self.run_broadcast(b.id);
        Ok(uncertain.len())
    }

    /// [`Self::eligibility`] under supervision: a panic while deciding one recipient fails
    /// that recipient alone (`NotSent::Internal`: the caller records it as failed, so it is not
    /// tried again) with a dead letter and a line for the admins; never the sender.
    pub(in crate::bridge) fn decide(
        &self,
        b: &Broadcast,
        citizen: &str,
    ) -> Result<Result<(CitizenKey, Mode), NotSent>, StoreError> {
        let decided = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            crate::failpoint::hit("broadcast.recipient", citizen.as_bytes());
            self.eligibility(b, citizen)
        }));
        let panic = match decided {
            Ok(decision) => return decision.map(|d| d.map_err(NotSent::Skip)),
            Err(panic) => panic,
        };
        let detail =
            crate::ids::mask_text(&crate::bridge::engine::failure::Failure::panic(&*panic).reason);
        let why = self.t("internal_error", &[("detail", &detail)]);
        tracing::error!(broadcast = b.id, "deciding a recipient panicked: {why}");
        let store = &self.parts.store;
        let body =
            serde_json::to_vec(&json!({"broadcast": b.id, "citizen": citizen})).unwrap_or_default();
        let (id, dead) = store.dead_letter_from_op(&why, &body, None);
        let line = crate::bridge::engine::item::Work::AdminNotice {
            text: self.t(
                "broadcast_recipient_panic",
                &[
                    ("broadcast", &b.id.to_string()),
                    ("who", &self.admin_room.whose(citizen)),
                    ("id", &id.to_string()),
                ],
            ),
            txn_id: crate::matrix::txn_id("bc-panic", &id.to_string()),
        };
        store.commit(vec![
            dead,
            store.queue_push_op(crate::bridge::engine::item::ADMIN_QUEUE, &line.to_bytes()),
        ])?;
        self.parts
            .wake
            .queue(crate::bridge::engine::item::ADMIN_QUEUE.to_owned());
        Ok(Err(NotSent::Internal))
    }
}
