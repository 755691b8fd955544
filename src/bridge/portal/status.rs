//! Delivery status back to staff. Element shows read receipts as avatars under a message, so:
//! `delivered` → a read receipt from the bridge's bot (the office's avatar: "reached the
//! phone"); `read`/`played` → a read receipt from the citizen's ghost (their avatar: "the
//! citizen has seen it"); `failed` → a notice replying to the message with the code, Meta's
//! title and what it means. No status ever posts a visible message unless it failed.

use tracing::{debug, info};

use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::item::{NoticeWork, StaffWork, StatusWork, Work};
use crate::bridge::engine::worker::Step;
use crate::bridge::portal::Portals;
use crate::whatsapp::error::explain_failed_status;
use crate::whatsapp::webhook::Status;

impl Portals {
    pub(in crate::bridge) async fn show_status(&self, st: StatusWork) -> Result<Step, Failure> {
        let store = &self.parts.store;
        let Some(msg) = store.event_for_wamid(&st.wamid)? else {
            debug!("status for an unknown message; nothing to show");
            return Ok(Step::Done(vec![]));
        };
        let Some(portal) = store.portal_by_room(&msg.room_id)? else {
            return Ok(Step::Done(vec![]));
        };
        match st.status {
            Status::Delivered => {
                self.parts
                    .matrix
                    .receipt(None, &msg.room_id, &msg.event_id)
                    .await?
            }
            Status::Read | Status::Played => {
                self.parts
                    .matrix
                    .receipt(Some(&portal.ghost), &msg.room_id, &msg.event_id)
                    .await?
            }
            Status::Failed => {
                let (code, title) = st.error.clone().unwrap_or((0, String::new()));
                info!(event_id = %msg.event_id, code, "WhatsApp reports a message as failed");
                // Accepted, then refused because the window had closed: hold it like a
                // message written outside the window, so the citizen's reply releases it.
                if code == 131047
                    && let Ok(event) = self.parts.matrix.event(&msg.room_id, &msg.event_id).await
                    && let Some(sender) = event["sender"].as_str()
                {
                    let staff = StaffWork {
                        event_id: msg.event_id.clone(),
                        room_id: msg.room_id.clone(),
                        sender: sender.to_owned(),
                        event,
                        in_flight: false,
                        attempts: 0,
                    };
                    return Ok(self.hold(&staff, &portal.citizen.as_str()));
                }
                let why = explain_failed_status(code, &title, &self.parts.texts);
                let text = self.t("not_delivered", &[("reason", &why)]);
                let notice = NoticeWork::reply(&msg.room_id, &msg.event_id, "failed", text);
                return Ok(Step::Then(Work::Notice(notice), vec![]));
            }
            _ => {}
        }
        Ok(Step::Done(vec![]))
    }
}
