//! Giving up an item (see `failure.rs` for when): in one commit the item becomes a dead
//! letter (the reason with numbers masked; the body kept so `!retry` can put it back), its
//! place in the queue goes to a notice explaining in its room what could not be delivered
//! and that admins were told, and the admin room gets one line. Nothing else of the citizen
//! waits on it: the worker goes on with the next item.

use tracing::info;

use crate::bridge::Bridge;
use crate::bridge::engine::item::ADMIN_QUEUE;
use crate::bridge::engine::item::{NoticeWork, Queue, Work};
use crate::matrix::txn_id;
use crate::store::{Origin, QueueItem, Store, StoreError};

/// Where an item's failure is explained, and what it was, in words for staff.
struct Explained {
    room_id: String,
    reply_to: Option<String>,
    what_key: &'static str,
}

impl Bridge {
    /// `why` is already masked.
    pub(in crate::bridge) fn give_up(
        &self,
        queue: &Queue,
        item: &QueueItem,
        why: &str,
    ) -> Result<(), StoreError> {
        let store = &self.inner.store;
        let work = Work::from_bytes(&item.body).ok();
        let origin = Origin::Queue {
            citizen: queue.key(),
        };
        let (id, dead) = store.dead_letter_from_op(why, &item.body, Some(origin));
        let id = id.to_string();
        let mut ops = vec![dead, Store::failing_clear_op(item)];
        let explained = work.as_ref().and_then(|w| self.explain_where(queue, w));
        match &explained {
            Some(e) => {
                let what = self.t(e.what_key, &[]);
                let text = self.t("given_up", &[("what", &what), ("reason", why), ("id", &id)]);
                let notice = NoticeWork {
                    room_id: e.room_id.clone(),
                    text,
                    html: None,
                    reply_to: e.reply_to.clone(),
                    txn_id: txn_id("gaveup", &id),
                };
                // The notice takes the item's place: it is posted before the next item.
                ops.push(Store::queue_update_op(
                    item,
                    Work::Notice(notice).to_bytes(),
                ));
            }
            None => ops.push(Store::queue_done_op(item)),
        }
        // One line for the admins, unless the admin room itself is what fails.
        let admin_fails = match &work {
            Some(Work::AdminNotice { .. }) => true,
            Some(Work::Notice(_)) => *queue == Queue::Admin,
            _ => false,
        };
        let admin_line = !admin_fails;
        if admin_line {
            let who = queue.to_string();
            let what_key = explained.as_ref().map_or("what_other", |e| e.what_key);
            let what = self.t(what_key, &[]);
            let line = Work::AdminNotice {
                text: self.t(
                    "given_up_admin",
                    &[("who", &who), ("what", &what), ("reason", why), ("id", &id)],
                ),
                txn_id: txn_id("gaveup-admin", &id),
            };
            ops.push(store.queue_push_op(ADMIN_QUEUE, &line.to_bytes()));
        }
        store.commit(ops)?;
        info!(dead_letter = %id, "item given up");
        if admin_line && *queue != Queue::Admin {
            self.kick(ADMIN_QUEUE.to_owned());
        }
        Ok(())
    }

    /// The room where staff wait for this item's outcome (none for a notice: its failure is
    /// reported only to the admins, so a failing room cannot make notices without end).
    fn explain_where(&self, queue: &Queue, work: &Work) -> Option<Explained> {
        let portal_room = || {
            self.inner
                .store
                .portal(&queue.key())
                .ok()
                .flatten()
                .map(|p| p.room_id)
        };
        let (room_id, reply_to, what_key) = match work {
            Work::Staff(s) => (s.room_id.clone(), Some(s.event_id.clone()), "what_staff"),
            Work::Command(c) => (c.room_id.clone(), Some(c.event_id.clone()), "what_command"),
            Work::BotSend(b) => (b.room_id.clone(), Some(b.event_id.clone()), "what_bot"),
            Work::Citizen(_) => (portal_room()?, None, "what_citizen"),
            Work::Echo(_) => (portal_room()?, None, "what_echo"),
            Work::History(_) => (portal_room()?, None, "what_history"),
            Work::Status(_) => (portal_room()?, None, "what_status"),
            Work::NewIdentity { .. } => (portal_room()?, None, "what_identity"),
            Work::MarkRead { .. }
            | Work::WindowTopic
            | Work::StaffLeft { .. }
            | Work::Conversation(_)
            | Work::ShowConversation
            | Work::ContactName { .. }
            | Work::MoveGhost => (portal_room()?, None, "what_other"),
            // The admin room's own work: its failure is reported there only.
            Work::Notice(_)
            | Work::AdminNotice { .. }
            | Work::TemplateEvent(_)
            | Work::HistoryComplete
            // An erasure that cannot finish is the admins' to see (and `!retry`).
            | Work::Forget(_) => return None,
        };
        Some(Explained {
            room_id,
            reply_to,
            what_key,
        })
    }
}

#[cfg(test)]
pub(in crate::bridge) mod tests {
    use super::*;
    use crate::bridge::engine::failure::Failure;
    use crate::bridge::engine::item::{NoticeWork, StaffWork};
    use crate::store::{Failing, PortalRecord, now_secs};

    pub(in crate::bridge) const ANNA: &str = "p:393331234567";

    pub(in crate::bridge) fn bridge() -> (Bridge, Store) {
        bridge_with("")
    }

    /// A bridge on a memory store, with `extra` appended to a valid config, and a portal for
    /// `ANNA` in `!portal:x`.
    pub(in crate::bridge) fn bridge_with(extra: &str) -> (Bridge, Store) {
        let toml = format!("{}\n{extra}", crate::config::valid_test_toml());
        let raw = crate::config::RawConfig::from_toml(&toml, "t", |_| None).unwrap();
        let store = Store::memory();
        // Shutting down from the start: a kicked worker stops at once, so the test alone
        // moves the queues (it runs in a Tokio runtime for the kicks).
        let (_, rx) = tokio::sync::watch::channel(true);
        let bridge = Bridge::new(raw.validate().unwrap(), store.clone(), rx);
        let portal = PortalRecord::new(
            &crate::ids::CitizenKey::parse(ANNA).unwrap(),
            "!portal:x",
            "@ghost:x",
        );
        store.commit(Store::portal_ops(&portal)).unwrap();
        (bridge, store)
    }

    fn staff_item(store: &Store) -> QueueItem {
        let work = Work::Staff(StaffWork {
            event_id: "$answer".into(),
            room_id: "!portal:x".into(),
            sender: "@mario:x".into(),
            event: serde_json::json!({"body": "È aperto"}),
            in_flight: false,
            attempts: 0,
        });
        store
            .commit(vec![store.queue_push_op(ANNA, &work.to_bytes())])
            .unwrap();
        store.queue_head(ANNA).unwrap().unwrap()
    }

    fn head(store: &Store, queue: &str) -> Option<Work> {
        let item = store.queue_head(queue).unwrap()?;
        Some(Work::from_bytes(&item.body).unwrap())
    }

    #[tokio::test]
    async fn a_transient_failure_is_retried_and_recorded_until_give_up_after() {
        let (bridge, store) = bridge();
        let item = staff_item(&store);
        for attempt in 1..=2 {
            let retry = bridge.retry_or_give_up(
                &Queue::parse(ANNA),
                &item,
                Failure::transient("the homeserver answered HTTP 502 for 393331234567"),
            );
            assert!(matches!(
                retry,
                crate::bridge::engine::worker::Retry::After(None)
            ));
            let f = store.failing(&item).unwrap().unwrap();
            assert_eq!(f.attempts, attempt);
            assert!(!f.last_error.contains("393331234567"), "masked: {f:?}");
        }
        assert!(store.dead_letters(10).unwrap().is_empty());
        // Failing since seven hours (give_up_after is six by default): given up.
        let old = Failing {
            since: now_secs() - 7 * 3600,
            attempts: 300,
            last_error: "502".into(),
        };
        store.commit(vec![Store::failing_op(&item, &old)]).unwrap();
        let retry = bridge.retry_or_give_up(&Queue::parse(ANNA), &item, Failure::transient("502"));
        assert!(matches!(retry, crate::bridge::engine::worker::Retry::Now));
        let dead = store.dead_letters(10).unwrap();
        assert_eq!(dead.len(), 1);
        assert!(dead[0].reason.contains("6h"), "{}", dead[0].reason);
        assert_eq!(
            dead[0].origin,
            Some(Origin::Queue {
                citizen: ANNA.into()
            })
        );
        assert_eq!(dead[0].body.as_bytes(), item.body.as_slice());
        assert_eq!(store.failing(&item).unwrap(), None);
        let Some(Work::Notice(n)) = head(&store, ANNA) else {
            panic!("the notice takes the item's place")
        };
        assert_eq!(n.reply_to.as_deref(), Some("$answer"));
        assert!(
            n.text.contains("inviare questo messaggio a WhatsApp"),
            "{}",
            n.text
        );
        assert!(matches!(
            head(&store, ADMIN_QUEUE),
            Some(Work::AdminNotice { text, .. }) if text.contains("+39•••4567") && !text.contains("393331234567")
        ));
    }

    #[tokio::test]
    async fn a_permanent_failure_is_given_up_at_once() {
        let (bridge, store) = bridge();
        let item = staff_item(&store);
        let f = Failure::from(crate::matrix::MatrixError::Api {
            status: 413,
            errcode: "M_TOO_LARGE".into(),
            message: "too large".into(),
        });
        assert!(matches!(
            bridge.retry_or_give_up(&Queue::parse(ANNA), &item, f),
            crate::bridge::engine::worker::Retry::Now
        ));
        assert_eq!(store.dead_letters(10).unwrap().len(), 1);
        assert!(
            matches!(head(&store, ANNA), Some(Work::Notice(n)) if n.text.contains("M_TOO_LARGE"))
        );
    }

    /// A notice that cannot be posted is not explained by another notice in the same room
    /// (that could go on forever); an admin notice that fails makes no further admin notice.
    #[tokio::test]
    async fn failing_notices_make_no_notices_without_end() {
        let (bridge, store) = bridge();
        let notice = Work::Notice(NoticeWork {
            room_id: "!portal:x".into(),
            text: "x".into(),
            html: None,
            reply_to: None,
            txn_id: "t".into(),
        });
        store
            .commit(vec![store.queue_push_op(ANNA, &notice.to_bytes())])
            .unwrap();
        let item = store.queue_head(ANNA).unwrap().unwrap();
        bridge
            .give_up(&Queue::parse(ANNA), &item, "M_FORBIDDEN")
            .unwrap();
        assert!(head(&store, ANNA).is_none(), "no notice about the notice");
        let admin = store.queue_head(ADMIN_QUEUE).unwrap().unwrap();
        bridge
            .give_up(&Queue::Admin, &admin, "M_FORBIDDEN")
            .unwrap();
        assert!(
            head(&store, ADMIN_QUEUE).is_none(),
            "no line about the line"
        );
        assert_eq!(store.dead_letters(10).unwrap().len(), 2);
    }
}
