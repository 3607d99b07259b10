//! Models: plain Rust structs that map to DevLake tables.
//!
//! A model is a struct with `#[derive(devlake::Model)]`. The derive records each field's
//! column (name, type, nullability, key, max length, JSON-pointer `source`) in a static
//! [`ModelDescriptor`], and generates the codecs between the struct, database rows
//! ([`Value`]s) and JSON. The framework adds the columns DevLake expects for the model's
//! [`ModelKind`] (see [`columns`](mod@columns)): plugin code never declares `connection_id`,
//! `_raw_data_*`, `created_at` or `updated_at`.
//!
//! ```
//! use devlake::prelude::*;
//!
//! #[derive(Debug, Clone, Copy, PartialEq, devlake::Enum)]
//! pub enum State { Pending, Running, Failure, Success }
//!
//! /// A CI pipeline as the tool reports it.
//! #[derive(Debug, Clone, devlake::Model)]
//! pub struct Pipeline {
//!     #[devlake(primary_key)]
//!     pub id: String,
//!     pub started_at: Option<DateTime>,
//!     #[devlake(source = "/result/state")]
//!     pub state: State,
//! }
//!
//! let raw = serde_json::json!({"id": "7", "startedAt": "2023-01-10T11:00:00", "result": {"state": "success"}});
//! let p = Pipeline::from_json(&raw).unwrap();
//! assert_eq!(p.state, State::Success);
//! assert_eq!(Pipeline::descriptor().fields.len(), 3);
//! ```

mod codec_impl;
pub mod columns;
mod domain_type;
mod schema;
mod secret;
mod value;

pub use columns::{columns, Column};
pub use domain_type::{DomainType, DOMAIN_TYPE_INFO};
pub use schema::{json_schema, model_info, ModelInfo};
pub use secret::{serialize_redacted, Redacted, Secret};
pub use value::{ColumnValue, DateTime, Json, Value, ValueError};

/// Helpers called by the code that `#[derive(Model)]` generates.
#[doc(hidden)]
pub mod codec {
    pub use super::codec_impl::{
        from_json, from_record, from_value, lookup, to_json, INPUT_SOURCE,
    };
}

/// What a model is for; decides which common columns the framework adds and how its table
/// is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelKind {
    /// A tool-layer model extracted by a stream: `_tool_<crate>_<plural>`, keyed by
    /// `connection_id` plus its own primary key.
    Tool,
    /// The plugin's tool scope (a repo, a board, a project...).
    Scope,
    /// The plugin's connection (endpoint, credentials).
    Connection,
    /// The plugin's scope config (entities plus conversion options).
    ScopeConfig,
    /// One of DevLake's domain tables.
    Domain,
    /// Only the declared fields: for snapshot structs and helper types.
    Plain,
}

/// The type of a column, as the JSON schema, the DDL and the codecs see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// Text; `varchar(n)` with a max length or as a key, `text` otherwise.
    String,
    /// 64-bit integer.
    Integer,
    /// 64-bit float.
    Float,
    /// Boolean.
    Boolean,
    /// Timestamp, UTC.
    DateTime,
    /// A JSON array (`Vec<T>`), stored as JSON.
    Array(Option<&'static EnumInfo>),
    /// A JSON object, stored as JSON.
    Object,
    /// A credential: `format: password` in the schema, redacted everywhere.
    Secret,
    /// An enum stored by name.
    Enum(&'static EnumInfo),
    /// Raw bytes (raw tables' `data`).
    Bytes,
}

impl ColumnType {
    /// The JSON-schema `type` DevLake's Go loader accepts for this column.
    pub fn json_type(&self) -> &'static str {
        match self {
            ColumnType::String
            | ColumnType::Secret
            | ColumnType::Enum(_)
            | ColumnType::DateTime => "string",
            ColumnType::Bytes => "string",
            ColumnType::Integer => "integer",
            ColumnType::Float => "number",
            ColumnType::Boolean => "boolean",
            ColumnType::Array(_) => "array",
            ColumnType::Object => "object",
        }
    }
}

/// The variants of an enum column: JSON values and stored names, in declaration order.
#[derive(Debug, PartialEq, Eq)]
pub struct EnumInfo {
    /// The Rust type name.
    pub name: &'static str,
    /// Values in JSON (and in the plugin-info schema).
    pub values: &'static [&'static str],
    /// Values in the database.
    pub db_names: &'static [&'static str],
}

/// One declared field of a model. Built by `#[derive(Model)]`; see the derive for the
/// attributes that set each part.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// Column name (the field name, or `#[devlake(column = "...")]`).
    pub name: &'static str,
    /// JSON property name: camelCase of the field (pydevlake's alias), or `rename`.
    pub json_name: &'static str,
    /// Logical type.
    pub column_type: ColumnType,
    /// `Option<T>` fields are nullable and not required.
    pub nullable: bool,
    /// Part of the primary key.
    pub primary_key: bool,
    /// `autoIncrement` in the schema, when set.
    pub auto_increment: Option<bool>,
    /// `maxLength` in the schema; `<= 255` makes a varchar.
    pub max_length: Option<u32>,
    /// RFC 6901 JSON pointer into the raw record for the default extractor; prefixed with
    /// `input:`, into the record's input (for a substream, the parent it was collected for).
    pub source: Option<&'static str>,
    /// JSON text of the default value (`#[devlake(default = "...")]`).
    pub default: Option<&'static str>,
    /// Whether a missing value is filled from a default (so the field is not required).
    pub has_default: bool,
    /// The field's doc comment.
    pub description: Option<&'static str>,
    /// Migration hint: the column this field was called before.
    pub renamed_from: Option<&'static str>,
    /// Exact SQL type to use in DDL instead of the one derived from the Rust type.
    pub sql_type: Option<&'static str>,
}

impl Field {
    /// A field with every optional part unset; used for the framework's own columns.
    pub const fn new(name: &'static str, json_name: &'static str, column_type: ColumnType) -> Self {
        Field {
            name,
            json_name,
            column_type,
            nullable: false,
            primary_key: false,
            auto_increment: None,
            max_length: None,
            source: None,
            default: None,
            has_default: false,
            description: None,
            renamed_from: None,
            sql_type: None,
        }
    }

    /// Whether the JSON schema lists this field as `required`.
    pub fn required(&self) -> bool {
        !self.nullable && !self.has_default
    }
}

/// Everything the framework knows about a model type; one static per model.
#[derive(Debug)]
pub struct ModelDescriptor {
    /// The Rust type name (`FakePipeline`), also used in domain ids and as DevLake's
    /// domain-scope `type_name`.
    pub name: &'static str,
    /// Table name; empty for [`ModelKind::Plain`] models declared without `table = "..."`.
    pub table: &'static str,
    /// What the model is for.
    pub kind: ModelKind,
    /// The crate that declares the model (pydevlake's plugin folder name).
    pub crate_name: &'static str,
    /// Declared fields, in declaration order.
    pub fields: &'static [Field],
}

impl ModelDescriptor {
    /// All columns of the model's table: the framework's common ones for its kind, then the
    /// declared fields.
    pub fn columns(&'static self) -> Vec<Column> {
        columns(self)
    }

    /// Declared primary-key fields.
    pub fn primary_key_fields(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.primary_key)
    }
}

/// Error decoding a model from a database row or JSON.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A required field is absent.
    #[error("{model}: missing field `{field}`")]
    Missing {
        /// Model type name.
        model: &'static str,
        /// Field (JSON) name.
        field: &'static str,
    },
    /// A field has a value of the wrong type or an invalid value.
    #[error("{model}: field `{field}`: {message}")]
    Invalid {
        /// Model type name.
        model: &'static str,
        /// Field (JSON) name.
        field: &'static str,
        /// What is wrong (never the value of a secret).
        message: String,
    },
    /// The input is not a JSON object.
    #[error("{model}: expected a JSON object, got {got}")]
    NotAnObject {
        /// Model type name.
        model: &'static str,
        /// Kind of JSON value received.
        got: &'static str,
    },
}

/// A struct mapped to a table. Implemented by `#[derive(devlake::Model)]`; do not implement
/// by hand.
pub trait Model: Sized + Send + Sync + 'static {
    /// The static description of this model.
    fn descriptor() -> &'static ModelDescriptor;
    /// Appends the declared fields' values, in declaration order.
    fn write_values(&self, out: &mut Vec<Value>);
    /// Reads the declared fields' values, in declaration order.
    fn from_values(values: &mut dyn Iterator<Item = Value>) -> Result<Self, ModelError>;
    /// Builds the model from JSON: `source` pointers first, then the snake_case field name,
    /// then its camelCase alias. Absent `Option` fields are `None`.
    fn from_json(raw: &serde_json::Value) -> Result<Self, ModelError>;
    /// [`Model::from_json`] of a raw record whose fields may come from its input too
    /// (`#[devlake(source = "input:/id")]`).
    fn from_record(raw: &serde_json::Value, input: &serde_json::Value) -> Result<Self, ModelError> {
        let _ = input;
        Self::from_json(raw)
    }
    /// Writes the declared fields as camelCase JSON properties (nulls omitted).
    fn write_json(&self, out: &mut serde_json::Map<String, serde_json::Value>);
    /// The declared primary-key values as strings, in declaration order.
    fn primary_key(&self) -> Vec<String>;

    /// The model as a JSON object.
    fn to_json(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        self.write_json(&mut map);
        serde_json::Value::Object(map)
    }
}

pub(crate) fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// `<crate>:<entity>:<connection_id>:<key...>` for an entity given by name, for ids of
/// entities a plugin references without modelling them (see
/// [`Context::domain_id_for`](crate::stream::Context::domain_id_for), which fills in the
/// crate and the connection), and of tool scopes ([`Scope::domain_id`](crate::Scope::domain_id)).
/// `crate_name` is the crate's name with `-` as `_`, as
/// [`domain_id`](crate::stream::domain_id) writes it. `connection_id` is usually an `i64`;
/// a tool scope without one has `None` there, as pydevlake writes it.
///
/// ```
/// assert_eq!(
///     devlake::model::domain_id_of("trackr", "TrackrAccount", 1, &["u2"]),
///     "trackr:TrackrAccount:1:u2"
/// );
/// // A tool scope stored without a connection id, as pydevlake writes it.
/// assert_eq!(
///     devlake::model::domain_id_of("trackr", "TrackrProject", "None", &["p1"]),
///     "trackr:TrackrProject:None:p1"
/// );
/// ```
pub fn domain_id_of<K: std::fmt::Display>(
    crate_name: &str,
    entity: &str,
    connection_id: impl std::fmt::Display,
    key: &[K],
) -> String {
    use std::fmt::Write as _;
    let mut s = format!("{crate_name}:{entity}:{connection_id}");
    for k in key {
        // Writing to a String cannot fail.
        let _ = write!(s, ":{k}");
    }
    s
}
