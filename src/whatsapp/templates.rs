//! Meta's message templates as typed values: the account's list (`GET
//! /{waba-id}/message_templates`, paged by cursor) and the three template webhooks
//! (`message_template_status_update`, `message_template_quality_update`,
//! `template_category_update`). Tolerant as the webhooks are: a listed template whose shape
//! cannot be read is counted, not fatal, and a status or category Meta adds later is kept by
//! its name. Upper or lower case, `en-US` or `en_US`: all read alike.

use std::fmt;

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::client::GraphClient;
use super::error::GraphError;

/// Where a template stands at Meta. Only an approved one can be sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum TemplateStatus {
    Approved,
    Pending,
    Rejected,
    /// Paused after negative feedback (it resumes by itself, or is disabled).
    Paused,
    Disabled,
    /// Flagged: it will be disabled on a date unless its quality improves.
    Flagged,
    /// Deleted, or pending deletion.
    Deleted,
    /// A state Meta names otherwise (`LOCKED`, `LIMIT_EXCEEDED`, `ARCHIVED`, …).
    Other(String),
}

impl TemplateStatus {
    /// From a list's `status` or a webhook's `event` (`REINSTATED` is approved again).
    pub fn parse(name: &str) -> TemplateStatus {
        match name.trim().to_ascii_uppercase().as_str() {
            "APPROVED" | "REINSTATED" | "UNARCHIVED" => TemplateStatus::Approved,
            "PENDING" | "IN_APPEAL" => TemplateStatus::Pending,
            "REJECTED" => TemplateStatus::Rejected,
            "PAUSED" => TemplateStatus::Paused,
            "DISABLED" => TemplateStatus::Disabled,
            "FLAGGED" => TemplateStatus::Flagged,
            "DELETED" | "PENDING_DELETION" => TemplateStatus::Deleted,
            other => TemplateStatus::Other(other.to_owned()),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            TemplateStatus::Approved => "APPROVED",
            TemplateStatus::Pending => "PENDING",
            TemplateStatus::Rejected => "REJECTED",
            TemplateStatus::Paused => "PAUSED",
            TemplateStatus::Disabled => "DISABLED",
            TemplateStatus::Flagged => "FLAGGED",
            TemplateStatus::Deleted => "DELETED",
            TemplateStatus::Other(s) => s,
        }
    }
}

impl From<String> for TemplateStatus {
    fn from(s: String) -> Self {
        TemplateStatus::parse(&s)
    }
}

impl From<TemplateStatus> for String {
    fn from(s: TemplateStatus) -> Self {
        s.name().to_owned()
    }
}

impl fmt::Display for TemplateStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What Meta charges a template as; the pricing categories of statuses are the same names in
/// lower case.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Category {
    Marketing,
    Utility,
    Authentication,
    Other(String),
}

impl Category {
    pub fn parse(name: &str) -> Category {
        match name.trim().to_ascii_lowercase().as_str() {
            "marketing" => Category::Marketing,
            "utility" => Category::Utility,
            "authentication" => Category::Authentication,
            other => Category::Other(other.to_owned()),
        }
    }

    /// In lower case, as `pricing.category` and the `[pricing]` table name it.
    pub fn name(&self) -> &str {
        match self {
            Category::Marketing => "marketing",
            Category::Utility => "utility",
            Category::Authentication => "authentication",
            Category::Other(s) => s,
        }
    }
}

impl From<String> for Category {
    fn from(s: String) -> Self {
        Category::parse(&s)
    }
}

impl From<Category> for String {
    fn from(c: Category) -> Self {
        c.name().to_owned()
    }
}

/// A template's header: text (perhaps with parameters), an attachment of a kind, a location.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Header {
    Text {
        params: Vec<String>,
    },
    /// `image`, `video` or `document`: the send must carry that attachment.
    Media {
        kind: String,
    },
    Location,
}

/// One template in one language, as the account holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetaTemplate {
    /// Meta's id (a string in the API, an integer in webhooks).
    pub id: String,
    pub name: String,
    /// `it`, `en_US`: as approved (`-` read as `_`).
    pub language: String,
    pub status: TemplateStatus,
    pub category: Category,
    /// Parameters named (`{{first_name}}`) rather than numbered (`{{1}}`).
    pub named: bool,
    pub header: Option<Header>,
    /// The body's text, as the office wrote it in WhatsApp Manager.
    pub body: String,
    /// The body's parameters, in order: names, or `1`, `2`, ….
    pub body_params: Vec<String>,
    /// Buttons whose URL takes a parameter (a send must fill them).
    #[serde(default)]
    pub url_button_params: usize,
    /// The quality Meta last reported (`GREEN`, `YELLOW`, `RED`), if it did.
    #[serde(default)]
    pub quality: Option<String>,
}

impl MetaTemplate {
    /// Reads one entry of the list's `data`; `None` when it lacks a name or language.
    pub fn from_meta(v: &Value) -> Option<MetaTemplate> {
        let name = v.get("name")?.as_str()?.trim();
        let language = language(v.get("language")?.as_str()?);
        if name.is_empty() || language.is_empty() {
            return None;
        }
        let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        let components: &[Value] = v
            .get("components")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice);
        let component = |kind: &str| {
            components
                .iter()
                .find(|c| text(c, "type").eq_ignore_ascii_case(kind))
        };
        let header = component("header").map(|h| {
            let format = text(h, "format").to_ascii_lowercase();
            match format.as_str() {
                "" | "text" => Header::Text {
                    params: params_in(&text(h, "text")),
                },
                "location" => Header::Location,
                _ => Header::Media { kind: format },
            }
        });
        let body = component("body")
            .map(|b| text(b, "text"))
            .unwrap_or_default();
        let url_button_params = component("buttons")
            .and_then(|b| b.get("buttons"))
            .and_then(Value::as_array)
            .map_or(0, |bs| {
                bs.iter()
                    .filter(|b| text(b, "type").eq_ignore_ascii_case("url"))
                    .filter(|b| text(b, "url").contains("{{"))
                    .count()
            });
        Some(MetaTemplate {
            id: id_text(v.get("id")).unwrap_or_default(),
            name: name.to_owned(),
            language,
            status: TemplateStatus::parse(&text(v, "status")),
            category: Category::parse(&text(v, "category")),
            named: text(v, "parameter_format").eq_ignore_ascii_case("named"),
            header,
            body_params: params_in(&body),
            body,
            url_button_params,
            quality: v
                .get("quality_score")
                .and_then(|q| q.get("score"))
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }

    /// The parameters of a text header, if it has any.
    pub fn header_params(&self) -> &[String] {
        match &self.header {
            Some(Header::Text { params }) => params,
            _ => &[],
        }
    }

    /// The attachment kind its header needs, if any.
    pub fn media_header(&self) -> Option<&str> {
        match &self.header {
            Some(Header::Media { kind }) => Some(kind),
            _ => None,
        }
    }
}

/// A language code as the API writes it: `en-US` → `en_US`.
pub fn language(code: &str) -> String {
    code.trim().replace('-', "_")
}

/// An id given as a string or an integer.
fn id_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The parameters a text takes, once each in the order they first appear (numbered ones in
/// numeric order): `{{1}}`, `{{ 2 }}`, `{{first_name}}`.
pub fn params_in(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let name = after[..end].trim();
        let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if valid && !out.iter().any(|p| p == name) {
            out.push(name.to_owned());
        }
        rest = &after[end + 2..];
    }
    if out.iter().all(|p| p.parse::<u32>().is_ok()) {
        out.sort_by_key(|p| p.parse::<u32>().unwrap_or(0));
    }
    out
}

/// The account's templates as listed: those read, and how many entries could not be.
#[derive(Debug, Default)]
pub struct Listed {
    pub templates: Vec<MetaTemplate>,
    pub unreadable: usize,
}

/// Pages read at most (100 templates each): an account holds at most a few hundred.
const MAX_PAGES: usize = 50;

impl GraphClient {
    /// Every template of the business account, page by page.
    pub async fn templates(&self, waba_id: &str) -> Result<Listed, GraphError> {
        let mut listed = Listed::default();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut path = format!(
                "{waba_id}/message_templates?limit=100&fields=id,name,language,status,category,parameter_format,components,quality_score"
            );
            if let Some(a) = &after {
                path.push_str("&after=");
                path.push_str(&utf8_percent_encode(a, NON_ALPHANUMERIC).to_string());
            }
            let page = self.get_json(&path).await?;
            for t in page["data"].as_array().into_iter().flatten() {
                match MetaTemplate::from_meta(t) {
                    Some(t) => listed.templates.push(t),
                    None => listed.unreadable += 1,
                }
            }
            // Meta gives `next` only while there is a further page.
            let next = page["paging"]["next"].as_str().is_some();
            after = page["paging"]["cursors"]["after"]
                .as_str()
                .map(str::to_owned);
            if !next || after.is_none() {
                return Ok(listed);
            }
        }
        Ok(listed)
    }
}

/// What a template webhook says happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TemplateEvent {
    /// The business account it concerns (the entry's id).
    pub waba_id: String,
    pub id: String,
    pub name: String,
    pub language: String,
    pub change: TemplateChange,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateChange {
    /// `message_template_status_update`: its new status, Meta's event name and reason, and
    /// Meta's explanation when it gives one (rejection, pause, disable date).
    Status {
        status: TemplateStatus,
        event: String,
        reason: Option<String>,
        detail: Option<String>,
    },
    /// `message_template_quality_update`.
    Quality {
        previous: Option<String>,
        new: String,
    },
    /// `template_category_update`: the category changed, or will at `at` (Unix seconds).
    Category {
        new: Category,
        previous: Option<Category>,
        correct: Option<Category>,
        at: Option<i64>,
    },
}

/// Reads a template webhook's `value`; `None` when `field` is not one, or the value names no
/// template.
pub fn parse_event(waba_id: &str, field: &str, v: &Value) -> Option<TemplateEvent> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let change = match field {
        "message_template_status_update" => {
            let event = s("event")?;
            let rejection = v.get("rejection_info");
            let detail = rejection
                .and_then(|r| r.get("reason"))
                .or_else(|| v.get("other_info").and_then(|o| o.get("description")))
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| {
                    v.get("disable_info")
                        .and_then(|d| d.get("disable_date"))
                        .map(|d| match d {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                });
            TemplateChange::Status {
                status: TemplateStatus::parse(&event),
                event,
                reason: s("reason").filter(|r| r != "NONE"),
                detail,
            }
        }
        "message_template_quality_update" => TemplateChange::Quality {
            previous: s("previous_quality_score"),
            new: s("new_quality_score")?,
        },
        "template_category_update" => TemplateChange::Category {
            new: Category::parse(&s("new_category")?),
            previous: s("previous_category").map(|c| Category::parse(&c)),
            correct: s("correct_category").map(|c| Category::parse(&c)),
            at: v.get("category_update_timestamp").and_then(Value::as_i64),
        },
        _ => return None,
    };
    Some(TemplateEvent {
        waba_id: waba_id.to_owned(),
        id: id_text(v.get("message_template_id")).unwrap_or_default(),
        name: s("message_template_name")?,
        language: language(&s("message_template_language").unwrap_or_default()),
        change,
    })
}

/// The webhook fields that concern templates.
pub const FIELDS: [&str; 3] = [
    "message_template_status_update",
    "message_template_quality_update",
    "template_category_update",
];

#[cfg(test)]
#[path = "templates_tests.rs"]
mod tests;
