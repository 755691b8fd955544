//! Staff → WhatsApp: a queued Matrix event from a portal becomes a Graph API send. Meta has
//! no idempotency key, so the item is marked in flight (committed) before the call; an item
//! found in flight after a crash is reported to staff, never sent twice. Every outcome that
//! is not a delivery becomes a notice replying to the staff message.

use tracing::{error, info, warn};

use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::item::{NoticeWork, StaffWork, Work};
use crate::bridge::engine::worker::Step;
use crate::bridge::helpdesk::state::Event;
use crate::bridge::portal::Portals;
use crate::config::Signature;
use crate::convert;
use crate::convert::outbound::{check_media, media_message};
use crate::convert::{MediaOut, Outbound, Refusal};
use crate::ids::{CitizenKey, WaMessageId};
use crate::matrix::types::{StaffEvent, StaffKind, staff_event};
use crate::store::{Op, PortalRecord, QueueItem, ReactionRef, Store};
use crate::whatsapp::message::{Location, Message, Reaction};
use crate::whatsapp::{GraphError, Handling};

/// Failure Graph failures tolerated before the staff member is told it was not sent.
const MAX_ATTEMPTS: u32 = 10;

impl Portals {
    fn notice_for(&self, s: &StaffWork, text: String) -> Step {
        Step::Then(
            Work::Notice(NoticeWork::reply(&s.room_id, &s.event_id, "notice", text)),
            vec![],
        )
    }

    async fn signature(&self, sender: &str) -> Option<String> {
        let c = &self.parts.config.raw;
        match c.bridge.signature {
            Signature::None => None,
            Signature::Office => Some(c.office.name.clone()),
            Signature::Staff => Some(
                self.parts
                    .matrix
                    .displayname(sender)
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or_else(|| {
                        sender
                            .trim_start_matches('@')
                            .split(':')
                            .next()
                            .unwrap_or(sender)
                            .to_owned()
                    }),
            ),
        }
    }

    /// The portal and the citizen's address: the phone number when known, else the BSUID.
    pub(in crate::bridge) fn recipient(
        &self,
        room_id: &str,
    ) -> Result<Option<(PortalRecord, CitizenKey)>, Failure> {
        let portal = self.parts.store.portal_by_room(room_id)?;
        Ok(portal.and_then(|p| p.address().map(|to| (p, to))))
    }

    /// Fetches a staff attachment from Matrix and uploads it to the Graph API; returns the
    /// message to send, or the step that ends the item (a notice).
    async fn prepare_media(
        &self,
        s: &StaffWork,
        m: &MediaOut,
    ) -> Result<Result<Message, Step>, Failure> {
        let bytes = match self.parts.matrix.download(&m.mxc).await {
            Ok((b, _)) => b,
            Err(e) if e.is_transient() => return Err(e.into()),
            Err(e) => {
                warn!(event_id = %s.event_id, "a staff attachment cannot be downloaded: {e}");
                return Ok(Err(self.notice_for(s, self.t("attachment_unreadable", &[]))));
            }
        };
        if let Err(refusal) = check_media(m.kind, &m.mime, Some(bytes.len() as u64)) {
            return Ok(Err(self.notice_for(
                s,
                self.t("not_sent", &[("reason", &refusal.text(&self.parts.texts))]),
            )));
        }
        match self
            .parts
            .graph
            .upload_media(bytes, &m.mime, &m.filename)
            .await
        {
            Ok(id) => Ok(Ok(media_message(m, &id))),
            Err(e) if matches!(e.handling(), Handling::Retry | Handling::Recipient) => {
                Err(Failure::transient(e.to_string()))
            }
            Err(e) => Ok(Err(self.notice_for(
                s,
                self.t(
                    "not_delivered",
                    &[("reason", &e.explain(&self.parts.texts))],
                ),
            ))),
        }
    }

    pub(in crate::bridge) async fn send_staff_message(
        &self,
        item: &QueueItem,
        s: StaffWork,
    ) -> Result<Step, Failure> {
        let store = &self.parts.store;
        let Some(ev) = staff_event(&s.event) else {
            return Ok(Step::Done(vec![]));
        };
        if let Some(step) = self.before_sending(&s, &ev)? {
            return Ok(step);
        }
        let Some((portal, to)) = self.recipient(&s.room_id)? else {
            return Ok(self.notice_for(&s, self.t("no_number", &[])));
        };
        if store.block(&portal.citizen.as_str())?.is_some() {
            return Ok(self.notice_for(&s, self.t("blocked_refused", &[])));
        }
        // `!template <key> [params…]`: an approved template, accepted at any time.
        if let Some(args) = template_args(&ev) {
            return match self.template_request(&args)? {
                Ok(tpl) => {
                    self.send_marked(
                        item,
                        s,
                        &portal,
                        &to,
                        Message::Template { template: tpl },
                        None,
                        vec![],
                    )
                    .await
                }
                Err(why) => Ok(self.notice_for(&s, why)),
            };
        }
        let now = self.now_secs() as i64;
        if !matches!(ev, StaffEvent::Poll)
            && !crate::bridge::portal::window::is_open(portal.last_inbound_at, now)
        {
            if matches!(ev, StaffEvent::Message(_)) {
                return Ok(self.hold(&s, &portal.citizen.as_str()));
            }
            // Reactions and their removal only make sense now; say so instead of holding.
            return Ok(self.notice_for(&s, self.t("reaction_window_closed", &[])));
        }
        let mut after = Vec::new();
        let (message, reply_to) = match self.graph_message(&s, ev, &mut after).await? {
            Ok(m) => m,
            Err(step) => return Ok(step),
        };
        let reply_to = match reply_to {
            Some(ev) => store.wamid_for_event(&ev)?.map(WaMessageId::new),
            None => None,
        };
        self.send_marked(item, s, &portal, &to, message, reply_to, after)
            .await
    }

    /// What stops a staff event before anything is sent: a sender who is not staff, a send
    /// interrupted by a restart (outcome unknown). A staff message also quiets the automatic
    /// replies for a while, whatever becomes of it.
    fn before_sending(&self, s: &StaffWork, ev: &StaffEvent) -> Result<Option<Step>, Failure> {
        let store = &self.parts.store;
        if !self.parts.config.is_staff(&s.sender) {
            if !matches!(ev, StaffEvent::Message(_)) {
                return Ok(Some(Step::Done(vec![])));
            }
            info!(sender = %s.sender, "message from a non-staff user not relayed");
            let text = self.t("not_staff", &[("sender", &s.sender)]);
            return Ok(Some(self.notice_for(s, text)));
        }
        if s.in_flight {
            warn!(event_id = %s.event_id, "a send was interrupted by a restart; its outcome is unknown");
            return Ok(Some(self.notice_for(s, self.t("unknown_outcome", &[]))));
        }
        if s.attempts == 0
            && let Some(mut p) = store.portal_by_room(&s.room_id)?
        {
            p.last_staff_at = Some(self.now_secs() as i64);
            store.commit(Store::portal_ops(&p))?;
        }
        Ok(None)
    }

    /// The Graph message a staff event becomes: its type, its object and the event it
    /// replies to; or the step that explains why there is none (`after`: writes to commit
    /// once it is sent).
    async fn graph_message(
        &self,
        s: &StaffWork,
        ev: StaffEvent,
        after: &mut Vec<Op>,
    ) -> Result<Result<(Message, Option<String>), Step>, Failure> {
        let store = &self.parts.store;
        match ev {
            StaffEvent::Poll => {
                let why = Refusal::Poll.text(&self.parts.texts);
                Ok(Err(
                    self.notice_for(s, self.t("not_sent", &[("reason", &why)]))
                ))
            }
            StaffEvent::Redaction { redacts } => {
                let key = ReactionRef::Staff(&redacts);
                if let Some(wamid) = store.reaction(key)? {
                    after.push(Store::reaction_delete_op(key));
                    return Ok(Ok((reaction(wamid, String::new()), None)));
                }
                if store.wamid_for_event(&redacts)?.is_none() {
                    return Ok(Err(Step::Done(vec![])));
                }
                let why = Refusal::Delete.text(&self.parts.texts);
                let mut step = self.notice_for(s, self.t("deleted_here", &[("reason", &why)]));
                if let Step::Then(Work::Notice(n), _) = &mut step {
                    n.reply_to = None;
                }
                Ok(Err(step))
            }
            StaffEvent::Reaction { target, key } => match store.wamid_for_event(&target)? {
                Some(wamid) => {
                    after.push(Store::reaction_op(ReactionRef::Staff(&s.event_id), &wamid));
                    Ok(Ok((reaction(wamid, key), None)))
                }
                None => Ok(Err(Step::Done(vec![]))),
            },
            StaffEvent::Message(msg) => {
                let signature = self.signature(&s.sender).await;
                let out = match convert::staff_to_outbound(&msg, signature.as_deref()) {
                    Ok(o) => o,
                    Err(refusal) => {
                        let why = refusal.text(&self.parts.texts);
                        let text = self.t("not_sent", &[("reason", &why)]);
                        return Ok(Err(self.notice_for(s, text)));
                    }
                };
                let reply = msg.reply_to.clone();
                Ok(Ok(match out {
                    Outbound::Text(t) => (Message::text(t, false), reply),
                    Outbound::Location {
                        latitude,
                        longitude,
                        name,
                    } => {
                        let location = Location {
                            latitude,
                            longitude,
                            name,
                        };
                        (Message::Location { location }, reply)
                    }
                    Outbound::Media(m) => match self.prepare_media(s, &m).await? {
                        Ok(message) => (message, reply),
                        Err(step) => return Ok(Err(step)),
                    },
                }))
            }
        }
    }

    /// Marks the item in flight (committed), sends, and turns the answer into the outcome.
    #[allow(clippy::too_many_arguments)]
    async fn send_marked(
        &self,
        item: &QueueItem,
        mut s: StaffWork,
        portal: &PortalRecord,
        to: &CitizenKey,
        message: Message,
        reply_to: Option<WaMessageId>,
        after: Vec<crate::store::Op>,
    ) -> Result<Step, Failure> {
        let store = &self.parts.store;
        s.in_flight = true;
        store.commit(vec![Store::queue_update_op(
            item,
            Work::Staff(s.clone()).to_bytes(),
        )])?;
        let kind = message.kind();
        match self.parts.graph.send(to, &message, reply_to.as_ref()).await {
            Ok(sent) => {
                info!(event_id = %s.event_id, wamid = %sent.id, kind, "staff message accepted by WhatsApp");
                self.parts.metrics.bridged("to_whatsapp", kind);
                let mut ops = after;
                if kind != "reaction" {
                    ops.extend(Store::message_ops(
                        sent.id.expose(),
                        &s.room_id,
                        &s.event_id,
                    ));
                }
                ops.push(Store::status_op(sent.id.expose(), "accepted", None));
                // The citizen got an answer. Never a reason to fail a message already sent:
                // a store error here only leaves the conversation as it was.
                if kind != "reaction" {
                    let about = sent.id.expose();
                    match self.note_in_conversation(portal, Event::StaffAnswered, &s.sender, about)
                    {
                        Ok(more) => ops.extend(more),
                        Err(e) => warn!("the conversation could not be updated: {}", e.reason),
                    }
                }
                Ok(Step::Done(ops))
            }
            Err(e) if e.code() == Some(131047) && kind != "template" => {
                // The window closed (our clock and Meta's disagree, or the citizen blocked
                // the office): hold it like any message outside the window.
                Ok(self.hold(&s, &portal.citizen.as_str()))
            }
            Err(e) => self.send_failed(s, &e),
        }
    }

    /// A send WhatsApp refused or that failed on the way: tried again (bounded; 131056 waits
    /// 4^X s), or explained under the staff message.
    fn send_failed(&self, mut s: StaffWork, e: &GraphError) -> Result<Step, Failure> {
        s.in_flight = false;
        match e.handling() {
            h @ (Handling::Retry | Handling::Recipient) if s.attempts + 1 < MAX_ATTEMPTS => {
                let t = Failure::transient(e.to_string());
                // 131056 (pair rate limit): wait 4^X seconds, X = attempts so far.
                let t = if h == Handling::Recipient {
                    t.after(std::time::Duration::from_secs(4u64.pow(s.attempts.min(5))))
                } else {
                    t
                };
                s.attempts += 1;
                Err(t.with_update(Work::Staff(s)))
            }
            Handling::Retry | Handling::Recipient => Ok(self.notice_for(
                &s,
                self.t(
                    "not_delivered_after",
                    &[
                        ("attempts", &MAX_ATTEMPTS.to_string()),
                        ("reason", &e.explain(&self.parts.texts)),
                    ],
                ),
            )),
            h => {
                if matches!(h, Handling::Halt | Handling::Bug) {
                    error!(event_id = %s.event_id, "WhatsApp refused a send ({h:?}): {}", crate::ids::mask_text(&e.to_string()));
                } else {
                    warn!(event_id = %s.event_id, "WhatsApp refused a send: {}", crate::ids::mask_text(&e.to_string()));
                }
                Ok(self.notice_for(
                    &s,
                    self.t(
                        "not_delivered",
                        &[("reason", &e.explain(&self.parts.texts))],
                    ),
                ))
            }
        }
    }
}

/// The arguments of `!template <key> [params…]`, when the staff event is one.
fn template_args(ev: &StaffEvent) -> Option<String> {
    match ev {
        StaffEvent::Message(m) if m.kind == StaffKind::Text => m
            .body
            .trim_start()
            .strip_prefix("!template")
            .map(str::to_owned),
        _ => None,
    }
}

/// A reaction to the citizen's message `wamid` (an empty emoji removes it).
fn reaction(message_id: String, emoji: String) -> Message {
    Message::Reaction {
        reaction: Reaction { message_id, emoji },
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::bridge::Bridge;
    use crate::bridge::engine::give_up::tests::ANNA;
    use crate::clock::FixedClock;

    /// The 24-hour window is read on the bridge's clock: the same answer is held at a pinned
    /// moment 25 hours after the citizen wrote, and goes to the Graph API (here a closed port,
    /// so a passing failure) 23 hours after.
    #[tokio::test]
    async fn the_window_is_read_on_the_bridges_clock() {
        let wrote = 1_800_000_000_i64;
        let at = |h: i64| chrono::Utc.timestamp_opt(wrote + h * 3600, 0).unwrap();
        let toml = crate::config::valid_test_toml()
            .replace("https://graph.facebook.com", "http://127.0.0.1:9");
        let raw = crate::config::RawConfig::from_toml(&toml, "t", |_| None).unwrap();
        let store = Store::memory();
        let (_, rx) = tokio::sync::watch::channel(true);
        let clock = FixedClock::at(at(25));
        let bridge = Bridge::with_clock(raw.validate().unwrap(), store.clone(), rx, clock.clone());
        let portal = PortalRecord {
            phone: Some("393331234567".into()),
            last_inbound_at: Some(wrote),
            ..PortalRecord::new(&CitizenKey::parse(ANNA).unwrap(), "!portal:x", "@ghost:x")
        };
        store.commit(Store::portal_ops(&portal)).unwrap();
        let s = StaffWork {
            event_id: "$answer".into(),
            room_id: "!portal:x".into(),
            sender: "@mario:comune.example.it".into(),
            event: serde_json::json!({"type": "m.room.message", "event_id": "$answer",
                "room_id": "!portal:x", "sender": "@mario:comune.example.it",
                "origin_server_ts": 1, "content": {"msgtype": "m.text", "body": "Sì, è aperto"}}),
            in_flight: false,
            attempts: 0,
        };
        store
            .commit(vec![
                store.queue_push_op(ANNA, &Work::Staff(s.clone()).to_bytes()),
            ])
            .unwrap();
        let item = store.queue_head(ANNA).unwrap().unwrap();
        let Ok(Step::Then(Work::Notice(n), ops)) =
            bridge.portals().send_staff_message(&item, s.clone()).await
        else {
            panic!("held with a notice")
        };
        store.commit(ops).unwrap();
        assert_eq!(store.held(ANNA).unwrap().len(), 1, "{}", n.text);
        clock.set(at(23));
        let sent = bridge.portals().send_staff_message(&item, s).await;
        assert!(
            matches!(&sent, Err(f) if f.class == crate::bridge::engine::failure::Class::Transient),
            "sent to the Graph API: {:?}",
            sent.err()
        );
    }
}
