//! The [`Plugin`] trait: what a DevLake data-source plugin declares and answers.
//!
//! It mirrors pydevlake's `Plugin` class: associated types for the connection, tool scope
//! and scope config; `test_connection`, `remote_scope_groups`, `remote_scopes` and
//! `domain_scopes`; the list of streams; and overridable pieces of `make-pipeline`
//! (`extra_tasks`, `extra_stages`, `select_subtasks`).

mod prepared;
mod wrappers;

// The wire messages, where plugin code names them (`devlake::plugin::PipelineTask`).
pub use crate::wire::{
    DynamicDomainScope, PipelineData, PipelineTask, PluginInfo, RemoteNode, RemoteProgress,
    RemoteScopeGroup, SubtaskMeta, TestConnectionResult,
};
pub use prepared::Prepared;
pub use wrappers::{Connection, NoOptions, Scope, ScopeConfig};

use crate::domain::DomainScope;
use crate::migration::MigrationScript;
use crate::model::Model;
use crate::stream::{Context, Streams};
use crate::Result;

/// Facts about the plugin binary, captured by [`devlake::main!`](crate::main) at compile
/// time in the plugin's crate.
#[derive(Debug, Clone, Copy)]
pub struct PluginMeta {
    /// The plugin crate's package name.
    pub crate_name: &'static str,
    /// The plugin crate's version.
    pub version: &'static str,
    /// The plugin crate's directory at build time.
    pub manifest_dir: &'static str,
}

impl PluginMeta {
    /// The default plugin name: the crate name, lowercased, without a `plugin` suffix
    /// (`fakeplugin` -> `fake`, `devlake-plugin-jira` stays `devlake-plugin-jira`
    /// with `-` as `_`), as pydevlake derives it from the class name.
    pub fn default_plugin_name(&self) -> String {
        let n = self.crate_name.to_lowercase().replace('-', "_");
        let trimmed = n.trim_end_matches("plugin").trim_end_matches('_');
        if trimmed.is_empty() {
            n
        } else {
            trimmed.to_string()
        }
    }
}

/// A tool scope with the scope config DevLake pairs it with in `make-pipeline`.
pub type ScopePair<P> = (
    Scope<<P as Plugin>::ToolScope>,
    ScopeConfig<<P as Plugin>::ScopeConfig>,
);

/// A domain scope returned by [`Plugin::domain_scopes`]: the Go type name and the scope's
/// JSON. Build it from any [`DomainScope`] with `.into()`.
#[derive(Debug, Clone, PartialEq)]
pub struct AnyDomainScope {
    /// Go type name (`CicdScope`, `Repo`, ...).
    pub type_name: &'static str,
    /// The scope's JSON (camelCase, nulls omitted).
    pub data: serde_json::Map<String, serde_json::Value>,
}

impl<D: DomainScope> From<D> for AnyDomainScope {
    fn from(scope: D) -> Self {
        let mut data = serde_json::Map::new();
        scope.write_json(&mut data);
        AnyDomainScope {
            type_name: D::TYPE_NAME,
            data,
        }
    }
}

/// A DevLake data-source plugin.
///
/// ```no_run
/// use devlake::prelude::*;
/// use devlake::domain::devops::CicdScope;
///
/// #[derive(Debug, Clone, devlake::Model)]
/// #[devlake(connection)]
/// pub struct MyConnection { pub url: String, pub token: Secret }
///
/// #[derive(Debug, Clone, devlake::Model)]
/// #[devlake(scope)]
/// pub struct MyProject { pub url: Option<String> }
///
/// #[derive(Debug, Clone, Default, devlake::Model)]
/// #[devlake(scope_config)]
/// pub struct MyScopeConfig {}
///
/// #[derive(Default)]
/// pub struct MyPlugin;
///
/// impl Plugin for MyPlugin {
///     type Connection = MyConnection;
///     type ToolScope = MyProject;
///     type ScopeConfig = MyScopeConfig;
///
///     async fn test_connection(&self, c: &Connection<MyConnection>) -> Result<TestConnectionResult> {
///         Ok(if c.token.is_empty() { TestConnectionResult::failed("no token", 401) } else { TestConnectionResult::ok() })
///     }
///     async fn remote_scope_groups(&self, _: &Connection<MyConnection>) -> Result<Vec<RemoteScopeGroup>> {
///         Ok(vec![RemoteScopeGroup::new("all", "All projects")])
///     }
///     async fn remote_scopes(&self, _: &Connection<MyConnection>, _group: &str) -> Result<Vec<Scope<MyProject>>> {
///         Ok(vec![Scope::new("p1", "Project 1", MyProject { url: None })])
///     }
///     fn domain_scopes(&self, scope: &Scope<MyProject>) -> Vec<devlake::plugin::AnyDomainScope> {
///         vec![CicdScope { name: scope.name.clone(), ..Default::default() }.into()]
///     }
///     fn streams(&self) -> Streams<Self> {
///         Streams::new()
///     }
/// }
/// ```
pub trait Plugin: Sized + 'static {
    /// The connection's own fields (`#[devlake(connection)]`).
    type Connection: Model;
    /// The tool scope's own fields (`#[devlake(scope)]`).
    type ToolScope: Model;
    /// The scope config's own fields (`#[devlake(scope_config)]`).
    type ScopeConfig: Model;

    /// Overrides the plugin name (default: from the crate name, see
    /// [`PluginMeta::default_plugin_name`]).
    const NAME: Option<&'static str> = None;

    /// The plugin's description (default: `"<name> plugin"`).
    fn description(&self, name: &str) -> String {
        format!("{name} plugin")
    }

    /// Checks that a connection's credentials work, usually with one authenticated request.
    async fn test_connection(
        &self,
        connection: &Connection<Self::Connection>,
    ) -> Result<TestConnectionResult>;

    /// The groups of scopes the connection can see (top level of DevLake's scope picker).
    ///
    /// Default: none, for a tool whose scopes have no groups. Then `remote-scopes` without
    /// a group lists the scopes themselves, from [`Plugin::remote_scopes`] called with
    /// group `""`.
    async fn remote_scope_groups(
        &self,
        _connection: &Connection<Self::Connection>,
    ) -> Result<Vec<RemoteScopeGroup>> {
        Ok(Vec::new())
    }

    /// The scopes in one group; `group_id` is `""` for a plugin without groups (see
    /// [`Plugin::remote_scope_groups`]).
    async fn remote_scopes(
        &self,
        connection: &Connection<Self::Connection>,
        group_id: &str,
    ) -> Result<Vec<Scope<Self::ToolScope>>>;

    /// The domain scopes a tool scope stands for (usually one). The framework sets their
    /// `id` (the tool scope's domain id) and raw-data origin.
    fn domain_scopes(&self, scope: &Scope<Self::ToolScope>) -> Vec<AnyDomainScope>;

    /// The plugin's streams, in the order their subtasks run.
    fn streams(&self) -> Streams<Self>;

    /// Runs once per task, before any of its subtasks (each `collect`, `extract` and
    /// `convert` call of the protocol; each stream of a standalone run): checks the scope
    /// config and the connection, and computes what the subtasks share (compiled regexes,
    /// parsed settings), which they read with [`Context::prepared`]. An error stops the task
    /// before it touches the tool or the database; name the field in it
    /// (`scope_config.deploymentPattern: ...`). Default: nothing to check or share.
    ///
    /// ```
    /// # use devlake::prelude::*;
    /// # use devlake::plugin::Prepared;
    /// struct Compiled { prefix: String }
    /// # fn prepare<P: Plugin>(_: &Context<P>, pattern: &str) -> Result<Prepared> {
    /// // in `impl Plugin`: fn prepare(&self, ctx: &Context<Self>) -> Result<Prepared>
    /// if pattern.is_empty() {
    ///     return Err(Error::input("scope_config.prefix: must not be empty"));
    /// }
    /// Ok(Prepared::new(Compiled { prefix: pattern.to_string() }))
    /// # }
    /// // in a subtask: let compiled = ctx.prepared::<Compiled>()?;
    /// ```
    fn prepare(&self, _ctx: &Context<Self>) -> Result<Prepared> {
        Ok(Prepared::none())
    }

    /// Migration scripts, in version order (see [`crate::migration`]).
    fn migrations(&self) -> Vec<MigrationScript> {
        Vec::new()
    }

    /// Extra tasks for a scope's stage of the pipeline plan.
    fn extra_tasks(
        &self,
        _scope: &Scope<Self::ToolScope>,
        _config: &ScopeConfig<Self::ScopeConfig>,
        _connection: &Connection<Self::Connection>,
    ) -> Vec<PipelineTask> {
        Vec::new()
    }

    /// Extra stages appended to the pipeline plan.
    fn extra_stages(
        &self,
        _scopes: &[ScopePair<Self>],
        _connection: &Connection<Self::Connection>,
    ) -> Vec<Vec<PipelineTask>> {
        Vec::new()
    }

    /// Subtasks to run for a scope: by default those of the streams whose domain types meet
    /// the config's `entities` and that [`should run`](crate::Stream::should_run_on) on it.
    fn select_subtasks(
        &self,
        scope: &Scope<Self::ToolScope>,
        config: &ScopeConfig<Self::ScopeConfig>,
    ) -> Vec<String> {
        self.streams().default_subtasks(scope, config)
    }
}

/// `{"ConnectionId":1,"ScopeId":"p1"}`: DevLake's raw-data params, byte for byte as Go's
/// `json.Marshal` writes them (key order, compact, `<>&` and U+2028/U+2029 escaped), since
/// DevLake deletes a scope's rows by comparing this string.
///
/// ```
/// assert_eq!(devlake::plugin::raw_data_params(1, "p1"), r#"{"ConnectionId":1,"ScopeId":"p1"}"#);
/// assert_eq!(devlake::plugin::raw_data_params(1, "a<b"), r#"{"ConnectionId":1,"ScopeId":"a\u003cb"}"#);
/// ```
pub fn raw_data_params(connection_id: i64, scope_id: &str) -> String {
    format!(
        "{{\"ConnectionId\":{},\"ScopeId\":{}}}",
        connection_id,
        crate::stream::go_json_string(scope_id)
    )
}
