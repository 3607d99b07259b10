//! [`Context`]: what a subtask knows about the run.

use crate::model::{domain_id_of, DateTime, Model};
use crate::plugin::{raw_data_params, Connection, Plugin, Prepared, Scope, ScopeConfig};
use serde_json::{Map, Value as Json};

/// The connection, scope, scope config and options of a subtask run, plus the state the
/// previous run of the same subtask saved (incremental runs only).
pub struct Context<P: Plugin> {
    /// The connection.
    pub connection: Connection<P::Connection>,
    /// The scope being collected.
    pub scope: Scope<P::ToolScope>,
    /// The scope config.
    pub scope_config: ScopeConfig<P::ScopeConfig>,
    /// Task options as DevLake sent them.
    pub options: Map<String, Json>,
    pub(crate) plugin_name: String,
    pub(crate) state: Option<Json>,
    pub(crate) collected_since: Option<DateTime>,
    pub(crate) watermark: Option<i64>,
    /// The input of the raw record being extracted (set by extract, row by row).
    pub(crate) input: std::sync::Mutex<Option<std::sync::Arc<Json>>>,
    /// What [`Plugin::prepare`] returned for this task.
    pub(crate) prepared: Prepared,
    /// Whether the rows a full extract or convert writes have keys not in their tables yet
    /// (it deleted the scope's rows first), so PostgreSQL can `COPY` them instead of
    /// upserting; the runner turns it off and runs the subtask again when a key was there
    /// after all (see `runner::run_locked`).
    pub(crate) fresh_keys: std::sync::atomic::AtomicBool,
}

impl<P: Plugin> std::fmt::Debug for Context<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("plugin", &self.plugin_name)
            .field("connection_id", &self.connection.id)
            .field("scope_id", &self.scope.id)
            .field("incremental", &self.incremental())
            .finish_non_exhaustive()
    }
}

impl<P: Plugin> Context<P> {
    /// A context for tests and standalone runs.
    pub fn new(
        plugin_name: impl Into<String>,
        connection: Connection<P::Connection>,
        scope: Scope<P::ToolScope>,
        scope_config: ScopeConfig<P::ScopeConfig>,
        options: Map<String, Json>,
    ) -> Self {
        Context {
            connection,
            scope,
            scope_config,
            options,
            plugin_name: plugin_name.into(),
            state: None,
            collected_since: None,
            watermark: None,
            input: Default::default(),
            prepared: Prepared::none(),
            fresh_keys: Default::default(),
        }
    }

    /// See the `fresh_keys` field.
    pub(crate) fn fresh_keys(&self) -> bool {
        self.fresh_keys.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The plugin's name.
    pub fn plugin_name(&self) -> &str {
        &self.plugin_name
    }

    /// The connection id (0 when the connection has none).
    pub fn connection_id(&self) -> i64 {
        self.connection.id_or_zero()
    }

    /// Whether this is an incremental run (`options.incremental == true`): previous rows
    /// are kept and [`Context::state`] holds what the last run saved.
    pub fn incremental(&self) -> bool {
        self.options
            .get("incremental")
            .and_then(Json::as_bool)
            .unwrap_or(false)
    }

    /// The state the last completed run of this subtask saved for this connection **and
    /// scope** (incremental runs only; `None` otherwise or on a first run).
    pub fn state(&self) -> Option<&Json> {
        self.state.as_ref()
    }

    /// When the last successful run of this subtask for this connection and scope
    /// **started** (incremental runs only; `None` on a full or first run): what Go's
    /// `CollectorStateManager` calls the latest success start. Ask the tool for what
    /// changed since then (`?updatedSince=`); nothing has to be saved by hand. The
    /// framework records each run's start (to the millisecond, rounded down) before the
    /// subtask runs and marks it successful in the transaction that commits the subtask's
    /// data, so a failed run never advances it, and records changed while a run was
    /// fetching are fetched again by the next one rather than missed.
    ///
    /// ```
    /// # use devlake::prelude::*;
    /// # fn url<P: Plugin>(ctx: &Context<P>) -> String {
    /// let mut url = "https://tool.example/issues".to_string();
    /// if let Some(since) = ctx.collected_since() {
    ///     url.push_str(&format!("?updatedSince={}", since.to_rfc3339()));
    /// }
    /// # url }
    /// ```
    pub fn collected_since(&self) -> Option<DateTime> {
        self.collected_since
    }

    /// While extracting: the input stored with the raw record being extracted (what its
    /// collector passed to [`RawSink::push_with`](super::RawSink::push_with); for a
    /// substream, the parent it was collected for, as DevLake's Go extractors get
    /// `row.Input`). `Null` outside extract and for records stored without one.
    ///
    /// The default extract reads it for fields declared `#[devlake(source = "input:/id")]`;
    /// a custom [`Stream::extract`](super::Stream::extract) reads it here.
    pub fn input(&self) -> std::sync::Arc<Json> {
        self.input
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .unwrap_or_else(|| std::sync::Arc::new(Json::Null))
    }

    /// Sets what [`Context::input`] returns. Extract sets it for each raw record; tests
    /// that call a stream's `extract` (or `devlake::testing::assert_stream_convert_with`)
    /// on a substream record set it to the record's parent.
    pub fn set_input(&self, input: Option<Json>) {
        *self.input.lock().unwrap_or_else(|e| e.into_inner()) = input.map(std::sync::Arc::new);
    }

    /// The state [`Plugin::prepare`] computed for this task, as the `T` it returned in a
    /// [`Prepared`]. An error when it returned nothing or another type.
    pub fn prepared<T: std::any::Any + Send + Sync>(&self) -> crate::Result<&T> {
        self.prepared.get().ok_or_else(|| {
            crate::Error::Plugin(format!(
                "ctx.prepared::<{}>(): Plugin::prepare returned {} for this task",
                std::any::type_name::<T>(),
                if self.prepared.is_none() {
                    "nothing"
                } else {
                    "another type"
                }
            ))
        })
    }

    /// Sets what [`Context::prepared`] returns. The host sets it from [`Plugin::prepare`];
    /// tests that build a context by hand set it themselves.
    pub fn set_prepared(&mut self, prepared: Prepared) {
        self.prepared = prepared;
    }

    /// `{"ConnectionId":..,"ScopeId":..}` of this run.
    pub fn raw_data_params(&self) -> String {
        raw_data_params(self.connection_id(), &self.scope.id)
    }

    /// The domain id of a tool-model row of this connection:
    /// `<crate>:<Model>:<connection_id>:<primary key...>`.
    pub fn domain_id<M: Model>(&self, tool: &M) -> String {
        domain_id::<M>(self.connection_id(), &tool.primary_key())
    }

    /// The domain id of an entity of this connection that the plugin references but does
    /// not model (an account seen only as an issue's assignee), formatted as
    /// [`Context::domain_id`] formats a model of that name declared in the plugin's crate:
    /// `ctx.domain_id_for("TrackrAccount", &["u2"])` is `trackr:TrackrAccount:1:u2`.
    pub fn domain_id_for<K: std::fmt::Display>(&self, entity: &str, key: &[K]) -> String {
        // The tool scope is declared in the plugin's crate, so it names that crate as
        // every model of the plugin does.
        let crate_name = <P::ToolScope as Model>::descriptor().crate_name;
        domain_id_of(crate_name, entity, self.connection_id(), key)
    }
}

/// `<crate>:<Model>:<connection_id>:<key...>`, DevLake's domain id of a tool row.
///
/// ```
/// # use devlake::prelude::*;
/// #[derive(devlake::Model)]
/// struct Job { #[devlake(primary_key)] id: String }
/// let id = devlake::stream::domain_id::<Job>(1, &["42".to_string()]);
/// assert!(id.ends_with(":Job:1:42"), "{id}");
/// ```
pub fn domain_id<M: Model>(connection_id: i64, key: &[String]) -> String {
    let d = M::descriptor();
    domain_id_of(d.crate_name, d.name, connection_id, key)
}
