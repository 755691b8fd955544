//! Every command the bridge runs, family by family, each family declared with its handlers in
//! the file of the feature that owns it; this order is `!help`'s. A parsed line finds its
//! entry here, and nowhere is a command dispatched by a `match` on its name.

use std::sync::LazyLock;

use crate::bridge::admin::{blocks, queues, room};
use crate::bridge::engine::command::Command;
use crate::bridge::news::{commands as broadcasts, subscriber_commands};
use crate::bridge::office::{hours_commands, ready_replies};
use crate::bridge::portal::held;
use crate::commands::CommandSpec;

/// The families, in `!help`'s order.
static FAMILIES: [&[Command]; 9] = [
    &room::HELP,
    &held::COMMANDS,
    &ready_replies::COMMANDS,
    &blocks::BLOCKS,
    &subscriber_commands::COMMANDS,
    &broadcasts::COMMANDS,
    &hours_commands::COMMANDS,
    &queues::COMMANDS,
    &room::AUDIT,
];

/// Every command, in `!help`'s order.
pub(in crate::bridge) fn all() -> impl Iterator<Item = &'static Command> {
    FAMILIES.iter().flat_map(|f| f.iter())
}

/// Every declaration, in `!help`'s order (what lines are parsed against).
pub(crate) fn specs() -> &'static [&'static CommandSpec] {
    static SPECS: LazyLock<Vec<&'static CommandSpec>> =
        LazyLock::new(|| all().map(|c| &c.spec).collect());
    &SPECS
}

/// The entry of a declaration parsed from this table.
pub(in crate::bridge) fn command(spec: &CommandSpec) -> &'static Command {
    all()
        .find(|c| c.spec.name == spec.name)
        .expect("a command parsed against this table is in it")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge::engine::command::Run;
    use crate::commands::{Line, Where, help, parse};

    #[test]
    fn names_are_unique_and_every_command_runs_somewhere() {
        let mut names: Vec<&str> = all().map(|c| c.spec.name).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "a name declared twice");
        for c in all() {
            // A command sent as a message to the citizen can only be typed in their room.
            if matches!(c.run, Run::StaffMessage) {
                assert_eq!(c.spec.place, Where::Portal, "{}", c.spec.name);
            }
            let Line::Command(p) = parse(&format!("!{} x", c.spec.name), false, specs()) else {
                panic!("{} does not parse", c.spec.name)
            };
            assert_eq!(command(p.spec).spec.name, c.spec.name);
        }
    }

    /// Every command is described in both languages, the English being its declaration's.
    #[test]
    fn every_command_has_its_help_in_both_languages() {
        let en = crate::texts::Texts::new(crate::texts::Lang::En, Default::default());
        let it = crate::texts::Texts::new(crate::texts::Lang::It, Default::default());
        for c in all() {
            let key = format!("help_{}", c.spec.name);
            assert!(crate::texts::Texts::known(&key), "{key} missing");
            assert_eq!(en.get(&key, &[]), c.spec.help, "{key}");
            assert_ne!(it.get(&key, &[]), c.spec.help, "{key} not in Italian");
        }
    }

    #[test]
    fn help_lists_the_table_in_order() {
        let describe = |c: &CommandSpec| c.help.to_owned();
        let (plain, _) = help(specs(), true, true, &describe, ["c", "w"]);
        let pos = |name: &str| plain.find(&format!("!{name}")).unwrap_or(usize::MAX);
        assert!(pos("help") < pos("replies") && pos("replies") < pos("block"));
        assert!(pos("broadcast") < pos("hours") && pos("hours") < pos("audit"));
        assert!(
            !plain.contains("!template"),
            "portal-only, not offered here"
        );
        let (staff, _) = help(specs(), false, false, &describe, ["c", "w"]);
        assert!(
            staff.contains("!template") && !staff.contains("!block"),
            "{staff}"
        );
    }
}
