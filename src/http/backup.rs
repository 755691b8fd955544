//! `POST /_sportello/backup` (as the bridge: `Authorization: Bearer <as_token>`): a consistent
//! copy of the running bridge's store, streamed back — what `sportello backup` asks for, since
//! the store's file is locked while the bridge runs. The copy is written next to the store
//! (the one directory the service may write) and deleted once sent. Not for the public proxy:
//! the examples in `contrib/` publish only the webhook.

use axum::{
    body::{Body, Bytes},
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use tokio::io::AsyncReadExt;
use tracing::{info, warn};

use super::appservice::check_bearer;
use super::error::HttpError;
use crate::bridge::Bridge;

/// Bytes read from the copy at a time.
const CHUNK: usize = 256 * 1024;

pub(super) async fn backup(
    State(bridge): State<Bridge>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    check_bearer(&headers, None, &bridge.config().raw.appservice.as_token)?;
    let dir = bridge.config().raw.store.path.clone();
    let failed = |e: &dyn std::fmt::Display| {
        warn!("backup: {e}");
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("backup failed: {e}"),
        )
            .into_response()
    };
    let tmp = match tempfile::Builder::new().prefix(".backup-").tempdir_in(&dir) {
        Ok(t) => t,
        Err(e) => return Ok(failed(&e)),
    };
    let file = tmp.path().join("sportello.redb");
    let copy = {
        let (bridge, file) = (bridge.clone(), file.clone());
        tokio::task::spawn_blocking(move || bridge.backup_to(&file)).await
    };
    let entries = match copy {
        Ok(Ok(n)) => n,
        Ok(Err(e)) => return Ok(failed(&e)),
        Err(e) => return Ok(failed(&e)),
    };
    let f = match tokio::fs::File::open(&file).await {
        Ok(f) => f,
        Err(e) => return Ok(failed(&e)),
    };
    info!(entries, "backup: a copy of the store is being sent");
    // The temporary directory lives as long as the stream: deleted once the copy is sent.
    let stream = futures_util::stream::unfold((f, tmp), |(mut f, tmp)| async move {
        let mut buf = vec![0; CHUNK];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(Bytes::from(buf)), (f, tmp)))
            }
            Err(e) => Some((Err(e), (f, tmp))),
        }
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (
                header::HeaderName::from_static("x-sportello-entries"),
                entries.to_string(),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}
