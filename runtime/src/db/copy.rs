//! PostgreSQL bulk writes: plain inserts through `COPY ... FROM STDIN (FORMAT binary)`,
//! upserts through one `INSERT ... SELECT * FROM unnest($1, $2, ...) ON CONFLICT ...` with
//! one binary array parameter per column.
//!
//! Both send each value in PostgreSQL's binary format, encoded for the type the table's
//! column really has (read from the catalog once per plan), so that a table DevLake's Go
//! side created with other widths still takes the rows. Whatever this module cannot
//! encode exactly as the multi-row `INSERT` would have sent it (an unknown column type, a
//! value of another kind than its column) makes [`PgBulk::write`] decline the batch
//! before anything is sent, and the caller writes it the old way: same rows, same errors.
//!
//! Why not COPY for upserts too: `COPY` cannot update, and going through a staging table
//! costs three statements and a `TRUNCATE` per batch, where `unnest` is one statement the
//! server prepares once (the same SQL for every batch size).
//!
//! SQLite and MariaDB have no bulk path: every [`PgBulk::write`] declines there. For
//! MariaDB, one text-protocol statement per batch with escaped literals (issue 17)
//! measured slower than the prepared multi-row `INSERT`, on the client (escaping, hex for
//! bytes) and more so on the server (parsing): 100k records, server CPU 8.6 to 9.2 s
//! against 6.4 to 7.6 s, client 1.9 to 2.1 s against 1.4 to 1.6 s.

use super::write::OnConflict;
use super::{guarded, Conn, Db, DbError};
use crate::model::{Column, Value};
use sqlx::postgres::types::Oid;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo};

/// Batches smaller than this go the old way: the bulk path's one-time catalog query is
/// not worth it for a handful of rows (single-row writes of the standalone mode).
pub(crate) const MIN_BULK_ROWS: usize = 64;

/// Microseconds between the Unix epoch and PostgreSQL's (2000-01-01 00:00:00 UTC).
const PG_EPOCH_UNIX_SECS: i64 = 946_684_800;

/// How one column's values go on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Enc {
    Int8,
    Int4,
    Int2,
    Float8,
    Bool,
    /// `text`, `varchar`, `bpchar`, `name`, native enums: UTF-8 bytes.
    Text,
    /// `timestamptz` and `timestamp` (the session's time zone is UTC, so the instant and
    /// the naive UTC time are the same microseconds).
    Timestamp,
    /// `jsonb`: a version byte (1), then the JSON text.
    Jsonb,
    Bytea,
}

impl Enc {
    /// The encoding of a column of PostgreSQL type `typname` (`typtype` `e`: an enum).
    /// `json` is left out on purpose: the old path sends `jsonb`, which the server
    /// normalises before storing it as `json` text; sending the text as is would store a
    /// different text.
    fn of(typname: &str, typtype: &str) -> Option<Enc> {
        Some(match typname {
            "int8" => Enc::Int8,
            "int4" => Enc::Int4,
            "int2" => Enc::Int2,
            "float8" => Enc::Float8,
            "bool" => Enc::Bool,
            "text" | "varchar" | "bpchar" | "name" => Enc::Text,
            "timestamptz" | "timestamp" => Enc::Timestamp,
            "jsonb" => Enc::Jsonb,
            "bytea" => Enc::Bytea,
            _ if typtype == "e" => Enc::Text,
            _ => return None,
        })
    }
}

/// One column of the target table, as the bulk path writes it.
#[derive(Debug, Clone)]
struct PgColumn {
    enc: Enc,
    /// The OID of the column's array type (the `unnest` parameter's type).
    array_oid: u32,
    /// The OID of the column's type (each array element's).
    elem_oid: u32,
}

/// Appends one field (length, then bytes; `-1` for NULL) to `buf`; `false` when the value
/// cannot be sent as this column's type exactly as the old path would (`buf` is then left
/// with a partial field: the caller discards the whole buffer).
fn put_field(buf: &mut Vec<u8>, enc: Enc, value: &Value) -> bool {
    let start = buf.len();
    buf.extend_from_slice(&0i32.to_be_bytes());
    match (enc, value) {
        (_, Value::Null) => {
            buf.truncate(start);
            buf.extend_from_slice(&(-1i32).to_be_bytes());
            return true;
        }
        (Enc::Int8, Value::Int(i)) => buf.extend_from_slice(&i.to_be_bytes()),
        (Enc::Int4, Value::Int(i)) => match i32::try_from(*i) {
            Ok(v) => buf.extend_from_slice(&v.to_be_bytes()),
            Err(_) => return false,
        },
        (Enc::Int2, Value::Int(i)) => match i16::try_from(*i) {
            Ok(v) => buf.extend_from_slice(&v.to_be_bytes()),
            Err(_) => return false,
        },
        (Enc::Float8, Value::Float(f)) => buf.extend_from_slice(&f.to_bits().to_be_bytes()),
        (Enc::Bool, Value::Bool(b)) => buf.push(u8::from(*b)),
        (Enc::Text, Value::Text(s)) => buf.extend_from_slice(s.as_bytes()),
        (Enc::Timestamp, Value::DateTime(d)) => match pg_micros(d) {
            Some(m) => buf.extend_from_slice(&m.to_be_bytes()),
            None => return false,
        },
        (Enc::Jsonb, Value::Json(j)) => {
            buf.push(1);
            if serde_json::to_writer(&mut *buf, j).is_err() {
                return false;
            }
        }
        (Enc::Bytea, Value::Bytes(b)) => buf.extend_from_slice(b),
        _ => return false,
    }
    let Ok(len) = i32::try_from(buf.len() - start - 4) else {
        return false;
    };
    buf[start..start + 4].copy_from_slice(&len.to_be_bytes());
    true
}

/// Microseconds since 2000-01-01 UTC, computed as sqlx computes them for a bound
/// `DateTime<Utc>` (a chrono duration, truncated to microseconds), so both paths store
/// the same instant.
fn pg_micros(d: &crate::model::DateTime) -> Option<i64> {
    let epoch = chrono::DateTime::from_timestamp(PG_EPOCH_UNIX_SECS, 0)?.naive_utc();
    (d.naive_utc() - epoch).num_microseconds()
}

/// The binary `COPY` stream of `rows`: signature, flags, header extension, the tuples,
/// the trailer. `None` when a value cannot be encoded (see [`put_field`]).
fn copy_data(cols: &[PgColumn], rows: &[Vec<Value>]) -> Option<Vec<u8>> {
    let ncols = i16::try_from(cols.len()).ok()?;
    let mut buf = Vec::with_capacity(19 + rows.len() * (2 + cols.len() * 16));
    buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
    buf.extend_from_slice(&0i32.to_be_bytes());
    buf.extend_from_slice(&0i32.to_be_bytes());
    for row in rows {
        if row.len() != cols.len() {
            return None;
        }
        buf.extend_from_slice(&ncols.to_be_bytes());
        for (c, v) in cols.iter().zip(row) {
            if !put_field(&mut buf, c.enc, v) {
                return None;
            }
        }
    }
    buf.extend_from_slice(&(-1i16).to_be_bytes());
    Some(buf)
}

/// A one-dimensional array in PostgreSQL's binary format, bound as a parameter of the
/// column's array type.
#[derive(Debug)]
struct PgArray {
    array_oid: u32,
    bytes: Vec<u8>,
}

impl PgArray {
    /// Column `col` of every row; `None` when a value cannot be encoded.
    fn column(c: &PgColumn, col: usize, rows: &[Vec<Value>]) -> Option<PgArray> {
        let n = i32::try_from(rows.len()).ok()?;
        let mut bytes = Vec::with_capacity(20 + rows.len() * 16);
        let has_null = rows.iter().any(|r| matches!(r.get(col), Some(Value::Null)));
        bytes.extend_from_slice(&1i32.to_be_bytes()); // dimensions
        bytes.extend_from_slice(&i32::from(has_null).to_be_bytes());
        bytes.extend_from_slice(&c.elem_oid.to_be_bytes());
        bytes.extend_from_slice(&n.to_be_bytes()); // length of the dimension
        bytes.extend_from_slice(&1i32.to_be_bytes()); // lower bound
        for r in rows {
            if !put_field(&mut bytes, c.enc, r.get(col)?) {
                return None;
            }
        }
        Some(PgArray {
            array_oid: c.array_oid,
            bytes,
        })
    }
}

impl sqlx::Type<sqlx::Postgres> for PgArray {
    fn type_info() -> PgTypeInfo {
        // Never used: `produces` gives each value's own array type.
        PgTypeInfo::with_name("text[]")
    }
}

impl sqlx::Encode<'_, sqlx::Postgres> for PgArray {
    fn encode_by_ref(
        &self,
        buf: &mut PgArgumentBuffer,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        buf.extend_from_slice(&self.bytes);
        Ok(sqlx::encode::IsNull::No)
    }

    fn produces(&self) -> Option<PgTypeInfo> {
        Some(PgTypeInfo::with_oid(Oid(self.array_oid)))
    }

    fn size_hint(&self) -> usize {
        self.bytes.len()
    }
}

/// What the bulk path knows about a plan's table.
#[derive(Debug, Clone, Default)]
enum State {
    /// Not looked up yet.
    #[default]
    Unknown,
    /// A column type the bulk path cannot encode, or a column the table lacks: the old
    /// path writes every batch (and reports what is wrong).
    Unusable,
    /// Ready.
    Ready {
        columns: Vec<PgColumn>,
        /// `COPY "t" ("a", ...) FROM STDIN (FORMAT binary)`.
        copy_sql: String,
        /// `INSERT INTO "t" ("a", ...) SELECT * FROM unnest($1, ...) ON CONFLICT ...`.
        upsert_sql: String,
    },
}

/// The PostgreSQL bulk path of one [`InsertPlan`](super::write::InsertPlan) (on other
/// databases it declines every batch).
#[derive(Debug, Clone, Default)]
pub(crate) struct PgBulk {
    state: State,
}

impl PgBulk {
    /// Writes `rows` (deduplicated by key for an upsert) in one statement: `COPY` for
    /// [`OnConflict::Error`], `unnest` and `tail` (the plan's `ON CONFLICT` clause) for
    /// [`OnConflict::Update`]. `Ok(None)` when the bulk path declines the batch (too
    /// small, a type it cannot encode) and nothing was sent.
    // In a build with PostgreSQL alone, `Conn::Postgres` is the only connection.
    #[allow(irrefutable_let_patterns)]
    pub(crate) async fn write(
        &mut self,
        db: &mut Db,
        table: &str,
        columns: &[Column],
        on_conflict: OnConflict,
        tail: &str,
        rows: &[Vec<Value>],
    ) -> Result<Option<usize>, DbError> {
        if rows.len() < MIN_BULK_ROWS || db.dialect() != super::Dialect::Postgres {
            return Ok(None);
        }
        if matches!(self.state, State::Unknown) {
            let names: Vec<&str> = columns.iter().map(|c| c.name).collect();
            self.state = lookup(db, table, &names, tail).await?;
        }
        let State::Ready {
            columns,
            copy_sql,
            upsert_sql,
        } = &self.state
        else {
            return Ok(None);
        };
        let limit = db.statement_timeout;
        let Conn::Postgres(conn) = &mut db.conn else {
            return Ok(None);
        };
        // What a timeout names: the statement the old path would have run.
        let context = format!("INSERT INTO {}", super::Dialect::Postgres.quote(table));
        match on_conflict {
            OnConflict::Error => {
                let Some(data) = copy_data(columns, rows) else {
                    return Ok(None);
                };
                guarded(&context, limit, async {
                    let mut copy = conn.copy_in_raw(copy_sql).await?;
                    if let Err(e) = copy.send(data).await {
                        // The server's own error, if it has one, says more than the
                        // broken send.
                        return Err(copy.abort(e.to_string()).await.err().unwrap_or(e));
                    }
                    copy.finish().await
                })
                .await?;
            }
            OnConflict::Update => {
                let mut arrays = Vec::with_capacity(columns.len());
                for (i, c) in columns.iter().enumerate() {
                    match PgArray::column(c, i, rows) {
                        Some(a) => arrays.push(a),
                        None => return Ok(None),
                    }
                }
                let mut q = sqlx::query(upsert_sql);
                for a in arrays {
                    q = q.bind(a);
                }
                guarded(&context, limit, q.execute(&mut *conn)).await?;
            }
        }
        Ok(Some(rows.len()))
    }
}

/// Reads the table's column types and builds the statements; [`State::Unusable`] when a
/// column is missing or of a type [`Enc`] does not cover.
async fn lookup(db: &mut Db, table: &str, names: &[&str], tail: &str) -> Result<State, DbError> {
    let q = |s: &str| super::Dialect::Postgres.quote(s);
    let sql = "SELECT a.attname::text, t.typname::text, t.typtype::text, t.oid::int8, \
               t.typarray::int8 \
               FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
               WHERE a.attrelid = (SELECT c.oid FROM pg_catalog.pg_class c \
               WHERE c.relname = $1 AND pg_catalog.pg_table_is_visible(c.oid)) \
               AND a.attnum > 0 AND NOT a.attisdropped";
    // `relname` and `pg_table_is_visible` (the table the search path finds first, as
    // for the INSERT), not `to_regclass`, whose argument type changed across versions.
    let rows = db
        .fetch_all(sql, vec![Value::Text(table.to_string())])
        .await?;
    let mut found = std::collections::HashMap::new();
    for r in rows {
        if let [Value::Text(name), Value::Text(typname), Value::Text(typtype), Value::Int(oid), Value::Int(array)] =
            &r[..]
        {
            found.insert(
                name.clone(),
                (typname.clone(), typtype.clone(), *oid, *array),
            );
        }
    }
    let mut columns = Vec::with_capacity(names.len());
    for name in names {
        let Some((typname, typtype, oid, array)) = found.get(*name) else {
            return Ok(State::Unusable);
        };
        let (Some(enc), Ok(elem_oid), Ok(array_oid)) = (
            Enc::of(typname, typtype),
            u32::try_from(*oid),
            u32::try_from(*array),
        ) else {
            tracing::debug!("{table}.{name} is of type {typname}: written without COPY");
            return Ok(State::Unusable);
        };
        if array_oid == 0 {
            return Ok(State::Unusable);
        }
        columns.push(PgColumn {
            enc,
            array_oid,
            elem_oid,
        });
    }
    let list = names.iter().map(|n| q(n)).collect::<Vec<_>>().join(", ");
    let params = (1..=names.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    Ok(State::Ready {
        columns,
        copy_sql: format!("COPY {} ({list}) FROM STDIN (FORMAT binary)", q(table)),
        upsert_sql: format!(
            "INSERT INTO {} ({list}) SELECT * FROM unnest({params}){tail}",
            q(table)
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_length_prefixed_big_endian() {
        let mut b = Vec::new();
        assert!(put_field(&mut b, Enc::Int8, &Value::Int(-2)));
        assert_eq!(b, [0, 0, 0, 8, 255, 255, 255, 255, 255, 255, 255, 254]);
        b.clear();
        assert!(put_field(&mut b, Enc::Text, &Value::Null));
        assert_eq!(b, [255, 255, 255, 255]);
        b.clear();
        assert!(put_field(
            &mut b,
            Enc::Jsonb,
            &Value::Json(serde_json::json!([1]))
        ));
        assert_eq!(b, [0, 0, 0, 4, 1, b'[', b'1', b']']);
    }

    #[test]
    fn values_of_another_kind_or_out_of_range_are_declined() {
        let mut b = Vec::new();
        assert!(!put_field(&mut b, Enc::Int4, &Value::Int(i64::MAX)));
        assert!(!put_field(&mut b, Enc::Int8, &Value::Text("1".into())));
        assert!(!put_field(&mut b, Enc::Bytea, &Value::Text("x".into())));
        assert_eq!(Enc::of("json", "b"), None);
        assert_eq!(Enc::of("numeric", "b"), None);
        assert_eq!(Enc::of("my_enum", "e"), Some(Enc::Text));
    }

    #[test]
    fn timestamps_count_microseconds_from_2000() {
        let d = chrono::DateTime::from_timestamp(PG_EPOCH_UNIX_SECS + 1, 5_000).unwrap();
        assert_eq!(pg_micros(&d), Some(1_000_005));
        let before = chrono::DateTime::from_timestamp(PG_EPOCH_UNIX_SECS - 1, 0).unwrap();
        assert_eq!(pg_micros(&before), Some(-1_000_000));
    }
}
