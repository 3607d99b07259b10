//! Build Scans of `cargo devlake` runs.
//!
//! A Build Scan is a record of what happened during one run of `cargo devlake test`, `run` or
//! `migration add --check` (and of this workspace's own test run): the environment, the
//! command, the console as the user saw it, each test, each subtask, the outcome, and the
//! tags, links and custom values a project adds. It is always written locally as a JSON
//! document ([`model::Scan`]) and a self-contained HTML page, and published to a scan server
//! when one is configured. `docs/build-scans.md` describes the document, the configuration
//! and the publishing contract the server (`cargo devlake scan serve`) implements.
//!
//! Layers, leaf first: [`model`] (the versioned document, shared with the server) ->
//! [`report`] (the HTML page, shared with the server's scan page); [`config`], [`redact`],
//! [`env`], [`capture`], [`tests`] (what a run records) -> [`store`], [`publish`] (where it
//! goes) -> [`session`] (one recorded run, start to finish).

pub mod capture;
pub mod config;
pub mod env;
pub mod model;
pub mod publish;
pub mod redact;
pub mod report;
pub mod session;
pub mod store;
pub mod tests;

pub use model::{Outcome, Scan, SCHEMA_VERSION};
pub use session::Session;
