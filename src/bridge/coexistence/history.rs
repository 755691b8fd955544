//! The shared history, imported. When its last chunk has come, every kept chunk is read and
//! each citizen's messages are put in time order (chunks come newest phase first, and out of
//! order), minus those already in the rooms (every message is marked by its wamid, as live ones
//! are, so a chunk delivered twice or a message also seen live is imported once), and queued
//! in the citizen's queue in items of [`BATCH`]. The first item's notice states the extent;
//! then each message is posted as the citizen or as the office at its own time (the appservice
//! `ts`), its position kept after each, so a retry never posts one twice. It opens no
//! 24-hour window.

use std::collections::BTreeMap;

use serde_json::json;
use tracing::{info, warn};

use crate::bridge::coexistence::Coexistence;
use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::item::{ADMIN_QUEUE, HistoryExtent, HistoryWork, Work};
use crate::bridge::engine::router::Routed;
use crate::bridge::engine::worker::Step;
use crate::bridge::portal::erased::before_erasure;
use crate::bridge::portal::inbound::{Post, Target, Voice};
use crate::convert::echo::from_the_app;
use crate::ids::{CitizenKey, WaId};
use crate::matrix::txn_id;
use crate::store::{Mark, Meta, Op, PortalRecord, QueueItem, Store, StoreError};
use crate::whatsapp::coexistence::{HistoryChunk, HistoryMessage, as_message};

/// Messages per queued item.
const BATCH: usize = 50;
/// A history whose last chunk never came is imported this long after the latest chunk (Meta
/// sends nothing more for an empty phase, and a sync can stop half-way).
pub(in crate::bridge) const UNFINISHED_AFTER: u64 = 6 * 3600;
/// How often an unfinished history is looked for.
const WATCH_EVERY: std::time::Duration = std::time::Duration::from_secs(900);

/// What one import shared out.
#[derive(Default)]
struct Shared {
    messages: usize,
    conversations: usize,
    from: Option<i64>,
    to: Option<i64>,
}

impl Coexistence {
    /// `Work::HistoryComplete` (the admin room's queue): every kept chunk shared out to the
    /// citizens' queues in one commit, the chunks deleted in it; the admins told how much.
    pub(in crate::bridge) async fn share_history(&self) -> Result<Step, Failure> {
        let store = &self.parts.store;
        let mut r = Routed::default();
        let mut threads: BTreeMap<String, Vec<HistoryMessage>> = BTreeMap::new();
        for (body, delete) in store.history_chunks()? {
            r.ops.push(delete);
            match serde_json::from_slice::<HistoryChunk>(&body) {
                Ok(chunk) => {
                    for t in chunk.threads {
                        threads.entry(t.phone).or_default().extend(t.messages);
                    }
                }
                Err(e) => warn!("a kept history chunk cannot be read; skipped: {e}"),
            }
        }
        r.ops.push(Store::meta_op(Meta::HistoryChunkAt, ""));
        let mut shared = Shared::default();
        for (phone, mut messages) in threads {
            // What an erased citizen said before their erasure is not imported again.
            if let Some(key) = WaId::parse(&phone).map(CitizenKey::Phone) {
                let erased = self.portals.erasure_of(&[key])?;
                messages.retain(|m| {
                    erased
                        .as_ref()
                        .is_none_or(|e| !before_erasure(m.timestamp, e))
                });
            }
            // Stable: messages of the same second keep the order Meta gave.
            messages.sort_by_key(|m| m.timestamp);
            self.share_thread(&mut r, &phone, messages, &mut shared)?;
        }
        store.commit(r.ops)?;
        for c in r.wake {
            self.parts.wake.queue(c);
        }
        info!(
            messages = shared.messages,
            conversations = shared.conversations,
            "the shared history was queued for import"
        );
        let stamp = |t: Option<i64>| self.parts.config.local_stamp(t.unwrap_or(0).max(0) as u64);
        let text = if shared.messages == 0 {
            self.t("history_nothing_new", &[])
        } else {
            self.t(
                "history_done",
                &[
                    ("count", &shared.messages.to_string()),
                    ("conversations", &shared.conversations.to_string()),
                    ("from", &stamp(shared.from)),
                    ("to", &stamp(shared.to)),
                ],
            )
        };
        let txn = format!("{}|{}", self.parts.clock.unix(), shared.messages);
        Ok(Step::Then(
            Work::AdminNotice {
                text,
                txn_id: txn_id("history-done", &txn),
            },
            vec![],
        ))
    }

    /// Every quarter of an hour, until shutdown: an unfinished history imported.
    pub(in crate::bridge) async fn watch_history_forever(&self) {
        loop {
            if self.parts.life.sleep_or_shutdown(WATCH_EVERY).await {
                return;
            }
            if let Err(e) = self.history_overdue() {
                warn!("looking for an unfinished history: {e}");
            }
        }
    }

    /// Chunks kept, the latest [`UNFINISHED_AFTER`] ago and no last one: the admins are told
    /// and what came is imported. Whether it was.
    pub(in crate::bridge) fn history_overdue(&self) -> Result<bool, StoreError> {
        let store = &self.parts.store;
        let Some(at) = store
            .meta(Meta::HistoryChunkAt)?
            .and_then(|a| a.parse::<u64>().ok())
        else {
            return Ok(false);
        };
        let now = self.parts.clock.unix();
        if now.saturating_sub(at) < UNFINISHED_AFTER {
            return Ok(false);
        }
        let hours = ((now - at) / 3600).to_string();
        let text = self.t("history_unfinished", &[("hours", &hours)]);
        let notice = Work::AdminNotice {
            text,
            txn_id: txn_id("history-unfinished", &at.to_string()),
        };
        store.commit(vec![
            store.queue_push_op(ADMIN_QUEUE, &notice.to_bytes()),
            store.queue_push_op(ADMIN_QUEUE, &Work::HistoryComplete.to_bytes()),
            Store::meta_op(Meta::HistoryChunkAt, ""),
        ])?;
        self.parts.wake.queue(ADMIN_QUEUE.to_owned());
        Ok(true)
    }

    /// One citizen's messages, new ones only, queued in order (a placeholder whose media
    /// came first gets it).
    fn share_thread(
        &self,
        r: &mut Routed,
        phone: &str,
        messages: Vec<HistoryMessage>,
        shared: &mut Shared,
    ) -> Result<(), Failure> {
        let store = &self.parts.store;
        let Some(number) = WaId::parse(phone) else {
            return Ok(());
        };
        let Some(citizen) = self.citizen_of(r, &[CitizenKey::Phone(number)])? else {
            return Ok(());
        };
        let mut fresh = Vec::new();
        for mut m in messages {
            if !r.first_time(store, Mark::Message(&m.id))? {
                continue;
            }
            if m.is_placeholder()
                && let Some((raw, delete)) = store.history_media(&m.id)?
                && let Ok(raw) = serde_json::from_slice(&raw)
            {
                m.raw = raw;
                r.ops.push(delete);
            }
            fresh.push(m);
        }
        let (Some(first), Some(last)) = (fresh.first(), fresh.last()) else {
            return Ok(());
        };
        let extent = HistoryExtent {
            count: fresh.len(),
            from: first.timestamp,
            to: last.timestamp,
        };
        shared.messages += fresh.len();
        shared.conversations += 1;
        shared.from = Some(shared.from.map_or(extent.from, |f| f.min(extent.from)));
        shared.to = Some(shared.to.map_or(extent.to, |t| t.max(extent.to)));
        for (i, batch) in fresh.chunks(BATCH).enumerate() {
            let work = HistoryWork {
                extent: (i == 0).then_some(extent),
                messages: batch.to_vec(),
                next: 0,
            };
            r.push(store, &citizen, &Work::History(Box::new(work)));
        }
        Ok(())
    }

    /// `Work::History`: the notice of the extent (first item), then each message from `next`,
    /// the position committed after each.
    pub(in crate::bridge) async fn import_history(
        &self,
        key: &CitizenKey,
        item: &QueueItem,
        mut h: HistoryWork,
    ) -> Result<Step, Failure> {
        let store = &self.parts.store;
        let mut portal = self.portal(key).await?;
        let retried = store.failing(item)?.is_some();
        if h.next == 0
            && let Some(x) = h.extent
        {
            self.post_extent(&portal, &h, x, retried).await?;
        }
        while h.next < h.messages.len() {
            let m = &h.messages[h.next];
            let mut ops = self.post_history(&portal, m, retried).await?;
            h.next += 1;
            ops.push(Store::queue_update_op(
                item,
                Work::History(Box::new(h.clone())).to_bytes(),
            ));
            store.commit(ops)?;
        }
        // The office and the citizen have talked before: no first-contact welcome.
        portal.welcomed = true;
        Ok(Step::Done(Store::portal_ops(&portal)))
    }

    async fn post_extent(
        &self,
        portal: &PortalRecord,
        h: &HistoryWork,
        x: HistoryExtent,
        retried: bool,
    ) -> Result<(), Failure> {
        let stamp = |t: i64| self.parts.config.local_stamp(t.max(0) as u64);
        let text = self.t(
            "history_intro",
            &[
                ("count", &x.count.to_string()),
                ("from", &stamp(x.from)),
                ("to", &stamp(x.to)),
            ],
        );
        let first = h.messages.first().map_or("", |m| m.id.as_str());
        let content = json!({"msgtype": "m.notice", "body": text});
        let to = Target {
            voice: Voice::Office,
            ts: Some(x.from),
        };
        self.portals
            .send_in_room(
                portal,
                to,
                "m.room.message",
                &txn_id("history", first),
                &content,
                retried,
            )
            .await?;
        Ok(())
    }

    /// One message at its own time, as whoever wrote it; its wamid mapped to its event.
    async fn post_history(
        &self,
        portal: &PortalRecord,
        m: &HistoryMessage,
        retried: bool,
    ) -> Result<Vec<Op>, Failure> {
        let voice = if m.from_office {
            Voice::Office
        } else {
            Voice::Citizen
        };
        let to = Target {
            voice,
            ts: Some(m.timestamp),
        };
        if m.is_placeholder() {
            let content =
                json!({"msgtype": "m.notice", "body": self.t("history_placeholder", &[])});
            let event_id = self
                .portals
                .send_in_room(
                    portal,
                    to,
                    "m.room.message",
                    &txn_id("wa", &m.id),
                    &content,
                    retried,
                )
                .await?;
            return Ok(Store::message_ops(&m.id, &portal.room_id, &event_id));
        }
        let msg = as_message(&m.id, Some(m.timestamp), m.raw.clone());
        let label = self.t("echo_label", &[]);
        let post = Post {
            voice,
            ts: Some(m.timestamp),
            keyword: false,
            retried,
        };
        let first = self
            .portals
            .post_as(portal, &msg, post, |evs| {
                if voice == Voice::Office {
                    from_the_app(evs, &label)
                }
            })
            .await?;
        Ok(match first {
            Some(event_id) if !m.id.ends_with("#media") => {
                Store::message_ops(&m.id, &portal.room_id, &event_id)
            }
            _ => vec![],
        })
    }
}

#[cfg(test)]
#[path = "history_tests.rs"]
mod tests;
