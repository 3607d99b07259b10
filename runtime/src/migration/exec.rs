//! The standalone executor: runs pending scripts the way DevLake's Go server does.

use super::types::{ddl_field, dialect_sql_type, table_columns};
use super::{check, MigrationDialect, MigrationScript, Operation};
use crate::db::{ddl, Db, DbError, Dialect};
use crate::model::{ColumnType, Field, Value};
use std::collections::HashSet;
use std::fmt;

/// DevLake's own migration history table. Sharing it means a database the Go server
/// migrated is up to date for a standalone run, and the other way round.
pub const HISTORY_TABLE: &str = "_devlake_migration_history";

/// The columns of [`HISTORY_TABLE`] as DevLake's `migration.MigrationHistory` declares
/// them: a script is applied when its version and name are recorded; `comment` holds the
/// plugin name.
const HISTORY_COLUMNS: [Field; 4] = [
    Field {
        nullable: true,
        ..Field::new("created_at", "createdAt", ColumnType::DateTime)
    },
    Field {
        primary_key: true,
        ..Field::new("script_version", "scriptVersion", ColumnType::Integer)
    },
    Field {
        primary_key: true,
        max_length: Some(255),
        ..Field::new("script_name", "scriptName", ColumnType::String)
    },
    Field {
        nullable: true,
        ..Field::new("comment", "comment", ColumnType::String)
    },
];

/// What [`apply`] did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApplyReport {
    /// Scripts applied by this run, in order.
    pub applied: Vec<ScriptReport>,
    /// Versions found in the history and left alone.
    pub already_applied: Vec<u64>,
}

impl ApplyReport {
    /// Whether nothing was pending.
    pub fn is_noop(&self) -> bool {
        self.applied.is_empty()
    }
}

/// One applied script.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptReport {
    /// Version.
    pub version: u64,
    /// Name.
    pub name: String,
    /// Each operation and what became of it, in order.
    pub operations: Vec<OperationReport>,
}

/// One operation of an applied script.
#[derive(Debug, Clone, PartialEq)]
pub struct OperationReport {
    /// [`Operation::summary`].
    pub operation: String,
    /// What happened.
    pub outcome: Outcome,
}

/// What became of one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It changed the database.
    Ran,
    /// Not needed ("column exists", "for postgres only", ...).
    Skipped(String),
    /// An `execute` with `ignore_error` failed; the message says how.
    ErrorIgnored(String),
}

/// Why migrations could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    /// The scripts fail [`check`]; nothing was run.
    #[error("migrations of plugin {plugin} are invalid, nothing was applied: {}", problems.join("; "))]
    Invalid {
        /// Plugin name.
        plugin: String,
        /// Every problem, one line each.
        problems: Vec<String>,
    },
    /// The history table could not be created or read; nothing was run.
    #[error("migration history {HISTORY_TABLE} for plugin {plugin}: {source}")]
    History {
        /// Plugin name.
        plugin: String,
        /// The database error.
        #[source]
        source: DbError,
    },
    /// A script failed; see [`ScriptFailure`] for what was and was not applied.
    #[error("{0}")]
    Script(Box<ScriptFailure>),
}

/// A failed script: where it failed and what of it (and of the run) was applied.
#[derive(Debug, Clone)]
pub struct ScriptFailure {
    /// Plugin name.
    pub plugin: String,
    /// Version of the failed script.
    pub version: u64,
    /// Name of the failed script.
    pub name: String,
    /// 1-based number of the failed operation; `operation_count + 1` when recording the
    /// script in the history failed.
    pub operation_number: usize,
    /// Operations in the script.
    pub operation_count: usize,
    /// The failed operation ([`Operation::summary`]).
    pub operation: String,
    /// The database's message.
    pub cause: String,
    /// Whether the script ran in a transaction that was rolled back, so nothing of it
    /// remains (SQLite, PostgreSQL). MySQL cannot roll back schema changes.
    pub rolled_back: bool,
    /// Operations of the failed script that changed the database and stay changed (empty
    /// after a rollback).
    pub ran: Vec<String>,
    /// Versions this run applied before the failure.
    pub applied: Vec<u64>,
    /// Versions left pending: the failed script and every later one.
    pub pending: Vec<u64>,
}

fn versions(v: &[u64]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
    }
}

impl fmt::Display for ScriptFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "plugin {}: migration {} {:?} failed at operation {} of {} ({}): {}; ",
            self.plugin,
            self.version,
            self.name,
            self.operation_number,
            self.operation_count,
            self.operation,
            self.cause
        )?;
        if self.rolled_back {
            f.write_str("its transaction was rolled back, nothing of it remains; ")?;
        } else if self.ran.is_empty() {
            f.write_str("none of its operations changed the database; ")?;
        } else {
            write!(
                f,
                "MySQL cannot roll back schema changes: these operations of it ran and stay: {}; ",
                self.ran.join(", ")
            )?;
        }
        write!(
            f,
            "applied by this run: {}; not applied: {}",
            versions(&self.applied),
            versions(&self.pending)
        )
    }
}

/// Applies the pending scripts of a plugin, in version order: those whose version and name
/// are not in [`HISTORY_TABLE`]. Operations follow the Go server's "only if needed"
/// semantics (create a missing table, add a missing column, drop or rename only what
/// exists); `execute` runs statements without a dialect everywhere and the others only on
/// their dialect (never on SQLite). Each script runs in its own transaction on SQLite and
/// PostgreSQL; on MySQL, whose schema changes commit at once, a failure reports exactly
/// which operations ran. Running it again is a no-op.
///
/// The scripts are [`check`]ed first: invalid ones are refused before anything runs.
pub async fn apply(
    db: &mut Db,
    plugin_name: &str,
    scripts: &[MigrationScript],
) -> Result<ApplyReport, MigrationError> {
    check(scripts).map_err(|problems| MigrationError::Invalid {
        plugin: plugin_name.to_string(),
        problems,
    })?;
    let history_err = |source| MigrationError::History {
        plugin: plugin_name.to_string(),
        source,
    };
    ddl::ensure_table(db, HISTORY_TABLE, &HISTORY_COLUMNS)
        .await
        .map_err(history_err)?;
    let done = recorded(db).await.map_err(history_err)?;

    let mut report = ApplyReport::default();
    let mut pending: Vec<&MigrationScript> = Vec::new();
    for s in scripts {
        if done.contains(&(s.version, s.name.clone())) {
            report.already_applied.push(s.version);
        } else {
            pending.push(s);
        }
    }
    pending.sort_by_key(|s| s.version);
    for (i, script) in pending.iter().enumerate() {
        tracing::info!(plugin = plugin_name, version = script.version, name = %script.name, "applying migration");
        match run_script(db, plugin_name, script).await {
            Ok(applied) => report.applied.push(applied),
            Err(mut failure) => {
                failure.applied = report.applied.iter().map(|s| s.version).collect();
                failure.pending = pending[i..].iter().map(|s| s.version).collect();
                return Err(MigrationError::Script(failure));
            }
        }
    }
    Ok(report)
}

async fn recorded(db: &mut Db) -> Result<HashSet<(u64, String)>, DbError> {
    let sql = format!(
        "SELECT {}, {} FROM {}",
        db.quote("script_version"),
        db.quote("script_name"),
        db.quote(HISTORY_TABLE)
    );
    let rows = db.fetch_all(&sql, vec![]).await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let mut it = row.into_iter();
            let version = match it.next()? {
                Value::Int(v) => u64::try_from(v).ok()?,
                _ => return None,
            };
            let name = match it.next()? {
                Value::Text(s) => s,
                Value::Bytes(b) => String::from_utf8(b).ok()?,
                _ => return None,
            };
            Some((version, name))
        })
        .collect())
}

async fn run_script(
    db: &mut Db,
    plugin: &str,
    script: &MigrationScript,
) -> Result<ScriptReport, Box<ScriptFailure>> {
    let transactional = db.dialect() != Dialect::MySql;
    let count = script.operations.len();
    let fail =
        |number: usize, operation: String, cause: String, rolled_back: bool, ran: Vec<String>| {
            Box::new(ScriptFailure {
                plugin: plugin.to_string(),
                version: script.version,
                name: script.name.clone(),
                operation_number: number,
                operation_count: count,
                operation,
                cause,
                rolled_back,
                ran,
                applied: Vec::new(),
                pending: Vec::new(),
            })
        };
    if transactional {
        db.begin()
            .await
            .map_err(|e| fail(1, "begin transaction".into(), e.to_string(), false, vec![]))?;
    }
    let mut reports = Vec::with_capacity(count);
    for (i, op) in script.operations.iter().enumerate() {
        match run_operation(db, op, transactional).await {
            Ok(outcome) => reports.push(OperationReport {
                operation: op.summary(),
                outcome,
            }),
            Err(cause) => {
                let rolled_back = transactional && db.rollback().await.is_ok();
                let ran = if rolled_back {
                    vec![]
                } else {
                    ran_operations(&reports)
                };
                return Err(fail(i + 1, op.summary(), cause, rolled_back, ran));
            }
        }
    }
    let recorded = record(db, plugin, script).await;
    let finished = match recorded {
        Ok(()) if transactional => db.commit().await,
        other => other,
    };
    if let Err(e) = finished {
        let rolled_back = transactional && db.rollback().await.is_ok();
        let ran = if rolled_back {
            vec![]
        } else {
            ran_operations(&reports)
        };
        return Err(fail(
            count + 1,
            format!("record in {HISTORY_TABLE}"),
            e.to_string(),
            rolled_back,
            ran,
        ));
    }
    Ok(ScriptReport {
        version: script.version,
        name: script.name.clone(),
        operations: reports,
    })
}

fn ran_operations(reports: &[OperationReport]) -> Vec<String> {
    reports
        .iter()
        .filter(|r| r.outcome == Outcome::Ran)
        .map(|r| r.operation.clone())
        .collect()
}

async fn record(db: &mut Db, plugin: &str, script: &MigrationScript) -> Result<(), DbError> {
    let d = db.dialect();
    let cols = HISTORY_COLUMNS
        .iter()
        .map(|c| d.quote(c.name))
        .collect::<Vec<_>>()
        .join(", ");
    let params = (1..=4)
        .map(|n| d.placeholder(n))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO {} ({cols}) VALUES ({params})",
        d.quote(HISTORY_TABLE)
    );
    let values = vec![
        Value::DateTime(chrono::Utc::now()),
        Value::Int(script.version as i64),
        Value::Text(script.name.clone()),
        Value::Text(plugin.to_string()),
    ];
    db.execute(&sql, values).await.map(|_| ())
}

fn skipped(why: impl Into<String>) -> Result<Outcome, String> {
    Ok(Outcome::Skipped(why.into()))
}

/// Runs one operation; the error is the database's one-line message.
async fn run_operation(
    db: &mut Db,
    op: &Operation,
    in_transaction: bool,
) -> Result<Outcome, String> {
    let d = db.dialect();
    let q = |s: &str| d.quote(s);
    let err = |e: DbError| e.to_string();
    match op {
        Operation::Execute {
            sql,
            dialect,
            ignore_error,
        } => {
            let wanted = match dialect {
                None => true,
                Some(MigrationDialect::Mysql) => d == Dialect::MySql,
                Some(MigrationDialect::Postgres) => d == Dialect::Postgres,
            };
            if !wanted {
                let only = if *dialect == Some(MigrationDialect::Mysql) {
                    "mysql"
                } else {
                    "postgres"
                };
                return skipped(format!("for {only} only"));
            }
            if !*ignore_error {
                return db.execute_raw(sql).await.map(|_| Outcome::Ran).map_err(err);
            }
            // A failed statement aborts a PostgreSQL transaction: fence it in a savepoint.
            if in_transaction {
                db.execute_raw("SAVEPOINT devlake_ignore_error")
                    .await
                    .map_err(err)?;
            }
            let result = db.execute_raw(sql).await;
            if in_transaction {
                let undo = if result.is_err() {
                    "ROLLBACK TO SAVEPOINT devlake_ignore_error; "
                } else {
                    ""
                };
                db.execute_raw(&format!("{undo}RELEASE SAVEPOINT devlake_ignore_error"))
                    .await
                    .map_err(err)?;
            }
            Ok(match result {
                Ok(()) => Outcome::Ran,
                Err(e) => Outcome::ErrorIgnored(e.to_string()),
            })
        }
        Operation::AddColumn {
            table,
            column,
            column_type,
        } => {
            if db.has_column(table, column).await.map_err(err)? {
                return skipped("column exists");
            }
            let sql = format!(
                "ALTER TABLE {} ADD COLUMN {} {}",
                q(table),
                q(column),
                dialect_sql_type(column_type, d)
            );
            db.execute_raw(&sql)
                .await
                .map(|_| Outcome::Ran)
                .map_err(err)
        }
        Operation::DropColumn { table, column } => {
            if !db.has_column(table, column).await.map_err(err)? {
                return skipped("no such column");
            }
            db.execute_raw(&format!(
                "ALTER TABLE {} DROP COLUMN {}",
                q(table),
                q(column)
            ))
            .await
            .map(|_| Outcome::Ran)
            .map_err(err)
        }
        Operation::DropTable { table } => {
            if !db.has_table(table).await.map_err(err)? {
                return skipped("no such table");
            }
            db.execute_raw(&format!("DROP TABLE {}", q(table)))
                .await
                .map(|_| Outcome::Ran)
                .map_err(err)
        }
        Operation::RenameColumn {
            table,
            old_name,
            new_name,
        } => {
            if !db.has_column(table, old_name).await.map_err(err)? {
                return skipped(format!("no column {old_name}"));
            }
            // As DevLake does: a column already bearing the new name gives way.
            if db.has_column(table, new_name).await.map_err(err)? {
                db.execute_raw(&format!(
                    "ALTER TABLE {} DROP COLUMN {}",
                    q(table),
                    q(new_name)
                ))
                .await
                .map_err(err)?;
            }
            let sql = format!(
                "ALTER TABLE {} RENAME COLUMN {} TO {}",
                q(table),
                q(old_name),
                q(new_name)
            );
            db.execute_raw(&sql)
                .await
                .map(|_| Outcome::Ran)
                .map_err(err)
        }
        Operation::RenameTable { old_name, new_name } => {
            if !db.has_table(old_name).await.map_err(err)? {
                return skipped(format!("no table {old_name}"));
            }
            let sql = format!("ALTER TABLE {} RENAME TO {}", q(old_name), q(new_name));
            db.execute_raw(&sql)
                .await
                .map(|_| Outcome::Ran)
                .map_err(err)
        }
        Operation::CreateTable { model_info } => {
            let table = &model_info.table_name;
            if db.has_table(table).await.map_err(err)? {
                tracing::warn!("table {table} already exists. It won't be created.");
                return skipped("table exists");
            }
            let fields: Vec<Field> = table_columns(model_info)?
                .iter()
                .map(|c| ddl_field(c, d))
                .collect();
            ddl::ensure_table(db, table, &fields)
                .await
                .map(|_| Outcome::Ran)
                .map_err(err)
        }
    }
}
