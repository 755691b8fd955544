//! Nothing grows forever: what the store prunes, and after how long. Each table is walked in
//! pages (one commit per page), so a sweep never holds much in memory or blocks for long.

use super::portals::{MSG_MX, MSG_WA, STATUS, StatusRecord};
use super::trouble::DEAD;
use super::{DeadLetter, MessageRef, Op, R, SEEN, Store};

const DAY: u64 = 86_400;

/// How long each kind of record is kept.
pub struct Retention {
    /// Dedupe marks: Meta retries a webhook for up to 7 days, so 8.
    pub marks: u64,
    /// Delivery statuses of outbound messages (a late status after that changes nothing).
    pub statuses: u64,
    /// The wamid ↔ event map (replies and reactions to older messages lose their link).
    pub messages: u64,
    /// Dead letters not retried or dropped by an admin.
    pub dead_letters: u64,
    /// The helpdesk's ledger (anonymous): `!stats` reaches back a year and a month.
    pub ledger: u64,
}

pub const RETENTION: Retention = Retention {
    marks: 8 * DAY,
    statuses: 30 * DAY,
    messages: 180 * DAY,
    dead_letters: 90 * DAY,
    ledger: 400 * DAY,
};

const PAGE: usize = 1000;

/// What one sweep removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pruned {
    pub marks: usize,
    pub statuses: usize,
    pub messages: usize,
    pub dead_letters: usize,
    pub ledger: usize,
}

fn be_secs(b: &[u8]) -> Option<u64> {
    b.try_into().ok().map(u64::from_be_bytes)
}

impl Store {
    /// Removes what is older than [`RETENTION`] at `now` (unix seconds).
    pub fn prune(&self, now: u64) -> R<Pruned> {
        let cutoff = |keep: u64| now.saturating_sub(keep);
        Ok(Pruned {
            marks: self.prune_table(SEEN, |_, v| {
                let old = be_secs(v).is_some_and(|t| t < cutoff(RETENTION.marks));
                old.then(Vec::new)
            })?,
            statuses: self.prune_table(STATUS, |_, v| {
                let r: StatusRecord = serde_json::from_slice(v).ok()?;
                (r.at < cutoff(RETENTION.statuses)).then(Vec::new)
            })?,
            messages: self.prune_table(MSG_WA, |_, v| {
                let r: MessageRef = serde_json::from_slice(v).ok()?;
                let old = r.at > 0 && r.at < cutoff(RETENTION.messages);
                old.then(|| vec![Op::delete(MSG_MX, r.event_id.as_bytes())])
            })?,
            dead_letters: self.prune_table(DEAD, |_, v| {
                let d: DeadLetter = serde_json::from_slice(v).ok()?;
                (d.received_at < cutoff(RETENTION.dead_letters)).then(Vec::new)
            })?,
            ledger: self.prune_ledger(cutoff(RETENTION.ledger))?,
        })
    }

    /// Deletes every entry for which `expired` says so (with the extra writes it returns).
    fn prune_table(
        &self,
        table: &'static str,
        expired: impl Fn(&[u8], &[u8]) -> Option<Vec<Op>>,
    ) -> R<usize> {
        let mut removed = 0;
        super::kv::each_page(&*self.kv, table, PAGE, |page| {
            let mut ops = Vec::new();
            for (k, v) in page {
                if let Some(extra) = expired(k, v) {
                    ops.push(Op::delete(table, k.clone()));
                    ops.extend(extra);
                    removed += 1;
                }
            }
            if !ops.is_empty() {
                self.commit(ops)?;
            }
            Ok(())
        })?;
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Mark;

    #[test]
    fn old_records_are_pruned_and_recent_ones_kept() {
        let store = Store::memory();
        let now = super::super::now_secs();
        let day = DAY;
        let mark = |m: &str, at: u64| Op::put(SEEN, m.as_bytes(), at.to_be_bytes());
        let mut ops = vec![
            mark("w:old", now - 9 * day),
            mark("w:recent", now - 6 * day),
        ];
        ops.extend(Store::message_ops("wamid.new", "!r", "$new"));
        ops.push(Store::status_op("wamid.new", "delivered", None));
        let old_ref = MessageRef {
            room_id: "!r".into(),
            event_id: "$old".into(),
            at: now - 200 * day,
        };
        ops.push(Op::put(
            MSG_WA,
            &b"wamid.old"[..],
            serde_json::to_vec(&old_ref).unwrap(),
        ));
        ops.push(Op::put(MSG_MX, &b"$old"[..], &b"wamid.old"[..]));
        let old_status = StatusRecord {
            status: "sent".into(),
            at: now - 31 * day,
            pricing: None,
        };
        ops.push(Op::put(
            STATUS,
            &b"wamid.old"[..],
            serde_json::to_vec(&old_status).unwrap(),
        ));
        let (_, dead) = store.dead_letter_from_op("x", b"{}", None);
        ops.push(dead);
        ops.push(store.tally_op(now - 401 * day, &super::super::Tally::Opened));
        ops.push(store.tally_op(now - 399 * day, &super::super::Tally::Opened));
        store.commit(ops).unwrap();

        let pruned = store.prune(now).unwrap();
        assert_eq!(
            pruned,
            Pruned {
                marks: 1,
                statuses: 1,
                messages: 1,
                dead_letters: 0,
                ledger: 1,
            }
        );
        assert!(
            !store.seen(&Mark::Message("old")).unwrap()
                && store.seen(&Mark::Message("recent")).unwrap()
        );
        assert!(store.event_for_wamid("wamid.old").unwrap().is_none());
        assert!(store.wamid_for_event("$old").unwrap().is_none());
        assert!(store.event_for_wamid("wamid.new").unwrap().is_some());
        assert_eq!(
            store.status("wamid.new").unwrap().as_deref(),
            Some("delivered")
        );
        assert_eq!(store.status("wamid.old").unwrap(), None);
        // Ninety-one days later the dead letter goes too.
        assert_eq!(store.prune(now + 91 * day).unwrap().dead_letters, 1);
    }

    #[test]
    fn pruning_walks_more_than_one_page() {
        let store = Store::memory();
        let now = super::super::now_secs();
        let ops: Vec<Op> = (0..2500)
            .map(|i| {
                Op::put(
                    SEEN,
                    format!("w:{i:05}").into_bytes(),
                    (now - 10 * DAY).to_be_bytes(),
                )
            })
            .collect();
        store.commit(ops).unwrap();
        assert_eq!(store.prune(now).unwrap().marks, 2500);
        assert_eq!(store.prune(now).unwrap().marks, 0);
    }
}
