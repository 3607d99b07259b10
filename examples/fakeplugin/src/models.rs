//! The fake plugin's models, as `fakeplugin/models.py` declares them upstream.

use devlake::prelude::*;

/// The connection: one secret token.
#[derive(Debug, Clone, devlake::Model)]
#[devlake(connection)]
pub struct FakeConnection {
    pub token: Secret,
}

/// The tool scope: a fake project with a URL.
#[derive(Debug, Clone, devlake::Model)]
#[devlake(scope)]
pub struct FakeProject {
    pub url: String,
}

/// The scope config: the environment pipelines deploy to.
#[derive(Debug, Clone, devlake::Model)]
#[devlake(scope_config)]
pub struct FakeScopeConfig {
    pub env: String,
}

/// State of a fake pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, devlake::Enum)]
pub enum State {
    Pending,
    Running,
    Failure,
    Success,
}

/// A fake CI pipeline (tool model).
#[derive(Debug, Clone, PartialEq, devlake::Model)]
pub struct FakePipeline {
    #[devlake(primary_key)]
    pub id: String,
    pub started_at: Option<DateTime>,
    pub finished_at: Option<DateTime>,
    pub state: State,
}
