//! # devlake: write Apache DevLake data-source plugins in Rust
//!
//! A plugin declares a **connection**, a **tool scope**, a **scope config** and
//! **streams** (collect → extract → convert), exactly as DevLake's Python framework
//! (pydevlake) has them, but typed and fast. The same binary
//!
//! - speaks DevLake's remote-plugin protocol (`run.sh <method> <json>...`, results on
//!   fd 3), so the Go server runs it like a Python plugin, and
//! - runs standalone against a DevLake database (SQLite by default, MySQL/MariaDB and
//!   PostgreSQL), with no Python bridge.
//!
//! Where things live: [`model`] (structs ↔ tables, JSON schemas), [`plugin`] (the
//! [`Plugin`] trait and its messages), [`stream`] (streams and the subtask runners),
//! [`db`] (databases), [`protocol`] (the command line DevLake calls), [`domain`]
//! (DevLake's domain tables), [`api`] (the REST client), [`migration`] (migration
//! scripts), [`testing`] (the testing kit).
//!
//! See `examples/fakeplugin` in the repository for a complete plugin.
//!
//! ## Cargo features
//!
//! What a plugin binary carries is chosen with the runtime's features:
//!
//! | feature | default | what it brings |
//! |---|---|---|
//! | `sqlite` | on | the SQLite driver (standalone runs' default database) |
//! | `mysql` | on | the MySQL/MariaDB driver (DevLake's default database) |
//! | `postgres` | on | the PostgreSQL driver |
//! | `testing` | off | the testing kit in [`testing`]: `ContextBuilder`, the `assert_*` helpers, `DataFlowTester`, `FixtureServer` |
//! | `fixtures` | off | the same as `testing` (its former name) |
//!
//! A plugin that only ever runs against one database can leave the other drivers out:
//! `devlake = { version = "0.1", default-features = false, features = ["sqlite"] }`;
//! a URL of a driver left out is refused with one line naming the feature to enable
//! ("this plugin was built without PostgreSQL support: enable devlake's `postgres`
//! feature").
//! The testing kit belongs in the plugin's `[dev-dependencies]`
//! (`devlake = { version = "0.1", features = ["testing"] }`), so release binaries do not
//! carry it; the conformance checks `cargo devlake test` runs through the binary
//! (`standalone conformance`) are always there.

#![warn(missing_docs)]
// Plugin futures run on the current task (no `Send` bound is wanted), which is what
// `async fn` in public traits gives.
#![allow(async_fn_in_trait)]

extern crate self as devlake;

#[cfg(not(any(feature = "sqlite", feature = "mysql", feature = "postgres")))]
compile_error!(
    "devlake needs at least one database driver: enable its `sqlite`, `mysql` or `postgres` feature"
);

pub mod api;
pub mod db;
pub mod domain;
mod error;
pub mod migration;
pub mod model;
pub mod plugin;
pub mod protocol;
pub mod standalone;
pub mod stream;
pub mod testing;

pub use devlake_macros::{Enum, Model};
pub use error::{Error, Result, ResultExt};
pub use model::{DateTime, Json, Model, Secret};
pub use plugin::{
    Connection, Plugin, PluginMeta, RemoteScopeGroup, Scope, ScopeConfig, TestConnectionResult,
};
pub use stream::{Stream, Substream};

// The crates whose types the runtime's API speaks in, re-exported so a plugin names them
// at the versions the runtime uses without depending on them itself (a second `chrono`
// would make `DateTime` a different type).

/// Dates and times: [`DateTime`] is `chrono::DateTime<chrono::Utc>`.
///
/// ```
/// use devlake::chrono::{TimeZone, Utc};
/// let at: devlake::DateTime = Utc.with_ymd_and_hms(2026, 11, 29, 17, 0, 0).unwrap();
/// let day_before = at - devlake::chrono::Duration::days(1);
/// assert_eq!(day_before.to_rfc3339(), "2026-11-28T17:00:00+00:00");
/// ```
pub use chrono;
/// Async streams: the API client's pages are a `futures::Stream` (read them with
/// `devlake::futures::StreamExt::next`).
pub use futures;
/// Serialization, used by the derives; [`Secret`] and models implement its traits.
pub use serde;
/// JSON: [`Json`] is `serde_json::Value`; `devlake::serde_json::json!` builds one.
pub use serde_json;
/// Logging: a plugin logs with `devlake::tracing::info!(..)`; the runtime routes it to
/// DevLake's log (or the terminal when run standalone).
pub use tracing;

/// What a plugin file usually needs.
pub mod prelude {
    pub use crate::domain::DomainType;
    pub use crate::model::{DateTime, Json, Model, Secret};
    pub use crate::plugin::{
        Connection, Plugin, RemoteScopeGroup, Scope, ScopeConfig, TestConnectionResult,
    };
    pub use crate::stream::{Context, DomainSink, RawSink, Stream, Streams, Substream};
    pub use crate::{bail, Error, Result, ResultExt};
}

/// The plugin binary's `main`: runs the DevLake protocol (or `--help`) for a plugin.
///
/// ```no_run
/// # use devlake::prelude::*;
/// # struct MyPlugin;
/// # fn demo() {}
/// // in src/main.rs:  devlake::main!(MyPlugin::default());
/// ```
#[macro_export]
macro_rules! main {
    ($plugin:expr) => {
        fn main() {
            let meta = $crate::PluginMeta {
                crate_name: env!("CARGO_PKG_NAME"),
                version: env!("CARGO_PKG_VERSION"),
                manifest_dir: env!("CARGO_MANIFEST_DIR"),
            };
            ::std::process::exit($crate::protocol::main($plugin, meta));
        }
    };
}
