//! The plugin under measurement, modelled on `examples/fakeplugin`: fake CI pipelines
//! collected from an in-process generator (or from a local HTTP server), extracted into a
//! tool table and converted into `cicd_pipelines`.
//!
//! Task options carry what a run needs: `n` (records to generate), and for the HTTP
//! stream `endpoint` (server base URL) and `concurrency` (pages fetched at once).

use chrono::{TimeZone, Utc};
use devlake::api::{ApiClient, Method, PageNumberPaginator};
use devlake::domain::devops::{
    CicdEnvironment, CicdPipeline, CicdResult, CicdScope, CicdStatus, CicdType,
};
use devlake::plugin::AnyDomainScope;
use devlake::prelude::*;
use futures::StreamExt;
use serde_json::{json, Value as Json};

/// Items per page of the HTTP source (as pydevlake's baseline served them).
pub const PAGE_SIZE: u64 = 100;
/// Stream generating its records in process.
pub const GENERATED_STREAM: &str = "generatedpipelines";
/// Stream collecting its records from the local HTTP server.
pub const HTTP_STREAM: &str = "httppipelines";

/// The connection: one secret token, as the fake plugin's.
#[derive(Debug, Clone, devlake::Model)]
#[devlake(connection)]
pub struct BenchConnection {
    pub token: Secret,
}

/// The tool scope.
#[derive(Debug, Clone, devlake::Model)]
#[devlake(scope)]
pub struct BenchProject {
    pub url: String,
}

/// The scope config: the environment pipelines deploy to.
#[derive(Debug, Clone, devlake::Model)]
#[devlake(scope_config)]
pub struct BenchScopeConfig {
    pub env: String,
}

/// State of a pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, devlake::Enum)]
pub enum State {
    Pending,
    Running,
    Failure,
    Success,
}

/// A CI pipeline (tool model), the fake plugin's `FakePipeline`.
#[derive(Debug, Clone, PartialEq, devlake::Model)]
pub struct BenchPipeline {
    #[devlake(primary_key)]
    pub id: String,
    pub started_at: Option<DateTime>,
    pub finished_at: Option<DateTime>,
    pub state: State,
}

/// Raw JSON of pipeline `i`, as the fake plugin generates it (camelCase keys, enum values
/// in lowercase). Every source (generator, HTTP server, plain baseline) uses this.
pub fn pipeline_json(i: u64) -> Json {
    let states = ["success", "failure", "pending"];
    let at = |minute| {
        (Utc.with_ymd_and_hms(2023, 1, 10, 11, minute, 0).unwrap()
            + chrono::Duration::microseconds(i as i64))
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    };
    json!({"id": i.to_string(), "startedAt": at(0), "finishedAt": at(3), "state": states[(i % 3) as usize]})
}

/// The plugin.
#[derive(Debug, Default)]
pub struct BenchPlugin;

impl Plugin for BenchPlugin {
    type Connection = BenchConnection;
    type ToolScope = BenchProject;
    type ScopeConfig = BenchScopeConfig;
    const NAME: Option<&'static str> = Some("bench");

    async fn test_connection(
        &self,
        _connection: &Connection<BenchConnection>,
    ) -> Result<TestConnectionResult> {
        Ok(TestConnectionResult::ok())
    }

    async fn remote_scope_groups(
        &self,
        _connection: &Connection<BenchConnection>,
    ) -> Result<Vec<RemoteScopeGroup>> {
        Ok(vec![])
    }

    async fn remote_scopes(
        &self,
        _connection: &Connection<BenchConnection>,
        _group_id: &str,
    ) -> Result<Vec<Scope<BenchProject>>> {
        Ok(vec![])
    }

    fn domain_scopes(&self, project: &Scope<BenchProject>) -> Vec<AnyDomainScope> {
        vec![CicdScope {
            name: project.name.clone(),
            ..Default::default()
        }
        .into()]
    }

    fn streams(&self) -> Streams<Self> {
        Streams::new().add(GeneratedPipelines).add(HttpPipelines)
    }
}

fn option_u64(ctx: &Context<BenchPlugin>, key: &str) -> Result<u64> {
    ctx.options.get(key).and_then(Json::as_u64).ok_or_else(|| {
        Error::input(format!(
            "task option {key:?} must be a non-negative integer"
        ))
    })
}

/// The conversion shared by both streams: the fake plugin's.
fn convert_pipeline(
    p: &BenchPipeline,
    ctx: &Context<BenchPlugin>,
    out: &mut DomainSink,
) -> Result<()> {
    let (status, result) = match p.state {
        State::Success => (CicdStatus::Done, Some(CicdResult::Success)),
        State::Failure => (CicdStatus::Done, Some(CicdResult::Failure)),
        State::Pending | State::Running => (CicdStatus::InProgress, None),
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
        environment: ctx.scope_config.env.parse::<CicdEnvironment>().ok(),
        r#type: Some(CicdType::Build),
        ..Default::default()
    })
}

/// Pipelines generated in process (`n` of them).
pub struct GeneratedPipelines;

impl Stream<BenchPlugin> for GeneratedPipelines {
    type ToolModel = BenchPipeline;
    const DOMAIN_TYPES: &'static [DomainType] = &[DomainType::Cicd];

    fn domain_models(&self) -> Vec<&'static devlake::model::ModelDescriptor> {
        vec![CicdPipeline::descriptor()]
    }

    async fn collect(&self, ctx: &Context<BenchPlugin>, out: &mut RawSink<'_>) -> Result<()> {
        for i in 0..option_u64(ctx, "n")? {
            out.push(pipeline_json(i)).await?;
        }
        out.set_state(json!({}));
        Ok(())
    }

    fn convert(
        &self,
        p: &BenchPipeline,
        ctx: &Context<BenchPlugin>,
        out: &mut DomainSink,
    ) -> Result<()> {
        convert_pipeline(p, ctx, out)
    }
}

/// Pipelines collected from `GET <endpoint>/pipelines?n=<n>&page=<p>&per_page=100`
/// through the API client, page-number pagination with the total known from the first
/// page, `concurrency` pages at once.
pub struct HttpPipelines;

impl Stream<BenchPlugin> for HttpPipelines {
    type ToolModel = BenchPipeline;
    const DOMAIN_TYPES: &'static [DomainType] = &[DomainType::Cicd];

    fn domain_models(&self) -> Vec<&'static devlake::model::ModelDescriptor> {
        vec![CicdPipeline::descriptor()]
    }

    async fn collect(&self, ctx: &Context<BenchPlugin>, out: &mut RawSink<'_>) -> Result<()> {
        let endpoint = ctx
            .options
            .get("endpoint")
            .and_then(Json::as_str)
            .ok_or_else(|| {
                Error::input("task option \"endpoint\" (the server's base URL) is missing")
            })?;
        let client = ApiClient::builder(endpoint)
            .env_proxy(false)
            .build()
            .map_err(|e| Error::msg(format!("API client for {endpoint}: {e}")))?;
        let req = client
            .request(Method::GET, ["pipelines"])
            .query("n", option_u64(ctx, "n")?);
        let paginator = PageNumberPaginator::new("items", "page")
            .page_size("per_page", PAGE_SIZE)
            .total_items_attr("total");
        let mut pages = client
            .paginate(req, paginator)
            .concurrency(option_u64(ctx, "concurrency")? as usize);
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| Error::msg(e.to_string()))?;
            for item in page.items {
                out.push_with(item, Some(&page.url), None).await?;
            }
        }
        out.set_state(json!({}));
        Ok(())
    }

    fn convert(
        &self,
        p: &BenchPipeline,
        ctx: &Context<BenchPlugin>,
        out: &mut DomainSink,
    ) -> Result<()> {
        convert_pipeline(p, ctx, out)
    }
}
