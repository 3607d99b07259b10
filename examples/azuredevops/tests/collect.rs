//! A full run against a fake Azure DevOps server on 127.0.0.1 (continuation-token pages,
//! a 429 with Retry-After, a 203 for a bad token), on SQLite, MariaDB and PostgreSQL;
//! then an incremental run that asks the server only for what changed.

mod common;

use azuredevops::AzureDevOpsPlugin;
use common::*;
use devlake::db::Db;
use devlake::model::Value as DbValue;
use devlake::protocol::{PluginHost, TaskContext};
use devlake::stream::{Progress, Verb};
use devlake::testing::{assert_plugin_run, host, Backend, TestDatabase};
use serde_json::{json, Value};

async fn run_all(
    host: &PluginHost<AzureDevOpsPlugin>,
    server: &FakeAzure,
    db: &mut Db,
    incremental: bool,
) {
    let task = TaskContext::from_json(&json!({
        "db_url": "unused",
        "connection": server.connection(TOKEN),
        "scope": scope(),
        "scope_config": scope_config(),
        "options": {"scopeId": REPO, "connectionId": 1, "incremental": incremental},
    }))
    .expect("task context");
    for stream in host.streams().names() {
        for verb in Verb::ALL {
            let mut ctx = host.context(&task, &stream).expect("context");
            host.run_subtask(verb, &stream, &mut ctx, db, &mut Progress::silent())
                .await
                .unwrap_or_else(|e| panic!("{} {stream}: {e}", verb.title()));
        }
    }
}

async fn count(db: &mut Db, table: &str) -> i64 {
    let rows = db
        .fetch_all(&format!("SELECT COUNT(*) FROM {}", db.quote(table)), vec![])
        .await
        .expect("count");
    match rows[0][0] {
        DbValue::Int(n) => n,
        ref other => panic!("count of {table}: {other:?}"),
    }
}

async fn text(db: &mut Db, sql: &str) -> Vec<String> {
    db.fetch_all(sql, vec![])
        .await
        .expect(sql)
        .into_iter()
        .map(|r| match &r[0] {
            DbValue::Text(s) => s.clone(),
            DbValue::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
            other => format!("{other:?}"),
        })
        .collect()
}

fn requests<'a>(log: &'a [String], path: &str) -> Vec<&'a String> {
    log.iter().filter(|l| l.contains(path)).collect()
}

async fn full_then_incremental(backend: Backend) {
    let Some(tdb) = TestDatabase::create(backend, "azure_collect").await else {
        return;
    };
    let server = FakeAzure::start();
    let host = host(AzureDevOpsPlugin);
    let mut db = tdb.connect().await;

    // A wrong token first: Azure's sign-in page (203) counts as a 401.
    let bad = host
        .test_connection(&server.connection("wrong"))
        .await
        .expect("test");
    assert_eq!((bad.success, bad.status), (false, 401), "{}", bad.message);
    let ok = host
        .test_connection(&server.connection(TOKEN))
        .await
        .expect("test");
    assert!(ok.success, "{}", ok.message);
    server.take_log();

    run_all(&host, &server, &mut db, false).await;
    let log = server.take_log();
    // 3 pull requests in 2 pages (collected first); the second page was throttled once
    // (429, Retry-After) and asked again.
    let prs = requests(&log, "/pullrequests?");
    assert_eq!(prs.len(), 3, "{prs:#?}");
    let second = prs.iter().filter(|l| l.contains("?continuationToken=2&"));
    assert_eq!(second.count(), 2, "{prs:#?}");
    // 5 builds in 3 pages.
    let pages = requests(&log, "/_apis/build/builds?");
    assert_eq!(pages.len(), 3, "{pages:#?}");
    assert!(pages
        .iter()
        .all(|l| l.contains("repositoryId=") && l.contains("repositoryType=tfsgit")));
    // Each raw record keeps the URL of its page, continuation token included.
    let urls = text(&mut db, "SELECT url FROM _raw_azuredevops_builds").await;
    assert_eq!(urls.len(), 5);
    assert!(
        urls.iter().any(|u| u.contains("continuationToken=4")),
        "{urls:?}"
    );
    assert!(
        urls.iter().all(|u| u.contains("api-version=7.0")),
        "{urls:?}"
    );
    // Every build has a timeline asked for; 13 answers 204, 15 answers 404: no jobs, no failure.
    assert_eq!(requests(&log, "/timeline").len(), 5);
    assert_eq!(count(&mut db, "cicd_pipelines").await, 5);
    assert_eq!(count(&mut db, "cicd_pipeline_commits").await, 5);
    // Job and Stage records only (a Task and a Checkpoint are left out).
    assert_eq!(count(&mut db, "_tool_azuredevops_jobs").await, 4);
    assert_eq!(count(&mut db, "cicd_tasks").await, 4);
    assert_eq!(count(&mut db, "pull_requests").await, 3);
    // PR 1's commits come in two pages.
    assert_eq!(requests(&log, "/pullRequests/1/commits").len(), 2);
    assert_eq!(count(&mut db, "pull_request_commits").await, 4);
    let statuses = text(
        &mut db,
        "SELECT status FROM cicd_pipelines ORDER BY name, status",
    )
    .await;
    assert_eq!(
        statuses.iter().filter(|s| *s == "IN_PROGRESS").count(),
        1,
        "{statuses:?}"
    );

    // The second, incremental run asks only for what changed.
    server.advance();
    run_all(&host, &server, &mut db, true).await;
    let log = server.take_log();
    let builds = requests(&log, "/_apis/build/builds?");
    assert!(
        builds
            .iter()
            .all(|l| l.contains("minTime=") || l.contains("buildIds=")),
        "{builds:#?}"
    );
    assert_eq!(
        builds.iter().filter(|l| l.contains("buildIds=14&")).count(),
        1,
        "{builds:#?}"
    );
    let mut timelines: Vec<&String> = requests(&log, "/timeline");
    timelines.sort();
    assert_eq!(
        timelines.len(),
        2,
        "only the builds finished since, or new: {timelines:#?}"
    );
    assert!(
        timelines[0].contains("/builds/14/") && timelines[1].contains("/builds/16/"),
        "{timelines:#?}"
    );
    let prs = requests(&log, "/pullrequests?");
    assert!(
        prs.iter().all(|l| l.contains("searchCriteria.minTime=")),
        "{prs:#?}"
    );
    assert_eq!(
        requests(&log, "/pullrequests/1?").len(),
        1,
        "the active PR is fetched again"
    );
    let mut commits: Vec<&String> = requests(&log, "/commits?");
    commits.sort();
    assert_eq!(
        commits.len(),
        3,
        "PR 1 (2 pages) and PR 4 only: {commits:#?}"
    );
    assert!(commits
        .iter()
        .all(|l| l.contains("/pullRequests/1/") || l.contains("/pullRequests/4/")));

    assert_eq!(count(&mut db, "cicd_pipelines").await, 6);
    let statuses = text(
        &mut db,
        "SELECT status FROM cicd_pipelines WHERE name = 'deploy_to_staging'",
    )
    .await;
    assert_eq!(statuses, ["DONE"]);
    assert_eq!(count(&mut db, "cicd_tasks").await, 5);
    assert_eq!(count(&mut db, "pull_requests").await, 4);
    let pr1 = text(
        &mut db,
        "SELECT status FROM pull_requests WHERE pull_request_key = 1",
    )
    .await;
    assert_eq!(pr1, ["MERGED"]);
    assert_eq!(count(&mut db, "pull_request_commits").await, 5);
}

#[tokio::test]
async fn full_and_incremental_run_on_sqlite() {
    full_then_incremental(Backend::Sqlite).await;
}

#[tokio::test]
async fn full_and_incremental_run_on_mariadb() {
    full_then_incremental(Backend::MySql).await;
}

#[tokio::test]
async fn full_and_incremental_run_on_postgres() {
    full_then_incremental(Backend::Postgres).await;
}

#[tokio::test]
async fn whole_plugin_run_from_test_connection_to_every_stream() {
    let server = FakeAzure::start();
    let host = host(AzureDevOpsPlugin);
    let run = assert_plugin_run(&host, server.connection(TOKEN), Some(scope_config())).await;
    assert_eq!(run.tables["cicd_pipelines"], 5);
    assert_eq!(run.tables["pull_requests"], 3);
}

#[tokio::test]
async fn a_bad_token_is_an_invalid_token_with_a_hint() {
    let server = FakeAzure::start();
    let host = host(AzureDevOpsPlugin);
    let ok = host
        .test_connection(&server.connection(TOKEN))
        .await
        .expect("test");
    assert!(ok.success, "{}", ok.message);
    // Azure answers a bad token with its sign-in page: 203, taken as 401.
    let bad = host
        .test_connection(&server.connection("wrong"))
        .await
        .expect("test");
    assert!(!bad.success);
    assert_eq!(bad.status, 401);
    assert!(
        bad.message
            .starts_with("Invalid token. Organization name may be incorrect"),
        "{}",
        bad.message
    );
    let mut no_org = server.connection("wrong");
    no_org["organization"] = Value::Null;
    let bad = host.test_connection(&no_org).await.expect("test");
    assert!(
        bad.message.contains("'All accessible organizations'"),
        "{}",
        bad.message
    );
    assert!(!bad.message.contains("wrong"));
}

#[tokio::test]
async fn a_bad_token_fails_collection_with_a_401_and_no_secret() {
    let Some(tdb) = TestDatabase::create(Backend::Sqlite, "azure_401").await else {
        return;
    };
    let server = FakeAzure::start();
    let host = host(AzureDevOpsPlugin);
    let mut db = tdb.connect().await;
    let task = TaskContext::from_json(&json!({
        "db_url": "unused", "connection": server.connection("s3cret-wrong"), "scope": scope(),
        "scope_config": scope_config(), "options": {},
    }))
    .expect("task");
    let mut ctx = host.context(&task, "builds").expect("context");
    let err = host
        .run_subtask(
            Verb::Collect,
            "builds",
            &mut ctx,
            &mut db,
            &mut Progress::silent(),
        )
        .await
        .expect_err("a bad token fails");
    let msg = err.to_string();
    assert!(msg.contains("401"), "{msg}");
    assert!(
        !msg.contains("s3cret-wrong") && !msg.contains('\n'),
        "{msg}"
    );
}

#[tokio::test]
async fn remote_scopes_offer_azure_and_external_repositories() {
    let server = FakeAzure::start();
    let host = host(AzureDevOpsPlugin);
    let mut conn = server.connection(TOKEN);
    conn["organization"] = Value::Null; // every organization of the token's owner
    let groups = host.remote_scopes(&conn, "").await.expect("groups");
    let groups = serde_json::to_value(&groups).unwrap();
    assert_eq!(groups[0]["id"], "johndoe/test-project");
    assert_eq!(groups[0]["name"], "test-project");
    let scopes = serde_json::to_value(
        host.remote_scopes(&conn, "johndoe/test-project")
            .await
            .expect("scopes"),
    )
    .unwrap();
    let scopes = scopes.as_array().unwrap();
    // The empty repository (no default branch) is left out; the GitHub one comes through
    // its service endpoint; the azurerm endpoint is no Git provider.
    assert_eq!(scopes.len(), 2, "{scopes:#?}");
    assert_eq!(scopes[0]["data"]["name"], "test-project/test-repo");
    assert_eq!(
        scopes[0]["data"]["url"],
        "https://fake/johndoe/test-project/_git/test-repo"
    );
    assert_eq!(scopes[1]["id"], "johndoe/test-project/github/octo/hello");
    assert_eq!(scopes[1]["data"]["provider"], "github");
    assert_eq!(scopes[1]["data"]["defaultBranch"], "main");
    let log = server.take_log();
    assert!(
        log.iter()
            .any(|l| l.starts_with("/vssps/_apis/accounts?memberId=member-1")),
        "{log:#?}"
    );
}

#[tokio::test]
async fn an_external_repository_has_its_builds_collected_by_its_providers_id() {
    let Some(tdb) = TestDatabase::create(Backend::Sqlite, "azure_external").await else {
        return;
    };
    let server = FakeAzure::start();
    let host = host(AzureDevOpsPlugin);
    let mut db = tdb.connect().await;
    let scopes = host
        .remote_scopes(&server.connection(TOKEN), "johndoe/test-project")
        .await
        .expect("scopes");
    let external = serde_json::to_value(&scopes[1]).unwrap()["data"].clone();
    let task = TaskContext::from_json(&json!({
        "db_url": "unused", "connection": server.connection(TOKEN), "scope": external,
        "scope_config": scope_config(), "options": {},
    }))
    .expect("task");
    // Pull requests are not collected for it, builds are.
    let mut ctx = host.context(&task, "gitpullrequests").expect("context");
    let ran = host
        .run_subtask(
            Verb::Collect,
            "gitpullrequests",
            &mut ctx,
            &mut db,
            &mut Progress::silent(),
        )
        .await
        .expect("skipped");
    assert!(!ran);
    server.take_log();
    let mut ctx = host.context(&task, "builds").expect("context");
    host.run_subtask(
        Verb::Collect,
        "builds",
        &mut ctx,
        &mut db,
        &mut Progress::silent(),
    )
    .await
    .expect("builds");
    let log = server.take_log();
    assert!(!log.is_empty());
    assert!(
        log.iter()
            .all(|l| l.contains("repositoryId=octo/hello&repositoryType=github")),
        "{log:#?}"
    );
}
