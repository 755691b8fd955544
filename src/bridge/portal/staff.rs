//! Staff in citizen rooms: every office member is invited to every portal, and one who is not
//! there when a citizen writes is invited back. A staff member who leaves a portal (or declines
//! its invite, or is kicked) is noted from their leave event, and the room is told; an invite
//! that failed when the room was made is noted the same way. The next message the citizen
//! writes invites them again — one attempt per message, so nobody is chased in a loop, and a
//! citizen's question never sits in a room no one from the office is in. A ban is left alone:
//! it is an office decision, not an accident.

use tracing::{info, warn};

use crate::bridge::engine::failure::{Class, Failure, matrix_class};
use crate::bridge::engine::item::{NoticeWork, Work};
use crate::bridge::engine::router::Routed;
use crate::bridge::engine::worker::Step;
use crate::bridge::portal::Portals;
use crate::ids::CitizenKey;
use crate::matrix::MatrixError;
use crate::matrix::txn_id;
use crate::matrix::types::{Membership, TxnEvent};
use crate::store::{Mark, PortalRecord, Store, StoreError};

/// What a noted staff member turned out to be when the citizen wrote.
#[derive(Debug, PartialEq)]
enum Found {
    /// Back in the room (joined, or already invited).
    Present,
    /// Not there: to be invited.
    Away,
    /// Banned, or no longer office staff: not invited.
    LeftAlone,
}

impl Portals {
    /// Invites every office member to a new room. Returns those whose invite failed, to be
    /// invited again later.
    pub(in crate::bridge) async fn invite_staff(
        &self,
        room_id: &str,
        subject: &str,
    ) -> Vec<String> {
        let mut failed = Vec::new();
        for s in self.parts.config.all_staff() {
            if let Err(e) = self.invite_one(room_id, &s, subject).await {
                warn!(staff = %s, "could not invite a staff member; to be tried again: {e}");
                failed.push(s);
            }
        }
        failed
    }

    /// One invite. `subject` (the citizen key, or "space") names it for the test-only fail
    /// point, which makes the homeserver's answer a passing failure.
    async fn invite_one(
        &self,
        room_id: &str,
        user: &str,
        subject: &str,
    ) -> Result<(), MatrixError> {
        if crate::failpoint::fires("staff.invite", format!("{subject} → {user}").as_bytes()) {
            return Err(MatrixError::Unreachable(
                "the invite failed (fail point)".into(),
            ));
        }
        self.parts.matrix.invite(room_id, user).await
    }

    /// Router: a staff member left a portal (or declined or was kicked) — their citizen's
    /// worker notes it, in order with the citizen's messages.
    pub(in crate::bridge) fn route_member_change(
        &self,
        ev: &TxnEvent,
        (user, membership): (String, Membership),
        r: &mut Routed,
    ) -> Result<(), StoreError> {
        if membership != Membership::Leave || !self.parts.config.all_staff().contains(&user) {
            return Ok(());
        }
        let store = &self.parts.store;
        let Some(portal) = store.portal_by_room(&ev.room_id)? else {
            return Ok(());
        };
        if portal.staff_missing.contains(&user)
            || !r.first_time(store, Mark::Event(&ev.event_id))?
        {
            return Ok(());
        }
        info!(staff = %user, room_id = %ev.room_id, "a staff member left a citizen's room");
        let work = Work::StaffLeft {
            user,
            event_id: ev.event_id.clone(),
        };
        r.push(store, &portal.citizen.as_str(), &work);
        Ok(())
    }

    /// Worker: notes that `user` left the citizen's room and tells whoever is still in it.
    pub(in crate::bridge) fn staff_left(
        &self,
        citizen: &CitizenKey,
        user: &str,
        event_id: &str,
    ) -> Result<Step, Failure> {
        let Some(mut p) = self.parts.store.portal(&citizen.as_str())? else {
            return Ok(Step::Done(vec![]));
        };
        if p.staff_missing.iter().any(|u| u == user) {
            return Ok(Step::Done(vec![]));
        }
        p.staff_missing.push(user.to_owned());
        let notice = NoticeWork {
            room_id: p.room_id.clone(),
            text: self.t("staff_left", &[("who", user)]),
            html: None,
            reply_to: None,
            txn_id: txn_id("left", event_id),
        };
        Ok(Step::Then(Work::Notice(notice), Store::portal_ops(&p)))
    }

    /// The citizen wrote: staff noted as missing from the room are invited back. Never fails
    /// the message: who cannot be invited now stays noted for the next one.
    pub(in crate::bridge) async fn invite_back(&self, portal: &mut PortalRecord) {
        if portal.staff_missing.is_empty() {
            return;
        }
        let staff = self.parts.config.all_staff();
        let mut still = Vec::new();
        for user in std::mem::take(&mut portal.staff_missing) {
            let found = if staff.contains(&user) {
                self.staff_found(&portal.room_id, &user).await
            } else {
                Ok(Found::LeftAlone)
            };
            match found {
                Ok(Found::Present | Found::LeftAlone) => {}
                Ok(Found::Away) => match self
                    .invite_one(&portal.room_id, &user, &portal.citizen.as_str())
                    .await
                {
                    Ok(()) => {
                        info!(staff = %user, room_id = %portal.room_id, "staff member invited back: the citizen wrote")
                    }
                    Err(e) if matrix_class(&e) == Class::Transient => {
                        warn!(staff = %user, "could not invite a staff member back yet: {e}");
                        still.push(user);
                    }
                    Err(e) => {
                        warn!(staff = %user, "the homeserver refused to invite a staff member back: {e}")
                    }
                },
                Err(f) => {
                    warn!(staff = %user, "could not read a staff member's membership yet: {}", f.reason);
                    still.push(user);
                }
            }
        }
        portal.staff_missing = still;
    }

    /// `user`'s membership of the room, as the bot reads it.
    async fn staff_found(&self, room_id: &str, user: &str) -> Result<Found, Failure> {
        match self
            .parts
            .matrix
            .state(room_id, "m.room.member", user)
            .await
        {
            Ok(content) => Ok(match content["membership"].as_str() {
                Some("join" | "invite") => Found::Present,
                Some("ban") => Found::LeftAlone,
                _ => Found::Away,
            }),
            Err(e) if e.errcode() == Some("M_NOT_FOUND") => Ok(Found::Away),
            Err(e) => Err(e.into()),
        }
    }
}
