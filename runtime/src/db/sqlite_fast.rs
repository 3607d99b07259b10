//! SQLite without sqlx's worker thread in the way (issue 17).
//!
//! sqlx-sqlite runs every statement on a worker thread and sends each row and each result
//! back over a channel, and binds a 1,000-row `INSERT` by re-parsing 5,000 placeholders per
//! batch. Here batch inserts and page reads run on the *same* connection's `sqlite3*`
//! handle (so inside the same transaction), locked away from the worker for the duration
//! of one call ([`sqlx::SqliteConnection::lock_handle`]), through a non-owning
//! [`rusqlite::Connection`]: one single-row statement prepared per batch, bound and
//! stepped once per row, and rows read by stepping a statement on this thread.
//!
//! A batch is atomic: it runs inside a `SAVEPOINT`, rolled back on the first failing row,
//! so a failure mid-batch leaves none of its rows (outside a transaction the savepoint is
//! the transaction: a batch is one commit, as one multi-row `INSERT` was).

use super::{statement_context, Conn, Db, DbError, GUARD_GRACE};
use crate::model::Value;
use rusqlite::types::ValueRef;
use std::borrow::Cow;
use std::time::{Duration, Instant};

/// How long SQLite waits for another process's lock before `database is locked` (the
/// connection's `busy_timeout`).
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// An error of the SQLite library, shown as sqlx shows its own (`(code: N) message`), so
/// that messages and codes read the same whichever path ran the statement.
#[derive(Debug)]
pub(crate) struct SqliteFailure {
    code: i32,
    message: String,
}

impl std::fmt::Display for SqliteFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "(code: {}) {}", self.code, self.message)
    }
}

impl std::error::Error for SqliteFailure {}

impl sqlx::error::DatabaseError for SqliteFailure {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(self.code.to_string().into())
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> sqlx::error::ErrorKind {
        use rusqlite::ffi;
        use sqlx::error::ErrorKind;
        match self.code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                ErrorKind::UniqueViolation
            }
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => ErrorKind::ForeignKeyViolation,
            ffi::SQLITE_CONSTRAINT_NOTNULL => ErrorKind::NotNullViolation,
            ffi::SQLITE_CONSTRAINT_CHECK => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}

/// `rusqlite`'s error as the [`DbError`] the sqlx path gives for the same failure: a
/// statement that waited on another process's lock past the statement timeout is
/// [`DbError::Timeout`], any other failure [`DbError::Query`] named by the statement's
/// operation and table.
fn db_error(sql: &str, e: rusqlite::Error, waited: Duration, limit: Option<Duration>) -> DbError {
    let source = match e {
        rusqlite::Error::SqliteFailure(f, message) => {
            if f.code == rusqlite::ErrorCode::DatabaseBusy {
                if let Some(after) = limit.filter(|l| waited >= *l) {
                    return DbError::Timeout {
                        context: statement_context(sql),
                        after,
                    };
                }
            }
            sqlx::Error::Database(Box::new(SqliteFailure {
                code: f.extended_code,
                message: message.unwrap_or_else(|| f.to_string()),
            }))
        }
        other => sqlx::Error::Protocol(other.to_string()),
    };
    DbError::query(statement_context(sql), source)
}

/// Runs `f` on the connection's own handle, on this thread.
///
/// `f` runs without SQLite's busy handler: waiting for another connection's lock on this
/// thread would block every task of the process, the other connection's included (two
/// scopes run at once in one process), so a busy database is waited for here, between
/// attempts, asynchronously: `f` runs again after a pause (a failed batch has rolled its
/// savepoint back) until the busy timeout, or the statement timeout (plus the guard's
/// grace, as on the sqlx path) when that is shorter, has passed.
async fn with_handle<R>(
    conn: &mut sqlx::SqliteConnection,
    sql: &str,
    limit: Option<Duration>,
    mut f: impl FnMut(&rusqlite::Connection) -> rusqlite::Result<R>,
) -> Result<R, DbError> {
    let patience = limit
        .map(|l| l + GUARD_GRACE)
        .filter(|l| *l < BUSY_TIMEOUT)
        .unwrap_or(BUSY_TIMEOUT);
    let started = Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        let mut locked = conn
            .lock_handle()
            .await
            .map_err(|e| DbError::query(statement_context(sql), e))?;
        let raw = locked.as_raw_handle();
        // SAFETY: `raw` is the open handle of this connection. While `locked` lives,
        // sqlx's worker thread makes no call on it or its statements
        // (`LockedSqliteHandle`), and `locked` outlives `handle`, which is dropped at the
        // end of this block. The `rusqlite::Connection` made by `from_handle` does not own
        // the handle: dropping it finalizes only the statements it prepared itself and
        // never closes the database. Both crates link the same libsqlite3-sys (one SQLite
        // library per process).
        let result = unsafe {
            match rusqlite::Connection::from_handle(raw.as_ptr()) {
                Ok(handle) => {
                    let _ = handle.busy_timeout(Duration::ZERO);
                    let result = f(&handle);
                    // Back to the connection's own setting for the sqlx path.
                    let _ = handle.busy_timeout(BUSY_TIMEOUT);
                    drop(handle);
                    result
                }
                Err(e) => Err(e),
            }
        };
        drop(locked);
        match result {
            Err(e) if is_busy(&e) && started.elapsed() < patience => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            result => return result.map_err(|e| db_error(sql, e, started.elapsed(), limit)),
        }
    }
}

/// Whether another connection holds the lock `f` needed.
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::DatabaseBusy)
}

/// Binds one [`Value`] as the sqlx path binds it (booleans as 0/1, timestamps as
/// pydevlake's text, JSON as its text).
fn bind(stmt: &mut rusqlite::Statement<'_>, at: usize, v: &Value) -> rusqlite::Result<()> {
    match v {
        Value::Null => stmt.raw_bind_parameter(at, rusqlite::types::Null),
        Value::Bool(b) => stmt.raw_bind_parameter(at, *b),
        Value::Int(i) => stmt.raw_bind_parameter(at, *i),
        Value::Float(f) => stmt.raw_bind_parameter(at, *f),
        Value::Text(s) => stmt.raw_bind_parameter(at, s.as_str()),
        Value::DateTime(d) => match super::decode::SqliteTime::of(d) {
            Some(t) => stmt.raw_bind_parameter(at, t.as_str()),
            None => stmt.raw_bind_parameter(at, super::decode::sqlite_datetime(d)),
        },
        Value::Json(j) => stmt.raw_bind_parameter(at, j.to_string()),
        Value::Bytes(b) => stmt.raw_bind_parameter(at, b.as_slice()),
    }
}

/// Inserts `rows` with `sql`, a one-row `INSERT` (upsert) whose placeholders take a row's
/// values in order: one statement prepared for the batch, each row bound and stepped,
/// all inside one savepoint (see the module docs). Returns the rows written.
pub(crate) async fn insert(
    conn: &mut sqlx::SqliteConnection,
    sql: &str,
    rows: &[Vec<Value>],
    limit: Option<Duration>,
) -> Result<usize, DbError> {
    with_handle(conn, sql, limit, |h| {
        h.execute_batch("SAVEPOINT devlake_batch")?;
        let written = (|| {
            let mut stmt = h.prepare(sql)?;
            for row in rows {
                for (i, v) in row.iter().enumerate() {
                    bind(&mut stmt, i + 1, v)?;
                }
                stmt.raw_execute()?;
            }
            Ok(rows.len())
        })();
        match written {
            Ok(n) => {
                h.execute_batch("RELEASE devlake_batch")?;
                Ok(n)
            }
            Err(e) => {
                // The first error is the one to report; undoing the batch's rows cannot
                // fail short of the connection failing, which the next statement reports.
                let _ = h.execute_batch("ROLLBACK TO devlake_batch; RELEASE devlake_batch");
                Err(e)
            }
        }
    })
    .await
}

/// Every row of a query as [`Value`]s, by each value's storage class (as the sqlx path
/// decodes them: INTEGER, REAL, BLOB, and TEXT for the rest).
pub(crate) async fn fetch_all(
    conn: &mut sqlx::SqliteConnection,
    sql: &str,
    params: &[Value],
    limit: Option<Duration>,
) -> Result<Vec<Vec<Value>>, DbError> {
    let mut bad_text: Option<String> = None;
    let rows = with_handle(conn, sql, limit, |h| {
        let mut stmt = h.prepare(sql)?;
        for (i, v) in params.iter().enumerate() {
            bind(&mut stmt, i + 1, v)?;
        }
        let ncols = stmt.column_count();
        let mut out = Vec::new();
        let mut rows = stmt.raw_query();
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(ncols);
            for i in 0..ncols {
                values.push(match row.get_ref(i)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(n) => Value::Int(n),
                    ValueRef::Real(f) => Value::Float(f),
                    ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
                    ValueRef::Text(t) => match std::str::from_utf8(t) {
                        Ok(s) => Value::Text(s.to_string()),
                        Err(e) => {
                            let name = row.as_ref().column_name(i).unwrap_or("?");
                            bad_text = Some(format!("column {name}: {e}"));
                            return Ok(Vec::new());
                        }
                    },
                });
            }
            out.push(values);
        }
        Ok(out)
    })
    .await?;
    match bad_text {
        Some(msg) => Err(DbError::Decode(msg)),
        None => Ok(rows),
    }
}

impl Db {
    /// SQLite: [`insert`] on this connection, under its statement timeout.
    pub(crate) async fn sqlite_insert(
        &mut self,
        sql: &str,
        rows: &[Vec<Value>],
    ) -> Result<usize, DbError> {
        let limit = self.statement_timeout;
        match &mut self.conn {
            Conn::Sqlite(c) => insert(c, sql, rows, limit).await,
            #[allow(unreachable_patterns)] // a build with SQLite alone
            _ => Err(DbError::Decode(format!(
                "the SQLite write path was used on {}",
                self.url.redacted()
            ))),
        }
    }
}
