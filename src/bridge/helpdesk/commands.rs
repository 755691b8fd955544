//! The helpdesk's commands. In a citizen's room: `!claim`, `!assign @user`, `!unassign`,
//! `!close [note]`, `!reopen`, `!wait` (each queued in the citizen's queue as a conversation
//! event, so it is applied in order with the citizen's messages) and `!note <text>` (an
//! internal note: never sent to the citizen). In the admin room: `!open`, the conversations
//! that need an answer, oldest first.

use crate::bridge::engine::command::{Answer, Call, Command, Run, usage};
use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::item::{Reply, Work};
use crate::bridge::engine::stall::age_words;
use crate::bridge::helpdesk::Helpdesk;
use crate::bridge::helpdesk::state::Event;
use crate::commands::{CommandSpec, Where, Who, html_table};

impl Helpdesk {
    /// Queues `event` for the conversation of the room's citizen, with `said` as the reply.
    fn queue(&self, call: Call<'_>, event: Event, said: String) -> Result<Reply, Failure> {
        let Some(citizen) = &call.c.citizen else {
            return Ok(Reply::text(
                self.t("cmd_wrong_place", &[("name", call.p.spec.name)]),
            ));
        };
        let work = Work::Conversation(event);
        let op = self
            .parts
            .store
            .queue_push_op(&citizen.as_str(), &work.to_bytes());
        Ok(Reply {
            ops: vec![op],
            ..Reply::text(said)
        })
    }

    fn claim(&self, call: Call<'_>) -> Result<Reply, Failure> {
        let me = call.c.sender.clone();
        let said = self.t("conv_claimed", &[("who", &me)]);
        self.queue(call, Event::Assign(me), said)
    }

    fn assign(&self, call: Call<'_>) -> Result<Reply, Failure> {
        let user = call.p.args.trim();
        if user.is_empty() {
            return Ok(usage(&self.parts.texts, call.p));
        }
        if !self.parts.config.is_staff(user) {
            return Ok(Reply::text(self.t("conv_not_staff", &[("who", user)])));
        }
        let said = self.t("conv_assigned", &[("who", user)]);
        self.queue(call, Event::Assign(user.to_owned()), said)
    }

    fn close(&self, call: Call<'_>) -> Result<Reply, Failure> {
        let note = Some(call.p.args.trim().to_owned()).filter(|n| !n.is_empty());
        let said = match &note {
            Some(n) => self.t("conv_closed_note", &[("note", n)]),
            None => self.t("conv_closed", &[]),
        };
        let by = call.c.sender.clone();
        let event_id = Some(call.c.event_id.clone());
        self.queue(call, Event::Close { by, note, event_id }, said)
    }

    /// `!note <text>`: stays in the room, marked internal; nothing goes to WhatsApp.
    fn note(&self, call: Call<'_>) -> Reply {
        let text = call.p.args.trim();
        if text.is_empty() {
            return usage(&self.parts.texts, call.p);
        }
        Reply::text(self.t("conv_note", &[("who", &call.c.sender), ("text", text)]))
    }

    /// `!open`: who waits for an answer, oldest first, with who handles it and for how long.
    fn open_list(&self) -> Result<Reply, Failure> {
        let now = self.parts.clock.unix();
        let mut waiting = self.parts.store.conversations_needing_answer()?;
        waiting.sort_by_key(|(_, c)| c.unanswered_since);
        if waiting.is_empty() {
            return Ok(Reply::text(self.t("conv_none_open", &[])));
        }
        let mut rows = Vec::new();
        for (citizen, c) in &waiting {
            let name = self
                .parts
                .store
                .portal(citizen)?
                .and_then(|p| p.profile_name)
                .unwrap_or_default();
            let who = crate::bridge::engine::admin_room::whose(&self.parts.texts, citizen);
            rows.push(vec![
                format!("{name} {who}").trim().to_owned(),
                self.t(&format!("conv_state_{}", c.state.name()), &[]),
                c.assignee
                    .clone()
                    .unwrap_or_else(|| self.t("conv_nobody", &[])),
                age_words(now.saturating_sub(c.unanswered_since.unwrap_or(now))),
            ]);
        }
        let lines: Vec<String> = rows.iter().map(|r| r.join(" · ")).collect();
        let head = [
            self.t("conv_head_citizen", &[]),
            self.t("conv_head_state", &[]),
            self.t("conv_head_assignee", &[]),
            self.t("conv_head_waiting", &[]),
        ];
        let head: Vec<&str> = head.iter().map(String::as_str).collect();
        Ok(Reply {
            text: self.t(
                "conv_open_list",
                &[("n", &rows.len().to_string()), ("list", &lines.join("\n"))],
            ),
            html: Some(html_table(&head, &rows)),
            ops: vec![],
        })
    }
}

fn claim<'a>(h: &'a Helpdesk, call: Call<'a>) -> Answer<'a> {
    Box::pin(async move { h.claim(call) })
}
fn assign<'a>(h: &'a Helpdesk, call: Call<'a>) -> Answer<'a> {
    Box::pin(async move { h.assign(call) })
}
fn unassign<'a>(h: &'a Helpdesk, call: Call<'a>) -> Answer<'a> {
    Box::pin(async move { h.queue(call, Event::Unassign, h.t("conv_unassigned", &[])) })
}
fn close<'a>(h: &'a Helpdesk, call: Call<'a>) -> Answer<'a> {
    Box::pin(async move { h.close(call) })
}
fn reopen<'a>(h: &'a Helpdesk, call: Call<'a>) -> Answer<'a> {
    Box::pin(async move { h.queue(call, Event::Reopen, h.t("conv_reopened", &[])) })
}
fn wait<'a>(h: &'a Helpdesk, call: Call<'a>) -> Answer<'a> {
    Box::pin(async move { h.queue(call, Event::Wait, h.t("conv_waiting", &[])) })
}
fn note<'a>(h: &'a Helpdesk, call: Call<'a>) -> Answer<'a> {
    Box::pin(async move { Ok(h.note(call)) })
}
fn open<'a>(h: &'a Helpdesk, _call: Call<'a>) -> Answer<'a> {
    Box::pin(async move { h.open_list() })
}

const fn portal(
    name: &'static str,
    args: &'static str,
    help: &'static str,
    run: Run<Helpdesk>,
) -> Command<Helpdesk> {
    Command {
        spec: CommandSpec {
            name,
            args,
            help,
            who: Who::Staff,
            place: Where::Portal,
        },
        run,
    }
}

pub(in crate::bridge) static COMMANDS: [Command<Helpdesk>; 8] = [
    portal(
        "claim",
        "",
        "take this conversation: you handle it",
        Run::Handler(claim),
    ),
    portal(
        "assign",
        "<@user>",
        "give this conversation to a staff member",
        Run::Handler(assign),
    ),
    portal(
        "unassign",
        "",
        "nobody handles this conversation any more",
        Run::Handler(unassign),
    ),
    portal(
        "close",
        "[note]",
        "close this conversation (the citizen writing again reopens it)",
        Run::Handler(close),
    ),
    portal(
        "reopen",
        "",
        "open this conversation again",
        Run::Handler(reopen),
    ),
    portal(
        "wait",
        "",
        "wait for the citizen's answer",
        Run::Handler(wait),
    ),
    portal(
        "note",
        "<text>",
        "an internal note in this room: never sent to the citizen",
        Run::Handler(note),
    ),
    Command {
        spec: CommandSpec {
            name: "open",
            args: "",
            help: "the conversations that need an answer, oldest first",
            who: Who::Staff,
            place: Where::AdminRoom,
        },
        run: Run::Handler(open),
    },
];
