//! What is stuck, for admins: `!queues` (citizens with waiting work), `!deadletters` (what
//! was given up and kept), `!retry <id>` (put a dead letter back where it came from) and
//! `!drop <id>` (discard it). Every run is audited like any command.

use crate::bridge::admin::Admin;
use crate::bridge::engine::command::{Answer, Call, Command, Run};
use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::item::{ADMIN_QUEUE, Reply};
use crate::bridge::engine::stall::age_words;
use crate::commands::{CommandSpec, Parsed, Where, Who, html_table};
use crate::ids::mask_text;
use crate::store::{DeadLetter, Origin, Source, Store};

/// At most this many dead letters are listed (the oldest first: they have waited longest).
const LIST_MAX: usize = 50;

impl Admin {
    /// `!retry <id>` (`drop` false) and `!drop <id>` (`drop` true).
    async fn retry_or_drop(&self, p: &Parsed, drop: bool) -> Result<Reply, Failure> {
        let Ok(id) = p
            .args
            .trim()
            .trim_start_matches(['#', 'n', '.'])
            .parse::<u64>()
        else {
            return Ok(Reply::text(
                self.t("cmd_usage", &[("usage", &p.spec.usage())]),
            ));
        };
        let Some(d) = self.parts.store.dead_letter(id)? else {
            return Ok(Reply::text(
                self.t("dead_letter_unknown", &[("id", &id.to_string())]),
            ));
        };
        if drop {
            self.parts
                .store
                .commit(vec![Store::dead_letter_delete_op(id)])?;
            return Ok(Reply::text(
                self.t("dead_letter_dropped", &[("id", &id.to_string())]),
            ));
        }
        self.retry_dead_letter(d).await
    }

    pub(in crate::bridge) fn list_queues(&self) -> Result<Reply, Failure> {
        let store = &self.parts.store;
        // The admin room's queue holds this very command: not waiting work.
        let queues: Vec<_> = store
            .queue_overview()?
            .into_iter()
            .filter(|q| !(q.citizen == ADMIN_QUEUE && q.items <= 1))
            .collect();
        if queues.is_empty() {
            return Ok(Reply::text(self.t("queues_none", &[])));
        }
        let now = self.now_secs();
        let mut rows = Vec::new();
        for q in &queues {
            let last_error = store
                .failing(&q.head)?
                .map(|f| format!("{} ({}×)", f.last_error, f.attempts))
                .unwrap_or_default();
            rows.push(vec![
                self.admin_room.whose(&q.citizen),
                q.items.to_string(),
                age_words(now.saturating_sub(q.head_queued_at)),
                last_error,
            ]);
        }
        let list: Vec<String> = rows.iter().map(|r| r.join(" · ")).collect();
        Ok(Reply {
            text: self.t("queues_list", &[("list", &list.join("\n"))]),
            html: Some(html_table(
                &["citizen", "items", "first waiting for", "last error"],
                &rows,
            )),
            ops: vec![],
        })
    }

    fn list_dead_letters(&self) -> Result<Reply, Failure> {
        let dead = self.parts.store.dead_letters(LIST_MAX)?;
        if dead.is_empty() {
            return Ok(Reply::text(self.t("dead_letters_none", &[])));
        }
        let rows: Vec<Vec<String>> = dead
            .iter()
            .map(|d| {
                let from = match &d.origin {
                    Some(Origin::Queue { citizen }) => self.admin_room.whose(citizen),
                    Some(Origin::Inbox { matrix: true }) => "Matrix".into(),
                    Some(Origin::Inbox { matrix: false }) | None => "WhatsApp".into(),
                };
                let mut reason = mask_text(&d.reason);
                if reason.chars().count() > 160 {
                    reason = reason.chars().take(159).collect::<String>() + "…";
                }
                vec![
                    d.seq.to_string(),
                    self.parts.config.local_stamp(d.received_at),
                    from,
                    reason,
                ]
            })
            .collect();
        let list: Vec<String> = rows.iter().map(|r| r.join(" · ")).collect();
        Ok(Reply {
            text: self.t("dead_letters_list", &[("list", &list.join("\n"))]),
            html: Some(html_table(&["id", "when", "from", "why"], &rows)),
            ops: vec![],
        })
    }

    /// Back to its queue (at the end) or to the inbox (routed again, deduplicated as ever).
    async fn retry_dead_letter(&self, d: DeadLetter) -> Result<Reply, Failure> {
        let store = &self.parts.store;
        let id = d.seq.to_string();
        match d.origin {
            Some(Origin::Queue { citizen }) => {
                store.commit(vec![
                    store.queue_push_op(&citizen, d.body.as_bytes()),
                    Store::dead_letter_delete_op(d.seq),
                ])?;
                if citizen != ADMIN_QUEUE {
                    self.parts.wake.queue(citizen.clone());
                }
                Ok(Reply::text(self.t(
                    "dead_letter_requeued",
                    &[("id", &id), ("who", &self.admin_room.whose(&citizen))],
                )))
            }
            Some(Origin::Inbox { matrix }) => {
                let source = if matrix {
                    Source::Matrix
                } else {
                    Source::WhatsApp
                };
                store.inbox_push(source, d.body.as_bytes()).await?;
                store.commit(vec![Store::dead_letter_delete_op(d.seq)])?;
                self.parts.wake.inbox();
                Ok(Reply::text(self.t("dead_letter_rerouted", &[("id", &id)])))
            }
            None => Ok(Reply::text(
                self.t("dead_letter_not_retryable", &[("id", &id)]),
            )),
        }
    }
}

fn queues<'a>(b: &'a Admin, _call: Call<'a>) -> Answer<'a> {
    Box::pin(async move { b.list_queues() })
}

fn dead_letters<'a>(b: &'a Admin, _call: Call<'a>) -> Answer<'a> {
    Box::pin(async move { b.list_dead_letters() })
}

fn retry<'a>(b: &'a Admin, call: Call<'a>) -> Answer<'a> {
    Box::pin(b.retry_or_drop(call.p, false))
}

fn drop<'a>(b: &'a Admin, call: Call<'a>) -> Answer<'a> {
    Box::pin(b.retry_or_drop(call.p, true))
}

/// What is stuck.
pub(in crate::bridge) static COMMANDS: [Command<Admin>; 4] = [
    Command {
        spec: CommandSpec {
            name: "queues",
            args: "",
            help: "citizens with waiting work: items, how long the first has waited, the last error",
            who: Who::Admin,
            place: Where::AdminRoom,
        },
        run: Run::Handler(queues),
    },
    Command {
        spec: CommandSpec {
            name: "deadletters",
            args: "",
            help: "what could not be delivered and was kept: id, when, whose, why",
            who: Who::Admin,
            place: Where::AdminRoom,
        },
        run: Run::Handler(dead_letters),
    },
    Command {
        spec: CommandSpec {
            name: "retry",
            args: "<id>",
            help: "put a dead letter back where it came from, to be tried again",
            who: Who::Admin,
            place: Where::AdminRoom,
        },
        run: Run::Handler(retry),
    },
    Command {
        spec: CommandSpec {
            name: "drop",
            args: "<id>",
            help: "discard a dead letter for good",
            who: Who::Admin,
            place: Where::AdminRoom,
        },
        run: Run::Handler(drop),
    },
];
