use serde_json::{Value, json};

use super::*;

/// A fixture of `../shared`, or `None` (the test is then skipped) where it is not checked out.
fn fixture(path: &str) -> Option<Value> {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/whatsapp-cloud")
        .join(path);
    match std::fs::read_to_string(&full) {
        Ok(s) => Some(serde_json::from_str(&s).unwrap()),
        Err(_) => {
            eprintln!("skipped: {} is not here", full.display());
            None
        }
    }
}

#[test]
fn parameters_are_found_in_order_once_each() {
    assert_eq!(params_in("Ciao {{1}}, il {{2}} è {{1}}"), ["1", "2"]);
    assert_eq!(params_in("{{2}} prima di {{1}}"), ["1", "2"]);
    assert_eq!(
        params_in("È aperto {{giorno}} alle {{ ora }} 🕘"),
        ["giorno", "ora"]
    );
    assert!(params_in("**È** aperto, l'ufficio {{}} {{ }} {{a b}} {{x").is_empty());
}

/// Meta's documented list (named parameters, an image header, URL buttons without
/// parameters) reads as typed templates.
#[test]
fn metas_documented_lists_read_as_templates() {
    let Some(doc) = fixture("api_responses/metadocs_template_list_named_params_media_header.json")
    else {
        return;
    };
    let list: Vec<MetaTemplate> = doc["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| MetaTemplate::from_meta(t).unwrap())
        .collect();
    let r = &list[0];
    assert_eq!(r.name, "reservation_confirmation");
    assert_eq!(r.language, "en_US");
    assert_eq!(r.status, TemplateStatus::Approved);
    assert_eq!(r.category, Category::Utility);
    assert!(r.named);
    assert_eq!(r.media_header(), Some("image"));
    assert_eq!(r.body_params, ["number_of_guests", "day", "date", "time"]);
    assert_eq!(r.url_button_params, 0);
    let c = &list[1];
    assert!(!c.named);
    assert_eq!(c.header_params(), ["1"]);
    assert_eq!(c.body_params, ["1", "2"]);
    assert_eq!(c.category, Category::Marketing);
    for (path, name, status) in [
        (
            "api_responses/meta_openapi_get_message_templates_example_response.json",
            "hello_world",
            TemplateStatus::Approved,
        ),
        (
            "api_responses/javaapi_template_list_paged.json",
            "welcome_template3",
            TemplateStatus::Rejected,
        ),
    ] {
        let Some(doc) = fixture(path) else { return };
        let t = MetaTemplate::from_meta(&doc["data"][0]).unwrap();
        assert_eq!((t.name.as_str(), t.status), (name, status), "{path}");
    }
}

#[test]
fn unreadable_entries_are_refused_not_guessed() {
    assert_eq!(MetaTemplate::from_meta(&json!({"language": "it"})), None);
    assert_eq!(MetaTemplate::from_meta(&json!({"name": "x"})), None);
    let odd = MetaTemplate::from_meta(&json!({"name": "avviso", "language": "it",
        "status": "LOCKED", "category": "NEW_ONE", "id": 12}))
    .unwrap();
    assert_eq!(odd.status, TemplateStatus::Other("LOCKED".into()));
    assert_eq!(odd.category, Category::Other("new_one".into()));
    assert_eq!(odd.id, "12");
}

/// The template webhooks of the fixtures: statuses (with Meta's explanation), quality and
/// category changes; `en-US` read as `en_US`, integer ids as text.
#[test]
fn template_webhooks_read_as_events() {
    let event = |path: &str| {
        let doc = fixture(path)?;
        let entry = &doc["entry"][0];
        let change = &entry["changes"][0];
        Some(
            parse_event(
                entry["id"].as_str().unwrap_or(""),
                change["field"].as_str().unwrap(),
                &change["value"],
            )
            .unwrap(),
        )
    };
    let Some(rejected) =
        event("account_template_webhooks/pywa_template_status_update_rejected.json")
    else {
        return;
    };
    assert_eq!(rejected.name, "abandoned_cart");
    assert_eq!(rejected.id, "1689556908129835");
    let TemplateChange::Status {
        status,
        reason,
        detail,
        ..
    } = &rejected.change
    else {
        panic!("{rejected:?}")
    };
    assert_eq!(*status, TemplateStatus::Rejected);
    assert_eq!(reason.as_deref(), Some("INVALID_FORMAT"));
    assert!(
        detail
            .as_deref()
            .unwrap()
            .contains("parameters placed next")
    );
    let flagged = event(
        "account_template_webhooks/javaapi_message_template_status_update_flagged_disable_info.json",
    )
    .unwrap();
    assert_eq!(flagged.language, "en_US");
    assert!(matches!(
        &flagged.change,
        TemplateChange::Status { status: TemplateStatus::Flagged, detail: Some(d), reason: None, .. } if d == "January 31, 2021"
    ));
    let quality =
        event("account_template_webhooks/pywa_template_quality_update_yellow.json").unwrap();
    assert_eq!(
        quality.change,
        TemplateChange::Quality {
            previous: Some("GREEN".into()),
            new: "YELLOW".into()
        }
    );
    let impending =
        event("account_template_webhooks/metadocs_template_category_update_impending.json")
            .unwrap();
    assert_eq!(
        impending.change,
        TemplateChange::Category {
            new: Category::Utility,
            previous: None,
            correct: Some(Category::Marketing),
            at: Some(1746169200)
        }
    );
    assert_eq!(
        parse_event(
            "1",
            "message_template_status_update",
            &json!({"event": "PAUSED"})
        ),
        None,
        "no template named"
    );
}

#[test]
fn statuses_and_categories_keep_their_names() {
    for name in [
        "APPROVED",
        "PAUSED",
        "DISABLED",
        "FLAGGED",
        "LIMIT_EXCEEDED",
    ] {
        let s = TemplateStatus::parse(name);
        assert_eq!(TemplateStatus::from(String::from(s.clone())), s);
    }
    assert_eq!(
        TemplateStatus::parse("reinstated"),
        TemplateStatus::Approved
    );
    assert_eq!(Category::parse("MARKETING").name(), "marketing");
}

mod properties {
    use proptest::prelude::*;

    use super::super::*;

    proptest! {
        /// Any template list entry and any template webhook value is read or refused,
        /// never a panic; parameters found are always valid names.
        #[test]
        fn any_entry_is_read_or_refused(name in "\\PC{0,30}", lang in "[a-zA-Z_-]{0,6}",
                body in "\\PC{0,80}", status in "\\PC{0,12}", id in any::<i64>()) {
            let v = serde_json::json!({"name": name, "language": lang, "status": status, "id": id,
                "components": [{"type": "BODY", "text": body}, {"type": "HEADER", "format": status}]});
            if let Some(t) = MetaTemplate::from_meta(&v) {
                prop_assert!(t.body_params.iter().all(|p| !p.is_empty()
                    && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')));
            }
            for field in FIELDS {
                let _ = parse_event("1", field, &serde_json::json!({"event": status,
                    "message_template_name": name, "message_template_id": id,
                    "new_quality_score": status, "new_category": body}));
            }
        }
    }
}
