//! What a broadcast counts and where each recipient stands: one [`Bucket`] per outcome
//! (sent, skipped and why, failed and Meta's reason, uncertain …) and one [`RecipientState`]
//! per recipient. The names they are stored under (a broadcast's `counts`, Meta's status
//! counts, a recipient's record) are written and read only here.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::store::news::Broadcast;

/// Why a recipient was not sent to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Skip {
    Blocked,
    Unsubscribed,
    /// They stopped marketing messages on WhatsApp (131050).
    MarketingStopped,
    /// Neither a number nor a business-scoped id to send to.
    NoNumber,
    /// Outside the 24-hour window, and no template configured.
    OutsideWindow,
}

const SKIPS: [(Skip, &str); 5] = [
    (Skip::Blocked, "blocked"),
    (Skip::Unsubscribed, "unsubscribed"),
    (Skip::MarketingStopped, "marketing_stopped"),
    (Skip::NoNumber, "no_number"),
    (Skip::OutsideWindow, "outside_window"),
];

impl Skip {
    /// Its name (texts say it as `skip_<name>`).
    pub fn name(self) -> &'static str {
        SKIPS
            .iter()
            .find(|(s, _)| *s == self)
            .map_or("unknown", |(_, n)| n)
    }

    fn parse(name: &str) -> Option<Skip> {
        SKIPS.iter().find(|(_, n)| *n == name).map(|(s, _)| *s)
    }
}

/// One count of a broadcast.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bucket {
    /// Accepted by Meta.
    Sent,
    /// Found sent after a restart (its answer was lost with the crash).
    SentAfterRestart,
    /// Sent as a free-form message (inside the 24-hour window).
    FreeForm,
    /// Sent as the configured template.
    Template,
    /// Meta's answer never came: it may have reached the citizen; never sent again unless an
    /// admin asks.
    Uncertain,
    /// Uncertain ones an admin chose to send again.
    ResentUncertain,
    Skipped(Skip),
    /// Refused: Meta's code and title (`131026 Message undeliverable`), or the bridge's own
    /// `internal_error`.
    Failed(String),
    /// Delivered, as Meta priced it (its status's `pricing.type` and `category`), to a
    /// recipient of this country calling code (`*`: another).
    Priced {
        kind: String,
        category: String,
        country: String,
    },
    /// A key this version does not know: kept as it was, counted nowhere.
    Unknown(String),
}

impl Bucket {
    /// The key it is stored under.
    fn key(&self) -> String {
        match self {
            Bucket::Sent => "sent".into(),
            Bucket::SentAfterRestart => "sent_after_restart".into(),
            Bucket::FreeForm => "free_form".into(),
            Bucket::Template => "template".into(),
            Bucket::Uncertain => "unknown".into(),
            Bucket::ResentUncertain => "resent_uncertain".into(),
            Bucket::Skipped(s) => format!("skipped:{}", s.name()),
            Bucket::Failed(why) => format!("failed:{why}"),
            Bucket::Priced {
                kind,
                category,
                country,
            } => format!("priced:{kind}:{category}:{country}"),
            Bucket::Unknown(key) => key.clone(),
        }
    }

    fn parse(key: &str) -> Bucket {
        match key {
            "sent" => Bucket::Sent,
            "sent_after_restart" => Bucket::SentAfterRestart,
            "free_form" => Bucket::FreeForm,
            "template" => Bucket::Template,
            "unknown" => Bucket::Uncertain,
            "resent_uncertain" => Bucket::ResentUncertain,
            k => {
                let priced = k
                    .strip_prefix("priced:")
                    .and_then(|p| p.split_once(':'))
                    .and_then(|(kind, rest)| Some((kind, rest.split_once(':')?)));
                if let Some(why) = k.strip_prefix("failed:") {
                    Bucket::Failed(why.to_owned())
                } else if let Some((kind, (category, country))) = priced {
                    Bucket::Priced {
                        kind: kind.to_owned(),
                        category: category.to_owned(),
                        country: country.to_owned(),
                    }
                } else if let Some(s) = k.strip_prefix("skipped:").and_then(Skip::parse) {
                    Bucket::Skipped(s)
                } else {
                    Bucket::Unknown(k.to_owned())
                }
            }
        }
    }

    /// A recipient dealt with for good: sent, failed, skipped or uncertain.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Bucket::Sent | Bucket::Uncertain | Bucket::Failed(_) | Bucket::Skipped(_)
        )
    }

    /// The key of a count in a map of counts (Meta's status counts use the same keys).
    pub fn of(counts: &BTreeMap<String, u64>) -> impl Iterator<Item = (Bucket, u64)> + '_ {
        counts.iter().map(|(k, v)| (Bucket::parse(k), *v))
    }

    /// The map key of a failure counted from Meta's statuses (`failed:<code> <title>`).
    pub fn failed_key(why: &str) -> String {
        Bucket::Failed(why.to_owned()).key()
    }

    /// The map key of a delivery as Meta priced it.
    pub fn priced_key(kind: &str, category: &str, country: &str) -> String {
        Bucket::Priced {
            kind: kind.to_owned(),
            category: category.to_owned(),
            country: country.to_owned(),
        }
        .key()
    }
}

impl Broadcast {
    /// One more in `bucket`.
    pub fn bump(&mut self, bucket: Bucket) {
        *self.counts.entry(bucket.key()).or_default() += 1;
    }

    /// How many are in `bucket`.
    pub fn count(&self, bucket: &Bucket) -> u64 {
        self.counts.get(&bucket.key()).copied().unwrap_or(0)
    }

    /// Sets the count of `bucket`.
    pub fn set_count(&mut self, bucket: &Bucket, n: u64) {
        self.counts.insert(bucket.key(), n);
    }

    /// Every count, by bucket.
    pub fn buckets(&self) -> impl Iterator<Item = (Bucket, u64)> + '_ {
        Bucket::of(&self.counts)
    }
}

/// Where one recipient of a broadcast stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum RecipientState {
    /// Marked before the Graph call: after a crash, looked up by its callback tag.
    Sending,
    Sent,
    /// Throttled or refused for a while: tried again at `retry_at`.
    Deferred,
    Failed,
    /// The answer never came: may have reached the citizen, not sent again.
    Uncertain,
    Skipped(Skip),
    /// A state this version does not know, as stored.
    Unknown(String),
}

impl RecipientState {
    fn name(&self) -> String {
        match self {
            RecipientState::Sending => "sending".into(),
            RecipientState::Sent => "sent".into(),
            RecipientState::Deferred => "deferred".into(),
            RecipientState::Failed => "failed".into(),
            RecipientState::Uncertain => "unknown".into(),
            RecipientState::Skipped(s) => format!("skipped:{}", s.name()),
            RecipientState::Unknown(name) => name.clone(),
        }
    }
}

impl From<String> for RecipientState {
    fn from(name: String) -> RecipientState {
        match name.as_str() {
            "sending" => RecipientState::Sending,
            "sent" => RecipientState::Sent,
            "deferred" => RecipientState::Deferred,
            "failed" => RecipientState::Failed,
            "unknown" => RecipientState::Uncertain,
            other => match other.strip_prefix("skipped:").and_then(Skip::parse) {
                Some(s) => RecipientState::Skipped(s),
                None => RecipientState::Unknown(name),
            },
        }
    }
}

impl From<RecipientState> for String {
    fn from(s: RecipientState) -> String {
        s.name()
    }
}

impl fmt::Display for RecipientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stored keys are those of earlier versions, so a broadcast counted before an
    /// upgrade reads the same after it.
    #[test]
    fn buckets_keep_their_stored_keys_and_read_back() {
        let all = [
            (Bucket::Sent, "sent"),
            (Bucket::SentAfterRestart, "sent_after_restart"),
            (Bucket::FreeForm, "free_form"),
            (Bucket::Template, "template"),
            (Bucket::Uncertain, "unknown"),
            (Bucket::ResentUncertain, "resent_uncertain"),
            (
                Bucket::Skipped(Skip::MarketingStopped),
                "skipped:marketing_stopped",
            ),
            (
                Bucket::Skipped(Skip::OutsideWindow),
                "skipped:outside_window",
            ),
            (
                Bucket::Failed("131026 Message undeliverable".into()),
                "failed:131026 Message undeliverable",
            ),
            (
                Bucket::Priced {
                    kind: "regular".into(),
                    category: "marketing".into(),
                    country: "39".into(),
                },
                "priced:regular:marketing:39",
            ),
            (Bucket::Unknown("later_kind".into()), "later_kind"),
        ];
        for (b, key) in all {
            assert_eq!(b.key(), key);
            assert_eq!(Bucket::parse(key), b);
        }
        assert_eq!(
            Bucket::parse("skipped:a_reason_of_a_later_version"),
            Bucket::Unknown("skipped:a_reason_of_a_later_version".into())
        );
        for (s, n) in SKIPS {
            assert_eq!(Skip::parse(n), Some(s));
            assert_eq!(s.name(), n);
        }
    }

    /// A recipient's record keeps the names earlier versions wrote.
    #[test]
    fn recipient_states_keep_their_stored_names() {
        let all = [
            (RecipientState::Sending, "\"sending\""),
            (RecipientState::Sent, "\"sent\""),
            (RecipientState::Deferred, "\"deferred\""),
            (RecipientState::Failed, "\"failed\""),
            (RecipientState::Uncertain, "\"unknown\""),
            (
                RecipientState::Skipped(Skip::Blocked),
                "\"skipped:blocked\"",
            ),
            (RecipientState::Unknown("paused".into()), "\"paused\""),
        ];
        for (state, json) in all {
            assert_eq!(serde_json::to_string(&state).unwrap(), json);
            let back: RecipientState = serde_json::from_str(json).unwrap();
            assert_eq!(back, state);
        }
    }
}
