use std::path::Path;

use super::*;
use crate::store::{Meta, RedbKv, Store};

/// What schema 1 wrote for a status (`Store::status_op` before schema 2): the name, a 0 byte,
/// the time in 8 big-endian bytes.
fn schema1_status(name: &str, at: u64) -> Vec<u8> {
    let mut v = name.as_bytes().to_vec();
    v.push(0);
    v.extend_from_slice(&at.to_be_bytes());
    v
}

/// A store as schema 1 left it: its version, the admin room, two statuses with their time and
/// one from before times were kept.
fn write_schema1_store(dir: &Path, now: u64) {
    let kv = RedbKv::open(dir, &["meta", "wamid_status"]).unwrap();
    kv.commit(&[
        Op::put("meta", &b"schema_version"[..], &b"1"[..]),
        Op::put("meta", &b"admin_room_id"[..], &b"!admin:comune.test"[..]),
        Op::put(
            "wamid_status",
            &b"wamid.A"[..],
            schema1_status("delivered", now - 3600),
        ),
        Op::put(
            "wamid_status",
            &b"wamid.B"[..],
            schema1_status("read", now - 40 * 86400),
        ),
        Op::put("wamid_status", &b"wamid.L"[..], &b"sent"[..]),
    ])
    .unwrap();
}

fn copies(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("sportello.schema")
        })
        .collect()
}

/// A store written by the previous schema opens: it is first copied as it was, then its
/// statuses become records (their time kept; one without a time gets the upgrade's, so it
/// is pruned in its turn), and the rest is untouched.
#[test]
fn a_schema_1_store_is_copied_then_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    let now = crate::store::now_secs();
    write_schema1_store(dir.path(), now);

    let store = Store::open(dir.path()).unwrap();
    let record = |w: &str| store.status_record(w).unwrap().unwrap();
    assert_eq!(
        record("wamid.A"),
        StatusRecord {
            status: "delivered".into(),
            at: now - 3600,
            pricing: None
        }
    );
    assert_eq!(record("wamid.L").status, "sent");
    assert!(record("wamid.L").at >= now);
    assert_eq!(
        store.meta(Meta::AdminRoomId).unwrap().as_deref(),
        Some("!admin:comune.test")
    );
    assert_eq!(
        store.prune(now).unwrap().statuses,
        1,
        "the 40-day-old one, read from its old time"
    );
    drop(store);

    // The copy is the store as schema 1 left it.
    let copy = copies(dir.path());
    assert_eq!(copy.len(), 1, "{copy:?}");
    let old = tempfile::tempdir().unwrap();
    std::fs::copy(&copy[0], old.path().join("sportello.redb")).unwrap();
    let kv = RedbKv::open(old.path(), &[]).unwrap();
    assert_eq!(kv.get("meta", b"schema_version").unwrap().unwrap(), b"1");
    assert_eq!(
        kv.get("wamid_status", b"wamid.L").unwrap().unwrap(),
        b"sent"
    );
    drop(kv);

    // Opened again: already upgraded, no second copy.
    Store::open(dir.path()).unwrap();
    assert_eq!(copies(dir.path()).len(), 1);
}

/// A store from a newer version is refused with a sentence saying what to do, and left as
/// it is.
#[test]
fn a_newer_store_is_refused_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    {
        let kv = RedbKv::open(dir.path(), &["meta"]).unwrap();
        kv.commit(&[Op::put("meta", &b"schema_version"[..], &b"3"[..])])
            .unwrap();
    }
    let err = Store::open(dir.path()).err().expect("refused").to_string();
    assert!(
        err.contains("written by a newer Sportello (store schema 3)")
            && err.contains(&format!("writes schema {SCHEMA}"))
            && err.contains("restore the copy"),
        "{err}"
    );
    let kv = RedbKv::open(dir.path(), &[]).unwrap();
    assert_eq!(kv.get("meta", b"schema_version").unwrap().unwrap(), b"3");
    assert!(copies(dir.path()).is_empty());
}

#[test]
fn a_new_store_is_marked_with_the_schema_and_not_copied() {
    let dir = tempfile::tempdir().unwrap();
    Store::open(dir.path()).unwrap();
    assert!(copies(dir.path()).is_empty());
    let kv = RedbKv::open(dir.path(), &[]).unwrap();
    assert_eq!(
        kv.get("meta", b"schema_version").unwrap().unwrap(),
        SCHEMA.to_string().as_bytes()
    );
    assert_eq!(
        MIGRATIONS.last().map(|m| m.to),
        Some(SCHEMA),
        "in order, ending at SCHEMA"
    );
    assert!(MIGRATIONS.windows(2).all(|w| w[0].to < w[1].to));
}

/// A copy of a store taken while it is written holds one instant of it, and opens as a store.
#[test]
fn a_backup_is_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store
        .commit(vec![Store::status_op("wamid.X", "read", None)])
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("sportello.redb");
    assert!(store.backup_to(&file).unwrap() >= 2);
    assert!(
        store.backup_to(&file).is_err(),
        "an existing file is not overwritten"
    );
    store
        .commit(vec![Store::status_op("wamid.Y", "read", None)])
        .unwrap();
    drop(store);
    let restored = Store::open(out.path()).unwrap();
    assert_eq!(restored.status("wamid.X").unwrap().as_deref(), Some("read"));
    assert_eq!(restored.status("wamid.Y").unwrap(), None, "after the copy");
}
