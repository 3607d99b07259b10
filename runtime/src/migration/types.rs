//! Column types of migrations: Go `dal.ColumnType` strings, the tables DevLake's Go loader
//! builds from a model info, and their SQL in each dialect.
//!
//! One vocabulary serves every step, so a generated `add_column` and a `create_table` give
//! the same column: `bigint`, `double precision`, `bool`, `timestamp`, `varchar(n)`,
//! `text`, `json`. Each is valid SQL on MySQL and PostgreSQL, which matters because
//! DevLake's server runs an `add_column` type as written.

use super::ModelInfo;
use crate::db::{ddl, Dialect};
use crate::model::{ColumnType, Field};
use heck::ToSnakeCase;
use serde_json::Value;
use std::collections::HashSet;
use std::sync::Mutex;

/// The columns DevLake's Go loader adds to every table a `create_table` makes
/// (`common.NoPKModel`: timestamps and raw-data origin), with their types, in table order.
pub const BASE_COLUMNS: [(&str, &str); 6] = [
    ("created_at", "timestamp"),
    ("updated_at", "timestamp"),
    ("_raw_data_params", "varchar(255)"),
    ("_raw_data_table", "varchar(255)"),
    ("_raw_data_id", "bigint"),
    ("_raw_data_remark", "text"),
];

/// The Go field names of `NoPKModel` (and its embedded `RawDataOrigin`), canonicalized as
/// the loader compares them: lowercase, no underscores.
const BASE_CANONICAL: [&str; 7] = [
    "createdat",
    "updatedat",
    "rawdataorigin",
    "rawdataparams",
    "rawdatatable",
    "rawdataid",
    "rawdataremark",
];

/// One column of a table a `create_table` builds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableColumn {
    /// Column name (the snake_case of the schema's property name, as gorm names it).
    pub name: String,
    /// Type in the migration vocabulary (see [`dialect_sql_type`]).
    pub column_type: String,
    /// Part of the primary key.
    pub primary_key: bool,
    /// Filled by the database (a single integer key without `autoIncrement: false`).
    pub auto_increment: bool,
}

/// The type DevLake's loader gives a schema property: `integer` -> `bigint`, `number` ->
/// `double precision`, `boolean` -> `bool`, `string` -> `timestamp` for `date-time`,
/// `varchar(n)` for `maxLength <= 255`, `text` above, `varchar(255)` for keys, `text`
/// otherwise (secrets included); `array`/`object` -> `json`.
fn property_type(
    json_type: &str,
    format: Option<&str>,
    max_length: Option<u64>,
    primary_key: bool,
) -> Option<String> {
    Some(match json_type {
        "integer" => "bigint".into(),
        "number" => "double precision".into(),
        "boolean" => "bool".into(),
        "string" if format == Some("date-time") => "timestamp".into(),
        "string" => match max_length {
            Some(n) if n <= 255 => format!("varchar({n})"),
            Some(_) => "text".into(),
            None if primary_key => "varchar(255)".into(),
            None => "text".into(),
        },
        "array" | "object" => "json".into(),
        _ => return None,
    })
}

/// The column type of a model field, as an `add_column` of it should say: the same type
/// DevLake's loader would give the field's schema property, or the field's own
/// `sql_type` when it has one.
///
/// ```
/// use devlake::migration::column_type_of;
/// use devlake::model::{ColumnType, Field};
/// assert_eq!(column_type_of(&Field::new("n", "n", ColumnType::Integer)), "bigint");
/// assert_eq!(column_type_of(&Field::new("at", "at", ColumnType::DateTime)), "timestamp");
/// let key = Field { primary_key: true, ..Field::new("id", "id", ColumnType::String) };
/// assert_eq!(column_type_of(&key), "varchar(255)");
/// ```
pub fn column_type_of(field: &Field) -> String {
    if let Some(t) = field.sql_type {
        return t.to_string();
    }
    let (json_type, format, max_length) = match field.column_type {
        ColumnType::Secret => ("string", Some("password"), None),
        ColumnType::DateTime => ("string", Some("date-time"), None),
        // The schema gives enums no maxLength; their values are short but unbounded.
        ColumnType::Enum(_) => ("string", None, None),
        ColumnType::String => ("string", None, field.max_length.map(u64::from)),
        other => (other.json_type(), None, None),
    };
    property_type(json_type, format, max_length, field.primary_key).unwrap_or_else(|| "text".into())
}

/// gorm's column name for a schema property: `strings.Title` then snake_case
/// (`connectionId` -> `connection_id`), keeping leading underscores.
///
/// ```
/// assert_eq!(devlake::migration::column_name("scopeConfigId"), "scope_config_id");
/// assert_eq!(devlake::migration::column_name("_raw_data_params"), "_raw_data_params");
/// ```
pub fn column_name(property: &str) -> String {
    let trimmed = property.trim_start_matches('_');
    let lead = &property[..property.len() - trimmed.len()];
    format!("{lead}{}", trimmed.to_snake_case())
}

fn is_base(property: &str) -> bool {
    let canonical = property.replace('_', "").to_lowercase();
    BASE_CANONICAL.contains(&canonical.as_str())
}

/// The columns of the table DevLake's Go loader creates for a model info
/// (`LoadDynamicTabler(common.NoPKModel{})`): the [`BASE_COLUMNS`], then one column per
/// schema property that is not one of them, in schema order. Errors name the property the
/// loader would reject.
pub fn table_columns(info: &ModelInfo) -> Result<Vec<TableColumn>, String> {
    let table = &info.table_name;
    let props = info
        .json_schema
        .get("properties")
        .and_then(Value::as_object)
        .ok_or_else(|| format!("table {table}: the JSON schema has no \"properties\" object"))?;
    let mut cols: Vec<TableColumn> = BASE_COLUMNS
        .iter()
        .map(|(name, ty)| TableColumn {
            name: name.to_string(),
            column_type: ty.to_string(),
            primary_key: false,
            auto_increment: false,
        })
        .collect();
    let mut auto_flags = Vec::new();
    for (prop, spec) in props {
        if is_base(prop) {
            continue;
        }
        let json_type = spec
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("table {table}: property {prop:?} needs one string \"type\""))?;
        let format = spec.get("format").and_then(Value::as_str);
        let max_length = spec
            .get("maxLength")
            .and_then(Value::as_f64)
            .map(|n| n as u64);
        let primary_key = spec
            .get("primaryKey")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let column_type =
            property_type(json_type, format, max_length, primary_key).ok_or_else(|| {
                format!("table {table}: property {prop:?} has unsupported type {json_type:?}")
            })?;
        auto_flags.push(spec.get("autoIncrement").and_then(Value::as_bool));
        cols.push(TableColumn {
            name: column_name(prop),
            column_type,
            primary_key,
            auto_increment: false,
        });
    }
    // gorm makes a lone integer key auto-increment unless the schema says otherwise.
    let base = BASE_COLUMNS.len();
    let keys: Vec<usize> = (base..cols.len())
        .filter(|&i| cols[i].primary_key)
        .collect();
    if let [k] = keys[..] {
        let explicit = auto_flags[k - base];
        cols[k].auto_increment = cols[k].column_type == "bigint" && explicit != Some(false);
    }
    Ok(cols)
}

/// Normalizes a type to the MySQL-flavoured spelling [`ddl::sql_type`] translates.
fn mysql_flavour(column_type: &str) -> String {
    let lower = column_type.trim().to_ascii_lowercase();
    match lower.as_str() {
        "datetime"
        | "timestamp"
        | "timestamptz"
        | "timestamp with time zone"
        | "timestamp without time zone" => "datetime(3)".into(),
        l if l.starts_with("datetime(") || l.starts_with("timestamp(") => "datetime(3)".into(),
        "double precision" | "float8" | "double" => "double".into(),
        "bool" | "boolean" => "boolean".into(),
        "jsonb" | "json" => "json".into(),
        "bytea" | "blob" | "longblob" => "longblob".into(),
        _ => column_type.trim().to_string(),
    }
}

/// Interns a string for the `&'static str` fields of [`Field`]. Migrations name a bounded
/// set of columns and types, so the set stays small.
pub(super) fn intern(s: &str) -> &'static str {
    static SET: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let mut guard = SET.lock().unwrap_or_else(|e| e.into_inner());
    let set = guard.get_or_insert_with(HashSet::new);
    if let Some(found) = set.get(s) {
        return found;
    }
    let leaked: &'static str = Box::leak(s.to_string().into_boxed_str());
    set.insert(leaked);
    leaked
}

/// The SQL type of a migration column type in a dialect: `timestamp`/`datetime` ->
/// `datetime(3)`/`timestamptz`/`datetime`, `json` -> `jsonb` on PostgreSQL, `double
/// precision` -> `double` on MySQL, `bool` -> `boolean`; other types are used as written.
///
/// ```
/// use devlake::db::Dialect;
/// use devlake::migration::dialect_sql_type;
/// assert_eq!(dialect_sql_type("timestamp", Dialect::MySql), "datetime(3)");
/// assert_eq!(dialect_sql_type("datetime", Dialect::Postgres), "timestamptz");
/// assert_eq!(dialect_sql_type("json", Dialect::Postgres), "jsonb");
/// assert_eq!(dialect_sql_type("varchar(255)", Dialect::Sqlite), "varchar(255)");
/// ```
pub fn dialect_sql_type(column_type: &str, dialect: Dialect) -> String {
    let field = Field {
        sql_type: Some(intern(&mysql_flavour(column_type))),
        ..Field::new("", "", ColumnType::String)
    };
    ddl::sql_type(&field, dialect)
}

/// The [`Field`] the runtime's DDL helpers need for a table column in a dialect.
pub(super) fn ddl_field(col: &TableColumn, dialect: Dialect) -> Field {
    let sql_type = if col.auto_increment {
        match dialect {
            Dialect::MySql => "bigint AUTO_INCREMENT".to_string(),
            Dialect::Postgres => "bigserial".to_string(),
            // An INTEGER key is SQLite's rowid alias: filled on insert.
            Dialect::Sqlite => "integer".to_string(),
        }
    } else {
        dialect_sql_type(&col.column_type, dialect)
    };
    Field {
        primary_key: col.primary_key,
        sql_type: Some(intern(&sql_type)),
        ..Field::new(intern(&col.name), "", ColumnType::String)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_follow_gorm() {
        assert_eq!(column_name("connectionId"), "connection_id");
        assert_eq!(column_name("scopeConfigId"), "scope_config_id");
        assert_eq!(column_name("id"), "id");
        assert_eq!(column_name("_private"), "_private");
        assert_eq!(column_name("htmlUrl"), "html_url");
    }

    #[test]
    fn base_fields_are_recognized_in_any_spelling() {
        assert!(is_base("createdAt"));
        assert!(is_base("_raw_data_params"));
        assert!(is_base("rawDataId"));
        assert!(!is_base("created"));
    }
}
