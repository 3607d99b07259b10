//! The bulk write paths, behind one call of
//! [`InsertPlan::write`](super::write::InsertPlan::write): PostgreSQL's in
//! [`copy`](super::copy). A path that declines a batch leaves it to the multi-row
//! `INSERT` (SQLite's and MariaDB's path, and PostgreSQL's fallback).
//!
//! MariaDB has none on purpose: one text-protocol statement per batch with escaped
//! literals (issue 17) measured slower than the prepared multi-row `INSERT`, on the
//! client (escaping, hex for bytes) and more so on the server (parsing): 100k records,
//! server CPU 8.6 to 9.2 s against 6.4 to 7.6 s, client 1.9 to 2.1 s against 1.4 to 1.6 s.

use super::write::OnConflict;
use super::{Db, DbError, Dialect};
use crate::model::{Column, Value};

/// Per-plan state of the bulk paths (what each learnt about the table).
#[derive(Debug, Clone, Default)]
pub(crate) struct Bulk {
    pg: super::copy::PgBulk,
}

impl Bulk {
    /// Writes `rows` through the database's bulk path; `Ok(None)` when it declines the
    /// batch and nothing was sent. `tail` is the plan's `ON CONFLICT` clause.
    pub(crate) async fn write(
        &mut self,
        db: &mut Db,
        table: &str,
        columns: &[Column],
        on_conflict: OnConflict,
        tail: &str,
        rows: &[Vec<Value>],
    ) -> Result<Option<usize>, DbError> {
        match db.dialect() {
            Dialect::Postgres => {
                self.pg
                    .write(db, table, columns, on_conflict, tail, rows)
                    .await
            }
            Dialect::MySql | Dialect::Sqlite => Ok(None),
        }
    }
}
