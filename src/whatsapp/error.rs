//! Graph API errors: the decoded error body, and what to do about each code (the handling
//! classes of the Cloud API reference, §11). Branch on `code`, never on the text.

use serde_json::Value;

use crate::texts::Texts;

/// How a failed send is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handling {
    /// Back off and send again.
    Retry,
    /// Back off for this recipient only, then send again.
    Recipient,
    /// Permanent for this message: tell the staff member.
    Drop,
    /// Stop sending altogether and alert the admins (token, account, policy problems).
    Halt,
    /// The request itself is wrong: alert, do not retry.
    Bug,
}

/// A call to the Graph API that did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// Meta answered with an error body.
    #[error("Graph API error {code}{}: {message} (HTTP {http_status}, fbtrace_id {})",
        subcode.map(|s| format!("/{s}")).unwrap_or_default(), fbtrace_id.as_deref().unwrap_or("-"))]
    Api {
        http_status: u16,
        code: i64,
        subcode: Option<i64>,
        message: String,
        details: Option<String>,
        fbtrace_id: Option<String>,
    },
    /// The request never reached Meta (connection refused, DNS): safe to send again.
    #[error("cannot reach the Graph API: {0}")]
    Unreachable(String),
    /// Sent, but no answer in time: it may or may not have been accepted.
    #[error("the Graph API did not answer in time")]
    Timeout,
    /// An answer that is neither success nor a Graph error body.
    #[error("unexpected Graph API answer (HTTP {status}): {body}")]
    Unexpected { status: u16, body: String },
}

impl GraphError {
    /// Decodes `{"error":{…}}`; anything else becomes `Unexpected`.
    pub fn from_body(http_status: u16, body: &[u8]) -> GraphError {
        let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let Some(e) = v.get("error").filter(|e| e.get("code").is_some()) else {
            return GraphError::Unexpected {
                status: http_status,
                body: crate::ids::mask_text(&String::from_utf8_lossy(&body[..body.len().min(300)])),
            };
        };
        GraphError::Api {
            http_status,
            code: e.get("code").and_then(Value::as_i64).unwrap_or(0),
            subcode: e.get("error_subcode").and_then(Value::as_i64),
            message: e
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            details: e
                .get("error_data")
                .and_then(|d| d.get("details"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            fbtrace_id: e
                .get("fbtrace_id")
                .and_then(Value::as_str)
                .map(str::to_owned),
        }
    }

    pub fn code(&self) -> Option<i64> {
        match self {
            GraphError::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Meta refused the access token or its permissions (190, 0, 3, 10, 200–299): nothing
    /// goes out until an admin renews it.
    pub fn refuses_token(&self) -> bool {
        matches!(self, GraphError::Api { code, .. } if token_code(*code))
    }

    pub fn handling(&self) -> Handling {
        match self {
            GraphError::Api {
                code, http_status, ..
            } => match handling_for_code(*code) {
                Some(h) => h,
                None if *http_status >= 500 || *http_status == 429 => Handling::Retry,
                None => Handling::Drop,
            },
            GraphError::Unreachable(_) => Handling::Retry,
            // No idempotency key at Meta: resending could deliver twice.
            GraphError::Timeout => Handling::Drop,
            GraphError::Unexpected { status, .. } if *status >= 500 || *status == 429 => {
                Handling::Retry
            }
            GraphError::Unexpected { .. } => Handling::Bug,
        }
    }

    /// A plain sentence for the staff member whose message failed.
    pub fn explain(&self, t: &Texts) -> String {
        match self {
            GraphError::Api { code, message, .. } => t.get(
                "graph_refused",
                &[
                    ("code", &code.to_string()),
                    ("message", &crate::ids::mask_text(message)),
                    ("advice", &advice_for_code(*code, t)),
                ],
            ),
            GraphError::Unreachable(_) => t.get("graph_unreachable", &[]),
            GraphError::Timeout => t.get("graph_timeout", &[]),
            GraphError::Unexpected { status, .. } => {
                t.get("graph_unexpected", &[("status", &status.to_string())])
            }
        }
    }
}

/// A plain sentence for a `failed` status: the code, Meta's title and what it means.
pub fn explain_failed_status(code: i64, title: &str, t: &Texts) -> String {
    let title = if title.is_empty() {
        String::new()
    } else {
        format!(": {}", crate::ids::mask_text(title))
    };
    t.get(
        "failed_status",
        &[
            ("code", &code.to_string()),
            ("title", &title),
            ("advice", &advice_for_code(code, t)),
        ],
    )
}

/// The codes that are about the access token or its permissions.
fn token_code(code: i64) -> bool {
    matches!(code, 190 | 0 | 3 | 10 | 200..=299)
}

fn handling_for_code(code: i64) -> Option<Handling> {
    use Handling::*;
    Some(match code {
        130429 | 131000 | 131016 | 1 | 2 | 131057 | 4 | 80007 | 139103 => Retry,
        131056 => Recipient,
        131047 | 131026 | 131049 | 131050 | 131053 | 130472 | 132015 | 132016 | 131062 => Drop,
        190 | 0 | 3 | 10 | 131005 | 368 | 131031 | 131042 | 131044 | 131045 | 133010 | 131064
        | 131048 | 139101 => Halt,
        200..=299 => Halt,
        100 | 131008 | 131009 | 131021 | 131030 | 132000 | 132001 | 132005 | 132007 | 132008
        | 132012 => Bug,
        _ => return None,
    })
}

fn advice_for_code(code: i64, t: &Texts) -> String {
    let key = match code {
        131047 => "advice_131047",
        131026 => "advice_131026",
        131049 | 131050 => "advice_marketing",
        131053 => "advice_131053",
        131056 => "advice_131056",
        130429 | 131000 | 131016 | 1 | 2 | 131057 => "advice_busy",
        c if token_code(c) => "advice_token",
        368 | 131031 | 131048 => "advice_restricted",
        _ => "advice_other",
    };
    t.get(key, &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_graph_error_body() {
        let body = br#"{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,"error_subcode":2494010,"error_data":{"messaging_product":"whatsapp","details":"Message failed"},"fbtrace_id":"Az8or2yhqkZfEZ-_4Qn_Bam"}}"#;
        let e = GraphError::from_body(400, body);
        let GraphError::Api {
            code,
            subcode,
            details,
            fbtrace_id,
            ..
        } = &e
        else {
            panic!()
        };
        assert_eq!((*code, *subcode), (131047, Some(2494010)));
        assert_eq!(details.as_deref(), Some("Message failed"));
        assert_eq!(fbtrace_id.as_deref(), Some("Az8or2yhqkZfEZ-_4Qn_Bam"));
        assert_eq!(e.handling(), Handling::Drop);
        assert!(e.explain(&Texts::default()).contains("24 hours"));
    }

    #[test]
    fn classes() {
        let api = |code, status| GraphError::Api {
            http_status: status,
            code,
            subcode: None,
            message: String::new(),
            details: None,
            fbtrace_id: None,
        };
        assert_eq!(api(130429, 400).handling(), Handling::Retry);
        assert_eq!(api(131056, 400).handling(), Handling::Recipient);
        assert_eq!(api(190, 401).handling(), Handling::Halt);
        assert_eq!(api(100, 400).handling(), Handling::Bug);
        assert_eq!(api(999999, 503).handling(), Handling::Retry);
        assert_eq!(api(999999, 400).handling(), Handling::Drop);
        assert_eq!(
            GraphError::from_body(502, b"<html>bad gateway</html>").handling(),
            Handling::Retry
        );
        assert_eq!(GraphError::Timeout.handling(), Handling::Drop);
        assert_eq!(
            GraphError::Unreachable("refused".into()).handling(),
            Handling::Retry
        );
    }
}
