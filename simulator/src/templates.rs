//! The message templates of the simulated business account, and Meta's checks of a template
//! send against them: the name in that exact language (132001), approved (paused: 132015,
//! disabled: 132016), the header's format (132012), the body's parameter count (132000) and,
//! for named parameters, their names (132000). With no template registered every template send
//! is accepted, as before templates could be registered. `list_entry` writes a template as
//! `GET /{waba-id}/message_templates` lists it (Meta's shape, upper-case names).

use serde_json::{Value, json};

/// A template of the account: what Meta's template manager holds.
#[derive(Clone, Debug)]
pub struct ApprovedTemplate {
    pub name: String,
    /// The language code exactly as approved (`it`, `en_US`).
    pub language: String,
    /// The header's format: `image`, `video`, `document` or `text`; `None` without a header.
    pub header: Option<String>,
    /// How many `{{n}}` the body has (with `named`: how many names).
    pub body_params: usize,
    /// `MARKETING`, `UTILITY`, `AUTHENTICATION`.
    pub category: String,
    /// `APPROVED`, `PAUSED`, `DISABLED`, `REJECTED`, `PENDING`.
    pub status: String,
    /// The body's parameter names when its `parameter_format` is `NAMED` (empty: numbered).
    pub named: Vec<String>,
    /// The body's text; generated from the parameters when empty.
    pub body: String,
    /// Meta's id (a string in the API, an integer in webhooks).
    pub id: u64,
}

impl Default for ApprovedTemplate {
    fn default() -> Self {
        ApprovedTemplate {
            name: String::new(),
            language: "it".into(),
            header: None,
            body_params: 0,
            category: "MARKETING".into(),
            status: "APPROVED".into(),
            named: vec![],
            body: String::new(),
            id: 0,
        }
    }
}

impl ApprovedTemplate {
    fn body_text(&self) -> String {
        if !self.body.is_empty() {
            return self.body.clone();
        }
        let params: Vec<String> = if self.named.is_empty() {
            (1..=self.body_params)
                .map(|n| format!("{{{{{n}}}}}"))
                .collect()
        } else {
            self.named.iter().map(|n| format!("{{{{{n}}}}}")).collect()
        };
        format!("Comunicazione: {}", params.join(" "))
    }

    /// The template as the list endpoint gives it.
    pub(crate) fn list_entry(&self) -> Value {
        let mut components = Vec::new();
        if let Some(h) = &self.header {
            let mut header = json!({"type": "HEADER", "format": h.to_uppercase()});
            if h == "text" {
                header["text"] = json!("Comune");
            } else {
                header["example"] =
                    json!({"header_handle": ["https://scontent.whatsapp.net/v/t61/example"]});
            }
            components.push(header);
        }
        let mut body = json!({"type": "BODY", "text": self.body_text()});
        if self.named.is_empty() && self.body_params > 0 {
            body["example"] = json!({"body_text": [vec!["esempio"; self.body_params]]});
        } else if !self.named.is_empty() {
            let named: Vec<Value> = self
                .named
                .iter()
                .map(|n| json!({"param_name": n, "example": "esempio"}))
                .collect();
            body["example"] = json!({"body_text_named_params": named});
        }
        components.push(body);
        json!({
            "name": self.name,
            "parameter_format": if self.named.is_empty() { "POSITIONAL" } else { "NAMED" },
            "components": components,
            "language": self.language,
            "status": self.status,
            "category": self.category,
            "id": self.id.to_string(),
        })
    }
}

/// Meta's refusal: HTTP status, code, title and details.
pub(crate) type Refusal = (u16, i64, &'static str, String);

/// Checks a `template` object against the approved templates.
pub(crate) fn check(approved: &[ApprovedTemplate], template: &Value) -> Result<(), Refusal> {
    if approved.is_empty() {
        return Ok(());
    }
    let name = template["name"].as_str().unwrap_or("");
    let language = template["language"]["code"].as_str().unwrap_or("");
    let missing = || {
        Err((
            404,
            132001,
            "Template name does not exist in the translation",
            format!("template name ({name}) does not exist in {language}"),
        ))
    };
    let Some(t) = approved
        .iter()
        .find(|t| t.name == name && t.language == language)
    else {
        return missing();
    };
    match t.status.as_str() {
        "APPROVED" => {}
        "PAUSED" => {
            return Err((
                400,
                132015,
                "Template is Paused",
                format!("template {name} is paused due to low quality"),
            ));
        }
        "DISABLED" => {
            return Err((
                400,
                132016,
                "Template is disabled",
                format!("template {name} is disabled due to low quality"),
            ));
        }
        _ => return missing(),
    }
    let components = template["components"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let params = |kind: &str| {
        components
            .iter()
            .find(|c| c["type"] == kind)
            .and_then(|c| c["parameters"].as_array().cloned())
            .unwrap_or_default()
    };
    let header = params("header");
    let received = header
        .first()
        .and_then(|p| p["type"].as_str())
        .unwrap_or("UNKNOWN");
    let expected = t.header.as_deref();
    let header_ok = match expected {
        None => header.is_empty(),
        Some("text") => header.is_empty() || received == "text",
        Some(format) => header.len() == 1 && received == format,
    };
    if !header_ok {
        return Err((
            400,
            132012,
            "Parameter format does not match format in the created template",
            format!(
                "header: Format mismatch, expected {}, received {}",
                expected.unwrap_or("NONE").to_uppercase(),
                received.to_uppercase()
            ),
        ));
    }
    let body_parameters = params("body");
    let body = body_parameters.len();
    let names_ok = t.named.is_empty()
        || body_parameters
            .iter()
            .map(|p| p["parameter_name"].as_str().unwrap_or(""))
            .eq(t.named.iter().map(String::as_str));
    if !names_ok {
        return Err((
            400,
            132000,
            "Number of parameters does not match the expected number of params",
            format!(
                "body: parameter names do not match the template's ({})",
                t.named.join(", ")
            ),
        ));
    }
    if body != t.body_params.max(t.named.len()) {
        return Err((
            400,
            132000,
            "Number of parameters does not match the expected number of params",
            format!(
                "body: number of localizable_params ({body}) does not match the expected number of params ({})",
                t.body_params
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn checks_name_language_header_and_body() {
        let approved = [ApprovedTemplate {
            name: "notizie_foto".into(),
            language: "it".into(),
            header: Some("image".into()),
            body_params: 1,
            ..Default::default()
        }];
        let image =
            json!({"type": "header", "parameters": [{"type": "image", "image": {"id": "1"}}]});
        let body = json!({"type": "body", "parameters": [{"type": "text", "text": "x"}]});
        let send = |lang: &str, components: Value| {
            check(
                &approved,
                &json!({"name": "notizie_foto", "language": {"code": lang}, "components": components}),
            )
            .map_err(|e| e.1)
        };
        assert_eq!(send("it", json!([image, body])), Ok(()));
        assert_eq!(send("en", json!([image, body])), Err(132001));
        assert_eq!(send("it", json!([body])), Err(132012));
        assert_eq!(send("it", json!([image])), Err(132000));
        assert_eq!(check(&[], &json!({"name": "any"})), Ok(()));
    }

    #[test]
    fn checks_status_and_parameter_names() {
        let mut t = ApprovedTemplate {
            name: "evento".into(),
            named: vec!["giorno".into()],
            ..Default::default()
        };
        let send = |t: &ApprovedTemplate, param: Value| {
            check(
                std::slice::from_ref(t),
                &json!({"name": "evento", "language": {"code": "it"},
                    "components": [{"type": "body", "parameters": [param]}]}),
            )
            .map_err(|e| e.1)
        };
        let named = json!({"type": "text", "text": "sabato", "parameter_name": "giorno"});
        assert_eq!(send(&t, named.clone()), Ok(()));
        assert_eq!(
            send(&t, json!({"type": "text", "text": "sabato"})),
            Err(132000)
        );
        t.status = "PAUSED".into();
        assert_eq!(send(&t, named.clone()), Err(132015));
        t.status = "DISABLED".into();
        assert_eq!(send(&t, named.clone()), Err(132016));
        t.status = "REJECTED".into();
        assert_eq!(send(&t, named), Err(132001));
    }
}
