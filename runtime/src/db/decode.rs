//! Binding [`Value`]s to statements and decoding rows into [`Value`]s, per driver.
//!
//! Rows are decoded by the database's own column type (not the model's), so a table that
//! DevLake's Go side created with other integer widths or JSON flavours still reads; the
//! model codecs then convert leniently.

// Helpers serve one driver or several; a build with some drivers left out leaves some unused.
#![cfg_attr(
    not(all(feature = "sqlite", feature = "mysql", feature = "postgres")),
    allow(dead_code)
)]

use super::DbError;
#[cfg(feature = "postgres")]
use crate::model::ColumnType;
use crate::model::Value;
#[cfg(any(feature = "mysql", feature = "postgres"))]
use sqlx::{Column as _, Row as _, TypeInfo as _, ValueRef as _};

#[cfg(feature = "sqlite")]
type SqliteQuery<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>;
#[cfg(feature = "mysql")]
type MySqlQuery<'q> = sqlx::query::Query<'q, sqlx::MySql, sqlx::mysql::MySqlArguments>;
#[cfg(feature = "postgres")]
type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

/// SQLite stores timestamps as text; this is pydevlake's (SQLAlchemy's) format.
pub(crate) fn sqlite_datetime(d: &crate::model::DateTime) -> String {
    match SqliteTime::of(d) {
        Some(t) => t.as_str().to_owned(),
        None => sqlite_datetime_fmt(d),
    }
}

/// `YYYY-MM-DD HH:MM:SS.ffffff` on the stack. Hand-formatted: `format!` (and chrono's
/// `format`, which re-parses its pattern on every call) cost a few percent of a whole
/// extract or convert, where every row holds timestamps.
pub(crate) struct SqliteTime([u8; 26]);

impl SqliteTime {
    /// `None` for years outside 0..=9999 (written by [`sqlite_datetime_fmt`]).
    pub(crate) fn of(d: &crate::model::DateTime) -> Option<SqliteTime> {
        use chrono::{Datelike, Timelike};
        let year = u32::try_from(d.year()).ok().filter(|y| *y <= 9999)?;
        let mut b = *b"0000-00-00 00:00:00.000000";
        let mut put = |at: usize, width: usize, mut n: u32| {
            for slot in b[at..at + width].iter_mut().rev() {
                *slot = b'0' + (n % 10) as u8;
                n /= 10;
            }
        };
        put(0, 4, year);
        put(5, 2, d.month());
        put(8, 2, d.day());
        put(11, 2, d.hour());
        put(14, 2, d.minute());
        put(17, 2, d.second());
        put(20, 6, d.nanosecond() / 1000 % 1_000_000);
        Some(SqliteTime(b))
    }

    /// The text (ASCII digits and separators only).
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// [`sqlite_datetime`] for any year.
fn sqlite_datetime_fmt(d: &crate::model::DateTime) -> String {
    use chrono::{Datelike, Timelike};
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

#[cfg(test)]
mod tests {
    use super::{sqlite_datetime, sqlite_datetime_fmt};
    use chrono::TimeZone;

    /// The stack formatter writes what `format!` writes, leap seconds and edges included.
    #[test]
    fn sqlite_time_matches_format() {
        let at = |y, mo, d, h, mi, s, ns| {
            chrono::Utc
                .with_ymd_and_hms(y, mo, d, h, mi, s)
                .unwrap()
                .with_nanosecond(ns)
                .unwrap()
        };
        use chrono::Timelike;
        for d in [
            at(1970, 1, 1, 0, 0, 0, 0),
            at(2024, 2, 29, 23, 59, 59, 999_999_999),
            at(2038, 1, 19, 3, 14, 8, 123_456_000),
            at(9999, 12, 31, 23, 59, 59, 1_999_999_999),
            at(0, 1, 1, 0, 0, 0, 1_000),
            at(-1, 6, 15, 12, 30, 0, 0),
            at(10000, 1, 1, 0, 0, 0, 0),
        ] {
            assert_eq!(sqlite_datetime(&d), sqlite_datetime_fmt(&d), "{d:?}");
        }
    }
}
