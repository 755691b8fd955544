//! Commands staff type in Element: each declared once (name, arguments, one-line help, who
//! may run it, where), parsed here, and `!help` generated from the declarations. Pure: the
//! bridge runs them (`bridge/admin/room.rs`), so permissions and parsing are tested without I/O.

/// Who may run a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// `office.admins` only.
    Admin,
    /// Any staff member (admins included).
    Staff,
}

/// Where a command is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Where {
    /// The admin room (with or without `!`).
    AdminRoom,
    /// A citizen's room (with `!`), about that citizen.
    Portal,
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandSpec {
    pub name: &'static str,
    pub args: &'static str,
    pub help: &'static str,
    pub who: Who,
    pub place: Where,
}

/// Every command, in the order `!help` lists them.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "help",
        args: "",
        help: "list the commands you can use here",
        who: Who::Staff,
        place: Where::Both,
    },
    CommandSpec {
        name: "template",
        args: "<key> [parameters…]",
        help: "send an approved template to this citizen (works outside the 24-hour window)",
        who: Who::Staff,
        place: Where::Portal,
    },
    CommandSpec {
        name: "reply",
        args: "<name>",
        help: "send this citizen a configured reply ([replies.<name>] in the config)",
        who: Who::Staff,
        place: Where::Portal,
    },
    CommandSpec {
        name: "replies",
        args: "",
        help: "list the configured replies",
        who: Who::Staff,
        place: Where::Both,
    },
    CommandSpec {
        name: "eurp",
        args: "",
        help: "send this citizen the address of the complaints web app (the name is configurable)",
        who: Who::Staff,
        place: Where::Portal,
    },
    CommandSpec {
        name: "warn",
        args: "<number|this room>",
        help: "send the citizen the code of conduct (before blocking)",
        who: Who::Staff,
        place: Where::Both,
    },
    CommandSpec {
        name: "block",
        args: "<number|this room> <reason>",
        help: "stop a number: nothing bridged either way, blocked at Meta when allowed",
        who: Who::Admin,
        place: Where::Both,
    },
    CommandSpec {
        name: "unblock",
        args: "<number|this room>",
        help: "lift a block (also at Meta)",
        who: Who::Admin,
        place: Where::Both,
    },
    CommandSpec {
        name: "blocked",
        args: "",
        help: "list blocked numbers with reason, who and when",
        who: Who::Admin,
        place: Where::AdminRoom,
    },
    CommandSpec {
        name: "subscribers",
        args: "[topic]",
        help: "how many citizens follow each news topic (or one topic)",
        who: Who::Staff,
        place: Where::AdminRoom,
    },
    CommandSpec {
        name: "consent",
        args: "<number|this room>",
        help: "the consent ledger of a citizen: every subscription change, when, how, policy version",
        who: Who::Staff,
        place: Where::Both,
    },
    CommandSpec {
        name: "subscribe",
        args: "<number|this room> <topic…|all> <note>",
        help: "subscribe a citizen at their request (the note says how they asked)",
        who: Who::Staff,
        place: Where::Both,
    },
    CommandSpec {
        name: "unsubscribe",
        args: "<number|this room> [topic…] <note>",
        help: "unsubscribe a citizen at their request (all topics when none is named)",
        who: Who::Staff,
        place: Where::Both,
    },
    CommandSpec {
        name: "broadcast",
        args: "<topic|all> <text> | resend-uncertain <id>",
        help: "draft news for the subscribers of a topic (multi-line text), with a preview; or send a broadcast again to its recipients whose outcome was uncertain",
        who: Who::Admin,
        place: Where::AdminRoom,
    },
    CommandSpec {
        name: "approve",
        args: "<id>",
        help: "start sending a drafted broadcast",
        who: Who::Admin,
        place: Where::AdminRoom,
    },
    CommandSpec {
        name: "cancel",
        args: "<id>",
        help: "discard a draft, or stop a broadcast that is being sent",
        who: Who::Admin,
        place: Where::AdminRoom,
    },
    CommandSpec {
        name: "broadcasts",
        args: "",
        help: "list broadcasts with their state and counts",
        who: Who::Admin,
        place: Where::AdminRoom,
    },
    CommandSpec {
        name: "hours",
        args: "[emergency on <text> | emergency off]",
        help: "office hours, open or closed now and the next change; admins switch emergency mode",
        who: Who::Staff,
        place: Where::AdminRoom,
    },
    CommandSpec {
        name: "queues",
        args: "",
        help: "citizens with waiting work: items, how long the first has waited, the last error",
        who: Who::Admin,
        place: Where::AdminRoom,
    },
    CommandSpec {
        name: "deadletters",
        args: "",
        help: "what could not be delivered and was kept: id, when, whose, why",
        who: Who::Admin,
        place: Where::AdminRoom,
    },
    CommandSpec {
        name: "retry",
        args: "<id>",
        help: "put a dead letter back where it came from, to be tried again",
        who: Who::Admin,
        place: Where::AdminRoom,
    },
    CommandSpec {
        name: "drop",
        args: "<id>",
        help: "discard a dead letter for good",
        who: Who::Admin,
        place: Where::AdminRoom,
    },
    CommandSpec {
        name: "audit",
        args: "[n]",
        help: "the last n commands run (default 10): who, when, what, result",
        who: Who::Admin,
        place: Where::AdminRoom,
    },
];

/// A command line as typed: the declaration it matched and its arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub spec: &'static CommandSpec,
    pub args: String,
}

/// What a message means as a command.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    Command(Parsed),
    /// Looked like a command (`!word` in the admin room, or any word there) but is not one.
    Unknown(String),
    /// Not a command: an ordinary message.
    NotACommand,
}

/// Parses a message body. In the admin room the `!` is optional; in a portal only a known
/// `!command` counts (anything else is a message for the citizen).
pub fn parse(body: &str, in_admin_room: bool) -> Line {
    let trimmed = body.trim();
    let (bang, rest) = match trimmed.strip_prefix('!') {
        Some(r) => (true, r),
        None => (false, trimmed),
    };
    if !bang && !in_admin_room {
        return Line::NotACommand;
    }
    let (word, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let word = word.to_lowercase();
    match COMMANDS.iter().find(|c| c.name == word) {
        Some(spec) => Line::Command(Parsed {
            spec,
            args: args.trim().to_owned(),
        }),
        None if in_admin_room => Line::Unknown(word),
        None => Line::NotACommand,
    }
}

impl CommandSpec {
    pub fn allowed_in(&self, admin_room: bool) -> bool {
        match self.place {
            Where::Both => true,
            Where::AdminRoom => admin_room,
            Where::Portal => !admin_room,
        }
    }

    pub fn usage(&self) -> String {
        if self.args.is_empty() {
            format!("!{}", self.name)
        } else {
            format!("!{} {}", self.name, self.args)
        }
    }
}

/// `!help`: the commands this user may run in this kind of room, generated from
/// [`COMMANDS`]. Returns (plain, HTML table).
pub fn help(is_admin: bool, admin_room: bool) -> (String, String) {
    let rows: Vec<&CommandSpec> = COMMANDS
        .iter()
        .filter(|c| c.allowed_in(admin_room) && (is_admin || c.who == Who::Staff))
        .collect();
    let plain = rows
        .iter()
        .map(|c| format!("{} — {}", c.usage(), c.help))
        .collect::<Vec<_>>()
        .join("\n");
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|c| vec![c.usage(), c.help.to_owned()])
        .collect();
    (plain, html_table(&["command", "what it does"], &cells))
}

/// An HTML table for a notice (cells are escaped).
pub fn html_table(head: &[&str], rows: &[Vec<String>]) -> String {
    let esc = crate::convert::markup::escape;
    let th: String = head
        .iter()
        .map(|h| format!("<th>{}</th>", esc(h)))
        .collect();
    let body: String = rows
        .iter()
        .map(|r| {
            format!(
                "<tr>{}</tr>",
                r.iter()
                    .map(|c| format!("<td>{}</td>", esc(c)))
                    .collect::<String>()
            )
        })
        .collect();
    format!("<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_help_is_generated() {
        let mut names: Vec<_> = COMMANDS.iter().map(|c| c.name).collect();
        names.dedup();
        assert_eq!(names.len(), COMMANDS.len());
        let (plain, html) = help(true, true);
        for c in COMMANDS.iter().filter(|c| c.allowed_in(true)) {
            assert!(
                plain.contains(&c.usage()) && html.contains(c.help),
                "{}",
                c.name
            );
        }
        assert!(
            !plain.contains("!template"),
            "portal-only commands are not offered in the admin room"
        );
        let (staff_plain, _) = help(false, false);
        assert!(
            staff_plain.contains("!template") && !staff_plain.contains("!block"),
            "{staff_plain}"
        );
    }

    #[test]
    fn parsing_in_rooms() {
        let Line::Command(p) = parse("block +39333 insulti ripetuti", true) else {
            panic!()
        };
        assert_eq!(
            (p.spec.name, p.args.as_str()),
            ("block", "+39333 insulti ripetuti")
        );
        assert!(matches!(parse("!BLOCKED", true), Line::Command(p) if p.spec.name == "blocked"));
        assert_eq!(parse("blok", true), Line::Unknown("blok".into()));
        // In a citizen's room only a known !command is one; everything else is for the citizen.
        assert_eq!(parse("block the road", false), Line::NotACommand);
        assert_eq!(parse("!Attenzione: chiuso", false), Line::NotACommand);
        assert!(matches!(
            parse("!block this room spam", false),
            Line::Command(_)
        ));
    }

    #[test]
    fn tables_escape() {
        let t = html_table(&["a"], &[vec!["<b>".into()]]);
        assert_eq!(
            t,
            "<table><thead><tr><th>a</th></tr></thead><tbody><tr><td>&lt;b&gt;</td></tr></tbody></table>"
        );
    }
}
