//! `!templates` (the templates staff can send: name, language, category, parameters, and
//! those Meta does not let out now) and `!templates sync` (read Meta's list now).

use crate::bridge::engine::command::{Answer, Call, Command, Run, usage};
use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::item::Reply;
use crate::bridge::templates::catalogue::{Chosen, Unusable};
use crate::bridge::templates::{SyncError, Templates};
use crate::commands::{CommandSpec, Where, Who, html_table};
use crate::whatsapp::templates::TemplateStatus;

impl Templates {
    /// How staff type it: `!template name <a> <b>`, the parameters by name when named.
    pub(in crate::bridge) fn usage_line(t: &Chosen) -> String {
        let params: Vec<String> = t
            .header_params
            .iter()
            .chain(&t.body_params)
            .map(|p| {
                if t.named {
                    format!(" <{p}>")
                } else {
                    " <text>".to_owned()
                }
            })
            .collect();
        format!("!template {}{}", t.key, params.concat())
    }

    /// What `!template` lists: one line per template staff can send.
    pub(in crate::bridge) fn staff_list(&self) -> Result<String, Failure> {
        let (c, all) = self.all()?;
        let synced = self.read_from_meta(&c);
        let lines: Vec<String> = all
            .iter()
            // `!template` fills text parameters only: no attachment, no button address.
            .filter(|t| t.usable(synced, false).is_ok())
            .filter(|t| t.media_header.is_none() && t.url_button_params == 0)
            .map(|t| format!("{} — {}", Self::usage_line(t), one_line(&t.description)))
            .collect();
        Ok(if lines.is_empty() {
            self.t("templates_none", &[])
        } else {
            self.t("templates_list", &[("list", &lines.join("\n"))])
        })
    }

    /// `!templates`: every template with its state, as a table.
    fn list(&self) -> Result<Reply, Failure> {
        let (c, all) = self.all()?;
        let synced = self.read_from_meta(&c);
        let state = match (self.account(), c.synced_at, &c.last_error) {
            (None, _, _) => self.t("tpl_from_config", &[]),
            (Some(_), _, Some(e)) => self.t(
                "tpl_sync_failed",
                &[
                    ("error", e),
                    (
                        "when",
                        &c.synced_at
                            .map_or("-".into(), |a| self.parts.config.local_stamp(a)),
                    ),
                ],
            ),
            (Some(_), Some(at), None) => self.t(
                "tpl_synced",
                &[("when", &self.parts.config.local_stamp(at))],
            ),
            (Some(_), None, None) => self.t("tpl_never_synced", &[]),
        };
        let mut rows = Vec::new();
        let mut blocked = Vec::new();
        for t in &all {
            match t.usable(synced, false) {
                Ok(()) => rows.push(vec![
                    Self::usage_line(t),
                    format!("{} {}", t.name, t.language),
                    t.category
                        .as_ref()
                        .map_or("?".to_owned(), |c| c.name().to_owned()),
                    [
                        t.media_header.as_deref().map(|k| format!("[{k}] ")),
                        t.quality.as_deref().map(|q| format!("({q}) ")),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<String>()
                        + &one_line(&t.description),
                ]),
                Err(_) => blocked.push(format!("{} ({})", t.key, state_name(t))),
            }
        }
        // Meta's templates not approved are named too, so staff know why one is missing.
        for m in &c.templates {
            if m.status != TemplateStatus::Approved && !all.iter().any(|t| t.name == m.name) {
                blocked.push(format!("{} {} ({})", m.name, m.language, m.status));
            }
        }
        let mut text = state;
        let plain: Vec<String> = rows.iter().map(|r| r.join(" · ")).collect();
        text.push('\n');
        text.push_str(&if plain.is_empty() {
            self.t("templates_none", &[])
        } else {
            plain.join("\n")
        });
        if !blocked.is_empty() {
            text.push('\n');
            text.push_str(&self.t("tpl_not_usable", &[("list", &blocked.join(", "))]));
        }
        Ok(Reply {
            text,
            html: (!rows.is_empty())
                .then(|| html_table(&["command", "template", "category", "text"], &rows)),
            ops: vec![],
        })
    }

    async fn sync_command(&self) -> Result<Reply, Failure> {
        Ok(Reply::text(match self.sync().await {
            Ok(ch) => {
                let list = |v: &[String]| {
                    if v.is_empty() {
                        "-".to_owned()
                    } else {
                        v.join(", ")
                    }
                };
                let total = self.catalogue()?.templates.len();
                self.t(
                    "tpl_sync_done",
                    &[
                        ("count", &total.to_string()),
                        ("added", &list(&ch.added)),
                        ("removed", &list(&ch.removed)),
                        ("changed", &list(&ch.changed)),
                    ],
                )
            }
            Err(SyncError::NoAccount) => self.t("tpl_no_account", &[]),
            Err(SyncError::Store(e)) => return Err(e.into()),
            Err(SyncError::Graph(e)) => self.t("tpl_sync_error", &[("error", &e.to_string())]),
        }))
    }
}

impl Templates {
    /// Why a template cannot go out now, in words.
    pub(in crate::bridge) fn unusable_text(&self, t: &Chosen, why: &Unusable) -> String {
        match why {
            Unusable::NotApproved(status) => self.t(
                "tpl_unusable_status",
                &[("name", &t.key), ("status", status.name())],
            ),
            Unusable::RedQuality => self.t("tpl_unusable_red", &[("name", &t.key)]),
            Unusable::NotAtMeta => self.t(
                "tpl_unusable_missing",
                &[("name", &t.name), ("language", &t.language)],
            ),
        }
    }
}

fn state_name(t: &Chosen) -> String {
    match (&t.status, t.quality.as_deref()) {
        (Some(s), _) if *s != TemplateStatus::Approved => s.to_string(),
        (Some(_), Some(q)) => q.to_owned(),
        _ => "?".into(),
    }
}

/// A description on one line, cut to 80 characters.
fn one_line(s: &str) -> String {
    let flat: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 80 {
        flat.chars().take(79).collect::<String>() + "…"
    } else {
        flat
    }
}

fn templates<'a>(t: &'a Templates, call: Call<'a>) -> Answer<'a> {
    Box::pin(async move {
        match call.p.args.trim() {
            "" => t.list(),
            "sync" => t.sync_command().await,
            _ => Ok(usage(&t.parts.texts, call.p)),
        }
    })
}

pub(in crate::bridge) static COMMANDS: [Command<Templates>; 1] = [Command {
    spec: CommandSpec {
        name: "templates",
        args: "[sync]",
        help: "list the WhatsApp templates staff can send (name, category, parameters); with sync, read them from Meta now",
        who: Who::Staff,
        place: Where::Both,
    },
    run: Run::Handler(templates),
}];
