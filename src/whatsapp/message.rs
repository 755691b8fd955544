//! What the office sends through the Graph API, as typed values: each kind's object as Meta
//! documents it (`../shared/docs/whatsapp-cloud-api.md`), serialized the way a send request
//! carries it — `{"type": "<kind>", "<kind>": {…}}`. Every message the bridge sends is built
//! from these, in one place; the client adds the recipient, the reply context and the tag.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One message to a citizen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Message {
    Text {
        text: Text,
    },
    Reaction {
        reaction: Reaction,
    },
    Location {
        location: Location,
    },
    Image {
        image: Media,
    },
    Video {
        video: Media,
    },
    Audio {
        audio: Media,
    },
    Document {
        document: Media,
    },
    Sticker {
        sticker: Media,
    },
    Template {
        template: Template,
    },
    /// An interactive message (the news MENU's list).
    Interactive {
        interactive: Interactive,
    },
}

/// An interactive message's object: the list kind is the one the office sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Interactive {
    /// A list: a button that opens sections of rows to pick one from (at most 10 rows; a
    /// row's title up to 24 characters, its description up to 72).
    List { body: Body, action: ListAction },
    /// Up to three reply buttons under a text (a title up to 20 characters each); the tapped
    /// one's `id` comes back in the citizen's `button_reply`.
    Button { body: Body, action: ButtonsAction },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ButtonsAction {
    pub buttons: Vec<ReplyButton>,
}

/// `{"type": "reply", "reply": {"id", "title"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplyButton {
    #[serde(rename = "type")]
    pub kind: String,
    pub reply: ButtonReply,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ButtonReply {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Body {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListAction {
    /// The button's label (up to 20 characters).
    pub button: String,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    pub title: String,
    pub rows: Vec<Row>,
}

/// A pick: its `id` comes back in the citizen's `list_reply`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub id: String,
    pub title: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Text {
    pub body: String,
    #[serde(default)]
    pub preview_url: bool,
}

/// A reaction to one of the citizen's messages; an empty emoji removes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reaction {
    pub message_id: String,
    pub emoji: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// An uploaded attachment (by its media id), with its caption and, for a document, its name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Media {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
}

/// An approved template, by name and language, with its parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    pub name: String,
    pub language: Language,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Component>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Language {
    pub code: String,
}

/// A template's `header` or `body` and the parameters that fill it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Component {
    #[serde(rename = "type")]
    pub part: String,
    pub parameters: Vec<Parameter>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Parameter {
    Text {
        text: String,
        /// The parameter's name, for a template whose parameters are named.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parameter_name: Option<String>,
    },
    Image {
        image: Media,
    },
    Video {
        video: Media,
    },
    Document {
        document: Media,
    },
}

impl Message {
    pub fn text(body: impl Into<String>, preview_url: bool) -> Message {
        Message::Text {
            text: Text {
                body: body.into(),
                preview_url,
            },
        }
    }

    /// An attachment of kind `kind` (`image`, `video`, `audio`, `sticker`; anything else goes
    /// as a document).
    pub fn media(kind: &str, media: Media) -> Message {
        match kind {
            "image" => Message::Image { image: media },
            "video" => Message::Video { video: media },
            "audio" => Message::Audio { audio: media },
            "sticker" => Message::Sticker { sticker: media },
            _ => Message::Document { document: media },
        }
    }

    /// The message's `type`.
    pub fn kind(&self) -> &'static str {
        match self {
            Message::Text { .. } => "text",
            Message::Reaction { .. } => "reaction",
            Message::Location { .. } => "location",
            Message::Image { .. } => "image",
            Message::Video { .. } => "video",
            Message::Audio { .. } => "audio",
            Message::Document { .. } => "document",
            Message::Sticker { .. } => "sticker",
            Message::Template { .. } => "template",
            Message::Interactive { .. } => "interactive",
        }
    }

    /// The text of a text message.
    pub fn text_body(&self) -> Option<&str> {
        match self {
            Message::Text { text } => Some(&text.body),
            _ => None,
        }
    }

    /// `{"type": kind, kind: object}`, as a send request carries it.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).expect("a message serializes")
    }
}

impl Template {
    /// A template with one body parameter per text (none: no components).
    pub fn with_texts(name: &str, language: &str, texts: &[String]) -> Template {
        let mut t = Template {
            name: name.to_owned(),
            language: Language {
                code: language.to_owned(),
            },
            components: vec![],
        };
        if !texts.is_empty() {
            t.components.push(Component {
                part: "body".into(),
                parameters: texts
                    .iter()
                    .map(|text| Parameter::Text {
                        text: text.clone(),
                        parameter_name: None,
                    })
                    .collect(),
            });
        }
        t
    }
}

impl Parameter {
    /// An attachment as a template header's parameter (image, video, else a document).
    pub fn media(kind: &str, media: Media) -> Parameter {
        match kind {
            "image" => Parameter::Image { image: media },
            "video" => Parameter::Video { video: media },
            _ => Parameter::Document { document: media },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The shapes of Meta's documented send requests (whatsapp-cloud-api.md, "Sending").
    #[test]
    fn messages_serialize_as_meta_documents_them() {
        assert_eq!(
            Message::text("È aperto? 🙂", true).to_json(),
            json!({"type": "text", "text": {"body": "È aperto? 🙂", "preview_url": true}})
        );
        let doc = Media {
            id: "77".into(),
            caption: Some("Il bando".into()),
            filename: Some("bando.pdf".into()),
        };
        assert_eq!(
            Message::media("document", doc.clone()).to_json(),
            json!({"type": "document", "document": {"id": "77", "caption": "Il bando", "filename": "bando.pdf"}})
        );
        let mut t = Template::with_texts("avviso", "it", &["Consiglio alle 21".into()]);
        t.components.insert(
            0,
            Component {
                part: "header".into(),
                parameters: vec![Parameter::media("document", doc)],
            },
        );
        assert_eq!(
            Message::Template { template: t }.to_json(),
            json!({"type": "template", "template": {"name": "avviso", "language": {"code": "it"},
            "components": [
                {"type": "header", "parameters": [{"type": "document", "document": {"id": "77", "caption": "Il bando", "filename": "bando.pdf"}}]},
                {"type": "body", "parameters": [{"type": "text", "text": "Consiglio alle 21"}]}
            ]}})
        );
        let bare = Template::with_texts("benvenuto", "it", &[]);
        assert_eq!(
            serde_json::to_value(&bare).unwrap(),
            json!({"name": "benvenuto", "language": {"code": "it"}})
        );
        let reaction = Message::Reaction {
            reaction: Reaction {
                message_id: "wamid.X".into(),
                emoji: "".into(),
            },
        };
        assert_eq!(
            reaction.to_json(),
            json!({"type": "reaction", "reaction": {"message_id": "wamid.X", "emoji": ""}})
        );
    }

    /// Messages stored in queue items before they were typed read back the same.
    #[test]
    fn stored_messages_read_back() {
        for v in [
            json!({"type": "text", "text": {"body": "Iscritto a: eventi", "preview_url": true}}),
            json!({"type": "interactive", "interactive": {"type": "list", "body": {"text": "Scegli"},
                "action": {"button": "Liste", "sections": [{"title": "Notizie", "rows": [
                    {"id": "sportello:sub:eventi", "title": "eventi", "description": "Feste e mercati"}]}]}}}),
        ] {
            let m: Message = serde_json::from_value(v.clone()).unwrap();
            assert_eq!(m.to_json(), v);
        }
    }

    /// Meta's documented list message reads as the typed list, and the list writes back the
    /// body and action Meta shows (header and footer are not sent by the office).
    #[test]
    fn metas_list_message_is_the_typed_list() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(
            "../shared/fixtures/whatsapp-cloud/send_requests/meta_openapi_send_list_message.json",
        );
        let Ok(body) = std::fs::read_to_string(&path) else {
            eprintln!("skipped: {} is not here", path.display());
            return;
        };
        let doc: Value = serde_json::from_str(&body).unwrap();
        let m: Message = serde_json::from_value(doc.clone()).unwrap();
        let Message::Interactive {
            interactive: Interactive::List { action, .. },
        } = &m
        else {
            panic!("{m:?}")
        };
        assert_eq!(action.sections.len(), 2);
        assert_eq!(action.sections[1].rows[0].id, "<LIST_SECTION_2_ROW_1_ID>");
        let back = m.to_json();
        for part in ["type", "body", "action"] {
            assert_eq!(
                back["interactive"][part], doc["interactive"][part],
                "{part}"
            );
        }
    }
}
