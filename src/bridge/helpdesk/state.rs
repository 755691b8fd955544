//! Pure: how a conversation changes — the citizen writes (a closed one reopens), staff answer,
//! staff claim, assign, close, reopen or wait — and what the change means for the room: whether
//! what Element shows must change, and whom to mention.

use crate::store::{ConvState, Conversation, Tally};

pub use crate::store::ConversationEvent as Event;

/// A conversation after an event.
#[derive(Clone, Debug, PartialEq)]
pub struct Changed {
    pub conversation: Conversation,
    /// State or assignee changed: the room's name, topic and space place are redrawn.
    pub shown: bool,
    /// The assignee, when the citizen wrote again after being answered (or after closing).
    pub mention: Option<String>,
}

/// Applies `event` at `now` to the conversation (`None`: none yet).
pub fn apply(old: Option<&Conversation>, event: Event, now: u64) -> Changed {
    let mut c = old
        .cloned()
        .unwrap_or_else(|| Conversation::opened_by_citizen(now));
    let fresh = old.is_none();
    let mut mention = None;
    let set_state = |c: &mut Conversation, s: ConvState| {
        if c.state != s {
            c.state = s;
            c.since = now;
        }
    };
    match event {
        Event::CitizenWrote => {
            if !fresh {
                let was_waiting_on_us = c.needs_answer();
                match c.state {
                    ConvState::Closed => {
                        set_state(&mut c, ConvState::New);
                        c.closed_by = None;
                        c.close_note = None;
                    }
                    ConvState::Waiting => set_state(&mut c, ConvState::Open),
                    ConvState::New | ConvState::Open => {}
                }
                if !was_waiting_on_us {
                    c.unanswered_since = Some(now);
                    mention = c.assignee.clone();
                }
            }
        }
        Event::StaffAnswered => {
            if matches!(c.state, ConvState::New | ConvState::Closed) || fresh {
                set_state(&mut c, ConvState::Open);
            }
            c.unanswered_since = None;
        }
        Event::Assign(user) => c.assignee = Some(user),
        Event::Unassign => c.assignee = None,
        Event::Rated(r) => c.satisfaction = Some(r),
        Event::Close { by, note, .. } => {
            set_state(&mut c, ConvState::Closed);
            c.unanswered_since = None;
            c.closed_by = Some(by);
            c.close_note = note;
        }
        Event::Reopen => set_state(&mut c, ConvState::Open),
        Event::Wait => {
            set_state(&mut c, ConvState::Waiting);
            c.unanswered_since = None;
        }
    }
    let shown = match old {
        None => true,
        Some(o) => {
            o.state != c.state || o.assignee != c.assignee || o.needs_answer() != c.needs_answer()
        }
    };
    Changed {
        conversation: c,
        shown,
        mention,
    }
}

/// What the ledger counts of the change from `old` to `new` by `event`; `by` is the staff
/// member who answered (a staff answer's sender).
pub fn tallies(
    old: Option<&Conversation>,
    event: &Event,
    new: &Conversation,
    by: &str,
) -> Vec<Tally> {
    let was = old.map(|o| o.state);
    match event {
        Event::CitizenWrote if new.state == ConvState::New && was != Some(ConvState::New) => {
            vec![Tally::Opened]
        }
        Event::StaffAnswered => match old.and_then(|o| o.unanswered_since) {
            Some(waited_from) => vec![Tally::Answered {
                by: by.to_owned(),
                waited_from,
                first: was == Some(ConvState::New),
            }],
            None => vec![],
        },
        Event::Close { by, .. } if was != Some(ConvState::Closed) => {
            vec![Tally::Closed { by: by.clone() }]
        }
        Event::Rated(r) => vec![Tally::Rated { rating: r.clone() }],
        _ => vec![],
    }
}

/// Where a conversation sits in the space: to answer, in progress, closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shelf {
    ToAnswer,
    InProgress,
    Closed,
}

impl Shelf {
    pub fn of(c: &Conversation) -> Shelf {
        match c.state {
            ConvState::Closed => Shelf::Closed,
            _ if c.needs_answer() => Shelf::ToAnswer,
            _ => Shelf::InProgress,
        }
    }

    pub const ALL: [Shelf; 3] = [Shelf::ToAnswer, Shelf::InProgress, Shelf::Closed];

    /// Its name in the store and in the texts (`shelf_<name>`).
    pub fn name(self) -> &'static str {
        match self {
            Shelf::ToAnswer => "to_answer",
            Shelf::InProgress => "in_progress",
            Shelf::Closed => "closed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: u64 = 1_800_000_000;

    fn step(c: &Conversation, e: Event, at: u64) -> Changed {
        apply(Some(c), e, at)
    }

    /// A conversation's life: the citizen writes (new), staff answer (open), ask and wait,
    /// the citizen answers (open, the assignee mentioned), staff close it, the citizen writes
    /// again (new again, mentioned).
    #[test]
    fn a_conversation_through_its_states() {
        let first = apply(None, Event::CitizenWrote, T);
        let c = first.conversation;
        assert_eq!((c.state, c.unanswered_since), (ConvState::New, Some(T)));
        assert!(first.shown && first.mention.is_none());
        assert_eq!(Shelf::of(&c), Shelf::ToAnswer);

        let again = step(&c, Event::CitizenWrote, T + 60);
        assert!(
            !again.shown && again.mention.is_none(),
            "still waiting since T"
        );
        assert_eq!(again.conversation.unanswered_since, Some(T));

        let c = step(&c, Event::Assign("@mario:x".into()), T + 90).conversation;
        let answered = step(&c, Event::StaffAnswered, T + 120);
        assert!(answered.shown);
        let c = answered.conversation;
        assert_eq!((c.state, c.unanswered_since), (ConvState::Open, None));
        assert_eq!(Shelf::of(&c), Shelf::InProgress);

        let c = step(&c, Event::Wait, T + 130).conversation;
        assert_eq!(c.state, ConvState::Waiting);
        let back = step(&c, Event::CitizenWrote, T + 500);
        assert_eq!(back.conversation.state, ConvState::Open);
        assert_eq!(back.mention.as_deref(), Some("@mario:x"));
        assert_eq!(Shelf::of(&back.conversation), Shelf::ToAnswer);

        let closed = step(
            &back.conversation,
            Event::Close {
                by: "@mario:x".into(),
                note: Some("Risolto: l'ufficio è aperto sabato".into()),
                event_id: None,
            },
            T + 600,
        )
        .conversation;
        assert_eq!(
            (closed.state, Shelf::of(&closed)),
            (ConvState::Closed, Shelf::Closed)
        );
        let reopened = step(&closed, Event::CitizenWrote, T + 9000);
        assert_eq!(reopened.conversation.state, ConvState::New);
        assert_eq!(reopened.conversation.since, T + 9000);
        assert_eq!(reopened.conversation.close_note, None);
        assert_eq!(reopened.mention.as_deref(), Some("@mario:x"));
        // An answer to the satisfaction question neither reopens nor redraws.
        let rated = step(&closed, Event::Rated("good".into()), T + 700);
        assert_eq!(rated.conversation.state, ConvState::Closed);
        assert_eq!(rated.conversation.satisfaction.as_deref(), Some("good"));
        assert!(!rated.shown && rated.mention.is_none());
    }

    /// The ledger counts a conversation opened (first message, and again after closing), the
    /// first answer apart from later ones with how long the citizen waited, one close, a
    /// rating — and nothing for a second message while the citizen already waits.
    #[test]
    fn what_the_ledger_counts() {
        let by = "@anna:x";
        let run = |old: Option<&Conversation>, e: Event, at: u64| {
            let new = apply(old, e.clone(), at).conversation;
            let t = tallies(old, &e, &new, by);
            (new, t)
        };
        let (c, t) = run(None, Event::CitizenWrote, T);
        assert_eq!(t, vec![Tally::Opened]);
        let (c, t) = run(Some(&c), Event::CitizenWrote, T + 5);
        assert!(t.is_empty());
        let (c, t) = run(Some(&c), Event::StaffAnswered, T + 60);
        let first = Tally::Answered {
            by: by.into(),
            waited_from: T,
            first: true,
        };
        assert_eq!(t, vec![first]);
        let (c, t) = run(Some(&c), Event::StaffAnswered, T + 70);
        assert!(t.is_empty(), "nobody was waiting");
        let (c, _) = run(Some(&c), Event::CitizenWrote, T + 100);
        let (c, t) = run(Some(&c), Event::StaffAnswered, T + 160);
        let later = Tally::Answered {
            by: by.into(),
            waited_from: T + 100,
            first: false,
        };
        assert_eq!(t, vec![later]);
        let close = Event::Close {
            by: "@mario:x".into(),
            note: None,
            event_id: None,
        };
        let (c, t) = run(Some(&c), close.clone(), T + 200);
        assert_eq!(
            t,
            vec![Tally::Closed {
                by: "@mario:x".into()
            }]
        );
        let (c, t) = run(Some(&c), close, T + 210);
        assert!(t.is_empty(), "closing a closed one counts once");
        let (c, t) = run(Some(&c), Event::Rated("good".into()), T + 220);
        assert_eq!(
            t,
            vec![Tally::Rated {
                rating: "good".into()
            }]
        );
        let (_, t) = run(Some(&c), Event::CitizenWrote, T + 9000);
        assert_eq!(t, vec![Tally::Opened]);
    }

    /// Staff writing first (a template to a citizen who never wrote) opens it; answering a
    /// closed one reopens it; `!reopen` and `!unassign` do what they say.
    #[test]
    fn staff_events() {
        let c = apply(None, Event::StaffAnswered, T).conversation;
        assert_eq!((c.state, c.unanswered_since), (ConvState::Open, None));
        let closed = step(
            &c,
            Event::Close {
                by: "@anna:x".into(),
                note: None,
                event_id: None,
            },
            T + 1,
        )
        .conversation;
        assert_eq!(
            step(&closed, Event::StaffAnswered, T + 2)
                .conversation
                .state,
            ConvState::Open
        );
        assert_eq!(
            step(&closed, Event::Reopen, T + 2).conversation.state,
            ConvState::Open
        );
        let mine = step(&c, Event::Assign("@anna:x".into()), T + 3).conversation;
        assert!(
            step(&mine, Event::Unassign, T + 4)
                .conversation
                .assignee
                .is_none()
        );
    }
}
