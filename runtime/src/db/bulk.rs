//! The bulk write paths of the server databases, behind one call of
//! [`InsertPlan::write`](super::write::InsertPlan::write): PostgreSQL's in [`copy`](super::copy),
//! MySQL's in [`bulk_mysql`](super::bulk_mysql). A path that declines a batch leaves it to
//! the multi-row `INSERT` (SQLite's path, and the fallback of the others).

use super::write::OnConflict;
use super::{Db, DbError, Dialect};
use crate::model::{Column, Value};

/// Per-plan state of the bulk paths (what each learnt about the table).
#[derive(Debug, Clone, Default)]
pub(crate) struct Bulk {
    pg: super::copy::PgBulk,
    mysql: super::bulk_mysql::MySqlBulk,
}

impl Bulk {
    /// Writes `rows` through the database's bulk path; `Ok(None)` when it declines the
    /// batch and nothing was sent. `head` and `tail` are the plan's multi-row `INSERT`
    /// around its `VALUES` (`tail`: the `ON CONFLICT`/`ON DUPLICATE KEY` clause).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn write(
        &mut self,
        db: &mut Db,
        table: &str,
        columns: &[Column],
        on_conflict: OnConflict,
        head: &str,
        tail: &str,
        rows: &[Vec<Value>],
    ) -> Result<Option<usize>, DbError> {
        match db.dialect() {
            Dialect::Postgres => {
                self.pg
                    .write(db, table, columns, on_conflict, tail, rows)
                    .await
            }
            Dialect::MySql => self.mysql.write(db, head, tail, rows).await,
            Dialect::Sqlite => Ok(None),
        }
    }
}
