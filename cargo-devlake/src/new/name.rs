//! Plugin names: what DevLake, cargo and the databases all accept.

use heck::{ToTitleCase, ToUpperCamelCase};
use std::fmt;

/// The longest table name MySQL (64) and PostgreSQL (63) both accept.
const MAX_TABLE_NAME: usize = 63;

/// Rust keywords (strict, reserved, and those of recent editions): a crate named after one
/// cannot be written in `use` paths.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Crates every Rust program already sees (cargo refuses packages named after them), and
/// the crates a generated plugin depends on (a package cannot depend on itself).
const TAKEN_CRATES: &[&str] = &[
    "std",
    "core",
    "alloc",
    "proc_macro",
    "test",
    "devlake",
    "devlake_macros",
    "serde_json",
    "futures",
    "tokio",
    "axum",
];

/// DevLake's own plugins: a remote plugin registered under one of these names would
/// silently replace the built-in one in the server's plugin table.
const DEVLAKE_PLUGINS: &[&str] = &[
    "ae",
    "argocd",
    "asana",
    "azuredevops",
    "azuredevops_go",
    "bamboo",
    "bitbucket",
    "bitbucket_server",
    "circleci",
    "customize",
    "dbt",
    "dora",
    "feishu",
    "gh_copilot",
    "gitee",
    "gitextractor",
    "github",
    "github_graphql",
    "gitlab",
    "icla",
    "issue_trace",
    "jenkins",
    "jira",
    "linker",
    "opsgenie",
    "org",
    "pagerduty",
    "q_dev",
    "refdiff",
    "slack",
    "sonarqube",
    "starrocks",
    "taiga",
    "tapd",
    "teambition",
    "testmo",
    "trello",
    "webhook",
    "zentao",
];

/// A validated plugin name and the identifiers the templates derive from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginName {
    /// The crate (package) name, as given: `acme-ci`.
    pub crate_name: String,
    /// The crate as a Rust identifier, also the DevLake plugin name and the table infix:
    /// `acme_ci` (`_tool_acme_ci_...`, `_raw_acme_ci_...`).
    pub ident: String,
    /// The type-name prefix: `AcmeCi` (`AcmeCiConnection`, ...).
    pub pascal: String,
    /// For prose: `Acme Ci`.
    pub title: String,
}

/// Why a name is refused; the message says what is wrong and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameError {
    name: String,
    reason: String,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid plugin name {:?}: {}", self.name, self.reason)
    }
}

impl std::error::Error for NameError {}

impl PluginName {
    /// Checks `name`: lowercase ASCII letters, digits, `_` and `-`, starting with a letter,
    /// not ending with a separator, not a Rust keyword, not a crate every plugin already
    /// uses, not a DevLake built-in plugin, and short enough for every table it names.
    /// Index names (`idx_<table>_<column>`) may be longer than MySQL's 64 characters: they
    /// are shortened as DevLake's Go side shortens them ([`devlake::db::ddl::index_name`]).
    pub fn parse(name: &str) -> Result<PluginName, NameError> {
        let err = |reason: String| NameError {
            name: name.to_string(),
            reason,
        };
        let allowed = "use lowercase ASCII letters, digits, `_` and `-`, starting with a letter";
        let Some(first) = name.chars().next() else {
            return Err(err(format!("the name is empty ({allowed})")));
        };
        if !first.is_ascii_lowercase() {
            return Err(err(format!("it starts with {first:?} ({allowed})")));
        }
        if let Some(bad) = name
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-'))
        {
            return Err(err(format!("it contains {bad:?} ({allowed})")));
        }
        if name.ends_with(['_', '-']) {
            return Err(err("it ends with a separator".into()));
        }
        let ident = name.replace('-', "_");
        if KEYWORDS.contains(&name) {
            return Err(err(
                "it is a Rust keyword, so the crate could not be named in code".into(),
            ));
        }
        if TAKEN_CRATES.contains(&ident.as_str()) {
            return Err(err(format!("it is the name of the `{ident}` crate, which every plugin already sees or depends on")));
        }
        if DEVLAKE_PLUGINS.contains(&ident.as_str()) {
            return Err(err(format!(
                "DevLake has a built-in `{ident}` plugin, which a remote plugin of the same name would replace; pick another name, e.g. `{ident}_rs`"
            )));
        }
        let pascal = name.to_upper_camel_case();
        let longest = format!("_tool_{ident}_{}scopeconfigs", pascal.to_lowercase());
        if longest.len() > MAX_TABLE_NAME {
            return Err(err(format!(
                "it is too long: its scope-config table `{longest}` would have {} characters, and MySQL and PostgreSQL accept {MAX_TABLE_NAME}",
                longest.len()
            )));
        }
        Ok(PluginName {
            crate_name: name.to_string(),
            title: name.to_title_case(),
            ident,
            pascal,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_identifiers() {
        let n = PluginName::parse("acme-ci2").unwrap();
        assert_eq!(
            (n.ident.as_str(), n.pascal.as_str(), n.title.as_str()),
            ("acme_ci2", "AcmeCi2", "Acme Ci2")
        );
    }

    #[test]
    fn refuses_with_a_reason() {
        for (name, reason) in [
            ("", "empty"),
            ("9lives", "starts with '9'"),
            ("Acme", "starts with 'A'"),
            ("acme ci", "contains ' '"),
            ("acme.ci", "contains '.'"),
            ("acme-", "ends with a separator"),
            ("match", "Rust keyword"),
            ("devlake", "crate"),
            ("tokio", "crate"),
            ("github", "built-in `github` plugin"),
            ("q-dev", "built-in `q_dev` plugin"),
            ("a_very_long_plugin_name_indeed", "too long"),
        ] {
            let e = PluginName::parse(name).unwrap_err().to_string();
            assert!(e.contains(reason), "{name:?}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn accepts_the_longest_name_that_fits() {
        let n = "a".repeat(22);
        assert!(PluginName::parse(&n).is_ok());
        assert!(PluginName::parse(&"a".repeat(23)).is_err());
    }

    /// What the longest name generates fits MySQL: its tables, and their indexes once
    /// shortened (`runtime/tests/identifiers.rs` applies that migration on MariaDB).
    #[test]
    fn the_longest_names_tables_and_indexes_fit() {
        let n = PluginName::parse(&"a".repeat(22)).unwrap();
        for model in ["connections", "projects", "scopeconfigs", "pipelines"] {
            let table = format!("_tool_{}_{}{model}", n.ident, n.pascal.to_lowercase());
            assert!(table.len() <= MAX_TABLE_NAME, "{table}");
            let index = devlake::db::ddl::index_name(&table, "_raw_data_params");
            assert!(index.len() <= devlake::db::ddl::MAX_IDENTIFIER, "{index}");
        }
    }
}
