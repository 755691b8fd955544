//! Blocks and the code of conduct: `!warn` sends the citizen the code of conduct, `!block`
//! stops a number (nothing bridged either way: the router drops their messages, staff
//! messages to them are refused) and asks Meta's Block API when Meta allows it, `!unblock`
//! lifts both, `!blocked` lists them. The portal's name shows the block.

use tracing::info;

use crate::bridge::admin::Admin;
use crate::bridge::engine::command::{Answer, Call, Command, Run, usage};
use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::item::queue_as_staff;
use crate::bridge::engine::item::{CommandWork, Reply};
use crate::bridge::portal::window;
use crate::commands::{CommandSpec, Where, Who, html_table};
use crate::convert;
use crate::ids::{CitizenKey, mask_text};
use crate::matrix::txn_id;
use crate::store::{BlockRecord, Store};

impl Admin {
    /// `!blocked`.
    fn blocked_list(&self) -> Result<Reply, Failure> {
        let blocks = self.parts.store.blocks()?;
        if blocks.is_empty() {
            return Ok(Reply::text(self.t("blocked_none", &[])));
        }
        let rows: Vec<Vec<String>> = blocks
            .iter()
            .map(|(c, b)| {
                let who = CitizenKey::parse(c).map(|k| k.masked()).unwrap_or_default();
                vec![
                    who,
                    b.reason.clone(),
                    b.by.clone(),
                    self.parts.config.local_stamp(b.at),
                ]
            })
            .collect();
        let list: Vec<String> = rows.iter().map(|r| r.join(" · ")).collect();
        Ok(Reply {
            text: self.t("blocked_list", &[("list", &list.join("\n"))]),
            html: Some(html_table(&["number", "reason", "by", "when"], &rows)),
            ops: vec![],
        })
    }

    /// `!warn`, `!block` and `!unblock`: the citizen they are about, and the rest of the line.
    async fn about_citizen(
        &self,
        call: Call<'_>,
    ) -> Result<Result<(CitizenKey, String), Reply>, Failure> {
        let (target, rest) = self.portals.target(&call.p.args, call.c)?;
        Ok(match target {
            Some(citizen) => Ok((citizen, rest)),
            None => Err(usage(&self.parts.texts, call.p)),
        })
    }

    /// Meta's Block API, when Meta allows it (the citizen wrote in the last 24 hours).
    async fn meta_block(&self, citizen: &CitizenKey, block: bool) -> Result<String, Failure> {
        let portal = self.parts.store.portal(&citizen.as_str())?;
        let now = self.now_secs() as i64;
        let phone = match crate::bridge::portal::identity::reached_at(portal.as_ref(), citizen) {
            Some(CitizenKey::Phone(p)) => Some(p.expose().to_owned()),
            _ => None,
        };
        let recent = portal
            .as_ref()
            .is_some_and(|p| window::is_open(p.last_inbound_at, now));
        let Some(phone) = phone.filter(|_| recent) else {
            return Ok(self.t("meta_skipped", &[]));
        };
        match self.parts.graph.block_users(&[&phone], block).await {
            Ok(v) => {
                let failed = v["block_users"]["failed_users"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                if failed.is_empty() {
                    Ok(self.t(if block { "meta_ok" } else { "meta_unblocked" }, &[]))
                } else {
                    let detail: Vec<String> = failed
                        .iter()
                        .flat_map(|f| f["errors"].as_array().cloned().unwrap_or_default())
                        .map(|e| format!("{} {}", e["code"], e["message"].as_str().unwrap_or("")))
                        .collect();
                    Ok(self.t("meta_failed", &[("detail", &mask_text(&detail.join("; ")))]))
                }
            }
            Err(e) => Ok(self.t("meta_failed", &[("detail", &mask_text(&e.to_string()))])),
        }
    }

    /// Renames the portal with or without the blocked mark, and says so in it.
    async fn mark_portal(
        &self,
        citizen: &str,
        blocked: bool,
        notice: String,
    ) -> Result<(), Failure> {
        let Some(portal) = self.parts.store.portal(citizen)? else {
            return Ok(());
        };
        self.portals.name_portal(&portal, blocked).await?;
        let content = convert::notice(&notice, None);
        let txn = txn_id(
            "blockmark",
            &format!("{citizen}|{blocked}|{}", self.now_secs()),
        );
        self.parts
            .matrix
            .send(None, &portal.room_id, "m.room.message", &txn, &content)
            .await?;
        Ok(())
    }

    /// Sends the code of conduct as if the staff member wrote it: through the citizen's queue,
    /// so the window, holding, retries and failure notices apply as to any answer.
    async fn warn(&self, key: &CitizenKey, c: &CommandWork) -> Result<Reply, Failure> {
        let (citizen, who) = (&key.as_str(), key.masked());
        let policies = &self.parts.config.raw.policies;
        if policies.code_of_conduct.trim().is_empty() {
            return Ok(Reply::text(self.t("warn_none", &[])));
        }
        let Some(portal) = self.parts.store.portal(citizen)? else {
            return Ok(Reply::text(self.t("warn_no_portal", &[("who", &who)])));
        };
        let queued = queue_as_staff(
            &self.parts.store,
            citizen,
            &portal.room_id,
            c,
            &policies.code_of_conduct,
            self.now_secs(),
        );
        let version = policies.versions().1;
        Ok(Reply {
            ops: vec![queued],
            ..Reply::text(self.t("warn_queued", &[("version", version), ("who", &who)]))
        })
    }

    async fn block(&self, key: &CitizenKey, reason: &str, by: &str) -> Result<Reply, Failure> {
        let (citizen, who) = (&key.as_str(), key.masked());
        if self.parts.store.block(citizen)?.is_some() {
            return Ok(Reply::text(self.t("block_already", &[("who", &who)])));
        }
        let meta = self.meta_block(key, true).await?;
        let record = BlockRecord {
            reason: reason.to_owned(),
            by: by.to_owned(),
            at: self.now_secs(),
            meta: meta.clone(),
        };
        // Recorded now, so the citizen's next message is already dropped.
        self.parts
            .store
            .commit(vec![Store::block_op(citizen, &record)])?;
        info!(citizen = %who, "citizen blocked");
        self.mark_portal(
            citizen,
            true,
            self.t("portal_blocked", &[("by", by), ("reason", reason)]),
        )
        .await?;
        Ok(Reply::text(self.t(
            "block_done",
            &[("who", &who), ("reason", reason), ("meta", &meta)],
        )))
    }

    async fn unblock(&self, key: &CitizenKey, by: &str) -> Result<Reply, Failure> {
        let (citizen, who) = (&key.as_str(), key.masked());
        if self.parts.store.block(citizen)?.is_none() {
            return Ok(Reply::text(self.t("unblock_not_blocked", &[("who", &who)])));
        }
        let meta = self.meta_block(key, false).await?;
        self.parts.store.commit(vec![Store::unblock_op(citizen)])?;
        info!(citizen = %who, "citizen unblocked");
        self.mark_portal(citizen, false, self.t("portal_unblocked", &[("by", by)]))
            .await?;
        Ok(Reply::text(
            self.t("unblock_done", &[("who", &who), ("meta", &meta)]),
        ))
    }
}

fn warn<'a>(b: &'a Admin, call: Call<'a>) -> Answer<'a> {
    Box::pin(async move {
        match b.about_citizen(call).await? {
            Ok((citizen, _)) => b.warn(&citizen, call.c).await,
            Err(usage) => Ok(usage),
        }
    })
}

fn block<'a>(b: &'a Admin, call: Call<'a>) -> Answer<'a> {
    Box::pin(async move {
        match b.about_citizen(call).await? {
            Ok((citizen, reason)) if !reason.is_empty() => {
                b.block(&citizen, &reason, &call.c.sender).await
            }
            Ok(_) => Ok(usage(&b.parts.texts, call.p)),
            Err(usage) => Ok(usage),
        }
    })
}

fn unblock<'a>(b: &'a Admin, call: Call<'a>) -> Answer<'a> {
    Box::pin(async move {
        match b.about_citizen(call).await? {
            Ok((citizen, _)) => b.unblock(&citizen, &call.c.sender).await,
            Err(usage) => Ok(usage),
        }
    })
}

fn blocked<'a>(b: &'a Admin, _call: Call<'a>) -> Answer<'a> {
    Box::pin(async move { b.blocked_list() })
}

/// The code of conduct and blocks.
pub(in crate::bridge) static BLOCKS: [Command<Admin>; 4] = [
    Command {
        spec: CommandSpec {
            name: "warn",
            args: "<number|this room>",
            help: "send the citizen the code of conduct (before blocking)",
            who: Who::Staff,
            place: Where::Both,
        },
        run: Run::Handler(warn),
    },
    Command {
        spec: CommandSpec {
            name: "block",
            args: "<number|this room> <reason>",
            help: "stop a number: nothing bridged either way, blocked at Meta when allowed",
            who: Who::Admin,
            place: Where::Both,
        },
        run: Run::Handler(block),
    },
    Command {
        spec: CommandSpec {
            name: "unblock",
            args: "<number|this room>",
            help: "lift a block (also at Meta)",
            who: Who::Admin,
            place: Where::Both,
        },
        run: Run::Handler(unblock),
    },
    Command {
        spec: CommandSpec {
            name: "blocked",
            args: "",
            help: "list blocked numbers with reason, who and when",
            who: Who::Admin,
            place: Where::AdminRoom,
        },
        run: Run::Handler(blocked),
    },
];
