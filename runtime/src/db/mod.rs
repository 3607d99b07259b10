//! Databases: SQLite (embedded, the default), MySQL/MariaDB and PostgreSQL through sqlx.
//!
//! A plugin process holds one connection ([`Db`]): every DevLake call is a new process and
//! a subtask is sequential, so one connection in one transaction is both the simplest and
//! the fastest shape. Reads are paged by key ([`Db::fetch_all`] with `LIMIT`), writes are
//! multi-row statements (`db::write`, the sinks' plumbing).

#[cfg(feature = "postgres")]
mod copy;
pub mod ddl;
mod decode;
pub mod lock;
pub(crate) mod scratch;
#[cfg(feature = "sqlite")]
mod sqlite_fast;
mod url;
// Batched writes are the sinks' plumbing; public (hidden) only because the runtime's own
// tests (tests/domain_tables.rs, tests/timestamps.rs) write rows through them as sinks do.
#[doc(hidden)]
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

    /// `col = <placeholder n>`, compared byte for byte; bind its value with
    /// [`Dialect::exact_params`]. MySQL's default collations fold case and accents
    /// (`caseA` = `CASEA` = `cäsea`), so there the plain comparison (which keeps the index
    /// usable) is followed by a binary one and the value is bound twice; SQLite and
    /// PostgreSQL compare exactly already.
    ///
    /// ```
    /// use devlake::db::Dialect;
    /// assert_eq!(Dialect::MySql.exact_eq("id", 1), "(`id` = ? AND BINARY `id` = ?)");
    /// assert_eq!(Dialect::Postgres.exact_eq("id", 2), "\"id\" = $2");
    /// ```
    pub fn exact_eq(&self, col: &str, n: usize) -> String {
        let c = self.quote(col);
        match self {
            Dialect::MySql => format!("({c} = ? AND BINARY {c} = ?)"),
            _ => format!("{c} = {}", self.placeholder(n)),
        }
    }

    /// The bind values of one [`Dialect::exact_eq`].
    pub fn exact_params(&self, v: crate::model::Value) -> Vec<crate::model::Value> {
        match self {
            Dialect::MySql => vec![v.clone(), v],
            _ => vec![v],
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
        /// Where: `host:port` for a server (its redacted URL in parentheses), the path for
        /// SQLite.
        url: String,
        /// Why, in a few words (`connection refused`, `no answer within 20 s`...).
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
    /// A statement got no answer within the statement timeout (see [`Db`]).
    #[error(
        "{context}: no answer from the database within {secs} s (statement timeout; set \
         {STATEMENT_TIMEOUT_ENV}=<seconds> to change it, 0 for none)",
        secs = after.as_secs_f64()
    )]
    Timeout {
        /// The operation and table.
        context: String,
        /// The timeout that fired.
        after: Duration,
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

// Each driver is a cargo feature of the runtime (`sqlite`, `mysql`, `postgres`, all on by
// default): a plugin that needs only some of them builds without the others.
enum Conn {
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::SqliteConnection),
    #[cfg(feature = "mysql")]
    MySql(sqlx::MySqlConnection),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgConnection),
}

/// The environment variable that sets the statement timeout, in seconds (`0`: none).
pub const STATEMENT_TIMEOUT_ENV: &str = "DEVLAKE_DB_STATEMENT_TIMEOUT";

/// The statement timeout when [`STATEMENT_TIMEOUT_ENV`] is not set: long enough for the
/// biggest batch or scope delete, short enough that a frozen database ends the subtask
/// with an error instead of leaving it silent forever.
pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(600);

/// What a client-side guard adds to the server's own timeout: the server answers a
/// timed-out statement with an error (and the connection stays usable); the guard only
/// fires when the server does not answer at all (frozen, network gone).
const GUARD_GRACE: Duration = Duration::from_secs(5);

/// One connection to a DevLake database.
///
/// Every statement runs under a **statement timeout**, [`DEFAULT_STATEMENT_TIMEOUT`] unless
/// `DEVLAKE_DB_STATEMENT_TIMEOUT` (seconds, `0` for none) or [`Db::set_statement_timeout`]
/// says otherwise: PostgreSQL's `statement_timeout` and MariaDB's `max_statement_time`
/// end a statement that runs or waits on a lock too long, and a client-side guard a little
/// later ends one the server never answers. Either way the error names the operation and
/// table and says `no answer from the database within N s`.
pub struct Db {
    conn: Conn,
    url: DbUrl,
    in_tx: bool,
    statement_timeout: Option<Duration>,
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
            #[cfg(feature = "sqlite")]
            Conn::Sqlite($c) => $body,
            #[cfg(feature = "mysql")]
            Conn::MySql($c) => $body,
            #[cfg(feature = "postgres")]
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
            url: match &url {
                DbUrl::MySql(s) | DbUrl::Postgres(s) => {
                    format!("{}:{} ({})", s.host, s.port, url.redacted())
                }
                DbUrl::Sqlite { .. } => url.redacted(),
            },
            message: connect_reason(&e),
        };
        let statement_timeout = statement_timeout_from_env()?;
        let conn = match &url {
            #[cfg(feature = "sqlite")]
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
                .busy_timeout(sqlite_fast::BUSY_TIMEOUT);
                Conn::Sqlite(
                    sqlx::SqliteConnection::connect_with(&opts)
                        .await
                        .map_err(fail)?,
                )
            }
            #[cfg(feature = "mysql")]
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
            #[cfg(feature = "postgres")]
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
            // A driver this build left out.
            #[allow(unreachable_patterns)]
            _ => return Err(driver_missing(url.dialect())),
        };
        let mut db = Db {
            conn,
            url,
            in_tx: false,
            statement_timeout: None,
        };
        db.set_statement_timeout(statement_timeout).await?;
        Ok(db)
    }

    /// Sets the statement timeout of this connection (`None`: none). See [`Db`].
    pub async fn set_statement_timeout(
        &mut self,
        timeout: Option<Duration>,
    ) -> Result<(), DbError> {
        // Whole milliseconds, at least one: `0` means "no timeout" to both servers.
        let ms = timeout.map(|t| t.as_millis().max(1)).unwrap_or(0);
        match self.dialect() {
            Dialect::Postgres => {
                self.execute_raw(&format!("SET statement_timeout = {ms}"))
                    .await?
            }
            Dialect::MySql => {
                let secs = ms as f64 / 1000.0;
                // MariaDB; MySQL has no such variable and only the guard applies there.
                if let Err(e) = self
                    .execute_raw(&format!("SET SESSION max_statement_time = {secs}"))
                    .await
                {
                    tracing::debug!("no server-side statement timeout on this server: {e}");
                }
            }
            Dialect::Sqlite => {}
        }
        self.statement_timeout = timeout;
        Ok(())
    }

    /// The statement timeout in force (`None`: none).
    pub fn statement_timeout(&self) -> Option<Duration> {
        self.statement_timeout
    }

    /// The URL the connection was opened with, password included (a second connection of
    /// the same run opens it).
    pub(crate) fn url(&self) -> &DbUrl {
        &self.url
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
        // Only PostgreSQL needs the types (typed NULLs).
        #[cfg(not(feature = "postgres"))]
        let _ = types;
        let limit = self.statement_timeout;
        let n = match &mut self.conn {
            #[cfg(feature = "sqlite")]
            Conn::Sqlite(c) => {
                let q = decode::bind_all_sqlite(sqlx::query(sql), params);
                guarded(sql, limit, q.execute(&mut *c))
                    .await?
                    .rows_affected()
            }
            #[cfg(feature = "mysql")]
            Conn::MySql(c) => {
                let q = decode::bind_all_mysql(sqlx::query(sql), params);
                guarded(sql, limit, q.execute(&mut *c))
                    .await?
                    .rows_affected()
            }
            #[cfg(feature = "postgres")]
            Conn::Postgres(c) => {
                let q = decode::bind_all_pg(sqlx::query(sql), params, types);
                guarded(sql, limit, q.execute(&mut *c))
                    .await?
                    .rows_affected()
            }
        };
        Ok(n)
    }

    /// Runs a statement without parameters (DDL, several statements separated by `;`).
    pub async fn execute_raw(&mut self, sql: &str) -> Result<(), DbError> {
        let limit = self.statement_timeout;
        with_conn!(self, c => guarded(sql, limit, c.execute(sql)).await.map(|_| ()))
    }

    /// Fetches every row of a query as [`Value`]s, decoding each column by the database's
    /// own type. Keep result sets bounded (`LIMIT`): this is for pages, not tables.
    pub async fn fetch_all(
        &mut self,
        sql: &str,
        params: Vec<Value>,
    ) -> Result<Vec<Vec<Value>>, DbError> {
        let limit = self.statement_timeout;
        match &mut self.conn {
            // Stepped on the connection's own handle, without a channel per row.
            #[cfg(feature = "sqlite")]
            Conn::Sqlite(c) => sqlite_fast::fetch_all(c, sql, &params, limit).await,
            #[cfg(feature = "mysql")]
            Conn::MySql(c) => {
                let q = decode::bind_all_mysql(sqlx::query(sql), params);
                let rows = guarded(sql, limit, q.fetch_all(&mut *c)).await?;
                rows.iter().map(decode::mysql_row).collect()
            }
            #[cfg(feature = "postgres")]
            Conn::Postgres(c) => {
                let q = decode::bind_all_pg(sqlx::query(sql), params, None);
                let rows = guarded(sql, limit, q.fetch_all(&mut *c)).await?;
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
            // The catalog, not `information_schema`, whose views take about 1 ms to plan for
            // each lookup (a third of a subtask's fixed cost on PostgreSQL, issue 17); the
            // same relations (tables, views, foreign and partitioned tables).
            Dialect::Postgres => "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relname = $1 AND c.relkind IN ('r', 'v', 'f', 'p')",
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
            // The catalog, as in `has_table`.
            Dialect::Postgres => "SELECT a.attname::text FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relname = $1 AND c.relkind IN ('r', 'v', 'f', 'p') AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
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

/// How long a server has to accept a connection.
#[cfg(any(feature = "mysql", feature = "postgres"))]
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

#[cfg(any(feature = "mysql", feature = "postgres"))]
async fn connect_timeout<T>(
    fut: impl std::future::Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, sqlx::Error> {
    match tokio::time::timeout(CONNECT_TIMEOUT, fut).await {
        Ok(r) => r,
        Err(_) => Err(sqlx::Error::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
        ))),
    }
}

/// The error for a URL of a database whose driver this build of the runtime left out (see
/// the crate's cargo features).
fn driver_missing(dialect: Dialect) -> DbError {
    let (name, feature) = match dialect {
        Dialect::Sqlite => ("SQLite", "sqlite"),
        Dialect::MySql => ("MySQL", "mysql"),
        Dialect::Postgres => ("PostgreSQL", "postgres"),
    };
    DbError::Url(format!(
        "this plugin was built without {name} support: enable devlake's `{feature}` feature"
    ))
}

/// Why a connection failed, in a few words: the OS's reason for network errors
/// (`connection refused`), the server's message for a refusal (`Access denied for user
/// 'u'@'h'`: it names the user, never the password).
fn connect_reason(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            "connection refused".into()
        }
        sqlx::Error::Io(io) => one_line(&io.to_string()),
        sqlx::Error::Database(db) => one_line(db.message()),
        sqlx::Error::Tls(t) => format!("TLS: {}", one_line(&t.to_string())),
        other => one_line(&other.to_string()),
    }
}

/// [`STATEMENT_TIMEOUT_ENV`], else [`DEFAULT_STATEMENT_TIMEOUT`].
fn statement_timeout_from_env() -> Result<Option<Duration>, DbError> {
    let Ok(raw) = std::env::var(STATEMENT_TIMEOUT_ENV) else {
        return Ok(Some(DEFAULT_STATEMENT_TIMEOUT));
    };
    match raw.trim().parse::<f64>() {
        Ok(0.0) => Ok(None),
        Ok(s) if s.is_finite() && s > 0.0 => Ok(Some(Duration::from_secs_f64(s))),
        _ => Err(DbError::Url(format!(
            "{STATEMENT_TIMEOUT_ENV} must be a number of seconds (0 for no timeout)"
        ))),
    }
}

/// Runs one statement under the timeout: a server-side timeout error (PostgreSQL 57014,
/// MariaDB 1969) or no answer at all by the timeout plus [`GUARD_GRACE`] becomes
/// [`DbError::Timeout`]; any other error is named by the statement's operation and table.
async fn guarded<T>(
    sql: &str,
    limit: Option<Duration>,
    fut: impl std::future::Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, DbError> {
    let result = match limit {
        None => fut.await,
        Some(limit) => match tokio::time::timeout(limit + GUARD_GRACE, fut).await {
            Ok(r) => r,
            Err(_) => {
                return Err(DbError::Timeout {
                    context: statement_context(sql),
                    after: limit,
                })
            }
        },
    };
    result.map_err(|e| match (limit, is_timeout(&e)) {
        (Some(after), true) => DbError::Timeout {
            context: statement_context(sql),
            after,
        },
        _ => DbError::query(statement_context(sql), e),
    })
}

/// Whether the server ended a statement for its statement timeout.
fn is_timeout(e: &sqlx::Error) -> bool {
    let sqlx::Error::Database(db) = e else {
        return false;
    };
    match db.code().as_deref() {
        // PostgreSQL: query_canceled, from statement_timeout.
        Some("57014") => db.message().contains("statement timeout"),
        // MariaDB: ER_STATEMENT_TIMEOUT (max_statement_time exceeded).
        #[cfg(feature = "mysql")]
        _ => db
            .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
            .is_some_and(|m| m.number() == 1969),
        #[cfg(not(feature = "mysql"))]
        _ => false,
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What a statement does, for error messages: its operation and table
/// (`INSERT INTO _tool_x`, `SELECT FROM _tool_x`), never its values; for anything else,
/// its first words. At most 80 characters, cut on a character boundary.
fn statement_context(sql: &str) -> String {
    let words: Vec<&str> = sql.split_whitespace().collect();
    let upper = |w: &str| w.to_ascii_uppercase();
    let op = words.first().map(|w| upper(w)).unwrap_or_default();
    // The word after which the table name comes, per operation.
    let marker = match op.as_str() {
        "SELECT" | "DELETE" => Some("FROM"),
        "INSERT" | "REPLACE" => Some("INTO"),
        "UPDATE" => Some("UPDATE"),
        "CREATE" | "DROP" | "ALTER" | "TRUNCATE" | "ANALYZE" => Some("TABLE"),
        _ => None,
    };
    let table = marker.and_then(|m| {
        let at = words.iter().position(|w| upper(w) == m)?;
        words[at + 1..]
            .iter()
            .find(|w| !matches!(upper(w).as_str(), "IF" | "NOT" | "EXISTS" | "IGNORE"))
            .map(|w| {
                w.split('(')
                    .next()
                    .unwrap_or(w)
                    .trim_matches(|c| matches!(c, '`' | '"' | '\'' | ';' | ','))
                    .to_string()
            })
            .filter(|t| !t.is_empty())
    });
    let s = match (table, marker) {
        (Some(t), Some("UPDATE")) => format!("UPDATE {t}"),
        (Some(t), Some(m))
            if op == "SELECT" || op == "DELETE" || op == "INSERT" || op == "REPLACE" =>
        {
            format!("{op} {m} {t}")
        }
        (Some(t), Some(_)) => format!("{op} TABLE {t}"),
        _ => words.iter().take(6).copied().collect::<Vec<_>>().join(" "),
    };
    match s.char_indices().nth(80) {
        Some((cut, _)) => s[..cut].to_string(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::statement_context;

    /// A build without a driver refuses its URLs with one line that says which cargo
    /// feature brings it back (`scripts/test.sh` runs this with SQLite alone).
    #[cfg(not(all(feature = "sqlite", feature = "mysql", feature = "postgres")))]
    #[tokio::test]
    async fn a_url_of_a_driver_left_out_says_which_feature_to_enable() {
        for (url, feature, name) in [
            ("sqlite:///tmp/devlake-no-driver.db", "sqlite", "SQLite"),
            ("mysql://u:s3cret@127.0.0.1:1/lake", "mysql", "MySQL"),
            (
                "postgres://u:s3cret@127.0.0.1:1/lake",
                "postgres",
                "PostgreSQL",
            ),
        ] {
            let enabled = match feature {
                "sqlite" => cfg!(feature = "sqlite"),
                "mysql" => cfg!(feature = "mysql"),
                _ => cfg!(feature = "postgres"),
            };
            if enabled {
                continue;
            }
            let err = super::Db::connect(url).await.unwrap_err().to_string();
            assert_eq!(
                err,
                format!(
                    "this plugin was built without {name} support: enable devlake's `{feature}` feature"
                )
            );
        }
    }

    /// Issue 12 item 10: the operation and the table, not six column names; no panic
    /// inside a multi-byte character.
    #[test]
    fn statement_context_names_operation_and_table() {
        for (sql, want) in [
            (
                "SELECT \"a\", \"b\", \"c\", \"d\", \"e\", \"f\", \"g\" FROM \"_tool_x_pipelines\" WHERE id > ? LIMIT 100",
                "SELECT FROM _tool_x_pipelines",
            ),
            (
                "INSERT INTO `_raw_x_s` (`params`, `data`) VALUES (?, ?)",
                "INSERT INTO _raw_x_s",
            ),
            ("UPDATE \"t\" SET a = 1", "UPDATE t"),
            ("DELETE FROM t WHERE p = ?", "DELETE FROM t"),
            (
                "CREATE TABLE IF NOT EXISTS \"_tool_y\" (id int)",
                "CREATE TABLE _tool_y",
            ),
            ("COMMIT", "COMMIT"),
            ("SET statement_timeout = 5", "SET statement_timeout = 5"),
        ] {
            assert_eq!(statement_context(sql), want, "{sql}");
        }
        // 80 characters of which many are multi-byte, cut at a char boundary.
        let long = format!("SELECT 1 FROM \"{}\"", "é".repeat(100));
        let got = statement_context(&long);
        assert_eq!(got.chars().count(), 80);
        let words = format!("CALL {}", "ü".repeat(100));
        assert_eq!(statement_context(&words).chars().count(), 80);
    }
}
