//! The retention sweep: a minute after start and then every hour, the store prunes what is
//! older than its retention (`store::RETENTION`: dedupe marks 8 days, statuses 30, the
//! wamid ↔ event map 180, dead letters 90, the helpdesk's ledger 400), off the async threads.

use std::time::Duration;

use tracing::{info, warn};

use crate::bridge::Bridge;

const FIRST: Duration = Duration::from_secs(60);
const EVERY: Duration = Duration::from_secs(3600);

impl Bridge {
    pub(in crate::bridge) async fn prune_forever(&self) {
        let mut wait = FIRST;
        loop {
            if self.sleep_or_shutdown(wait).await {
                return;
            }
            wait = EVERY;
            let store = self.inner.store.clone();
            let now = self.now_secs();
            match tokio::task::spawn_blocking(move || store.prune(now)).await {
                Ok(Ok(p)) if p != Default::default() => info!(
                    marks = p.marks,
                    statuses = p.statuses,
                    messages = p.messages,
                    dead_letters = p.dead_letters,
                    ledger = p.ledger,
                    "old records pruned"
                ),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => warn!("retention sweep: {e}"),
                Err(e) => warn!("retention sweep stopped: {e}"),
            }
        }
    }
}
