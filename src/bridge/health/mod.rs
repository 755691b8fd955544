//! Health, as an administrator's probes see it: whether the bridge is ready, part by part —
//! the store can be read, the homeserver answers the bot, Meta accepted the access token at
//! the last call it answered — in words that name no citizen — and the alerts of `alerts.rs`.
//! Meta (`GET /{phone-number-id}`) and the homeserver are asked at start and then every
//! `alerts.check_seconds`, so an idle bridge still learns of a revoked token; every send in
//! between tells the same.
//!
//! [`Health`] is the feature's handle: the shared parts, nothing else.

use std::time::Duration;

mod alerts;

use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use serde::Serialize;
use tracing::warn;

use crate::bridge::engine::lent::Parts;
use crate::matrix::MatrixError;
use crate::metrics::ListLabel;
use crate::store::Meta;
use crate::whatsapp::TokenState;

/// A probe waits this long for the homeserver.
const HOMESERVER_WAIT: Duration = Duration::from_secs(5);

pub(in crate::bridge) struct Health {
    parts: Parts,
}

/// One part of the bridge: `ok`, or what fails, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "detail")]
pub enum Part {
    Ok,
    Failing(String),
}

/// Whether the bridge is ready, and each part's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Readiness {
    pub ready: bool,
    pub store: Part,
    pub homeserver: Part,
    pub whatsapp: Part,
}

impl Health {
    pub(in crate::bridge) fn new(parts: &Parts) -> Health {
        Health {
            parts: parts.clone(),
        }
    }

    /// Each part, checked now (the token: as Meta last answered).
    pub(in crate::bridge) async fn readiness(&self) -> Readiness {
        let store = match self.parts.store.meta(Meta::AdminRoomId) {
            Ok(_) => Part::Ok,
            Err(e) => Part::Failing(format!("the store cannot be read: {e}")),
        };
        let homeserver = match self.ask_homeserver().await {
            Some(Ok(())) => Part::Ok,
            Some(Err(e)) => Part::Failing(homeserver_words(&e)),
            None => Part::Failing(format!(
                "the homeserver did not answer within {} s",
                HOMESERVER_WAIT.as_secs()
            )),
        };
        let whatsapp = match self.parts.graph.token_state() {
            TokenState::Accepted => Part::Ok,
            TokenState::Refused { code, .. } => Part::Failing(format!(
                "Meta refuses the access token (error {code}): renew whatsapp.access_token \
                 (a system user's token in Meta Business Settings) and restart the bridge"
            )),
            TokenState::Unknown => Part::Failing(
                "the Graph API has not answered yet: is whatsapp.api_base_url reachable?".into(),
            ),
        };
        Readiness {
            ready: [&store, &homeserver, &whatsapp]
                .iter()
                .all(|p| **p == Part::Ok),
            store,
            homeserver,
            whatsapp,
        }
    }

    /// Whether the homeserver answers the bot (`None`: not within [`HOMESERVER_WAIT`]).
    async fn ask_homeserver(&self) -> Option<Result<(), MatrixError>> {
        let bot = &self.parts.config.bot_user_id;
        tokio::time::timeout(HOMESERVER_WAIT, self.parts.matrix.whoami(bot))
            .await
            .ok()
            .map(|r| r.map(|_| ()))
    }

    /// Sets the gauges that describe the store (queues, dead letters, held answers,
    /// subscriptions, commits), just before a scrape; a part that cannot be read keeps its last value.
    pub(in crate::bridge) fn refresh_gauges(&self) {
        let (store, m) = (&self.parts.store, &self.parts.metrics);
        if let Ok(queues) = store.queue_overview() {
            let now = self.parts.clock.unix();
            let items: usize = queues.iter().map(|q| q.items).sum();
            let oldest = queues.iter().map(|q| q.head_queued_at).min();
            m.queued_items.set(items as i64);
            m.queues_waiting.set(queues.len() as i64);
            m.oldest_queued_seconds
                .set(oldest.map_or(0, |t| now.saturating_sub(t)) as i64);
        }
        let (commits, writers) = store.commit_counts();
        crate::metrics::Metrics::catch_up(&m.store_commits, commits);
        crate::metrics::Metrics::catch_up(&m.store_commit_writers, writers);
        if let Ok(n) = store.dead_letter_count() {
            m.dead_letters.set(n as i64);
        }
        if let Ok(n) = store.held_count() {
            m.held_answers.set(n as i64);
        }
        for topic in &self.parts.config.raw.subscriptions.topics {
            if let Ok(n) = store.topic_count(&topic.name) {
                m.subscriptions
                    .get_or_create(&ListLabel {
                        list: topic.name.clone(),
                    })
                    .set(n as i64);
            }
        }
    }

    /// Asks Meta and the homeserver at start and every `alerts.check_seconds`, and tells
    /// the admins what changed; a round that panics is logged and the watch goes on.
    pub(in crate::bridge) async fn watch_forever(&self) {
        let every = Duration::from_secs(self.parts.config.raw.alerts.check_seconds.max(1));
        let mut watch = alerts::Watch::default();
        loop {
            let round = AssertUnwindSafe(self.watch_round(&mut watch)).catch_unwind();
            if round.await.is_err() {
                warn!("a health round panicked; the next one runs as usual");
            }
            if self.parts.life.sleep_or_shutdown(every).await {
                return;
            }
        }
    }
}

fn homeserver_words(e: &MatrixError) -> String {
    match e {
        MatrixError::Unreachable(why) => format!("the homeserver cannot be reached: {why}"),
        MatrixError::Api {
            status, errcode, ..
        } => format!("the homeserver refuses the bot: {errcode} (HTTP {status})"),
    }
}
