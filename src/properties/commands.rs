//! What staff type: every line parses as a command, an unknown word, or an ordinary message;
//! a known command is found whatever the case of its name, with its arguments intact.

use proptest::prelude::*;

use super::italian;
use crate::bridge::command_specs;
use crate::commands::{Line, parse as parse_with};

fn parse(line: &str, admin: bool) -> Line {
    parse_with(line, admin, command_specs())
}

proptest! {
    #[test]
    fn any_line_parses_without_panicking(line in italian(), raw in ".{0,60}", admin in any::<bool>()) {
        let _ = parse(&line, admin);
        let _ = parse(&raw, admin);
    }

    #[test]
    fn a_known_command_keeps_its_arguments(
        i in any::<prop::sample::Index>(),
        upper in any::<bool>(),
        args in italian(),
        admin in any::<bool>(),
    ) {
        let specs = command_specs();
        let spec = specs[i.index(specs.len())];
        let name = if upper { spec.name.to_uppercase() } else { spec.name.to_owned() };
        let line = format!("!{name} {args}");
        match parse(&line, admin) {
            Line::Command(p) => {
                prop_assert_eq!(p.spec.name, spec.name);
                prop_assert_eq!(p.args, args.trim());
            }
            other => prop_assert!(false, "{:?}", other),
        }
    }

    /// In a citizen's room, a message that does not start with `!` is for the citizen.
    #[test]
    fn without_a_bang_nothing_is_a_command_in_a_portal(line in italian()) {
        prop_assume!(!line.trim_start().starts_with('!'));
        prop_assert_eq!(parse(&line, false), Line::NotACommand);
    }
}
