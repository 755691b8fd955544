//! Staff commands: who may run what (the admins, and members of the admin room with enough
//! power), a command found in `commands.rs` run here after its permission check, every run in
//! the audit log (`!audit`), replies as notices (HTML tables for lists). `!help` is generated
//! here from the declarations.

use tracing::info;

use crate::bridge::admin::Admin;
use crate::bridge::engine::command::{Answer, Call, Command, Run};
use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::item::{CommandWork, NoticeWork, Reply, Work};
use crate::bridge::engine::worker::Step;
use crate::commands::{self, CommandSpec, Line, Parsed, Where, Who, html_table};
use crate::ids::{CitizenKey, mask_text};
use crate::store::AuditEntry;

impl Admin {
    pub(in crate::bridge) async fn run_command(&self, c: CommandWork) -> Result<Step, Failure> {
        let in_admin = self.admin_room.id().as_deref() == Some(c.room_id.as_str());
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
                    || (p.spec.who == Who::Staff && self.parts.config.is_staff(&c.sender))) =>
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
                match crate::bridge::admin::commands::command(p.spec).handler(self, call) {
                    Some(answer) => answer.await?,
                    None => Reply::text(self.t("cmd_wrong_place", &[("name", p.spec.name)])),
                }
            }
        };
        let mut ops = reply.ops;
        ops.push(self.parts.store.audit_op(&AuditEntry {
            at: self.now_secs(),
            who: c.sender.clone(),
            room: if in_admin {
                "admin".into()
            } else {
                c.citizen
                    .as_ref()
                    .map(CitizenKey::masked)
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
        let alias = &self.parts.config.raw.autoreply.complaint_command;
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
        let entries = self.parts.store.audit(n)?;
        if entries.is_empty() {
            return Ok(Reply::text(self.t("audit_none", &[])));
        }
        let rows: Vec<Vec<String>> = entries
            .iter()
            .map(|e| {
                vec![
                    self.parts.config.local_stamp(e.at),
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
        let office = &self.parts.config.raw.office;
        if office.admins.iter().any(|a| a == user) {
            return Ok(true);
        }
        if office.admin_power_level <= 0 {
            return Ok(false);
        }
        let Some(room) = self.admin_room.id() else {
            return Ok(false);
        };
        let pl = self
            .parts
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

fn help<'a>(b: &'a Admin, call: Call<'a>) -> Answer<'a> {
    Box::pin(async move { Ok(b.help_reply(call)) })
}

fn audit<'a>(b: &'a Admin, call: Call<'a>) -> Answer<'a> {
    Box::pin(async move { b.audit_list(call.p) })
}

/// `!help`, generated from the whole table.
pub(in crate::bridge) static HELP: [Command<Admin>; 1] = [Command {
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
pub(in crate::bridge) static AUDIT: [Command<Admin>; 1] = [Command {
    spec: CommandSpec {
        name: "audit",
        args: "[n]",
        help: "the last n commands run (default 10): who, when, what, result",
        who: Who::Admin,
        place: Where::AdminRoom,
    },
    run: Run::Handler(audit),
}];
