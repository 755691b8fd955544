//! Group commit: callers that commit at the same time share one durable commit (one fsync,
//! one copy of the tree's upper pages) instead of queueing for one each. Every caller still
//! returns only once its own writes are durable, so "persist before acknowledging" holds as
//! with a commit of its own.
//!
//! The first caller to find no commit under way leads: it takes everything waiting (its own
//! writes included), commits it, hands every waiter its result and steps down; a caller that
//! arrives meanwhile waits and either finds its result or leads the next batch. The writes of
//! one caller stay together and in order; callers that overlap have no order between them
//! anyway (each would have queued for redb's one write transaction). A batch that fails is
//! committed again caller by caller, so one caller's failure is never another's.
//!
//! A caller may also commit *soon* (`commit_soon`): atomically and visibly at once, durable
//! with the next durable commit — which the flusher makes at most `within` after the first
//! such commit if nothing else does. A batch with any durable caller is durable.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::kv::{Kv, Op, StoreError};

type R<T> = Result<T, StoreError>;

#[derive(Default)]
struct State {
    /// Writes waiting for the next batch, by ticket, and whether they must be durable.
    pending: Vec<(u64, Vec<Op>, bool)>,
    /// Results not yet collected by their waiter.
    done: HashMap<u64, R<()>>,
    leading: bool,
    next_ticket: u64,
    /// Batches committed, and callers served by them (for tests and the benchmark's story).
    batches: u64,
    callers: u64,
    /// Since when a soon commit waits for a durable one.
    unflushed_since: Option<Instant>,
    closing: bool,
}

#[derive(Default)]
pub(super) struct GroupCommit {
    state: Mutex<State>,
    changed: Condvar,
    /// Wakes the flusher.
    flush: Condvar,
}

impl GroupCommit {
    /// Commits `ops` through `kv`, in a batch with whatever other callers are committing now;
    /// durable when it returns. Blocking: call it off the async threads or accept the wait, as
    /// with any redb commit.
    pub(super) fn commit(&self, kv: &dyn Kv, ops: Vec<Op>) -> R<()> {
        self.enqueue(kv, ops, true)
    }

    /// Commits `ops` atomically, visible when it returns, durable within the flusher's window
    /// (or with an earlier durable commit).
    pub(super) fn commit_soon(&self, kv: &dyn Kv, ops: Vec<Op>) -> R<()> {
        self.enqueue(kv, ops, false)
    }

    fn enqueue(&self, kv: &dyn Kv, ops: Vec<Op>, durable: bool) -> R<()> {
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let ticket = st.next_ticket;
        st.next_ticket += 1;
        st.pending.push((ticket, ops, durable));
        loop {
            if let Some(result) = st.done.remove(&ticket) {
                return result;
            }
            if !st.leading {
                st.leading = true;
                let batch = std::mem::take(&mut st.pending);
                let durable = batch.iter().any(|(_, _, durable)| *durable);
                let tickets: Vec<u64> = batch.iter().map(|(t, _, _)| *t).collect();
                drop(st);
                // A panic in the store must not leave `leading` set (every writer would wait
                // for ever): it becomes this batch's error.
                let results = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    commit_batch(kv, batch, durable)
                }))
                .unwrap_or_else(|_| {
                    let e = StoreError::new("the store panicked while committing");
                    tickets.into_iter().map(|t| (t, Err(e.clone()))).collect()
                });
                st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
                // A failed caller's writes were never committed; one durable commit that went
                // in makes every earlier one durable.
                let any_in = results.iter().any(|(_, r)| r.is_ok());
                if durable {
                    st.batches += 1;
                    st.callers += results.len() as u64;
                    if any_in {
                        st.unflushed_since = None;
                    }
                } else if any_in && st.unflushed_since.is_none() {
                    st.unflushed_since = Some(Instant::now());
                    self.flush.notify_all();
                }
                st.done.extend(results);
                st.leading = false;
                self.changed.notify_all();
                continue;
            }
            st = self
                .changed
                .wait(st)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// How many callers wait for a batch now (not counting one being committed).
    #[cfg(test)]
    pub(super) fn waiting(&self) -> usize {
        let st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        st.pending.len()
    }

    /// Durable batches committed so far, and the callers they served.
    pub(super) fn counts(&self) -> (u64, u64) {
        let st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        (st.batches, st.callers)
    }

    /// The flusher: until [`Self::close`], makes soon commits durable at most `within` after
    /// the first of them (an empty durable commit, unless another came first); on closing,
    /// makes what is left durable and returns. A failed flush is tried again after `within`.
    pub(super) fn flush_soon_commits(&self, kv: &dyn Kv, within: Duration) {
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            let due = match st.unflushed_since {
                None if st.closing => return,
                None => {
                    st = self.flush.wait(st).unwrap_or_else(PoisonError::into_inner);
                    continue;
                }
                Some(since) => since + within,
            };
            let now = Instant::now();
            if now < due && !st.closing {
                st = self
                    .flush
                    .wait_timeout(st, due - now)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
                continue;
            }
            drop(st);
            if let Err(e) = self.commit(kv, vec![]) {
                tracing::warn!("making recent commits durable failed, retrying: {e}");
                std::thread::sleep(within);
            }
            st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            if st.closing && st.unflushed_since.is_some() {
                // Closing with a store that cannot write: what is left is lost as in a crash.
                return;
            }
        }
    }

    /// Stops the flusher after one last flush.
    pub(super) fn close(&self) {
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        st.closing = true;
        self.flush.notify_all();
    }
}

/// One commit for the whole batch; if it fails and more than one caller is in it, one commit
/// per caller, so each gets its own outcome.
fn commit_batch(kv: &dyn Kv, batch: Vec<(u64, Vec<Op>, bool)>, durable: bool) -> Vec<(u64, R<()>)> {
    let commit = |ops: &[Op]| {
        if durable {
            kv.commit(ops)
        } else {
            kv.commit_soon(ops)
        }
    };
    let mut all = Vec::with_capacity(batch.iter().map(|(_, ops, _)| ops.len()).sum());
    let mut parts = Vec::with_capacity(batch.len());
    for (ticket, ops, _) in batch {
        let start = all.len();
        all.extend(ops);
        parts.push((ticket, start..all.len()));
    }
    match commit(&all) {
        Ok(()) => parts.into_iter().map(|(t, _)| (t, Ok(()))).collect(),
        Err(e) if parts.len() == 1 => parts
            .into_iter()
            .map(|(t, _)| (t, Err(e.clone())))
            .collect(),
        Err(_) => parts
            .into_iter()
            .map(|(ticket, range)| (ticket, commit(&all[range])))
            .collect(),
    }
}

#[cfg(test)]
#[path = "group_tests.rs"]
mod tests;
