//! Test-only: a memory store whose commits can be held, refused or counted, and which can say
//! soon commits were lost, for the group commit's and the durability's tests.

use std::sync::atomic::{AtomicU64, Ordering};

use super::kv::{Entries, Kv, MemoryKv, Op, StoreError};

type Hook = Box<dyn Fn(&[Op]) -> Result<(), StoreError> + Send + Sync>;

/// [`MemoryKv`], with `before_commit` run first (an error refuses the commit).
pub(super) struct HookedKv {
    inner: MemoryKv,
    before_commit: Hook,
    pub(super) lost: AtomicU64,
}

impl HookedKv {
    pub(super) fn new(
        before_commit: impl Fn(&[Op]) -> Result<(), StoreError> + Send + Sync + 'static,
    ) -> Self {
        HookedKv {
            inner: MemoryKv::default(),
            before_commit: Box::new(before_commit),
            lost: AtomicU64::new(0),
        }
    }
}

impl Kv for HookedKv {
    fn get(&self, table: &'static str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(table, key)
    }
    fn scan_from(
        &self,
        table: &'static str,
        prefix: &[u8],
        start: &[u8],
        limit: usize,
    ) -> Result<Entries, StoreError> {
        self.inner.scan_from(table, prefix, start, limit)
    }
    fn last(&self, table: &'static str) -> Result<Option<(Vec<u8>, Vec<u8>)>, StoreError> {
        self.inner.last(table)
    }
    fn scan_back(&self, table: &'static str, limit: usize) -> Result<Entries, StoreError> {
        self.inner.scan_back(table, limit)
    }
    fn commit(&self, ops: &[Op]) -> Result<(), StoreError> {
        (self.before_commit)(ops)?;
        self.inner.commit(ops)
    }
    fn soon_commits_lost(&self) -> u64 {
        self.lost.load(Ordering::SeqCst)
    }
    fn copy_to(&self, _: &std::path::Path) -> Result<u64, StoreError> {
        Err(StoreError::Io("no copies of a test store".into()))
    }
}
