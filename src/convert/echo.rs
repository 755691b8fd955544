//! Pure: what the office sent, edited or deleted in the WhatsApp Business app, as Matrix
//! content. Its messages are marked (a label before the text or caption, and
//! `it.sportello.origin`), so staff never take them for an answer written in Element; an
//! edit becomes an `m.replace` of the event it changes.

use serde_json::{Value, json};

use crate::convert::MatrixEvent;
use crate::convert::markup::{escape, wa_to_html};

/// The content key that says where a message of the office's came from.
pub const ORIGIN_KEY: &str = "it.sportello.origin";
/// Its value for the WhatsApp Business app.
pub const FROM_APP: &str = "whatsapp_business_app";

/// The label before `body` (plain) and its HTML (the body's own formatting kept).
fn labelled(label: &str, content: &mut Value) {
    let body = content["body"].as_str().unwrap_or_default().to_owned();
    let html = content["formatted_body"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| wa_to_html(&body))
        .unwrap_or_else(|| escape(&body));
    content["body"] = json!(format!("{label}\n{body}"));
    content["format"] = json!("org.matrix.custom.html");
    content["formatted_body"] = json!(format!("<em>{}</em><br>{html}", escape(label)));
    content[ORIGIN_KEY] = json!(FROM_APP);
}

/// Marks the office's events as sent from the app: text gets the label before it; an
/// attachment keeps its file name and gets the label before its caption.
pub fn from_the_app(events: &mut [MatrixEvent], label: &str) {
    for ev in events
        .iter_mut()
        .filter(|e| e.event_type == "m.room.message")
    {
        let c = &mut ev.content;
        let media = c.get("url").is_some();
        if media && c.get("filename").is_none() {
            c["filename"] = c["body"].clone();
            c["body"] = json!("");
        }
        labelled(label, c);
        if media && let Some(b) = c["body"].as_str() {
            c["body"] = json!(b.trim_end());
        }
    }
}

/// The new content of an edited message: the new text or caption (labelled, for the
/// office's); for an attachment, the `original` event's content (same file) with the new
/// caption.
pub fn edited(new_message: &Value, original: Option<&Value>, label: Option<&str>) -> Value {
    let kind = new_message["type"].as_str().unwrap_or("text");
    let obj = &new_message[kind];
    let text = obj["body"]
        .as_str()
        .or_else(|| obj["caption"].as_str())
        .unwrap_or_default();
    let mut c = match original.filter(|o| o.get("url").is_some()) {
        Some(o) => {
            let mut c = json!({});
            for k in ["msgtype", "url", "info", "filename"] {
                if let Some(v) = o.get(k) {
                    c[k] = v.clone();
                }
            }
            if c.get("filename").is_none() {
                c["filename"] = o["body"].clone();
            }
            c["body"] = json!(text);
            c
        }
        None => json!({"msgtype": "m.text", "body": text}),
    };
    match label {
        Some(label) => labelled(label, &mut c),
        None => {
            if let Some(h) = wa_to_html(text) {
                c["format"] = json!("org.matrix.custom.html");
                c["formatted_body"] = json!(h);
            }
        }
    }
    c
}

/// The event that replaces `target` with `new_content` (an edit, as Element shows it).
pub fn replacement(target: &str, new_content: Value) -> Value {
    let mut c = new_content.clone();
    c["body"] = json!(format!("* {}", new_content["body"].as_str().unwrap_or("")));
    if let Some(h) = new_content["formatted_body"].as_str() {
        c["formatted_body"] = json!(format!("* {h}"));
    }
    c["m.new_content"] = new_content;
    c["m.relates_to"] = json!({"rel_type": "m.replace", "event_id": target});
    c
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const LABEL: &str = "📱 Dall'app WhatsApp Business:";

    #[test]
    fn a_text_from_the_app_is_labelled_and_keeps_its_formatting() {
        let mut evs = vec![MatrixEvent {
            event_type: "m.room.message",
            content: json!({"msgtype": "m.text", "body": "*È* aperto l'ufficio 🏛️"}),
        }];
        from_the_app(&mut evs, LABEL);
        let c = &evs[0].content;
        assert_eq!(c["body"], format!("{LABEL}\n*È* aperto l'ufficio 🏛️"));
        assert_eq!(
            c["formatted_body"],
            "<em>📱 Dall&#39;app WhatsApp Business:</em><br><strong>È</strong> aperto l&#39;ufficio 🏛️"
        );
        assert_eq!(c[ORIGIN_KEY], FROM_APP);
    }

    #[test]
    fn an_attachment_keeps_its_file_and_gets_the_label_as_caption() {
        let mut evs = vec![MatrixEvent {
            event_type: "m.room.message",
            content: json!({"msgtype": "m.image", "body": "modulo.jpg", "url": "mxc://x/y"}),
        }];
        from_the_app(&mut evs, LABEL);
        let c = &evs[0].content;
        assert_eq!(
            (c["filename"].as_str(), c["url"].as_str()),
            (Some("modulo.jpg"), Some("mxc://x/y"))
        );
        assert_eq!(c["body"], LABEL);
    }

    #[test]
    fn edits_replace_text_and_captions() {
        let new = json!({"type": "text", "text": {"body": "Aperto fino alle 13, non alle 12"}});
        let c = replacement("$orig", edited(&new, None, Some(LABEL)));
        assert_eq!(c["m.relates_to"]["rel_type"], "m.replace");
        assert_eq!(
            c["m.new_content"]["body"],
            format!("{LABEL}\nAperto fino alle 13, non alle 12")
        );
        assert!(c["body"].as_str().unwrap().starts_with("* 📱"));
        let original = json!({"msgtype": "m.image", "body": "foto.jpg", "url": "mxc://x/y", "info": {"mimetype": "image/jpeg"}});
        let new = json!({"type": "image", "image": {"caption": "Didascalia corretta", "id": "1"}});
        let c = edited(&new, Some(&original), Some(LABEL));
        assert_eq!(
            edited(&new, Some(&original), None)["body"],
            "Didascalia corretta"
        );
        assert_eq!(
            (c["msgtype"].as_str(), c["url"].as_str()),
            (Some("m.image"), Some("mxc://x/y"))
        );
        assert_eq!(c["filename"], "foto.jpg");
        assert_eq!(c["body"], format!("{LABEL}\nDidascalia corretta"));
    }

    #[test]
    fn the_text_s_own_angle_brackets_are_escaped() {
        let body = "Orari <b>9–13</b>: l'ufficio è aperto < 5 minuti a piedi 😊";
        let mut evs = vec![MatrixEvent {
            event_type: "m.room.message",
            content: json!({"msgtype": "m.text", "body": body}),
        }];
        from_the_app(&mut evs, LABEL);
        let html = evs[0].content["formatted_body"].as_str().unwrap();
        assert!(
            html.ends_with(
                "Orari &lt;b&gt;9–13&lt;/b&gt;: l&#39;ufficio è aperto &lt; 5 minuti a piedi 😊"
            ),
            "{html}"
        );
    }

    proptest! {
        /// Whatever the office wrote, the label comes first and the text follows unchanged;
        /// the HTML never carries the text's `<` unescaped.
        #[test]
        fn any_text_is_kept_after_the_label(body in "\\PC{0,60}") {
            let mut evs = vec![MatrixEvent { event_type: "m.room.message", content: json!({"msgtype": "m.text", "body": body.clone()}) }];
            from_the_app(&mut evs, LABEL);
            let c = &evs[0].content;
            prop_assert_eq!(c["body"].as_str().unwrap(), format!("{LABEL}\n{body}"));
            let html = c["formatted_body"].as_str().unwrap();
            prop_assert!(html.starts_with("<em>"));
            // Every `<` after the label opens a tag the converter writes: the text's own are
            // escaped (the text may itself be a substring of those tags, as "<" is).
            let label_html = format!("<em>{}</em><br>", escape(LABEL));
            let text_html = html.strip_prefix(label_html.as_str()).unwrap();
            const TAGS: [&str; 10] = ["<strong>", "</strong>", "<em>", "</em>", "<del>",
                "</del>", "<code>", "</code>", "<pre>", "</pre>"];
            for (i, _) in text_html.match_indices('<') {
                let at = &text_html[i..];
                prop_assert!(
                    TAGS.iter().any(|t| at.starts_with(t)) || at.starts_with("<br>"),
                    "a < of the text unescaped: {}", html
                );
            }
        }
    }
}
