//! Every failure of a queued item has a class, decided here and nowhere else:
//! - **transient** (homeserver unreachable, 429, 5xx; Graph 5xx/429/throttling; the store
//!   unable to write): retried with backoff, the item staying at the head of its queue, until
//!   `bridge.give_up_after` has passed since its first failure — then it is given up;
//! - **permanent** (any other homeserver 4xx: `M_TOO_LARGE`, `M_FORBIDDEN`, `M_NOT_FOUND`,
//!   `M_BAD_JSON` …; a stored record that cannot be decoded; a panic while handling the item):
//!   given up at once.
//!
//! Giving up (in the worker) moves the item to the dead letters with the reason, explains in
//! the item's room what could not be delivered and that admins were told, and posts one line
//! in the admin room. Ambiguous outcomes — a Graph send that may have reached WhatsApp — are
//! not failures: the sending code reports them and finishes the item, never repeating it.

use std::time::Duration;

use crate::bridge::engine::item::Work;
use crate::matrix::MatrixError;
use crate::store::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::bridge) enum Class {
    Transient,
    Permanent,
}

/// Why an item is not done. `update` replaces the item first (e.g. attempt count); `delay`
/// overrides the exponential backoff (e.g. WhatsApp's 4^X s for 131056).
#[derive(Debug)]
pub(in crate::bridge) struct Failure {
    pub class: Class,
    pub reason: String,
    /// A bug of the bridge's (a panic), not an answer from outside: staff are told so.
    pub internal: bool,
    pub update: Option<Box<Work>>,
    pub delay: Option<Duration>,
}

impl Failure {
    pub fn transient(reason: impl Into<String>) -> Self {
        Failure {
            class: Class::Transient,
            reason: reason.into(),
            internal: false,
            update: None,
            delay: None,
        }
    }
    pub fn permanent(reason: impl Into<String>) -> Self {
        Failure {
            class: Class::Permanent,
            ..Failure::transient(reason)
        }
    }
    pub fn with_update(mut self, work: Work) -> Self {
        self.update = Some(Box::new(work));
        self
    }
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }
    /// A panic while the item was handled: never retried (it would panic again).
    pub fn panic(payload: &(dyn std::any::Any + Send)) -> Self {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into());
        Failure {
            internal: true,
            ..Failure::permanent(what)
        }
    }
}

/// Homeserver errors: 429, 5xx and connection errors pass; every other answer is final.
pub(in crate::bridge) fn matrix_class(e: &MatrixError) -> Class {
    match e {
        MatrixError::Unreachable(_) => Class::Transient,
        MatrixError::Api { status, .. } if *status == 429 || *status >= 500 => Class::Transient,
        MatrixError::Api { .. } => Class::Permanent,
    }
}

impl From<MatrixError> for Failure {
    fn from(e: MatrixError) -> Self {
        let reason = e.to_string();
        match matrix_class(&e) {
            Class::Transient => Failure::transient(reason),
            Class::Permanent => Failure::permanent(reason),
        }
    }
}

/// A store that cannot write may recover (space freed, permissions fixed); a record that
/// cannot be decoded reads the same next time.
impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Io(_) => Failure::transient(e.to_string()),
            StoreError::Corrupt(_) => Failure::permanent(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, errcode: &str) -> MatrixError {
        MatrixError::Api {
            status,
            errcode: errcode.into(),
            message: String::new(),
        }
    }

    #[test]
    fn homeserver_errors_are_classed_by_status_and_errcode() {
        for (e, class) in [
            (MatrixError::Unreachable("refused".into()), Class::Transient),
            (api(429, "M_LIMIT_EXCEEDED"), Class::Transient),
            (api(500, "M_UNKNOWN"), Class::Transient),
            (api(502, "?"), Class::Transient),
            (api(413, "M_TOO_LARGE"), Class::Permanent),
            (api(403, "M_FORBIDDEN"), Class::Permanent),
            (api(404, "M_NOT_FOUND"), Class::Permanent),
            (api(400, "M_BAD_JSON"), Class::Permanent),
            (api(400, "M_UNKNOWN"), Class::Permanent),
        ] {
            let what = e.to_string();
            assert_eq!(Failure::from(e).class, class, "{what}");
        }
    }

    #[test]
    fn a_corrupt_record_is_permanent_and_a_failed_write_is_not() {
        assert_eq!(
            Failure::from(StoreError::corrupt("expected value")).class,
            Class::Permanent
        );
        assert_eq!(
            Failure::from(StoreError::new("disk full")).class,
            Class::Transient
        );
    }

    #[test]
    fn a_panic_is_permanent_and_says_what_happened() {
        let f = Failure::panic(&"byte index 1 is not a char boundary");
        assert_eq!((f.class, f.internal), (Class::Permanent, true));
        assert!(f.reason.contains("char boundary"), "{}", f.reason);
        let f = Failure::panic(&String::from("boom"));
        assert_eq!(f.reason, "boom");
    }
}
