//! Sportello: a Matrix application service that lets a public office answer citizens on
//! WhatsApp (Meta's Cloud API) from Element.
//!
//! # Layout
//! Dependencies point one way (see ARCHITECTURE.md):
//! `http` → `bridge` → `convert` / `store` / `matrix` / `whatsapp`; `matrix` and `whatsapp`
//! never import each other; `convert` is pure. `config`, `ids` and `texts` are used by all.
//!
//! [`run`] is the whole bridge, shared by the binary and the tests.

pub mod autoreply;
pub mod bridge;
pub mod clock;
pub mod commands;
pub mod config;
pub mod convert;
pub mod failpoint;
pub mod hours;
pub mod http;
pub mod ids;
pub mod keywords;
pub mod matrix;
pub mod metrics;
pub mod paperwork;
pub mod pricing;
#[cfg(test)]
mod properties;
pub mod registration;
pub mod store;
pub mod texts;
pub mod whatsapp;

use std::future::Future;

use tracing::{info, warn};

use crate::{bridge::Bridge, config::Config, store::Store};

/// Runs the bridge on `listener` until `shutdown` completes: serves Synapse and Meta,
/// resumes queued work, pings the homeserver. Returns when everything has stopped.
pub async fn run(
    config: Config,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    let clock = std::sync::Arc::new(clock::SystemClock);
    run_with_clock(config, listener, shutdown, clock).await
}

/// [`run`] on `clock` (tests pin the time the bridge sees).
pub async fn run_with_clock(
    config: Config,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    clock: clock::SharedClock,
) -> Result<(), RunError> {
    let store = Store::open(&config.raw.store.path)?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let bridge = Bridge::with_clock(config, store.clone(), stop_rx.clone(), clock);
    let tasks = bridge.start();
    let app = http::router(bridge.clone());
    info!(addr = %listener.local_addr()?, "listening for Synapse and Meta");
    let server = serve(listener, app, stop_rx.clone());
    // Metrics on their own listener, when configured: never on the webhook's port.
    let metrics = match bridge.config().raw.metrics.addr() {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr).await?;
            info!(addr = %listener.local_addr()?, "serving Prometheus metrics at /metrics");
            Some(serve(
                listener,
                http::metrics_router(bridge.clone()),
                stop_rx.clone(),
            ))
        }
        None => None,
    };
    let b = bridge.clone();
    let ping = tokio::spawn(async move {
        if b.ping_homeserver().await.is_ok() {
            b.set_bot_profile().await;
        }
    });
    shutdown.await;
    info!("shutting down");
    let _ = stop_tx.send(true);
    // Background tasks stop at the signal; the ping and a pending admin-room creation are
    // cut short (both are repeated at the next start).
    ping.abort();
    let _ = ping.await;
    tasks.admin_room.abort();
    // A reading of Meta's templates is one commit at its end, a health round a question and
    // at most one commit: cut short (rather than waited for, up to a request's timeout),
    // each is repeated at the next start.
    tasks.templates.abort();
    tasks.health.abort();
    for t in tasks.all() {
        if let Err(e) = t.await
            && !e.is_cancelled()
        {
            warn!("a background task ended abnormally: {e}");
        }
    }
    server
        .await
        .map_err(|e| RunError::Io(std::io::Error::other(e)))??;
    if let Some(m) = metrics {
        m.await
            .map_err(|e| RunError::Io(std::io::Error::other(e)))??;
    }
    // Workers finish the call they are in (a Graph send is never cut in half), then stop; the
    // store is released only when the last of them is gone, so wait for the longest call
    // (a Graph send, or a homeserver call of up to 30 s).
    let grace = std::time::Duration::from_secs(
        bridge.config().raw.whatsapp.request_timeout_secs.max(30) + 5,
    );
    if !bridge.stopped(grace).await {
        warn!("some citizens' workers did not stop in time; their items resume at the next start");
    }
    // Outcomes committed soon (store::durability) are made durable before the process ends.
    if let Err(e) = store.flush() {
        warn!(
            "the last commits could not be made durable; their work is redone at the next start: {e}"
        );
    }
    Ok(())
}

/// Serves `app` on `listener` until the stop signal.
fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<std::io::Result<()>> {
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|v| *v).await;
            })
            .await
    })
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("network: {0}")]
    Io(#[from] std::io::Error),
}
