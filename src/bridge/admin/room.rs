//! The admin room and staff commands: the bot creates (or adopts) one admin room and invites
//! the admins; commands declared in `commands` run here after their permission check, every
//! run goes to the audit log, and replies are notices (HTML tables for lists).
//! Blocks live here too: a blocked citizen's messages are dropped at the router, staff
//! messages to them are refused, and Meta's Block API is called when Meta allows it.

use std::time::Duration;

use serde_json::{Value, json};
use tracing::{info, warn};

use crate::bridge::Bridge;
use crate::bridge::engine::command::{Answer, Call, Command, Run};
use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::item::{CommandWork, NoticeWork, Reply, Work};
use crate::bridge::engine::worker::Step;
use crate::bridge::portal::outbound::queue_as_staff;
use crate::bridge::portal::window;
use crate::commands::{self, CommandSpec, Line, Parsed, Where, Who, html_table};
use crate::convert;
use crate::ids::{CitizenKey, mask_text};
use crate::matrix::MatrixError;
use crate::matrix::txn_id;
use crate::store::{AuditEntry, BlockRecord, Store, now_secs};

impl Bridge {
    pub(in crate::bridge) fn admin_room_id(&self) -> Option<String> {
        self.inner.store.meta("admin_room_id").ok().flatten()
    }

    /// Creates (or adopts) the admin room; retried by the caller until it works.
    pub(in crate::bridge) async fn ensure_admin_room(&self) -> Result<String, MatrixError> {
        let _guard = self.inner.space_lock.lock().await;
        if let Some(id) = self.admin_room_id() {
            return Ok(id);
        }
        let raw = &self.inner.config.raw;
        let configured = raw.office.admin_room.trim();
        let id = if configured.is_empty() {
            let body = json!({
                "name": self.t("admin_room_name", &[]),
                "topic": self.t("admin_room_topic", &[("office", &raw.office.name)]),
                "preset": "private_chat",
                "visibility": "private",
                "invite": raw.office.admins,
                "power_level_content_override": {"users": raw.office.admins.iter().map(|a| (a.clone(), json!(100))).collect::<serde_json::Map<String, Value>>()},
                "room_alias_name": format!("{}admin", raw.appservice.ghost_prefix),
            });
            match self.inner.matrix.create_room(&body).await {
                Ok(id) => id,
                Err(e) if e.errcode() == Some("M_ROOM_IN_USE") => {
                    let alias = format!(
                        "#{}admin:{}",
                        raw.appservice.ghost_prefix, raw.homeserver.server_name
                    );
                    self.inner.matrix.resolve_alias(&alias).await?.ok_or(e)?
                }
                Err(e) => return Err(e),
            }
        } else if configured.starts_with('#') {
            let id = self.inner.matrix.resolve_alias(configured).await?;
            let id = id.ok_or_else(|| MatrixError::Api {
                status: 404,
                errcode: "M_NOT_FOUND".into(),
                message: format!("{configured} does not exist"),
            })?;
            self.inner
                .matrix
                .join(&self.inner.config.bot_user_id, &id)
                .await?;
            id
        } else {
            self.inner
                .matrix
                .join(&self.inner.config.bot_user_id, configured)
                .await?;
            configured.to_owned()
        };
        if let Err(e) = self
            .inner
            .store
            .commit(vec![Store::meta_op("admin_room_id", &id)])
        {
            warn!("could not record the admin room: {e}");
        }
        info!(room_id = %id, "admin room ready");
        Ok(id)
    }

    pub(in crate::bridge) async fn admin_room_forever(&self) {
        loop {
            match self.ensure_admin_room().await {
                Ok(_) => return,
                Err(e) => warn!("the admin room is not ready yet, retrying: {e}"),
            }
            if self.sleep_or_shutdown(Duration::from_secs(5)).await {
                return;
            }
        }
    }

    pub(in crate::bridge) async fn run_command(&self, c: CommandWork) -> Result<Step, Failure> {
        let in_admin = self.admin_room_id().as_deref() == Some(c.room_id.as_str());
        let is_admin = self.is_admin(&c.sender).await?;
        let specs = crate::bridge::admin::commands::specs();
        let reply = match commands::parse(&c.body, in_admin, specs) {
            Line::NotACommand => return Ok(Step::Done(vec![])),
            Line::Unknown(word) => Reply::text(self.t("cmd_unknown", &[("word", &word)])),
            Line::Command(p) if !p.spec.allowed_in(in_admin) => {
                Reply::text(self.t("cmd_wrong_place", &[("name", p.spec.name)]))
            }
            Line::Command(p)
                if !(is_admin
                    || (p.spec.who == Who::Staff && self.inner.config.is_staff(&c.sender))) =>
            {
                info!(sender = %c.sender, command = p.spec.name, "command refused");
                Reply::text(self.t("cmd_refused", &[("name", p.spec.name)]))
            }
            Line::Command(p) => {
                let call = Call {
                    p: &p,
                    c: &c,
                    is_admin,
                    in_admin,
                };
                match &crate::bridge::admin::commands::command(p.spec).run {
                    Run::Handler(run) => run(self, call).await?,
                    Run::StaffMessage => {
                        Reply::text(self.t("cmd_wrong_place", &[("name", p.spec.name)]))
                    }
                }
            }
        };
        let mut ops = reply.ops;
        ops.push(self.inner.store.audit_op(&AuditEntry {
            at: now_secs(),
            who: c.sender.clone(),
            room: if in_admin {
                "admin".into()
            } else {
                c.citizen
                    .as_deref()
                    .and_then(CitizenKey::parse)
                    .map(|k| k.masked())
                    .unwrap_or_default()
            },
            command: mask_text(c.body.trim()),
            result: mask_text(reply.text.lines().next().unwrap_or("")),
        }));
        Ok(Step::Then(
            Work::Notice(NoticeWork {
                html: reply.html,
                ..NoticeWork::reply(&c.room_id, &c.event_id, "cmd", reply.text)
            }),
            ops,
        ))
    }

    /// `!help`: the commands this user may run here (the complaints redirect under the
    /// office's own name).
    fn help_reply(&self, call: Call<'_>) -> Reply {
        let specs = crate::bridge::admin::commands::specs();
        let (text, html) = commands::help(specs, call.is_admin, call.in_admin);
        let alias = &self.inner.config.raw.autoreply.complaint_command;
        let (text, html) = if alias == "eurp" {
            (text, html)
        } else {
            let rename = |s: String| s.replace("!eurp", &format!("!{alias}"));
            (rename(text), rename(html))
        };
        Reply {
            text,
            html: Some(html),
            ops: vec![],
        }
    }

    /// `!audit [n]`.
    fn audit_list(&self, p: &Parsed) -> Result<Reply, Failure> {
        let n = p.args.trim().parse().unwrap_or(10).clamp(1, 200);
        let entries = self.inner.store.audit(n)?;
        if entries.is_empty() {
            return Ok(Reply::text(self.t("audit_none", &[])));
        }
        let rows: Vec<Vec<String>> = entries
            .iter()
            .map(|e| {
                vec![
                    self.inner.config.local_stamp(e.at),
                    e.who.clone(),
                    e.room.clone(),
                    e.command.clone(),
                    e.result.clone(),
                ]
            })
            .collect();
        let list: Vec<String> = rows.iter().map(|r| r.join(" · ")).collect();
        Ok(Reply {
            text: self.t("audit_list", &[("list", &list.join("\n"))]),
            html: Some(html_table(
                &["when", "who", "room", "command", "result"],
                &rows,
            )),
            ops: vec![],
        })
    }

    /// `!blocked`.
    fn blocked_list(&self) -> Result<Reply, Failure> {
        let blocks = self.inner.store.blocks()?;
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
                    self.inner.config.local_stamp(b.at),
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
    ) -> Result<Result<(String, String), Reply>, Failure> {
        let (target, rest) = self.target(&call.p.args, call.c)?;
        Ok(match target {
            Some(citizen) => Ok((citizen, rest)),
            None => Err(self.usage(call.p)),
        })
    }

    /// An admin: listed in `office.admins`, or (when `office.admin_power_level` is set) a
    /// member of the admin room with at least that power level.
    async fn is_admin(&self, user: &str) -> Result<bool, Failure> {
        let office = &self.inner.config.raw.office;
        if office.admins.iter().any(|a| a == user) {
            return Ok(true);
        }
        if office.admin_power_level <= 0 {
            return Ok(false);
        }
        let Some(room) = self.admin_room_id() else {
            return Ok(false);
        };
        let pl = self
            .inner
            .matrix
            .state(&room, "m.room.power_levels", "")
            .await?;
        let level = pl["users"][user]
            .as_i64()
            .or(pl["users_default"].as_i64())
            .unwrap_or(0);
        Ok(level >= office.admin_power_level)
    }

    /// Meta's Block API, when Meta allows it (the citizen wrote in the last 24 hours).
    async fn meta_block(&self, citizen: &str, block: bool) -> Result<String, Failure> {
        let portal = self.inner.store.portal(citizen)?;
        let now = now_secs() as i64;
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
        match self.inner.graph.block_users(&[&phone], block).await {
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
        let Some(portal) = self.inner.store.portal(citizen)? else {
            return Ok(());
        };
        self.name_portal(&portal, blocked).await?;
        let content = convert::notice(&notice, None);
        let txn = txn_id("blockmark", &format!("{citizen}|{blocked}|{}", now_secs()));
        self.inner
            .matrix
            .send(None, &portal.room_id, "m.room.message", &txn, &content)
            .await?;
        Ok(())
    }

    /// Sends the code of conduct as if the staff member wrote it: through the citizen's queue,
    /// so the window, holding, retries and failure notices apply as to any answer.
    async fn warn(&self, citizen: &str, c: &CommandWork) -> Result<Reply, Failure> {
        let who = CitizenKey::parse(citizen)
            .map(|k| k.masked())
            .unwrap_or_default();
        let policies = &self.inner.config.raw.policies;
        if policies.code_of_conduct.trim().is_empty() {
            return Ok(Reply::text(self.t("warn_none", &[])));
        }
        let Some(portal) = self.inner.store.portal(citizen)? else {
            return Ok(Reply::text(self.t("warn_no_portal", &[("who", &who)])));
        };
        let queued = queue_as_staff(
            &self.inner.store,
            citizen,
            &portal.room_id,
            c,
            &policies.code_of_conduct,
            now_secs(),
        );
        let version = policies.versions().1;
        Ok(Reply {
            ops: vec![queued],
            ..Reply::text(self.t("warn_queued", &[("version", version), ("who", &who)]))
        })
    }

    async fn block(&self, citizen: &str, reason: &str, by: &str) -> Result<Reply, Failure> {
        let who = CitizenKey::parse(citizen)
            .map(|k| k.masked())
            .unwrap_or_default();
        if self.inner.store.block(citizen)?.is_some() {
            return Ok(Reply::text(self.t("block_already", &[("who", &who)])));
        }
        let meta = self.meta_block(citizen, true).await?;
        let record = BlockRecord {
            reason: reason.to_owned(),
            by: by.to_owned(),
            at: now_secs(),
            meta: meta.clone(),
        };
        // Recorded now, so the citizen's next message is already dropped.
        self.inner
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

    async fn unblock(&self, citizen: &str, by: &str) -> Result<Reply, Failure> {
        let who = CitizenKey::parse(citizen)
            .map(|k| k.masked())
            .unwrap_or_default();
        if self.inner.store.block(citizen)?.is_none() {
            return Ok(Reply::text(self.t("unblock_not_blocked", &[("who", &who)])));
        }
        let meta = self.meta_block(citizen, false).await?;
        self.inner.store.commit(vec![Store::unblock_op(citizen)])?;
        info!(citizen = %who, "citizen unblocked");
        self.mark_portal(citizen, false, self.t("portal_unblocked", &[("by", by)]))
            .await?;
        Ok(Reply::text(
            self.t("unblock_done", &[("who", &who), ("meta", &meta)]),
        ))
    }
}

fn help<'a>(b: &'a Bridge, call: Call<'a>) -> Answer<'a> {
    Box::pin(async move { Ok(b.help_reply(call)) })
}

fn warn<'a>(b: &'a Bridge, call: Call<'a>) -> Answer<'a> {
    Box::pin(async move {
        match b.about_citizen(call).await? {
            Ok((citizen, _)) => b.warn(&citizen, call.c).await,
            Err(usage) => Ok(usage),
        }
    })
}

fn block<'a>(b: &'a Bridge, call: Call<'a>) -> Answer<'a> {
    Box::pin(async move {
        match b.about_citizen(call).await? {
            Ok((citizen, reason)) if !reason.is_empty() => {
                b.block(&citizen, &reason, &call.c.sender).await
            }
            Ok(_) => Ok(b.usage(call.p)),
            Err(usage) => Ok(usage),
        }
    })
}

fn unblock<'a>(b: &'a Bridge, call: Call<'a>) -> Answer<'a> {
    Box::pin(async move {
        match b.about_citizen(call).await? {
            Ok((citizen, _)) => b.unblock(&citizen, &call.c.sender).await,
            Err(usage) => Ok(usage),
        }
    })
}

fn blocked<'a>(b: &'a Bridge, _call: Call<'a>) -> Answer<'a> {
    Box::pin(async move { b.blocked_list() })
}

fn audit<'a>(b: &'a Bridge, call: Call<'a>) -> Answer<'a> {
    Box::pin(async move { b.audit_list(call.p) })
}

/// `!help`, generated from the whole table.
pub(in crate::bridge) static HELP: [Command; 1] = [Command {
    spec: CommandSpec {
        name: "help",
        args: "",
        help: "list the commands you can use here",
        who: Who::Staff,
        place: Where::Both,
    },
    run: Run::Handler(help),
}];

/// The code of conduct and blocks.
pub(in crate::bridge) static BLOCKS: [Command; 4] = [
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

/// The audit log.
pub(in crate::bridge) static AUDIT: [Command; 1] = [Command {
    spec: CommandSpec {
        name: "audit",
        args: "[n]",
        help: "the last n commands run (default 10): who, when, what, result",
        who: Who::Admin,
        place: Where::AdminRoom,
    },
    run: Run::Handler(audit),
}];
