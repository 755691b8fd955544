//! Which automatic replies a citizen's message gets, pure: the first-contact welcome, the
//! out-of-hours notice (once per closed period), or the emergency message — never in answer
//! to a subscription keyword, and never while a staff member answered in the last minutes.

/// What is known when a citizen's message has been bridged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Situation {
    /// The citizen has never been welcomed.
    pub first_contact: bool,
    /// The office is open now.
    pub open: bool,
    /// The next opening or closing (unix seconds): identifies the current period.
    pub next_opening: Option<i64>,
    /// The period the citizen was last told about.
    pub told_for: Option<i64>,
    /// Emergency mode is on.
    pub emergency: bool,
    /// A staff member wrote to this citizen in the last `quiet` minutes.
    pub staff_recent: bool,
    /// The message was a subscription keyword (it has its own answer).
    pub keyword: bool,
    /// The message names a complaint or report, and the citizen was not redirected today.
    pub complaint: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Decision {
    pub welcome: bool,
    /// The out-of-hours notice (combined with the welcome into one message when both).
    pub closed: bool,
    /// The emergency message (instead of the out-of-hours notice).
    pub emergency: bool,
    /// The complaints redirect (the welcome already says it).
    pub complaint: bool,
}

impl Decision {
    pub fn any(&self) -> bool {
        self.welcome || self.closed || self.emergency || self.complaint
    }
}

pub fn decide(s: Situation) -> Decision {
    if s.keyword || s.staff_recent {
        return Decision::default();
    }
    let new_period = s.next_opening.is_some() && s.next_opening != s.told_for;
    Decision {
        welcome: s.first_contact,
        closed: !s.open && !s.emergency && new_period,
        // In emergency mode the message goes once per period, open or closed.
        emergency: s.emergency && new_period,
        complaint: s.complaint && !s.first_contact,
    }
}

/// Does the text name one of `words` as a whole word (case and accents ignored)?
pub fn mentions(text: &str, words: &[String]) -> bool {
    let wanted: Vec<String> = words.iter().map(|w| crate::keywords::fold(w)).collect();
    text.split(|c: char| !c.is_alphanumeric())
        .map(crate::keywords::fold)
        .any(|w| !w.is_empty() && wanted.contains(&w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closed() -> Situation {
        Situation {
            first_contact: false,
            open: false,
            next_opening: Some(1000),
            told_for: None,
            emergency: false,
            staff_recent: false,
            keyword: false,
            complaint: false,
        }
    }

    #[test]
    fn once_per_closed_period() {
        assert!(decide(closed()).closed);
        let told = Situation {
            told_for: Some(1000),
            ..closed()
        };
        assert_eq!(decide(told), Decision::default());
        let next_period = Situation {
            next_opening: Some(2000),
            ..told
        };
        assert!(decide(next_period).closed);
    }

    #[test]
    fn welcome_combines_and_open_office_only_welcomes() {
        let d = decide(Situation {
            first_contact: true,
            ..closed()
        });
        assert!(d.welcome && d.closed);
        let open = Situation {
            open: true,
            next_opening: None,
            first_contact: true,
            ..closed()
        };
        assert_eq!(
            decide(open),
            Decision {
                welcome: true,
                ..Default::default()
            }
        );
        assert!(
            !decide(Situation {
                first_contact: false,
                ..open
            })
            .any()
        );
    }

    #[test]
    fn never_over_staff_nor_after_keywords() {
        assert!(
            !decide(Situation {
                staff_recent: true,
                first_contact: true,
                ..closed()
            })
            .any()
        );
        assert!(
            !decide(Situation {
                keyword: true,
                ..closed()
            })
            .any()
        );
    }

    #[test]
    fn complaints_redirect_unless_welcomed_or_staff_answering() {
        let open = Situation {
            open: true,
            complaint: true,
            ..closed()
        };
        assert_eq!(
            decide(open),
            Decision {
                complaint: true,
                ..Default::default()
            }
        );
        assert!(
            !decide(Situation {
                first_contact: true,
                ..open
            })
            .complaint
        );
        assert!(
            !decide(Situation {
                staff_recent: true,
                ..open
            })
            .any()
        );
    }

    /// Whole words only, case and accents ignored.
    #[test]
    fn complaint_words() {
        let words = vec!["reclamo".to_string(), "segnalazione".to_string()];
        assert!(mentions("Vorrei fare un RECLAMO.", &words));
        assert!(mentions("segnalazione: buca in via Roma", &words));
        assert!(!mentions("reclamizzare l'evento", &words));
    }

    #[test]
    fn emergency_replaces_the_closed_notice() {
        let d = decide(Situation {
            emergency: true,
            ..closed()
        });
        assert!(d.emergency && !d.closed);
        let told = Situation {
            emergency: true,
            told_for: Some(1000),
            ..closed()
        };
        assert!(!decide(told).any());
    }
}
