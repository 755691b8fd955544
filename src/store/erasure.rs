//! What the store holds about one citizen, found by walking every table that can hold it: the
//! one list both `!export` (shows it) and `!forget` (deletes it, or rewrites what is the
//! office's own record — an audit line, a shared-history chunk — without the citizen) read.
//! Tables that hold nothing personal are named in [`NOTHING_PERSONAL`], so a new table has to
//! be placed in one list or the other (a unit test checks every table is).

use std::collections::HashSet;

use serde_json::Value;

use super::coexistence::{CONTACT_NAMES, HISTORY_CHUNKS, HISTORY_MEDIA};
use super::conversations::CONVERSATIONS;
use super::kv::each_page;
use super::news::{BC_SEND, BC_TAGS, BC_WAMID, CONSENT, SUBS, TOPICS};
use super::portals::{ALIASES, GHOSTS, MSG_MX, MSG_WA, PORTALS, REACTIONS, ROOMS, STATUS};
use super::privacy::{ERASED, REQUESTS};
use super::trouble::{DEAD, FAILING};
use super::{AUDIT, BLOCKS, HELD, Op, QUEUE, R, SEEN, Store};
use crate::store::{AuditEntry, MessageRef, RecipientSend};

/// Tables that never hold anything about a citizen: the bridge's own handles, the anonymous
/// ledger, the broadcasts' contents and counts, the erasure records (keyed hashes), and the
/// inbox (raw deliveries, routed within moments; an erased citizen's are dropped by routing).
#[cfg_attr(not(test), allow(dead_code))]
pub(super) const NOTHING_PERSONAL: [&str; 6] = [
    super::META,
    super::ledger::LEDGER,
    super::news::BROADCASTS,
    super::news::BC_STATS,
    ERASED,
    super::INBOX,
];

/// The tables the walk searches (a unit test checks these and [`NOTHING_PERSONAL`] are every
/// table, and that a citizen put in each of these is found there).
#[cfg_attr(not(test), allow(dead_code))]
pub(super) const SEARCHED: [&str; 26] = [
    PORTALS,
    CONVERSATIONS,
    SUBS,
    BLOCKS,
    ROOMS,
    GHOSTS,
    CONTACT_NAMES,
    QUEUE,
    HELD,
    CONSENT,
    FAILING,
    MSG_WA,
    BC_SEND,
    ALIASES,
    TOPICS,
    MSG_MX,
    STATUS,
    BC_WAMID,
    BC_TAGS,
    REACTIONS,
    REQUESTS,
    DEAD,
    SEEN,
    AUDIT,
    HISTORY_CHUNKS,
    HISTORY_MEDIA,
];

/// Whom to look for: the citizen's store key, every identity it was seen under (store form),
/// and their room and ghost when they have a portal.
#[derive(Debug, Clone, Default)]
pub struct Subject {
    pub citizen: String,
    pub identities: Vec<String>,
    pub room_id: Option<String>,
    pub ghost: Option<String>,
}

impl Subject {
    /// The raw identities (the number's digits, the business-scoped id).
    fn raw_ids(&self) -> Vec<&str> {
        self.identities
            .iter()
            .chain([&self.citizen])
            .filter_map(|i| i.get(2..))
            .filter(|r| r.len() >= 5)
            .collect()
    }

    /// Whether free text (a dead letter, an audit line, a chunk) names the citizen: an id, the
    /// room, or the number however it was typed (`+39 333 123 4567`, without the country code).
    fn named_in(&self, text: &str) -> bool {
        let squeezed: String = text
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '+' | '/'))
            .collect();
        let national = |r: &str| r.bytes().all(|b| b.is_ascii_digit()) && r.len() >= 9;
        self.raw_ids()
            .into_iter()
            .any(|r| text.contains(r) || (national(r) && squeezed.contains(&r[r.len() - 9..])))
            || self.room_id.as_deref().is_some_and(|r| text.contains(r))
    }
}

/// One entry the store holds about the citizen; `rewrite` is what stays of it once erased
/// (`None`: deleted).
#[derive(Debug, Clone)]
pub struct Found {
    pub table: &'static str,
    pub key: Vec<u8>,
    pub value: Vec<u8>,
    pub rewrite: Option<Vec<u8>>,
}

impl Found {
    /// The identity (store form) an alias entry names: searched for in turn.
    pub fn identity(&self) -> Option<String> {
        (self.table == ALIASES).then(|| text(&self.key))
    }

    /// An item of the citizen's queue.
    pub fn is_queued(&self) -> bool {
        self.table == QUEUE
    }

    /// An erasure request found (the citizen asked).
    pub fn request(&self) -> Option<super::ErasureRequest> {
        (self.table == REQUESTS)
            .then(|| serde_json::from_slice(&self.value).ok())
            .flatten()
    }

    /// The table's name (what `!export` files it under).
    pub fn section(&self) -> &'static str {
        self.table
    }
}

/// What the walk found, and the messages (wamids) and events it found them by.
#[derive(Default)]
struct Walk {
    found: Vec<Found>,
    wamids: HashSet<String>,
    events: HashSet<String>,
}

impl Walk {
    fn add(&mut self, table: &'static str, key: &[u8], value: &[u8]) {
        self.found.push(Found {
            table,
            key: key.to_vec(),
            value: value.to_vec(),
            rewrite: None,
        });
    }
}

const PAGE: usize = 1000;

/// Whether a table's entry (key, value) is about the citizen.
type Test<'a> = dyn Fn(&[u8], &[u8]) -> bool + 'a;

/// Bytes as text without a copy (keys and values the bridge wrote are UTF-8).
fn str_of(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap_or("")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl Store {
    /// Every entry of every table that is about the citizen (see the module's comment).
    pub fn held_about(&self, s: &Subject) -> R<Vec<Found>> {
        let mut w = Walk::default();
        self.by_key(s, &mut w)?;
        self.messages_of(s, &mut w)?;
        self.by_scan(s, &mut w)?;
        self.marks_of(s, &mut w)?;
        self.rewritten(s, &mut w)?;
        Ok(w.found)
    }

    /// The writes that erase what [`Store::held_about`] found.
    pub fn erase_ops(found: &[Found]) -> Vec<Op> {
        found
            .iter()
            .map(|f| match &f.rewrite {
                Some(v) => Op::put(f.table, f.key.clone(), v.clone()),
                None => Op::delete(f.table, f.key.clone()),
            })
            .collect()
    }

    /// Tables keyed by the citizen, their room, ghost or number.
    fn by_key(&self, s: &Subject, w: &mut Walk) -> R<()> {
        let c = s.citizen.as_bytes();
        for table in [PORTALS, CONVERSATIONS, SUBS, BLOCKS] {
            if let Some(v) = self.kv.get(table, c)? {
                w.add(table, c, &v);
            }
        }
        let mut keyed = vec![];
        keyed.extend(s.room_id.iter().map(|r| (ROOMS, r.clone())));
        keyed.extend(s.ghost.iter().map(|g| (GHOSTS, g.clone())));
        for id in s.identities.iter().filter(|i| i.starts_with("p:")) {
            keyed.push((CONTACT_NAMES, id[2..].to_owned()));
        }
        for (table, key) in keyed {
            if let Some(v) = self.kv.get(table, key.as_bytes())? {
                w.add(table, key.as_bytes(), &v);
            }
        }
        let prefix = [c, &[0]].concat();
        for table in [QUEUE, HELD, CONSENT, FAILING] {
            for (k, v) in self.kv.scan(table, &prefix, usize::MAX)? {
                w.add(table, &k, &v);
            }
        }
        Ok(())
    }

    /// The citizen's messages both ways (by their room) and the broadcasts sent to them: the
    /// wamids and events every other table is searched by.
    fn messages_of(&self, s: &Subject, w: &mut Walk) -> R<()> {
        let c = s.citizen.as_bytes();
        if let Some(room) = s.room_id.as_deref() {
            each_page(&*self.kv, MSG_WA, PAGE, |page| {
                // Only a value naming the room is read as JSON.
                for (k, v) in page.iter().filter(|(_, v)| str_of(v).contains(room)) {
                    let Ok(m) = serde_json::from_slice::<MessageRef>(v) else {
                        continue;
                    };
                    if m.room_id == room {
                        w.add(MSG_WA, k, v);
                        w.wamids.insert(text(k));
                        w.events.insert(m.event_id);
                    }
                }
                Ok(())
            })?;
        }
        each_page(&*self.kv, BC_SEND, PAGE, |page| {
            for (k, v) in page.iter().filter(|(k, _)| k.get(8..) == Some(c)) {
                w.add(BC_SEND, k, v);
                if let Ok(r) = serde_json::from_slice::<RecipientSend>(v) {
                    w.wamids.extend(r.wamid);
                }
            }
            Ok(())
        })
    }

    /// Tables found by what their keys or values point to.
    fn by_scan(&self, s: &Subject, w: &mut Walk) -> R<()> {
        let c = s.citizen.as_bytes();
        let (wamids, events) = (w.wamids.clone(), w.events.clone());
        let ids: HashSet<&str> = s.identities.iter().map(String::as_str).collect();
        let tests: [(&'static str, Box<Test>); 9] = [
            (
                ALIASES,
                Box::new(|k, v| v == c || ids.contains(text(k).as_str())),
            ),
            (
                TOPICS,
                Box::new(|k, _| k.split(|b| *b == 0).nth(1) == Some(c)),
            ),
            (
                MSG_MX,
                Box::new(|k, v| events.contains(str_of(k)) || wamids.contains(str_of(v))),
            ),
            (STATUS, Box::new(|k, _| wamids.contains(str_of(k)))),
            (BC_WAMID, Box::new(|k, _| wamids.contains(str_of(k)))),
            (BC_TAGS, Box::new(|_, v| wamids.contains(str_of(v)))),
            (
                REACTIONS,
                Box::new(|k, v| {
                    let k = text(k);
                    let target = k.strip_prefix("c:").unwrap_or_default();
                    let event = k.strip_prefix("s:").unwrap_or_default();
                    wamids.contains(target) || events.contains(event) || wamids.contains(&text(v))
                }),
            ),
            (
                REQUESTS,
                Box::new(|_, v| {
                    serde_json::from_slice::<Value>(v)
                        .is_ok_and(|r| r["citizen"].as_str().map(str::as_bytes) == Some(c))
                }),
            ),
            (
                DEAD,
                Box::new(|_, v| {
                    let t = text(v);
                    s.named_in(&t) || wamids.iter().any(|m| t.contains(m.as_str()))
                }),
            ),
        ];
        for (table, test) in tests {
            each_page(&*self.kv, table, PAGE, |page| {
                for (k, v) in page.iter().filter(|(k, v)| test(k, v)) {
                    w.add(table, k, v);
                }
                Ok(())
            })?;
        }
        Ok(())
    }

    /// Dedupe and sweep marks that name the citizen, their queue items or their messages.
    fn marks_of(&self, s: &Subject, w: &mut Walk) -> R<()> {
        let queue_hex = hex::encode([s.citizen.as_bytes(), &[0]].concat());
        let (inside, at_end) = (format!(":{}:", s.citizen), format!(":{}", s.citizen));
        each_page(&*self.kv, SEEN, PAGE, |page| {
            for (k, v) in page {
                let key = str_of(k);
                let (kind, rest) = key.split_once(':').unwrap_or((key, ""));
                let wamid = match kind {
                    "w" | "r" => rest,
                    "s" => rest.rsplit_once(':').map_or(rest, |(m, _)| m),
                    _ => "",
                };
                let named = key.contains(&inside)
                    || key.ends_with(&at_end)
                    || (kind == "q" && rest.starts_with(&queue_hex))
                    || w.wamids.contains(wamid);
                if named {
                    w.add(SEEN, k, v);
                }
            }
            Ok(())
        })
    }

    /// The office's own records that mention the citizen: kept, without them. An audit line
    /// keeps its command's name and who ran it; a history chunk loses the citizen's thread.
    fn rewritten(&self, s: &Subject, w: &mut Walk) -> R<()> {
        each_page(&*self.kv, AUDIT, PAGE, |page| {
            for (k, v) in page.iter().filter(|(_, v)| s.named_in(&text(v))) {
                let Ok(mut e) = serde_json::from_slice::<AuditEntry>(v) else {
                    continue;
                };
                let name = e.command.split_whitespace().next().unwrap_or("").to_owned();
                e.command = format!("{name} [erased]");
                e.result = "[erased]".into();
                e.room = if s.room_id.as_deref() == Some(e.room.as_str()) {
                    "[erased]".into()
                } else {
                    e.room
                };
                let rewrite = serde_json::to_vec(&e).expect("serialisable");
                w.found.push(Found {
                    table: AUDIT,
                    key: k.clone(),
                    value: v.clone(),
                    rewrite: Some(rewrite),
                });
            }
            Ok(())
        })?;
        for table in [HISTORY_CHUNKS, HISTORY_MEDIA] {
            each_page(&*self.kv, table, PAGE, |page| {
                for (k, v) in page.iter().filter(|(_, v)| s.named_in(&text(v))) {
                    let rewrite = (table == HISTORY_CHUNKS)
                        .then(|| serde_json::from_slice::<Value>(v).ok())
                        .flatten()
                        .map(|mut chunk| {
                            drop_naming(&mut chunk, &s.raw_ids());
                            serde_json::to_vec(&chunk).expect("serialisable")
                        });
                    w.found.push(Found {
                        table,
                        key: k.clone(),
                        value: v.clone(),
                        rewrite,
                    });
                }
                Ok(())
            })?;
        }
        Ok(())
    }
}

/// Removes from every array the objects that name one of `ids` in a field of their own (a
/// history thread's `id`, a message's `from`, a contact's `wa_id`), at any depth.
pub fn drop_naming(v: &mut Value, ids: &[&str]) {
    match v {
        Value::Array(items) => {
            items.retain(|i| !names_directly(i, ids));
            items.iter_mut().for_each(|i| drop_naming(i, ids));
        }
        Value::Object(map) => map.values_mut().for_each(|i| drop_naming(i, ids)),
        _ => {}
    }
}

fn names_directly(v: &Value, ids: &[&str]) -> bool {
    v.as_object().is_some_and(|m| {
        m.values()
            .any(|f| f.as_str().is_some_and(|s| ids.contains(&s)))
    })
}

#[cfg(test)]
#[path = "erasure_tests.rs"]
mod tests;
