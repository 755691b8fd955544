//! The privacy commands, admins only: `!export <number|this room>` (the citizen's data as two
//! files in the admin room), `!forget <number|this room> <reason>` (erasure, queued in the
//! citizen's queue), `!requests [close <n> <why>]` (citizens' open requests).

use crate::bridge::engine::command::{Answer, Call, Command, Run, usage};
use crate::bridge::engine::item::{ForgetWork, Reply, Work};
use crate::bridge::privacy::Privacy;
use crate::commands::{CommandSpec, Where, Who};

fn export<'a>(p: &'a Privacy, call: Call<'a>) -> Answer<'a> {
    Box::pin(async move {
        match p.portals.target(&call.p.args, call.c)? {
            (Some(citizen), _) => p.export(&citizen, call.c).await,
            (None, _) => Ok(usage(&p.parts.texts, call.p)),
        }
    })
}

fn forget<'a>(p: &'a Privacy, call: Call<'a>) -> Answer<'a> {
    Box::pin(async move {
        let (Some(citizen), reason) = p.portals.target(&call.p.args, call.c)? else {
            return Ok(usage(&p.parts.texts, call.p));
        };
        if reason.is_empty() {
            return Ok(usage(&p.parts.texts, call.p));
        }
        let work = Work::Forget(Box::new(ForgetWork {
            by: call.c.sender.clone(),
            reason: reason.clone(),
            at: p.now(),
            automatic: false,
            matrix: None,
        }));
        let queued = p
            .parts
            .store
            .queue_push_op(&citizen.as_str(), &work.to_bytes());
        let mode = format!("{:?}", p.parts.config.raw.privacy.erase_in_matrix).to_lowercase();
        Ok(Reply {
            ops: vec![queued],
            ..Reply::text(p.t(
                "forget_queued",
                &[
                    ("who", &citizen.masked()),
                    ("reason", &reason),
                    ("mode", &mode),
                ],
            ))
        })
    })
}

fn requests<'a>(p: &'a Privacy, call: Call<'a>) -> Answer<'a> {
    Box::pin(async move {
        let args = call.p.args.trim();
        match args.strip_prefix("close") {
            None if args.is_empty() => p.requests_list(),
            Some(rest) => match rest.trim().split_once(' ') {
                Some((n, why)) if !why.trim().is_empty() => {
                    p.close_request(n.trim(), why.trim(), &call.c.sender)
                }
                _ => Ok(usage(&p.parts.texts, call.p)),
            },
            None => Ok(usage(&p.parts.texts, call.p)),
        }
    })
}

pub(in crate::bridge) static COMMANDS: [Command<Privacy>; 3] = [
    Command {
        spec: CommandSpec {
            name: "export",
            args: "<number|this room>",
            help: "everything the bridge holds about a citizen and their conversation, as files in the admin room (GDPR access)",
            who: Who::Admin,
            place: Where::Both,
        },
        run: Run::Handler(export),
    },
    Command {
        spec: CommandSpec {
            name: "forget",
            args: "<number|this room> <reason>",
            help: "erase a citizen from the bridge (GDPR erasure); the room by privacy.erase_in_matrix",
            who: Who::Admin,
            place: Where::Both,
        },
        run: Run::Handler(forget),
    },
    Command {
        spec: CommandSpec {
            name: "requests",
            args: "[close <n> <why>]",
            help: "citizens' open erasure requests and their deadlines; close one turned down",
            who: Who::Admin,
            place: Where::AdminRoom,
        },
        run: Run::Handler(requests),
    },
];
