//! [`PluginHost`]: the protocol's methods on a plugin, as Rust calls. The command line,
//! the testing kit and standalone runs all go through it.

use crate::db::Db;
use crate::model::{model_info, Model};
use crate::plugin::*;
use crate::stream::{run_subtask, Context, Progress, Streams, Verb};
use crate::{Error, Result};
use serde_json::{Map, Value as Json};

/// A plugin with its name and streams resolved.
pub struct PluginHost<P: Plugin> {
    plugin: P,
    meta: PluginMeta,
    name: String,
    streams: Streams<P>,
    scope_config: &'static crate::model::ModelDescriptor,
}

/// The table [`NoOptions`] declares; a host gives each plugin its own instead.
const SHARED_SCOPE_CONFIG_TABLE: &str = "_tool_devlake_scopeconfigs";

/// The scope config model of a plugin: its own, or for [`NoOptions`] (one type shared by
/// every plugin) a copy whose table is the plugin's `_tool_<plugin>_scopeconfigs`, so two
/// plugins never store their scope configs in one table. Leaked once per host: a few
/// bytes for the life of the process, as every descriptor is `'static`.
fn scope_config_descriptor<P: Plugin>(plugin: &str) -> &'static crate::model::ModelDescriptor {
    let desc = P::ScopeConfig::descriptor();
    if desc.table != SHARED_SCOPE_CONFIG_TABLE {
        return desc;
    }
    let table: &'static str = Box::leak(format!("_tool_{plugin}_scopeconfigs").into_boxed_str());
    Box::leak(Box::new(crate::model::ModelDescriptor {
        name: desc.name,
        table,
        kind: desc.kind,
        crate_name: desc.crate_name,
        fields: desc.fields,
    }))
}

/// Replaces the identifier `from` by `to` in every string of a JSON value.
fn rename_in_json(v: &mut Json, from: &str, to: &str) {
    match v {
        Json::String(s) if s.contains(from) => *s = s.replace(from, to),
        Json::Array(a) => a.iter_mut().for_each(|x| rename_in_json(x, from, to)),
        Json::Object(m) => m.values_mut().for_each(|x| rename_in_json(x, from, to)),
        _ => {}
    }
}

impl<P: Plugin> std::fmt::Debug for PluginHost<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginHost")
            .field("name", &self.name)
            .field("streams", &self.streams)
            .finish()
    }
}

fn input<T>(what: &str, r: std::result::Result<T, crate::model::ModelError>) -> Result<T> {
    r.map_err(|e| Error::input(format!("{what}: {e}")))
}

/// The parts of a subtask context (`{"db_url","connection","scope","scope_config","options"}`).
/// Its `Debug` hides the database password and every connection value: only the
/// connection's keys show.
#[derive(Clone)]
pub struct TaskContext {
    /// DevLake's database URL.
    pub db_url: String,
    /// Connection JSON.
    pub connection: Json,
    /// Scope JSON.
    pub scope: Json,
    /// Scope config JSON (`null` allowed).
    pub scope_config: Json,
    /// Options.
    pub options: Map<String, Json>,
}

impl std::fmt::Debug for TaskContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskContext")
            .field("db_url", &redacted_db_url(&self.db_url))
            .field(
                "connection",
                &format_args!("{}", redacted_debug(&self.connection)),
            )
            .field("scope", &self.scope)
            .field("scope_config", &self.scope_config)
            .field("options", &self.options)
            .finish()
    }
}

/// A database URL for `Debug`: its redacted form, or nothing when it does not parse (a
/// malformed URL has no reliable place for the password).
pub(crate) fn redacted_db_url(raw: &str) -> String {
    crate::db::DbUrl::parse(raw)
        .map(|u| u.redacted())
        .unwrap_or_else(|_| "(malformed, not shown)".into())
}

/// A connection's JSON for `Debug`: its keys, values hidden. The raw JSON does not say
/// which fields are [`Secret`](crate::Secret)s, so none is shown.
pub(crate) fn redacted_debug(v: &Json) -> String {
    match v {
        Json::Object(m) => format!(
            "{{{}}}",
            m.keys()
                .map(|k| format!("{k:?}: ****"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => format!("({}, not shown)", crate::model::json_kind(other)),
    }
}

impl TaskContext {
    /// Reads DevLake's task context (snake_case or camelCase keys).
    pub fn from_json(v: &Json) -> Result<TaskContext> {
        let obj = v.as_object().ok_or_else(|| {
            Error::input(format!(
                "context must be a JSON object, got {}",
                crate::model::json_kind(v)
            ))
        })?;
        let get = |a: &str, b: &str| obj.get(a).or_else(|| obj.get(b));
        let db_url = match get("db_url", "dbUrl") {
            Some(Json::String(s)) if !s.is_empty() => s.clone(),
            Some(other) if !other.is_null() => {
                return Err(Error::input(
                    "context field \"db_url\" must be a non-empty string",
                ))
            }
            _ => {
                return Err(Error::input(
                    "context is missing \"db_url\" (the DevLake database URL)",
                ))
            }
        };
        let connection = match get("connection", "connection") {
            Some(c @ Json::Object(_)) => c.clone(),
            Some(_) => {
                return Err(Error::input(
                    "context field \"connection\" must be a JSON object",
                ))
            }
            None => return Err(Error::input("context is missing \"connection\"")),
        };
        let scope = match get("scope", "scope") {
            Some(s @ Json::Object(_)) => s.clone(),
            Some(_) => {
                return Err(Error::input(
                    "context field \"scope\" must be a JSON object",
                ))
            }
            None => return Err(Error::input("context is missing \"scope\"")),
        };
        let scope_config = get("scope_config", "scopeConfig")
            .cloned()
            .unwrap_or(Json::Null);
        let options = match get("options", "options") {
            Some(Json::Object(o)) => {
                // A string `"true"` or a number would silently run a full collect.
                match o.get("incremental") {
                    None | Some(Json::Null) | Some(Json::Bool(_)) => {}
                    Some(other) => {
                        return Err(Error::input(format!(
                            "context field \"options.incremental\" must be true or false, got {}",
                            crate::model::json_kind(other)
                        )))
                    }
                }
                o.clone()
            }
            None | Some(Json::Null) => Map::new(),
            Some(_) => {
                return Err(Error::input(
                    "context field \"options\" must be a JSON object",
                ))
            }
        };
        Ok(TaskContext {
            db_url,
            connection,
            scope,
            scope_config,
            options,
        })
    }
}

impl<P: Plugin> PluginHost<P> {
    /// Hosts a plugin.
    pub fn new(plugin: P, meta: PluginMeta) -> Self {
        let name = P::NAME
            .map(str::to_string)
            .unwrap_or_else(|| meta.default_plugin_name());
        let streams = plugin.streams();
        let scope_config = scope_config_descriptor::<P>(&name);
        PluginHost {
            plugin,
            meta,
            name,
            streams,
            scope_config,
        }
    }

    /// The scope config model as this plugin stores it (see [`NoOptions`]).
    pub fn scope_config_descriptor(&self) -> &'static crate::model::ModelDescriptor {
        self.scope_config
    }

    /// The plugin's migration scripts, with [`NoOptions`]' shared table name replaced by
    /// this plugin's own (see [`PluginHost::scope_config_descriptor`]).
    pub fn migrations(&self) -> Vec<crate::migration::MigrationScript> {
        let scripts = self.plugin.migrations();
        if std::ptr::eq(self.scope_config, P::ScopeConfig::descriptor()) {
            return scripts;
        }
        let renamed = serde_json::to_value(&scripts).and_then(|mut v| {
            rename_in_json(&mut v, SHARED_SCOPE_CONFIG_TABLE, self.scope_config.table);
            serde_json::from_value(v)
        });
        // The scripts are the plugin's own values, so the round trip cannot fail; if it
        // did, the original scripts are still right for every other table.
        renamed.unwrap_or(scripts)
    }

    /// The plugin name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The plugin.
    pub fn plugin(&self) -> &P {
        &self.plugin
    }

    /// The streams.
    pub fn streams(&self) -> &Streams<P> {
        &self.streams
    }

    /// Build-time facts.
    pub fn meta(&self) -> &PluginMeta {
        &self.meta
    }

    /// `plugin-info`, with `plugin_path` the absolute path of `run.sh` given.
    pub fn plugin_info(&self, plugin_path: String) -> PluginInfo {
        PluginInfo {
            name: self.name.clone(),
            description: self.plugin.description(&self.name),
            connection_model_info: model_info::<P::Connection>(),
            scope_model_info: model_info::<P::ToolScope>(),
            scope_config_model_info: crate::model::ModelInfo {
                json_schema: crate::model::json_schema(self.scope_config),
                table_name: self.scope_config.table.into(),
            },
            tool_model_infos: self
                .streams
                .tool_models()
                .into_iter()
                .map(|d| crate::model::ModelInfo {
                    json_schema: crate::model::json_schema(d),
                    table_name: d.table.into(),
                })
                .collect(),
            migration_scripts: self.migrations(),
            plugin_path,
            subtask_metas: self.streams.subtask_metas(&self.name),
            extension: "datasource".into(),
        }
    }

    /// Parses a connection.
    pub fn connection(&self, v: &Json) -> Result<Connection<P::Connection>> {
        input("connection", Connection::from_json(v))
    }

    /// `test-connection`.
    pub async fn test_connection(&self, connection: &Json) -> Result<TestConnectionResult> {
        let mut c = self.connection(connection)?;
        if c.name.is_empty() {
            c.name = "Test connection".into();
        }
        self.plugin.test_connection(&c).await
    }

    /// `remote-scopes`: groups when `group_id` is empty, else the group's scopes. A plugin
    /// without groups (an empty [`Plugin::remote_scope_groups`]) lists its scopes at the
    /// top level: `remote_scopes(connection, "")`, each with parent `""`.
    pub async fn remote_scopes(
        &self,
        connection: &Json,
        group_id: &str,
    ) -> Result<Vec<RemoteNode>> {
        let c = self.connection(connection)?;
        if group_id.is_empty() {
            let groups = self.plugin.remote_scope_groups(&c).await?;
            if !groups.is_empty() {
                return Ok(groups
                    .into_iter()
                    .map(|g| RemoteNode::Group {
                        id: g.id,
                        name: g.name,
                    })
                    .collect());
            }
        }
        let scopes = self.plugin.remote_scopes(&c, group_id).await?;
        Ok(scopes
            .into_iter()
            .map(|mut s| {
                s.connection_id = c.id;
                s.raw_data_params = Some(raw_data_params(c.id_or_zero(), &s.id));
                s.raw_data_table = Some(self.raw_scope_table());
                RemoteNode::Scope {
                    id: s.id.clone(),
                    name: s.name.clone(),
                    parent_id: group_id.to_string(),
                    data: s.to_json(),
                }
            })
            .collect())
    }

    fn raw_scope_table(&self) -> String {
        format!("_raw_{}_scopes", self.name)
    }

    /// Parses `make-pipeline`'s `[[scope, scope_config|null], ...]`.
    pub fn scope_config_pairs(&self, v: &Json) -> Result<Vec<ScopePair<P>>> {
        let pairs = v.as_array().ok_or_else(|| {
            Error::input("scope_config_pairs must be a JSON array of [scope, scope_config] pairs")
        })?;
        pairs
            .iter()
            .enumerate()
            .map(|(i, pair)| {
                let items = pair
                    .as_array()
                    .filter(|a| !a.is_empty() && a.len() <= 2)
                    .ok_or_else(|| {
                        Error::input(format!(
                            "scope_config_pairs[{i}] must be [scope, scope_config]"
                        ))
                    })?;
                let scope = input(
                    &format!("scope_config_pairs[{i}] scope"),
                    Scope::from_json(&items[0]),
                )?;
                let config = input(
                    &format!("scope_config_pairs[{i}] scope_config"),
                    ScopeConfig::from_json(items.get(1).unwrap_or(&Json::Null)),
                )?;
                Ok((scope, config))
            })
            .collect()
    }

    /// `make-pipeline`.
    pub fn make_pipeline(&self, pairs: &Json, connection: &Json) -> Result<PipelineData> {
        let pairs = self.scope_config_pairs(pairs)?;
        let c = self.connection(connection)?;
        let mut plan = Vec::new();
        let mut scopes = Vec::new();
        for (scope, config) in &pairs {
            let mut options = Map::new();
            options.insert("scopeId".into(), scope.id.clone().into());
            options.insert("scopeName".into(), scope.name.clone().into());
            options.insert("connectionId".into(), c.id.into());
            options.insert("fullName".into(), scope.name.clone().into());
            let mut stage = vec![PipelineTask {
                plugin: self.name.clone(),
                skip_on_fail: false,
                subtasks: self.plugin.select_subtasks(scope, config),
                options,
            }];
            stage.extend(self.plugin.extra_tasks(scope, config, &c));
            plan.push(stage);
            for ds in self.plugin.domain_scopes(scope) {
                let mut data = Map::new();
                data.insert(
                    "_raw_data_params".into(),
                    raw_data_params(c.id_or_zero(), &scope.id).into(),
                );
                data.insert("_raw_data_table".into(), self.raw_scope_table().into());
                data.insert("id".into(), scope.domain_id().into());
                for (k, v) in ds.data {
                    if k != "id" && !k.starts_with("_raw_data") {
                        data.insert(k, v);
                    }
                }
                scopes.push(DynamicDomainScope {
                    type_name: ds.type_name.into(),
                    data: Json::Object(data).to_string(),
                });
            }
        }
        plan.extend(self.plugin.extra_stages(&pairs, &c));
        Ok(PipelineData { plan, scopes })
    }

    /// Builds a subtask context, checking the stream exists first, and runs
    /// [`Plugin::prepare`] on it: an invalid scope config fails here, before any subtask.
    pub fn context(&self, task: &TaskContext, stream: &str) -> Result<Context<P>> {
        if self.streams.get(stream).is_none() {
            return Err(Error::input(format!(
                "unknown stream {stream:?} (this plugin's streams: {})",
                self.streams.names().join(", ")
            )));
        }
        let connection = input(
            "context.connection",
            Connection::from_json(&task.connection),
        )?;
        let scope = input("context.scope", Scope::from_json(&task.scope))?;
        let scope_config = input(
            "context.scope_config",
            ScopeConfig::from_json(&task.scope_config),
        )?;
        let mut ctx = Context::new(
            self.name.clone(),
            connection,
            scope,
            scope_config,
            task.options.clone(),
        );
        self.prepare(&mut ctx)?;
        Ok(ctx)
    }

    /// Runs [`Plugin::prepare`] on a context and keeps its result for
    /// [`Context::prepared`]. [`PluginHost::context`] does it; a test that builds its
    /// context by hand (`devlake::testing::ContextBuilder`) calls it before convert.
    pub fn prepare(&self, ctx: &mut Context<P>) -> Result<()> {
        ctx.prepared = self.plugin.prepare(ctx)?;
        Ok(())
    }

    /// Runs one subtask (`collect`, `extract` or `convert`) of a stream against `db`.
    /// Returns `false` when the stream does not run on the scope.
    pub async fn run_subtask(
        &self,
        verb: Verb,
        stream: &str,
        ctx: &mut Context<P>,
        db: &mut Db,
        progress: &mut Progress,
    ) -> Result<bool> {
        let s = self.streams.get(stream).ok_or_else(|| {
            Error::input(format!(
                "unknown stream {stream:?} (this plugin's streams: {})",
                self.streams.names().join(", ")
            ))
        })?;
        if !s.should_run_on(&ctx.scope) {
            tracing::info!("Skipping stream {} for scope {}", stream, ctx.scope.name);
            return Ok(false);
        }
        run_subtask(s, verb, ctx, db, progress).await?;
        Ok(true)
    }

    /// The domain id of a tool-model row.
    pub fn domain_id<M: Model>(&self, connection_id: i64, key: &[String]) -> String {
        crate::stream::domain_id::<M>(connection_id, key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 12 item 7: `Debug` of a task context shows neither the password nor the token,
    /// whether the URL parses or not.
    #[test]
    fn debug_hides_db_password_and_connection_values() {
        for url in [
            "mysql://u:PwLeak42@127.0.0.1:3306/lake",
            "mysql:u:PwLeak42@127.0.0.1/lake",
        ] {
            let task = TaskContext::from_json(&serde_json::json!({
                "db_url": url,
                "connection": {"id": 1, "token": "TokLeak42"},
                "scope": {"id": "p1", "name": "p1"},
            }))
            .unwrap();
            let shown = format!("{task:?} {task:#?}");
            assert!(
                !shown.contains("PwLeak42") && !shown.contains("TokLeak42"),
                "{shown}"
            );
            assert!(shown.contains("\"token\": ****"), "{shown}");
            assert!(shown.contains("p1"), "the rest is shown: {shown}");
        }
    }

    /// Issue 12 item 11: `options.incremental` must be a boolean.
    #[test]
    fn incremental_must_be_a_boolean() {
        let ctx = |inc: Json| {
            TaskContext::from_json(&serde_json::json!({
                "db_url": "sqlite://",
                "connection": {"id": 1},
                "scope": {"id": "p1", "name": "p1"},
                "options": {"incremental": inc},
            }))
        };
        assert!(ctx(true.into()).is_ok() && ctx(Json::Null).is_ok());
        for bad in [Json::from("true"), Json::from(1)] {
            let e = ctx(bad.clone()).unwrap_err().to_string();
            assert!(
                e.contains("\"options.incremental\" must be true or false"),
                "{bad}: {e}"
            );
        }
    }
}
