//! `[coexistence]`: the office's number also stays on the WhatsApp Business app (Meta's
//! "coexistence"): what the phone sends appears in the rooms, the chats shared at onboarding
//! are imported, and broadcasts keep under the lower throughput of such numbers.

use serde::{Deserialize, Serialize};

/// Meta's throughput for a coexistence number: messages per second, in and out together.
pub const COEXISTENCE_MPS: u32 = 20;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Coexistence {
    /// The number is on the WhatsApp Business app too: broadcasts are paced at 20 per second
    /// at most.
    #[serde(default)]
    pub enabled: bool,
    /// Names from the phone's contacts (`smb_app_state_sync`) name the ghosts of citizens who
    /// have no WhatsApp profile name yet.
    #[serde(default = "yes")]
    pub contact_names: bool,
}

fn yes() -> bool {
    true
}

impl Default for Coexistence {
    fn default() -> Self {
        Coexistence {
            enabled: false,
            contact_names: true,
        }
    }
}
