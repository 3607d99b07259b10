//! Comparing the tables in a database with what the current models need: the check that
//! a plugin's migrations are complete.

use super::types::BASE_COLUMNS;
use crate::db::{Db, DbError};
use crate::model::ModelDescriptor;

/// Differences between a model's table in the database and the columns the model needs
/// (the framework's columns for its kind plus its declared fields), one line each; empty
/// when they match. Names compare case-insensitively; types are not compared. The
/// timestamp and raw-data columns DevLake adds to every table it creates are never
/// reported as extra.
///
/// Use it after applying a plugin's migrations to a fresh database, to prove the
/// migrations build what the models expect (`cargo devlake test` does):
///
/// ```no_run
/// # async fn demo(db: &mut devlake::db::Db) -> Result<(), Box<dyn std::error::Error>> {
/// # #[derive(devlake::Model)] struct Pipeline { #[devlake(primary_key)] id: String }
/// use devlake::Model;
/// let problems = devlake::migration::model_columns_match(db, Pipeline::descriptor()).await?;
/// assert!(problems.is_empty(), "{}", problems.join("\n"));
/// # Ok(()) }
/// ```
pub async fn model_columns_match(
    db: &mut Db,
    desc: &'static ModelDescriptor,
) -> Result<Vec<String>, DbError> {
    let model = desc.name;
    let table = desc.table;
    if table.is_empty() {
        return Ok(vec![format!(
            "model {model} is a plain model without a table"
        )]);
    }
    if !db.has_table(table).await? {
        return Ok(vec![format!(
            "table {table} of model {model} does not exist"
        )]);
    }
    let existing = db.columns(table).await?;
    let needed: Vec<&str> = desc.columns().iter().map(|c| c.name).collect();
    let has = |list: &[&str], c: &str| list.iter().any(|n| n.eq_ignore_ascii_case(c));
    let existing_refs: Vec<&str> = existing.iter().map(String::as_str).collect();
    let mut out: Vec<String> = needed
        .iter()
        .filter(|c| !has(&existing_refs, c))
        .map(|c| format!("table {table} lacks column {c} of model {model}"))
        .collect();
    let base: Vec<&str> = BASE_COLUMNS.iter().map(|(n, _)| *n).collect();
    out.extend(
        existing
            .iter()
            .filter(|c| !has(&needed, c) && !has(&base, c))
            .map(|c| format!("table {table} has column {c} that model {model} does not declare")),
    );
    Ok(out)
}

/// [`model_columns_match`] for several models: every difference, in model order.
pub async fn schema_differences(
    db: &mut Db,
    models: &[&'static ModelDescriptor],
) -> Result<Vec<String>, DbError> {
    let mut out = Vec::new();
    for desc in models {
        out.extend(model_columns_match(db, desc).await?);
    }
    Ok(out)
}
