//! Erasure (GDPR art. 17), in the citizen's own queue so it comes after everything already
//! queued for them: the room first (`matrix_erase.rs`, its outcome kept in the item so a retry
//! does not repeat it), then, in one commit, everything the store holds about the citizen is
//! deleted (the office's own records rewritten without them) and a keyed-hash erasure record
//! written for each of their identities, so old deliveries and shared history are not taken
//! in again. A message the citizen sent after the erasure was asked for stays queued: it starts
//! a new conversation, in a new room. The admins are told exactly what was and was not erased.

use std::collections::BTreeMap;

use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::item::{ADMIN_QUEUE, ForgetWork, MatrixOutcome, Work};
use crate::bridge::engine::worker::Step;
use crate::bridge::privacy::{Privacy, render};
use crate::config::EraseInMatrix;
use crate::ids::CitizenKey;
use crate::matrix::txn_id;
use crate::store::{ErasureRecord, Found, Store};
use tracing::info;

/// A queued item the erasure leaves: the citizen's message (or the office's from the phone)
/// not sent before the erasure was asked for (the same rule as routing's).
fn sent_after(f: &Found, at: u64) -> bool {
    let newer = |t: Option<i64>| t.is_some_and(|t| t >= at as i64);
    f.is_queued()
        && match Work::from_bytes(&f.value) {
            Ok(Work::Citizen(c)) => newer(c.timestamp),
            Ok(Work::Echo(e)) => newer(e.timestamp),
            _ => false,
        }
}

impl Privacy {
    pub(in crate::bridge) async fn forget(
        &self,
        citizen: &CitizenKey,
        w: ForgetWork,
    ) -> Result<Step, Failure> {
        let Some(outcome) = w.matrix.clone() else {
            let subject = super::subject_of(&self.parts.store, citizen)?;
            let outcome = self.erase_in_matrix(&subject, &w).await?;
            let next = ForgetWork {
                matrix: Some(outcome),
                ..w
            };
            return Ok(Step::Then(Work::Forget(Box::new(next)), vec![]));
        };
        let (subject, found) = self.held_about(citizen).await?;
        let erased: Vec<Found> = found.into_iter().filter(|f| !sent_after(f, w.at)).collect();
        let mut ops = Store::erase_ops(&erased);
        let record = ErasureRecord {
            at: w.at,
            by: w.by.clone(),
            reason: w.reason.clone(),
            requested_at: erased
                .iter()
                .filter_map(Found::request)
                .map(|r| r.received_at)
                .min(),
            done_at: self.now(),
        };
        for id in Self::identities(&subject) {
            ops.push(Store::erasure_record_op(
                &self.portals.erasure_hash(&id)?,
                &record,
            ));
        }
        info!(citizen = %citizen, entries = erased.len(), "citizen erased");
        if !w.automatic {
            let text = self.report(citizen, &w, &erased, &outcome);
            let notice = Work::AdminNotice {
                text,
                txn_id: txn_id("forget-done", &format!("{}|{}", w.at, citizen.masked())),
            };
            let store = &self.parts.store;
            ops.push(store.queue_push_op(ADMIN_QUEUE, &notice.to_bytes()));
        }
        Ok(Step::Done(ops))
    }

    /// What was erased, table by table in words, and what was not.
    fn report(
        &self,
        citizen: &CitizenKey,
        w: &ForgetWork,
        erased: &[Found],
        m: &MatrixOutcome,
    ) -> String {
        let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
        for f in erased {
            *counts.entry(render::section(f.section())).or_default() += 1;
        }
        let list: Vec<String> = counts
            .iter()
            .map(|(s, n)| format!("{} {n}", self.t(&format!("privacy_section_{s}"), &[])))
            .collect();
        let list = if list.is_empty() {
            self.t("privacy_nothing_held", &[])
        } else {
            list.join(", ")
        };
        let matrix = match (m.room, self.parts.config.raw.privacy.erase_in_matrix) {
            (false, _) => self.t("forget_matrix_none", &[]),
            (true, EraseInMatrix::Keep) => self.t("forget_matrix_kept", &[]),
            (true, EraseInMatrix::Redact) => self.t(
                "forget_matrix_redacted",
                &[
                    ("n", &m.redacted.to_string()),
                    ("media", &media_list(&m.media)),
                ],
            ),
        };
        let matrix = if m.not_done.is_empty() {
            matrix
        } else {
            let refused = m.not_done.join("; ");
            format!(
                "{matrix} {}",
                self.t("forget_matrix_refused", &[("what", &refused)])
            )
        };
        self.t(
            "forget_done",
            &[
                ("who", &citizen.masked()),
                ("by", &w.by),
                ("reason", &w.reason),
                ("list", &list),
                ("matrix", &matrix),
            ],
        )
    }
}

fn media_list(media: &[String]) -> String {
    if media.is_empty() {
        "—".into()
    } else {
        media.join(" ")
    }
}
