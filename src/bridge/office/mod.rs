//! The office's own voice: automatic replies (welcome, out of hours, emergency, complaints
//! redirect), `!hours` and emergency mode, and the ready replies staff send by command.

pub(in crate::bridge) mod autoreply;
pub(in crate::bridge) mod hours_commands;
pub(in crate::bridge) mod ready_replies;
