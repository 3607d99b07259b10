//! Fresh databases: one new SQLite file, MariaDB/MySQL database or PostgreSQL database,
//! dropped when the value is. The conformance checks build their schemas in one; the
//! testing kit ([`crate::testing::TestDatabase`], the same type) gives one to each test and
//! adds its skip rules and default servers.

use super::{Db, DbError};
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
}

/// A database created for one test or one conformance run.
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
    /// Creates a fresh database where `target` says: `sqlite` for a new SQLite file, or a
    /// MySQL/MariaDB or PostgreSQL admin URL (any database of the server, e.g.
    /// `mysql://root@127.0.0.1:3306/mysql`) for a new database on that server. Errors
    /// (never skips) when the server is unreachable.
    pub async fn create_at(target: &str, tag: &str) -> Result<TestDatabase, DbError> {
        if target.eq_ignore_ascii_case("sqlite") {
            return Self::create_with(Backend::Sqlite, None, tag).await;
        }
        let backend = match super::DbUrl::parse(target)?.dialect() {
            super::Dialect::Sqlite => {
                return Err(DbError::Url(format!(
                    "{target:?}: give `sqlite` for a fresh SQLite database, not a file"
                )))
            }
            super::Dialect::MySql => Backend::MySql,
            super::Dialect::Postgres => Backend::Postgres,
        };
        Self::create_with(backend, Some(target.to_string()), tag).await
    }

    pub(crate) async fn create_with(
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
                let sql = if db.dialect() == super::Dialect::Postgres {
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
