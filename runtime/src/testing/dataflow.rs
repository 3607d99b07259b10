//! [`DataFlowTester`]: DevLake's `e2ehelper.DataFlowTester`, in Rust.
//!
//! A data-flow test seeds tables from CSV files, runs one subtask, and compares the
//! tables it wrote with snapshot CSV files, column by column:
//!
//! 1. [`import_csv_into_raw_table`](DataFlowTester::import_csv_into_raw_table) (raw
//!    records) or [`import_csv_into_table`](DataFlowTester::import_csv_into_table) (tool
//!    or domain rows) replace a table's rows with a CSV file's;
//! 2. [`subtask`](DataFlowTester::subtask) runs `collect`, `extract` or `convert` of a
//!    stream;
//! 3. [`verify_table`](DataFlowTester::verify_table) compares the table with a snapshot.
//!
//! The CSV layout is DevLake's, so fixtures move between Go and Rust plugins: a header of
//! column names, then one row per record; raw tables have `id,params,data,url,input,
//! created_at`; timestamps are written `2006-01-02T15:04:05.000+00:00` (UTC,
//! milliseconds), booleans `1`/`0`; an empty cell is NULL (with
//! [`TableOptions::nullable`], only `NULL` is). Rows are matched by primary key, and
//! both files and tables may list them in any order.
//!
//! Snapshots: a missing snapshot is written from the table (and the test passes, saying
//! so on stderr), except under `CI=true`, where it fails. Set
//! `DEVLAKE_UPDATE_SNAPSHOTS=1` to rewrite every snapshot a test verifies, then review
//! the diff.
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
//! use devlake::domain::devops::CicdPipeline;
//! use devlake::stream::Verb;
//! use devlake::testing::{host, Backend, ContextBuilder, DataFlowTester, TestDatabase};
//!
//! async fn builds_flow() {
//!     let Some(db) = TestDatabase::create(Backend::Sqlite, "builds").await else { return };
//!     let host = host(MyPlugin::default());
//!     let mut ctx = ContextBuilder::for_host(&host).build();
//!     let mut t = DataFlowTester::new(host, db.connect().await).dir("tests/e2e");
//!     t.import_csv_into_raw_table("raw_tables/_raw_my_builds.csv", "_raw_my_builds").await;
//!     t.subtask(Verb::Extract, "builds", &mut ctx).await;
//!     t.subtask(Verb::Convert, "builds", &mut ctx).await;
//!     t.verify_table::<CicdPipeline>("snapshot_tables/cicd_pipelines.csv", &["name", "status"]).await;
//! }
//! ```

use crate::db::ddl::{ensure_raw_table, ensure_table};
use crate::db::{Db, Dialect};
use crate::model::{Column, ColumnType, ColumnValue, DateTime, Model, Value};
use crate::plugin::Plugin;
use crate::protocol::PluginHost;
use crate::stream::{Context, Progress, Verb};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Set to `1` (or `true`) to rewrite the snapshots a test verifies from the tables.
pub const UPDATE_SNAPSHOTS_ENV: &str = "DEVLAKE_UPDATE_SNAPSHOTS";

/// Columns left out of snapshots unless asked for: when the row was written.
const RUN_TIME_COLUMNS: [&str; 2] = ["created_at", "updated_at"];

/// Rows read from a table per query.
const PAGE: usize = 1000;

/// The columns of a raw table, in DevLake's CSV order.
pub const RAW_TABLE_COLUMNS: [&str; 6] = ["id", "params", "data", "url", "input", "created_at"];

/// How [`DataFlowTester::verify_table_with_options`] compares a table with a CSV file
/// (Go's `TableOptions`).
#[derive(Debug, Clone, Default)]
pub struct TableOptions {
    /// The snapshot, relative to the tester's directory.
    pub csv: PathBuf,
    /// The columns compared. Empty: those of the snapshot, and when a snapshot is written,
    /// every column of the model's table but `created_at` and `updated_at` (when the row
    /// was written).
    pub target_fields: Vec<String>,
    /// Columns left out of the comparison.
    pub ignore_fields: Vec<String>,
    /// Only the text `NULL` is NULL (otherwise an empty cell is NULL too).
    pub nullable: bool,
}

impl TableOptions {
    /// Compares `fields` (when empty: the snapshot's columns) with the snapshot `csv`.
    pub fn new(csv: impl Into<PathBuf>, fields: &[&str]) -> Self {
        TableOptions {
            csv: csv.into(),
            target_fields: fields.iter().map(|f| f.to_string()).collect(),
            ..Default::default()
        }
    }
}

/// `fields` plus the raw-data origin columns (Go's `ColumnWithRawData`).
pub fn column_with_raw_data(fields: &[&str]) -> Vec<String> {
    fields
        .iter()
        .map(|f| f.to_string())
        .chain(
            [
                "_raw_data_params",
                "_raw_data_table",
                "_raw_data_id",
                "_raw_data_remark",
            ]
            .map(String::from),
        )
        .collect()
}

/// Seeds tables from CSV files, runs subtasks, and compares tables with snapshot CSV
/// files (see the [module docs](self)). Its methods panic with every problem found, one
/// line each, as assertions do.
pub struct DataFlowTester<P: Plugin> {
    host: PluginHost<P>,
    db: Db,
    dir: PathBuf,
    /// `Some(true)`: write every snapshot; `None`: as `DEVLAKE_UPDATE_SNAPSHOTS` says.
    update: Option<bool>,
}

impl<P: Plugin> std::fmt::Debug for DataFlowTester<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataFlowTester")
            .field("plugin", &self.host.name())
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl<P: Plugin> DataFlowTester<P> {
    /// A tester running the host's plugin against `db`; CSV paths are relative to the
    /// current directory (a test's is its crate's root) until [`dir`](Self::dir) says
    /// otherwise.
    pub fn new(host: PluginHost<P>, db: Db) -> Self {
        DataFlowTester {
            host,
            db,
            dir: PathBuf::new(),
            update: None,
        }
    }

    /// From now on writes snapshots instead of comparing with them (`true`), or compares
    /// (`false`), whatever `DEVLAKE_UPDATE_SNAPSHOTS` says: for tests that make their
    /// snapshots themselves, in CI too.
    pub fn update_snapshots(&mut self, update: bool) -> &mut Self {
        self.update = Some(update);
        self
    }

    /// Resolves CSV paths relative to `dir`.
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = dir.into();
        self
    }

    /// The database, for checks of one's own.
    pub fn db(&mut self) -> &mut Db {
        &mut self.db
    }

    fn path(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.dir.join(rel)
    }

    /// Replaces a raw table's rows with those of a CSV file (`id,params,data,url,input,
    /// created_at`), creating the table when missing.
    pub async fn import_csv_into_raw_table(&mut self, csv: impl AsRef<Path>, raw_table: &str) {
        let path = self.path(csv);
        let (header, rows) = read_csv(&path);
        for c in ["id", "params", "data"] {
            if !header.iter().any(|h| h == c) {
                panic!("{}: a raw table's CSV needs a {c:?} column", path.display());
            }
        }
        self.flush_raw_table(raw_table).await;
        let db = &mut self.db;
        let d = db.dialect();
        let cols: Vec<&str> = RAW_TABLE_COLUMNS.to_vec();
        let sql = insert_sql(d, raw_table, &cols);
        for (n, row) in rows.iter().enumerate() {
            let cell = |name: &str| {
                header
                    .iter()
                    .position(|h| h == name)
                    .map(|i| row[i].as_str())
                    .unwrap_or("")
            };
            let at = |what: &str| format!("{} row {}: {what}", path.display(), n + 2);
            let id: i64 = cell("id")
                .parse()
                .unwrap_or_else(|_| panic!("{}", at("id is not an integer")));
            let created_at = match cell("created_at") {
                "" => chrono::Utc::now(),
                s => parse_time(s)
                    .unwrap_or_else(|| panic!("{}", at("created_at is not a timestamp"))),
            };
            let url = match cell("url") {
                "" => Value::Null,
                s => Value::Text(s.to_string()),
            };
            let params = vec![
                Value::Int(id),
                Value::Text(cell("params").to_string()),
                Value::Bytes(cell("data").as_bytes().to_vec()),
                url,
                Value::Bytes(cell("input").as_bytes().to_vec()),
                Value::DateTime(created_at),
            ];
            let types = [
                ColumnType::Integer,
                ColumnType::String,
                ColumnType::Bytes,
                ColumnType::String,
                ColumnType::Bytes,
                ColumnType::DateTime,
            ];
            db.execute_typed(&sql, params, Some(&types))
                .await
                .unwrap_or_else(|e| panic!("{}", at(&format!("insert failed: {e}"))));
        }
        if d == Dialect::Postgres && !rows.is_empty() {
            // Ids were given: move the sequence past them for rows a collector adds later.
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{raw_table}', 'id'), (SELECT MAX(id) FROM {}))",
                d.quote(raw_table)
            );
            db.fetch_all(&sql, vec![])
                .await
                .unwrap_or_else(|e| panic!("{raw_table}: cannot move its id sequence: {e}"));
        }
    }

    /// Replaces the rows of model `M`'s table with those of a CSV file; an empty cell is
    /// NULL (Go's `ImportCsvIntoTabler`).
    pub async fn import_csv_into_table<M: Model>(&mut self, csv: impl AsRef<Path>) {
        self.import_table::<M>(csv.as_ref(), false).await
    }

    /// [`import_csv_into_table`](Self::import_csv_into_table) where only `NULL` is NULL
    /// (Go's `ImportNullableCsvIntoTabler`).
    pub async fn import_nullable_csv_into_table<M: Model>(&mut self, csv: impl AsRef<Path>) {
        self.import_table::<M>(csv.as_ref(), true).await
    }

    async fn import_table<M: Model>(&mut self, csv: &Path, nullable: bool) {
        let path = self.path(csv);
        let desc = M::descriptor();
        let columns = desc.columns();
        let (header, rows) = read_csv(&path);
        let cols: Vec<&Column> = header
            .iter()
            .map(|h| {
                columns.iter().find(|c| c.name == h).unwrap_or_else(|| {
                    panic!(
                        "{}: column {h:?} is not a column of {}",
                        path.display(),
                        desc.table
                    )
                })
            })
            .collect();
        self.flush_table::<M>().await;
        let db = &mut self.db;
        let names: Vec<&str> = cols.iter().map(|c| c.name).collect();
        let sql = insert_sql(db.dialect(), desc.table, &names);
        let types: Vec<ColumnType> = cols.iter().map(|c| c.column_type).collect();
        for (n, row) in rows.iter().enumerate() {
            let params = cols
                .iter()
                .zip(row)
                .map(|(c, cell)| {
                    parse_cell(c, cell, nullable).unwrap_or_else(|e| {
                        panic!("{} row {} column {}: {e}", path.display(), n + 2, c.name)
                    })
                })
                .collect();
            db.execute_typed(&sql, params, Some(&types))
                .await
                .unwrap_or_else(|e| panic!("{} row {}: insert failed: {e}", path.display(), n + 2));
        }
    }

    /// Empties a raw table (creating it when missing).
    pub async fn flush_raw_table(&mut self, raw_table: &str) {
        ensure_raw_table(&mut self.db, raw_table)
            .await
            .unwrap_or_else(|e| panic!("creating {raw_table}: {e}"));
        let sql = format!("DELETE FROM {}", self.db.quote(raw_table));
        self.db
            .execute(&sql, vec![])
            .await
            .unwrap_or_else(|e| panic!("emptying {raw_table}: {e}"));
    }

    /// Empties model `M`'s table (creating it when missing).
    pub async fn flush_table<M: Model>(&mut self) {
        let desc = M::descriptor();
        ensure_table(&mut self.db, desc.table, &desc.columns())
            .await
            .unwrap_or_else(|e| panic!("creating {}: {e}", desc.table));
        let sql = format!("DELETE FROM {}", self.db.quote(desc.table));
        self.db
            .execute(&sql, vec![])
            .await
            .unwrap_or_else(|e| panic!("emptying {}: {e}", desc.table));
    }

    /// Runs one subtask of a stream, as DevLake would (in its transaction, with the
    /// incremental state of `ctx`'s options).
    pub async fn subtask(&mut self, verb: Verb, stream: &str, ctx: &mut Context<P>) {
        let ran = self
            .host
            .run_subtask(verb, stream, ctx, &mut self.db, &mut Progress::silent())
            .await
            .unwrap_or_else(|e| panic!("{} {stream} failed: {e}", verb.title()));
        assert!(
            ran,
            "{} {stream}: the stream does not run on scope {:?}",
            verb.title(),
            ctx.scope.id
        );
    }

    /// Compares `fields` of model `M`'s table with the snapshot `csv` (Go's
    /// `VerifyTable`); with no fields, the snapshot's columns (all but `created_at` and
    /// `updated_at` in a snapshot it writes).
    pub async fn verify_table<M: Model>(&mut self, csv: impl AsRef<Path>, fields: &[&str]) {
        self.verify_table_with_options::<M>(TableOptions::new(csv.as_ref(), fields))
            .await
    }

    /// [`verify_table`](Self::verify_table) with the raw-data origin columns added to
    /// `fields` (Go's `VerifyTableWithRawData`).
    pub async fn verify_table_with_raw_data<M: Model>(
        &mut self,
        csv: impl AsRef<Path>,
        fields: &[&str],
    ) {
        let opts = TableOptions {
            csv: csv.as_ref().to_path_buf(),
            target_fields: column_with_raw_data(fields),
            ..Default::default()
        };
        self.verify_table_with_options::<M>(opts).await
    }

    /// Compares model `M`'s table with a snapshot CSV: the same rows (matched by primary
    /// key), equal in every compared column. Writes the snapshot instead when it is
    /// missing (outside CI) or when `DEVLAKE_UPDATE_SNAPSHOTS=1`.
    pub async fn verify_table_with_options<M: Model>(&mut self, opts: TableOptions) {
        let desc = M::descriptor();
        let columns = desc.columns();
        let path = self.path(&opts.csv);
        let fields: Vec<&Column> = if opts.target_fields.is_empty() {
            // When each row was written changes with every run: never part of a snapshot.
            columns
                .iter()
                .filter(|c| !RUN_TIME_COLUMNS.contains(&c.name))
                .collect()
        } else {
            opts.target_fields
                .iter()
                .map(|f| {
                    columns.iter().find(|c| c.name == f).unwrap_or_else(|| {
                        panic!("verify {}: {f:?} is not one of its columns", desc.table)
                    })
                })
                .collect()
        };
        let fields: Vec<&Column> = fields
            .into_iter()
            .filter(|c| !opts.ignore_fields.iter().any(|i| i == c.name))
            .collect();
        let key: Vec<&Column> = columns.iter().filter(|c| c.primary_key).collect();
        // The snapshot's columns: the key, then the compared fields.
        let mut shown: Vec<&Column> = key.clone();
        shown.extend(fields.iter().filter(|c| !c.primary_key));
        let actual = self
            .read_table(desc.table, &shown, &key, opts.nullable)
            .await;

        let update = self.update.unwrap_or_else(|| {
            std::env::var(UPDATE_SNAPSHOTS_ENV)
                .map(|v| v == "1" || v.eq_ignore_ascii_case("true"))
                .unwrap_or(false)
        });
        if update || !path.exists() {
            if !update && super::db::ci() {
                panic!(
                    "snapshot {} is missing (CI=true: snapshots are written only outside CI; run the test with {UPDATE_SNAPSHOTS_ENV}=1 and commit the file)",
                    path.display()
                );
            }
            write_csv(&path, &shown, &actual);
            eprintln!(
                "data-flow tester: wrote snapshot {} ({} rows of {})",
                path.display(),
                actual.len(),
                desc.table
            );
            return;
        }

        let (header, rows) = read_csv(&path);
        let mut problems = Vec::new();
        for c in &key {
            if !header.iter().any(|h| h == c.name) {
                panic!(
                    "{}: the snapshot lacks key column {:?} of {}",
                    path.display(),
                    c.name,
                    desc.table
                );
            }
        }
        // With no fields given, an existing snapshot says which columns it checks (a Go
        // plugin's snapshot may leave columns out; they are not compared).
        let fields: Vec<&Column> = if opts.target_fields.is_empty() {
            for h in &header {
                if !columns.iter().any(|c| c.name == h) {
                    problems.push(format!(
                        "{}: column {h:?} is not a column of {}",
                        path.display(),
                        desc.table
                    ));
                }
            }
            fields
                .into_iter()
                .filter(|c| header.iter().any(|h| h == c.name))
                .collect()
        } else {
            fields
        };
        let mut expected: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for row in rows {
            let record: BTreeMap<String, String> = header.iter().cloned().zip(row).collect();
            let pk = key_of(&key, |c| record.get(c).cloned().unwrap_or_default());
            if expected.insert(pk.clone(), record).is_some() {
                problems.push(format!("{}: key {pk} appears twice", path.display()));
            }
        }
        let mut matched = 0;
        for row in &actual {
            let pk = key_of(&key, |c| row.get(c).cloned().unwrap_or_default());
            let Some(exp) = expected.get(&pk) else {
                problems.push(format!("{}: row {pk} is not in the snapshot", desc.table));
                continue;
            };
            matched += 1;
            for c in &fields {
                let Some(want) = exp.get(c.name) else {
                    problems.push(format!(
                        "{}: the snapshot has no column {:?}",
                        path.display(),
                        c.name
                    ));
                    continue;
                };
                let got = row.get(c.name).map(String::as_str).unwrap_or("");
                if !same_cell(c, want, got, opts.nullable) {
                    problems.push(format!(
                        "{}.{} of {pk}: expected {want:?}, got {got:?}",
                        desc.table, c.name
                    ));
                }
            }
        }
        if actual.len() != expected.len() || matched != expected.len() {
            problems.push(format!(
                "{}: {} rows, the snapshot {} has {}",
                desc.table,
                actual.len(),
                path.display(),
                expected.len()
            ));
        }
        if !problems.is_empty() {
            problems.dedup();
            panic!(
                "{} differs from its snapshot ({UPDATE_SNAPSHOTS_ENV}=1 rewrites it):\n  {}",
                desc.table,
                problems.join("\n  ")
            );
        }
    }

    /// Writes a raw table's rows to a CSV file in DevLake's layout (Go's
    /// `ExportRawTable`), for making fixtures from a real collection.
    pub async fn export_raw_table(&mut self, raw_table: &str, csv: impl AsRef<Path>) {
        let path = self.path(csv);
        let raw_cols = [
            ColumnType::Integer,
            ColumnType::String,
            ColumnType::Bytes,
            ColumnType::String,
            ColumnType::Bytes,
            ColumnType::DateTime,
        ];
        let cols: Vec<Column> = RAW_TABLE_COLUMNS
            .iter()
            .zip(raw_cols)
            .map(|(&n, t)| Column::new(n, n, t))
            .collect();
        let refs: Vec<&Column> = cols.iter().collect();
        let rows = self.read_table(raw_table, &refs, &refs[..1], false).await;
        write_csv(&path, &refs, &rows);
    }

    /// Every row of a table, formatted as the CSV files have them, in key order.
    async fn read_table(
        &mut self,
        table: &str,
        columns: &[&Column],
        key: &[&Column],
        nullable: bool,
    ) -> Vec<BTreeMap<String, String>> {
        let d = self.db.dialect();
        let list: Vec<String> = columns.iter().map(|c| d.quote(c.name)).collect();
        let order: Vec<String> = key.iter().map(|c| d.quote(c.name)).collect();
        let mut out = Vec::new();
        let mut offset = 0;
        loop {
            let sql = format!(
                "SELECT {} FROM {} ORDER BY {} LIMIT {PAGE} OFFSET {offset}",
                list.join(", "),
                d.quote(table),
                order.join(", ")
            );
            let page = self
                .db
                .fetch_all(&sql, vec![])
                .await
                .unwrap_or_else(|e| panic!("reading {table}: {e}"));
            let n = page.len();
            for row in page {
                out.push(
                    columns
                        .iter()
                        .zip(row)
                        .map(|(c, v)| (c.name.to_string(), format_value(c, v, nullable)))
                        .collect(),
                );
            }
            if n < PAGE {
                return out;
            }
            offset += n;
        }
    }
}

fn key_of(key: &[&Column], get: impl Fn(&str) -> String) -> String {
    key.iter()
        .map(|c| get(c.name))
        .collect::<Vec<_>>()
        .join("-")
}

fn insert_sql(d: Dialect, table: &str, cols: &[&str]) -> String {
    let names: Vec<String> = cols.iter().map(|c| d.quote(c)).collect();
    let ph: Vec<String> = (1..=cols.len()).map(|i| d.placeholder(i)).collect();
    format!(
        "INSERT INTO {} ({}) VALUES ({})",
        d.quote(table),
        names.join(", "),
        ph.join(", ")
    )
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header: Vec<String> = reader
        .headers()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .enumerate()
        .map(|(n, r)| {
            let r = r.unwrap_or_else(|e| panic!("{} row {}: {e}", path.display(), n + 2));
            r.iter().map(str::to_string).collect()
        })
        .collect();
    (header, rows)
}

fn write_csv(path: &Path, columns: &[&Column], rows: &[BTreeMap<String, String>]) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    }
    let mut w = csv::Writer::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let write_err = |e: csv::Error| panic!("{}: {e}", path.display());
    w.write_record(columns.iter().map(|c| c.name))
        .unwrap_or_else(write_err);
    for row in rows {
        w.write_record(
            columns
                .iter()
                .map(|c| row.get(c.name).map(String::as_str).unwrap_or("")),
        )
        .unwrap_or_else(write_err);
    }
    w.flush()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// DevLake's CSV form of a timestamp: UTC, milliseconds, `+00:00`.
fn format_time(d: &DateTime) -> String {
    d.format("%Y-%m-%dT%H:%M:%S%.3f+00:00").to_string()
}

fn parse_time(s: &str) -> Option<DateTime> {
    DateTime::from_value(Value::Text(s.to_string())).ok()
}

/// A database value as the CSV files write it (Go's `formatDbValue`, typed by the
/// model's column so every database gives the same text).
fn format_value(c: &Column, v: Value, nullable: bool) -> String {
    match (c.column_type, v) {
        (_, Value::Null) if nullable => "NULL".into(),
        (_, Value::Null) => String::new(),
        (ColumnType::DateTime, Value::DateTime(d)) => format_time(&d),
        (ColumnType::DateTime, Value::Text(s)) => {
            parse_time(&s).map(|d| format_time(&d)).unwrap_or(s)
        }
        (ColumnType::Boolean, Value::Bool(b)) => if b { "1" } else { "0" }.into(),
        (ColumnType::Boolean, Value::Int(i)) => if i != 0 { "1" } else { "0" }.into(),
        (_, Value::Bool(b)) => if b { "1" } else { "0" }.into(),
        (_, Value::Int(i)) => i.to_string(),
        (_, Value::Float(f)) => f.to_string(),
        (_, Value::Text(s)) => s,
        (_, Value::DateTime(d)) => format_time(&d),
        (_, Value::Json(j)) => j.to_string(),
        (_, Value::Bytes(b)) => String::from_utf8_lossy(&b).into_owned(),
    }
}

/// Whether a snapshot cell and a table cell hold the same value: JSON columns compare as
/// JSON (databases reorder and respace it), floats as numbers, the rest as text.
fn same_cell(c: &Column, want: &str, got: &str, nullable: bool) -> bool {
    if want == got {
        return true;
    }
    let null = |s: &str| if nullable { s == "NULL" } else { s.is_empty() };
    if null(want) || null(got) {
        return false;
    }
    match c.column_type {
        ColumnType::Object | ColumnType::Array(_) => {
            let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).ok();
            matches!((parse(want), parse(got)), (Some(a), Some(b)) if a == b)
        }
        ColumnType::Float => {
            matches!((want.parse::<f64>(), got.parse::<f64>()), (Ok(a), Ok(b)) if a == b)
        }
        ColumnType::DateTime => {
            matches!((parse_time(want), parse_time(got)), (Some(a), Some(b)) if format_time(&a) == format_time(&b))
        }
        _ => false,
    }
}

/// A CSV cell as a value of column `c`.
fn parse_cell(c: &Column, cell: &str, nullable: bool) -> Result<Value, String> {
    let is_null = if nullable {
        cell == "NULL"
    } else {
        cell.is_empty()
    };
    if is_null {
        return Ok(Value::Null);
    }
    let bad = |what: &str| format!("{cell:?} is not {what}");
    Ok(match c.column_type {
        ColumnType::Integer => Value::Int(cell.parse().map_err(|_| bad("an integer"))?),
        ColumnType::Float => Value::Float(cell.parse().map_err(|_| bad("a number"))?),
        ColumnType::Boolean => Value::Bool(match cell {
            "1" | "true" | "TRUE" | "True" => true,
            "0" | "false" | "FALSE" | "False" => false,
            _ => return Err(bad("a boolean (1/0)")),
        }),
        ColumnType::DateTime => {
            Value::DateTime(parse_time(cell).ok_or_else(|| bad("a timestamp"))?)
        }
        ColumnType::Object | ColumnType::Array(_) => {
            Value::Json(serde_json::from_str(cell).map_err(|_| bad("JSON"))?)
        }
        ColumnType::Bytes => Value::Bytes(cell.as_bytes().to_vec()),
        ColumnType::String | ColumnType::Secret | ColumnType::Enum(_) => {
            Value::Text(cell.to_string())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_devlake_writes_them() {
        let d = parse_time("2023-02-25T06:22:32.8097789Z").unwrap();
        assert_eq!(format_time(&d), "2023-02-25T06:22:32.809+00:00");
        let c = Column::new("t", "t", ColumnType::DateTime);
        assert_eq!(
            format_value(&c, Value::Text("2023-02-25 06:22:32.809".into()), false),
            "2023-02-25T06:22:32.809+00:00"
        );
    }

    #[test]
    fn null_is_empty_or_the_word_null() {
        let c = Column::new("s", "s", ColumnType::String);
        assert_eq!(format_value(&c, Value::Null, false), "");
        assert_eq!(format_value(&c, Value::Null, true), "NULL");
        assert_eq!(parse_cell(&c, "", false).unwrap(), Value::Null);
        assert_eq!(
            parse_cell(&c, "", true).unwrap(),
            Value::Text(String::new())
        );
        assert_eq!(parse_cell(&c, "NULL", true).unwrap(), Value::Null);
    }

    #[test]
    fn json_cells_compare_as_json_and_floats_as_numbers() {
        let j = Column::new("j", "j", ColumnType::Object);
        assert!(same_cell(
            &j,
            r#"{"a":1,"b":2}"#,
            r#"{"b": 2, "a": 1}"#,
            false
        ));
        assert!(!same_cell(&j, r#"{"a":1}"#, r#"{"a":2}"#, false));
        let f = Column::new("f", "f", ColumnType::Float);
        assert!(same_cell(&f, "6", "6.0", false));
        let s = Column::new("s", "s", ColumnType::String);
        assert!(!same_cell(&s, "a", "", false));
    }

    #[test]
    fn booleans_are_one_and_zero() {
        let b = Column::new("b", "b", ColumnType::Boolean);
        assert_eq!(format_value(&b, Value::Int(1), false), "1");
        assert_eq!(format_value(&b, Value::Bool(false), false), "0");
        assert_eq!(parse_cell(&b, "1", false).unwrap(), Value::Bool(true));
        assert!(parse_cell(&b, "yes", false)
            .unwrap_err()
            .contains("boolean"));
    }
}
