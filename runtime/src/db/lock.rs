//! Locks between processes sharing a DevLake database: one run of a plugin's stream per
//! connection and scope at a time ([`RunLock`]), and one table creator at a time
//! ([`DdlLock`]).
//!
//! Every lock dies with its holder, so `kill -9` never leaves one stale: PostgreSQL
//! advisory locks (per database) and MySQL `GET_LOCK` (named after the database and the
//! key) belong to the session (the server drops them when the
//! connection closes), SQLite's are `flock`s on files beside the database (the kernel drops
//! them when the process exits).

use super::{Db, DbError, DbUrl, Dialect};
use crate::model::Value;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::time::Duration;

/// How long table creation waits for another process creating tables.
const DDL_WAIT: Duration = Duration::from_secs(120);

/// A held lock; give it back with [`RunLock::release`] (a process that dies gives it back
/// too).
#[derive(Debug)]
pub struct RunLock {
    held: Held,
}

/// The lock serializing table creation; see [`DdlLock::acquire`].
#[derive(Debug)]
pub struct DdlLock {
    held: Held,
}

#[derive(Debug)]
enum Held {
    /// In-memory SQLite: nobody else can see the database.
    Nothing,
    File(std::fs::File),
    Postgres(i64),
    MySql(String),
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A PostgreSQL advisory-lock key (64 bits of the key's SHA-256, in a namespace of ours).
fn pg_key(key: &str) -> i64 {
    let d = digest(key);
    i64::from_be_bytes(d[..8].try_into().expect("8 bytes"))
}

/// A MySQL lock name: at most 64 characters, whatever the key's length.
fn mysql_name(key: &str) -> String {
    format!("devlake_rs_{}", &hex(&digest(key))[..40])
}

/// The lock file of a key beside a SQLite database: `<db>.locks/<hash>.lock`.
fn lock_file(db_path: &std::path::Path, key: &str) -> PathBuf {
    let mut dir = db_path.as_os_str().to_owned();
    dir.push(".locks");
    PathBuf::from(dir).join(format!("{}.lock", &hex(&digest(key))[..32]))
}

async fn try_acquire(db: &mut Db, key: &str) -> Result<Option<Held>, DbError> {
    let url = db.url.clone();
    match url {
        DbUrl::Sqlite { path: None } => Ok(Some(Held::Nothing)),
        DbUrl::Sqlite { path: Some(p) } => {
            let file = lock_file(&p, key);
            let io = |what: &str, e: std::io::Error| {
                DbError::Url(format!("cannot {what} {}: {e}", file.display()))
            };
            if let Some(dir) = file.parent() {
                std::fs::create_dir_all(dir).map_err(|e| io("create the lock directory of", e))?;
            }
            let f = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&file)
                .map_err(|e| io("open the lock file", e))?;
            match f.try_lock() {
                Ok(()) => Ok(Some(Held::File(f))),
                Err(std::fs::TryLockError::WouldBlock) => Ok(None),
                Err(std::fs::TryLockError::Error(e)) => Err(io("lock", e)),
            }
        }
        DbUrl::Postgres(_) => {
            let k = pg_key(key);
            let rows = db
                .fetch_all(
                    "SELECT CASE WHEN pg_try_advisory_lock($1) THEN 1 ELSE 0 END",
                    vec![Value::Int(k)],
                )
                .await?;
            Ok(is_one(&rows).then_some(Held::Postgres(k)))
        }
        DbUrl::MySql(_) => {
            // `GET_LOCK` names are server-wide: the database is part of the name, or locks
            // of two databases on one server would refuse each other.
            let rows = db.fetch_all("SELECT DATABASE()", vec![]).await?;
            let database = match rows.into_iter().next().and_then(|r| r.into_iter().next()) {
                Some(Value::Text(s)) => s,
                Some(Value::Bytes(b)) => String::from_utf8_lossy(&b).into_owned(),
                _ => String::new(),
            };
            let name = mysql_name(&format!("{database}\u{0}{key}"));
            let rows = db
                .fetch_all(
                    "SELECT CAST(COALESCE(GET_LOCK(?, 0), 0) AS SIGNED)",
                    vec![Value::Text(name.clone())],
                )
                .await?;
            Ok(is_one(&rows).then_some(Held::MySql(name)))
        }
    }
}

fn is_one(rows: &[Vec<Value>]) -> bool {
    matches!(rows.first().and_then(|r| r.first()), Some(Value::Int(1)))
}

async fn release(db: &mut Db, held: Held) -> Result<(), DbError> {
    match held {
        Held::Nothing => Ok(()),
        // Closing the file drops the flock.
        Held::File(f) => {
            drop(f);
            Ok(())
        }
        Held::Postgres(k) => db
            .fetch_all("SELECT pg_advisory_unlock($1)", vec![Value::Int(k)])
            .await
            .map(|_| ()),
        Held::MySql(name) => db
            .fetch_all("SELECT RELEASE_LOCK(?)", vec![Value::Text(name)])
            .await
            .map(|_| ()),
    }
}

/// The key of the run lock of one stream of one scope: what a subtask run holds, and what
/// deleting the scope's data takes for each of the plugin's streams.
pub fn run_key(plugin: &str, connection_id: i64, scope_id: &str, stream: &str) -> String {
    format!("{plugin}\u{0}{connection_id}\u{0}{scope_id}\u{0}{stream}")
}

impl RunLock {
    /// Takes the lock of `key` without waiting; `None` when another session holds it.
    pub async fn try_acquire(db: &mut Db, key: &str) -> Result<Option<RunLock>, DbError> {
        Ok(try_acquire(db, &format!("run\u{0}{key}"))
            .await?
            .map(|held| RunLock { held }))
    }

    /// Gives the lock back.
    pub async fn release(self, db: &mut Db) -> Result<(), DbError> {
        release(db, self.held).await
    }
}

impl DdlLock {
    /// Waits (up to two minutes) until no other process of this runtime creates tables in
    /// the database, then holds that right. Concurrent `CREATE TABLE`s of first runs
    /// otherwise deadlock on MySQL and collide in PostgreSQL's catalog. SQLite serializes
    /// schema changes itself.
    pub async fn acquire(db: &mut Db) -> Result<DdlLock, DbError> {
        if db.dialect() == Dialect::Sqlite {
            return Ok(DdlLock {
                held: Held::Nothing,
            });
        }
        let deadline = tokio::time::Instant::now() + DDL_WAIT;
        loop {
            if let Some(held) = try_acquire(db, "ddl").await? {
                return Ok(DdlLock { held });
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(DbError::Url(format!(
                    "waited {}s for another process creating tables in {} to finish",
                    DDL_WAIT.as_secs(),
                    db.redacted_url()
                )));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Gives the lock back.
    pub async fn release(self, db: &mut Db) -> Result<(), DbError> {
        release(db, self.held).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_and_differ_by_case() {
        let long = "x".repeat(1000);
        assert!(mysql_name(&long).len() <= 64);
        assert_ne!(mysql_name("caseA"), mysql_name("CASEA"));
        assert_ne!(pg_key("caseA"), pg_key("CASEA"));
    }
}
