//! What the engine lends every feature, and nothing more: [`Parts`] (the shared clients,
//! store, config, texts and clock a feature handle is made from), [`Lifetime`] (the shutdown signal,
//! and a share of the completion signal, so `Bridge::stopped` also waits for the tasks a
//! feature started) and [`Wake`] (after a commit that queued work, the citizen's worker — or
//! the router, for the inbox — is woken).

use std::convert::Infallible;
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use crate::bridge::{Bridge, Inner};
use crate::clock::SharedClock;
use crate::config::Config;
use crate::matrix::MatrixClient;
use crate::metrics::Metrics;
use crate::store::Store;
use crate::texts::Texts;
use crate::whatsapp::GraphClient;

/// The bridge's life as a feature sees it: whether it is shutting down, and a sleep that
/// ends early when it is. Every holder keeps the bridge "not yet stopped".
#[derive(Clone)]
pub(in crate::bridge) struct Lifetime {
    shutdown: watch::Receiver<bool>,
    /// Never sent on: dropped with the last holder, which closes the receiver
    /// `Bridge::stopped` waits on.
    _alive: mpsc::Sender<Infallible>,
}

impl Lifetime {
    /// A lifetime, and the receiver that closes when its last clone is dropped.
    pub(in crate::bridge) fn new(
        shutdown: watch::Receiver<bool>,
    ) -> (Lifetime, mpsc::Receiver<Infallible>) {
        let (alive, gone) = mpsc::channel(1);
        (
            Lifetime {
                shutdown,
                _alive: alive,
            },
            gone,
        )
    }

    pub(in crate::bridge) fn shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Sleeps, returning early (true) if the bridge is shutting down.
    pub(in crate::bridge) async fn sleep_or_shutdown(&self, d: Duration) -> bool {
        let mut rx = self.shutdown.clone();
        tokio::select! {
            _ = tokio::time::sleep(d) => self.shutting_down(),
            _ = rx.wait_for(|v| *v) => true,
        }
    }

    /// Waits for the shutdown signal.
    pub(in crate::bridge) async fn shutdown(&self) {
        let mut rx = self.shutdown.clone();
        let _ = rx.wait_for(|v| *v).await;
    }
}

/// Wakes the engine after a commit that queued work. It does not keep the bridge alive: a
/// wake after the last handle is gone does nothing (the work is stored and resumed at the
/// next start).
#[derive(Clone)]
pub(in crate::bridge) struct Wake {
    bridge: Weak<Inner>,
}

impl Wake {
    pub(in crate::bridge) fn new(bridge: Weak<Inner>) -> Wake {
        Wake { bridge }
    }

    /// Makes sure the worker of the queue with this store key (a citizen's, or the admin
    /// room's) runs.
    pub(in crate::bridge) fn queue(&self, key: String) {
        if let Some(inner) = self.bridge.upgrade() {
            Bridge { inner }.kick(key);
        }
    }

    /// The router looks at the inbox again.
    pub(in crate::bridge) fn inbox(&self) {
        if let Some(inner) = self.bridge.upgrade() {
            Bridge { inner }.wake_router();
        }
    }
}

/// What a feature handle is made from: the parts every feature shares;
/// each handle keeps a clone.
#[derive(Clone)]
pub(in crate::bridge) struct Parts {
    pub config: Arc<Config>,
    pub store: Store,
    pub matrix: MatrixClient,
    pub graph: GraphClient,
    pub texts: Arc<Texts>,
    pub clock: SharedClock,
    pub life: Lifetime,
    pub wake: Wake,
    pub metrics: Arc<Metrics>,
}
