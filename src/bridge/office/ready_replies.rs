//! Texts staff send with a command instead of typing them: `!eurp` (the complaints app's
//! address; the name is configurable), `!reply <name>` (a configured `[replies.<name>]`),
//! `!replies` (the list). They go out through the citizen's queue as if the staff member had
//! written them, so the window, retries and failure notices apply as to any answer.

use crate::bridge::engine::command::{Answer, Call, Command, Run};
use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::item::CommandWork;
use crate::bridge::engine::item::Reply;
use crate::bridge::engine::item::queue_as_staff;
use crate::bridge::office::Office;
use crate::commands::{CommandSpec, Parsed, Where, Who, html_table};
use crate::ids::CitizenKey;

impl Office {
    /// The complaints redirect, as the automatic reply and `!eurp` send it.
    pub(in crate::bridge) fn complaints_text(&self) -> Option<String> {
        match self.config.raw.autoreply.complaints_url.as_str() {
            "" => None,
            url => Some(self.t("auto_complaint", &[("url", url)])),
        }
    }

    /// `!replies`: the configured replies.
    fn list_replies(&self) -> Reply {
        let replies = &self.config.raw.replies;
        if replies.is_empty() {
            return Reply::text(self.t("replies_none", &[]));
        }
        let rows: Vec<Vec<String>> = replies
            .iter()
            .map(|(k, v)| vec![format!("!reply {k}"), v.text.clone()])
            .collect();
        let list: Vec<String> = rows.iter().map(|r| r.join(" — ")).collect();
        Reply {
            text: self.t("replies_list", &[("list", &list.join("\n"))]),
            html: Some(html_table(&["command", "text"], &rows)),
            ops: vec![],
        }
    }

    /// `!reply <name>`: the configured reply, sent to the citizen of this room.
    fn ready_reply(&self, p: &Parsed, c: &CommandWork) -> Result<Reply, Failure> {
        let replies = &self.config.raw.replies;
        let name = p.args.trim();
        match replies.get(name) {
            Some(r) => self.send_to_citizen(p, c, r.text.clone()),
            None => {
                let names: Vec<&str> = replies.keys().map(String::as_str).collect();
                Ok(Reply::text(self.t(
                    "reply_unknown",
                    &[("name", name), ("names", &names.join(", "))],
                )))
            }
        }
    }

    /// `!eurp` (by its configured name): the complaints redirect, sent to the citizen.
    fn complaints_reply(&self, p: &Parsed, c: &CommandWork) -> Result<Reply, Failure> {
        match self.complaints_text() {
            Some(text) => self.send_to_citizen(p, c, text),
            None => Ok(Reply::text(self.t("eurp_none", &[]))),
        }
    }

    /// Queues `text` to the citizen of the command's room, in the commit of the reply.
    fn send_to_citizen(&self, p: &Parsed, c: &CommandWork, text: String) -> Result<Reply, Failure> {
        let citizen = c.citizen.as_ref().map(CitizenKey::as_str);
        let (Some(citizen), Some(portal)) = (
            citizen.as_deref(),
            match &citizen {
                Some(ci) => self.store.portal(ci)?,
                None => None,
            },
        ) else {
            return Ok(Reply::text(
                self.t("cmd_wrong_place", &[("name", p.spec.name)]),
            ));
        };
        let queued = queue_as_staff(
            &self.store,
            citizen,
            &portal.room_id,
            c,
            &text,
            self.clock.unix(),
        );
        Ok(Reply {
            ops: vec![queued],
            ..Reply::text(self.t("canned_queued", &[("text", &text)]))
        })
    }
}

fn reply<'a>(b: &'a Office, call: Call<'a>) -> Answer<'a> {
    Box::pin(async move { b.ready_reply(call.p, call.c) })
}

fn replies<'a>(b: &'a Office, _call: Call<'a>) -> Answer<'a> {
    Box::pin(async move { Ok(b.list_replies()) })
}

fn eurp<'a>(b: &'a Office, call: Call<'a>) -> Answer<'a> {
    Box::pin(async move { b.complaints_reply(call.p, call.c) })
}

/// The ready replies.
pub(in crate::bridge) static COMMANDS: [Command<Office>; 3] = [
    Command {
        spec: CommandSpec {
            name: "reply",
            args: "<name>",
            help: "send this citizen a configured reply ([replies.<name>] in the config)",
            who: Who::Staff,
            place: Where::Portal,
        },
        run: Run::Handler(reply),
    },
    Command {
        spec: CommandSpec {
            name: "replies",
            args: "",
            help: "list the configured replies",
            who: Who::Staff,
            place: Where::Both,
        },
        run: Run::Handler(replies),
    },
    Command {
        spec: CommandSpec {
            name: "eurp",
            args: "",
            help: "send this citizen the address of the complaints web app (the name is configurable)",
            who: Who::Staff,
            place: Where::Portal,
        },
        run: Run::Handler(eurp),
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge::engine::give_up::tests::{ANNA, bridge_with};
    use crate::bridge::engine::item::Work;
    use crate::bridge::engine::worker::Step;
    use crate::store::Store;

    /// `!reply` (like `!eurp` and `!warn`) queues the citizen's message in the commit of the
    /// command's outcome: until the worker commits that, nothing is queued, so a crash in
    /// between replays the command without a second message.
    #[tokio::test]
    async fn a_ready_reply_is_queued_in_the_commit_of_the_command() {
        let (bridge, store) =
            bridge_with("[replies.orari]\ntext = \"L'ufficio è aperto dalle 9 alle 13.\"\n");
        let c = CommandWork {
            event_id: "$cmd".into(),
            room_id: "!portal:x".into(),
            sender: "@mario:comune.example.it".into(),
            body: "!reply orari".into(),
            citizen: CitizenKey::parse(ANNA),
            reply_to: None,
            html: None,
        };
        let Step::Then(Work::Notice(n), ops) = bridge.admin().run_command(c).await.unwrap() else {
            panic!("a notice for staff")
        };
        assert!(n.text.contains("L'ufficio è aperto"), "{}", n.text);
        assert!(
            store.queue_head(ANNA).unwrap().is_none(),
            "nothing queued yet"
        );
        assert_eq!(Store::queues_pushed(&ops), vec![ANNA.to_owned()]);
        store.commit(ops).unwrap();
        let queued = store
            .queue_head(ANNA)
            .unwrap()
            .expect("queued with the outcome");
        let Ok(Work::Staff(s)) = Work::from_bytes(&queued.body) else {
            panic!("a staff message")
        };
        assert_eq!(
            s.event["content"]["body"],
            "L'ufficio è aperto dalle 9 alle 13."
        );
    }
}
