//! The subscription commands: `!subscribers` (how many follow each topic), `!consent` (a
//! citizen's consent ledger) and `!subscribe`/`!unsubscribe` (staff, at a citizen's request,
//! with a note in the ledger).

use crate::bridge::engine::command::{Answer, Call, Command, Run, usage};
use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::item::Reply;
use crate::bridge::engine::item::{BotSend, CommandWork, KeywordReply, Work};
use crate::bridge::news::News;
use crate::commands::{CommandSpec, Parsed, Where, Who, html_table};
use crate::ids::{CitizenKey, WaMessageId};
use crate::keywords::{self, Channel, Intent};

impl News {
    pub(in crate::bridge) fn subscribers(&self, topic: &str) -> Result<Reply, Failure> {
        let store = &self.parts.store;
        let cfg = &self.parts.config.raw.subscriptions;
        let chosen = if topic.is_empty() {
            None
        } else {
            match self.topic_arg(topic) {
                Ok(t) => t,
                Err(reply) => return Ok(reply),
            }
        };
        let mut rows = Vec::new();
        for t in cfg
            .topics
            .iter()
            .filter(|t| chosen.as_ref().is_none_or(|c| *c == t.name))
        {
            rows.push(vec![
                t.name.clone(),
                store.topic_count(&t.name)?.to_string(),
                t.description.clone(),
            ]);
        }
        let (total, stopped) = store.subscription_totals()?;
        let list: Vec<String> = rows.iter().map(|r| format!("{}: {}", r[0], r[1])).collect();
        let (total, stopped) = (total.to_string(), stopped.to_string());
        Ok(Reply {
            text: self.t(
                "subs_counts",
                &[
                    ("list", &list.join("\n")),
                    ("total", &total),
                    ("stopped", &stopped),
                ],
            ),
            html: Some(html_table(&["topic", "subscribers", "description"], &rows)),
            ops: vec![],
        })
    }

    pub(in crate::bridge) fn consent(&self, citizen: &CitizenKey) -> Result<Reply, Failure> {
        let who = citizen.masked();
        let entries = self.parts.store.consents(&citizen.as_str())?;
        if entries.is_empty() {
            return Ok(Reply::text(self.t("consent_none", &[("who", &who)])));
        }
        let rows: Vec<Vec<String>> = entries
            .iter()
            .map(|e| {
                vec![
                    self.parts.config.local_stamp(e.at),
                    e.action.clone(),
                    self.topics_text(&e.topics),
                    e.channel.clone(),
                    e.policy_version.clone(),
                    e.wamid
                        .as_deref()
                        .map(|w| WaMessageId::new(w).to_string())
                        .unwrap_or_else(|| "-".into()),
                    match (&e.by, &e.note) {
                        (Some(by), Some(note)) => format!("{by}: {note}"),
                        _ => "-".into(),
                    },
                ]
            })
            .collect();
        let list: Vec<String> = rows.iter().map(|r| r.join(" · ")).collect();
        Ok(Reply {
            text: self.t("consent_list", &[("who", &who), ("list", &list.join("\n"))]),
            html: Some(html_table(
                &[
                    "when",
                    "action",
                    "topics",
                    "channel",
                    "policy",
                    "message",
                    "by / note",
                ],
                &rows,
            )),
            ops: vec![],
        })
    }

    /// `!subscribe <target> <topics…|all> <note>` (`subscribe` true) /
    /// `!unsubscribe <target> [topics…] <note>`.
    fn staff_subscription(
        &self,
        p: &Parsed,
        c: &CommandWork,
        subscribe: bool,
    ) -> Result<Reply, Failure> {
        let (target, rest) = self.portals.target(&p.args, c)?;
        let Some(citizen) = target else {
            return Ok(usage(&self.parts.texts, p));
        };
        let (topics, note) = topics_and_note(&rest, &self.parts.config.raw.subscriptions.topics);
        if note.is_empty() {
            let target = if c.citizen.as_ref() == Some(&citizen) {
                "this room".to_owned()
            } else {
                "+39…".to_owned()
            };
            return Ok(Reply::text(self.t(
                "staff_sub_note",
                &[("name", p.spec.name), ("target", &target)],
            )));
        }
        let intent = if subscribe {
            Intent::Subscribe(topics)
        } else {
            Intent::Unsubscribe(topics)
        };
        let reply = self.change_for_staff(&citizen.as_str(), intent, c, &note)?;
        let who = citizen.masked();
        let said = reply
            .messages
            .first()
            .and_then(|m| m.text_body())
            .unwrap_or("");
        Ok(Reply::text(self.t(
            "staff_sub_done",
            &[("who", &who), ("note", &note), ("reply", said)],
        )))
    }

    /// Changes the subscription as the router would for the citizen's keyword (under the
    /// subscriptions' lock, with a ledger line naming the staff member and the note), and
    /// queues the bot's answers to the citizen in the same commit.
    fn change_for_staff(
        &self,
        citizen: &str,
        intent: Intent,
        c: &CommandWork,
        note: &str,
    ) -> Result<KeywordReply, Failure> {
        self.change_subscriptions_now(|r| {
            let reply = self.apply_intent(
                r,
                citizen,
                None,
                intent,
                Channel::Staff,
                Some((&c.sender, note)),
            )?;
            if let Some(portal) = self.parts.store.portal(citizen)? {
                let send = Work::BotSend(Box::new(BotSend {
                    room_id: portal.room_id,
                    event_id: c.event_id.clone(),
                    reply: reply.clone(),
                    next: 0,
                    in_flight: false,
                    failures: vec![],
                }));
                r.push(&self.parts.store, citizen, &send);
            }
            Ok(reply)
        })
    }
}

/// The topics named at the start of a staff member's words (`all`/`tutti` skipped), and
/// the rest: the note saying how the citizen asked.
fn topics_and_note(rest: &str, known: &[crate::config::Topic]) -> (Vec<String>, String) {
    let mut topics = Vec::new();
    let mut words = rest.split_whitespace().peekable();
    while let Some(w) = words.peek() {
        let f = keywords::fold(w);
        if keywords::ALL.contains(&f.as_str()) {
            words.next();
        } else if let Some(t) = keywords::topic_named(known, &f) {
            topics.push(t.name.clone());
            words.next();
        } else {
            break;
        }
    }
    (topics, words.collect::<Vec<_>>().join(" "))
}

fn subscribers<'a>(b: &'a News, call: Call<'a>) -> Answer<'a> {
    Box::pin(async move { b.subscribers(call.p.args.trim()) })
}

fn consent<'a>(b: &'a News, call: Call<'a>) -> Answer<'a> {
    Box::pin(async move {
        match b.portals.target(&call.p.args, call.c)? {
            (Some(citizen), _) => b.consent(&citizen),
            (None, _) => Ok(usage(&b.parts.texts, call.p)),
        }
    })
}

fn subscribe<'a>(b: &'a News, call: Call<'a>) -> Answer<'a> {
    Box::pin(async move { b.staff_subscription(call.p, call.c, true) })
}

fn unsubscribe<'a>(b: &'a News, call: Call<'a>) -> Answer<'a> {
    Box::pin(async move { b.staff_subscription(call.p, call.c, false) })
}

/// Subscriptions, for staff.
pub(in crate::bridge) static COMMANDS: [Command<News>; 4] = [
    Command {
        spec: CommandSpec {
            name: "subscribers",
            args: "[topic]",
            help: "how many citizens follow each news topic (or one topic)",
            who: Who::Staff,
            place: Where::AdminRoom,
        },
        run: Run::Handler(subscribers),
    },
    Command {
        spec: CommandSpec {
            name: "consent",
            args: "<number|this room>",
            help: "the consent ledger of a citizen: every subscription change, when, how, policy version",
            who: Who::Staff,
            place: Where::Both,
        },
        run: Run::Handler(consent),
    },
    Command {
        spec: CommandSpec {
            name: "subscribe",
            args: "<number|this room> <topic…|all> <note>",
            help: "subscribe a citizen at their request (the note says how they asked)",
            who: Who::Staff,
            place: Where::Both,
        },
        run: Run::Handler(subscribe),
    },
    Command {
        spec: CommandSpec {
            name: "unsubscribe",
            args: "<number|this room> [topic…] <note>",
            help: "unsubscribe a citizen at their request (all topics when none is named)",
            who: Who::Staff,
            place: Where::Both,
        },
        run: Run::Handler(unsubscribe),
    },
];
