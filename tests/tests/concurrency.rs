//! Plugin processes meeting on one database, as DevLake (or a user's standalone run) starts
//! them: a second run of a scope is refused while the first holds it, a `kill -9`ed holder
//! leaves no stale lock, a collect waiting on a slow API holds no lock on the scope's
//! tables, and first runs of two new scopes at once both succeed. Each test runs the fake plugin's `run.sh` on SQLite, MariaDB and PostgreSQL.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::Json;
use devlake::db::{Db, Dialect};
use devlake::model::Value as DbValue;
use devlake::testing::{Backend, TestDatabase};
use devlake_e2e::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch, Mutex};

/// Records on the first page (more than one write batch) and on the second.
const FIRST_PAGE: usize = 1200;
const SECOND_PAGE: usize = 300;
const TOTAL: i64 = (FIRST_PAGE + SECOND_PAGE) as i64;

/// A tool API whose second page waits while the gate is closed, and says when a request
/// for it arrives.
struct SlowApi {
    open: watch::Receiver<bool>,
    waiting: mpsc::UnboundedSender<()>,
}

fn pipeline(i: usize) -> Value {
    json!({"id": i.to_string(), "startedAt": "2023-01-10T11:00:00", "finishedAt": "2023-01-10T11:03:00", "state": "success"})
}

async fn pipelines(
    State(s): State<Arc<SlowApi>>,
    Query(q): Query<HashMap<String, String>>,
) -> Json<Value> {
    if q.get("page_token").map(String::as_str) == Some("1") {
        let mut open = s.open.clone();
        if !*open.borrow() {
            let _ = s.waiting.send(());
            let _ = open.wait_for(|o| *o).await;
        }
        let items: Vec<Value> = (FIRST_PAGE..FIRST_PAGE + SECOND_PAGE)
            .map(pipeline)
            .collect();
        return Json(json!({"items": items, "next": null}));
    }
    let items: Vec<Value> = (0..FIRST_PAGE).map(pipeline).collect();
    Json(json!({"items": items, "next": "1"}))
}

struct Api {
    url: String,
    gate: watch::Sender<bool>,
    waiting: Mutex<mpsc::UnboundedReceiver<()>>,
}

impl Api {
    async fn start() -> Api {
        let (gate, open) = watch::channel(true);
        let (tx, rx) = mpsc::unbounded_channel();
        let app = axum::Router::new()
            .route("/pipelines", get(pipelines))
            .with_state(Arc::new(SlowApi { open, waiting: tx }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        Api {
            url: format!("http://{addr}"),
            gate,
            waiting: Mutex::new(rx),
        }
    }

    /// Waits until a collect is blocked on the second page (bounded, so a broken plugin
    /// fails the test instead of hanging it).
    async fn until_a_collect_waits(&self) {
        tokio::time::timeout(Duration::from_secs(120), self.waiting.lock().await.recv())
            .await
            .expect("a collect reached the slow page within 2 minutes")
            .expect("the server is up");
    }
}

fn args(verb: &str, db: &str) -> Vec<String> {
    scope_args(verb, db, "p1")
}

fn scope_args(verb: &str, db: &str, scope: &str) -> Vec<String> {
    let ctx = json!({
        "db_url": db,
        "connection": {"id": 1, "name": "c", "token": "this_is_a_valid_token"},
        "scope": {"id": scope, "name": scope, "url": "http://fake.org", "connection_id": 1},
        "scope_config": {"env": "test env"},
        "options": {}
    });
    vec![
        verb.into(),
        r#"{"log_level":"info"}"#.into(),
        ctx.to_string(),
        "\"fakepipelinestream\"".into(),
    ]
}

async fn plugin(verb: &str, db: &str, api: &str) -> Call {
    let run = build_example("fakeplugin");
    let (args, api) = (args(verb, db), api.to_string());
    tokio::task::spawn_blocking(move || {
        call_with(
            &run,
            &args,
            &std::env::temp_dir(),
            &[("FAKE_API_URL", api.as_str())],
            true,
        )
    })
    .await
    .unwrap()
}

/// Starts a collect in the background (fd 3 on /dev/null), to be killed.
fn spawn_collect(db: &str, api: &str) -> std::process::Child {
    let run = build_example("fakeplugin");
    let null = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/null")
        .unwrap();
    let mut cmd = Command::new(run);
    cmd.args(args("collect", db))
        .env("FAKE_API_URL", api)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let fd = std::os::fd::AsRawFd::as_raw_fd(&null);
    // SAFETY: between fork and exec, only dup2 (async-signal-safe).
    unsafe {
        cmd.pre_exec(move || {
            if libc::dup2(fd, 3) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.spawn().expect("spawn run.sh");
    drop(null);
    child
}

const PARAMS: &str = r#"{"ConnectionId":1,"ScopeId":"p1"}"#;

/// A connection that gives up on a lock after 10 s instead of waiting forever: a statement
/// blocked by the collect fails the test rather than hanging it.
async fn impatient(url: &str) -> Db {
    let mut db = Db::connect(url).await.unwrap();
    let sql = match db.dialect() {
        Dialect::Sqlite => "PRAGMA busy_timeout = 10000",
        Dialect::MySql => "SET SESSION innodb_lock_wait_timeout = 10",
        Dialect::Postgres => "SET lock_timeout = '10s'",
    };
    db.execute_raw(sql).await.unwrap();
    db
}

async fn scope_rows(db: &mut Db, table: &str, col: &str) -> i64 {
    let p = db.dialect().placeholder(1);
    db.count(
        table,
        Some((&format!("{col} = {p}"), vec![DbValue::Text(PARAMS.into())])),
    )
    .await
    .unwrap()
}

/// Waits until no other session is connected to the database (the server has noticed the
/// killed process's connection closing), so what follows tests for stale locks, not for
/// the server's reaction time.
async fn until_alone(url: &str) {
    let mut db = Db::connect(url).await.unwrap();
    let sql = match db.dialect() {
        Dialect::Sqlite => return,
        Dialect::MySql => "SELECT COUNT(*) FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID()",
        Dialect::Postgres => "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    };
    for _ in 0..600 {
        let rows = db.fetch_all(sql, vec![]).await.unwrap();
        if matches!(rows[0][0], DbValue::Int(0)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the killed plugin's session is still open after 30 s");
}

async fn runs_never_mix(backend: Backend) {
    let Some(tdb) = TestDatabase::create(backend, "procs").await else {
        return;
    };
    let db = tdb.url.as_str();
    let api = Api::start().await;
    for verb in ["collect", "extract", "convert"] {
        let c = plugin(verb, db, &api.url).await;
        assert_eq!(c.rc, 0, "{verb} on {backend:?}: {}", c.stderr);
    }

    // A collect that waits on the slow page, holding the scope.
    api.gate.send_replace(false);
    let mut holder = spawn_collect(db, &api.url);
    api.until_a_collect_waits().await;

    // Meanwhile DevLake's tables are free: reads see the previous rows, writes to the
    // scope's rows go through at once.
    let mut other = impatient(db).await;
    let raw = "_raw_fake_fakepipelinestream";
    assert_eq!(scope_rows(&mut other, raw, "params").await, TOTAL);
    let q = |s: &str| other.quote(s);
    for sql in [
        format!(
            "UPDATE {} SET {} = {} WHERE {} = '{PARAMS}'",
            q(raw),
            q("url"),
            q("url"),
            q("params")
        ),
        format!(
            "UPDATE {} SET {} = {} WHERE {} = '{PARAMS}'",
            q("_tool_fakeplugin_fakepipelines"),
            q("state"),
            q("state"),
            q("_raw_data_params")
        ),
        format!(
            "DELETE FROM {} WHERE {} = '{PARAMS}' AND {} = 'none'",
            q("cicd_pipelines"),
            q("_raw_data_params"),
            q("id")
        ),
    ] {
        other
            .execute_raw(&sql)
            .await
            .unwrap_or_else(|e| panic!("on {backend:?}, while a collect waits: {e}"));
    }

    // A second run of the same scope is refused at once, with one line.
    let second = plugin("collect", db, &api.url).await;
    assert_eq!(second.rc, 1, "on {backend:?}: {}", second.stderr);
    assert_eq!(
        second.stderr.trim_end(),
        "error: another run of fake connection 1 scope p1 stream fakepipelinestream is in progress",
        "on {backend:?}"
    );

    // kill -9 the holder: its lock dies with it, and the next run succeeds and leaves
    // exactly one collection (the killed run's rows written aside are gone).
    holder.kill().unwrap();
    holder.wait().unwrap();
    drop(other);
    until_alone(db).await;
    api.gate.send_replace(true);
    let next = plugin("collect", db, &api.url).await;
    assert_eq!(next.rc, 0, "after kill -9 on {backend:?}: {}", next.stderr);
    let mut check = Db::connect(db).await.unwrap();
    assert_eq!(
        check.count(raw, None).await.unwrap(),
        TOTAL,
        "on {backend:?}"
    );
    assert_eq!(scope_rows(&mut check, raw, "params").await, TOTAL);
}

#[tokio::test(flavor = "multi_thread")]
async fn runs_of_one_scope_never_mix_sqlite() {
    runs_never_mix(Backend::Sqlite).await
}
#[tokio::test(flavor = "multi_thread")]
async fn runs_of_one_scope_never_mix_mariadb() {
    runs_never_mix(Backend::MySql).await
}
#[tokio::test(flavor = "multi_thread")]
async fn runs_of_one_scope_never_mix_postgres() {
    runs_never_mix(Backend::Postgres).await
}

/// The fake plugin's scope config names an environment DevLake does not have: convert says
/// at warn, once, how many values it left empty.
#[tokio::test(flavor = "multi_thread")]
async fn unmapped_enum_values_are_reported_at_warn() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:///{}/enum.db", dir.path().display());
    let api = Api::start().await;
    let mut converted = None;
    for verb in ["collect", "extract", "convert"] {
        let mut a = args(verb, &db);
        a[1] = r#"{"log_level":"warn"}"#.into();
        let run = build_example("fakeplugin");
        let url = api.url.clone();
        let c = tokio::task::spawn_blocking(move || {
            call_with(
                &run,
                &a,
                &std::env::temp_dir(),
                &[("FAKE_API_URL", &url)],
                true,
            )
        })
        .await
        .unwrap();
        assert_eq!(c.rc, 0, "{verb}: {}", c.stderr);
        converted = Some(c);
    }
    let c = converted.unwrap();
    let warns: Vec<&str> = c
        .stdout
        .lines()
        .filter(|l| l.contains("not mapped"))
        .collect();
    assert_eq!(warns.len(), 1, "one line per subtask: {}", c.stdout);
    assert!(
        warns[0].contains("Convert Fakepipelinestream: 1500 values of environment not mapped"),
        "{}",
        warns[0]
    );
    assert!(
        warns[0].to_ascii_lowercase().contains("warn"),
        "{}",
        warns[0]
    );
}

/// The first runs of two new scopes at once, as two processes on a fresh database: each
/// subtask pair creates the same tables at the same moment (MariaDB deadlocked, 1213;
/// PostgreSQL collided in `pg_type_typname_nsp_index`), and both must succeed.
async fn first_runs_at_once(backend: Backend) {
    for round in 0..2 {
        let Some(tdb) = TestDatabase::create(backend, "firstruns").await else {
            return;
        };
        let run = build_example("fakeplugin");
        for verb in ["collect", "extract", "convert"] {
            let pair: Vec<_> = ["p1", "p2"]
                .into_iter()
                .map(|scope| {
                    let (run, args) = (run.clone(), scope_args(verb, &tdb.url, scope));
                    tokio::task::spawn_blocking(move || {
                        call_with(
                            &run,
                            &args,
                            &std::env::temp_dir(),
                            &[("FAKE_N", "2000")],
                            true,
                        )
                    })
                })
                .collect();
            for (scope, c) in ["p1", "p2"].iter().zip(pair) {
                let c = c.await.unwrap();
                assert_eq!(
                    c.rc, 0,
                    "{verb} {scope} on {backend:?}, round {round}: {}",
                    c.stderr
                );
            }
        }
        let mut db = Db::connect(&tdb.url).await.unwrap();
        // Both scopes' raw rows; their pipelines share ids, so tool and domain rows are one set.
        assert_eq!(
            db.count("_raw_fake_fakepipelinestream", None)
                .await
                .unwrap(),
            4000
        );
        assert_eq!(db.count("cicd_pipelines", None).await.unwrap(), 2000);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn first_runs_of_two_scopes_at_once_sqlite() {
    first_runs_at_once(Backend::Sqlite).await
}
#[tokio::test(flavor = "multi_thread")]
async fn first_runs_of_two_scopes_at_once_mariadb() {
    first_runs_at_once(Backend::MySql).await
}
#[tokio::test(flavor = "multi_thread")]
async fn first_runs_of_two_scopes_at_once_postgres() {
    first_runs_at_once(Backend::Postgres).await
}
