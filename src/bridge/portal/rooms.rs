//! Portals: one Matrix room per citizen, with the citizen's ghost, the office staff, and a
//! place in the bot's "WhatsApp" space. Only the citizen's own worker creates their portal,
//! so simultaneous first messages cannot create two rooms; the room alias (in the bridge's
//! exclusive namespace) makes creation safe to repeat after a crash.

use serde_json::{Value, json};
use tracing::{info, warn};

use crate::bridge::engine::failure::{Class, Failure, matrix_class};
use crate::bridge::portal::Portals;
use crate::config::GhostIds;
use crate::convert;
use crate::ids::CitizenKey;
use crate::matrix::MatrixError;
use crate::store::Meta;
use crate::store::{PortalRecord, Store};

impl Portals {
    /// The ghost's localpart (also the portal alias's): the prefix and the number (or
    /// business-scoped id), or with `bridge.ghost_ids = "hashed"` an `h` and a keyed hash.
    pub(super) fn ghost_localpart(&self, key: &CitizenKey) -> Result<String, Failure> {
        let prefix = &self.parts.config.raw.appservice.ghost_prefix;
        Ok(match self.parts.config.raw.bridge.ghost_ids {
            GhostIds::Number => format!("{prefix}{}", key.ghost_suffix()),
            GhostIds::Hashed => format!("{prefix}h{}", self.hashed_id(key)?),
        })
    }

    /// 20 hex digits of HMAC-SHA256(the store's ghost key, the citizen key): nobody without
    /// the key can tell from an id whose number it is.
    fn hashed_id(&self, key: &CitizenKey) -> Result<String, Failure> {
        use hmac::{Hmac, Mac};
        let secret = self.ghost_key()?;
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&secret).expect("any key length");
        mac.update(key.as_str().as_bytes());
        let digest = mac.finalize().into_bytes();
        Ok(hex::encode(&digest[..10]))
    }

    /// The ghost key, made (and committed) on first use; one lock so it is made once.
    pub(super) fn ghost_key(&self) -> Result<Vec<u8>, crate::store::StoreError> {
        let mut cached = self.ghost_key.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(k) = cached.as_ref() {
            return Ok(k.clone());
        }
        let store = &self.parts.store;
        let key = match store
            .meta(Meta::GhostIdKey)?
            .and_then(|h| hex::decode(h).ok())
        {
            Some(k) if k.len() == 32 => k,
            _ => {
                let k: [u8; 32] = rand::random();
                store.commit(vec![Store::meta_op(Meta::GhostIdKey, &hex::encode(k))])?;
                k.to_vec()
            }
        };
        *cached = Some(key.clone());
        Ok(key)
    }

    pub(super) fn user_id(&self, localpart: &str) -> String {
        format!(
            "@{localpart}:{}",
            self.parts.config.raw.homeserver.server_name
        )
    }

    /// Power levels: staff talk and manage the room, the ghost only talks. The bot is the
    /// creator, which in room version 12 must not be listed (creators have unlimited power).
    pub(super) fn power_levels(&self, ghost: Option<&str>) -> Value {
        let office = &self.parts.config.raw.office;
        let mut users = serde_json::Map::new();
        for s in &office.staff {
            users.insert(s.clone(), json!(50));
        }
        for a in &office.admins {
            users.insert(a.clone(), json!(100));
        }
        if let Some(g) = ghost {
            users.insert(g.to_owned(), json!(0));
        }
        json!({
            "users": users, "users_default": 0, "events_default": 0, "state_default": 50,
            "invite": 50, "kick": 50, "ban": 50, "redact": 50,
            "events": {"m.room.power_levels": 100, "m.room.tombstone": 100, "m.room.encryption": 100,
                       "m.room.name": 50, "m.room.topic": 50}
        })
    }

    /// Creates a room under the bot's alias `alias_local`, or adopts (joins) the one there;
    /// a half-created one is replaced (`MatrixClient::create_or_adopt`).
    pub(super) async fn create_or_adopt(
        &self,
        alias_local: &str,
        body: Value,
    ) -> Result<String, MatrixError> {
        let cfg = &self.parts.config;
        self.parts
            .matrix
            .create_or_adopt(
                alias_local,
                &cfg.raw.homeserver.server_name,
                &cfg.bot_user_id,
                body,
            )
            .await
    }

    /// The bot's space that groups the citizen rooms (created once).
    pub(super) async fn ensure_space(&self) -> Result<String, MatrixError> {
        let _guard = self.space_lock.lock().await;
        if let Ok(Some(id)) = self.parts.store.meta(Meta::SpaceRoomId) {
            return Ok(id);
        }
        let raw = &self.parts.config.raw;
        let body = json!({
            "name": raw.bridge.space_name,
            "topic": self.t("space_topic", &[("office", &raw.office.name)]),
            "preset": "private_chat",
            "visibility": "private",
            "creation_content": {"type": "m.space"},
            "power_level_content_override": self.power_levels(None),
        });
        let id = self
            .create_or_adopt(&format!("{}space", raw.appservice.ghost_prefix), body)
            .await?;
        self.invite_staff(&id, "space").await;
        if let Err(e) = self
            .parts
            .store
            .commit(vec![Store::meta_op(Meta::SpaceRoomId, &id)])
        {
            warn!("could not record the space: {e}");
        }
        info!(room_id = %id, "created the WhatsApp space");
        Ok(id)
    }

    /// The citizen's portal, created on first use. Also keeps the ghost's name current.
    pub(in crate::bridge) async fn ensure_portal(
        &self,
        key: &CitizenKey,
        profile_name: Option<&str>,
    ) -> Result<PortalRecord, Failure> {
        let citizen = &key.as_str();
        let store = &self.parts.store;
        let raw = &self.parts.config.raw;
        let existing = store.portal(citizen)?;
        if let Some(mut p) = existing {
            if let Some(name) = profile_name
                && p.profile_name.as_deref() != Some(name)
            {
                self.renamed(&mut p, name).await?;
            }
            return Ok(p);
        }
        let localpart = self.ghost_localpart(key)?;
        let ghost = self.user_id(&localpart);
        self.parts.matrix.register(&localpart).await?;
        self.parts
            .matrix
            .set_displayname(&ghost, &convert::ghost_displayname(profile_name, key))
            .await?;
        let space = self.ensure_space().await?;
        let server = &raw.homeserver.server_name;
        let body = json!({
            "name": convert::room_name(&raw.bridge.room_name_template, profile_name, key),
            "topic": self.t("portal_topic", &[("who", &key.masked())]),
            "preset": "private_chat",
            "visibility": "private",
            "invite": [ghost],
            "initial_state": [{"type": "m.space.parent", "state_key": space, "content": {"via": [server], "canonical": true}}],
            "power_level_content_override": self.power_levels(Some(&ghost)),
        });
        let room_id = {
            let _slot = self.portal_pace.slot().await;
            self.create_or_adopt(&localpart, body.clone()).await?
        };
        let room_id = match self.parts.matrix.join(&ghost, &room_id).await {
            Ok(()) => room_id,
            // The one repair: a room whose creation the homeserver never finished (it went
            // down mid-way) keeps its alias but cannot be joined. The alias is freed and the
            // room created again.
            Err(e) if matrix_class(&e) == Class::Permanent => {
                warn!("the portal's room cannot be joined ({e}); creating it again");
                let alias = format!("#{localpart}:{server}");
                self.parts.matrix.delete_alias(&alias).await?;
                let _slot = self.portal_pace.slot().await;
                let room_id = self.create_or_adopt(&localpart, body).await?;
                self.parts.matrix.join(&ghost, &room_id).await?;
                room_id
            }
            Err(e) => return Err(e.into()),
        };
        let staff_missing = self.invite_staff(&room_id, citizen).await;
        self.parts
            .matrix
            .set_state(&space, "m.space.child", &room_id, &json!({"via": [server]}))
            .await?;
        let p = PortalRecord {
            profile_name: profile_name.map(str::to_owned),
            phone: match key {
                CitizenKey::Phone(p) => Some(p.expose().to_owned()),
                _ => None,
            },
            bsuid: match key {
                CitizenKey::Bsuid(b) => Some(b.expose().to_owned()),
                _ => None,
            },
            staff_missing,
            ..PortalRecord::new(key, &room_id, &ghost)
        };
        store.commit(Store::portal_ops(&p))?;
        info!(room_id = %p.room_id, "portal created");
        Ok(p)
    }

    /// The citizen's profile name changed (or replaces one from the office phone's contacts).
    async fn renamed(&self, p: &mut PortalRecord, name: &str) -> Result<(), Failure> {
        p.profile_name = Some(name.to_owned());
        p.named_by_contacts = false;
        self.name_portal(p, false).await?;
        self.parts.store.commit(Store::portal_ops(p))?;
        info!(room_id = %p.room_id, "citizen's profile name changed; ghost and room renamed");
        Ok(())
    }

    /// Names the ghost and the room after the citizen's profile name and where they are
    /// reached now (the room with the blocked mark when `blocked`).
    pub(in crate::bridge) async fn name_portal(
        &self,
        p: &PortalRecord,
        blocked: bool,
    ) -> Result<(), Failure> {
        let Some(key) = p.address().or_else(|| Some(p.citizen.clone())) else {
            return Ok(());
        };
        let profile = p.profile_name.as_deref();
        self.parts
            .matrix
            .set_displayname(&p.ghost, &convert::ghost_displayname(profile, &key))
            .await?;
        let template = &self.parts.config.raw.bridge.room_name_template;
        let name = convert::room_name(template, profile, &key);
        // The conversation's state first, so Element's room list shows it.
        let state = match self.parts.store.conversation(&p.citizen.as_str())? {
            Some(c) => self.helpdesk.prefix(&c),
            None => String::new(),
        };
        let name = if blocked {
            format!("⛔ {state}{name}")
        } else {
            format!("{state}{name}")
        };
        self.parts
            .matrix
            .set_state(&p.room_id, "m.room.name", "", &json!({"name": name}))
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::bridge::Bridge;
    use crate::ids::CitizenKey;
    use crate::store::Store;

    fn bridge_on(store: &Store) -> Bridge {
        let toml = crate::config::valid_test_toml();
        let raw = crate::config::RawConfig::from_toml(&toml, "t", |_| None).unwrap();
        let (_, rx) = tokio::sync::watch::channel(true);
        Bridge::new(raw.validate().unwrap(), store.clone(), rx)
    }

    /// New configs name ghosts by a keyed hash: the same for a citizen across restarts (the
    /// key is kept in the store), different for another, and free of the number.
    #[tokio::test]
    async fn hashed_ids_are_stable_distinct_and_say_nothing() {
        let store = Store::memory();
        let anna = CitizenKey::parse("p:393331234567").unwrap();
        let bruno = CitizenKey::parse("p:393339876543").unwrap();
        let first = bridge_on(&store)
            .inner
            .portals
            .ghost_localpart(&anna)
            .unwrap();
        let again = bridge_on(&store)
            .inner
            .portals
            .ghost_localpart(&anna)
            .unwrap();
        let other = bridge_on(&store)
            .inner
            .portals
            .ghost_localpart(&bruno)
            .unwrap();
        assert_eq!(first, again);
        assert_ne!(first, other);
        assert!(
            first.starts_with("whatsapp_h") && first.len() == 30,
            "{first}"
        );
        assert!(!first.contains("4567"));
        let elsewhere = bridge_on(&Store::memory())
            .inner
            .portals
            .ghost_localpart(&anna)
            .unwrap();
        assert_ne!(first, elsewhere, "another install, another key");
    }

    /// The homeserver asks the bridge whether a user in its namespace exists: with hashed
    /// ids, only the ghosts it made; never one named by a number, even a number that wrote.
    #[tokio::test]
    async fn the_user_query_knows_only_the_ghosts_made() {
        let store = Store::memory();
        let bridge = bridge_on(&store);
        let anna = CitizenKey::parse("p:393331234567").unwrap();
        let server = bridge.config().raw.homeserver.server_name.clone();
        let local = bridge.inner.portals.ghost_localpart(&anna).unwrap();
        let ghost = format!("@{local}:{server}");
        let portal = crate::store::PortalRecord::new(&anna, "!room:x", &ghost);
        store.commit(Store::portal_ops(&portal)).unwrap();
        assert!(bridge.is_known_ghost(&ghost));
        assert!(!bridge.is_known_ghost(&format!("@whatsapp_393331234567:{server}")));
        assert!(!bridge.is_known_ghost(&format!("@whatsapp_h0123456789abcdef0123:{server}")));
    }
}
