//! WhatsApp's 24-hour customer-service window: free-form messages only within 24 hours of
//! the citizen's last message; outside it, only approved templates. Pure functions of the
//! last message time and `now`; the topic text shows staff where they stand. Also the free
//! entry point (72 hours after a citizen came from an ad and was answered), for cost estimates.

use chrono::{TimeZone, Utc};

use crate::texts::Texts;

/// The window's length after each citizen message.
pub const WINDOW_SECS: i64 = crate::whatsapp::WINDOW_SECS;

/// When the window closes, if the citizen ever wrote.
pub fn until(last_inbound_at: Option<i64>) -> Option<i64> {
    last_inbound_at.map(|t| t + WINDOW_SECS)
}

pub fn is_open(last_inbound_at: Option<i64>, now: i64) -> bool {
    until(last_inbound_at).is_some_and(|u| now < u)
}

/// A free entry point's length (from an ad or a Page's call to action), once the office has
/// answered within 24 hours.
pub const ENTRY_POINT_SECS: i64 = 72 * 3600;

/// Whether messages to the citizen are free because they came from an ad: the office
/// answered after their message, and 72 hours have not passed since it. Counted from the
/// citizen's message, not the answer, so it never says free when Meta would charge.
pub fn free_entry_point(entry_point_at: Option<i64>, last_staff_at: Option<i64>, now: i64) -> bool {
    match (entry_point_at, last_staff_at) {
        (Some(ad), Some(answer)) => {
            answer >= ad && answer < ad + WINDOW_SECS && now < ad + ENTRY_POINT_SECS
        }
        _ => false,
    }
}

/// The room topic for a citizen (`who` is masked) given the window's end.
pub fn topic(who: &str, until: Option<i64>, now: i64, tz: chrono_tz::Tz, t: &Texts) -> String {
    match until.filter(|u| now < *u) {
        Some(u) => {
            let local = Utc
                .timestamp_opt(u, 0)
                .single()
                .map(|x| x.with_timezone(&tz));
            let format = t.get("time_format", &[]);
            let when = local
                .map(|x| x.format(&format).to_string())
                .unwrap_or_default();
            t.get("topic_open", &[("who", who), ("until", &when)])
        }
        None => t.get("topic_closed", &[("who", who)]),
    }
}

/// Splits `!template` arguments: words, or "quoted phrases".
pub fn split_args(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' | '“' | '”' => {
                if quoted {
                    out.push(std::mem::take(&mut cur));
                }
                quoted = !quoted;
            }
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_edges() {
        let t = 1_700_000_000;
        assert!(is_open(Some(t), t));
        assert!(is_open(Some(t), t + WINDOW_SECS - 1));
        assert!(!is_open(Some(t), t + WINDOW_SECS));
        assert!(!is_open(None, t));
    }

    #[test]
    fn free_entry_point_edges() {
        let ad = 1_700_000_000;
        let answered = Some(ad + 3600);
        assert!(free_entry_point(
            Some(ad),
            answered,
            ad + ENTRY_POINT_SECS - 1
        ));
        assert!(!free_entry_point(Some(ad), answered, ad + ENTRY_POINT_SECS));
        assert!(
            !free_entry_point(Some(ad), None, ad + 60),
            "not answered yet"
        );
        assert!(
            !free_entry_point(Some(ad), Some(ad + WINDOW_SECS), ad + WINDOW_SECS + 1),
            "answered too late"
        );
        assert!(
            !free_entry_point(Some(ad), Some(ad - 1), ad + 60),
            "answer before the ad"
        );
        assert!(!free_entry_point(None, answered, ad));
    }

    #[test]
    fn topic_in_office_time() {
        // 2026-11-29 10:00 UTC is 11:00 in Rome (winter time).
        let u = 1_795_946_400;
        let en = Texts::default();
        let open = topic("+39•••4567", Some(u), u - 60, chrono_tz::Europe::Rome, &en);
        assert!(open.contains("window open until 11:00 on 29/11"), "{open}");
        let closed = topic("+39•••4567", Some(u), u, chrono_tz::Europe::Rome, &en);
        assert!(closed.contains("window closed"), "{closed}");
        let it = Texts::new(crate::texts::Lang::It, Default::default());
        let aperta = topic("+39•••4567", Some(u), u - 60, chrono_tz::Europe::Rome, &it);
        assert!(
            aperta.contains("finestra aperta fino alle 11:00 del 29/11"),
            "{aperta}"
        );
    }

    #[test]
    fn args() {
        assert_eq!(
            split_args(r#"riprendi "Anna Maria" 3"#),
            ["riprendi", "Anna Maria", "3"]
        );
        assert_eq!(split_args("  a   b "), ["a", "b"]);
        assert!(split_args("").is_empty());
    }
}
