//! The appservice API Synapse calls: transactions, user and alias queries, ping. The
//! hs_token is checked on every call; a transaction is routed and durable before it is
//! answered.

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
    http::HeaderMap,
};
use serde_json::{Value, json};
use subtle::ConstantTimeEq;
use tracing::{Instrument, debug, info_span};

use super::error::HttpError;
use crate::bridge::Bridge;
use crate::store::Source;

/// Checks `Authorization: Bearer <hs_token>` (or the legacy `access_token` query parameter).
fn check_token(bridge: &Bridge, headers: &HeaderMap, query: Option<&str>) -> Result<(), HttpError> {
    check_bearer(headers, query, &bridge.config().raw.appservice.hs_token)
}

/// Checks `Authorization: Bearer <expected>` (or an `access_token` query parameter), in
/// constant time.
pub(super) fn check_bearer(
    headers: &HeaderMap,
    query: Option<&str>,
    expected: &str,
) -> Result<(), HttpError> {
    let from_header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let from_query =
        query.and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("access_token=")));
    let Some(given) = from_header.or(from_query) else {
        return Err(HttpError::MissingToken);
    };
    if bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(HttpError::WrongToken)
    }
}

pub async fn transaction(
    State(bridge): State<Bridge>,
    Path(txn_id): Path<String>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, HttpError> {
    let started = std::time::Instant::now();
    let result = persist(&bridge, &txn_id, &uri, &headers, &body).await;
    super::observe(&bridge, "matrix", started, &result);
    result
}

async fn persist(
    bridge: &Bridge,
    txn_id: &str,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Json<Value>, HttpError> {
    check_token(bridge, headers, uri.query())?;
    let span = info_span!("transaction", txn_id = %txn_id);
    // Only check it is a JSON object with events; the router reads it in full later.
    let v: Value = serde_json::from_slice(body).map_err(|e| HttpError::BadJson(e.to_string()))?;
    let count = |k: &str| {
        v.get(k)
            .and_then(Value::as_array)
            .map(Vec::len)
            .unwrap_or(0)
    };
    let events = count("events");
    let ephemeral = count("ephemeral") + count("de.sorunome.msc2409.ephemeral");
    if events + ephemeral == 0 {
        span.in_scope(|| debug!("empty transaction"));
        return Ok(Json(json!({})));
    }
    let listed = v.get("events").and_then(Value::as_array);
    if ephemeral == 0 && !bridge.transaction_matters(listed.map_or(&[], Vec::as_slice)) {
        span.in_scope(|| debug!(events, "only the bridge's own events: answered, not kept"));
        return Ok(Json(json!({})));
    }
    bridge
        .ingest(Source::Matrix, body)
        .instrument(span.clone())
        .await?;
    span.in_scope(|| debug!(events, "transaction taken in"));
    Ok(Json(json!({})))
}

pub async fn query_user(
    State(bridge): State<Bridge>,
    Path(user_id): Path<String>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Result<Json<Value>, HttpError> {
    check_token(&bridge, &headers, uri.query())?;
    if bridge.is_known_ghost(&user_id) {
        Ok(Json(json!({})))
    } else {
        Err(HttpError::NotFound)
    }
}

pub async fn query_alias(
    State(bridge): State<Bridge>,
    Path(_alias): Path<String>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Result<Json<Value>, HttpError> {
    check_token(&bridge, &headers, uri.query())?;
    // Portals are created when a citizen writes, not on demand by alias.
    Err(HttpError::NotFound)
}

pub async fn ping(
    State(bridge): State<Bridge>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Result<Json<Value>, HttpError> {
    check_token(&bridge, &headers, uri.query())?;
    Ok(Json(json!({})))
}
