//! The fake plugin collecting through `devlake::api` from a real HTTP server on
//! 127.0.0.1: token pagination, bearer auth, a 500 retried, the page URL kept in each raw
//! row; a 401 and a persistent 500 fail cleanly, leaving the previous rows as they were.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Json;
use devlake_e2e::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[derive(Default)]
struct Server {
    requests: AtomicUsize,
    /// Page 2 answers 500 this many times.
    failures_left: AtomicUsize,
    /// `updated_since` of each request.
    since: std::sync::Mutex<Vec<Option<String>>>,
}

fn pipeline(i: usize) -> Value {
    let state = ["success", "failure", "pending"][i % 3];
    json!({"id": i.to_string(), "startedAt": "2023-01-10T11:00:00", "finishedAt": "2023-01-10T11:03:00", "state": state})
}

async fn pipelines(
    State(s): State<Arc<Server>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    s.requests.fetch_add(1, Ordering::SeqCst);
    s.since
        .lock()
        .unwrap()
        .push(q.get("updated_since").cloned());
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some("Bearer this_is_a_valid_token")
    {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"message": "bad credentials"})),
        )
            .into_response();
    }
    let page: usize = q
        .get("page_token")
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    if page == 2 && s.failures_left.load(Ordering::SeqCst) > 0 {
        s.failures_left.fetch_sub(1, Ordering::SeqCst);
        return (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response();
    }
    let items: Vec<Value> = (page * 100..((page + 1) * 100).min(250))
        .map(pipeline)
        .collect();
    let next = if (page + 1) * 100 < 250 {
        json!((page + 1).to_string())
    } else {
        Value::Null
    };
    Json(json!({"items": items, "next": next})).into_response()
}

async fn serve(failures: usize) -> (String, Arc<Server>) {
    let state = Arc::new(Server {
        failures_left: AtomicUsize::new(failures),
        ..Default::default()
    });
    let app = axum::Router::new()
        .route("/pipelines", get(pipelines))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (format!("http://{addr}"), state)
}

fn collect_args(db: &str, token: &str) -> Vec<String> {
    collect_args_with(db, token, json!({}))
}

fn collect_args_with(db: &str, token: &str, options: Value) -> Vec<String> {
    let ctx = json!({
        "db_url": db,
        "connection": {"id": 1, "name": "c", "token": token},
        "scope": {"id": "p1", "name": "Project 1", "url": "http://fake.org", "connection_id": 1},
        "scope_config": {"env": "test env"},
        "options": options
    });
    vec![
        "collect".into(),
        r#"{"log_level":"info"}"#.into(),
        ctx.to_string(),
        "\"fakepipelinestream\"".into(),
    ]
}

async fn collect(api: &str, db: &str, token: &str) -> Call {
    collect_with(api, collect_args(db, token)).await
}

async fn collect_with(api: &str, args: Vec<String>) -> Call {
    let run = build_example("fakeplugin");
    let api = api.to_string();
    tokio::task::spawn_blocking(move || {
        let cwd = std::env::temp_dir();
        call_with(&run, &args, &cwd, &[("FAKE_API_URL", api.as_str())], true)
    })
    .await
    .unwrap()
}

async fn raw_rows(db: &str) -> Vec<(String, Option<String>)> {
    let mut db = devlake::db::Db::connect(db).await.unwrap();
    let rows = db
        .fetch_all(
            "SELECT data, url FROM _raw_fake_fakepipelinestream ORDER BY id",
            vec![],
        )
        .await
        .unwrap();
    rows.into_iter()
        .map(|r| {
            let text = |v: &devlake::model::Value| match v {
                devlake::model::Value::Text(s) => Some(s.clone()),
                devlake::model::Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
                _ => None,
            };
            (text(&r[0]).unwrap(), text(&r[1]))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn collects_every_page_through_the_api_client() {
    let (api, server) = serve(1).await;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:///{}/http.db", dir.path().display());
    let c = collect(&api, &db, "this_is_a_valid_token").await;
    assert_eq!(c.rc, 0, "{}", c.stderr);
    assert_eq!(
        c.messages(),
        anchored_messages("collect.jsonl"),
        "same progress as pydevlake's collect"
    );
    // 3 pages + 1 retry of the 500.
    assert_eq!(server.requests.load(Ordering::SeqCst), 4);
    let rows = raw_rows(&db).await;
    assert_eq!(rows.len(), 250);
    assert_eq!(
        rows[0].1.as_deref(),
        Some(format!("{api}/pipelines").as_str()),
        "raw rows keep the request URL"
    );
    assert_eq!(
        rows[249].1.as_deref(),
        Some(format!("{api}/pipelines?page_token=2").as_str())
    );
    let first: Value = serde_json::from_str(&rows[0].0).unwrap();
    assert_eq!(first, pipeline(0));
    // The rest of the pipeline runs on what was collected.
    let run = build_example("fakeplugin");
    for verb in ["extract", "convert"] {
        let mut args = collect_args(&db, "this_is_a_valid_token");
        args[0] = verb.into();
        let c = tokio::task::spawn_blocking({
            let run = run.clone();
            move || call(&run, &args, &std::env::temp_dir())
        })
        .await
        .unwrap();
        assert_eq!(c.rc, 0, "{verb}: {}", c.stderr);
    }
    let mut d = devlake::db::Db::connect(&db).await.unwrap();
    assert_eq!(d.count("cicd_pipelines", None).await.unwrap(), 250);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_token_fails_with_the_status_and_no_secret() {
    let (api, _server) = serve(0).await;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:///{}/http.db", dir.path().display());
    let c = collect(&api, &db, "not_the_token").await;
    assert_eq!(c.rc, 1);
    assert!(c.fd3.is_empty(), "{}", c.fd3);
    assert!(
        c.stderr.contains("401") && c.stderr.contains("/pipelines"),
        "{}",
        c.stderr
    );
    assert!(
        !c.stderr.contains("not_the_token"),
        "the token leaked: {}",
        c.stderr
    );
    assert_eq!(c.stderr.lines().count(), 1, "{}", c.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_page_leaves_the_previous_collection_intact() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:///{}/http.db", dir.path().display());
    let (good, _s) = serve(0).await;
    assert_eq!(collect(&good, &db, "this_is_a_valid_token").await.rc, 0);
    // Page 2 fails more often than the client retries: pydevlake would leave 200 new rows
    // committed; here the failed run rolls back to the previous 250.
    let (bad, server) = serve(100).await;
    let c = collect(&bad, &db, "this_is_a_valid_token").await;
    assert_eq!(c.rc, 1);
    assert!(c.stderr.contains("500"), "{}", c.stderr);
    assert_eq!(
        server.requests.load(Ordering::SeqCst),
        2 + 4,
        "two pages, then page 2 tried 1 + 3 times"
    );
    assert_eq!(raw_rows(&db).await.len(), 250);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_incremental_collect_asks_for_what_changed_since_the_last_start() {
    let (api, server) = serve(0).await;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:///{}/since.db", dir.path().display());
    let token = "this_is_a_valid_token";
    let now = || devlake::model::DateTime::from(std::time::SystemTime::now());
    let before = now();
    let c = collect(&api, &db, token).await;
    assert_eq!(c.rc, 0, "{}", c.stderr);
    let after = now();
    let incremental = collect_args_with(&db, token, json!({"incremental": true}));
    let c = collect_with(&api, incremental).await;
    assert_eq!(c.rc, 0, "{}", c.stderr);
    let since = server.since.lock().unwrap().clone();
    assert_eq!(since.len(), 6, "three pages per run: {since:?}");
    assert!(
        since[..3].iter().all(Option::is_none),
        "a full run asks for all"
    );
    let sent = since[3]
        .clone()
        .expect("the incremental run sends updated_since");
    assert!(
        since[3..].iter().all(|s| s.as_ref() == Some(&sent)),
        "{since:?}"
    );
    let sent: devlake::model::DateTime =
        devlake::model::ColumnValue::from_json(&json!(sent)).unwrap();
    // Stored to the millisecond, rounded down.
    assert!(
        before.timestamp_millis() <= sent.timestamp_millis() && sent <= after,
        "the first run's start: {sent} is not between {before} and {after}"
    );
}
