//! Citizens' data rights (GDPR arts. 12, 15, 17, 5): `!export` gives an admin everything the
//! bridge holds about a citizen and their conversation as read from the room (`export.rs`,
//! rendered as JSON and an accessible HTML page by `render.rs`); `!forget` erases it
//! (`forget.rs`: the store, leaving only a keyed-hash erasure record; `matrix_erase.rs`: the
//! room kept or redacted by `privacy.erase_in_matrix`); a citizen's own request by keyword is
//! acknowledged and kept with its one-month deadline (`requests.rs`, `!requests`); and the daily
//! sweep applies `[privacy]`'s retention and reminds overdue requests (`sweep.rs`).
//!
//! [`Privacy`] is the feature's handle: the shared parts and the portals it reads and erases.

pub(in crate::bridge) mod commands;
pub(in crate::bridge) mod export;
pub(in crate::bridge) mod forget;
pub(in crate::bridge) mod matrix_erase;
pub(in crate::bridge) mod render;
pub(in crate::bridge) mod requests;
pub(in crate::bridge) mod sweep;

use std::sync::Arc;

use crate::bridge::engine::admin_room::AdminRoom;
use crate::bridge::engine::lent::Parts;
use crate::bridge::portal::Portals;
use crate::ids::{Bsuid, CitizenKey, WaId};
use crate::store::{Found, Store, StoreError, Subject};

pub(in crate::bridge) struct Privacy {
    parts: Parts,
    /// Where exports, requests and the sweep's lines go.
    admin_room: Arc<AdminRoom>,
    portals: Arc<Portals>,
}

impl Privacy {
    pub(in crate::bridge) fn new(
        p: &Parts,
        admin_room: Arc<AdminRoom>,
        portals: Arc<Portals>,
    ) -> Privacy {
        Privacy {
            parts: p.clone(),
            admin_room,
            portals,
        }
    }

    fn t(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.parts.texts.get(key, args)
    }

    fn now(&self) -> u64 {
        self.parts.clock.unix()
    }

    /// Whom to look for, and everything the store holds about them. Identities found on the
    /// way (an old number, a business-scoped id) are searched for too. The walk reads every
    /// table that can hold a citizen (about 0.6 s for 860,000 entries, see
    /// `sportello-erasure-bench`), so it runs off the async threads.
    async fn held_about(&self, citizen: &CitizenKey) -> Result<(Subject, Vec<Found>), StoreError> {
        let store = self.parts.store.clone();
        let citizen = citizen.clone();
        tokio::task::spawn_blocking(move || walk(&store, &citizen))
            .await
            .unwrap_or_else(|e| Err(StoreError::new(e)))
    }

    /// Every identity of the subject (each once: see [`walk`]), typed.
    fn identities(subject: &Subject) -> Vec<CitizenKey> {
        let ids = subject.identities.iter();
        ids.filter_map(|i| CitizenKey::parse(i)).collect()
    }
}

/// Whom to look for, from the citizen's portal (no walk: what the room's part needs).
fn subject_of(store: &Store, citizen: &CitizenKey) -> Result<Subject, StoreError> {
    let portal = store.portal(&citizen.as_str())?;
    let mut ids = vec![citizen.as_str()];
    if let Some(p) = &portal {
        let phone = p.phone.as_deref().and_then(WaId::parse);
        ids.extend(phone.map(|w| CitizenKey::Phone(w).as_str()));
        let bsuid = p.bsuid.as_deref().and_then(Bsuid::parse);
        ids.extend(bsuid.map(|b| CitizenKey::Bsuid(b).as_str()));
    }
    ids.sort();
    ids.dedup();
    Ok(Subject {
        citizen: citizen.as_str(),
        identities: ids,
        room_id: portal.as_ref().map(|p| p.room_id.clone()),
        ghost: portal.as_ref().map(|p| p.ghost.clone()),
    })
}

/// See [`Privacy::held_about`].
fn walk(store: &Store, citizen: &CitizenKey) -> Result<(Subject, Vec<Found>), StoreError> {
    let mut subject = subject_of(store, citizen)?;
    loop {
        let found = store.held_about(&subject)?;
        let more: Vec<String> = found
            .iter()
            .filter_map(Found::identity)
            .filter(|i| !subject.identities.contains(i))
            .collect();
        if more.is_empty() {
            return Ok((subject, found));
        }
        subject.identities.extend(more);
    }
}
