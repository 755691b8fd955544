//! Group commit: callers that overlap share one commit, each returns only once its own
//! writes are in, and one caller's failure is never another's.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::GroupCommit;
use crate::store::kv::{Kv, MemoryKv, Op, StoreError};
use crate::store::test_kv::HookedKv;

/// A memory store whose first commit waits until `others` callers wait behind it, and which
/// refuses any commit holding a write to the table "poison"; it counts commits and sizes.
struct Gate {
    kv: HookedKv,
    commits: Arc<AtomicUsize>,
    sizes: Arc<Mutex<Vec<usize>>>,
}

fn gate(others: usize) -> (Arc<GroupCommit>, Arc<Gate>) {
    let group = Arc::new(GroupCommit::default());
    let commits = Arc::new(AtomicUsize::new(0));
    let sizes: Arc<Mutex<Vec<usize>>> = Arc::default();
    let (g, c, z) = (group.clone(), commits.clone(), sizes.clone());
    let kv = HookedKv::new(move |ops| {
        if c.fetch_add(1, Ordering::SeqCst) == 0 {
            while g.waiting() < others {
                std::thread::yield_now();
            }
        }
        z.lock().unwrap().push(ops.len());
        if ops.iter().any(|op| op.table == "poison") {
            return Err(StoreError::Io("refused".into()));
        }
        Ok(())
    });
    (group, Arc::new(Gate { kv, commits, sizes }))
}

/// The first caller commits alone while the others arrive; they then share one commit.
fn run(ops_of: impl Fn(usize) -> Vec<Op>, callers: usize) -> (Arc<Gate>, Vec<bool>) {
    let (group, kv) = gate(callers - 1);
    let first = {
        let (group, kv) = (group.clone(), kv.clone());
        let ops = ops_of(0);
        std::thread::spawn(move || group.commit(&kv.kv, ops).is_ok())
    };
    while kv.commits.load(Ordering::SeqCst) == 0 {
        std::thread::yield_now();
    }
    let rest: Vec<_> = (1..callers)
        .map(|i| {
            let (group, kv) = (group.clone(), kv.clone());
            let ops = ops_of(i);
            std::thread::spawn(move || group.commit(&kv.kv, ops).is_ok())
        })
        .collect();
    let mut ok = vec![first.join().unwrap()];
    ok.extend(rest.into_iter().map(|t| t.join().unwrap()));
    (kv, ok)
}

fn two_writes(i: usize) -> Vec<Op> {
    vec![
        Op::put(
            "t",
            format!("{i}/a").into_bytes(),
            "È aperto".as_bytes().to_vec(),
        ),
        Op::put("t", format!("{i}/b").into_bytes(), vec![i as u8]),
    ]
}

#[test]
fn overlapping_callers_share_one_commit_and_each_sees_its_writes() {
    let (kv, ok) = run(two_writes, 8);
    assert!(ok.iter().all(|ok| *ok));
    assert_eq!(
        kv.commits.load(Ordering::SeqCst),
        2,
        "the first alone, then the other 7"
    );
    assert_eq!(*kv.sizes.lock().unwrap(), vec![2, 14]);
    for i in 0..8 {
        assert_eq!(
            kv.kv
                .get("t", format!("{i}/a").as_bytes())
                .unwrap()
                .as_deref(),
            Some("È aperto".as_bytes())
        );
        assert_eq!(
            kv.kv.get("t", format!("{i}/b").as_bytes()).unwrap(),
            Some(vec![i as u8])
        );
    }
}

#[test]
fn a_caller_whose_writes_are_refused_does_not_take_the_others_down() {
    let poisoned = |i: usize| {
        if i == 3 {
            vec![Op::put("poison", b"k".to_vec(), b"v".to_vec())]
        } else {
            two_writes(i)
        }
    };
    let (kv, ok) = run(poisoned, 6);
    assert_eq!(ok, vec![true, true, true, false, true, true]);
    // The first alone, the batch of five refused, then each of the five on its own.
    let mut sizes = kv.sizes.lock().unwrap().clone();
    assert_eq!(sizes[..2], [2, 9]);
    sizes[2..].sort();
    assert_eq!(sizes[2..], [1, 2, 2, 2, 2]);
    assert!(kv.kv.get("poison", b"k").unwrap().is_none());
    for i in [0, 1, 2, 4, 5] {
        assert!(
            kv.kv
                .get("t", format!("{i}/a").as_bytes())
                .unwrap()
                .is_some()
        );
    }
}

#[test]
fn a_lone_caller_commits_at_once_and_is_counted() {
    let group = GroupCommit::default();
    let kv = MemoryKv::default();
    group.commit(&kv, two_writes(1)).unwrap();
    group.commit(&kv, vec![]).unwrap();
    assert_eq!(group.counts(), (2, 2));
    assert!(kv.get("t", b"1/b").unwrap().is_some());
}

#[test]
fn a_panic_while_committing_is_that_batch_s_error_and_the_next_writer_goes_on() {
    let group = GroupCommit::default();
    let kv = HookedKv::new(|ops| {
        if ops.iter().any(|op| op.table == "boom") {
            panic!("a bug in the store");
        }
        Ok(())
    });
    let boom = group.commit(&kv, vec![Op::put("boom", b"k".to_vec(), b"v".to_vec())]);
    assert!(boom.is_err());
    group.commit(&kv, two_writes(1)).unwrap();
    assert!(kv.get("t", b"1/a").unwrap().is_some());
}
