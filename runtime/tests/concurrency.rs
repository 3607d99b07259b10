//! Runs that meet on one database (issue 12): scopes collected at once keep their own
//! state, first runs create tables without racing, scopes differing only by case or accent
//! keep their own rows, `_raw_data_params` is what DevLake's Go side computes, a run that
//! cannot record its completion does not commit, a failed rollback does not hide why the
//! subtask failed, and deleting a scope's data takes out that scope's rows only, never while
//! a run of it holds its lock. Every test runs on SQLite, MariaDB and PostgreSQL where it can.

use devlake::domain::devops::CicdPipeline;
use devlake::plugin::{AnyDomainScope, PluginMeta};
use devlake::prelude::*;
use devlake::protocol::{PluginHost, TaskContext};
use devlake::stream::{Progress, Verb};
use devlake::testing::{Backend, TestDatabase};
use serde_json::json;
use std::cell::RefCell;
use std::rc::Rc;

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
pub struct Record {
    #[devlake(primary_key)]
    pub id: String,
    pub prev_state: Option<serde_json::Value>,
}

#[derive(Default)]
pub struct ConcPlugin;

impl Plugin for ConcPlugin {
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
        Streams::new().add(Records).substream(Children)
    }
}

thread_local! {
    /// Collects with `options.meet` wait here for each other (or for the test), so both are in
    /// the middle of their collection at once (each test runs on its own thread).
    static MEET: RefCell<Option<Rc<tokio::sync::Barrier>>> = const { RefCell::new(None) };
}

/// Raw record ids: the scope id's bytes in hex, so that ids of scopes differing by case
/// stay distinct under MariaDB's case-insensitive key comparison.
fn item_id(scope: &str, i: u64) -> String {
    let hex: String = scope.bytes().map(|b| format!("{b:02x}")).collect();
    format!("{hex}-{i}")
}

/// Collects `options.count` records (default 5), each carrying the state the run was
/// handed; saves `{"scope": <id>, "count": n}`.
pub struct Records;

impl Stream<ConcPlugin> for Records {
    type ToolModel = Record;
    const DOMAIN_TYPES: &'static [DomainType] = &[DomainType::Cicd];
    fn domain_models(&self) -> Vec<&'static devlake::model::ModelDescriptor> {
        vec![CicdPipeline::descriptor()]
    }
    async fn collect(&self, ctx: &Context<ConcPlugin>, out: &mut RawSink<'_>) -> Result<()> {
        let count = ctx
            .options
            .get("count")
            .and_then(|v| v.as_u64())
            .unwrap_or(5);
        let from = ctx
            .options
            .get("from")
            .and_then(|v| v.as_u64())
            .unwrap_or(0);
        // `options.shared`: ids without the scope, the same in every scope; `options.distinct`:
        // ids repeat after this many records.
        let owner = match ctx.options.get("shared") {
            Some(_) => "shared",
            None => ctx.scope.id.as_str(),
        };
        let distinct = ctx
            .options
            .get("distinct")
            .and_then(|v| v.as_u64())
            .unwrap_or(u64::MAX);
        // `options.meet_at`: the record after which the collection meets the other side.
        let meet_at = ctx
            .options
            .get("meet_at")
            .and_then(|v| v.as_u64())
            .unwrap_or(0);
        for i in 0..count {
            out.push(
                json!({"id": item_id(owner, (from + i) % distinct), "prevState": ctx.state().cloned()}),
            )
            .await?;
            // `options.meet`: how many times to meet the other side, inside the collection.
            let meet = ctx
                .options
                .get("meet")
                .and_then(|v| v.as_u64())
                .unwrap_or(0);
            if i == meet_at && meet > 0 {
                let barrier = MEET.with(|m| m.borrow().clone()).expect("a barrier");
                for _ in 0..meet {
                    barrier.wait().await;
                }
            }
        }
        out.set_state(json!({"scope": ctx.scope.id, "count": count}));
        Ok(())
    }
    fn extract(&self, raw: &serde_json::Value, ctx: &Context<ConcPlugin>) -> Result<Record> {
        if let Some(url) = ctx.options.get("cut_connection").and_then(|v| v.as_str()) {
            cut_other_connections(url);
            devlake::bail!("the extractor broke down");
        }
        if let Some(d) = ctx.options.get("deadlock") {
            if !DEADLOCKED.with(|f| f.replace(true)) {
                deadlock_from_another_session(
                    d["url"].as_str().unwrap(),
                    d["insert"].as_str().unwrap(),
                    d["update"].as_str().unwrap(),
                );
            }
        }
        Ok(Record::from_json(raw)?)
    }
    fn convert(&self, r: &Record, _: &Context<ConcPlugin>, out: &mut DomainSink) -> Result<()> {
        out.push(CicdPipeline {
            name: r.id.clone(),
            ..Default::default()
        })
    }
}

thread_local! {
    /// Whether the deadlock of `options.deadlock` was set up (once per test thread).
    static DEADLOCKED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Sets up a deadlock with the running extract (PostgreSQL), from another session: it
/// inserts a row the extract is about to write, then, once the extract waits for it,
/// updates a row the extract has deleted. That session's `deadlock_timeout` is long, so
/// PostgreSQL picks the extract's transaction as the victim; the other session commits
/// once the extract rolled back.
fn deadlock_from_another_session(url: &str, insert: &str, update: &str) {
    let (url, insert, update) = (url.to_string(), insert.to_string(), update.to_string());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async move {
                let mut db = devlake::db::Db::connect(&url).await.unwrap();
                db.execute_raw("SET deadlock_timeout = '60s'").await.unwrap();
                db.begin().await.unwrap();
                db.execute_raw(&insert).await.unwrap();
                tx.send(()).unwrap();
                // Until the extract waits for the inserted row (bounded: 2 minutes).
                let waiting = "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()";
                for _ in 0..6000 {
                    let rows = db.fetch_all(waiting, vec![]).await.unwrap();
                    if !matches!(rows[0][0], devlake::model::Value::Int(0)) {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                db.execute_raw(&update).await.unwrap();
                db.commit().await.unwrap();
            })
    });
    rx.recv().unwrap();
}

#[derive(Debug, Clone, PartialEq, devlake::Model)]
pub struct Child {
    #[devlake(primary_key)]
    pub id: String,
}

/// One child per record; the fetches of a page of parents finish in reverse key order,
/// and each sets the state `{"parent": <id>}`.
pub struct Children;

impl Stream<ConcPlugin> for Children {
    type ToolModel = Child;
    const DOMAIN_TYPES: &'static [DomainType] = &[DomainType::Cicd];
    fn convert(&self, _: &Child, _: &Context<ConcPlugin>, _: &mut DomainSink) -> Result<()> {
        Ok(())
    }
}

thread_local! {
    /// How many child fetches have finished (they finish last parent first).
    static FINISHED: Rc<(RefCell<usize>, tokio::sync::Notify)> = Rc::default();
}

impl Substream<ConcPlugin> for Children {
    type Parent = Records;
    async fn collect_for(
        &self,
        parent: &Record,
        ctx: &Context<ConcPlugin>,
        out: &mut RawSink<'_>,
    ) -> Result<()> {
        let parents = ctx.options["parents"].as_u64().unwrap() as usize;
        let index: usize = parent.id.rsplit('-').next().unwrap().parse().unwrap();
        let finished = FINISHED.with(Rc::clone);
        loop {
            let turn = finished.1.notified();
            if *finished.0.borrow() == parents - 1 - index {
                break;
            }
            turn.await;
        }
        out.push(json!({"id": format!("{}/child", parent.id)}))
            .await?;
        out.set_state(json!({"parent": parent.id}));
        *finished.0.borrow_mut() += 1;
        finished.1.notify_waiters();
        Ok(())
    }
}

/// Ends every other session on the database at `url` (the plugin's own), from another
/// thread and connection, as a database restart would.
fn cut_other_connections(url: &str) {
    let url = url.to_string();
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async move {
                let mut db = devlake::db::Db::connect(&url).await.unwrap();
                match db.dialect() {
                    devlake::db::Dialect::Postgres => {
                        db.fetch_all(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
                            vec![],
                        )
                        .await
                        .unwrap();
                    }
                    devlake::db::Dialect::MySql => {
                        let ids = db
                            .fetch_all(
                                "SELECT CAST(id AS SIGNED) FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID()",
                                vec![],
                            )
                            .await
                            .unwrap();
                        for r in ids {
                            if let Some(devlake::model::Value::Int(id)) = r.first() {
                                db.execute_raw(&format!("KILL {id}")).await.unwrap();
                            }
                        }
                    }
                    devlake::db::Dialect::Sqlite => unreachable!("no sessions to end"),
                }
            })
    })
    .join()
    .unwrap();
}

fn host(crate_name: &'static str) -> PluginHost<ConcPlugin> {
    PluginHost::new(
        ConcPlugin,
        PluginMeta {
            crate_name,
            version: "0",
            manifest_dir: ".",
        },
    )
}

async fn run(
    h: &PluginHost<ConcPlugin>,
    url: &str,
    verb: Verb,
    scope: &str,
    options: serde_json::Value,
) -> Result<()> {
    let task = TaskContext::from_json(&json!({
        "db_url": url,
        "connection": {"id": 1, "name": "c"},
        "scope": {"id": scope, "name": scope},
        "scope_config": null,
        "options": options,
    }))
    .unwrap();
    let mut ctx = h.context(&task, "records")?;
    let mut db = devlake::db::Db::connect(url).await?;
    h.run_subtask(verb, "records", &mut ctx, &mut db, &mut Progress::silent())
        .await
        .map(|_| ())
}

fn text(v: &devlake::model::Value) -> Option<String> {
    match v {
        devlake::model::Value::Text(s) => Some(s.clone()),
        devlake::model::Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        _ => None,
    }
}

/// One text column of every row of a table, in id order.
async fn column(url: &str, table: &str, col: &str) -> Vec<String> {
    let mut db = devlake::db::Db::connect(url).await.unwrap();
    let sql = format!(
        "SELECT {} FROM {} ORDER BY id",
        db.quote(col),
        db.quote(table)
    );
    db.fetch_all(&sql, vec![])
        .await
        .unwrap()
        .iter()
        .map(|r| text(&r[0]).unwrap_or_default())
        .collect()
}

/// The `prevState` each raw record of a raw table carries, by scope.
async fn handed_states(url: &str, raw: &str) -> Vec<(String, serde_json::Value)> {
    let mut db = devlake::db::Db::connect(url).await.unwrap();
    let rows = db
        .fetch_all(
            &format!("SELECT params, data FROM {raw} ORDER BY id"),
            vec![],
        )
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            let params: serde_json::Value = serde_json::from_str(&text(&r[0]).unwrap()).unwrap();
            let data: serde_json::Value = serde_json::from_str(&text(&r[1]).unwrap()).unwrap();
            (
                params["ScopeId"].as_str().unwrap().to_string(),
                data["prevState"].clone(),
            )
        })
        .collect()
}

async fn meeting<A: std::future::Future, B: std::future::Future>(
    a: A,
    b: B,
) -> (A::Output, B::Output) {
    MEET.with(|m| *m.borrow_mut() = Some(Rc::new(tokio::sync::Barrier::new(2))));
    tokio::join!(a, b)
}

/// Two scopes collected at once, on a fresh database (their first runs create every table
/// at the same moment), then extracted and converted at once: both succeed, and each
/// scope's run row holds its own state.
async fn concurrent_scopes(backend: Backend) {
    let Some(tdb) = TestDatabase::create(backend, "conc").await else {
        return;
    };
    let h = host("conc");
    let url = tdb.url.as_str();
    let inc = json!({"incremental": true, "meet": 1});
    let (a, b) = meeting(
        run(&h, url, Verb::Collect, "p1", inc.clone()),
        run(&h, url, Verb::Collect, "p2", inc.clone()),
    )
    .await;
    a.unwrap();
    b.unwrap();
    for verb in [Verb::Extract, Verb::Convert] {
        let (a, b) = tokio::join!(
            run(&h, url, verb, "p1", json!({})),
            run(&h, url, verb, "p2", json!({}))
        );
        a.unwrap_or_else(|e| panic!("{verb:?} p1 on {backend:?}: {e}"));
        b.unwrap_or_else(|e| panic!("{verb:?} p2 on {backend:?}: {e}"));
    }
    let mut db = tdb.connect().await;
    assert_eq!(db.count("cicd_pipelines", None).await.unwrap(), 10);
    let rows = db
        .fetch_all(
            "SELECT scope_id, state FROM _pydevlake_subtask_runs WHERE subtask_name = 'Collect Records' AND completed IS NOT NULL ORDER BY scope_id",
            vec![],
        )
        .await
        .unwrap();
    let states: Vec<(String, serde_json::Value)> = rows
        .iter()
        .map(|r| {
            (
                text(&r[0]).unwrap(),
                serde_json::from_str(&text(&r[1]).unwrap()).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        states,
        vec![
            ("p1".into(), json!({"scope": "p1", "count": 5})),
            ("p2".into(), json!({"scope": "p2", "count": 5})),
        ],
        "each scope's run row holds its own state on {backend:?}"
    );
    // The next incremental runs, at once again, are handed their own scope's state.
    let next = json!({"incremental": true, "meet": 1, "count": 1});
    let (a, b) = meeting(
        run(&h, url, Verb::Collect, "p1", next.clone()),
        run(&h, url, Verb::Collect, "p2", next.clone()),
    )
    .await;
    a.unwrap();
    b.unwrap();
    let handed: Vec<_> = handed_states(url, "_raw_conc_records")
        .await
        .into_iter()
        .filter(|(_, s)| !s.is_null())
        .collect();
    let mut handed = handed;
    handed.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(
        handed,
        vec![
            ("p1".into(), json!({"scope": "p1", "count": 5})),
            ("p2".into(), json!({"scope": "p2", "count": 5})),
        ],
        "on {backend:?}"
    );
}

#[tokio::test]
async fn concurrent_scopes_keep_their_own_state_sqlite() {
    concurrent_scopes(Backend::Sqlite).await
}
#[tokio::test]
async fn concurrent_scopes_keep_their_own_state_mariadb() {
    concurrent_scopes(Backend::MySql).await
}
#[tokio::test]
async fn concurrent_scopes_keep_their_own_state_postgres() {
    concurrent_scopes(Backend::Postgres).await
}

/// State belongs to a plugin, connection, scope and subtask: another plugin with a stream
/// of the same name, and rows without a plugin or scope (pydevlake's, older versions'),
/// hand nothing over.
async fn state_is_keyed_by_plugin_and_scope(backend: Backend) {
    let Some(tdb) = TestDatabase::create(backend, "statekey").await else {
        return;
    };
    let url = tdb.url.as_str();
    let inc = json!({"incremental": true, "count": 1});
    run(&host("conc"), url, Verb::Collect, "p1", inc.clone())
        .await
        .unwrap();
    run(&host("other"), url, Verb::Collect, "p1", inc.clone())
        .await
        .unwrap();
    let mut db = tdb.connect().await;
    db.execute_raw(&format!(
        "INSERT INTO _pydevlake_subtask_runs (subtask_name, connection_id, started, completed, state) VALUES ('Collect Records', 1, {now}, {now}, '{{\"legacy\": true}}')",
        now = if backend == Backend::Sqlite { "CURRENT_TIMESTAMP" } else { "NOW()" }
    ))
    .await
    .unwrap();
    run(&host("conc"), url, Verb::Collect, "p9", inc.clone())
        .await
        .unwrap();
    assert_eq!(
        handed_states(url, "_raw_other_records").await,
        vec![("p1".into(), serde_json::Value::Null)],
        "another plugin's state is not handed over on {backend:?}"
    );
    assert_eq!(
        handed_states(url, "_raw_conc_records").await,
        vec![
            ("p1".into(), serde_json::Value::Null),
            ("p9".into(), serde_json::Value::Null)
        ],
        "a legacy row without scope is not handed to a scope on {backend:?}"
    );
}

#[tokio::test]
async fn state_is_keyed_by_plugin_and_scope_sqlite() {
    state_is_keyed_by_plugin_and_scope(Backend::Sqlite).await
}
#[tokio::test]
async fn state_is_keyed_by_plugin_and_scope_mariadb() {
    state_is_keyed_by_plugin_and_scope(Backend::MySql).await
}
#[tokio::test]
async fn state_is_keyed_by_plugin_and_scope_postgres() {
    state_is_keyed_by_plugin_and_scope(Backend::Postgres).await
}

/// `caseA`, `CASEA` and `cäsea` are three scopes: a full run of one leaves the others'
/// raw, tool and domain rows alone, also on MariaDB's case- and accent-insensitive
/// default collation.
async fn scopes_differing_by_case_or_accent(backend: Backend) {
    let Some(tdb) = TestDatabase::create(backend, "case").await else {
        return;
    };
    let h = host("conc");
    let url = tdb.url.as_str();
    let scopes = ["caseA", "CASEA", "cäsea"];
    for _round in 0..2 {
        for s in scopes {
            for verb in Verb::ALL {
                run(&h, url, verb, s, json!({"count": 3})).await.unwrap();
            }
        }
    }
    let count_by_scope = |params: Vec<String>| {
        scopes
            .iter()
            .map(|s| {
                let p = devlake::plugin::raw_data_params(1, s);
                params.iter().filter(|x| **x == p).count()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        count_by_scope(column(url, "_raw_conc_records", "params").await),
        vec![3, 3, 3],
        "raw rows on {backend:?}"
    );
    assert_eq!(
        count_by_scope(column(url, Record::descriptor().table, "_raw_data_params").await),
        vec![3, 3, 3],
        "tool rows on {backend:?}"
    );
    assert_eq!(
        count_by_scope(column(url, "cicd_pipelines", "_raw_data_params").await),
        vec![3, 3, 3],
        "domain rows on {backend:?}"
    );

    // Deleting one of them (`standalone delete-scope`) takes out its rows only.
    use devlake::db::lock::{run_key, RunLock};
    use devlake::standalone::devlake::delete_scope;
    let mut db = devlake::db::Db::connect(url).await.unwrap();
    delete_scope(&h, &mut db, 1, "caseA").await.unwrap();
    let left = vec![0, 3, 3];
    for (table, col) in [
        ("_raw_conc_records", "params"),
        (Record::descriptor().table, "_raw_data_params"),
        ("cicd_pipelines", "_raw_data_params"),
    ] {
        assert_eq!(
            count_by_scope(column(url, table, col).await),
            left,
            "{table} after deleting caseA on {backend:?}"
        );
    }
    // While a run of a scope holds its lock, deleting that scope is refused and removes
    // nothing.
    let mut holder = devlake::db::Db::connect(url).await.unwrap();
    let lock = RunLock::try_acquire(&mut holder, &run_key("conc", 1, "CASEA", "records"))
        .await
        .unwrap()
        .expect("the lock is free");
    let err = delete_scope(&h, &mut db, 1, "CASEA")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("scope CASEA stream records is in progress"),
        "{backend:?}: {err}"
    );
    assert_eq!(
        count_by_scope(column(url, "_raw_conc_records", "params").await),
        left,
        "a refused delete removes nothing on {backend:?}"
    );
    lock.release(&mut holder).await.unwrap();
    delete_scope(&h, &mut db, 1, "CASEA").await.unwrap();
    assert_eq!(
        count_by_scope(column(url, "_raw_conc_records", "params").await),
        vec![0, 0, 3],
        "{backend:?}"
    );
}

#[tokio::test]
async fn scopes_differing_by_case_or_accent_keep_their_rows_sqlite() {
    scopes_differing_by_case_or_accent(Backend::Sqlite).await
}
#[tokio::test]
async fn scopes_differing_by_case_or_accent_keep_their_rows_mariadb() {
    scopes_differing_by_case_or_accent(Backend::MySql).await
}
#[tokio::test]
async fn scopes_differing_by_case_or_accent_keep_their_rows_postgres() {
    scopes_differing_by_case_or_accent(Backend::Postgres).await
}

/// The bytes DevLake's Go side (`json.Marshal`) computes for this scope id when it deletes
/// the scope's data: `<`, `>`, `&` and U+2028 escaped, `ä` as UTF-8, `"` and `\` escaped.
const GO_PARAMS: &str =
    "{\"ConnectionId\":1,\"ScopeId\":\"a\\u003cb\\u003e\\u0026\\\"q\\\" \\\\ \u{e4}\\u2028'\"}";

async fn raw_data_params_are_gos(backend: Backend) {
    let Some(tdb) = TestDatabase::create(backend, "goparams").await else {
        return;
    };
    let h = host("conc");
    let url = tdb.url.as_str();
    let scope = "a<b>&\"q\" \\ ä\u{2028}'";
    for verb in Verb::ALL {
        run(&h, url, verb, scope, json!({"count": 2}))
            .await
            .unwrap();
    }
    assert_eq!(
        column(url, "_raw_conc_records", "params").await,
        vec![GO_PARAMS, GO_PARAMS],
        "on {backend:?}"
    );
    assert_eq!(
        column(url, "cicd_pipelines", "_raw_data_params").await,
        vec![GO_PARAMS, GO_PARAMS],
        "on {backend:?}"
    );
}

#[tokio::test]
async fn raw_data_params_are_byte_identical_to_gos_sqlite() {
    raw_data_params_are_gos(Backend::Sqlite).await
}
#[tokio::test]
async fn raw_data_params_are_byte_identical_to_gos_mariadb() {
    raw_data_params_are_gos(Backend::MySql).await
}
#[tokio::test]
async fn raw_data_params_are_byte_identical_to_gos_postgres() {
    raw_data_params_are_gos(Backend::Postgres).await
}

/// A run whose completion cannot be recorded (SQLite's `database is locked` after a long
/// commit, simulated by a trigger) fails without committing: the previous rows stay, and
/// no run row claims a completion.
#[tokio::test]
async fn a_run_that_cannot_record_its_completion_does_not_commit() {
    let Some(tdb) = TestDatabase::create(Backend::Sqlite, "nocommit").await else {
        return;
    };
    let h = host("conc");
    let url = tdb.url.as_str();
    run(&h, url, Verb::Collect, "p1", json!({"count": 4}))
        .await
        .unwrap();
    run(&h, url, Verb::Extract, "p1", json!({})).await.unwrap();
    let mut db = tdb.connect().await;
    db.execute_raw(
        "CREATE TRIGGER no_completion BEFORE UPDATE OF completed ON _pydevlake_subtask_runs BEGIN SELECT RAISE(ABORT, 'database is locked (simulated)'); END",
    )
    .await
    .unwrap();
    for verb in [Verb::Collect, Verb::Extract] {
        let err = run(&h, url, verb, "p1", json!({"count": 7}))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("database is locked (simulated)"), "{err}");
    }
    assert_eq!(db.count("_raw_conc_records", None).await.unwrap(), 4);
    assert_eq!(db.count(Record::descriptor().table, None).await.unwrap(), 4);
    let completed = db
        .count(
            "_pydevlake_subtask_runs",
            Some(("completed IS NOT NULL", vec![])),
        )
        .await
        .unwrap();
    assert_eq!(completed, 2, "only the two first runs completed");
}

/// The database connection dies inside a subtask, so its rollback fails too: the error
/// names the subtask's own failure first.
async fn failed_rollback_keeps_the_cause(backend: Backend) {
    let Some(tdb) = TestDatabase::create(backend, "rbcause").await else {
        return;
    };
    let h = host("conc");
    let url = tdb.url.as_str();
    run(&h, url, Verb::Collect, "p1", json!({})).await.unwrap();
    let err = run(&h, url, Verb::Extract, "p1", json!({"cut_connection": url}))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("the extractor broke down"),
        "the cause is reported on {backend:?}: {err}"
    );
    assert!(
        err.find("the extractor broke down") < err.find("rollback"),
        "cause first on {backend:?}: {err}"
    );
}

#[tokio::test]
async fn a_failed_rollback_reports_the_original_cause_first_mariadb() {
    failed_rollback_keeps_the_cause(Backend::MySql).await
}
#[tokio::test]
async fn a_failed_rollback_reports_the_original_cause_first_postgres() {
    failed_rollback_keeps_the_cause(Backend::Postgres).await
}

/// A second run of the same scope and stream, while the first holds its lock, is refused
/// with one line naming what runs; the first is unaffected. (Between processes, with
/// `kill -9`, in `tests/tests/concurrency.rs`.)
async fn a_second_run_of_a_scope_is_refused(backend: Backend) {
    let Some(tdb) = TestDatabase::create(backend, "refuse").await else {
        return;
    };
    let h = host("conc");
    let url = tdb.url.as_str();
    let second = async {
        let barrier = MEET.with(|m| m.borrow().clone()).expect("a barrier");
        // The first run is inside its collection, holding the lock.
        barrier.wait().await;
        let refused = run(&h, url, Verb::Collect, "p1", json!({})).await;
        // Let it finish.
        barrier.wait().await;
        refused
    };
    let (first, second) = meeting(
        run(&h, url, Verb::Collect, "p1", json!({"meet": 2})),
        second,
    )
    .await;
    first.unwrap();
    let err = second.unwrap_err().to_string();
    assert_eq!(
        err, "another run of conc connection 1 scope p1 stream records is in progress",
        "on {backend:?}"
    );
    // Another scope is not held up.
    let (a, b) = meeting(
        run(&h, url, Verb::Collect, "p1", json!({"meet": 1})),
        run(&h, url, Verb::Collect, "p2", json!({"meet": 1})),
    )
    .await;
    a.unwrap();
    b.unwrap();
}

#[tokio::test]
async fn a_second_run_of_a_scope_is_refused_sqlite() {
    a_second_run_of_a_scope_is_refused(Backend::Sqlite).await
}
#[tokio::test]
async fn a_second_run_of_a_scope_is_refused_mariadb() {
    a_second_run_of_a_scope_is_refused(Backend::MySql).await
}
#[tokio::test]
async fn a_second_run_of_a_scope_is_refused_postgres() {
    a_second_run_of_a_scope_is_refused(Backend::Postgres).await
}

/// A deadlock inside a subtask's transaction (PostgreSQL 40P01) rolls it back and runs it
/// again, up to a bound, instead of failing the run.
#[tokio::test]
async fn a_deadlocked_subtask_runs_again_postgres() {
    let Some(tdb) = TestDatabase::create(Backend::Postgres, "deadlock").await else {
        return;
    };
    let h = host("conc");
    let url = tdb.url.as_str();
    let table = Record::descriptor().table;
    run(&h, url, Verb::Collect, "p1", json!({"count": 3}))
        .await
        .unwrap();
    run(&h, url, Verb::Extract, "p1", json!({})).await.unwrap();
    run(
        &h,
        url,
        Verb::Collect,
        "p1",
        json!({"count": 3, "from": 10}),
    )
    .await
    .unwrap();
    let (old, new) = (item_id("p1", 0), item_id("p1", 10));
    let deadlock = json!({
        "url": url,
        "insert": format!("INSERT INTO {table} (connection_id, id) VALUES (1, '{new}')"),
        "update": format!("UPDATE {table} SET prev_state = NULL WHERE id = '{old}'"),
    });
    run(&h, url, Verb::Extract, "p1", json!({"deadlock": deadlock}))
        .await
        .unwrap();
    assert!(DEADLOCKED.with(|f| f.get()), "the deadlock was set up");
    let mut ids = column(url, table, "id").await;
    ids.sort();
    assert_eq!(ids, vec![new, item_id("p1", 11), item_id("p1", 12)]);
}

/// A substream's state is the one its last parent (in key order) set, whatever order the
/// concurrent fetches finish in.
#[tokio::test]
async fn substream_state_is_deterministic() {
    let Some(tdb) = TestDatabase::create(Backend::Sqlite, "substate").await else {
        return;
    };
    let h = host("conc");
    let url = tdb.url.as_str();
    run(&h, url, Verb::Collect, "s", json!({"count": 4}))
        .await
        .unwrap();
    run(&h, url, Verb::Extract, "s", json!({})).await.unwrap();
    let task = TaskContext::from_json(&json!({
        "db_url": url,
        "connection": {"id": 1, "name": "c"},
        "scope": {"id": "s", "name": "s"},
        "scope_config": null,
        "options": {"parents": 4},
    }))
    .unwrap();
    let mut ctx = h.context(&task, "children").unwrap();
    let mut db = tdb.connect().await;
    h.run_subtask(
        Verb::Collect,
        "children",
        &mut ctx,
        &mut db,
        &mut Progress::silent(),
    )
    .await
    .unwrap();
    let states = db
        .fetch_all(
            "SELECT state FROM _pydevlake_subtask_runs WHERE subtask_name = 'Collect Children'",
            vec![],
        )
        .await
        .unwrap();
    let state: serde_json::Value = serde_json::from_str(&text(&states[0][0]).unwrap()).unwrap();
    assert_eq!(state, json!({"parent": item_id("s", 3)}));
}

/// What a collect writes stays out of sight until it succeeds, and writing it holds no lock
/// that keeps other runs out: halfway through a full collect of `p1` (1,500 of 2,000
/// records, so a batch has been written), another connection still reads `p1`'s previous
/// rows only, and a collect of `p2` runs to its end. On SQLite that takes the collect's own
/// temporary table: a transaction held through the collection would keep `p2` waiting on
/// the file's one write lock (and this test with it) until the busy timeout.
async fn a_collect_in_progress(backend: Backend) {
    let Some(tdb) = TestDatabase::create(backend, "inprogress").await else {
        return;
    };
    let h = host("conc");
    let url = tdb.url.as_str();
    let raw = "_raw_conc_records";
    run(&h, url, Verb::Collect, "p1", json!({"count": 3}))
        .await
        .unwrap();
    let p1_rows = |params: Vec<String>| params.iter().filter(|p| p.contains("\"p1\"")).count();
    let other_side = async {
        let barrier = MEET.with(|m| m.borrow().clone()).expect("a barrier");
        barrier.wait().await;
        let seen = p1_rows(column(url, raw, "params").await);
        let p2 = tokio::time::timeout(
            std::time::Duration::from_secs(20),
            run(&h, url, Verb::Collect, "p2", json!({"count": 4})),
        )
        .await;
        barrier.wait().await;
        (seen, p2)
    };
    let (p1, (seen, p2)) = meeting(
        run(
            &h,
            url,
            Verb::Collect,
            "p1",
            json!({"count": 2000, "meet": 2, "meet_at": 1500}),
        ),
        other_side,
    )
    .await;
    p1.unwrap();
    assert_eq!(
        seen, 3,
        "p1's rows halfway through its collect on {backend:?}"
    );
    p2.unwrap_or_else(|_| panic!("p2's collect waited for p1's on {backend:?}"))
        .unwrap();
    let params = column(url, raw, "params").await;
    assert_eq!(p1_rows(params.clone()), 2000, "on {backend:?}");
    assert_eq!(params.len(), 2004, "on {backend:?}");
}

#[tokio::test]
async fn a_collect_in_progress_is_invisible_and_holds_no_one_up_sqlite() {
    a_collect_in_progress(Backend::Sqlite).await
}
#[tokio::test]
async fn a_collect_in_progress_is_invisible_and_holds_no_one_up_mariadb() {
    a_collect_in_progress(Backend::MySql).await
}
#[tokio::test]
async fn a_collect_in_progress_is_invisible_and_holds_no_one_up_postgres() {
    a_collect_in_progress(Backend::Postgres).await
}

/// A full extract and convert write their rows as new ones (PostgreSQL: `COPY`, see
/// `InsertPlan::assume_fresh_keys`), yet keys another scope's rows hold, and keys a source
/// gives twice in batches of their own, are upserted as before: the last row wins.
async fn keys_held_elsewhere(backend: Backend) {
    let Some(tdb) = TestDatabase::create(backend, "freshkeys").await else {
        return;
    };
    let h = host("conc");
    let url = tdb.url.as_str();
    let table = Record::descriptor().table;
    // Two scopes of the same ids: the second scope's full extract meets the first's rows.
    for scope in ["p1", "p2"] {
        let shared = json!({"count": 300, "shared": true});
        for verb in Verb::ALL {
            run(&h, url, verb, scope, shared.clone())
                .await
                .unwrap_or_else(|e| panic!("{verb:?} {scope} on {backend:?}: {e}"));
        }
    }
    let mut db = tdb.connect().await;
    assert_eq!(db.count(table, None).await.unwrap(), 300, "on {backend:?}");
    let owners = column(url, table, "_raw_data_params").await;
    assert!(
        owners.iter().all(|p| p.contains("\"p2\"")),
        "the last scope's rows win on {backend:?}"
    );
    // One scope whose source repeats ids across batches: 1,500 records of 1,200 ids.
    let repeated = json!({"count": 1500, "distinct": 1200});
    for verb in Verb::ALL {
        run(&h, url, verb, "p3", repeated.clone())
            .await
            .unwrap_or_else(|e| panic!("{verb:?} p3 on {backend:?}: {e}"));
    }
    let p3 = column(url, table, "_raw_data_params")
        .await
        .iter()
        .filter(|p| p.contains("\"p3\""))
        .count();
    assert_eq!(p3, 1200, "on {backend:?}");
    // The extract of the repeated ids kept the last raw row of each.
    let last: Vec<devlake::model::Value> = db
        .fetch_all(
            &format!(
                "SELECT _raw_data_id FROM {table} WHERE id = '{}'",
                item_id("p3", 0)
            ),
            vec![],
        )
        .await
        .unwrap()
        .remove(0);
    let newest: Vec<devlake::model::Value> = db
        .fetch_all(
            &format!(
                "SELECT MAX(id) FROM _raw_conc_records WHERE data LIKE '%{}\"%'",
                item_id("p3", 0)
            ),
            vec![],
        )
        .await
        .unwrap()
        .remove(0);
    assert_eq!(last, newest, "on {backend:?}");
}

#[tokio::test]
async fn keys_held_by_other_scopes_or_given_twice_are_upserted_sqlite() {
    keys_held_elsewhere(Backend::Sqlite).await
}
#[tokio::test]
async fn keys_held_by_other_scopes_or_given_twice_are_upserted_mariadb() {
    keys_held_elsewhere(Backend::MySql).await
}
#[tokio::test]
async fn keys_held_by_other_scopes_or_given_twice_are_upserted_postgres() {
    keys_held_elsewhere(Backend::Postgres).await
}

/// A server at its connection limit still serves a run. Past their first page, extract and
/// convert read ahead on a second connection (`stream::pages`) when the server gives them
/// one, and on their one connection when it refuses: here the plugin's database user may
/// hold one connection at a time (MariaDB `MAX_USER_CONNECTIONS 1`, PostgreSQL
/// `CONNECTION LIMIT 1`), and 2,500 records take three pages.
async fn one_connection_only(backend: Backend) {
    let Some(tdb) = TestDatabase::create(backend, "onecx").await else {
        return;
    };
    let (scheme, rest) = tdb.url.split_once("://").unwrap();
    let (_, host_and_db) = rest.split_once('@').unwrap();
    let database = host_and_db.rsplit('/').next().unwrap().to_string();
    let user = format!("u_{database}");
    let mut admin = tdb.connect().await;
    let setup = match backend {
        Backend::MySql => vec![
            format!("CREATE USER '{user}'@'%' IDENTIFIED BY 'pw' WITH MAX_USER_CONNECTIONS 1"),
            format!("GRANT ALL ON `{database}`.* TO '{user}'@'%'"),
        ],
        _ => vec![
            format!("CREATE ROLE {user} LOGIN PASSWORD 'pw' CONNECTION LIMIT 1"),
            format!("GRANT ALL ON SCHEMA public TO {user}"),
        ],
    };
    for sql in setup {
        admin.execute_raw(&sql).await.unwrap();
    }
    let url = format!("{scheme}://{user}:pw@{host_and_db}");
    // The limit holds: a second connection of the user is refused while one is open.
    let first = devlake::db::Db::connect(&url).await.unwrap();
    assert!(
        devlake::db::Db::connect(&url).await.is_err(),
        "a second connection on {backend:?}"
    );
    drop(first);
    let h = host("conc");
    let mut outcome = Ok(());
    for verb in Verb::ALL {
        // The server may take a moment to count the closed connection out.
        for attempt in 0..50 {
            outcome = run(&h, &url, verb, "p1", json!({"count": 2500})).await;
            match &outcome {
                Err(e) if attempt < 49 && e.to_string().contains("cannot connect") => {
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                _ => break,
            }
        }
        if outcome.is_err() {
            break;
        }
    }
    let count = admin.count("cicd_pipelines", None).await;
    let cleanup = match backend {
        Backend::MySql => vec![format!("DROP USER '{user}'@'%'")],
        _ => vec![format!("DROP OWNED BY {user}"), format!("DROP ROLE {user}")],
    };
    for sql in cleanup {
        admin.execute_raw(&sql).await.unwrap();
    }
    outcome.unwrap_or_else(|e| panic!("on {backend:?}: {e}"));
    assert_eq!(count.unwrap(), 2500, "on {backend:?}");
}

#[tokio::test]
async fn a_server_at_its_connection_limit_still_serves_the_run_mariadb() {
    one_connection_only(Backend::MySql).await
}
#[tokio::test]
async fn a_server_at_its_connection_limit_still_serves_the_run_postgres() {
    one_connection_only(Backend::Postgres).await
}
