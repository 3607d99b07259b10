//! The subtask runners: what `collect`, `extract` and `convert` do around a stream.

use super::layout::{Layout, Origin};
use super::sink::{RawSink, RawTarget, RAW_COLUMNS};
use super::{Context, DomainSink, ErasedStream, Progress, Stream, Substream};
use crate::db::ddl::{ensure_raw_table, ensure_table};
use crate::db::write::{InsertPlan, OnConflict};
use crate::db::{Db, Dialect};
use crate::model::{columns::raw_origin_columns, Model, ModelDescriptor, Value};
use crate::plugin::Plugin;
use crate::{Error, Result};
use futures::StreamExt;
use serde_json::{json, Value as Json};

/// Rows read per page.
const PAGE: usize = 1000;

/// pydevlake's subtask-run table, extended with `scope_id` so incremental state is per
/// scope; rows written by pydevlake (no `scope_id`) are still read.
pub const SUBTASK_RUNS_TABLE: &str = "_pydevlake_subtask_runs";

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

/// `_raw_<plugin>_<stream>`.
pub fn raw_table_name(plugin: &str, stream: &str) -> String {
    format!("_raw_{plugin}_{stream}")
}

fn p(d: Dialect, n: usize) -> String {
    d.placeholder(n)
}

/// Creates the tables a subtask needs (outside its transaction: MySQL commits on DDL).
pub(crate) async fn prepare<P: Plugin, S: Stream<P>>(
    stream: &S,
    verb: Verb,
    ctx: &Context<P>,
    db: &mut Db,
) -> Result<()> {
    let raw = raw_table_name(&ctx.plugin_name, &stream.name());
    match verb {
        Verb::Collect => ensure_raw_table(db, &raw).await?,
        Verb::Extract => {
            ensure_raw_table(db, &raw).await?;
            let d = S::ToolModel::descriptor();
            ensure_table(db, d.table, &d.columns()).await?;
            analyze(db, &raw).await?;
        }
        Verb::Convert => {
            let d = S::ToolModel::descriptor();
            ensure_table(db, d.table, &d.columns()).await?;
            for m in stream.domain_models() {
                ensure_table(db, m.table, &m.columns()).await?;
            }
            analyze(db, d.table).await?;
        }
    }
    Ok(())
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
        analyze(db, parent.table).await?;
    }
    Ok(())
}

/// Refreshes the statistics of a table a subtask is about to page through. The previous
/// subtask has just filled it, and without statistics PostgreSQL and MariaDB scan and sort
/// the scope's rows for every page (measured: a late page of 100k rows 65 ms instead of
/// 0.6 ms), which makes paging quadratic. SQLite picks the key index without them. Runs
/// outside the transaction: MySQL's `ANALYZE TABLE` commits implicitly.
pub(crate) async fn analyze(db: &mut Db, table: &str) -> Result<()> {
    let sql = match db.dialect() {
        Dialect::Sqlite => return Ok(()),
        Dialect::MySql => format!("ANALYZE TABLE {}", db.quote(table)),
        Dialect::Postgres => format!("ANALYZE {}", db.quote(table)),
    };
    db.execute_raw(&sql).await?;
    Ok(())
}

pub(crate) async fn collect<P: Plugin, S: Stream<P>>(
    stream: &S,
    ctx: &Context<P>,
    db: &mut Db,
    progress: &mut Progress,
) -> Result<Option<Json>> {
    let raw = raw_table_name(&ctx.plugin_name, &stream.name());
    let params = ctx.raw_data_params();
    if !ctx.incremental() {
        let sql = format!(
            "DELETE FROM {} WHERE params = {}",
            db.quote(&raw),
            p(db.dialect(), 1)
        );
        db.execute(&sql, vec![Value::Text(params.clone())]).await?;
    }
    let plan = InsertPlan::new(db.dialect(), &raw, RAW_COLUMNS.to_vec(), OnConflict::Error);
    let mut sink = RawSink::writing(RawTarget { db, progress, plan }, params);
    stream.collect(ctx, &mut sink).await?;
    sink.flush().await?;
    Ok(sink.into_state())
}

pub(crate) async fn collect_substream<P: Plugin, S: Substream<P>>(
    stream: &S,
    ctx: &Context<P>,
    db: &mut Db,
    progress: &mut Progress,
) -> Result<Option<Json>> {
    let raw = raw_table_name(&ctx.plugin_name, &stream.name());
    let params = ctx.raw_data_params();
    let dialect = db.dialect();
    if !ctx.incremental() {
        let sql = format!(
            "DELETE FROM {} WHERE params = {}",
            db.quote(&raw),
            p(dialect, 1)
        );
        db.execute(&sql, vec![Value::Text(params.clone())]).await?;
    }
    let parent_desc = <S::Parent as Stream<P>>::ToolModel::descriptor();
    let mut pager = ToolPager::new(parent_desc, dialect, ctx.connection_id(), params.clone())?;
    let mut pending: Vec<Vec<Value>> = Vec::new();
    let mut state = None;
    let plan = InsertPlan::new(dialect, &raw, RAW_COLUMNS.to_vec(), OnConflict::Error);
    let mut sink = RawSink::writing(RawTarget { db, progress, plan }, params.clone());
    loop {
        // Read one page of parents, then release the connection to fetch their children.
        let page: Vec<(Origin, <S::Parent as Stream<P>>::ToolModel)> = {
            let db = sink.db();
            pager.next_page(db).await?
        };
        if page.is_empty() {
            break;
        }
        let limit = stream.concurrency().max(1);
        let mut results = futures::stream::iter(page.iter())
            .map(|(_, parent)| {
                let params = params.clone();
                async move {
                    let mut buf = RawSink::buffer(params);
                    stream.collect_for(parent, ctx, &mut buf).await.map(|_| buf)
                }
            })
            .buffer_unordered(limit);
        while let Some(buf) = results.next().await {
            let (rows, s) = buf?.take();
            if s.is_some() {
                state = s;
            }
            pending.extend(rows);
            if pending.len() >= super::BATCH_ROWS {
                sink.append(std::mem::take(&mut pending), None);
                sink.flush().await?;
            }
        }
    }
    sink.append(pending, state);
    sink.flush().await?;
    Ok(sink.into_state())
}

pub(crate) async fn extract<P: Plugin, S: Stream<P>>(
    stream: &S,
    ctx: &Context<P>,
    db: &mut Db,
    progress: &mut Progress,
) -> Result<Option<Json>> {
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
        let sql = format!(
            "DELETE FROM {} WHERE {} = {} AND {} = {}",
            db.quote(desc.table),
            db.quote("_raw_data_table"),
            p(dialect, 1),
            db.quote("_raw_data_params"),
            p(dialect, 2)
        );
        db.execute(
            &sql,
            vec![Value::Text(raw.clone()), Value::Text(params.clone())],
        )
        .await?;
    }
    let sql = format!(
        "SELECT {id}, {data} FROM {t} WHERE {params} = {p1} AND {id} > {p2} ORDER BY {id} LIMIT {PAGE}",
        id = db.quote("id"),
        data = db.quote("data"),
        t = db.quote(&raw),
        params = db.quote("params"),
        p1 = p(dialect, 1),
        p2 = p(dialect, 2)
    );
    let connection_id = ctx.connection_id();
    loop {
        let page = db
            .fetch_all(&sql, vec![Value::Text(params.clone()), Value::Int(last_id)])
            .await?;
        if page.is_empty() {
            break;
        }
        let now = chrono::Utc::now();
        let n = page.len();
        let mut rows = Vec::with_capacity(n);
        for mut r in page {
            let data = r.pop().unwrap_or(Value::Null);
            let id = match r.pop() {
                Some(Value::Int(i)) => i,
                other => return Err(Error::msg(format!("{raw}: unexpected id {other:?}"))),
            };
            let json: Json = match data {
                Value::Bytes(b) => serde_json::from_slice(&b),
                Value::Text(s) => serde_json::from_str(&s),
                Value::Json(j) => Ok(j),
                _ => Ok(Json::Null),
            }
            .map_err(|e| Error::msg(format!("{raw} row {id}: data is not JSON: {e}")))?;
            let tool = stream
                .extract(&json, ctx)
                .map_err(|e| Error::msg(format!("extracting {raw} row {id}: {e}")))?;
            let origin = Origin {
                params: Some(params.clone()),
                table: Some(raw.clone()),
                id: Some(id),
                remark: None,
            };
            rows.push(layout.row(&tool, connection_id, &origin, now, None));
            last_id = id;
        }
        plan.write(db, rows).await?;
        progress.add(n as u64);
    }
    Ok(Some(json!({ "last_raw_id": last_id })))
}

pub(crate) async fn convert<P: Plugin, S: Stream<P>>(
    stream: &S,
    ctx: &Context<P>,
    db: &mut Db,
    progress: &mut Progress,
) -> Result<Option<Json>> {
    let dialect = db.dialect();
    let name = stream.name();
    let raw = raw_table_name(&ctx.plugin_name, &name);
    let params = ctx.raw_data_params();
    let models = stream.domain_models();
    if !ctx.incremental() {
        // A few DevLake tables (`commits_diffs`, `ref_commits`, ...) carry no raw-data
        // origin, so there is nothing to scope a delete by.
        for m in models
            .iter()
            .filter(|m| m.columns().iter().any(|c| c.name == "_raw_data_params"))
        {
            let sql = format!(
                "DELETE FROM {} WHERE {} = {} AND {} = {}",
                db.quote(m.table),
                db.quote("_raw_data_table"),
                p(dialect, 1),
                db.quote("_raw_data_params"),
                p(dialect, 2)
            );
            db.execute(
                &sql,
                vec![Value::Text(raw.clone()), Value::Text(params.clone())],
            )
            .await?;
        }
    }
    let desc = S::ToolModel::descriptor();
    let mut pager = ToolPager::new(desc, dialect, ctx.connection_id(), params)?;
    let mut sink = DomainSink::new(dialect, &name, ctx.connection_id(), &models);
    loop {
        let page: Vec<(Origin, S::ToolModel)> = pager.next_page(db).await?;
        if page.is_empty() {
            break;
        }
        let n = page.len();
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
    Ok(Some(json!({})))
}

/// Reads a tool table's rows of one connection and scope in primary-key pages.
struct ToolPager {
    sql_first: String,
    sql_next: String,
    params: Vec<Value>,
    key_idx: Vec<usize>,
    last: Option<Vec<Value>>,
    done: bool,
}

impl ToolPager {
    fn new(
        desc: &'static ModelDescriptor,
        dialect: Dialect,
        connection_id: i64,
        raw_params: String,
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
        let base = format!(
            "SELECT {} FROM {} WHERE {} = {} AND {} = {}",
            cols.join(", "),
            q(desc.table),
            q("connection_id"),
            dialect.placeholder(1),
            q("_raw_data_params"),
            dialect.placeholder(2)
        );
        let order: Vec<String> = key.iter().map(|k| q(k)).collect();
        let tail = format!(" ORDER BY {} LIMIT {PAGE}", order.join(", "));
        let after = if key.len() == 1 {
            format!(" AND {} > {}", order[0], dialect.placeholder(3))
        } else {
            let ph: Vec<String> = (0..key.len()).map(|i| dialect.placeholder(3 + i)).collect();
            format!(" AND ({}) > ({})", order.join(", "), ph.join(", "))
        };
        let key_idx = desc
            .fields
            .iter()
            .enumerate()
            .filter(|(_, f)| f.primary_key)
            .map(|(i, _)| i + raw_origin_columns().len())
            .collect();
        Ok(ToolPager {
            sql_first: format!("{base}{tail}"),
            sql_next: format!("{base}{after}{tail}"),
            params: vec![Value::Int(connection_id), Value::Text(raw_params)],
            key_idx,
            last: None,
            done: false,
        })
    }

    async fn next_page<M: Model>(&mut self, db: &mut Db) -> Result<Vec<(Origin, M)>> {
        if self.done {
            return Ok(Vec::new());
        }
        let mut params = self.params.clone();
        let sql = match &self.last {
            None => &self.sql_first,
            Some(k) => {
                params.extend(k.iter().cloned());
                &self.sql_next
            }
        };
        let rows = db.fetch_all(sql, params).await?;
        if rows.len() < PAGE {
            self.done = true;
        }
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            self.last = Some(self.key_idx.iter().map(|&i| row[i].clone()).collect());
            let mut it = row.into_iter();
            let origin = Origin::from_values(&mut it);
            out.push((origin, M::from_values(&mut it)?));
        }
        Ok(out)
    }
}

async fn ensure_runs_table(db: &mut Db) -> Result<()> {
    let d = db.dialect();
    if !db.has_table(SUBTASK_RUNS_TABLE).await? {
        let (id, dt) = match d {
            Dialect::Sqlite => ("INTEGER PRIMARY KEY", "datetime"),
            Dialect::MySql => ("bigint NOT NULL AUTO_INCREMENT PRIMARY KEY", "datetime(3)"),
            Dialect::Postgres => ("bigserial PRIMARY KEY", "timestamptz"),
        };
        let q = |s: &str| d.quote(s);
        let sql = format!(
            "CREATE TABLE IF NOT EXISTS {} ({} text, {} {id}, {} varchar(255) NOT NULL, {} bigint NOT NULL, {} {dt} NOT NULL, {} {dt}, {} varchar(255))",
            q(SUBTASK_RUNS_TABLE),
            q("state"),
            q("id"),
            q("subtask_name"),
            q("connection_id"),
            q("started"),
            q("completed"),
            q("scope_id"),
        );
        db.execute_raw(&sql).await?;
    } else if !db.has_column(SUBTASK_RUNS_TABLE, "scope_id").await? {
        let sql = format!(
            "ALTER TABLE {} ADD COLUMN {} varchar(255)",
            d.quote(SUBTASK_RUNS_TABLE),
            d.quote("scope_id")
        );
        db.execute_raw(&sql).await?;
    }
    Ok(())
}

async fn last_state(
    db: &mut Db,
    subtask: &str,
    connection_id: i64,
    scope_id: &str,
) -> Result<Option<Json>> {
    let d = db.dialect();
    let q = |s: &str| d.quote(s);
    let sql = format!(
        "SELECT {} FROM {} WHERE {} = {} AND {} = {} AND ({} = {} OR {} IS NULL) AND {} IS NOT NULL ORDER BY {} DESC LIMIT 1",
        q("state"),
        q(SUBTASK_RUNS_TABLE),
        q("subtask_name"),
        p(d, 1),
        q("connection_id"),
        p(d, 2),
        q("scope_id"),
        p(d, 3),
        q("scope_id"),
        q("completed"),
        q("id"),
    );
    let rows = db
        .fetch_all(
            &sql,
            vec![
                Value::Text(subtask.into()),
                Value::Int(connection_id),
                Value::Text(scope_id.into()),
            ],
        )
        .await?;
    Ok(
        match rows.into_iter().next().and_then(|r| r.into_iter().next()) {
            Some(Value::Text(s)) => serde_json::from_str(&s).ok(),
            Some(Value::Bytes(b)) => serde_json::from_slice(&b).ok(),
            _ => None,
        },
    )
}

/// Runs one subtask of a stream: creates what it needs, records the run, runs the
/// stream's part in one transaction, then saves the state.
pub(crate) async fn run_subtask<P: Plugin>(
    stream: &dyn ErasedStream<P>,
    verb: Verb,
    ctx: &mut Context<P>,
    db: &mut Db,
    progress: &mut Progress,
) -> Result<()> {
    let name = verb.subtask_name(&stream.name());
    ensure_runs_table(db).await?;
    if ctx.incremental() {
        ctx.state = last_state(db, &name, ctx.connection_id(), &ctx.scope.id).await?;
    }
    stream.prepare(verb, ctx, db).await?;
    let d = db.dialect();
    let started = chrono::Utc::now();
    let insert = format!(
        "INSERT INTO {} ({}, {}, {}, {}) VALUES ({}, {}, {}, {})",
        d.quote(SUBTASK_RUNS_TABLE),
        d.quote("subtask_name"),
        d.quote("connection_id"),
        d.quote("started"),
        d.quote("scope_id"),
        p(d, 1),
        p(d, 2),
        p(d, 3),
        p(d, 4)
    );
    let key = vec![
        Value::Text(name.clone()),
        Value::Int(ctx.connection_id()),
        Value::DateTime(started),
        Value::Text(ctx.scope.id.clone()),
    ];
    db.execute(&insert, key.clone()).await?;
    let find = format!(
        "SELECT MAX({}) FROM {} WHERE {} = {} AND {} = {}",
        d.quote("id"),
        d.quote(SUBTASK_RUNS_TABLE),
        d.quote("subtask_name"),
        p(d, 1),
        d.quote("connection_id"),
        p(d, 2)
    );
    let run_id = match db
        .fetch_all(&find, key[..2].to_vec())
        .await?
        .first()
        .and_then(|r| r.first())
    {
        Some(Value::Int(i)) => *i,
        other => {
            return Err(Error::msg(format!(
                "cannot read the subtask run id: {other:?}"
            )))
        }
    };

    db.begin().await?;
    let ctx_ref: &Context<P> = ctx;
    let result = stream.body(verb, ctx_ref, db, progress).await;
    let state = match result {
        Ok(state) => {
            db.commit().await?;
            state
        }
        Err(e) => {
            db.rollback().await?;
            return Err(e);
        }
    };
    progress.finish();
    let update = format!(
        "UPDATE {} SET {} = {}, {} = {} WHERE {} = {}",
        d.quote(SUBTASK_RUNS_TABLE),
        d.quote("completed"),
        p(d, 1),
        d.quote("state"),
        p(d, 2),
        d.quote("id"),
        p(d, 3)
    );
    let state_text = serde_json::to_string(&state.unwrap_or_else(|| json!({})))?;
    db.execute_typed(
        &update,
        vec![
            Value::DateTime(chrono::Utc::now()),
            Value::Text(state_text),
            Value::Int(run_id),
        ],
        Some(&[
            crate::model::ColumnType::DateTime,
            crate::model::ColumnType::String,
            crate::model::ColumnType::Integer,
        ]),
    )
    .await?;
    Ok(())
}
