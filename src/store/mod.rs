//! Durable state: the inbox of raw deliveries (webhooks and appservice transactions), the
//! per-citizen work queues, held work, dead letters, dedupe marks, blocks and the audit log;
//! portals and the message map are in `portals.rs`, the news service's state in `news.rs`.
//! Built on the small [`Kv`] interface; table names follow `key_value` naming and each
//! table's key layout is documented where it is defined.
//!
//! Everything the bridge acknowledges is committed here first (see ARCHITECTURE.md).

mod buckets;
mod coexistence;
mod conversations;
pub(crate) mod durability;
mod erasure;
mod group;
pub mod kv;
mod ledger;
mod meta;
mod migrate;
mod news;
mod portals;
mod privacy;
mod retention;
#[cfg(test)]
mod test_kv;
mod trouble;

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

pub use buckets::{Bucket, RecipientState, Skip};
pub use conversations::{ConvState, Conversation, ConversationEvent};
pub use erasure::{Found, Subject, drop_naming};
pub use kv::{Kv, MemoryKv, Op, RedbKv, StoreError};
pub use ledger::{FROM_PHONE, Tallied, Tally};
pub use meta::Meta;
pub use news::{
    Attachment, Broadcast, BroadcastState, ConsentEntry, PinnedTemplate, RecipientSend,
    Subscription,
};
pub use portals::{MessageRef, PortalRecord, Priced, ReactionRef, StatusRecord};
pub use privacy::{ConsentPruned, ErasureRecord, ErasureRequest};
pub use retention::{Pruned, RETENTION};
use serde::{Deserialize, Serialize};
pub use trouble::{DeadLetter, Failing, Origin, QueueSummary};

/// `name` → value: `space_room_id`, `schema_version`.
pub(super) const META: &str = "meta";
/// seq (u64 BE) → source byte + raw body, as received.
pub(super) const INBOX: &str = "inbox_rawbody";
/// `w:<wamid>` | `e:<event id>` | `s:<wamid>:<status>` → unix seconds first seen.
pub(super) const SEEN: &str = "seen_time";
/// `<citizen key>` 0x00 seq (u64 BE) → work item (JSON, owned by the bridge).
const QUEUE: &str = "citizenseq_work";
/// citizen key → JSON [`BlockRecord`].
const BLOCKS: &str = "citizen_block";
/// seq → JSON [`AuditEntry`]: every command run.
const AUDIT: &str = "seq_audit";
/// `<citizen key>` 0x00 seq → a staff work item held until the citizen's window reopens.
const HELD: &str = "citizenseq_heldwork";

const TABLES: [&str; 7] = [META, INBOX, SEEN, QUEUE, HELD, BLOCKS, AUDIT];

fn all_tables() -> Vec<&'static str> {
    TABLES
        .iter()
        .chain(portals::PORTAL_TABLES.iter())
        .chain(news::NEWS_TABLES.iter())
        .chain(trouble::TROUBLE_TABLES.iter())
        .chain([conversations::CONVERSATIONS, ledger::LEDGER].iter())
        .chain(coexistence::COEXISTENCE_TABLES.iter())
        .chain(privacy::PRIVACY_TABLES.iter())
        .copied()
        .collect()
}
pub use migrate::SCHEMA;

/// Where a raw inbox body came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    WhatsApp,
    Matrix,
}

impl Source {
    fn byte(self) -> u8 {
        match self {
            Source::WhatsApp => b'w',
            Source::Matrix => b'm',
        }
    }
}

#[derive(Debug, Clone)]
pub struct InboxEntry {
    pub seq: u64,
    pub source: Source,
    pub body: Vec<u8>,
}

/// A blocked citizen: nothing is bridged either way.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BlockRecord {
    pub reason: String,
    pub by: String,
    pub at: u64,
    /// What Meta's Block API said (or why it was not called).
    pub meta: String,
}

/// One command run, for `!audit`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuditEntry {
    pub at: u64,
    pub who: String,
    pub room: String,
    pub command: String,
    pub result: String,
}

/// A pending work item of one citizen's queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueItem {
    pub key: Vec<u8>,
    pub body: Vec<u8>,
}

/// What a dedupe mark remembers (`seen_time`); the key formats are the store's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark<'a> {
    /// A WhatsApp message delivered (`w:<wamid>`).
    Message(&'a str),
    /// A status of a message delivered (`s:<wamid>:<status>`).
    Status { wamid: &'a str, status: &'a str },
    /// A citizen's marketing preference delivered (`u:<citizen>:<value>:<time>`).
    Preference {
        citizen: &'a str,
        value: &'a str,
        at: i64,
    },
    /// A homeserver event handled (`e:<event id>`).
    Event(&'a str),
    /// A read receipt sent for a citizen's message (`r:<wamid>`).
    Read(&'a str),
    /// A queue head reported as stalled (`q:<item key, hex>`).
    Stalled(&'a [u8]),
    /// A portal's closing window noticed by the sweeper (`t:<citizen>:<until>`).
    WindowClosed { citizen: &'a str, until: i64 },
    /// A panic of the sweeper over a portal reported (`sweep-panic:<citizen>`).
    SweepPanic(&'a str),
    /// A template webhook handled (`m:<fingerprint of what it says>`).
    TemplateEvent(&'a str),
    /// Staff reminded of a citizen waiting since `since` (`remind:<citizen>:<since>`).
    Reminded { citizen: &'a str, since: u64 },
    /// Staff warned that the window opened at `at` closes (`warn:<citizen>:<at>`).
    WindowWarned { citizen: &'a str, at: i64 },
}

impl Mark<'_> {
    /// The mark's key in `seen_time`.
    pub fn key(&self) -> String {
        match self {
            Mark::Message(w) => format!("w:{w}"),
            Mark::Status { wamid, status } => format!("s:{wamid}:{status}"),
            Mark::Preference { citizen, value, at } => format!("u:{citizen}:{value}:{at}"),
            Mark::Event(e) => format!("e:{e}"),
            Mark::Read(w) => format!("r:{w}"),
            Mark::Stalled(key) => format!("q:{}", hex::encode(key)),
            Mark::WindowClosed { citizen, until } => format!("t:{citizen}:{until}"),
            Mark::SweepPanic(c) => format!("sweep-panic:{c}"),
            Mark::TemplateEvent(f) => format!("m:{f}"),
            Mark::Reminded { citizen, since } => format!("remind:{citizen}:{since}"),
            Mark::WindowWarned { citizen, at } => format!("warn:{citizen}:{at}"),
        }
    }
}

#[derive(Clone)]
pub struct Store {
    kv: Arc<dyn Kv>,
    seq: Arc<AtomicU64>,
    /// The last dead letter's id.
    dead: Arc<AtomicU64>,
    writer: Arc<durability::Writer>,
}

pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn now_nanos() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

fn seq_of(key: &[u8]) -> u64 {
    let tail: [u8; 8] = key[key.len().saturating_sub(8)..]
        .try_into()
        .unwrap_or([0; 8]);
    u64::from_be_bytes(tail)
}

type R<T> = Result<T, StoreError>;

impl Store {
    /// Opens (or creates) the redb file in `dir`.
    /// Opens (or creates) the redb file in `dir`, upgrading an older store (after copying it
    /// as it was next to it) and refusing a newer one.
    pub fn open(dir: &std::path::Path) -> R<Store> {
        Store::open_with(dir, durability::FLUSH_WITHIN)
    }

    /// [`Store::open`], with soon commits made durable within `flush` (tests stretch it).
    pub(crate) fn open_with(dir: &std::path::Path, flush: std::time::Duration) -> R<Store> {
        let kv = Arc::new(RedbKv::open(dir, &all_tables())?);
        migrate::upgrade(&*kv, Some(dir), now_secs())?;
        Store::with_kv(kv, Some(flush))
    }

    pub fn memory() -> Store {
        let kv = Arc::new(MemoryKv::default());
        migrate::upgrade(&*kv, None, now_secs()).expect("memory store");
        Store::with_kv(kv, None).expect("memory store")
    }

    /// A consistent copy of the whole store, as it is now, in a new redb file at `file` (which
    /// must not exist): a backup while the bridge runs. The number of entries copied.
    pub fn backup_to(&self, file: &std::path::Path) -> R<u64> {
        self.kv.copy_to(file)
    }

    fn with_kv(kv: Arc<dyn Kv>, flush: Option<std::time::Duration>) -> R<Store> {
        // Sequence numbers are wall-clock nanoseconds made strictly increasing, and never
        // below anything already stored, so keys keep their order across restarts.
        let mut max = 0;
        if let Some((k, _)) = kv.last(INBOX)? {
            max = max.max(seq_of(&k));
        }
        for (k, _) in kv.scan(QUEUE, b"", usize::MAX)? {
            max = max.max(seq_of(&k));
        }
        let dead = kv.last(trouble::DEAD)?.map_or(0, |(k, _)| seq_of(&k));
        let store = Store {
            writer: Arc::new(durability::Writer::new(&kv, max, flush)),
            kv,
            seq: Arc::new(AtomicU64::new(max)),
            dead: Arc::new(AtomicU64::new(dead)),
        };
        Ok(store)
    }

    /// A fresh, strictly increasing sequence number.
    pub fn next_seq(&self) -> u64 {
        let now = now_nanos();
        let mut cur = self.seq.load(Ordering::SeqCst);
        loop {
            let next = now.max(cur + 1);
            match self
                .seq
                .compare_exchange(cur, next, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => return next,
                Err(c) => cur = c,
            }
        }
    }

    /// Applies `ops` atomically, durable when it returns; callers committing at the same time
    /// share one commit (`group`).
    pub fn commit(&self, ops: Vec<Op>) -> R<()> {
        self.writer.group.commit(&*self.kv, ops)
    }

    /// Durable commits made so far, and the callers they served (callers / commits is how
    /// much group commit shared).
    pub fn commit_counts(&self) -> (u64, u64) {
        self.writer.group.counts()
    }

    // ---- inbox

    /// Persists a raw delivery; durable when this returns. Committed off the async threads,
    /// together with whatever else commits at the same time (group commit).
    pub async fn inbox_push(&self, source: Source, body: &[u8]) -> R<u64> {
        let seq = self.next_seq();
        let op = Self::inbox_op(seq, source, body);
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.commit(vec![op]))
            .await
            .unwrap_or_else(|e| Err(StoreError::new(e)))?;
        Ok(seq)
    }

    /// Keeps deliveries (their sequence numbers already taken) in the inbox, in one commit;
    /// durable when this returns. Blocking.
    pub fn inbox_keep(&self, entries: &[InboxEntry]) -> R<()> {
        self.commit(
            entries
                .iter()
                .map(|e| Self::inbox_op(e.seq, e.source, &e.body))
                .collect(),
        )
    }

    fn inbox_op(seq: u64, source: Source, body: &[u8]) -> Op {
        let mut v = Vec::with_capacity(body.len() + 1);
        v.push(source.byte());
        v.extend_from_slice(body);
        Op::put(INBOX, seq.to_be_bytes(), v)
    }

    pub fn inbox_pending(&self, limit: usize) -> R<Vec<InboxEntry>> {
        Ok(self
            .kv
            .scan(INBOX, b"", limit)?
            .into_iter()
            .map(|(k, v)| InboxEntry {
                seq: seq_of(&k),
                source: if v.first() == Some(&b'm') {
                    Source::Matrix
                } else {
                    Source::WhatsApp
                },
                body: v.get(1..).unwrap_or_default().to_vec(),
            })
            .collect())
    }

    pub fn inbox_done_op(seq: u64) -> Op {
        Op::delete(INBOX, seq.to_be_bytes())
    }

    // ---- dedupe marks

    pub fn seen(&self, mark: &Mark<'_>) -> R<bool> {
        Ok(self.kv.get(SEEN, mark.key().as_bytes())?.is_some())
    }

    pub fn seen_op(mark: &Mark<'_>) -> Op {
        Op::put(SEEN, mark.key().as_bytes(), now_secs().to_be_bytes())
    }

    // ---- per-citizen queues

    fn queue_prefix(citizen: &str) -> Vec<u8> {
        let mut k = citizen.as_bytes().to_vec();
        k.push(0);
        k
    }

    pub fn queue_push_op(&self, citizen: &str, work: &[u8]) -> Op {
        let mut k = Self::queue_prefix(citizen);
        k.extend_from_slice(&self.next_seq().to_be_bytes());
        Op::put(QUEUE, k, work)
    }

    pub fn queue_head(&self, citizen: &str) -> R<Option<QueueItem>> {
        Ok(self
            .kv
            .scan(QUEUE, &Self::queue_prefix(citizen), 1)?
            .into_iter()
            .next()
            .map(|(key, body)| QueueItem { key, body }))
    }

    pub fn queue_len(&self, citizen: &str) -> R<usize> {
        Ok(self
            .kv
            .scan(QUEUE, &Self::queue_prefix(citizen), usize::MAX)?
            .len())
    }

    /// The queues these writes add an item to (their workers need waking once committed).
    pub fn queues_pushed(ops: &[Op]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for op in ops.iter().filter(|o| o.table == QUEUE && o.value.is_some()) {
            let citizen = op.key.split(|b| *b == 0).next().unwrap_or_default();
            let citizen = String::from_utf8_lossy(citizen).into_owned();
            if !out.contains(&citizen) {
                out.push(citizen);
            }
        }
        out
    }

    pub fn queue_update_op(item: &QueueItem, body: Vec<u8>) -> Op {
        Op::put(QUEUE, item.key.clone(), body)
    }

    pub fn queue_done_op(item: &QueueItem) -> Op {
        Op::delete(QUEUE, item.key.clone())
    }

    /// Citizens with pending work (for the start-up kick).
    pub fn queue_citizens(&self) -> R<Vec<String>> {
        Ok(self
            .queue_overview()?
            .into_iter()
            .map(|q| q.citizen)
            .collect())
    }

    // ---- blocks and audit

    pub fn block(&self, citizen: &str) -> R<Option<BlockRecord>> {
        self.kv
            .get(BLOCKS, citizen.as_bytes())?
            .map(|v| serde_json::from_slice(&v).map_err(StoreError::corrupt))
            .transpose()
    }

    pub fn block_op(citizen: &str, b: &BlockRecord) -> Op {
        Op::put(
            BLOCKS,
            citizen.as_bytes(),
            serde_json::to_vec(b).expect("serialisable"),
        )
    }

    pub fn unblock_op(citizen: &str) -> Op {
        Op::delete(BLOCKS, citizen.as_bytes())
    }

    pub fn blocks(&self) -> R<Vec<(String, BlockRecord)>> {
        self.kv
            .scan(BLOCKS, b"", usize::MAX)?
            .into_iter()
            .map(|(k, v)| {
                let b = serde_json::from_slice(&v).map_err(StoreError::corrupt)?;
                Ok((String::from_utf8_lossy(&k).into_owned(), b))
            })
            .collect()
    }

    pub fn audit_op(&self, e: &AuditEntry) -> Op {
        Op::put(
            AUDIT,
            self.next_seq().to_be_bytes(),
            serde_json::to_vec(e).expect("serialisable"),
        )
    }

    /// The last `n` audit entries, oldest first (reads those `n` only).
    pub fn audit(&self, n: usize) -> R<Vec<AuditEntry>> {
        let mut last = self.kv.scan_back(AUDIT, n)?;
        last.reverse();
        last.iter()
            .map(|(_, v)| serde_json::from_slice(v).map_err(StoreError::corrupt))
            .collect()
    }

    // ---- held work (outside the 24-hour window)

    pub fn held_push_op(&self, citizen: &str, work: &[u8]) -> Op {
        let mut k = Self::queue_prefix(citizen);
        k.extend_from_slice(&self.next_seq().to_be_bytes());
        Op::put(HELD, k, work)
    }

    pub fn held(&self, citizen: &str) -> R<Vec<QueueItem>> {
        Ok(self
            .kv
            .scan(HELD, &Self::queue_prefix(citizen), usize::MAX)?
            .into_iter()
            .map(|(key, body)| QueueItem { key, body })
            .collect())
    }

    /// How many answers are held, over every citizen.
    pub fn held_count(&self) -> R<usize> {
        Ok(self.kv.scan(HELD, b"", usize::MAX)?.len())
    }

    pub fn held_delete_op(item: &QueueItem) -> Op {
        Op::delete(HELD, item.key.clone())
    }
}

#[cfg(test)]
mod tests;
