//! The Matrix side: the homeserver client the bridge acts through, and the appservice's view
//! of incoming transactions. Knows nothing of WhatsApp.

mod adopt;
pub mod client;
mod media;
pub mod timeline;
pub mod types;

pub use client::{MatrixClient, MatrixError};

/// A transaction id derived from a stable id (a wamid, an event id, a queue item's key), so a
/// retried send is the same transaction for the homeserver. `prefix` names what it is for.
pub fn txn_id(prefix: &str, id: &str) -> String {
    use sha2::{Digest, Sha256};
    format!(
        "{prefix}.{}",
        hex::encode(&Sha256::digest(id.as_bytes())[..12])
    )
}
