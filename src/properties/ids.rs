//! Identifiers from outside (numbers, business-scoped ids, ghost user ids, config spans):
//! parsing never panics, what is made parses back to itself, and masking hides the number.

use proptest::prelude::*;

use crate::config::parse_span;
use crate::ids::{Bsuid, CitizenKey, WaId};

proptest! {
    #[test]
    fn any_text_parses_as_an_id_or_not(s in ".{0,40}") {
        let _ = WaId::parse(&s);
        let _ = Bsuid::parse(&s);
        let _ = CitizenKey::parse(&s);
        let _ = CitizenKey::from_ghost_suffix(&s);
        let _ = parse_span(&s);
    }

    #[test]
    fn a_number_round_trips_and_is_masked(digits in "[1-9][0-9]{7,14}") {
        let w = WaId::parse(&digits).expect("a valid number");
        prop_assert_eq!(w.expose(), digits.as_str());
        // At most the country code and the last four digits show.
        let shown = w.masked().chars().filter(char::is_ascii_digit).count();
        prop_assert!(shown <= 6, "{}", w.masked());
        let key = CitizenKey::Phone(w);
        prop_assert_eq!(CitizenKey::parse(&key.as_str()), Some(key.clone()));
        prop_assert_eq!(CitizenKey::from_ghost_suffix(&key.ghost_suffix()), Some(key));
    }

    #[test]
    fn a_business_scoped_id_round_trips(cc in "[A-Z]{2}", rest in "[A-Za-z0-9]{1,40}") {
        let s = format!("{cc}.{rest}");
        if let Some(b) = Bsuid::parse(&s) {
            let key = CitizenKey::Bsuid(b);
            prop_assert_eq!(CitizenKey::parse(&key.as_str()), Some(key.clone()));
            prop_assert_eq!(CitizenKey::from_ghost_suffix(&key.ghost_suffix()), Some(key));
        }
    }

    #[test]
    fn a_span_reads_as_written(n in 0u64..100_000, unit in prop::sample::select(vec![('s', 1u64), ('m', 60), ('h', 3600), ('d', 86400)])) {
        let d = parse_span(&format!("{n}{}", unit.0)).expect("a span");
        prop_assert_eq!(d.as_secs(), n * unit.1);
    }
}
