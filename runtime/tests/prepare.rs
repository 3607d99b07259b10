//! Issue 16 item 5: `Plugin::prepare` runs once per task before any subtask: an invalid
//! scope config fails there, naming the field, before collect touches the tool or the
//! database (in process and through the protocol: exit code 1, nothing on fd 3); a valid
//! one is compiled once and its result reaches convert through `ctx.prepared()`.

#[path = "support/protocol_child.rs"]
mod protocol_child;

use devlake::domain::devops::{CicdPipeline, CicdType};
use devlake::plugin::{AnyDomainScope, PluginMeta, Prepared};
use devlake::prelude::*;
use devlake::protocol::{PluginHost, TaskContext};
use devlake::stream::{Progress, Verb};
use devlake::testing::{Backend, ContextBuilder, TestDatabase};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Debug, Clone, devlake::Model)]
#[devlake(connection, table = "_tool_rx_connections")]
pub struct Conn {}

#[derive(Debug, Clone, devlake::Model)]
#[devlake(scope, table = "_tool_rx_projects")]
pub struct Proj {}

#[derive(Debug, Clone, Default, devlake::Model)]
#[devlake(scope_config, table = "_tool_rx_scope_configs")]
pub struct Cfg {
    /// Job names that are deployments.
    pub deployment_pattern: Option<String>,
}

#[derive(Debug, Clone, PartialEq, devlake::Model)]
#[devlake(table = "_tool_rx_jobs")]
pub struct Job {
    #[devlake(primary_key)]
    pub id: String,
    pub name: String,
}

/// What `prepare` computes once per task.
struct Compiled {
    deployment: regex::Regex,
}

/// Counts its `prepare` calls.
#[derive(Default)]
pub struct Rx {
    prepares: AtomicUsize,
}

impl Plugin for Rx {
    type Connection = Conn;
    type ToolScope = Proj;
    type ScopeConfig = Cfg;
    const NAME: Option<&'static str> = Some("rx");

    async fn test_connection(&self, _: &Connection<Conn>) -> Result<TestConnectionResult> {
        Ok(TestConnectionResult::ok())
    }
    async fn remote_scopes(&self, _: &Connection<Conn>, _: &str) -> Result<Vec<Scope<Proj>>> {
        Ok(vec![])
    }
    fn domain_scopes(&self, _: &Scope<Proj>) -> Vec<AnyDomainScope> {
        vec![]
    }
    fn streams(&self) -> Streams<Self> {
        Streams::new().add(Jobs)
    }
    fn prepare(&self, ctx: &Context<Self>) -> Result<Prepared> {
        self.prepares.fetch_add(1, Ordering::SeqCst);
        let pattern = ctx
            .scope_config
            .deployment_pattern
            .as_deref()
            .unwrap_or("deploy");
        let deployment = regex::Regex::new(pattern).map_err(|e| {
            Error::input(format!(
                "scope_config.deploymentPattern: invalid regex: {e}"
            ))
        })?;
        Ok(Prepared::new(Compiled { deployment }))
    }
}

/// Three jobs; convert marks the deployments by the scope config's pattern.
pub struct Jobs;

impl Stream<Rx> for Jobs {
    type ToolModel = Job;
    const DOMAIN_TYPES: &'static [DomainType] = &[DomainType::Cicd];
    fn domain_models(&self) -> Vec<&'static devlake::model::ModelDescriptor> {
        vec![CicdPipeline::descriptor()]
    }
    async fn collect(&self, _: &Context<Rx>, out: &mut RawSink<'_>) -> Result<()> {
        for (id, name) in [("1", "deploy-prod"), ("2", "build"), ("3", "release-prod")] {
            out.push(json!({"id": id, "name": name})).await?;
        }
        Ok(())
    }
    fn convert(&self, job: &Job, ctx: &Context<Rx>, out: &mut DomainSink) -> Result<()> {
        let compiled = ctx.prepared::<Compiled>()?;
        out.push(CicdPipeline {
            name: job.name.clone(),
            r#type: Some(if compiled.deployment.is_match(&job.name) {
                CicdType::Deployment
            } else {
                CicdType::Build
            }),
            ..Default::default()
        })
    }
}

fn task(url: &str, pattern: &str) -> serde_json::Value {
    json!({
        "db_url": url,
        "connection": {"id": 1, "name": "c"},
        "scope": {"id": "p1", "name": "p1"},
        "scope_config": {"deploymentPattern": pattern},
    })
}

fn host() -> PluginHost<Rx> {
    PluginHost::new(
        Rx::default(),
        PluginMeta {
            crate_name: "rx",
            version: "0",
            manifest_dir: ".",
        },
    )
}

async fn deployments(url: &str) -> (i64, i64) {
    let mut db = devlake::db::Db::connect(url).await.unwrap();
    let all = db.count("cicd_pipelines", None).await.unwrap();
    let deploys = db
        .count("cicd_pipelines", Some(("type = 'DEPLOYMENT'", vec![])))
        .await
        .unwrap();
    (all, deploys)
}

#[tokio::test]
async fn a_bad_regex_fails_before_collect_naming_the_field() {
    let Some(tdb) = TestDatabase::create(Backend::Sqlite, "prepare bad").await else {
        return;
    };
    let h = host();
    let task = TaskContext::from_json(&task(&tdb.url, "deploy-(")).unwrap();
    let err = h.context(&task, "jobs").unwrap_err().to_string();
    assert!(
        err.starts_with("scope_config.deploymentPattern: invalid regex"),
        "{err}"
    );
    let tables = tdb.connect().await.tables().await.unwrap();
    assert!(tables.is_empty(), "collect never ran: {tables:?}");
}

#[tokio::test]
async fn a_good_regex_is_compiled_once_per_task_and_used_by_convert() {
    let Some(tdb) = TestDatabase::create(Backend::Sqlite, "prepare good").await else {
        return;
    };
    let h = host();
    let task = TaskContext::from_json(&task(&tdb.url, "^(deploy|release)-")).unwrap();
    let mut db = devlake::db::Db::connect(&tdb.url).await.unwrap();
    for (i, verb) in Verb::ALL.into_iter().enumerate() {
        let mut ctx = h.context(&task, "jobs").unwrap();
        h.run_subtask(verb, "jobs", &mut ctx, &mut db, &mut Progress::silent())
            .await
            .unwrap();
        assert_eq!(
            h.plugin().prepares.load(Ordering::SeqCst),
            i + 1,
            "one prepare per task, not per row"
        );
    }
    assert_eq!(deployments(&tdb.url).await, (3, 2));
}

/// A context built by hand has no prepared state until the host prepares it.
#[test]
fn a_hand_built_context_is_prepared_by_the_host() {
    let h = host();
    let mut ctx = ContextBuilder::for_host(&h)
        .scope_config(json!({"deploymentPattern": "^ship"}))
        .build();
    let err = ctx.prepared::<Compiled>().err().unwrap().to_string();
    assert!(err.contains("Plugin::prepare returned nothing"), "{err}");
    h.prepare(&mut ctx).unwrap();
    assert!(ctx
        .prepared::<Compiled>()
        .unwrap()
        .deployment
        .is_match("ship-it"));
    let err = ctx.prepared::<String>().err().unwrap().to_string();
    assert!(err.contains("returned another type"), "{err}");
}

#[test]
fn through_the_protocol_a_bad_regex_exits_1_before_collect_and_a_good_one_converts() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(tdb) = rt.block_on(TestDatabase::create(Backend::Sqlite, "prepare protocol")) else {
        return;
    };
    let call = |verb: &str, pattern: &str| {
        protocol_child::call(&[
            verb.into(),
            r#"{"log_level":"info"}"#.into(),
            task(&tdb.url, pattern).to_string(),
            r#""jobs""#.into(),
        ])
    };
    let bad = call("collect", "deploy-(");
    assert_eq!(bad.rc, 1, "{bad:?}");
    assert!(
        bad.stderr
            .contains("error: scope_config.deploymentPattern: invalid regex"),
        "{bad:?}"
    );
    assert_eq!(
        bad.stderr
            .lines()
            .filter(|l| l.starts_with("error:"))
            .count(),
        1,
        "one line: {bad:?}"
    );
    assert!(bad.messages.is_empty(), "nothing on fd 3: {bad:?}");
    let tables = rt.block_on(async { tdb.connect().await.tables().await.unwrap() });
    assert!(tables.is_empty(), "nothing written: {tables:?}");

    for verb in ["collect", "extract", "convert"] {
        let good = call(verb, "^(deploy|release)-");
        assert_eq!(good.rc, 0, "{verb}: {good:?}");
    }
    assert_eq!(rt.block_on(deployments(&tdb.url)), (3, 2));
}

/// The plugin process of the protocol test (a no-op when run as a test).
#[test]
fn protocol_child() {
    protocol_child::child_main(Rx::default(), "rx");
}
