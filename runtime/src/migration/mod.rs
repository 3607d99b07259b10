//! Migration scripts: versioned schema changes that DevLake's Go server runs for remote
//! plugins (and that the standalone executor runs itself).
//!
//! Scripts serialize into plugin-info's `migration_scripts` exactly as DevLake reads them:
//! `{"version":20230530000001,"name":"...","operations":[{"type":"create_table",...}]}`.

use crate::model::{Model, ModelInfo};
use serde::{Deserialize, Serialize};

/// A SQL dialect an `execute` operation is limited to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MigrationDialect {
    /// MySQL and MariaDB.
    Mysql,
    /// PostgreSQL.
    Postgres,
}

/// One operation of a script, tagged by `type` as DevLake expects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Operation {
    /// Raw SQL, optionally for one dialect only.
    Execute {
        /// The statement.
        sql: String,
        /// Limit to one dialect; `None` runs everywhere.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        dialect: Option<MigrationDialect>,
        /// Ignore a failure.
        ignore_error: bool,
    },
    /// Add a column if missing.
    AddColumn {
        /// Table.
        table: String,
        /// Column.
        column: String,
        /// Go `dal.ColumnType` (`varchar(255)`, `text`, `bigint`, `datetime`, ...).
        column_type: String,
    },
    /// Drop a column if present.
    DropColumn {
        /// Table.
        table: String,
        /// Column.
        column: String,
    },
    /// Drop a table if present.
    DropTable {
        /// Table.
        table: String,
    },
    /// Rename a column if present.
    RenameColumn {
        /// Table.
        table: String,
        /// Current name.
        old_name: String,
        /// New name.
        new_name: String,
    },
    /// Rename a table if present.
    RenameTable {
        /// Current name.
        old_name: String,
        /// New name.
        new_name: String,
    },
    /// Create a table from a model's info if missing.
    CreateTable {
        /// Table and schema.
        model_info: ModelInfo,
    },
}

/// A versioned migration script.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MigrationScript {
    /// Operations, in order.
    pub operations: Vec<Operation>,
    /// 14-digit `YYYYMMDDhhmmss` version.
    pub version: u64,
    /// Human-readable name.
    pub name: String,
}

/// Builds the operations of one script (pydevlake's `MigrationScriptBuilder`).
#[derive(Debug, Default)]
pub struct MigrationScriptBuilder {
    operations: Vec<Operation>,
}

impl MigrationScriptBuilder {
    /// A new, empty builder.
    pub fn new() -> Self {
        Self::default()
    }
    /// Runs SQL, optionally on one dialect only.
    pub fn execute(&mut self, sql: impl Into<String>, dialect: Option<MigrationDialect>) -> &mut Self {
        self.operations.push(Operation::Execute { sql: sql.into(), dialect, ignore_error: false });
        self
    }
    /// Creates the table of a (snapshot) model.
    pub fn create_table<M: Model>(&mut self) -> &mut Self {
        self.operations.push(Operation::CreateTable { model_info: crate::model::model_info::<M>() });
        self
    }
    /// The operations built so far.
    pub fn build(self) -> Vec<Operation> {
        self.operations
    }
}
