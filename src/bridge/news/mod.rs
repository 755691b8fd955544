//! News: subscriptions by keyword or list (with the consent ledger), and broadcasts — drafts,
//! the paced sender, crash recovery, progress and report — with their admin commands.

pub(in crate::bridge) mod commands;
pub(in crate::bridge) mod message;
pub(in crate::bridge) mod pace;
pub(in crate::bridge) mod recover;
pub(in crate::bridge) mod report;
pub(in crate::bridge) mod sender;
pub(in crate::bridge) mod subscribe;
pub(in crate::bridge) mod subscriber_commands;
