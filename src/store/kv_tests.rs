//! Both backends behave alike: keys in order, prefixes, pages, deletes.
use super::*;

fn exercise(kv: &dyn Kv) {
    kv.commit(&[
        Op::put("t", b"a/2".to_vec(), b"2".to_vec()),
        Op::put("t", b"a/1".to_vec(), b"1".to_vec()),
        Op::put("t", b"b/1".to_vec(), b"3".to_vec()),
    ])
    .unwrap();
    let a = kv.scan("t", b"a/", 10).unwrap();
    assert_eq!(
        a,
        vec![
            (b"a/1".to_vec(), b"1".to_vec()),
            (b"a/2".to_vec(), b"2".to_vec())
        ]
    );
    assert_eq!(kv.scan("t", b"a/", 1).unwrap().len(), 1);
    // Paging: from just after a/1, still only the prefix.
    let page = kv.scan_from("t", b"a/", b"a/1\0", 10).unwrap();
    assert_eq!(page, vec![(b"a/2".to_vec(), b"2".to_vec())]);
    assert!(kv.scan_from("t", b"a/", b"a/2\0", 10).unwrap().is_empty());
    assert_eq!(kv.last("t").unwrap().unwrap().0, b"b/1".to_vec());
    kv.commit(&[Op::delete("t", b"a/1".to_vec())]).unwrap();
    assert_eq!(kv.get("t", b"a/1").unwrap(), None);
    assert_eq!(kv.get("t", b"a/2").unwrap(), Some(b"2".to_vec()));
}

#[test]
fn memory_backend() {
    exercise(&MemoryKv::default());
}

#[test]
fn redb_backend_persists() {
    let dir = tempfile::tempdir().unwrap();
    {
        let kv = RedbKv::open(dir.path(), &["t"]).unwrap();
        exercise(&kv);
    }
    let kv = RedbKv::open(dir.path(), &["t"]).unwrap();
    assert_eq!(kv.get("t", b"b/1").unwrap(), Some(b"3".to_vec()));
    assert!(kv.get("t", b"a/1").unwrap().is_none());
}
