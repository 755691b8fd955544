//! Test and demo support for Sportello: a real Synapse installed into a cache and started
//! on loopback ([`synapse`]), and the whole stack — Synapse, the Cloud API simulator and the
//! bridge — wired together ([`stack`]).

pub mod child;
pub mod faults;
pub mod measure;
mod reader;
pub mod stack;
pub mod synapse;

pub use stack::{Stack, StackOptions};
pub use synapse::Synapse;
