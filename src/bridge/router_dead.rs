//! Deliveries the router cannot use: kept as dead letters (a whole delivery whose routing
//! panicked, so `!retry` can route it again; an unreadable webhook or transaction; an unusable
//! item of a webhook) and reported with one line in the admin room, in the router's commit.

use super::Bridge;
use super::router::Routed;
use super::work::Work;
use crate::store::{InboxEntry, Source};

impl Bridge {
    /// A delivery whose routing panicked: kept whole as a dead letter, reported to admins.
    pub(super) fn dead_letter_delivery(&self, r: &mut Routed, entry: &InboxEntry) {
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
    pub(super) fn report_dead_letter(&self, r: &mut Routed, reason: &str, seq: u64) {
        self.report_dead_letter_as(r, "dead_letter", reason, seq)
    }

    pub(super) fn report_dead_letter_as(&self, r: &mut Routed, key: &str, reason: &str, seq: u64) {
        let args = [
            ("reason", crate::ids::mask_text(reason)),
            ("seq", seq.to_string()),
        ];
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let notice = Work::AdminNotice {
            text: self.t(key, &args),
            txn_id: super::inbound::txn_id("dead", &format!("{seq}|{reason}")),
        };
        r.push(&self.inner.store, super::admin::ADMIN_QUEUE, &notice);
    }
}
