//! The store's schema and its upgrades. Each schema change is one ordered migration, run in
//! one commit together with the new `schema_version`, so a crash leaves the store at the old
//! version or the new, never between. Before the first migration the store is copied, as it
//! was, to `sportello.schema<N>.<unix time>.redb` next to it; a store written by a newer
//! version is refused, unchanged, with what to do.

use std::path::{Path, PathBuf};

use tracing::info;

use super::kv::{Kv, Op, StoreError};
use super::portals::{STATUS, StatusRecord};
use super::{META, R};

/// The store schema this version writes; it upgrades any older one.
pub const SCHEMA: u32 = 2;

const VERSION_KEY: &[u8] = b"schema_version";

/// One schema change: the version it brings the store to, and the writes that do it.
struct Migration {
    to: u32,
    what: &'static str,
    run: fn(&dyn Kv, u64) -> R<Vec<Op>>,
}

/// In order; the last one's `to` is [`SCHEMA`].
const MIGRATIONS: [Migration; 1] = [Migration {
    to: 2,
    what: "delivery statuses become typed records with their time and Meta's pricing",
    run: statuses_as_records,
}];

/// Why a store cannot be opened by this version.
pub(super) fn newer(found: u32) -> StoreError {
    StoreError::new(format!(
        "this store was written by a newer Sportello (store schema {found}); this Sportello ({}) \
         writes schema {SCHEMA} and cannot use it. Run the newer version again, or restore the \
         copy it made before upgrading (sportello.schema{SCHEMA}.*.redb in the store directory).",
        env!("CARGO_PKG_VERSION")
    ))
}

/// Brings the store to [`SCHEMA`]: a new store is marked with it, an older one is copied to
/// `dir` (on disk) and upgraded, a newer one refused. Returns the copy's path, if one was made.
pub(super) fn upgrade(kv: &dyn Kv, dir: Option<&Path>, now: u64) -> R<Option<PathBuf>> {
    let found = match kv.get(META, VERSION_KEY)? {
        None => {
            kv.commit(&[version_op(SCHEMA)])?;
            return Ok(None);
        }
        Some(v) => String::from_utf8_lossy(&v)
            .parse::<u32>()
            .map_err(|_| StoreError::corrupt("the store's schema version is not a number"))?,
    };
    if found > SCHEMA {
        return Err(newer(found));
    }
    if found == SCHEMA {
        return Ok(None);
    }
    let backup = match dir {
        Some(d) => {
            let file = d.join(format!("sportello.schema{found}.{now}.redb"));
            let entries = kv.copy_to(&file)?;
            info!(
                from = found,
                to = SCHEMA,
                entries,
                copy = %file.display(),
                "upgrading the store; the store as it was is copied first"
            );
            Some(file)
        }
        None => None,
    };
    for m in MIGRATIONS.iter().filter(|m| m.to > found) {
        let mut ops = (m.run)(kv, now)?;
        let changed = ops.len();
        ops.push(version_op(m.to));
        kv.commit(&ops)?;
        info!(to = m.to, changed, "store migrated: {}", m.what);
    }
    Ok(backup)
}

fn version_op(v: u32) -> Op {
    Op::put(META, VERSION_KEY, v.to_string().into_bytes())
}

/// Schema 1 → 2: a status was its name, then a 0 byte and the time as 8 big-endian bytes
/// (or, older still, the name alone); it becomes a [`StatusRecord`]. A status without a time
/// gets `now`, so it is pruned like the others.
fn statuses_as_records(kv: &dyn Kv, now: u64) -> R<Vec<Op>> {
    let mut ops = Vec::new();
    super::kv::each_page(kv, STATUS, 1024, |page| {
        for (k, v) in page {
            if serde_json::from_slice::<StatusRecord>(v).is_ok() {
                continue;
            }
            let mut parts = v.splitn(2, |b| *b == 0);
            let name = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
            let at = parts
                .next()
                .and_then(|t| <[u8; 8]>::try_from(t).ok())
                .map_or(now, u64::from_be_bytes);
            let record = StatusRecord {
                status: name,
                at,
                pricing: None,
            };
            let json = serde_json::to_vec(&record).map_err(StoreError::corrupt)?;
            ops.push(Op::put(STATUS, k.clone(), json));
        }
        Ok(())
    })?;
    Ok(ops)
}

#[cfg(test)]
#[path = "migrate_tests.rs"]
mod tests;
