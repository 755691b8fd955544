//! Meta's webhook: the GET verification handshake, and POST deliveries verified over the
//! raw bytes, then handed to the router (`Bridge::ingest`) and acknowledged once routed and
//! durable. A body that cannot be parsed is kept as a dead letter in that commit, never lost.

use std::collections::HashMap;

use axum::{
    body::Bytes,
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
};
use subtle::ConstantTimeEq;
use tracing::{info, info_span};

use super::error::HttpError;
use crate::bridge::Bridge;
use crate::store::Source;
use crate::whatsapp::signature::verify_signature;

pub async fn verify(
    State(bridge): State<Bridge>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<String, HttpError> {
    let expected = bridge.config().raw.whatsapp.verify_token.as_bytes();
    let token_ok = q
        .get("hub.verify_token")
        .is_some_and(|t| bool::from(t.as_bytes().ct_eq(expected)));
    match (
        q.get("hub.mode").map(String::as_str),
        token_ok,
        q.get("hub.challenge"),
    ) {
        (Some("subscribe"), true, Some(challenge)) => {
            info!("Meta verified the webhook");
            Ok(challenge.clone())
        }
        _ => Err(HttpError::VerifyToken),
    }
}

pub async fn receive(
    State(bridge): State<Bridge>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, HttpError> {
    let started = std::time::Instant::now();
    let result = persist(&bridge, &headers, &body).await;
    super::observe(&bridge, "whatsapp", started, &result);
    result
}

async fn persist(
    bridge: &Bridge,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<StatusCode, HttpError> {
    let sig = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    verify_signature(
        bridge.config().raw.whatsapp.app_secret.as_bytes(),
        sig,
        body,
    )?;
    let seq = bridge.ingest(Source::WhatsApp, body).await?;
    let _span = info_span!("webhook", seq).entered();
    info!(bytes = body.len(), "webhook taken in");
    Ok(StatusCode::OK)
}
