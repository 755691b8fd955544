//! Citizens' keywords: any text is understood or not without panicking, and case and accents
//! never change what it means (`ISCRIVIMI`, `iscrivimi`, `Iscrìvimi`).

use proptest::prelude::*;
use serde_json::json;

use super::{italian, json_with_keys};
use crate::config::Subscriptions;
use crate::keywords::{choice_intent, fold, intent, text_intent};

proptest! {
    #[test]
    fn any_text_or_choice_is_understood_or_not(text in italian(), raw in ".{0,40}", v in json_with_keys(&["list_reply", "button_reply", "id", "title", "text", "body", "type", "payload", "button"])) {
        let cfg = Subscriptions::default();
        let _ = text_intent(&text, &cfg);
        let _ = text_intent(&raw, &cfg);
        let _ = choice_intent(&raw, &cfg);
        for kind in ["text", "interactive", "button"] {
            let _ = intent(&crate::whatsapp::kind::Kind::parse(kind), &json!({kind: v.clone(), "type": kind}), &cfg);
        }
    }

    #[test]
    fn folding_is_idempotent(text in italian()) {
        prop_assert_eq!(fold(&fold(&text)), fold(&text));
    }

    #[test]
    fn case_never_changes_the_meaning(
        word in prop::sample::select(vec!["iscrivimi", "cancellami", "stop", "menu", "menù", "subscribe", "unsubscribe", "ciao"]),
        topics in prop::sample::select(vec!["", " eventi", " viabilità bandi", " Viabilita", " sport"]),
        punct in prop::sample::select(vec!["", ".", "!", " 👍"]),
    ) {
        let cfg = Subscriptions::default();
        let line = format!("{word}{topics}{punct}");
        let meaning = text_intent(&line, &cfg);
        if topics.is_empty() && word != "ciao" {
            prop_assert!(meaning.is_some(), "{}", line);
        }
        prop_assert_eq!(text_intent(&line.to_uppercase(), &cfg), meaning.clone());
        prop_assert_eq!(text_intent(&format!("  {line}  "), &cfg), meaning);
    }
}
