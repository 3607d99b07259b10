//! MySQL/MariaDB bulk writes: one text-protocol multi-row `INSERT` per batch, its values
//! written as escaped literals, as large as the server's `max_allowed_packet` allows.
//!
//! The prepared multi-row `INSERT` of the old path is capped by the 65,535 placeholders
//! of the binary protocol and makes the server bind every parameter; a text statement has
//! no cap but the packet size and is parsed in one pass. Literals follow the server's
//! rules for the session's `sql_mode`: with `NO_BACKSLASH_ESCAPES` only the quote is
//! doubled, otherwise backslash escapes are used (see [`escape_str`]). Bytes go as hex
//! literals, which need no escaping at all. A value the old path would have bound
//! differently (a float that is not finite, a year outside 0..9999) makes the batch go
//! the old way, before anything is sent.

use super::{guarded, Conn, Db, DbError};
use crate::model::Value;
use std::fmt::Write as _;

/// Batches smaller than this go the old way (the one-time session query is not worth
/// it for a handful of rows).
pub(crate) const MIN_BULK_ROWS: usize = 64;

/// Room left in a packet for the protocol's own bytes.
const PACKET_SLACK: usize = 1024;

/// What a plan learnt about its session.
#[derive(Debug, Clone, Default)]
enum State {
    /// Not asked yet.
    #[default]
    Unknown,
    /// A character set in which escaping by bytes is not safe (multi-byte sets whose
    /// second bytes can be `\` or `'`): the old path writes every batch.
    Unusable,
    /// Ready.
    Ready {
        /// `NO_BACKSLASH_ESCAPES` is in the session's `sql_mode`.
        no_backslash_escapes: bool,
        /// The largest statement the server takes.
        max_packet: usize,
    },
}

/// The MySQL bulk path of one [`InsertPlan`](super::write::InsertPlan).
#[derive(Debug, Clone, Default)]
pub(crate) struct MySqlBulk {
    state: State,
}

impl MySqlBulk {
    /// Writes `rows` as `head` (`INSERT INTO t (...) VALUES `), the rows' literals and
    /// `tail` (the plan's `ON DUPLICATE KEY UPDATE`), in as few statements as the packet
    /// size allows (one for any ordinary batch); `Ok(None)` when the bulk path declines
    /// the batch and nothing was sent.
    pub(crate) async fn write(
        &mut self,
        db: &mut Db,
        head: &str,
        tail: &str,
        rows: &[Vec<Value>],
    ) -> Result<Option<usize>, DbError> {
        if rows.len() < MIN_BULK_ROWS || db.dialect() != super::Dialect::MySql {
            return Ok(None);
        }
        if matches!(self.state, State::Unknown) {
            self.state = lookup(db).await?;
        }
        let State::Ready {
            no_backslash_escapes,
            max_packet,
        } = self.state
        else {
            return Ok(None);
        };
        let Some(statements) = statements(head, tail, rows, no_backslash_escapes, max_packet)
        else {
            return Ok(None);
        };
        let limit = db.statement_timeout;
        let Conn::MySql(conn) = &mut db.conn else {
            return Ok(None);
        };
        for sql in &statements {
            use sqlx::Executor as _;
            guarded(sql, limit, conn.execute(sql.as_str())).await?;
        }
        Ok(Some(rows.len()))
    }
}

/// Reads the session's `sql_mode`, packet size and client character set.
async fn lookup(db: &mut Db) -> Result<State, DbError> {
    let rows = db
        .fetch_all(
            "SELECT @@SESSION.sql_mode, @@SESSION.max_allowed_packet, \
             @@SESSION.character_set_client",
            vec![],
        )
        .await?;
    let text = |v: Option<&Value>| match v {
        Some(Value::Text(s)) => s.to_ascii_lowercase(),
        Some(Value::Bytes(b)) => String::from_utf8_lossy(b).to_ascii_lowercase(),
        _ => String::new(),
    };
    let Some(row) = rows.first() else {
        return Ok(State::Unusable);
    };
    let mode = text(row.first());
    let max_packet = match row.get(1) {
        Some(Value::Int(n)) => usize::try_from(*n).unwrap_or(0),
        _ => 0,
    };
    // UTF-8 and single-byte sets: no multi-byte character contains a `\` or `'` byte.
    let charset = text(row.get(2));
    if max_packet <= PACKET_SLACK
        || !matches!(
            charset.as_str(),
            "utf8mb4" | "utf8mb3" | "utf8" | "latin1" | "ascii" | "binary"
        )
    {
        tracing::debug!("character set {charset}: bulk writes use prepared statements");
        return Ok(State::Unusable);
    }
    Ok(State::Ready {
        no_backslash_escapes: mode.split(',').any(|m| m == "no_backslash_escapes"),
        max_packet,
    })
}

/// The statements for `rows`, each under `max_packet` bytes; `None` when a value cannot
/// be written as a literal equal to what the old path binds, or a single row does not
/// fit in a packet.
fn statements(
    head: &str,
    tail: &str,
    rows: &[Vec<Value>],
    no_backslash_escapes: bool,
    max_packet: usize,
) -> Option<Vec<String>> {
    let budget = max_packet.saturating_sub(PACKET_SLACK + head.len() + tail.len());
    let mut out = Vec::new();
    let mut values = String::new();
    let mut row_sql = String::new();
    for row in rows {
        row_sql.clear();
        row_sql.push('(');
        for (i, v) in row.iter().enumerate() {
            if i > 0 {
                row_sql.push_str(", ");
            }
            if !push_literal(&mut row_sql, v, no_backslash_escapes) {
                return None;
            }
        }
        row_sql.push(')');
        if row_sql.len() + 2 > budget {
            return None;
        }
        if !values.is_empty() && values.len() + 2 + row_sql.len() > budget {
            out.push(format!("{head}{values}{tail}"));
            values.clear();
        }
        if !values.is_empty() {
            values.push_str(", ");
        }
        values.push_str(&row_sql);
    }
    if !values.is_empty() {
        out.push(format!("{head}{values}{tail}"));
    }
    Some(out)
}

/// Appends `v` as a literal; `false` when it has none equal to the old path's binding.
fn push_literal(out: &mut String, v: &Value, no_backslash_escapes: bool) -> bool {
    match v {
        Value::Null => out.push_str("NULL"),
        Value::Bool(b) => out.push_str(if *b { "1" } else { "0" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        // Exponent form: MySQL reads it as a DOUBLE (a plain `0.1` would be a DECIMAL),
        // and Rust prints the shortest text that reads back as the same bits.
        Value::Float(f) if f.is_finite() => {
            let _ = write!(out, "{f:e}");
        }
        Value::Float(_) => return false,
        Value::Text(s) => escape_str(out, s, no_backslash_escapes),
        Value::Json(j) => escape_str(out, &j.to_string(), no_backslash_escapes),
        Value::Bytes(b) => {
            if b.is_empty() {
                // `X''` is an empty binary string.
                out.push_str("X''");
            } else {
                out.push_str("X'");
                for byte in b {
                    let _ = write!(out, "{byte:02X}");
                }
                out.push('\'');
            }
        }
        // What the old path binds: the naive UTC time (the session's zone is UTC), as a
        // DATETIME with microseconds.
        Value::DateTime(d) => {
            use chrono::{Datelike, Timelike};
            let n = d.naive_utc();
            if !(0..=9999).contains(&n.year()) {
                return false;
            }
            let _ = write!(
                out,
                "'{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}'",
                n.year(),
                n.month(),
                n.day(),
                n.hour(),
                n.minute(),
                n.second(),
                n.nanosecond() / 1000 % 1_000_000
            );
        }
    }
    true
}

/// Appends `s` as a quoted string literal. With backslash escapes on (MySQL's default),
/// `\` and `'` are escaped with a backslash, as are the characters
/// `mysql_real_escape_string` escapes (NUL, newline, carriage return, Ctrl-Z); with
/// `NO_BACKSLASH_ESCAPES` a backslash is an ordinary character and only `'` is doubled.
pub(crate) fn escape_str(out: &mut String, s: &str, no_backslash_escapes: bool) {
    out.reserve(s.len() + 2);
    out.push('\'');
    if no_backslash_escapes {
        for c in s.chars() {
            if c == '\'' {
                out.push_str("''");
            } else {
                out.push(c);
            }
        }
    } else {
        for c in s.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\'' => out.push_str("\\'"),
                '\0' => out.push_str("\\0"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\u{1a}' => out.push_str("\\Z"),
                c => out.push(c),
            }
        }
    }
    out.push('\'');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str, nbe: bool) -> String {
        let mut out = String::new();
        escape_str(&mut out, s, nbe);
        out
    }

    #[test]
    fn strings_are_escaped_for_the_sql_mode() {
        assert_eq!(esc("it's", false), "'it\\'s'");
        assert_eq!(esc("a\\b", false), "'a\\\\b'");
        assert_eq!(esc("\0\n\r\u{1a}", false), "'\\0\\n\\r\\Z'");
        assert_eq!(esc("é\"x\"", false), "'é\"x\"'");
        assert_eq!(esc("it's", true), "'it''s'");
        assert_eq!(esc("a\\b\n", true), "'a\\b\n'");
        assert_eq!(esc("\\'", true), "'\\'''");
    }

    #[test]
    fn literals_keep_every_bit() {
        let lit = |v: Value| {
            let mut out = String::new();
            assert!(push_literal(&mut out, &v, false), "{v:?}");
            out
        };
        assert_eq!(lit(Value::Int(i64::MIN)), "-9223372036854775808");
        assert_eq!(lit(Value::Float(0.1)), "1e-1");
        assert_eq!(lit(Value::Float(-0.0)), "-0e0");
        assert_eq!(lit(Value::Float(1e308)), "1e308");
        assert_eq!(lit(Value::Bytes(vec![0, 0xab])), "X'00AB'");
        assert_eq!(lit(Value::Bytes(vec![])), "X''");
        let d = chrono::DateTime::from_timestamp(1, 5_000).unwrap();
        assert_eq!(lit(Value::DateTime(d)), "'1970-01-01 00:00:01.000005'");
        assert!(!push_literal(
            &mut String::new(),
            &Value::Float(f64::NAN),
            false
        ));
    }

    #[test]
    fn statements_split_at_the_packet_size() {
        let rows: Vec<Vec<Value>> = (0..100).map(|i| vec![Value::Int(i)]).collect();
        let one = statements("INSERT INTO t (a) VALUES ", "", &rows, false, 1 << 20).unwrap();
        assert_eq!(one.len(), 1);
        assert!(one[0].ends_with("(98), (99)"));
        let many = statements("INSERT INTO t (a) VALUES ", "", &rows, false, 1100).unwrap();
        assert!(many.len() > 1);
        let joined: usize = many.iter().map(|s| s.matches('(').count() - 1).sum();
        assert_eq!(joined, 100);
        assert!(many.iter().all(|s| s.len() <= 1100));
    }
}
