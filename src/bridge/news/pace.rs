//! The pure parts of sending a broadcast: the callback tag that identifies each send, the
//! pace (spacing, a sliding one-second cap with headroom, slowing down on 130429), what each
//! Graph error means for a recipient, and the one-line template parameter.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracing::warn;

use crate::whatsapp::{GraphError, Handling};

/// The callback tag of a broadcast's send: broadcast id and the recipient's ordinal.
pub(in crate::bridge) fn tag(id: u64, ordinal: u64) -> String {
    format!("sportello-bc-{id}-{ordinal}")
}

/// The broadcast id and ordinal of a tag.
pub(in crate::bridge) fn parse_tag(tag: &str) -> Option<(u64, u64)> {
    let (id, ordinal) = tag.strip_prefix("sportello-bc-")?.split_once('-')?;
    Some((id.parse().ok()?, ordinal.parse().ok()?))
}

/// What happened to one send.
pub(in crate::bridge) enum Outcome {
    Sent(String),
    /// Try again later (130429, 131056, 5xx …): `after` seconds.
    Later {
        after: u64,
        why: String,
        throttled: bool,
    },
    /// Refused for good.
    Failed {
        code: i64,
        why: String,
    },
    /// No answer in time: it may have been accepted; never resent.
    Unknown,
}

/// The share of the configured rate that may leave in any one second.
pub(in crate::bridge) const HEADROOM: f64 = 0.9;

/// At most this many attempts per recipient before it counts as failed.
pub(in crate::bridge) const MAX_ATTEMPTS: u32 = 8;

const SECOND: Duration = Duration::from_secs(1);

/// The pace: sends spaced at the current rate, with a little credit to make up for time spent
/// committing (a fifth of a second's worth), and never more than 90% of `rate` requests
/// touching any one second. Halved on 130429, slowly restored.
///
/// Meta counts a request in the second it arrives, which is somewhere between the moment it
/// left and the moment its answer came back; a scheduler stall or the network can bunch
/// requests that left a second apart. So a new send is admitted only while fewer than the cap
/// are in flight or were answered within the last second: then no one-second window, wherever
/// it lies, can see more than the cap arrive. (Take the last of the requests arriving in some
/// window to be admitted: every other one was still in flight or had been answered less than a
/// second before, so all were counted when it was admitted.) The 10% is headroom for Meta's
/// own clock.
pub(in crate::bridge) struct Pace {
    max: f64,
    rate: f64,
    next: tokio::time::Instant,
    clean: u32,
    flights: Arc<Flights>,
}

/// The sends in flight and when the recent ones were answered.
#[derive(Default)]
struct Flights {
    state: Mutex<FlightState>,
    landed: tokio::sync::Notify,
}

#[derive(Default)]
struct FlightState {
    in_flight: usize,
    /// When the sends answered in the last second were answered, oldest first.
    answered: VecDeque<tokio::time::Instant>,
}

/// One admitted send: counts as in flight until dropped (when its answer came back, or it was
/// given up).
pub(in crate::bridge) struct Flight(Arc<Flights>);

impl Drop for Flight {
    fn drop(&mut self) {
        let mut st = self.0.state.lock().unwrap_or_else(|e| e.into_inner());
        st.in_flight -= 1;
        st.answered.push_back(tokio::time::Instant::now());
        drop(st);
        self.0.landed.notify_one();
    }
}

impl Pace {
    pub(in crate::bridge) fn new(max: u32) -> Pace {
        Pace {
            max: max as f64,
            rate: max as f64,
            next: tokio::time::Instant::now(),
            clean: 0,
            flights: Arc::default(),
        }
    }

    /// Waits for the next slot; the send counts against the cap until the `Flight` is dropped.
    pub(in crate::bridge) async fn slot(&mut self) -> Flight {
        let now = tokio::time::Instant::now();
        let credit = Duration::from_secs_f64(0.2);
        if self.next + credit < now {
            self.next = now - credit;
        }
        tokio::time::sleep_until(self.next).await;
        let cap = ((self.rate * HEADROOM).floor() as usize).max(1);
        loop {
            let wait = {
                let mut st = self.flights.state.lock().unwrap_or_else(|e| e.into_inner());
                let now = tokio::time::Instant::now();
                while st
                    .answered
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= SECOND)
                {
                    st.answered.pop_front();
                }
                if st.in_flight + st.answered.len() < cap {
                    st.in_flight += 1;
                    break;
                }
                st.answered.front().map(|t| *t + SECOND)
            };
            match wait {
                // Room comes when the oldest answer is a second old …
                Some(at) => tokio::time::sleep_until(at).await,
                // … or, with everything in flight, once something lands.
                None => self.flights.landed.notified().await,
            }
        }
        self.next += Duration::from_secs_f64(1.0 / self.rate);
        Flight(self.flights.clone())
    }

    /// Meta said "too fast": halve the rate and pause.
    pub(in crate::bridge) fn throttled(&mut self) {
        self.rate = (self.rate / 2.0).max(1.0);
        self.clean = 0;
        self.next = tokio::time::Instant::now() + Duration::from_secs(1);
        warn!(rate = self.rate, "throughput limit hit; slowing down");
    }

    /// A success: after a clean stretch the rate creeps back up to the configured one.
    pub(in crate::bridge) fn ok(&mut self) {
        self.clean += 1;
        if self.rate < self.max && self.clean as f64 >= self.rate {
            self.rate = (self.rate * 1.25).min(self.max);
            self.clean = 0;
        }
    }

    pub(in crate::bridge) fn rate(&self) -> f64 {
        self.rate
    }
}

/// What a failed send means for a broadcast (Cloud API reference §11, §12).
pub(in crate::bridge) fn classify(e: &GraphError, attempts: u32) -> Outcome {
    let why = match e {
        GraphError::Api { message, .. } => crate::ids::mask_text(message),
        other => other.to_string(),
    };
    if attempts >= MAX_ATTEMPTS && !matches!(e, GraphError::Timeout) {
        return Outcome::Failed {
            code: e.code().unwrap_or(0),
            why,
        };
    }
    match (e.code(), e.handling()) {
        (_, _) if matches!(e, GraphError::Timeout) => Outcome::Unknown,
        (Some(130429), _) => Outcome::Later {
            after: 1u64 << attempts.min(5),
            why,
            throttled: true,
        },
        // Pair rate limit: 4^X seconds for this recipient only.
        (Some(131056), _) => Outcome::Later {
            after: 4u64.pow(attempts.saturating_sub(1).min(4)),
            why,
            throttled: false,
        },
        (Some(131057), _) => Outcome::Later {
            after: 30,
            why,
            throttled: false,
        },
        (_, Handling::Retry | Handling::Recipient) => Outcome::Later {
            after: 1u64 << attempts.min(6),
            why,
            throttled: false,
        },
        (code, _) => Outcome::Failed {
            code: code.unwrap_or(0),
            why,
        },
    }
}

/// A template parameter cannot hold new lines, tabs or more than four spaces in a row.
pub(in crate::bridge) fn template_parameter(text: &str) -> String {
    let flat: Vec<&str> = text.split_whitespace().collect();
    flat.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// A callback tag (echoed by Meta on every status) names its send, and nothing else
        /// reads as one.
        #[test]
        fn callback_tags_round_trip(id in proptest::prelude::any::<u64>(), n in proptest::prelude::any::<u64>(), other in ".{0,40}") {
            proptest::prop_assert_eq!(parse_tag(&tag(id, n)), Some((id, n)));
            if let Some((a, b)) = parse_tag(&other) {
                proptest::prop_assert_eq!(tag(a, b).len() <= other.len(), true);
            }
        }
    }

    /// Never more than the rate in any second, even when catching up after a stall.
    #[tokio::test(start_paused = true)]
    async fn pace_never_exceeds_the_rate_in_any_second() {
        let mut p = Pace::new(50);
        let mut times = Vec::new();
        for i in 0..400 {
            if i % 40 == 0 {
                tokio::time::sleep(Duration::from_millis(300)).await; // a slow commit
            }
            p.slot().await;
            times.push(tokio::time::Instant::now());
        }
        for (i, t) in times.iter().enumerate() {
            let within = times[i..]
                .iter()
                .take_while(|u| u.duration_since(*t) < Duration::from_secs(1))
                .count();
            assert!(within <= 45, "{within} sends in one second");
        }
        let span = times.last().unwrap().duration_since(times[0]).as_secs_f64();
        assert!(
            400.0 / span > 42.0,
            "the stalls were made up: {:.1}/s",
            400.0 / span
        );
    }

    /// Sends that take a while (up to 0.9 s) still never have more than the cap touching any
    /// one second, so no bunching on the way can push Meta's count over it.
    #[tokio::test(start_paused = true)]
    async fn slow_answers_count_until_they_land() {
        let mut p = Pace::new(50);
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0u64..300 {
            let flight = p.slot().await;
            let start = tokio::time::Instant::now();
            let log = log.clone();
            tasks.spawn(async move {
                // A spread of latencies: most quick, some slow.
                tokio::time::sleep(Duration::from_millis((i * 37 % 10) * 90)).await;
                drop(flight);
                log.lock()
                    .unwrap()
                    .push((start, tokio::time::Instant::now()));
            });
        }
        while tasks.join_next().await.is_some() {}
        let log = log.lock().unwrap();
        // Any window's count is at most the count seen at the admission of the last request
        // arriving in it: those admitted before it and answered less than a second before.
        for (start, _) in log.iter() {
            let touching = log
                .iter()
                .filter(|(s, e)| s <= start && *e + SECOND > *start)
                .count();
            assert!(touching <= 45, "{touching} sends touching one second");
        }
        let span = log.iter().map(|(_, e)| *e).max().unwrap() - log[0].0;
        assert!(
            300.0 / span.as_secs_f64() > 25.0,
            "still sends at a useful rate: {:.1}/s",
            300.0 / span.as_secs_f64()
        );
    }

    /// 130429: the rate halves and sending pauses a second; clean sends bring it back.
    #[tokio::test(start_paused = true)]
    async fn throttling_halves_the_rate_then_it_recovers() {
        let mut p = Pace::new(40);
        p.throttled();
        assert_eq!(p.rate(), 20.0);
        let t = tokio::time::Instant::now();
        p.slot().await;
        assert!(t.elapsed() >= Duration::from_secs(1), "{:?}", t.elapsed());
        for _ in 0..60 {
            p.ok();
        }
        assert!(
            p.rate() > 20.0 && p.rate() < 40.0,
            "creeps back: {}",
            p.rate()
        );
        for _ in 0..200 {
            p.ok();
        }
        assert_eq!(p.rate(), 40.0, "never above the configured rate");
    }

    #[test]
    fn tags_round_trip() {
        assert_eq!(parse_tag(&tag(12, 3456)), Some((12, 3456)));
        assert_eq!(parse_tag("sportello-bc-x-1"), None);
        assert_eq!(parse_tag("other"), None);
    }

    #[test]
    fn template_parameters_are_one_line() {
        assert_eq!(
            template_parameter("Strada chiusa\n\nvia Roma\tfino alle 18     oggi"),
            "Strada chiusa via Roma fino alle 18 oggi"
        );
    }

    #[test]
    fn failures_are_classified_as_the_reference_says() {
        let api = |code| GraphError::Api {
            http_status: 400,
            code,
            subcode: None,
            message: "x".into(),
            details: None,
            fbtrace_id: None,
        };
        assert!(matches!(
            classify(&api(130429), 1),
            Outcome::Later {
                throttled: true,
                ..
            }
        ));
        assert!(matches!(
            classify(&api(131056), 2),
            Outcome::Later {
                after: 4,
                throttled: false,
                ..
            }
        ));
        assert!(matches!(
            classify(&api(131050), 1),
            Outcome::Failed { code: 131050, .. }
        ));
        assert!(matches!(classify(&api(131026), 1), Outcome::Failed { .. }));
        assert!(matches!(
            classify(&GraphError::Timeout, 1),
            Outcome::Unknown
        ));
        assert!(matches!(
            classify(&api(130429), MAX_ATTEMPTS),
            Outcome::Failed { .. }
        ));
    }
}
