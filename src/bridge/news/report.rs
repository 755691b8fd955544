//! What staff see of a broadcast: one progress message in the admin room, edited at most every
//! `broadcast.progress_every_secs` (bar, sent/total, failures, rate, time left), and a report
//! (sent, delivered, read, failed by reason, excluded) edited as Meta's statuses arrive, for a
//! day after the broadcast ends.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::json;
use tracing::warn;

use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::router::Routed;
use crate::bridge::news::News;
use crate::bridge::news::sender::Pace;
use crate::matrix::txn_id;
use crate::store::Bucket;
use crate::store::{Broadcast, BroadcastState, Store, StoreError};
use crate::whatsapp::webhook::{Status, StatusUpdate};

/// The progress message's pacing, kept by the sender.
#[derive(Clone)]
pub(in crate::bridge) struct Progress {
    started: Instant,
    done_at_start: u64,
    last_edit: Option<Instant>,
    edits: u64,
}

impl Progress {
    pub(in crate::bridge) fn new(b: &Broadcast) -> Progress {
        Progress {
            started: Instant::now(),
            done_at_start: done(b),
            last_edit: None,
            edits: 0,
        }
    }
}

/// Recipients dealt with so far (sent, failed, excluded, unknown).
fn done(b: &Broadcast) -> u64 {
    b.buckets()
        .filter(|(k, _)| k.is_final())
        .map(|(_, v)| v)
        .sum()
}

fn bar(done: u64, total: u64) -> String {
    let filled = (done * 10).checked_div(total).map_or(10, |v| v.min(10)) as usize;
    format!("[{}{}]", "■".repeat(filled), "□".repeat(10 - filled))
}

/// "1 h 5 min", "2 min 30 s", "45 s".
pub(in crate::bridge) fn duration_text(secs: u64) -> String {
    match secs {
        s if s >= 3600 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        s if s >= 60 => format!("{} min {} s", s / 60, s % 60),
        s => format!("{s} s"),
    }
}

impl News {
    /// Router: a status of a broadcast's message, counted for its report (moved from its
    /// previous status's count), in the routing commit.
    pub(in crate::bridge) fn count_broadcast_status(
        &self,
        r: &mut Routed,
        id: u64,
        old_status: Option<&str>,
        s: &StatusUpdate,
    ) -> Result<(), StoreError> {
        let mut stats = match r.stats.get(&id) {
            Some(st) => st.clone(),
            None => self.parts.store.broadcast_stats(id)?,
        };
        if let Some(o) =
            old_status.filter(|o| Status::from((*o).to_owned()).rank().is_some_and(|r| r > 0))
            && let Some(n) = stats.get_mut(o)
        {
            *n = n.saturating_sub(1);
        }
        let bucket = match (s.error(), &s.status) {
            (Some((code, title)), Status::Failed) => Bucket::failed_key(&format!("{code} {title}")),
            (_, Status::Played) => Status::Read.to_string(),
            (_, other) => other.to_string(),
        };
        *stats.entry(bucket).or_default() += 1;
        // Only delivered messages are charged: counted once, when one first reaches the phone,
        // as Meta priced it (a `read` before any `delivered` carries the pricing too).
        let delivered = Status::Delivered.rank();
        let was = old_status.and_then(|o| Status::from(o.to_owned()).rank());
        if let Some(p) = &s.pricing
            && s.status.rank() >= delivered
            && was < delivered
        {
            let number = s.recipient.as_ref().map(|r| r.expose().to_owned());
            let country = self
                .parts
                .config
                .raw
                .pricing
                .country(number.as_deref().unwrap_or(""));
            *stats
                .entry(Bucket::priced_key(&p.kind, &p.category, &country))
                .or_default() += 1;
        }
        r.ops.push(Store::broadcast_stats_op(id, &stats));
        r.stats.insert(id, stats);
        Ok(())
    }

    pub(in crate::bridge) fn state_text(&self, s: BroadcastState) -> String {
        self.t(
            match s {
                BroadcastState::Draft => "bc_state_draft",
                BroadcastState::Sending => "bc_state_sending",
                BroadcastState::Done => "bc_state_done",
                BroadcastState::Cancelled => "bc_state_cancelled",
                BroadcastState::Unknown => "bc_state_unknown",
            },
            &[],
        )
    }

    pub(in crate::bridge) fn topic_label(&self, b: &Broadcast) -> String {
        b.topic.clone().unwrap_or_else(|| self.t("all_topics", &[]))
    }

    /// The report line: the sender's counts merged with Meta's statuses.
    pub(in crate::bridge) fn report_text(
        &self,
        b: &Broadcast,
        stats: &BTreeMap<String, u64>,
    ) -> String {
        let c = |k: Bucket| b.count(&k);
        let s = |k: &str| stats.get(k).copied().unwrap_or(0);
        let mut failed: BTreeMap<String, u64> = BTreeMap::new();
        for (k, v) in b.buckets().chain(Bucket::of(stats)) {
            if let Bucket::Failed(reason) = k {
                *failed.entry(reason).or_default() += v;
            }
        }
        let list = |m: Vec<String>| {
            if m.is_empty() {
                self.t("none", &[])
            } else {
                m.join(", ")
            }
        };
        let failed = list(failed.iter().map(|(r, n)| format!("{r} ×{n}")).collect());
        let skipped = list(
            b.buckets()
                .filter_map(|(k, v)| match k {
                    Bucket::Skipped(why) => Some(format!(
                        "{} {v}",
                        self.t(&format!("skip_{}", why.name()), &[])
                    )),
                    _ => None,
                })
                .collect(),
        );
        let n = |v: u64| v.to_string();
        let report = self.t(
            "bc_report",
            &[
                ("id", &n(b.id)),
                ("topic", &self.topic_label(b)),
                ("state", &self.state_text(b.state)),
                ("sent", &n(c(Bucket::Sent))),
                ("total", &n(b.audience.max(done(b)))),
                ("free", &n(c(Bucket::FreeForm))),
                ("template", &n(c(Bucket::Template))),
                ("delivered", &n(s("delivered") + s("read"))),
                ("read", &n(s("read"))),
                ("failed", &failed),
                ("skipped", &skipped),
                ("unknown", &n(c(Bucket::Uncertain))),
            ],
        );
        match self.billed_text(stats) {
            Some(billed) => format!("{report}\n{billed}"),
            None => report,
        }
    }

    /// Posts `text` as a notice in the admin room, or edits the earlier one.
    pub(in crate::bridge) async fn post_or_edit(
        &self,
        event: Option<&str>,
        txn: &str,
        text: &str,
    ) -> Result<String, Failure> {
        let room = self.admin_room.ensure().await?;
        let notice = json!({"msgtype": "m.notice", "body": text});
        let content = match event {
            None => notice,
            Some(id) => json!({
                "msgtype": "m.notice",
                "body": format!("* {text}"),
                "m.new_content": notice,
                "m.relates_to": {"rel_type": "m.replace", "event_id": id},
            }),
        };
        let sent = self
            .parts
            .matrix
            .send(None, &room, "m.room.message", txn, &content)
            .await?;
        Ok(event.map(str::to_owned).unwrap_or(sent))
    }

    /// Edits the progress message when it is due (always when `last`), and posts the
    /// report at the end. Problems are logged: progress never stops a broadcast.
    pub(in crate::bridge) async fn show_progress(
        &self,
        b: &mut Broadcast,
        p: &mut Progress,
        pace: &Pace,
        last: bool,
    ) {
        let every = Duration::from_secs(self.parts.config.raw.broadcast.progress_every_secs);
        if !last && p.last_edit.is_some_and(|t| t.elapsed() < every) {
            return;
        }
        p.last_edit = Some(Instant::now());
        p.edits += 1;
        let d = done(b);
        let total = b.audience.max(d);
        let elapsed = p.started.elapsed().as_secs_f64().max(0.001);
        let rate = (d.saturating_sub(p.done_at_start)) as f64 / elapsed;
        self.parts
            .metrics
            .broadcast_rate
            .set(if last { 0.0 } else { rate });
        let left = (total.saturating_sub(d)) as f64 / pace.rate();
        let failed: u64 = b
            .buckets()
            .filter(|(k, _)| matches!(k, Bucket::Failed(_) | Bucket::Uncertain))
            .map(|(_, v)| v)
            .sum();
        let n = |v: u64| v.to_string();
        let text = self.t(
            "bc_progress",
            &[
                ("id", &n(b.id)),
                ("topic", &self.topic_label(b)),
                ("bar", &bar(d, total)),
                ("done", &n(d)),
                ("total", &n(total)),
                ("failed", &n(failed)),
                ("rate", &format!("{rate:.0}")),
                ("left", &duration_text(if last { 0 } else { left as u64 })),
            ],
        );
        let txn = txn_id(
            "bcprogress",
            &format!("{}|{}|{}", b.id, self.now_secs(), p.edits),
        );
        match self
            .post_or_edit(b.progress_event.as_deref(), &txn, &text)
            .await
        {
            Ok(id) if b.progress_event.is_none() => {
                b.progress_event = Some(id);
                if let Err(e) = self.parts.store.commit(vec![Store::broadcast_op(b)]) {
                    warn!("cannot record the progress message: {e}");
                }
            }
            Ok(_) => {}
            Err(t) => warn!(broadcast = b.id, "progress not shown: {}", t.reason),
        }
        if last {
            self.update_report(b).await;
        }
    }

    async fn update_report(&self, b: &mut Broadcast) -> Option<BTreeMap<String, u64>> {
        let stats = self.parts.store.broadcast_stats(b.id).ok()?;
        let text = self.report_text(b, &stats);
        let txn = txn_id("bcreport", &format!("{}|{text}", b.id));
        match self
            .post_or_edit(b.report_event.as_deref(), &txn, &text)
            .await
        {
            Ok(id) => {
                if b.report_event.is_none() {
                    b.report_event = Some(id);
                    if let Err(e) = self.parts.store.commit(vec![Store::broadcast_op(b)]) {
                        warn!("cannot record the report message: {e}");
                    }
                }
                Some(stats)
            }
            Err(t) => {
                warn!(broadcast = b.id, "report not updated: {}", t.reason);
                None
            }
        }
    }

    /// For a day after the end, edits the report whenever Meta's statuses change its counts.
    pub(in crate::bridge) async fn follow_report(&self, id: u64) -> Result<(), Failure> {
        let mut shown = None;
        loop {
            let mut b = self.load(id)?;
            let Some(end) = b.finished_at else {
                return Ok(());
            };
            if self.now_secs() > end + 24 * 3600 {
                return Ok(());
            }
            let stats = self.parts.store.broadcast_stats(id)?;
            if shown.as_ref() != Some(&stats) || b.report_event.is_none() {
                shown = self.update_report(&mut b).await.or(shown);
            }
            if self
                .parts
                .life
                .sleep_or_shutdown(Duration::from_secs(2))
                .await
            {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_and_durations() {
        assert_eq!(bar(0, 10), "[□□□□□□□□□□]");
        assert_eq!(bar(5, 10), "[■■■■■□□□□□]");
        assert_eq!(bar(12, 10), "[■■■■■■■■■■]");
        assert_eq!(duration_text(45), "45 s");
        assert_eq!(duration_text(150), "2 min 30 s");
        assert_eq!(duration_text(3900), "1 h 5 min");
    }
}
