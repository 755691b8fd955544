//! The admin room and staff commands: the bot creates (or adopts) one admin room and invites
//! the admins; a command found in `commands.rs` runs here after its permission check, every
//! run goes to the audit log (`!audit`), and replies are notices (HTML tables for lists).
//! `!help` is generated here from the declarations.

use std::time::Duration;

use serde_json::{Value, json};
use tracing::{info, warn};

use crate::bridge::Bridge;
use crate::bridge::engine::command::{Answer, Call, Command, Run};
use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::item::{CommandWork, NoticeWork, Reply, Work};
use crate::bridge::engine::worker::Step;
use crate::commands::{self, CommandSpec, Line, Parsed, Where, Who, html_table};
use crate::ids::{CitizenKey, mask_text};
use crate::matrix::MatrixError;
use crate::store::{AuditEntry, Store};

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
            at: self.now_secs(),
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
        let describe = |c: &CommandSpec| self.t(&format!("help_{}", c.name), &[]);
        let heads = [
            self.t("help_head_command", &[]),
            self.t("help_head_what", &[]),
        ];
        let (text, html) = commands::help(
            specs,
            call.is_admin,
            call.in_admin,
            &describe,
            [&heads[0], &heads[1]],
        );
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
}

fn help<'a>(b: &'a Bridge, call: Call<'a>) -> Answer<'a> {
    Box::pin(async move { Ok(b.help_reply(call)) })
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
