//! A citizen's conversation (see `bridge/helpdesk`) as Element shows it in the portal: the
//! state as the room name's prefix and a topic line, a state event in the bridge's namespace
//! (`it.sportello.conversation`), and the room's shelf — one of the sub-spaces "to answer", "in
//! progress", "closed" of the WhatsApp space. Changes are noted in the commit of what caused
//! them (a citizen's message, a staff answer) and drawn by a queued item afterwards, so a
//! homeserver hiccup never touches a message already sent.

use serde_json::json;
use tracing::info;

use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::item::{BotSend, KeywordReply, NoticeWork, Work};
use crate::bridge::engine::worker::Step;
use crate::bridge::helpdesk::state::{Event, Shelf};
use crate::bridge::helpdesk::{Helpdesk, STATE_EVENT};
use crate::bridge::portal::Portals;
use crate::ids::CitizenKey;
use crate::store::{Conversation, Meta, Op, PortalRecord, Store};

impl Portals {
    /// The writes that note `event` (by `by`: a staff answer's sender) in the portal's
    /// conversation, with the redraw (and a mention of the assignee) queued after it in the
    /// citizen's queue.
    pub(in crate::bridge) fn note_in_conversation(
        &self,
        portal: &PortalRecord,
        event: Event,
        by: &str,
        about: &str,
    ) -> Result<Vec<Op>, Failure> {
        let citizen = portal.citizen.as_str();
        let (changed, mut ops) = self.helpdesk.change(&citizen, event, by)?;
        let store = &self.parts.store;
        if changed.shown {
            ops.push(store.queue_push_op(&citizen, &Work::ShowConversation.to_bytes()));
        }
        if let Some(who) = changed.mention {
            let text = self.t("conv_mention", &[("who", &who)]);
            let html = self.t(
                "conv_mention",
                &[("who", &crate::convert::markup::pill(&who))],
            );
            let notice = Work::Notice(NoticeWork {
                room_id: portal.room_id.clone(),
                text,
                html: Some(html),
                reply_to: None,
                txn_id: crate::matrix::txn_id("mention", about),
            });
            ops.push(store.queue_push_op(&citizen, &notice.to_bytes()));
        }
        Ok(ops)
    }

    /// A staff command's event (queued in the citizen's queue): applied, then drawn.
    pub(in crate::bridge) async fn conversation_event(
        &self,
        key: &CitizenKey,
        event: Event,
    ) -> Result<Step, Failure> {
        let citizen = key.as_str();
        let Some(mut portal) = self.parts.store.portal(&citizen)? else {
            return Ok(Step::Done(vec![]));
        };
        let closed_by_command = match &event {
            Event::Close { event_id, .. } => event_id.clone(),
            _ => None,
        };
        let (changed, ops) = self.helpdesk.change(&citizen, event, "")?;
        // Written first: drawing it may need a retry, and the event must not apply twice.
        self.parts.store.commit(ops)?;
        let ops = self
            .show_conversation(&mut portal, &changed.conversation)
            .await?;
        match closed_by_command {
            Some(event_id) => Ok(self.closing(&portal, &event_id, ops)),
            None => Ok(Step::Done(ops)),
        }
    }

    /// After `!close`: the closing message and the satisfaction question, if configured, go
    /// to the citizen as the bot's answers (while the window is open), with a notice.
    fn closing(&self, portal: &PortalRecord, event_id: &str, ops: Vec<Op>) -> Step {
        let messages = self.helpdesk.closing_messages();
        if messages.is_empty() {
            return Step::Done(ops);
        }
        let now = self.now_secs() as i64;
        if !crate::bridge::portal::window::is_open(portal.last_inbound_at, now) {
            let text = self.t("conv_closing_window", &[]);
            let n = NoticeWork::reply(&portal.room_id, event_id, "closing", text);
            return Step::Then(Work::Notice(n), ops);
        }
        let send = BotSend {
            room_id: portal.room_id.clone(),
            event_id: event_id.to_owned(),
            reply: KeywordReply {
                notice: self.t("conv_closing_sent", &[]),
                messages,
                channel: "helpdesk".into(),
            },
            next: 0,
            in_flight: false,
            failures: vec![],
        };
        Step::Then(Work::BotSend(Box::new(send)), ops)
    }

    /// The citizen tapped a satisfaction button: kept with the conversation (which stays as
    /// it is) and told to staff in the room.
    pub(in crate::bridge) fn note_rating(
        &self,
        portal: &PortalRecord,
        rating: &str,
        about: &str,
    ) -> Result<Vec<Op>, Failure> {
        let citizen = portal.citizen.as_str();
        let (_, mut ops) = self
            .helpdesk
            .change(&citizen, Event::Rated(rating.to_owned()), "")?;
        let words = self.helpdesk.rating_words(rating);
        let notice = Work::Notice(NoticeWork {
            room_id: portal.room_id.clone(),
            text: self.t("csat_told", &[("rating", &words)]),
            html: None,
            reply_to: None,
            txn_id: crate::matrix::txn_id("rating", about),
        });
        ops.push(self.parts.store.queue_push_op(&citizen, &notice.to_bytes()));
        Ok(ops)
    }

    /// Draws the conversation as it is stored (a queued redraw).
    pub(in crate::bridge) async fn redraw_conversation(
        &self,
        key: &CitizenKey,
    ) -> Result<Step, Failure> {
        let citizen = key.as_str();
        let store = &self.parts.store;
        let (Some(mut portal), Some(c)) = (store.portal(&citizen)?, store.conversation(&citizen)?)
        else {
            return Ok(Step::Done(vec![]));
        };
        Ok(Step::Done(self.show_conversation(&mut portal, &c).await?))
    }

    /// Name, state event, topic and shelf of the portal, for the conversation `c`.
    async fn show_conversation(
        &self,
        portal: &mut PortalRecord,
        c: &Conversation,
    ) -> Result<Vec<Op>, Failure> {
        let blocked = self.parts.store.block(&portal.citizen.as_str())?.is_some();
        self.name_portal(portal, blocked).await?;
        self.parts
            .matrix
            .set_state(
                &portal.room_id,
                STATE_EVENT,
                "",
                &Helpdesk::state_content(c),
            )
            .await?;
        let mut ops = self.refresh_topic(portal).await?;
        let shelf = Shelf::of(c);
        if portal.shelf.as_deref() != Some(shelf.name()) {
            let server = &self.parts.config.raw.homeserver.server_name;
            let to = self.ensure_shelf(shelf).await?;
            self.parts
                .matrix
                .set_state(
                    &to,
                    "m.space.child",
                    &portal.room_id,
                    &json!({"via": [server]}),
                )
                .await?;
            let old = Shelf::ALL
                .into_iter()
                .find(|s| portal.shelf.as_deref() == Some(s.name()));
            if let Some(old) = old
                && let Some(from) = self.parts.store.meta(Meta::Shelf(old.name()))?
            {
                // An empty child event takes the room off the shelf.
                self.parts
                    .matrix
                    .set_state(&from, "m.space.child", &portal.room_id, &json!({}))
                    .await?;
            }
            portal.shelf = Some(shelf.name().to_owned());
        }
        info!(room_id = %portal.room_id, state = %c.state, "conversation shown");
        ops.extend(Store::portal_ops(portal));
        Ok(ops)
    }

    /// A shelf's sub-space in the WhatsApp space, created once.
    async fn ensure_shelf(&self, shelf: Shelf) -> Result<String, Failure> {
        if let Some(id) = self.parts.store.meta(Meta::Shelf(shelf.name()))? {
            return Ok(id);
        }
        let space = self.ensure_space().await?;
        let _guard = self.space_lock.lock().await;
        if let Some(id) = self.parts.store.meta(Meta::Shelf(shelf.name()))? {
            return Ok(id);
        }
        let raw = &self.parts.config.raw;
        let body = json!({
            "name": self.helpdesk.shelf_name(shelf),
            "preset": "private_chat",
            "visibility": "private",
            "creation_content": {"type": "m.space"},
            "power_level_content_override": self.power_levels(None),
        });
        let alias = format!("{}shelf_{}", raw.appservice.ghost_prefix, shelf.name());
        let id = self.create_or_adopt(&alias, body).await?;
        self.invite_staff(&id, "shelf").await;
        let server = &raw.homeserver.server_name;
        self.parts
            .matrix
            .set_state(&space, "m.space.child", &id, &json!({"via": [server]}))
            .await?;
        self.parts
            .store
            .commit(vec![Store::meta_op(Meta::Shelf(shelf.name()), &id)])?;
        Ok(id)
    }
}
