//! The harness works: the hidden `--child` mode runs a small measurement and prints its
//! JSON report, and the plain baseline writes the same rows as the framework. No timing
//! is asserted.

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
            "plain" => assert!(
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

async fn same_rows_on(backend: Backend) {
    let Some(fw) = TestDatabase::create(backend, "bench_smoke_fw").await else {
        return;
    };
    let Some(plain) = TestDatabase::create(backend, "bench_smoke_plain").await else {
        return;
    };
    let n = N.to_string();
    let r = report(&[
        "--implementation",
        "framework",
        "--n",
        &n,
        "--db-url",
        &fw.url,
    ]);
    check_shape(
        &r,
        "framework",
        backend.name(),
        &["collect", "extract", "convert"],
    );
    let r = report(&[
        "--implementation",
        "plain",
        "--n",
        &n,
        "--db-url",
        &plain.url,
    ]);
    check_shape(
        &r,
        "plain",
        backend.name(),
        &["collect", "extract", "convert"],
    );

    let (mut a, mut b) = (fw.connect().await, plain.connect().await);
    for (table, key) in [
        ("_raw_bench_generatedpipelines", "id"),
        ("_tool_fakeplugin_fakepipelines", "id"),
        ("cicd_pipelines", "id"),
    ] {
        let (x, y) = (
            rows(&mut a, table, key).await,
            rows(&mut b, table, key).await,
        );
        assert_eq!(x.len() as u64, N, "{table} on {}", backend.name());
        assert_eq!(
            x,
            y,
            "{table} on {}: the plain baseline must write the framework's rows",
            backend.name()
        );
    }
}

#[tokio::test]
async fn plain_baseline_writes_the_framework_rows_sqlite() {
    same_rows_on(Backend::Sqlite).await;
}

#[tokio::test]
async fn plain_baseline_writes_the_framework_rows_mysql() {
    same_rows_on(Backend::MySql).await;
}

#[tokio::test]
async fn plain_baseline_writes_the_framework_rows_postgres() {
    same_rows_on(Backend::Postgres).await;
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
