//! A citizen's edits and deletions. On a number that stays on the WhatsApp Business app
//! (coexistence), Meta sends them as messages of type `edit` (within 15 minutes) and `revoke`
//! (within 2 days): an edit replaces the citizen's event in the room (`m.replace`, as their
//! ghost); a deletion redacts it, as WhatsApp removes it for everyone. Neither is a new message:
//! no window, no automatic reply, no change to the conversation. An original the bridge does
//! not know becomes a notice.

use serde_json::json;
use tracing::info;

use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::worker::Step;
use crate::bridge::portal::Portals;
use crate::convert::echo::{edited, replacement};
use crate::matrix::txn_id;
use crate::store::{MessageRef, PortalRecord};
use crate::whatsapp::webhook::InboundMessage;

impl Portals {
    /// The citizen's edit or deletion, if `m` is one.
    pub(in crate::bridge) async fn citizen_change(
        &self,
        portal: &PortalRecord,
        m: &InboundMessage,
        retried: bool,
    ) -> Result<Option<Step>, Failure> {
        let kind = m.kind.as_str();
        let Some(original) = m.raw[kind]["original_message_id"].as_str() else {
            return Ok(None);
        };
        if kind != "edit" && kind != "revoke" {
            return Ok(None);
        }
        let target = self.parts.store.event_for_wamid(original)?;
        let txn = txn_id("wa", m.id.expose());
        let content = match (kind, &target) {
            ("revoke", Some(t)) => {
                self.parts
                    .matrix
                    .redact(Some(&portal.ghost), &t.room_id, &t.event_id, &txn)
                    .await?;
                info!(wamid = %m.id, "the citizen deleted a message; redacted");
                return Ok(Some(Step::Done(vec![])));
            }
            ("revoke", None) => {
                json!({"msgtype": "m.notice", "body": self.t("citizen_revoke_unknown", &[])})
            }
            (_, Some(t)) => self.edit_of(t, &m.raw["edit"]["message"], None).await,
            (_, None) => {
                let new = edited(&m.raw["edit"]["message"], None, None);
                let text = new["body"].as_str().unwrap_or_default();
                json!({"msgtype": "m.text", "body": self.t("citizen_edit_unknown", &[("text", text)])})
            }
        };
        self.ghost_send(portal, "m.room.message", &txn, &content, retried)
            .await?;
        Ok(Some(Step::Done(vec![])))
    }

    /// The event that edits `target` into `new_message` (labelled for the office's); an
    /// attachment keeps its file (read from the event, as the bot).
    pub(in crate::bridge) async fn edit_of(
        &self,
        target: &MessageRef,
        new_message: &serde_json::Value,
        label: Option<&str>,
    ) -> serde_json::Value {
        let before = self
            .parts
            .matrix
            .event(&target.room_id, &target.event_id)
            .await
            .ok()
            .map(|e| e["content"].clone());
        replacement(
            &target.event_id,
            edited(new_message, before.as_ref(), label),
        )
    }
}
