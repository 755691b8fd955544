//! Portals: each citizen's room and ghost, their identities, citizen → Matrix (with media),
//! staff → WhatsApp, delivery statuses, reads and typing, the 24-hour window and the answers it
//! holds, and the staff invited to every room.

pub(in crate::bridge) mod changes;
pub(in crate::bridge) mod conversation;
pub(in crate::bridge) mod erased;
pub(in crate::bridge) mod ghost_ids;
pub(in crate::bridge) mod held;
pub(in crate::bridge) mod identity;
pub(in crate::bridge) mod inbound;
pub(in crate::bridge) mod media;
pub(in crate::bridge) mod outbound;
pub(in crate::bridge) mod read;
pub(in crate::bridge) mod rooms;
pub(in crate::bridge) mod staff;
pub(in crate::bridge) mod status;
pub(in crate::bridge) mod window;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::bridge::engine::lent::Parts;
use crate::bridge::engine::pace::PortalPace;
use crate::bridge::helpdesk::Helpdesk;
use crate::bridge::office::Office;
use crate::bridge::templates::Templates;

/// The portals' handle: the shared parts they use, the office (asked for the automatic reply
/// to a citizen's message), and what only portals keep.
pub(in crate::bridge) struct Portals {
    /// The shared parts (config, store, clients, texts, clock, lifetime, wake).
    parts: Parts,
    office: Arc<Office>,
    /// The templates `!template` chooses from (and a held answer's notice lists).
    templates: Arc<Templates>,
    /// Where each citizen's conversation stands (shown in the portal).
    helpdesk: Arc<Helpdesk>,
    /// When a typing indicator was last sent, per portal room.
    typing_sent: Mutex<HashMap<String, Instant>>,
    /// Serialises the creation of the space.
    space_lock: tokio::sync::Mutex<()>,
    /// Room creations per minute (see `engine/pace.rs`).
    portal_pace: PortalPace,
    /// Citizen media transfers under way (see `media.rs`).
    media_slots: tokio::sync::Semaphore,
    /// The homeserver's upload limit and when it was asked.
    upload_limit: tokio::sync::Mutex<Option<(Instant, Option<u64>)>>,
    /// The key of hashed ghost ids, once read (see `rooms.rs`).
    ghost_key: Mutex<Option<Vec<u8>>>,
}

impl Portals {
    pub(in crate::bridge) fn new(
        p: &Parts,
        office: Arc<Office>,
        templates: Arc<Templates>,
        helpdesk: Arc<Helpdesk>,
    ) -> Portals {
        let raw = &p.config.raw;
        Portals {
            parts: p.clone(),
            office,
            templates,
            helpdesk,
            typing_sent: Mutex::new(HashMap::new()),
            space_lock: tokio::sync::Mutex::new(()),
            portal_pace: PortalPace::new(raw.bridge.new_portals_per_minute as usize),
            media_slots: tokio::sync::Semaphore::new(media::MEDIA_SLOTS),
            upload_limit: tokio::sync::Mutex::new(None),
            ghost_key: Mutex::new(None),
        }
    }

    fn t(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.parts.texts.get(key, args)
    }

    /// Unix seconds now, by the bridge's clock.
    fn now_secs(&self) -> u64 {
        self.parts.clock.unix()
    }
}
