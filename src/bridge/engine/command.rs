//! What a command is to the bridge: its declaration (`commands::CommandSpec`: name, arguments,
//! help, who, where) and how it runs — a handler taking the handle of the feature that owns
//! it — declared together in that feature's file. `bridge/admin/commands.rs` puts the families
//! together in `!help`'s order; the admin feature runs a parsed command through its entry.

use std::future::Future;
use std::pin::Pin;

use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::item::{CommandWork, Reply};
use crate::commands::{CommandSpec, Parsed};
use crate::texts::Texts;

/// A handler's answer, to be awaited by the worker.
pub(in crate::bridge) type Answer<'a> =
    Pin<Box<dyn Future<Output = Result<Reply, Failure>> + Send + 'a>>;

/// One command being run: the parsed line, the item that carried it, and where and by whom.
#[derive(Clone, Copy)]
pub(in crate::bridge) struct Call<'a> {
    pub p: &'a Parsed,
    pub c: &'a CommandWork,
    pub is_admin: bool,
    pub in_admin: bool,
}

/// How a command of the feature whose handle is `F` runs.
pub(in crate::bridge) enum Run<F: 'static> {
    /// Its handler answers; the reply is posted as a notice and the run audited.
    Handler(for<'a> fn(&'a F, Call<'a>) -> Answer<'a>),
    /// It is a message to the citizen (`!template`): the router queues it like any staff
    /// message in their room.
    StaffMessage,
}

/// A command of the feature whose handle is `F`: its declaration and how it runs.
pub(in crate::bridge) struct Command<F: 'static> {
    pub spec: CommandSpec,
    pub run: Run<F>,
}

/// The reply to a command whose arguments do not fit its declaration.
pub(in crate::bridge) fn usage(texts: &Texts, p: &Parsed) -> Reply {
    Reply::text(texts.get("cmd_usage", &[("usage", &p.spec.usage())]))
}
