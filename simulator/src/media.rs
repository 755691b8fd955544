//! Media, as the Cloud API serves it: `GET /{version}/{media-id}` answers the metadata with a
//! short-lived download URL; that URL serves the bytes only with the Bearer token;
//! `POST /{version}/{phone-number-id}/media` (multipart) uploads and answers `{"id"}`.

use std::collections::HashMap;

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Multipart, Path, Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::Simulator;

/// A stored media object.
#[derive(Clone, Debug)]
pub struct Media {
    pub bytes: Vec<u8>,
    pub mime_type: String,
    pub filename: Option<String>,
}

pub(crate) fn router(sim: Simulator) -> Router {
    Router::new()
        .route("/{version}/{media_id}", get(lookup))
        .route("/{version}/{pnid}/media", post(upload))
        .route("/whatsapp_business/attachments/", get(download))
        .with_state(sim)
}

fn authorised(sim: &Simulator, headers: &HeaderMap) -> bool {
    sim.token_ok(headers)
}

/// `GET /{version}/{phone-number-id}`: the business number, as Meta describes it (the
/// fields Meta returns by default; `fields=` narrows what a real Graph API sends, and the
/// simulator answers them all).
fn phone_number(sim: &Simulator) -> Response {
    Json(json!({
        "verified_name": "URP Comune di Prova",
        "code_verification_status": "VERIFIED",
        "display_phone_number": sim.cfg.display_phone_number,
        "quality_rating": "GREEN",
        "platform_type": "CLOUD_API",
        "throughput": {"level": "STANDARD"},
        "id": sim.cfg.phone_number_id,
    }))
    .into_response()
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": {"message": "Unsupported get request. Object does not exist", "type": "GraphMethodException", "code": 100, "error_subcode": 33, "fbtrace_id": "AsimMedia"}})),
    )
        .into_response()
}

async fn lookup(
    State(sim): State<Simulator>,
    Path((_v, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if !authorised(&sim, &headers) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190, "fbtrace_id": "AsimAuth"}}))).into_response();
    }
    if id == sim.cfg.phone_number_id {
        return phone_number(&sim);
    }
    let Some(m) = sim.media(&id) else {
        return not_found();
    };
    Json(json!({
        "messaging_product": "whatsapp",
        "url": format!("{}/whatsapp_business/attachments/?mid={id}&ext={}", sim.base_url(), sim.next_counter()),
        "mime_type": m.mime_type,
        "sha256": hex::encode(Sha256::digest(&m.bytes)),
        "file_size": m.bytes.len().to_string(),
        "id": id,
    }))
    .into_response()
}

async fn download(
    State(sim): State<Simulator>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if !authorised(&sim, &headers) {
        return (StatusCode::UNAUTHORIZED, "access token required").into_response();
    }
    let Some(m) = q.get("mid").and_then(|id| sim.media(id)) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    sim.state.lock().unwrap().downloads += 1;
    (
        [(header::CONTENT_TYPE, m.mime_type.clone())],
        Bytes::from(m.bytes),
    )
        .into_response()
}

async fn upload(
    State(sim): State<Simulator>,
    Path((_v, pnid)): Path<(String, String)>,
    headers: HeaderMap,
    mut form: Multipart,
) -> Response {
    if !authorised(&sim, &headers) || pnid != sim.cfg.phone_number_id {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}}))).into_response();
    }
    let (mut product, mut file) = (None, None);
    while let Ok(Some(field)) = form.next_field().await {
        match field.name() {
            Some("messaging_product") => product = field.text().await.ok(),
            Some("file") => {
                let mime = field.content_type().map(str::to_owned);
                let name = field.file_name().map(str::to_owned);
                file = field.bytes().await.ok().map(|b| (b.to_vec(), mime, name));
            }
            _ => {}
        }
    }
    let bad = |details: &str| {
        (StatusCode::BAD_REQUEST, Json(json!({"error": {"message": "(#100) Invalid parameter", "type": "OAuthException", "code": 100, "error_data": {"messaging_product": "whatsapp", "details": details}}}))).into_response()
    };
    if product.as_deref() != Some("whatsapp") {
        return bad("messaging_product is required");
    }
    let Some((bytes, Some(mime), filename)) = file else {
        return bad("file with a MIME type is required");
    };
    let id = sim.add_media(bytes, &mime, filename.as_deref());
    Json(json!({"id": id})).into_response()
}

impl Simulator {
    /// Stores media (what a citizen's phone uploads before sending); returns its id.
    pub fn add_media(&self, bytes: Vec<u8>, mime_type: &str, filename: Option<&str>) -> String {
        let id = format!("{}", 1_000_000_000_000 + self.next_counter());
        self.state.lock().unwrap().media.insert(
            id.clone(),
            Media {
                bytes,
                mime_type: mime_type.into(),
                filename: filename.map(Into::into),
            },
        );
        id
    }

    pub fn media(&self, id: &str) -> Option<Media> {
        self.state.lock().unwrap().media.get(id).cloned()
    }
}
