//! Protocol conformance of the Rust fake plugin against what pydevlake's own fake plugin
//! printed and wrote for the same calls (vendored in `tests/fixtures/pydevlake`): same fd-3
//! messages (paths aside), same tables, same row counts, on SQLite, MariaDB and PostgreSQL.

use devlake::testing::{Backend, TestDatabase};
use devlake_e2e::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

fn fake() -> std::path::PathBuf {
    build_example("fakeplugin")
}

fn assert_clean_success(name: &str, c: &Call) {
    assert_eq!(c.rc, 0, "{name}: exit {} stderr: {}", c.rc, c.stderr);
    assert!(
        c.stderr.is_empty(),
        "{name}: unexpected stderr: {}",
        c.stderr
    );
}

/// Runs an anchored call and compares its fd-3 messages with the anchor's.
fn check_anchored(name: &str, anchor_out: &str, work: &Path) {
    let run = fake();
    let args = anchored_args(&format!("calls/{name}.cmd"), work);
    let c = call(&run, &args, work);
    assert_clean_success(name, &c);
    let mut ours = c.messages();
    let mut theirs = anchored_messages(anchor_out);
    ours.iter_mut().for_each(normalize);
    theirs.iter_mut().for_each(normalize);
    assert_eq!(ours, theirs, "{name}: fd 3 differs from pydevlake's");
}

#[test]
fn plugin_info_matches_pydevlake() {
    let work = tempfile::tempdir().unwrap();
    let run = fake();
    let c = call(
        &run,
        &anchored_args("calls/plugin-info.cmd", work.path()),
        work.path(),
    );
    assert_clean_success("plugin-info", &c);
    let mut ours = c.messages();
    assert_eq!(ours.len(), 1);
    let path = ours[0]["plugin_path"].take();
    let expected_path = std::fs::canonicalize(&run).unwrap();
    assert_eq!(
        path,
        json!(expected_path.display().to_string()),
        "plugin_path is run.sh's absolute path"
    );
    let mut theirs: Value = serde_json::from_str(&anchor("plugin-info.json")).unwrap();
    theirs["plugin_path"] = Value::Null;
    assert_eq!(ours[0], theirs);
}

#[test]
fn plugin_info_schemas_are_what_devlakes_loader_accepts() {
    let work = tempfile::tempdir().unwrap();
    let c = call(&fake(), &["plugin-info".into(), "{}".into()], work.path());
    assert_clean_success("plugin-info", &c);
    let info = &c.messages()[0];
    let mut schemas = vec![
        &info["connection_model_info"],
        &info["scope_model_info"],
        &info["scope_config_model_info"],
    ];
    schemas.extend(info["tool_model_infos"].as_array().unwrap());
    for mi in schemas {
        let props = mi["json_schema"]["properties"]
            .as_object()
            .expect("flat properties");
        for (name, p) in props {
            let ty = p["type"]
                .as_str()
                .unwrap_or_else(|| panic!("{name}: type must be one string"));
            assert!(
                ["integer", "number", "boolean", "string", "array", "object"].contains(&ty),
                "{name}: {ty}"
            );
            assert!(
                p.get("$ref").is_none() && p.get("anyOf").is_none(),
                "{name}: $ref/anyOf"
            );
        }
    }
}

#[test]
fn test_connection_remote_scopes_and_make_pipeline_match_pydevlake() {
    let work = tempfile::tempdir().unwrap();
    for (call_name, out) in [
        ("test-connection-ok", "test-connection-ok.json"),
        ("test-connection-bad", "test-connection-bad.json"),
        ("test-connection-noname", "test-connection-noname.json"),
        ("remote-scopes-groups", "remote-scopes-groups.jsonl"),
        ("remote-scopes-group1", "remote-scopes-group1.jsonl"),
        (
            "remote-scopes-unknown-group",
            "remote-scopes-unknown-group.jsonl",
        ),
        ("make-pipeline", "make-pipeline.json"),
        (
            "make-pipeline-entities-cicd",
            "make-pipeline-entities-cicd.json",
        ),
        (
            "make-pipeline-entities-code",
            "make-pipeline-entities-code.json",
        ),
        ("make-pipeline-two-scopes", "make-pipeline-two-scopes.json"),
    ] {
        check_anchored(call_name, out, work.path());
    }
}

#[test]
fn make_pipeline_scope_without_connection_id() {
    // The anchor has no .cmd for this case; it is make-pipeline with the scope's
    // connection_id left out, which makes the domain id say `None`.
    let work = tempfile::tempdir().unwrap();
    let args: Vec<String> = vec![
        "make-pipeline".into(),
        r#"{"log_level":"info"}"#.into(),
        r#"[[{"id":"p1","name":"Project 1","url":"http://fake.org"},{"id":1,"name":"sc","env":"test env"}]]"#.into(),
        r#"{"id":1,"name":"c","token":"this_is_a_valid_token"}"#.into(),
    ];
    let c = call(&fake(), &args, work.path());
    assert_clean_success("make-pipeline-scope-no-connection-id", &c);
    let mut ours = c.messages();
    let mut theirs = anchored_messages("make-pipeline-scope-no-connection-id.json");
    ours.iter_mut().for_each(normalize);
    theirs.iter_mut().for_each(normalize);
    assert_eq!(ours, theirs);
}

fn with_db_url(ctx: &str, url: &str) -> String {
    let mut v: Value = serde_json::from_str(ctx).unwrap();
    v["db_url"] = json!(url);
    v.to_string()
}

async fn counts(url: &str) -> BTreeMap<String, i64> {
    let mut db = devlake::db::Db::connect(url).await.unwrap();
    let mut out = BTreeMap::new();
    for t in db.tables().await.unwrap() {
        let n = db.count(&t, None).await.unwrap();
        out.insert(t, n);
    }
    out
}

async fn grouped(url: &str, sql: &str) -> Vec<String> {
    let mut db = devlake::db::Db::connect(url).await.unwrap();
    let mut rows: Vec<String> = db
        .fetch_all(sql, vec![])
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            r.into_iter()
                .map(|v| match v {
                    devlake::model::Value::Null => String::new(),
                    devlake::model::Value::Text(s) => s,
                    devlake::model::Value::Int(i) => i.to_string(),
                    other => format!("{other:?}"),
                })
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect();
    rows.sort();
    rows
}

fn expected_lines(rel: &str) -> Vec<String> {
    let mut v: Vec<String> = anchor(rel)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

async fn golden_run(backend: Backend) {
    let Some(tdb) = TestDatabase::create(backend, "golden").await else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let run = fake();
    for verb in ["collect", "extract", "convert"] {
        let mut args = anchored_args(&format!("calls/{verb}.cmd"), work.path());
        if backend != Backend::Sqlite {
            args[2] = with_db_url(&args[2], &tdb.url);
        }
        let c = call(&run, &args, work.path());
        assert_clean_success(verb, &c);
        assert_eq!(
            c.messages(),
            anchored_messages(&format!("{verb}.jsonl")),
            "{verb} progress on {backend:?}"
        );
    }
    let url = if backend == Backend::Sqlite {
        format!("sqlite:///{}/golden.db", work.path().display())
    } else {
        tdb.url.clone()
    };
    let expected: BTreeMap<String, i64> = anchor("rowcounts.txt")
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(t, n)| (t.to_string(), n.trim().parse().unwrap()))
        .collect();
    assert_eq!(
        counts(&url).await,
        expected,
        "tables and row counts on {backend:?}"
    );
    assert_eq!(
        grouped(
            &url,
            "SELECT status, result, COUNT(*) FROM cicd_pipelines GROUP BY status, result"
        )
        .await,
        expected_lines("db/cicd_status_counts.txt"),
        "cicd_pipelines status/result on {backend:?}"
    );
    assert_eq!(
        grouped(
            &url,
            "SELECT state, COUNT(*) FROM _tool_fakeplugin_fakepipelines GROUP BY state"
        )
        .await,
        expected_lines("db/tool_state_counts.txt"),
        "tool states on {backend:?}"
    );
    let ids = grouped(
        &url,
        "SELECT id, name, duration_sec FROM cicd_pipelines WHERE name IN ('0', '1')",
    )
    .await;
    assert_eq!(
        ids,
        vec![
            "fakeplugin:FakePipeline:1:0|0|Float(180.0)",
            "fakeplugin:FakePipeline:1:1|1|Float(180.0)"
        ]
    );
}

#[tokio::test]
async fn golden_run_sqlite() {
    golden_run(Backend::Sqlite).await;
}

#[tokio::test]
async fn golden_run_mariadb() {
    golden_run(Backend::MySql).await;
}

#[tokio::test]
async fn golden_run_postgres() {
    golden_run(Backend::Postgres).await;
}

#[tokio::test]
async fn go_style_camel_case_context() {
    let work = tempfile::tempdir().unwrap();
    let ctx = anchor("calls/collect-gostyle-ctx.ctx.json")
        .replace("<work>", &work.path().display().to_string());
    let args: Vec<String> = vec![
        "collect".into(),
        r#"{"log_level":"info"}"#.into(),
        ctx,
        "\"fakepipelinestream\"".into(),
    ];
    let c = call(&fake(), &args, work.path());
    assert_clean_success("collect-gostyle-ctx", &c);
    assert_eq!(c.messages(), anchored_messages("collect-gostyle-ctx.jsonl"));
}

#[tokio::test]
async fn rerun_and_incremental_runs() {
    let work = tempfile::tempdir().unwrap();
    let run = fake();
    let url = format!("sqlite:///{}/incr.db", work.path().display());
    let count = |t: &'static str| {
        let url = url.clone();
        async move {
            devlake::db::Db::connect(&url)
                .await
                .unwrap()
                .count(t, None)
                .await
                .unwrap()
        }
    };
    // As pydevlake's anchor run: a full run, a full collect again, then incremental runs.
    for name in ["collect-rerun", "collect-rerun"] {
        let c = call(
            &run,
            &anchored_args(&format!("calls/{name}.cmd"), work.path()),
            work.path(),
        );
        assert_clean_success(name, &c);
    }
    assert_eq!(
        count("_raw_fake_fakepipelinestream").await,
        250,
        "a full collect replaces the scope's raw rows"
    );
    let c = call(
        &run,
        &anchored_args("calls/collect-incremental.cmd", work.path()),
        work.path(),
    );
    assert_clean_success("collect-incremental", &c);
    assert_eq!(c.messages(), anchored_messages("collect-incremental.jsonl"));
    assert_eq!(
        count("_raw_fake_fakepipelinestream").await,
        500,
        "an incremental collect keeps previous rows"
    );
    for name in ["extract-incremental", "convert-incremental"] {
        let c = call(
            &run,
            &anchored_args(&format!("calls/{name}.cmd"), work.path()),
            work.path(),
        );
        assert_clean_success(name, &c);
    }
    assert_eq!(
        count("_tool_fakeplugin_fakepipelines").await,
        250,
        "extract merges by primary key"
    );
    assert_eq!(count("cicd_pipelines").await, 250);
}

/// Bad input: non-zero exit, one line on stderr naming the problem, no secret, nothing on
/// fd 3. Where pydevlake crashes with a traceback, ours says what is wrong.
#[test]
fn bad_input_fails_cleanly() {
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(work.path().join("err")).unwrap();
    let run = fake();
    let cases: &[(&str, i32, &str)] = &[
        ("cfg-not-object", 2, "<config> must be a JSON object"),
        ("ctx-connection-missing-token", 1, "missing field `token`"),
        (
            "ctx-missing-connection",
            1,
            "context is missing \"connection\"",
        ),
        ("ctx-missing-db_url", 1, "context is missing \"db_url\""),
        (
            "db-bad-sqlite-path",
            1,
            "cannot connect to sqlite:/nonexistent/dir/x.db",
        ),
        (
            "db-unknown-scheme",
            1,
            "unsupported database URL scheme \"foo\"",
        ),
        (
            "db-unreachable-mysql",
            1,
            "cannot connect to 127.0.0.1:1 (mysql://",
        ),
        (
            "db-unreachable-postgres",
            1,
            "cannot connect to 127.0.0.1:1 (postgres://",
        ),
        (
            "invalid-json-cfg",
            1,
            "argument 1 <config> is not valid JSON",
        ),
        (
            "invalid-json-ctx",
            1,
            "argument 2 <context> is not valid JSON",
        ),
        ("no-args", 2, "plugin-info takes 1 arguments"),
        ("no-method", 2, "unknown method \"\""),
        ("remote-scopes-missing-token", 1, "missing field `token`"),
        ("test-connection-missing-token", 1, "missing field `token`"),
        ("too-few-args", 2, "collect takes 3 arguments"),
        ("too-many-args", 2, "plugin-info takes 1 arguments"),
        ("unknown-method", 2, "unknown method \"frobnicate\""),
        ("unknown-stream", 1, "unknown stream \"nosuch\""),
        (
            "unquoted-stream",
            1,
            "argument 3 <stream> is not valid JSON",
        ),
    ];
    for (name, rc, needle) in cases {
        let args = anchored_args(&format!("errors/{name}.cmd"), work.path());
        let c = call(&run, &args, work.path());
        assert_eq!(c.rc, *rc, "{name}: exit code (stderr: {})", c.stderr);
        assert!(
            c.fd3.is_empty(),
            "{name}: fd 3 must stay empty, got {}",
            c.fd3
        );
        assert_eq!(
            c.stderr.lines().count(),
            1,
            "{name}: one line on stderr, got {:?}",
            c.stderr
        );
        assert!(
            c.stderr.starts_with("error: ") && c.stderr.contains(needle),
            "{name}: {:?} lacks {needle:?}",
            c.stderr
        );
        for secret in ["this_is_a_valid_token", "hunter2"] {
            assert!(
                !c.stderr.contains(secret) && !c.stdout.contains(secret),
                "{name}: leaked a secret"
            );
        }
    }
    // The bad contexts never reached a database: nothing was created.
    assert!(
        !work.path().join("err/fresh.db").exists()
            || std::fs::metadata(work.path().join("err/fresh.db"))
                .unwrap()
                .len()
                == 0
    );
}

/// Issue 12 item 12: DevLake sends `null` for a scope without a scope config (pydevlake
/// rejects it: `env field required`); the scope config's defaults apply instead.
#[test]
fn a_null_scope_config_gets_the_defaults() {
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(work.path().join("err")).unwrap();
    let run = fake();
    let c = call(
        &run,
        &anchored_args("errors/make-pipeline-null-scope-config.cmd", work.path()),
        work.path(),
    );
    assert_clean_success("make-pipeline with a null scope config", &c);
    let mut ours = c.messages();
    let mut theirs = anchored_messages("make-pipeline.json");
    ours.iter_mut().chain(theirs.iter_mut()).for_each(normalize);
    assert_eq!(ours, theirs, "the same plan as with a scope config");
    let c = call(
        &run,
        &anchored_args("errors/ctx-null-scope-config.cmd", work.path()),
        work.path(),
    );
    assert_clean_success("collect with a null scope config", &c);
}

#[test]
fn extract_on_a_fresh_database_creates_what_it_needs() {
    // pydevlake fails here ("no such table"); DevLake's Go side would have created the
    // tool table, and standalone runs have no Go side, so the runtime creates it.
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(work.path().join("err")).unwrap();
    let c = call(
        &fake(),
        &anchored_args("errors/extract-without-tool-table.cmd", work.path()),
        work.path(),
    );
    assert_clean_success("extract-without-tool-table", &c);
    assert!(c.fd3.is_empty(), "no raw rows, no progress");
}

#[test]
fn secrets_in_db_urls_are_redacted() {
    let work = tempfile::tempdir().unwrap();
    let ctx = r#"{"db_url":"mysql://merico:hunter2@127.0.0.1:1/lake?charset=utf8mb4&parseTime=True&loc=UTC","connection":{"id":1,"name":"c","token":"this_is_a_valid_token"},"scope":{"id":"p1","name":"P","url":"u"},"scope_config":{"env":"e"}}"#;
    let c = call(
        &fake(),
        &[
            "collect".into(),
            "{}".into(),
            ctx.into(),
            "\"fakepipelinestream\"".into(),
        ],
        work.path(),
    );
    assert_eq!(c.rc, 1);
    assert!(
        c.stderr.contains("mysql://merico:***@127.0.0.1:1/lake"),
        "{}",
        c.stderr
    );
    assert!(!c.stderr.contains("hunter2"));
}

#[test]
fn without_fd3_it_says_so() {
    let work = tempfile::tempdir().unwrap();
    let c = call_with(
        &fake(),
        &anchored_args("errors/no-fd3.cmd", work.path()),
        work.path(),
        &[],
        false,
    );
    assert_eq!(c.rc, 1);
    assert!(c.stderr.contains("fd 3 is not open"), "{}", c.stderr);
}

#[test]
fn help_is_for_people() {
    let work = tempfile::tempdir().unwrap();
    let c = call(&fake(), &["--help".into()], work.path());
    assert_eq!(c.rc, 0);
    for m in [
        "plugin-info",
        "test-connection",
        "remote-scopes",
        "make-pipeline",
        "collect",
        "extract",
        "convert",
        "3>&1",
    ] {
        assert!(c.stdout.contains(m), "help lacks {m}: {}", c.stdout);
    }
    assert!(c.fd3.is_empty());
    // pydevlake's python-fire also accepts underscore names.
    let c = call(&fake(), &["plugin_info".into(), "{}".into()], work.path());
    assert_eq!(c.rc, 0, "{}", c.stderr);
}

#[test]
fn log_level_debug_goes_to_stdout_and_never_prints_the_token() {
    let work = tempfile::tempdir().unwrap();
    let mut args = anchored_args("calls/collect.cmd", work.path());
    args[1] = r#"{"log_level":"debug"}"#.into();
    let c = call(&fake(), &args, work.path());
    assert_clean_success("collect at debug", &c);
    // Absence of the token means nothing unless debug lines do arrive.
    let debug_lines = c
        .stdout
        .lines()
        .filter(|l| l.starts_with("DEBUG: "))
        .count();
    assert!(debug_lines > 0, "no DEBUG line on stdout: {:?}", c.stdout);
    assert!(!c.stdout.contains("this_is_a_valid_token"));
    // stdout is a pipe, as under DevLake, which stores the lines: no colour codes.
    assert!(
        !c.stdout.contains('\x1b') && !c.stderr.contains('\x1b'),
        "ANSI escape codes in piped logs: {:?}",
        c.stdout.lines().find(|l| l.contains('\x1b'))
    );
}
