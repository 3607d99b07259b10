//! Migrations. A fresh database gets every table; a database the Python plugin migrated
//! (its last script is 20240527113400) keeps its tables, since a table is only created
//! when missing, and gains the columns the Python plugin declared in its models without
//! migrating them, plus this port's own.
//!
//! The models are frozen here as they were at the script's version, so later edits of
//! `models.rs` never change what this script does (add a new script for them).

use devlake::migration::{MigrationScript, MigrationScriptBuilder};

mod snapshot_20261129000001 {
    use devlake::prelude::*;

    #[derive(devlake::Model)]
    #[devlake(connection, table = "_tool_azuredevops_azuredevopsconnections")]
    pub struct AzureDevOpsConnection {
        pub token: Secret,
        pub organization: Option<String>,
        pub base_url: Option<String>,
        pub vssps_url: Option<String>,
    }

    #[derive(devlake::Model)]
    #[devlake(scope_config)]
    pub struct GitRepositoryConfig {
        pub refdiff: Option<serde_json::Value>,
        pub deployment_pattern: Option<String>,
        pub production_pattern: Option<String>,
        pub environment_pattern: Option<String>,
    }

    #[derive(devlake::Model)]
    #[devlake(scope)]
    pub struct GitRepository {
        pub url: String,
        pub remote_url: Option<String>,
        pub default_branch: Option<String>,
        pub project_id: String,
        pub org_id: String,
        pub parent_repository_url: Option<String>,
        pub provider: Option<String>,
        pub updated_date: Option<DateTime>,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq, devlake::Enum)]
    #[devlake(rename_all = "camelCase")]
    pub enum PrStatus {
        #[devlake(db = "Abandoned")]
        Abandoned,
        #[devlake(db = "Active")]
        Active,
        #[devlake(db = "Completed")]
        Completed,
    }

    #[derive(devlake::Model)]
    pub struct GitPullRequest {
        #[devlake(primary_key)]
        pub pull_request_id: i64,
        pub description: Option<String>,
        pub status: PrStatus,
        pub created_by_id: String,
        pub created_by_name: String,
        pub creation_date: DateTime,
        pub closed_date: Option<DateTime>,
        pub source_commit_sha: String,
        pub target_commit_sha: String,
        pub merge_commit_sha: Option<String>,
        pub url: Option<String>,
        pub r#type: Option<String>,
        pub title: Option<String>,
        pub target_ref_name: Option<String>,
        pub source_ref_name: Option<String>,
        pub fork_repo_id: Option<String>,
    }

    #[derive(devlake::Model)]
    pub struct GitPullRequestCommit {
        #[devlake(primary_key)]
        pub commit_id: String,
        #[devlake(primary_key)]
        pub pull_request_id: String,
        pub author_name: String,
        pub author_email: Option<String>,
        pub author_date: DateTime,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq, devlake::Enum)]
    #[devlake(rename_all = "camelCase")]
    pub enum BuildStatus {
        #[devlake(db = "Cancelling")]
        Cancelling,
        #[devlake(db = "Completed")]
        Completed,
        #[devlake(db = "InProgress")]
        InProgress,
        #[devlake(db = "NotStarted")]
        NotStarted,
        #[devlake(db = "Postponed")]
        Postponed,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq, devlake::Enum)]
    #[devlake(rename_all = "camelCase")]
    pub enum BuildResult {
        #[devlake(db = "Canceled")]
        Canceled,
        #[devlake(db = "Failed")]
        Failed,
        #[devlake(value = "none", db = "Non")]
        Non,
        #[devlake(db = "PartiallySucceeded")]
        PartiallySucceeded,
        #[devlake(db = "Succeeded")]
        Succeeded,
    }

    #[derive(devlake::Model)]
    pub struct Build {
        #[devlake(primary_key)]
        pub id: i64,
        pub name: String,
        pub queue_time: Option<DateTime>,
        pub start_time: Option<DateTime>,
        pub finish_time: Option<DateTime>,
        pub status: BuildStatus,
        pub result: Option<BuildResult>,
        pub source_branch: String,
        pub source_version: String,
        pub display_title: Option<String>,
        pub url: Option<String>,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq, devlake::Enum)]
    #[devlake(rename_all = "camelCase")]
    pub enum JobState {
        #[devlake(db = "Completed")]
        Completed,
        #[devlake(db = "InProgress")]
        InProgress,
        #[devlake(db = "Pending")]
        Pending,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq, devlake::Enum)]
    #[devlake(rename_all = "camelCase")]
    pub enum JobResult {
        #[devlake(db = "Abandoned")]
        Abandoned,
        #[devlake(db = "Canceled")]
        Canceled,
        #[devlake(db = "Failed")]
        Failed,
        #[devlake(db = "Skipped")]
        Skipped,
        #[devlake(db = "Succeeded")]
        Succeeded,
        #[devlake(db = "SucceededWithIssues")]
        SucceededWithIssues,
    }

    #[derive(devlake::Model)]
    pub struct Job {
        #[devlake(primary_key)]
        pub id: String,
        #[devlake(primary_key)]
        pub build_id: String,
        pub name: String,
        pub start_time: Option<DateTime>,
        pub finish_time: Option<DateTime>,
        pub state: JobState,
        pub result: Option<JobResult>,
        pub identifier: Option<String>,
        pub r#type: Option<String>,
        pub parent_id: Option<String>,
    }
}

/// All scripts, in version order.
pub fn scripts() -> Vec<MigrationScript> {
    use snapshot_20261129000001 as s;
    let mut init = MigrationScriptBuilder::new();
    init.create_table::<s::AzureDevOpsConnection>()
        .create_table::<s::GitRepositoryConfig>()
        .create_table::<s::GitRepository>()
        .create_table::<s::GitPullRequest>()
        .create_table::<s::GitPullRequestCommit>()
        .create_table::<s::Build>()
        .create_table::<s::Job>()
        // Only added where missing: on a database the Python plugin created.
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

#[cfg(test)]
mod tests {
    use devlake::migration::{table_columns, Operation, TableColumn};
    use devlake::model::model_info;

    /// The frozen models make today's tables: a model edit without a new script shows up
    /// here.
    #[test]
    fn the_init_script_creates_the_current_tables() {
        use crate::models::*;
        let tables = |infos: Vec<devlake::model::ModelInfo>| -> Vec<(String, Vec<TableColumn>)> {
            infos
                .into_iter()
                .map(|i| (i.table_name.clone(), table_columns(&i).expect("columns")))
                .collect()
        };
        let created = super::scripts()[0]
            .operations
            .iter()
            .filter_map(|op| match op {
                Operation::CreateTable { model_info } => Some(model_info.clone()),
                _ => None,
            })
            .collect();
        let current = vec![
            model_info::<AzureDevOpsConnection>(),
            model_info::<GitRepositoryConfig>(),
            model_info::<GitRepository>(),
            model_info::<GitPullRequest>(),
            model_info::<GitPullRequestCommit>(),
            model_info::<Build>(),
            model_info::<Job>(),
        ];
        assert_eq!(tables(created), tables(current));
    }
}
