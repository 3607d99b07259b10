//! The testing kit: what pydevlake's `pydevlake.testing` offers, in Rust, plus fresh
//! databases and HTTP fixtures for tests.
//!
//! The kit is behind the `testing` cargo feature, so that plugin binaries do not carry it:
//! a plugin enables it for its tests only,
//! `[dev-dependencies] devlake = { version = "0.1", features = ["testing"] }`. Fresh
//! databases ([`TestDatabase`]) and the conformance checks are always compiled: the
//! plugin binary's `standalone conformance` (what `cargo devlake test` runs) uses them.
//!
//! - [`ContextBuilder`]: a subtask context with test defaults;
//! - [`assert_stream_convert`]: a raw record extracts and converts into the expected
//!   domain rows;
//! - [`assert_stream_run`]: a stream runs collect, extract and convert on a fresh SQLite
//!   database, and what it wrote;
//! - [`assert_valid_plugin`]: DevLake's loader would accept the plugin (the rules are in
//!   [`crate::checks`]; `cargo devlake test` runs them and more through
//!   [`conformance`](crate::checks::conformance));
//! - [`assert_plugin_run`]: a whole plugin run, from `test-connection` to every stream;
//!   [`PluginRunner`] runs several scopes (and records them all);
//! - [`TestDatabase`]: a fresh SQLite, MariaDB/MySQL or PostgreSQL database per test;
//! - [`DataFlowTester`]: DevLake's e2e data-flow tester (CSV fixtures in, one subtask,
//!   tables compared with snapshot CSVs);
//! - `FixtureServer`: recorded HTTP responses on 127.0.0.1.
//!
//! ```no_run
//! # use devlake::prelude::*;
//! # #[derive(Debug, Clone, devlake::Model)] #[devlake(connection)] pub struct C {}
//! # #[derive(Debug, Clone, devlake::Model)] #[devlake(scope)] pub struct S {}
//! # #[derive(Debug, Clone, devlake::Model)] #[devlake(scope_config)] pub struct SC {}
//! # #[derive(Default)] struct MyPlugin;
//! # impl Plugin for MyPlugin { type Connection = C; type ToolScope = S; type ScopeConfig = SC;
//! #   async fn test_connection(&self, _: &Connection<C>) -> Result<TestConnectionResult> { Ok(TestConnectionResult::ok()) }
//! #   async fn remote_scope_groups(&self, _: &Connection<C>) -> Result<Vec<RemoteScopeGroup>> { Ok(vec![]) }
//! #   async fn remote_scopes(&self, _: &Connection<C>, _: &str) -> Result<Vec<Scope<S>>> { Ok(vec![]) }
//! #   fn domain_scopes(&self, _: &Scope<S>) -> Vec<devlake::plugin::AnyDomainScope> { vec![] }
//! #   fn streams(&self) -> Streams<Self> { Streams::new() } }
//! use devlake::testing::{assert_plugin_run, assert_valid_plugin, host};
//!
//! // #[tokio::test]
//! async fn whole_plugin() {
//!     let host = host(MyPlugin::default());
//!     assert_valid_plugin(&host);
//!     let run = assert_plugin_run(&host, serde_json::json!({"token": "t"}), None).await;
//!     assert!(run.tables["cicd_pipelines"] > 0);
//! }
//! ```

// The testing kit's items exist with the `testing` feature only (docs.rs documents all
// features); without it, links to them have nothing to point at.
#![cfg_attr(not(feature = "testing"), allow(rustdoc::broken_intra_doc_links))]

#[cfg(feature = "testing")]
mod asserts;
#[cfg(feature = "testing")]
mod context;
#[cfg(feature = "testing")]
pub mod dataflow;
pub mod db;
#[cfg(feature = "testing")]
mod fixtures;

#[cfg(feature = "testing")]
pub use asserts::{
    assert_plugin_run, assert_stream_convert, assert_stream_convert_with, assert_stream_run,
    assert_valid_plugin, stream_convert, PluginRun, PluginRunner, StreamRun,
};
#[cfg(feature = "testing")]
pub use context::{
    host, plugin_meta, ConnectionInput, ContextBuilder, ScopeConfigInput, ScopeInput,
    TEST_CONNECTION_ID, TEST_CONNECTION_NAME, TEST_SCOPE_CONFIG_ID, TEST_SCOPE_CONFIG_NAME,
    TEST_SCOPE_ID, TEST_SCOPE_NAME,
};
#[cfg(feature = "testing")]
pub use dataflow::{DataFlowTester, TableOptions};
pub use db::{ci, Backend, TestDatabase, SKIP_LOG_ENV};
#[cfg(feature = "testing")]
pub use fixtures::{fixture_name, Fixture, FixtureServer, FixtureServerBuilder, Fixtures};
