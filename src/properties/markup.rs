//! Markup both ways: whatever the text, conversion never panics, and WhatsApp markup turned
//! into HTML and back is the markup it was.

use crate::convert::markup::{escape, html_to_wa, unescape, wa_to_html};
use proptest::prelude::*;

/// Ordinary Italian with every character the converters treat specially.
fn italian() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "È", "è", "à", "perché", "l'", "dell'", "😀", "🇮🇹", "a", "orari", " ", " ", "\n", "*", "_",
        "~", "`", "```", ".", ",", "(", ")", "&", "<", ">", "\"", "'", "&amp;", "9-13", "Ù",
    ]);
    prop::collection::vec(pieces, 0..24).prop_map(|v| v.concat())
}

/// Anything that might look like HTML: tags Element writes, broken tags, entities.
fn html_like() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "<strong>",
        "</strong>",
        "<em>",
        "</em>",
        "<ul>",
        "</ul>",
        "<ol>",
        "</ol>",
        "<li>",
        "</li>",
        "<blockquote>",
        "</blockquote>",
        "<pre>",
        "</pre>",
        "<code>",
        "</code>",
        "<br>",
        "<p>",
        "</p>",
        "<a href=\"https://x.it\">",
        "<a href='",
        "</a>",
        "<mx-reply>",
        "</mx-reply>",
        "<",
        ">",
        "&",
        "&#x",
        "&#232;",
        "&amp;",
        ";",
        "È",
        "😀",
        "a",
        " ",
        "\n",
    ]);
    prop::collection::vec(pieces, 0..24).prop_map(|v| v.concat())
}

/// Code blocks become their own paragraph in HTML, which adds line breaks: the round trip
/// is checked on text without them.
fn no_code_block(mut s: String) -> String {
    while s.contains("```") {
        s = s.replace("```", "`");
    }
    s
}

proptest! {
    #[test]
    fn html_to_wa_never_panics(html in html_like(), any in any::<String>()) {
        html_to_wa(&html);
        html_to_wa(&any);
        unescape(&html);
    }

    #[test]
    fn wa_to_html_never_panics(text in italian(), any in any::<String>()) {
        wa_to_html(&text);
        wa_to_html(&any);
    }

    #[test]
    fn markup_to_html_and_back_keeps_the_text(text in italian().prop_map(no_code_block)) {
        // Plain text goes to Matrix as its body alone; as HTML it would be this.
        let html = wa_to_html(&text).unwrap_or_else(|| escape(&text).replace('\n', "<br>"));
        prop_assert_eq!(html_to_wa(&html), text.trim_end_matches('\n'));
    }
}
