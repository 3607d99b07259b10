//! Versions (`YYYYMMDDhhmmss`) and the conformance check of a plugin's scripts.

use super::{MigrationScript, Operation};

/// What is wrong with a migration version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionError {
    /// Not 14 digits.
    Digits,
    /// The month is not 01-12.
    Month,
    /// The day does not exist in that month.
    Day,
    /// The time is not a valid `hhmmss`.
    Time,
}

impl std::fmt::Display for VersionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            VersionError::Digits => "is not 14 digits (YYYYMMDDhhmmss)",
            VersionError::Month => "has no month 01-12 (YYYYMMDDhhmmss)",
            VersionError::Day => "has a day that does not exist in its month (YYYYMMDDhhmmss)",
            VersionError::Time => "has no valid time hhmmss (YYYYMMDDhhmmss)",
        })
    }
}

const fn days_in_month(year: u64, month: u64) -> u64 {
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Checks that a version is a 14-digit `YYYYMMDDhhmmss` timestamp of a real date and time.
/// A `const fn`, so [`Migration::new`](super::Migration::new) runs it at compile time.
///
/// ```
/// use devlake::migration::{check_version, VersionError};
/// assert_eq!(check_version(20240229235959), Ok(()));
/// assert_eq!(check_version(20230229000000), Err(VersionError::Day));
/// assert_eq!(check_version(2024022900000), Err(VersionError::Digits));
/// ```
pub const fn check_version(version: u64) -> Result<(), VersionError> {
    if version < 10_000_000_000_000 || version > 99_999_999_999_999 {
        return Err(VersionError::Digits);
    }
    let year = version / 10_000_000_000;
    let month = version / 100_000_000 % 100;
    let day = version / 1_000_000 % 100;
    let (hour, minute, second) = (version / 10_000 % 100, version / 100 % 100, version % 100);
    if month < 1 || month > 12 {
        return Err(VersionError::Month);
    }
    if day < 1 || day > days_in_month(year, month) {
        return Err(VersionError::Day);
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err(VersionError::Time);
    }
    Ok(())
}

/// Panics (a compile error in a `const`) unless the versions strictly increase; used by
/// [`migrations!`](crate::migrations).
pub const fn assert_versions_increase(versions: &[u64]) {
    let mut i = 1;
    while i < versions.len() {
        if versions[i] <= versions[i - 1] {
            panic!("migrations![...] must list migrations in strictly increasing version order, each version once");
        }
        i += 1;
    }
}

/// The conformance check of a plugin's scripts: versions 14-digit timestamps of real
/// dates, unique and strictly increasing in list order, names non-empty, operations naming
/// their tables and columns. Returns every problem found, one line each.
///
/// ```
/// use devlake::migration::{check, MigrationScript};
/// let s = |version, name: &str| MigrationScript { operations: vec![], version, name: name.into() };
/// assert!(check(&[s(20240101000000, "a"), s(20240101000001, "b")]).is_ok());
/// let problems = check(&[s(20240101000001, "a"), s(20240101000000, ""), s(2024, "c")]).unwrap_err();
/// assert_eq!(problems.len(), 4); // #2: empty name, out of order; #3: 4 digits, out of order
/// ```
pub fn check(scripts: &[MigrationScript]) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for (i, s) in scripts.iter().enumerate() {
        let label = format!(
            "migration {} ({:?}, #{} in the list)",
            s.version,
            s.name,
            i + 1
        );
        if let Err(e) = check_version(s.version) {
            problems.push(format!("{label}: version {} {e}", s.version));
        }
        if s.name.trim().is_empty() {
            problems.push(format!("{label}: the name is empty"));
        }
        if let Some(first) = seen.insert(s.version, i) {
            problems.push(format!(
                "{label}: version {} is also used by #{}",
                s.version,
                first + 1
            ));
        } else if i > 0 && s.version < scripts[i - 1].version {
            problems.push(format!(
                "{label}: comes after version {} in the list; list migrations in increasing version order",
                scripts[i - 1].version
            ));
        }
        for (n, op) in s.operations.iter().enumerate() {
            if let Some(what) = empty_name(op) {
                problems.push(format!(
                    "{label}: operation {} ({}) has an empty {what}",
                    n + 1,
                    op.summary()
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

fn empty_name(op: &Operation) -> Option<&'static str> {
    let blank = |s: &str| s.trim().is_empty();
    match op {
        Operation::Execute { sql, .. } if blank(sql) => Some("SQL statement"),
        Operation::AddColumn {
            table,
            column,
            column_type,
        } => {
            if blank(table) {
                Some("table")
            } else if blank(column) {
                Some("column")
            } else if blank(column_type) {
                Some("column type")
            } else {
                None
            }
        }
        Operation::DropColumn { table, column } if blank(table) || blank(column) => {
            Some("table or column")
        }
        Operation::DropTable { table } if blank(table) => Some("table"),
        Operation::RenameColumn {
            table,
            old_name,
            new_name,
        } if blank(table) || blank(old_name) || blank(new_name) => Some("table or column name"),
        Operation::RenameTable { old_name, new_name } if blank(old_name) || blank(new_name) => {
            Some("table name")
        }
        Operation::CreateTable { model_info } if blank(&model_info.table_name) => {
            Some("table name")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(check_version(20000229000000), Ok(()));
        assert_eq!(check_version(19000229000000), Err(VersionError::Day));
        assert_eq!(check_version(20240431000000), Err(VersionError::Day));
        assert_eq!(check_version(20240001000000), Err(VersionError::Month));
        assert_eq!(check_version(20240101240000), Err(VersionError::Time));
        assert_eq!(check_version(20240101006000), Err(VersionError::Time));
        assert_eq!(check_version(20240101000060), Err(VersionError::Time));
        assert_eq!(check_version(202401010000001), Err(VersionError::Digits));
    }

    #[test]
    fn duplicates_are_named() {
        let s = |version| MigrationScript {
            operations: vec![],
            version,
            name: "x".into(),
        };
        let p = check(&[s(20240101000000), s(20240101000000)]).unwrap_err();
        assert_eq!(p, vec!["migration 20240101000000 (\"x\", #2 in the list): version 20240101000000 is also used by #1"]);
    }
}
