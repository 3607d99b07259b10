//! A Rust port of Apache DevLake's fake plugin (`backend/python/test/fakeplugin`): the
//! reference plugin DevLake's own remote-plugin tests run. One stream of fake CI
//! pipelines, converted into `cicd_pipelines`.
//!
//! Set `FAKE_N` to generate another number of pipelines than 250 (benchmarks), or
//! `FAKE_API_URL` to collect them from an HTTP API instead (`GET <url>/pipelines`, pages of
//! `{"items": [...], "next": <token or null>}`, `Authorization: Bearer <token>`), as
//! pydevlake's benchmark harness does with `FAKE_SOURCE=http`.

pub mod api;

pub mod migrations;
pub mod models;

use devlake::chrono;
use devlake::domain::devops::{
    CicdEnvironment, CicdPipeline, CicdResult, CicdScope, CicdStatus, CicdType,
};
use devlake::plugin::{AnyDomainScope, Prepared};
use devlake::prelude::*;
use models::*;

/// The only token `test-connection` accepts.
pub const VALID_TOKEN: &str = "this_is_a_valid_token";

/// The fake plugin.
#[derive(Debug, Default)]
pub struct FakePlugin;

impl Plugin for FakePlugin {
    type Connection = FakeConnection;
    type ToolScope = FakeProject;
    type ScopeConfig = FakeScopeConfig;

    async fn test_connection(
        &self,
        connection: &Connection<FakeConnection>,
    ) -> Result<TestConnectionResult> {
        Ok(if connection.token.expose() == VALID_TOKEN {
            TestConnectionResult::ok()
        } else {
            TestConnectionResult::failed("Invalid token", 401)
        })
    }

    async fn remote_scope_groups(
        &self,
        _connection: &Connection<FakeConnection>,
    ) -> Result<Vec<RemoteScopeGroup>> {
        Ok(vec![RemoteScopeGroup::new("group1", "Group 1")])
    }

    async fn remote_scopes(
        &self,
        _connection: &Connection<FakeConnection>,
        group_id: &str,
    ) -> Result<Vec<Scope<FakeProject>>> {
        Ok(match group_id {
            "group1" => vec![Scope::new(
                "p1",
                "Project 1",
                FakeProject {
                    url: "http://fake.org/api/project/p1".into(),
                },
            )],
            _ => vec![],
        })
    }

    fn domain_scopes(&self, project: &Scope<FakeProject>) -> Vec<AnyDomainScope> {
        let slug = project
            .name
            .to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("_");
        vec![CicdScope {
            name: project.name.clone(),
            url: Some(format!("http://fake.org/api/project/{slug}")),
            ..Default::default()
        }
        .into()]
    }

    fn streams(&self) -> Streams<Self> {
        Streams::new().add(FakePipelineStream)
    }

    /// Checks the scope config before any subtask runs. An environment with spaces around
    /// it (`" PRODUCTION"`, pasted) would match none of DevLake's, so every pipeline would
    /// silently lose its environment and DevLake's DORA metrics would leave them out:
    /// better refused before anything is collected than noticed on a dashboard. Other
    /// names stay allowed as upstream allows them: empty (a null scope config's default)
    /// and names DevLake does not know (`test env`), converted to no environment.
    fn prepare(&self, ctx: &Context<Self>) -> Result<Prepared> {
        let env = &ctx.scope_config.env;
        if env.trim() != env {
            return Err(Error::input(format!(
                "scope_config.env: {env:?} has spaces around it, so no pipeline would get an environment: write it without them (PRODUCTION, STAGING, TESTING)"
            )));
        }
        Ok(Prepared::none())
    }

    fn migrations(&self) -> Vec<devlake::migration::MigrationScript> {
        migrations::scripts()
    }
}

/// Fake CI pipelines.
pub struct FakePipelineStream;

impl FakePipelineStream {
    fn count() -> usize {
        std::env::var("FAKE_N")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(250)
    }

    /// Pipeline `i`, as upstream generates it.
    pub fn fake_pipeline(i: usize) -> FakePipeline {
        use chrono::TimeZone;
        let states = [State::Success, State::Failure, State::Pending];
        let at = |minute| {
            chrono::Utc
                .with_ymd_and_hms(2023, 1, 10, 11, minute, 0)
                .unwrap()
                + chrono::Duration::microseconds(i as i64)
        };
        FakePipeline {
            id: i.to_string(),
            state: states[i % states.len()],
            started_at: Some(at(0)),
            finished_at: Some(at(3)),
        }
    }
}

impl Stream<FakePlugin> for FakePipelineStream {
    type ToolModel = FakePipeline;
    const DOMAIN_TYPES: &'static [DomainType] = &[DomainType::Cicd];

    fn domain_models(&self) -> Vec<&'static devlake::model::ModelDescriptor> {
        vec![CicdPipeline::descriptor()]
    }

    async fn collect(&self, ctx: &Context<FakePlugin>, out: &mut RawSink<'_>) -> Result<()> {
        if let Ok(url) = std::env::var("FAKE_API_URL") {
            return api::FakeApi::new(&url, &ctx.connection)?
                .collect_pipelines(out, ctx.collected_since())
                .await;
        }
        for i in 0..Self::count() {
            out.push(Self::fake_pipeline(i).to_json()).await?;
        }
        out.set_state(serde_json::json!({}));
        Ok(())
    }

    fn convert(
        &self,
        p: &FakePipeline,
        ctx: &Context<FakePlugin>,
        out: &mut DomainSink,
    ) -> Result<()> {
        convert_pipeline(p, &ctx.scope_config, ctx.scope.domain_id(), out)
    }
}

/// Converts one fake pipeline into a `cicd_pipelines` row of the scope whose domain id is
/// `cicd_scope_id`, for the scope config's environment. Public so that other plugins over
/// these models (the bench) convert the same.
pub fn convert_pipeline(
    p: &FakePipeline,
    scope_config: &FakeScopeConfig,
    cicd_scope_id: String,
    out: &mut DomainSink,
) -> Result<()> {
    let (status, result) = match p.state {
        State::Success => (CicdStatus::Done, Some(CicdResult::Success)),
        State::Failure => (CicdStatus::Done, Some(CicdResult::Failure)),
        State::Pending | State::Running => (CicdStatus::InProgress, None),
    };
    // pydevlake silently drops an environment that is not one of DevLake's; here the
    // plugin decides, and the run reports how many were left empty (at warn).
    let environment = match scope_config.env.parse::<CicdEnvironment>() {
        Ok(e) => Some(e),
        Err(_) => {
            out.unmapped("environment");
            None
        }
    };
    let duration = match (p.started_at, p.finished_at) {
        (Some(s), Some(f)) => Some((f - s).num_seconds() as f64),
        _ => None,
    };
    out.push(CicdPipeline {
        name: p.id.clone(),
        status: Some(status),
        result,
        finished_date: p.finished_at,
        duration_sec: duration,
        environment,
        r#type: Some(CicdType::Build),
        // DevLake's CI/CD dashboards and DORA select pipelines by their scope (through
        // `project_mapping` for a project); pydevlake's fake plugin leaves it empty.
        cicd_scope_id: Some(cicd_scope_id),
        ..Default::default()
    })
}
