//! Errors of the HTTP edge, turned into responses in this one place. Internal details are
//! logged, never sent.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;
use tracing::{error, warn};

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// Appservice call without a token (spec: 401 M_MISSING_TOKEN).
    #[error("no access token")]
    MissingToken,
    /// Appservice call with the wrong token (spec: 403 M_FORBIDDEN).
    #[error("wrong access token")]
    WrongToken,
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadJson(String),
    /// Webhook signature missing or wrong: 401, nothing stored.
    #[error("webhook refused: {0}")]
    Signature(#[from] crate::whatsapp::signature::SignatureError),
    /// Webhook handshake with a wrong verify token.
    #[error("webhook verification refused")]
    VerifyToken,
    /// Persisting failed: answer 500 so the sender retries later.
    #[error("store: {0}")]
    Store(#[from] crate::store::StoreError),
}

impl HttpError {
    /// Why a delivery was refused, as a metric label.
    pub fn reason(&self) -> &'static str {
        match self {
            HttpError::MissingToken | HttpError::WrongToken => "token",
            HttpError::Signature(_) => "signature",
            HttpError::Store(_) => "store",
            HttpError::BadJson(_) => "body",
            HttpError::NotFound | HttpError::VerifyToken => "other",
        }
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let matrix = |status: StatusCode, errcode: &str, msg: &str| {
            (status, Json(json!({"errcode": errcode, "error": msg}))).into_response()
        };
        match self {
            HttpError::MissingToken => {
                warn!("appservice call without a token refused");
                matrix(
                    StatusCode::UNAUTHORIZED,
                    "M_MISSING_TOKEN",
                    "Missing access token",
                )
            }
            HttpError::WrongToken => {
                warn!("appservice call with a wrong token refused");
                matrix(StatusCode::FORBIDDEN, "M_FORBIDDEN", "Invalid access token")
            }
            HttpError::NotFound => matrix(StatusCode::NOT_FOUND, "M_NOT_FOUND", "Not found"),
            HttpError::BadJson(e) => matrix(StatusCode::BAD_REQUEST, "M_NOT_JSON", &e),
            HttpError::Signature(e) => {
                warn!("webhook refused: {e}");
                (StatusCode::UNAUTHORIZED, "invalid signature").into_response()
            }
            HttpError::VerifyToken => {
                warn!("webhook verification refused: wrong hub.verify_token or hub.mode");
                (StatusCode::FORBIDDEN, "verification failed").into_response()
            }
            HttpError::Store(e) => {
                error!("could not persist a delivery; the sender will retry: {e}");
                (StatusCode::INTERNAL_SERVER_ERROR, "temporarily unavailable").into_response()
            }
        }
    }
}
