//! Pure: how the office is doing over a period, from the helpdesk's ledger — conversations
//! opened, answered (their first answer), closed; first-response times counted in open office
//! time (median and 90th percentile, nearest rank); answers held outside the window; the
//! satisfaction taps — in total and per staff member. Also the period `!stats` is asked for:
//! `today`, `week`, `month` (Italian words too) or `from..to` (`2026-11-01..2026-11-30` or
//! `01/11/2026..30/11/2026`; one date is that day).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use crate::hours::Schedule;
use crate::store::{Broadcast, Bucket, Tallied, Tally};

/// The period `!stats` covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    Today,
    /// Since Monday.
    Week,
    /// Since the first of the month.
    Month,
    /// From the first day's start to the last day's end (office time zone).
    Days(NaiveDate, NaiveDate),
}

/// Why a period could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PeriodError {
    /// Not a word or a date `!stats` knows.
    Unknown(String),
    /// The last day is before the first.
    Backwards,
}

fn date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .ok()
}

impl Period {
    pub fn parse(args: &str) -> Result<Period, PeriodError> {
        let a = args.trim().to_lowercase();
        let p = match a.as_str() {
            "" | "today" | "oggi" => Period::Today,
            "week" | "settimana" => Period::Week,
            "month" | "mese" => Period::Month,
            _ => {
                let unknown = || PeriodError::Unknown(args.trim().to_owned());
                let (from, to) = match a.split_once("..") {
                    Some((f, t)) => (date(f).ok_or_else(unknown)?, date(t).ok_or_else(unknown)?),
                    None => {
                        let d = date(&a).ok_or_else(unknown)?;
                        (d, d)
                    }
                };
                if to < from {
                    return Err(PeriodError::Backwards);
                }
                Period::Days(from, to)
            }
        };
        Ok(p)
    }

    /// Its start and its end, excluded (for the periods up to now, the second after `now`:
    /// what happened this very second is in).
    pub fn bounds(self, now: DateTime<Utc>, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        let today = now.with_timezone(&tz).date_naive();
        let end = now + Duration::seconds(1);
        let midnight = |d: NaiveDate| {
            tz.from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
                .earliest()
                .map_or(now, |t| t.with_timezone(&Utc))
        };
        match self {
            Period::Today => (midnight(today), end),
            Period::Week => {
                let monday = today - Duration::days(today.weekday().num_days_from_monday().into());
                (midnight(monday), end)
            }
            Period::Month => (midnight(today.with_day(1).unwrap_or(today)), end),
            Period::Days(from, to) => (midnight(from), midnight(to + Duration::days(1))),
        }
    }
}

/// What was counted, for the office or for one staff member.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    pub opened: u64,
    /// Conversations that got their first answer.
    pub answered: u64,
    /// Answers to a waiting citizen (first or later).
    pub answers: u64,
    pub closed: u64,
    pub held: u64,
    /// First-response times, in seconds of open office time, sorted.
    pub first_waits: Vec<u64>,
    /// Satisfaction taps: good, ok, bad.
    pub ratings: [u64; 3],
}

impl Figures {
    /// The `p` quantile (0 < p ≤ 1) of the first-response times, nearest rank.
    pub fn first_response(&self, p: f64) -> Option<u64> {
        let n = self.first_waits.len();
        if n == 0 {
            return None;
        }
        let rank = ((p * n as f64).ceil() as usize).clamp(1, n);
        Some(self.first_waits[rank - 1])
    }
}

/// The office's figures and each staff member's (by Matrix id, or the phone's name).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub all: Figures,
    pub staff: BTreeMap<String, Figures>,
}

impl Stats {
    /// Counts the ledger's entries; a wait is the office's open time from the citizen's
    /// message to the answer.
    pub fn count(entries: impl IntoIterator<Item = Tallied>, schedule: &Schedule) -> Stats {
        let mut s = Stats::default();
        let at = |t: u64| Utc.timestamp_opt(t as i64, 0).single().unwrap_or_default();
        for e in entries {
            let by = match &e.tally {
                Tally::Answered { by, .. } | Tally::Closed { by } | Tally::Held { by } => {
                    Some(by.clone())
                }
                Tally::Opened | Tally::Rated { .. } => None,
            };
            let mut both = |f: &mut dyn FnMut(&mut Figures)| {
                f(&mut s.all);
                if let Some(by) = &by {
                    f(s.staff.entry(by.clone()).or_default());
                }
            };
            match &e.tally {
                Tally::Opened => both(&mut |f| f.opened += 1),
                Tally::Answered {
                    waited_from, first, ..
                } => {
                    let waited = schedule.open_seconds(at(*waited_from), at(e.at));
                    both(&mut |f| {
                        f.answers += 1;
                        if *first {
                            f.answered += 1;
                            f.first_waits.push(waited);
                        }
                    })
                }
                Tally::Closed { .. } => both(&mut |f| f.closed += 1),
                Tally::Held { .. } => both(&mut |f| f.held += 1),
                Tally::Rated { rating } => {
                    let i = ["good", "ok", "bad"].iter().position(|r| r == rating);
                    if let Some(i) = i {
                        both(&mut |f| f.ratings[i] += 1);
                    }
                }
            }
        }
        for f in std::iter::once(&mut s.all).chain(s.staff.values_mut()) {
            f.first_waits.sort_unstable();
        }
        s
    }
}

/// The broadcasts started in `[from, to)`: how many, and how many messages Meta accepted.
pub fn broadcasts_in(all: &[Broadcast], from: u64, to: u64) -> (u64, u64) {
    all.iter()
        .filter(|b| b.started_at.is_some_and(|s| from <= s && s < to))
        .fold((0, 0), |(n, sent), b| {
            let s = b.count(&Bucket::Sent) + b.count(&Bucket::SentAfterRestart);
            (n + 1, sent + s)
        })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn rome() -> Tz {
        "Europe/Rome".parse().unwrap()
    }

    #[test]
    fn periods_in_words_and_dates() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(Period::parse(""), Ok(Period::Today));
        assert_eq!(Period::parse(" Settimana "), Ok(Period::Week));
        assert_eq!(Period::parse("MESE"), Ok(Period::Month));
        assert_eq!(
            Period::parse("2026-11-01..2026-11-30"),
            Ok(Period::Days(d(2026, 11, 1), d(2026, 11, 30)))
        );
        assert_eq!(
            Period::parse("01/11/2026..30/11/2026"),
            Ok(Period::Days(d(2026, 11, 1), d(2026, 11, 30)))
        );
        assert_eq!(
            Period::parse("25/12/2026"),
            Ok(Period::Days(d(2026, 12, 25), d(2026, 12, 25)))
        );
        assert_eq!(
            Period::parse("30/11/2026..01/11/2026"),
            Err(PeriodError::Backwards)
        );
        assert_eq!(
            Period::parse("l'altro ieri"),
            Err(PeriodError::Unknown("l'altro ieri".into()))
        );
    }

    /// Wednesday 2 December 2026, 10:30 in Rome (09:30 UTC).
    #[test]
    fn bounds_in_the_office_time_zone() {
        let now = Utc.with_ymd_and_hms(2026, 12, 2, 9, 30, 0).unwrap();
        let utc = |d, h| Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap();
        let dec = |d, h| Utc.with_ymd_and_hms(2026, 12, d, h, 0, 0).unwrap();
        let end = now + Duration::seconds(1);
        assert_eq!(Period::Today.bounds(now, rome()), (dec(1, 23), end));
        assert_eq!(Period::Week.bounds(now, rome()), (utc(29, 23), end));
        assert_eq!(Period::Month.bounds(now, rome()), (utc(30, 23), end));
        let days = Period::parse("2026-11-01..2026-11-30").unwrap();
        // Summer time ended on 25 October: both ends are at 23:00 UTC.
        assert_eq!(
            days.bounds(now, rome()),
            (
                Utc.with_ymd_and_hms(2026, 10, 31, 23, 0, 0).unwrap(),
                utc(30, 23)
            )
        );
    }

    /// The launch town's hours (Tuesday 9–13 and 15–17, Wednesday 9–13): a citizen who wrote
    /// on Tuesday at 12:30 and was answered on Wednesday at 9:10 waited 30 + 120 + 10 minutes
    /// of office time.
    #[test]
    fn first_responses_count_office_time_and_split_by_staff() {
        let schedule = crate::config::Hours::default().schedule(rome()).unwrap();
        // Tuesday 1 December 2026, 12:30 in Rome.
        let t = Utc
            .with_ymd_and_hms(2026, 12, 1, 11, 30, 0)
            .unwrap()
            .timestamp() as u64;
        let anna = "@anna:comune.example".to_owned();
        let mario = "@mario:comune.example".to_owned();
        let e = |at, tally| Tallied { at, tally };
        let answered = |by: &String, from, first| Tally::Answered {
            by: by.clone(),
            waited_from: from,
            first,
        };
        let entries = vec![
            e(t, Tally::Opened),
            e(t + 60, Tally::Opened),
            // Wednesday 9:10.
            e(t + 20 * 3600 + 40 * 60, answered(&anna, t, true)),
            e(t + 120, answered(&mario, t + 60, true)),
            e(t + 300, answered(&mario, t + 200, false)),
            e(t + 400, Tally::Closed { by: anna.clone() }),
            e(t + 500, Tally::Held { by: mario.clone() }),
            e(
                t + 600,
                Tally::Rated {
                    rating: "good".into(),
                },
            ),
            e(
                t + 700,
                Tally::Rated {
                    rating: "bad".into(),
                },
            ),
        ];
        let s = Stats::count(entries, &schedule);
        assert_eq!((s.all.opened, s.all.answered, s.all.answers), (2, 2, 3));
        assert_eq!((s.all.closed, s.all.held, s.all.ratings), (1, 1, [1, 0, 1]));
        assert_eq!(s.all.first_waits, vec![60, 160 * 60]);
        assert_eq!(s.all.first_response(0.5), Some(60));
        assert_eq!(s.all.first_response(0.9), Some(160 * 60));
        assert_eq!(s.staff[&anna].first_waits, vec![160 * 60]);
        assert_eq!((s.staff[&anna].closed, s.staff[&anna].answers), (1, 1));
        assert_eq!((s.staff[&mario].answers, s.staff[&mario].held), (2, 1));
        assert_eq!(Figures::default().first_response(0.5), None);
    }

    /// Broadcasts count by when they started; drafts never started do not count.
    #[test]
    fn broadcasts_of_the_period() {
        let b = |id: u64, started: Option<u64>, sent: u64, after_restart: u64| -> Broadcast {
            serde_json::from_value(serde_json::json!({
                "id": id, "topic": null, "text": "Strada chiusa in via Roma", "created_by": "@anna:x",
                "created_at": 1, "state": "done", "audience": 10, "started_at": started,
                "counts": {"sent": sent, "sent_after_restart": after_restart}
            }))
            .unwrap()
        };
        let all = [
            b(1, Some(100), 7, 1),
            b(2, Some(300), 5, 0),
            b(3, None, 0, 0),
        ];
        assert_eq!(broadcasts_in(&all, 100, 300), (1, 8));
        assert_eq!(broadcasts_in(&all, 0, 1000), (2, 13));
    }

    proptest! {
        /// Whatever is typed after `!stats`, the answer is a period or an error — and a
        /// period's end never comes before its start.
        #[test]
        fn any_argument_is_a_period_or_an_error(args in "\\PC{0,30}") {
            let now = Utc.with_ymd_and_hms(2026, 12, 2, 9, 30, 0).unwrap();
            if let Ok(p) = Period::parse(&args) {
                let (from, to) = p.bounds(now, rome());
                prop_assert!(from <= to);
            }
        }

        /// Nearest rank: the median and the 90th percentile are values of the list, in order.
        #[test]
        fn quantiles_are_values_in_order(mut v in proptest::collection::vec(0u64..100_000, 1..50)) {
            v.sort_unstable();
            let f = Figures { first_waits: v.clone(), ..Figures::default() };
            let (m, p90) = (f.first_response(0.5).unwrap(), f.first_response(0.9).unwrap());
            prop_assert!(v.contains(&m) && v.contains(&p90) && m <= p90);
        }

        /// Dates in either form, in either order of typing, are read as dates.
        #[test]
        fn dates_are_read_in_both_forms(y in 2000i32..2100, m in 1u32..13, d in 1u32..29) {
            let iso = format!("{y:04}-{m:02}-{d:02}");
            let it = format!("{d:02}/{m:02}/{y:04}");
            prop_assert_eq!(Period::parse(&iso), Period::parse(&it));
            let range = format!("{iso}..{it}");
            prop_assert!(Period::parse(&range).is_ok());
        }
    }
}
