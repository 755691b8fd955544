//! Staff → WhatsApp: what a staff member wrote or attached, as the Cloud API message to send,
//! or the reason it cannot be sent (checked before anything leaves, so WhatsApp never gets a
//! message bound to fail). Pure.

use super::markup;
use crate::matrix::types::{StaffKind, StaffMessage};
use crate::texts::Texts;

/// WhatsApp's limit on a text body, in characters.
pub const MAX_TEXT_CHARS: usize = 4096;
/// Captions share the text limit in practice; Meta documents 1024 for media captions.
pub const MAX_CAPTION_CHARS: usize = 1024;

const MB: u64 = 1024 * 1024;

/// Why a staff message is not sent to WhatsApp; the sentence is shown in the room.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    #[error(
        "WhatsApp cannot edit a message once it is sent; the citizen still sees the original. Send the correction as a new message."
    )]
    Edit,
    #[error(
        "WhatsApp cannot delete a message for the citizen once it is sent; it stays on their phone. Send a correction if needed."
    )]
    Delete,
    #[error(
        "WhatsApp has no polls for businesses. Ask the question as text, with the options numbered."
    )]
    Poll,
    #[error("{0} messages cannot be sent to WhatsApp; send the content as text instead.")]
    Unsupported(String),
    #[error(
        "The message is too long for WhatsApp ({0} characters; the limit is 4096). Split it into shorter messages."
    )]
    TooLong(usize),
    #[error(
        "The caption is too long for WhatsApp ({0} characters; the limit is 1024). Send the text as a separate message."
    )]
    CaptionTooLong(usize),
    #[error("The {kind} is too large for WhatsApp ({} MB; the limit is {} MB). Send a smaller file, or a link to it.", size_mb(*.size), size_mb(*.max))]
    TooLarge {
        kind: &'static str,
        size: u64,
        max: u64,
    },
    #[error("WhatsApp does not take {mime} as {kind}. Accepted: {accepted}.")]
    Format {
        kind: &'static str,
        mime: String,
        accepted: &'static str,
    },
    #[error("The location has no valid coordinates.")]
    BadLocation,
    #[error("The message is empty.")]
    Empty,
}

impl Refusal {
    /// The sentence shown in the room, in the office's language.
    pub fn text(&self, t: &Texts) -> String {
        match self {
            Refusal::Edit => t.get("refusal_edit", &[]),
            Refusal::Delete => t.get("refusal_delete", &[]),
            Refusal::Poll => t.get("refusal_poll", &[]),
            Refusal::Unsupported(kind) => t.get("refusal_unsupported", &[("kind", kind)]),
            Refusal::TooLong(n) => t.get("refusal_too_long", &[("n", &n.to_string())]),
            Refusal::CaptionTooLong(n) => {
                t.get("refusal_caption_too_long", &[("n", &n.to_string())])
            }
            Refusal::TooLarge { kind, size, max } => t.get(
                "refusal_too_large",
                &[
                    ("kind", kind),
                    ("size", &size_mb(*size)),
                    ("max", &size_mb(*max)),
                ],
            ),
            Refusal::Format {
                kind,
                mime,
                accepted,
            } => t.get(
                "refusal_format",
                &[("kind", kind), ("mime", mime), ("accepted", accepted)],
            ),
            Refusal::BadLocation => t.get("refusal_bad_location", &[]),
            Refusal::Empty => t.get("refusal_empty", &[]),
        }
    }
}

fn size_mb(b: u64) -> String {
    format!("{:.1}", b as f64 / MB as f64)
}

/// An attachment to send: downloaded from Matrix, uploaded to the Graph API, sent by id.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaOut {
    /// The Cloud API type: image, video, audio, document, sticker.
    pub kind: &'static str,
    pub mxc: String,
    pub mime: String,
    pub filename: String,
    pub caption: Option<String>,
    /// From the event's `info`, when given; checked again after download.
    pub size: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outbound {
    Text(String),
    Media(MediaOut),
    Location {
        latitude: f64,
        longitude: f64,
        name: Option<String>,
    },
}

/// Accepted MIME types and size limits per Cloud API media type (reference §9).
fn limits(kind: &str) -> (&'static [&'static str], u64, &'static str) {
    match kind {
        "image" => (&["image/jpeg", "image/png"], 5 * MB, "JPEG, PNG (max 5 MB)"),
        "video" => (
            &["video/mp4", "video/3gpp"],
            16 * MB,
            "MP4, 3GPP (max 16 MB)",
        ),
        "audio" => (
            &[
                "audio/aac",
                "audio/amr",
                "audio/mpeg",
                "audio/mp4",
                "audio/ogg",
            ],
            16 * MB,
            "AAC, AMR, MP3, M4A, OGG Opus (max 16 MB)",
        ),
        "sticker" => (&["image/webp"], 500 * 1024, "WebP (max 500 KB)"),
        _ => (
            &[
                "text/plain",
                "application/pdf",
                "application/msword",
                "application/vnd.ms-excel",
                "application/vnd.ms-powerpoint",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                "image/jpeg",
                "image/png",
            ],
            100 * MB,
            "PDF, TXT, Word, Excel, PowerPoint, JPEG, PNG (max 100 MB)",
        ),
    }
}

/// Checks a media type and size against WhatsApp's limits for `kind`.
pub fn check_media(kind: &'static str, mime: &str, size: Option<u64>) -> Result<(), Refusal> {
    let (accepted, max, text) = limits(kind);
    let base = mime.split(';').next().unwrap_or(mime).trim();
    if !accepted.contains(&base) {
        return Err(Refusal::Format {
            kind,
            mime: base.to_owned(),
            accepted: text,
        });
    }
    match size {
        Some(size) if size > max => Err(Refusal::TooLarge { kind, size, max }),
        _ => Ok(()),
    }
}

fn with_signature(text: String, signature: Option<&str>) -> String {
    match signature.filter(|s| !s.trim().is_empty()) {
        Some(s) => format!("{text}\n\n— {s}"),
        None => text,
    }
}

fn media(m: &StaffMessage, kind: &'static str) -> Result<Outbound, Refusal> {
    let c = &m.content;
    let mxc = c["url"].as_str().filter(|u| u.starts_with("mxc://"));
    let Some(mxc) = mxc else {
        // Encrypted rooms put the file under `file`; portals are not encrypted.
        return Err(Refusal::Unsupported(format!("encrypted {}", kind)));
    };
    let mime = c["info"]["mimetype"]
        .as_str()
        .unwrap_or("application/octet-stream")
        .to_owned();
    let size = c["info"]["size"].as_u64();
    check_media(kind, &mime, size)?;
    let filename = c["filename"].as_str().unwrap_or(&m.body).to_owned();
    // Matrix captions: a `body` that differs from `filename` is the caption.
    let caption = (c["filename"].is_string() && m.body != filename && !m.body.trim().is_empty())
        .then(|| {
            m.html
                .as_deref()
                .map(markup::html_to_wa)
                .unwrap_or_else(|| m.body.clone())
        });
    let caption = if matches!(kind, "audio" | "sticker") {
        None
    } else {
        caption
    };
    if let Some(cap) = &caption {
        let n = cap.chars().count();
        if n > MAX_CAPTION_CHARS {
            return Err(Refusal::CaptionTooLong(n));
        }
    }
    Ok(Outbound::Media(MediaOut {
        kind,
        mxc: mxc.to_owned(),
        mime,
        filename,
        caption,
        size,
    }))
}

fn location(m: &StaffMessage) -> Result<Outbound, Refusal> {
    let geo = m.content["geo_uri"].as_str().unwrap_or("");
    let coords = geo
        .strip_prefix("geo:")
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("");
    let mut parts = coords.split(',').map(|p| p.trim().parse::<f64>());
    let (Some(Ok(latitude)), Some(Ok(longitude))) = (parts.next(), parts.next()) else {
        return Err(Refusal::BadLocation);
    };
    if !(-90.0..=90.0).contains(&latitude) || !(-180.0..=180.0).contains(&longitude) {
        return Err(Refusal::BadLocation);
    }
    // Element's default body is "Location lat,lon at …"; anything else names the place.
    let name = Some(m.body.trim())
        .filter(|b| !b.is_empty() && !b.starts_with("Location ") && !b.starts_with("geo:"))
        .map(str::to_owned);
    Ok(Outbound::Location {
        latitude,
        longitude,
        name,
    })
}

/// What to send for a staff message (text, attachment or location), or why not.
pub fn staff_to_outbound(m: &StaffMessage, signature: Option<&str>) -> Result<Outbound, Refusal> {
    if m.is_edit {
        return Err(Refusal::Edit);
    }
    let text = match &m.html {
        Some(h) => markup::html_to_wa(h),
        None => m.body.clone(),
    };
    let text = match &m.kind {
        StaffKind::Text | StaffKind::Notice => text,
        StaffKind::Emote => format!("_{}_", text.trim()),
        StaffKind::Other(k) => {
            // Voice messages (ogg/opus) are plain audio to the Cloud API; WhatsApp shows
            // ogg/opus audio as a voice note.
            return match k.as_str() {
                "m.image" => media(m, "image"),
                "m.video" => media(m, "video"),
                "m.audio" => media(m, "audio"),
                "m.file" => media(m, "document"),
                "m.sticker" => media(m, "sticker"),
                "m.location" => location(m),
                other => Err(Refusal::Unsupported(other.to_owned())),
            };
        }
    };
    if text.trim().is_empty() {
        return Err(Refusal::Empty);
    }
    let text = with_signature(text, signature);
    let n = text.chars().count();
    if n > MAX_TEXT_CHARS {
        return Err(Refusal::TooLong(n));
    }
    Ok(Outbound::Text(text))
}

/// The Cloud API message for a sent attachment (its media id, caption, and a document's name).
pub fn media_message(m: &MediaOut, media_id: &str) -> crate::whatsapp::message::Message {
    let media = crate::whatsapp::message::Media {
        id: media_id.to_owned(),
        caption: m.caption.clone(),
        filename: (m.kind == "document").then(|| m.filename.clone()),
    };
    crate::whatsapp::message::Message::media(m.kind, media)
}
