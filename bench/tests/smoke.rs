//! The harness works: the hidden `--child` mode runs a small measurement and prints its
//! JSON report, the plain and limit baselines write the same rows as the framework, and
//! the incremental run goes through the runtime's incremental mode. No timing is asserted.

use devlake::db::Db;
use devlake::model::Value;
use devlake::testing::{Backend, TestDatabase};
use serde_json::Value as Json;
use std::process::{Command, Output};

const N: u64 = 500;

fn child(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_devlake-bench"))
        .arg("--child")
        .args(args)
        .output()
        .expect("run devlake-bench --child")
}

/// Runs a child that must succeed; returns its JSON report.
fn report(args: &[&str]) -> Json {
    let out = child(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child {args:?} failed: {stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one JSON line on stdout, got {stdout:?}");
    serde_json::from_str(lines[0]).expect("the report is JSON")
}

fn check_shape(r: &Json, implementation: &str, database: &str, phases: &[&str]) {
    assert_eq!(r["implementation"], implementation);
    assert_eq!(r["database"], database);
    assert_eq!(r["n"], N);
    assert!(r["start_rss_kib"].as_u64().is_some_and(|k| k > 0), "{r}");
    assert!(
        r["peak_rss_kib"].as_u64() >= r["start_rss_kib"].as_u64(),
        "{r}"
    );
    assert!(r["per_phase_peak"].is_boolean(), "{r}");
    let got: Vec<&str> = r["phases"]
        .as_array()
        .expect("phases")
        .iter()
        .map(|p| p["name"].as_str().expect("name"))
        .collect();
    assert_eq!(got, phases);
    for p in r["phases"].as_array().unwrap() {
        assert_eq!(p["rows"], N, "{p}");
        assert!(p["secs"].as_f64().is_some_and(|s| s >= 0.0), "{p}");
        assert!(p["peak_rss_kib"].as_u64().is_some_and(|k| k > 0), "{p}");
        match implementation {
            "plain" | "limit" => assert!(
                p["write_secs"]
                    .as_f64()
                    .is_some_and(|w| w <= p["secs"].as_f64().unwrap()),
                "{p}"
            ),
            _ => assert!(p["write_secs"].is_null(), "{p}"),
        }
    }
}

/// Rows of a table without the columns that hold the time of writing.
async fn rows(db: &mut Db, table: &str, order: &str) -> Vec<Vec<Value>> {
    let cols: Vec<String> = db
        .columns(table)
        .await
        .expect("columns")
        .into_iter()
        .filter(|c| c != "created_at" && c != "updated_at")
        .map(|c| db.quote(&c))
        .collect();
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {}",
        cols.join(", "),
        db.quote(table),
        db.quote(order)
    );
    db.fetch_all(&sql, vec![]).await.expect("select")
}

const TABLES: [&str; 3] = [
    "_raw_bench_generatedpipelines",
    "_tool_fakeplugin_fakepipelines",
    "cicd_pipelines",
];

/// A full run of `implementation` on a fresh database, its report checked.
async fn full_run(backend: Backend, implementation: &str) -> Option<TestDatabase> {
    let db = TestDatabase::create(backend, &format!("bench_smoke_{implementation}")).await?;
    let r = report(&[
        "--implementation",
        implementation,
        "--n",
        &N.to_string(),
        "--db-url",
        &db.url,
    ]);
    check_shape(
        &r,
        implementation,
        backend.name(),
        &["collect", "extract", "convert"],
    );
    Some(db)
}

/// `baseline` (plain or limit) writes exactly the framework's rows.
async fn same_rows_on(backend: Backend, baseline: &str) {
    let Some(fw) = full_run(backend, "framework").await else {
        return;
    };
    let Some(other) = full_run(backend, baseline).await else {
        return;
    };
    let (mut a, mut b) = (fw.connect().await, other.connect().await);
    for table in TABLES {
        let (x, y) = (
            rows(&mut a, table, "id").await,
            rows(&mut b, table, "id").await,
        );
        assert_eq!(x.len() as u64, N, "{table} on {}", backend.name());
        assert_eq!(
            x,
            y,
            "{table} on {}: the {baseline} baseline must write the framework's rows",
            backend.name()
        );
    }
}

#[tokio::test]
async fn plain_baseline_writes_the_framework_rows_sqlite() {
    same_rows_on(Backend::Sqlite, "plain").await;
}

#[tokio::test]
async fn plain_baseline_writes_the_framework_rows_mysql() {
    same_rows_on(Backend::MySql, "plain").await;
}

#[tokio::test]
async fn plain_baseline_writes_the_framework_rows_postgres() {
    same_rows_on(Backend::Postgres, "plain").await;
}

#[tokio::test]
async fn limit_baseline_writes_the_framework_rows_sqlite() {
    same_rows_on(Backend::Sqlite, "limit").await;
}

#[tokio::test]
async fn limit_baseline_writes_the_framework_rows_mysql() {
    same_rows_on(Backend::MySql, "limit").await;
}

#[tokio::test]
async fn limit_baseline_writes_the_framework_rows_postgres() {
    same_rows_on(Backend::Postgres, "limit").await;
}

/// The incremental run: the source gives `changed` records (half updates of existing
/// pipelines, half new) because the runtime handed it the last run's start and state;
/// extract and convert carry exactly those through, and nothing else is rewritten.
async fn incremental_on(backend: Backend) {
    const CHANGED: u64 = 10;
    let Some(db) = TestDatabase::create(backend, "bench_smoke_incr").await else {
        return;
    };
    let r = report(&[
        "--implementation",
        "framework",
        "--n",
        &N.to_string(),
        "--changed",
        &CHANGED.to_string(),
        "--db-url",
        &db.url,
    ]);
    check_shape(
        &r,
        "framework",
        backend.name(),
        &["collect", "extract", "convert"],
    );
    assert_eq!(r["changed"], CHANGED);
    let new = CHANGED - CHANGED / 2;
    let phases = r["incremental"].as_array().expect("incremental phases");
    let names: Vec<&str> = phases.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["collect", "extract", "convert"]);
    let rows_after: Vec<u64> = phases.iter().map(|p| p["rows"].as_u64().unwrap()).collect();
    assert_eq!(rows_after, [N + CHANGED, N + new, N + new], "{r}");

    let mut conn = db.connect().await;
    let d = conn.dialect();
    let q = |s: &str| d.quote(s);
    // Every changed record's tool row points at a raw row of the incremental collect
    // (ids above the full run's N); every other row still at its first one.
    let sql = format!(
        "SELECT COUNT(*) FROM {} WHERE {} > {N}",
        q(TABLES[1]),
        q("_raw_data_id")
    );
    let moved = conn.fetch_all(&sql, vec![]).await.expect("count");
    assert_eq!(moved[0][0], Value::Int(CHANGED as i64), "{backend:?}");
    // The updates reached the domain table: pipeline 0 was a success, now a failure.
    let sql = format!(
        "SELECT {} FROM {} WHERE {} = 'fakeplugin:FakePipeline:1:0'",
        q("result"),
        q(TABLES[2]),
        q("id")
    );
    let result = conn.fetch_all(&sql, vec![]).await.expect("select");
    assert_eq!(result[0][0], Value::Text("FAILURE".into()), "{backend:?}");
}

#[tokio::test]
async fn incremental_run_brings_only_the_changes_sqlite() {
    incremental_on(Backend::Sqlite).await;
}

#[tokio::test]
async fn incremental_run_brings_only_the_changes_mysql() {
    incremental_on(Backend::MySql).await;
}

#[tokio::test]
async fn incremental_run_brings_only_the_changes_postgres() {
    incremental_on(Backend::Postgres).await;
}

#[test]
fn changed_is_refused_for_the_baselines() {
    let out = child(&[
        "--implementation",
        "plain",
        "--n",
        "10",
        "--changed",
        "1",
        "--db-url",
        "sqlite:////tmp/never-created-changed.db",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("error: --changed"), "{stderr}");
    assert!(!std::path::Path::new("/tmp/never-created-changed.db").exists());
}

#[tokio::test]
async fn http_child_collects_through_the_api_client() {
    let Some(db) = TestDatabase::create(Backend::Sqlite, "bench_smoke_http").await else {
        return;
    };
    let n = N.to_string();
    let r = report(&[
        "--implementation",
        "framework",
        "--source",
        "http",
        "--collect-only",
        "--concurrency",
        "8",
        "--n",
        &n,
        "--db-url",
        &db.url,
    ]);
    check_shape(&r, "framework", "sqlite", &["collect"]);
    assert_eq!(r["source"], "http");
    assert_eq!(r["concurrency"], 8);
}

#[test]
fn bad_database_url_is_one_clear_line() {
    let out = child(&[
        "--implementation",
        "framework",
        "--n",
        "10",
        "--db-url",
        "foo://nowhere",
    ]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "no report on failure");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: --db-url"), "{stderr}");
}

#[test]
fn plain_baseline_refuses_the_http_source() {
    let out = child(&[
        "--implementation",
        "plain",
        "--source",
        "http",
        "--n",
        "10",
        "--db-url",
        "sqlite:////tmp/never-created.db",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("plain baseline reads the generated source only"),
        "{stderr}"
    );
    assert!(!std::path::Path::new("/tmp/never-created.db").exists());
}
