//! An erasure's part in Matrix, by `privacy.erase_in_matrix`. Either way the portal's alias is
//! deleted (a new conversation gets a new room) and the ghost leaves the room, so nothing said
//! later reaches it. `keep`: the room and its messages stay as the office's record, with a
//! notice that it is no longer linked to anyone. `redact`: every event of the citizen's ghost is
//! redacted (messages, media, reactions, its membership with its name), the earlier room names
//! and topics too, the room renamed; the files stay in the homeserver's media store and are
//! listed for its administrator (an appservice cannot delete media).

use serde_json::{Value, json};

use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::item::{ForgetWork, MatrixOutcome};
use crate::bridge::privacy::Privacy;
use crate::config::EraseInMatrix;
use crate::matrix::txn_id;
use crate::store::Subject;

const PAGE: usize = 100;

/// The `mxc://` files an event carries (the file and its thumbnail).
fn files_of(e: &Value) -> Vec<String> {
    let c = &e["content"];
    [
        &c["url"],
        &c["file"]["url"],
        &c["info"]["thumbnail_url"],
        &c["info"]["thumbnail_file"]["url"],
    ]
    .iter()
    .filter_map(|v| v.as_str())
    .filter(|u| u.starts_with("mxc://"))
    .map(str::to_owned)
    .collect()
}

/// An event the citizen's ghost sent, or an earlier room name or topic (which showed them).
fn to_redact(e: &Value, ghost: &str) -> bool {
    let redacted = e["unsigned"]["redacted_because"].is_object();
    let kind = e["type"].as_str().unwrap_or("");
    let shows_them = matches!(
        kind,
        "m.room.name" | "m.room.topic" | "m.room.canonical_alias"
    );
    !redacted && (e["sender"].as_str() == Some(ghost) || shows_them)
}

impl Privacy {
    pub(super) async fn erase_in_matrix(
        &self,
        s: &Subject,
        w: &ForgetWork,
    ) -> Result<MatrixOutcome, Failure> {
        let (Some(room), Some(ghost)) = (&s.room_id, &s.ghost) else {
            return Ok(MatrixOutcome::default());
        };
        let matrix = &self.parts.matrix;
        let mut out = MatrixOutcome {
            room: true,
            ..MatrixOutcome::default()
        };
        matrix
            .delete_alias(&format!("#{}", ghost.trim_start_matches('@')))
            .await?;
        let stamp = self.parts.config.local_stamp(w.at);
        let notice = match self.parts.config.raw.privacy.erase_in_matrix {
            EraseInMatrix::Keep => self.t("forget_room_kept", &[("when", &stamp)]),
            EraseInMatrix::Redact => {
                self.redact_room(room, ghost, &mut out).await?;
                self.t("forget_room_redacted", &[("when", &stamp)])
            }
        };
        let txn = txn_id("forget-room", &format!("{room}|{}", w.at));
        let content = crate::convert::notice(&notice, None);
        matrix
            .send(None, room, "m.room.message", &txn, &content)
            .await?;
        matrix.leave(ghost, room).await?;
        Ok(out)
    }

    /// Redacts the ghost's events and the room's earlier names, then renames the room and
    /// the ghost.
    async fn redact_room(
        &self,
        room: &str,
        ghost: &str,
        out: &mut MatrixOutcome,
    ) -> Result<(), Failure> {
        let matrix = &self.parts.matrix;
        let reason = self.t("forget_redaction_reason", &[]);
        let mut from: Option<String> = None;
        loop {
            let page = matrix
                .timeline_page(room, from.as_deref(), false, PAGE)
                .await?;
            for e in page.events.iter().filter(|e| to_redact(e, ghost)) {
                let Some(id) = e["event_id"].as_str() else {
                    continue;
                };
                out.media.extend(files_of(e));
                let txn = txn_id("forget-redact", id);
                matrix.redact_because(room, id, &txn, &reason).await?;
                out.redacted += usize::from(e["sender"].as_str() == Some(ghost));
            }
            match page.next {
                Some(next) => from = Some(next),
                None => break,
            }
        }
        let name = self.t("forget_room_name", &[]);
        matrix
            .set_state(room, "m.room.name", "", &json!({ "name": name }))
            .await?;
        matrix
            .set_state(room, "m.room.topic", "", &json!({ "topic": "" }))
            .await?;
        matrix
            .set_state(room, "m.room.canonical_alias", "", &json!({}))
            .await?;
        matrix.set_displayname(ghost, &name).await?;
        Ok(())
    }
}
