//! The "limit" baseline: the fastest way each database takes the same rows as the
//! framework and the plain baseline (same tables, same values, one transaction per
//! phase), so that "framework / limit" says how far the framework is from what the
//! database can do:
//!
//! - SQLite: one prepared single-row `INSERT` reused for every row inside one
//!   transaction, and reads as one prepared `SELECT` stepped to its end, through
//!   rusqlite (no worker thread, no per-row channel hop);
//! - PostgreSQL: `COPY ... FROM STDIN (FORMAT binary)` of buffers of up to
//!   [`PG_COPY_BYTES`], reads as the plain baseline (id-keyed pages of 1,000);
//! - MariaDB/MySQL: one literal multi-row `INSERT` as large as `max_allowed_packet`
//!   allows, reads as the plain baseline.
//!
//! The server databases run the plain baseline's phases with [`Write::Bulk`]; the
//! encoders they use are here.

use crate::plain::{
    convert_cells, extract_cells, insert_head, parse_sqlite_time, pipeline_id_prefix, raw_cells,
    raw_columns, sqlite_time, tool_select_sql, Cell, Names, PhaseTime, Write, BATCH,
};
use anyhow::{bail, Context as _, Result};
use chrono::Utc;
use devlake::db::{DbUrl, Dialect};
use devlake::domain::devops::CicdPipeline;
use devlake::model::{Column, Model};
use fakeplugin::models::FakePipeline;
use std::time::{Duration, Instant};

/// Bytes per PostgreSQL `COPY`: large enough that the statement's own cost vanishes,
/// small enough that memory stays flat.
pub const PG_COPY_BYTES: usize = 8 << 20;

/// Room left in a MySQL packet for the protocol's own bytes.
const MYSQL_PACKET_SLACK: usize = 1024;

/// MySQL's bulk writes: the largest `INSERT` its `max_allowed_packet` takes.
pub async fn mysql_write(conn: &mut sqlx::MySqlConnection) -> Result<Write> {
    use sqlx::Row as _;
    let row = sqlx::query("SELECT CAST(@@max_allowed_packet AS SIGNED)")
        .fetch_one(conn)
        .await
        .context("reading max_allowed_packet")?;
    let packet: i64 = row.try_get(0)?;
    Ok(Write::Bulk {
        bytes: (packet as usize).saturating_sub(MYSQL_PACKET_SLACK),
    })
}

// ---- MySQL: literal rows -------------------------------------------------------------

/// Appends `(v1, v2, ...)` with the values as SQL literals. Text without quotes,
/// backslashes or NULs is written quoted as is; anything else as a hex literal, which
/// means the same whatever `sql_mode` says about backslashes.
pub fn mysql_row(buf: &mut Vec<u8>, row: Vec<Cell>) {
    use std::io::Write as _;
    buf.push(b'(');
    for (i, cell) in row.into_iter().enumerate() {
        if i > 0 {
            buf.extend_from_slice(b", ");
        }
        match cell {
            Cell::Null(_) => buf.extend_from_slice(b"NULL"),
            Cell::Int(v) => {
                let _ = write!(buf, "{v}");
            }
            Cell::Float(v) => {
                let _ = write!(buf, "{v:?}");
            }
            Cell::Text(s) => mysql_bytes(buf, s.as_bytes()),
            Cell::Bytes(b) => mysql_bytes(buf, &b),
            // `datetime(3)` in UTC (the session's time zone is +00:00); the server drops
            // the digits beyond its precision, as it does for a bound value.
            Cell::Time(t) => {
                let _ = write!(buf, "'{}'", t.format("%Y-%m-%d %H:%M:%S%.6f"));
            }
        }
    }
    buf.push(b')');
}

fn mysql_bytes(buf: &mut Vec<u8>, b: &[u8]) {
    let plain = std::str::from_utf8(b).is_ok() && !b.iter().any(|c| matches!(c, b'\'' | b'\\' | 0));
    if plain {
        buf.push(b'\'');
        buf.extend_from_slice(b);
        buf.push(b'\'');
    } else {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        buf.extend_from_slice(b"X'");
        for c in b {
            buf.push(HEX[(c >> 4) as usize]);
            buf.push(HEX[(c & 15) as usize]);
        }
        buf.push(b'\'');
    }
}

// ---- PostgreSQL: binary COPY ---------------------------------------------------------

/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01 UTC).
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// The binary COPY header: signature, flags, no extension.
pub fn pg_copy_header(buf: &mut Vec<u8>) {
    buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
    buf.extend_from_slice(&0i32.to_be_bytes());
    buf.extend_from_slice(&0i32.to_be_bytes());
}

/// One tuple in binary COPY format: the field count, then each field's length (-1 for
/// NULL) and bytes in the column type's binary form (`bigint`, `double precision`,
/// `text`/`varchar`, `bytea`, `timestamptz`: the types the framework's DDL gives these
/// columns).
pub fn pg_copy_row(buf: &mut Vec<u8>, row: Vec<Cell>) -> Result<()> {
    let fields = i16::try_from(row.len()).context("too many columns for COPY")?;
    buf.extend_from_slice(&fields.to_be_bytes());
    for cell in row {
        let field = |buf: &mut Vec<u8>, b: &[u8]| -> Result<()> {
            let len = i32::try_from(b.len()).context("value too large for COPY")?;
            buf.extend_from_slice(&len.to_be_bytes());
            buf.extend_from_slice(b);
            Ok(())
        };
        match cell {
            Cell::Null(_) => buf.extend_from_slice(&(-1i32).to_be_bytes()),
            Cell::Int(v) => field(buf, &v.to_be_bytes())?,
            Cell::Float(v) => field(buf, &v.to_be_bytes())?,
            Cell::Text(s) => field(buf, s.as_bytes())?,
            Cell::Bytes(b) => field(buf, &b)?,
            Cell::Time(t) => field(buf, &(t.timestamp_micros() - PG_EPOCH_MICROS).to_be_bytes())?,
        }
    }
    Ok(())
}

/// The binary COPY trailer.
pub fn pg_copy_trailer(buf: &mut Vec<u8>) {
    buf.extend_from_slice(&(-1i16).to_be_bytes());
}

/// Sends one binary COPY buffer into `table`'s `columns`.
pub async fn pg_copy_send(
    conn: &mut sqlx::PgConnection,
    table: &str,
    columns: &[Column],
    buf: &[u8],
) -> Result<()> {
    let d = Dialect::Postgres;
    let names: Vec<String> = columns.iter().map(|c| d.quote(c.name)).collect();
    let sql = format!(
        "COPY {} ({}) FROM STDIN (FORMAT binary)",
        d.quote(table),
        names.join(", ")
    );
    let mut copy = conn.copy_in_raw(&sql).await?;
    copy.send(buf).await?;
    copy.finish().await?;
    Ok(())
}

// ---- SQLite: rusqlite ----------------------------------------------------------------

impl rusqlite::ToSql for Cell {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value};
        Ok(match self {
            Cell::Null(_) => ToSqlOutput::Owned(Value::Null),
            Cell::Int(v) => ToSqlOutput::from(*v),
            Cell::Float(v) => ToSqlOutput::from(*v),
            Cell::Text(s) => ToSqlOutput::from(s.as_str()),
            Cell::Bytes(b) => ToSqlOutput::from(b.as_slice()),
            Cell::Time(t) => ToSqlOutput::from(sqlite_time(t)),
        })
    }
}

/// The SQLite limit: rusqlite on the same file, with the framework's settings.
pub struct Sqlite {
    conn: rusqlite::Connection,
}

/// A phase's transaction, clock and single-row `INSERT`.
struct SqliteTx {
    started: Instant,
    write: Duration,
}

impl Sqlite {
    /// Opens the database file of `url` (WAL, synchronous NORMAL, as the framework).
    pub fn open(url: &DbUrl) -> Result<Sqlite> {
        let DbUrl::Sqlite { path: Some(path) } = url else {
            bail!("limit baseline: expected a SQLite file URL")
        };
        let conn = rusqlite::Connection::open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        conn.busy_timeout(Duration::from_secs(30))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        Ok(Sqlite { conn })
    }

    fn begin(&self) -> Result<SqliteTx> {
        let started = Instant::now();
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(SqliteTx {
            started,
            write: Duration::ZERO,
        })
    }

    fn commit(&self, tx: SqliteTx) -> Result<PhaseTime> {
        self.conn.execute_batch("COMMIT")?;
        Ok(PhaseTime {
            total: tx.started.elapsed(),
            write: tx.write,
        })
    }

    /// `INSERT INTO t (...) VALUES (?1, ...)`, prepared once per phase.
    fn insert(&self, table: &str, columns: &[Column]) -> Result<rusqlite::Statement<'_>> {
        let ph: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
        let sql = format!(
            "{}({})",
            insert_head(Dialect::Sqlite, table, columns),
            ph.join(", ")
        );
        Ok(self.conn.prepare(&sql)?)
    }

    /// Collect: `n` generated records into the raw table.
    pub fn collect(&self, names: &Names, n: u64) -> Result<PhaseTime> {
        let mut tx = self.begin()?;
        {
            let mut insert = self.insert(&names.raw_table, &raw_columns())?;
            for i in 0..n {
                let cells = raw_cells(names, i)?;
                let started = Instant::now();
                insert.execute(rusqlite::params_from_iter(cells.iter()))?;
                tx.write += started.elapsed();
            }
        }
        self.commit(tx)
    }

    /// Extract: raw rows into tool rows, read by one statement stepped to its end.
    pub fn extract(&self, names: &Names) -> Result<PhaseTime> {
        let columns = FakePipeline::descriptor().columns();
        let d = Dialect::Sqlite;
        let mut tx = self.begin()?;
        {
            let mut insert = self.insert(FakePipeline::descriptor().table, &columns)?;
            let mut select = self.conn.prepare(&format!(
                "SELECT {id}, {data} FROM {t} WHERE {params} = ?1 ORDER BY {id}",
                id = d.quote("id"),
                data = d.quote("data"),
                t = d.quote(&names.raw_table),
                params = d.quote("params"),
            ))?;
            let mut rows = select.query([&names.params])?;
            let (mut now, mut count) = (Utc::now(), 0usize);
            while let Some(row) = rows.next()? {
                // The framework's clock: one reading per page.
                if count % BATCH == 0 {
                    now = Utc::now();
                }
                count += 1;
                let id: i64 = row.get(0)?;
                let data = row.get_ref(1)?.as_bytes()?;
                let cells = extract_cells(&columns, names, id, data, now)?;
                let started = Instant::now();
                insert.execute(rusqlite::params_from_iter(cells.iter()))?;
                tx.write += started.elapsed();
            }
        }
        self.commit(tx)
    }

    /// Convert: tool rows into `cicd_pipelines` rows, read by one statement in key order.
    pub fn convert(&self, names: &Names) -> Result<PhaseTime> {
        let domain = CicdPipeline::descriptor();
        let columns = domain.columns();
        let d = Dialect::Sqlite;
        let id_prefix = pipeline_id_prefix(names);
        let mut tx = self.begin()?;
        {
            let mut insert = self.insert(domain.table, &columns)?;
            let mut select = self.conn.prepare(&format!(
                "{} ORDER BY {}",
                tool_select_sql(d),
                d.quote("id")
            ))?;
            let mut rows = select.query(rusqlite::params![names.connection_id, names.params])?;
            let (mut now, mut count) = (Utc::now(), 0usize);
            let time = |row: &rusqlite::Row, i| -> Result<_> {
                Ok(match row.get_ref(i)?.as_str_or_null()? {
                    Some(s) => Some(parse_sqlite_time(s)?),
                    None => None,
                })
            };
            while let Some(row) = rows.next()? {
                if count % BATCH == 0 {
                    now = Utc::now();
                }
                count += 1;
                let tool = crate::plain::ToolRow {
                    raw_params: row.get(0)?,
                    raw_table: row.get(1)?,
                    raw_id: row.get(2)?,
                    raw_remark: row.get(3)?,
                    id: row.get::<_, Option<String>>(4)?.unwrap_or_default(),
                    started: time(row, 5)?,
                    finished: time(row, 6)?,
                    state: row.get::<_, Option<String>>(7)?.unwrap_or_default(),
                };
                let cells = convert_cells(&columns, names, &id_prefix, &tool, now);
                let started = Instant::now();
                insert.execute(rusqlite::params_from_iter(cells.iter()))?;
                tx.write += started.elapsed();
            }
        }
        self.commit(tx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use devlake::model::ColumnType;

    #[test]
    fn mysql_literals_quote_plain_text_and_hex_the_rest() {
        let mut buf = Vec::new();
        mysql_row(
            &mut buf,
            vec![
                Cell::Int(-3),
                Cell::Float(2.0),
                Cell::Text("abc".into()),
                Cell::Text("it's".into()),
                Cell::Bytes(vec![0xff, 0]),
                Cell::Null(ColumnType::String),
                Cell::Time(Utc.with_ymd_and_hms(2023, 1, 10, 11, 0, 0).unwrap()),
            ],
        );
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "(-3, 2.0, 'abc', X'69742773', X'FF00', NULL, '2023-01-10 11:00:00.000000')"
        );
    }

    #[test]
    fn pg_binary_tuple_layout() {
        let mut buf = Vec::new();
        pg_copy_row(
            &mut buf,
            vec![
                Cell::Int(1),
                Cell::Null(ColumnType::String),
                Cell::Text("ab".into()),
                Cell::Time(Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 1).unwrap()),
            ],
        )
        .unwrap();
        let mut want = vec![0, 4];
        want.extend([0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1]);
        want.extend([0xff, 0xff, 0xff, 0xff]);
        want.extend([0, 0, 0, 2, b'a', b'b']);
        want.extend([0, 0, 0, 8]);
        want.extend(1_000_000i64.to_be_bytes());
        assert_eq!(buf, want);
    }
}
