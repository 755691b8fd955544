//! A citizen's identities: which citizen a number or business-scoped id belongs to, and what
//! follows when Meta says it changed (`user_changed_number`, `user_changed_user_id`,
//! `user_id_update`). The citizen key never changes, so the room, the queue, the subscriptions,
//! the consent ledger and a block all stay with the person; the new identity is linked to it,
//! and the portal's address (where replies and news go) moves to it.

use tracing::{debug, info, warn};

use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::item::{CommandWork, Work};
use crate::bridge::engine::router::Routed;
use crate::bridge::engine::worker::Step;
use crate::bridge::portal::Portals;
use crate::ids::{CitizenKey, WaId};
use crate::store::{PortalRecord, Store, StoreError};
use crate::whatsapp::webhook::IdentityUpdate;

/// Where the citizen is reached now: the portal's address (the number once known, the new one
/// after a change), else their key (a subscriber who never wrote has no portal).
pub(in crate::bridge) fn reached_at(
    portal: Option<&PortalRecord>,
    citizen: &CitizenKey,
) -> Option<CitizenKey> {
    portal
        .and_then(PortalRecord::address)
        .or_else(|| Some(citizen.clone()))
}

impl Portals {
    /// A command's target: `this room` (the portal's citizen) or a number (spaces allowed),
    /// and the rest of the arguments.
    pub(in crate::bridge) fn target(
        &self,
        args: &str,
        c: &CommandWork,
    ) -> Result<(Option<CitizenKey>, String), Failure> {
        if let Some(rest) = args.strip_prefix("this room") {
            return Ok((c.citizen.clone(), rest.trim().to_owned()));
        }
        // The number may be written with spaces (+39 333 1234567).
        let end = args
            .char_indices()
            .find(|(_, ch)| !(ch.is_ascii_digit() || " +-./()".contains(*ch)))
            .map(|(i, _)| i)
            .unwrap_or(args.len());
        let (num, rest) = args.split_at(end);
        let digits: String = num.chars().filter(char::is_ascii_digit).collect();
        let citizen = match WaId::parse(&digits).map(CitizenKey::Phone) {
            Some(k) => Some(
                self.parts
                    .store
                    .citizen_for_identity(&k.as_str())?
                    .and_then(|owner| CitizenKey::parse(&owner))
                    .unwrap_or(k),
            ),
            None => None,
        };
        Ok((citizen, rest.trim().to_owned()))
    }

    /// The citizen the first of these identities that is known belongs to.
    pub(in crate::bridge) fn owner_of_any(
        &self,
        r: &Routed,
        identities: &[CitizenKey],
    ) -> Result<Option<String>, StoreError> {
        for id in identities {
            if let Some(c) = self.identity_owner(r, &id.as_str())? {
                return Ok(Some(c));
            }
        }
        Ok(None)
    }

    /// The citizen an identity (`p:<digits>` / `b:<bsuid>`) belongs to, as this batch leaves it.
    pub(in crate::bridge) fn identity_owner(
        &self,
        r: &Routed,
        identity: &str,
    ) -> Result<Option<String>, StoreError> {
        match r.identities.get(identity) {
            Some(c) => Ok(Some(c.clone())),
            None => self.parts.store.citizen_for_identity(identity),
        }
    }

    /// Records that `identity` belongs to `citizen` from now on.
    pub(in crate::bridge) fn link_identity(
        &self,
        r: &mut Routed,
        identity: &CitizenKey,
        citizen: &str,
    ) -> Result<(), StoreError> {
        let id = identity.as_str();
        let owner = self.identity_owner(r, &id)?;
        if owner.as_deref() == Some(citizen) {
            return Ok(());
        }
        if let Some(other) = owner {
            let other = CitizenKey::parse(&other).map(|k| k.masked());
            warn!(identity = %identity, previous = ?other, "an identity moves to another citizen");
        }
        r.ops.push(Store::identity_op(&id, citizen));
        r.identities.insert(id, citizen.to_owned());
        Ok(())
    }

    /// `user_id_update`: the citizen's new business-scoped id is linked to them, and their
    /// portal learns it (after whatever is already queued for them).
    pub(in crate::bridge) fn route_identity_update(
        &self,
        r: &mut Routed,
        u: IdentityUpdate,
    ) -> Result<(), StoreError> {
        let known: Vec<CitizenKey> = [
            u.phone.clone().map(CitizenKey::Phone),
            u.previous.map(CitizenKey::Bsuid),
        ]
        .into_iter()
        .flatten()
        .collect();
        let Some(citizen) = self.owner_of_any(r, &known)? else {
            debug!("business-scoped id update for a citizen never seen; nothing to link");
            return Ok(());
        };
        let bsuid = u.current.expose().to_owned();
        self.link_identity(r, &CitizenKey::Bsuid(u.current), &citizen)?;
        let work = Work::NewIdentity {
            phone: u.phone.map(|p| p.expose().to_owned()),
            bsuid: Some(bsuid),
        };
        r.push(&self.parts.store, &citizen, &work);
        Ok(())
    }

    /// A `system` message announced `new`: its portal moves there after the message is shown.
    pub(in crate::bridge) fn queue_new_identity(
        &self,
        r: &mut Routed,
        citizen: &str,
        new: CitizenKey,
    ) {
        info!(now = %new, "the citizen's number or id changed");
        let work = match new {
            CitizenKey::Phone(p) => Work::NewIdentity {
                phone: Some(p.expose().to_owned()),
                bsuid: None,
            },
            CitizenKey::Bsuid(b) => Work::NewIdentity {
                phone: None,
                bsuid: Some(b.expose().to_owned()),
            },
        };
        r.push(&self.parts.store, citizen, &work);
    }

    /// The worker's half: the portal's address moves to the new identity (a new number always
    /// wins; a new business-scoped id replaces the old one), and the ghost and room follow.
    pub(in crate::bridge) async fn adopt_identity(
        &self,
        citizen: &CitizenKey,
        phone: Option<String>,
        bsuid: Option<String>,
    ) -> Result<Step, Failure> {
        let store = &self.parts.store;
        let Some(mut portal) = store.portal(&citizen.as_str())? else {
            return Ok(Step::Done(vec![]));
        };
        let before = portal.address();
        if phone.is_some() {
            portal.phone = phone;
        }
        if bsuid.is_some() {
            portal.bsuid = bsuid;
        }
        if portal.address() != before {
            info!(room_id = %portal.room_id, "the citizen's address changed; ghost and room renamed");
            let blocked = store.block(&citizen.as_str())?.is_some();
            self.name_portal(&portal, blocked).await?;
        }
        Ok(Step::Done(Store::portal_ops(&portal)))
    }
}
