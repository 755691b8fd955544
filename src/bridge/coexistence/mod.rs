//! Coexistence with the WhatsApp Business app: the office's number stays on the phone while
//! Sportello serves it. What the office sends, edits or deletes from the phone comes as echoes
//! and is shown in the citizen's room as the office, marked as from the app (`echo.rs`); it
//! counts as an answer. The chats shared at onboarding come in chunks, kept until the last one
//! and then imported into each citizen's room in order, at their own times (`history.rs`); a
//! refusal is told to the admins. The phone's contacts name citizens who have no profile name
//! yet. `route.rs` takes the three webhooks from the router, once each.
//!
//! [`Coexistence`] is the feature's handle: the shared parts and the portals it posts into.

pub(in crate::bridge) mod echo;
pub(in crate::bridge) mod history;
pub(in crate::bridge) mod route;

use std::sync::Arc;

use tracing::info;

use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::lent::Parts;
use crate::bridge::engine::worker::Step;
use crate::bridge::portal::Portals;
use crate::ids::CitizenKey;
use crate::store::{PortalRecord, Store};

pub(in crate::bridge) struct Coexistence {
    parts: Parts,
    portals: Arc<Portals>,
}

impl Coexistence {
    pub(in crate::bridge) fn new(p: &Parts, portals: Arc<Portals>) -> Coexistence {
        Coexistence {
            parts: p.clone(),
            portals,
        }
    }

    fn t(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.parts.texts.get(key, args)
    }

    /// The citizen's portal, created if the office writes first (from the phone, or in the
    /// history), named after the phone's contact when the citizen has no profile name.
    async fn portal(&self, key: &CitizenKey) -> Result<PortalRecord, Failure> {
        let mut portal = self.portals.ensure_portal(key, None).await?;
        if portal.profile_name.is_none()
            && let Some(phone) = portal.phone.clone()
            && let Some(name) = self.contact_name(&phone)?
        {
            self.name_from_contacts(&mut portal, name).await?;
        }
        Ok(portal)
    }

    fn contact_name(&self, phone: &str) -> Result<Option<String>, Failure> {
        if !self.parts.config.raw.coexistence.contact_names {
            return Ok(None);
        }
        Ok(self.parts.store.contact_name(phone)?)
    }

    /// The ghost and the room take the contact's name (never over the citizen's own).
    async fn name_from_contacts(
        &self,
        portal: &mut PortalRecord,
        name: String,
    ) -> Result<(), Failure> {
        if portal.profile_name.is_some() && !portal.named_by_contacts
            || portal.profile_name.as_deref() == Some(name.as_str())
        {
            return Ok(());
        }
        portal.profile_name = Some(name);
        portal.named_by_contacts = true;
        let blocked = self.parts.store.block(&portal.citizen.as_str())?.is_some();
        self.portals.name_portal(portal, blocked).await?;
        self.parts.store.commit(Store::portal_ops(portal))?;
        info!(room_id = %portal.room_id, "named after the office phone's contact");
        Ok(())
    }

    /// `Work::ContactName`: the phone's contacts know the citizen by `name`.
    pub(in crate::bridge) async fn contact_named(
        &self,
        key: &CitizenKey,
        name: String,
    ) -> Result<Step, Failure> {
        if let Some(mut portal) = self.parts.store.portal(&key.as_str())? {
            self.name_from_contacts(&mut portal, name).await?;
        }
        Ok(Step::Done(vec![]))
    }
}
