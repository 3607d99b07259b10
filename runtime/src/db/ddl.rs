//! Table definitions: the SQL types DevLake's Go side would create for a column, so tables
//! this runtime creates in standalone mode match the ones DevLake creates.

use super::{Db, DbError, Dialect};
use crate::model::{Column, ColumnType};

/// The SQL type of a column in a dialect.
///
/// Follows the Go loader (`conversion.go`): strings with `maxLength <= 255` and string keys
/// are `varchar`, other strings `text`; integers are 64-bit, timestamps DevLake's
/// `datetime(3)`/`timestamptz`, arrays and objects JSON.
///
/// ```
/// use devlake::db::{ddl::sql_type, Dialect};
/// use devlake::model::{ColumnType, Field};
/// let f = Field::new("when", "when", ColumnType::DateTime);
/// assert_eq!(sql_type(&f, Dialect::MySql), "datetime(3)");
/// assert_eq!(sql_type(&f, Dialect::Postgres), "timestamptz");
/// ```
pub fn sql_type(col: &Column, dialect: Dialect) -> String {
    use Dialect::*;
    if let Some(t) = col.sql_type {
        return translate(t, dialect);
    }
    match col.column_type {
        ColumnType::String | ColumnType::Enum(_) => match col.max_length {
            Some(n) if n <= 255 => format!("varchar({n})"),
            _ if col.primary_key => "varchar(255)".into(),
            _ => long_text(dialect).into(),
        },
        ColumnType::Secret => long_text(dialect).into(),
        ColumnType::Integer => "bigint".into(),
        ColumnType::Float => match dialect {
            Postgres => "double precision".into(),
            MySql => "double".into(),
            Sqlite => "real".into(),
        },
        ColumnType::Boolean => "boolean".into(),
        ColumnType::DateTime => match dialect {
            Postgres => "timestamptz".into(),
            MySql => "datetime(3)".into(),
            Sqlite => "datetime".into(),
        },
        ColumnType::Array(_) | ColumnType::Object => match dialect {
            Postgres => "jsonb".into(),
            MySql => "json".into(),
            Sqlite => "json".into(),
        },
        ColumnType::Bytes => match dialect {
            Postgres => "bytea".into(),
            MySql => "longblob".into(),
            Sqlite => "blob".into(),
        },
    }
}

fn long_text(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::MySql => "longtext",
        _ => "text",
    }
}

/// Adapts a MySQL-flavoured type written in a model (`sql_type = "..."`) to a dialect.
fn translate(t: &str, dialect: Dialect) -> String {
    let lower = t.to_ascii_lowercase();
    match dialect {
        Dialect::MySql => t.to_string(),
        Dialect::Postgres => match lower.as_str() {
            "longtext" | "mediumtext" | "tinytext" => "text".into(),
            "datetime" | "datetime(3)" | "datetime(6)" => "timestamptz".into(),
            "double" => "double precision".into(),
            "json" => "jsonb".into(),
            "longblob" | "blob" => "bytea".into(),
            "tinyint(1)" => "boolean".into(),
            l if l.starts_with("bigint unsigned") => "bigint".into(),
            l if l.starts_with("int unsigned") => "bigint".into(),
            _ => t.to_string(),
        },
        Dialect::Sqlite => match lower.as_str() {
            "longtext" | "mediumtext" | "tinytext" => "text".into(),
            "longblob" => "blob".into(),
            l if l.starts_with("datetime") => "datetime".into(),
            _ => t.to_string(),
        },
    }
}

/// `CREATE TABLE IF NOT EXISTS` for a set of columns with a primary key.
pub fn create_table_sql(dialect: Dialect, table: &str, columns: &[Column]) -> String {
    let mut defs: Vec<String> = columns
        .iter()
        .map(|c| {
            let mut d = format!("{} {}", dialect.quote(c.name), sql_type(c, dialect));
            if c.primary_key {
                d.push_str(" NOT NULL");
            }
            d
        })
        .collect();
    let pk: Vec<String> = columns
        .iter()
        .filter(|c| c.primary_key)
        .map(|c| dialect.quote(c.name))
        .collect();
    if !pk.is_empty() {
        defs.push(format!("PRIMARY KEY ({})", pk.join(", ")));
    }
    let mut sql = format!(
        "CREATE TABLE IF NOT EXISTS {} ({})",
        dialect.quote(table),
        defs.join(", ")
    );
    if dialect == Dialect::MySql {
        sql.push_str(" DEFAULT CHARSET=utf8mb4");
    }
    sql
}

/// The longest identifier MySQL accepts (PostgreSQL: 63, which it truncates silently).
pub const MAX_IDENTIFIER: usize = 64;

/// The name of an index on one column, as DevLake's Go side (gorm's naming strategy)
/// derives it: `idx_<table>_<column>`; past [`MAX_IDENTIFIER`] characters, its first 56
/// characters and the first 8 hex digits of its SHA-1, so that long table names still
/// index and the name stays the one DevLake would give.
///
/// ```
/// use devlake::db::ddl::index_name;
/// assert_eq!(index_name("_raw_x_items", "params"), "idx__raw_x_items_params");
/// let long = index_name(&format!("_tool_{}", "a".repeat(60)), "_raw_data_params");
/// assert_eq!(long.len(), 64);
/// ```
pub fn index_name(table: &str, column: &str) -> String {
    use sha1::{Digest, Sha1};
    let name = format!("idx_{table}_{column}").replace('.', "_");
    if name.chars().count() <= MAX_IDENTIFIER {
        return name;
    }
    let hash = Sha1::digest(name.as_bytes());
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    let head: String = name.chars().take(MAX_IDENTIFIER - 8).collect();
    format!("{head}{}", &hex[..8])
}

/// Creates a table unless it exists; indexes `_raw_data_params` as DevLake does.
///
/// Race-free: when another process creates the same table at the same moment (two first
/// runs of new scopes), the loser's `CREATE TABLE IF NOT EXISTS` can fail (PostgreSQL:
/// duplicate key in `pg_type_typname_nsp_index`); a table that exists afterwards is success.
pub async fn ensure_table(db: &mut Db, table: &str, columns: &[Column]) -> Result<(), DbError> {
    if db.has_table(table).await? {
        return Ok(());
    }
    let d = db.dialect();
    create_if_missing(db, table, &create_table_sql(d, table, columns)).await?;
    if columns.iter().any(|c| c.name == "_raw_data_params") {
        create_index(db, table, "_raw_data_params").await?;
    }
    Ok(())
}

/// Runs a `CREATE TABLE`; a failure is no failure when the table exists afterwards (a
/// concurrent creator won the race).
async fn create_if_missing(db: &mut Db, table: &str, sql: &str) -> Result<(), DbError> {
    match db.execute_raw(sql).await {
        Ok(()) => Ok(()),
        Err(e) => {
            if db.has_table(table).await.unwrap_or(false) {
                Ok(())
            } else {
                Err(e)
            }
        }
    }
}

/// Creates an index on one column unless it exists (named by [`index_name`]).
pub async fn create_index(db: &mut Db, table: &str, column: &str) -> Result<(), DbError> {
    let d = db.dialect();
    let name = index_name(table, column);
    let sql = match d {
        Dialect::MySql => format!(
            "CREATE INDEX {} ON {} ({})",
            d.quote(&name),
            d.quote(table),
            d.quote(column)
        ),
        _ => format!(
            "CREATE INDEX IF NOT EXISTS {} ON {} ({})",
            d.quote(&name),
            d.quote(table),
            d.quote(column)
        ),
    };
    match db.execute_raw(&sql).await {
        // MySQL has no IF NOT EXISTS for indexes; a duplicate name means it is there.
        // PostgreSQL: a concurrent `CREATE INDEX IF NOT EXISTS` of the same name loses on
        // the catalog's unique key (23505); the index is there as well.
        Err(DbError::Query { source, .. }) if already_exists(d, &source) => Ok(()),
        r => r,
    }
}

/// Whether a DDL error says the object was created meanwhile.
fn already_exists(d: Dialect, e: &sqlx::Error) -> bool {
    let sqlx::Error::Database(db) = e else {
        return false;
    };
    match d {
        Dialect::MySql => db.message().contains("Duplicate key name"),
        Dialect::Postgres => matches!(db.code().as_deref(), Some("23505") | Some("42P07")),
        Dialect::Sqlite => db.message().contains("already exists"),
    }
}

/// The raw table of a stream: `id, params, data, url, input, created_at`, as pydevlake
/// creates it (DevLake's Go side never creates raw tables for remote plugins).
pub async fn ensure_raw_table(db: &mut Db, table: &str) -> Result<(), DbError> {
    if db.has_table(table).await? {
        return Ok(());
    }
    let sql = raw_table_sql(db.dialect(), table, false);
    create_if_missing(db, table, &sql).await?;
    create_index(db, table, "params").await
}

/// The `CREATE TABLE` of a raw table (DevLake's `id`, `params`, `data`, `url`, `input`,
/// `created_at`); `temporary`: a table of the connection alone, as a collect writes
/// before its rows replace the scope's.
pub(crate) fn raw_table_sql(d: Dialect, table: &str, temporary: bool) -> String {
    let q = |s: &str| d.quote(s);
    let (id, blob, dt, text) = match d {
        Dialect::Sqlite => ("INTEGER PRIMARY KEY", "blob", "datetime", "text"),
        Dialect::MySql => (
            "bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY",
            "longblob",
            "datetime(3)",
            "longtext",
        ),
        Dialect::Postgres => ("bigserial PRIMARY KEY", "bytea", "timestamptz", "text"),
    };
    format!(
        "CREATE {}TABLE IF NOT EXISTS {} ({} {id}, {} varchar(255) NOT NULL, {} {blob} NOT NULL, {} {text}, {} {blob}, {} {dt} NOT NULL){}",
        if temporary { "TEMPORARY " } else { "" },
        q(table),
        q("id"),
        q("params"),
        q("data"),
        q("url"),
        q("input"),
        q("created_at"),
        if d == Dialect::MySql { " DEFAULT CHARSET=utf8mb4" } else { "" }
    )
}
