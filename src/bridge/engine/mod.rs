//! The engine: the router and its thread (deliveries → one durable, ordered queue per citizen), the
//! workers (one per citizen with waiting work), the failure classes and the supervisor that
//! gives items up, the stall watch, the pace of room creations and the retention sweep.

pub(in crate::bridge) mod admin_room;
pub(in crate::bridge) mod command;
pub(in crate::bridge) mod failure;
pub(in crate::bridge) mod give_up;
pub(in crate::bridge) mod intake;
pub(in crate::bridge) mod item;
pub(in crate::bridge) mod lent;
pub(in crate::bridge) mod pace;
pub(in crate::bridge) mod prune;
pub(in crate::bridge) mod router;
pub(in crate::bridge) mod router_dead;
pub(in crate::bridge) mod router_matrix;
pub(in crate::bridge) mod stall;
pub(in crate::bridge) mod worker;
