//! When a commit is durable. Every commit is atomic and visible at once; most are durable when
//! they return (`Store::commit`: a webhook is acknowledged, a message is sent to Meta, only
//! after one). A commit whose loss in a crash costs only a repeat that is found out may be
//! committed *soon* (`Store::commit_soon`): it becomes durable with the next durable commit, at
//! the latest [`FLUSH_WITHIN`] later (the flusher thread). Two kinds are:
//! - the worker's record that a citizen's message reached the homeserver, whose event carries
//!   its transaction id: a queue item whose outcome is lost is still at the head of its queue,
//!   and [`Store::may_have_run_before`] tells the worker to look before it repeats it;
//! - the router's commit, which moves deliveries from the inbox (durable before they were
//!   acknowledged) into the queues: lost, the deliveries are still in the inbox and are routed
//!   again; what that queues is noted ([`Store::note_may_have_run`]) so that the worker looks
//!   before it repeats it too ([`Store::may_have_been_routed`] tells the router).
//!
//! A crash rolls the store back to its last durable commit and never reorders commits, so
//! anything that cannot be repeated (a message to Meta) is preceded by a durable commit (its
//! in-flight mark), which takes every earlier soon commit in with it.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::group::GroupCommit;
use super::kv::{Kv, Op, StoreError};
use super::{QueueItem, Store, seq_of};

/// At most this long between a soon commit and the durable commit that takes it in.
pub const FLUSH_WITHIN: Duration = Duration::from_secs(1);

/// The store's writer: the group commit and its flusher, stopped (after a last flush) when
/// the last handle on the store is dropped.
pub(super) struct Writer {
    pub(super) group: Arc<GroupCommit>,
    /// The highest sequence number that may have lost its outcome: at opening, everything
    /// already stored; after soon commits were lost to a reopening, everything until then.
    horizon: Mutex<Horizon>,
    /// Queue items that routing a delivery again put in (see the module's comment); kept
    /// until the process ends (they are few: a backlog routed again after a restart), and then
    /// under the horizon anyway.
    requeued: Mutex<HashSet<Vec<u8>>>,
    flusher: Option<std::thread::JoinHandle<()>>,
}

#[derive(Default)]
struct Horizon {
    losses_seen: u64,
    seq: u64,
}

impl Writer {
    /// With a flusher thread (making soon commits durable within `flush`) when the backend
    /// makes a difference (on disk).
    pub(super) fn new(kv: &Arc<dyn Kv>, opened_at_seq: u64, flush: Option<Duration>) -> Writer {
        let group = Arc::new(GroupCommit::default());
        let flusher = flush.map(|within| {
            let (group, kv) = (group.clone(), kv.clone());
            std::thread::Builder::new()
                .name("store-flusher".into())
                .spawn(move || group.flush_soon_commits(&*kv, within))
                .expect("spawning the store's flusher thread")
        });
        Writer {
            group,
            horizon: Mutex::new(Horizon {
                losses_seen: kv.soon_commits_lost(),
                seq: opened_at_seq,
            }),
            requeued: Mutex::default(),
            flusher,
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.group.close();
        if let Some(t) = self.flusher.take() {
            let _ = t.join();
        }
    }
}

impl Store {
    /// Applies `ops` atomically and visibly at once; durable within [`FLUSH_WITHIN`] (or with
    /// any durable commit before that). Only for writes whose loss in a crash is repaired by
    /// doing the work again (see the module's comment).
    pub fn commit_soon(&self, ops: Vec<Op>) -> Result<(), StoreError> {
        self.writer.group.commit_soon(&*self.kv, ops)
    }

    /// Makes every commit so far durable (a durable commit with nothing in it).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.commit(vec![])
    }

    /// Whether the item was queued before this process opened the store, or before soon
    /// commits were lost: it may have been done already, its outcome lost with them.
    /// Or it was queued by routing again a delivery that may have been routed before
    /// ([`Store::note_may_have_run`]).
    pub fn may_have_run_before(&self, item: &QueueItem) -> bool {
        self.before_horizon(seq_of(&item.key))
            || self
                .writer
                .requeued
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .contains(&item.key)
    }

    /// Whether a delivery (its inbox sequence number) may have been routed before: it was
    /// stored before this process opened the store, or before soon commits were lost, so a
    /// routing whose commit was lost may have queued work that ran.
    pub fn may_have_been_routed(&self, inbox_seq: u64) -> bool {
        self.before_horizon(inbox_seq)
    }

    /// Notes the queue items `ops` puts in as ones that may have run before (routing a
    /// delivery again); before committing `ops`, so a worker never sees them un-noted.
    pub fn note_may_have_run(&self, ops: &[Op]) {
        let mut requeued = self
            .writer
            .requeued
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for op in ops
            .iter()
            .filter(|o| o.table == super::QUEUE && o.value.is_some())
        {
            requeued.insert(op.key.clone());
        }
    }

    fn before_horizon(&self, seq: u64) -> bool {
        let mut h = self
            .writer
            .horizon
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let losses = self.kv.soon_commits_lost();
        if losses != h.losses_seen {
            h.losses_seen = losses;
            h.seq = self.seq.load(Ordering::SeqCst);
        }
        seq <= h.seq
    }
}

#[cfg(test)]
#[path = "durability_tests.rs"]
pub(crate) mod tests;
