//! The router's Matrix side: an appservice transaction's receipts and typing notices, then
//! its events — staff messages in a portal (to the citizen's queue), commands (to the admin
//! queue, or the citizen's for a portal command), staff leaving a portal — each deduplicated
//! by event id in the routing commit.

use tracing::{debug, info, warn};

use crate::bridge::Bridge;
use crate::bridge::engine::item::{ADMIN_QUEUE, CommandWork, StaffWork, Work};
use crate::bridge::engine::router::Routed;
use crate::ids::CitizenKey;
use crate::matrix::types::{TxnEvent, member_change, parse_ephemeral, parse_transaction};
use crate::store::{InboxEntry, Mark, StoreError};

/// The event types a staff member's action can have that mean something for WhatsApp.
const BRIDGED: [&str; 6] = [
    "m.room.message",
    "m.sticker",
    "m.reaction",
    "m.room.redaction",
    "m.poll.start",
    "org.matrix.msc3381.poll.start",
];

impl Bridge {
    /// Whether a transaction's events ask anything of the bridge. Events that are all its own
    /// (its ghosts' and bot's messages, echoed back by the homeserver) with no membership change
    /// among them are what routing drops one by one (`router_matrix.rs`): such a transaction is
    /// answered without being kept, which spares two durable commits per bridged message.
    pub fn transaction_matters(&self, events: &[serde_json::Value]) -> bool {
        events.iter().any(|e| {
            let own = e["sender"].as_str().is_some_and(|s| self.is_own_user(s));
            e["type"] == "m.room.member" || !own
        })
    }

    pub(in crate::bridge) fn route_transaction(
        &self,
        entry: &InboxEntry,
        r: &mut Routed,
    ) -> Result<(), StoreError> {
        let store = &self.inner.store;
        for e in parse_ephemeral(&entry.body) {
            if let Some((citizen, work)) = self.inner.portals.route_ephemeral(e)? {
                r.push(store, &citizen, &work);
            }
        }
        let events = match parse_transaction(&entry.body) {
            Ok(e) => e,
            Err(e) => {
                warn!(
                    "a transaction from the homeserver could not be read and was kept as a dead letter: {e}"
                );
                let origin = crate::store::Origin::Inbox { matrix: true };
                let (id, op) = store.dead_letter_from_op(&e, &entry.body, Some(origin));
                r.ops.push(op);
                self.report_dead_letter_as(r, "dead_letter_matrix", &e, id);
                return Ok(());
            }
        };
        for ev in events {
            match ev {
                Ok(ev) => self.route_event(ev, r)?,
                Err(e) => warn!("skipped an unreadable event in a transaction: {e}"),
            }
        }
        Ok(())
    }

    fn route_event(&self, ev: TxnEvent, r: &mut Routed) -> Result<(), StoreError> {
        let store = &self.inner.store;
        if let Some(change) = member_change(&ev) {
            return self.inner.portals.route_member_change(&ev, change, r);
        }
        if self.is_own_user(&ev.sender) || !BRIDGED.contains(&ev.event_type.as_str()) {
            return Ok(());
        }
        if !r.first_time(store, Mark::Event(&ev.event_id))? {
            debug!(event_id = %ev.event_id, "event already handled");
            return Ok(());
        }
        if self.inner.admin_room.id().as_deref() == Some(ev.room_id.as_str()) {
            if is_text(&ev) {
                info!(event_id = %ev.event_id, sender = %ev.sender, "admin-room command queued");
                let body = self.command_body(&ev);
                let work = Work::Command(command_work(ev, body, None));
                r.push(store, ADMIN_QUEUE, &work);
            }
            return Ok(());
        }
        let Some(portal) = store.portal_by_room(&ev.room_id)? else {
            debug!(room_id = %ev.room_id, "message outside any portal; ignored");
            return Ok(());
        };
        // A `!command` in a portal is not for the citizen (unless it is a message to them,
        // `!template`).
        if is_text(&ev) {
            let body = self.command_body(&ev);
            if let crate::commands::Line::Command(p) =
                crate::commands::parse(&body, false, crate::bridge::admin::commands::specs())
                && !crate::bridge::admin::commands::command(p.spec).is_staff_message()
            {
                info!(event_id = %ev.event_id, command = p.spec.name, "portal command queued");
                let work = command_work(ev, body, Some(portal.citizen.clone()));
                r.push(store, &portal.citizen.as_str(), &Work::Command(work));
                return Ok(());
            }
        }
        info!(event_id = %ev.event_id, sender = %ev.sender, "staff message queued");
        let work = Work::Staff(StaffWork {
            event_id: ev.event_id,
            room_id: ev.room_id,
            sender: ev.sender,
            event: ev.raw,
            in_flight: false,
            attempts: 0,
        });
        r.push(store, &portal.citizen.as_str(), &work);
        Ok(())
    }

    /// A staff text as a command line: reply fallback removed, the complaints command's alias
    /// read as `!eurp`.
    fn command_body(&self, ev: &TxnEvent) -> String {
        let raw_body = ev.raw["content"]["body"].as_str().unwrap_or("");
        self.command_alias(crate::matrix::types::strip_plain_reply_fallback(raw_body))
    }

    /// `!<autoreply.complaint_command>` is `!eurp` under the name the office chose.
    fn command_alias(&self, body: String) -> String {
        let alias = &self.inner.config.raw.autoreply.complaint_command;
        let Some(rest) = body.trim_start().strip_prefix('!') else {
            return body;
        };
        let (word, tail) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        if alias != "eurp" && word.eq_ignore_ascii_case(alias) {
            format!("!eurp {tail}").trim_end().to_owned()
        } else {
            body
        }
    }
}

fn is_text(ev: &TxnEvent) -> bool {
    ev.event_type == "m.room.message" && ev.raw["content"]["msgtype"] == "m.text"
}

/// The command `body` of the staff event `ev`, as a queue item.
fn command_work(ev: TxnEvent, body: String, citizen: Option<CitizenKey>) -> CommandWork {
    let reply_to = ev.raw["content"]["m.relates_to"]["m.in_reply_to"]["event_id"]
        .as_str()
        .map(str::to_owned);
    let content = &ev.raw["content"];
    let html = (content["format"] == "org.matrix.custom.html")
        .then(|| content["formatted_body"].as_str().map(str::to_owned))
        .flatten();
    CommandWork {
        event_id: ev.event_id,
        room_id: ev.room_id,
        sender: ev.sender,
        body,
        citizen,
        reply_to,
        html,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::bridge::engine::give_up::tests::bridge;

    /// The homeserver echoes back every event the bridge sends: a transaction of only those is
    /// answered without being kept; a staff message or any membership change is kept.
    #[tokio::test]
    async fn only_a_transaction_of_the_bridge_s_own_events_is_not_kept() {
        let (bridge, _) = bridge();
        let server = &bridge.config().raw.homeserver.server_name;
        let ghost = format!("@whatsapp_393331234567:{server}");
        let bot = bridge.config().bot_user_id.clone();
        let message = |sender: &str| {
            json!({"type": "m.room.message", "sender": sender,
            "content": {"msgtype": "m.text", "body": "È aperto?"}})
        };
        let own = vec![message(&ghost), message(&bot)];
        assert!(!bridge.transaction_matters(&own));
        let staff = format!("@mario:{server}");
        assert!(bridge.transaction_matters(&[message(&ghost), message(&staff)]));
        let join = json!({"type": "m.room.member", "sender": ghost, "state_key": ghost,
            "content": {"membership": "join"}});
        assert!(bridge.transaction_matters(&[message(&bot), join]));
        assert!(
            bridge.transaction_matters(&[json!({"type": "m.room.message"})]),
            "no sender"
        );
    }
}
