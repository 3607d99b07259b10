//! Subtask semantics on every database: a failed run leaves the previous data as it was,
//! incremental state is kept per connection and scope, substreams fetch parents
//! concurrently under their bound.

use devlake::domain::devops::CicdPipeline;
use devlake::plugin::{AnyDomainScope, PluginMeta};
use devlake::prelude::*;
use devlake::protocol::{PluginHost, TaskContext};
use devlake::stream::{Progress, Verb};
use devlake::testing::{Backend, TestDatabase};
use serde_json::json;
use std::cell::Cell;

#[derive(Debug, Clone, devlake::Model)]
#[devlake(connection)]
pub struct Conn {}

#[derive(Debug, Clone, devlake::Model)]
#[devlake(scope)]
pub struct Proj {}

#[derive(Debug, Clone, devlake::Model)]
#[devlake(scope_config)]
pub struct Conf {}

#[derive(Debug, Clone, PartialEq, devlake::Model)]
pub struct Item {
    #[devlake(primary_key)]
    pub id: String,
    pub prev_state: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, devlake::Model)]
pub struct Child {
    #[devlake(primary_key)]
    pub id: String,
    pub parent: String,
}

#[derive(Default)]
pub struct TestPlugin;

impl Plugin for TestPlugin {
    type Connection = Conn;
    type ToolScope = Proj;
    type ScopeConfig = Conf;
    async fn test_connection(&self, _: &Connection<Conn>) -> Result<TestConnectionResult> {
        Ok(TestConnectionResult::ok())
    }
    async fn remote_scope_groups(&self, _: &Connection<Conn>) -> Result<Vec<RemoteScopeGroup>> {
        Ok(vec![])
    }
    async fn remote_scopes(&self, _: &Connection<Conn>, _: &str) -> Result<Vec<Scope<Proj>>> {
        Ok(vec![])
    }
    fn domain_scopes(&self, _: &Scope<Proj>) -> Vec<AnyDomainScope> {
        vec![]
    }
    fn streams(&self) -> Streams<Self> {
        Streams::new().add(Items).substream(Children)
    }
}

/// Collects `options.count` items (default 10), failing after `options.fail_after` if set.
pub struct Items;

impl Stream<TestPlugin> for Items {
    type ToolModel = Item;
    const DOMAIN_TYPES: &'static [DomainType] = &[DomainType::Cicd];
    fn domain_models(&self) -> Vec<&'static devlake::model::ModelDescriptor> {
        vec![CicdPipeline::descriptor()]
    }
    async fn collect(&self, ctx: &Context<TestPlugin>, out: &mut RawSink<'_>) -> Result<()> {
        let count = ctx
            .options
            .get("count")
            .and_then(|v| v.as_u64())
            .unwrap_or(10);
        let fail_after = ctx.options.get("fail_after").and_then(|v| v.as_u64());
        let offset = ctx
            .options
            .get("offset")
            .and_then(|v| v.as_u64())
            .unwrap_or(0);
        for i in 0..count {
            if Some(i) == fail_after {
                devlake::bail!("the tool went away after {i} items");
            }
            out.push(json!({"id": format!("{}-{}", ctx.scope.id, i + offset), "prevState": ctx.state().cloned()})).await?;
        }
        out.set_state(json!({"scope": ctx.scope.id, "count": count}));
        Ok(())
    }
    fn convert(&self, item: &Item, _: &Context<TestPlugin>, out: &mut DomainSink) -> Result<()> {
        out.push(CicdPipeline {
            name: item.id.clone(),
            ..Default::default()
        })
    }
}

/// Three children per item, fetched with a bound of 4 parents at a time.
pub struct Children;

impl Stream<TestPlugin> for Children {
    type ToolModel = Child;
    const DOMAIN_TYPES: &'static [DomainType] = &[DomainType::Cicd];
    fn convert(&self, _: &Child, _: &Context<TestPlugin>, _: &mut DomainSink) -> Result<()> {
        Ok(())
    }
}

thread_local! {
    static TRACK: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

impl Substream<TestPlugin> for Children {
    type Parent = Items;
    fn concurrency(&self) -> usize {
        4
    }
    async fn collect_for(
        &self,
        parent: &Item,
        _: &Context<TestPlugin>,
        out: &mut RawSink<'_>,
    ) -> Result<()> {
        TRACK.with(|t| {
            let (now, max) = t.get();
            t.set((now + 1, max.max(now + 1)));
        });
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        for c in 0..3 {
            out.push(json!({"id": format!("{}/{c}", parent.id), "parent": parent.id}))
                .await?;
        }
        TRACK.with(|t| {
            let (now, max) = t.get();
            t.set((now - 1, max));
        });
        Ok(())
    }
}

fn host() -> PluginHost<TestPlugin> {
    PluginHost::new(
        TestPlugin,
        PluginMeta {
            crate_name: "testplugin",
            version: "0",
            manifest_dir: ".",
        },
    )
}

fn task(url: &str, scope: &str, options: serde_json::Value) -> TaskContext {
    TaskContext::from_json(&json!({
        "db_url": url,
        "connection": {"id": 1, "name": "c"},
        "scope": {"id": scope, "name": scope},
        "scope_config": null,
        "options": options,
    }))
    .unwrap()
}

async fn run(
    h: &PluginHost<TestPlugin>,
    url: &str,
    verb: Verb,
    stream: &str,
    scope: &str,
    options: serde_json::Value,
) -> Result<()> {
    let mut ctx = h.context(&task(url, scope, options), stream)?;
    let mut db = devlake::db::Db::connect(url).await?;
    h.run_subtask(verb, stream, &mut ctx, &mut db, &mut Progress::silent())
        .await
        .map(|_| ())
}

async fn count(url: &str, table: &str) -> i64 {
    devlake::db::Db::connect(url)
        .await
        .unwrap()
        .count(table, None)
        .await
        .unwrap()
}

async fn failed_run_keeps_previous_data(backend: Backend) {
    let Some(tdb) = TestDatabase::create(backend, "rollback").await else {
        return;
    };
    let h = host();
    let raw = "_raw_test_items";
    run(
        &h,
        &tdb.url,
        Verb::Collect,
        "items",
        "s1",
        json!({"count": 1500}),
    )
    .await
    .unwrap();
    assert_eq!(count(&tdb.url, raw).await, 1500);
    // Fails after 1200 records: past one batch write, so rows were written inside the
    // transaction before the failure.
    let err = run(
        &h,
        &tdb.url,
        Verb::Collect,
        "items",
        "s1",
        json!({"count": 1500, "fail_after": 1200, "offset": 7}),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("the tool went away after 1200 items"), "{err}");
    assert_eq!(
        count(&tdb.url, raw).await,
        1500,
        "a failed full collect leaves the previous rows on {backend:?}"
    );
    let mut db = tdb.connect().await;
    let open = db
        .count(
            "_pydevlake_subtask_runs",
            Some(("completed IS NULL", vec![])),
        )
        .await
        .unwrap();
    assert_eq!(open, 1, "the failed run is recorded as not completed");
    // extract and convert follow, each creating its tables.
    run(&h, &tdb.url, Verb::Extract, "items", "s1", json!({}))
        .await
        .unwrap();
    run(&h, &tdb.url, Verb::Convert, "items", "s1", json!({}))
        .await
        .unwrap();
    assert_eq!(count(&tdb.url, Item::descriptor().table).await, 1500);
    assert_eq!(count(&tdb.url, "cicd_pipelines").await, 1500);
}

#[tokio::test]
async fn failed_run_keeps_previous_data_sqlite() {
    failed_run_keeps_previous_data(Backend::Sqlite).await
}
#[tokio::test]
async fn failed_run_keeps_previous_data_mariadb() {
    failed_run_keeps_previous_data(Backend::MySql).await
}
#[tokio::test]
async fn failed_run_keeps_previous_data_postgres() {
    failed_run_keeps_previous_data(Backend::Postgres).await
}

async fn prev_states(url: &str) -> Vec<(String, Option<serde_json::Value>)> {
    let mut db = devlake::db::Db::connect(url).await.unwrap();
    let sql = format!(
        "SELECT id, prev_state FROM {} ORDER BY id",
        Item::descriptor().table
    );
    let rows = db.fetch_all(&sql, vec![]).await.unwrap();
    rows.into_iter()
        .map(|r| {
            let item = Item::from_values(&mut r.into_iter()).expect("decode an Item row");
            (item.id, item.prev_state)
        })
        .collect()
}

async fn incremental_state_is_per_scope(backend: Backend) {
    let Some(tdb) = TestDatabase::create(backend, "incr").await else {
        return;
    };
    let h = host();
    let inc = json!({"incremental": true, "count": 1});
    // Scope s1 twice, then s2 once: s2 must not see s1's state (pydevlake would hand it over).
    run(&h, &tdb.url, Verb::Collect, "items", "s1", inc.clone())
        .await
        .unwrap();
    run(
        &h,
        &tdb.url,
        Verb::Collect,
        "items",
        "s1",
        json!({"incremental": true, "count": 1, "offset": 1}),
    )
    .await
    .unwrap();
    run(&h, &tdb.url, Verb::Collect, "items", "s2", inc.clone())
        .await
        .unwrap();
    for s in ["s1", "s2"] {
        run(&h, &tdb.url, Verb::Extract, "items", s, json!({}))
            .await
            .unwrap();
    }
    let states = prev_states(&tdb.url).await;
    assert_eq!(
        states,
        vec![
            ("s1-0".into(), None),
            ("s1-1".into(), Some(json!({"scope": "s1", "count": 1}))),
            ("s2-0".into(), None),
        ],
        "on {backend:?}"
    );
    // Incremental extract only reads raw records added since the last extract.
    run(
        &h,
        &tdb.url,
        Verb::Collect,
        "items",
        "s1",
        json!({"incremental": true, "count": 1, "offset": 5}),
    )
    .await
    .unwrap();
    let mut progress_total = 0;
    {
        let mut ctx = h
            .context(&task(&tdb.url, "s1", json!({"incremental": true})), "items")
            .unwrap();
        let mut db = tdb.connect().await;
        let seen = std::rc::Rc::new(Cell::new(0u64));
        let s = seen.clone();
        let mut p = Progress::new(move |m| s.set(m.current));
        h.run_subtask(Verb::Extract, "items", &mut ctx, &mut db, &mut p)
            .await
            .unwrap();
        progress_total += seen.get();
    }
    assert_eq!(
        progress_total, 1,
        "incremental extract read only the new raw record"
    );
    assert_eq!(count(&tdb.url, Item::descriptor().table).await, 4);
}

#[tokio::test]
async fn incremental_state_is_per_scope_sqlite() {
    incremental_state_is_per_scope(Backend::Sqlite).await
}
#[tokio::test]
async fn incremental_state_is_per_scope_mariadb() {
    incremental_state_is_per_scope(Backend::MySql).await
}
#[tokio::test]
async fn incremental_state_is_per_scope_postgres() {
    incremental_state_is_per_scope(Backend::Postgres).await
}

#[tokio::test]
async fn substreams_collect_per_parent_under_their_bound() {
    let Some(tdb) = TestDatabase::create(Backend::Sqlite, "sub").await else {
        return;
    };
    let h = host();
    run(
        &h,
        &tdb.url,
        Verb::Collect,
        "items",
        "s1",
        json!({"count": 2500}),
    )
    .await
    .unwrap();
    run(&h, &tdb.url, Verb::Extract, "items", "s1", json!({}))
        .await
        .unwrap();
    TRACK.with(|t| t.set((0, 0)));
    run(&h, &tdb.url, Verb::Collect, "children", "s1", json!({}))
        .await
        .unwrap();
    let (now, max) = TRACK.with(|t| t.get());
    assert_eq!(now, 0);
    assert!(
        (2..=4).contains(&max),
        "parents fetched concurrently, at most 4 at once (max seen {max})"
    );
    assert_eq!(count(&tdb.url, "_raw_test_children").await, 7500);
    run(&h, &tdb.url, Verb::Extract, "children", "s1", json!({}))
        .await
        .unwrap();
    assert_eq!(count(&tdb.url, Child::descriptor().table).await, 7500);
}

#[tokio::test]
async fn converting_into_an_undeclared_model_is_an_error() {
    let mut sink = DomainSink::new(devlake::db::Dialect::Sqlite, "items", 1, &[]);
    let err = sink.push(CicdPipeline::default()).unwrap_err().to_string();
    assert!(err.contains("does not list"), "{err}");
}
