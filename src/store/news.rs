//! Durable state of the news service: each citizen's subscription (topics, Meta's marketing
//! stop), the append-only consent ledger, broadcasts with one send record per recipient (the
//! exactly-once mechanism, see ARCHITECTURE.md), and the status counts of each broadcast.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Op, R, Store, StoreError};
use crate::store::buckets::RecipientState;

/// citizen key → JSON [`Subscription`].
pub(super) const SUBS: &str = "citizen_subscription";
/// `<topic>` 0x00 `<citizen key>` → unix seconds subscribed (the audience of a topic).
pub(super) const TOPICS: &str = "topiccitizen_since";
/// `<citizen key>` 0x00 seq → JSON [`ConsentEntry`]; appended, never changed.
pub(super) const CONSENT: &str = "citizenseq_consent";
/// broadcast id (u64 BE) → JSON [`Broadcast`].
pub(super) const BROADCASTS: &str = "id_broadcast";
/// broadcast id (u64 BE) ++ `<citizen key>` → JSON [`RecipientSend`] (written by the sender).
pub(super) const BC_SEND: &str = "broadcastcitizen_send";
/// broadcast id (u64 BE) → JSON map status → count (written by the router only).
pub(super) const BC_STATS: &str = "broadcast_statuscounts";
/// outbound wamid → broadcast id (u64 BE).
pub(super) const BC_WAMID: &str = "wamid_broadcast";
/// `biz_opaque_callback_data` tag → wamid: what a status webhook said about a tagged send.
pub(super) const BC_TAGS: &str = "callbacktag_wamid";

pub(super) const NEWS_TABLES: [&str; 8] = [
    SUBS, TOPICS, CONSENT, BROADCASTS, BC_SEND, BC_STATS, BC_WAMID, BC_TAGS,
];

/// A citizen's news subscription.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Subscription {
    /// Topic names, sorted.
    pub topics: Vec<String>,
    /// The citizen stopped marketing messages at Meta (app setting, or error 131050): no
    /// broadcasts until they resume.
    #[serde(default)]
    pub marketing_stopped: bool,
    /// The policy versions last sent to the citizen (privacy / code of conduct).
    #[serde(default)]
    pub policies_sent: Option<String>,
}

/// One line of the consent ledger.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ConsentEntry {
    pub at: u64,
    /// `subscribe`, `unsubscribe`, `marketing_stop`, `marketing_resume`.
    pub action: String,
    pub topics: Vec<String>,
    /// `keyword`, `list`, `staff`, `whatsapp_settings`, `error_131050`.
    pub channel: String,
    /// The citizen's message that asked for it, if any.
    #[serde(default)]
    pub wamid: Option<String>,
    /// Privacy policy and code of conduct versions in force.
    pub policy_version: String,
    /// The staff member who recorded it on the citizen's request, with their note.
    #[serde(default)]
    pub by: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BroadcastState {
    Draft,
    Sending,
    Done,
    Cancelled,
    /// A state a later version wrote: shown as such, never sent or resumed.
    #[serde(other)]
    Unknown,
}

/// A broadcast: the draft staff approved, and the sender's progress.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Broadcast {
    pub id: u64,
    /// `None`: every subscriber.
    pub topic: Option<String>,
    pub text: String,
    pub created_by: String,
    pub created_at: u64,
    pub state: BroadcastState,
    #[serde(default)]
    pub approved_by: Option<String>,
    #[serde(default)]
    pub started_at: Option<u64>,
    #[serde(default)]
    pub finished_at: Option<u64>,
    /// Subscribers when the draft was made (the progress bar's total).
    pub audience: u64,
    /// The last citizen key taken from the audience (the audience is read in key order).
    #[serde(default)]
    pub cursor: Option<String>,
    /// The next recipient's number in this broadcast (its callback tag).
    #[serde(default)]
    pub next_ordinal: u64,
    /// What the sender did, by [`Bucket`](crate::store::Bucket) (its keys are written only
    /// in `buckets.rs`).
    #[serde(default)]
    pub counts: BTreeMap<String, u64>,
    #[serde(default)]
    pub progress_event: Option<String>,
    #[serde(default)]
    pub report_event: Option<String>,
    #[serde(default)]
    pub cancelled_by: Option<String>,
    /// An image, video or document sent with the text (as its caption) inside the window.
    #[serde(default)]
    pub attachment: Option<Attachment>,
    /// The template recipients outside the window get, chosen and checked when the draft was
    /// approved (`None`: they are skipped, or — for a broadcast approved by an earlier
    /// version — chosen when its sender starts).
    #[serde(default)]
    pub template: Option<PinnedTemplate>,
}

/// A broadcast's template, as Meta knows it: what the send names and fills.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PinnedTemplate {
    /// The name staff or the config gave (a config key or Meta's name).
    pub key: String,
    pub name: String,
    pub language: String,
    /// Its one body parameter's name, when its parameters are named.
    #[serde(default)]
    pub parameter_name: Option<String>,
    /// The attachment kind its header carries (`image`, `video`, `document`).
    #[serde(default)]
    pub header: Option<String>,
    /// Meta's category (`marketing`, `utility`), when known: what the estimate prices it as.
    #[serde(default)]
    pub category: Option<String>,
}

/// A broadcast's attachment: where it is in Matrix, and its Graph media id once uploaded.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Attachment {
    /// The Cloud API type: image, video, document.
    pub kind: String,
    pub mxc: String,
    pub mime: String,
    pub filename: String,
    #[serde(default)]
    pub media_id: Option<String>,
}

/// The sender's record of one recipient: written as `sending` before the Graph call.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RecipientSend {
    pub ordinal: u64,
    pub state: RecipientState,
    #[serde(default)]
    pub wamid: Option<String>,
    #[serde(default)]
    pub detail: Option<String>,
    #[serde(default)]
    pub attempts: u32,
    /// Unix seconds before which a deferred send is not retried.
    #[serde(default)]
    pub retry_at: u64,
}

fn json<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("serialisable")
}

fn parse<T: for<'a> Deserialize<'a>>(v: &[u8]) -> R<T> {
    serde_json::from_slice(v).map_err(StoreError::corrupt)
}

fn topic_key(topic: &str, citizen: &str) -> Vec<u8> {
    let mut k = topic.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(citizen.as_bytes());
    k
}

fn send_key(id: u64, citizen: &str) -> Vec<u8> {
    let mut k = id.to_be_bytes().to_vec();
    k.extend_from_slice(citizen.as_bytes());
    k
}

/// The key just after `k` in a scan (pages continue from there).
fn after(k: &[u8]) -> Vec<u8> {
    let mut s = k.to_vec();
    s.push(0);
    s
}

impl Store {
    // ---- subscriptions and the consent ledger

    pub fn subscription(&self, citizen: &str) -> R<Option<Subscription>> {
        self.kv
            .get(SUBS, citizen.as_bytes())?
            .map(|v| parse(&v))
            .transpose()
    }

    /// Writes `new` over `old`, keeping the per-topic audience index in step.
    pub fn subscription_ops(
        citizen: &str,
        old: Option<&Subscription>,
        new: &Subscription,
    ) -> Vec<Op> {
        let now = super::now_secs().to_be_bytes();
        let before: &[String] = old.map(|o| o.topics.as_slice()).unwrap_or_default();
        let mut ops: Vec<Op> = before
            .iter()
            .filter(|t| !new.topics.contains(t))
            .map(|t| Op::delete(TOPICS, topic_key(t, citizen)))
            .collect();
        ops.extend(
            new.topics
                .iter()
                .filter(|t| !before.contains(t))
                .map(|t| Op::put(TOPICS, topic_key(t, citizen), now)),
        );
        if new == &Subscription::default() {
            ops.push(Op::delete(SUBS, citizen.as_bytes()));
        } else {
            ops.push(Op::put(SUBS, citizen.as_bytes(), json(new)));
        }
        ops
    }

    pub fn consent_op(&self, citizen: &str, e: &ConsentEntry) -> Op {
        let mut k = citizen.as_bytes().to_vec();
        k.push(0);
        k.extend_from_slice(&self.next_seq().to_be_bytes());
        Op::put(CONSENT, k, json(e))
    }

    /// A citizen's ledger, oldest first.
    pub fn consents(&self, citizen: &str) -> R<Vec<ConsentEntry>> {
        let mut prefix = citizen.as_bytes().to_vec();
        prefix.push(0);
        self.kv
            .scan(CONSENT, &prefix, usize::MAX)?
            .iter()
            .map(|(_, v)| parse(v))
            .collect()
    }

    /// Calls `f` on every entry under `prefix`, reading the table a page at a time.
    fn each(
        &self,
        table: &'static str,
        prefix: &[u8],
        mut f: impl FnMut(&[u8], &[u8]) -> R<()>,
    ) -> R<()> {
        const PAGE: usize = 1024;
        let mut start = prefix.to_vec();
        loop {
            let page = self.kv.scan_from(table, prefix, &start, PAGE)?;
            for (k, v) in &page {
                f(k, v)?;
            }
            match page.last() {
                Some((k, _)) if page.len() == PAGE => start = after(k),
                _ => return Ok(()),
            }
        }
    }

    /// Subscribers of a topic (index entries).
    pub fn topic_count(&self, topic: &str) -> R<usize> {
        let mut n = 0;
        self.each(TOPICS, &topic_key(topic, ""), |_, _| {
            n += 1;
            Ok(())
        })?;
        Ok(n)
    }

    /// Citizens subscribed to at least one topic, and how many of them stopped marketing.
    pub fn subscription_totals(&self) -> R<(u64, u64)> {
        let (mut total, mut stopped) = (0, 0);
        self.each(SUBS, b"", |_, v| {
            let s: Subscription = parse(v)?;
            if !s.topics.is_empty() {
                total += 1;
                stopped += u64::from(s.marketing_stopped);
            }
            Ok(())
        })?;
        Ok((total, stopped))
    }

    /// The next `limit` citizens of an audience (a topic, or everyone subscribed to
    /// anything), in key order after `cursor`. Read page by page: nothing is held in memory.
    pub fn audience_page(
        &self,
        topic: Option<&str>,
        cursor: Option<&str>,
        limit: usize,
    ) -> R<Vec<String>> {
        let (table, prefix) = match topic {
            Some(t) => (TOPICS, topic_key(t, "")),
            None => (SUBS, Vec::new()),
        };
        let start = match cursor {
            Some(c) => after(&[prefix.as_slice(), c.as_bytes()].concat()),
            None => prefix.clone(),
        };
        Ok(self
            .kv
            .scan_from(table, &prefix, &start, limit)?
            .into_iter()
            .map(|(k, _)| String::from_utf8_lossy(&k[prefix.len()..]).into_owned())
            .collect())
    }

    // ---- broadcasts

    /// A fresh broadcast id (small numbers staff can type).
    pub fn next_broadcast_id(&self) -> R<u64> {
        Ok(match self.kv.last(BROADCASTS)? {
            Some((k, _)) => super::seq_of(&k) + 1,
            None => 1,
        })
    }

    pub fn broadcast(&self, id: u64) -> R<Option<Broadcast>> {
        self.kv
            .get(BROADCASTS, &id.to_be_bytes())?
            .map(|v| parse(&v))
            .transpose()
    }

    pub fn broadcast_op(b: &Broadcast) -> Op {
        Op::put(BROADCASTS, b.id.to_be_bytes(), json(b))
    }

    /// Every broadcast, oldest first.
    pub fn broadcasts(&self) -> R<Vec<Broadcast>> {
        self.kv
            .scan(BROADCASTS, b"", usize::MAX)?
            .iter()
            .map(|(_, v)| parse(v))
            .collect()
    }

    pub fn recipient(&self, id: u64, citizen: &str) -> R<Option<RecipientSend>> {
        self.kv
            .get(BC_SEND, &send_key(id, citizen))?
            .map(|v| parse(&v))
            .transpose()
    }

    pub fn recipient_op(id: u64, citizen: &str, r: &RecipientSend) -> Op {
        Op::put(BC_SEND, send_key(id, citizen), json(r))
    }

    /// The broadcast's recipients in `state`, read page by page (only those are kept: after
    /// a crash or throttling they are few).
    pub fn recipients_in(
        &self,
        id: u64,
        state: &RecipientState,
    ) -> R<Vec<(String, RecipientSend)>> {
        let mut out = Vec::new();
        self.each(BC_SEND, &id.to_be_bytes(), |k, v| {
            let r: RecipientSend = parse(v)?;
            if r.state == *state {
                out.push((String::from_utf8_lossy(&k[8..]).into_owned(), r));
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Counts of the statuses Meta reported for a broadcast's messages.
    pub fn broadcast_stats(&self, id: u64) -> R<BTreeMap<String, u64>> {
        Ok(match self.kv.get(BC_STATS, &id.to_be_bytes())? {
            Some(v) => parse(&v)?,
            None => BTreeMap::new(),
        })
    }

    pub fn broadcast_stats_op(id: u64, stats: &BTreeMap<String, u64>) -> Op {
        Op::put(BC_STATS, id.to_be_bytes(), json(stats))
    }

    pub fn broadcast_for_wamid(&self, wamid: &str) -> R<Option<u64>> {
        Ok(self
            .kv
            .get(BC_WAMID, wamid.as_bytes())?
            .map(|v| super::seq_of(&v)))
    }

    pub fn broadcast_wamid_op(wamid: &str, id: u64) -> Op {
        Op::put(BC_WAMID, wamid.as_bytes(), id.to_be_bytes())
    }

    pub fn tag_wamid(&self, tag: &str) -> R<Option<String>> {
        Ok(self
            .kv
            .get(BC_TAGS, tag.as_bytes())?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    pub fn tag_op(tag: &str, wamid: &str) -> Op {
        Op::put(BC_TAGS, tag.as_bytes(), wamid.as_bytes())
    }
}
