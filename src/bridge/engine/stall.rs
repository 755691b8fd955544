//! The stall watch: once a minute, any queue whose head item has waited longer than
//! `bridge.stall_alert_minutes` gets one notice in the admin room (once per item: a dedupe
//! mark `q:<item key>` remembers it across restarts). The admin room's own queue is not
//! watched — its notices could not be read while it is stuck.

use std::time::Duration;

use tracing::warn;

use crate::bridge::Bridge;
use crate::bridge::engine::item::ADMIN_QUEUE;
use crate::bridge::engine::item::Work;
use crate::matrix::txn_id;
use crate::store::{Mark, QueueSummary, Store};

const WATCH_EVERY: Duration = Duration::from_secs(60);

/// The queues whose head has waited at least `limit` seconds at `now` (pure).
pub(in crate::bridge) fn stalled(
    queues: &[QueueSummary],
    now: u64,
    limit: u64,
) -> Vec<&QueueSummary> {
    queues
        .iter()
        .filter(|q| q.citizen != ADMIN_QUEUE && now.saturating_sub(q.head_queued_at) >= limit)
        .collect()
}

impl Bridge {
    pub(in crate::bridge) async fn watch_stalls_forever(&self) {
        loop {
            if self.sleep_or_shutdown(WATCH_EVERY).await {
                return;
            }
            // Supervised like every loop: a panic costs this round, not the watch.
            let round = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.check_stalls(self.now_secs())
            }));
            match round {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => warn!("stall watch: {e}"),
                Err(_) => tracing::error!("the stall watch panicked; it goes on next minute"),
            }
        }
    }

    /// Alerts the admin room about each newly stalled queue; returns how many.
    pub(in crate::bridge) fn check_stalls(
        &self,
        now: u64,
    ) -> Result<usize, crate::store::StoreError> {
        let store = &self.inner.store;
        let limit = self.inner.config.raw.bridge.stall_alert_minutes * 60;
        let queues = store.queue_overview()?;
        let mut ops = Vec::new();
        for q in stalled(&queues, now, limit) {
            let mark = Mark::Stalled(&q.head.key);
            if store.seen(&mark)? {
                continue;
            }
            let error = store
                .failing(&q.head)?
                .map(|f| self.t("stalled_error", &[("error", &f.last_error)]))
                .unwrap_or_default();
            let text = self.t(
                "stalled",
                &[
                    ("who", &self.inner.admin_room.whose(&q.citizen)),
                    ("items", &q.items.to_string()),
                    ("age", &age_words(now.saturating_sub(q.head_queued_at))),
                    ("error", &error),
                ],
            );
            let notice = Work::AdminNotice {
                text,
                txn_id: txn_id("stall", &mark.key()),
            };
            ops.push(Store::seen_op(&mark));
            ops.push(store.queue_push_op(ADMIN_QUEUE, &notice.to_bytes()));
        }
        let alerts = ops.len() / 2;
        if alerts > 0 {
            store.commit(ops)?;
            warn!(queues = alerts, "stalled queues reported to the admin room");
            self.kick(ADMIN_QUEUE.to_owned());
        }
        Ok(alerts)
    }
}

/// A waiting time in words: `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`.
pub(in crate::bridge) fn age_words(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 86400 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        s => format!("{} d {} h", s / 86400, s % 86400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge::engine::give_up::tests::bridge;
    use crate::store::now_secs;

    #[tokio::test]
    async fn a_stalled_queue_is_reported_once_per_head_item() {
        let (bridge, store) = bridge();
        let citizen = "p:393331234567";
        for _ in 0..3 {
            let op = store.queue_push_op(citizen, &Work::WindowTopic.to_bytes());
            store.commit(vec![op]).unwrap();
        }
        let head = store.queue_head(citizen).unwrap().unwrap();
        let failing = crate::store::Failing {
            since: now_secs(),
            attempts: 4,
            last_error: "the homeserver answered HTTP 502".into(),
        };
        store
            .commit(vec![Store::failing_op(&head, &failing)])
            .unwrap();
        let now = now_secs();
        assert_eq!(bridge.check_stalls(now + 9 * 60).unwrap(), 0, "not yet");
        assert_eq!(bridge.check_stalls(now + 11 * 60).unwrap(), 1);
        let Work::AdminNotice { text, .. } =
            Work::from_bytes(&store.queue_head(ADMIN_QUEUE).unwrap().unwrap().body).unwrap()
        else {
            panic!("an admin notice")
        };
        assert!(
            text.contains("+39•••4567")
                && text.contains("3 in attesa")
                && text.contains("HTTP 502"),
            "{text}"
        );
        assert_eq!(
            bridge.check_stalls(now + 20 * 60).unwrap(),
            0,
            "once per item"
        );
        // `!queues` shows the same: whose, how many, since when, the last error.
        let list = bridge.admin().list_queues().unwrap().text;
        assert!(
            list.contains("+39•••4567 · 3 · ") && list.contains("HTTP 502 (4×)"),
            "{list}"
        );
        // The admin room's own queue is not watched (its notices could not be read).
        let overview = store.queue_overview().unwrap();
        assert_eq!(stalled(&overview, now + 3600, 600).len(), 1);
        // The next head item, stuck too, is a new alert.
        store.commit(vec![Store::queue_done_op(&head)]).unwrap();
        assert_eq!(bridge.check_stalls(now + 30 * 60).unwrap(), 1);
    }

    #[test]
    fn ages_in_words() {
        assert_eq!(age_words(45), "45 s");
        assert_eq!(age_words(12 * 60 + 5), "12 min");
        assert_eq!(age_words(3 * 3600 + 5 * 60), "3 h 5 min");
        assert_eq!(age_words(2 * 86400 + 4 * 3600), "2 d 4 h");
    }
}
