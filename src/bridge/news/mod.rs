//! News: subscriptions by keyword or list (with the consent ledger), and broadcasts — drafts,
//! the paced sender, crash recovery, progress and report — with their admin commands.

pub(in crate::bridge) mod commands;
pub(in crate::bridge) mod cost;
pub(in crate::bridge) mod message;
pub(in crate::bridge) mod pace;
pub(in crate::bridge) mod recover;
pub(in crate::bridge) mod report;
pub(in crate::bridge) mod sender;
pub(in crate::bridge) mod subscribe;
pub(in crate::bridge) mod subscriber_commands;

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::bridge::engine::admin_room::AdminRoom;
use crate::bridge::engine::lent::Parts;
use crate::bridge::portal::Portals;
use crate::bridge::templates::Templates;

/// The news service's handle: the shared parts it uses, the admin room (reports), the
/// portals (where a recipient is reached), and the subscription lock and running senders.
/// Cheap to clone: a broadcast's sender runs as its own task with a clone.
#[derive(Clone)]
pub(in crate::bridge) struct News {
    /// The shared parts (config, store, clients, texts, clock, lifetime, wake).
    parts: Parts,
    admin_room: Arc<AdminRoom>,
    portals: Arc<Portals>,
    /// Which template a recipient outside the window gets, and whether Meta lets it out.
    templates: Arc<Templates>,
    /// Held while a subscription is read and rewritten (router, commands, broadcasts).
    subs_lock: Arc<Mutex<()>>,
    /// Broadcasts whose sender runs.
    broadcasts_running: Arc<Mutex<HashSet<u64>>>,
}

impl News {
    pub(in crate::bridge) fn new(
        p: &Parts,
        admin_room: Arc<AdminRoom>,
        portals: Arc<Portals>,
        templates: Arc<Templates>,
    ) -> News {
        News {
            parts: p.clone(),
            admin_room,
            portals,
            templates,
            subs_lock: Arc::default(),
            broadcasts_running: Arc::default(),
        }
    }

    /// Subscriptions change only under this lock: the router holds it over a batch.
    pub(in crate::bridge) fn subscriptions_lock(&self) -> MutexGuard<'_, ()> {
        self.subs_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// One more in a broadcast's `bucket`, and in the metrics when it is an outcome.
    fn count(&self, b: &mut crate::store::Broadcast, bucket: crate::store::Bucket) {
        use crate::store::Bucket;
        let outcome = match &bucket {
            Bucket::Sent => Some("sent"),
            Bucket::Failed(_) => Some("failed"),
            Bucket::Uncertain => Some("uncertain"),
            _ => None,
        };
        if let Some(kind) = outcome {
            self.parts
                .metrics
                .broadcast_sends
                .get_or_create(&crate::metrics::KindLabel { kind })
                .inc();
        }
        b.bump(bucket);
    }

    fn t(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.parts.texts.get(key, args)
    }

    /// Unix seconds now, by the bridge's clock.
    fn now_secs(&self) -> u64 {
        self.parts.clock.unix()
    }
}
