//! Builds (upstream `streams/builds.py`), collected incrementally as DevLake's Go port
//! does: after the first run, only builds queued since the last run (`minTime`), plus
//! those that were unfinished then (`buildIds`), so they are finalized.

use super::{classify, duration_sec, Since};
use crate::api::AzureDevOpsApi;
use crate::models::{Build, BuildResult, BuildStatus};
use crate::AzureDevOpsPlugin;
use devlake::domain::devops::{CicdPipeline, CicdPipelineCommit, CicdResult, CicdStatus};
use devlake::model::ModelDescriptor;
use devlake::prelude::*;
use futures::StreamExt;
use serde_json::json;
use std::collections::HashSet;

/// Build ids asked for in one request (they go in the query string).
const IDS_PER_REQUEST: usize = 100;

/// The builds of a repository (Azure Repos or external).
pub struct Builds;

impl Stream<AzureDevOpsPlugin> for Builds {
    type ToolModel = Build;
    const DOMAIN_TYPES: &'static [DomainType] = &[DomainType::Cicd];

    fn domain_models(&self) -> Vec<&'static ModelDescriptor> {
        vec![CicdPipelineCommit::descriptor(), CicdPipeline::descriptor()]
    }

    async fn collect(&self, ctx: &Context<AzureDevOpsPlugin>, out: &mut RawSink<'_>) -> Result<()> {
        let started = chrono::Utc::now();
        let repo = &ctx.scope;
        let api = AzureDevOpsApi::new(&ctx.connection)?;
        let provider = repo
            .provider
            .as_deref()
            .filter(|p| !p.is_empty())
            .unwrap_or("tfsgit");
        // External repositories are known to Azure Pipelines by their provider's id (the
        // scope id is `<org>/<project>/<provider>/<provider's id>`, which may hold `/`).
        // The Python plugin sends the whole scope id; the Go port the provider's id.
        let prefix = format!("{}/{}/{provider}/", repo.org_id, repo.project_id);
        let repo_id = match repo.is_external() {
            true => repo.id.strip_prefix(&prefix).unwrap_or(&repo.id),
            false => repo.id.as_str(),
        };
        let input = json!({
            "OrgId": repo.org_id,
            "ProjectId": repo.project_id,
            "RepoId": repo.id,
            "Provider": provider,
        });
        let last = Since::of(ctx);
        let listing = || api.builds(&repo.org_id, &repo.project_id, repo_id, provider);
        let mut requests = vec![match &last.since {
            Some(since) => listing().query("minTime", since),
            None => listing(),
        }];
        for ids in last.open.chunks(IDS_PER_REQUEST) {
            let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
            requests.push(listing().query("buildIds", ids.join(",")));
        }
        let mut seen = HashSet::new();
        let mut unfinished = Vec::new();
        for request in requests {
            let mut rows = std::pin::pin!(api.rows(request));
            while let Some(row) = rows.next().await {
                let row = row?;
                if let Some(id) = row.data["id"].as_i64() {
                    if !seen.insert(id) {
                        continue;
                    }
                    if row.data["status"] != "completed" {
                        unfinished.push(id);
                    }
                }
                out.push_with(row.data, Some(&row.url), Some(&input))
                    .await?;
            }
        }
        out.set_state(Since::save(started, unfinished));
        Ok(())
    }

    fn convert(
        &self,
        b: &Build,
        ctx: &Context<AzureDevOpsPlugin>,
        out: &mut DomainSink,
    ) -> Result<()> {
        let Some(start_time) = b.start_time else {
            return Ok(());
        };
        let result = match b.result {
            Some(BuildResult::Canceled | BuildResult::Failed) => Some(CicdResult::Failure),
            Some(BuildResult::PartiallySucceeded | BuildResult::Succeeded) => {
                Some(CicdResult::Success)
            }
            // pydevlake's RESULT_DEFAULT ("").
            Some(BuildResult::Non) | None => None,
        };
        let status = match b.status {
            BuildStatus::Cancelling | BuildStatus::Completed => CicdStatus::Done,
            BuildStatus::InProgress | BuildStatus::NotStarted | BuildStatus::Postponed => {
                CicdStatus::InProgress
            }
        };
        let (r#type, environment) = classify(&ctx.scope_config, &b.name, None, false)?;
        out.push(CicdPipeline {
            name: b.name.clone(),
            status: Some(status),
            result,
            // Python's str() of its enum members: the member name, "None" when unset.
            original_status: Some(b.status.db_name().to_string()),
            original_result: Some(b.result.map_or("None", |r| r.db_name()).to_string()),
            created_date: b.queue_time,
            queued_date: b.queue_time,
            started_date: Some(start_time),
            finished_date: b.finish_time,
            duration_sec: Some(duration_sec(start_time, b.finish_time)),
            environment,
            r#type: Some(r#type),
            cicd_scope_id: Some(ctx.scope.domain_id()),
            display_title: b.display_title.clone(),
            url: b.url.clone(),
            ..Default::default()
        })?;
        out.push(CicdPipelineCommit {
            pipeline_id: ctx.domain_id(b),
            commit_sha: b.source_version.clone(),
            branch: Some(b.source_branch.clone()),
            repo_id: Some(ctx.scope.domain_id()),
            repo_url: Some(ctx.scope.url.clone()),
            display_title: b.display_title.clone(),
            url: b.url.clone(),
            ..Default::default()
        })
    }
}
