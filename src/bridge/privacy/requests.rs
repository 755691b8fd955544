//! A citizen's own request to be erased (GDPR arts. 17 and 12): a message containing one of
//! `privacy.erasure_keywords` is still bridged, gets an acknowledgement with the date the office
//! will answer by, and becomes a pending request (decided by the router, in the commit that
//! queues the message) told in the admin room. `!requests` lists the open ones; `!forget` on
//! the citizen answers theirs, `!requests close <n> <why>` one the office turns down; the daily
//! sweep reminds the admins of one due within a week, and every day of one overdue.

use tracing::info;

use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::item::{ADMIN_QUEUE, CitizenWork, KeywordReply, Reply, Work};
use crate::bridge::engine::router::Routed;
use crate::bridge::privacy::Privacy;
use crate::commands::html_table;
use crate::ids::CitizenKey;
use crate::matrix::txn_id;
use crate::store::{ErasureRequest, Op, Store, StoreError};
use crate::whatsapp::message::Message;

const DAY: u64 = 86_400;

impl Privacy {
    /// The router's part: a message asking for erasure becomes a request.
    pub(in crate::bridge) fn route_request(
        &self,
        r: &mut Routed,
        citizen: &str,
        work: &mut CitizenWork,
    ) -> Result<(), StoreError> {
        let cfg = &self.parts.config.raw.privacy;
        let text = work.raw["text"]["body"].as_str().unwrap_or("");
        if work.keyword.is_some() || !crate::keywords::contains_phrase(text, &cfg.erasure_keywords)
        {
            return Ok(());
        }
        let store = &self.parts.store;
        let now = self.now();
        let request = ErasureRequest {
            citizen: citizen.to_owned(),
            room_id: store.portal(citizen)?.map(|p| p.room_id),
            received_at: now,
            due: now + u64::from(cfg.request_days) * DAY,
            reminded_day: None,
        };
        let (id, op) = store.request_op(&request);
        r.ops.push(op);
        let due = self.parts.config.local_day(request.due);
        let who = CitizenKey::parse(citizen)
            .map(|c| c.masked())
            .unwrap_or_default();
        let n = short(id);
        work.keyword = Some(Box::new(KeywordReply {
            notice: self.t("request_notice", &[("n", &n), ("due", &due)]),
            messages: vec![Message::text(
                self.t("request_ack", &[("due", &due)]),
                false,
            )],
            channel: "privacy".into(),
        }));
        let text = self.t("request_admin", &[("n", &n), ("who", &who), ("due", &due)]);
        let notice = Work::AdminNotice {
            text,
            txn_id: txn_id("erasure-request", &id.to_string()),
        };
        r.push(store, ADMIN_QUEUE, &notice);
        info!(citizen = %who, "erasure request received");
        Ok(())
    }

    /// `!requests`: the open requests, oldest first, with their deadlines.
    pub(super) fn requests_list(&self) -> Result<Reply, Failure> {
        let requests = self.parts.store.requests()?;
        if requests.is_empty() {
            return Ok(Reply::text(self.t("requests_none", &[])));
        }
        let now = self.now();
        let rows: Vec<Vec<String>> = requests
            .iter()
            .map(|(id, r)| {
                let who = CitizenKey::parse(&r.citizen)
                    .map(|c| c.masked())
                    .unwrap_or_default();
                let left = if r.due < now {
                    self.t(
                        "requests_overdue",
                        &[("days", &((now - r.due) / DAY).to_string())],
                    )
                } else {
                    self.t(
                        "requests_left",
                        &[("days", &((r.due - now) / DAY).to_string())],
                    )
                };
                let stamp = |t| self.parts.config.local_stamp(t);
                let day = |t| self.parts.config.local_day(t);
                vec![short(*id), who, stamp(r.received_at), day(r.due), left]
            })
            .collect();
        let lines: Vec<String> = rows.iter().map(|r| r.join(" · ")).collect();
        let head = ["n", "number", "received", "due", "left"];
        Ok(Reply {
            text: self.t("requests_list", &[("list", &lines.join("\n"))]),
            html: Some(html_table(&head, &rows)),
            ops: vec![],
        })
    }

    /// `!requests close <n> <why>`: a request the office answers without erasing.
    pub(super) fn close_request(&self, n: &str, why: &str, by: &str) -> Result<Reply, Failure> {
        let found = self
            .parts
            .store
            .requests()?
            .into_iter()
            .find(|(id, _)| short(*id) == n);
        let Some((id, r)) = found else {
            return Ok(Reply::text(self.t("requests_unknown", &[("n", n)])));
        };
        let who = CitizenKey::parse(&r.citizen)
            .map(|c| c.masked())
            .unwrap_or_default();
        info!(citizen = %who, "erasure request closed without erasure");
        Ok(Reply {
            ops: vec![Store::request_delete_op(id)],
            ..Reply::text(self.t(
                "requests_closed",
                &[("n", n), ("who", &who), ("why", why), ("by", by)],
            ))
        })
    }

    /// The sweep's reminders: a week before the deadline once, then every day once overdue.
    pub(super) fn remind_requests(&self) -> Result<Vec<Op>, StoreError> {
        let (store, now) = (&self.parts.store, self.now());
        let today = now / DAY;
        let mut ops = Vec::new();
        for (id, mut r) in store.requests()? {
            let soon = r.due.saturating_sub(7 * DAY) <= now;
            let told_today = r.reminded_day == Some(today);
            let told_soon = r.reminded_day.is_some();
            if !soon || told_today || (r.due > now && told_soon) {
                continue;
            }
            let who = CitizenKey::parse(&r.citizen)
                .map(|c| c.masked())
                .unwrap_or_default();
            let due = self.parts.config.local_day(r.due);
            let key = if r.due > now {
                "request_due_soon"
            } else {
                "request_overdue"
            };
            let text = self.t(key, &[("n", &short(id)), ("who", &who), ("due", &due)]);
            let txn = txn_id("erasure-remind", &format!("{id}|{today}"));
            ops.push(store.queue_push_op(
                ADMIN_QUEUE,
                &Work::AdminNotice { text, txn_id: txn }.to_bytes(),
            ));
            r.reminded_day = Some(today);
            ops.push(Store::request_update_op(id, &r));
        }
        Ok(ops)
    }
}

/// A request's number as staff type it: the last five digits of its id.
fn short(id: u64) -> String {
    format!("{:05}", id % 100_000)
}
