//! Fresh databases for tests: one new SQLite file, MariaDB/MySQL database or PostgreSQL
//! database per test, dropped afterwards.
//!
//! Servers default to the local ones (`mysql://root@127.0.0.1:3306`,
//! `postgres://postgres@127.0.0.1:5432`); override with `DEVLAKE_TEST_MYSQL_URL` and
//! `DEVLAKE_TEST_POSTGRES_URL` (admin URLs, any database). When a server is missing, a test
//! says so loudly on stderr and skips, except under `CI=true`, where it fails: database
//! tests are mandatory in CI.
//!
//! Cargo counts a skipped test as passed, so each skip also appends one line
//! (`<backend>\t<tag>\t<reason>`) to the file named by `DEVLAKE_TEST_SKIP_LOG` when it is
//! set: `scripts/test.sh` sets it and ends with the number of database tests skipped, so a
//! run without servers does not read as all green.

pub use crate::db::scratch::{Backend, TestDatabase};
use crate::db::DbError;

impl Backend {
    /// The admin URL of its server (`DEVLAKE_TEST_MYSQL_URL` / `DEVLAKE_TEST_POSTGRES_URL`,
    /// else the local defaults); `None` for SQLite.
    pub fn admin_url(&self) -> Option<String> {
        match self {
            Backend::Sqlite => None,
            Backend::MySql => Some(
                std::env::var("DEVLAKE_TEST_MYSQL_URL")
                    .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/mysql".into()),
            ),
            Backend::Postgres => Some(
                std::env::var("DEVLAKE_TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into()),
            ),
        }
    }
}

/// Whether database tests are mandatory (`CI=true`).
pub fn ci() -> bool {
    std::env::var("CI")
        .map(|v| v == "true" || v == "1")
        .unwrap_or(false)
}

/// The environment variable naming the file where skipped database tests are listed.
pub const SKIP_LOG_ENV: &str = "DEVLAKE_TEST_SKIP_LOG";

/// Appends `<backend>\t<tag>\t<reason>` to `$DEVLAKE_TEST_SKIP_LOG`, if set. One `write`
/// of one line on an `O_APPEND` file, so concurrent test processes do not interleave.
fn record_skip(backend: Backend, tag: &str, reason: &str) {
    use std::io::Write;
    let Some(path) = std::env::var_os(SKIP_LOG_ENV).filter(|p| !p.is_empty()) else {
        return;
    };
    let clean = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let line = format!("{}\t{}\t{}\n", backend.name(), clean(tag), clean(reason));
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(line.as_bytes()));
    if let Err(e) = written {
        eprintln!(
            "*** cannot record the skip in {}: {e} ***",
            std::path::Path::new(&path).display()
        );
    }
}

// The kit's constructor, with the skip rules above; the type and the rest of its methods
// are in `crate::db::scratch`, where the conformance checks reach them too.
impl TestDatabase {
    /// Creates a fresh database on `backend`, or returns `None` (after a loud message)
    /// when its server is unreachable outside CI. Panics in CI when unreachable.
    pub async fn create(backend: Backend, tag: &str) -> Option<TestDatabase> {
        match Self::try_create(backend, tag).await {
            Ok(db) => Some(db),
            Err(e) => {
                if ci() {
                    panic!(
                        "CI=true: {} is required for database tests but unavailable: {e}",
                        backend.name()
                    );
                }
                eprintln!(
                    "\n*** SKIPPING {} test {tag:?}: {} server unavailable: {e} ***\n",
                    backend.name(),
                    backend.name()
                );
                record_skip(backend, tag, &e.to_string());
                None
            }
        }
    }

    async fn try_create(backend: Backend, tag: &str) -> Result<TestDatabase, DbError> {
        Self::create_with(backend, backend.admin_url(), tag).await
    }
}
