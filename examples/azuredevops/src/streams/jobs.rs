//! Jobs and stages of each build's timeline (upstream `streams/jobs.py`). In an
//! incremental run, builds that finished before the last run are not asked again.

use super::{classify, duration_sec, finished_before_last_run, substream_state};
use crate::api::ApiCache;
use crate::models::{Build, Job, JobResult, JobState};
use crate::streams::Builds;
use crate::AzureDevOpsPlugin;
use devlake::domain::devops::{CicdResult, CicdStatus, CicdTask};
use devlake::model::ModelDescriptor;
use devlake::prelude::*;
use serde_json::{json, Value as JsonValue};

/// Timeline records of these types are collected: jobs, and stages (environments are
/// often named after stages).
const RECORD_TYPES: &[&str] = &["Job", "Stage"];

/// The jobs and stages of a build.
#[derive(Debug, Default)]
pub struct Jobs {
    api: ApiCache,
}

impl Stream<AzureDevOpsPlugin> for Jobs {
    type ToolModel = Job;
    const DOMAIN_TYPES: &'static [DomainType] = &[DomainType::Cicd];

    fn domain_models(&self) -> Vec<&'static ModelDescriptor> {
        vec![CicdTask::descriptor()]
    }

    fn convert(
        &self,
        j: &Job,
        ctx: &Context<AzureDevOpsPlugin>,
        out: &mut DomainSink,
    ) -> Result<()> {
        let Some(start_time) = j.start_time else {
            return Ok(());
        };
        let result = match j.result {
            Some(JobResult::Canceled | JobResult::Failed | JobResult::SucceededWithIssues) => {
                Some(CicdResult::Failure)
            }
            Some(JobResult::Succeeded) => Some(CicdResult::Success),
            // pydevlake's RESULT_DEFAULT ("").
            Some(JobResult::Abandoned | JobResult::Skipped) | None => None,
        };
        let status = match j.state {
            JobState::Completed => CicdStatus::Done,
            JobState::InProgress | JobState::Pending => CicdStatus::InProgress,
        };
        let (r#type, environment) =
            classify(&ctx.scope_config, &j.name, j.identifier.as_deref(), true)?;
        out.push(CicdTask {
            name: j.name.clone(),
            pipeline_id: Some(j.build_id.clone()),
            status: Some(status),
            original_status: Some(j.state.db_name().to_string()),
            original_result: Some(j.result.map_or("None", |r| r.db_name()).to_string()),
            created_date: Some(start_time),
            started_date: Some(start_time),
            finished_date: j.finish_time,
            result,
            r#type: Some(r#type),
            duration_sec: Some(duration_sec(start_time, j.finish_time)),
            environment,
            cicd_scope_id: Some(ctx.scope.domain_id()),
            ..Default::default()
        })
    }
}

impl Substream<AzureDevOpsPlugin> for Jobs {
    type Parent = Builds;

    async fn collect_for(
        &self,
        build: &Build,
        ctx: &Context<AzureDevOpsPlugin>,
        out: &mut RawSink<'_>,
    ) -> Result<()> {
        out.set_state(substream_state());
        if finished_before_last_run(ctx, build.finish_time) {
            return Ok(());
        }
        let repo = &ctx.scope;
        let api = self.api.get(&ctx.connection)?;
        let request = api.timeline(&repo.org_id, &repo.project_id, build.id);
        let response = api.client().send_unchecked(request).await?;
        // A build that failed before any job started (a bad YAML file) has no timeline:
        // 204. A deleted build's timeline is 204 too, or 404 once it has been cleaned up.
        if matches!(response.status().as_u16(), 204 | 404) {
            return Ok(());
        }
        let response = response.error_for_status()?;
        let url = response.redacted_url();
        let mut body = response.json_value()?;
        let input =
            json!({"OrgId": repo.org_id, "ProjectId": repo.project_id, "BuildId": build.id});
        let build_id = ctx.domain_id(build);
        let records = match body.get_mut("records").map(JsonValue::take) {
            Some(JsonValue::Array(records)) => records,
            _ => Vec::new(),
        };
        for mut record in records {
            let wanted = record["type"]
                .as_str()
                .is_some_and(|t| RECORD_TYPES.contains(&t));
            if let (true, Some(obj)) = (wanted, record.as_object_mut()) {
                obj.insert("build_id".into(), build_id.clone().into());
                out.push_with(record, Some(&url), Some(&input)).await?;
            }
        }
        Ok(())
    }
}
