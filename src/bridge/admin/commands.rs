//! Every command the bridge runs, family by family, each family declared with its handlers in
//! the file of the feature that owns it; this order is `!help`'s. A parsed line finds its
//! entry here, and nowhere is a command dispatched by a `match` on its name.

use std::sync::LazyLock;

use crate::bridge::admin::{Admin, blocks, queues, room};
use crate::bridge::engine::command::{Answer, Call, Command, Run};
use crate::bridge::helpdesk::{Helpdesk, commands as helpdesk_commands, stats_command};
use crate::bridge::news::{News, commands as broadcasts, subscriber_commands};
use crate::bridge::office::{Office, hours_commands, ready_replies};
use crate::bridge::portal::{Portals, ghost_ids, held};
use crate::bridge::privacy::{Privacy, commands as privacy_commands};
use crate::bridge::templates::{Templates, commands as template_commands};
use crate::commands::CommandSpec;

/// One command from the table, with the feature whose handle its handler takes.
#[derive(Clone, Copy)]
pub(in crate::bridge) enum Entry {
    Admin(&'static Command<Admin>),
    Portal(&'static Command<Portals>),
    News(&'static Command<News>),
    Office(&'static Command<Office>),
    Templates(&'static Command<Templates>),
    Helpdesk(&'static Command<Helpdesk>),
    Privacy(&'static Command<Privacy>),
}

/// The families, in `!help`'s order.
static FAMILIES: LazyLock<Vec<Entry>> = LazyLock::new(|| {
    let admin = |f: &'static [Command<Admin>]| f.iter().map(Entry::Admin);
    let portal = |f: &'static [Command<Portals>]| f.iter().map(Entry::Portal);
    let news = |f: &'static [Command<News>]| f.iter().map(Entry::News);
    let office = |f: &'static [Command<Office>]| f.iter().map(Entry::Office);
    let templates = |f: &'static [Command<Templates>]| f.iter().map(Entry::Templates);
    let helpdesk = |f: &'static [Command<Helpdesk>]| f.iter().map(Entry::Helpdesk);
    let privacy = |f: &'static [Command<Privacy>]| f.iter().map(Entry::Privacy);
    admin(&room::HELP)
        .chain(helpdesk(&helpdesk_commands::COMMANDS))
        .chain(portal(&held::COMMANDS))
        .chain(templates(&template_commands::COMMANDS))
        .chain(office(&ready_replies::COMMANDS))
        .chain(admin(&blocks::BLOCKS))
        .chain(news(&subscriber_commands::COMMANDS))
        .chain(news(&broadcasts::COMMANDS))
        .chain(office(&hours_commands::COMMANDS))
        .chain(admin(&queues::COMMANDS))
        .chain(portal(&ghost_ids::COMMANDS))
        .chain(helpdesk(&stats_command::COMMANDS))
        .chain(privacy(&privacy_commands::COMMANDS))
        .chain(admin(&room::AUDIT))
        .collect()
});

impl Entry {
    pub(in crate::bridge) fn spec(self) -> &'static CommandSpec {
        match self {
            Entry::Admin(c) => &c.spec,
            Entry::Portal(c) => &c.spec,
            Entry::News(c) => &c.spec,
            Entry::Office(c) => &c.spec,
            Entry::Templates(c) => &c.spec,
            Entry::Helpdesk(c) => &c.spec,
            Entry::Privacy(c) => &c.spec,
        }
    }

    /// A message to the citizen (`!template`): queued like any staff message in their room.
    pub(in crate::bridge) fn is_staff_message(self) -> bool {
        match self {
            Entry::Admin(c) => matches!(c.run, Run::StaffMessage),
            Entry::Portal(c) => matches!(c.run, Run::StaffMessage),
            Entry::News(c) => matches!(c.run, Run::StaffMessage),
            Entry::Office(c) => matches!(c.run, Run::StaffMessage),
            Entry::Templates(c) => matches!(c.run, Run::StaffMessage),
            Entry::Helpdesk(c) => matches!(c.run, Run::StaffMessage),
            Entry::Privacy(c) => matches!(c.run, Run::StaffMessage),
        }
    }

    /// Its handler, given the handle of the feature that owns it; `None` for a message to the
    /// citizen.
    pub(in crate::bridge) fn handler<'a>(
        self,
        admin: &'a Admin,
        call: Call<'a>,
    ) -> Option<Answer<'a>> {
        fn run<'a, F>(c: &'static Command<F>, f: &'a F, call: Call<'a>) -> Option<Answer<'a>> {
            match &c.run {
                Run::Handler(h) => Some(h(f, call)),
                Run::StaffMessage => None,
            }
        }
        match self {
            Entry::Admin(c) => run(c, admin, call),
            Entry::Portal(c) => run(c, &*admin.portals, call),
            Entry::News(c) => run(c, &admin.news, call),
            Entry::Office(c) => run(c, &*admin.office, call),
            Entry::Templates(c) => run(c, &*admin.templates, call),
            Entry::Helpdesk(c) => run(c, &*admin.helpdesk, call),
            Entry::Privacy(c) => run(c, &*admin.privacy, call),
        }
    }
}

/// Every command, in `!help`'s order.
pub(in crate::bridge) fn all() -> impl Iterator<Item = Entry> {
    FAMILIES.iter().copied()
}

/// Every declaration, in `!help`'s order (what lines are parsed against).
pub(crate) fn specs() -> &'static [&'static CommandSpec] {
    static SPECS: LazyLock<Vec<&'static CommandSpec>> =
        LazyLock::new(|| all().map(Entry::spec).collect());
    &SPECS
}

/// The entry of a declaration parsed from this table.
pub(in crate::bridge) fn command(spec: &CommandSpec) -> Entry {
    all()
        .find(|c| c.spec().name == spec.name)
        .expect("a command parsed against this table is in it")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::{Line, Where, help, parse};

    #[test]
    fn names_are_unique_and_every_command_runs_somewhere() {
        let mut names: Vec<&str> = all().map(|c| c.spec().name).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "a name declared twice");
        for c in all() {
            // A command sent as a message to the citizen can only be typed in their room.
            let spec = c.spec();
            if c.is_staff_message() {
                assert_eq!(spec.place, Where::Portal, "{}", spec.name);
            }
            let Line::Command(p) = parse(&format!("!{} x", spec.name), false, specs()) else {
                panic!("{} does not parse", spec.name)
            };
            assert_eq!(command(p.spec).spec().name, spec.name);
        }
    }

    /// Every command is described in both languages, the English being its declaration's.
    #[test]
    fn every_command_has_its_help_in_both_languages() {
        let en = crate::texts::Texts::new(crate::texts::Lang::En, Default::default());
        let it = crate::texts::Texts::new(crate::texts::Lang::It, Default::default());
        for c in all().map(Entry::spec) {
            let key = format!("help_{}", c.name);
            assert!(crate::texts::Texts::known(&key), "{key} missing");
            assert_eq!(en.get(&key, &[]), c.help, "{key}");
            assert_ne!(it.get(&key, &[]), c.help, "{key} not in Italian");
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
            !plain.contains("!template <"),
            "portal-only, not offered here"
        );
        assert!(plain.contains("!templates"), "listed everywhere");
        let (staff, _) = help(specs(), false, false, &describe, ["c", "w"]);
        assert!(
            staff.contains("!template <") && !staff.contains("!block"),
            "{staff}"
        );
    }
}
