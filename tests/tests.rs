//! Sportello's integration tests: one binary (`autotests = false`), every tier.
//! End-to-end tests run a real Synapse (installed into a cache on first use), the Cloud API
//! simulator and the bridge; staff are played by matrix-sdk.

mod harness;

mod admin;
mod appservice;
mod backup;
mod broadcast;
mod broadcast_recovery;
mod cli;
mod coexistence;
mod coexistence_history;
mod durability;
mod faults;
mod fixtures;
mod flood;
mod ghost_ids;
mod graph_client;
mod health;
mod helpdesk;
mod helpdesk_clock;
mod hours;
mod identity;
mod kinds;
mod layers;
mod log_privacy;
mod metrics;
mod news;
mod packaging;
mod portal;
mod privacy;
mod privacy_retention;
mod resilience;
mod staff_rooms;
mod status;
mod templates;
mod webhook;
mod window;
