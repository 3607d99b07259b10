//! Where subtasks put what they produce: [`RawSink`] for collectors, [`DomainSink`] for
//! converters. Both batch rows and write them through the subtask's transaction.

use super::layout::{Layout, Origin};
use super::progress::Progress;
use crate::db::write::{InsertPlan, OnConflict};
use crate::db::Db;
use crate::model::{ColumnType, DateTime, Field, Model, ModelDescriptor, Value};
use crate::{Error, Result};
use serde_json::Value as Json;

/// Rows a sink buffers before writing.
pub const BATCH_ROWS: usize = 1000;
/// Bytes of raw JSON a collector buffers before writing.
pub const BATCH_BYTES: usize = 8 << 20;

/// Columns of a raw table that a collector writes (`id` is generated).
pub(crate) const RAW_COLUMNS: [Field; 5] = [
    Field {
        max_length: Some(255),
        ..Field::new("params", "params", ColumnType::String)
    },
    Field::new("data", "data", ColumnType::Bytes),
    Field {
        nullable: true,
        ..Field::new("url", "url", ColumnType::String)
    },
    Field {
        nullable: true,
        ..Field::new("input", "input", ColumnType::Bytes)
    },
    Field::new("created_at", "created_at", ColumnType::DateTime),
];

pub(crate) struct RawTarget<'a> {
    pub db: &'a mut Db,
    pub progress: &'a mut Progress,
    pub plan: InsertPlan,
}

/// A collector's output: raw JSON records, each with the URL and input of the request
/// that fetched it, plus the state to save for the next incremental run.
pub struct RawSink<'a> {
    target: Option<RawTarget<'a>>,
    params: String,
    rows: Vec<Vec<Value>>,
    bytes: usize,
    state: Option<Json>,
    count: u64,
}

impl std::fmt::Debug for RawSink<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawSink")
            .field("params", &self.params)
            .field("count", &self.count)
            .finish_non_exhaustive()
    }
}

impl<'a> RawSink<'a> {
    pub(crate) fn writing(target: RawTarget<'a>, params: String) -> Self {
        RawSink {
            target: Some(target),
            params,
            rows: Vec::new(),
            bytes: 0,
            state: None,
            count: 0,
        }
    }

    /// A sink that only buffers (for tests, and for one parent of a concurrent substream).
    pub fn buffer(params: impl Into<String>) -> RawSink<'static> {
        RawSink {
            target: None,
            params: params.into(),
            rows: Vec::new(),
            bytes: 0,
            state: None,
            count: 0,
        }
    }

    /// Adds one raw record.
    pub async fn push(&mut self, data: Json) -> Result<()> {
        self.push_with(data, None, None).await
    }

    /// Adds one raw record with the URL and input of the request that fetched it.
    pub async fn push_with(
        &mut self,
        data: Json,
        url: Option<&str>,
        input: Option<&Json>,
    ) -> Result<()> {
        let bytes = serde_json::to_vec(&data)?;
        self.bytes += bytes.len();
        let input = match input {
            Some(i) => serde_json::to_vec(i)?,
            None => b"\"\"".to_vec(),
        };
        self.rows.push(vec![
            Value::Text(self.params.clone()),
            Value::Bytes(bytes),
            url.map(|u| Value::Text(u.to_string()))
                .unwrap_or(Value::Null),
            Value::Bytes(input),
            Value::DateTime(chrono::Utc::now()),
        ]);
        self.count += 1;
        if self.rows.len() >= BATCH_ROWS || self.bytes >= BATCH_BYTES {
            self.flush().await?;
        }
        Ok(())
    }

    /// Sets the state saved when the collection completes (pydevlake's yielded state);
    /// the next incremental run reads it from [`Context::state`](super::Context::state).
    pub fn set_state(&mut self, state: Json) {
        self.state = Some(state);
    }

    /// Records pushed so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Takes the buffered records and state out of a buffering sink.
    pub fn take(&mut self) -> (Vec<Vec<Value>>, Option<Json>) {
        self.bytes = 0;
        (std::mem::take(&mut self.rows), self.state.take())
    }

    /// Buffered records as JSON (for tests of collectors).
    pub fn records(&self) -> Vec<Json> {
        self.rows
            .iter()
            .filter_map(|r| match &r[1] {
                Value::Bytes(b) => serde_json::from_slice(b).ok(),
                _ => None,
            })
            .collect()
    }

    pub(crate) fn append(&mut self, rows: Vec<Vec<Value>>, state: Option<Json>) {
        self.count += rows.len() as u64;
        self.rows.extend(rows);
        if state.is_some() {
            self.state = state;
        }
    }

    pub(crate) async fn flush(&mut self) -> Result<()> {
        let Some(t) = self.target.as_mut() else {
            return Ok(());
        };
        let rows = std::mem::take(&mut self.rows);
        self.bytes = 0;
        let n = t.plan.write(t.db, rows).await?;
        t.progress.add(n as u64);
        Ok(())
    }

    /// The database of a writing sink (substream collection reads parents through it).
    pub(crate) fn db(&mut self) -> &mut Db {
        self.target.as_mut().expect("a writing sink").db
    }

    pub(crate) fn into_state(self) -> Option<Json> {
        self.state
    }
}

struct TableBuf {
    layout: Layout,
    plan: InsertPlan,
    rows: Vec<Vec<Value>>,
}

/// A converter's output: domain rows of the models the stream declares. The framework
/// fills each row's raw-data origin from its tool row and an empty `id` with the tool
/// row's domain id.
pub struct DomainSink {
    tables: Vec<TableBuf>,
    origin: Origin,
    domain_id: String,
    connection_id: i64,
    now: DateTime,
    stream: String,
    unmapped: std::collections::BTreeMap<String, u64>,
}

impl std::fmt::Debug for DomainSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DomainSink")
            .field("stream", &self.stream)
            .finish_non_exhaustive()
    }
}

impl DomainSink {
    /// A sink for the given domain models.
    pub fn new(
        dialect: crate::db::Dialect,
        stream: &str,
        connection_id: i64,
        models: &[&'static ModelDescriptor],
    ) -> Self {
        let tables = models
            .iter()
            .map(|d| {
                let layout = Layout::of(d);
                let plan = InsertPlan::new(
                    dialect,
                    d.table,
                    layout.columns().to_vec(),
                    OnConflict::Update,
                );
                TableBuf {
                    layout,
                    plan,
                    rows: Vec::new(),
                }
            })
            .collect();
        DomainSink {
            tables,
            origin: Origin::default(),
            domain_id: String::new(),
            connection_id,
            now: chrono::Utc::now(),
            stream: stream.to_string(),
            unmapped: Default::default(),
        }
    }

    pub(crate) fn set_source(&mut self, origin: Origin, domain_id: String) {
        self.origin = origin;
        self.domain_id = domain_id;
        self.now = chrono::Utc::now();
    }

    /// Adds a domain row.
    pub fn push<M: Model>(&mut self, model: M) -> Result<()> {
        let desc = M::descriptor();
        let Some(t) = self
            .tables
            .iter_mut()
            .find(|t| std::ptr::eq(t.layout.descriptor(), desc))
        else {
            return Err(Error::msg(format!(
                "stream {} converted into {} ({}), which its domain_models() does not list",
                self.stream, desc.name, desc.table
            )));
        };
        let row = t.layout.row(
            &model,
            self.connection_id,
            &self.origin,
            self.now,
            Some(&self.domain_id),
        );
        t.rows.push(row);
        Ok(())
    }

    /// Records that a tool value of `field` had no DevLake counterpart (an enum value the
    /// plugin could not map, left empty). The subtask reports the counts at warn when it
    /// ends, one line for all fields, so unmapped values are never dropped silently.
    pub fn unmapped(&mut self, field: &str) {
        *self.unmapped.entry(field.to_string()).or_default() += 1;
    }

    /// How many values of each field were [`unmapped`](Self::unmapped), as one line;
    /// `None` when every value was mapped.
    pub fn unmapped_summary(&self) -> Option<String> {
        if self.unmapped.is_empty() {
            return None;
        }
        let parts: Vec<String> = self
            .unmapped
            .iter()
            .map(|(field, n)| format!("{n} values of {field}"))
            .collect();
        Some(format!(
            "{} not mapped to DevLake values (left empty)",
            parts.join(", ")
        ))
    }

    /// [`InsertPlan::assume_fresh_keys`] for the tables of the models `keep` accepts.
    pub(crate) fn assume_fresh_keys(&mut self, keep: impl Fn(&'static ModelDescriptor) -> bool) {
        for t in &mut self.tables {
            if keep(t.layout.descriptor()) {
                t.plan.assume_fresh_keys();
            }
        }
    }

    pub(crate) fn pending(&self) -> usize {
        self.tables.iter().map(|t| t.rows.len()).sum()
    }

    /// Rows buffered for one model, as values in table order (for tests of converters).
    pub fn rows_of(&self, desc: &'static ModelDescriptor) -> Vec<Vec<Value>> {
        self.tables
            .iter()
            .filter(|t| std::ptr::eq(t.layout.descriptor(), desc))
            .flat_map(|t| t.rows.clone())
            .collect()
    }

    /// Takes the buffered models out (for tests of converters), decoded back into `M`.
    pub fn take<M: Model>(&mut self) -> Vec<M> {
        let desc = M::descriptor();
        let mut out = Vec::new();
        for t in self
            .tables
            .iter_mut()
            .filter(|t| std::ptr::eq(t.layout.descriptor(), desc))
        {
            let idx: Vec<usize> = desc
                .fields
                .iter()
                .map(|f| {
                    t.layout
                        .columns()
                        .iter()
                        .position(|c| c.name == f.name)
                        .unwrap_or(0)
                })
                .collect();
            for row in std::mem::take(&mut t.rows) {
                let mut vals = idx.iter().map(|&i| row[i].clone());
                if let Ok(m) = M::from_values(&mut vals) {
                    out.push(m);
                }
            }
        }
        out
    }

    pub(crate) async fn flush(&mut self, db: &mut Db) -> Result<usize> {
        let mut n = 0;
        for t in &mut self.tables {
            let rows = std::mem::take(&mut t.rows);
            n += t.plan.write(db, rows).await?;
        }
        Ok(n)
    }
}
