//! The news commands: dispatch (the subscription commands are in `subscriber_commands.rs`) and
//! the broadcast life cycle — `!broadcast` drafts with a preview, `!approve` starts the
//! sender, `!cancel` discards or stops, `!broadcasts` lists, `!broadcast resend-uncertain`.

use std::collections::BTreeMap;

use crate::bridge::engine::command::{Answer, Call, Command, Run, usage};
use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::item::CommandWork;
use crate::bridge::engine::item::Reply;
use crate::bridge::news::News;
use crate::commands::{CommandSpec, Parsed, Where, Who, html_table};
use crate::convert::outbound::{Outbound, check_media, staff_to_outbound};
use crate::keywords;
use crate::store::Meta;
use crate::store::{Attachment, Broadcast, BroadcastState, Store};
use crate::store::{Bucket, Skip};

/// What a broadcast's audience looks like right now.
#[derive(Default)]
struct Preview {
    inside: u64,
    outside: u64,
    excluded: BTreeMap<Skip, u64>,
    /// What the sends would cost now, by the `[pricing]` table.
    cost: crate::pricing::Estimate,
}

impl News {
    /// A configured topic, or `None` for "all"; `Err` with the reply for an unknown one.
    pub(in crate::bridge) fn topic_arg(&self, word: &str) -> Result<Option<String>, Reply> {
        let cfg = &self.parts.config.raw.subscriptions;
        let folded = keywords::fold(word);
        if keywords::ALL.contains(&folded.as_str()) {
            return Ok(None);
        }
        match keywords::topic_named(&cfg.topics, &folded) {
            Some(t) => Ok(Some(t.name.clone())),
            None => {
                let topics: Vec<&str> = cfg.topics.iter().map(|t| t.name.as_str()).collect();
                Err(Reply::text(self.t(
                    "topic_unknown",
                    &[("topic", word), ("topics", &topics.join(", "))],
                )))
            }
        }
    }

    /// Streams the audience and sorts it as the sender would now.
    fn preview(&self, b: &Broadcast) -> Result<Preview, Failure> {
        let pricing = &self.parts.config.raw.pricing;
        let mut p = Preview::default();
        let mut cursor: Option<String> = None;
        loop {
            let page =
                self.parts
                    .store
                    .audience_page(b.topic.as_deref(), cursor.as_deref(), 1024)?;
            let Some(last) = page.last().cloned() else {
                return Ok(p);
            };
            for citizen in &page {
                match self.eligibility(b, citizen)? {
                    Ok((to, crate::bridge::news::sender::Mode::FreeForm)) => {
                        p.inside += 1;
                        p.cost
                            .add_inside(pricing, crate::bridge::news::cost::number(&to));
                    }
                    Ok((to, crate::bridge::news::sender::Mode::Template)) => {
                        p.outside += 1;
                        let portal = self.parts.store.portal(citizen)?;
                        let free = portal.is_some_and(|p| {
                            crate::bridge::portal::window::free_entry_point(
                                p.entry_point_at,
                                p.last_staff_at,
                                self.now_secs() as i64,
                            )
                        });
                        let category = b
                            .template
                            .as_ref()
                            .and_then(|t| t.category.as_deref())
                            .unwrap_or("unknown");
                        p.cost.add(
                            pricing,
                            category,
                            crate::bridge::news::cost::number(&to),
                            free,
                        );
                    }
                    Err(why) => *p.excluded.entry(why).or_default() += 1,
                }
            }
            cursor = Some(last);
        }
    }

    /// The image, video or document a `!broadcast` replies to; `Err` with the reply when
    /// WhatsApp would not take it. A reply to anything else carries no attachment.
    async fn attachment_of(
        &self,
        c: &CommandWork,
    ) -> Result<Result<Option<Attachment>, Reply>, Failure> {
        let Some(id) = &c.reply_to else {
            return Ok(Ok(None));
        };
        let event = self.parts.matrix.event(&c.room_id, id).await?;
        let Some(m) = crate::matrix::types::staff_message(&event) else {
            return Ok(Ok(None));
        };
        let Ok(Outbound::Media(media)) = staff_to_outbound(&m, None) else {
            return Ok(Ok(None));
        };
        if !["image", "video", "document"].contains(&media.kind) {
            return Ok(Ok(None));
        }
        if let Err(refusal) = check_media(media.kind, &media.mime, media.size) {
            let why = refusal.text(&self.parts.texts);
            return Ok(Err(Reply::text(self.t("not_sent", &[("reason", &why)]))));
        }
        Ok(Ok(Some(Attachment {
            kind: media.kind.to_owned(),
            mxc: media.mxc,
            mime: media.mime,
            filename: media.filename,
            media_id: None,
        })))
    }

    async fn draft(&self, p: &Parsed, c: &CommandWork) -> Result<Reply, Failure> {
        let args = p.args.trim();
        if let Some(id) = args.strip_prefix("resend-uncertain") {
            return self.resend_uncertain_command(p, id.trim());
        }
        let (word, text) = args
            .split_once(char::is_whitespace)
            .map(|(w, t)| (w, t.trim()))
            .unwrap_or((args, ""));
        if word.is_empty() || text.is_empty() {
            return Ok(usage(&self.parts.texts, p));
        }
        let topic = match self.topic_arg(word) {
            Ok(t) => t,
            Err(reply) => return Ok(reply),
        };
        let store = &self.parts.store;
        let mut b = Broadcast {
            id: store.next_broadcast_id()?,
            topic,
            text: crate::bridge::news::message::formatted_text(c)
                .unwrap_or_else(|| text.to_owned()),
            created_by: c.sender.clone(),
            created_at: self.now_secs(),
            state: BroadcastState::Draft,
            approved_by: None,
            started_at: None,
            finished_at: None,
            audience: 0,
            cursor: None,
            next_ordinal: 0,
            counts: BTreeMap::new(),
            progress_event: None,
            report_event: None,
            cancelled_by: None,
            attachment: match self.attachment_of(c).await? {
                Ok(a) => a,
                Err(reply) => return Ok(reply),
            },
            template: None,
        };
        // A template that cannot carry it now is said in the preview; approving checks again.
        let template = self.choose_template(&b)?;
        b.template = template.clone().ok().flatten();
        let pv = self.preview(&b)?;
        b.audience = pv.inside + pv.outside;
        let mut text = self.draft_text(&b, &pv, template.is_err());
        if let Err(why) = template {
            text = format!(
                "{text}\n{}",
                self.t("bc_template_problem", &[("reason", &why)])
            );
        }
        Ok(Reply {
            text,
            html: None,
            ops: vec![Store::broadcast_op(&b)],
        })
    }

    /// The draft's preview for the admins: audience inside and outside the window, how the
    /// outside is reached, who is left out and why, the time it takes, the attachment.
    fn draft_text(&self, b: &Broadcast, pv: &Preview, template_blocked: bool) -> String {
        let cfg = &self.parts.config.raw.broadcast;
        let outside_how = match &b.template {
            None if template_blocked => self.t("bc_outside_blocked", &[]),
            None => self.t("bc_outside_skip", &[]),
            Some(t) => self.t("bc_outside_template", &[("template", &t.name)]),
        };
        let excluded: Vec<String> = pv
            .excluded
            .iter()
            .map(|(why, n)| format!("{} {n}", self.t(&format!("skip_{}", why.name()), &[])))
            .collect();
        let excluded = if excluded.is_empty() {
            self.t("none", &[])
        } else {
            excluded.join(", ")
        };
        // The sender runs at the configured rate (slower only when Meta says so).
        let effective = f64::from(cfg.messages_per_second).max(1.0);
        let eta = (b.audience as f64 / effective).ceil() as u64;
        let second = if cfg.require_second_approver {
            self.t("bc_second_needed", &[])
        } else {
            String::new()
        };
        let n = |v: u64| v.to_string();
        let text = self.t(
            "bc_draft",
            &[
                ("id", &n(b.id)),
                ("topic", &self.topic_label(b)),
                ("audience", &n(b.audience)),
                ("inside", &n(pv.inside)),
                ("outside", &n(pv.outside)),
                ("outside_how", &outside_how),
                ("excluded", &excluded),
                (
                    "eta",
                    &crate::bridge::news::report::duration_text(eta.max(1)),
                ),
                ("rate", &n(u64::from(cfg.messages_per_second))),
                ("text", &b.text),
                ("second", &second),
                ("cost", &self.cost_text(&pv.cost)),
            ],
        );
        match &b.attachment {
            Some(a) => {
                let with_media = b
                    .template
                    .as_ref()
                    .filter(|t| t.header.is_some())
                    .map(|t| t.name.as_str());
                let vars = [
                    ("file", a.filename.as_str()),
                    ("kind", a.kind.as_str()),
                    ("template", with_media.unwrap_or_default()),
                ];
                let line = match with_media {
                    Some(_) => self.t("bc_attachment_template", &vars),
                    None => self.t("bc_attachment", &vars),
                };
                format!("{text}\n{line}")
            }
            None => text,
        }
    }

    fn find(&self, p: &Parsed) -> Result<Result<Broadcast, Reply>, Failure> {
        let arg = p.args.trim().trim_start_matches('#');
        let Ok(id) = arg.parse::<u64>() else {
            return Ok(Err(usage(&self.parts.texts, p)));
        };
        Ok(self
            .parts
            .store
            .broadcast(id)?
            .ok_or_else(|| Reply::text(self.t("bc_not_found", &[("id", arg)]))))
    }

    /// `!broadcast resend-uncertain <id>`: the admin decides that the recipients whose send
    /// may or may not have arrived get it again (some may then have it twice).
    fn resend_uncertain_command(&self, p: &Parsed, id: &str) -> Result<Reply, Failure> {
        let Some(mut b) = id
            .trim_start_matches('#')
            .parse::<u64>()
            .ok()
            .map(|id| self.parts.store.broadcast(id))
            .transpose()?
            .flatten()
        else {
            return Ok(usage(&self.parts.texts, p));
        };
        let id = b.id.to_string();
        if !matches!(b.state, BroadcastState::Sending | BroadcastState::Done) {
            let state = self.state_text(b.state);
            return Ok(Reply::text(
                self.t("bc_not_sent", &[("id", &id), ("state", &state)]),
            ));
        }
        let n = self.resend_uncertain(&mut b)?;
        Ok(Reply::text(if n == 0 {
            self.t("bc_no_uncertain", &[("id", &id)])
        } else {
            self.t(
                "bc_resend_uncertain",
                &[("id", &id), ("count", &n.to_string())],
            )
        }))
    }

    fn approve(&self, p: &Parsed, c: &CommandWork) -> Result<Reply, Failure> {
        let mut b = match self.find(p)? {
            Ok(b) => b,
            Err(reply) => return Ok(reply),
        };
        let id = b.id.to_string();
        if b.state != BroadcastState::Draft {
            let state = self.state_text(b.state);
            return Ok(Reply::text(
                self.t("bc_not_draft", &[("id", &id), ("state", &state)]),
            ));
        }
        if self.parts.config.raw.broadcast.require_second_approver && b.created_by == c.sender {
            return Ok(Reply::text(
                self.t("bc_second", &[("id", &id), ("by", &b.created_by)]),
            ));
        }
        // Meta may have paused or disabled its template since the draft.
        match self.choose_template(&b)? {
            Ok(t) => b.template = t,
            Err(why) => {
                return Ok(Reply::text(
                    self.t("bc_template_blocked", &[("id", &id), ("reason", &why)]),
                ));
            }
        }
        let pv = self.preview(&b)?;
        b.audience = pv.inside + pv.outside;
        b.state = BroadcastState::Sending;
        b.approved_by = Some(c.sender.clone());
        b.started_at = Some(self.now_secs());
        self.parts.store.commit(vec![Store::broadcast_op(&b)])?;
        self.run_broadcast(b.id);
        Ok(Reply::text(
            self.t("bc_started", &[("id", &id), ("by", &c.sender)]),
        ))
    }

    fn cancel(&self, p: &Parsed, c: &CommandWork) -> Result<Reply, Failure> {
        let mut b = match self.find(p)? {
            Ok(b) => b,
            Err(reply) => return Ok(reply),
        };
        let id = b.id.to_string();
        Ok(match b.state {
            BroadcastState::Draft => {
                b.state = BroadcastState::Cancelled;
                b.cancelled_by = Some(c.sender.clone());
                Reply {
                    ops: vec![Store::broadcast_op(&b)],
                    ..Reply::text(self.t("bc_cancelled", &[("id", &id)]))
                }
            }
            BroadcastState::Sending => Reply {
                ops: vec![Store::meta_op(Meta::BroadcastCancel(b.id), &c.sender)],
                ..Reply::text(self.t("bc_stopping", &[("id", &id)]))
            },
            s => {
                let state = self.state_text(s);
                Reply::text(self.t("bc_already", &[("id", &id), ("state", &state)]))
            }
        })
    }

    fn list_broadcasts(&self) -> Result<Reply, Failure> {
        let all = self.parts.store.broadcasts()?;
        if all.is_empty() {
            return Ok(Reply::text(self.t("bc_none", &[])));
        }
        let rows: Vec<Vec<String>> = all
            .iter()
            .rev()
            .take(50)
            .map(|b| {
                let sent = b.count(&Bucket::Sent);
                let text: String = b.text.chars().take(60).collect();
                vec![
                    format!("#{}", b.id),
                    self.topic_label(b),
                    self.state_text(b.state),
                    format!("{sent}/{}", b.audience),
                    b.created_by.clone(),
                    self.parts.config.local_stamp(b.created_at),
                    text,
                ]
            })
            .collect();
        let list: Vec<String> = rows.iter().map(|r| r.join(" · ")).collect();
        Ok(Reply {
            text: self.t("bc_list", &[("list", &list.join("\n"))]),
            html: Some(html_table(
                &["id", "topic", "state", "sent", "by", "created", "text"],
                &rows,
            )),
            ops: vec![],
        })
    }
}

fn broadcast<'a>(b: &'a News, call: Call<'a>) -> Answer<'a> {
    Box::pin(b.draft(call.p, call.c))
}

fn approve<'a>(b: &'a News, call: Call<'a>) -> Answer<'a> {
    Box::pin(async move { b.approve(call.p, call.c) })
}

fn cancel<'a>(b: &'a News, call: Call<'a>) -> Answer<'a> {
    Box::pin(async move { b.cancel(call.p, call.c) })
}

fn broadcasts<'a>(b: &'a News, _call: Call<'a>) -> Answer<'a> {
    Box::pin(async move { b.list_broadcasts() })
}

/// The broadcast life cycle.
pub(in crate::bridge) static COMMANDS: [Command<News>; 4] = [
    Command {
        spec: CommandSpec {
            name: "broadcast",
            args: "<topic|all> <text> | resend-uncertain <id>",
            help: "draft news for the subscribers of a topic (multi-line text), with a preview; or send a broadcast again to its recipients whose outcome was uncertain",
            who: Who::Admin,
            place: Where::AdminRoom,
        },
        run: Run::Handler(broadcast),
    },
    Command {
        spec: CommandSpec {
            name: "approve",
            args: "<id>",
            help: "start sending a drafted broadcast",
            who: Who::Admin,
            place: Where::AdminRoom,
        },
        run: Run::Handler(approve),
    },
    Command {
        spec: CommandSpec {
            name: "cancel",
            args: "<id>",
            help: "discard a draft, or stop a broadcast that is being sent",
            who: Who::Admin,
            place: Where::AdminRoom,
        },
        run: Run::Handler(cancel),
    },
    Command {
        spec: CommandSpec {
            name: "broadcasts",
            args: "",
            help: "list broadcasts with their state and counts",
            who: Who::Admin,
            place: Where::AdminRoom,
        },
        run: Run::Handler(broadcasts),
    },
];
