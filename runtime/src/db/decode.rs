//! Binding [`Value`]s to statements and decoding rows into [`Value`]s, per driver.
//!
//! Rows are decoded by the database's own column type (not the model's), so a table that
//! DevLake's Go side created with other integer widths or JSON flavours still reads; the
//! model codecs then convert leniently.

use super::DbError;
#[cfg(feature = "postgres")]
use crate::model::ColumnType;
use crate::model::Value;
use sqlx::{Column as _, Row as _, TypeInfo as _, ValueRef as _};

#[cfg(feature = "sqlite")]
type SqliteQuery<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>;
#[cfg(feature = "mysql")]
type MySqlQuery<'q> = sqlx::query::Query<'q, sqlx::MySql, sqlx::mysql::MySqlArguments>;
#[cfg(feature = "postgres")]
type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

/// SQLite stores timestamps as text; this is pydevlake's (SQLAlchemy's) format.
pub(crate) fn sqlite_datetime(d: &crate::model::DateTime) -> String {
    use chrono::{Datelike, Timelike};
    // Hand-formatted: chrono's `format` re-parses its pattern on every call, and this
    // runs for every timestamp of every row written to SQLite.
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}",
        d.year(),
        d.month(),
        d.day(),
        d.hour(),
        d.minute(),
        d.second(),
        d.nanosecond() / 1000 % 1_000_000
    )
}

#[cfg(feature = "sqlite")]
pub(crate) fn bind_all_sqlite(mut q: SqliteQuery<'_>, params: Vec<Value>) -> SqliteQuery<'_> {
    for v in params {
        q = match v {
            Value::Null => q.bind(None::<String>),
            Value::Bool(b) => q.bind(b),
            Value::Int(i) => q.bind(i),
            Value::Float(f) => q.bind(f),
            Value::Text(s) => q.bind(s),
            Value::DateTime(d) => q.bind(sqlite_datetime(&d)),
            Value::Json(j) => q.bind(j.to_string()),
            Value::Bytes(b) => q.bind(b),
        };
    }
    q
}

#[cfg(feature = "mysql")]
pub(crate) fn bind_all_mysql(mut q: MySqlQuery<'_>, params: Vec<Value>) -> MySqlQuery<'_> {
    for v in params {
        q = match v {
            Value::Null => q.bind(None::<String>),
            Value::Bool(b) => q.bind(b),
            Value::Int(i) => q.bind(i),
            Value::Float(f) => q.bind(f),
            Value::Text(s) => q.bind(s),
            // As a DATETIME, not a TIMESTAMP (what sqlx sends for `DateTime<Utc>`): MariaDB
            // turns a TIMESTAMP parameter outside 1970..2038 into NULL, without a word,
            // while DevLake's `datetime(3)` columns hold years 1000 to 9999. The
            // connection's time zone is UTC, so the naive value is the UTC instant.
            Value::DateTime(d) => q.bind(d.naive_utc()),
            Value::Json(j) => q.bind(j.to_string()),
            Value::Bytes(b) => q.bind(b),
        };
    }
    q
}

#[cfg(feature = "postgres")]
pub(crate) fn bind_all_pg<'q>(
    mut q: PgQuery<'q>,
    params: Vec<Value>,
    types: Option<&[ColumnType]>,
) -> PgQuery<'q> {
    for (i, v) in params.into_iter().enumerate() {
        let ty = types.and_then(|t| t.get(i)).copied();
        q = match v {
            // PostgreSQL types every parameter, NULLs included.
            Value::Null => match ty {
                Some(ColumnType::Integer) => q.bind(None::<i64>),
                Some(ColumnType::Float) => q.bind(None::<f64>),
                Some(ColumnType::Boolean) => q.bind(None::<bool>),
                Some(ColumnType::DateTime) => q.bind(None::<chrono::DateTime<chrono::Utc>>),
                Some(ColumnType::Array(_)) | Some(ColumnType::Object) => {
                    q.bind(None::<sqlx::types::Json<serde_json::Value>>)
                }
                Some(ColumnType::Bytes) => q.bind(None::<Vec<u8>>),
                _ => q.bind(None::<String>),
            },
            Value::Bool(b) => q.bind(b),
            Value::Int(i) => q.bind(i),
            Value::Float(f) => q.bind(f),
            Value::Text(s) => q.bind(s),
            Value::DateTime(d) => q.bind(d),
            Value::Json(j) => q.bind(sqlx::types::Json(j)),
            Value::Bytes(b) => q.bind(b),
        };
    }
    q
}

fn decode_err(col: &str, e: sqlx::Error) -> DbError {
    DbError::Decode(format!("column {col}: {e}"))
}

#[cfg(feature = "sqlite")]
pub(crate) fn sqlite_row(row: &sqlx::sqlite::SqliteRow) -> Result<Vec<Value>, DbError> {
    (0..row.len())
        .map(|i| {
            let raw = row
                .try_get_raw(i)
                .map_err(|e| decode_err(row.column(i).name(), e))?;
            if raw.is_null() {
                return Ok(Value::Null);
            }
            let ty = raw.type_info().name().to_ascii_uppercase();
            let name = row.column(i).name();
            Ok(match ty.as_str() {
                "INTEGER" | "BOOLEAN" | "INT8" | "BIGINT" => Value::Int(
                    row.try_get_unchecked::<i64, _>(i)
                        .map_err(|e| decode_err(name, e))?,
                ),
                "REAL" | "NUMERIC" | "FLOAT" | "DOUBLE" => Value::Float(
                    row.try_get_unchecked::<f64, _>(i)
                        .map_err(|e| decode_err(name, e))?,
                ),
                "BLOB" => Value::Bytes(
                    row.try_get_unchecked::<Vec<u8>, _>(i)
                        .map_err(|e| decode_err(name, e))?,
                ),
                _ => Value::Text(
                    row.try_get_unchecked::<String, _>(i)
                        .map_err(|e| decode_err(name, e))?,
                ),
            })
        })
        .collect()
}

#[cfg(feature = "mysql")]
pub(crate) fn mysql_row(row: &sqlx::mysql::MySqlRow) -> Result<Vec<Value>, DbError> {
    (0..row.len())
        .map(|i| {
            let col = row.column(i);
            let name = col.name();
            let raw = row.try_get_raw(i).map_err(|e| decode_err(name, e))?;
            if raw.is_null() {
                return Ok(Value::Null);
            }
            let ty = col.type_info().name().to_ascii_uppercase();
            Ok(match ty.as_str() {
                "BOOLEAN" => Value::Bool(
                    row.try_get_unchecked::<bool, _>(i)
                        .map_err(|e| decode_err(name, e))?,
                ),
                "TINYINT" | "SMALLINT" | "MEDIUMINT" | "INT" | "BIGINT" | "YEAR" => Value::Int(
                    row.try_get_unchecked::<i64, _>(i)
                        .map_err(|e| decode_err(name, e))?,
                ),
                t if t.ends_with("UNSIGNED") => {
                    let u = row
                        .try_get_unchecked::<u64, _>(i)
                        .map_err(|e| decode_err(name, e))?;
                    Value::Int(u as i64)
                }
                "FLOAT" | "DOUBLE" => Value::Float(
                    row.try_get_unchecked::<f64, _>(i)
                        .map_err(|e| decode_err(name, e))?,
                ),
                "DECIMAL" => {
                    let s = row
                        .try_get_unchecked::<String, _>(i)
                        .map_err(|e| decode_err(name, e))?;
                    Value::Float(
                        s.parse()
                            .map_err(|_| DbError::Decode(format!("column {name}: bad decimal")))?,
                    )
                }
                "DATETIME" | "TIMESTAMP" => {
                    let n = row
                        .try_get_unchecked::<chrono::NaiveDateTime, _>(i)
                        .map_err(|e| decode_err(name, e))?;
                    Value::DateTime(chrono::TimeZone::from_utc_datetime(&chrono::Utc, &n))
                }
                "DATE" => {
                    let d = row
                        .try_get_unchecked::<chrono::NaiveDate, _>(i)
                        .map_err(|e| decode_err(name, e))?;
                    Value::DateTime(chrono::TimeZone::from_utc_datetime(
                        &chrono::Utc,
                        &d.and_hms_opt(0, 0, 0).unwrap_or_default(),
                    ))
                }
                "BLOB" | "TINYBLOB" | "MEDIUMBLOB" | "LONGBLOB" | "BINARY" | "VARBINARY" => {
                    Value::Bytes(
                        row.try_get_unchecked::<Vec<u8>, _>(i)
                            .map_err(|e| decode_err(name, e))?,
                    )
                }
                _ => Value::Text(
                    row.try_get_unchecked::<String, _>(i)
                        .map_err(|e| decode_err(name, e))?,
                ),
            })
        })
        .collect()
}

#[cfg(feature = "postgres")]
pub(crate) fn pg_row(row: &sqlx::postgres::PgRow) -> Result<Vec<Value>, DbError> {
    (0..row.len())
        .map(|i| {
            let col = row.column(i);
            let name = col.name();
            let raw = row.try_get_raw(i).map_err(|e| decode_err(name, e))?;
            if raw.is_null() {
                return Ok(Value::Null);
            }
            let ty = col.type_info().name().to_ascii_uppercase();
            Ok(match ty.as_str() {
                "BOOL" => Value::Bool(row.try_get::<bool, _>(i).map_err(|e| decode_err(name, e))?),
                "INT2" => {
                    Value::Int(row.try_get::<i16, _>(i).map_err(|e| decode_err(name, e))? as i64)
                }
                "INT4" => {
                    Value::Int(row.try_get::<i32, _>(i).map_err(|e| decode_err(name, e))? as i64)
                }
                "INT8" => Value::Int(row.try_get::<i64, _>(i).map_err(|e| decode_err(name, e))?),
                "FLOAT4" => {
                    Value::Float(row.try_get::<f32, _>(i).map_err(|e| decode_err(name, e))? as f64)
                }
                "FLOAT8" => {
                    Value::Float(row.try_get::<f64, _>(i).map_err(|e| decode_err(name, e))?)
                }
                "TIMESTAMPTZ" => Value::DateTime(
                    row.try_get::<chrono::DateTime<chrono::Utc>, _>(i)
                        .map_err(|e| decode_err(name, e))?,
                ),
                "TIMESTAMP" => {
                    let n = row
                        .try_get::<chrono::NaiveDateTime, _>(i)
                        .map_err(|e| decode_err(name, e))?;
                    Value::DateTime(chrono::TimeZone::from_utc_datetime(&chrono::Utc, &n))
                }
                "DATE" => {
                    let d = row
                        .try_get::<chrono::NaiveDate, _>(i)
                        .map_err(|e| decode_err(name, e))?;
                    Value::DateTime(chrono::TimeZone::from_utc_datetime(
                        &chrono::Utc,
                        &d.and_hms_opt(0, 0, 0).unwrap_or_default(),
                    ))
                }
                "JSON" | "JSONB" => Value::Json(
                    row.try_get::<sqlx::types::Json<serde_json::Value>, _>(i)
                        .map_err(|e| decode_err(name, e))?
                        .0,
                ),
                "BYTEA" => Value::Bytes(
                    row.try_get::<Vec<u8>, _>(i)
                        .map_err(|e| decode_err(name, e))?,
                ),
                // Text types and native enums (pydevlake creates those on PostgreSQL) are
                // both sent as UTF-8 text.
                _ => Value::Text(
                    row.try_get_unchecked::<String, _>(i)
                        .map_err(|e| decode_err(name, e))?,
                ),
            })
        })
        .collect()
}
