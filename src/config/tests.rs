use super::*;

fn good() -> String {
    valid_test_toml()
}

#[test]
fn starter_with_secrets_is_valid() {
    let raw = RawConfig::from_toml(&good(), "t", |_| None).unwrap();
    let c = raw.validate().unwrap();
    assert_eq!(c.bot_user_id, "@sportello:comune.example.it");
    assert!(c.is_staff("@mario:comune.example.it"));
    assert!(!c.is_staff("@eve:comune.example.it"));
}

#[test]
fn example_file_is_the_template_without_secrets() {
    let example =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml"))
            .unwrap();
    assert_eq!(example, starter("", "", ""));
    let raw = RawConfig::from_toml(&example, "example", |_| None).unwrap();
    let problems = raw.problems();
    assert!(
        problems.iter().any(|p| p.contains("as_token")),
        "{problems:?}"
    );
}

#[test]
fn env_overrides_secrets_and_redaction_hides_them() {
    let raw = RawConfig::from_toml(&good(), "t", |k| {
        (k == "SPORTELLO_WHATSAPP_APP_SECRET").then(|| "from-env".to_string())
    })
    .unwrap();
    assert_eq!(raw.whatsapp.app_secret, "from-env");
    let shown = raw.redacted_toml();
    assert!(
        !shown.contains("from-env") && !shown.contains("EAAB") && !shown.contains(&"a".repeat(32))
    );
    assert!(shown.contains("<set>"));
    let dbg = format!("{raw:?}");
    assert!(!dbg.contains("from-env") && !dbg.contains("EAAB"));
}

#[test]
fn each_problem_is_one_sentence() {
    let bad = good()
        .replace(
            "url = \"http://127.0.0.1:8008\"",
            "url = \"localhost:8008\"",
        )
        .replace("bind = \"127.0.0.1:29330\"", "bind = \"nowhere\"")
        .replace("[\"@mario:comune.example.it\"]", "[\"mario\"]");
    let err = RawConfig::from_toml(&bad, "t", |_| None)
        .unwrap()
        .validate()
        .unwrap_err();
    let ConfigError::Invalid(p) = err else {
        panic!("{err}")
    };
    assert_eq!(p.len(), 3, "{p:?}");
    assert!(p.iter().all(|s| !s.contains('\n')));
}

#[test]
fn unknown_keys_are_refused() {
    let bad = good().replace("[store]", "[store]\npaht = \"x\"");
    assert!(matches!(
        RawConfig::from_toml(&bad, "t", |_| None),
        Err(ConfigError::Parse { .. })
    ));
}

#[test]
fn office_hours_are_read_and_checked() {
    let cfg = RawConfig::from_toml(&good(), "t", |_| None)
        .unwrap()
        .validate()
        .unwrap();
    let s = cfg.schedule();
    assert_eq!(s.week[1].len(), 2, "Tuesday has a morning and an afternoon");
    assert!(s.week[5].is_empty() && s.week[6].is_empty());
    let bad = good()
        .replace("monday = [\"09:00-13:00\"]", "monday = [\"13:00-09:00\"]")
        .replace(
            "tuesday = [\"09:00-13:00\", \"15:00-17:00\"]",
            "tuesday = [\"09:00-13:00\", \"12:00-14:00\"]",
        )
        .replace(
            "local_holidays = {}",
            "local_holidays = { \"13-40\" = \"x\" }",
        )
        .replace(
            "closures = []",
            "closures = [{ from = \"2026-12-31\", to = \"2026-12-24\", reason = \"Natale\" }]",
        );
    let p = RawConfig::from_toml(&bad, "t", |_| None)
        .unwrap()
        .problems();
    for want in [
        "hours.monday: \"13:00-09:00\" ends before it starts.",
        "hours.tuesday: the ranges overlap.",
        "hours.local_holidays: \"13-40\" is not a day like \"12-07\".",
        "hours.closures: \"Natale\" ends before it starts.",
    ] {
        assert!(p.iter().any(|x| x == want), "{want} not in {p:?}");
    }
}

#[test]
fn media_templates_name_a_header_kind_and_a_template() {
    let with = |value: &str| {
        let toml = good().replace(
            "media_templates = {}",
            &format!("media_templates = {value}"),
        );
        RawConfig::from_toml(&toml, "t", |_| None)
            .unwrap()
            .problems()
    };
    let p = with(r#"{ gif = "nowhere" }"#);
    assert!(
        p.iter().any(|s| s.contains("\"gif\" is not a header kind")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|s| s.contains("media_templates.gif = \"nowhere\" is not one of")),
        "{p:?}"
    );
    assert!(with("{}").is_empty(), "{:?}", with("{}"));
}

/// Metrics are off by default, on their own listener when set, and never on the port where
/// Meta and Synapse call.
#[test]
fn metrics_listen_apart_from_the_webhook() {
    let with = |bind: &str| {
        // The starter's `[metrics]` has the only empty `bind`.
        let toml = crate::config::valid_test_toml()
            .replace("\nbind = \"\"", &format!("\nbind = \"{bind}\""));
        RawConfig::from_toml(&toml, "t", |_| None).unwrap()
    };
    let off = RawConfig::from_toml(&crate::config::valid_test_toml(), "t", |_| None).unwrap();
    assert_eq!(off.metrics.addr(), None);
    assert!(off.problems().is_empty());
    let on = with("127.0.0.1:9464");
    assert_eq!(on.metrics.addr(), Some("127.0.0.1:9464".parse().unwrap()));
    assert!(on.problems().is_empty(), "{:?}", on.problems());
    let port = off.appservice.bind.rsplit(':').next().unwrap().to_owned();
    let same = with(&format!("0.0.0.0:{port}"));
    assert!(
        same.problems()
            .iter()
            .any(|p| p.contains("metrics.bind must not use")),
        "{:?}",
        same.problems()
    );
    assert!(
        with("9464")
            .problems()
            .iter()
            .any(|p| p.contains("metrics.bind must be"))
    );
}

/// A coexistence number's broadcasts go at most 20 a second, whatever is configured above it.
#[test]
fn coexistence_caps_the_broadcast_pace() {
    let with = |coexistence: bool, mps: u32| {
        let mut c = RawConfig::from_toml(&good(), "t", |_| None)
            .unwrap()
            .validate()
            .unwrap();
        c.raw.coexistence.enabled = coexistence;
        c.raw.broadcast.messages_per_second = mps;
        c.broadcast_pace()
    };
    assert_eq!(with(false, 80), 80);
    assert_eq!(with(true, 80), 20);
    assert_eq!(with(true, 10), 10);
}

#[test]
fn local_stamp_is_the_office_time_day_first() {
    let c = valid_test_config();
    assert_eq!(c.raw.office.timezone, "Europe/Rome");
    // 2026-12-02 08:05 UTC is 09:05 in Rome (winter), 2026-07-01 06:30 UTC is 08:30 (summer).
    assert_eq!(c.local_stamp(1_796_198_700), "02/12/2026 09:05");
    assert_eq!(c.local_stamp(1_782_887_400), "01/07/2026 08:30");
    assert_eq!(c.local_stamp(0), "01/01/1970 01:00");
}
