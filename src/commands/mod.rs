//! Commands staff type in Element: what a declaration says (name, arguments, one-line help,
//! who may run it, where), parsing a line against the declarations, and `!help` generated
//! from them. Pure: each feature of the bridge declares its own commands with their handlers
//! (`bridge/engine/command.rs` has the shape, `bridge/admin/commands.rs` the whole table), so
//! permissions and parsing are tested without I/O.

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

/// Parses a message body against the declared commands. In the admin room the `!` is
/// optional; in a portal only a known `!command` counts (anything else is a message for the
/// citizen).
pub fn parse(body: &str, in_admin_room: bool, specs: &[&'static CommandSpec]) -> Line {
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
    match specs.iter().copied().find(|c| c.name == word) {
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

/// `!help`: the commands this user may run in this kind of room, generated from their
/// declarations, in their order; `describe` gives each one's description in the office's
/// language, `heads` the table's two headings. Returns (plain, HTML table).
pub fn help(
    specs: &[&CommandSpec],
    is_admin: bool,
    admin_room: bool,
    describe: &dyn Fn(&CommandSpec) -> String,
    heads: [&str; 2],
) -> (String, String) {
    let rows: Vec<(String, String)> = specs
        .iter()
        .copied()
        .filter(|c| c.allowed_in(admin_room) && (is_admin || c.who == Who::Staff))
        .map(|c| (c.usage(), describe(c)))
        .collect();
    let plain = rows
        .iter()
        .map(|(usage, what)| format!("{usage} — {what}"))
        .collect::<Vec<_>>()
        .join("\n");
    let cells: Vec<Vec<String>> = rows.into_iter().map(|(u, w)| vec![u, w]).collect();
    (plain, html_table(&heads, &cells))
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

    const fn spec(name: &'static str, who: Who, place: Where) -> CommandSpec {
        CommandSpec {
            name,
            args: "<number|this room>",
            help: "what it does",
            who,
            place,
        }
    }
    static HELP: CommandSpec = spec("help", Who::Staff, Where::Both);
    static TEMPLATE: CommandSpec = spec("template", Who::Staff, Where::Portal);
    static BLOCK: CommandSpec = spec("block", Who::Admin, Where::Both);
    static BLOCKED: CommandSpec = spec("blocked", Who::Admin, Where::AdminRoom);
    const SPECS: [&CommandSpec; 4] = [&HELP, &TEMPLATE, &BLOCK, &BLOCKED];
    const HEADS: [&str; 2] = ["command", "what it does"];

    fn parse(body: &str, admin: bool) -> Line {
        super::parse(body, admin, &SPECS)
    }

    #[test]
    fn help_is_generated_for_who_and_where() {
        let (plain, html) = help(&SPECS, true, true, &|c| c.help.to_owned(), HEADS);
        for c in SPECS.iter().filter(|c| c.allowed_in(true)) {
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
        let (staff_plain, _) = help(&SPECS, false, false, &|c| c.help.to_owned(), HEADS);
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
