//! Property tests over every pure function that sees outside input: webhooks and their
//! signature, appservice transactions and staff events, inbound and outbound conversion,
//! commands, ids, keywords, office hours, config spans and markup (the broadcast tag's are in
//! `bridge/news/pace.rs`). They run with the suite at proptest's
//! default case count; `PROPTEST_CASES=25600 cargo test --lib properties` runs 100× more.
//! A failing case found here is kept as a regular test next to the code it broke.

mod commands;
mod hours;
mod ids;
mod keywords;
mod markup;
mod matrix;
mod privacy;
mod webhook;

use proptest::prelude::*;
use serde_json::{Map, Value};

/// Ordinary Italian with what breaks naive code: accents, apostrophes, emoji, markup.
pub fn italian() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "È",
        "è",
        "à",
        "ò",
        "perché",
        "l'",
        "dell'",
        "😀",
        "🇮🇹",
        "👍🏽",
        "a",
        "orari",
        "Ufficio",
        " ",
        " ",
        "\n",
        "*",
        "_",
        "~",
        "`",
        ".",
        ",",
        "!",
        "?",
        "&",
        "<",
        ">",
        "\"",
        "**È**",
        "aperto",
        "9-13",
        "+39 333 123 4567",
        "\u{200b}",
        "\t",
    ]);
    prop::collection::vec(pieces, 0..16).prop_map(|v| v.concat())
}

/// A JSON value whose object keys come from `keys` (so it reaches deep into parsers that
/// look for those keys) with values of any type.
pub fn json_with_keys(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        italian().prop_map(Value::String),
        prop::sample::select(keys).prop_map(|k| Value::String(k.to_owned())),
        "[0-9]{1,15}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(keys), inner), 0..6).prop_map(|kv| {
                Value::Object(
                    kv.into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect::<Map<String, Value>>(),
                )
            }),
        ]
    })
}
