//! Soon commits against real crashes: the test runs itself again as a child process that
//! writes and then aborts (no destructor, no flush), and reads what survived.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::store::kv::Op;
use crate::store::test_kv::HookedKv;
use crate::store::{QueueItem, Store};

pub(crate) const CHILD: &str = "SPORTELLO_DURABILITY_CHILD";
const CITIZEN: &str = "p:393331234567";

/// Runs `test` (this file's test of that name) again in a child process with `CHILD` set to
/// a new store directory, waits for it to end (it must abort), and opens what it left; the
/// directory lives as long as the returned guard.
fn after_a_child_crashed(test: &str) -> (tempfile::TempDir, Store) {
    after_a_child_crashed_in(&format!("store::durability::tests::{test}"))
}

/// [`after_a_child_crashed`] for the test at `path` anywhere in the crate; the child finds
/// its directory in the environment variable [`CHILD`].
pub(crate) fn after_a_child_crashed_in(path: &str) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new(std::env::current_exe().unwrap())
        .args([path, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, dir.path())
        .status()
        .unwrap();
    assert!(!status.success(), "the child was meant to abort");
    let s = Store::open(dir.path()).unwrap();
    (dir, s)
}

fn push(s: &Store, body: &str) -> Vec<Op> {
    vec![s.queue_push_op(CITIZEN, body.as_bytes())]
}

fn queued(s: &Store) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = Vec::new();
    while let Some(item) = s.queue_after(CITIZEN, &start) {
        out.push(String::from_utf8(item.body.clone()).unwrap());
        start = [item.key.as_slice(), &[0]].concat();
    }
    out
}

impl Store {
    /// The citizen's queue item after `start` (a test's walk).
    fn queue_after(&self, citizen: &str, start: &[u8]) -> Option<QueueItem> {
        let prefix = Store::queue_prefix(citizen);
        self.kv
            .scan_from(super::super::QUEUE, &prefix, start, 1)
            .unwrap()
            .into_iter()
            .next()
            .map(|(key, body)| QueueItem { key, body })
    }
}

#[test]
fn a_crash_loses_only_the_soon_commits_after_the_last_durable_one() {
    if let Some(dir) = std::env::var_os(CHILD) {
        // The child: no flusher within reach (an hour), then a crash.
        let s = Store::open_with(Path::new(&dir), Duration::from_secs(3600)).unwrap();
        s.commit(push(&s, "A: durable")).unwrap();
        s.commit_soon(push(&s, "B: soon, then taken in by C"))
            .unwrap();
        s.commit(push(&s, "C: durable")).unwrap();
        s.commit_soon(push(&s, "D: soon, È l'ultima")).unwrap();
        assert_eq!(queued(&s).len(), 4, "a soon commit is visible at once");
        std::process::abort();
    }
    let (_dir, s) =
        after_a_child_crashed("a_crash_loses_only_the_soon_commits_after_the_last_durable_one");
    assert_eq!(
        queued(&s),
        ["A: durable", "B: soon, then taken in by C", "C: durable"]
    );
    // What the crashed process queued may have run; what this one queues has not.
    let head = s.queue_head(CITIZEN).unwrap().unwrap();
    assert!(s.may_have_run_before(&head));
    s.commit(push(&s, "E: after the restart")).unwrap();
    let mut start = Vec::new();
    let mut last = None;
    while let Some(item) = s.queue_after(CITIZEN, &start) {
        start = [item.key.as_slice(), &[0]].concat();
        last = Some(item);
    }
    assert!(!s.may_have_run_before(&last.unwrap()));
}

#[test]
fn the_flusher_makes_a_soon_commit_durable_without_another_commit() {
    if let Some(dir) = std::env::var_os(CHILD) {
        let s = Store::open_with(Path::new(&dir), Duration::from_millis(20)).unwrap();
        let before = s.commit_counts().0;
        s.commit_soon(push(&s, "soon, flushed")).unwrap();
        // The flusher's durable commit is counted like any other; no sleep is trusted.
        let deadline = Instant::now() + Duration::from_secs(60);
        while s.commit_counts().0 == before {
            assert!(Instant::now() < deadline, "the flusher never flushed");
            std::thread::sleep(Duration::from_millis(5));
        }
        std::process::abort();
    }
    let (_dir, s) =
        after_a_child_crashed("the_flusher_makes_a_soon_commit_durable_without_another_commit");
    assert_eq!(queued(&s), ["soon, flushed"]);
}

#[test]
fn closing_the_store_makes_soon_commits_durable() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = Store::open_with(dir.path(), Duration::from_secs(3600)).unwrap();
        s.commit_soon(push(&s, "soon, at closing")).unwrap();
        let clone = s.clone();
        drop(s);
        clone
            .commit_soon(push(&clone, "soon, by the last handle"))
            .unwrap();
    }
    let s = Store::open(dir.path()).unwrap();
    assert_eq!(queued(&s), ["soon, at closing", "soon, by the last handle"]);
}

#[test]
fn items_queued_before_soon_commits_were_lost_may_have_run() {
    let kv = Arc::new(HookedKv::new(|_| Ok(())));
    let s = Store::with_kv(kv.clone(), None).unwrap();
    s.commit(push(&s, "before the loss")).unwrap();
    let before = s.queue_head(CITIZEN).unwrap().unwrap();
    assert!(!s.may_have_run_before(&before), "queued by this process");
    kv.lost.fetch_add(1, Ordering::SeqCst);
    assert!(
        s.may_have_run_before(&before),
        "its outcome may have been lost"
    );
    s.commit(vec![Store::queue_done_op(&before)]).unwrap();
    s.commit(push(&s, "after the loss")).unwrap();
    let after = s.queue_head(CITIZEN).unwrap().unwrap();
    assert!(!s.may_have_run_before(&after));
}

#[test]
fn a_routing_lost_in_a_crash_leaves_the_delivery_in_the_inbox_to_route_again() {
    if let Some(dir) = std::env::var_os(CHILD) {
        let s = Store::open_with(Path::new(&dir), Duration::from_secs(3600)).unwrap();
        // Acknowledged only once durable, as the webhook's handler does.
        let seq = s.next_seq();
        let body = b"wBuongiorno, l'ufficio \xc3\xa8 aperto?".to_vec();
        s.commit(vec![Op::put(super::super::INBOX, seq.to_be_bytes(), body)])
            .unwrap();
        let mut routing = push(&s, "routed, then lost");
        routing.push(Store::inbox_done_op(seq));
        s.commit_soon(routing).unwrap();
        assert!(s.inbox_pending(10).unwrap().is_empty());
        std::process::abort();
    }
    let (_dir, s) = after_a_child_crashed(
        "a_routing_lost_in_a_crash_leaves_the_delivery_in_the_inbox_to_route_again",
    );
    assert!(queued(&s).is_empty());
    let pending = s.inbox_pending(10).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        pending[0].body,
        "Buongiorno, l'ufficio è aperto?".as_bytes()
    );
    assert!(s.may_have_been_routed(pending[0].seq));
    // Routed again: what it queues is noted before the commit, and looked for.
    let routing = push(&s, "routed again");
    s.note_may_have_run(&routing);
    s.commit_soon(routing).unwrap();
    assert!(s.may_have_run_before(&s.queue_head(CITIZEN).unwrap().unwrap()));
    // A delivery stored by this process was not routed before.
    assert!(!s.may_have_been_routed(s.next_seq()));
}
