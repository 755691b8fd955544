//! Texts staff send with a command instead of typing them: `!eurp` (the complaints app's
//! address; the name is configurable), `!reply <name>` (a configured `[replies.<name>]`),
//! `!replies` (the list). They go out through the citizen's queue as if the staff member had
//! written them, so the window, retries and failure notices apply as to any answer.

use serde_json::json;

use super::Bridge;
use super::admin::Reply;
use super::failure::Failure;
use super::work::{CommandWork, StaffWork, Work};
use crate::commands::{Parsed, html_table};
use crate::store::now_secs;

impl Bridge {
    /// Queues `text` to the citizen as a staff message from the command's sender.
    pub(super) fn queue_as_staff(
        &self,
        citizen: &str,
        room_id: &str,
        c: &CommandWork,
        text: &str,
    ) -> Result<(), Failure> {
        let event = json!({
            "type": "m.room.message",
            "event_id": c.event_id,
            "room_id": room_id,
            "sender": c.sender,
            "origin_server_ts": now_secs() * 1000,
            "content": {"msgtype": "m.text", "body": text},
        });
        let work = Work::Staff(StaffWork {
            event_id: c.event_id.clone(),
            room_id: room_id.to_owned(),
            sender: c.sender.clone(),
            event,
            in_flight: false,
            attempts: 0,
        });
        let store = &self.inner.store;
        store.commit(vec![store.queue_push_op(citizen, &work.to_bytes())])?;
        self.kick(citizen.to_owned());
        Ok(())
    }

    /// The complaints redirect, as the automatic reply and `!eurp` send it.
    pub(super) fn complaints_text(&self) -> Option<String> {
        match self.inner.config.raw.autoreply.complaints_url.as_str() {
            "" => None,
            url => Some(self.t("auto_complaint", &[("url", url)])),
        }
    }

    pub(super) fn canned(&self, p: &Parsed, c: &CommandWork) -> Result<Reply, Failure> {
        let replies = &self.inner.config.raw.replies;
        if p.spec.name == "replies" {
            if replies.is_empty() {
                return Ok(Reply::text(self.t("replies_none", &[])));
            }
            let rows: Vec<Vec<String>> = replies
                .iter()
                .map(|(k, v)| vec![format!("!reply {k}"), v.text.clone()])
                .collect();
            let list: Vec<String> = rows.iter().map(|r| r.join(" — ")).collect();
            return Ok(Reply {
                text: self.t("replies_list", &[("list", &list.join("\n"))]),
                html: Some(html_table(&["command", "text"], &rows)),
                ops: vec![],
            });
        }
        let text = if p.spec.name == "eurp" {
            match self.complaints_text() {
                Some(t) => t,
                None => return Ok(Reply::text(self.t("eurp_none", &[]))),
            }
        } else {
            let name = p.args.trim();
            match replies.get(name) {
                Some(r) => r.text.clone(),
                None => {
                    let names: Vec<&str> = replies.keys().map(String::as_str).collect();
                    return Ok(Reply::text(self.t(
                        "reply_unknown",
                        &[("name", name), ("names", &names.join(", "))],
                    )));
                }
            }
        };
        let (Some(citizen), Some(portal)) = (
            c.citizen.as_deref(),
            match c.citizen.as_deref() {
                Some(ci) => self.inner.store.portal(ci)?,
                None => None,
            },
        ) else {
            return Ok(Reply::text(
                self.t("cmd_wrong_place", &[("name", p.spec.name)]),
            ));
        };
        self.queue_as_staff(citizen, &portal.room_id, c, &text)?;
        Ok(Reply::text(self.t("canned_queued", &[("text", &text)])))
    }
}
