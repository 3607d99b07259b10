//! The baseline: the same work written by hand with sqlx, no framework. Each phase runs in
//! one transaction and writes the same columns and values as the framework, into tables
//! of the same shape (created beforehand with the framework's DDL), with multi-row
//! `INSERT`s of [`BATCH`] rows:
//!
//! - collect: generate the records, serialize them, insert raw rows;
//! - extract: read raw rows in id-keyed pages of [`BATCH`], parse the JSON, insert tool rows;
//! - convert: read tool rows in key-ordered pages, build and insert `cicd_pipelines` rows.
//!
//! Plain `INSERT`, no upsert: the tables are empty, as in the framework's full runs. The
//! time spent in `INSERT` statements is reported apart (`write_secs`), so a ratio can be
//! taken against the inserts alone or against the whole hand-written phase.
//!
//! The same phases write through [`Write::Bulk`] for the server databases' "limit" baseline
//! (see [`crate::limit`]): the rows and reads are the same, only the statements differ.

use crate::plugin::pipeline_json;
use anyhow::{bail, Context as _, Result};
use chrono::{DateTime, Utc};
use devlake::db::{DbUrl, Dialect};
use devlake::domain::devops::CicdPipeline;
use devlake::model::{Column, ColumnType, Model};
use fakeplugin::models::FakePipeline;
use sqlx::{Connection as _, Row as _};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Rows per `INSERT` and per read page (the framework's batch and page size).
pub const BATCH: usize = 1000;

/// One value to bind. NULLs carry their column type: PostgreSQL types every parameter.
#[derive(Debug, Clone)]
pub enum Cell {
    /// NULL of a column type.
    Null(ColumnType),
    /// Integer.
    Int(i64),
    /// Float.
    Float(f64),
    /// Text.
    Text(String),
    /// Bytes.
    Bytes(Vec<u8>),
    /// Timestamp.
    Time(DateTime<Utc>),
}

type Query<'q, DB> = sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>;

/// What differs between the three drivers; everything else is written once, generically.
pub trait PlainDb: sqlx::Database {
    /// The dialect (placeholders, quoting, transaction syntax).
    const DIALECT: Dialect;
    /// Opens a connection with the framework's connection settings.
    async fn open(url: &DbUrl) -> Result<Self::Connection>;
    /// Binds a value.
    fn bind<'q>(q: Query<'q, Self>, c: Cell) -> Query<'q, Self>;
    /// Runs a prepared statement.
    async fn execute(conn: &mut Self::Connection, q: Query<'_, Self>) -> Result<(), sqlx::Error>;
    /// Runs a statement without parameters, unprepared.
    async fn raw(conn: &mut Self::Connection, sql: &str) -> Result<(), sqlx::Error>;
    /// Fetches every row of a (bounded) query.
    async fn fetch(
        conn: &mut Self::Connection,
        q: Query<'_, Self>,
    ) -> Result<Vec<Self::Row>, sqlx::Error>;
    /// Integer column.
    fn int(row: &Self::Row, i: usize) -> Result<i64, sqlx::Error>;
    /// Text column (NULL as `None`).
    fn text(row: &Self::Row, i: usize) -> Result<Option<String>, sqlx::Error>;
    /// Bytes column.
    fn bytes(row: &Self::Row, i: usize) -> Result<Vec<u8>, sqlx::Error>;
    /// Timestamp column (NULL as `None`).
    fn time(row: &Self::Row, i: usize) -> Result<Option<DateTime<Utc>>, sqlx::Error>;
    /// The limit baseline's writes on this database (see [`crate::limit`]).
    async fn limit_write(conn: &mut Self::Connection) -> Result<Write>;
    /// Bulk writes ([`Write::Bulk`]): what goes between two encoded rows.
    const BULK_SEPARATOR: &'static [u8];
    /// Bulk writes: the start of a buffer for `table` (statement head or stream header).
    fn bulk_start(buf: &mut Vec<u8>, table: &str, columns: &[Column]) -> Result<()>;
    /// Bulk writes: appends one row.
    fn bulk_row(buf: &mut Vec<u8>, row: Vec<Cell>) -> Result<()>;
    /// Bulk writes: the end of a buffer (stream trailer).
    fn bulk_end(buf: &mut Vec<u8>);
    /// Bulk writes: sends a finished buffer.
    async fn bulk_send(
        conn: &mut Self::Connection,
        table: &str,
        columns: &[Column],
        buf: &[u8],
    ) -> Result<()>;
}

/// SQLite keeps timestamps as text, in the format the framework (and pydevlake) writes,
/// formatted and parsed without re-reading a pattern per value, as careful hand-written
/// code would.
pub(crate) fn sqlite_time(t: &DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond() / 1000 % 1_000_000
    )
}

pub(crate) fn parse_sqlite_time(s: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    use chrono::format::{Item, Parsed, StrftimeItems};
    static ITEMS: std::sync::OnceLock<Vec<Item<'static>>> = std::sync::OnceLock::new();
    let items = ITEMS.get_or_init(|| StrftimeItems::new("%Y-%m-%d %H:%M:%S%.f").collect());
    let mut parsed = Parsed::new();
    chrono::format::parse(&mut parsed, s, items.iter())?;
    Ok(parsed.to_naive_datetime_with_offset(0)?.and_utc())
}

impl PlainDb for sqlx::Sqlite {
    const DIALECT: Dialect = Dialect::Sqlite;

    async fn open(url: &DbUrl) -> Result<sqlx::SqliteConnection> {
        use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
        let DbUrl::Sqlite { path: Some(path) } = url else {
            bail!("plain baseline: expected a SQLite file URL")
        };
        // The framework's settings (WAL, synchronous NORMAL), so only the code differs.
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30));
        Ok(sqlx::SqliteConnection::connect_with(&opts).await?)
    }

    fn bind<'q>(q: Query<'q, Self>, c: Cell) -> Query<'q, Self> {
        match c {
            Cell::Null(_) => q.bind(None::<String>),
            Cell::Int(i) => q.bind(i),
            Cell::Float(f) => q.bind(f),
            Cell::Text(s) => q.bind(s),
            Cell::Bytes(b) => q.bind(b),
            Cell::Time(t) => q.bind(sqlite_time(&t)),
        }
    }

    async fn execute(
        conn: &mut sqlx::SqliteConnection,
        q: Query<'_, Self>,
    ) -> Result<(), sqlx::Error> {
        q.execute(conn).await.map(|_| ())
    }

    async fn raw(conn: &mut sqlx::SqliteConnection, sql: &str) -> Result<(), sqlx::Error> {
        sqlx::raw_sql(sql).execute(conn).await.map(|_| ())
    }

    async fn fetch(
        conn: &mut sqlx::SqliteConnection,
        q: Query<'_, Self>,
    ) -> Result<Vec<sqlx::sqlite::SqliteRow>, sqlx::Error> {
        q.fetch_all(conn).await
    }

    fn int(row: &sqlx::sqlite::SqliteRow, i: usize) -> Result<i64, sqlx::Error> {
        row.try_get(i)
    }

    fn text(row: &sqlx::sqlite::SqliteRow, i: usize) -> Result<Option<String>, sqlx::Error> {
        row.try_get(i)
    }

    fn bytes(row: &sqlx::sqlite::SqliteRow, i: usize) -> Result<Vec<u8>, sqlx::Error> {
        row.try_get(i)
    }

    fn time(row: &sqlx::sqlite::SqliteRow, i: usize) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
        let Some(s) = row.try_get::<Option<String>, _>(i)? else {
            return Ok(None);
        };
        parse_sqlite_time(&s)
            .map(Some)
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))
    }

    async fn limit_write(_: &mut sqlx::SqliteConnection) -> Result<Write> {
        bail!("the SQLite limit baseline runs through rusqlite (crate::limit::Sqlite)")
    }

    const BULK_SEPARATOR: &'static [u8] = b"";

    fn bulk_start(_: &mut Vec<u8>, _: &str, _: &[Column]) -> Result<()> {
        bail!("the SQLite limit baseline runs through rusqlite (crate::limit::Sqlite)")
    }

    fn bulk_row(_: &mut Vec<u8>, _: Vec<Cell>) -> Result<()> {
        bail!("the SQLite limit baseline runs through rusqlite (crate::limit::Sqlite)")
    }

    fn bulk_end(_: &mut Vec<u8>) {}

    async fn bulk_send(
        _: &mut sqlx::SqliteConnection,
        _: &str,
        _: &[Column],
        _: &[u8],
    ) -> Result<()> {
        bail!("the SQLite limit baseline runs through rusqlite (crate::limit::Sqlite)")
    }
}

impl PlainDb for sqlx::MySql {
    const DIALECT: Dialect = Dialect::MySql;

    async fn open(url: &DbUrl) -> Result<sqlx::MySqlConnection> {
        let DbUrl::MySql(s) = url else {
            bail!("plain baseline: expected a MySQL URL")
        };
        let mut opts = sqlx::mysql::MySqlConnectOptions::new()
            .host(&s.host)
            .port(s.port)
            .username(&s.user)
            .database(&s.database)
            .charset("utf8mb4")
            .timezone(Some("+00:00".into()));
        if let Some(p) = &s.password {
            opts = opts.password(p);
        }
        Ok(sqlx::MySqlConnection::connect_with(&opts).await?)
    }

    fn bind<'q>(q: Query<'q, Self>, c: Cell) -> Query<'q, Self> {
        match c {
            Cell::Null(_) => q.bind(None::<String>),
            Cell::Int(i) => q.bind(i),
            Cell::Float(f) => q.bind(f),
            Cell::Text(s) => q.bind(s),
            Cell::Bytes(b) => q.bind(b),
            Cell::Time(t) => q.bind(t),
        }
    }

    async fn execute(
        conn: &mut sqlx::MySqlConnection,
        q: Query<'_, Self>,
    ) -> Result<(), sqlx::Error> {
        q.execute(conn).await.map(|_| ())
    }

    async fn raw(conn: &mut sqlx::MySqlConnection, sql: &str) -> Result<(), sqlx::Error> {
        sqlx::raw_sql(sql).execute(conn).await.map(|_| ())
    }

    async fn fetch(
        conn: &mut sqlx::MySqlConnection,
        q: Query<'_, Self>,
    ) -> Result<Vec<sqlx::mysql::MySqlRow>, sqlx::Error> {
        q.fetch_all(conn).await
    }

    fn int(row: &sqlx::mysql::MySqlRow, i: usize) -> Result<i64, sqlx::Error> {
        // Raw ids are `bigint unsigned` here; the bits are the same.
        row.try_get_unchecked(i)
    }

    fn text(row: &sqlx::mysql::MySqlRow, i: usize) -> Result<Option<String>, sqlx::Error> {
        row.try_get(i)
    }

    fn bytes(row: &sqlx::mysql::MySqlRow, i: usize) -> Result<Vec<u8>, sqlx::Error> {
        row.try_get(i)
    }

    fn time(row: &sqlx::mysql::MySqlRow, i: usize) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
        Ok(row
            .try_get::<Option<chrono::NaiveDateTime>, _>(i)?
            .map(|n| n.and_utc()))
    }

    async fn limit_write(conn: &mut sqlx::MySqlConnection) -> Result<Write> {
        crate::limit::mysql_write(conn).await
    }

    const BULK_SEPARATOR: &'static [u8] = b", ";

    fn bulk_start(buf: &mut Vec<u8>, table: &str, columns: &[Column]) -> Result<()> {
        buf.extend_from_slice(insert_head(Self::DIALECT, table, columns).as_bytes());
        Ok(())
    }

    fn bulk_row(buf: &mut Vec<u8>, row: Vec<Cell>) -> Result<()> {
        crate::limit::mysql_row(buf, row);
        Ok(())
    }

    fn bulk_end(_: &mut Vec<u8>) {}

    async fn bulk_send(
        conn: &mut sqlx::MySqlConnection,
        _: &str,
        _: &[Column],
        buf: &[u8],
    ) -> Result<()> {
        let sql = std::str::from_utf8(buf).context("limit INSERT text")?;
        sqlx::raw_sql(sql).execute(conn).await?;
        Ok(())
    }
}

impl PlainDb for sqlx::Postgres {
    const DIALECT: Dialect = Dialect::Postgres;

    async fn open(url: &DbUrl) -> Result<sqlx::PgConnection> {
        let DbUrl::Postgres(s) = url else {
            bail!("plain baseline: expected a PostgreSQL URL")
        };
        let mut opts = sqlx::postgres::PgConnectOptions::new()
            .host(&s.host)
            .port(s.port)
            .username(&s.user)
            .database(&s.database)
            .options([("timezone", "UTC")]);
        if let Some(p) = &s.password {
            opts = opts.password(p);
        }
        Ok(sqlx::PgConnection::connect_with(&opts).await?)
    }

    fn bind<'q>(q: Query<'q, Self>, c: Cell) -> Query<'q, Self> {
        match c {
            Cell::Null(ColumnType::Integer) => q.bind(None::<i64>),
            Cell::Null(ColumnType::Float) => q.bind(None::<f64>),
            Cell::Null(ColumnType::Boolean) => q.bind(None::<bool>),
            Cell::Null(ColumnType::DateTime) => q.bind(None::<DateTime<Utc>>),
            Cell::Null(ColumnType::Bytes) => q.bind(None::<Vec<u8>>),
            Cell::Null(_) => q.bind(None::<String>),
            Cell::Int(i) => q.bind(i),
            Cell::Float(f) => q.bind(f),
            Cell::Text(s) => q.bind(s),
            Cell::Bytes(b) => q.bind(b),
            Cell::Time(t) => q.bind(t),
        }
    }

    async fn execute(conn: &mut sqlx::PgConnection, q: Query<'_, Self>) -> Result<(), sqlx::Error> {
        q.execute(conn).await.map(|_| ())
    }

    async fn raw(conn: &mut sqlx::PgConnection, sql: &str) -> Result<(), sqlx::Error> {
        sqlx::raw_sql(sql).execute(conn).await.map(|_| ())
    }

    async fn fetch(
        conn: &mut sqlx::PgConnection,
        q: Query<'_, Self>,
    ) -> Result<Vec<sqlx::postgres::PgRow>, sqlx::Error> {
        q.fetch_all(conn).await
    }

    fn int(row: &sqlx::postgres::PgRow, i: usize) -> Result<i64, sqlx::Error> {
        row.try_get(i)
    }

    fn text(row: &sqlx::postgres::PgRow, i: usize) -> Result<Option<String>, sqlx::Error> {
        row.try_get(i)
    }

    fn bytes(row: &sqlx::postgres::PgRow, i: usize) -> Result<Vec<u8>, sqlx::Error> {
        row.try_get(i)
    }

    fn time(row: &sqlx::postgres::PgRow, i: usize) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
        row.try_get(i)
    }

    async fn limit_write(_: &mut sqlx::PgConnection) -> Result<Write> {
        Ok(Write::Bulk {
            bytes: crate::limit::PG_COPY_BYTES,
        })
    }

    const BULK_SEPARATOR: &'static [u8] = b"";

    fn bulk_start(buf: &mut Vec<u8>, _: &str, _: &[Column]) -> Result<()> {
        crate::limit::pg_copy_header(buf);
        Ok(())
    }

    fn bulk_row(buf: &mut Vec<u8>, row: Vec<Cell>) -> Result<()> {
        crate::limit::pg_copy_row(buf, row)
    }

    fn bulk_end(buf: &mut Vec<u8>) {
        crate::limit::pg_copy_trailer(buf);
    }

    async fn bulk_send(
        conn: &mut sqlx::PgConnection,
        table: &str,
        columns: &[Column],
        buf: &[u8],
    ) -> Result<()> {
        crate::limit::pg_copy_send(conn, table, columns, buf).await
    }
}

/// `INSERT INTO t (c1, ...) VALUES `.
pub(crate) fn insert_head(dialect: Dialect, table: &str, columns: &[Column]) -> String {
    let names: Vec<String> = columns.iter().map(|c| dialect.quote(c.name)).collect();
    format!(
        "INSERT INTO {} ({}) VALUES ",
        dialect.quote(table),
        names.join(", ")
    )
}

/// Multi-row `INSERT` statements of one table, one text per row count.
struct Inserts {
    head: String,
    columns: usize,
    dialect: Dialect,
    cache: HashMap<usize, String>,
}

impl Inserts {
    fn new(dialect: Dialect, table: &str, columns: &[Column]) -> Self {
        Inserts {
            head: insert_head(dialect, table, columns),
            columns: columns.len(),
            dialect,
            cache: HashMap::new(),
        }
    }

    fn sql(&mut self, rows: usize) -> &str {
        let (head, columns, dialect) = (&self.head, self.columns, self.dialect);
        self.cache.entry(rows).or_insert_with(|| {
            let mut n = 0;
            let tuples: Vec<String> = (0..rows)
                .map(|_| {
                    let ph: Vec<String> = (0..columns)
                        .map(|_| {
                            n += 1;
                            dialect.placeholder(n)
                        })
                        .collect();
                    format!("({})", ph.join(", "))
                })
                .collect();
            format!("{head}{}", tuples.join(", "))
        })
    }

    /// Inserts the rows in one statement.
    async fn write<DB: PlainDb>(
        &mut self,
        conn: &mut DB::Connection,
        rows: Vec<Vec<Cell>>,
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let sql = self.sql(rows.len());
        let mut q = sqlx::query::<DB>(sql);
        for cell in rows.into_iter().flatten() {
            q = DB::bind(q, cell);
        }
        DB::execute(conn, q).await.context("plain INSERT")?;
        Ok(())
    }
}

/// How a phase writes its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// The plain baseline: a multi-row `INSERT` of each [`BATCH`] rows (bound parameters).
    Batches,
    /// The limit baseline: rows encoded into buffers of up to `bytes` (PostgreSQL: `COPY
    /// ... FROM STDIN (FORMAT binary)`; MySQL: one literal multi-row `INSERT` as large as
    /// `max_allowed_packet` allows), sent when full and at the end of the phase.
    Bulk {
        /// Largest buffer sent at once.
        bytes: usize,
    },
}

/// Rows encoded for a bulk write, sent when the next row would not fit.
struct Bulk {
    table: String,
    columns: Vec<Column>,
    budget: usize,
    buf: Vec<u8>,
    row: Vec<u8>,
    rows: usize,
}

/// Room kept for the end of a bulk buffer (PostgreSQL's trailer).
const BULK_TAIL: usize = 16;

impl Bulk {
    async fn write<DB: PlainDb>(
        &mut self,
        conn: &mut DB::Connection,
        rows: Vec<Vec<Cell>>,
        spent: &mut Duration,
    ) -> Result<()> {
        for r in rows {
            self.row.clear();
            DB::bulk_row(&mut self.row, r)?;
            let grown = self.buf.len() + DB::BULK_SEPARATOR.len() + self.row.len() + BULK_TAIL;
            if self.rows > 0 && grown > self.budget {
                self.send::<DB>(conn, spent).await?;
            }
            if self.rows == 0 {
                self.buf.clear();
                DB::bulk_start(&mut self.buf, &self.table, &self.columns)?;
            } else {
                self.buf.extend_from_slice(DB::BULK_SEPARATOR);
            }
            self.buf.extend_from_slice(&self.row);
            self.rows += 1;
        }
        Ok(())
    }

    async fn send<DB: PlainDb>(
        &mut self,
        conn: &mut DB::Connection,
        spent: &mut Duration,
    ) -> Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let started = Instant::now();
        DB::bulk_end(&mut self.buf);
        DB::bulk_send(conn, &self.table, &self.columns, &self.buf)
            .await
            .with_context(|| {
                format!("limit bulk write of {} rows into {}", self.rows, self.table)
            })?;
        self.rows = 0;
        *spent += started.elapsed();
        Ok(())
    }
}

/// A phase's writer of one table.
enum Writer {
    Batches(Inserts),
    Bulk(Bulk),
}

impl Writer {
    fn new(write: Write, dialect: Dialect, table: &str, columns: &[Column]) -> Writer {
        match write {
            Write::Batches => Writer::Batches(Inserts::new(dialect, table, columns)),
            Write::Bulk { bytes } => Writer::Bulk(Bulk {
                table: table.to_string(),
                columns: columns.to_vec(),
                budget: bytes,
                buf: Vec::new(),
                row: Vec::new(),
                rows: 0,
            }),
        }
    }

    /// Writes (or buffers) the rows; adds the time spent writing to `spent`.
    async fn write<DB: PlainDb>(
        &mut self,
        conn: &mut DB::Connection,
        rows: Vec<Vec<Cell>>,
        spent: &mut Duration,
    ) -> Result<()> {
        match self {
            Writer::Batches(i) => {
                let started = Instant::now();
                i.write::<DB>(conn, rows).await?;
                *spent += started.elapsed();
                Ok(())
            }
            Writer::Bulk(b) => b.write::<DB>(conn, rows, spent).await,
        }
    }

    /// Sends what is buffered.
    async fn finish<DB: PlainDb>(
        &mut self,
        conn: &mut DB::Connection,
        spent: &mut Duration,
    ) -> Result<()> {
        match self {
            Writer::Batches(_) => Ok(()),
            Writer::Bulk(b) => b.send::<DB>(conn, spent).await,
        }
    }
}

/// The same run's fixed values (connection 1, scope `p1`).
#[derive(Debug, Clone)]
pub struct Names {
    /// `{"ConnectionId":1,"ScopeId":"p1"}`.
    pub params: String,
    /// The raw table.
    pub raw_table: String,
    /// The connection id.
    pub connection_id: i64,
    /// The environment the scope config names (stored as written).
    pub environment: String,
    /// The scope's domain id, which every pipeline row carries (`cicd_scope_id`).
    pub cicd_scope_id: String,
}

/// Time of one phase: all of it, and the part spent in `INSERT`s.
#[derive(Debug, Clone, Copy)]
pub struct PhaseTime {
    /// Wall time of the phase, commit included.
    pub total: Duration,
    /// Time inside `INSERT` statements.
    pub write: Duration,
}

/// A phase's transaction and clock.
struct Tx {
    started: Instant,
    write: Duration,
}

impl Tx {
    /// Starts the clock and the transaction; first refreshes the statistics of the table
    /// the phase pages through, as the framework does (without them PostgreSQL and MariaDB
    /// scan and sort the scope's rows for every page of a freshly filled table).
    async fn begin<DB: PlainDb>(conn: &mut DB::Connection, reads: Option<&str>) -> Result<Tx> {
        let started = Instant::now();
        let analyze = match (DB::DIALECT, reads) {
            (Dialect::MySql, Some(t)) => Some(format!("ANALYZE TABLE {}", DB::DIALECT.quote(t))),
            (Dialect::Postgres, Some(t)) => Some(format!("ANALYZE {}", DB::DIALECT.quote(t))),
            _ => None,
        };
        if let Some(sql) = analyze {
            DB::raw(conn, &sql).await?;
        }
        let begin = match DB::DIALECT {
            Dialect::Sqlite => "BEGIN IMMEDIATE",
            Dialect::MySql => "START TRANSACTION",
            Dialect::Postgres => "BEGIN",
        };
        DB::raw(conn, begin).await?;
        Ok(Tx {
            started,
            write: Duration::ZERO,
        })
    }

    async fn commit<DB: PlainDb>(
        mut self,
        conn: &mut DB::Connection,
        writer: &mut Writer,
    ) -> Result<PhaseTime> {
        writer.finish::<DB>(conn, &mut self.write).await?;
        DB::raw(conn, "COMMIT").await?;
        Ok(PhaseTime {
            total: self.started.elapsed(),
            write: self.write,
        })
    }
}

/// Raw row `i` of the generated source.
pub(crate) fn raw_cells(names: &Names, i: u64) -> Result<Vec<Cell>> {
    Ok(vec![
        Cell::Text(names.params.clone()),
        Cell::Bytes(serde_json::to_vec(&pipeline_json(i))?),
        Cell::Null(ColumnType::String),
        Cell::Bytes(b"\"\"".to_vec()),
        Cell::Time(Utc::now()),
    ])
}

/// Collect: `n` generated records into the raw table.
pub async fn collect<DB: PlainDb>(
    conn: &mut DB::Connection,
    names: &Names,
    n: u64,
    write: Write,
) -> Result<PhaseTime> {
    let mut writer = Writer::new(write, DB::DIALECT, &names.raw_table, &raw_columns());
    let mut tx = Tx::begin::<DB>(conn, None).await?;
    let mut batch = Vec::with_capacity(BATCH);
    for i in 0..n {
        batch.push(raw_cells(names, i)?);
        if batch.len() == BATCH {
            writer
                .write::<DB>(conn, std::mem::take(&mut batch), &mut tx.write)
                .await?;
        }
    }
    writer.write::<DB>(conn, batch, &mut tx.write).await?;
    tx.commit::<DB>(conn, &mut writer).await
}

/// The raw record as the generator writes it.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPipeline {
    id: String,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    state: String,
}

/// The tool row of raw row `id` holding `data`, in the order of `columns`.
pub(crate) fn extract_cells(
    columns: &[Column],
    names: &Names,
    id: i64,
    data: &[u8],
    now: DateTime<Utc>,
) -> Result<Vec<Cell>> {
    let raw: RawPipeline = serde_json::from_slice(data)?;
    columns
        .iter()
        .map(|c| {
            Ok(match c.name {
                "_raw_data_params" => Cell::Text(names.params.clone()),
                "_raw_data_table" => Cell::Text(names.raw_table.clone()),
                "_raw_data_id" => Cell::Int(id),
                "created_at" | "updated_at" => Cell::Time(now),
                "connection_id" => Cell::Int(names.connection_id),
                "id" => Cell::Text(raw.id.clone()),
                "started_at" => raw
                    .started_at
                    .map(Cell::Time)
                    .unwrap_or(Cell::Null(ColumnType::DateTime)),
                "finished_at" => raw
                    .finished_at
                    .map(Cell::Time)
                    .unwrap_or(Cell::Null(ColumnType::DateTime)),
                "state" => Cell::Text(raw.state.to_ascii_uppercase()),
                "_raw_data_remark" => Cell::Null(c.column_type),
                other => bail!("plain baseline: no value for tool column {other}"),
            })
        })
        .collect()
}

/// `SELECT id, data` of a page of the scope's raw rows after an id (placeholders 1, 2).
pub(crate) fn raw_page_sql(d: Dialect, names: &Names) -> String {
    format!(
        "SELECT {id}, {data} FROM {t} WHERE {params} = {p1} AND {id} > {p2} ORDER BY {id} LIMIT {BATCH}",
        id = d.quote("id"),
        data = d.quote("data"),
        t = d.quote(&names.raw_table),
        params = d.quote("params"),
        p1 = d.placeholder(1),
        p2 = d.placeholder(2),
    )
}

/// Extract: raw rows into tool rows.
pub async fn extract<DB: PlainDb>(
    conn: &mut DB::Connection,
    names: &Names,
    write: Write,
) -> Result<PhaseTime> {
    let desc = FakePipeline::descriptor();
    let columns = desc.columns();
    let mut writer = Writer::new(write, DB::DIALECT, desc.table, &columns);
    let select = raw_page_sql(DB::DIALECT, names);
    let mut tx = Tx::begin::<DB>(conn, Some(&names.raw_table)).await?;
    let mut last_id = 0i64;
    loop {
        let q = DB::bind(
            DB::bind(sqlx::query::<DB>(&select), Cell::Text(names.params.clone())),
            Cell::Int(last_id),
        );
        let page = DB::fetch(conn, q)
            .await
            .context("plain SELECT of raw rows")?;
        if page.is_empty() {
            break;
        }
        let now = Utc::now();
        let mut batch = Vec::with_capacity(page.len());
        for row in &page {
            let id = DB::int(row, 0)?;
            batch.push(extract_cells(
                &columns,
                names,
                id,
                &DB::bytes(row, 1)?,
                now,
            )?);
            last_id = id;
        }
        writer.write::<DB>(conn, batch, &mut tx.write).await?;
    }
    tx.commit::<DB>(conn, &mut writer).await
}

/// A tool row as convert reads it.
pub(crate) struct ToolRow {
    /// `_raw_data_params`.
    pub raw_params: Option<String>,
    /// `_raw_data_table`.
    pub raw_table: Option<String>,
    /// `_raw_data_id`.
    pub raw_id: i64,
    /// `_raw_data_remark`.
    pub raw_remark: Option<String>,
    /// `id`.
    pub id: String,
    /// `started_at`.
    pub started: Option<DateTime<Utc>>,
    /// `finished_at`.
    pub finished: Option<DateTime<Utc>>,
    /// `state`.
    pub state: String,
}

/// The columns convert reads, in [`ToolRow`]'s order.
pub(crate) const TOOL_SELECTED: [&str; 8] = [
    "_raw_data_params",
    "_raw_data_table",
    "_raw_data_id",
    "_raw_data_remark",
    "id",
    "started_at",
    "finished_at",
    "state",
];

/// `SELECT` of the scope's tool rows, to be ordered (placeholders: connection id, params).
pub(crate) fn tool_select_sql(d: Dialect) -> String {
    format!(
        "SELECT {} FROM {} WHERE {} = {} AND {} = {}",
        TOOL_SELECTED.map(|s| d.quote(s)).join(", "),
        d.quote(FakePipeline::descriptor().table),
        d.quote("connection_id"),
        d.placeholder(1),
        d.quote("_raw_data_params"),
        d.placeholder(2),
    )
}

/// The `cicd_pipelines` row of a tool row, in the order of `columns`.
pub(crate) fn convert_cells(
    columns: &[Column],
    names: &Names,
    id_prefix: &str,
    row: &ToolRow,
    now: DateTime<Utc>,
) -> Vec<Cell> {
    let text = |t: &Option<String>| {
        t.clone()
            .map(Cell::Text)
            .unwrap_or(Cell::Null(ColumnType::String))
    };
    let (status, result) = match row.state.as_str() {
        "SUCCESS" => ("DONE", Some("SUCCESS")),
        "FAILURE" => ("DONE", Some("FAILURE")),
        _ => ("IN_PROGRESS", None),
    };
    columns
        .iter()
        .map(|c| match c.name {
            "id" => Cell::Text(format!("{id_prefix}{}", row.id)),
            "name" => Cell::Text(row.id.clone()),
            "status" => Cell::Text(status.into()),
            "result" => result
                .map(|r| Cell::Text(r.into()))
                .unwrap_or(Cell::Null(c.column_type)),
            "type" => Cell::Text("BUILD".into()),
            "environment" => Cell::Text(names.environment.clone()),
            "cicd_scope_id" => Cell::Text(names.cicd_scope_id.clone()),
            "finished_date" => row
                .finished
                .map(Cell::Time)
                .unwrap_or(Cell::Null(c.column_type)),
            "duration_sec" => match (row.started, row.finished) {
                (Some(s), Some(f)) => Cell::Float((f - s).num_seconds() as f64),
                _ => Cell::Null(c.column_type),
            },
            "created_at" | "updated_at" => Cell::Time(now),
            "_raw_data_params" => text(&row.raw_params),
            "_raw_data_table" => text(&row.raw_table),
            "_raw_data_id" => Cell::Int(row.raw_id),
            "_raw_data_remark" => text(&row.raw_remark),
            _ => Cell::Null(c.column_type),
        })
        .collect()
}

/// The prefix of every `cicd_pipelines` id (`fakeplugin:FakePipeline:1:`).
pub(crate) fn pipeline_id_prefix(names: &Names) -> String {
    let tool = FakePipeline::descriptor();
    format!("{}:{}:{}:", tool.crate_name, tool.name, names.connection_id)
}

/// Convert: tool rows into `cicd_pipelines` rows.
pub async fn convert<DB: PlainDb>(
    conn: &mut DB::Connection,
    names: &Names,
    write: Write,
) -> Result<PhaseTime> {
    let domain = CicdPipeline::descriptor();
    let columns = domain.columns();
    let mut writer = Writer::new(write, DB::DIALECT, domain.table, &columns);
    let d = DB::DIALECT;
    let base = tool_select_sql(d);
    let first = format!("{base} ORDER BY {} LIMIT {BATCH}", d.quote("id"));
    let next = format!(
        "{base} AND {} > {} ORDER BY {} LIMIT {BATCH}",
        d.quote("id"),
        d.placeholder(3),
        d.quote("id")
    );
    let id_prefix = pipeline_id_prefix(names);
    let mut tx = Tx::begin::<DB>(conn, Some(FakePipeline::descriptor().table)).await?;
    let mut last: Option<String> = None;
    loop {
        let mut query = sqlx::query::<DB>(if last.is_some() { &next } else { &first });
        query = DB::bind(query, Cell::Int(names.connection_id));
        query = DB::bind(query, Cell::Text(names.params.clone()));
        if let Some(k) = &last {
            query = DB::bind(query, Cell::Text(k.clone()));
        }
        let page = DB::fetch(conn, query)
            .await
            .context("plain SELECT of tool rows")?;
        if page.is_empty() {
            break;
        }
        let full = page.len() == BATCH;
        let now = Utc::now();
        let mut batch = Vec::with_capacity(page.len());
        for row in &page {
            let tool = ToolRow {
                raw_params: DB::text(row, 0)?,
                raw_table: DB::text(row, 1)?,
                raw_id: DB::int(row, 2)?,
                raw_remark: DB::text(row, 3)?,
                id: DB::text(row, 4)?.unwrap_or_default(),
                started: DB::time(row, 5)?,
                finished: DB::time(row, 6)?,
                state: DB::text(row, 7)?.unwrap_or_default(),
            };
            batch.push(convert_cells(&columns, names, &id_prefix, &tool, now));
            last = Some(tool.id);
        }
        writer.write::<DB>(conn, batch, &mut tx.write).await?;
        if !full {
            break;
        }
    }
    tx.commit::<DB>(conn, &mut writer).await
}

/// The raw table's columns as the framework writes them (`id` is generated).
pub(crate) fn raw_columns() -> Vec<Column> {
    [
        ("params", ColumnType::String),
        ("data", ColumnType::Bytes),
        ("url", ColumnType::String),
        ("input", ColumnType::Bytes),
        ("created_at", ColumnType::DateTime),
    ]
    .into_iter()
    .map(|(name, ty)| Column::new(name, name, ty))
    .collect()
}
