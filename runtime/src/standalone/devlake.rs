//! What DevLake's server would have recorded for a standalone run, so that DevLake shows
//! its data: the plugin's connection, scope config and scopes in the plugin's own tool
//! tables, the domain scopes (`cicd_scopes`, `repos`, `boards`, `cq_projects`) with the ids
//! `make-pipeline` gives DevLake, and, with a project, the `projects` row and one
//! `project_mapping` row per domain scope, as DevLake's blueprint (its `org` plugin's
//! `setProjectMapping`) records them. And the reverse: [`delete_scope`] removes what runs
//! wrote for a scope, as DevLake's "delete data" does for its plugins.
//!
//! Rows of other plugins are never touched: every write is an upsert of this plugin's own
//! keys, and every delete is bounded by this plugin's tables, raw tables and raw-data
//! params. Secrets are never stored: the connection's secret columns are left NULL, which
//! DevLake reads as empty (an empty string would not decrypt), and a connection row that
//! exists already (say, one made in DevLake's UI, with its encrypted token) is left as it is.

use crate::db::ddl::ensure_table;
use crate::db::lock::{run_key, RunLock};
use crate::db::write::{InsertPlan, OnConflict};
use crate::db::{Db, Dialect};
use crate::domain::{code::Repo, codequality::CqProject, devops::CicdScope, ticket::Board};
use crate::domain::{crossdomain::ProjectMapping, DomainScope};
use crate::model::{Column, ColumnType, DateTime, Model, ModelDescriptor, Value};
use crate::plugin::{raw_data_params, Plugin, Scope, ScopeConfig};
use crate::protocol::PluginHost;
use crate::stream::{raw_table_name, Layout, Origin, Verb};
use crate::{Error, Result};
use serde_json::{json, Value as Json};

use super::config::RunFile;

/// A DevLake project (`projects`), as `backend/core/models/project.go` declares it.
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "projects")]
pub struct Project {
    /// The project's name, its key everywhere in DevLake (`project_mapping.project_name`).
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub name: String,
    /// Free text.
    pub description: Option<String>,
}

/// The longest project name DevLake stores (`varchar(255)`).
const MAX_PROJECT_NAME: usize = 255;

/// Checks a project name from `--project` or the run file.
pub fn check_project_name(name: &str, at: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::input(format!("{at}: the project name is empty")));
    }
    if name.chars().count() > MAX_PROJECT_NAME {
        return Err(Error::input(format!(
            "{at}: the project name is longer than DevLake's {MAX_PROJECT_NAME} characters"
        )));
    }
    Ok(())
}

/// A kind of domain scope DevLake's server knows (`dynamic_domain_scopes.go`).
struct ScopeKind {
    /// The Go type name `make-pipeline` gives.
    type_name: &'static str,
    desc: &'static ModelDescriptor,
    /// Its row from `make-pipeline`'s JSON.
    row: fn(&Json, DateTime) -> Result<Vec<Value>>,
}

fn kind<M: DomainScope>() -> ScopeKind {
    ScopeKind {
        type_name: M::TYPE_NAME,
        desc: M::descriptor(),
        row: domain_scope_row::<M>,
    }
}

/// Every kind of domain scope, so every table one can live in.
fn scope_kinds() -> [ScopeKind; 4] {
    [
        kind::<CicdScope>(),
        kind::<Repo>(),
        kind::<Board>(),
        kind::<CqProject>(),
    ]
}

fn domain_scope_row<M: Model>(data: &Json, now: DateTime) -> Result<Vec<Value>> {
    let m = M::from_json(data).map_err(|e| Error::msg(format!("domain scope: {e}")))?;
    let text = |k: &str| data.get(k).and_then(Json::as_str).map(str::to_string);
    let origin = Origin {
        params: text("_raw_data_params"),
        table: text("_raw_data_table"),
        id: Some(0),
        remark: Some(String::new()),
    };
    Ok(Layout::of(M::descriptor()).row(&m, 0, &origin, now, None))
}

/// A tool-table row of `model` with the framework columns given by name in `set`, and
/// every secret column NULL.
fn tool_row<M: Model>(
    model: &M,
    connection_id: i64,
    origin: &Origin,
    now: DateTime,
    set: &[(&str, Value)],
) -> (Vec<Column>, Vec<Value>) {
    let layout = Layout::of(M::descriptor());
    let mut row = layout.row(model, connection_id, origin, now, None);
    for (c, v) in layout.columns().iter().zip(row.iter_mut()) {
        if c.column_type == ColumnType::Secret {
            *v = Value::Null;
        } else if let Some((_, x)) = set.iter().find(|(n, _)| *n == c.name) {
            *v = x.clone();
        }
    }
    (layout.columns().to_vec(), row)
}

async fn upsert(db: &mut Db, table: &str, columns: Vec<Column>, row: Vec<Value>) -> Result<()> {
    InsertPlan::new(db.dialect(), table, columns, OnConflict::Update)
        .write(db, vec![row])
        .await?;
    Ok(())
}

/// Inserts a row unless its key exists (rows DevLake's UI may own are left as they are).
async fn insert_missing(
    db: &mut Db,
    table: &str,
    key: &[(&str, Value)],
    columns: Vec<Column>,
    row: Vec<Value>,
) -> Result<bool> {
    if exists(db, table, key).await? {
        return Ok(false);
    }
    InsertPlan::new(db.dialect(), table, columns, OnConflict::Error)
        .write(db, vec![row])
        .await?;
    Ok(true)
}

fn where_clause(d: Dialect, key: &[(&str, Value)], first: usize) -> String {
    key.iter()
        .enumerate()
        .map(|(i, (c, _))| format!("{} = {}", d.quote(c), d.placeholder(first + i)))
        .collect::<Vec<_>>()
        .join(" AND ")
}

async fn exists(db: &mut Db, table: &str, key: &[(&str, Value)]) -> Result<bool> {
    let d = db.dialect();
    let sql = format!(
        "SELECT 1 FROM {} WHERE {}",
        d.quote(table),
        where_clause(d, key, 1)
    );
    let params = key.iter().map(|(_, v)| v.clone()).collect();
    Ok(!db.fetch_all(&sql, params).await?.is_empty())
}

/// The scope config's id: the run file's `id`, else the id of the row with its name (DevLake
/// keeps scope-config names unique), else one past the largest.
async fn scope_config_id(
    db: &mut Db,
    table: &str,
    config: &ScopeConfig<impl Model>,
    connection_id: i64,
) -> Result<i64> {
    if let Some(id) = config.id {
        return Ok(id);
    }
    let d = db.dialect();
    let sql = format!(
        "SELECT {}, {} FROM {} WHERE {} = {}",
        d.quote("id"),
        d.quote("connection_id"),
        d.quote(table),
        d.quote("name"),
        d.placeholder(1)
    );
    let rows = db
        .fetch_all(&sql, vec![Value::Text(config.name.clone())])
        .await?;
    if let Some(r) = rows.first() {
        let id = int(&r[0]).unwrap_or(0);
        let owner = int(&r[1]);
        if owner.is_some_and(|o| o != connection_id) {
            return Err(Error::input(format!(
                "[scope_config]: the name {:?} belongs to a scope config of connection {} in {table}; give this one another `name` or its `id`",
                config.name,
                owner.unwrap_or(0)
            )));
        }
        return Ok(id);
    }
    let sql = format!("SELECT MAX({}) FROM {}", d.quote("id"), d.quote(table));
    let max = db
        .fetch_all(&sql, vec![])
        .await?
        .first()
        .and_then(|r| r.first().and_then(int))
        .unwrap_or(0);
    Ok(max + 1)
}

/// Moves a PostgreSQL serial `id`'s sequence past the ids written explicitly, so rows
/// DevLake's UI adds later (connections, scope configs) get fresh ids. MySQL and SQLite do
/// this by themselves.
async fn bump_sequence(db: &mut Db, table: &str) -> Result<()> {
    if db.dialect() != Dialect::Postgres {
        return Ok(());
    }
    let d = db.dialect();
    let sql = format!(
        "SELECT setval(s, m) FROM (SELECT pg_get_serial_sequence({p}, 'id') AS s, \
         (SELECT MAX({id}) FROM {t}) AS m) x WHERE s IS NOT NULL AND m IS NOT NULL",
        p = d.placeholder(1),
        id = d.quote("id"),
        t = d.quote(table)
    );
    db.fetch_all(&sql, vec![Value::Text(d.quote(table))])
        .await?;
    Ok(())
}

fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::Float(f) => Some(*f as i64),
        Value::Text(s) => s.parse().ok(),
        _ => None,
    }
}

/// What [`record`] wrote, for the run's summary and tests.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recorded {
    /// `(table, id)` of each domain scope.
    pub domain_scopes: Vec<(String, String)>,
    /// The project, when one was given.
    pub project: Option<String>,
    /// Whether the connection row was inserted (false: it existed and was left alone).
    pub connection_inserted: bool,
}

/// Records the run file's connection, scope config and scopes in the plugin's tool tables,
/// their domain scopes, and with `project` the project and its mappings, all in one
/// transaction (the tables are created first where missing, outside it: MySQL commits on
/// DDL).
pub async fn record<P: Plugin>(
    host: &PluginHost<P>,
    db: &mut Db,
    file: &RunFile,
    project: Option<&str>,
) -> Result<Recorded> {
    let connection = host.connection(&file.connection)?;
    let connection_id = connection.id_or_zero();
    let scope_config = ScopeConfig::<P::ScopeConfig>::from_json(&file.scope_config)
        .map_err(|e| Error::input(format!("[scope_config]: {e}")))?;
    let mut scopes = Vec::with_capacity(file.scopes.len());
    for s in &file.scopes {
        scopes.push(
            Scope::<P::ToolScope>::from_json(s).map_err(|e| Error::input(format!("scope: {e}")))?,
        );
    }
    let pairs = Json::Array(
        file.scopes
            .iter()
            .map(|s| json!([s, file.scope_config]))
            .collect(),
    );
    let pipeline = host.make_pipeline(&pairs, &file.connection)?;

    let conn_desc = P::Connection::descriptor();
    let scope_desc = P::ToolScope::descriptor();
    let config_desc = P::ScopeConfig::descriptor();
    let mut tables: Vec<&'static ModelDescriptor> = vec![conn_desc, scope_desc, config_desc];
    let mut domain = Vec::new();
    for ds in &pipeline.scopes {
        let kind = scope_kinds()
            .into_iter()
            .find(|k| k.type_name == ds.type_name)
            .ok_or_else(|| {
                Error::msg(format!(
                    "domain scope type {:?} is none of DevLake's (CicdScope, Repo, Board, CqProject)",
                    ds.type_name
                ))
            })?;
        let data: Json = serde_json::from_str(&ds.data)?;
        tables.push(kind.desc);
        domain.push((kind, data));
    }
    if project.is_some() {
        tables.push(Project::descriptor());
        tables.push(ProjectMapping::descriptor());
    }
    for d in &tables {
        ensure_table(db, d.table, &d.columns()).await?;
    }

    db.begin().await?;
    let result = write_rows::<P>(
        db,
        host.name(),
        &connection,
        connection_id,
        &scope_config,
        &scopes,
        &domain,
        project,
    )
    .await;
    match result {
        Ok(r) => {
            db.commit().await?;
            Ok(r)
        }
        Err(e) => {
            // The original error matters more than a failed rollback.
            let _ = db.rollback().await;
            Err(e)
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn write_rows<P: Plugin>(
    db: &mut Db,
    plugin: &str,
    connection: &crate::plugin::Connection<P::Connection>,
    connection_id: i64,
    scope_config: &ScopeConfig<P::ScopeConfig>,
    scopes: &[Scope<P::ToolScope>],
    domain: &[(ScopeKind, Json)],
    project: Option<&str>,
) -> Result<Recorded> {
    let now = chrono::Utc::now();
    let none = Origin::default();
    let mut out = Recorded {
        project: project.map(str::to_string),
        ..Default::default()
    };

    let conn_table = P::Connection::descriptor().table;
    let (cols, row) = tool_row(
        &connection.inner,
        connection_id,
        &none,
        now,
        &[
            ("id", Value::Int(connection_id)),
            ("name", Value::Text(connection.name.clone())),
            (
                "proxy",
                Value::Text(connection.proxy.clone().unwrap_or_default()),
            ),
        ],
    );
    out.connection_inserted = insert_missing(
        db,
        conn_table,
        &[("id", Value::Int(connection_id))],
        cols,
        row,
    )
    .await?;
    bump_sequence(db, conn_table).await?;

    let config_table = P::ScopeConfig::descriptor().table;
    let config_id = scope_config_id(db, config_table, scope_config, connection_id).await?;
    let entities = Value::Json(Json::Array(
        scope_config
            .entities
            .iter()
            .map(|e| Json::String(e.as_str().to_string()))
            .collect(),
    ));
    let (cols, row) = tool_row(
        &scope_config.inner,
        connection_id,
        &none,
        now,
        &[
            ("id", Value::Int(config_id)),
            ("name", Value::Text(scope_config.name.clone())),
            ("entities", entities),
            ("connection_id", Value::Int(connection_id)),
        ],
    );
    upsert(db, config_table, cols, row).await?;
    bump_sequence(db, config_table).await?;

    let scope_table = P::ToolScope::descriptor().table;
    let raw_scopes = raw_table_name(plugin, "scopes");
    for s in scopes {
        let origin = Origin {
            params: Some(raw_data_params(connection_id, &s.id)),
            table: Some(raw_scopes.clone()),
            id: Some(0),
            remark: Some(String::new()),
        };
        let (cols, row) = tool_row(
            &s.inner,
            connection_id,
            &origin,
            now,
            &[
                ("id", Value::Text(s.id.clone())),
                ("name", Value::Text(s.name.clone())),
                ("scope_config_id", Value::Int(config_id)),
            ],
        );
        upsert(db, scope_table, cols, row).await?;
    }

    for (kind, data) in domain {
        let desc = kind.desc;
        let row = (kind.row)(data, now)?;
        let id = data
            .get("id")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string();
        upsert(db, desc.table, desc.columns(), row).await?;
        out.domain_scopes.push((desc.table.to_string(), id));
    }

    if let Some(name) = project {
        // Rows as DevLake writes them through gorm: zero values, not NULLs.
        let blank = Origin {
            params: Some(String::new()),
            table: Some(String::new()),
            id: Some(0),
            remark: Some(String::new()),
        };
        let p = Project {
            name: name.to_string(),
            description: Some(String::new()),
        };
        let layout = Layout::of(Project::descriptor());
        let row = layout.row(&p, 0, &blank, now, None);
        insert_missing(
            db,
            Project::descriptor().table,
            &[("name", Value::Text(name.to_string()))],
            layout.columns().to_vec(),
            row,
        )
        .await?;
        // `setProjectMapping` sets `_raw_data_params` to the project name.
        let origin = Origin {
            params: Some(name.to_string()),
            ..blank
        };
        let layout = Layout::of(ProjectMapping::descriptor());
        for (table, id) in &out.domain_scopes {
            let m = ProjectMapping {
                project_name: name.to_string(),
                table: table.clone(),
                row_id: id.clone(),
            };
            let row = layout.row(&m, 0, &origin, now, None);
            upsert(
                db,
                ProjectMapping::descriptor().table,
                layout.columns().to_vec(),
                row,
            )
            .await?;
        }
    }
    Ok(out)
}

/// What [`delete_scope`] removed: rows per table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Deleted {
    /// `(table, rows)`, in the order they were deleted, tables with no rows left out.
    pub tables: Vec<(String, u64)>,
}

impl Deleted {
    /// All rows removed.
    pub fn total(&self) -> u64 {
        self.tables.iter().map(|(_, n)| n).sum()
    }
}

/// Removes what standalone runs wrote for one scope of the connection, in one transaction,
/// as DevLake's "delete data" does: raw rows by `params`, tool rows by
/// `_raw_data_params`, domain rows by `_raw_data_table` (this plugin's raw tables) and
/// `_raw_data_params`, the domain scope rows and their `project_mapping` rows, the saved
/// incremental state, and the tool scope row itself. The connection and scope config stay
/// (other scopes use them). Deleting a scope no run recorded is an error.
pub async fn delete_scope<P: Plugin>(
    host: &PluginHost<P>,
    db: &mut Db,
    connection_id: i64,
    scope_id: &str,
) -> Result<Deleted> {
    let d = db.dialect();
    let params = raw_data_params(connection_id, scope_id);
    let names = host.streams().names();
    let mut raw_tables: Vec<String> = names
        .iter()
        .map(|s| raw_table_name(host.name(), s))
        .collect();
    raw_tables.push(raw_table_name(host.name(), "scopes"));
    let raw_tables_v = || raw_tables.iter().map(|t| Value::Text(t.clone())).collect();
    let existing = db.tables().await?;
    let has = |t: &str| existing.iter().any(|e| e == t);
    let text = |s: &str| Value::Text(s.to_string());

    let mut plan: Vec<Delete> = Vec::new();
    for t in raw_tables.iter().filter(|t| has(t)) {
        plan.push(Delete::from(d, t).exact("params", text(&params)));
    }
    for m in host.streams().tool_models() {
        if has(m.table) {
            plan.push(Delete::from(d, m.table).exact("_raw_data_params", text(&params)));
        }
    }
    for m in crate::domain::all_tables() {
        let has_origin = m.columns().iter().any(|c| c.name == "_raw_data_params");
        if !has_origin || !has(m.table) || m.table == ProjectMapping::descriptor().table {
            continue;
        }
        plan.push(
            Delete::from(d, m.table)
                .exact("_raw_data_params", text(&params))
                .any_of("_raw_data_table", raw_tables_v()),
        );
    }
    // The domain scopes by id, wherever their origin says they came from, and the
    // projects' mappings to them.
    let scope_desc = P::ToolScope::descriptor();
    let domain_id = crate::model::domain_id_of(
        scope_desc.crate_name,
        scope_desc.name,
        connection_id,
        &[scope_id],
    );
    let mapping = ProjectMapping::descriptor().table;
    for s in scope_kinds().map(|k| k.desc) {
        if has(s.table) {
            plan.push(Delete::from(d, s.table).exact("id", text(&domain_id)));
        }
        if has(mapping) {
            plan.push(
                Delete::from(d, mapping)
                    .exact("table", text(s.table))
                    .exact("row_id", text(&domain_id)),
            );
        }
    }
    let runs = crate::stream::SUBTASK_RUNS_TABLE;
    if has(runs) {
        let subtasks = names
            .iter()
            .flat_map(|s| Verb::ALL.map(|v| v.subtask_name(s)))
            .map(Value::Text)
            .collect();
        plan.push(
            Delete::from(d, runs)
                .eq("connection_id", Value::Int(connection_id))
                .exact("scope_id", text(scope_id))
                .any_of("subtask_name", subtasks),
        );
    }
    // DevLake's own sync state for the scope (Go plugins and DevLake's UI read it).
    let latest = "_devlake_collector_latest_state";
    if has(latest) {
        plan.push(
            Delete::from(d, latest)
                .exact("raw_data_params", text(&params))
                .any_of("raw_data_table", raw_tables_v()),
        );
    }
    let scope_table = P::ToolScope::descriptor().table;
    if has(scope_table) {
        plan.push(
            Delete::from(d, scope_table)
                .eq("connection_id", Value::Int(connection_id))
                .exact("id", text(scope_id)),
        );
    }

    // A run of the scope in progress would write rows back behind the delete: take the run
    // lock of every stream of the scope, as a run does, and refuse while one is held.
    let mut locks = Vec::new();
    for stream in &names {
        let key = run_key(host.name(), connection_id, scope_id, stream);
        match RunLock::try_acquire(db, &key).await {
            Ok(Some(lock)) => locks.push(lock),
            held_or_failed => {
                for lock in locks {
                    let _ = lock.release(db).await;
                }
                held_or_failed?;
                return Err(Error::msg(format!(
                    "delete-scope: a run of {} connection {connection_id} scope {scope_id} stream {stream} is in progress; try again when it ends",
                    host.name()
                )));
            }
        }
    }
    let result = delete_planned(db, plan).await;
    for lock in locks {
        if let Err(e) = lock.release(db).await {
            // The session or process ending releases it as well.
            tracing::warn!("releasing the run lock: {e}");
        }
    }
    let out = result?;
    if out.total() == 0 {
        return Err(Error::input(format!(
            "delete-scope: nothing recorded for scope {scope_id:?} of connection {connection_id} of plugin {}",
            host.name()
        )));
    }
    Ok(out)
}

/// One `DELETE FROM <table> WHERE ...` of [`delete_scope`]'s plan, its placeholders numbered
/// as conditions are added.
struct Delete {
    dialect: Dialect,
    table: String,
    conditions: Vec<String>,
    values: Vec<Value>,
}

impl Delete {
    fn from(dialect: Dialect, table: &str) -> Delete {
        Delete {
            dialect,
            table: table.to_string(),
            conditions: Vec::new(),
            values: Vec::new(),
        }
    }

    fn next(&self) -> usize {
        self.values.len() + 1
    }

    /// `col = v`, byte for byte (ids differing only by case or accent are other scopes).
    fn exact(mut self, col: &str, v: Value) -> Delete {
        self.conditions
            .push(self.dialect.exact_eq(col, self.next()));
        self.values.extend(self.dialect.exact_params(v));
        self
    }

    /// `col = v` for values no collation folds (integers).
    fn eq(mut self, col: &str, v: Value) -> Delete {
        let c = format!(
            "{} = {}",
            self.dialect.quote(col),
            self.dialect.placeholder(self.next())
        );
        self.conditions.push(c);
        self.values.push(v);
        self
    }

    /// `col IN (vs...)`.
    fn any_of(mut self, col: &str, vs: Vec<Value>) -> Delete {
        let first = self.next();
        let list = (0..vs.len())
            .map(|i| self.dialect.placeholder(first + i))
            .collect::<Vec<_>>()
            .join(", ");
        self.conditions
            .push(format!("{} IN ({list})", self.dialect.quote(col)));
        self.values.extend(vs);
        self
    }

    fn sql(&self) -> String {
        format!(
            "DELETE FROM {} WHERE {}",
            self.dialect.quote(&self.table),
            self.conditions.join(" AND ")
        )
    }
}

/// Runs the plan in one transaction; rows removed per table.
async fn delete_planned(db: &mut Db, plan: Vec<Delete>) -> Result<Deleted> {
    db.begin().await?;
    let mut out = Deleted::default();
    for delete in plan {
        let table = delete.table.clone();
        match db.execute(&delete.sql(), delete.values).await {
            Ok(0) => {}
            Ok(n) => match out.tables.iter_mut().find(|(t, _)| *t == table) {
                Some((_, m)) => *m += n,
                None => out.tables.push((table, n)),
            },
            Err(e) => {
                let _ = db.rollback().await;
                return Err(e.into());
            }
        }
    }
    db.commit().await?;
    Ok(out)
}
