//! Statuses of the messages the office sent, as Meta's webhooks give them: the typed
//! [`Status`] (stored and queued by its name), the update with its errors and callback tag,
//! and what Meta charges for the message (`pricing`).

use serde::Deserialize;
use serde_json::Value;

use super::webhook::{Update, int_or_string, str_field};
use crate::ids::{Bsuid, WaId, WaMessageId};

/// A status update about a message the business sent.
#[derive(Debug, Clone)]
pub struct StatusUpdate {
    pub id: WaMessageId,
    pub status: Status,
    pub timestamp: Option<i64>,
    /// The citizen it was sent to (absent on some `failed` statuses).
    pub recipient: Option<WaId>,
    pub recipient_bsuid: Option<Bsuid>,
    pub errors: Vec<Value>,
    /// `biz_opaque_callback_data` echoed from the send (broadcasts tag their sends).
    pub callback: Option<String>,
    /// What Meta charges for the message, as the status says (`pricing`).
    pub pricing: Option<StatusPricing>,
    pub raw: Value,
}

/// A status's `pricing`: `type` (`regular` is charged; `free_customer_service`,
/// `free_entry_point` are not) and the `category` the rate applied (`marketing`, `utility`,
/// `service`, …), as Meta names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusPricing {
    pub kind: String,
    pub category: String,
}

impl StatusPricing {
    /// Charged: `regular` (or, from webhooks before the per-message model, `billable`).
    pub fn charged(&self) -> bool {
        self.kind == "regular"
    }
}

/// Where a message the office sent stands, as Meta's statuses say (`accepted` is the
/// bridge's own first state: the Graph API took the send). Stored and queued as its name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Status {
    Accepted,
    Sent,
    Delivered,
    Read,
    /// A voice message listened to (counted as read).
    Played,
    Failed,
    /// A status Meta may add later: recorded, not acted on.
    Unknown(String),
}

impl Status {
    pub fn as_str(&self) -> &str {
        match self {
            Status::Accepted => "accepted",
            Status::Sent => "sent",
            Status::Delivered => "delivered",
            Status::Read => "read",
            Status::Played => "played",
            Status::Failed => "failed",
            Status::Unknown(s) => s,
        }
    }

    /// Its place in a message's life: accepted < sent < delivered < read (played) < failed;
    /// `None` for an unknown one.
    pub fn rank(&self) -> Option<u8> {
        match self {
            Status::Accepted => Some(0),
            Status::Sent => Some(1),
            Status::Delivered => Some(2),
            Status::Read | Status::Played => Some(3),
            Status::Failed => Some(4),
            Status::Unknown(_) => None,
        }
    }
}

impl From<String> for Status {
    fn from(s: String) -> Status {
        match s.as_str() {
            "accepted" => Status::Accepted,
            "sent" => Status::Sent,
            "delivered" => Status::Delivered,
            "read" => Status::Read,
            "played" => Status::Played,
            "failed" => Status::Failed,
            _ => Status::Unknown(s),
        }
    }
}

impl From<Status> for String {
    fn from(s: Status) -> String {
        s.as_str().to_owned()
    }
}

/// In logs: the status, or `other` for one that is not a plain word.
impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(crate::ids::plain_word(self.as_str()))
    }
}

impl StatusUpdate {
    /// The first error's code and title (`failed` statuses).
    pub fn error(&self) -> Option<(i64, String)> {
        let e = self.errors.first()?;
        let code = e.get("code").and_then(Value::as_i64)?;
        let title = str_field(e, "title")
            .or_else(|| str_field(e, "message"))
            .unwrap_or_default();
        Some((code, title.to_owned()))
    }
}

/// A `statuses[]` item.
pub(super) fn parse_status(s: &Value) -> Update {
    let (Some(id), Some(status)) = (str_field(s, "id"), str_field(s, "status")) else {
        return Update::Bad {
            reason: "status without id or status".into(),
            raw: s.clone(),
        };
    };
    Update::Status(StatusUpdate {
        id: WaMessageId::new(id),
        status: Status::from(status.to_owned()),
        timestamp: int_or_string(s.get("timestamp")),
        recipient: str_field(s, "recipient_id").and_then(WaId::parse),
        recipient_bsuid: str_field(s, "recipient_user_id").and_then(Bsuid::parse),
        errors: s
            .get("errors")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        callback: str_field(s, "biz_opaque_callback_data").map(str::to_owned),
        pricing: s.get("pricing").and_then(|p| {
            let category = str_field(p, "category")?.to_owned();
            let kind = str_field(p, "type").map(str::to_owned).unwrap_or_else(|| {
                // Before 2025-07 (CBP) there was no `type`: `billable` said it.
                match p.get("billable").and_then(Value::as_bool) {
                    Some(false) => "free_customer_service".into(),
                    _ => "regular".into(),
                }
            });
            Some(StatusPricing { kind, category })
        }),
        raw: s.clone(),
    })
}
