//! The helpdesk's ledger: what happened to conversations and when — a conversation opened, a
//! waiting citizen answered (by whom, since when they waited), closed, rated, an answer held
//! outside the window — for `!stats`. Anonymous: an entry names staff, never the citizen, so it
//! holds no citizen's personal data. Kept [`RETENTION`](super::RETENTION)`.ledger` long.

use serde::{Deserialize, Serialize};

use super::{Op, R, Store, StoreError};

/// `at` (unix seconds, u64 BE) ‖ seq (u64 BE) → JSON [`Tally`]: in time order.
pub(super) const LEDGER: &str = "timeseq_tally";

/// Who answered from outside Element: the WhatsApp Business app on the office's phone.
pub const FROM_PHONE: &str = "whatsapp-business-app";

/// One thing that happened in a conversation, as `!stats` counts it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Tally {
    /// A conversation began: the citizen wrote first, or wrote again after it was closed.
    Opened,
    /// Staff answered a citizen who waited since `waited_from` (unix seconds); `first`: the
    /// first answer of the conversation (its first-response time).
    Answered {
        by: String,
        waited_from: u64,
        first: bool,
    },
    Closed {
        by: String,
    },
    /// The citizen's answer to the satisfaction question (`good`, `ok`, `bad`).
    Rated {
        rating: String,
    },
    /// A staff answer kept aside: the citizen's window was closed.
    Held {
        by: String,
    },
}

/// A ledger entry with its time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tallied {
    pub at: u64,
    pub tally: Tally,
}

fn key(at: u64, seq: u64) -> Vec<u8> {
    [at.to_be_bytes(), seq.to_be_bytes()].concat()
}

fn at_of(k: &[u8]) -> u64 {
    k.get(..8)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u64::from_be_bytes)
}

impl Store {
    /// The write that enters `tally` at `at` in the ledger.
    pub fn tally_op(&self, at: u64, tally: &Tally) -> Op {
        let value = serde_json::to_vec(tally).unwrap_or_default();
        Op::put(LEDGER, key(at, self.next_seq()), value)
    }

    /// Every entry with `from <= at < to`, oldest first, handed to `f` a page at a time.
    pub fn tallies(&self, from: u64, to: u64, mut f: impl FnMut(Tallied)) -> R<()> {
        let mut start = key(from, 0);
        loop {
            let page = self.kv.scan_from(LEDGER, b"", &start, 1024)?;
            let full = page.len() == 1024;
            for (k, v) in &page {
                let at = at_of(k);
                if at >= to {
                    return Ok(());
                }
                let tally = serde_json::from_slice(v).map_err(StoreError::corrupt)?;
                f(Tallied { at, tally });
            }
            match page.last() {
                Some((last, _)) if full => start = [last.as_slice(), &[0]].concat(),
                _ => return Ok(()),
            }
        }
    }

    /// Deletes the entries older than `cutoff` (unix seconds); how many.
    pub(super) fn prune_ledger(&self, cutoff: u64) -> R<usize> {
        let mut removed = 0;
        loop {
            let page = self.kv.scan(LEDGER, b"", 1000)?;
            let ops: Vec<Op> = page
                .iter()
                .take_while(|(k, _)| at_of(k) < cutoff)
                .map(|(k, _)| Op::delete(LEDGER, k.clone()))
                .collect();
            let n = ops.len();
            if n > 0 {
                self.commit(ops)?;
            }
            removed += n;
            if n < 1000 {
                return Ok(removed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_come_back_in_time_order_within_the_range() {
        let store = Store::memory();
        let by = "@anna:comune.example".to_owned();
        let ops = vec![
            store.tally_op(300, &Tally::Closed { by: by.clone() }),
            store.tally_op(100, &Tally::Opened),
            store.tally_op(
                200,
                &Tally::Answered {
                    by: by.clone(),
                    waited_from: 100,
                    first: true,
                },
            ),
            store.tally_op(100, &Tally::Opened),
            store.tally_op(400, &Tally::Held { by }),
        ];
        store.commit(ops).unwrap();
        let mut seen = Vec::new();
        store.tallies(100, 400, |t| seen.push(t.at)).unwrap();
        assert_eq!(seen, vec![100, 100, 200, 300]);
        assert_eq!(store.prune_ledger(201).unwrap(), 3);
        let mut left = Vec::new();
        store.tallies(0, u64::MAX, |t| left.push(t.tally)).unwrap();
        assert_eq!(left.len(), 2);
        assert!(matches!(left[0], Tally::Closed { .. }));
    }
}
