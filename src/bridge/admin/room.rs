//! The admin room and staff commands: the bot creates (or adopts) one admin room and invites
//! the admins; commands declared in `commands` run here after their permission check, every
//! run goes to the audit log, and replies are notices (HTML tables for lists).
//! Blocks live here too: a blocked citizen's messages are dropped at the router, staff
//! messages to them are refused, and Meta's Block API is called when Meta allows it.

use std::time::Duration;

use serde_json::{Value, json};
use tracing::{info, warn};

use crate::bridge::Bridge;
use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::item::{CommandWork, NoticeWork, Reply, Work};
use crate::bridge::engine::worker::Step;
use crate::bridge::portal::outbound::queue_as_staff;
use crate::bridge::portal::window;
use crate::commands::{self, Line, Parsed, Who, html_table};
use crate::convert;
use crate::ids::{CitizenKey, WaId, mask_text};
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
        let reply = match commands::parse(&c.body, in_admin) {
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
            Line::Command(p) => self.execute(&p, &c, is_admin, in_admin).await?,
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

    async fn execute(
        &self,
        p: &Parsed,
        c: &CommandWork,
        is_admin: bool,
        in_admin: bool,
    ) -> Result<Reply, Failure> {
        let store = &self.inner.store;
        Ok(match p.spec.name {
            "help" => {
                let (text, html) = commands::help(is_admin, in_admin);
                // The complaints redirect answers to the office's own name.
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
            "audit" => {
                let n = p.args.trim().parse().unwrap_or(10).clamp(1, 200);
                let entries = store.audit(n)?;
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
                Reply {
                    text: self.t("audit_list", &[("list", &list.join("\n"))]),
                    html: Some(html_table(
                        &["when", "who", "room", "command", "result"],
                        &rows,
                    )),
                    ops: vec![],
                }
            }
            "blocked" => {
                let blocks = store.blocks()?;
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
                Reply {
                    text: self.t("blocked_list", &[("list", &list.join("\n"))]),
                    html: Some(html_table(&["number", "reason", "by", "when"], &rows)),
                    ops: vec![],
                }
            }
            "warn" | "block" | "unblock" => {
                let (target, rest) = self.target(&p.args, c)?;
                let usage = self.t("cmd_usage", &[("usage", &p.spec.usage())]);
                match (target, p.spec.name) {
                    (None, _) => Reply::text(usage),
                    (Some(citizen), "warn") => self.warn(&citizen, c).await?,
                    (Some(_), "block") if rest.is_empty() => Reply::text(usage),
                    (Some(citizen), "block") => self.block(&citizen, &rest, &c.sender).await?,
                    (Some(citizen), _) => self.unblock(&citizen, &c.sender).await?,
                }
            }
            "hours" => self.inner.office.hours_command(p, c, is_admin).await?,
            "eurp" | "reply" | "replies" => self.inner.office.canned(p, c)?,
            "queues" | "deadletters" | "retry" | "drop" => self.queue_command(p).await?,
            _ => self.execute_news(p, c).await?,
        })
    }

    /// A command's target: `this room` (the portal's citizen) or a number (spaces allowed),
    /// and the rest of the arguments.
    pub(in crate::bridge) fn target(
        &self,
        args: &str,
        c: &CommandWork,
    ) -> Result<(Option<String>, String), Failure> {
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
                self.inner
                    .store
                    .citizen_for_identity(&k.as_str())?
                    .unwrap_or_else(|| k.as_str()),
            ),
            None => None,
        };
        Ok((citizen, rest.trim().to_owned()))
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
