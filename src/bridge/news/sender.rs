//! Broadcasts: an approved draft is sent 1:1 to every eligible subscriber, paced, exactly once.
//!
//! The audience is read from the store page by page in key order (nothing unbounded in
//! memory); each recipient is checked at the moment of sending (blocked, unsubscribed,
//! marketing stopped, window). Exactly once: before a chunk of sends, one commit records each
//! recipient as `sending` with its ordinal and moves the cursor; after the answers, one commit
//! records `sent` (wamid) or the failure. Each send carries the tag `sportello-bc-<id>-<n>`
//! (`biz_opaque_callback_data`), which Meta echoes on its statuses and the router stores. After
//! a crash, a recipient still `sending` is resolved by its tag: a status seen → it was sent;
//! none within `broadcast.resolve_wait_secs` → *uncertain* (it may have left before the crash):
//! never sent again by itself. Nor is one whose request may have left before a transport error.
//! The report counts them; `!broadcast resend-uncertain <id>` lets an admin send them again.

use std::time::Duration;

use tracing::{info, warn};

use crate::bridge::engine::failure::Failure;
use crate::bridge::news::News;
use crate::ids::CitizenKey;
use crate::store::Meta;
use crate::store::{Broadcast, BroadcastState, RecipientSend, Store, StoreError};
use crate::store::{Bucket, RecipientState, Skip};
use crate::whatsapp::{GraphError, Handling};

use crate::bridge::news::message::mode_name;
use crate::bridge::news::pace::{Outcome, classify, tag};

/// The reason of a recipient whose decision panicked (see `decide`).
pub(in crate::bridge) const INTERNAL: &str = "internal_error";

impl Mode {
    /// The count a send in this mode adds to.
    fn bucket(self) -> Bucket {
        match self {
            Mode::FreeForm => Bucket::FreeForm,
            Mode::Template => Bucket::Template,
        }
    }
}

/// Why a recipient gets nothing: a reason to skip them, or a panic while deciding (failed,
/// never tried again).
pub(in crate::bridge) enum NotSent {
    Skip(Skip),
    Internal,
}
pub(in crate::bridge) use crate::bridge::news::pace::{Pace, parse_tag};

/// How a recipient gets the broadcast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::bridge) enum Mode {
    /// Inside the 24-hour window: the text as it is.
    FreeForm,
    /// Outside: the configured template, the text as its parameter.
    Template,
}

impl News {
    /// Starts the sender of a broadcast being sent, unless it runs already.
    pub(in crate::bridge) fn run_broadcast(&self, id: u64) {
        if !self
            .broadcasts_running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id)
        {
            return;
        }
        let b = self.clone();
        tokio::spawn(async move {
            b.broadcast_forever(id).await;
            b.broadcasts_running
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .remove(&id);
        });
    }

    /// Start-up: resume every broadcast that was being sent; follow recent reports.
    pub(in crate::bridge) fn resume_broadcasts(&self) {
        match self.parts.store.broadcasts() {
            Ok(all) => {
                let day = 24 * 3600;
                for b in all {
                    let recent = b.finished_at.is_some_and(|f| self.now_secs() < f + day);
                    if b.state == BroadcastState::Sending || recent {
                        self.run_broadcast(b.id);
                    }
                }
            }
            Err(e) => warn!("cannot read the broadcasts: {e}"),
        }
    }

    async fn broadcast_forever(&self, id: u64) {
        loop {
            match self.broadcast_once(id).await {
                // Sent, or shutting down. A resend asked for while the report was followed
                // makes it `sending` again: go round once more.
                Ok(()) => {
                    let again =
                        matches!(self.load(id), Ok(b) if b.state == BroadcastState::Sending);
                    if !again || self.parts.life.shutting_down() {
                        return;
                    }
                    continue;
                }
                Err(t) => warn!(
                    broadcast = id,
                    "broadcast interrupted, resuming: {}", t.reason
                ),
            }
            if self
                .parts
                .life
                .sleep_or_shutdown(Duration::from_secs(2))
                .await
            {
                return;
            }
        }
    }

    pub(in crate::bridge) fn load(&self, id: u64) -> Result<Broadcast, Failure> {
        self.parts
            .store
            .broadcast(id)?
            .ok_or_else(|| Failure::transient(format!("broadcast {id} vanished")))
    }

    async fn broadcast_once(&self, id: u64) -> Result<(), Failure> {
        let mut b = self.load(id)?;
        if b.state == BroadcastState::Sending {
            self.pin_unpinned_template(&mut b)?;
            self.upload_attachment(&mut b).await?;
            self.resolve_unknown(&mut b).await?;
            let mut pace = Pace::new(self.parts.config.broadcast_pace());
            let mut progress = crate::bridge::news::report::Progress::new(&b);
            if !self.send_audience(&mut b, &mut pace, &mut progress).await?
                || !self.send_deferred(&mut b, &mut pace, &mut progress).await?
            {
                return Ok(()); // shutting down: resumed at the next start
            }
            self.finish(&mut b, &progress).await?;
        }
        self.follow_report(id).await
    }

    /// Uploads the attachment to the Graph API once (its media id is kept in the broadcast).
    /// One WhatsApp cannot take is dropped, and the admin room told.
    async fn upload_attachment(&self, b: &mut Broadcast) -> Result<(), Failure> {
        let Some(a) = b.attachment.clone().filter(|a| a.media_id.is_none()) else {
            return Ok(());
        };
        let uploaded = match self.parts.matrix.download(&a.mxc).await {
            Ok((bytes, _)) => {
                self.parts
                    .graph
                    .upload_media(bytes, &a.mime, &a.filename)
                    .await
            }
            Err(e) if e.is_transient() => return Err(e.into()),
            Err(e) => Err(GraphError::Unexpected {
                status: 0,
                body: e.to_string(),
            }),
        };
        match uploaded {
            Ok(media_id) => {
                b.attachment = Some(crate::store::Attachment {
                    media_id: Some(media_id),
                    ..a
                });
            }
            Err(e) if matches!(e.handling(), Handling::Retry | Handling::Recipient) => {
                return Err(Failure::transient(e.to_string()));
            }
            Err(e) => {
                warn!(broadcast = b.id, "the attachment cannot be uploaded: {e}");
                b.attachment = None;
                // Without it, a media template's header could not be filled.
                b.template = self.choose_template(b)?.ok().flatten();
                let reason = e.explain(&self.parts.texts);
                let text = self.t(
                    "bc_attachment_failed",
                    &[("id", &b.id.to_string()), ("reason", &reason)],
                );
                let txn = crate::matrix::txn_id("bcattach", &format!("{}", b.id));
                self.post_or_edit(None, &txn, &text).await?;
            }
        }
        self.parts.store.commit(vec![Store::broadcast_op(b)])?;
        Ok(())
    }

    /// Who may get it now, and how; or why not (a `skipped:` reason).
    pub(in crate::bridge) fn eligibility(
        &self,
        b: &Broadcast,
        citizen: &str,
    ) -> Result<Result<(CitizenKey, Mode), Skip>, StoreError> {
        let store = &self.parts.store;
        if store.block(citizen)?.is_some() {
            return Ok(Err(Skip::Blocked));
        }
        let Some(sub) = store.subscription(citizen)? else {
            return Ok(Err(Skip::Unsubscribed));
        };
        let follows = match &b.topic {
            Some(t) => sub.topics.contains(t),
            None => !sub.topics.is_empty(),
        };
        if !follows {
            return Ok(Err(Skip::Unsubscribed));
        }
        if sub.marketing_stopped {
            return Ok(Err(Skip::MarketingStopped));
        }
        let portal = store.portal(citizen)?;
        let to = CitizenKey::parse(citizen)
            .and_then(|key| crate::bridge::portal::identity::reached_at(portal.as_ref(), &key));
        let Some(to) = to else {
            return Ok(Err(Skip::NoNumber));
        };
        let inside = crate::bridge::portal::window::is_open(
            portal.and_then(|p| p.last_inbound_at),
            self.now_secs() as i64,
        );
        let has_template = b.template.is_some();
        Ok(match (inside, has_template) {
            (true, _) => Ok((to, Mode::FreeForm)),
            (false, true) => Ok((to, Mode::Template)),
            (false, false) => Err(Skip::OutsideWindow),
        })
    }

    /// The main pass over the audience. False when interrupted by shutdown.
    async fn send_audience(
        &self,
        b: &mut Broadcast,
        pace: &mut Pace,
        progress: &mut crate::bridge::news::report::Progress,
    ) -> Result<bool, Failure> {
        let store = &self.parts.store;
        let chunk = (self.parts.config.broadcast_pace() as usize / 5).clamp(1, 200);
        loop {
            if self.parts.life.shutting_down() {
                return Ok(false);
            }
            if self.cancel_requested(b)? {
                return Ok(true);
            }
            let page = store.audience_page(b.topic.as_deref(), b.cursor.as_deref(), chunk)?;
            let Some(last) = page.last().cloned() else {
                return Ok(true);
            };
            let mut batch = Vec::new();
            let mut ops = Vec::new();
            for citizen in page {
                if store.recipient(b.id, &citizen)?.is_some() {
                    continue;
                }
                match self.decide(b, &citizen)? {
                    Err(NotSent::Internal) => {
                        let r = RecipientSend {
                            ordinal: b.next_ordinal,
                            state: RecipientState::Failed,
                            wamid: None,
                            detail: Some(INTERNAL.into()),
                            attempts: 0,
                            retry_at: 0,
                        };
                        b.next_ordinal += 1;
                        ops.push(Store::recipient_op(b.id, &citizen, &r));
                        self.count(b, Bucket::Failed(INTERNAL.into()));
                    }
                    Ok((to, mode)) => {
                        let r = RecipientSend {
                            ordinal: b.next_ordinal,
                            state: RecipientState::Sending,
                            wamid: None,
                            detail: Some(mode_name(mode).into()),
                            attempts: 0,
                            retry_at: 0,
                        };
                        b.next_ordinal += 1;
                        ops.push(Store::recipient_op(b.id, &citizen, &r));
                        batch.push((citizen, to, mode, r));
                    }
                    Err(NotSent::Skip(why)) => self.count(b, Bucket::Skipped(why)),
                }
            }
            b.cursor = Some(last);
            self.mark_and_send(b, ops, batch, pace, progress).await?;
        }
    }

    /// Recipients whose send must be tried again (throttled, interrupted, 5xx).
    async fn send_deferred(
        &self,
        b: &mut Broadcast,
        pace: &mut Pace,
        progress: &mut crate::bridge::news::report::Progress,
    ) -> Result<bool, Failure> {
        let store = &self.parts.store;
        loop {
            if self.cancel_requested(b)? {
                return Ok(true);
            }
            let mut due = Vec::new();
            let mut waiting: Option<u64> = None;
            for (citizen, r) in store.recipients_in(b.id, &RecipientState::Deferred)? {
                if r.retry_at <= self.now_secs() {
                    due.push((citizen, r));
                } else {
                    waiting = Some(waiting.map_or(r.retry_at, |w| w.min(r.retry_at)));
                }
            }
            if due.is_empty() && waiting.is_none() {
                return Ok(true);
            }
            for group in due.chunks(100) {
                if self.parts.life.shutting_down() {
                    return Ok(false);
                }
                if self.cancel_requested(b)? {
                    return Ok(true);
                }
                let mut batch = Vec::new();
                let mut ops = Vec::new();
                for (citizen, r) in group {
                    match self.decide(b, citizen)? {
                        Err(NotSent::Internal) => {
                            let mut r = r.clone();
                            r.state = RecipientState::Failed;
                            r.detail = Some(INTERNAL.into());
                            ops.push(Store::recipient_op(b.id, citizen, &r));
                            self.count(b, Bucket::Failed(INTERNAL.into()));
                        }
                        Ok((to, mode)) => {
                            let mut r = r.clone();
                            r.state = RecipientState::Sending;
                            ops.push(Store::recipient_op(b.id, citizen, &r));
                            batch.push((citizen.clone(), to, mode, r));
                        }
                        Err(NotSent::Skip(why)) => {
                            let mut r = r.clone();
                            r.state = RecipientState::Skipped(why);
                            ops.push(Store::recipient_op(b.id, citizen, &r));
                            self.count(b, Bucket::Skipped(why));
                        }
                    }
                }
                self.mark_and_send(b, ops, batch, pace, progress).await?;
            }
            if let Some(w) = waiting
                && due.is_empty()
            {
                let secs = w.saturating_sub(self.now_secs()).max(1);
                if self
                    .parts
                    .life
                    .sleep_or_shutdown(Duration::from_secs(secs))
                    .await
                {
                    return Ok(false);
                }
            }
        }
    }

    /// Commits the chunk's `sending` marks (and the broadcast's cursor) before anything leaves,
    /// sends it, and updates the progress message.
    async fn mark_and_send(
        &self,
        b: &mut Broadcast,
        mut ops: Vec<crate::store::Op>,
        batch: Vec<(String, CitizenKey, Mode, RecipientSend)>,
        pace: &mut Pace,
        progress: &mut crate::bridge::news::report::Progress,
    ) -> Result<(), Failure> {
        ops.push(Store::broadcast_op(b));
        self.parts.store.commit(ops)?;
        self.send_batch(b, batch, pace).await?;
        self.show_progress(b, progress, pace, false).await;
        Ok(())
    }

    /// Sends a batch at the pace, all at once in flight, and records every outcome.
    async fn send_batch(
        &self,
        b: &mut Broadcast,
        batch: Vec<(String, CitizenKey, Mode, RecipientSend)>,
        pace: &mut Pace,
    ) -> Result<(), Failure> {
        let mut tasks = tokio::task::JoinSet::new();
        for (i, (_, to, mode, r)) in batch.iter().enumerate() {
            let flight = pace.slot().await;
            let graph = self.parts.graph.clone();
            let message = self.broadcast_message(b, *mode);
            let (to, t) = (to.clone(), tag(b.id, r.ordinal));
            tasks.spawn(async move {
                let sent = graph.send_tagged(&to, &message, &t).await;
                drop(flight);
                (i, sent)
            });
        }
        let mut results: Vec<Option<Result<crate::whatsapp::Sent, GraphError>>> =
            batch.iter().map(|_| None).collect();
        while let Some(done) = tasks.join_next().await {
            if let Ok((i, res)) = done {
                results[i] = Some(res);
            }
        }
        let mut ops = Vec::new();
        let mut stopped = Vec::new();
        for ((citizen, _, mode, mut r), res) in batch.into_iter().zip(results) {
            r.attempts += 1;
            let outcome = match res {
                Some(Ok(sent)) => Outcome::Sent(sent.id.expose().to_owned()),
                Some(Err(e)) => classify(&e, r.attempts),
                None => Outcome::Unknown,
            };
            match outcome {
                Outcome::Sent(wamid) => {
                    pace.ok();
                    self.count(b, Bucket::Sent);
                    self.count(b, mode.bucket());
                    ops.push(Store::broadcast_wamid_op(&wamid, b.id));
                    r.state = RecipientState::Sent;
                    r.wamid = Some(wamid);
                }
                Outcome::Later {
                    after,
                    why,
                    throttled,
                } => {
                    if throttled {
                        pace.throttled();
                    }
                    r.state = RecipientState::Deferred;
                    r.retry_at = self.now_secs() + after;
                    r.detail = Some(why);
                }
                Outcome::Failed { code, why } => {
                    self.count(b, Bucket::Failed(format!("{code} {why}")));
                    if code == 131050 {
                        stopped.push(citizen.clone());
                    }
                    r.state = RecipientState::Failed;
                    r.detail = Some(format!("{code} {why}"));
                }
                Outcome::Unknown => {
                    self.count(b, Bucket::Uncertain);
                    r.state = RecipientState::Uncertain;
                }
            }
            ops.push(Store::recipient_op(b.id, &citizen, &r));
        }
        ops.push(Store::broadcast_op(b));
        self.parts.store.commit(ops)?;
        for c in stopped {
            self.marketing_stopped_now(&c)?;
        }
        Ok(())
    }

    /// `!cancel` on a broadcast being sent leaves a mark the sender honours here.
    fn cancel_requested(&self, b: &mut Broadcast) -> Result<bool, Failure> {
        let by = self.parts.store.meta(Meta::BroadcastCancel(b.id))?;
        if let Some(by) = by {
            b.state = BroadcastState::Cancelled;
            b.cancelled_by = Some(by);
            return Ok(true);
        }
        Ok(false)
    }

    async fn finish(
        &self,
        b: &mut Broadcast,
        progress: &crate::bridge::news::report::Progress,
    ) -> Result<(), Failure> {
        if b.state == BroadcastState::Sending {
            b.state = BroadcastState::Done;
        }
        b.finished_at = Some(self.now_secs());
        self.parts.store.commit(vec![Store::broadcast_op(b)])?;
        info!(broadcast = b.id, counts = ?b.counts, "broadcast finished");
        let pace = Pace::new(self.parts.config.broadcast_pace());
        let mut p = progress.clone();
        self.show_progress(b, &mut p, &pace, true).await;
        Ok(())
    }
}
