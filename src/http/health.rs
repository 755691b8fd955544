//! Health probes, in the paths mautrix bridges answer (so the administrator's existing checks
//! work unchanged): `/_matrix/mau/live` (the process answers) and `/_matrix/mau/ready` (ready
//! to bridge, part by part; 503 when a part fails). No token, nothing personal.

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use serde_json::json;

use crate::bridge::Bridge;

pub(super) async fn live() -> impl IntoResponse {
    Json(json!({"ok": true}))
}

/// The Prometheus text format, with the store's gauges read just now.
pub(super) async fn metrics(State(bridge): State<Bridge>) -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        bridge.metrics_text(),
    )
}

pub(super) async fn ready(State(bridge): State<Bridge>) -> impl IntoResponse {
    let r = bridge.readiness().await;
    let status = if r.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(r))
}
