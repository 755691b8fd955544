//! The paperwork follows the config: retention settings, lists, contacts, the erasure mode.

use super::*;
use crate::config::RawConfig;

/// The test config with these `[privacy]` lines in place of the template's.
fn with(privacy: &str) -> Config {
    let mut text = crate::config::valid_test_toml();
    for line in privacy.lines() {
        let key = line.split('=').next().unwrap().trim();
        let old = text
            .lines()
            .find(|l| l.starts_with(&format!("{key} =")))
            .map(str::to_owned);
        if let Some(old) = old {
            text = text.replacen(&format!("{old}\n"), "", 1);
        }
    }
    let text = text.replacen("[privacy]\n", &format!("[privacy]\n{privacy}\n"), 1);
    RawConfig::from_toml(&text, "t", |_| None)
        .unwrap()
        .validate()
        .unwrap()
}

#[test]
fn changing_a_retention_setting_changes_both_texts() {
    let a = with("inactive_days = 365\nledger_days = 730");
    let b = with("inactive_days = 90\nledger_days = 730");
    let (na, nb) = (privacy_notice(&a), privacy_notice(&b));
    assert_ne!(na, nb);
    assert!(
        na.contains("dopo 365 giorni senza messaggi")
            && na.contains("after 365 days without messages")
    );
    assert!(
        nb.contains("dopo 90 giorni senza messaggi")
            && nb.contains("after 90 days without messages")
    );
    assert!(processing_record(&b).contains("dopo 90 giorni senza messaggi"));
    assert_ne!(processing_record(&a), processing_record(&b));
    let c = with("inactive_days = 0\nledger_days = 0");
    let nc = privacy_notice(&c);
    assert!(
        nc.contains("non c'è una cancellazione automatica")
            && nc.contains("there is no automatic erasure")
    );
    assert!(nc.contains("kept while the service runs, as proof of consent"));
    assert!(
        privacy_notice(&with("inactive_days = 365\nledger_days = 30"))
            .contains("deleted 30 days after you leave your last list")
    );
}

#[test]
fn the_notice_names_the_lists_keywords_contacts_and_processor() {
    let c = with(
        "controller = \"Comune di Bassano\"\ndpo_contact = \"rpd@comune.example.it\"\nerase_in_matrix = \"redact\"",
    );
    let n = privacy_notice(&c);
    for part in [
        "Titolare del trattamento: Comune di Bassano",
        "RPD/DPO): rpd@comune.example.it",
        "Meta Platforms Ireland Ltd",
        "\"CANCELLA I MIEI DATI\" o \"DELETE MY DATA\"",
        "scrivi \"ISCRIVIMI\" seguito dal nome della lista",
        "risposta entro 30 giorni",
        "  - eventi: ",
        "your messages and attachments are redacted",
        "www.garanteprivacy.it",
    ] {
        assert!(n.contains(part), "{part}");
    }
    // Gaps the office must fill are marked, never invented.
    assert!(
        privacy_notice(&with(""))
            .contains("Responsabile della protezione dei dati (RPD/DPO): [da completare].")
    );
    assert!(processing_record(&with("")).contains("Data protection officer: [to fill in]"));
}
