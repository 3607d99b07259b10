//! The Build Scan server behind `cargo devlake scan serve`: it implements the publishing
//! contract of `docs/build-scans.md` (publish, short-lived tokens, search) with access keys
//! stored hashed, scans stored through sqlx in SQLite or PostgreSQL, and a server-rendered
//! web UI whose scan page is [`devlake_scan::report::render_html`].
//!
//! Layers, leaf first: [`auth`] (keys, permissions, credentials) and [`token`] (signed
//! short-lived tokens) -> [`search`] (filters) -> [`store`] (the database) -> [`server`]
//! (the JSON API) and the web pages. Running it for a team: `docs/scan-server.md`.

#![warn(missing_docs)]

pub mod auth;
pub mod search;
pub mod server;
pub mod store;
pub mod testing;
pub mod token;
mod web;

pub use server::{Config, Server, ServerError, DEFAULT_MAX_CONCURRENT_UPLOADS, MAX_SCAN_BYTES};
pub use store::{KeyInfo, KeySpec, Store, StoreError};
