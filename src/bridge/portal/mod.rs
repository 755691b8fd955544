//! Portals: each citizen's room and ghost, their identities, citizen → Matrix (with media),
//! staff → WhatsApp, delivery statuses, reads and typing, the 24-hour window and the answers it
//! holds, and the staff invited to every room.

pub(in crate::bridge) mod held;
pub(in crate::bridge) mod identity;
pub(in crate::bridge) mod inbound;
pub(in crate::bridge) mod media;
pub(in crate::bridge) mod outbound;
pub(in crate::bridge) mod read;
pub(in crate::bridge) mod rooms;
pub(in crate::bridge) mod staff;
pub(in crate::bridge) mod status;
pub(in crate::bridge) mod window;
