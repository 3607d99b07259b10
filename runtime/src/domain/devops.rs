//! CI/CD (DevLake's `devops` package): pipelines, tasks and their scopes.

use crate::model::DateTime;

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
