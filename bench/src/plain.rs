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
}

/// SQLite keeps timestamps as text, in the format the framework (and pydevlake) writes,
/// formatted and parsed without re-reading a pattern per value, as careful hand-written
/// code would.
fn sqlite_time(t: &DateTime<Utc>) -> String {
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

fn parse_sqlite_time(s: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
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
        let names: Vec<String> = columns.iter().map(|c| dialect.quote(c.name)).collect();
        let head = format!(
            "INSERT INTO {} ({}) VALUES ",
            dialect.quote(table),
            names.join(", ")
        );
        Inserts {
            head,
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

    /// Inserts the rows in one statement; adds the time it took to `spent`.
    async fn write<DB: PlainDb>(
        &mut self,
        conn: &mut DB::Connection,
        rows: Vec<Vec<Cell>>,
        spent: &mut Duration,
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let started = Instant::now();
        let sql = self.sql(rows.len());
        let mut q = sqlx::query::<DB>(sql);
        for cell in rows.into_iter().flatten() {
            q = DB::bind(q, cell);
        }
        DB::execute(conn, q).await.context("plain INSERT")?;
        *spent += started.elapsed();
        Ok(())
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
    async fn begin<DB: PlainDb>(conn: &mut DB::Connection) -> Result<Tx> {
        let started = Instant::now();
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

    async fn commit<DB: PlainDb>(self, conn: &mut DB::Connection) -> Result<PhaseTime> {
        DB::raw(conn, "COMMIT").await?;
        Ok(PhaseTime {
            total: self.started.elapsed(),
            write: self.write,
        })
    }
}

/// Collect: `n` generated records into the raw table.
pub async fn collect<DB: PlainDb>(
    conn: &mut DB::Connection,
    names: &Names,
    n: u64,
) -> Result<PhaseTime> {
    let mut inserts = Inserts::new(DB::DIALECT, &names.raw_table, &raw_columns());
    let mut tx = Tx::begin::<DB>(conn).await?;
    let mut batch = Vec::with_capacity(BATCH);
    for i in 0..n {
        let data = serde_json::to_vec(&pipeline_json(i))?;
        batch.push(vec![
            Cell::Text(names.params.clone()),
            Cell::Bytes(data),
            Cell::Null(ColumnType::String),
            Cell::Bytes(b"\"\"".to_vec()),
            Cell::Time(Utc::now()),
        ]);
        if batch.len() == BATCH {
            inserts
                .write::<DB>(conn, std::mem::take(&mut batch), &mut tx.write)
                .await?;
        }
    }
    inserts.write::<DB>(conn, batch, &mut tx.write).await?;
    tx.commit::<DB>(conn).await
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

/// Extract: raw rows into tool rows.
pub async fn extract<DB: PlainDb>(conn: &mut DB::Connection, names: &Names) -> Result<PhaseTime> {
    let desc = FakePipeline::descriptor();
    let columns = desc.columns();
    let mut inserts = Inserts::new(DB::DIALECT, desc.table, &columns);
    let d = DB::DIALECT;
    let select = format!(
        "SELECT {id}, {data} FROM {t} WHERE {params} = {p1} AND {id} > {p2} ORDER BY {id} LIMIT {BATCH}",
        id = d.quote("id"),
        data = d.quote("data"),
        t = d.quote(&names.raw_table),
        params = d.quote("params"),
        p1 = d.placeholder(1),
        p2 = d.placeholder(2),
    );
    let mut tx = Tx::begin::<DB>(conn).await?;
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
            let raw: RawPipeline = serde_json::from_slice(&DB::bytes(row, 1)?)?;
            let cells = columns
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
                .collect::<Result<Vec<_>>>()?;
            batch.push(cells);
            last_id = id;
        }
        inserts.write::<DB>(conn, batch, &mut tx.write).await?;
    }
    tx.commit::<DB>(conn).await
}

/// Convert: tool rows into `cicd_pipelines` rows.
pub async fn convert<DB: PlainDb>(conn: &mut DB::Connection, names: &Names) -> Result<PhaseTime> {
    let tool = FakePipeline::descriptor();
    let domain = CicdPipeline::descriptor();
    let columns = domain.columns();
    let mut inserts = Inserts::new(DB::DIALECT, domain.table, &columns);
    let d = DB::DIALECT;
    let q = |s: &str| d.quote(s);
    let selected = [
        "_raw_data_params",
        "_raw_data_table",
        "_raw_data_id",
        "_raw_data_remark",
        "id",
        "started_at",
        "finished_at",
        "state",
    ];
    let base = format!(
        "SELECT {} FROM {} WHERE {} = {} AND {} = {}",
        selected.map(q).join(", "),
        q(tool.table),
        q("connection_id"),
        d.placeholder(1),
        q("_raw_data_params"),
        d.placeholder(2),
    );
    let first = format!("{base} ORDER BY {} LIMIT {BATCH}", q("id"));
    let next = format!(
        "{base} AND {} > {} ORDER BY {} LIMIT {BATCH}",
        q("id"),
        d.placeholder(3),
        q("id")
    );
    let id_prefix = format!("{}:{}:{}:", tool.crate_name, tool.name, names.connection_id);
    let mut tx = Tx::begin::<DB>(conn).await?;
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
            let text = |i| {
                DB::text(row, i)
                    .map(|t| t.map(Cell::Text).unwrap_or(Cell::Null(ColumnType::String)))
            };
            let id = DB::text(row, 4)?.unwrap_or_default();
            let (started, finished) = (DB::time(row, 5)?, DB::time(row, 6)?);
            let state = DB::text(row, 7)?.unwrap_or_default();
            let (status, result) = match state.as_str() {
                "SUCCESS" => ("DONE", Some("SUCCESS")),
                "FAILURE" => ("DONE", Some("FAILURE")),
                _ => ("IN_PROGRESS", None),
            };
            let cells = columns
                .iter()
                .map(|c| {
                    Ok(match c.name {
                        "id" => Cell::Text(format!("{id_prefix}{id}")),
                        "name" => Cell::Text(id.clone()),
                        "status" => Cell::Text(status.into()),
                        "result" => result
                            .map(|r| Cell::Text(r.into()))
                            .unwrap_or(Cell::Null(c.column_type)),
                        "type" => Cell::Text("BUILD".into()),
                        "environment" => Cell::Text(names.environment.clone()),
                        "cicd_scope_id" => Cell::Text(names.cicd_scope_id.clone()),
                        "finished_date" => finished
                            .map(Cell::Time)
                            .unwrap_or(Cell::Null(c.column_type)),
                        "duration_sec" => match (started, finished) {
                            (Some(s), Some(f)) => Cell::Float((f - s).num_seconds() as f64),
                            _ => Cell::Null(c.column_type),
                        },
                        "created_at" | "updated_at" => Cell::Time(now),
                        "_raw_data_params" => text(0)?,
                        "_raw_data_table" => text(1)?,
                        "_raw_data_id" => Cell::Int(DB::int(row, 2)?),
                        "_raw_data_remark" => text(3)?,
                        _ => Cell::Null(c.column_type),
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?;
            batch.push(cells);
            last = Some(id);
        }
        inserts.write::<DB>(conn, batch, &mut tx.write).await?;
        if !full {
            break;
        }
    }
    tx.commit::<DB>(conn).await
}

/// The raw table's columns as the framework writes them (`id` is generated).
fn raw_columns() -> Vec<Column> {
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
