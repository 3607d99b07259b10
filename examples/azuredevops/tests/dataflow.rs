//! Data-flow tests of every stream with `devlake::testing::DataFlowTester`: raw records
//! from DevLake-layout CSV files (`tests/e2e/raw_tables`), extract and convert, tables
//! compared with the snapshots in `tests/e2e/snapshot_tables` (regenerate them with
//! `DEVLAKE_UPDATE_SNAPSHOTS=1` and review the diff).

use azuredevops::models::{Build, GitPullRequest, GitPullRequestCommit, Job};
use azuredevops::AzureDevOpsPlugin;
use devlake::domain::code::{PullRequest, PullRequestCommit};
use devlake::domain::devops::{CicdPipeline, CicdPipelineCommit, CicdTask};
use devlake::prelude::*;
use devlake::stream::Verb;
use devlake::testing::{host, Backend, ContextBuilder, DataFlowTester, TestDatabase};
use serde_json::json;

const REPO_ID: &str = "0d50ba13-f9ad-49b0-9b21-d29eda50ca33";

fn context() -> Context<AzureDevOpsPlugin> {
    ContextBuilder::<AzureDevOpsPlugin>::new()
        .connection(json!({"token": "token"}))
        .scope(json!({
            "id": REPO_ID,
            "name": "test-project/test-repo",
            "url": "https://dev.azure.com/johndoe/test-project/_git/test-repo",
            "projectId": "test-project",
            "orgId": "johndoe",
        }))
        .scope_config(json!({
            "deploymentPattern": "deploy",
            "productionPattern": "prod",
            "environmentPattern": r"(?:deploy|predeploy)[_-](.+?)(?:[_-](?:helm|terraform))?$",
        }))
        .build()
}

/// A tester on a fresh SQLite database (kept while the returned guard lives).
async fn tester(tag: &str) -> Option<(TestDatabase, DataFlowTester<AzureDevOpsPlugin>)> {
    let db = TestDatabase::create(Backend::Sqlite, tag).await?;
    let conn = db.connect().await;
    Some((
        db,
        DataFlowTester::new(host(AzureDevOpsPlugin), conn).dir("tests/e2e"),
    ))
}

#[tokio::test]
async fn builds_data_flow() {
    let Some((_db, mut t)) = tester("builds").await else {
        return;
    };
    let mut ctx = context();
    t.import_csv_into_raw_table(
        "raw_tables/_raw_azuredevops_builds.csv",
        "_raw_azuredevops_builds",
    )
    .await;
    t.subtask(Verb::Extract, "builds", &mut ctx).await;
    t.verify_table_with_raw_data::<Build>(
        "snapshot_tables/_tool_azuredevops_builds.csv",
        &[
            "name",
            "queue_time",
            "start_time",
            "finish_time",
            "status",
            "result",
            "source_branch",
            "source_version",
            "display_title",
            "url",
        ],
    )
    .await;
    t.subtask(Verb::Convert, "builds", &mut ctx).await;
    t.verify_table_with_raw_data::<CicdPipeline>(
        "snapshot_tables/cicd_pipelines.csv",
        &[
            "name",
            "display_title",
            "url",
            "result",
            "status",
            "original_status",
            "original_result",
            "type",
            "duration_sec",
            "environment",
            "created_date",
            "queued_date",
            "started_date",
            "finished_date",
            "cicd_scope_id",
        ],
    )
    .await;
    t.verify_table::<CicdPipelineCommit>(
        "snapshot_tables/cicd_pipeline_commits.csv",
        &["branch", "repo_id", "repo_url", "display_title", "url"],
    )
    .await;
}

#[tokio::test]
async fn jobs_data_flow() {
    let Some((_db, mut t)) = tester("jobs").await else {
        return;
    };
    let mut ctx = context();
    t.import_csv_into_raw_table(
        "raw_tables/_raw_azuredevops_jobs.csv",
        "_raw_azuredevops_jobs",
    )
    .await;
    t.subtask(Verb::Extract, "jobs", &mut ctx).await;
    t.verify_table_with_raw_data::<Job>(
        "snapshot_tables/_tool_azuredevops_jobs.csv",
        &[
            "name",
            "start_time",
            "finish_time",
            "state",
            "result",
            "identifier",
            "type",
            "parent_id",
        ],
    )
    .await;
    t.subtask(Verb::Convert, "jobs", &mut ctx).await;
    t.verify_table_with_raw_data::<CicdTask>(
        "snapshot_tables/cicd_tasks.csv",
        &[
            "name",
            "pipeline_id",
            "result",
            "status",
            "original_status",
            "original_result",
            "type",
            "environment",
            "duration_sec",
            "created_date",
            "started_date",
            "finished_date",
            "cicd_scope_id",
        ],
    )
    .await;
}

#[tokio::test]
async fn pull_requests_data_flow() {
    let Some((_db, mut t)) = tester("prs").await else {
        return;
    };
    let mut ctx = context();
    t.import_csv_into_raw_table(
        "raw_tables/_raw_azuredevops_gitpullrequests.csv",
        "_raw_azuredevops_gitpullrequests",
    )
    .await;
    t.subtask(Verb::Extract, "gitpullrequests", &mut ctx).await;
    t.verify_table_with_raw_data::<GitPullRequest>(
        "snapshot_tables/_tool_azuredevops_gitpullrequests.csv",
        &[
            "description",
            "status",
            "created_by_id",
            "created_by_name",
            "creation_date",
            "closed_date",
            "source_commit_sha",
            "target_commit_sha",
            "merge_commit_sha",
            "url",
            "type",
            "title",
            "target_ref_name",
            "source_ref_name",
            "fork_repo_id",
        ],
    )
    .await;
    t.subtask(Verb::Convert, "gitpullrequests", &mut ctx).await;
    t.verify_table_with_raw_data::<PullRequest>(
        "snapshot_tables/pull_requests.csv",
        &[
            "base_repo_id",
            "head_repo_id",
            "status",
            "original_status",
            "title",
            "description",
            "url",
            "author_name",
            "author_id",
            "pull_request_key",
            "created_date",
            "merged_date",
            "closed_date",
            "type",
            "component",
            "merge_commit_sha",
            "head_ref",
            "base_ref",
            "base_commit_sha",
            "head_commit_sha",
        ],
    )
    .await;
}

#[tokio::test]
async fn pull_request_commits_data_flow() {
    let Some((_db, mut t)) = tester("prcommits").await else {
        return;
    };
    let mut ctx = context();
    t.import_csv_into_raw_table(
        "raw_tables/_raw_azuredevops_gitpullrequestcommits.csv",
        "_raw_azuredevops_gitpullrequestcommits",
    )
    .await;
    t.subtask(Verb::Extract, "gitpullrequestcommits", &mut ctx)
        .await;
    t.verify_table_with_raw_data::<GitPullRequestCommit>(
        "snapshot_tables/_tool_azuredevops_gitpullrequestcommits.csv",
        &["author_name", "author_email", "author_date"],
    )
    .await;
    t.subtask(Verb::Convert, "gitpullrequestcommits", &mut ctx)
        .await;
    t.verify_table::<PullRequestCommit>(
        "snapshot_tables/pull_request_commits.csv",
        &[
            "commit_author_name",
            "commit_author_email",
            "commit_authored_date",
        ],
    )
    .await;
}

/// Tool rows seeded from CSV convert as extracted ones do: the other way into a data
/// flow (Go's `ImportCsvIntoTabler`), through the snapshot extract wrote.
#[tokio::test]
async fn tool_rows_imported_from_csv_convert_the_same() {
    let Some((_db, mut t)) = tester("import").await else {
        return;
    };
    let mut ctx = context();
    t.import_csv_into_table::<Build>("snapshot_tables/_tool_azuredevops_builds.csv")
        .await;
    t.subtask(Verb::Convert, "builds", &mut ctx).await;
    // DevLake's CSV keeps milliseconds: durations from imported rows differ below them.
    t.verify_table::<CicdPipeline>(
        "snapshot_tables/cicd_pipelines.csv",
        &[
            "name",
            "result",
            "status",
            "type",
            "environment",
            "finished_date",
        ],
    )
    .await;
}
