//! Migrations. A fresh database gets every table of the current models; a database the
//! Python plugin migrated (its last script is 20240527113400) keeps its tables, since
//! creating a table only happens when it is missing, and gains the columns the Python
//! plugin declared in its models without migrating them, plus this port's own.

use crate::models::*;
use devlake::migration::{MigrationScript, MigrationScriptBuilder};

/// All scripts, in version order.
pub fn scripts() -> Vec<MigrationScript> {
    let mut init = MigrationScriptBuilder::new();
    init.create_table::<AzureDevOpsConnection>()
        .create_table::<GitRepositoryConfig>()
        .create_table::<GitRepository>()
        .create_table::<GitPullRequest>()
        .create_table::<GitPullRequestCommit>()
        .create_table::<Build>()
        .create_table::<Job>()
        // Columns only added (when missing) on a database the Python plugin created.
        .add_column(
            "_tool_azuredevops_azuredevopsconnections",
            "base_url",
            "varchar(255)",
        )
        .add_column(
            "_tool_azuredevops_azuredevopsconnections",
            "vssps_url",
            "varchar(255)",
        )
        .add_column(
            "_tool_azuredevops_gitrepositoryconfigs",
            "environment_pattern",
            "text",
        )
        .add_column("_tool_azuredevops_jobs", "identifier", "varchar(255)")
        .add_column("_tool_azuredevops_jobs", "type", "varchar(255)")
        .add_column("_tool_azuredevops_jobs", "parent_id", "varchar(255)");
    vec![MigrationScript {
        version: 20261129000001,
        name: "Rust port: create missing tables and columns".into(),
        operations: init.build(),
    }]
}
