//! What a broadcast recipient gets: inside the 24-hour window the text as it is (with the
//! attachment, the text as its caption), outside it the broadcast's template with the text as
//! its parameter (and the attachment in its header when it is a media template). Which
//! template that is — the media template of the attachment's kind, else `broadcast.template`
//! — is chosen and checked when the draft is made and again when it is approved: Meta must
//! have it approved, with good quality, taking the text as its one parameter.

use crate::bridge::engine::failure::Failure;
use crate::bridge::news::News;
use crate::bridge::news::pace::template_parameter;
use crate::bridge::news::sender::Mode;
use crate::store::{Broadcast, PinnedTemplate};
use crate::whatsapp::message::{Component, Language, Media, Message, Parameter, Template};

impl News {
    /// The template recipients outside the window get: `Ok(None)` when none is configured,
    /// `Err` with what is wrong when the one configured cannot carry this broadcast now.
    pub(in crate::bridge) fn choose_template(
        &self,
        b: &Broadcast,
    ) -> Result<Result<Option<PinnedTemplate>, String>, Failure> {
        let cfg = &self.parts.config.raw.broadcast;
        let kind = b.attachment.as_ref().map(|a| media_kind(&a.kind));
        let (key, header) = match kind.and_then(|k| cfg.media_templates.get(k).map(|t| (t, k))) {
            Some((key, k)) => (key, Some(k)),
            None if cfg.template.is_empty() => return Ok(Ok(None)),
            None => (&cfg.template, None),
        };
        let Some(t) = self.templates.choose(key)? else {
            return Ok(Err(self.t("bc_template_unknown", &[("name", key)])));
        };
        if let Err(why) = t.usable(self.templates.synced()?, true) {
            return Ok(Err(self.templates.unusable_text(&t, &why)));
        }
        // What Meta's list says it takes must fit: the attachment's header (or none) and one
        // body parameter. A config entry Meta's list does not show is taken at its word.
        let known = t.status.is_some();
        let fits = t.media_header.as_deref() == header
            && t.header_params.is_empty()
            && t.body_params.len() == 1
            && t.url_button_params == 0;
        if known && !fits {
            let want = match header {
                Some(k) => self.t("bc_template_want_media", &[("kind", k)]),
                None => self.t("bc_template_want_text", &[]),
            };
            return Ok(Err(self.t(
                "bc_template_misfit",
                &[
                    ("name", key),
                    ("want", &want),
                    (
                        "usage",
                        &crate::bridge::templates::Templates::usage_line(&t),
                    ),
                ],
            )));
        }
        Ok(Ok(Some(PinnedTemplate {
            key: t.key.clone(),
            name: t.name.clone(),
            language: t.language.clone(),
            parameter_name: t.named.then(|| t.body_params.first().cloned()).flatten(),
            header: header.map(str::to_owned),
            category: t.category.as_ref().map(|c| c.name().to_owned()),
        })))
    }

    /// A broadcast approved by an earlier version (which chose the template as it sent) gets
    /// its template when its sender starts.
    pub(in crate::bridge) fn pin_unpinned_template(
        &self,
        b: &mut Broadcast,
    ) -> Result<(), Failure> {
        if b.template.is_none()
            && let Ok(Some(t)) = self.choose_template(b)?
        {
            b.template = Some(t);
            self.parts
                .store
                .commit(vec![crate::store::Store::broadcast_op(b)])?;
        }
        Ok(())
    }

    /// The Graph message for a recipient.
    pub(in crate::bridge) fn broadcast_message(&self, b: &Broadcast, mode: Mode) -> Message {
        let free_form = || match media(b) {
            Some((kind, mut o)) => {
                o.caption = Some(b.text.clone());
                Message::media(kind, o)
            }
            None => Message::text(b.text.clone(), true),
        };
        let (Mode::Template, Some(t)) = (mode, &b.template) else {
            // Only a broadcast with a template sends templates (see `eligibility`).
            return free_form();
        };
        let body = Component {
            part: "body".into(),
            parameters: vec![Parameter::Text {
                text: template_parameter(&b.text),
                parameter_name: t.parameter_name.clone(),
            }],
        };
        let header = media(b)
            .filter(|(kind, _)| t.header.as_deref() == Some(*kind))
            .map(|(kind, o)| Component {
                part: "header".into(),
                parameters: vec![Parameter::media(kind, o)],
            });
        Message::Template {
            template: Template {
                name: t.name.clone(),
                language: Language {
                    code: t.language.clone(),
                },
                components: header.into_iter().chain([body]).collect(),
            },
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

/// A `!broadcast <list> <text>` line's text in WhatsApp's markup, from the HTML Element sent
/// (`**È** aperto` typed in Element goes as `*È* aperto`, bold on WhatsApp); `None` when the
/// line came as plain text.
pub(in crate::bridge) fn formatted_text(
    c: &crate::bridge::engine::item::CommandWork,
) -> Option<String> {
    let wa = crate::convert::markup::html_to_wa(c.html.as_deref()?);
    let text = after_words(&wa, 2).trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// `s` after its first `n` words (and the spaces after them).
fn after_words(s: &str, n: usize) -> &str {
    let mut rest = s.trim_start();
    for _ in 0..n {
        rest = rest
            .find(char::is_whitespace)
            .map_or("", |i| rest[i..].trim_start_matches([' ', '\t']));
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge::engine::item::CommandWork;

    fn line(html: Option<&str>) -> CommandWork {
        CommandWork {
            event_id: "$e".into(),
            room_id: "!admin:x".into(),
            sender: "@anna:x".into(),
            body: "!broadcast eventi **È** aperto".into(),
            citizen: None,
            reply_to: None,
            html: html.map(str::to_owned),
        }
    }

    /// Element's bold and italics reach WhatsApp as its own markup; new lines are kept.
    #[test]
    fn a_formatted_broadcast_keeps_its_markup() {
        let c = line(Some(
            "!broadcast eventi <strong>È</strong> aperto l'ufficio, <em>sabato</em> 🎉<br />via Roma 1",
        ));
        assert_eq!(
            formatted_text(&c).as_deref(),
            Some("*È* aperto l'ufficio, _sabato_ 🎉\nvia Roma 1")
        );
        assert_eq!(formatted_text(&line(None)), None);
        assert_eq!(formatted_text(&line(Some("broadcast eventi"))), None);
        assert_eq!(
            after_words("  broadcast  tutti   testo  qui", 2),
            "testo  qui"
        );
    }
}
