//! What went wrong, kept for admins: dead letters (with where they came from, so `!retry`
//! can put them back), the failure record of a queue item still being retried, and the
//! overview of waiting work that `!queues` and the stall watch read.

use serde::{Deserialize, Serialize};

use super::{Op, QUEUE, QueueItem, R, Store, StoreError, now_secs, seq_of};

/// id (u64 BE: 1, 2, 3 …, short enough to type in `!retry`) → JSON [`DeadLetter`].
pub(super) const DEAD: &str = "deadletter_json";
/// queue item key (`<citizen key>` 0x00 seq) → JSON [`Failing`]: its transient failures.
pub(super) const FAILING: &str = "queuekey_failing";

pub(super) const TROUBLE_TABLES: [&str; 2] = [DEAD, FAILING];

/// Where a dead letter came from: `!retry` puts it back there.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum Origin {
    /// An item of a citizen's queue (or of the admin room's, key `admin`).
    Queue { citizen: String },
    /// A whole delivery of the inbox: a webhook, or an appservice transaction.
    Inbox { matrix: bool },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeadLetter {
    pub seq: u64,
    pub received_at: u64,
    pub reason: String,
    /// The body as received (lossy UTF-8; Meta's bodies are ASCII JSON).
    pub body: String,
    /// `None`: a part of a delivery that cannot be put back (an unusable webhook item).
    #[serde(default)]
    pub origin: Option<Origin>,
}

/// A queue item that failed transiently: since when, how often, and the latest reason.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Failing {
    pub since: u64,
    pub attempts: u32,
    pub last_error: String,
}

/// One queue with waiting work, for `!queues` and the stall watch.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueSummary {
    pub citizen: String,
    pub items: usize,
    /// The head item (the one being worked on).
    pub head: QueueItem,
    /// When the head was queued (unix seconds).
    pub head_queued_at: u64,
}

impl Store {
    /// A dead letter that cannot be put back.
    pub fn dead_letter_op(&self, reason: &str, body: &[u8]) -> Op {
        self.dead_letter_from_op(reason, body, None).1
    }

    /// A dead letter and its id (what `!retry` and `!drop` take).
    pub fn dead_letter_from_op(
        &self,
        reason: &str,
        body: &[u8],
        origin: Option<Origin>,
    ) -> (u64, Op) {
        let seq = self.dead.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        let d = DeadLetter {
            seq,
            received_at: now_secs(),
            reason: reason.to_owned(),
            body: String::from_utf8_lossy(body).into_owned(),
            origin,
        };
        let op = Op::put(
            DEAD,
            seq.to_be_bytes(),
            serde_json::to_vec(&d).expect("serialisable"),
        );
        (seq, op)
    }

    /// The oldest `limit` dead letters.
    pub fn dead_letters(&self, limit: usize) -> R<Vec<DeadLetter>> {
        self.kv
            .scan(DEAD, b"", limit)?
            .into_iter()
            .map(|(_, v)| serde_json::from_slice(&v).map_err(StoreError::corrupt))
            .collect()
    }

    /// How many dead letters are kept.
    pub fn dead_letter_count(&self) -> R<usize> {
        Ok(self.kv.scan(DEAD, b"", usize::MAX)?.len())
    }

    pub fn dead_letter(&self, seq: u64) -> R<Option<DeadLetter>> {
        self.kv
            .get(DEAD, &seq.to_be_bytes())?
            .map(|v| serde_json::from_slice(&v).map_err(StoreError::corrupt))
            .transpose()
    }

    pub fn dead_letter_delete_op(seq: u64) -> Op {
        Op::delete(DEAD, seq.to_be_bytes())
    }

    pub fn failing(&self, item: &QueueItem) -> R<Option<Failing>> {
        self.kv
            .get(FAILING, &item.key)?
            .map(|v| serde_json::from_slice(&v).map_err(StoreError::corrupt))
            .transpose()
    }

    pub fn failing_op(item: &QueueItem, f: &Failing) -> Op {
        Op::put(
            FAILING,
            item.key.clone(),
            serde_json::to_vec(f).expect("serialisable"),
        )
    }

    /// Goes with the item's removal (a no-op when it never failed).
    pub fn failing_clear_op(item: &QueueItem) -> Op {
        Op::delete(FAILING, item.key.clone())
    }

    /// Every queue with waiting work, in key order (one pass over the queue table).
    pub fn queue_overview(&self) -> R<Vec<QueueSummary>> {
        let mut out: Vec<QueueSummary> = Vec::new();
        for (key, body) in self.kv.scan(QUEUE, b"", usize::MAX)? {
            let citizen = key.split(|b| *b == 0).next().unwrap_or_default();
            match out.last_mut() {
                Some(q) if q.citizen.as_bytes() == citizen => q.items += 1,
                _ => out.push(QueueSummary {
                    citizen: String::from_utf8_lossy(citizen).into_owned(),
                    items: 1,
                    head_queued_at: seq_of(&key) / 1_000_000_000,
                    head: QueueItem { key, body },
                }),
            }
        }
        Ok(out)
    }
}
