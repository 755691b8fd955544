use std::collections::BTreeMap;

use serde_json::json;

use super::*;
use crate::whatsapp::message::Media;

fn meta(name: &str, language: &str, status: &str, body: &str) -> MetaTemplate {
    MetaTemplate::from_meta(&json!({"id": "1", "name": name, "language": language,
        "status": status, "category": "UTILITY",
        "components": [{"type": "BODY", "text": body}]}))
    .unwrap()
}

fn config(entries: &[(&str, &str, &str, usize)]) -> BTreeMap<String, ConfigTemplate> {
    entries
        .iter()
        .map(|(key, name, language, params)| {
            (
                key.to_string(),
                ConfigTemplate {
                    name: name.to_string(),
                    language: language.to_string(),
                    params: *params,
                    description: String::new(),
                    category: String::new(),
                },
            )
        })
        .collect()
}

/// A name is chosen in the office's language, then its base language, then the only one.
#[test]
fn the_office_language_is_chosen() {
    let c = Catalogue {
        synced_at: Some(1),
        last_error: None,
        templates: vec![
            meta("avviso", "en_US", "APPROVED", "Notice: {{1}}"),
            meta("avviso", "it", "APPROVED", "Avviso: {{1}}"),
            meta("orari", "it_IT", "APPROVED", "L'ufficio è aperto {{1}}"),
            meta("solo", "de", "APPROVED", "x"),
        ],
    };
    assert_eq!(c.find("avviso", "", "it").unwrap().language, "it");
    assert_eq!(c.find("avviso", "", "en").unwrap().language, "en_US");
    assert_eq!(c.find("avviso", "en_US", "it").unwrap().language, "en_US");
    assert_eq!(c.find("orari", "", "it").unwrap().language, "it_IT");
    assert_eq!(c.find("solo", "", "it").unwrap().language, "de");
    assert!(c.find("avviso", "fr", "it").is_none());
}

/// A config key names a Meta template: Meta's list says what it takes and whether it can go
/// out; without the list the config is taken at its word; a Meta name works by itself.
#[test]
fn config_keys_and_meta_names_are_chosen() {
    let cfg = config(&[
        ("riprendi", "riprendi_conversazione", "", 0),
        ("vecchio", "modello_vecchio", "it", 2),
    ]);
    let mut c = Catalogue::default();
    let old = choose(&c, &cfg, "vecchio", "it").unwrap();
    assert_eq!((old.param_count(), old.status.clone()), (2, None));
    assert_eq!(old.usable(false, true), Ok(()), "nothing read: trusted");
    assert!(
        choose(&c, &cfg, "riprendi", "it").is_none(),
        "no language, no list"
    );
    c.replace(
        vec![
            meta(
                "riprendi_conversazione",
                "it",
                "APPROVED",
                "Buongiorno {{1}}, l'URP risponde: {{2}}",
            ),
            meta("scadenze", "it", "PAUSED", "Scade {{1}}"),
        ],
        100,
    );
    let r = choose(&c, &cfg, "riprendi", "it").unwrap();
    assert_eq!(
        (r.name.as_str(), r.language.as_str(), r.param_count()),
        ("riprendi_conversazione", "it", 2)
    );
    assert_eq!(r.usable(true, false), Ok(()));
    let paused = choose(&c, &cfg, "scadenze", "it").unwrap();
    assert_eq!(
        paused.usable(true, false),
        Err(Unusable::NotApproved(TemplateStatus::Paused))
    );
    let gone = choose(&c, &cfg, "vecchio", "it").unwrap();
    assert_eq!(gone.usable(true, false), Err(Unusable::NotAtMeta));
    assert!(choose(&c, &cfg, "inesistente", "it").is_none());
    let listed: Vec<String> = names(&c, &cfg, "it").into_iter().map(|t| t.key).collect();
    assert_eq!(
        listed,
        ["riprendi", "vecchio"],
        "paused Meta names are not offered"
    );
}

/// Webhooks change the stored list; a sync says what changed and keeps the quality told.
#[test]
fn webhooks_and_syncs_change_the_list() {
    let mut c = Catalogue::default();
    let first = c.replace(vec![meta("avviso", "it", "APPROVED", "{{1}}")], 10);
    assert_eq!(first.added, ["avviso (it)"]);
    let event = |change| TemplateEvent {
        waba_id: "1".into(),
        id: "1".into(),
        name: "avviso".into(),
        language: "it".into(),
        change,
    };
    assert!(c.apply(&event(TemplateChange::Quality {
        previous: Some("GREEN".into()),
        new: "RED".into()
    })));
    let red = choose(&c, &BTreeMap::new(), "avviso", "it").unwrap();
    assert_eq!(red.usable(true, true), Err(Unusable::RedQuality));
    assert_eq!(
        red.usable(true, false),
        Ok(()),
        "one citizen at a time: allowed"
    );
    let paused = event(TemplateChange::Status {
        status: TemplateStatus::Paused,
        event: "PAUSED".into(),
        reason: None,
        detail: None,
    });
    assert!(c.apply(&paused));
    assert!(!c.apply(&paused), "a repeat changes nothing");
    let again = c.replace(vec![meta("avviso", "it", "APPROVED", "{{1}}")], 20);
    assert_eq!(again.changed, ["avviso (it): PAUSED → APPROVED"]);
    assert_eq!(c.templates[0].quality.as_deref(), Some("RED"), "kept");
    let gone = c.replace(vec![], 30);
    assert_eq!(gone.removed, ["avviso (it)"]);
    assert!(
        !c.apply(&paused),
        "unknown templates wait for the next sync"
    );
}

/// Named parameters go by name; a text header's parameters come first; a media header takes
/// the attachment.
#[test]
fn the_send_fills_header_and_body() {
    let named = MetaTemplate::from_meta(&json!({"id": "7", "name": "evento", "language": "it",
        "status": "APPROVED", "category": "MARKETING", "parameter_format": "NAMED",
        "components": [{"type": "HEADER", "format": "TEXT", "text": "{{titolo}}"},
                       {"type": "BODY", "text": "Il {{giorno}} in piazza: {{cosa}}"}]}))
    .unwrap();
    let chosen = choose(
        &Catalogue {
            templates: vec![named],
            ..Default::default()
        },
        &BTreeMap::new(),
        "evento",
        "it",
    )
    .unwrap();
    let texts = [
        "Festa d'autunno 🍂".into(),
        "sabato".into(),
        "**È** aperto".into(),
    ];
    let t = serde_json::to_value(chosen.message(&texts, None)).unwrap();
    assert_eq!(
        t["components"],
        json!([
            {"type": "header", "parameters": [{"type": "text", "text": "Festa d'autunno 🍂", "parameter_name": "titolo"}]},
            {"type": "body", "parameters": [
                {"type": "text", "text": "sabato", "parameter_name": "giorno"},
                {"type": "text", "text": "**È** aperto", "parameter_name": "cosa"}]}
        ])
    );
    let image = Parameter::media(
        "image",
        Media {
            id: "55".into(),
            caption: None,
            filename: None,
        },
    );
    let positional = Chosen {
        named: false,
        header_params: vec![],
        body_params: vec!["1".into()],
        ..chosen
    };
    let t = serde_json::to_value(positional.message(&["Avviso".into()], Some(image))).unwrap();
    assert_eq!(t["components"][0]["parameters"][0]["image"]["id"], "55");
    assert_eq!(
        t["components"][1]["parameters"],
        json!([{"type": "text", "text": "Avviso"}])
    );
}
