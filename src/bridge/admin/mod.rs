//! The admin feature: permissions, running commands (every feature's, through the handle of
//! the feature that owns each) and auditing them, blocks, and what is stuck (`!queues`,
//! `!deadletters`, `!retry`, `!drop`). The admin room itself is the engine's
//! (`engine/admin_room.rs`): everyone posts to it.

pub(in crate::bridge) mod blocks;
pub(in crate::bridge) mod commands;
pub(in crate::bridge) mod queues;
pub(in crate::bridge) mod room;

use std::sync::Arc;

use crate::bridge::engine::admin_room::AdminRoom;
use crate::bridge::engine::lent::Parts;
use crate::bridge::helpdesk::Helpdesk;
use crate::bridge::news::News;
use crate::bridge::office::Office;
use crate::bridge::portal::Portals;
use crate::bridge::privacy::Privacy;
use crate::bridge::templates::Templates;

/// The admin feature's handle: the shared parts it uses, the admin room, and the features
/// whose commands it runs.
pub(in crate::bridge) struct Admin {
    /// The shared parts (config, store, clients, texts, clock, lifetime, wake).
    parts: Parts,
    admin_room: Arc<AdminRoom>,
    portals: Arc<Portals>,
    news: News,
    office: Arc<Office>,
    templates: Arc<Templates>,
    helpdesk: Arc<Helpdesk>,
    privacy: Arc<Privacy>,
}

/// The features an admin command may reach.
pub(in crate::bridge) struct Features {
    pub admin_room: Arc<AdminRoom>,
    pub portals: Arc<Portals>,
    pub news: News,
    pub office: Arc<Office>,
    pub templates: Arc<Templates>,
    pub helpdesk: Arc<Helpdesk>,
    pub privacy: Arc<Privacy>,
}

impl Admin {
    pub(in crate::bridge) fn new(p: &Parts, f: Features) -> Admin {
        Admin {
            parts: p.clone(),
            admin_room: f.admin_room,
            portals: f.portals,
            news: f.news,
            office: f.office,
            templates: f.templates,
            helpdesk: f.helpdesk,
            privacy: f.privacy,
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
