//! The subtask runners: what `collect`, `extract` and `convert` do around a stream.

use super::layout::{Layout, Origin};
use super::sink::{RawSink, RawTarget, RAW_COLUMNS};
use super::{Context, DomainSink, ErasedStream, Progress, Stream, Substream};
use crate::db::ddl::{create_index, ensure_raw_table, ensure_table, raw_table_sql};
use crate::db::lock::{run_key, DdlLock, RunLock};
use crate::db::write::{InsertPlan, OnConflict};
use crate::db::{Db, Dialect};
use crate::model::{columns::raw_origin_columns, Model, ModelDescriptor, Value};
use crate::plugin::Plugin;
use crate::{Error, Result};
use futures::StreamExt;
use serde_json::{json, Value as Json};
use std::sync::atomic::Ordering::Relaxed;

use super::pages::{KeysetPages, KeysetQuery, PAGE};

/// pydevlake's subtask-run table, extended with `scope_id` and `plugin` so incremental state
/// is per plugin, connection, scope and subtask.
///
/// Rows without a `plugin` or `scope_id` (written by pydevlake, or by earlier versions of
/// this runtime) cannot be told apart between plugins and scopes, so they are never read as
/// state: the first incremental run after an upgrade starts from scratch, as a first run
/// does, instead of resuming from whichever scope wrote the row.
pub const SUBTASK_RUNS_TABLE: &str = "_pydevlake_subtask_runs";

/// Attempts of a transaction that a deadlock (MySQL 1213, PostgreSQL 40P01) or a
/// serialization failure aborted; the database already rolled it back.
const TX_ATTEMPTS: usize = 3;

/// The three subtasks of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verb {
    /// Fetch raw records.
    Collect,
    /// Raw records to tool rows.
    Extract,
    /// Tool rows to domain rows.
    Convert,
}

impl Verb {
    /// All three, in run order.
    pub const ALL: [Verb; 3] = [Verb::Collect, Verb::Extract, Verb::Convert];

    /// The protocol method (`collect`, `extract`, `convert`).
    pub fn entry_point(&self) -> &'static str {
        match self {
            Verb::Collect => "collect",
            Verb::Extract => "extract",
            Verb::Convert => "convert",
        }
    }

    /// `Collect`, `Extract`, `Convert`.
    pub fn title(&self) -> &'static str {
        match self {
            Verb::Collect => "Collect",
            Verb::Extract => "Extract",
            Verb::Convert => "Convert",
        }
    }

    /// `"<Verb> <Stream>"` with the stream name capitalized, as pydevlake names subtasks.
    pub fn subtask_name(&self, stream: &str) -> String {
        let mut chars = stream.chars();
        let cap: String = match chars.next() {
            Some(c) => c.to_uppercase().chain(chars).collect(),
            None => String::new(),
        };
        format!("{} {}", self.title(), cap)
    }

    /// Parses a protocol method.
    pub fn from_entry_point(s: &str) -> Option<Verb> {
        Verb::ALL.into_iter().find(|v| v.entry_point() == s)
    }
}

/// What a subtask's body leaves for the next incremental run of the same subtask.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// The free-form state (the collector's [`RawSink::set_state`]; extract's raw id).
    pub state: Option<Json>,
    /// The highest `_raw_data_id` of the rows this run read (convert: its tool rows;
    /// a substream's collect: its parents); the next incremental run reads only rows
    /// above it, which are the ones an extract has written since.
    pub watermark: Option<i64>,
}

impl Outcome {
    fn state(state: Option<Json>) -> Self {
        Outcome {
            state,
            watermark: None,
        }
    }
}

/// `_raw_<plugin>_<stream>`.
pub fn raw_table_name(plugin: &str, stream: &str) -> String {
    format!("_raw_{plugin}_{stream}")
}

fn p(d: Dialect, n: usize) -> String {
    d.placeholder(n)
}

/// The `params` under which earlier versions of this runtime wrote a collect's raw rows
/// until it succeeded (`{"ConnectionId":..}` never starts so). A run killed before its swap
/// left them behind; the next collect of the scope still deletes them.
pub(crate) fn pending_params(params: &str) -> String {
    use sha2::{Digest, Sha256};
    let h: String = Sha256::digest(params.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("pending:{h}")
}

/// MySQL and SQLite: the connection's temporary table a collect writes into until it
/// succeeds (see [`collect_and_swap`]). No other session sees it, writing it takes no lock
/// others wait for, and it is gone with the connection.
const COLLECTED_TABLE: &str = "_devlake_collected";

/// The table a collect's [`RawSink`] writes: [`COLLECTED_TABLE`], or on PostgreSQL the raw
/// table itself, inside the collect's one transaction.
fn collect_table(dialect: Dialect, raw: &str) -> String {
    match dialect {
        Dialect::Postgres => raw.to_string(),
        _ => COLLECTED_TABLE.to_string(),
    }
}

/// Creates the tables a subtask needs (outside its transaction: MySQL commits on DDL).
pub(crate) async fn prepare<P: Plugin, S: Stream<P>>(
    stream: &S,
    verb: Verb,
    ctx: &Context<P>,
    db: &mut Db,
) -> Result<()> {
    let raw = raw_table_name(&ctx.plugin_name, &stream.name());
    let stale = !statistics_are_current(ctx);
    match verb {
        Verb::Collect => ensure_raw_table(db, &raw).await?,
        Verb::Extract => {
            ensure_raw_table(db, &raw).await?;
            let d = S::ToolModel::descriptor();
            ensure_table(db, d.table, &d.columns()).await?;
            if stale {
                analyze(db, &raw, &["params", "id"]).await?;
            }
        }
        Verb::Convert => {
            let d = S::ToolModel::descriptor();
            ensure_table(db, d.table, &d.columns()).await?;
            for m in stream.domain_models() {
                ensure_table(db, m.table, &m.columns()).await?;
            }
            create_index(db, d.table, "_raw_data_id").await?;
            if stale {
                analyze(db, d.table, &paged_columns(d)).await?;
            }
        }
    }
    Ok(())
}

/// Whether the tables a subtask pages through still have the statistics its last
/// successful run refreshed: on an incremental run after one, the subtask reads only the
/// rows above its watermark (an indexed range), so a new `ANALYZE` (measured: 110-125 ms
/// per 100k-row table on PostgreSQL, most of a 1% incremental extract) buys nothing; the
/// servers' own auto-analyze follows the table as it grows.
fn statistics_are_current<P: Plugin>(ctx: &Context<P>) -> bool {
    resume_after(ctx).is_some()
}

/// The raw id an incremental run resumes after: its last successful run's watermark
/// (`None` on a full or first run, which reads everything).
fn resume_after<P: Plugin>(ctx: &Context<P>) -> Option<i64> {
    ctx.incremental().then_some(ctx.watermark).flatten()
}

/// [`prepare`] for a substream's collect: also the parent's tool table it pages through.
pub(crate) async fn prepare_substream<P: Plugin, S: Substream<P>>(
    stream: &S,
    verb: Verb,
    ctx: &Context<P>,
    db: &mut Db,
) -> Result<()> {
    prepare(stream, verb, ctx, db).await?;
    if verb == Verb::Collect {
        let parent = <S::Parent as Stream<P>>::ToolModel::descriptor();
        ensure_table(db, parent.table, &parent.columns()).await?;
        create_index(db, parent.table, "_raw_data_id").await?;
        if !statistics_are_current(ctx) {
            analyze(db, parent.table, &paged_columns(parent)).await?;
        }
    }
    Ok(())
}

/// The columns a [`ToolPager`] filters and sorts a tool table's rows on.
fn paged_columns(desc: &ModelDescriptor) -> Vec<&'static str> {
    let mut columns = vec!["connection_id", "_raw_data_params", "_raw_data_id"];
    for f in desc.fields.iter().filter(|f| f.primary_key) {
        if !columns.contains(&f.name) {
            columns.push(f.name);
        }
    }
    columns
}

/// Refreshes the statistics of a table a subtask is about to page through. The previous
/// subtask has just filled it, and without statistics PostgreSQL and MariaDB scan and sort
/// the scope's rows for every page (measured: a late page of 100k rows 65 ms instead of
/// 0.6 ms), which makes paging quadratic. SQLite picks the key index without them. Runs
/// outside the transaction: MySQL's `ANALYZE TABLE` commits implicitly.
///
/// PostgreSQL computes statistics of the `columns` the paging reads filter and sort on
/// only (measured on 100k rows: 44 ms instead of 68 ms for a tool table, 27 instead of 48
/// for a raw table); MariaDB's `ANALYZE TABLE` samples index pages and takes 10 ms.
pub(crate) async fn analyze(db: &mut Db, table: &str, columns: &[&str]) -> Result<()> {
    let sql = match db.dialect() {
        Dialect::Sqlite => return Ok(()),
        Dialect::MySql => format!("ANALYZE TABLE {}", db.quote(table)),
        Dialect::Postgres => {
            let list: Vec<String> = columns.iter().map(|c| db.quote(c)).collect();
            format!("ANALYZE {} ({})", db.quote(table), list.join(", "))
        }
    };
    db.execute_raw(&sql).await?;
    Ok(())
}

/// The sink a collect of `stream` writes its raw rows through: into [`collect_table`],
/// under the scope's params.
fn collect_sink<'a, P: Plugin>(
    ctx: &Context<P>,
    stream: &str,
    db: &'a mut Db,
    progress: &'a mut Progress,
) -> RawSink<'a> {
    let raw = raw_table_name(&ctx.plugin_name, stream);
    let table = collect_table(db.dialect(), &raw);
    let plan = InsertPlan::new(
        db.dialect(),
        &table,
        RAW_COLUMNS.to_vec(),
        OnConflict::Error,
    );
    RawSink::writing(RawTarget { db, progress, plan }, ctx.raw_data_params())
}

pub(crate) async fn collect<P: Plugin, S: Stream<P>>(
    stream: &S,
    ctx: &Context<P>,
    db: &mut Db,
    progress: &mut Progress,
) -> Result<Outcome> {
    let mut sink = collect_sink(ctx, &stream.name(), db, progress);
    stream.collect(ctx, &mut sink).await?;
    sink.flush().await?;
    Ok(Outcome::state(sink.into_state()))
}

/// A substream's collect: `collect_for` each parent of the scope, or on an incremental run
/// only the parents whose rows an extract wrote since the last successful run (the parent
/// stream's new and updated records: their `_raw_data_id` is above the run's watermark).
pub(crate) async fn collect_substream<P: Plugin, S: Substream<P>>(
    stream: &S,
    ctx: &Context<P>,
    db: &mut Db,
    progress: &mut Progress,
) -> Result<Outcome> {
    let params = ctx.raw_data_params();
    let dialect = db.dialect();
    let parent_desc = <S::Parent as Stream<P>>::ToolModel::descriptor();
    let after = resume_after(ctx);
    let mut watermark = after;
    let mut pager = ToolPager::new(
        parent_desc,
        dialect,
        ctx.connection_id(),
        params.clone(),
        after,
    )?;
    let mut pending_rows: Vec<Vec<Value>> = Vec::new();
    // The state of the last parent (in key order) that set one, whatever order the
    // concurrent fetches finish in.
    let mut state: Option<(usize, Json)> = None;
    let mut first = 0usize;
    let mut sink = collect_sink(ctx, &stream.name(), db, progress);
    loop {
        // Read one page of parents, then release the connection to fetch their children.
        let page: Vec<(Origin, <S::Parent as Stream<P>>::ToolModel)> = {
            let db = sink.db();
            pager.next_page(db).await?
        };
        if page.is_empty() {
            break;
        }
        watermark = page.iter().filter_map(|(o, _)| o.id).chain(watermark).max();
        let limit = stream.concurrency().max(1);
        let base = first;
        let mut results = futures::stream::iter(page.iter().enumerate())
            .map(|(i, (_, parent))| {
                let params = params.clone();
                async move {
                    let mut buf = RawSink::buffer(params);
                    stream
                        .collect_for(parent, ctx, &mut buf)
                        .await
                        .map(|_| (base + i, buf))
                }
            })
            .buffer_unordered(limit);
        while let Some(done) = results.next().await {
            let (index, mut buf) = done?;
            let (rows, s) = buf.take();
            if let Some(s) = s {
                if state.as_ref().is_none_or(|(i, _)| *i < index) {
                    state = Some((index, s));
                }
            }
            pending_rows.extend(rows);
            if pending_rows.len() >= super::BATCH_ROWS {
                sink.append(std::mem::take(&mut pending_rows), None);
                sink.flush().await?;
            }
        }
        drop(results);
        first += page.len();
    }
    sink.append(pending_rows, state.map(|(_, s)| s));
    sink.flush().await?;
    Ok(Outcome {
        state: sink.into_state(),
        watermark,
    })
}

pub(crate) async fn extract<P: Plugin, S: Stream<P>>(
    stream: &S,
    ctx: &Context<P>,
    db: &mut Db,
    progress: &mut Progress,
) -> Result<Outcome> {
    let dialect = db.dialect();
    let raw = raw_table_name(&ctx.plugin_name, &stream.name());
    let desc = S::ToolModel::descriptor();
    let layout = Layout::of(desc);
    let mut plan = InsertPlan::new(
        dialect,
        desc.table,
        layout.columns().to_vec(),
        OnConflict::Update,
    );
    let params = ctx.raw_data_params();
    let mut last_id: i64 = 0;
    if ctx.incremental() {
        last_id = ctx
            .state()
            .and_then(|s| s.get("last_raw_id"))
            .and_then(Json::as_i64)
            .unwrap_or(0);
    } else {
        delete_scope_rows(db, desc.table, &raw, &params).await?;
        if ctx.fresh_keys() {
            plan.assume_fresh_keys();
        }
    }
    let sql = format!(
        "SELECT {id}, {data}, {input} FROM {t} WHERE {params} AND {id} > {p2} ORDER BY {id} LIMIT {PAGE}",
        id = db.quote("id"),
        data = db.quote("data"),
        input = db.quote("input"),
        t = db.quote(&raw),
        params = dialect.exact_eq("params", 1),
        p2 = p(dialect, 2)
    );
    let connection_id = ctx.connection_id();
    // One origin for every row, its id set per row: the params and table are cloned once
    // per subtask, not twice per row.
    let mut origin = Origin {
        params: Some(params.clone()),
        table: Some(raw.clone()),
        id: None,
        remark: None,
    };
    let query = KeysetQuery {
        first: sql.clone(),
        next: sql,
        params: dialect.exact_params(Value::Text(params.clone())),
        key: vec![0],
    };
    let mut pages = KeysetPages::after(query, vec![Value::Int(last_id)]);
    loop {
        let page = pages.next(db).await?;
        if page.is_empty() {
            break;
        }
        let now = chrono::Utc::now();
        let n = page.len();
        let mut rows = Vec::with_capacity(n);
        for mut r in page {
            let input = r.pop().unwrap_or(Value::Null);
            let data = r.pop().unwrap_or(Value::Null);
            let id = match r.pop() {
                Some(Value::Int(i)) => i,
                other => return Err(Error::msg(format!("{raw}: unexpected id {other:?}"))),
            };
            let json = raw_json(data)
                .map_err(|e| Error::msg(format!("{raw} row {id}: data is not JSON: {e}")))?;
            // Rows stored without an input (NULL, or empty by other writers) have none.
            let input = match input {
                Value::Bytes(b) if b.is_empty() => Value::Null,
                Value::Text(s) if s.is_empty() => Value::Null,
                other => other,
            };
            let input = raw_json(input)
                .map_err(|e| Error::msg(format!("{raw} row {id}: input is not JSON: {e}")))?;
            ctx.set_input(Some(input));
            let tool = stream.extract(&json, ctx);
            ctx.set_input(None);
            let tool = tool.map_err(|e| Error::msg(format!("extracting {raw} row {id}: {e}")))?;
            origin.id = Some(id);
            rows.push(layout.row(&tool, connection_id, &origin, now, None));
            last_id = id;
        }
        plan.write(db, rows).await?;
        progress.add(n as u64);
    }
    Ok(Outcome::state(Some(json!({ "last_raw_id": last_id }))))
}

/// Converts the scope's tool rows; on an incremental run only those an extract wrote since
/// the last successful convert (`_raw_data_id` above its watermark, an indexed range).
pub(crate) async fn convert<P: Plugin, S: Stream<P>>(
    stream: &S,
    ctx: &Context<P>,
    db: &mut Db,
    progress: &mut Progress,
) -> Result<Outcome> {
    let dialect = db.dialect();
    let name = stream.name();
    let raw = raw_table_name(&ctx.plugin_name, &name);
    let params = ctx.raw_data_params();
    let models = stream.domain_models();
    if !ctx.incremental() {
        // A few DevLake tables (`commits_diffs`, `ref_commits`, ...) carry no raw-data
        // origin, so there is nothing to scope a delete by.
        for m in models.iter().filter(|m| has_raw_origin(m)) {
            delete_scope_rows(db, m.table, &raw, &params).await?;
        }
    }
    let desc = S::ToolModel::descriptor();
    let after = resume_after(ctx);
    let mut watermark = after;
    let mut pager = ToolPager::new(desc, dialect, ctx.connection_id(), params, after)?;
    let mut sink = DomainSink::new(dialect, &name, ctx.connection_id(), &models);
    if !ctx.incremental() && ctx.fresh_keys() {
        sink.assume_fresh_keys(has_raw_origin);
    }
    loop {
        let page: Vec<(Origin, S::ToolModel)> = pager.next_page(db).await?;
        if page.is_empty() {
            break;
        }
        let n = page.len();
        watermark = page.iter().filter_map(|(o, _)| o.id).chain(watermark).max();
        for (origin, tool) in page {
            let id = ctx.domain_id(&tool);
            sink.set_source(origin, id);
            stream.convert(&tool, ctx, &mut sink).map_err(|e| {
                Error::msg(format!(
                    "converting {} {:?}: {e}",
                    desc.name,
                    tool.primary_key()
                ))
            })?;
        }
        if sink.pending() > 0 {
            sink.flush(db).await?;
        }
        progress.add(n as u64);
    }
    if let Some(line) = sink.unmapped_summary() {
        tracing::warn!("{}: {line}", Verb::Convert.subtask_name(&name));
    }
    Ok(Outcome {
        state: Some(json!({})),
        watermark,
    })
}

/// Whether a model's rows carry their raw-data origin, by which a full convert deletes the
/// scope's previous rows.
fn has_raw_origin(m: &'static ModelDescriptor) -> bool {
    m.columns().iter().any(|c| c.name == "_raw_data_params")
}

/// A raw table's `data` or `input` column as JSON (`Null` when NULL).
fn raw_json(v: Value) -> serde_json::Result<Json> {
    match v {
        Value::Bytes(b) => serde_json::from_slice(&b),
        Value::Text(s) => serde_json::from_str(&s),
        Value::Json(j) => Ok(j),
        _ => Ok(Json::Null),
    }
}

/// Deletes a table's rows that came from one raw table and scope (a full run's start).
async fn delete_scope_rows(db: &mut Db, table: &str, raw: &str, params: &str) -> Result<()> {
    let d = db.dialect();
    let sql = format!(
        "DELETE FROM {} WHERE {} = {} AND {}",
        d.quote(table),
        d.quote("_raw_data_table"),
        p(d, 1),
        d.exact_eq("_raw_data_params", 2)
    );
    let mut args = vec![Value::Text(raw.to_string())];
    args.extend(d.exact_params(Value::Text(params.to_string())));
    db.execute(&sql, args).await?;
    Ok(())
}

/// Where `_raw_data_id` is among [`raw_origin_columns`] (params, table, id, remark).
const RAW_ID_COLUMN: usize = 2;

/// Reads a tool table's rows of one connection and scope in primary-key pages, or, given a
/// raw id, only the rows above it in `(_raw_data_id, primary key)` pages.
struct ToolPager {
    pages: KeysetPages,
}

impl ToolPager {
    fn new(
        desc: &'static ModelDescriptor,
        dialect: Dialect,
        connection_id: i64,
        raw_params: String,
        after_raw_id: Option<i64>,
    ) -> Result<Self> {
        let key: Vec<&str> = desc
            .fields
            .iter()
            .filter(|f| f.primary_key)
            .map(|f| f.name)
            .collect();
        if key.is_empty() {
            return Err(Error::msg(format!(
                "tool model {} has no #[devlake(primary_key)] field",
                desc.name
            )));
        }
        let q = |s: &str| dialect.quote(s);
        let cols: Vec<String> = raw_origin_columns()
            .iter()
            .map(|c| c.name)
            .chain(desc.fields.iter().map(|f| f.name))
            .map(q)
            .collect();
        // SQLite has no statistics (see `analyze`), and its planner takes any equality on
        // an indexed column as the most selective choice: the scope's `_raw_data_params`
        // index (every row of the scope) and a sort, 26 ms a page of an incremental convert
        // over 100k rows, against 2 ms through the `_raw_data_id` range. A unary `+` makes
        // a column unusable for an index in SQLite, so the range is the only one left.
        let unindexed = if after_raw_id.is_some() && dialect == Dialect::Sqlite {
            "+"
        } else {
            ""
        };
        let mut base = format!(
            "SELECT {} FROM {} WHERE {unindexed}{} = {} AND {unindexed}{}",
            cols.join(", "),
            q(desc.table),
            q("connection_id"),
            dialect.placeholder(1),
            dialect.exact_eq("_raw_data_params", 2)
        );
        // Placeholders are numbered (PostgreSQL): the next free one.
        let mut next = 3;
        let mut order: Vec<String> = Vec::new();
        let mut key_idx: Vec<usize> = Vec::new();
        if after_raw_id.is_some() {
            base.push_str(&format!(
                " AND {} > {}",
                q("_raw_data_id"),
                dialect.placeholder(next)
            ));
            next += 1;
            order.push(q("_raw_data_id"));
            key_idx.push(RAW_ID_COLUMN);
        }
        order.extend(key.iter().map(|k| q(k)));
        key_idx.extend(
            desc.fields
                .iter()
                .enumerate()
                .filter(|(_, f)| f.primary_key)
                .map(|(i, _)| i + raw_origin_columns().len()),
        );
        let tail = format!(" ORDER BY {} LIMIT {PAGE}", order.join(", "));
        let after = if order.len() == 1 {
            format!(" AND {} > {}", order[0], dialect.placeholder(next))
        } else {
            let ph: Vec<String> = (0..order.len())
                .map(|i| dialect.placeholder(next + i))
                .collect();
            format!(" AND ({}) > ({})", order.join(", "), ph.join(", "))
        };
        Ok(ToolPager {
            pages: KeysetPages::new(KeysetQuery {
                first: format!("{base}{tail}"),
                next: format!("{base}{after}{tail}"),
                params: std::iter::once(Value::Int(connection_id))
                    .chain(dialect.exact_params(Value::Text(raw_params)))
                    .chain(after_raw_id.map(Value::Int))
                    .collect(),
                key: key_idx,
            }),
        })
    }

    async fn next_page<M: Model>(&mut self, db: &mut Db) -> Result<Vec<(Origin, M)>> {
        let rows = self.pages.next(db).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut it = row.into_iter();
            let origin = Origin::from_values(&mut it);
            out.push((origin, M::from_values(&mut it)?));
        }
        Ok(out)
    }
}

async fn ensure_runs_table(db: &mut Db) -> Result<()> {
    let d = db.dialect();
    let q = |s: &str| d.quote(s);
    if !db.has_table(SUBTASK_RUNS_TABLE).await? {
        let (id, dt) = match d {
            Dialect::Sqlite => ("INTEGER PRIMARY KEY", "datetime"),
            Dialect::MySql => ("bigint NOT NULL AUTO_INCREMENT PRIMARY KEY", "datetime(3)"),
            Dialect::Postgres => ("bigserial PRIMARY KEY", "timestamptz"),
        };
        let sql = format!(
            "CREATE TABLE IF NOT EXISTS {} ({} text, {} {id}, {} varchar(255) NOT NULL, {} bigint NOT NULL, {} {dt} NOT NULL, {} {dt}, {} varchar(255), {} varchar(255), {} bigint)",
            q(SUBTASK_RUNS_TABLE),
            q("state"),
            q("id"),
            q("subtask_name"),
            q("connection_id"),
            q("started"),
            q("completed"),
            q("scope_id"),
            q("plugin"),
            q("watermark"),
        );
        db.execute_raw(&sql).await?;
    }
    for (column, ty) in [
        ("scope_id", "varchar(255)"),
        ("plugin", "varchar(255)"),
        ("watermark", "bigint"),
    ] {
        if !db.has_column(SUBTASK_RUNS_TABLE, column).await? {
            let sql = format!(
                "ALTER TABLE {} ADD COLUMN {} {ty}",
                q(SUBTASK_RUNS_TABLE),
                q(column)
            );
            // SQLite takes no DDL lock (see `DdlLock`): another process may have added
            // the column between the check and the change, which is as good.
            if let Err(e) = db.execute_raw(&sql).await {
                if !db.has_column(SUBTASK_RUNS_TABLE, column).await? {
                    return Err(e.into());
                }
            }
        }
    }
    Ok(())
}

/// Who a subtask run belongs to: its state is read and written under exactly this key.
struct RunKey<'a> {
    plugin: &'a str,
    subtask: &'a str,
    connection_id: i64,
    scope_id: &'a str,
}

/// What the last completed run of a subtask left: its state, when it started, and its
/// watermark (the highest raw id it has processed, see [`run_locked`]).
#[derive(Default)]
struct LastRun {
    state: Option<Json>,
    started: Option<crate::model::DateTime>,
    watermark: Option<i64>,
}

async fn last_run(db: &mut Db, key: &RunKey<'_>) -> Result<LastRun> {
    use crate::model::ColumnValue;
    let d = db.dialect();
    let q = |s: &str| d.quote(s);
    let sql = format!(
        "SELECT {}, {}, {} FROM {} WHERE {} AND {} AND {} = {} AND {} AND {} IS NOT NULL ORDER BY {} DESC LIMIT 1",
        q("state"),
        q("started"),
        q("watermark"),
        q(SUBTASK_RUNS_TABLE),
        d.exact_eq("plugin", 1),
        d.exact_eq("subtask_name", 2),
        q("connection_id"),
        p(d, 3),
        d.exact_eq("scope_id", 4),
        q("completed"),
        q("id"),
    );
    let mut args = d.exact_params(Value::Text(key.plugin.into()));
    args.extend(d.exact_params(Value::Text(key.subtask.into())));
    args.push(Value::Int(key.connection_id));
    args.extend(d.exact_params(Value::Text(key.scope_id.into())));
    let rows = db.fetch_all(&sql, args).await?;
    let Some(mut row) = rows.into_iter().next() else {
        return Ok(LastRun::default());
    };
    let watermark = match row.pop() {
        Some(Value::Int(i)) => Some(i),
        _ => None,
    };
    let started = row
        .pop()
        .and_then(|v| crate::model::DateTime::from_value(v).ok());
    let state = match row.pop() {
        Some(Value::Text(s)) => serde_json::from_str(&s).ok(),
        Some(Value::Bytes(b)) => serde_json::from_slice(&b).ok(),
        _ => None,
    };
    Ok(LastRun {
        state,
        started,
        watermark,
    })
}

/// Records a run's start; returns its id, read atomically on this connection (`RETURNING`,
/// MySQL's per-connection `LAST_INSERT_ID()`), never by looking for the newest row.
async fn start_run(db: &mut Db, key: &RunKey<'_>) -> Result<i64> {
    let d = db.dialect();
    let q = |s: &str| d.quote(s);
    let insert = format!(
        "INSERT INTO {} ({}, {}, {}, {}, {}) VALUES ({}, {}, {}, {}, {})",
        q(SUBTASK_RUNS_TABLE),
        q("subtask_name"),
        q("connection_id"),
        q("started"),
        q("scope_id"),
        q("plugin"),
        p(d, 1),
        p(d, 2),
        p(d, 3),
        p(d, 4),
        p(d, 5)
    );
    let args = vec![
        Value::Text(key.subtask.into()),
        Value::Int(key.connection_id),
        // Milliseconds (MySQL's `datetime(3)`), rounded down: what is read back as
        // `collected_since` is exactly what was stored, and never later than the start.
        Value::DateTime(chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 3)),
        Value::Text(key.scope_id.into()),
        Value::Text(key.plugin.into()),
    ];
    let rows = match d {
        Dialect::MySql => {
            db.execute(&insert, args).await?;
            db.fetch_all("SELECT CAST(LAST_INSERT_ID() AS SIGNED)", vec![])
                .await?
        }
        _ => {
            db.fetch_all(&format!("{insert} RETURNING {}", q("id")), args)
                .await?
        }
    };
    match rows.first().and_then(|r| r.first()) {
        Some(Value::Int(i)) => Ok(*i),
        other => Err(Error::msg(format!(
            "{SUBTASK_RUNS_TABLE}: cannot read the new run's id (got {other:?})"
        ))),
    }
}

/// Marks a run completed with its state; runs inside the subtask's final transaction, so
/// the data and the state commit together or not at all.
async fn complete_run(db: &mut Db, run_id: i64, outcome: &Outcome) -> Result<()> {
    let d = db.dialect();
    let update = format!(
        "UPDATE {} SET {} = {}, {} = {}, {} = {} WHERE {} = {}",
        d.quote(SUBTASK_RUNS_TABLE),
        d.quote("completed"),
        p(d, 1),
        d.quote("state"),
        p(d, 2),
        d.quote("watermark"),
        p(d, 3),
        d.quote("id"),
        p(d, 4)
    );
    let state_text = serde_json::to_string(outcome.state.as_ref().unwrap_or(&json!({})))?;
    let n = db
        .execute_typed(
            &update,
            vec![
                Value::DateTime(chrono::Utc::now()),
                Value::Text(state_text),
                outcome.watermark.map(Value::Int).unwrap_or(Value::Null),
                Value::Int(run_id),
            ],
            Some(&[
                crate::model::ColumnType::DateTime,
                crate::model::ColumnType::String,
                crate::model::ColumnType::Integer,
                crate::model::ColumnType::Integer,
            ]),
        )
        .await?;
    if n != 1 {
        return Err(Error::msg(format!(
            "{SUBTASK_RUNS_TABLE}: run {run_id} to complete is missing"
        )));
    }
    Ok(())
}

/// Whether a database error is a deadlock or serialization failure, after which the
/// database has rolled the transaction back and running it again is right.
fn is_retryable(e: &Error) -> bool {
    database_error(e).is_some_and(|db| {
        matches!(db.code().as_deref(), Some("40001") | Some("40P01"))
            || db.message().contains("Deadlock found")
    })
}

/// Whether a database error is a duplicate key (PostgreSQL 23505).
fn is_unique_violation(e: &Error) -> bool {
    database_error(e).is_some_and(|db| db.kind() == sqlx::error::ErrorKind::UniqueViolation)
}

/// The database's own error behind a failed statement, if that is what `e` is.
fn database_error(e: &Error) -> Option<&dyn sqlx::error::DatabaseError> {
    match e {
        Error::Db(crate::db::DbError::Query {
            source: sqlx::Error::Database(db),
            ..
        }) => Some(db.as_ref()),
        _ => None,
    }
}

/// Starts a transaction. On MySQL at READ COMMITTED: InnoDB's default REPEATABLE READ takes
/// gap locks for a `DELETE` that finds no rows, so the first runs of two new scopes into
/// the same table deadlock on their inserts.
async fn begin(db: &mut Db) -> Result<()> {
    if db.dialect() == Dialect::MySql {
        db.execute_raw("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            .await?;
    }
    db.begin().await?;
    Ok(())
}

/// Rolls back after `e`; a failing rollback (the connection is gone) is reported after the
/// original cause, never instead of it.
async fn rollback_after(db: &mut Db, e: Error) -> Error {
    match db.rollback().await {
        Ok(()) => e,
        Err(r) => Error::msg(format!("{e} (the rollback failed too: {r})")),
    }
}

/// Runs one subtask of a stream: creates what it needs, takes the run lock of its scope and
/// stream, records the run, runs the stream's part, and commits the data with the run's
/// state in one transaction.
pub(crate) async fn run_subtask<P: Plugin>(
    stream: &dyn ErasedStream<P>,
    verb: Verb,
    ctx: &mut Context<P>,
    db: &mut Db,
    progress: &mut Progress,
) -> Result<()> {
    let stream_name = stream.name();
    let lock_key = run_key(
        &ctx.plugin_name,
        ctx.connection_id(),
        &ctx.scope.id,
        &stream_name,
    );
    let Some(lock) = RunLock::try_acquire(db, &lock_key).await? else {
        return Err(Error::msg(format!(
            "another run of {} connection {} scope {} stream {} is in progress",
            ctx.plugin_name,
            ctx.connection_id(),
            ctx.scope.id,
            stream_name
        )));
    };
    let result = run_locked(stream, verb, ctx, db, progress).await;
    let released = lock.release(db).await;
    result?;
    if let Err(e) = released {
        // The session or process ending releases it as well.
        tracing::warn!("releasing the run lock: {e}");
    }
    Ok(())
}

async fn run_locked<P: Plugin>(
    stream: &dyn ErasedStream<P>,
    verb: Verb,
    ctx: &mut Context<P>,
    db: &mut Db,
    progress: &mut Progress,
) -> Result<()> {
    let name = verb.subtask_name(&stream.name());
    let plugin = ctx.plugin_name.clone();
    let scope_id = ctx.scope.id.clone();
    let key = RunKey {
        plugin: &plugin,
        subtask: &name,
        connection_id: ctx.connection_id(),
        scope_id: &scope_id,
    };
    // The last run is read before `prepare`, which skips refreshing statistics on an
    // incremental run that follows a successful one.
    let ddl = DdlLock::acquire(db).await?;
    let prepared = async {
        ensure_runs_table(db).await?;
        let last = if ctx.incremental() {
            last_run(db, &key).await?
        } else {
            LastRun::default()
        };
        ctx.state = last.state;
        ctx.collected_since = last.started;
        ctx.watermark = last.watermark;
        stream.prepare(verb, ctx, db).await
    }
    .await;
    let released = ddl.release(db).await;
    prepared?;
    released?;

    let run_id = start_run(db, &key).await?;
    let ctx_ref: &Context<P> = ctx;
    if verb == Verb::Collect {
        collect_and_swap(stream, ctx_ref, db, progress, run_id).await?;
    } else {
        let mut attempt = 1;
        ctx_ref.fresh_keys.store(!ctx_ref.incremental(), Relaxed);
        loop {
            begin(db).await?;
            let result = match stream.body(verb, ctx_ref, db, progress).await {
                Ok(outcome) => complete_run(db, run_id, &outcome).await,
                Err(e) => Err(e),
            };
            let result = match result {
                Ok(()) => db.commit().await.map_err(Error::from),
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => break,
                Err(e) if ctx_ref.fresh_keys() && is_unique_violation(&e) => {
                    // A key the scope's deleted rows did not hold: another scope's row, or
                    // a record the source gave twice. Upserts take it.
                    let e = rollback_after(db, e).await;
                    tracing::info!("{name}: {e}; writing again with upserts");
                    ctx_ref.fresh_keys.store(false, Relaxed);
                    progress.restart();
                }
                Err(e) if is_retryable(&e) && attempt < TX_ATTEMPTS => {
                    let e = rollback_after(db, e).await;
                    tracing::warn!("{name}: {e}; running it again ({attempt}/{TX_ATTEMPTS})");
                    progress.restart();
                    attempt += 1;
                }
                Err(e) => return Err(rollback_after(db, e).await),
            }
        }
    }
    progress.finish();
    Ok(())
}

/// A collect fetches over the network, and its rows replace the scope's previous ones only
/// when it succeeds: a failed (or killed) collect leaves the previous rows as they were and
/// none of its own. Meanwhile the previous rows stay readable and writable by others
/// (DevLake's server and other runs), and other scopes' runs are not held up.
///
/// - PostgreSQL: one transaction, writing the rows into the raw table. Other sessions never
///   see nor wait for rows another transaction inserted and has not committed, and the
///   previous rows are deleted only at its end (by id: all of them are older than the
///   run's own). A killed run's transaction is rolled back by the server.
/// - MySQL and SQLite: the rows go to [`COLLECTED_TABLE`], a temporary table of the
///   connection, which no other session sees or locks and which is gone with the
///   connection; one short final transaction moves them into the raw table ([`swap`]). A
///   transaction held through the collection would not do there: InnoDB's updates and
///   deletes of the scope's rows wait for the locks of rows inserted and not committed,
///   and SQLite has one writer at a time, so every other run would wait for the collect's
///   network.
///
/// Earlier versions wrote the rows into the raw table under [`pending_params`] and swapped
/// them in with an `UPDATE` of every row (measured on 100k records: 430 ms of a 930 ms
/// collect on SQLite, 365 ms of 970 ms on PostgreSQL, issue 17).
async fn collect_and_swap<P: Plugin>(
    stream: &dyn ErasedStream<P>,
    ctx: &Context<P>,
    db: &mut Db,
    progress: &mut Progress,
    run_id: i64,
) -> Result<()> {
    let d = db.dialect();
    let raw = raw_table_name(&ctx.plugin_name, &stream.name());
    let params = ctx.raw_data_params();
    // What a run of an earlier version killed before its swap left behind (runs of a
    // scope are serialized).
    let delete_pending = format!(
        "DELETE FROM {} WHERE {} = {}",
        d.quote(&raw),
        d.quote("params"),
        p(d, 1)
    );
    db.execute(&delete_pending, vec![Value::Text(pending_params(&params))])
        .await?;
    if d == Dialect::Postgres {
        return collect_in_one_transaction(stream, ctx, db, progress, run_id, &raw, &params).await;
    }
    let collected = d.quote(COLLECTED_TABLE);
    let drop = match d {
        Dialect::MySql => format!("DROP TEMPORARY TABLE IF EXISTS {collected}"),
        _ => format!("DROP TABLE IF EXISTS temp.{collected}"),
    };
    let create = raw_table_sql(d, COLLECTED_TABLE, true);
    // A collect that failed on this connection dropped its table, but a panic might not.
    db.execute_raw(&drop).await?;
    db.execute_raw(&create).await?;
    let result = match stream.body(Verb::Collect, ctx, db, progress).await {
        Ok(outcome) => swap(db, ctx.incremental(), &raw, &params, run_id, outcome).await,
        Err(e) => Err(e),
    };
    if let Err(c) = db.execute_raw(&drop).await {
        tracing::warn!("{raw}: dropping the collected rows: {c}");
    }
    result
}

/// PostgreSQL's collect (see [`collect_and_swap`]).
async fn collect_in_one_transaction<P: Plugin>(
    stream: &dyn ErasedStream<P>,
    ctx: &Context<P>,
    db: &mut Db,
    progress: &mut Progress,
    run_id: i64,
    raw: &str,
    params: &str,
) -> Result<()> {
    let d = db.dialect();
    begin(db).await?;
    let result = async {
        // Every previous row of the scope: ids only grow, and no other run of the scope
        // writes meanwhile.
        let newest = format!(
            "SELECT MAX({}) FROM {} WHERE {}",
            d.quote("id"),
            d.quote(raw),
            d.exact_eq("params", 1)
        );
        let rows = db
            .fetch_all(&newest, d.exact_params(Value::Text(params.to_string())))
            .await?;
        let previous = match rows.first().and_then(|r| r.first()) {
            Some(Value::Int(i)) => Some(*i),
            _ => None,
        };
        let outcome = stream.body(Verb::Collect, ctx, db, progress).await?;
        if let (false, Some(last)) = (ctx.incremental(), previous) {
            delete_scope_raw_rows(db, raw, params, Some(last)).await?;
        }
        complete_run(db, run_id, &outcome).await?;
        db.commit().await.map_err(Error::from)
    }
    .await;
    match result {
        Ok(()) => Ok(()),
        Err(e) => Err(rollback_after(db, e).await),
    }
}

/// Deletes a scope's rows of a raw table (a full collect replaces them), or only those up
/// to raw id `up_to`.
async fn delete_scope_raw_rows(
    db: &mut Db,
    raw: &str,
    params: &str,
    up_to: Option<i64>,
) -> Result<()> {
    let d = db.dialect();
    let mut sql = format!(
        "DELETE FROM {} WHERE {}",
        d.quote(raw),
        d.exact_eq("params", 1)
    );
    let mut args = d.exact_params(Value::Text(params.to_string()));
    if let Some(last) = up_to {
        sql.push_str(&format!(" AND {} <= {}", d.quote("id"), p(d, 2)));
        args.push(Value::Int(last));
    }
    db.execute(&sql, args).await?;
    Ok(())
}

/// The final transaction of a collect on MySQL and SQLite: the collected rows, in the order
/// they were collected, become the scope's rows (replacing the previous ones on a full run),
/// and the run is completed with its state.
async fn swap(
    db: &mut Db,
    incremental: bool,
    raw: &str,
    params: &str,
    run_id: i64,
    outcome: Outcome,
) -> Result<()> {
    let d = db.dialect();
    let columns: Vec<String> = RAW_COLUMNS.iter().map(|c| d.quote(c.name)).collect();
    let move_rows = format!(
        "INSERT INTO {} ({}) SELECT {} FROM {} ORDER BY {}",
        d.quote(raw),
        columns.join(", "),
        columns.join(", "),
        d.quote(COLLECTED_TABLE),
        d.quote("id"),
    );
    let mut attempt = 1;
    loop {
        begin(db).await?;
        let result = async {
            if !incremental {
                delete_scope_raw_rows(db, raw, params, None).await?;
            }
            db.execute_raw(&move_rows).await?;
            complete_run(db, run_id, &outcome).await?;
            db.commit().await.map_err(Error::from)
        }
        .await;
        match result {
            Ok(()) => return Ok(()),
            Err(e) if is_retryable(&e) && attempt < TX_ATTEMPTS => {
                let e = rollback_after(db, e).await;
                tracing::warn!("{raw}: {e}; swapping again ({attempt}/{TX_ATTEMPTS})");
                attempt += 1;
            }
            Err(e) => return Err(rollback_after(db, e).await),
        }
    }
}
