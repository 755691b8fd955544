//! The WhatsApp Cloud API side: webhook signature and parsing, the Graph API client and its
//! errors. Knows nothing of Matrix.

pub mod client;
pub mod error;
pub mod kind;
pub mod message;
pub mod signature;
pub mod status;
pub mod templates;
pub mod webhook;

pub use client::{GraphClient, MediaDownload, Opened, Sent, TokenState};
pub use error::{GraphError, Handling};
