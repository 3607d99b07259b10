//! Databases: SQLite (embedded, the default), MySQL/MariaDB and PostgreSQL through sqlx.
//!
//! A plugin process holds one connection ([`Db`]): every DevLake call is a new process and
//! a subtask is sequential, so one connection in one transaction is both the simplest and
//! the fastest shape. Reads are paged by key ([`Db::fetch_all`] with `LIMIT`), writes are
//! multi-row statements ([`write`]).

pub mod ddl;
mod decode;
pub mod lock;
mod url;
pub mod write;

pub use self::url::{DbUrl, ServerUrl};
use crate::model::{ColumnType, Value};
use sqlx::{Connection, Executor as _};
use std::time::Duration;

/// SQL dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// SQLite.
    Sqlite,
    /// MySQL and MariaDB.
    MySql,
    /// PostgreSQL.
    Postgres,
}

impl Dialect {
    /// The name DevLake's migration scripts use (`mysql`, `postgres`); SQLite is `sqlite`.
    pub fn name(&self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::MySql => "mysql",
            Dialect::Postgres => "postgres",
        }
    }

    /// Quotes an identifier.
    ///
    /// ```
    /// use devlake::db::Dialect;
    /// assert_eq!(Dialect::MySql.quote("type"), "`type`");
    /// assert_eq!(Dialect::Postgres.quote("a\"b"), "\"a\"\"b\"");
    /// ```
    pub fn quote(&self, ident: &str) -> String {
        match self {
            Dialect::MySql => format!("`{}`", ident.replace('`', "``")),
            _ => format!("\"{}\"", ident.replace('"', "\"\"")),
        }
    }

    /// The placeholder for the `n`-th (1-based) parameter.
    pub fn placeholder(&self, n: usize) -> String {
        match self {
            Dialect::Postgres => format!("${n}"),
            _ => "?".into(),
        }
    }

    /// Bind parameters one statement may carry.
    pub fn max_params(&self) -> usize {
        match self {
            Dialect::Sqlite => 32_000,
            _ => 60_000,
        }
    }
}

/// Database errors. Messages name the database by its redacted URL.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL is malformed or unsupported.
    #[error("{0}")]
    Url(String),
    /// The database cannot be reached or opened.
    #[error("cannot connect to {url}: {message}")]
    Connect {
        /// Redacted URL.
        url: String,
        /// Driver message.
        message: String,
    },
    /// A statement failed.
    #[error("{context}: {source}")]
    Query {
        /// What was being done (a table name, an operation).
        context: String,
        /// Driver error.
        #[source]
        source: sqlx::Error,
    },
    /// A value could not be decoded.
    #[error("{0}")]
    Decode(String),
}

impl DbError {
    pub(crate) fn query(context: impl Into<String>, source: sqlx::Error) -> Self {
        DbError::Query {
            context: context.into(),
            source,
        }
    }
}

enum Conn {
    Sqlite(sqlx::SqliteConnection),
    MySql(sqlx::MySqlConnection),
    Postgres(sqlx::PgConnection),
}

/// One connection to a DevLake database.
pub struct Db {
    conn: Conn,
    url: DbUrl,
    in_tx: bool,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Db({})", self.url.redacted())
    }
}

/// Applies `$body` to the connection of whichever dialect `$db` holds.
macro_rules! with_conn {
    ($db:expr, $c:ident => $body:expr) => {
        match &mut $db.conn {
            Conn::Sqlite($c) => $body,
            Conn::MySql($c) => $body,
            Conn::Postgres($c) => $body,
        }
    };
}

impl Db {
    /// Connects to a DevLake URL (see [`DbUrl`] for the accepted forms).
    pub async fn connect(raw_url: &str) -> Result<Db, DbError> {
        let url = DbUrl::parse(raw_url)?;
        Db::connect_url(url).await
    }

    /// Connects to a parsed URL.
    pub async fn connect_url(url: DbUrl) -> Result<Db, DbError> {
        let fail = |e: sqlx::Error| DbError::Connect {
            url: url.redacted(),
            message: one_line(&e.to_string()),
        };
        let conn = match &url {
            DbUrl::Sqlite { path } => {
                use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
                let opts = match path {
                    None => SqliteConnectOptions::new().in_memory(true),
                    Some(p) => SqliteConnectOptions::new()
                        .filename(p)
                        .create_if_missing(true)
                        .journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Normal),
                }
                .busy_timeout(Duration::from_secs(30));
                Conn::Sqlite(
                    sqlx::SqliteConnection::connect_with(&opts)
                        .await
                        .map_err(fail)?,
                )
            }
            DbUrl::MySql(s) => {
                use sqlx::mysql::{MySqlConnectOptions, MySqlSslMode};
                let mut opts = MySqlConnectOptions::new()
                    .host(&s.host)
                    .port(s.port)
                    .username(&s.user)
                    .database(&s.database)
                    .charset(s.charset.as_deref().unwrap_or("utf8mb4"))
                    .timezone(Some("+00:00".into()));
                if let Some(p) = &s.password {
                    opts = opts.password(p);
                }
                opts = match s.tls.as_deref() {
                    Some("true") | Some("required") | Some("REQUIRED") => {
                        opts.ssl_mode(MySqlSslMode::Required)
                    }
                    Some("skip-verify") | Some("preferred") => {
                        opts.ssl_mode(MySqlSslMode::Preferred)
                    }
                    Some("false") | Some("disabled") | Some("DISABLED") => {
                        opts.ssl_mode(MySqlSslMode::Disabled)
                    }
                    _ => opts,
                };
                Conn::MySql(
                    connect_timeout(sqlx::MySqlConnection::connect_with(&opts))
                        .await
                        .map_err(fail)?,
                )
            }
            DbUrl::Postgres(s) => {
                use sqlx::postgres::{PgConnectOptions, PgSslMode};
                let mut opts = PgConnectOptions::new()
                    .host(&s.host)
                    .port(s.port)
                    .username(&s.user)
                    .database(&s.database)
                    .options([("timezone", "UTC")]);
                if let Some(p) = &s.password {
                    opts = opts.password(p);
                }
                if let Some(mode) = s.tls.as_deref() {
                    let m = match mode {
                        "true" | "require" => PgSslMode::Require,
                        "skip-verify" | "prefer" => PgSslMode::Prefer,
                        "verify-ca" => PgSslMode::VerifyCa,
                        "verify-full" => PgSslMode::VerifyFull,
                        "allow" => PgSslMode::Allow,
                        _ => PgSslMode::Disable,
                    };
                    opts = opts.ssl_mode(m);
                }
                Conn::Postgres(
                    connect_timeout(sqlx::PgConnection::connect_with(&opts))
                        .await
                        .map_err(fail)?,
                )
            }
        };
        Ok(Db {
            conn,
            url,
            in_tx: false,
        })
    }

    /// The SQL dialect.
    pub fn dialect(&self) -> Dialect {
        self.url.dialect()
    }

    /// The URL, password hidden.
    pub fn redacted_url(&self) -> String {
        self.url.redacted()
    }

    /// Quotes an identifier for this database.
    pub fn quote(&self, ident: &str) -> String {
        self.dialect().quote(ident)
    }

    /// Runs a statement with parameters; returns the rows affected. `types` gives each
    /// parameter's column type (PostgreSQL needs typed NULLs); `None` infers from values.
    pub async fn execute(&mut self, sql: &str, params: Vec<Value>) -> Result<u64, DbError> {
        self.execute_typed(sql, params, None).await
    }

    /// [`Db::execute`] with explicit parameter types.
    pub async fn execute_typed(
        &mut self,
        sql: &str,
        params: Vec<Value>,
        types: Option<&[ColumnType]>,
    ) -> Result<u64, DbError> {
        let ctx = || statement_context(sql);
        let n = match &mut self.conn {
            Conn::Sqlite(c) => {
                let q = decode::bind_all_sqlite(sqlx::query(sql), params);
                q.execute(&mut *c)
                    .await
                    .map_err(|e| DbError::query(ctx(), e))?
                    .rows_affected()
            }
            Conn::MySql(c) => {
                let q = decode::bind_all_mysql(sqlx::query(sql), params);
                q.execute(&mut *c)
                    .await
                    .map_err(|e| DbError::query(ctx(), e))?
                    .rows_affected()
            }
            Conn::Postgres(c) => {
                let q = decode::bind_all_pg(sqlx::query(sql), params, types);
                q.execute(&mut *c)
                    .await
                    .map_err(|e| DbError::query(ctx(), e))?
                    .rows_affected()
            }
        };
        Ok(n)
    }

    /// Runs a statement without parameters (DDL, several statements separated by `;`).
    pub async fn execute_raw(&mut self, sql: &str) -> Result<(), DbError> {
        let ctx = statement_context(sql);
        with_conn!(self, c => c.execute(sql).await.map(|_| ()).map_err(|e| DbError::query(ctx, e)))
    }

    /// Fetches every row of a query as [`Value`]s, decoding each column by the database's
    /// own type. Keep result sets bounded (`LIMIT`): this is for pages, not tables.
    pub async fn fetch_all(
        &mut self,
        sql: &str,
        params: Vec<Value>,
    ) -> Result<Vec<Vec<Value>>, DbError> {
        let ctx = || statement_context(sql);
        match &mut self.conn {
            Conn::Sqlite(c) => {
                let rows = decode::bind_all_sqlite(sqlx::query(sql), params)
                    .fetch_all(&mut *c)
                    .await
                    .map_err(|e| DbError::query(ctx(), e))?;
                rows.iter().map(decode::sqlite_row).collect()
            }
            Conn::MySql(c) => {
                let rows = decode::bind_all_mysql(sqlx::query(sql), params)
                    .fetch_all(&mut *c)
                    .await
                    .map_err(|e| DbError::query(ctx(), e))?;
                rows.iter().map(decode::mysql_row).collect()
            }
            Conn::Postgres(c) => {
                let rows = decode::bind_all_pg(sqlx::query(sql), params, None)
                    .fetch_all(&mut *c)
                    .await
                    .map_err(|e| DbError::query(ctx(), e))?;
                rows.iter().map(decode::pg_row).collect()
            }
        }
    }

    /// Starts a transaction. Statements run inside it until [`Db::commit`] or
    /// [`Db::rollback`]; a process that dies before committing leaves nothing behind.
    pub async fn begin(&mut self) -> Result<(), DbError> {
        let sql = match self.dialect() {
            Dialect::Sqlite => "BEGIN IMMEDIATE",
            Dialect::MySql => "START TRANSACTION",
            Dialect::Postgres => "BEGIN",
        };
        self.execute_raw(sql).await?;
        self.in_tx = true;
        Ok(())
    }

    /// Commits the transaction.
    pub async fn commit(&mut self) -> Result<(), DbError> {
        self.execute_raw("COMMIT").await?;
        self.in_tx = false;
        Ok(())
    }

    /// Rolls the transaction back (no-op outside one).
    pub async fn rollback(&mut self) -> Result<(), DbError> {
        if self.in_tx {
            self.in_tx = false;
            self.execute_raw("ROLLBACK").await?;
        }
        Ok(())
    }

    /// Whether a table exists.
    pub async fn has_table(&mut self, table: &str) -> Result<bool, DbError> {
        let sql = match self.dialect() {
            Dialect::Sqlite => "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
            Dialect::MySql => "SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?",
            Dialect::Postgres => "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1",
        };
        Ok(!self
            .fetch_all(sql, vec![Value::Text(table.into())])
            .await?
            .is_empty())
    }

    /// The column names of a table, in table order (empty if it does not exist).
    pub async fn columns(&mut self, table: &str) -> Result<Vec<String>, DbError> {
        let sql = match self.dialect() {
            Dialect::Sqlite => "SELECT name FROM pragma_table_info(?) ORDER BY cid",
            Dialect::MySql => "SELECT column_name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position",
            Dialect::Postgres => "SELECT column_name::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        };
        let rows = self.fetch_all(sql, vec![Value::Text(table.into())]).await?;
        Ok(rows
            .into_iter()
            .filter_map(|mut r| match r.pop() {
                Some(Value::Text(s)) => Some(s),
                Some(Value::Bytes(b)) => String::from_utf8(b).ok(),
                _ => None,
            })
            .collect())
    }

    /// Whether a table has a column.
    pub async fn has_column(&mut self, table: &str, column: &str) -> Result<bool, DbError> {
        Ok(self
            .columns(table)
            .await?
            .iter()
            .any(|c| c.eq_ignore_ascii_case(column)))
    }

    /// Every table of the database (or of the current schema), sorted.
    pub async fn tables(&mut self) -> Result<Vec<String>, DbError> {
        let sql = match self.dialect() {
            Dialect::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            Dialect::MySql => "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_name",
            Dialect::Postgres => "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name",
        };
        let rows = self.fetch_all(sql, vec![]).await?;
        Ok(rows
            .into_iter()
            .filter_map(|mut r| match r.pop() {
                Some(Value::Text(s)) => Some(s),
                Some(Value::Bytes(b)) => String::from_utf8(b).ok(),
                _ => None,
            })
            .collect())
    }

    /// Counts rows of a table, optionally filtered by a `WHERE` clause.
    pub async fn count(
        &mut self,
        table: &str,
        filter: Option<(&str, Vec<Value>)>,
    ) -> Result<i64, DbError> {
        let mut sql = format!("SELECT COUNT(*) FROM {}", self.quote(table));
        let mut params = vec![];
        if let Some((w, p)) = filter {
            sql.push_str(" WHERE ");
            sql.push_str(w);
            params = p;
        }
        let rows = self.fetch_all(&sql, params).await?;
        match rows.first().and_then(|r| r.first()) {
            Some(Value::Int(n)) => Ok(*n),
            other => Err(DbError::Decode(format!("COUNT(*) returned {other:?}"))),
        }
    }
}

async fn connect_timeout<T>(
    fut: impl std::future::Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, sqlx::Error> {
    match tokio::time::timeout(Duration::from_secs(20), fut).await {
        Ok(r) => r,
        Err(_) => Err(sqlx::Error::PoolTimedOut),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A short description of a statement for error messages: its first words, no values.
fn statement_context(sql: &str) -> String {
    let words: Vec<&str> = sql.split_whitespace().take(6).collect();
    let mut s = words.join(" ");
    if s.len() > 80 {
        s.truncate(80);
    }
    s
}
