//! Citizens' data rights in the store: the erasure records (a keyed hash of an identity, when,
//! who, why — nothing else), pending erasure requests with their deadline, and the retention
//! rules of `[privacy]`: who has been inactive too long, and the consent records of ended
//! subscriptions.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::kv::{Entries, each_page};
use super::news::{CONSENT, SUBS};
use super::portals::PORTALS;
use super::{BLOCKS, ConsentEntry, Op, PortalRecord, R, Store, StoreError, Subscription};

/// keyed hash of an identity (hex) → JSON [`ErasureRecord`].
pub(super) const ERASED: &str = "erasedhash_record";
/// request id (u64 BE) → JSON [`ErasureRequest`].
pub(super) const REQUESTS: &str = "seq_erasurerequest";

pub(super) const PRIVACY_TABLES: [&str; 2] = [ERASED, REQUESTS];

/// What stays of an erased citizen: enough to refuse their old messages, and to show the
/// erasure was done.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ErasureRecord {
    /// When the erasure was asked for (Unix seconds): messages older than it are not taken in.
    pub at: u64,
    /// The staff member who ran `!forget`, or `retention`.
    pub by: String,
    pub reason: String,
    /// When the citizen asked, if they did (the deadline was a month from it).
    #[serde(default)]
    pub requested_at: Option<u64>,
    /// When the store's data was deleted.
    #[serde(default)]
    pub done_at: u64,
}

/// A citizen's request to be erased, until it is answered.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ErasureRequest {
    /// The citizen's store key.
    pub citizen: String,
    #[serde(default)]
    pub room_id: Option<String>,
    pub received_at: u64,
    /// The answer is due by then (Unix seconds).
    pub due: u64,
    /// The last day (days since the epoch) the admins were reminded of it.
    #[serde(default)]
    pub reminded_day: Option<u64>,
}

fn parse<T: for<'a> Deserialize<'a>>(v: &[u8]) -> R<T> {
    serde_json::from_slice(v).map_err(StoreError::corrupt)
}

fn json<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("serialisable")
}

/// What the consent sweep removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ConsentPruned {
    pub citizens: usize,
    pub entries: usize,
}

impl Store {
    pub fn erasure_record(&self, hash: &str) -> R<Option<ErasureRecord>> {
        self.kv
            .get(ERASED, hash.as_bytes())?
            .map(|v| parse(&v))
            .transpose()
    }

    pub fn erasure_record_op(hash: &str, r: &ErasureRecord) -> Op {
        Op::put(ERASED, hash.as_bytes(), json(r))
    }

    /// How many erasure records there are, and how many were done since `since`.
    pub fn erasures_since(&self, since: u64) -> R<(usize, usize)> {
        let (mut all, mut recent) = (0, 0);
        each_page(&*self.kv, ERASED, 1000, |page| {
            for (_, v) in page {
                all += 1;
                if parse::<ErasureRecord>(v).is_ok_and(|r| r.done_at >= since) {
                    recent += 1;
                }
            }
            Ok(())
        })?;
        Ok((all, recent))
    }

    /// A new request: its id and the write that records it.
    pub fn request_op(&self, r: &ErasureRequest) -> (u64, Op) {
        let id = self.next_seq();
        (id, Store::request_update_op(id, r))
    }

    pub fn request_update_op(id: u64, r: &ErasureRequest) -> Op {
        Op::put(REQUESTS, id.to_be_bytes(), json(r))
    }

    pub fn request_delete_op(id: u64) -> Op {
        Op::delete(REQUESTS, id.to_be_bytes())
    }

    /// The open requests, oldest first.
    pub fn requests(&self) -> R<Vec<(u64, ErasureRequest)>> {
        self.kv
            .scan(REQUESTS, b"", usize::MAX)?
            .into_iter()
            .map(|(k, v)| Ok((super::seq_of(&k), parse(&v)?)))
            .collect()
    }

    /// Citizens whose last message either way is before `cutoff`, with no active subscription
    /// and no block (a block stays until lifted). Portals with no message time are left.
    pub fn inactive_citizens(&self, cutoff: i64) -> R<Vec<String>> {
        let mut out = Vec::new();
        each_page(&*self.kv, PORTALS, 500, |page| {
            for (k, v) in page {
                let p: PortalRecord = parse(v)?;
                let last = p.last_inbound_at.max(p.last_staff_at);
                if last.is_none_or(|t| t >= cutoff) || self.kv.get(BLOCKS, k)?.is_some() {
                    continue;
                }
                let subscribed = self
                    .kv
                    .get(SUBS, k)?
                    .map(|s| parse::<Subscription>(&s))
                    .transpose()?
                    .is_some_and(|s| !s.topics.is_empty());
                if !subscribed {
                    out.push(String::from_utf8_lossy(k).into_owned());
                }
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Deletes the consent records of citizens with no active subscription whose last record
    /// is before `cutoff` (and their subscription record, which has nothing left to say).
    pub fn prune_consent(&self, cutoff: u64) -> R<ConsentPruned> {
        let mut by_citizen: BTreeMap<Vec<u8>, (Vec<Vec<u8>>, u64)> = BTreeMap::new();
        each_page(&*self.kv, CONSENT, 1000, |page: &Entries| {
            for (k, v) in page {
                let citizen = k.split(|b| *b == 0).next().unwrap_or_default().to_vec();
                let e: ConsentEntry = parse(v)?;
                let slot = by_citizen.entry(citizen).or_default();
                slot.0.push(k.clone());
                slot.1 = slot.1.max(e.at);
            }
            Ok(())
        })?;
        let mut pruned = ConsentPruned::default();
        for (citizen, (keys, last)) in by_citizen {
            let sub = self.kv.get(SUBS, &citizen)?;
            let active = sub
                .as_deref()
                .map(parse::<Subscription>)
                .transpose()?
                .is_some_and(|s| !s.topics.is_empty());
            if active || last >= cutoff {
                continue;
            }
            pruned.citizens += 1;
            pruned.entries += keys.len();
            let mut ops: Vec<Op> = keys.into_iter().map(|k| Op::delete(CONSENT, k)).collect();
            if sub.is_some() && self.kv.get(PORTALS, &citizen)?.is_none() {
                ops.push(Op::delete(SUBS, citizen));
            }
            self.commit(ops)?;
        }
        Ok(pruned)
    }

    /// Every table's name (for checks that walk the whole store).
    pub fn tables() -> Vec<&'static str> {
        super::all_tables()
    }

    /// Every entry of a table (for checks that walk the whole store; unbounded).
    pub fn dump(&self, table: &'static str) -> R<Entries> {
        self.kv.scan(table, b"", usize::MAX)
    }
}
