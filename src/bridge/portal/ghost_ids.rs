//! Moving an install to hashed ghost ids (`bridge.ghost_ids = "hashed"`): `!migrate-ids` in
//! the admin room queues, for each portal whose ghost still carries the number, a move in the
//! citizen's own queue. The move registers the hashed ghost, names it as the old one was,
//! invites and joins it, points a hashed alias at the room (and the room's canonical alias)
//! and removes the number's; the old ghost leaves and is deactivated with its profile erased,
//! so the homeserver no longer tells its number. The room, its name (the masked number) and
//! its history stay as staff know them; the citizen's next message comes from the new ghost.

use serde_json::json;
use tracing::info;

use crate::bridge::engine::command::{Answer, Call, Command, Run};
use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::item::{Reply, Work};
use crate::bridge::engine::worker::Step;
use crate::bridge::portal::Portals;
use crate::commands::{CommandSpec, Where, Who};
use crate::config::GhostIds;
use crate::convert;
use crate::ids::CitizenKey;
use crate::store::Store;

impl Portals {
    /// Whether `ghost` is named the hashed way.
    fn is_hashed(&self, ghost: &str) -> bool {
        let prefix = format!("@{}h", self.parts.config.raw.appservice.ghost_prefix);
        ghost
            .strip_prefix(&prefix)
            .and_then(|rest| rest.split_once(':'))
            .is_some_and(|(h, _)| h.len() == 20 && h.bytes().all(|b| b.is_ascii_hexdigit()))
    }

    /// `!migrate-ids`: a move queued for each portal whose ghost carries the number.
    fn migrate_ids(&self) -> Result<Reply, Failure> {
        if self.parts.config.raw.bridge.ghost_ids != GhostIds::Hashed {
            return Ok(Reply::text(self.t("ids_not_hashed", &[])));
        }
        let store = &self.parts.store;
        let mut queued = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = store.portals_page(after.as_deref(), 500)?;
            let Some(last) = page.last() else { break };
            after = Some(last.citizen.as_str());
            let ops: Vec<_> = page
                .iter()
                .filter(|p| !self.is_hashed(&p.ghost))
                .map(|p| {
                    queued.push(p.citizen.as_str());
                    store.queue_push_op(&p.citizen.as_str(), &Work::MoveGhost.to_bytes())
                })
                .collect();
            store.commit(ops)?;
        }
        for c in &queued {
            self.parts.wake.queue(c.clone());
        }
        if queued.is_empty() {
            return Ok(Reply::text(self.t("ids_all_hashed", &[])));
        }
        let n = queued.len().to_string();
        Ok(Reply::text(self.t("ids_migrating", &[("n", &n)])))
    }

    /// `Work::MoveGhost`: the citizen's portal moves to its hashed ghost (each step may be
    /// repeated after a failure).
    pub(in crate::bridge) async fn move_ghost(&self, key: &CitizenKey) -> Result<Step, Failure> {
        let store = &self.parts.store;
        let Some(mut p) = store.portal(&key.as_str())? else {
            return Ok(Step::Done(vec![]));
        };
        let local = self.ghost_localpart(key)?;
        let ghost = self.user_id(&local);
        if p.ghost == ghost || self.parts.config.raw.bridge.ghost_ids != GhostIds::Hashed {
            return Ok(Step::Done(vec![]));
        }
        let m = &self.parts.matrix;
        let server = &self.parts.config.raw.homeserver.server_name;
        let shown = p.address().unwrap_or_else(|| key.clone());
        m.register(&local).await?;
        m.set_displayname(
            &ghost,
            &convert::ghost_displayname(p.profile_name.as_deref(), &shown),
        )
        .await?;
        m.invite(&p.room_id, &ghost).await?;
        m.join(&ghost, &p.room_id).await?;
        let alias = format!("#{local}:{server}");
        m.put_alias(&alias, &p.room_id).await?;
        m.set_state(
            &p.room_id,
            "m.room.canonical_alias",
            "",
            &json!({ "alias": alias }),
        )
        .await?;
        let old = std::mem::replace(&mut p.ghost, ghost);
        let old_local = old
            .trim_start_matches('@')
            .split(':')
            .next()
            .unwrap_or_default();
        m.delete_alias(&format!("#{old_local}:{server}")).await?;
        m.leave(&old, &p.room_id).await?;
        m.deactivate(&old).await?;
        info!(room_id = %p.room_id, "the portal's ghost moved to a hashed id");
        let mut ops = Store::portal_ops(&p);
        ops.push(Store::ghost_forget_op(&old));
        Ok(Step::Done(ops))
    }
}

fn migrate<'a>(p: &'a Portals, _call: Call<'a>) -> Answer<'a> {
    Box::pin(async move { p.migrate_ids() })
}

pub(in crate::bridge) static COMMANDS: [Command<Portals>; 1] = [Command {
    spec: CommandSpec {
        name: "migrate-ids",
        args: "",
        help: "move every citizen's ghost and room alias to hashed ids (bridge.ghost_ids = \"hashed\")",
        who: Who::Admin,
        place: Where::AdminRoom,
    },
    run: Run::Handler(migrate),
}];
