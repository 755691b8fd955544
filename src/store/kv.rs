//! The small key-value interface every table is built on, and its two backends: redb on
//! disk (crash-safe; a commit durable when it returns, or — `commit_soon` — with the next
//! durable one) and an in-memory map for unit tests. Keys sort bytewise; a commit applies
//! all its operations or none.

use std::sync::PoisonError;
use std::{
    collections::{BTreeMap, HashMap},
    path::Path,
    sync::Mutex,
};

use redb::{ReadableDatabase, ReadableTable, TableDefinition};

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The store could not be read or written (disk full, read-only, I/O): may clear.
    #[error("store: {0}")]
    Io(String),
    /// A stored record cannot be decoded: retrying reads the same bytes again.
    #[error("store: a stored record is unreadable: {0}")]
    Corrupt(String),
}

impl StoreError {
    pub fn new(e: impl std::fmt::Display) -> Self {
        StoreError::Io(e.to_string())
    }
    /// Without the values the decoder quotes (a stored name or number).
    pub fn corrupt(e: impl std::fmt::Display) -> Self {
        StoreError::Corrupt(crate::ids::without_values(&e.to_string()))
    }
}

/// One write of a commit: `value: None` deletes.
#[derive(Debug, Clone)]
pub struct Op {
    pub table: &'static str,
    pub key: Vec<u8>,
    pub value: Option<Vec<u8>>,
}

impl Op {
    pub fn put(table: &'static str, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) -> Op {
        Op {
            table,
            key: key.into(),
            value: Some(value.into()),
        }
    }
    pub fn delete(table: &'static str, key: impl Into<Vec<u8>>) -> Op {
        Op {
            table,
            key: key.into(),
            value: None,
        }
    }
}

/// A key and its value.
pub type Entry = (Vec<u8>, Vec<u8>);
pub type Entries = Vec<Entry>;
type Tables = HashMap<&'static str, BTreeMap<Vec<u8>, Vec<u8>>>;

/// What the bridge needs from storage, and nothing more.
pub trait Kv: Send + Sync + 'static {
    fn get(&self, table: &'static str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// Up to `limit` entries whose key starts with `prefix` and is at least `start`, in key
    /// order (pages: pass the last key seen followed by a 0 byte).
    fn scan_from(
        &self,
        table: &'static str,
        prefix: &[u8],
        start: &[u8],
        limit: usize,
    ) -> Result<Entries, StoreError>;
    /// Up to `limit` entries whose key starts with `prefix`, in key order.
    fn scan(
        &self,
        table: &'static str,
        prefix: &[u8],
        limit: usize,
    ) -> Result<Entries, StoreError> {
        self.scan_from(table, prefix, prefix, limit)
    }
    /// The last entry of a table, if any.
    fn last(&self, table: &'static str) -> Result<Option<Entry>, StoreError>;
    /// The last `limit` entries of a table, newest (greatest key) first.
    fn scan_back(&self, table: &'static str, limit: usize) -> Result<Entries, StoreError>;
    /// Applies all operations atomically; durable on disk when it returns.
    fn commit(&self, ops: &[Op]) -> Result<(), StoreError>;
    /// Applies all operations atomically, visible at once, durable with the next `commit`
    /// (a crash before it rolls the store back to the last durable commit, a consistent
    /// state: commits are never reordered). A backend without the distinction commits durably.
    fn commit_soon(&self, ops: &[Op]) -> Result<(), StoreError> {
        self.commit(ops)
    }
    /// How many times commits made with `commit_soon` were lost while the process ran (the
    /// store reopened after an I/O error before a durable commit took them in).
    fn soon_commits_lost(&self) -> u64 {
        0
    }
    /// Writes every table as it is at one instant (commits made meanwhile are not in it) into a
    /// new redb file at `file`, which must not exist; the number of entries copied.
    fn copy_to(&self, file: &Path) -> Result<u64, StoreError>;
}

/// Walks a whole table in key order, `page` entries at a time (nothing unbounded in memory).
pub fn each_page(
    kv: &dyn Kv,
    table: &'static str,
    page: usize,
    mut f: impl FnMut(&Entries) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut start: Vec<u8> = Vec::new();
    loop {
        let entries = kv.scan_from(table, b"", &start, page)?;
        let Some((last, _)) = entries.last() else {
            return Ok(());
        };
        start = [last.as_slice(), &[0]].concat();
        f(&entries)?;
        if entries.len() < page {
            return Ok(());
        }
    }
}

/// A copy being written: a new redb file and its one write transaction.
struct CopyWriter<'f> {
    file: &'f Path,
    txn: redb::WriteTransaction,
    entries: u64,
}

/// Why a copy could not be written.
fn copy_error(file: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError::new(format!("cannot write the copy {}: {e}", file.display()))
}

impl<'f> CopyWriter<'f> {
    fn create(file: &'f Path) -> Result<Self, StoreError> {
        if file.exists() {
            return Err(copy_error(file, "it exists already"));
        }
        let db = redb::Builder::new()
            .create(file)
            .map_err(|e| copy_error(file, e))?;
        let txn = db.begin_write().map_err(|e| copy_error(file, e))?;
        Ok(CopyWriter {
            file,
            txn,
            entries: 0,
        })
    }

    /// Writes a table's entries.
    fn table(
        &mut self,
        name: &str,
        entries: impl Iterator<Item = Result<(Vec<u8>, Vec<u8>), StoreError>>,
    ) -> Result<(), StoreError> {
        let file = self.file;
        let mut t = self
            .txn
            .open_table(def(name))
            .map_err(|e| copy_error(file, e))?;
        for entry in entries {
            let (k, v) = entry?;
            t.insert(k.as_slice(), v.as_slice())
                .map_err(|e| copy_error(file, e))?;
            self.entries += 1;
        }
        Ok(())
    }

    /// Commits the copy (durable when it returns); the number of entries.
    fn finish(self) -> Result<u64, StoreError> {
        let n = self.entries;
        let file = self.file;
        self.txn.commit().map_err(|e| copy_error(file, e))?;
        Ok(n)
    }
}

/// redb's page cache (read cache and write buffer together): bounds the store's memory
/// whatever the number of citizens. A broadcast to 100,000 walks every portal and
/// subscription: with 32 MiB the cache filled and the bridge peaked at 83 MiB, with 8 MiB at
/// 36 MiB, at the same rate (README, "Broadcast"); the inbound working set is far smaller, and
/// pages read again come from the system's file cache.
const CACHE_BYTES: usize = 8 * 1024 * 1024;

/// redb: a single file `sportello.redb` in the store directory.
///
/// After an I/O error (a full disk, a read-only file system) redb fails every later operation
/// with `PreviousIo` until the database is closed and opened again. So any failure here marks
/// the database broken, and the next operation reopens it (the file lock forbids two open
/// at once: the old one is closed first, under the write lock). While the cause lasts the
/// reopen fails too and the caller sees the error (webhooks answered 5xx, nothing
/// acknowledged); once it clears, the store works again without a restart.
pub struct RedbKv {
    file: std::path::PathBuf,
    db: std::sync::RwLock<Option<redb::Database>>,
    broken: std::sync::atomic::AtomicBool,
    /// A commit made without durability since the last durable one.
    unflushed: std::sync::atomic::AtomicBool,
    /// Reopenings that dropped such commits.
    soon_lost: std::sync::atomic::AtomicU64,
}

/// Every table maps bytes to bytes.
type RawTable<'txn> = redb::Table<'txn, &'static [u8], &'static [u8]>;

fn def(table: &str) -> TableDefinition<'_, &'static [u8], &'static [u8]> {
    TableDefinition::new(table)
}

fn open_file(file: &Path) -> Result<redb::Database, StoreError> {
    // redb caches up to 1 GiB by default; the bridge's working set is small.
    redb::Builder::new()
        .set_cache_size(CACHE_BYTES)
        .create(file)
        .map_err(|e| StoreError::new(format!("cannot open {}: {e}", file.display())))
}

impl RedbKv {
    pub fn open(dir: &Path, tables: &[&'static str]) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::new(format!("cannot create {}: {e}", dir.display())))?;
        let file = dir.join("sportello.redb");
        let db = open_file(&file)?;
        let txn = db.begin_write().map_err(StoreError::new)?;
        for t in tables {
            txn.open_table(def(t)).map_err(StoreError::new)?;
        }
        txn.commit().map_err(StoreError::new)?;
        Ok(RedbKv {
            file,
            db: std::sync::RwLock::new(Some(db)),
            broken: Default::default(),
            unflushed: Default::default(),
            soon_lost: Default::default(),
        })
    }

    /// Runs `f` on the open database, reopening it first if an earlier operation failed; a
    /// failure of `f` marks it broken.
    fn with_db<T>(
        &self,
        f: impl FnOnce(&redb::Database) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        use std::sync::atomic::Ordering;
        if self.broken.load(Ordering::Acquire) {
            let mut db = self.db.write().unwrap_or_else(PoisonError::into_inner);
            if self.broken.load(Ordering::Acquire) {
                drop(db.take()); // closes the file and releases its lock
                if self.unflushed.swap(false, Ordering::AcqRel) {
                    self.soon_lost.fetch_add(1, Ordering::AcqRel);
                }
                *db = Some(open_file(&self.file)?);
                self.broken.store(false, Ordering::Release);
                tracing::warn!("the store was reopened after an I/O error");
            }
        }
        let db = self.db.read().unwrap_or_else(PoisonError::into_inner);
        let Some(db) = db.as_ref() else {
            self.broken.store(true, Ordering::Release);
            return Err(StoreError::new("the store is not open (reopening failed)"));
        };
        let result = f(db);
        if result.is_err() {
            self.broken.store(true, Ordering::Release);
        }
        result
    }
}

impl Kv for RedbKv {
    fn get(&self, table: &'static str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.with_db(|db| {
            let txn = db.begin_read().map_err(StoreError::new)?;
            let t = txn.open_table(def(table)).map_err(StoreError::new)?;
            Ok(t.get(key)
                .map_err(StoreError::new)?
                .map(|v| v.value().to_vec()))
        })
    }

    fn scan_from(
        &self,
        table: &'static str,
        prefix: &[u8],
        start: &[u8],
        limit: usize,
    ) -> Result<Entries, StoreError> {
        self.with_db(|db| {
            let txn = db.begin_read().map_err(StoreError::new)?;
            let t = txn.open_table(def(table)).map_err(StoreError::new)?;
            let mut out = Vec::new();
            let start = start.max(prefix);
            for item in t.range(start..).map_err(StoreError::new)? {
                let (k, v) = item.map_err(StoreError::new)?;
                if !k.value().starts_with(prefix) || out.len() >= limit {
                    break;
                }
                out.push((k.value().to_vec(), v.value().to_vec()));
            }
            Ok(out)
        })
    }

    fn last(&self, table: &'static str) -> Result<Option<Entry>, StoreError> {
        self.with_db(|db| {
            let txn = db.begin_read().map_err(StoreError::new)?;
            let t = txn.open_table(def(table)).map_err(StoreError::new)?;
            Ok(t.last()
                .map_err(StoreError::new)?
                .map(|(k, v)| (k.value().to_vec(), v.value().to_vec())))
        })
    }

    fn scan_back(&self, table: &'static str, limit: usize) -> Result<Entries, StoreError> {
        self.with_db(|db| {
            let txn = db.begin_read().map_err(StoreError::new)?;
            let t = txn.open_table(def(table)).map_err(StoreError::new)?;
            let mut out = Vec::new();
            for item in t.iter().map_err(StoreError::new)?.rev().take(limit) {
                let (k, v) = item.map_err(StoreError::new)?;
                out.push((k.value().to_vec(), v.value().to_vec()));
            }
            Ok(out)
        })
    }

    fn commit(&self, ops: &[Op]) -> Result<(), StoreError> {
        self.write(ops, true)
    }

    fn commit_soon(&self, ops: &[Op]) -> Result<(), StoreError> {
        self.write(ops, false)
    }

    fn soon_commits_lost(&self) -> u64 {
        self.soon_lost.load(std::sync::atomic::Ordering::Acquire)
    }

    fn copy_to(&self, file: &Path) -> Result<u64, StoreError> {
        self.copy(file)
    }
}

impl RedbKv {
    /// One write transaction: durable (fsynced before it returns; redb's `Immediate`) or not
    /// (`Durability::None`: in memory until the next durable commit writes it with its own).
    fn write(&self, ops: &[Op], durable: bool) -> Result<(), StoreError> {
        use std::sync::atomic::Ordering;
        self.with_db(|db| {
            let mut txn = db.begin_write().map_err(StoreError::new)?;
            if !durable {
                txn.set_durability(redb::Durability::None)
                    .map_err(StoreError::new)?;
            }
            {
                // A handful of tables per commit: a list walked by name is cheaper than a
                // hash map, which showed in the profile (README, "Fifth step").
                let mut open: Vec<(&'static str, RawTable)> = Vec::new();
                for op in ops {
                    let i = match open.iter().position(|(name, _)| *name == op.table) {
                        Some(i) => i,
                        None => {
                            let t = txn.open_table(def(op.table)).map_err(StoreError::new)?;
                            open.push((op.table, t));
                            open.len() - 1
                        }
                    };
                    let t = &mut open[i].1;
                    match &op.value {
                        Some(v) => {
                            t.insert(op.key.as_slice(), v.as_slice())
                                .map_err(StoreError::new)?;
                        }
                        None => {
                            t.remove(op.key.as_slice()).map_err(StoreError::new)?;
                        }
                    }
                }
            }
            txn.commit().map_err(StoreError::new)?;
            self.unflushed.store(!durable, Ordering::Release);
            Ok(())
        })
    }

    fn copy(&self, file: &Path) -> Result<u64, StoreError> {
        use redb::TableHandle;
        self.with_db(|db| {
            // One read transaction: a snapshot, whatever commits meanwhile.
            let txn = db.begin_read().map_err(StoreError::new)?;
            let names: Vec<String> = txn
                .list_tables()
                .map_err(StoreError::new)?
                .map(|h| h.name().to_owned())
                .collect();
            let mut copy = CopyWriter::create(file)?;
            for name in &names {
                let t = txn.open_table(def(name)).map_err(StoreError::new)?;
                let items = t.iter().map_err(StoreError::new)?.map(|item| {
                    let (k, v) = item.map_err(StoreError::new)?;
                    Ok((k.value().to_vec(), v.value().to_vec()))
                });
                copy.table(name, items)?;
            }
            copy.finish()
        })
    }
}

/// In-memory backend: same semantics, nothing survives the process.
#[derive(Default)]
pub struct MemoryKv {
    tables: Mutex<Tables>,
}

impl Kv for MemoryKv {
    fn get(&self, table: &'static str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let t = self.tables.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(t.get(table).and_then(|m| m.get(key).cloned()))
    }

    fn scan_from(
        &self,
        table: &'static str,
        prefix: &[u8],
        start: &[u8],
        limit: usize,
    ) -> Result<Entries, StoreError> {
        let t = self.tables.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(t.get(table)
            .map(|m| {
                m.range(start.max(prefix).to_vec()..)
                    .take_while(|(k, _)| k.starts_with(prefix))
                    .take(limit)
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default())
    }

    fn last(&self, table: &'static str) -> Result<Option<Entry>, StoreError> {
        let t = self.tables.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(t.get(table)
            .and_then(|m| m.iter().next_back().map(|(k, v)| (k.clone(), v.clone()))))
    }

    fn scan_back(&self, table: &'static str, limit: usize) -> Result<Entries, StoreError> {
        let t = self.tables.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(t.get(table)
            .map(|m| {
                m.iter()
                    .rev()
                    .take(limit)
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default())
    }

    fn commit(&self, ops: &[Op]) -> Result<(), StoreError> {
        let mut t = self.tables.lock().unwrap_or_else(PoisonError::into_inner);
        for op in ops {
            let m = t.entry(op.table).or_default();
            match &op.value {
                Some(v) => m.insert(op.key.clone(), v.clone()),
                None => m.remove(&op.key),
            };
        }
        Ok(())
    }

    fn copy_to(&self, file: &Path) -> Result<u64, StoreError> {
        let t = self.tables.lock().unwrap_or_else(PoisonError::into_inner);
        let mut copy = CopyWriter::create(file)?;
        for (name, m) in t.iter() {
            copy.table(name, m.iter().map(|(k, v)| Ok((k.clone(), v.clone()))))?;
        }
        copy.finish()
    }
}

#[cfg(test)]
#[path = "kv_tests.rs"]
mod tests;
