//! An echo in the citizen's room: a message the office sent from the WhatsApp Business app is
//! posted as the office (the bot), marked as from the app, with its attachment; it counts as a
//! staff answer (the conversation is answered, automatic replies keep quiet). An edit replaces
//! the event it changes; a deletion redacts it; either, for a message the bridge does not know,
//! becomes a notice. WhatsApp's 24-hour window is not touched: Meta opens and extends it only
//! for the citizen's messages.

use serde_json::json;
use tracing::info;

use crate::bridge::coexistence::Coexistence;
use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::item::{EchoItem, EchoWork};
use crate::bridge::engine::worker::Step;
use crate::bridge::helpdesk::state::Event;
use crate::bridge::portal::inbound::{Post, Target, Voice};
use crate::convert::echo::{edited, from_the_app};
use crate::ids::CitizenKey;
use crate::matrix::txn_id;
use crate::store::{FROM_PHONE, Op, PortalRecord, Store};
use crate::whatsapp::coexistence::as_message;

const OFFICE: Target = Target {
    voice: Voice::Office,
    ts: None,
};

impl Coexistence {
    pub(in crate::bridge) async fn deliver_echo(
        &self,
        key: &CitizenKey,
        e: EchoWork,
        retried: bool,
    ) -> Result<Step, Failure> {
        let mut portal = self.portal(key).await?;
        let ops = match e.item {
            EchoItem::Message { raw } => {
                self.sent_from_app(&mut portal, &e.wamid, e.timestamp, raw, retried)
                    .await?
            }
            EchoItem::Edit { original, raw } => {
                self.edited_in_app(&portal, &e.wamid, &original, &raw, retried)
                    .await?;
                vec![]
            }
            EchoItem::Revoke { original } => {
                self.revoked_in_app(&portal, &e.wamid, &original, retried)
                    .await?;
                vec![]
            }
        };
        Ok(Step::Done(ops))
    }

    async fn sent_from_app(
        &self,
        portal: &mut PortalRecord,
        wamid: &str,
        timestamp: Option<i64>,
        raw: serde_json::Value,
        retried: bool,
    ) -> Result<Vec<Op>, Failure> {
        let m = as_message(wamid, timestamp, raw);
        let label = self.t("echo_label", &[]);
        let post = Post {
            voice: Voice::Office,
            ts: None,
            keyword: false,
            retried,
        };
        let first = self
            .portals
            .post_as(portal, &m, post, |evs| from_the_app(evs, &label))
            .await?;
        let mut ops = Vec::new();
        if let Some(event_id) = &first {
            info!(wamid = %m.id, %event_id, kind = %m.kind, "message from the WhatsApp Business app bridged");
            self.parts.metrics.bridged("from_app", m.kind.label());
            ops.extend(Store::message_ops(wamid, &portal.room_id, event_id));
        }
        // An answer, as one from Element would be: automatic replies keep quiet.
        let now = self.parts.clock.unix() as i64;
        portal.last_staff_at = Some(timestamp.unwrap_or(now).min(now));
        portal.welcomed = true;
        ops.extend(Store::portal_ops(portal));
        ops.extend(self.portals.note_in_conversation(
            portal,
            Event::StaffAnswered,
            FROM_PHONE,
            wamid,
        )?);
        Ok(ops)
    }

    async fn edited_in_app(
        &self,
        portal: &PortalRecord,
        wamid: &str,
        original: &str,
        raw: &serde_json::Value,
        retried: bool,
    ) -> Result<(), Failure> {
        let label = self.t("echo_label", &[]);
        let txn = txn_id("wa", wamid);
        let content = match self.parts.store.event_for_wamid(original)? {
            Some(target) => self.portals.edit_of(&target, raw, Some(&label)).await,
            None => {
                let text = edited(raw, None, None)["body"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                json!({"msgtype": "m.notice", "body": self.t("echo_edit_unknown", &[("text", &text)])})
            }
        };
        self.portals
            .send_in_room(portal, OFFICE, "m.room.message", &txn, &content, retried)
            .await?;
        Ok(())
    }

    async fn revoked_in_app(
        &self,
        portal: &PortalRecord,
        wamid: &str,
        original: &str,
        retried: bool,
    ) -> Result<(), Failure> {
        let txn = txn_id("wa", wamid);
        match self.parts.store.event_for_wamid(original)? {
            Some(target) => {
                let reason = self.t("echo_revoked", &[]);
                self.parts
                    .matrix
                    .redact_because(&target.room_id, &target.event_id, &txn, &reason)
                    .await?;
            }
            None => {
                let content =
                    json!({"msgtype": "m.notice", "body": self.t("echo_revoke_unknown", &[])});
                self.portals
                    .send_in_room(portal, OFFICE, "m.room.message", &txn, &content, retried)
                    .await?;
            }
        }
        Ok(())
    }
}
