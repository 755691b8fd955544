//! The bridge's own behaviour (`[bridge]`): room names, the staff signature, retries and
//! when to give up, the stall alert, media and flood limits, with their defaults.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Signature {
    None,
    Office,
    Staff,
}

/// How ghosts and portal aliases are named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum GhostIds {
    /// `@whatsapp_393331234567`: the number, readable by any user of the homeserver (the form
    /// of installs made before hashed ids existed, so a config without the key keeps it).
    #[default]
    Number,
    /// `@whatsapp_h3f9c…`: a keyed hash of the citizen, which tells nothing without the
    /// bridge's store (new configs).
    Hashed,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Bridge {
    #[serde(default = "d_room_name")]
    pub room_name_template: String,
    /// How ghosts and portal aliases are named (`number` when the key is absent).
    #[serde(default)]
    pub ghost_ids: GhostIds,
    #[serde(default = "d_signature")]
    pub signature: Signature,
    #[serde(default = "d_space")]
    pub space_name: String,
    #[serde(default = "d_retry")]
    pub retry_max_secs: u64,
    #[serde(default = "d_true")]
    pub mark_read: bool,
    /// How long an item failing for a passing reason is retried before it is given up
    /// (`"6h"`, `"90m"`: see [`parse_span`]).
    #[serde(default = "d_give_up")]
    pub give_up_after: String,
    /// A notice in the admin room when a queue's head item is older than this.
    #[serde(default = "d_stall")]
    pub stall_alert_minutes: u64,
    /// The largest citizen file passed on (MB); the homeserver's own limit applies too.
    #[serde(default = "d_max_media")]
    pub max_media_mb: u64,
    /// Portals (rooms) created per minute at most, however many new citizens write.
    #[serde(default = "d_new_portals")]
    pub new_portals_per_minute: u64,
    /// Items processed at once over every citizen's queue.
    #[serde(default = "d_busy")]
    pub max_busy_workers: u64,
}

impl Default for Bridge {
    fn default() -> Self {
        Bridge {
            room_name_template: d_room_name(),
            ghost_ids: GhostIds::Number,
            signature: d_signature(),
            space_name: d_space(),
            retry_max_secs: d_retry(),
            mark_read: true,
            give_up_after: d_give_up(),
            stall_alert_minutes: d_stall(),
            max_media_mb: d_max_media(),
            new_portals_per_minute: d_new_portals(),
            max_busy_workers: d_busy(),
        }
    }
}

impl Bridge {
    /// What is wrong with `[bridge]` (one sentence each).
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if !self.room_name_template.contains('{') {
            p.push("bridge.room_name_template should contain {name} or {number}, or every room has the same name.".into());
        }
        if self.retry_max_secs == 0 {
            p.push("bridge.retry_max_secs must be at least 1.".into());
        }
        if parse_span(&self.give_up_after).is_none_or(|d| d.as_secs() < 60) {
            p.push(format!(
                "bridge.give_up_after is {:?}: write at least one minute as a number and a unit, like \"6h\" or \"90m\".",
                self.give_up_after
            ));
        }
        if self.new_portals_per_minute == 0 || self.max_busy_workers == 0 {
            p.push(
                "bridge.new_portals_per_minute and bridge.max_busy_workers must be at least 1."
                    .into(),
            );
        }
        if self.max_media_mb == 0 {
            p.push("bridge.max_media_mb must be at least 1.".into());
        }
        if self.stall_alert_minutes == 0 {
            p.push("bridge.stall_alert_minutes must be at least 1.".into());
        }
        p
    }

    /// `give_up_after` as a duration (validated at load, so the fallback is never used).
    pub fn give_up_after(&self) -> std::time::Duration {
        parse_span(&self.give_up_after).unwrap_or(std::time::Duration::from_secs(6 * 3600))
    }
}

/// A span written for people: a whole number followed by `s`, `m`, `h` or `d` (`"6h"`).
pub fn parse_span(s: &str) -> Option<std::time::Duration> {
    let s = s.trim();
    let unit = s.chars().last()?;
    let n: u64 = s[..s.len() - unit.len_utf8()].trim().parse().ok()?;
    let secs = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86400,
        _ => return None,
    };
    n.checked_mul(secs).map(std::time::Duration::from_secs)
}

fn d_room_name() -> String {
    "{name} ({number})".into()
}
fn d_signature() -> Signature {
    Signature::None
}
fn d_space() -> String {
    "WhatsApp".into()
}
fn d_retry() -> u64 {
    60
}
fn d_give_up() -> String {
    "6h".into()
}
fn d_stall() -> u64 {
    10
}
fn d_max_media() -> u64 {
    100
}
fn d_new_portals() -> u64 {
    60
}
fn d_busy() -> u64 {
    32
}
fn d_true() -> bool {
    true
}
