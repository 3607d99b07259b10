//! The Python plugin's conversion cases (upstream `tests/streams_test.py`), ported: the
//! same raw records must give the same domain rows.

use azuredevops::streams::{Builds, GitPullRequestCommits, GitPullRequests, Jobs};
use azuredevops::AzureDevOpsPlugin;
use devlake::domain::code::{PullRequest, PullRequestCommit, PullRequestStatus};
use devlake::domain::devops::{
    CicdEnvironment, CicdPipeline, CicdPipelineCommit, CicdResult, CicdStatus, CicdTask, CicdType,
};
use devlake::prelude::*;
use devlake::testing::{assert_stream_convert_with, ContextBuilder};
use serde_json::{json, Value};

fn context_with(scope_config: Value) -> Context<AzureDevOpsPlugin> {
    ContextBuilder::<AzureDevOpsPlugin>::new()
        .connection(json!({"token": "token"}))
        .scope_config(scope_config)
        .scope(json!({
            "id": "johndoe/test-repo",
            "name": "johndoe/test-repo",
            "url": "https://github.com/johndoe/test-repo",
            "projectId": "test-project",
            "orgId": "johndoe",
        }))
        .build()
}

fn context() -> Context<AzureDevOpsPlugin> {
    context_with(json!({"deploymentPattern": "deploy", "productionPattern": "prod"}))
}

fn context_with_environment_pattern() -> Context<AzureDevOpsPlugin> {
    context_with(json!({
        "deploymentPattern": "deploy",
        "productionPattern": "prod",
        "environmentPattern": r"(?:deploy|predeploy)[_-](.+?)(?:[_-](?:helm|terraform))?$",
    }))
}

fn at(s: &str) -> Option<DateTime> {
    Some(
        chrono::DateTime::parse_from_rfc3339(s)
            .expect("a test timestamp")
            .with_timezone(&chrono::Utc),
    )
}

fn raw_build() -> Value {
    json!({
        "properties": {}, "tags": [], "validationResults": [],
        "plans": [{"planId": "c672e778-a9e9-444a-b1e0-92f839c061e0"}],
        "triggerInfo": {
            "ci.sourceBranch": "refs/heads/main",
            "ci.sourceSha": "40e3d9cb9f208f431cf1fb0e33963f5a1405491b",
            "ci.message": "Add azure-pipelines.yml jobs to Azure Pipelines",
            "ci.triggerRepository": "eaf116f6-821f-42d7-920e-a867e564302e"
        },
        "_links": {
            "self": {"href": "https://dev.azure.com/linweihoumerico-lake/e8af9e7b-d4bf-4afd-9d0a-c9f8dfac1d59/_apis/build/Builds/15"},
            "web": {"href": "https://dev.azure.com/linweihoumerico-lake/e8af9e7b-d4bf-4afd-9d0a-c9f8dfac1d59/_build/results?buildId=15"},
            "timeline": {"href": "https://dev.azure.com/linweihoumerico-lake/e8af9e7b-d4bf-4afd-9d0a-c9f8dfac1d59/_apis/build/builds/15/Timeline"}
        },
        "id": 12,
        "buildNumber": "azure-job",
        "status": "completed",
        "result": "succeeded",
        "queueTime": "2023-02-25T06:22:21.2237625Z",
        "start_time": "2023-02-25T06:22:32.8097789Z",
        "finish_time": "2023-02-25T06:23:04.0061884Z",
        "url": "https://dev.azure.com/testorg/7a3fd40e-2aed-4fac-bac9-511bf1a70206/_apis/build/Builds/12",
        "definition": {
            "drafts": [], "id": 5, "name": "deploy_to_prod",
            "url": "https://dev.azure.com/testorg/7a3fd40e-2aed-4fac-bac9-511bf1a70206/_apis/build/Definitions/5?revision=1",
            "uri": "vstfs:///Build/Definition/5", "path": "\\", "type": "build",
            "queueStatus": "enabled", "revision": 1
        },
        "project": {
            "id": "7a3fd40e-2aed-4fac-bac9-511bf1a70206",
            "name": "Test project",
            "url": "https://dev.azure.com/testorg/_apis/projects/7a3fd40e-2aed-4fac-bac9-511bf1a70206"
        },
        "uri": "vstfs:///Build/Build/12",
        "sourceBranch": "refs/heads/main",
        "sourceVersion": "40c59264e73fc5e1a6cab192f1622d26b7bd5c2a",
        "queue": {"id": 9, "name": "Azure Pipelines", "pool": {"id": 9, "name": "Azure Pipelines", "isHosted": true}},
        "priority": "normal",
        "reason": "manual",
        "lastChangedDate": "2023-02-25T06:23:04.343Z",
        "orchestrationPlan": {"planId": "c672e778-a9e9-444a-b1e0-92f839c061e0"},
        "repository": {"id": "johndoe/test-repo", "type": "GitHub"},
        "retainedByRelease": false,
        "triggeredByBuild": null,
        "appendCommitMessageToRunName": true
    })
}

const BUILD_WEB_URL: &str =
    "https://dev.azure.com/linweihoumerico-lake/e8af9e7b-d4bf-4afd-9d0a-c9f8dfac1d59/_build/results?buildId=15";

#[test]
fn test_builds_stream() {
    let ctx = context();
    let title = Some("Add azure-pipelines.yml jobs to Azure Pipelines".to_string());
    assert_stream_convert_with(
        &ctx,
        &Builds,
        raw_build(),
        vec![CicdPipeline {
            name: "deploy_to_prod".into(),
            status: Some(CicdStatus::Done),
            created_date: at("2023-02-25T06:22:21.2237625Z"),
            queued_date: at("2023-02-25T06:22:21.2237625Z"),
            started_date: at("2023-02-25T06:22:32.8097789Z"),
            finished_date: at("2023-02-25T06:23:04.0061884Z"),
            result: Some(CicdResult::Success),
            original_status: Some("Completed".into()),
            original_result: Some("Succeeded".into()),
            // Python's float, to the last bit.
            duration_sec: Some(31.196409940719604),
            environment: Some(CicdEnvironment::Production),
            r#type: Some(CicdType::Deployment),
            cicd_scope_id: Some(ctx.scope.domain_id()),
            display_title: title.clone(),
            url: Some(BUILD_WEB_URL.into()),
            ..Default::default()
        }],
    );
    assert_stream_convert_with(
        &ctx,
        &Builds,
        raw_build(),
        vec![CicdPipelineCommit {
            pipeline_id: "azuredevops:Build:1:12".into(),
            commit_sha: "40c59264e73fc5e1a6cab192f1622d26b7bd5c2a".into(),
            branch: Some("refs/heads/main".into()),
            repo_id: Some(ctx.scope.domain_id()),
            repo_url: Some("https://github.com/johndoe/test-repo".into()),
            display_title: title,
            url: Some(BUILD_WEB_URL.into()),
            ..Default::default()
        }],
    );
}

fn raw_job(id: &str, r#type: &str, name: &str, identifier: &str) -> Value {
    json!({
        "previousAttempts": [],
        "id": id,
        "parentId": "9ecf18fe-987d-5811-7c63-300aecae35da",
        "type": r#type,
        "name": name,
        "build_id": "azuredevops:Build:1:12",
        "start_time": "2023-02-25T06:22:36.8066667Z",
        "finish_time": "2023-02-25T06:22:43.2333333Z",
        "currentOperation": null, "percentComplete": null,
        "state": "completed",
        "result": "succeeded",
        "resultCode": null, "changeId": 18, "lastModified": "0001-01-01T00:00:00",
        "workerName": "Hosted Agent", "queueId": 9, "order": 1, "details": null,
        "errorCount": 0, "warningCount": 0, "url": null,
        "log": {"id": 10, "type": "Container", "url": "https://dev.azure.com/johndoe/7a3fd40e-2aed-4fac-bac9-511bf1a70206/_apis/build/builds/12/logs/10"},
        "task": null, "attempt": 1,
        "identifier": identifier
    })
}

fn expected_task(
    ctx: &Context<AzureDevOpsPlugin>,
    name: &str,
    environment: Option<CicdEnvironment>,
) -> CicdTask {
    // `id` left empty: the tool row's domain id, as pydevlake sets it.
    CicdTask {
        name: name.into(),
        pipeline_id: Some("azuredevops:Build:1:12".into()),
        status: Some(CicdStatus::Done),
        original_status: Some("Completed".into()),
        original_result: Some("Succeeded".into()),
        created_date: at("2023-02-25T06:22:36.8066667Z"),
        started_date: at("2023-02-25T06:22:36.8066667Z"),
        finished_date: at("2023-02-25T06:22:43.2333333Z"),
        result: Some(CicdResult::Success),
        r#type: Some(CicdType::Deployment),
        duration_sec: Some(6.426667213439941),
        environment,
        cicd_scope_id: Some(ctx.scope.domain_id()),
        ..Default::default()
    }
}

#[test]
fn test_jobs_stream() {
    let ctx = context();
    let id = "cfa20e98-6997-523c-4233-f0a7302c929f";
    let raw = raw_job(id, "Job", "deploy production", "job_2.__default");
    let expected = expected_task(&ctx, "deploy production", Some(CicdEnvironment::Production));
    assert_stream_convert_with(&ctx, &Jobs::default(), raw, vec![expected]);
}

#[test]
fn test_jobs_stream_domain_id_is_pydevlakes() {
    let ctx = context();
    let raw = raw_job("cfa2", "Job", "deploy production", "job_2.__default");
    let rows: Vec<CicdTask> =
        devlake::testing::stream_convert(&ctx, &Jobs::default(), &raw).expect("converts");
    assert_eq!(rows[0].id, "azuredevops:Job:1:cfa2:azuredevops:Build:1:12");
}

#[test]
fn test_pull_requests_stream() {
    let ctx = context();
    let raw = json!({
        "repository": {
            "id": "0d50ba13-f9ad-49b0-9b21-d29eda50ca33",
            "name": "test-repo2",
            "url": "https://dev.azure.com/johndoe/7a3fd40e-2aed-4fac-bac9-511bf1a70206/_apis/git/repositories/0d50ba13-f9ad-49b0-9b21-d29eda50ca33",
            "project": {"id": "7a3fd40e-2aed-4fac-bac9-511bf1a70206", "name": "test-project", "state": "unchanged", "visibility": "unchanged", "lastUpdateTime": "0001-01-01T00:00:00"}
        },
        "pullRequestId": 1,
        "codeReviewId": 1,
        "status": "active",
        "createdBy": {
            "displayName": "John Doe",
            "url": "https://spsprodcus5.vssps.visualstudio.com/A1def512a-251e-4668-9a5d-a4bc1f0da4aa/_apis/Identities/bc538feb-9fdd-6cf8-80e1-7c56950d0289",
            "id": "bc538feb-9fdd-6cf8-80e1-7c56950d0289",
            "uniqueName": "john.doe@merico.dev"
        },
        "creationDate": "2023-02-07T04:41:26.6424314Z",
        "title": "ticket-2 PR",
        "description": "Updated main.java by ticket-2",
        "sourceRefName": "refs/heads/ticket-2",
        "targetRefName": "refs/heads/main",
        "mergeStatus": "succeeded",
        "isDraft": false,
        "mergeId": "99da29c2-4d27-4620-989f-5b59908917cd",
        "lastMergeSourceCommit": {"commitId": "85ede91717145a1e6e2bdab4cab689ac8f2fa3a2"},
        "lastMergeTargetCommit": {"commitId": "4bc26d92b5dbee7837a4d221035a4e2f8df120b2"},
        "lastMergeCommit": {"commitId": "ebc6c7a2a5e3c155510d0ba44fd4385bf7ae6e22"},
        "reviewers": [{"vote": 0, "hasDeclined": false, "isFlagged": false, "displayName": "John Doe", "id": "bc538feb-9fdd-6cf8-80e1-7c56950d0289"}],
        "labels": [{"id": "98db191b-f0a5-421b-8433-e982ad05fe06", "name": "feature", "active": true}],
        "url": "https://dev.azure.com/johndoe/7a3fd40e-2aed-4fac-bac9-511bf1a70206/_apis/git/repositories/0d50ba13-f9ad-49b0-9b21-d29eda50ca33/pullRequests/1",
        "supportsIterations": true
    });
    let expected = PullRequest {
        base_repo_id: Some("azuredevops:GitRepository:1:johndoe/test-repo".into()),
        head_repo_id: Some("azuredevops:GitRepository:1:johndoe/test-repo".into()),
        status: Some(PullRequestStatus::Open),
        original_status: Some("active".into()),
        title: Some("ticket-2 PR".into()),
        description: Some("Updated main.java by ticket-2".into()),
        url: Some("https://github.com/johndoe/test-repo/pullrequest/1".into()),
        author_name: Some("John Doe".into()),
        author_id: Some("bc538feb-9fdd-6cf8-80e1-7c56950d0289".into()),
        pull_request_key: Some(1),
        created_date: at("2023-02-07T04:41:26.6424314Z"),
        merged_date: None,
        closed_date: None,
        r#type: Some("feature".into()),
        component: Some(String::new()),
        merge_commit_sha: Some("ebc6c7a2a5e3c155510d0ba44fd4385bf7ae6e22".into()),
        head_ref: Some("refs/heads/ticket-2".into()),
        base_ref: Some("refs/heads/main".into()),
        head_commit_sha: Some("85ede91717145a1e6e2bdab4cab689ac8f2fa3a2".into()),
        base_commit_sha: Some("4bc26d92b5dbee7837a4d221035a4e2f8df120b2".into()),
        ..Default::default()
    };
    assert_stream_convert_with(&ctx, &GitPullRequests, raw, vec![expected]);
}

#[test]
fn test_pull_request_commits_stream() {
    let ctx = context_with(json!({}));
    let raw = json!({
        "commitId": "85ede91717145a1e6e2bdab4cab689ac8f2fa3a2",
        "author": {"name": "John Doe", "email": "john.doe@merico.dev", "date": "2023-02-07T04:49:28Z"},
        "committer": {"name": "John Doe", "email": "john.doe@merico.dev", "date": "2023-02-07T04:49:28Z"},
        "comment": "Fixed main.java",
        "url": "https://dev.azure.com/johndoe/7a3fd40e-2aed-4fac-bac9-511bf1a70206/_apis/git/repositories/0d50ba13-f9ad-49b0-9b21-d29eda50ca33/commits/85ede91717145a1e6e2bdab4cab689ac8f2fa3a2",
        // added by the collector
        "pull_request_id": "azuredevops:gitpullrequest:1:12345"
    });
    let expected = PullRequestCommit {
        commit_sha: "85ede91717145a1e6e2bdab4cab689ac8f2fa3a2".into(),
        pull_request_id: "azuredevops:gitpullrequest:1:12345".into(),
        commit_author_name: Some("John Doe".into()),
        commit_authored_date: at("2023-02-07T04:49:28Z"),
        commit_author_email: Some("john.doe@merico.dev".into()),
    };
    assert_stream_convert_with(&ctx, &GitPullRequestCommits::default(), raw, vec![expected]);
}

#[test]
fn test_jobs_stream_with_environment_pattern() {
    let ctx = context_with_environment_pattern();
    let id = "cfa20e98-6997-523c-4233-f0a7302c929f";
    let raw = raw_job(
        id,
        "Job",
        "deploy_xxxx-prod_helm",
        "deploy_xxxx-prod_helm.__default",
    );
    // 'xxxx-prod' is extracted, and contains 'prod'.
    let expected = expected_task(
        &ctx,
        "deploy_xxxx-prod_helm",
        Some(CicdEnvironment::Production),
    );
    assert_stream_convert_with(&ctx, &Jobs::default(), raw, vec![expected]);
}

#[test]
fn test_jobs_stream_with_environment_pattern_non_prod() {
    let ctx = context_with_environment_pattern();
    let id = "cfa20e98-6997-523c-4233-f0a7302c929f";
    let raw = raw_job(
        id,
        "Job",
        "deploy_xxxx-dev_helm",
        "deploy_xxxx-dev_helm.__default",
    );
    // 'xxxx-dev' is extracted: not production, though the deployment has no other match.
    let expected = expected_task(&ctx, "deploy_xxxx-dev_helm", None);
    assert_stream_convert_with(&ctx, &Jobs::default(), raw, vec![expected]);
}

#[test]
fn test_stage_record_collected() {
    let ctx = context();
    let mut raw = raw_job(
        "stage-id-123",
        "Stage",
        "deploy_prod_stage",
        "deploy_prod_stage",
    );
    raw["parentId"] = Value::Null;
    raw["workerName"] = Value::Null;
    let expected = expected_task(&ctx, "deploy_prod_stage", Some(CicdEnvironment::Production));
    assert_stream_convert_with(&ctx, &Jobs::default(), raw, vec![expected]);
}

#[test]
fn an_invalid_pattern_is_a_clear_error() {
    let ctx = context_with(json!({"deploymentPattern": "deploy(", "productionPattern": "prod"}));
    let err = devlake::testing::stream_convert::<_, _, CicdPipeline>(&ctx, &Builds, &raw_build())
        .expect_err("an invalid pattern fails");
    let msg = err.to_string();
    assert!(msg.contains("deployment_pattern \"deploy(\""), "{msg}");
    assert!(!msg.contains('\n'), "one line: {msg}");
}
