//! The prelude sits next to what every plugin file also imports: `futures::Stream` (the
//! API client's pages), `anyhow::Context` (errors with context), `serde_json::Value`. This
//! file compiles, and uses each of them with the prelude's own names.

use anyhow::Context;
use devlake::prelude::*;
use futures::Stream;
use serde_json::Value;

#[derive(Debug, Clone, devlake::Model)]
#[devlake(connection)]
pub struct PreludeConnection {
    pub token: Secret,
}

#[derive(Debug, Clone, devlake::Model)]
#[devlake(scope)]
pub struct PreludeProject {
    pub url: Option<String>,
}

#[derive(Debug, Clone, Default, devlake::Model)]
#[devlake(scope_config)]
pub struct PreludeScopeConfig {}

#[derive(Debug, Clone, devlake::Model)]
pub struct PreludeBuild {
    #[devlake(primary_key)]
    pub id: String,
    pub started: Option<DateTime>,
    pub raw: Option<Json<Value>>,
}

#[derive(Default)]
pub struct PreludePlugin;

impl Plugin for PreludePlugin {
    type Connection = PreludeConnection;
    type ToolScope = PreludeProject;
    type ScopeConfig = PreludeScopeConfig;

    async fn test_connection(
        &self,
        c: &Connection<PreludeConnection>,
    ) -> Result<TestConnectionResult> {
        if c.token.is_empty() {
            bail!("no token");
        }
        Ok(TestConnectionResult::ok())
    }

    async fn remote_scopes(
        &self,
        _: &Connection<PreludeConnection>,
        _group: &str,
    ) -> Result<Vec<Scope<PreludeProject>>> {
        Ok(vec![Scope::new(
            "p1",
            "Project 1",
            PreludeProject { url: None },
        )])
    }

    fn domain_scopes(&self, _: &Scope<PreludeProject>) -> Vec<devlake::plugin::AnyDomainScope> {
        Vec::new()
    }

    fn streams(&self) -> Streams<Self> {
        Streams::new().add(Builds)
    }
}

pub struct Builds;

// `Stream` and `Context` are futures' and anyhow's here (explicit imports win over the
// glob); the runtime's are named by path.
impl devlake::Stream<PreludePlugin> for Builds {
    type ToolModel = PreludeBuild;
    const DOMAIN_TYPES: &'static [DomainType] = &[DomainType::Cicd];

    async fn collect(
        &self,
        _ctx: &devlake::stream::Context<PreludePlugin>,
        out: &mut RawSink<'_>,
    ) -> Result<()> {
        out.push(serde_json::json!({"id": "1"})).await
    }

    fn convert(
        &self,
        _tool: &PreludeBuild,
        _ctx: &devlake::stream::Context<PreludePlugin>,
        _out: &mut DomainSink,
    ) -> Result<()> {
        Ok(())
    }
}

/// `futures::Stream`, as an API wrapper returns pages.
fn pages() -> impl Stream<Item = u32> {
    futures::stream::iter([1, 2, 3])
}

/// `anyhow::Context` on a `Result` and an `Option`: no second `.context()` in scope.
fn parse(text: &str) -> anyhow::Result<u32> {
    let n: u32 = text.parse().context("parsing the page size")?;
    let first = text.chars().next().context("empty page size")?;
    anyhow::ensure!(first != '0', "leading zero");
    Ok(n)
}

/// `serde_json::Value` next to the prelude's `Json<T>`, a column stored as JSON.
fn value(json: Json<Value>) -> Value {
    json.0
}

/// The runtime's `.context()`, imported by name where anyhow's is not.
mod ours {
    use devlake::ResultExt;

    pub fn parse(text: &str) -> devlake::Result<u32> {
        text.parse::<u32>().context("parsing the page size")
    }
}

#[test]
fn the_prelude_and_the_usual_imports_work_together() {
    use futures::StreamExt;
    let collected: Vec<u32> = futures::executor::block_on(pages().collect());
    assert_eq!(collected, [1, 2, 3]);

    assert_eq!(parse("25").unwrap(), 25);
    assert_eq!(parse("x").unwrap_err().to_string(), "parsing the page size");
    assert_eq!(
        ours::parse("x").unwrap_err().to_string(),
        "parsing the page size: invalid digit found in string"
    );

    assert_eq!(value(Json(serde_json::json!(1))), Value::from(1));
    assert_eq!(PreludePlugin.streams().names(), ["builds"]);
    assert_eq!(PreludeBuild::descriptor().name, "PreludeBuild");
}
