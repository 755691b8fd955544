//! Alerts where staff already are: one notice in the admin room when Meta refuses the access
//! token (saying what to renew), when Meta or the homeserver has not answered for more than
//! `alerts.unreachable_minutes`, and one when it is over — never more than one per condition
//! and change. Whether a condition was told is kept in the store, so a restart does not tell
//! it again.

use std::collections::HashMap;

use tracing::{info, warn};

use crate::bridge::engine::item::{ADMIN_QUEUE, Work};
use crate::bridge::health::Health;
use crate::matrix::txn_id;
use crate::store::{Meta, Store};
use crate::whatsapp::{GraphError, TokenState};

/// Something the admins are told about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(in crate::bridge) enum Condition {
    /// Meta refuses the access token (190 and the other token codes).
    TokenRefused,
    /// The Graph API does not answer (connection refused, timeouts, 5xx).
    MetaUnreachable,
    /// The homeserver does not answer the bot.
    HomeserverUnreachable,
}

impl Condition {
    const ALL: [Condition; 3] = [
        Condition::TokenRefused,
        Condition::MetaUnreachable,
        Condition::HomeserverUnreachable,
    ];

    fn name(self) -> &'static str {
        match self {
            Condition::TokenRefused => "token",
            Condition::MetaUnreachable => "meta",
            Condition::HomeserverUnreachable => "homeserver",
        }
    }

    /// The texts of its start and its end.
    fn texts(self) -> (&'static str, &'static str) {
        match self {
            Condition::TokenRefused => ("alert_token_refused", "alert_token_ok"),
            Condition::MetaUnreachable => ("alert_meta_down", "alert_meta_up"),
            Condition::HomeserverUnreachable => ("alert_homeserver_down", "alert_homeserver_up"),
        }
    }

    /// How long it must last before it is told (the token at once: nothing goes out).
    fn after_secs(self, unreachable_minutes: u64) -> u64 {
        match self {
            Condition::TokenRefused => 0,
            _ => unreachable_minutes * 60,
        }
    }
}

/// What to tell about one condition now (pure): `Some(true)` it started (failing since
/// `since` for at least `after` seconds, not told yet), `Some(false)` it ended (told, no longer
/// failing), `None` nothing.
pub(in crate::bridge) fn change(
    since: Option<u64>,
    now: u64,
    after: u64,
    told: bool,
) -> Option<bool> {
    match (since, told) {
        (Some(s), false) if now.saturating_sub(s) >= after => Some(true),
        (None, true) => Some(false),
        _ => None,
    }
}

/// The failing conditions and since when (unix seconds), as the watch sees them.
#[derive(Default)]
pub(in crate::bridge) struct Watch {
    since: HashMap<Condition, u64>,
}

impl Watch {
    /// Notes whether `c` fails at `now`.
    fn note(&mut self, c: Condition, failing: bool, now: u64) {
        if failing {
            self.since.entry(c).or_insert(now);
        } else {
            self.since.remove(&c);
        }
    }
}

/// Whether a Graph API failure means Meta is out of reach (not a refusal of a request).
fn unreachable(e: &GraphError) -> bool {
    match e {
        GraphError::Unreachable(_) | GraphError::Timeout => true,
        GraphError::Api { http_status, .. } => *http_status >= 500,
        GraphError::Unexpected { status, .. } => *status >= 500,
    }
}

impl Health {
    /// One round: asks Meta and the homeserver, and tells the admins what changed.
    pub(in crate::bridge) async fn watch_round(&self, watch: &mut Watch) {
        let graph = self.parts.graph.check().await;
        let refused = matches!(self.parts.graph.token_state(), TokenState::Refused { .. });
        let homeserver = self.ask_homeserver().await;
        let now = self.parts.clock.unix();
        watch.note(Condition::TokenRefused, refused, now);
        watch.note(
            Condition::MetaUnreachable,
            graph.as_ref().err().is_some_and(unreachable),
            now,
        );
        watch.note(
            Condition::HomeserverUnreachable,
            // A homeserver that takes longer than a probe's wait is not answering.
            homeserver.is_none_or(|r| r.is_err_and(|e| e.is_transient())),
            now,
        );
        let minutes = self.parts.config.raw.alerts.unreachable_minutes;
        for c in Condition::ALL {
            let told =
                matches!(self.parts.store.meta(Meta::Alert(c.name())), Ok(Some(v)) if v == "on");
            let since = watch.since.get(&c).copied();
            if let Some(started) = change(since, now, c.after_secs(minutes), told) {
                self.tell(c, started, now);
            }
        }
    }

    /// Queues the admin-room notice and records that it was told, in one commit.
    fn tell(&self, c: Condition, started: bool, now: u64) {
        let (down, up) = c.texts();
        let minutes = self.parts.config.raw.alerts.unreachable_minutes.to_string();
        let text = self
            .parts
            .texts
            .get(if started { down } else { up }, &[("minutes", &minutes)]);
        let notice = Work::AdminNotice {
            text,
            txn_id: txn_id("alert", &format!("{}:{started}:{now}", c.name())),
        };
        let store = &self.parts.store;
        let ops = vec![
            store.queue_push_op(ADMIN_QUEUE, &notice.to_bytes()),
            Store::meta_op(Meta::Alert(c.name()), if started { "on" } else { "" }),
        ];
        match store.commit(ops) {
            Ok(()) => {
                info!(condition = c.name(), started, "admins alerted");
                self.parts.wake.queue(ADMIN_QUEUE.to_owned());
            }
            Err(e) => warn!("could not queue an alert for the admins: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge::Bridge;

    /// A bridge whose homeserver and Graph API both refuse connections, alerting at once.
    fn unreachable_everything(store: &Store) -> Bridge {
        let toml = crate::config::valid_test_toml()
            .replace("http://127.0.0.1:8008", "http://127.0.0.1:9")
            .replace("https://graph.facebook.com", "http://127.0.0.1:9")
            .replace("unreachable_minutes = 10", "unreachable_minutes = 0");
        let raw = crate::config::RawConfig::from_toml(&toml, "t", |_| None).unwrap();
        // Shutting down from the start: the admin room's worker is not run by the test.
        let (_, rx) = tokio::sync::watch::channel(true);
        Bridge::new(raw.validate().unwrap(), store.clone(), rx)
    }

    fn admin_notices(store: &Store) -> usize {
        store
            .queue_overview()
            .unwrap()
            .iter()
            .filter(|q| q.citizen == ADMIN_QUEUE)
            .map(|q| q.items)
            .sum()
    }

    /// Told once; a bridge started again on the same store (a new watch, nothing in memory)
    /// does not tell it again while the outage lasts.
    #[tokio::test]
    async fn a_restart_does_not_repeat_an_alert() {
        let store = Store::memory();
        let first = unreachable_everything(&store);
        let mut watch = Watch::default();
        first.health().watch_round(&mut watch).await;
        assert_eq!(
            admin_notices(&store),
            2,
            "Meta and the homeserver, once each"
        );
        first.health().watch_round(&mut watch).await;
        assert_eq!(
            admin_notices(&store),
            2,
            "a second round tells nothing more"
        );
        drop(first);
        let again = unreachable_everything(&store);
        again.health().watch_round(&mut Watch::default()).await;
        assert_eq!(admin_notices(&store), 2, "nor does a restart");
        for c in [Condition::MetaUnreachable, Condition::HomeserverUnreachable] {
            assert_eq!(
                store.meta(Meta::Alert(c.name())).unwrap().as_deref(),
                Some("on")
            );
        }
    }

    /// Told once when it has lasted long enough, once when it is over, and never again in
    /// between — whatever the rounds in between see.
    #[test]
    fn one_notice_per_condition_and_change() {
        let ten = 600;
        // Failing for 9 minutes: not yet; at 10: told.
        assert_eq!(change(Some(1_000), 1_540, ten, false), None);
        assert_eq!(change(Some(1_000), 1_600, ten, false), Some(true));
        // Still failing and told: nothing more.
        assert_eq!(change(Some(1_000), 5_000, ten, true), None);
        // Over: told it ended; over and told ended: nothing.
        assert_eq!(change(None, 5_060, ten, true), Some(false));
        assert_eq!(change(None, 5_120, ten, false), None);
        // A refused token is told at once.
        assert_eq!(change(Some(7_000), 7_000, 0, false), Some(true));
        // Failing again later starts a new count.
        let mut w = Watch::default();
        w.note(Condition::MetaUnreachable, true, 100);
        w.note(Condition::MetaUnreachable, true, 200);
        assert_eq!(w.since[&Condition::MetaUnreachable], 100);
        w.note(Condition::MetaUnreachable, false, 300);
        w.note(Condition::MetaUnreachable, true, 400);
        assert_eq!(w.since[&Condition::MetaUnreachable], 400);
    }
}
