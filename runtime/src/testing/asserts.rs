//! The `assert_*` helpers of pydevlake's `pydevlake.testing`, for Rust tests: each panics
//! with every problem it found, one line each.

use super::context::ContextBuilder;
use super::{Backend, TestDatabase};
use crate::checks::conformance::{self, Check};
use crate::checks::rules;
use crate::db::{Db, Dialect};
use crate::model::Model;
use crate::plugin::{PipelineData, Plugin, RemoteNode, TestConnectionResult};
use crate::protocol::{PluginHost, TaskContext};
use crate::standalone::{run_stream, SubtaskRun};
use crate::stream::{raw_table_name, Context, DomainSink, Origin, Progress, Stream};
use crate::Result;
use serde_json::{json, Map, Value as Json};
use std::collections::BTreeMap;
use std::fmt::Debug;

/// Extracts one raw record with a stream and converts it; returns the domain rows of
/// model `M` it produced, filled as the framework fills them (an empty `id` becomes the
/// tool row's domain id).
pub fn stream_convert<P, S, M>(ctx: &Context<P>, stream: &S, raw: &Json) -> Result<Vec<M>>
where
    P: Plugin,
    S: Stream<P>,
    M: Model,
{
    let mut sink = sink_for(ctx, stream);
    let tool = stream.extract(raw, ctx)?;
    sink.set_source(origin_for(ctx, stream), ctx.domain_id(&tool));
    stream.convert(&tool, ctx, &mut sink)?;
    decode_rows::<M>(&sink).map_err(crate::Error::msg)
}

/// The sink's rows of model `M`, decoded back into `M`. Unlike [`DomainSink::take`],
/// which skips a row it cannot decode, a row that fails is an error naming it: otherwise
/// a converter whose every row fails would compare as 0 rows == 0 rows.
fn decode_rows<M: Model>(sink: &DomainSink) -> std::result::Result<Vec<M>, String> {
    let desc = M::descriptor();
    let layout = crate::stream::Layout::of(desc);
    let idx: Vec<usize> = desc
        .fields
        .iter()
        .map(|f| {
            layout
                .columns()
                .iter()
                .position(|c| c.name == f.name)
                .expect("a model's layout has its fields")
        })
        .collect();
    sink.rows_of(desc)
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            let mut vals = idx.iter().map(|&c| row[c].clone());
            M::from_values(&mut vals)
                .map_err(|e| format!("{} row {i} cannot be decoded: {e}", desc.name))
        })
        .collect()
}

fn origin_for<P: Plugin, S: Stream<P>>(ctx: &Context<P>, stream: &S) -> Origin {
    Origin {
        params: Some(ctx.raw_data_params()),
        table: Some(raw_table_name(ctx.plugin_name(), &stream.name())),
        id: Some(1),
        remark: None,
    }
}

fn sink_for<P: Plugin, S: Stream<P>>(ctx: &Context<P>, stream: &S) -> DomainSink {
    DomainSink::new(
        Dialect::Sqlite,
        &stream.name(),
        ctx.connection_id(),
        &stream.domain_models(),
    )
}

/// Field-by-field differences between two models, as JSON.
fn differences<M: Model + Debug>(got: &M, expected: &M) -> Vec<String> {
    let (g, e) = (got.to_json(), expected.to_json());
    let (Json::Object(g), Json::Object(e)) = (g, e) else {
        return vec![format!("got {got:?}, expected {expected:?}")];
    };
    let mut keys: Vec<&String> = g.keys().chain(e.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| g.get(*k) != e.get(*k))
        .map(|k| {
            let show = |v: Option<&Json>| v.map(Json::to_string).unwrap_or_else(|| "(none)".into());
            format!("`{k}`: got {}, expected {}", show(g.get(k)), show(e.get(k)))
        })
        .collect()
}

/// Asserts that a stream extracts `raw` and converts it into exactly `expected` (rows of
/// domain model `M`, in order), in a default test context of the host's plugin (its
/// required connection, scope and scope-config fields get placeholder values; use
/// [`assert_stream_convert_with`] when the conversion depends on them).
///
/// Expected rows are filled like produced ones, so leave `id` empty to expect the tool
/// row's domain id.
#[track_caller]
pub fn assert_stream_convert<P, S, M>(host: &PluginHost<P>, stream: &S, raw: Json, expected: Vec<M>)
where
    P: Plugin,
    S: Stream<P>,
    M: Model + PartialEq + Debug,
{
    let name = stream.name();
    assert!(
        host.streams().names().contains(&name),
        "stream {name:?} is not among the plugin's streams ({}): register it in Plugin::streams",
        host.streams().names().join(", ")
    );
    let placeholders = |d| conformance::synthesize(d, Json::Null);
    let ctx = ContextBuilder::for_host(host)
        .connection(placeholders(P::Connection::descriptor()))
        .scope(placeholders(P::ToolScope::descriptor()))
        .scope_config(placeholders(P::ScopeConfig::descriptor()))
        .build();
    assert_stream_convert_with(&ctx, stream, raw, expected);
}

/// [`assert_stream_convert`] in a given context.
#[track_caller]
pub fn assert_stream_convert_with<P, S, M>(
    ctx: &Context<P>,
    stream: &S,
    raw: Json,
    expected: Vec<M>,
) where
    P: Plugin,
    S: Stream<P>,
    M: Model + PartialEq + Debug,
{
    let name = stream.name();
    let got: Vec<M> = stream_convert(ctx, stream, &raw)
        .unwrap_or_else(|e| panic!("stream {name}: extract/convert failed: {e}"));
    // Fill expected rows exactly as the framework filled the produced ones.
    let mut sink = sink_for(ctx, stream);
    let tool = stream.extract(&raw, ctx).expect("extracted above");
    sink.set_source(origin_for(ctx, stream), ctx.domain_id(&tool));
    for e in expected {
        sink.push(e)
            .unwrap_or_else(|e| panic!("stream {name}: expected rows: {e}"));
    }
    let expected: Vec<M> =
        decode_rows(&sink).unwrap_or_else(|e| panic!("stream {name}: expected rows: {e}"));
    let mut problems = Vec::new();
    if got.len() != expected.len() {
        problems.push(format!(
            "{} {} rows, expected {}",
            got.len(),
            M::descriptor().name,
            expected.len()
        ));
    }
    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
        if g != e {
            let diff = differences(g, e);
            if diff.is_empty() {
                // Equal as JSON yet not equal (a float NaN, a field JSON omits).
                problems.push(format!("row {i}: got {g:?}, expected {e:?}"));
            }
            problems.extend(diff.into_iter().map(|d| format!("row {i}: {d}")));
        }
    }
    assert!(
        problems.is_empty(),
        "stream {name} converted {raw} differently:\n  {}",
        problems.join("\n  ")
    );
}

/// What a stream run did: each subtask, and the rows of every table of the fresh
/// database afterwards.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamRun {
    /// Subtasks in run order.
    pub subtasks: Vec<SubtaskRun>,
    /// Row count of each table of the database.
    pub tables: BTreeMap<String, i64>,
}

impl StreamRun {
    /// Records a subtask reported (0 when it did not run).
    pub fn records(&self, subtask: &str) -> u64 {
        self.subtasks
            .iter()
            .find(|s| s.subtask == subtask)
            .map(|s| s.records)
            .unwrap_or(0)
    }

    /// Rows of a table (0 when absent).
    pub fn rows(&self, table: &str) -> i64 {
        self.tables.get(table).copied().unwrap_or(0)
    }
}

async fn table_counts(db: &mut Db) -> Result<BTreeMap<String, i64>> {
    let mut out = BTreeMap::new();
    for t in db.tables().await? {
        let n = db.count(&t, None).await?;
        out.insert(t, n);
    }
    Ok(out)
}

async fn fresh_sqlite(tag: &str) -> (TestDatabase, Db) {
    let tdb = TestDatabase::create(Backend::Sqlite, tag)
        .await
        .expect("SQLite needs no server");
    let db = tdb.connect().await;
    (tdb, db)
}

/// Asserts that a stream runs collect, extract and convert without error on a fresh
/// SQLite database; returns what each did and the rows of every table.
pub async fn assert_stream_run<P: Plugin>(
    host: &PluginHost<P>,
    stream: &str,
    ctx: Context<P>,
) -> StreamRun {
    let mut ctx = ctx;
    let (_tdb, mut db) = fresh_sqlite(stream).await;
    let subtasks = run_stream(
        host,
        stream,
        &mut ctx,
        &mut db,
        |_| Progress::silent(),
        |_| {},
    )
    .await
    .unwrap_or_else(|e| panic!("stream {stream}: {e}"));
    let tables = table_counts(&mut db)
        .await
        .unwrap_or_else(|e| panic!("stream {stream}: counting rows: {e}"));
    StreamRun { subtasks, tables }
}

#[track_caller]
fn assert_checks(what: &str, checks: &[Check]) {
    let failed: Vec<String> = checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| format!("{}:\n    {}", c.name, c.problems.join("\n    ")))
        .collect();
    assert!(
        failed.is_empty(),
        "{what}: {} check(s) failed:\n  {}",
        failed.len(),
        failed.join("\n  ")
    );
}

/// Asserts that DevLake would accept the plugin: a valid name, plugin-info schemas its
/// loader reads, streams with unique names, consistent subtask metadata, a scope config
/// buildable from defaults, well-formed migrations and a valid pipeline plan.
#[track_caller]
pub fn assert_valid_plugin<P: Plugin>(host: &PluginHost<P>) {
    assert_checks(
        &format!("plugin {}", host.name()),
        &conformance::static_checks(host),
    );
}

/// What a whole plugin run did.
#[derive(Debug, Clone)]
pub struct PluginRun {
    /// `test-connection`'s answer.
    pub connection: TestConnectionResult,
    /// Remote scope groups (none for a plugin whose scopes have no groups).
    pub groups: Vec<RemoteNode>,
    /// Scopes listed: those of the first group (of every group the run looked in, with
    /// [`PluginRunner::all_scopes`] or [`PluginRunner::scopes`]), or the plugin's scopes
    /// when it has no groups.
    pub scopes: Vec<RemoteNode>,
    /// Ids of the scopes the streams ran on, in run order.
    pub ran: Vec<String>,
    /// The pipeline planned for the scopes run.
    pub pipeline: PipelineData,
    /// Every stream's subtasks, scope after scope, in order.
    pub subtasks: Vec<SubtaskRun>,
    /// Row count of each table of the database afterwards.
    pub tables: BTreeMap<String, i64>,
}

impl PluginRun {
    /// Records a subtask reported, summed over the scopes run (0 when it did not run).
    pub fn records(&self, subtask: &str) -> u64 {
        self.subtasks
            .iter()
            .filter(|s| s.subtask == subtask)
            .map(|s| s.records)
            .sum()
    }
}

/// Asserts a whole plugin run, as pydevlake's `assert_plugin_run`: a valid plugin, a
/// working connection, remote scope groups and scopes, domain scopes and a pipeline plan
/// for the first scope, then every stream on that scope against a fresh SQLite database.
/// `connection` is DevLake's JSON (`id` defaults to 1, `name` to `test_connection`);
/// `scope_config` defaults to every entity. A plugin without scope groups runs its first
/// scope. [`PluginRunner`] runs several scopes.
pub async fn assert_plugin_run<P: Plugin>(
    host: &PluginHost<P>,
    connection: Json,
    scope_config: Option<Json>,
) -> PluginRun {
    let mut runner = PluginRunner::new(host, connection);
    if let Some(sc) = scope_config {
        runner = runner.scope_config(sc);
    }
    runner.run().await
}

/// Which listed scopes a [`PluginRunner`] runs.
#[derive(Debug, Clone)]
enum RunScopes {
    First,
    All,
    Ids(Vec<String>),
}

/// [`assert_plugin_run`] with choices: the scope config, and the scopes every stream runs
/// on, one after the other into one fresh SQLite database, as DevLake runs a blueprint's
/// scopes.
///
/// Recording fixtures (`DEVLAKE_RECORD=1`, see `FixtureServer`) records what the run
/// asks for, so choose here the scopes the test should cover: their requests all go to
/// the one fixture directory, and the same run replays them.
///
/// ```no_run
/// # use devlake::prelude::*;
/// # async fn t<P: Plugin>(host: &devlake::protocol::PluginHost<P>) {
/// use devlake::testing::PluginRunner;
/// let run = PluginRunner::new(host, serde_json::json!({"endpoint": "http://127.0.0.1:1/", "token": "t"}))
///     .all_scopes()
///     .run()
///     .await;
/// assert_eq!(run.ran, ["b1", "b2"]);
/// # }
/// ```
pub struct PluginRunner<'h, P: Plugin> {
    host: &'h PluginHost<P>,
    connection: Json,
    scope_config: Json,
    scopes: RunScopes,
}

impl<'h, P: Plugin> PluginRunner<'h, P> {
    /// A run of `host` with a connection as DevLake sends it (`id` defaults to 1, `name`
    /// to `test_connection`), on the first scope listed, with a scope config of every
    /// entity.
    pub fn new(host: &'h PluginHost<P>, connection: Json) -> Self {
        PluginRunner {
            host,
            connection,
            scope_config: Json::Null,
            scopes: RunScopes::First,
        }
    }

    /// The scope config (DevLake's JSON) of every scope.
    pub fn scope_config(mut self, scope_config: Json) -> Self {
        self.scope_config = scope_config;
        self
    }

    /// Runs every scope of every remote scope group (or every scope of a plugin without
    /// groups), in the order they are listed.
    pub fn all_scopes(mut self) -> Self {
        self.scopes = RunScopes::All;
        self
    }

    /// Runs these scopes, in this order; groups are listed until all are found (a scope
    /// not listed fails the run, naming it).
    pub fn scopes<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Self {
        self.scopes = RunScopes::Ids(ids.into_iter().map(Into::into).collect());
        self
    }

    /// Runs it, panicking with what went wrong: the same checks as [`assert_plugin_run`],
    /// for every scope run.
    pub async fn run(self) -> PluginRun {
        let host = self.host;
        assert_valid_plugin(host);
        let name = host.name().to_string();
        let mut conn = match self.connection {
            Json::Object(o) => o,
            other => panic!("plugin {name}: the connection must be a JSON object, got {other}"),
        };
        conn.entry("id")
            .or_insert(super::context::TEST_CONNECTION_ID.into());
        conn.entry("name")
            .or_insert(super::context::TEST_CONNECTION_NAME.into());
        let conn = Json::Object(conn);

        let tested = host
            .test_connection(&conn)
            .await
            .unwrap_or_else(|e| panic!("plugin {name}: test-connection failed: {e}"));
        assert!(
            tested.success,
            "plugin {name}: test-connection says the connection does not work: {} ({})",
            tested.message, tested.status
        );

        let (groups, listed) = list_scopes(host, &conn, &self.scopes).await;
        let chosen: Vec<Json> = match &self.scopes {
            RunScopes::First => vec![scope_data(&listed[0])],
            RunScopes::All => listed.iter().map(scope_data).collect(),
            RunScopes::Ids(ids) => ids
                .iter()
                .map(|id| {
                    listed
                        .iter()
                        .find(|n| matches!(n, RemoteNode::Scope { id: i, .. } if i == id))
                        .map(scope_data)
                        .unwrap_or_else(|| {
                            panic!(
                                "plugin {name}: scope {id:?} is not among the scopes listed ({})",
                                node_ids(&listed)
                            )
                        })
                })
                .collect(),
        };
        let parsed: Vec<_> = chosen
            .iter()
            .map(|scope| {
                let parsed = crate::plugin::Scope::<P::ToolScope>::from_json(scope)
                    .unwrap_or_else(|e| panic!("plugin {name}: remote scope: {e}"));
                assert!(
                    !host.plugin().domain_scopes(&parsed).is_empty(),
                    "plugin {name}: Plugin::domain_scopes gives nothing for scope {}",
                    parsed.id
                );
                parsed
            })
            .collect();

        let sc = self.scope_config;
        let plan = |scopes: &[&Json]| {
            let pairs = scopes.iter().map(|s| json!([s, sc])).collect();
            host.make_pipeline(&Json::Array(pairs), &conn)
                .unwrap_or_else(|e| panic!("plugin {name}: make-pipeline: {e}"))
        };
        // The rules read a plan of one scope; the run's plan has them all, as DevLake
        // plans a blueprint's scopes.
        let metas = host.streams().subtask_metas(&name);
        for (scope, parsed) in chosen.iter().zip(&parsed) {
            let one = plan(&[scope]);
            let problems = rules::pipeline(&name, &metas, &one, &parsed.id, &parsed.domain_id());
            assert!(
                problems.is_empty(),
                "plugin {name}: pipeline plan of scope {}:\n  {}",
                parsed.id,
                problems.join("\n  ")
            );
        }
        let pipeline = plan(&chosen.iter().collect::<Vec<_>>());

        let (tdb, mut db) = fresh_sqlite(&name).await;
        let mut subtasks = Vec::new();
        for (scope, parsed) in chosen.into_iter().zip(&parsed) {
            let mut options = Map::new();
            options.insert("scopeId".into(), parsed.id.clone().into());
            options.insert("scopeName".into(), parsed.name.clone().into());
            options.insert("connectionId".into(), conn["id"].clone());
            let task = TaskContext {
                db_url: tdb.url.clone(),
                connection: conn.clone(),
                scope,
                scope_config: sc.clone(),
                options,
            };
            for stream in host.streams().names() {
                let mut ctx = host
                    .context(&task, &stream)
                    .unwrap_or_else(|e| panic!("plugin {name}: stream {stream}: {e}"));
                let runs = run_stream(
                    host,
                    &stream,
                    &mut ctx,
                    &mut db,
                    |_| Progress::silent(),
                    |_| {},
                )
                .await
                .unwrap_or_else(|e| panic!("plugin {name}: stream {stream}: {e}"));
                subtasks.extend(runs);
            }
        }
        let tables = table_counts(&mut db)
            .await
            .unwrap_or_else(|e| panic!("plugin {name}: counting rows: {e}"));
        PluginRun {
            connection: tested,
            groups,
            scopes: listed,
            ran: parsed.into_iter().map(|p| p.id).collect(),
            pipeline,
            subtasks,
            tables,
        }
    }
}

fn scope_data(node: &RemoteNode) -> Json {
    match node {
        RemoteNode::Scope { data, .. } => data.clone(),
        RemoteNode::Group { id, .. } => panic!("remote scopes of a group listed a group ({id})"),
    }
}

fn node_ids(nodes: &[RemoteNode]) -> String {
    nodes
        .iter()
        .map(|n| match n {
            RemoteNode::Scope { id, .. } | RemoteNode::Group { id, .. } => id.as_str(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Lists remote scope groups, then the scopes of those `which` needs (the first group;
/// every group; groups until every id is found), checking each answer. Returns the
/// groups and the scopes listed, at least one.
async fn list_scopes<P: Plugin>(
    host: &PluginHost<P>,
    conn: &Json,
    which: &RunScopes,
) -> (Vec<RemoteNode>, Vec<RemoteNode>) {
    let name = host.name();
    let top = host
        .remote_scopes(conn, "")
        .await
        .unwrap_or_else(|e| panic!("plugin {name}: remote scope groups: {e}"));
    if matches!(top.first(), Some(RemoteNode::Scope { .. })) {
        // A plugin without groups lists its scopes at the top.
        return (Vec::new(), top);
    }
    assert!(
        !top.is_empty(),
        "plugin {name}: the connection has no remote scope group"
    );
    let mut scopes = Vec::new();
    for (i, g) in top.iter().enumerate() {
        let RemoteNode::Group { id, name: gname } = g else {
            panic!("plugin {name}: remote scope groups returned a scope among groups");
        };
        assert!(
            !id.is_empty() && !gname.is_empty(),
            "plugin {name}: remote scope group {id:?} {gname:?} needs an id and a name"
        );
        let done = match which {
            RunScopes::First => i > 0,
            RunScopes::All => false,
            RunScopes::Ids(ids) => ids.iter().all(|want| {
                scopes
                    .iter()
                    .any(|n| matches!(n, RemoteNode::Scope { id, .. } if id == want))
            }),
        };
        if done {
            continue;
        }
        let listed = host
            .remote_scopes(conn, id)
            .await
            .unwrap_or_else(|e| panic!("plugin {name}: remote scopes of {id:?}: {e}"));
        if i == 0 && listed.is_empty() && matches!(which, RunScopes::First) {
            panic!("plugin {name}: group {id:?} has no scope");
        }
        scopes.extend(listed);
    }
    assert!(
        !scopes.is_empty(),
        "plugin {name}: no group has a scope ({})",
        node_ids(&top)
    );
    (top, scopes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ColumnType, ColumnValue, Value, ValueError};

    /// A value that writes but never reads back, like a codec bug would.
    #[derive(Debug, Clone, PartialEq)]
    struct OneWay;

    impl ColumnValue for OneWay {
        const TYPE: ColumnType = ColumnType::String;
        fn to_value(&self) -> Value {
            Value::Text("one-way".into())
        }
        fn from_value(_: Value) -> std::result::Result<Self, ValueError> {
            Err(ValueError::Invalid("never decodes".into()))
        }
        fn from_json(_: &Json) -> std::result::Result<Self, ValueError> {
            Ok(OneWay)
        }
        fn to_json(&self) -> Json {
            Json::from("one-way")
        }
    }

    #[derive(Debug, Clone, PartialEq, crate::Model)]
    #[devlake(table = "one_ways")]
    struct Row {
        #[devlake(primary_key)]
        id: String,
        v: OneWay,
    }

    /// Issue 12: rows that fail to decode are an error, not 0 rows that compare equal.
    #[test]
    fn rows_that_do_not_decode_are_an_error() {
        let mut sink = DomainSink::new(Dialect::Sqlite, "s", 1, &[Row::descriptor()]);
        sink.push(Row {
            id: "a".into(),
            v: OneWay,
        })
        .unwrap();
        let e = decode_rows::<Row>(&sink).unwrap_err();
        assert!(
            e.contains("Row row 0 cannot be decoded") && e.contains("never decodes"),
            "{e}"
        );
        // What the assertion used to compare: nothing on either side.
        assert!(sink.take::<Row>().is_empty());
    }
}
