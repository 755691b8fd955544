//! The Matrix side: the homeserver client the bridge acts through, and the appservice's view
//! of incoming transactions. Knows nothing of WhatsApp.

pub mod client;
pub mod types;

pub use client::{MatrixClient, MatrixError};
