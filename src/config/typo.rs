//! A parse error said so an administrator can fix it: where (line), and for a key Sportello
//! does not know, the closest key it does — a typo must never fall back to a default silently.

/// The error's message, with its line and, for an unknown key, the closest known one.
pub(super) fn explain(e: &toml::de::Error, text: &str) -> String {
    let message = e.message();
    let line = e
        .span()
        .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
    let hint = unknown_key(message)
        .and_then(|(key, known)| closest(key, &known).map(|k| format!(" Did you mean `{k}`?")));
    match line {
        Some(n) => format!("line {n}: {message}.{}", hint.unwrap_or_default()),
        None => format!("{message}.{}", hint.unwrap_or_default()),
    }
}

/// serde's "unknown field `x`, expected `a` or `b`" / "expected one of `a`, `b`, `c`": the
/// key and the keys allowed there.
fn unknown_key(message: &str) -> Option<(&str, Vec<&str>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (key, rest) = rest.split_once('`')?;
    let known = rest.split('`').skip(1).step_by(2).collect();
    Some((key, known))
}

/// The known key closest to `key`, if it is close enough to be a typo.
fn closest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    let key = key.to_lowercase();
    known
        .iter()
        .map(|k| (distance(&key, k), *k))
        .filter(|(d, k)| *d <= (k.chars().count() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Edit distance (insertions, deletions, substitutions) between two strings.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(here + 1);
            prev = here;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mistyped_key_names_the_closest_known_one() {
        let toml = crate::config::valid_test_toml()
            .replace("unreachable_minutes = 10", "unreachable_minute = 10");
        let e = toml::from_str::<crate::config::RawConfig>(&toml).unwrap_err();
        let said = explain(&e, &toml);
        assert!(
            said.contains("Did you mean `unreachable_minutes`?"),
            "{said}"
        );
        let line = toml
            .lines()
            .position(|l| l.starts_with("unreachable_minute ="))
            .unwrap()
            + 1;
        assert!(said.starts_with(&format!("line {line}: ")), "{said}");
        // Nothing close: no guess.
        let toml = crate::config::valid_test_toml().replace("[alerts]", "[alerts]\nbanana = 1");
        let e = toml::from_str::<crate::config::RawConfig>(&toml).unwrap_err();
        assert!(!explain(&e, &toml).contains("Did you mean"));
    }

    #[test]
    fn distances() {
        assert_eq!(distance("bind", "bind"), 0);
        assert_eq!(distance("retry_max_sec", "retry_max_secs"), 1);
        assert_eq!(distance("langauge", "language"), 2);
        assert_eq!(
            closest("Languag", &["language", "timezone"]),
            Some("language")
        );
        assert_eq!(closest("xyz", &["language", "timezone"]), None);
    }
}
