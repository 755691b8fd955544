//! Staff → WhatsApp: a queued Matrix event from a portal becomes a Graph API send. Meta has
//! no idempotency key, so the item is marked in flight (committed) before the call; an item
//! found in flight after a crash is reported to staff, never sent twice. Every outcome that
//! is not a delivery becomes a notice replying to the staff message.

use tracing::{error, info, warn};

use super::Bridge;
use super::inbound::txn_id;
use super::work::{NoticeWork, StaffWork, Work};
use super::worker::{Step, Transient};
use crate::config::Signature;
use crate::convert;
use crate::ids::{Bsuid, CitizenKey, WaId, WaMessageId};
use crate::matrix::types::staff_message;
use crate::store::{QueueItem, Store};
use crate::whatsapp::Handling;

/// Transient Graph failures tolerated before the staff member is told it was not sent.
const MAX_ATTEMPTS: u32 = 10;

fn store_err(e: crate::store::StoreError) -> Transient {
    Transient {
        reason: e.to_string(),
        update: None,
    }
}

impl Bridge {
    fn notice_for(&self, s: &StaffWork, text: String) -> Step {
        Step::Then(
            Work::Notice(NoticeWork {
                room_id: s.room_id.clone(),
                text,
                reply_to: Some(s.event_id.clone()),
                txn_id: txn_id("notice", &s.event_id),
            }),
            vec![],
        )
    }

    async fn signature(&self, sender: &str) -> Option<String> {
        let c = &self.inner.config.raw;
        match c.bridge.signature {
            Signature::None => None,
            Signature::Office => Some(c.office.name.clone()),
            Signature::Staff => Some(
                self.inner
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

    pub(super) async fn send_staff_message(
        &self,
        item: &QueueItem,
        mut s: StaffWork,
    ) -> Result<Step, Transient> {
        let store = &self.inner.store;
        if !self.inner.config.is_staff(&s.sender) {
            info!(sender = %s.sender, "message from a non-staff user not relayed");
            let text = format!(
                "Not sent to WhatsApp: {} is not on the office's staff list, so their messages stay in Matrix. \
                 An administrator can add them to office.staff.",
                s.sender
            );
            return Ok(self.notice_for(&s, text));
        }
        let Some(msg) = staff_message(&s.event) else {
            return Ok(Step::Done(vec![]));
        };
        if s.in_flight {
            warn!(event_id = %s.event_id, "a send was interrupted by a restart; its outcome is unknown");
            return Ok(self.notice_for(
                &s,
                "The bridge stopped while sending this message, so it may or may not have reached the citizen. \
                 It was not sent again, to avoid a duplicate: check with the citizen, or send it again."
                    .into(),
            ));
        }
        let signature = self.signature(&s.sender).await;
        let text = match convert::staff_to_whatsapp(&msg, signature.as_deref()) {
            Ok(t) => t,
            Err(refusal) => {
                return Ok(self.notice_for(&s, format!("Not sent to WhatsApp. {refusal}")));
            }
        };
        let portal = store.portal_by_room(&s.room_id).map_err(store_err)?;
        let to = portal.as_ref().and_then(|p| {
            p.phone
                .as_deref()
                .and_then(WaId::parse)
                .map(CitizenKey::Phone)
                .or_else(|| {
                    p.bsuid
                        .as_deref()
                        .and_then(Bsuid::parse)
                        .map(CitizenKey::Bsuid)
                })
        });
        let Some(to) = to else {
            return Ok(self.notice_for(
                &s,
                "Not sent: this room has no WhatsApp number on record.".into(),
            ));
        };
        let reply_to = match &msg.reply_to {
            Some(ev) => store
                .wamid_for_event(ev)
                .map_err(store_err)?
                .map(WaMessageId::new),
            None => None,
        };
        s.in_flight = true;
        store
            .commit(vec![Store::queue_update_op(
                item,
                Work::Staff(s.clone()).to_bytes(),
            )])
            .map_err(store_err)?;
        match self
            .inner
            .graph
            .send_text(&to, &text, reply_to.as_ref())
            .await
        {
            Ok(sent) => {
                info!(event_id = %s.event_id, wamid = %sent.id, "staff message accepted by WhatsApp");
                let mut ops = Store::message_ops(sent.id.expose(), &s.room_id, &s.event_id);
                ops.push(Store::status_op(sent.id.expose(), "accepted"));
                Ok(Step::Done(ops))
            }
            Err(e) => {
                s.in_flight = false;
                match e.handling() {
                    Handling::Retry | Handling::Recipient if s.attempts + 1 < MAX_ATTEMPTS => {
                        s.attempts += 1;
                        Err(Transient {
                            reason: e.to_string(),
                            update: Some(Work::Staff(s)),
                        })
                    }
                    Handling::Retry | Handling::Recipient => Ok(self.notice_for(
                        &s,
                        format!(
                            "Not delivered after {MAX_ATTEMPTS} attempts. {}",
                            e.explain()
                        ),
                    )),
                    h => {
                        if matches!(h, Handling::Halt | Handling::Bug) {
                            error!(event_id = %s.event_id, "WhatsApp refused a send ({h:?}): {}", crate::ids::mask_text(&e.to_string()));
                        } else {
                            warn!(event_id = %s.event_id, "WhatsApp refused a send: {}", crate::ids::mask_text(&e.to_string()));
                        }
                        Ok(self.notice_for(&s, format!("Not delivered. {}", e.explain())))
                    }
                }
            }
        }
    }
}
