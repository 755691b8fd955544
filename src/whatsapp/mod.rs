//! The WhatsApp Cloud API side: webhook signature and parsing, the Graph API client and its
//! errors. Knows nothing of Matrix.

pub mod client;
pub mod coexistence;
pub mod error;
pub mod kind;
pub mod message;
pub mod signature;
pub mod status;
pub mod templates;
pub mod webhook;

/// Meta's customer-service window: free-form messages within this many seconds of the
/// citizen's last message.
pub const WINDOW_SECS: i64 = 24 * 3600;

pub use client::{GraphClient, MediaDownload, Opened, Sent, TokenState};
pub use error::{GraphError, Handling};
