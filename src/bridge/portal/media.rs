//! Citizen media, from the Graph API into the homeserver without being held whole: the
//! download's body is streamed into the upload (SHA-256 and size counted on the way), a file
//! larger than the homeserver accepts (`m.upload.size`, asked once an hour) or than
//! `bridge.max_media_mb` is refused before it is downloaded, and at most `MEDIA_SLOTS`
//! transfers run at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tracing::warn;

use crate::bridge::engine::failure::Failure;
use crate::bridge::portal::Portals;
use crate::convert::{MediaRef, Uploaded, inbound as conv};
use crate::store::PortalRecord;
use crate::whatsapp::webhook::InboundMessage;
use crate::whatsapp::{Handling, Opened};

/// Transfers at once (each holds a connection to Meta and one to the homeserver).
pub(in crate::bridge) const MEDIA_SLOTS: usize = 3;
/// How long the homeserver's upload limit is trusted before it is asked again.
const LIMIT_FOR: Duration = Duration::from_secs(3600);

/// What became of a citizen's attachment.
pub(in crate::bridge) enum Fetched {
    Uploaded(Uploaded),
    /// WhatsApp could not give it, or it did not match its announced SHA-256.
    Missing,
    /// Not downloaded: larger than `limit` (`size` when it was announced).
    TooLarge {
        size: Option<u64>,
        limit: u64,
    },
}

impl Portals {
    /// The largest file passed on: `bridge.max_media_mb`, and the homeserver's own limit.
    async fn media_limit(&self) -> Result<u64, Failure> {
        let configured = self.parts.config.raw.bridge.max_media_mb * 1_000_000;
        let cached = *self.upload_limit.lock().await;
        let homeserver = match cached {
            Some((at, limit)) if at.elapsed() < LIMIT_FOR => limit,
            _ => {
                let limit = self.parts.matrix.upload_limit().await?;
                *self.upload_limit.lock().await = Some((Instant::now(), limit));
                limit
            }
        };
        Ok(homeserver.map_or(configured, |h| h.min(configured)))
    }

    /// Streams the attachment `r` of `m` into the homeserver as the citizen's ghost.
    pub(in crate::bridge) async fn fetch_citizen_media(
        &self,
        m: &InboundMessage,
        r: &MediaRef,
        portal: &PortalRecord,
    ) -> Result<Fetched, Failure> {
        let _slot = self
            .media_slots
            .acquire()
            .await
            .map_err(|_| Failure::transient("shutting down"))?;
        let limit = self.media_limit().await?;
        let download = match self.parts.graph.open_media(&r.id, limit).await {
            Ok(Opened::Download(d)) => d,
            Ok(Opened::TooLarge { size }) => {
                return Ok(Fetched::TooLarge {
                    size: Some(size),
                    limit,
                });
            }
            Err(e) if matches!(e.handling(), Handling::Retry | Handling::Recipient) => {
                return Err(Failure::transient(e.to_string()));
            }
            Err(e) => {
                warn!(wamid = %m.id, "the citizen's attachment cannot be fetched: {}", crate::ids::mask_text(&e.to_string()));
                return Ok(Fetched::Missing);
            }
        };
        let mime = r
            .mime
            .clone()
            .unwrap_or_else(|| download.info.mime_type.clone());
        let mime = mime.split(';').next().unwrap_or(&mime).trim().to_owned();
        let filename = r
            .filename
            .clone()
            .unwrap_or_else(|| conv::default_filename(r.kind.as_str(), &mime));
        let expected = r.sha256.clone().or(download.info.sha256.clone());
        let response = download.response;
        let (len, body, seen) = match upload_body(response, limit).await? {
            Ok(b) => b,
            Err(too_large) => return Ok(too_large),
        };
        let mxc = self
            .parts
            .matrix
            .upload_body(Some(&portal.ghost), &filename, &mime, len, body)
            .await?;
        if let Some(expected) = expected
            && !seen.matches(&expected)
        {
            warn!(wamid = %m.id, "the attachment's SHA-256 does not match what WhatsApp announced; not shown");
            return Ok(Fetched::Missing);
        }
        Ok(Fetched::Uploaded(Uploaded {
            mxc,
            mime,
            size: len,
            filename,
        }))
    }
}

/// The download as an upload body with its length (Synapse wants it up front), and what
/// will have been seen of it: streamed when its length is announced (hashed and counted as
/// it passes), else read — but never past the limit. `Err` when it is larger than `limit`.
async fn upload_body(
    response: reqwest::Response,
    limit: u64,
) -> Result<Result<(u64, reqwest::Body, Arc<Seen>), Fetched>, Failure> {
    Ok(match response.content_length() {
        Some(len) if len > limit => {
            return Ok(Err(Fetched::TooLarge {
                size: Some(len),
                limit,
            }));
        }
        // Streamed: hashed and counted as it passes.
        Some(len) => {
            let seen = Arc::new(Seen::default());
            let tap = seen.clone();
            let stream = response.bytes_stream().map(move |chunk| {
                if let Ok(c) = &chunk {
                    tap.add(c);
                }
                chunk
            });
            Ok((len, reqwest::Body::wrap_stream(stream), seen))
        }
        // No length announced (Synapse needs one): read, but never past the limit.
        None => {
            let seen = Arc::new(Seen::default());
            let mut bytes = Vec::new();
            let mut stream = response.bytes_stream();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| Failure::transient(e.to_string()))?;
                seen.add(&chunk);
                if seen.len() > limit {
                    return Ok(Err(Fetched::TooLarge { size: None, limit }));
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok((bytes.len() as u64, reqwest::Body::from(bytes), seen))
        }
    })
}

/// The bytes seen so far: their count and running SHA-256.
#[derive(Default)]
struct Seen {
    len: AtomicU64,
    hash: std::sync::Mutex<Sha256>,
}

impl Seen {
    fn add(&self, chunk: &[u8]) {
        self.len.fetch_add(chunk.len() as u64, Ordering::Relaxed);
        self.hash
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .update(chunk);
    }
    fn len(&self) -> u64 {
        self.len.load(Ordering::Relaxed)
    }
    fn matches(&self, expected: &str) -> bool {
        let digest = self
            .hash
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
            .finalize();
        crate::bridge::portal::inbound::digest_matches(expected, &digest)
    }
}
