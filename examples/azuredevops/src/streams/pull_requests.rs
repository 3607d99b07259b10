//! Pull requests (upstream `streams/pull_requests.py`), collected incrementally: after
//! the first run, only those created since the last run, plus the ones that were still
//! active then.

use super::Since;
use crate::api::AzureDevOpsApi;
use crate::models::{GitPullRequest, GitRepository, PrStatus};
use crate::AzureDevOpsPlugin;
use devlake::api::{concurrent, DEFAULT_CONCURRENCY};
use devlake::domain::code::{PullRequest, PullRequestStatus};
use devlake::model::ModelDescriptor;
use devlake::prelude::*;
use futures::StreamExt;
use serde_json::json;
use std::collections::HashSet;

/// The pull requests of an Azure Repos repository.
pub struct GitPullRequests;

impl Stream<AzureDevOpsPlugin> for GitPullRequests {
    type ToolModel = GitPullRequest;
    const DOMAIN_TYPES: &'static [DomainType] = &[DomainType::Code];

    fn domain_models(&self) -> Vec<&'static ModelDescriptor> {
        vec![PullRequest::descriptor()]
    }

    fn should_run_on(&self, scope: &Scope<GitRepository>) -> bool {
        !scope.is_external()
    }

    async fn collect(&self, ctx: &Context<AzureDevOpsPlugin>, out: &mut RawSink<'_>) -> Result<()> {
        let started = chrono::Utc::now();
        let repo = &ctx.scope;
        let api = AzureDevOpsApi::new(&ctx.connection)?;
        let input = json!({"OrgId": repo.org_id, "ProjectId": repo.project_id, "RepoId": repo.id});
        let last = Since::of(ctx);
        let mut request = api.pull_requests(&repo.org_id, &repo.project_id, &repo.id);
        if let Some(since) = &last.since {
            request = request
                .query("searchCriteria.queryTimeRangeType", "created")
                .query("searchCriteria.minTime", since);
        }
        let mut seen = HashSet::new();
        let mut active = Vec::new();
        let mut push = |data: serde_json::Value| {
            let id = data["pullRequestId"].as_i64();
            let fresh = id.is_none_or(|id| seen.insert(id));
            if let (Some(id), true) = (id, data["status"] == "active") {
                if fresh {
                    active.push(id);
                }
            }
            fresh.then_some(data)
        };
        let mut rows = std::pin::pin!(api.rows(request));
        while let Some(row) = rows.next().await {
            let row = row?;
            if let Some(data) = push(row.data) {
                out.push_with(data, Some(&row.url), Some(&input)).await?;
            }
        }
        // Active pull requests of the last run may have been merged or abandoned since:
        // fetched again, several at a time.
        let mut again = std::pin::pin!(concurrent(last.open, DEFAULT_CONCURRENCY, |id| {
            let request = api.pull_request(&repo.org_id, &repo.project_id, &repo.id, id);
            let client = api.client().clone();
            async move { client.send_unchecked(request).await }
        }));
        while let Some(response) = again.next().await {
            let response = response?;
            // Deleted since: nothing to update.
            if response.status().as_u16() == 404 {
                continue;
            }
            let response = response.error_for_status()?;
            let url = response.redacted_url();
            if let Some(data) = push(response.json_value()?) {
                out.push_with(data, Some(&url), Some(&input)).await?;
            }
        }
        out.set_state(Since::save(started, active));
        Ok(())
    }

    fn convert(
        &self,
        pr: &GitPullRequest,
        ctx: &Context<AzureDevOpsPlugin>,
        out: &mut DomainSink,
    ) -> Result<()> {
        let repo_id = ctx.scope.domain_id();
        // A pull request from a fork: the base repository's id is forged from the fork's,
        // though no such scope exists (as upstream).
        let base_repo_id = match &pr.fork_repo_id {
            Some(fork) => devlake::stream::domain_id::<GitRepository>(
                ctx.connection_id(),
                std::slice::from_ref(fork),
            ),
            None => repo_id.clone(),
        };
        let status = match pr.status {
            PrStatus::Abandoned => PullRequestStatus::Closed,
            PrStatus::Active => PullRequestStatus::Open,
            PrStatus::Completed => PullRequestStatus::Merged,
        };
        out.push(PullRequest {
            base_repo_id: Some(base_repo_id),
            head_repo_id: Some(repo_id),
            status: Some(status),
            original_status: Some(pr.status.as_str().to_string()),
            title: pr.title.clone(),
            description: pr.description.clone(),
            url: Some(format!(
                "{}/pullrequest/{}",
                ctx.scope.url, pr.pull_request_id
            )),
            author_name: Some(pr.created_by_name.clone()),
            author_id: Some(pr.created_by_id.clone()),
            pull_request_key: Some(pr.pull_request_id),
            created_date: Some(pr.creation_date),
            merged_date: pr.closed_date,
            closed_date: pr.closed_date,
            r#type: pr.r#type.clone(),
            component: Some(String::new()),
            merge_commit_sha: pr.merge_commit_sha.clone(),
            head_ref: pr.source_ref_name.clone(),
            base_ref: pr.target_ref_name.clone(),
            head_commit_sha: Some(pr.source_commit_sha.clone()),
            base_commit_sha: Some(pr.target_commit_sha.clone()),
            ..Default::default()
        })
    }
}
