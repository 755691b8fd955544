//! The admin room: where the engine posts its lines for the admins (dead letters, stalls,
//! reports) and where commands are read. The bot creates it (or adopts the configured one)
//! and invites the admins; its id is kept in the store.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tracing::{info, warn};

use crate::bridge::engine::item::Queue;
use crate::bridge::engine::lent::Lifetime;
use crate::config::Config;
use crate::matrix::{MatrixClient, MatrixError};
use crate::store::{Meta, Store};
use crate::texts::Texts;

/// The admin room's handle.
pub(in crate::bridge) struct AdminRoom {
    config: Arc<Config>,
    store: Store,
    matrix: MatrixClient,
    texts: Arc<Texts>,
    /// One creation at a time.
    lock: tokio::sync::Mutex<()>,
}

impl AdminRoom {
    pub(in crate::bridge) fn new(p: &crate::bridge::engine::lent::Parts) -> AdminRoom {
        AdminRoom {
            config: p.config.clone(),
            store: p.store.clone(),
            matrix: p.matrix.clone(),
            texts: p.texts.clone(),
            lock: tokio::sync::Mutex::new(()),
        }
    }

    fn t(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.texts.get(key, args)
    }

    /// A citizen key, masked; the admin room's queue by name.
    pub(in crate::bridge) fn whose(&self, key: &str) -> String {
        whose(&self.texts, key)
    }
}

/// A queue's key as the admins read it: the citizen masked, the admin room's queue by name.
pub(in crate::bridge) fn whose(texts: &Texts, key: &str) -> String {
    match Queue::parse(key) {
        Queue::Admin => texts.get("admin_queue_name", &[]),
        other => other.to_string(),
    }
}

impl AdminRoom {
    pub(in crate::bridge) fn id(&self) -> Option<String> {
        self.store.meta(Meta::AdminRoomId).ok().flatten()
    }

    /// Creates (or adopts) the admin room; retried by the caller until it works.
    pub(in crate::bridge) async fn ensure(&self) -> Result<String, MatrixError> {
        let _guard = self.lock.lock().await;
        if let Some(id) = self.id() {
            return Ok(id);
        }
        let raw = &self.config.raw;
        let configured = raw.office.admin_room.trim();
        let id = if configured.is_empty() {
            let body = json!({
                "name": self.t("admin_room_name", &[]),
                "topic": self.t("admin_room_topic", &[("office", &raw.office.name)]),
                "preset": "private_chat",
                "visibility": "private",
                "invite": raw.office.admins,
                "power_level_content_override": {"users": raw.office.admins.iter().map(|a| (a.clone(), json!(100))).collect::<serde_json::Map<String, Value>>()},
            });
            let alias = format!("{}admin", raw.appservice.ghost_prefix);
            let server = &raw.homeserver.server_name;
            self.matrix
                .create_or_adopt(&alias, server, &self.config.bot_user_id, body)
                .await?
        } else if configured.starts_with('#') {
            let id = self.matrix.resolve_alias(configured).await?;
            let id = id.ok_or_else(|| MatrixError::Api {
                status: 404,
                errcode: "M_NOT_FOUND".into(),
                message: format!("{configured} does not exist"),
            })?;
            self.matrix.join(&self.config.bot_user_id, &id).await?;
            id
        } else {
            self.matrix
                .join(&self.config.bot_user_id, configured)
                .await?;
            configured.to_owned()
        };
        if let Err(e) = self
            .store
            .commit(vec![Store::meta_op(Meta::AdminRoomId, &id)])
        {
            warn!("could not record the admin room: {e}");
        }
        info!(room_id = %id, "admin room ready");
        Ok(id)
    }

    pub(in crate::bridge) async fn admin_room_forever(&self, life: &Lifetime) {
        loop {
            match self.ensure().await {
                Ok(_) => return,
                Err(e) => warn!("the admin room is not ready yet, retrying: {e}"),
            }
            if life.sleep_or_shutdown(Duration::from_secs(5)).await {
                return;
            }
        }
    }
}
