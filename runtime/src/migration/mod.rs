//! Migration scripts: versioned schema changes that DevLake's Go server runs for remote
//! plugins (and that [`apply`] runs itself in standalone mode).
//!
//! Scripts serialize into plugin-info's `migration_scripts` exactly as DevLake reads them:
//! `{"version":20230530000001,"name":"...","operations":[{"type":"create_table",...}]}`.
//!
//! # Declaring migrations
//!
//! A migration is a [`Migration`] constant: a 14-digit `YYYYMMDDhhmmss` version, a name and
//! a function that records operations on a [`MigrationScriptBuilder`] (pydevlake's
//! `@migration(version, name)` decorator). [`Migration::new`] is a `const fn`, so a
//! malformed version or an empty name fails the build. Tables are created from
//! **snapshot** models: copies of the models as they were when the migration was written,
//! which never change afterwards (`cargo devlake migration add` writes them for you).
//!
//! ```
//! use devlake::migration::{Migration, MigrationDialect, MigrationScriptBuilder};
//!
//! mod snapshot {
//!     /// The connection as it was on 2024-05-01.
//!     #[derive(devlake::Model)]
//!     #[devlake(connection, table = "_tool_myplugin_myconnections")]
//!     pub struct MyConnection {
//!         pub token: devlake::Secret,
//!     }
//! }
//!
//! pub const INIT: Migration = Migration::new(20240501000001, "init schemas", |b| {
//!     b.create_table::<snapshot::MyConnection>();
//! });
//!
//! pub const ADD_ORG: Migration = Migration::new(20240601120000, "add organization", add_org);
//!
//! fn add_org(b: &mut MigrationScriptBuilder) {
//!     b.add_column("_tool_myplugin_myconnections", "organization", "varchar(255)")
//!         .execute("UPDATE _tool_myplugin_myconnections SET organization = 'none'", None)
//!         .execute_ignoring_errors("ANALYZE TABLE _tool_myplugin_myconnections", Some(MigrationDialect::Mysql));
//! }
//!
//! /// What `Plugin::migrations` returns: every script, in version order.
//! pub fn scripts() -> Vec<devlake::migration::MigrationScript> {
//!     devlake::migrations![INIT, ADD_ORG]
//! }
//!
//! let scripts = scripts();
//! assert_eq!(scripts[1].version, 20240601120000);
//! assert!(devlake::migration::check(&scripts).is_ok());
//! ```
//!
//! A bad version does not compile:
//!
//! ```compile_fail
//! use devlake::migration::Migration;
//! pub const BAD: Migration = Migration::new(20241301000000, "month 13", |_| {});
//! ```
//!
//! # Running them
//!
//! DevLake's Go server runs the scripts it reads from plugin-info. Standalone runs use
//! [`apply`], which follows the Go server's "only if needed" semantics and records applied
//! scripts in DevLake's own `_devlake_migration_history` table, so a database migrated by
//! one is up to date for the other.

mod exec;
mod inspect;
mod types;
mod version;

pub use exec::{
    apply, ApplyReport, MigrationError, OperationReport, Outcome, ScriptFailure, ScriptReport,
    HISTORY_TABLE,
};
pub use inspect::{model_columns_match, schema_differences};
pub use types::{
    column_name, column_type_of, dialect_sql_type, table_columns, TableColumn, BASE_COLUMNS,
};
pub use version::{assert_versions_increase, check, check_version, VersionError};

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

impl Operation {
    /// A one-line description for reports and error messages: the operation and the names
    /// it touches, never the full SQL of an `execute` (only its first words).
    pub fn summary(&self) -> String {
        match self {
            Operation::Execute {
                sql,
                dialect,
                ignore_error,
            } => {
                let words: Vec<&str> = sql.split_whitespace().take(4).collect();
                let mut s = words.join(" ");
                if sql.split_whitespace().count() > 4 {
                    s.push_str(" ...");
                }
                let on = match dialect {
                    Some(MigrationDialect::Mysql) => " on mysql",
                    Some(MigrationDialect::Postgres) => " on postgres",
                    None => "",
                };
                let ignoring = if *ignore_error {
                    ", errors ignored"
                } else {
                    ""
                };
                format!("execute{on} `{s}`{ignoring}")
            }
            Operation::AddColumn {
                table,
                column,
                column_type,
            } => {
                format!("add_column {table}.{column} {column_type}")
            }
            Operation::DropColumn { table, column } => format!("drop_column {table}.{column}"),
            Operation::DropTable { table } => format!("drop_table {table}"),
            Operation::RenameColumn {
                table,
                old_name,
                new_name,
            } => {
                format!("rename_column {table}.{old_name} -> {new_name}")
            }
            Operation::RenameTable { old_name, new_name } => {
                format!("rename_table {old_name} -> {new_name}")
            }
            Operation::CreateTable { model_info } => {
                format!("create_table {}", model_info.table_name)
            }
        }
    }
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

/// Builds the operations of one script (pydevlake's `MigrationScriptBuilder`). Every
/// method returns the builder, so calls chain.
#[derive(Debug, Default)]
pub struct MigrationScriptBuilder {
    operations: Vec<Operation>,
}

impl MigrationScriptBuilder {
    /// A new, empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    fn push(&mut self, op: Operation) -> &mut Self {
        self.operations.push(op);
        self
    }

    /// Runs SQL, on one dialect only when `dialect` is set (SQLite runs only statements
    /// without a dialect). A failure fails the script.
    pub fn execute(
        &mut self,
        sql: impl Into<String>,
        dialect: Option<MigrationDialect>,
    ) -> &mut Self {
        self.execute_with(sql, dialect, false)
    }

    /// Runs SQL like [`execute`](Self::execute), but a failure is ignored (DevLake's
    /// `ignore_error`), e.g. dropping an index that may not exist.
    pub fn execute_ignoring_errors(
        &mut self,
        sql: impl Into<String>,
        dialect: Option<MigrationDialect>,
    ) -> &mut Self {
        self.execute_with(sql, dialect, true)
    }

    /// Runs SQL with every option of DevLake's `execute` operation spelled out.
    pub fn execute_with(
        &mut self,
        sql: impl Into<String>,
        dialect: Option<MigrationDialect>,
        ignore_error: bool,
    ) -> &mut Self {
        self.push(Operation::Execute {
            sql: sql.into(),
            dialect,
            ignore_error,
        })
    }

    /// Adds a column unless the table has it. `column_type` is a Go `dal.ColumnType`
    /// string that DevLake's server runs as is on MySQL and PostgreSQL, so prefer types
    /// valid on both: `varchar(255)`, `text`, `bigint`, `double precision`, `bool`,
    /// `timestamp`, `json` (`datetime` works in standalone runs but not on a PostgreSQL
    /// DevLake).
    pub fn add_column(
        &mut self,
        table: impl Into<String>,
        column: impl Into<String>,
        column_type: impl Into<String>,
    ) -> &mut Self {
        self.push(Operation::AddColumn {
            table: table.into(),
            column: column.into(),
            column_type: column_type.into(),
        })
    }

    /// Drops a column if the table has it.
    pub fn drop_column(
        &mut self,
        table: impl Into<String>,
        column: impl Into<String>,
    ) -> &mut Self {
        self.push(Operation::DropColumn {
            table: table.into(),
            column: column.into(),
        })
    }

    /// Renames a column if the table has `old_name` (a column already called `new_name`
    /// is dropped first, as DevLake does).
    pub fn rename_column(
        &mut self,
        table: impl Into<String>,
        old_name: impl Into<String>,
        new_name: impl Into<String>,
    ) -> &mut Self {
        self.push(Operation::RenameColumn {
            table: table.into(),
            old_name: old_name.into(),
            new_name: new_name.into(),
        })
    }

    /// Drops a table if it exists.
    pub fn drop_table(&mut self, table: impl Into<String>) -> &mut Self {
        self.push(Operation::DropTable {
            table: table.into(),
        })
    }

    /// Renames a table if it exists.
    pub fn rename_table(
        &mut self,
        old_name: impl Into<String>,
        new_name: impl Into<String>,
    ) -> &mut Self {
        self.push(Operation::RenameTable {
            old_name: old_name.into(),
            new_name: new_name.into(),
        })
    }

    /// Creates the table of a (snapshot) model unless it exists.
    pub fn create_table<M: Model>(&mut self) -> &mut Self {
        self.create_table_from(crate::model::model_info::<M>())
    }

    /// Creates the tables of several (snapshot) models, in order:
    /// `b.create_tables::<(Connection, Project, Pipeline)>()`.
    pub fn create_tables<S: ModelSet>(&mut self) -> &mut Self {
        for info in S::model_infos() {
            self.create_table_from(info);
        }
        self
    }

    /// Creates a table from a model info (a table name and a JSON schema), for tables
    /// described without a Rust model.
    pub fn create_table_from(&mut self, model_info: ModelInfo) -> &mut Self {
        self.push(Operation::CreateTable { model_info })
    }

    /// The operations recorded so far.
    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// The operations built so far.
    pub fn build(self) -> Vec<Operation> {
        self.operations
    }
}

/// A tuple of models, for [`MigrationScriptBuilder::create_tables`].
pub trait ModelSet {
    /// The model infos, in tuple order.
    fn model_infos() -> Vec<ModelInfo>;
}

macro_rules! model_set {
    ($($m:ident),+) => {
        impl<$($m: Model),+> ModelSet for ($($m,)+) {
            fn model_infos() -> Vec<ModelInfo> {
                vec![$(crate::model::model_info::<$m>()),+]
            }
        }
    };
}
model_set!(A);
model_set!(A, B);
model_set!(A, B, C);
model_set!(A, B, C, D);
model_set!(A, B, C, D, E);
model_set!(A, B, C, D, E, F);
model_set!(A, B, C, D, E, F, G);
model_set!(A, B, C, D, E, F, G, H);
model_set!(A, B, C, D, E, F, G, H, I);
model_set!(A, B, C, D, E, F, G, H, I, J);
model_set!(A, B, C, D, E, F, G, H, I, J, K);
model_set!(A, B, C, D, E, F, G, H, I, J, K, L);

/// One migration: version, name and the function that records its operations. Declare it
/// as a `const` so [`Migration::new`] checks it at compile time; list the constants in
/// [`migrations!`](crate::migrations).
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// 14-digit `YYYYMMDDhhmmss` version.
    pub version: u64,
    /// Name, as DevLake's migration history shows it.
    pub name: &'static str,
    /// Records the operations.
    pub up: fn(&mut MigrationScriptBuilder),
}

impl Migration {
    /// A migration. Panics, which in a `const` is a compile error, when the version is not
    /// a 14-digit `YYYYMMDDhhmmss` timestamp with a real date and time, or the name is empty.
    pub const fn new(
        version: u64,
        name: &'static str,
        up: fn(&mut MigrationScriptBuilder),
    ) -> Self {
        match check_version(version) {
            Ok(()) => {}
            Err(VersionError::Digits) => {
                panic!("migration version must have 14 digits: YYYYMMDDhhmmss")
            }
            Err(VersionError::Month) => {
                panic!("migration version YYYYMMDDhhmmss: the month is not 01-12")
            }
            Err(VersionError::Day) => {
                panic!("migration version YYYYMMDDhhmmss: the day does not exist in that month")
            }
            Err(VersionError::Time) => {
                panic!("migration version YYYYMMDDhhmmss: the time is not a valid hh:mm:ss")
            }
        }
        if name.is_empty() {
            panic!("migration name must not be empty");
        }
        Migration { version, name, up }
    }

    /// Runs `up` on a new builder: the script as plugin-info carries it.
    pub fn script(&self) -> MigrationScript {
        let mut b = MigrationScriptBuilder::new();
        (self.up)(&mut b);
        MigrationScript {
            operations: b.build(),
            version: self.version,
            name: self.name.to_string(),
        }
    }
}

/// The scripts of a list of [`Migration`] constants, in the order given; fails to compile
/// unless their versions strictly increase.
///
/// ```
/// use devlake::migration::Migration;
/// const A: Migration = Migration::new(20240101000000, "a", |_| {});
/// const B: Migration = Migration::new(20240102000000, "b", |_| {});
/// let scripts = devlake::migrations![A, B];
/// assert_eq!(scripts.len(), 2);
/// ```
///
/// ```compile_fail
/// use devlake::migration::Migration;
/// const A: Migration = Migration::new(20240101000000, "a", |_| {});
/// const B: Migration = Migration::new(20240102000000, "b", |_| {});
/// let scripts = devlake::migrations![B, A];
/// ```
#[macro_export]
macro_rules! migrations {
    ($($m:path),* $(,)?) => {{
        const _: () = $crate::migration::assert_versions_increase(&[$($m.version),*]);
        ::std::vec![$($m.script()),*]
    }};
}
