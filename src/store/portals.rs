//! Portals and what they map: each citizen's portal record (room, ghost, address, window and
//! automatic-reply state), room → citizen, WhatsApp identities → citizen, the wamid ↔ event
//! map, the latest status of outbound messages, and reaction references.

use serde::{Deserialize, Serialize};

use super::{Op, R, Store, StoreError};
use crate::ids::CitizenKey;

/// citizen key → JSON [`PortalRecord`].
pub(super) const PORTALS: &str = "citizen_portal";
/// room id → citizen key.
pub(super) const ROOMS: &str = "roomid_citizen";
/// ghost user id → citizen key (written with every portal record; records from before it are
/// found by the number in their ghost's id).
pub(super) const GHOSTS: &str = "ghostid_citizen";
/// `p:<digits>` | `b:<bsuid>` → citizen key (a citizen seen under another id).
pub(super) const ALIASES: &str = "waidentity_citizen";
/// wamid → JSON {room_id, event_id, at}.
pub(super) const MSG_WA: &str = "wamid_event";
/// event id → wamid.
pub(super) const MSG_MX: &str = "eventid_wamid";
/// outbound wamid → latest status (`sent` < `delivered` < `read`; `failed` terminal), then
/// a 0 byte and the unix seconds it was recorded (absent in records from before 0.2).
pub(super) const STATUS: &str = "wamid_status";
/// `c:<target wamid>` (the citizen's reaction to it) | `s:<staff reaction event id>` →
/// the reaction's event id (citizen side) or the target wamid (staff side).
pub(super) const REACTIONS: &str = "reaction_ref";

pub(super) const PORTAL_TABLES: [&str; 8] = [
    PORTALS, ROOMS, GHOSTS, ALIASES, MSG_WA, MSG_MX, STATUS, REACTIONS,
];

/// A reaction the bridge remembers: the citizen's reaction to a message of the office
/// (→ its Matrix event id), or a staff member's reaction event (→ the wamid it reacts to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReactionRef<'a> {
    /// The citizen's reaction to the message `wamid`.
    Citizen(&'a str),
    /// The staff reaction event with this id.
    Staff(&'a str),
}

impl ReactionRef<'_> {
    fn key(&self) -> String {
        match self {
            ReactionRef::Citizen(wamid) => format!("c:{wamid}"),
            ReactionRef::Staff(event_id) => format!("s:{event_id}"),
        }
    }
}

/// The latest status of a message the office sent (schema 2; schema 1 kept the name and the
/// time as bytes, see `migrate.rs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusRecord {
    pub status: String,
    /// When it was recorded (Unix seconds): statuses are kept 30 days from it.
    pub at: u64,
    /// What Meta charges for the message, as its statuses said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Priced>,
}

/// A status's `pricing`: its `type` (`regular` is charged) and `category`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Priced {
    #[serde(rename = "type")]
    pub kind: String,
    pub category: String,
}

/// A citizen's portal: their room and ghost, and what the bridge knows of their messages.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PortalRecord {
    /// Whose portal it is (stored in its store form).
    pub citizen: CitizenKey,
    pub room_id: String,
    pub ghost: String,
    pub profile_name: Option<String>,
    pub phone: Option<String>,
    pub bsuid: Option<String>,
    /// The citizen's latest message (for typing indicators) and its time (unix seconds).
    #[serde(default)]
    pub last_inbound: Option<String>,
    #[serde(default)]
    pub last_inbound_at: Option<i64>,
    /// The window end the room topic shows; `None` when it shows the window closed.
    #[serde(default)]
    pub topic_until: Option<i64>,
    /// The citizen got the first-contact welcome (records older than it count as welcomed).
    #[serde(default = "welcomed_default")]
    pub welcomed: bool,
    /// The closed period (its next opening, unix seconds) the citizen was last told about.
    #[serde(default)]
    pub closed_told: Option<i64>,
    /// When a staff message last went to this citizen (unix seconds).
    #[serde(default)]
    pub last_staff_at: Option<i64>,
    /// The day (office time, YYYY-MM-DD) the citizen last got the complaints redirect.
    #[serde(default)]
    pub complaint_told: Option<String>,
    /// Staff who left the room, or whose invite failed: invited again when the citizen
    /// next writes (see `bridge/portal/staff.rs`).
    #[serde(default)]
    pub staff_missing: Vec<String>,
    /// When the citizen last wrote from an ad or a Page's call to action (a free entry point:
    /// Meta charges nothing for 72 hours once the office answers within 24).
    #[serde(default)]
    pub entry_point_at: Option<i64>,
    /// The conversation line the room topic shows (see `bridge/helpdesk`).
    #[serde(default)]
    pub topic_conversation: Option<String>,
    /// The sub-space (shelf) the room is in: `to_answer`, `in_progress`, `closed`.
    #[serde(default)]
    pub shelf: Option<String>,
    /// `profile_name` came from the office phone's contacts, not from the citizen's WhatsApp
    /// profile (which replaces it when it comes).
    #[serde(default)]
    pub named_by_contacts: bool,
}

fn welcomed_default() -> bool {
    true
}

impl PortalRecord {
    /// A new portal: its room and ghost, nothing known yet about the citizen's messages.
    pub fn new(citizen: &CitizenKey, room_id: &str, ghost: &str) -> PortalRecord {
        PortalRecord {
            citizen: citizen.clone(),
            room_id: room_id.to_owned(),
            ghost: ghost.to_owned(),
            profile_name: None,
            phone: None,
            bsuid: None,
            last_inbound: None,
            last_inbound_at: None,
            topic_until: None,
            welcomed: false,
            closed_told: None,
            last_staff_at: None,
            complaint_told: None,
            staff_missing: Vec::new(),
            entry_point_at: None,
            topic_conversation: None,
            shelf: None,
            named_by_contacts: false,
        }
    }

    /// Where the citizen is reached now: the phone number when known (the newest one after a
    /// number change), else the business-scoped id.
    pub fn address(&self) -> Option<crate::ids::CitizenKey> {
        use crate::ids::{Bsuid, CitizenKey, WaId};
        let phone = self.phone.as_deref().and_then(WaId::parse);
        phone.map(CitizenKey::Phone).or_else(|| {
            let bsuid = self.bsuid.as_deref().and_then(Bsuid::parse);
            bsuid.map(CitizenKey::Bsuid)
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MessageRef {
    pub room_id: String,
    pub event_id: String,
    /// When it was recorded (unix seconds; 0 in records from before retention was kept).
    #[serde(default)]
    pub at: u64,
}

impl Store {
    /// Up to `limit` portals after the citizen key `after`, in key order (the window sweeper
    /// reads them page by page).
    pub fn portals_page(&self, after: Option<&str>, limit: usize) -> R<Vec<PortalRecord>> {
        let start = after
            .map(|a| [a.as_bytes(), &[0]].concat())
            .unwrap_or_default();
        self.kv
            .scan_from(PORTALS, b"", &start, limit)?
            .into_iter()
            .map(|(_, v)| serde_json::from_slice(&v).map_err(StoreError::corrupt))
            .collect()
    }

    // ---- identities and portals

    /// The citizen key a WhatsApp identity (`p:<digits>` / `b:<bsuid>`) belongs to.
    pub fn citizen_for_identity(&self, identity: &str) -> R<Option<String>> {
        Ok(self
            .kv
            .get(ALIASES, identity.as_bytes())?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    pub fn identity_op(identity: &str, citizen: &str) -> Op {
        Op::put(ALIASES, identity.as_bytes(), citizen.as_bytes())
    }

    pub fn portal(&self, citizen: &str) -> R<Option<PortalRecord>> {
        self.kv
            .get(PORTALS, citizen.as_bytes())?
            .map(|v| serde_json::from_slice(&v).map_err(StoreError::corrupt))
            .transpose()
    }

    pub fn portal_by_room(&self, room_id: &str) -> R<Option<PortalRecord>> {
        match self.kv.get(ROOMS, room_id.as_bytes())? {
            Some(c) => self.portal(&String::from_utf8_lossy(&c)),
            None => Ok(None),
        }
    }

    pub fn portal_ops(p: &PortalRecord) -> Vec<Op> {
        vec![
            Op::put(
                PORTALS,
                p.citizen.as_str().into_bytes(),
                serde_json::to_vec(p).expect("serialisable"),
            ),
            Op::put(ROOMS, p.room_id.as_bytes(), p.citizen.as_str().into_bytes()),
            Op::put(GHOSTS, p.ghost.as_bytes(), p.citizen.as_str().into_bytes()),
        ]
    }

    /// Only the record of a portal whose room and ghost are already indexed (a citizen's
    /// message, the hot path: two tables fewer in its commit).
    pub fn portal_record_op(p: &PortalRecord) -> Op {
        Op::put(
            PORTALS,
            p.citizen.as_str().into_bytes(),
            serde_json::to_vec(p).expect("serialisable"),
        )
    }

    /// Forgets a ghost id (one replaced by a new ghost).
    pub fn ghost_forget_op(ghost: &str) -> Op {
        Op::delete(GHOSTS, ghost.as_bytes())
    }

    /// The citizen whose ghost this is, when the bridge made it.
    pub fn citizen_for_ghost(&self, ghost: &str) -> R<Option<String>> {
        Ok(self
            .kv
            .get(GHOSTS, ghost.as_bytes())?
            .map(|c| String::from_utf8_lossy(&c).into_owned()))
    }

    // ---- message map

    pub fn message_ops(wamid: &str, room_id: &str, event_id: &str) -> Vec<Op> {
        let r = MessageRef {
            room_id: room_id.into(),
            event_id: event_id.into(),
            at: super::now_secs(),
        };
        vec![
            Op::put(
                MSG_WA,
                wamid.as_bytes(),
                serde_json::to_vec(&r).expect("serialisable"),
            ),
            Op::put(MSG_MX, event_id.as_bytes(), wamid.as_bytes()),
        ]
    }

    pub fn event_for_wamid(&self, wamid: &str) -> R<Option<MessageRef>> {
        self.kv
            .get(MSG_WA, wamid.as_bytes())?
            .map(|v| serde_json::from_slice(&v).map_err(StoreError::corrupt))
            .transpose()
    }

    pub fn wamid_for_event(&self, event_id: &str) -> R<Option<String>> {
        Ok(self
            .kv
            .get(MSG_MX, event_id.as_bytes())?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    // ---- outbound status

    /// The latest status's name of a message the office sent.
    pub fn status(&self, wamid: &str) -> R<Option<String>> {
        Ok(self.status_record(wamid)?.map(|r| r.status))
    }

    /// The latest status of a message the office sent, with when and Meta's pricing.
    pub fn status_record(&self, wamid: &str) -> R<Option<StatusRecord>> {
        self.kv
            .get(STATUS, wamid.as_bytes())?
            .map(|v| serde_json::from_slice(&v).map_err(StoreError::corrupt))
            .transpose()
    }

    /// A status recorded now.
    pub fn status_record_of(status: &str, pricing: Option<Priced>) -> StatusRecord {
        StatusRecord {
            status: status.to_owned(),
            at: super::now_secs(),
            pricing,
        }
    }

    pub fn status_op(wamid: &str, status: &str, pricing: Option<Priced>) -> Op {
        Self::status_record_op(wamid, &Self::status_record_of(status, pricing))
    }

    pub fn status_record_op(wamid: &str, record: &StatusRecord) -> Op {
        Op::put(
            STATUS,
            wamid.as_bytes(),
            serde_json::to_vec(record).unwrap_or_default(),
        )
    }

    // ---- reactions

    pub fn reaction(&self, r: ReactionRef<'_>) -> R<Option<String>> {
        Ok(self
            .kv
            .get(REACTIONS, r.key().as_bytes())?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    pub fn reaction_op(r: ReactionRef<'_>, value: &str) -> Op {
        Op::put(REACTIONS, r.key().as_bytes(), value.as_bytes())
    }

    pub fn reaction_delete_op(r: ReactionRef<'_>) -> Op {
        Op::delete(REACTIONS, r.key().as_bytes())
    }
}
