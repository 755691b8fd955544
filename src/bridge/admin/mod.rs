//! The admin room: its creation, permissions, command dispatch and audit, blocks, and what
//! is stuck (`!queues`, `!deadletters`, `!retry`, `!drop`).

pub(in crate::bridge) mod blocks;
pub(in crate::bridge) mod commands;
pub(in crate::bridge) mod queues;
pub(in crate::bridge) mod room;
