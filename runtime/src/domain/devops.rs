//! CI/CD (DevLake's `devops` package): scopes, pipelines, tasks, deployments and releases.

use crate::model::{DateTime, Model, ModelDescriptor};

/// Result of a CI/CD pipeline or task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, crate::Enum)]
#[devlake(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CicdResult {
    /// Succeeded.
    Success,
    /// Failed.
    Failure,
}

/// Status of a CI/CD pipeline or task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, crate::Enum)]
#[devlake(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CicdStatus {
    /// Still running.
    InProgress,
    /// Finished.
    Done,
    /// Anything else.
    Other,
}

/// Kind of CI/CD work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, crate::Enum)]
#[devlake(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CicdType {
    /// Tests.
    Test,
    /// Linting.
    Lint,
    /// A build.
    Build,
    /// A deployment.
    Deployment,
}

/// Environment a pipeline deploys to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, crate::Enum)]
#[devlake(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CicdEnvironment {
    /// Production.
    Production,
    /// Staging.
    Staging,
    /// Testing.
    Testing,
}

/// This module's tables, in DevLake's order.
pub fn tables() -> Vec<&'static ModelDescriptor> {
    vec![
        CicdScope::descriptor(),
        CicdPipeline::descriptor(),
        CicdTask::descriptor(),
        CicdPipelineCommit::descriptor(),
        CicdDeployment::descriptor(),
        CicdDeploymentCommit::descriptor(),
        CicdRelease::descriptor(),
    ]
}

/// A CI/CD scope (`cicd_scopes`): what a CI plugin's tool scope becomes in the domain.
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "cicd_scopes")]
pub struct CicdScope {
    /// Domain id; the framework fills it from the tool scope when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    #[devlake(sql_type = "varchar(255)")]
    pub name: String,
    pub description: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub url: Option<String>,
    pub created_date: Option<DateTime>,
    pub updated_date: Option<DateTime>,
}

impl super::DomainScope for CicdScope {
    const TYPE_NAME: &'static str = "CicdScope";
}

/// A CI/CD pipeline run (`cicd_pipelines`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "cicd_pipelines", name = "CICDPipeline")]
pub struct CicdPipeline {
    /// Domain id; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    #[devlake(sql_type = "varchar(255)")]
    pub name: String,
    pub display_title: Option<String>,
    pub url: Option<String>,
    #[devlake(sql_type = "varchar(100)")]
    pub result: Option<CicdResult>,
    #[devlake(sql_type = "varchar(100)")]
    pub status: Option<CicdStatus>,
    #[devlake(sql_type = "varchar(100)")]
    pub original_status: Option<String>,
    #[devlake(sql_type = "varchar(100)")]
    pub original_result: Option<String>,
    #[devlake(sql_type = "varchar(100)")]
    pub r#type: Option<CicdType>,
    pub duration_sec: Option<f64>,
    pub queued_duration_sec: Option<f64>,
    #[devlake(sql_type = "varchar(255)")]
    pub environment: Option<CicdEnvironment>,
    pub created_date: Option<DateTime>,
    pub queued_date: Option<DateTime>,
    pub started_date: Option<DateTime>,
    pub finished_date: Option<DateTime>,
    #[devlake(sql_type = "varchar(255)")]
    pub cicd_scope_id: Option<String>,
    pub is_child: Option<bool>,
}

/// A task (job) of a CI/CD pipeline (`cicd_tasks`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "cicd_tasks", name = "CICDTask")]
pub struct CicdTask {
    /// Domain id; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    #[devlake(sql_type = "varchar(255)")]
    pub name: String,
    #[devlake(sql_type = "varchar(255)")]
    pub pipeline_id: Option<String>,
    #[devlake(sql_type = "varchar(100)")]
    pub result: Option<CicdResult>,
    #[devlake(sql_type = "varchar(100)")]
    pub status: Option<CicdStatus>,
    #[devlake(sql_type = "varchar(100)")]
    pub original_status: Option<String>,
    #[devlake(sql_type = "varchar(100)")]
    pub original_result: Option<String>,
    #[devlake(sql_type = "varchar(100)")]
    pub r#type: Option<CicdType>,
    #[devlake(sql_type = "varchar(255)")]
    pub environment: Option<CicdEnvironment>,
    pub duration_sec: Option<f64>,
    pub queued_duration_sec: Option<f64>,
    pub created_date: Option<DateTime>,
    pub queued_date: Option<DateTime>,
    pub started_date: Option<DateTime>,
    pub finished_date: Option<DateTime>,
    #[devlake(sql_type = "varchar(255)")]
    pub cicd_scope_id: Option<String>,
}

/// A commit a CI/CD pipeline ran on (`cicd_pipeline_commits`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "cicd_pipeline_commits", name = "CiCDPipelineCommit")]
pub struct CicdPipelineCommit {
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub pipeline_id: String,
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub commit_sha: String,
    pub commit_msg: Option<String>,
    pub display_title: Option<String>,
    pub url: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub branch: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub repo_id: Option<String>,
    pub repo_url: Option<String>,
}

/// A deployment to an environment (`cicd_deployments`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "cicd_deployments", name = "CICDDeployment")]
pub struct CicdDeployment {
    /// Domain id; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    #[devlake(sql_type = "varchar(255)")]
    pub cicd_scope_id: Option<String>,
    #[devlake(sql_type = "text")]
    pub name: Option<String>,
    pub display_title: Option<String>,
    pub url: Option<String>,
    #[devlake(sql_type = "varchar(100)")]
    pub result: Option<CicdResult>,
    #[devlake(sql_type = "varchar(100)")]
    pub status: Option<CicdStatus>,
    #[devlake(sql_type = "varchar(100)")]
    pub original_status: Option<String>,
    #[devlake(sql_type = "varchar(100)")]
    pub original_result: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub environment: Option<CicdEnvironment>,
    #[devlake(sql_type = "varchar(255)")]
    pub original_environment: Option<String>,
    pub created_date: Option<DateTime>,
    pub queued_date: Option<DateTime>,
    pub started_date: Option<DateTime>,
    pub finished_date: Option<DateTime>,
    pub duration_sec: Option<f64>,
    pub queued_duration_sec: Option<f64>,
    #[devlake(sql_type = "varchar(255)")]
    pub subtask_name: Option<String>,
}

/// A commit a deployment shipped, one row per repo (`cicd_deployment_commits`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "cicd_deployment_commits")]
pub struct CicdDeploymentCommit {
    /// Domain id; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    #[devlake(sql_type = "varchar(255)")]
    pub cicd_scope_id: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub cicd_deployment_id: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub name: Option<String>,
    pub display_title: Option<String>,
    pub url: Option<String>,
    #[devlake(sql_type = "varchar(100)")]
    pub result: Option<CicdResult>,
    #[devlake(sql_type = "varchar(100)")]
    pub status: Option<CicdStatus>,
    #[devlake(sql_type = "varchar(100)")]
    pub original_status: Option<String>,
    #[devlake(sql_type = "varchar(100)")]
    pub original_result: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub environment: Option<CicdEnvironment>,
    #[devlake(sql_type = "varchar(255)")]
    pub original_environment: Option<String>,
    pub created_date: Option<DateTime>,
    pub queued_date: Option<DateTime>,
    pub started_date: Option<DateTime>,
    pub finished_date: Option<DateTime>,
    pub duration_sec: Option<f64>,
    pub queued_duration_sec: Option<f64>,
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub commit_sha: String,
    pub commit_msg: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub ref_name: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub repo_id: Option<String>,
    #[devlake(sql_type = "varchar(191)")]
    pub repo_url: String,
    #[devlake(sql_type = "varchar(255)")]
    pub prev_success_deployment_commit_id: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub subtask_name: Option<String>,
}

/// A release of a repo (`cicd_releases`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "cicd_releases")]
pub struct CicdRelease {
    /// Domain id; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    pub published_at: Option<DateTime>,
    #[devlake(sql_type = "varchar(255)")]
    pub cicd_scope_id: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub name: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub display_title: Option<String>,
    pub description: Option<String>,
    pub url: Option<String>,
    pub is_draft: Option<bool>,
    pub is_latest: Option<bool>,
    pub is_prerelease: Option<bool>,
    #[devlake(sql_type = "varchar(255)")]
    pub author_id: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub repo_id: Option<String>,
    pub tag_name: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub commit_sha: Option<String>,
}
