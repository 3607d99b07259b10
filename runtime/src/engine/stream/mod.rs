//! Streams: collect → extract → convert, as pydevlake's `Stream` and `Substream`.
//!
//! - **collect** fetches raw JSON records into `_raw_<plugin>_<stream>` (with the request
//!   URL and input) and may save a state for the next incremental run;
//! - **extract** turns each raw record into the stream's tool model
//!   (`_tool_<crate>_<models>`); the default reads the model's fields from the JSON, by
//!   `source` pointer, snake_case or camelCase name;
//! - **convert** turns each tool row into DevLake domain rows (`cicd_pipelines`, ...).
//!
//! A failed run leaves the previous data as it was. Extract and convert each run in one
//! transaction (they only read and write the database); collect, which waits on the
//! network, holds none: it writes its raw rows aside and swaps them in for the scope's
//! previous rows in one short final transaction. Either way the run's state is committed
//! with its data. A full run replaces the scope's rows; an incremental run
//! (`options.incremental`) keeps them and touches only what is new:
//!
//! - collect gets [`Context::collected_since`], when the last successful run started (Go's
//!   `CollectorStateManager`), and the free-form state its collector saved last time
//!   ([`Context::state`]), both for this plugin, connection *and scope*;
//! - a substream's collect is called only for the parents an extract wrote since its last
//!   successful run (the parent stream's new and updated records);
//! - extract reads only the raw records added since the last extract, and convert only the
//!   tool rows extract wrote since the last convert (an indexed `_raw_data_id` range).
//!
//! Extract sees each raw record's input too (for a substream, the parent it was collected
//! for): fields declared `#[devlake(source = "input:/id")]`, or [`Context::input`].
//!
//! Two runs of one plugin, connection, scope and stream never overlap: the second is
//! refused at once (`another run of ... is in progress`), see [`crate::db::lock`].
//!
//! Differences from pydevlake, on purpose: state is keyed by scope too (pydevlake mixes
//! scopes of one connection); tables a subtask needs are created when missing (pydevlake
//! fails extract on a fresh database); rows are read in keyed pages and written in
//! multi-row batches (pydevlake re-reads every row once per hundred, O(N²)); and an enum
//! value that is not a variant is an error or an explicit choice of the plugin, never
//! silently NULL.

mod context;
mod gojson;
mod layout;
mod pages;
mod progress;
mod runner;
mod sink;

pub use crate::model::domain_id_of;
pub use context::{domain_id, Context};
pub(crate) use gojson::go_json_string;
// Row layouts are the sinks' plumbing; public (hidden) only because the runtime's own
// tests (tests/domain_tables.rs, tests/timestamps.rs) build rows with them as sinks do.
#[doc(hidden)]
pub use layout::{Layout, Origin};
pub use progress::Progress;
pub(crate) use runner::run_subtask;
pub(crate) use runner::SUBTASK_RUNS_TABLE;
pub use runner::{raw_table_name, Verb};
pub(crate) use sink::BATCH_ROWS;
pub use sink::{DomainSink, RawSink};

use crate::domain::DomainType;
use crate::model::{Model, ModelDescriptor};
use crate::plugin::{Plugin, Scope, ScopeConfig, SubtaskMeta};
use crate::Result;
use futures::future::LocalBoxFuture;

/// A stream of one kind of record.
///
/// ```
/// use devlake::prelude::*;
/// use devlake::domain::devops::{CicdPipeline, CicdStatus};
/// # #[derive(Debug, Clone, devlake::Model)] #[devlake(connection)] pub struct C {}
/// # #[derive(Debug, Clone, devlake::Model)] #[devlake(scope)] pub struct S {}
/// # #[derive(Debug, Clone, devlake::Model)] #[devlake(scope_config)] pub struct SC {}
/// # struct P;
/// # impl Plugin for P { type Connection = C; type ToolScope = S; type ScopeConfig = SC;
/// #   async fn test_connection(&self, _: &Connection<C>) -> Result<TestConnectionResult> { Ok(TestConnectionResult::ok()) }
/// #   async fn remote_scope_groups(&self, _: &Connection<C>) -> Result<Vec<RemoteScopeGroup>> { Ok(vec![]) }
/// #   async fn remote_scopes(&self, _: &Connection<C>, _: &str) -> Result<Vec<Scope<S>>> { Ok(vec![]) }
/// #   fn domain_scopes(&self, _: &Scope<S>) -> Vec<devlake::plugin::AnyDomainScope> { vec![] }
/// #   fn streams(&self) -> Streams<Self> { Streams::new().add(Builds) } }
///
/// #[derive(Debug, Clone, devlake::Model)]
/// pub struct Build { #[devlake(primary_key)] pub id: String, pub running: bool }
///
/// pub struct Builds;
///
/// impl Stream<P> for Builds {
///     type ToolModel = Build;
///     const DOMAIN_TYPES: &'static [DomainType] = &[DomainType::Cicd];
///
///     fn domain_models(&self) -> Vec<&'static devlake::model::ModelDescriptor> {
///         vec![CicdPipeline::descriptor()]
///     }
///
///     async fn collect(&self, _ctx: &Context<P>, out: &mut RawSink<'_>) -> Result<()> {
///         out.push(serde_json::json!({"id": "1", "running": false})).await
///     }
///
///     fn convert(&self, b: &Build, _ctx: &Context<P>, out: &mut DomainSink) -> Result<()> {
///         let status = if b.running { CicdStatus::InProgress } else { CicdStatus::Done };
///         out.push(CicdPipeline { name: b.id.clone(), status: Some(status), ..Default::default() })
///     }
/// }
/// ```
pub trait Stream<P: Plugin>: 'static {
    /// The tool model this stream extracts.
    type ToolModel: Model;
    /// The domain types it produces (matched against the scope config's `entities`).
    const DOMAIN_TYPES: &'static [DomainType];

    /// The stream's name: by default its type name lowercased (`FakePipelineStream` ->
    /// `fakepipelinestream`), as pydevlake names streams.
    fn name(&self) -> String {
        default_name::<Self>()
    }

    /// The domain models `convert` writes; their previous rows for the scope are replaced
    /// on a full run.
    fn domain_models(&self) -> Vec<&'static ModelDescriptor> {
        Vec::new()
    }

    /// Whether the stream runs for a scope (default: always).
    fn should_run_on(&self, _scope: &Scope<P::ToolScope>) -> bool {
        true
    }

    /// Fetches raw records. Substreams leave this alone and implement
    /// [`Substream::collect_for`].
    async fn collect(&self, _ctx: &Context<P>, _out: &mut RawSink<'_>) -> Result<()> {
        Err(crate::Error::msg(format!(
            "stream {} has no collector: implement Stream::collect, or Substream::collect_for and register it with Streams::substream",
            self.name()
        )))
    }

    /// Turns a raw record into the tool model. The default reads the model's fields from
    /// the JSON (see [`Model::from_json`]), and those declared
    /// `#[devlake(source = "input:/pointer")]` from the record's input
    /// ([`Context::input`]: for a substream, the parent it was collected for).
    fn extract(&self, raw: &serde_json::Value, ctx: &Context<P>) -> Result<Self::ToolModel> {
        Ok(Self::ToolModel::from_record(raw, &ctx.input())?)
    }

    /// Turns a tool row into domain rows.
    fn convert(&self, tool: &Self::ToolModel, ctx: &Context<P>, out: &mut DomainSink)
        -> Result<()>;
}

/// A stream collected once per row of a parent stream (pydevlake's `Substream`): comments
/// of each issue, jobs of each build. Parents are fetched concurrently, up to
/// [`Substream::concurrency`] at a time.
pub trait Substream<P: Plugin>: Stream<P> {
    /// The parent stream.
    type Parent: Stream<P>;

    /// Parents fetched at once (default 8).
    fn concurrency(&self) -> usize {
        8
    }

    /// Fetches the raw records of one parent.
    async fn collect_for(
        &self,
        parent: &<Self::Parent as Stream<P>>::ToolModel,
        ctx: &Context<P>,
        out: &mut RawSink<'_>,
    ) -> Result<()>;
}

fn default_name<T: ?Sized>() -> String {
    let full = std::any::type_name::<T>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base).to_lowercase()
}

pub(crate) trait ErasedStream<P: Plugin> {
    fn name(&self) -> String;
    fn domain_types(&self) -> &'static [DomainType];
    fn tool_model(&self) -> &'static ModelDescriptor;
    fn should_run_on(&self, scope: &Scope<P::ToolScope>) -> bool;
    fn prepare<'a>(
        &'a self,
        verb: Verb,
        ctx: &'a Context<P>,
        db: &'a mut crate::db::Db,
    ) -> LocalBoxFuture<'a, Result<()>>;
    fn body<'a>(
        &'a self,
        verb: Verb,
        ctx: &'a Context<P>,
        db: &'a mut crate::db::Db,
        progress: &'a mut Progress,
    ) -> LocalBoxFuture<'a, Result<runner::Outcome>>;
}

struct Plain<S>(S);
struct Sub<S>(S);

/// What differs between a stream and a substream: how collect prepares and runs.
trait CollectMode<P: Plugin> {
    type S: Stream<P>;
    fn stream(&self) -> &Self::S;
    fn prepare<'a>(
        &'a self,
        verb: Verb,
        ctx: &'a Context<P>,
        db: &'a mut crate::db::Db,
    ) -> LocalBoxFuture<'a, Result<()>>;
    fn collect<'a>(
        &'a self,
        ctx: &'a Context<P>,
        db: &'a mut crate::db::Db,
        progress: &'a mut Progress,
    ) -> LocalBoxFuture<'a, Result<runner::Outcome>>;
}

impl<P: Plugin, S: Stream<P>> CollectMode<P> for Plain<S> {
    type S = S;
    fn stream(&self) -> &S {
        &self.0
    }
    fn prepare<'a>(
        &'a self,
        verb: Verb,
        ctx: &'a Context<P>,
        db: &'a mut crate::db::Db,
    ) -> LocalBoxFuture<'a, Result<()>> {
        Box::pin(runner::prepare(&self.0, verb, ctx, db))
    }
    fn collect<'a>(
        &'a self,
        ctx: &'a Context<P>,
        db: &'a mut crate::db::Db,
        progress: &'a mut Progress,
    ) -> LocalBoxFuture<'a, Result<runner::Outcome>> {
        Box::pin(runner::collect(&self.0, ctx, db, progress))
    }
}

impl<P: Plugin, S: Substream<P>> CollectMode<P> for Sub<S> {
    type S = S;
    fn stream(&self) -> &S {
        &self.0
    }
    fn prepare<'a>(
        &'a self,
        verb: Verb,
        ctx: &'a Context<P>,
        db: &'a mut crate::db::Db,
    ) -> LocalBoxFuture<'a, Result<()>> {
        Box::pin(runner::prepare_substream(&self.0, verb, ctx, db))
    }
    fn collect<'a>(
        &'a self,
        ctx: &'a Context<P>,
        db: &'a mut crate::db::Db,
        progress: &'a mut Progress,
    ) -> LocalBoxFuture<'a, Result<runner::Outcome>> {
        Box::pin(runner::collect_substream(&self.0, ctx, db, progress))
    }
}

impl<P: Plugin, W: CollectMode<P> + 'static> ErasedStream<P> for W {
    fn name(&self) -> String {
        self.stream().name()
    }
    fn domain_types(&self) -> &'static [DomainType] {
        <W::S as Stream<P>>::DOMAIN_TYPES
    }
    fn tool_model(&self) -> &'static ModelDescriptor {
        <<W::S as Stream<P>>::ToolModel as Model>::descriptor()
    }
    fn should_run_on(&self, scope: &Scope<P::ToolScope>) -> bool {
        self.stream().should_run_on(scope)
    }
    fn prepare<'a>(
        &'a self,
        verb: Verb,
        ctx: &'a Context<P>,
        db: &'a mut crate::db::Db,
    ) -> LocalBoxFuture<'a, Result<()>> {
        CollectMode::prepare(self, verb, ctx, db)
    }
    fn body<'a>(
        &'a self,
        verb: Verb,
        ctx: &'a Context<P>,
        db: &'a mut crate::db::Db,
        progress: &'a mut Progress,
    ) -> LocalBoxFuture<'a, Result<runner::Outcome>> {
        match verb {
            Verb::Collect => self.collect(ctx, db, progress),
            Verb::Extract => Box::pin(runner::extract(self.stream(), ctx, db, progress)),
            Verb::Convert => Box::pin(runner::convert(self.stream(), ctx, db, progress)),
        }
    }
}

/// A plugin's streams, in the order their subtasks run.
pub struct Streams<P: Plugin> {
    list: Vec<Box<dyn ErasedStream<P>>>,
}

impl<P: Plugin> Default for Streams<P> {
    fn default() -> Self {
        Streams { list: Vec::new() }
    }
}

impl<P: Plugin> std::fmt::Debug for Streams<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl<P: Plugin> Streams<P> {
    /// No streams yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a stream.
    // A builder verb, as in `Streams::new().add(Users)`; `Streams` is no number to `+`.
    #[allow(clippy::should_implement_trait)]
    pub fn add<S: Stream<P>>(mut self, stream: S) -> Self {
        self.list.push(Box::new(Plain(stream)));
        self
    }

    /// Adds a substream (collected per row of its parent).
    pub fn substream<S: Substream<P>>(mut self, stream: S) -> Self {
        self.list.push(Box::new(Sub(stream)));
        self
    }

    /// Stream names, in order.
    pub fn names(&self) -> Vec<String> {
        self.list.iter().map(|s| s.name()).collect()
    }

    /// Number of streams.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether there are no streams.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub(crate) fn get(&self, name: &str) -> Option<&dyn ErasedStream<P>> {
        self.list
            .iter()
            .find(|s| s.name() == name)
            .map(|b| b.as_ref())
    }

    /// Tool models of the streams, in order.
    pub fn tool_models(&self) -> Vec<&'static ModelDescriptor> {
        self.list.iter().map(|s| s.tool_model()).collect()
    }

    /// Subtask metadata for plugin-info: collect, extract, convert per stream.
    pub fn subtask_metas(&self, plugin_name: &str) -> Vec<SubtaskMeta> {
        let mut out = Vec::new();
        for s in &self.list {
            let name = s.name();
            for verb in Verb::ALL {
                out.push(SubtaskMeta {
                    name: verb.subtask_name(&name),
                    entry_point_name: verb.entry_point().into(),
                    required: false,
                    enabled_by_default: false,
                    description: format!("{} {} {}", verb.title(), plugin_name, name),
                    domain_types: s
                        .domain_types()
                        .iter()
                        .map(|d| d.as_str().to_string())
                        .collect(),
                    arguments: vec![name.clone()],
                });
            }
        }
        out
    }

    /// Subtasks of the streams whose domain types meet the config's entities and that run
    /// on the scope.
    pub fn default_subtasks(
        &self,
        scope: &Scope<P::ToolScope>,
        config: &ScopeConfig<P::ScopeConfig>,
    ) -> Vec<String> {
        let mut out = Vec::new();
        for s in &self.list {
            if s.domain_types().iter().any(|d| config.entities.contains(d))
                && s.should_run_on(scope)
            {
                let name = s.name();
                out.extend(Verb::ALL.iter().map(|v| v.subtask_name(&name)));
            }
        }
        out
    }
}
