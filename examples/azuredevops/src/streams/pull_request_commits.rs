//! The commits of each pull request (upstream `streams/pull_request_commits.py`). In an
//! incremental run, pull requests closed before the last run are not asked again: their
//! commits cannot change.

use super::{finished_before_last_run, substream_state};
use crate::api::ApiCache;
use crate::models::{GitPullRequest, GitPullRequestCommit, GitRepository};
use crate::streams::GitPullRequests;
use crate::AzureDevOpsPlugin;
use devlake::domain::code::PullRequestCommit;
use devlake::model::ModelDescriptor;
use devlake::prelude::*;
use futures::StreamExt;
use serde_json::json;

/// The commits of a pull request.
#[derive(Debug, Default)]
pub struct GitPullRequestCommits {
    api: ApiCache,
}

impl Stream<AzureDevOpsPlugin> for GitPullRequestCommits {
    type ToolModel = GitPullRequestCommit;
    const DOMAIN_TYPES: &'static [DomainType] = &[DomainType::Code];

    fn domain_models(&self) -> Vec<&'static ModelDescriptor> {
        vec![PullRequestCommit::descriptor()]
    }

    fn should_run_on(&self, scope: &Scope<GitRepository>) -> bool {
        !scope.is_external()
    }

    fn convert(
        &self,
        commit: &GitPullRequestCommit,
        _ctx: &Context<AzureDevOpsPlugin>,
        out: &mut DomainSink,
    ) -> Result<()> {
        out.push(PullRequestCommit {
            commit_sha: commit.commit_id.clone(),
            pull_request_id: commit.pull_request_id.clone(),
            commit_author_name: Some(commit.author_name.clone()),
            commit_author_email: commit.author_email.clone(),
            commit_authored_date: Some(commit.author_date),
        })
    }
}

impl Substream<AzureDevOpsPlugin> for GitPullRequestCommits {
    type Parent = GitPullRequests;

    async fn collect_for(
        &self,
        pr: &GitPullRequest,
        ctx: &Context<AzureDevOpsPlugin>,
        out: &mut RawSink<'_>,
    ) -> Result<()> {
        out.set_state(substream_state());
        if finished_before_last_run(ctx, pr.closed_date) {
            return Ok(());
        }
        let repo = &ctx.scope;
        let api = self.api.get(&ctx.connection)?;
        let request =
            api.pull_request_commits(&repo.org_id, &repo.project_id, &repo.id, pr.pull_request_id);
        let input = json!({
            "OrgId": repo.org_id,
            "ProjectId": repo.project_id,
            "RepoId": repo.id,
            "PullRequestId": pr.pull_request_id,
        });
        let pr_id = ctx.domain_id(pr);
        let mut rows = std::pin::pin!(api.rows(request));
        while let Some(row) = rows.next().await {
            let row = row?;
            let mut data = row.data;
            if let Some(obj) = data.as_object_mut() {
                obj.insert("pull_request_id".into(), pr_id.clone().into());
            }
            out.push_with(data, Some(&row.url), Some(&input)).await?;
        }
        Ok(())
    }
}
