//! Deliveries the router cannot use: kept as dead letters (a whole delivery whose routing
//! panicked, so `!retry` can route it again; an unreadable webhook or transaction; an unusable
//! item of a webhook) and reported with one line in the admin room, in the router's commit.

use crate::bridge::Bridge;
use crate::bridge::engine::item::Work;
use crate::bridge::engine::router::Routed;
use crate::store::{InboxEntry, Source};

impl Bridge {
    /// A delivery whose routing panicked: kept whole as a dead letter, reported to admins.
    pub(in crate::bridge) fn dead_letter_delivery(&self, r: &mut Routed, entry: &InboxEntry) {
        let reason = self.t("router_panic", &[]);
        let origin = crate::store::Origin::Inbox {
            matrix: entry.source == Source::Matrix,
        };
        let (id, op) = self
            .inner
            .store
            .dead_letter_from_op(&reason, &entry.body, Some(origin));
        r.ops.push(op);
        let key = match entry.source {
            Source::WhatsApp => "dead_letter",
            Source::Matrix => "dead_letter_matrix",
        };
        self.report_dead_letter_as(r, key, &reason, id);
    }

    /// Tells the admin room that something Meta sent was kept as dead letter `seq`.
    pub(in crate::bridge) fn report_dead_letter(&self, r: &mut Routed, reason: &str, seq: u64) {
        self.report_dead_letter_as(r, "dead_letter", reason, seq)
    }

    pub(in crate::bridge) fn report_dead_letter_as(
        &self,
        r: &mut Routed,
        key: &str,
        reason: &str,
        seq: u64,
    ) {
        let args = [
            ("reason", crate::ids::mask_text(reason)),
            ("seq", seq.to_string()),
        ];
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let notice = Work::AdminNotice {
            text: self.t(key, &args),
            txn_id: crate::matrix::txn_id("dead", &format!("{seq}|{reason}")),
        };
        r.push(
            &self.inner.store,
            crate::bridge::engine::item::ADMIN_QUEUE,
            &notice,
        );
    }
}
