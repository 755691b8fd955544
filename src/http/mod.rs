//! The HTTP edge, the only user of axum: the appservice API for Synapse and the webhook for
//! Meta, on one listener (with the health probes and the store backup `sportello backup` asks
//! for). Handlers verify, persist and answer; the bridge does the rest.

mod appservice;
mod backup;
mod error;
mod health;
mod webhook;

use axum::{
    Router,
    extract::{DefaultBodyLimit, MatchedPath, Request},
    routing::{get, post, put},
};
use tower_http::trace::TraceLayer;

use std::time::Instant;

use crate::bridge::Bridge;
use crate::metrics::{RefusedLabels, SourceLabel};

/// Meta's payloads are at most 3 MB; Synapse's transactions are smaller.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Counts a delivery: received, and refused (why) or answered (how fast).
fn observe<T>(
    bridge: &Bridge,
    source: &'static str,
    started: Instant,
    result: &Result<T, error::HttpError>,
) {
    let m = bridge.metrics();
    m.webhooks_received
        .get_or_create(&SourceLabel { source })
        .inc();
    match result {
        Ok(_) => m
            .webhook_ack_seconds
            .get_or_create(&SourceLabel { source })
            .observe(started.elapsed().as_secs_f64()),
        Err(e) => {
            m.webhooks_refused
                .get_or_create(&RefusedLabels {
                    source,
                    reason: e.reason(),
                })
                .inc();
        }
    }
}

/// The metrics listener's router: `/metrics` only.
pub fn metrics_router(bridge: Bridge) -> Router {
    Router::new()
        .route("/metrics", get(health::metrics))
        .with_state(bridge)
}

pub fn router(bridge: Bridge) -> Router {
    let webhook_path = bridge.config().raw.whatsapp.webhook_path.clone();
    Router::new()
        .route("/_matrix/app/v1/transactions/{txn_id}", put(appservice::transaction))
        .route("/_matrix/app/v1/users/{user_id}", get(appservice::query_user))
        .route("/_matrix/app/v1/rooms/{alias}", get(appservice::query_alias))
        .route("/_matrix/app/v1/ping", post(appservice::ping))
        .route(&webhook_path, get(webhook::verify).post(webhook::receive))
        .route("/health", get(|| async { "ok" }))
        .route("/_matrix/mau/live", get(health::live))
        .route("/_matrix/mau/ready", get(health::ready))
        .route("/_sportello/backup", post(backup::backup))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // The span names the route, not the URI: user ids in URIs carry phone numbers.
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let route = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned());
            tracing::info_span!("http", method = %req.method(), route = route.as_deref().unwrap_or("?"))
        }))
        .with_state(bridge)
}
