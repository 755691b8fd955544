//! The daily privacy sweep: citizens with no message either way for `privacy.inactive_days`
//! and no active subscription are erased (an automatic `!forget`, queued behind their other
//! work), the consent records of subscriptions ended more than `privacy.ledger_days` ago are
//! deleted, and open erasure requests are reminded. Checked every `privacy.check_seconds`,
//! done once a day by the bridge's clock (kept in the store, so a restart does not repeat it);
//! what it did is one line in the admin room.

use std::time::Duration;

use tracing::{info, warn};

use crate::bridge::engine::item::{ADMIN_QUEUE, ForgetWork, Work};
use crate::bridge::privacy::Privacy;
use crate::matrix::txn_id;
use crate::store::{Meta, Op, Store, StoreError};

const DAY: u64 = 86_400;

impl Privacy {
    pub(in crate::bridge) async fn sweep_forever(&self) {
        let every = Duration::from_secs(self.parts.config.raw.privacy.check_seconds.max(1));
        loop {
            if let Err(e) = self.sweep_if_due() {
                warn!("the privacy sweep failed, trying again later: {e}");
            }
            if self.parts.life.sleep_or_shutdown(every).await {
                return;
            }
        }
    }

    /// Reminders whenever due; the retention rules once a day.
    pub(in crate::bridge) fn sweep_if_due(&self) -> Result<(), StoreError> {
        let store = &self.parts.store;
        let now = self.now();
        let mut ops = self.remind_requests()?;
        let last = store
            .meta(Meta::PrivacySweepAt)?
            .and_then(|v| v.parse::<u64>().ok());
        if last.is_none_or(|l| now >= l + DAY) {
            ops.extend(self.retention(now)?);
            ops.push(Store::meta_op(Meta::PrivacySweepAt, &now.to_string()));
        }
        if ops.is_empty() {
            return Ok(());
        }
        let wake = Store::queues_pushed(&ops);
        store.commit(ops)?;
        for q in wake {
            self.parts.wake.queue(q);
        }
        Ok(())
    }

    /// The retention rules at `now`: the erasures queued, the consent records deleted, and the
    /// admin room's line when either did something.
    fn retention(&self, now: u64) -> Result<Vec<Op>, StoreError> {
        let cfg = &self.parts.config.raw.privacy;
        let store = &self.parts.store;
        let mut ops = Vec::new();
        let mut inactive = Vec::new();
        if cfg.inactive_days > 0 {
            let cutoff = now.saturating_sub(u64::from(cfg.inactive_days) * DAY);
            inactive = store.inactive_citizens(cutoff as i64)?;
            let reason = self.t(
                "retention_reason",
                &[("days", &cfg.inactive_days.to_string())],
            );
            for citizen in &inactive {
                let work = Work::Forget(Box::new(ForgetWork {
                    by: "retention".into(),
                    reason: reason.clone(),
                    at: now,
                    automatic: true,
                    matrix: None,
                }));
                ops.push(store.queue_push_op(citizen, &work.to_bytes()));
            }
        }
        let consent = if cfg.ledger_days > 0 {
            store.prune_consent(now.saturating_sub(u64::from(cfg.ledger_days) * DAY))?
        } else {
            Default::default()
        };
        if inactive.is_empty() && consent.entries == 0 {
            return Ok(ops);
        }
        info!(
            erased = inactive.len(),
            consent = consent.entries,
            "privacy retention applied"
        );
        let text = self.t(
            "retention_done",
            &[
                ("erased", &inactive.len().to_string()),
                ("days", &cfg.inactive_days.to_string()),
                ("entries", &consent.entries.to_string()),
                ("citizens", &consent.citizens.to_string()),
                ("ledger_days", &cfg.ledger_days.to_string()),
            ],
        );
        let notice = Work::AdminNotice {
            text,
            txn_id: txn_id("retention", &now.to_string()),
        };
        ops.push(store.queue_push_op(ADMIN_QUEUE, &notice.to_bytes()));
        Ok(ops)
    }
}
