//! The pure parts of sending a broadcast: the callback tag that identifies each send, the
//! pace (spacing, at most the rate started in any second, slowing down on 130429), what each
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

/// At most this many attempts per recipient before it counts as failed.
pub(in crate::bridge) const MAX_ATTEMPTS: u32 = 8;

const SECOND: Duration = Duration::from_secs(1);

/// The pace: sends spaced at the current rate, with a little credit to make up for time spent
/// committing (a fifth of a second's worth), and never more than the rate started in any one
/// second — what Meta counts. Halved on 130429, slowly restored.
///
/// Meta counts a request in the second it *arrives*, which is its start plus the time on the
/// way; two requests started a second apart arrive less than a second apart only when the
/// first took longer on the way than the second. So a start is counted for one second plus
/// the spread of the recent answers' latencies (slowest minus quickest over the last second:
/// a few milliseconds on a quiet link, more on a jittery one), and a request still in flight
/// after that is counted until it lands. No fixed margin: on a steady link the sender runs
/// at the configured rate, and on 130429 it backs off and recovers.
pub(in crate::bridge) struct Pace {
    max: f64,
    rate: f64,
    next: tokio::time::Instant,
    clean: u32,
    flights: Arc<Flights>,
}

/// The sends counted now and how long the recent ones took.
#[derive(Default)]
struct Flights {
    state: Mutex<FlightState>,
    landed: tokio::sync::Notify,
}

#[derive(Default)]
struct FlightState {
    next_id: u64,
    /// Sends started within the counting window, oldest first (start, id).
    started: VecDeque<(tokio::time::Instant, u64)>,
    /// Sends not yet answered.
    in_flight: std::collections::HashSet<u64>,
    /// Sends not yet answered that started before the window: still counted.
    stragglers: std::collections::HashSet<u64>,
    /// The answers of the last second: when, and how long each took.
    answered: VecDeque<(tokio::time::Instant, Duration)>,
}

impl FlightState {
    /// Slowest minus quickest answer of the last second.
    fn spread(&mut self, now: tokio::time::Instant) -> Duration {
        while self
            .answered
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) >= SECOND)
        {
            self.answered.pop_front();
        }
        let took = self.answered.iter().map(|(_, d)| *d);
        match (took.clone().max(), took.min()) {
            (Some(max), Some(min)) => max - min,
            _ => Duration::ZERO,
        }
    }

    /// How many sends count now: started within one second plus the spread, and those
    /// started before that still in flight.
    fn counted(&mut self, now: tokio::time::Instant) -> usize {
        let window = SECOND + self.spread(now);
        while let Some(&(t, id)) = self.started.front() {
            if now.duration_since(t) < window {
                break;
            }
            self.started.pop_front();
            if self.in_flight.contains(&id) {
                self.stragglers.insert(id);
            }
        }
        self.started.len() + self.stragglers.len()
    }
}

/// One admitted send: in flight until dropped (when its answer came back, or it was given up).
pub(in crate::bridge) struct Flight {
    flights: Arc<Flights>,
    id: u64,
    started: tokio::time::Instant,
}

impl Drop for Flight {
    fn drop(&mut self) {
        let mut st = self.flights.state.lock().unwrap_or_else(|e| e.into_inner());
        st.in_flight.remove(&self.id);
        st.stragglers.remove(&self.id);
        let now = tokio::time::Instant::now();
        st.answered
            .push_back((now, now.duration_since(self.started)));
        drop(st);
        self.flights.landed.notify_one();
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

    /// Waits for the next slot; the send is counted as [`Pace`] says.
    pub(in crate::bridge) async fn slot(&mut self) -> Flight {
        let now = tokio::time::Instant::now();
        let credit = Duration::from_secs_f64(0.2);
        if self.next + credit < now {
            self.next = now - credit;
        }
        tokio::time::sleep_until(self.next).await;
        let cap = (self.rate.floor() as usize).max(1);
        let (id, started) = loop {
            let wait = {
                let mut st = self.flights.state.lock().unwrap_or_else(|e| e.into_inner());
                let now = tokio::time::Instant::now();
                if st.counted(now) < cap {
                    let id = st.next_id;
                    st.next_id += 1;
                    st.started.push_back((now, id));
                    st.in_flight.insert(id);
                    break (id, now);
                }
                let window = SECOND + st.spread(now);
                st.started.front().map(|(t, _)| *t + window)
            };
            match wait {
                // Room comes when the oldest start leaves the window …
                Some(at) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(at) => {}
                        _ = self.flights.landed.notified() => {}
                    }
                }
                // … or, with only stragglers counted, once one lands.
                None => self.flights.landed.notified().await,
            }
        };
        self.next += Duration::from_secs_f64(1.0 / self.rate);
        Flight {
            flights: self.flights.clone(),
            id,
            started,
        }
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
            assert!(within <= 50, "{within} sends in one second");
        }
        let span = times.last().unwrap().duration_since(times[0]).as_secs_f64();
        // Each 300 ms stall is made up to the credit's 200 ms.
        assert!(
            400.0 / span > 45.0,
            "the stalls were made up: {:.1}/s",
            400.0 / span
        );
    }

    /// Sends whose answers take from nothing to 0.77 s: taking each request to arrive half-way
    /// through its round trip, no one second of arrivals holds more than the rate, and the
    /// sender still runs at a useful rate (the window widens by the latencies' spread).
    #[tokio::test(start_paused = true)]
    async fn jittery_answers_widen_the_window_so_arrivals_stay_under_the_rate() {
        let mut p = Pace::new(50);
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0u64..300 {
            let flight = p.slot().await;
            let start = tokio::time::Instant::now();
            let log = log.clone();
            tasks.spawn(async move {
                // Latencies from 0 to 0.77 s in no period the pace could line up with.
                let took = Duration::from_millis((i * 7919 % 97) * 8);
                tokio::time::sleep(took).await;
                drop(flight);
                log.lock().unwrap().push((start, start + took / 2));
            });
        }
        while tasks.join_next().await.is_some() {}
        let log = log.lock().unwrap();
        let mut arrivals: Vec<_> = log.iter().map(|(_, a)| *a).collect();
        arrivals.sort();
        for (i, t) in arrivals.iter().enumerate() {
            let within = arrivals[i..]
                .iter()
                .take_while(|u| u.duration_since(*t) < SECOND)
                .count();
            assert!(within <= 50, "{within} arrivals in one second");
        }
        let span = *arrivals.last().unwrap() - log[0].0;
        assert!(
            300.0 / span.as_secs_f64() > 25.0,
            "still sends at a useful rate: {:.1}/s",
            300.0 / span.as_secs_f64()
        );
    }

    /// Quick, steady answers: the configured rate itself, with no margin taken off.
    #[tokio::test(start_paused = true)]
    async fn steady_answers_run_at_the_configured_rate() {
        let mut p = Pace::new(50);
        let first = tokio::time::Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..500 {
            let flight = p.slot().await;
            tasks.spawn(async move {
                tokio::time::sleep(Duration::from_millis(30)).await;
                drop(flight);
            });
        }
        while tasks.join_next().await.is_some() {}
        let rate = 500.0 / first.elapsed().as_secs_f64();
        assert!(rate >= 47.5, "at least 95% of the rate: {rate:.1}/s");
        assert!(rate <= 50.5, "never above it: {rate:.1}/s");
    }

    /// A send that never lands is counted until it does, however long after its start.
    #[tokio::test(start_paused = true)]
    async fn a_send_still_in_flight_is_counted_until_it_lands() {
        let mut p = Pace::new(3);
        let stuck: Vec<Flight> = vec![p.slot().await, p.slot().await, p.slot().await];
        tokio::time::sleep(Duration::from_secs(5)).await;
        let waiting = tokio::time::timeout(Duration::from_secs(10), p.slot()).await;
        assert!(waiting.is_err(), "no room while three are in flight");
        drop(stuck);
        let t = tokio::time::Instant::now();
        let _next = p.slot().await;
        assert!(t.elapsed() < SECOND, "room as soon as they landed");
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
