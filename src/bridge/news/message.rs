//! What a broadcast recipient gets: inside the 24-hour window the text as it is (with the
//! attachment, the text as its caption), outside it the configured template with the text as
//! its parameter (and the attachment in a media template's header when one is configured).

use crate::bridge::news::News;
use crate::bridge::news::pace::template_parameter;
use crate::bridge::news::sender::Mode;
use crate::store::Broadcast;
use crate::whatsapp::message::{Component, Language, Media, Message, Parameter, Template};

impl News {
    /// The Graph message for a recipient.
    pub(in crate::bridge) fn broadcast_message(&self, b: &Broadcast, mode: Mode) -> Message {
        match mode {
            Mode::FreeForm => match media(b) {
                Some((kind, mut o)) => {
                    o.caption = Some(b.text.clone());
                    Message::media(kind, o)
                }
                None => Message::text(b.text.clone(), true),
            },
            Mode::Template => {
                let raw = &self.parts.config.raw;
                let body = Component {
                    part: "body".into(),
                    parameters: vec![Parameter::Text {
                        text: template_parameter(&b.text),
                    }],
                };
                // With an attachment, the template whose header takes it (if there is one).
                let with_media = media(b).and_then(|(kind, o)| {
                    let key = raw.broadcast.media_templates.get(kind)?;
                    let header = Component {
                        part: "header".into(),
                        parameters: vec![Parameter::media(kind, o)],
                    };
                    Some((key, vec![header, body.clone()]))
                });
                let (key, components) = with_media.unwrap_or((&raw.broadcast.template, vec![body]));
                let t = &raw.templates[key];
                Message::Template {
                    template: Template {
                        name: t.name.clone(),
                        language: Language {
                            code: t.language.clone(),
                        },
                        components,
                    },
                }
            }
        }
    }
}

pub(in crate::bridge) fn mode_name(m: Mode) -> &'static str {
    match m {
        Mode::FreeForm => "free_form",
        Mode::Template => "template",
    }
}

/// The uploaded attachment as a Graph media object (`id`, and `filename` for a document),
/// with its kind: what a free-form message or a template header carries.
pub(in crate::bridge) fn media(b: &Broadcast) -> Option<(&'static str, Media)> {
    let a = b.attachment.as_ref()?;
    let kind = media_kind(&a.kind);
    Some((
        kind,
        Media {
            id: a.media_id.clone()?,
            caption: None,
            filename: (kind == "document").then(|| a.filename.clone()),
        },
    ))
}

/// The Graph media kind an attachment goes as: image, video, or else a document.
pub(in crate::bridge) fn media_kind(kind: &str) -> &'static str {
    match kind {
        "image" => "image",
        "video" => "video",
        _ => "document",
    }
}
