//! The helpdesk: each citizen's conversation is new, open, waiting or closed, and may have a
//! staff member handling it — kept in the store (`store/conversations.rs`), changed only in
//! the citizen's own queue (so a command and the citizen's message never write over each
//! other), and shown with what Element already displays: a prefix in the room name, a line
//! in the topic, a state event in the bridge's namespace, and the room's shelf among the
//! WhatsApp space's sub-spaces (drawn by the portal, `portal/conversation.rs`). Staff drive it
//! from the citizen's room (`commands.rs`); `!open` lists who waits for an answer.
//!
//! [`Helpdesk`] is the feature's handle: the shared parts, nothing else.

pub(in crate::bridge) mod commands;
pub(in crate::bridge) mod remind;
pub(in crate::bridge) mod state;
pub(in crate::bridge) mod stats;
pub(in crate::bridge) mod stats_command;

use crate::bridge::engine::lent::Parts;
use crate::bridge::helpdesk::state::{Changed, Event, Shelf};
use crate::store::{Conversation, Op, Store, StoreError, Tally};
use crate::whatsapp::message::{
    Body, ButtonReply, ButtonsAction, Interactive, Message, ReplyButton,
};

/// The answers to the satisfaction question, as their buttons' ids end.
const RATINGS: [&str; 3] = ["good", "ok", "bad"];
const RATING_PREFIX: &str = "sportello:csat:";

/// The rating a citizen's message gives, when it is a tap on a satisfaction button.
pub(in crate::bridge) fn rating_of(raw: &serde_json::Value) -> Option<&'static str> {
    let id = raw["interactive"]["button_reply"]["id"].as_str()?;
    let r = id.strip_prefix(RATING_PREFIX)?;
    RATINGS.into_iter().find(|k| *k == r)
}

/// The state event that carries a conversation's state in its room.
pub(in crate::bridge) const STATE_EVENT: &str = "it.sportello.conversation";

pub(in crate::bridge) struct Helpdesk {
    parts: Parts,
}

impl Helpdesk {
    pub(in crate::bridge) fn new(p: &Parts) -> Helpdesk {
        Helpdesk { parts: p.clone() }
    }

    fn t(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.parts.texts.get(key, args)
    }

    /// Applies `event` (by `by`: a staff answer's sender) to the citizen's conversation now:
    /// the change, and its writes with what the ledger counts of it. Called in the citizen's
    /// queue only.
    pub(in crate::bridge) fn change(
        &self,
        citizen: &str,
        event: Event,
        by: &str,
    ) -> Result<(Changed, Vec<Op>), StoreError> {
        let store = &self.parts.store;
        let old = store.conversation(citizen)?;
        let now = self.parts.clock.unix();
        let changed = state::apply(old.as_ref(), event.clone(), now);
        // A citizen writing again into a conversation that waits already changes nothing:
        // the record is not written again.
        let mut ops = if old.as_ref() == Some(&changed.conversation) {
            vec![]
        } else {
            vec![Store::conversation_op(citizen, &changed.conversation)]
        };
        for t in state::tallies(old.as_ref(), &event, &changed.conversation, by) {
            ops.push(store.tally_op(now, &t));
        }
        Ok((changed, ops))
    }

    /// The ledger's write for a staff answer held outside the window (by its sender).
    pub(in crate::bridge) fn held_op(&self, by: &str) -> Op {
        let tally = Tally::Held { by: by.to_owned() };
        self.parts.store.tally_op(self.parts.clock.unix(), &tally)
    }

    /// The room name's prefix: the state in a word.
    pub(in crate::bridge) fn prefix(&self, c: &Conversation) -> String {
        self.t(&format!("conv_prefix_{}", c.state.name()), &[])
    }

    /// The topic's line: the state, since when, and who handles it.
    pub(in crate::bridge) fn topic_line(&self, c: &Conversation) -> String {
        let who = match &c.assignee {
            Some(a) => self.t("conv_assignee", &[("who", a)]),
            None => self.t("conv_nobody", &[]),
        };
        let state = self.t(&format!("conv_state_{}", c.state.name()), &[]);
        let since = self.parts.config.local_stamp(c.since);
        self.t(
            "conv_topic",
            &[("state", &state), ("since", &since), ("who", &who)],
        )
    }

    /// A shelf's name, as its sub-space is called.
    pub(in crate::bridge) fn shelf_name(&self, s: Shelf) -> String {
        self.t(&format!("shelf_{}", s.name()), &[])
    }

    /// What `!close` sends the citizen: the closing message and the satisfaction question,
    /// as configured (none when neither is).
    pub(in crate::bridge) fn closing_messages(&self) -> Vec<Message> {
        let cfg = &self.parts.config.raw.helpdesk;
        let mut out = Vec::new();
        if !cfg.closing_message.trim().is_empty() {
            out.push(Message::text(cfg.closing_message.clone(), false));
        }
        if cfg.satisfaction {
            let buttons = RATINGS
                .iter()
                .map(|r| ReplyButton {
                    kind: "reply".into(),
                    reply: ButtonReply {
                        id: format!("{RATING_PREFIX}{r}"),
                        title: self.t(&format!("csat_{r}"), &[]),
                    },
                })
                .collect();
            out.push(Message::Interactive {
                interactive: Interactive::Button {
                    body: Body {
                        text: self.t("csat_question", &[]),
                    },
                    action: ButtonsAction { buttons },
                },
            });
        }
        out
    }

    /// A rating in words, for staff.
    pub(in crate::bridge) fn rating_words(&self, r: &str) -> String {
        self.t(&format!("csat_{r}"), &[])
    }

    /// The state event's content.
    pub(in crate::bridge) fn state_content(c: &Conversation) -> serde_json::Value {
        serde_json::json!({
            "state": c.state.name(),
            "assignee": c.assignee,
            "since": c.since,
            "unanswered_since": c.unanswered_since,
            "needs_answer": c.needs_answer(),
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::bridge::engine::give_up::tests::{ANNA, bridge};

    /// A citizen who writes again while their conversation waits for an answer changes
    /// nothing in it: its record is not written again at every message.
    #[tokio::test]
    async fn writing_again_while_waiting_rewrites_nothing() {
        let (bridge, store) = bridge();
        let helpdesk = &bridge.inner.helpdesk;
        let table = Store::conversation_op(ANNA, &Conversation::opened_by_citizen(0)).table;
        let writes = |event: Event| {
            let (_, ops) = helpdesk.change(ANNA, event, "@mario:x").unwrap();
            let n = ops.iter().filter(|o| o.table == table).count();
            store.commit(ops).unwrap();
            n
        };
        assert_eq!(writes(Event::CitizenWrote), 1, "opened");
        assert_eq!(writes(Event::CitizenWrote), 0, "still waiting: unchanged");
        assert_eq!(writes(Event::StaffAnswered), 1, "answered");
        assert_eq!(writes(Event::CitizenWrote), 1, "waits again");
        let c = store.conversation(ANNA).unwrap().unwrap();
        assert!(c.needs_answer());
    }

    #[test]
    fn only_the_satisfaction_buttons_are_ratings() {
        let tap = |id: &str| json!({"interactive": {"type": "button_reply", "button_reply": {"id": id, "title": "😊"}}});
        assert_eq!(rating_of(&tap("sportello:csat:good")), Some("good"));
        assert_eq!(rating_of(&tap("sportello:csat:bad")), Some("bad"));
        assert_eq!(rating_of(&tap("sportello:sub:eventi")), None);
        assert_eq!(
            rating_of(&json!({"text": {"body": "sportello:csat:good"}})),
            None
        );
    }

    proptest! {
        /// Whatever a citizen's tap carries, it is one of the three ratings or none.
        #[test]
        fn any_tap_is_a_known_rating_or_none(id in "\\PC{0,40}") {
            let tap = json!({"interactive": {"button_reply": {"id": format!("sportello:csat:{id}")}}});
            if let Some(r) = rating_of(&tap) {
                prop_assert!(RATINGS.contains(&r));
            }
        }
    }
}
