//! Templates: the account's message templates read from Meta (`whatsapp.business_account_id`)
//! at start-up, every `whatsapp.template_sync_hours` and on `!templates sync`, kept in the
//! store; the template webhooks (a template paused, rejected, disabled, its quality or category
//! changing) applied to them and told in the admin room; and choosing a template by name for
//! `!template` and broadcasts (`catalogue.rs`, pure). Without a business account id, the
//! `[templates.…]` entries of the config are all there is, as before.
//!
//! [`Templates`] is the feature's handle: the shared parts and one lock, held over each change
//! of the stored list, so a sync and a webhook never write over each other.

pub(in crate::bridge) mod catalogue;
pub(in crate::bridge) mod commands;
pub(in crate::bridge) mod events;

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::FutureExt;
use tracing::{info, warn};

use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::lent::Parts;
use crate::bridge::templates::catalogue::{Catalogue, Changes, Chosen};
use crate::store::{Meta, Store, StoreError};
use crate::whatsapp::GraphError;

/// After a failed reading, the next is tried this much later (not the full interval).
const RETRY_AFTER: Duration = Duration::from_secs(300);

pub(in crate::bridge) struct Templates {
    parts: Parts,
    /// Held over every read-change-write of the stored list.
    writing: tokio::sync::Mutex<()>,
}

/// Why a sync did not happen.
#[derive(Debug, thiserror::Error)]
pub(in crate::bridge) enum SyncError {
    #[error("whatsapp.business_account_id is not set")]
    NoAccount,
    #[error("{0}")]
    Graph(#[from] GraphError),
    #[error("{0}")]
    Store(#[from] StoreError),
}

impl Templates {
    pub(in crate::bridge) fn new(p: &Parts) -> Templates {
        Templates {
            parts: p.clone(),
            writing: tokio::sync::Mutex::new(()),
        }
    }

    fn t(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.parts.texts.get(key, args)
    }

    fn account(&self) -> Option<&str> {
        Some(self.parts.config.raw.whatsapp.business_account_id.trim()).filter(|a| !a.is_empty())
    }

    /// The list as stored (empty before the first reading, or without an account).
    pub(in crate::bridge) fn catalogue(&self) -> Result<Catalogue, StoreError> {
        match self.parts.store.meta(Meta::Templates)? {
            None => Ok(Catalogue::default()),
            Some(json) => serde_json::from_str(&json).map_err(StoreError::corrupt),
        }
    }

    fn catalogue_op(c: &Catalogue) -> crate::store::Op {
        let json = serde_json::to_string(c).unwrap_or_default();
        Store::meta_op(Meta::Templates, &json)
    }

    /// The office's language code, as templates are chosen by it.
    fn office_language(&self) -> &str {
        &self.parts.config.raw.office.language
    }

    /// The template `key` names (a config key or a Meta name), if there is one.
    pub(in crate::bridge) fn choose(&self, key: &str) -> Result<Option<Chosen>, Failure> {
        Ok(catalogue::choose(
            &self.catalogue()?,
            &self.parts.config.raw.templates,
            key,
            self.office_language(),
        ))
    }

    /// Every template staff can name.
    pub(in crate::bridge) fn all(&self) -> Result<(Catalogue, Vec<Chosen>), Failure> {
        let c = self.catalogue()?;
        let all = catalogue::names(&c, &self.parts.config.raw.templates, self.office_language());
        Ok((c, all))
    }

    /// Whether Meta's list has been read (so a template it does not show is not there).
    pub(in crate::bridge) fn synced(&self) -> Result<bool, Failure> {
        Ok(self.read_from_meta(&self.catalogue()?))
    }

    /// Whether `c` is Meta's list (read with the configured account), so that a template it
    /// does not show is not there.
    fn read_from_meta(&self, c: &Catalogue) -> bool {
        self.account().is_some() && c.synced_at.is_some()
    }

    /// Reads Meta's list and stores it; what changed. A failure is stored too, for
    /// `!templates` to say.
    pub(in crate::bridge) async fn sync(&self) -> Result<Changes, SyncError> {
        let Some(account) = self.account() else {
            return Err(SyncError::NoAccount);
        };
        let _writing = self.writing.lock().await;
        let listed = self.parts.graph.templates(account).await;
        let mut c = self.catalogue()?;
        match listed {
            Ok(listed) => {
                if listed.unreadable > 0 {
                    warn!(
                        unreadable = listed.unreadable,
                        "some of Meta's templates could not be read; they are left out"
                    );
                }
                let changes = c.replace(listed.templates, self.parts.clock.unix());
                self.parts.store.commit(vec![Self::catalogue_op(&c)])?;
                info!(
                    templates = c.templates.len(),
                    added = changes.added.len(),
                    removed = changes.removed.len(),
                    changed = changes.changed.len(),
                    "templates read from Meta"
                );
                Ok(changes)
            }
            Err(e) => {
                c.last_error = Some(e.to_string());
                self.parts.store.commit(vec![Self::catalogue_op(&c)])?;
                Err(e.into())
            }
        }
    }

    /// With a business account: reads the list at start and then every
    /// `whatsapp.template_sync_hours` (a failed reading is tried again after 5 minutes).
    pub(in crate::bridge) async fn sync_forever(&self) {
        if self.account().is_none() {
            return;
        }
        let every = Duration::from_secs(self.parts.config.raw.whatsapp.template_sync_hours * 3600);
        loop {
            let round = AssertUnwindSafe(self.sync()).catch_unwind().await;
            let wait = match round {
                Ok(Ok(_)) => every,
                Ok(Err(e)) => {
                    warn!("reading the templates from Meta failed (tried again in 5 minutes): {e}");
                    RETRY_AFTER.min(every)
                }
                Err(_) => {
                    warn!("reading the templates panicked; tried again in 5 minutes");
                    RETRY_AFTER.min(every)
                }
            };
            if self.parts.life.sleep_or_shutdown(wait).await {
                return;
            }
        }
    }
}
