//! The router's thread. What the HTTP edge receives (a webhook, a transaction) is handed to
//! it, routed, and committed durably in one commit with whatever else arrived meanwhile; only
//! then is it acknowledged. That is one commit per batch, where keeping it in the inbox first
//! took an inbox write, a wake-up and a second commit. The inbox stays for what cannot be
//! routed at once (a store error; a delivery arriving while the bridge starts or stops; a dead
//! letter sent back by `!retry`) and for what a crash left there. It is routed first, so a
//! citizen's deliveries keep their order.

use std::panic::AssertUnwindSafe;
use std::sync::PoisonError;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use tokio::sync::oneshot;
use tracing::{error, info};

use crate::bridge::Bridge;
use crate::bridge::engine::router::{Arrival, BATCH};
use crate::store::{InboxEntry, Source, StoreError};

/// What the router's thread is told.
pub(in crate::bridge) enum Intake {
    /// A delivery, and where to answer once it is routed and durable (its sequence number).
    Deliver {
        source: Source,
        body: Vec<u8>,
        done: Answer,
    },
    /// The inbox has something new.
    Inbox,
    /// The bridge is stopping: what was handed over is still routed, nothing more is taken.
    Stop,
}

/// Where a delivery's answer goes: its sequence number once routed and durable.
type Answer = oneshot::Sender<Result<u64, StoreError>>;

/// The inbox is looked at again this often when nothing wakes the router (after a store
/// error).
const RETRY: Duration = Duration::from_secs(5);

impl Bridge {
    /// Starts the router's thread. It ends after the shutdown signal, once every delivery
    /// handed to it is routed (later ones go to the inbox, for the next start), or when every
    /// other handle on the bridge is gone: it holds only a weak one, as `Wake` does, so a
    /// bridge dropped without the signal (its runtime gone) does not keep it alive.
    pub(in crate::bridge) fn start_router(&self) -> tokio::task::JoinHandle<()> {
        let (tx, rx) = mpsc::channel();
        *self.intake() = Some(tx.clone());
        let life = self.inner.life.clone();
        tokio::spawn(async move {
            life.shutdown().await;
            let _ = tx.send(Intake::Stop);
        });
        let weak = std::sync::Arc::downgrade(&self.inner);
        tokio::task::spawn_blocking(move || route_forever(&weak, &rx))
    }

    fn intake(&self) -> std::sync::MutexGuard<'_, Option<mpsc::Sender<Intake>>> {
        self.inner
            .intake
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands a delivery to the router's thread and waits until it is routed and durable.
    /// `None` when the thread does not take it (not started, or stopping): the caller keeps
    /// it in the inbox.
    pub(in crate::bridge) async fn hand_over(
        &self,
        source: Source,
        body: &[u8],
    ) -> Option<Result<u64, StoreError>> {
        let tx = self.intake().clone()?;
        let (done, answer) = oneshot::channel();
        let body = body.to_vec();
        tx.send(Intake::Deliver { source, body, done }).ok()?;
        drop(tx);
        // The thread dropped it (a panic): not acknowledged, so Meta or Synapse sends it again.
        Some(answer.await.unwrap_or_else(|_| {
            Err(StoreError::new(
                "the router stopped before the delivery was routed",
            ))
        }))
    }

    /// Wakes the router's thread to look at the inbox.
    pub(in crate::bridge) fn wake_router(&self) {
        if let Some(tx) = self.intake().as_ref() {
            let _ = tx.send(Intake::Inbox);
        }
    }

    /// One turn of the router's thread: `first` and what else waits (up to a batch), the
    /// inbox before it.
    fn route_turn(&self, first: Intake, rx: &mpsc::Receiver<Intake>) {
        let mut batch = Vec::new();
        let mut next = Some(first);
        while let Some(m) = next.take() {
            match m {
                Intake::Deliver { source, body, done } => batch.push((source, body, done)),
                Intake::Inbox => {}
                Intake::Stop => {
                    info!("the router takes no more deliveries; routing what it has");
                    self.intake().take();
                }
            }
            if batch.len() < BATCH {
                next = rx.try_recv().ok();
            }
        }
        // The inbox first: what waits there arrived earlier.
        let inbox_clear = self.route_inbox();
        if !batch.is_empty() {
            self.route_handed_over(batch, inbox_clear);
        }
    }

    /// Routes what waits in the inbox; true when nothing is left there.
    fn route_inbox(&self) -> bool {
        match self.route_pending() {
            Ok(()) => true,
            Err(e) => {
                error!("routing the inbox failed, retrying: {e}");
                false
            }
        }
    }

    /// Routes deliveries handed over, in one durable commit, and answers each. When they
    /// cannot be routed now (a store error, or older deliveries still in the inbox) they are
    /// kept in the inbox instead, durably, behind what waits there.
    fn route_handed_over(&self, batch: Vec<(Source, Vec<u8>, Answer)>, inbox_clear: bool) {
        let store = &self.inner.store;
        let (entries, answers): (Vec<InboxEntry>, Vec<_>) = batch
            .into_iter()
            .map(|(source, body, done)| {
                let seq = store.next_seq();
                (InboxEntry { seq, source, body }, done)
            })
            .unzip();
        let routed = if inbox_clear {
            self.route_batch(&entries, Arrival::Edge)
        } else {
            Err(StoreError::new("older deliveries wait in the inbox"))
        };
        let result = match routed {
            Ok(wake) => {
                for c in wake {
                    self.kick(c);
                }
                Ok(())
            }
            Err(e) => {
                info!(
                    deliveries = entries.len(),
                    "kept in the inbox to be routed later: {e}"
                );
                store.inbox_keep(&entries)
            }
        };
        for (entry, done) in entries.iter().zip(answers) {
            let _ = done.send(result.clone().map(|()| entry.seq));
        }
    }
}

/// The router's thread: the inbox at once, then a turn per wake-up (or per [`RETRY`] without
/// one), each under `catch_unwind` — a panic drops the turn's batch unanswered (not
/// acknowledged, so sent again) and the thread goes on.
fn route_forever(weak: &std::sync::Weak<crate::bridge::Inner>, rx: &mpsc::Receiver<Intake>) {
    let turn = |first: Option<Intake>| {
        let Some(inner) = weak.upgrade() else {
            return false;
        };
        let b = Bridge { inner };
        let done = std::panic::catch_unwind(AssertUnwindSafe(|| match first {
            Some(first) => b.route_turn(first, rx),
            None => {
                b.route_inbox();
            }
        }));
        if done.is_err() {
            error!("the router panicked; the deliveries it held are not acknowledged");
        }
        true
    };
    if !turn(None) {
        return;
    }
    loop {
        let first = match rx.recv_timeout(RETRY) {
            Ok(m) => Some(m),
            Err(RecvTimeoutError::Timeout) => None,
            // Stopped (or the bridge gone), and every sender with it: nothing more can arrive.
            Err(RecvTimeoutError::Disconnected) => return,
        };
        if !turn(first) {
            return;
        }
    }
}

#[cfg(test)]
#[path = "intake_tests.rs"]
mod tests;
