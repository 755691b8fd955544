//! Citizen → Matrix: a queued WhatsApp message becomes events from the citizen's ghost in
//! their portal: media fetched from the Graph API and uploaded to Matrix first, reactions as
//! annotations (removed ones redacted). Matrix transaction ids derive from the wamid, so a
//! retry after a crash or timeout yields the same events, never second ones.

use base64::Engine;
use serde_json::json;
use tracing::{info, warn};

use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::item::{BotSend, CitizenWork, Work};
use crate::bridge::engine::worker::Step;
use crate::bridge::helpdesk::state::Event;
use crate::bridge::portal::Portals;
use crate::bridge::portal::media::Fetched;
use crate::convert::{self, Attachment, Reaction, Uploaded, inbound as conv};
use crate::ids::CitizenKey;
use crate::store::{Op, PortalRecord, ReactionRef, Store};
use crate::whatsapp::kind::Kind;
use crate::whatsapp::webhook::InboundMessage;

/// The content key under which a ghost's event carries its transaction id.
const TXN_KEY: &str = "org.sportello.txn";

/// Who speaks in the room: the citizen's ghost, or the office (the bot).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::bridge) enum Voice {
    Citizen,
    Office,
}

/// Where a send goes: its voice, and its time (Unix seconds) when it is from the past.
#[derive(Clone, Copy, Debug)]
pub(in crate::bridge) struct Target {
    pub voice: Voice,
    pub ts: Option<i64>,
}

/// How a WhatsApp message is posted (see [`Portals::post_as`]).
#[derive(Clone, Copy, Debug)]
pub(in crate::bridge) struct Post {
    pub voice: Voice,
    /// Its own time (Unix seconds): imported history.
    pub ts: Option<i64>,
    /// A keyword the bot answers: shown as a notice.
    pub keyword: bool,
    /// An earlier attempt failed (see [`Portals::send_in_room`]).
    pub retried: bool,
}

use crate::matrix::txn_id;

/// Does `expected` (base64 as in webhooks, or hex) name the SHA-256 of `bytes`?
#[cfg(test)]
fn sha256_matches(expected: &str, bytes: &[u8]) -> bool {
    use sha2::{Digest, Sha256};
    digest_matches(expected, &Sha256::digest(bytes))
}

/// Does `expected` (base64 as in webhooks, or hex) name this SHA-256 digest?
pub(in crate::bridge) fn digest_matches(expected: &str, digest: &[u8]) -> bool {
    let decoded = hex::decode(expected)
        .ok()
        .filter(|d| d.len() == 32)
        .or_else(|| {
            base64::engine::general_purpose::STANDARD
                .decode(expected)
                .ok()
        });
    decoded.is_some_and(|d| d == digest)
}

/// What a citizen's message tells about them: a number (or id) first learned now — answers
/// go to the number — and, for a message they wrote, the latest one (Meta does not
/// guarantee order: what staff typing marks, and when the 24-hour window started). Meta's own
/// `system` messages (a number change …) were not written by the citizen: no window, no
/// automatic reply. Returns whether the citizen wrote it.
fn note_message(portal: &mut PortalRecord, m: &InboundMessage, now: u64) -> bool {
    if portal.phone.is_none() {
        portal.phone = m.phone.as_ref().map(|p| p.expose().to_owned());
    }
    if portal.bsuid.is_none() {
        portal.bsuid = m.bsuid.as_ref().map(|b| b.expose().to_owned());
    }
    let written = m.kind != Kind::System;
    let at = m.timestamp.unwrap_or(now as i64);
    if written && portal.last_inbound_at.is_none_or(|prev| at >= prev) {
        portal.last_inbound = Some(m.id.expose().to_owned());
        portal.last_inbound_at = Some(at);
        if m.raw.get("referral").is_some() {
            portal.entry_point_at = Some(at);
        }
    }
    written
}

impl Portals {
    /// `retried`: an earlier attempt failed, perhaps after the homeserver stored an event
    /// (see [`Self::ghost_send`]).
    pub(in crate::bridge) async fn deliver_citizen_message(
        &self,
        key: &CitizenKey,
        c: CitizenWork,
        retried: bool,
    ) -> Result<Step, Failure> {
        let m = c.to_inbound();
        let mut portal = self.ensure_portal(key, m.profile_name.as_deref()).await?;
        if let Some(step) = self.citizen_change(&portal, &m, retried).await? {
            return Ok(step);
        }
        let written = note_message(&mut portal, &m, self.now_secs());
        if written {
            self.invite_back(&mut portal).await;
        }
        let mut ops = self.refresh_topic(&mut portal).await?;
        ops.push(Store::portal_record_op(&portal));
        if let Some(r) = conv::reaction(&m) {
            ops.extend(self.citizen_reaction(&portal, &m, r, retried).await?);
            return Ok(Step::Done(ops));
        }
        let first = self
            .post_message(&portal, &m, c.keyword.is_some(), retried)
            .await?;
        if let Some(event_id) = &first {
            info!(wamid = %m.id, %event_id, kind = %m.kind, "citizen message bridged");
            self.parts.metrics.bridged("to_matrix", m.kind.label());
            ops.extend(Store::message_ops(m.id.expose(), &portal.room_id, event_id));
        }
        // A message the citizen wrote waits for staff (a keyword the bot answers does not, nor
        // a tap on a satisfaction button).
        let rating = crate::bridge::helpdesk::rating_of(&m.raw);
        if written && c.keyword.is_none() {
            ops.extend(match rating {
                Some(r) => self.note_rating(&portal, r, m.id.expose())?,
                None => {
                    self.note_in_conversation(&portal, Event::CitizenWrote, "", m.id.expose())?
                }
            });
        }
        if crate::bridge::portal::window::is_open(portal.last_inbound_at, self.now_secs() as i64) {
            ops.extend(self.release_held(&portal, m.id.expose())?);
        }
        let reply = match c.keyword {
            Some(k) => Some(*k),
            None if !written || rating.is_some() => None,
            None => {
                let auto = self.office.auto_reply(&mut portal, false, m.text_body())?;
                if auto.is_some() {
                    ops.push(Store::portal_record_op(&portal));
                }
                auto
            }
        };
        if let (Some(reply), Some(event_id)) = (reply, first) {
            let send = BotSend {
                room_id: portal.room_id.clone(),
                event_id,
                reply,
                next: 0,
                in_flight: false,
                failures: vec![],
            };
            return Ok(Step::Then(Work::BotSend(Box::new(send)), ops));
        }
        Ok(Step::Done(ops))
    }

    /// Posts the citizen's message in their room as their ghost (the attachment fetched and
    /// uploaded first; a keyword the bot answers shown as a notice). Returns the first event.
    async fn post_message(
        &self,
        portal: &PortalRecord,
        m: &InboundMessage,
        keyword: bool,
        retried: bool,
    ) -> Result<Option<String>, Failure> {
        let post = Post {
            voice: Voice::Citizen,
            ts: None,
            keyword,
            retried,
        };
        self.post_as(portal, m, post, |_| {}).await
    }

    /// Posts a WhatsApp message object in the room as `post` says (the citizen's ghost or
    /// the office, at its own time for history), after `adjust` has seen the events (the
    /// office's are labelled). Returns the first event. Transaction ids derive from the wamid.
    pub(in crate::bridge) async fn post_as(
        &self,
        portal: &PortalRecord,
        m: &InboundMessage,
        post: Post,
        adjust: impl FnOnce(&mut [convert::MatrixEvent]),
    ) -> Result<Option<String>, Failure> {
        let Post {
            voice,
            ts,
            keyword,
            retried,
        } = post;
        let reply_to = match &m.context.reply_to {
            Some(w) => self
                .parts
                .store
                .event_for_wamid(w.expose())?
                .map(|r| r.event_id),
            None => None,
        };
        let media = self.fetch_media(m, portal).await?;
        let attachment = match &media {
            Fetched::Uploaded(u) => Attachment::Uploaded(u),
            Fetched::Missing => Attachment::Missing,
            Fetched::TooLarge { size, limit } => Attachment::TooLarge {
                size: *size,
                limit: *limit,
            },
        };
        let mut events =
            convert::citizen_to_matrix(m, reply_to.as_deref(), attachment, &self.parts.texts);
        adjust(&mut events);
        if keyword {
            // Answered by the bot: staff see it as a notice, not as a question.
            for ev in events
                .iter_mut()
                .filter(|e| e.content["msgtype"] == "m.text")
            {
                ev.content["msgtype"] = json!("m.notice");
            }
        }
        let mut first = None;
        for (i, ev) in events.iter().enumerate() {
            let txn = if i == 0 {
                txn_id("wa", m.id.expose())
            } else {
                txn_id("wa", &format!("{}#{i}", m.id.expose()))
            };
            let to = Target { voice, ts };
            let event_id = self
                .send_in_room(portal, to, ev.event_type, &txn, &ev.content, retried)
                .await?;
            first.get_or_insert(event_id);
        }
        Ok(first)
    }

    /// Sends as the citizen's ghost. Every event carries its transaction id (`TXN_KEY`): the
    /// homeserver forgets an appservice's transaction ids when it restarts, so a send whose
    /// answer was lost to a restart would make a second event. On a retry the room's latest
    /// events are searched for it first. The one repair: a ghost refused (it left or was
    /// kicked) rejoins and the send is tried once more; a second refusal is final.
    pub(in crate::bridge) async fn ghost_send(
        &self,
        portal: &PortalRecord,
        event_type: &str,
        txn: &str,
        content: &serde_json::Value,
        retried: bool,
    ) -> Result<String, Failure> {
        let to = Target {
            voice: Voice::Citizen,
            ts: None,
        };
        self.send_in_room(portal, to, event_type, txn, content, retried)
            .await
    }

    /// [`Self::ghost_send`] as the citizen or as the office (the bot), at `to.ts` if set.
    pub(in crate::bridge) async fn send_in_room(
        &self,
        portal: &PortalRecord,
        to: Target,
        event_type: &str,
        txn: &str,
        content: &serde_json::Value,
        retried: bool,
    ) -> Result<String, Failure> {
        let m = &self.parts.matrix;
        let mut content = content.clone();
        content[TXN_KEY] = json!(txn);
        if retried && let Some(id) = self.event_with_txn(&portal.room_id, txn).await? {
            info!("an earlier attempt reached the homeserver; not sent again");
            return Ok(id);
        }
        let content = &content;
        let user = match to.voice {
            Voice::Citizen => Some(portal.ghost.as_str()),
            Voice::Office => None,
        };
        let ts = to.ts.map(|s| s * 1000);
        let send = || m.send_at(user, &portal.room_id, event_type, txn, content, ts);
        let sent = send().await;
        // Test-only: the homeserver stored the event but its answer never came back.
        if sent.is_ok()
            && crate::failpoint::fires("ghost.answer_lost", content.to_string().as_bytes())
        {
            return Err(Failure::transient("the homeserver's answer was lost"));
        }
        match sent {
            Err(e) if e.errcode() == Some("M_FORBIDDEN") => {
                warn!("the ghost cannot post in its room; rejoining it");
                if let Err(j) = m.join(&portal.ghost, &portal.room_id).await {
                    warn!("the ghost could not rejoin: {j}");
                    // A passing failure of the join is worth another round; a refusal is not.
                    if crate::bridge::engine::failure::matrix_class(&j)
                        == crate::bridge::engine::failure::Class::Transient
                    {
                        return Err(j.into());
                    }
                }
                Ok(send().await?)
            }
            r => Ok(r?),
        }
    }

    /// The event of the room's latest that carries this transaction id, if any.
    async fn event_with_txn(&self, room_id: &str, txn: &str) -> Result<Option<String>, Failure> {
        let recent = self.parts.matrix.recent_events(room_id, 50).await?;
        Ok(recent
            .iter()
            .find(|e| e["content"][TXN_KEY] == txn)
            .and_then(|e| e["event_id"].as_str())
            .map(str::to_owned))
    }

    /// Fetches the attachment (or builds the contacts' vCard) and uploads it as the ghost.
    /// `None` when there is none, or when WhatsApp cannot give it (the room gets a notice).
    async fn fetch_media(
        &self,
        m: &InboundMessage,
        portal: &PortalRecord,
    ) -> Result<Fetched, Failure> {
        if m.kind == Kind::Contacts {
            let Some((filename, vcf)) = conv::contacts_vcf(m) else {
                return Ok(Fetched::Missing);
            };
            let size = vcf.len() as u64;
            let mxc = self
                .parts
                .matrix
                .upload(
                    Some(&portal.ghost),
                    &filename,
                    "text/vcard",
                    vcf.into_bytes(),
                )
                .await?;
            return Ok(Fetched::Uploaded(Uploaded {
                mxc,
                mime: "text/vcard".into(),
                size,
                filename,
            }));
        }
        let Some(r) = conv::media_ref(m) else {
            return Ok(Fetched::Missing);
        };
        self.fetch_citizen_media(m, &r, portal).await
    }

    /// WhatsApp keeps one reaction per person per message: a new one replaces the old.
    async fn citizen_reaction(
        &self,
        portal: &PortalRecord,
        m: &InboundMessage,
        r: Reaction,
        retried: bool,
    ) -> Result<Vec<Op>, Failure> {
        let store = &self.parts.store;
        let target = match &r {
            Reaction::Add { target, .. } | Reaction::Remove { target } => target.clone(),
        };
        let key = ReactionRef::Citizen(target.expose());
        let mut ops = Vec::new();
        if let Some(old) = store.reaction(key)? {
            self.parts
                .matrix
                .redact(
                    Some(&portal.ghost),
                    &portal.room_id,
                    &old,
                    &txn_id("unreact", &format!("{}|{old}", m.id.expose())),
                )
                .await?;
            ops.push(Store::reaction_delete_op(key));
        }
        let Reaction::Add { emoji, .. } = r else {
            return Ok(ops);
        };
        let Some(t) = store.event_for_wamid(target.expose())? else {
            let text = self.t("reacted_elsewhere", &[("emoji", &emoji)]);
            let content = json!({"msgtype": "m.notice", "body": text});
            self.ghost_send(
                portal,
                "m.room.message",
                &txn_id("wa", m.id.expose()),
                &content,
                retried,
            )
            .await?;
            return Ok(ops);
        };
        let content = json!({"m.relates_to": {"rel_type": "m.annotation", "event_id": t.event_id, "key": emoji}});
        let event_id = self
            .ghost_send(
                portal,
                "m.reaction",
                &txn_id("wa", m.id.expose()),
                &content,
                retried,
            )
            .await?;
        ops.push(Store::reaction_op(key, &event_id));
        Ok(ops)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn media_hash_in_base64_or_hex_must_match() {
        let bytes = b"photo of a pothole";
        let digest = Sha256::digest(bytes);
        assert!(sha256_matches(
            &base64::engine::general_purpose::STANDARD.encode(digest),
            bytes
        ));
        assert!(sha256_matches(&hex::encode(digest), bytes));
        assert!(!sha256_matches(&hex::encode(digest), b"another photo"));
        assert!(!sha256_matches("4654+8g=", bytes));
    }
}
