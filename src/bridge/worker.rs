//! One worker per citizen with pending work: it takes the head of the citizen's queue,
//! processes it, and commits the outcome together with the item's removal. A transient
//! failure (homeserver down, Graph 5xx) keeps the item at the head and retries with
//! exponential backoff, so the citizen's later items wait behind it: order is never broken.

use std::time::Duration;

use tracing::{Instrument, error, info_span, warn};

use super::Bridge;
use super::work::{NoticeWork, Work};
use crate::ids::CitizenKey;
use crate::matrix::MatrixError;
use crate::store::{Op, Store};

/// The outcome of processing one item (short-lived: one per item, so not boxed).
#[allow(clippy::large_enum_variant)]
pub(super) enum Step {
    /// Finished: commit these writes and drop the item.
    Done(Vec<Op>),
    /// Replace the item by a follow-up (same place in the queue), committing these writes.
    Then(Work, Vec<Op>),
}

/// Not finished yet; try again later. `update` replaces the item first (e.g. attempt count);
/// `delay` overrides the exponential backoff (e.g. WhatsApp's 4^X s for 131056).
pub(super) struct Transient {
    pub reason: String,
    pub update: Option<Box<Work>>,
    pub delay: Option<Duration>,
}

impl Transient {
    pub fn new(reason: impl Into<String>) -> Self {
        Transient {
            reason: reason.into(),
            update: None,
            delay: None,
        }
    }
    pub fn with_update(mut self, work: Work) -> Self {
        self.update = Some(Box::new(work));
        self
    }
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }
}

impl From<MatrixError> for Transient {
    fn from(e: MatrixError) -> Self {
        Transient::new(e.to_string())
    }
}

impl From<crate::store::StoreError> for Transient {
    fn from(e: crate::store::StoreError) -> Self {
        Transient::new(e.to_string())
    }
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

impl Bridge {
    /// Makes sure the citizen's worker runs (it stops by itself when the queue is empty).
    pub(super) fn kick(&self, citizen: String) {
        let mut running = self.inner.running.lock().expect("poisoned");
        if running.insert(citizen.clone()) {
            let b = self.clone();
            let masked = CitizenKey::parse(&citizen)
                .map(|k| k.masked())
                .unwrap_or_default();
            tokio::spawn(
                async move { b.work_loop(citizen).await }
                    .instrument(info_span!("portal", citizen = %masked)),
            );
        }
    }

    /// Waits (up to `grace`) until no worker runs and no other task holds the bridge (so the
    /// store file is released when `run` returns); true if they all stopped.
    pub async fn workers_stopped(&self, grace: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + grace;
        loop {
            let idle = self.inner.running.lock().expect("poisoned").is_empty();
            if idle && std::sync::Arc::strong_count(&self.inner) == 1 {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn stop_worker(&self, citizen: &str) {
        self.inner.running.lock().expect("poisoned").remove(citizen);
    }

    async fn work_loop(&self, citizen: String) {
        let store = &self.inner.store;
        let mut backoff = Backoff {
            next: Backoff::FIRST,
            max: Duration::from_secs(self.inner.config.raw.bridge.retry_max_secs),
        };
        loop {
            if self.shutting_down() {
                return self.stop_worker(&citizen);
            }
            let item = match store.queue_head(&citizen) {
                Ok(Some(item)) => item,
                Ok(None) => {
                    // Re-check under the lock: a kick between the read and the removal
                    // would otherwise find the worker "running" and leave its item behind.
                    let mut running = self.inner.running.lock().expect("poisoned");
                    if matches!(store.queue_head(&citizen), Ok(None)) {
                        running.remove(&citizen);
                        return;
                    }
                    continue;
                }
                Err(e) => {
                    error!("cannot read the queue: {e}");
                    if self.sleep_or_shutdown(backoff.next()).await {
                        return self.stop_worker(&citizen);
                    }
                    continue;
                }
            };
            let work = match Work::from_bytes(&item.body) {
                Ok(w) => w,
                Err(e) => {
                    error!("a queue item cannot be read; moved to the dead letters: {e}");
                    let ops = vec![
                        store.dead_letter_op(&format!("unreadable queue item: {e}"), &item.body),
                        Store::queue_done_op(&item),
                    ];
                    if let Err(e) = store.commit(ops) {
                        error!("{e}");
                    }
                    continue;
                }
            };
            let result = self.process(&citizen, &item, work).await;
            let commit = match result {
                Ok(Step::Done(mut ops)) => {
                    backoff.reset();
                    ops.push(Store::queue_done_op(&item));
                    store.commit(ops)
                }
                Ok(Step::Then(next, mut ops)) => {
                    ops.push(Store::queue_update_op(&item, next.to_bytes()));
                    store.commit(ops)
                }
                Err(t) => {
                    let delay = t.delay.unwrap_or_else(|| backoff.next());
                    warn!(
                        retry_in_ms = delay.as_millis() as u64,
                        "not delivered yet, will retry: {}",
                        crate::ids::mask_text(&t.reason)
                    );
                    if let Some(u) = t.update
                        && let Err(e) =
                            store.commit(vec![Store::queue_update_op(&item, u.to_bytes())])
                    {
                        error!("{e}");
                    }
                    if self.sleep_or_shutdown(delay).await {
                        return self.stop_worker(&citizen);
                    }
                    Ok(())
                }
            };
            if let Err(e) = commit {
                error!("cannot record the outcome, retrying: {e}");
                if self.sleep_or_shutdown(backoff.next()).await {
                    return self.stop_worker(&citizen);
                }
            }
        }
    }

    async fn process(
        &self,
        citizen: &str,
        item: &crate::store::QueueItem,
        work: Work,
    ) -> Result<Step, Transient> {
        match work {
            Work::Citizen(c) => self.deliver_citizen_message(citizen, c).await,
            Work::Staff(s) => self.send_staff_message(item, s).await,
            Work::Status(st) => self.show_status(st).await,
            Work::WindowTopic => self.window_topic(citizen).await,
            Work::Command(c) => self.run_command(c).await,
            Work::BotSend(b) => self.bot_send(item, *b).await,
            Work::NewIdentity { phone, bsuid } => self.adopt_identity(citizen, phone, bsuid).await,
            Work::AdminNotice { text, txn_id } => {
                let room_id = self.ensure_admin_room().await?;
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
                let Some(wamid) = self.read_target(citizen, wamid, typing, event_id)? else {
                    return Ok(Step::Done(vec![]));
                };
                Ok(self.mark_read(&wamid, typing, queued_at).await)
            }
            Work::Notice(n) => {
                let mut content = crate::convert::notice(&n.text, n.reply_to.as_deref());
                if let Some(html) = &n.html {
                    content["format"] = serde_json::json!("org.matrix.custom.html");
                    content["formatted_body"] = serde_json::json!(html);
                }
                match self
                    .inner
                    .matrix
                    .send(None, &n.room_id, "m.room.message", &n.txn_id, &content)
                    .await
                {
                    Ok(_) => Ok(Step::Done(vec![])),
                    Err(e) if e.is_transient() => Err(e.into()),
                    Err(e) => {
                        error!("a notice could not be posted and is dropped: {e}");
                        Ok(Step::Done(vec![]))
                    }
                }
            }
        }
    }
}
