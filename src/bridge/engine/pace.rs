//! What keeps a flood of new citizens from knocking the homeserver over: room creations are
//! paced (`bridge.new_portals_per_minute`), and at most `bridge.max_busy_workers` items are
//! processed at once. Webhooks are still persisted and acknowledged at once; the portals
//! follow at the pace, each citizen's messages in order behind their portal.
//!
//! A creation counts from the moment it is admitted until a minute after its answer came
//! back, so in any minute the homeserver sees, whatever the latencies, no more creations
//! than the limit (the same argument as the broadcast pace, see ARCHITECTURE.md).

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

const WINDOW: Duration = Duration::from_secs(60);

pub(in crate::bridge) struct PortalPace {
    per_minute: usize,
    state: Mutex<State>,
    /// Wakes waiters when an in-flight creation finishes.
    done: Notify,
}

#[derive(Default)]
struct State {
    in_flight: usize,
    /// When the creations of the last minute finished.
    finished: VecDeque<Instant>,
}

/// A room creation under way; counted until a minute after it is dropped.
pub(in crate::bridge) struct CreationSlot<'a> {
    pace: &'a PortalPace,
}

impl Drop for CreationSlot<'_> {
    fn drop(&mut self) {
        let mut st = self.pace.lock();
        st.in_flight -= 1;
        st.finished.push_back(Instant::now());
        drop(st);
        self.pace.done.notify_waiters();
    }
}

impl PortalPace {
    pub fn new(per_minute: usize) -> Self {
        PortalPace {
            per_minute: per_minute.max(1),
            state: Mutex::default(),
            done: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until one more creation fits in the minute, and counts it.
    pub async fn slot(&self) -> CreationSlot<'_> {
        loop {
            let done = self.done.notified();
            let wait = {
                let mut st = self.lock();
                let now = Instant::now();
                while st.finished.front().is_some_and(|t| now >= *t + WINDOW) {
                    st.finished.pop_front();
                }
                if st.in_flight + st.finished.len() < self.per_minute {
                    st.in_flight += 1;
                    return CreationSlot { pace: self };
                }
                // Full: until the oldest finished one leaves the minute (or, with only
                // creations in flight, until one of them finishes).
                st.finished.front().map(|t| *t + WINDOW - now)
            };
            match wait {
                Some(d) => tokio::select! {
                    _ = tokio::time::sleep(d) => {}
                    _ = done => {}
                },
                None => done.await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever the latencies, no minute sees more creations than the limit: a creation
    /// counts from its admission until a minute after its answer.
    #[tokio::test(start_paused = true)]
    async fn no_minute_sees_more_creations_than_the_limit() {
        let pace = std::sync::Arc::new(PortalPace::new(10));
        let start = Instant::now();
        let log = std::sync::Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..35u64 {
            let (pace, log) = (pace.clone(), log.clone());
            tasks.push(tokio::spawn(async move {
                let slot = pace.slot().await;
                let admitted = Instant::now();
                // Latency between 0 and 3 s: the request reaches the homeserver somewhere
                // between admission and answer.
                tokio::time::sleep(Duration::from_millis(i * 97 % 3000)).await;
                log.lock().unwrap().push((admitted, Instant::now()));
                drop(slot);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let log = log.lock().unwrap().clone();
        assert_eq!(log.len(), 35);
        // For any minute starting at an admission or an answer, count the creations whose
        // request may have arrived in it (its [admitted, answered] span meets the minute).
        let starts = log.iter().flat_map(|(a, d)| [*a, *d]);
        for from in starts {
            let to = from + WINDOW;
            let seen = log.iter().filter(|(a, d)| *a < to && *d >= from).count();
            assert!(seen <= 10, "{seen} creations in one minute");
        }
        // And the limit is used: 35 creations take a bit over three minutes, not more.
        let took = log.iter().map(|(_, d)| *d).max().unwrap() - start;
        assert!(took < Duration::from_secs(4 * 60), "{took:?}");
        assert!(took >= Duration::from_secs(3 * 60), "{took:?}");
    }
}
