//! Office hours at any instant: whether it is open and the next change are always answered,
//! and the next change really is a change (across daylight saving, holidays, closures).

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;

use crate::hours::{Schedule, parse_range};

fn launch_town() -> Schedule {
    crate::config::Hours::default()
        .schedule(chrono_tz::Europe::Rome)
        .expect("the default week is valid")
}

proptest! {
    #[test]
    fn any_range_text_parses_or_is_explained(s in ".{0,20}", a in "[0-2][0-9]:[0-5][0-9]", b in "[0-2][0-9]:[0-5][0-9]") {
        let _ = parse_range(&s);
        let _ = parse_range(&format!("{a}-{b}"));
    }

    #[test]
    fn the_next_change_flips_open_and_closed(secs in 0i64..4_102_444_800) {
        let s = launch_town();
        let at: DateTime<Utc> = DateTime::from_timestamp(secs, 0).unwrap();
        let open = s.is_open(at);
        let (when, opening) = s.next_change(at).expect("the launch town opens every week");
        let when = when.with_timezone(&Utc);
        prop_assert!(when > at);
        prop_assert_eq!(opening, !open);
        prop_assert_eq!(s.is_open(when), opening);
        // Nothing changes before it.
        prop_assert_eq!(s.is_open(when - Duration::seconds(1)), open);
        let _ = s.next_opening(at);
    }
}
