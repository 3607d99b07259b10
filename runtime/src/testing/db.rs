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

use crate::db::{Db, DbError};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A database server kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// Embedded SQLite (a file in a temporary directory).
    Sqlite,
    /// MariaDB / MySQL.
    MySql,
    /// PostgreSQL.
    Postgres,
}

impl Backend {
    /// All three.
    pub const ALL: [Backend; 3] = [Backend::Sqlite, Backend::MySql, Backend::Postgres];

    /// Short name.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::MySql => "mysql",
            Backend::Postgres => "postgres",
        }
    }

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

/// A database created for one test.
#[derive(Debug)]
pub struct TestDatabase {
    /// The URL to hand to a plugin (DevLake form; SQLite as `sqlite:////abs/path`).
    pub url: String,
    /// The backend.
    pub backend: Backend,
    name: String,
    admin: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn unique_name(tag: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let clean: String = tag
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(20)
        .collect();
    format!("dlt_{clean}_{}_{n}_{nanos:x}", std::process::id())
}

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

    /// Creates a fresh database where `target` says: `sqlite` for a new SQLite file, or a
    /// MySQL/MariaDB or PostgreSQL admin URL (any database of the server, e.g.
    /// `mysql://root@127.0.0.1:3306/mysql`) for a new database on that server. Errors
    /// (never skips) when the server is unreachable.
    pub async fn create_at(target: &str, tag: &str) -> Result<TestDatabase, DbError> {
        if target.eq_ignore_ascii_case("sqlite") {
            return Self::create_with(Backend::Sqlite, None, tag).await;
        }
        let backend = match crate::db::DbUrl::parse(target)?.dialect() {
            crate::db::Dialect::Sqlite => {
                return Err(DbError::Url(format!(
                    "{target:?}: give `sqlite` for a fresh SQLite database, not a file"
                )))
            }
            crate::db::Dialect::MySql => Backend::MySql,
            crate::db::Dialect::Postgres => Backend::Postgres,
        };
        Self::create_with(backend, Some(target.to_string()), tag).await
    }

    async fn try_create(backend: Backend, tag: &str) -> Result<TestDatabase, DbError> {
        Self::create_with(backend, backend.admin_url(), tag).await
    }

    async fn create_with(
        backend: Backend,
        admin: Option<String>,
        tag: &str,
    ) -> Result<TestDatabase, DbError> {
        let name = unique_name(tag);
        match admin {
            None => {
                let dir = tempfile::tempdir().map_err(|e| DbError::Url(e.to_string()))?;
                let path = dir.path().join(format!("{name}.db"));
                Ok(TestDatabase {
                    url: format!("sqlite:///{}", path.display()),
                    backend,
                    name,
                    admin: None,
                    _dir: Some(dir),
                })
            }
            Some(admin) => {
                let mut db = Db::connect(&admin).await?;
                let q = db.quote(&name);
                db.execute_raw(&format!("CREATE DATABASE {q}")).await?;
                let base = admin
                    .rsplit_once('/')
                    .map(|(b, _)| b.to_string())
                    .unwrap_or(admin.clone());
                Ok(TestDatabase {
                    url: format!("{base}/{name}"),
                    backend,
                    name,
                    admin: Some(admin),
                    _dir: None,
                })
            }
        }
    }

    /// Connects to it.
    pub async fn connect(&self) -> Db {
        Db::connect(&self.url)
            .await
            .expect("connect to the test database")
    }

    /// The database name (a file stem for SQLite).
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(admin) = self.admin.clone() else {
            return;
        };
        let name = self.name.clone();
        // Dropping needs async I/O; do it on a short-lived thread with its own runtime so
        // it works from inside or outside a runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let mut db = Db::connect(&admin).await.ok()?;
                let q = db.quote(&name);
                let sql = if db.dialect() == crate::db::Dialect::Postgres {
                    format!("DROP DATABASE IF EXISTS {q} WITH (FORCE)")
                } else {
                    format!("DROP DATABASE IF EXISTS {q}")
                };
                db.execute_raw(&sql).await.ok()
            })
        })
        .join();
    }
}
