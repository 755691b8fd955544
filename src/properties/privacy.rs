//! Citizens' erasure requests and the export page: any text is a request or not without
//! panicking, and wrapping the phrase in ordinary Italian, changing its case or accents never
//! hides it; the page escapes whatever a citizen wrote.

use proptest::prelude::*;

use super::italian;
use crate::keywords::contains_phrase;

fn phrases() -> Vec<String> {
    vec!["CANCELLA I MIEI DATI".into(), "DELETE MY DATA".into()]
}

proptest! {
    #[test]
    fn any_text_is_a_request_or_not(text in italian(), raw in ".{0,60}") {
        let _ = contains_phrase(&text, &phrases());
        let _ = contains_phrase(&raw, &phrases());
    }

    #[test]
    fn the_phrase_is_found_in_any_sentence(
        before in italian(),
        after in italian(),
        phrase in prop::sample::select(vec!["cancella i miei dati", "CANCELLA I MIEI DATI", "Cancellà i mièi dati!", "delete my data", "cancella, i miei dati"]),
    ) {
        let text = format!("{before} {phrase} {after}");
        prop_assert!(contains_phrase(&text, &phrases()), "{}", text);
    }

    #[test]
    fn the_page_escapes_what_citizens_write(text in italian(), raw in ".{0,60}") {
        for s in [&text, &raw] {
            let e = crate::bridge::privacy_render_escape(s);
            prop_assert!(!e.contains('<') && !e.contains('>') && !e.contains('"'));
            let back = e.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&");
            prop_assert_eq!(&back, s);
        }
    }
}

#[test]
fn words_apart_or_in_another_order_are_not_a_request() {
    for text in [
        "i miei dati sono giusti, non cancella nulla",
        "data my delete",
        "Cancellami",
        "**È** aperto l'ufficio?",
    ] {
        assert!(!contains_phrase(text, &phrases()), "{text}");
    }
}
