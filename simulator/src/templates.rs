//! The message templates the simulated business account has approved, and Meta's checks of a
//! template send against them: the name in that exact language (132001), the header's format
//! (132012) and the body's parameter count (132000). With no template registered every
//! template send is accepted, as before templates could be registered.

use serde_json::Value;

/// An approved template: what Meta's template manager holds.
#[derive(Clone, Debug)]
pub struct ApprovedTemplate {
    pub name: String,
    /// The language code exactly as approved (`it`, `en_US`).
    pub language: String,
    /// The header's format: `image`, `video`, `document` or `text`; `None` without a header.
    pub header: Option<String>,
    /// How many `{{n}}` the body has.
    pub body_params: usize,
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
    let Some(t) = approved
        .iter()
        .find(|t| t.name == name && t.language == language)
    else {
        return Err((
            404,
            132001,
            "Template name does not exist in the translation",
            format!("template name ({name}) does not exist in {language}"),
        ));
    };
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
    let body = params("body").len();
    if body != t.body_params {
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
}
