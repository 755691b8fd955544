//! An erasure's part in Matrix, by `privacy.erase_in_matrix`. Either way the portal's alias is
//! deleted (a new conversation gets a new room) and the ghost leaves the room, so nothing said
//! later reaches it. `keep`: the room and its messages stay as the office's record, with a
//! notice that it is no longer linked to anyone. `redact`: every event of the citizen's ghost is
//! redacted (messages, media, reactions, its membership with its name), the earlier room names
//! and topics too, the room renamed; the files stay in the homeserver's media store and are
//! listed for its administrator (an appservice cannot delete media). A step the homeserver
//! refuses for good is noted for the report and the erasure goes on; a transient failure is
//! retried.

use serde_json::{Value, json};

use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::item::{ForgetWork, MatrixOutcome};
use crate::bridge::privacy::Privacy;
use crate::config::EraseInMatrix;
use crate::matrix::{MatrixError, txn_id};
use crate::store::Subject;

const PAGE: usize = 100;

/// A step done, or refused for good and noted (then the erasure goes on); a transient failure
/// is the item's, retried.
fn tolerate(
    r: Result<(), MatrixError>,
    what: &str,
    out: &mut MatrixOutcome,
) -> Result<(), Failure> {
    match r {
        Ok(()) => Ok(()),
        Err(e) if e.is_transient() => Err(e.into()),
        Err(e) => {
            out.not_done.push(format!("{what}: {e}"));
            Ok(())
        }
    }
}

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
        let alias = format!("#{}", ghost.trim_start_matches('@'));
        let r = matrix.delete_alias(&alias).await;
        tolerate(r, "alias", &mut out)?;
        let stamp = self.parts.config.local_stamp(w.at);
        let notice = match self.parts.config.raw.privacy.erase_in_matrix {
            EraseInMatrix::Keep => self.t("forget_room_kept", &[("when", &stamp)]),
            EraseInMatrix::Redact => {
                let r = self.redact_room(room, ghost, &mut out).await;
                tolerate(r, "redact", &mut out)?;
                self.t("forget_room_redacted", &[("when", &stamp)])
            }
        };
        let txn = txn_id("forget-room", &format!("{room}|{}", w.at));
        let content = crate::convert::notice(&notice, None);
        let r = matrix
            .send(None, room, "m.room.message", &txn, &content)
            .await;
        tolerate(r.map(|_| ()), "notice", &mut out)?;
        tolerate(matrix.leave(ghost, room).await, "leave", &mut out)?;
        Ok(out)
    }

    /// Redacts the ghost's events and the room's earlier names, then renames the room and
    /// the ghost.
    async fn redact_room(
        &self,
        room: &str,
        ghost: &str,
        out: &mut MatrixOutcome,
    ) -> Result<(), MatrixError> {
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
                match matrix.redact_because(room, id, &txn, &reason).await {
                    Ok(()) => out.redacted += usize::from(e["sender"].as_str() == Some(ghost)),
                    Err(e) if e.is_transient() => return Err(e),
                    Err(e) => out.not_done.push(format!("redact: {e}")),
                }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge::engine::failure::Class;

    #[test]
    fn a_refusal_is_noted_and_the_erasure_goes_on_a_transient_failure_is_retried() {
        let mut out = MatrixOutcome::default();
        assert!(tolerate(Ok(()), "leave", &mut out).is_ok());
        let gone = MatrixError::Api {
            status: 403,
            errcode: "M_FORBIDDEN".into(),
            message: "not in room".into(),
        };
        assert!(tolerate(Err(gone), "notice", &mut out).is_ok());
        assert_eq!(out.not_done.len(), 1);
        assert!(out.not_done[0].starts_with("notice: the homeserver answered HTTP 403"));
        let down = MatrixError::Unreachable("connection refused".into());
        let f = tolerate(Err(down), "alias", &mut out).unwrap_err();
        assert_eq!(f.class, Class::Transient);
        assert_eq!(out.not_done.len(), 1);
    }

    #[test]
    fn the_ghost_s_events_and_the_room_s_names_are_redacted_with_their_files() {
        let ghost = "@whatsapp_habc:comune.test";
        let image = json!({"type": "m.room.message", "sender": ghost, "event_id": "$1",
            "content": {"msgtype": "m.image", "url": "mxc://comune.test/a",
                "info": {"thumbnail_url": "mxc://comune.test/t"}}});
        assert!(to_redact(&image, ghost));
        assert_eq!(
            files_of(&image),
            ["mxc://comune.test/a", "mxc://comune.test/t"]
        );
        let name = json!({"type": "m.room.name", "sender": "@sportello:comune.test", "content": {"name": "Anna"}});
        assert!(to_redact(&name, ghost));
        let staff = json!({"type": "m.room.message", "sender": "@mario:comune.test", "content": {"body": "Sì"}});
        assert!(!to_redact(&staff, ghost));
        let done = json!({"type": "m.room.message", "sender": ghost, "unsigned": {"redacted_because": {}}});
        assert!(!to_redact(&done, ghost));
    }
}
