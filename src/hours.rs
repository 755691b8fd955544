//! Office hours, pure: the weekly opening ranges in the office's time zone (daylight saving
//! handled by the zone), Italy's national holidays (Easter Monday computed), local holidays,
//! configured closures; whether the office is open at an instant, when it next opens or
//! closes, and that moment in words ("martedì 2 dicembre alle 9:00").

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::texts::Lang;

/// One opening range of a day, local time, `from` < `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub from: NaiveTime,
    pub to: NaiveTime,
}

/// A configured closure: the office is closed on every day from `from` to `to` (inclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closure {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct Schedule {
    pub tz: Tz,
    /// Monday first.
    pub week: [Vec<Range>; 7],
    pub closures: Vec<Closure>,
    /// Recurring local holidays: (month, day, name).
    pub local_holidays: Vec<(u32, u32, String)>,
}

/// Parses "09:00-13:00".
pub fn parse_range(s: &str) -> Result<Range, String> {
    let (a, b) = s
        .split_once('-')
        .ok_or_else(|| format!("\"{s}\" is not a range like 09:00-13:00"))?;
    let t = |x: &str| {
        NaiveTime::parse_from_str(x.trim(), "%H:%M")
            .map_err(|_| format!("\"{}\" in \"{s}\" is not a time like 09:00", x.trim()))
    };
    let (from, to) = (t(a)?, t(b)?);
    if from >= to {
        return Err(format!("\"{s}\" ends before it starts"));
    }
    Ok(Range { from, to })
}

/// Easter Sunday (Gregorian calendar; the anonymous Gregorian algorithm).
pub fn easter(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("a valid date")
}

/// Italy's national holidays (the days public offices close).
pub fn national_holiday(d: NaiveDate) -> Option<&'static str> {
    let easter = easter(d.year());
    if d == easter {
        return Some("Pasqua");
    }
    if d == easter + Duration::days(1) {
        return Some("Lunedì dell'Angelo");
    }
    Some(match (d.month(), d.day()) {
        (1, 1) => "Capodanno",
        (1, 6) => "Epifania",
        (4, 25) => "Festa della Liberazione",
        (5, 1) => "Festa del Lavoro",
        (6, 2) => "Festa della Repubblica",
        (8, 15) => "Ferragosto",
        // San Francesco d'Assisi, a national holiday again from 2026 (law 151/2025).
        (10, 4) if d.year() >= 2026 => "San Francesco d'Assisi",
        (11, 1) => "Ognissanti",
        (12, 8) => "Immacolata Concezione",
        (12, 25) => "Natale",
        (12, 26) => "Santo Stefano",
        _ => return None,
    })
}

/// A local instant from a date and a wall-clock time (the earlier one when the clock goes
/// back; the first valid minute after a skipped hour).
fn local(tz: &Tz, d: NaiveDate, t: NaiveTime) -> DateTime<Tz> {
    let naive = d.and_time(t);
    tz.from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(naive + Duration::hours(1)))
                .earliest()
        })
        .expect("an hour after a gap exists")
}

impl Schedule {
    /// Why the office is closed all day on `d` (holiday or closure), if it is.
    pub fn closed_day(&self, d: NaiveDate) -> Option<String> {
        if let Some(h) = national_holiday(d) {
            return Some(h.to_owned());
        }
        if let Some((_, _, name)) = self
            .local_holidays
            .iter()
            .find(|(m, day, _)| *m == d.month() && *day == d.day())
        {
            return Some(name.clone());
        }
        self.closures
            .iter()
            .find(|c| c.from <= d && d <= c.to)
            .map(|c| c.reason.clone())
    }

    /// The opening ranges of a date as instants (none on holidays and closures).
    fn ranges(&self, d: NaiveDate) -> Vec<(DateTime<Tz>, DateTime<Tz>)> {
        if self.closed_day(d).is_some() {
            return vec![];
        }
        self.week[d.weekday().num_days_from_monday() as usize]
            .iter()
            .map(|r| (local(&self.tz, d, r.from), local(&self.tz, d, r.to)))
            .collect()
    }

    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        let d = at.with_timezone(&self.tz).date_naive();
        self.ranges(d)
            .iter()
            .any(|(from, to)| *from <= at && at < *to)
    }

    /// The next time the office opens or closes after `at` (within a year), and whether
    /// that change is an opening.
    pub fn next_change(&self, at: DateTime<Utc>) -> Option<(DateTime<Tz>, bool)> {
        let start = at.with_timezone(&self.tz).date_naive();
        for offset in 0..=366 {
            let d = start + Duration::days(offset);
            for (from, to) in self.ranges(d) {
                if from > at {
                    return Some((from, true));
                }
                if to > at {
                    return Some((to, false));
                }
            }
        }
        None
    }

    /// Seconds the office was open between `from` and `to` (looked at over at most 62 days
    /// before `to`: longer waits count as that).
    pub fn open_seconds(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> u64 {
        if to <= from {
            return 0;
        }
        let from = from.max(to - Duration::days(62));
        let first = from.with_timezone(&self.tz).date_naive();
        let last = to.with_timezone(&self.tz).date_naive();
        let mut total = 0;
        let mut d = first;
        while d <= last {
            for (open, close) in self.ranges(d) {
                let start = open.with_timezone(&Utc).max(from);
                let end = close.with_timezone(&Utc).min(to);
                if end > start {
                    total += (end - start).num_seconds() as u64;
                }
            }
            d += Duration::days(1);
        }
        total
    }

    /// When the office next opens (now, if it is open).
    pub fn next_opening(&self, at: DateTime<Utc>) -> Option<DateTime<Tz>> {
        if self.is_open(at) {
            return Some(at.with_timezone(&self.tz));
        }
        // While closed, the next change is an opening.
        self.next_change(at).map(|(t, _)| t)
    }
}

const DAYS_IT: [&str; 7] = [
    "lunedì",
    "martedì",
    "mercoledì",
    "giovedì",
    "venerdì",
    "sabato",
    "domenica",
];
const MONTHS_IT: [&str; 12] = [
    "gennaio",
    "febbraio",
    "marzo",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "agosto",
    "settembre",
    "ottobre",
    "novembre",
    "dicembre",
];

/// A moment in words: "martedì 2 dicembre alle 9:00" / "Tuesday 2 December at 9:00".
pub fn when_text(t: DateTime<Tz>, lang: Lang) -> String {
    let wd = t.weekday().num_days_from_monday() as usize;
    let time = format!("{}:{:02}", t.format("%-H"), t.format("%M"));
    match lang {
        Lang::It => format!(
            "{} {} {} alle {time}",
            DAYS_IT[wd],
            t.day(),
            MONTHS_IT[t.month0() as usize]
        ),
        Lang::En => format!("{} {} {} at {time}", DAYS_EN[wd], t.day(), t.format("%B")),
    }
}

const DAYS_EN: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// The week, a line a day: "martedì: 9:00–13:00, 15:00–17:00" (`closed` for days without).
pub fn week_lines(s: &Schedule, lang: Lang, closed: &str) -> Vec<String> {
    let hm = |t: NaiveTime| format!("{}:{}", t.format("%-H"), t.format("%M"));
    s.week
        .iter()
        .enumerate()
        .map(|(i, ranges)| {
            let day = match lang {
                Lang::It => DAYS_IT[i],
                Lang::En => DAYS_EN[i],
            };
            let list: Vec<String> = ranges
                .iter()
                .map(|r| format!("{}–{}", hm(r.from), hm(r.to)))
                .collect();
            let list = if list.is_empty() {
                closed.to_owned()
            } else {
                list.join(", ")
            };
            format!("{day}: {list}")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Weekday;

    fn rome() -> Schedule {
        Schedule {
            tz: chrono_tz::Europe::Rome,
            // The launch town's week: the configuration's default.
            week: crate::config::Hours::default()
                .schedule(chrono_tz::Europe::Rome)
                .unwrap()
                .week,
            closures: vec![Closure {
                from: NaiveDate::from_ymd_opt(2026, 12, 28).unwrap(),
                to: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
                reason: "Chiusura di fine anno".into(),
            }],
            local_holidays: vec![(12, 7, "Sant'Ambrogio".into())],
        }
    }

    /// A local Rome time as UTC.
    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        chrono_tz::Europe::Rome
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .earliest()
            .unwrap()
            .with_timezone(&Utc)
    }

    /// Office time between two instants: only the open ranges count — a message at Tuesday
    /// 12:30 waits 30 minutes until 13:00, then nothing until 15:00; a Friday message at 12:50
    /// has waited 15 minutes by Wednesday 9:05: the weekend, Monday 7 December (Sant'Ambrogio,
    /// local) and Tuesday 8 (the Immacolata, national) are closed.
    #[test]
    fn open_seconds_count_only_office_time() {
        let s = rome();
        // Tuesday 1 December 2026: 9–13 and 15–17.
        assert_eq!(
            s.open_seconds(at(2026, 12, 1, 12, 30), at(2026, 12, 1, 14, 30)),
            30 * 60
        );
        assert_eq!(
            s.open_seconds(at(2026, 12, 1, 12, 30), at(2026, 12, 1, 15, 10)),
            40 * 60
        );
        assert_eq!(
            s.open_seconds(at(2026, 12, 1, 18, 0), at(2026, 12, 1, 8, 0)),
            0
        );
        assert_eq!(
            s.open_seconds(at(2026, 12, 4, 12, 50), at(2026, 12, 9, 9, 5)),
            15 * 60
        );
    }

    #[test]
    fn easter_dates() {
        for (y, m, d) in [
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2038, 4, 25),
        ] {
            assert_eq!(easter(y), NaiveDate::from_ymd_opt(y, m, d).unwrap(), "{y}");
        }
        let monday = NaiveDate::from_ymd_opt(2026, 4, 6).unwrap();
        assert_eq!(national_holiday(monday), Some("Lunedì dell'Angelo"));
    }

    #[test]
    fn opening_edges_lunch_gap_and_sunday() {
        let s = rome();
        // Tuesday 1 December 2026.
        assert!(!s.is_open(at(2026, 12, 1, 8, 59)));
        assert!(s.is_open(at(2026, 12, 1, 9, 0)));
        assert!(s.is_open(at(2026, 12, 1, 12, 59)));
        assert!(
            !s.is_open(at(2026, 12, 1, 13, 0)),
            "the closing minute is closed"
        );
        assert!(!s.is_open(at(2026, 12, 1, 14, 30)), "lunch gap");
        assert!(s.is_open(at(2026, 12, 1, 15, 0)));
        assert!(!s.is_open(at(2026, 12, 1, 17, 0)));
        // Wednesday has no afternoon.
        assert!(!s.is_open(at(2026, 12, 2, 15, 30)));
        // Sunday.
        assert!(!s.is_open(at(2026, 12, 6, 10, 0)));
        let next = s.next_opening(at(2026, 12, 5, 21, 0)).unwrap();
        // Monday 7 December is Sant'Ambrogio here, Tuesday 8 the Immacolata: Wednesday 9.
        assert_eq!(when_text(next, Lang::It), "mercoledì 9 dicembre alle 9:00");
        assert_eq!(when_text(next, Lang::En), "Wednesday 9 December at 9:00");
    }

    #[test]
    fn holidays_closures_and_next_change() {
        let s = rome();
        assert!(!s.is_open(at(2026, 4, 6, 10, 0)), "Easter Monday");
        assert!(!s.is_open(at(2026, 12, 29, 10, 0)), "a configured closure");
        assert_eq!(
            s.closed_day(NaiveDate::from_ymd_opt(2026, 12, 30).unwrap())
                .as_deref(),
            Some("Chiusura di fine anno")
        );
        // From the lunch gap the next change is the afternoon opening; from the morning, the
        // closing at 13:00.
        let (t, opens) = s.next_change(at(2026, 12, 1, 14, 0)).unwrap();
        assert!(opens && t.format("%H:%M").to_string() == "15:00");
        let (t, opens) = s.next_change(at(2026, 12, 1, 10, 0)).unwrap();
        assert!(!opens && t.format("%H:%M").to_string() == "13:00");
        // Christmas Eve is a Thursday; after it: 25, 26 holidays, 27 Sunday, 28–31 closed,
        // 1 January holiday, 2–3 weekend: Monday 4 January 2027.
        let next = s.next_opening(at(2026, 12, 24, 17, 30)).unwrap();
        assert_eq!(when_text(next, Lang::It), "lunedì 4 gennaio alle 9:00");
    }

    #[test]
    fn daylight_saving_weekends() {
        let s = rome();
        // Clocks go forward on Sunday 29 March 2026 and back on Sunday 25 October 2026: the
        // Monday after each opens at 9:00 local time.
        for (d, m) in [(27, 3), (23, 10)] {
            let next = s.next_opening(at(2026, m, d, 18, 0)).unwrap();
            assert_eq!(next.format("%H:%M").to_string(), "09:00");
            assert_eq!(next.weekday(), Weekday::Mon);
        }
        // 9:00 in Rome is 08:00 UTC in winter and 07:00 UTC in summer.
        assert!(s.is_open(Utc.with_ymd_and_hms(2026, 3, 30, 7, 0, 0).unwrap()));
        assert!(!s.is_open(Utc.with_ymd_and_hms(2026, 3, 27, 7, 30, 0).unwrap()));
        assert!(s.is_open(Utc.with_ymd_and_hms(2026, 10, 26, 8, 0, 0).unwrap()));
        assert!(!s.is_open(Utc.with_ymd_and_hms(2026, 10, 26, 7, 30, 0).unwrap()));
    }

    #[test]
    fn the_week_in_words() {
        let lines = week_lines(&rome(), Lang::It, "chiuso");
        assert_eq!(lines[1], "martedì: 9:00–13:00, 15:00–17:00");
        assert_eq!(lines[6], "domenica: chiuso");
        assert_eq!(
            week_lines(&rome(), Lang::En, "closed")[0],
            "Monday: 9:00–13:00"
        );
    }

    #[test]
    fn ranges_are_checked() {
        assert!(parse_range("09:00-13:00").is_ok());
        assert!(
            parse_range("13:00-09:00")
                .unwrap_err()
                .contains("ends before")
        );
        assert!(parse_range("9-13").is_err());
    }
}
