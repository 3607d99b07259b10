//! [`ContextBuilder`]: a subtask [`Context`] for tests, with pydevlake's defaults
//! (connection `1`/`test_connection`, scope `s`/`test_scope`, scope config
//! `1`/`test_config`).

use crate::model::Model;
use crate::plugin::{Connection, Plugin, PluginMeta, Scope, ScopeConfig};
use crate::protocol::PluginHost;
use crate::stream::Context;
use crate::{Error, Result};
use serde_json::{Map, Value as Json};

/// Default connection id of test contexts.
pub const TEST_CONNECTION_ID: i64 = 1;
/// Default connection name.
pub const TEST_CONNECTION_NAME: &str = "test_connection";
/// Default scope id.
pub const TEST_SCOPE_ID: &str = "s";
/// Default scope name.
pub const TEST_SCOPE_NAME: &str = "test_scope";
/// Default scope config id.
pub const TEST_SCOPE_CONFIG_ID: i64 = 1;
/// Default scope config name.
pub const TEST_SCOPE_CONFIG_NAME: &str = "test_config";

/// The build facts of a plugin when no binary captured them ([`devlake::main!`](crate::main)
/// does that): the crate comes from the plugin's connection model.
pub fn plugin_meta<P: Plugin>() -> PluginMeta {
    PluginMeta {
        crate_name: P::Connection::descriptor().crate_name,
        version: "0.0.0",
        manifest_dir: "",
    }
}

/// Hosts a plugin for tests (see [`plugin_meta`]).
pub fn host<P: Plugin>(plugin: P) -> PluginHost<P> {
    PluginHost::new(plugin, plugin_meta::<P>())
}

/// Adds `defaults` to a JSON object where its keys (snake_case or camelCase) are absent.
fn with_defaults(what: &str, v: Json, defaults: &[(&str, &str, Json)]) -> Result<Json> {
    let mut obj = match v {
        Json::Object(o) => o,
        Json::Null => Map::new(),
        other => {
            return Err(Error::input(format!(
                "{what} must be a JSON object, got {}",
                crate::model::json_kind(&other)
            )))
        }
    };
    for (snake, camel, value) in defaults {
        if !obj.contains_key(*snake) && !obj.contains_key(*camel) {
            obj.insert(camel.to_string(), value.clone());
        }
    }
    Ok(Json::Object(obj))
}

fn parsed<T>(what: &str, r: std::result::Result<T, crate::model::ModelError>) -> Result<T> {
    r.map_err(|e| Error::input(format!("{what}: {e}")))
}

/// What [`ContextBuilder::connection`] accepts: JSON as DevLake sends it (defaults added),
/// a [`Connection`], or the plugin's connection struct.
pub trait ConnectionInput<C> {
    /// Builds the connection.
    fn into_connection(self) -> Result<Connection<C>>;
}

impl<C: Model> ConnectionInput<C> for Json {
    fn into_connection(self) -> Result<Connection<C>> {
        let v = with_defaults(
            "connection",
            self,
            &[
                ("id", "id", TEST_CONNECTION_ID.into()),
                ("name", "name", TEST_CONNECTION_NAME.into()),
            ],
        )?;
        parsed("connection", Connection::from_json(&v))
    }
}

impl<C: Model> ConnectionInput<C> for Connection<C> {
    fn into_connection(self) -> Result<Connection<C>> {
        Ok(self)
    }
}

impl<C: Model> ConnectionInput<C> for C {
    fn into_connection(self) -> Result<Connection<C>> {
        Ok(Connection::new(
            TEST_CONNECTION_ID,
            TEST_CONNECTION_NAME,
            self,
        ))
    }
}

/// What [`ContextBuilder::scope`] accepts: JSON (defaults added), a [`Scope`], or the
/// plugin's tool-scope struct.
pub trait ScopeInput<S> {
    /// Builds the scope.
    fn into_scope(self) -> Result<Scope<S>>;
}

impl<S: Model> ScopeInput<S> for Json {
    fn into_scope(self) -> Result<Scope<S>> {
        let v = with_defaults(
            "scope",
            self,
            &[
                ("id", "id", TEST_SCOPE_ID.into()),
                ("name", "name", TEST_SCOPE_NAME.into()),
            ],
        )?;
        parsed("scope", Scope::from_json(&v))
    }
}

impl<S: Model> ScopeInput<S> for Scope<S> {
    fn into_scope(self) -> Result<Scope<S>> {
        Ok(self)
    }
}

impl<S: Model> ScopeInput<S> for S {
    fn into_scope(self) -> Result<Scope<S>> {
        Ok(Scope::new(TEST_SCOPE_ID, TEST_SCOPE_NAME, self))
    }
}

/// What [`ContextBuilder::scope_config`] accepts: JSON (defaults added), a
/// [`ScopeConfig`], or the plugin's scope-config struct.
pub trait ScopeConfigInput<SC> {
    /// Builds the scope config.
    fn into_scope_config(self) -> Result<ScopeConfig<SC>>;
}

impl<SC: Model> ScopeConfigInput<SC> for Json {
    fn into_scope_config(self) -> Result<ScopeConfig<SC>> {
        let v = with_defaults(
            "scope config",
            self,
            &[
                ("id", "id", TEST_SCOPE_CONFIG_ID.into()),
                ("name", "name", TEST_SCOPE_CONFIG_NAME.into()),
            ],
        )?;
        parsed("scope config", ScopeConfig::from_json(&v))
    }
}

impl<SC: Model> ScopeConfigInput<SC> for ScopeConfig<SC> {
    fn into_scope_config(self) -> Result<ScopeConfig<SC>> {
        Ok(self)
    }
}

impl<SC: Model> ScopeConfigInput<SC> for SC {
    fn into_scope_config(self) -> Result<ScopeConfig<SC>> {
        let mut c = ScopeConfig::new(self);
        c.id = Some(TEST_SCOPE_CONFIG_ID);
        c.name = TEST_SCOPE_CONFIG_NAME.into();
        Ok(c)
    }
}

/// Builds a subtask [`Context`] for tests.
///
/// ```
/// # use devlake::prelude::*;
/// # #[derive(Debug, Clone, devlake::Model)] #[devlake(connection)] pub struct C { pub token: Secret }
/// # #[derive(Debug, Clone, devlake::Model)] #[devlake(scope)] pub struct S {}
/// # #[derive(Debug, Clone, devlake::Model)] #[devlake(scope_config)] pub struct SC { #[devlake(default = "\"dev\"")] pub env: String }
/// # struct P;
/// # impl Plugin for P { type Connection = C; type ToolScope = S; type ScopeConfig = SC;
/// #   async fn test_connection(&self, _: &Connection<C>) -> Result<TestConnectionResult> { Ok(TestConnectionResult::ok()) }
/// #   async fn remote_scope_groups(&self, _: &Connection<C>) -> Result<Vec<RemoteScopeGroup>> { Ok(vec![]) }
/// #   async fn remote_scopes(&self, _: &Connection<C>, _: &str) -> Result<Vec<Scope<S>>> { Ok(vec![]) }
/// #   fn domain_scopes(&self, _: &Scope<S>) -> Vec<devlake::plugin::AnyDomainScope> { vec![] }
/// #   fn streams(&self) -> Streams<Self> { Streams::new() } }
/// use devlake::testing::ContextBuilder;
/// use serde_json::json;
///
/// let ctx = ContextBuilder::<P>::new()
///     .connection(json!({"token": "t0ken"}))
///     .scope(json!({"id": "p1"}))
///     .build();
/// assert_eq!(ctx.connection_id(), 1);
/// assert_eq!(ctx.scope.id, "p1");
/// assert_eq!(ctx.scope.connection_id, Some(1));
/// assert_eq!(ctx.scope_config.env, "dev");
/// ```
pub struct ContextBuilder<P: Plugin> {
    plugin_name: String,
    connection: Option<Result<Connection<P::Connection>>>,
    scope: Option<Result<Scope<P::ToolScope>>>,
    scope_config: Option<Result<ScopeConfig<P::ScopeConfig>>>,
    options: Map<String, Json>,
}

impl<P: Plugin> std::fmt::Debug for ContextBuilder<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContextBuilder")
            .field("plugin", &self.plugin_name)
            .finish_non_exhaustive()
    }
}

impl<P: Plugin> Default for ContextBuilder<P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P: Plugin> ContextBuilder<P> {
    /// A builder for plugin `P`, named as its binary would name it (`Plugin::NAME`, else
    /// from the crate that declares its connection).
    pub fn new() -> Self {
        let name = P::NAME
            .map(str::to_string)
            .unwrap_or_else(|| plugin_meta::<P>().default_plugin_name());
        Self::named(name)
    }

    /// A builder for the plugin a host runs (same name as the host).
    pub fn for_host(host: &PluginHost<P>) -> Self {
        Self::named(host.name().to_string())
    }

    fn named(plugin_name: String) -> Self {
        ContextBuilder {
            plugin_name,
            connection: None,
            scope: None,
            scope_config: None,
            options: Map::new(),
        }
    }

    /// Sets the connection.
    pub fn connection(mut self, c: impl ConnectionInput<P::Connection>) -> Self {
        self.connection = Some(c.into_connection());
        self
    }

    /// Sets the scope; its `connection_id` defaults to the connection's.
    pub fn scope(mut self, s: impl ScopeInput<P::ToolScope>) -> Self {
        self.scope = Some(s.into_scope());
        self
    }

    /// Sets the scope config.
    pub fn scope_config(mut self, sc: impl ScopeConfigInput<P::ScopeConfig>) -> Self {
        self.scope_config = Some(sc.into_scope_config());
        self
    }

    /// Adds task options (a JSON object, merged).
    pub fn options(mut self, options: Json) -> Self {
        if let Json::Object(o) = options {
            self.options.extend(o);
        }
        self
    }

    /// Makes it an incremental run (`options.incremental`).
    pub fn incremental(mut self, incremental: bool) -> Self {
        self.options
            .insert("incremental".into(), incremental.into());
        self
    }

    /// Builds the context; parts not given are built from JSON defaults, which fails when
    /// the plugin's struct has required fields.
    pub fn try_build(self) -> Result<Context<P>> {
        let hint = |e: Error, part: &str| {
            Error::input(format!(
                "ContextBuilder: {e} (give the {part} with .{part}(json!({{...}})))"
            ))
        };
        let connection = match self.connection {
            Some(c) => c?,
            None => Json::Null
                .into_connection()
                .map_err(|e| hint(e, "connection"))?,
        };
        let mut scope = match self.scope {
            Some(s) => s?,
            None => Json::Null.into_scope().map_err(|e| hint(e, "scope"))?,
        };
        if scope.connection_id.is_none() {
            scope.connection_id = connection.id;
        }
        let scope_config = match self.scope_config {
            Some(sc) => sc?,
            None => Json::Null
                .into_scope_config()
                .map_err(|e| hint(e, "scope_config"))?,
        };
        let mut options = self.options;
        options
            .entry("scopeId")
            .or_insert_with(|| scope.id.clone().into());
        options
            .entry("scopeName")
            .or_insert_with(|| scope.name.clone().into());
        options
            .entry("connectionId")
            .or_insert_with(|| connection.id_or_zero().into());
        Ok(Context::new(
            self.plugin_name,
            connection,
            scope,
            scope_config,
            options,
        ))
    }

    /// Builds the context; panics with the reason when a part is invalid.
    #[track_caller]
    pub fn build(self) -> Context<P> {
        self.try_build().unwrap_or_else(|e| panic!("{e}"))
    }
}
