//! The plugin under measurement: the fake plugin's models and conversion
//! (`examples/fakeplugin`, used as a library) behind two streams of its own, fake CI
//! pipelines collected from an in-process generator or from a local HTTP server, extracted
//! into the fake plugin's tool table and converted into `cicd_pipelines`.
//!
//! Task options carry what a run needs: `n` (records to generate), `changed` (records new
//! or updated since the last run, generated on an incremental run), and for the HTTP
//! stream `endpoint` (server base URL) and `concurrency` (pages fetched at once).

use devlake::api::{ApiClient, Method, PageNumberPaginator};
use devlake::domain::devops::{CicdPipeline, CicdScope};
use devlake::plugin::AnyDomainScope;
use devlake::prelude::*;
use fakeplugin::models::{FakeConnection, FakePipeline, FakeProject, FakeScopeConfig, State};
use fakeplugin::{convert_pipeline, FakePipelineStream};
use futures::StreamExt;
use serde_json::{json, Value as Json};

/// Items per page of the HTTP source (as pydevlake's baseline served them).
pub const PAGE_SIZE: u64 = 100;
/// Stream generating its records in process.
pub const GENERATED_STREAM: &str = "generatedpipelines";
/// Stream collecting its records from the local HTTP server.
pub const HTTP_STREAM: &str = "httppipelines";

/// Raw JSON of pipeline `i`, as the fake plugin generates it (camelCase keys, enum values
/// in lowercase). Every source (generator, HTTP server, plain baseline) uses this.
pub fn pipeline_json(i: u64) -> Json {
    FakePipelineStream::fake_pipeline(i as usize).to_json()
}

/// Pipeline `i` after an update: another state and a later finish.
pub fn updated_pipeline_json(i: u64) -> Json {
    let mut p = FakePipelineStream::fake_pipeline(i as usize);
    p.state = match p.state {
        State::Success => State::Failure,
        _ => State::Success,
    };
    p.finished_at = p.finished_at.map(|t| t + chrono::Duration::minutes(1));
    p.to_json()
}

/// `changed` records of an incremental run as (updated, new): half of each (the odd one new).
pub fn split_changes(changed: u64) -> (u64, u64) {
    (changed / 2, changed - changed / 2)
}

/// The plugin.
#[derive(Debug, Default)]
pub struct BenchPlugin;

impl Plugin for BenchPlugin {
    type Connection = FakeConnection;
    type ToolScope = FakeProject;
    type ScopeConfig = FakeScopeConfig;
    const NAME: Option<&'static str> = Some("bench");

    async fn test_connection(
        &self,
        _connection: &Connection<FakeConnection>,
    ) -> Result<TestConnectionResult> {
        Ok(TestConnectionResult::ok())
    }

    async fn remote_scope_groups(
        &self,
        _connection: &Connection<FakeConnection>,
    ) -> Result<Vec<RemoteScopeGroup>> {
        Ok(vec![])
    }

    async fn remote_scopes(
        &self,
        _connection: &Connection<FakeConnection>,
        _group_id: &str,
    ) -> Result<Vec<Scope<FakeProject>>> {
        Ok(vec![])
    }

    fn domain_scopes(&self, project: &Scope<FakeProject>) -> Vec<AnyDomainScope> {
        vec![CicdScope {
            name: project.name.clone(),
            ..Default::default()
        }
        .into()]
    }

    fn streams(&self) -> Streams<Self> {
        Streams::new()
            .add(Pipelines { from_http: false })
            .add(Pipelines { from_http: true })
    }
}

fn option_u64(ctx: &Context<BenchPlugin>, key: &str) -> Result<u64> {
    ctx.options.get(key).and_then(Json::as_u64).ok_or_else(|| {
        Error::input(format!(
            "task option {key:?} must be a non-negative integer"
        ))
    })
}

/// Fake pipelines from one of the two sources; its name says which
/// ([`GENERATED_STREAM`], [`HTTP_STREAM`]).
pub struct Pipelines {
    /// Collect from `GET <endpoint>/pipelines?n=<n>&page=<p>&per_page=100` through the API
    /// client, page-number pagination with the total known from the first page,
    /// `concurrency` pages at once; otherwise generate `n` records in process.
    pub from_http: bool,
}

impl Pipelines {
    /// A source that answers "what changed since" as an API with `updated_since` does: a
    /// full (or first) run gets pipelines `0..n`; an incremental one, which the runtime
    /// gives the last run's start ([`Context::collected_since`]) and saved state, gets
    /// `changed` records: updates of existing pipelines spread over the ids, and new ones
    /// after the last id the state says was generated.
    async fn generate(ctx: &Context<BenchPlugin>, out: &mut RawSink<'_>) -> Result<()> {
        let n = option_u64(ctx, "n")?;
        let next = match ctx.collected_since() {
            None => {
                for i in 0..n {
                    out.push(pipeline_json(i)).await?;
                }
                n
            }
            Some(_) => {
                let next = ctx
                    .state()
                    .and_then(|s| s.get("next"))
                    .and_then(Json::as_u64)
                    .unwrap_or(n);
                let changed = match ctx.options.get("changed") {
                    None => 0,
                    Some(_) => option_u64(ctx, "changed")?,
                };
                let (updated, new) = split_changes(changed);
                let step = (next / updated.max(1)).max(1);
                for j in 0..updated.min(next) {
                    out.push(updated_pipeline_json(j * step)).await?;
                }
                for i in next..next + new {
                    out.push(pipeline_json(i)).await?;
                }
                next + new
            }
        };
        out.set_state(json!({ "next": next }));
        Ok(())
    }

    async fn fetch(ctx: &Context<BenchPlugin>, out: &mut RawSink<'_>) -> Result<()> {
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
        Ok(())
    }
}

impl Stream<BenchPlugin> for Pipelines {
    type ToolModel = FakePipeline;
    const DOMAIN_TYPES: &'static [DomainType] = &[DomainType::Cicd];

    fn name(&self) -> String {
        (if self.from_http {
            HTTP_STREAM
        } else {
            GENERATED_STREAM
        })
        .to_string()
    }

    fn domain_models(&self) -> Vec<&'static devlake::model::ModelDescriptor> {
        vec![CicdPipeline::descriptor()]
    }

    async fn collect(&self, ctx: &Context<BenchPlugin>, out: &mut RawSink<'_>) -> Result<()> {
        if self.from_http {
            Self::fetch(ctx, out).await?;
            out.set_state(json!({}));
        } else {
            Self::generate(ctx, out).await?;
        }
        Ok(())
    }

    fn convert(
        &self,
        p: &FakePipeline,
        ctx: &Context<BenchPlugin>,
        out: &mut DomainSink,
    ) -> Result<()> {
        convert_pipeline(p, &ctx.scope_config, ctx.scope.domain_id(), out)
    }
}
