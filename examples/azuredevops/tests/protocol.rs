//! The plugin as DevLake's server runs it: `run.sh <method> <json>...` with results on
//! fd 3, against the fake Azure DevOps server; every stream collected, extracted and
//! converted into SQLite, MariaDB and PostgreSQL, then again incrementally.

mod common;

use common::*;
use devlake::testing::{Backend, TestDatabase};
use devlake_e2e::{build_example, call, Call};
use serde_json::{json, Value};
use std::path::Path;

const STREAMS: [&str; 4] = ["gitpullrequests", "gitpullrequestcommits", "builds", "jobs"];

fn run(run_sh: &Path, work: &Path, method: &str, args: &[Value]) -> Call {
    let mut argv = vec![method.to_string(), r#"{"log_level":"info"}"#.to_string()];
    // Every argument is JSON, strings quoted, as DevLake sends them.
    argv.extend(args.iter().map(Value::to_string));
    let c = call(run_sh, &argv, work);
    assert_eq!(c.rc, 0, "{method} failed: {}", c.stderr);
    c
}

fn task(server: &FakeAzure, db_url: &str, incremental: bool) -> Value {
    json!({
        "db_url": db_url,
        "connection": server.connection(TOKEN),
        "scope": scope(),
        "scope_config": scope_config(),
        "options": {"scopeId": REPO, "scopeName": "test-project/test-repo", "connectionId": 1, "incremental": incremental},
    })
}

async fn count(url: &str, table: &str) -> i64 {
    let mut db = devlake::db::Db::connect(url).await.expect("connect");
    db.count(table, None).await.expect("count") as i64
}

async fn collect_through_run_sh(backend: Backend) {
    let Some(tdb) = TestDatabase::create(backend, "azure_protocol").await else {
        return;
    };
    let run_sh = build_example("azuredevops");
    let work = tempfile::tempdir().unwrap();
    let server = FakeAzure::start();
    for incremental in [false, true] {
        if incremental {
            server.advance();
        }
        for stream in STREAMS {
            for verb in ["collect", "extract", "convert"] {
                let c = run(
                    &run_sh,
                    work.path(),
                    verb,
                    &[task(&server, &tdb.url, incremental), json!(stream)],
                );
                let progress = c.messages();
                assert!(
                    progress.iter().all(|m| m.get("current").is_some()),
                    "{verb} {stream}: {progress:?}"
                );
            }
        }
        let (pipelines, prs) = if incremental { (6, 4) } else { (5, 3) };
        assert_eq!(count(&tdb.url, "cicd_pipelines").await, pipelines);
        assert_eq!(count(&tdb.url, "pull_requests").await, prs);
    }
    let log = server.take_log();
    let timelines = log.iter().filter(|l| l.contains("/timeline")).count();
    assert_eq!(
        timelines,
        5 + 2,
        "the incremental run asks only for builds 14 and 16"
    );
    assert_eq!(count(&tdb.url, "cicd_tasks").await, 5);
    assert_eq!(count(&tdb.url, "pull_request_commits").await, 5);
}

#[tokio::test]
async fn collect_through_run_sh_on_sqlite() {
    collect_through_run_sh(Backend::Sqlite).await;
}

#[tokio::test]
async fn collect_through_run_sh_on_mariadb() {
    collect_through_run_sh(Backend::MySql).await;
}

#[tokio::test]
async fn collect_through_run_sh_on_postgres() {
    collect_through_run_sh(Backend::Postgres).await;
}

#[test]
fn plugin_info_connection_scopes_and_pipeline_through_run_sh() {
    let run_sh = build_example("azuredevops");
    let work = tempfile::tempdir().unwrap();
    let server = FakeAzure::start();

    let info = run(&run_sh, work.path(), "plugin-info", &[]).messages();
    let info = &info[0];
    assert_eq!(info["name"], "azuredevops");
    let props = &info["connection_model_info"]["json_schema"]["properties"];
    assert_eq!(props["token"]["format"], "password");
    assert!(props.get("baseUrl").is_some(), "{props}");
    let tables: Vec<&str> = info["tool_model_infos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["table_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        tables,
        [
            "_tool_azuredevops_gitpullrequests",
            "_tool_azuredevops_gitpullrequestcommits",
            "_tool_azuredevops_builds",
            "_tool_azuredevops_jobs"
        ]
    );

    let ok = run(
        &run_sh,
        work.path(),
        "test-connection",
        &[server.connection(TOKEN)],
    )
    .messages();
    assert_eq!(ok[0]["success"], true, "{ok:?}");
    let bad = run(
        &run_sh,
        work.path(),
        "test-connection",
        &[server.connection("nope")],
    );
    let msg = &bad.messages()[0];
    assert_eq!(msg["success"], false);
    assert_eq!(msg["status"], 401);
    assert!(
        !bad.fd3.contains("nope") && !bad.stderr.contains("nope") && !bad.stdout.contains("nope")
    );

    let groups = run(
        &run_sh,
        work.path(),
        "remote-scopes",
        &[server.connection(TOKEN), json!("")],
    )
    .messages();
    assert_eq!(groups[0]["id"], "johndoe/test-project");
    let scopes = run(
        &run_sh,
        work.path(),
        "remote-scopes",
        &[server.connection(TOKEN), json!("johndoe/test-project")],
    )
    .messages();
    assert_eq!(scopes.len(), 2, "{scopes:?}");
    assert_eq!(
        scopes[0]["data"]["_raw_data_table"],
        "_raw_azuredevops_scopes"
    );

    // CODE on an Azure repository: gitextractor with the token in the clone URL, then
    // refdiff; the external repository gets neither, nor pull requests.
    let external = scopes[1]["data"].clone();
    let pairs = json!([[scope(), scope_config()], [external, scope_config()]]);
    let plan = run(
        &run_sh,
        work.path(),
        "make-pipeline",
        &[pairs, server.connection(TOKEN)],
    )
    .messages();
    let plan = &plan[0];
    // One stage per scope, then refdiff's.
    let stages = plan["plan"].as_array().unwrap();
    assert_eq!(stages.len(), 3, "{plan:#}");
    let plugins = |stage: &Value| -> Vec<String> {
        stage
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["plugin"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        plugins(&stages[0]),
        ["azuredevops", "gitextractor"],
        "{plan:#}"
    );
    let gitextractor = &stages[0][1]["options"];
    assert_eq!(
        gitextractor["url"],
        format!("https://{ORG}:{TOKEN}@fake/{ORG}/{PROJECT}/_git/test-repo")
    );
    assert_eq!(
        gitextractor["repoId"],
        format!("azuredevops:GitRepository:1:{REPO}")
    );
    assert_eq!(plugins(&stages[1]), ["azuredevops"], "{plan:#}");
    let external_subtasks = stages[1][0]["subtasks"].to_string();
    assert!(
        !external_subtasks.contains("Gitpullrequests") && external_subtasks.contains("Builds"),
        "{external_subtasks}"
    );
    assert_eq!(plugins(&stages[2]), ["refdiff"], "{plan:#}");
    assert_eq!(
        stages[2][0]["options"]["repoId"],
        format!("azuredevops:GitRepository:1:{REPO}")
    );
    assert_eq!(stages[2][0]["options"]["tagsOrder"], "reverse semver");
    let types: Vec<&str> = plan["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["type_name"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["Repo", "CicdScope", "Repo", "CicdScope"]);
}

/// The README's standalone run: a TOML run file, the token from the environment, then an
/// incremental run.
#[test]
fn standalone_runs_from_a_run_file() {
    let run_sh = build_example("azuredevops");
    let bin = run_sh.parent().unwrap().join("bin/azuredevops");
    let work = tempfile::tempdir().unwrap();
    let server = FakeAzure::start();
    let config = work.path().join("azure.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[connection]
id = 1
name = "azure"
token = {{ env = "AZURE_DEVOPS_PAT" }}
organization = "{ORG}"
base_url = "{url}"

[scope_config]
entities = ["CODE", "CICD", "CODEREVIEW"]
deployment_pattern = "deploy"
production_pattern = "prod"

[[scopes]]
id = "{REPO}"
name = "{PROJECT}/test-repo"
url = "https://fake/{ORG}/{PROJECT}/_git/test-repo"
remote_url = "https://{ORG}@fake/{ORG}/{PROJECT}/_git/test-repo"
project_id = "{PROJECT}"
org_id = "{ORG}"
"#,
            url = server.url
        ),
    )
    .unwrap();
    let db = format!("sqlite:///{}/lake.db", work.path().display());
    for extra in [None, Some("--incremental")] {
        let mut args: Vec<String> = ["standalone", "run", "--config"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.push(config.display().to_string());
        args.extend([
            "--db".to_string(),
            db.clone(),
            "--format".into(),
            "json".into(),
        ]);
        args.extend(extra.map(String::from));
        if extra.is_some() {
            server.advance();
        }
        let c = devlake_e2e::call_with(
            &bin,
            &args,
            work.path(),
            &[("AZURE_DEVOPS_PAT", TOKEN)],
            false,
        );
        assert_eq!(c.rc, 0, "standalone run failed: {}", c.stderr);
        assert!(!c.stdout.contains(TOKEN) && !c.stderr.contains(TOKEN));
    }
    let log = server.take_log();
    assert_eq!(
        log.iter().filter(|l| l.contains("/timeline")).count(),
        5 + 2,
        "{log:#?}"
    );
}
