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
//! [`Plugin`] trait), [`wire`] (the messages DevLake reads), [`stream`] (streams and the
//! subtask runners), [`db`] (databases), [`protocol`] (the command line DevLake calls),
//! [`standalone`] (runs without DevLake), [`domain`] (DevLake's domain tables), [`api`]
//! (the REST client), [`migration`] (migration scripts), [`checks`] (what DevLake's loader
//! would refuse), [`testing`] (the testing kit).
//!
//! # Layers
//!
//! The modules form layers; a module uses only modules on lower rows, or on its own row
//! without a cycle (`tests/layers.rs` checks the code against this table, and that this
//! table is the one in the test):
//!
//! ```text
//! 7  testing                      the testing kit: temp databases, fixtures, asserts
//! 6  entry                        what `devlake::main!` calls: standalone or a protocol method
//! 5  protocol standalone checks   DevLake's command line; runs without DevLake; loader rules
//! 4  engine                       `plugin` (the traits a plugin implements) + `stream` (runners)
//! 3  wire                         the messages of the protocol (`PluginInfo`, `SubtaskMeta`, ...)
//! 2  migration domain error       migration scripts; DevLake's domain tables; `Error`
//! 1  db                           connections, DDL, batched writes, run locks
//! 0  model api                    structs <-> tables; the REST client (stands apart)
//! ```
//!
//! `plugin` and `stream` are one layer, `engine`, because they name each other (a plugin
//! lists its streams; a stream is generic over its plugin); they are re-exported at the
//! root, where plugin code names them. `api` uses nothing else of the runtime: its
//! request and response types are in a leaf module that the client, hooks and paginators
//! all import, and the conversion of its responses into a `TestConnectionResult` lives in
//! [`wire`]. Two things sit lower than one might look for them, to keep the edges
//! pointing down: [`DomainType`](domain::DomainType) is defined in `model` (a scope
//! config's `entities` column is typed by it) and re-exported by `domain`; the fresh
//! databases of [`testing::TestDatabase`] are made in `db`, where the conformance checks
//! (`checks`, below the testing kit) make theirs too.
//!
//! One crate, not several: the layers share one error type and one set of derives, a
//! plugin depends on one crate at one version, and splitting (as sqlx splits core, macros
//! and cli) would buy little more than the layering above already gives — the derives
//! already are their own crate (`devlake-macros`, as a proc-macro crate must be), and the
//! command-line tool is `cargo-devlake`. The testing kit and the database drivers are
//! what a plugin binary may leave out, and cargo features do that within one crate.
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
pub mod checks;
pub mod db;
pub mod domain;
mod engine;
pub mod entry;
mod error;
pub mod migration;
pub mod model;
pub mod protocol;
pub mod standalone;
pub mod testing;
pub mod wire;

pub use devlake_macros::{Enum, Model};
pub use engine::plugin::{
    Connection, Plugin, PluginMeta, RemoteScopeGroup, Scope, ScopeConfig, TestConnectionResult,
};
pub use engine::stream::{Stream, Substream};
pub use engine::{plugin, stream};
pub use error::{Error, Result, ResultExt};
pub use model::{DateTime, Json, Model, Secret};

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
///
/// It sits next to what plugin files also import (`tests/prelude.rs` checks it):
///
/// - `use futures::Stream;`, `use anyhow::Context;`, `use anyhow::Result;`: an explicit
///   import takes precedence over the glob, without an error; name ours then as
///   `devlake::Stream`, `devlake::stream::Context`, `devlake::Result`.
/// - `serde_json::Value`: the prelude has no `Value` (the runtime's column value is
///   [`devlake::model::Value`](crate::model::Value); [`Json<T>`](crate::Json) is a column
///   stored as JSON).
/// - [`ResultExt`] is not in it: its `.context()` would make every
///   `.context()` call ambiguous in a file that also imports `anyhow::Context` (a method
///   clash, which no import order settles). Import it by name where it is wanted:
///   `use devlake::ResultExt;`.
pub mod prelude {
    pub use crate::domain::DomainType;
    pub use crate::model::{DateTime, Json, Model, Secret};
    pub use crate::plugin::{
        Connection, Plugin, RemoteScopeGroup, Scope, ScopeConfig, TestConnectionResult,
    };
    pub use crate::stream::{Context, DomainSink, RawSink, Stream, Streams, Substream};
    pub use crate::{bail, Error, Result};
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
            ::std::process::exit($crate::entry::main($plugin, meta));
        }
    };
}
