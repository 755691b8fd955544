//! WhatsApp's 24-hour customer-service window: free-form messages only within 24 hours of
//! the citizen's last message; outside it, only approved templates. Pure functions of the
//! last message time and `now`; the topic text shows staff where they stand.

use chrono::{TimeZone, Utc};

use crate::texts::Texts;

/// The window's length after each citizen message.
pub const WINDOW_SECS: i64 = 24 * 3600;

/// When the window closes, if the citizen ever wrote.
pub fn until(last_inbound_at: Option<i64>) -> Option<i64> {
    last_inbound_at.map(|t| t + WINDOW_SECS)
}

pub fn is_open(last_inbound_at: Option<i64>, now: i64) -> bool {
    until(last_inbound_at).is_some_and(|u| now < u)
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
