//! The columns the framework adds to each kind of model, as DevLake lays them out.

use super::{ColumnType, Field, ModelDescriptor, ModelKind};

/// A table column. Declared fields and framework columns share one description.
pub type Column = Field;

const fn nullable(mut f: Field) -> Field {
    f.nullable = true;
    f
}
const fn key(mut f: Field) -> Field {
    f.primary_key = true;
    f
}

/// `_raw_data_params`: the JSON `{"ConnectionId":..,"ScopeId":..}` a row was collected for.
pub const RAW_DATA_PARAMS: Field = Field {
    max_length: Some(255),
    ..nullable(Field::new(
        "_raw_data_params",
        "_raw_data_params",
        ColumnType::String,
    ))
};
/// `_raw_data_table`: the raw table a row comes from.
pub const RAW_DATA_TABLE: Field = Field {
    max_length: Some(255),
    ..nullable(Field::new(
        "_raw_data_table",
        "_raw_data_table",
        ColumnType::String,
    ))
};
/// `_raw_data_id`: the raw row id (a string in schemas, an integer in DevLake's tables).
pub const RAW_DATA_ID: Field = Field {
    // Go's uint64.
    sql_type: Some("bigint unsigned"),
    ..nullable(Field::new(
        "_raw_data_id",
        "_raw_data_id",
        ColumnType::Integer,
    ))
};
/// `_raw_data_remark`.
pub const RAW_DATA_REMARK: Field = nullable(Field::new(
    "_raw_data_remark",
    "_raw_data_remark",
    ColumnType::String,
));
/// `created_at`.
pub const CREATED_AT: Field = nullable(Field::new("created_at", "createdAt", ColumnType::DateTime));
/// `updated_at`.
pub const UPDATED_AT: Field = nullable(Field::new("updated_at", "updatedAt", ColumnType::DateTime));
/// `connection_id` as part of a tool model's key.
pub const CONNECTION_ID_KEY: Field = Field {
    auto_increment: Some(false),
    ..nullable(key(Field::new(
        "connection_id",
        "connectionId",
        ColumnType::Integer,
    )))
};

const RAW_ORIGIN: [Field; 4] = [
    RAW_DATA_PARAMS,
    RAW_DATA_TABLE,
    RAW_DATA_ID,
    RAW_DATA_REMARK,
];

const TOOL: &[Field] = &[
    RAW_DATA_PARAMS,
    RAW_DATA_TABLE,
    RAW_DATA_ID,
    RAW_DATA_REMARK,
    CREATED_AT,
    UPDATED_AT,
    CONNECTION_ID_KEY,
];

const SCOPE: &[Field] = &[
    RAW_DATA_PARAMS,
    RAW_DATA_TABLE,
    RAW_DATA_ID,
    RAW_DATA_REMARK,
    CREATED_AT,
    UPDATED_AT,
    CONNECTION_ID_KEY,
    key(Field::new("id", "id", ColumnType::String)),
    Field::new("name", "name", ColumnType::String),
    nullable(Field::new(
        "scope_config_id",
        "scopeConfigId",
        ColumnType::Integer,
    )),
];

const CONNECTION: &[Field] = &[
    nullable(key(Field::new("id", "id", ColumnType::Integer))),
    CREATED_AT,
    UPDATED_AT,
    Field::new("name", "name", ColumnType::String),
    nullable(Field::new("proxy", "proxy", ColumnType::String)),
];

const SCOPE_CONFIG: &[Field] = &[
    nullable(key(Field::new("id", "id", ColumnType::Integer))),
    CREATED_AT,
    UPDATED_AT,
    Field {
        default: Some("\"default\""),
        has_default: true,
        ..Field::new("name", "name", ColumnType::String)
    },
    Field {
        default: Some(r#"["CODE","TICKET","CODEREVIEW","CROSS","CICD","CODEQUALITY"]"#),
        has_default: true,
        ..Field::new(
            "entities",
            "entities",
            ColumnType::Array(Some(super::DOMAIN_TYPE_INFO)),
        )
    },
    nullable(Field::new(
        "connection_id",
        "connectionId",
        ColumnType::Integer,
    )),
];

const DOMAIN_COMMON: &[Field] = &[
    CREATED_AT,
    UPDATED_AT,
    RAW_DATA_PARAMS,
    RAW_DATA_TABLE,
    RAW_DATA_ID,
    RAW_DATA_REMARK,
];

/// The framework's columns for a kind, in DevLake's (and pydevlake's schema) order.
pub fn common_columns(kind: ModelKind) -> &'static [Field] {
    match kind {
        ModelKind::Tool => TOOL,
        ModelKind::Scope => SCOPE,
        ModelKind::Connection => CONNECTION,
        ModelKind::ScopeConfig => SCOPE_CONFIG,
        ModelKind::Domain => DOMAIN_COMMON,
        ModelKind::Plain => &[],
    }
}

/// The raw-origin columns (`_raw_data_*`).
pub fn raw_origin_columns() -> &'static [Field] {
    &RAW_ORIGIN
}

/// All columns of a model's table: common columns, then declared fields, where a declared
/// field replaces a common column of the same name (a scope that declares its own `name`).
pub fn columns(desc: &'static ModelDescriptor) -> Vec<Column> {
    let common = common_columns(desc.kind);
    let mut out: Vec<Column> = Vec::with_capacity(common.len() + desc.fields.len());
    match desc.kind {
        // Domain tables lead with their own key, then DevLake's common columns, as the
        // Go structs embed them.
        ModelKind::Domain => {
            out.extend(desc.fields.iter().filter(|f| f.primary_key).copied());
            out.extend(
                common
                    .iter()
                    .filter(|c| !desc.fields.iter().any(|f| f.name == c.name))
                    .copied(),
            );
            out.extend(desc.fields.iter().filter(|f| !f.primary_key).copied());
        }
        _ => {
            out.extend(
                common
                    .iter()
                    .filter(|c| !desc.fields.iter().any(|f| f.name == c.name))
                    .copied(),
            );
            out.extend(desc.fields.iter().copied());
        }
    }
    out
}
