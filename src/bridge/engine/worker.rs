//! One worker per citizen with pending work: it takes the head of the citizen's queue,
//! processes it, and commits the outcome together with the item's removal. A transient
//! failure (homeserver down, Graph 5xx) keeps the item at the head and retries with
//! exponential backoff, so the citizen's later items wait behind it: order is never broken.
//! The worker is also the supervisor of its items: a panic while one is handled, a
//! permanent failure, or a transient one past `bridge.give_up_after` gives that item up
//! (`give_up.rs`) and the worker goes on with the next.

use std::panic::AssertUnwindSafe;
use std::sync::PoisonError;
use std::time::Duration;

use futures_util::FutureExt;
use tracing::{Instrument, error, info_span, warn};

use crate::bridge::Bridge;
use crate::bridge::engine::failure::{Class, Failure};
use crate::bridge::engine::item::{NoticeWork, Queue, Work};
use crate::ids::mask_text;
use crate::store::{Failing, Op, QueueItem, Store, StoreError};

/// The outcome of processing one item (short-lived: one per item, so not boxed).
#[allow(clippy::large_enum_variant)]
pub(in crate::bridge) enum Step {
    /// Finished: commit these writes and drop the item.
    Done(Vec<Op>),
    /// Replace the item by a follow-up (same place in the queue), committing these writes.
    Then(Work, Vec<Op>),
}

struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(500);
    fn next(&mut self) -> Duration {
        let d = self.next;
        self.next = (self.next * 2).min(self.max);
        d
    }
    fn reset(&mut self) {
        self.next = Self::FIRST;
    }
}

/// What the worker does after a failure.
pub(in crate::bridge) enum Retry {
    /// The item was given up: go on with the next at once.
    Now,
    /// Try the same item again after this delay (or the backoff's next).
    After(Option<Duration>),
}

impl Bridge {
    /// Makes sure the citizen's worker runs (it stops by itself when the queue is empty).
    /// `key` is the queue's store key, read here once into a [`Queue`].
    pub(in crate::bridge) fn kick(&self, key: String) {
        let queue = Queue::parse(&key);
        let mut running = self
            .inner
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if running.insert(key.clone()) {
            let b = self.clone();
            let span = info_span!("portal", citizen = %queue);
            tokio::spawn(async move { b.work_loop(key, queue).await }.instrument(span));
        }
    }

    /// Lets go of this handle and waits (up to `grace`) until every task holding the bridge
    /// (workers, senders, sweepers) has ended, so the store file is released when `run`
    /// returns; true if they all stopped. The signal is the closing of the channel whose
    /// only sender lives in the shared state: it closes when the last handle drops.
    pub async fn stopped(self, grace: Duration) -> bool {
        let rx = self
            .inner
            .gone
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(self);
        let Some(mut rx) = rx else {
            return false;
        };
        tokio::time::timeout(grace, rx.recv()).await.is_ok()
    }

    fn stop_worker(&self, citizen: &str) {
        self.inner
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(citizen);
    }

    async fn work_loop(&self, key: String, queue: Queue) {
        let mut backoff = Backoff {
            next: Backoff::FIRST,
            max: Duration::from_secs(self.inner.config.raw.bridge.retry_max_secs),
        };
        loop {
            if self.shutting_down() {
                return self.stop_worker(&key);
            }
            let item = match self.head_or_stop(&key) {
                None => return,
                Some(Ok(item)) => item,
                Some(Err(e)) => {
                    error!("cannot read the queue: {e}");
                    if self.sleep_or_shutdown(backoff.next()).await {
                        return self.stop_worker(&key);
                    }
                    continue;
                }
            };
            // At most `bridge.max_busy_workers` items at once, over every queue.
            let Ok(_busy) = self.inner.busy.acquire().await else {
                return self.stop_worker(&key);
            };
            let handled = self.supervised(&queue, &item).await;
            let commit = match handled {
                Ok((Step::Done(mut ops), soon)) => {
                    backoff.reset();
                    ops.push(Store::queue_done_op(&item));
                    ops.push(Store::failing_clear_op(&item));
                    self.commit_and_wake(ops, soon)
                }
                Ok((Step::Then(next, mut ops), soon)) => {
                    ops.push(Store::queue_update_op(&item, next.to_bytes()));
                    self.commit_and_wake(ops, soon)
                }
                Err(f) => match self.retry_or_give_up(&queue, &item, f) {
                    Retry::Now => {
                        backoff.reset();
                        Ok(())
                    }
                    Retry::After(delay) => {
                        if self
                            .sleep_or_shutdown(delay.unwrap_or_else(|| backoff.next()))
                            .await
                        {
                            return self.stop_worker(&key);
                        }
                        Ok(())
                    }
                },
            };
            if let Err(e) = commit {
                error!("cannot record the outcome, retrying: {e}");
                if self.sleep_or_shutdown(backoff.next()).await {
                    return self.stop_worker(&key);
                }
            }
        }
    }

    /// The queue's head; `None` when the queue is empty, and then the worker no longer runs.
    fn head_or_stop(&self, citizen: &str) -> Option<Result<QueueItem, StoreError>> {
        let store = &self.inner.store;
        loop {
            match store.queue_head(citizen) {
                Ok(Some(item)) => return Some(Ok(item)),
                Err(e) => return Some(Err(e)),
                Ok(None) => {
                    // Re-check under the lock: a kick between the read and the removal
                    // would otherwise find the worker "running" and leave its item behind.
                    let mut running = self
                        .inner
                        .running
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner);
                    if matches!(store.queue_head(citizen), Ok(None)) {
                        running.remove(citizen);
                        return None;
                    }
                }
            }
        }
    }

    /// Handles one item under the supervisor: a panic is this item's failure, not the
    /// worker's end.
    /// And whether its outcome may be committed soon ([`Work::outcome_can_wait`]).
    async fn supervised(&self, queue: &Queue, item: &QueueItem) -> Result<(Step, bool), Failure> {
        match Work::from_bytes(&item.body) {
            Ok(work) => {
                let soon = work.outcome_can_wait();
                AssertUnwindSafe(self.process(queue, item, work))
                    .catch_unwind()
                    .await
                    .unwrap_or_else(|panic| Err(Failure::panic(&*panic)))
                    .map(|step| (step, soon))
            }
            Err(e) => Err(Failure::permanent(format!("unreadable queue item: {e}"))),
        }
    }

    /// Commits an item's outcome; items it queued elsewhere (a command's message for a
    /// citizen, a line for the admins) are in the same commit, and their workers are woken
    /// after it, never before.
    /// `soon`: the outcome may wait for the next durable commit (see `store::durability`).
    fn commit_and_wake(&self, ops: Vec<Op>, soon: bool) -> Result<(), crate::store::StoreError> {
        let wake = Store::queues_pushed(&ops);
        if soon {
            self.inner.store.commit_soon(ops)?;
        } else {
            self.inner.store.commit(ops)?;
        }
        for c in wake {
            self.kick(c);
        }
        Ok(())
    }

    /// Whether an earlier attempt at the item may have reached the homeserver: it failed
    /// before, or it was queued before this process opened the store (or before commits not
    /// yet durable were lost), so its outcome may have been lost after the homeserver took it.
    fn may_be_a_repeat(&self, item: &QueueItem) -> bool {
        matches!(self.inner.store.failing(item), Ok(Some(_)))
            || self.inner.store.may_have_run_before(item)
    }

    /// A failed item: retried later (its failure recorded, for `!queues` and the give-up
    /// clock), or given up — permanent, or transient for longer than `bridge.give_up_after`.
    pub(in crate::bridge) fn retry_or_give_up(
        &self,
        queue: &Queue,
        item: &QueueItem,
        f: Failure,
    ) -> Retry {
        let store = &self.inner.store;
        let reason = if f.internal {
            error!(
                "internal error while handling an item: {}",
                mask_text(&f.reason)
            );
            self.t("internal_error", &[("detail", &mask_text(&f.reason))])
        } else {
            mask_text(&f.reason)
        };
        let now = self.now_secs();
        let previous = store.failing(item).ok().flatten();
        let give_up = match f.class {
            Class::Permanent => Some(reason.clone()),
            Class::Transient => {
                let since = previous.as_ref().map(|r| r.since);
                let limit = self.inner.config.raw.bridge.give_up_after();
                since
                    .filter(|s| now.saturating_sub(*s) >= limit.as_secs())
                    .map(|_| {
                        let after = self.inner.config.raw.bridge.give_up_after.clone();
                        self.t("gave_up_after", &[("after", &after), ("reason", &reason)])
                    })
            }
        };
        if let Some(why) = give_up {
            error!("an item was given up and kept as a dead letter: {why}");
            return match self.give_up(queue, item, &why) {
                Ok(()) => Retry::Now,
                Err(e) => {
                    error!("cannot record the dead letter, retrying: {e}");
                    Retry::After(None)
                }
            };
        }
        warn!("not delivered yet, will retry: {reason}");
        let record = Failing {
            since: previous.as_ref().map_or(now, |p| p.since),
            attempts: previous.map_or(1, |p| p.attempts + 1),
            last_error: reason,
        };
        let mut ops = vec![Store::failing_op(item, &record)];
        if let Some(u) = f.update {
            ops.push(Store::queue_update_op(item, u.to_bytes()));
        }
        if let Err(e) = store.commit(ops) {
            error!("{e}");
        }
        Retry::After(f.delay)
    }

    async fn process(
        &self,
        queue: &Queue,
        item: &crate::store::QueueItem,
        work: Work,
    ) -> Result<Step, Failure> {
        crate::failpoint::hit("worker.item", &item.body);
        let citizen = || {
            queue
                .citizen()
                .ok_or_else(|| Failure::permanent("queue item for an unreadable citizen key"))
        };
        match work {
            Work::Citizen(c) => {
                let retried = self.may_be_a_repeat(item);
                self.inner
                    .portals
                    .deliver_citizen_message(citizen()?, c, retried)
                    .await
            }
            Work::Staff(s) => self.inner.portals.send_staff_message(item, s).await,
            Work::Status(st) => self.inner.portals.show_status(st).await,
            Work::WindowTopic => self.inner.portals.window_topic(citizen()?).await,
            Work::Command(c) => self.inner.admin.run_command(c).await,
            Work::BotSend(b) => self.inner.news.bot_send(item, *b).await,
            Work::NewIdentity { phone, bsuid } => {
                self.inner
                    .portals
                    .adopt_identity(citizen()?, phone, bsuid)
                    .await
            }
            Work::StaffLeft { user, event_id } => {
                self.inner.portals.staff_left(citizen()?, &user, &event_id)
            }
            Work::AdminNotice { text, txn_id } => {
                let room_id = self.inner.admin_room.ensure().await?;
                let n = NoticeWork {
                    room_id,
                    html: None,
                    text,
                    reply_to: None,
                    txn_id,
                };
                Ok(Step::Then(Work::Notice(n), vec![]))
            }
            Work::MarkRead {
                wamid,
                typing,
                queued_at,
                event_id,
            } => {
                let Some(wamid) =
                    self.inner
                        .portals
                        .read_target(citizen()?, wamid, typing, event_id)?
                else {
                    return Ok(Step::Done(vec![]));
                };
                Ok(self
                    .inner
                    .portals
                    .mark_read(&wamid, typing, queued_at)
                    .await)
            }
            Work::Notice(n) => self.post_notice(&n).await,
            Work::TemplateEvent(e) => self.inner.templates.on_event(&e).await,
            Work::Conversation(e) => self.inner.portals.conversation_event(citizen()?, e).await,
            Work::ShowConversation => self.inner.portals.redraw_conversation(citizen()?).await,
            Work::MoveGhost => self.inner.portals.move_ghost(citizen()?).await,
            Work::Forget(f) => self.inner.privacy.forget(citizen()?, *f).await,
            w @ (Work::Echo(_)
            | Work::History(_)
            | Work::HistoryComplete
            | Work::ContactName { .. }) => self.process_coexistence(queue, item, w).await,
        }
    }

    /// What the WhatsApp Business app brought (see `bridge/coexistence`).
    async fn process_coexistence(
        &self,
        queue: &Queue,
        item: &crate::store::QueueItem,
        work: Work,
    ) -> Result<Step, Failure> {
        let coexistence = &self.inner.coexistence;
        if let Work::HistoryComplete = work {
            return coexistence.share_history().await;
        }
        let citizen = queue
            .citizen()
            .ok_or_else(|| Failure::permanent("queue item for an unreadable citizen key"))?;
        match work {
            Work::Echo(e) => {
                let retried = self.may_be_a_repeat(item);
                coexistence.deliver_echo(citizen, *e, retried).await
            }
            Work::History(h) => coexistence.import_history(citizen, item, *h).await,
            Work::ContactName { name } => coexistence.contact_named(citizen, name).await,
            _ => Ok(Step::Done(vec![])),
        }
    }

    /// A notice of the bridge's in its room, as the bot.
    async fn post_notice(&self, n: &NoticeWork) -> Result<Step, Failure> {
        let mut content = crate::convert::notice(&n.text, n.reply_to.as_deref());
        if let Some(html) = &n.html {
            content["format"] = serde_json::json!("org.matrix.custom.html");
            content["formatted_body"] = serde_json::json!(html);
        }
        self.inner
            .matrix
            .send(None, &n.room_id, "m.room.message", &n.txn_id, &content)
            .await?;
        Ok(Step::Done(vec![]))
    }
}
