//! CI/CD (DevLake's `devops` package): scopes, pipelines, tasks, deployments and releases.

use crate::model::{DateTime, Model, ModelDescriptor};

/// Result of a CI/CD pipeline or task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, crate::Enum)]
#[devlake(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CicdResult {
    /// `SUCCESS`: the run succeeded. DORA counts only successful deployments.
    Success,
    /// `FAILURE`: the run failed (or was cancelled, when the plugin maps it so).
    Failure,
}

/// Status of a CI/CD pipeline or task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, crate::Enum)]
#[devlake(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CicdStatus {
    /// `IN_PROGRESS`: queued or running.
    InProgress,
    /// `DONE`: finished; `result` says how.
    Done,
    /// `OTHER`: a state the plugin could not map (skipped, manual, ...).
    Other,
}

/// Kind of CI/CD work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, crate::Enum)]
#[devlake(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CicdType {
    /// `TEST`: a test run.
    Test,
    /// `LINT`: a lint or static-analysis run.
    Lint,
    /// `BUILD`: a build (CI).
    Build,
    /// `DEPLOYMENT`: a deployment (CD); these rows become DevLake deployments.
    Deployment,
}

/// Environment a pipeline deploys to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, crate::Enum)]
#[devlake(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CicdEnvironment {
    /// `PRODUCTION`: the only environment DORA metrics count.
    Production,
    /// `STAGING`: a pre-production environment.
    Staging,
    /// `TESTING`: a test environment.
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
    /// Domain id, `<plugin>:<ToolScope>:<connection id>:<key>` as DevLake's id generator builds
    /// it; the framework fills it from the tool scope when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    /// The scope's name (a CI project, a repo's pipelines); shown in dashboards' project and
    /// scope pickers.
    #[devlake(sql_type = "varchar(255)")]
    pub name: String,
    /// Free-text description from the tool.
    pub description: Option<String>,
    /// Link to it in the tool's web UI; dashboards' drill-down tables link to it.
    #[devlake(sql_type = "varchar(255)")]
    pub url: Option<String>,
    /// When the scope was created in the tool.
    pub created_date: Option<DateTime>,
    /// When the scope was last changed in the tool.
    pub updated_date: Option<DateTime>,
}

impl super::DomainScope for CicdScope {
    const TYPE_NAME: &'static str = "CicdScope";
}

/// A CI/CD pipeline run (`cicd_pipelines`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "cicd_pipelines", name = "CICDPipeline")]
pub struct CicdPipeline {
    /// Domain id, `<plugin>:<ToolModel>:<connection id>:<key>` as DevLake's id generator builds
    /// it; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    /// The pipeline's name or number in the tool.
    #[devlake(sql_type = "varchar(255)")]
    pub name: String,
    /// Human-readable title shown in dashboards' drill-down tables.
    pub display_title: Option<String>,
    /// Link to it in the tool's web UI; dashboards' drill-down tables link to it.
    pub url: Option<String>,
    /// Normalised outcome: `SUCCESS` or `FAILURE` (null while running or when neither applies).
    #[devlake(sql_type = "varchar(100)")]
    pub result: Option<CicdResult>,
    /// Normalised state: `IN_PROGRESS`, `DONE` or `OTHER`.
    #[devlake(sql_type = "varchar(100)")]
    pub status: Option<CicdStatus>,
    /// The status exactly as the tool reports it, before mapping to `status`.
    #[devlake(sql_type = "varchar(100)")]
    pub original_status: Option<String>,
    /// The result exactly as the tool reports it, before mapping to `result`.
    #[devlake(sql_type = "varchar(100)")]
    pub original_result: Option<String>,
    /// `BUILD`, `TEST`, `LINT` or `DEPLOYMENT`: whether this is CI or CD; `DEPLOYMENT` rows are
    /// what DevLake turns into deployments.
    #[devlake(sql_type = "varchar(100)")]
    pub r#type: Option<CicdType>,
    /// Run time in seconds, `finished_date` minus `started_date` (or `created_date`).
    pub duration_sec: Option<f64>,
    /// Seconds spent queued, `started_date` minus `queued_date`; null when either is unknown.
    pub queued_duration_sec: Option<f64>,
    /// `PRODUCTION`, `STAGING` or `TESTING`, usually matched by the scope config's environment
    /// patterns; DORA counts only `PRODUCTION`.
    #[devlake(sql_type = "varchar(255)")]
    pub environment: Option<CicdEnvironment>,
    /// When the run was created (triggered) in the tool; not `created_at`, when the row was
    /// written.
    pub created_date: Option<DateTime>,
    /// When the run entered the tool's queue; null when the tool does not say.
    pub queued_date: Option<DateTime>,
    /// When the run started executing.
    pub started_date: Option<DateTime>,
    /// When the run finished; null while it runs.
    pub finished_date: Option<DateTime>,
    /// Domain id of its `cicd_scopes` row; dashboards filter by project through
    /// `project_mapping` (`table = 'cicd_scopes'`, `row_id` = this id).
    #[devlake(sql_type = "varchar(255)")]
    pub cicd_scope_id: Option<String>,
    /// Whether another pipeline triggered this one (a child or downstream pipeline).
    pub is_child: Option<bool>,
}

/// A task (job) of a CI/CD pipeline (`cicd_tasks`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "cicd_tasks", name = "CICDTask")]
pub struct CicdTask {
    /// Domain id, `<plugin>:<ToolModel>:<connection id>:<key>` as DevLake's id generator builds
    /// it; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    /// The task's (job's) name.
    #[devlake(sql_type = "varchar(255)")]
    pub name: String,
    /// Domain id of the `cicd_pipelines` row the task belongs to.
    #[devlake(sql_type = "varchar(255)")]
    pub pipeline_id: Option<String>,
    /// Normalised outcome: `SUCCESS` or `FAILURE` (null while running or when neither applies).
    #[devlake(sql_type = "varchar(100)")]
    pub result: Option<CicdResult>,
    /// Normalised state: `IN_PROGRESS`, `DONE` or `OTHER`.
    #[devlake(sql_type = "varchar(100)")]
    pub status: Option<CicdStatus>,
    /// The status exactly as the tool reports it, before mapping to `status`.
    #[devlake(sql_type = "varchar(100)")]
    pub original_status: Option<String>,
    /// The result exactly as the tool reports it, before mapping to `result`.
    #[devlake(sql_type = "varchar(100)")]
    pub original_result: Option<String>,
    /// `BUILD`, `TEST`, `LINT` or `DEPLOYMENT`: whether this is CI or CD; `DEPLOYMENT` rows are
    /// what DevLake turns into deployments.
    #[devlake(sql_type = "varchar(100)")]
    pub r#type: Option<CicdType>,
    /// `PRODUCTION`, `STAGING` or `TESTING`, usually matched by the scope config's environment
    /// patterns; DORA counts only `PRODUCTION`.
    #[devlake(sql_type = "varchar(255)")]
    pub environment: Option<CicdEnvironment>,
    /// Run time in seconds, `finished_date` minus `started_date` (or `created_date`).
    pub duration_sec: Option<f64>,
    /// Seconds spent queued, `started_date` minus `queued_date`; null when either is unknown.
    pub queued_duration_sec: Option<f64>,
    /// When the run was created (triggered) in the tool; not `created_at`, when the row was
    /// written.
    pub created_date: Option<DateTime>,
    /// When the run entered the tool's queue; null when the tool does not say.
    pub queued_date: Option<DateTime>,
    /// When the run started executing.
    pub started_date: Option<DateTime>,
    /// When the run finished; null while it runs.
    pub finished_date: Option<DateTime>,
    /// Domain id of its `cicd_scopes` row; dashboards filter by project through
    /// `project_mapping` (`table = 'cicd_scopes'`, `row_id` = this id).
    #[devlake(sql_type = "varchar(255)")]
    pub cicd_scope_id: Option<String>,
}

/// A commit a CI/CD pipeline ran on (`cicd_pipeline_commits`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "cicd_pipeline_commits", name = "CiCDPipelineCommit")]
pub struct CicdPipelineCommit {
    /// Domain id of the `cicd_pipelines` row.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub pipeline_id: String,
    /// SHA of the commit the pipeline built.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub commit_sha: String,
    /// The commit's message.
    pub commit_msg: Option<String>,
    /// Human-readable title shown in dashboards' drill-down tables.
    pub display_title: Option<String>,
    /// Link to it in the tool's web UI; dashboards' drill-down tables link to it.
    pub url: Option<String>,
    /// The branch (ref) the pipeline ran on.
    #[devlake(sql_type = "varchar(255)")]
    pub branch: Option<String>,
    /// Domain id of the `repos` row of the commit, when the repo is also collected.
    #[devlake(sql_type = "varchar(255)")]
    pub repo_id: Option<String>,
    /// URL of the commit's repo; links pipelines to repos when `repo_id` is unknown.
    pub repo_url: Option<String>,
}

/// A deployment to an environment (`cicd_deployments`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "cicd_deployments", name = "CICDDeployment")]
pub struct CicdDeployment {
    /// Domain id, `<plugin>:<ToolModel>:<connection id>:<key>` as DevLake's id generator builds
    /// it; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    /// Domain id of its `cicd_scopes` row; dashboards filter by project through
    /// `project_mapping` (`table = 'cicd_scopes'`, `row_id` = this id).
    #[devlake(sql_type = "varchar(255)")]
    pub cicd_scope_id: Option<String>,
    /// The deployment's name in the tool.
    #[devlake(sql_type = "text")]
    pub name: Option<String>,
    /// Human-readable title shown in dashboards' drill-down tables.
    pub display_title: Option<String>,
    /// Link to it in the tool's web UI; dashboards' drill-down tables link to it.
    pub url: Option<String>,
    /// Normalised outcome: `SUCCESS` or `FAILURE`; DORA counts successful deployments.
    #[devlake(sql_type = "varchar(100)")]
    pub result: Option<CicdResult>,
    /// Normalised state: `IN_PROGRESS`, `DONE` or `OTHER`.
    #[devlake(sql_type = "varchar(100)")]
    pub status: Option<CicdStatus>,
    /// The status exactly as the tool reports it, before mapping to `status`.
    #[devlake(sql_type = "varchar(100)")]
    pub original_status: Option<String>,
    /// The result exactly as the tool reports it, before mapping to `result`.
    #[devlake(sql_type = "varchar(100)")]
    pub original_result: Option<String>,
    /// `PRODUCTION`, `STAGING` or `TESTING`, usually matched by the scope config's environment
    /// patterns; DORA counts only `PRODUCTION`.
    #[devlake(sql_type = "varchar(255)")]
    pub environment: Option<CicdEnvironment>,
    /// The environment's name exactly as the tool reports it.
    #[devlake(sql_type = "varchar(255)")]
    pub original_environment: Option<String>,
    /// When the run was created (triggered) in the tool; not `created_at`, when the row was
    /// written.
    pub created_date: Option<DateTime>,
    /// When the run entered the tool's queue; null when the tool does not say.
    pub queued_date: Option<DateTime>,
    /// When the run started executing.
    pub started_date: Option<DateTime>,
    /// When the deployment finished: its time in DORA's deployment frequency and lead time.
    pub finished_date: Option<DateTime>,
    /// Run time in seconds, `finished_date` minus `started_date` (or `created_date`).
    pub duration_sec: Option<f64>,
    /// Seconds spent queued, `started_date` minus `queued_date`; null when either is unknown.
    pub queued_duration_sec: Option<f64>,
    /// The DevLake subtask that wrote the row (deployments are written by several).
    #[devlake(sql_type = "varchar(255)")]
    pub subtask_name: Option<String>,
}

/// A commit a deployment shipped, one row per repo (`cicd_deployment_commits`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "cicd_deployment_commits")]
pub struct CicdDeploymentCommit {
    /// Domain id of this deployment of one commit; the framework fills it from the tool model
    /// when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    /// Domain id of its `cicd_scopes` row; dashboards filter by project through
    /// `project_mapping` (`table = 'cicd_scopes'`, `row_id` = this id).
    #[devlake(sql_type = "varchar(255)")]
    pub cicd_scope_id: Option<String>,
    /// Domain id of the `cicd_deployments` row (one deployment ships a commit per repo); DORA
    /// counts distinct deployments by it.
    #[devlake(sql_type = "varchar(255)")]
    pub cicd_deployment_id: Option<String>,
    /// The deployment's name in the tool.
    #[devlake(sql_type = "varchar(255)")]
    pub name: Option<String>,
    /// Human-readable title shown in dashboards' drill-down tables.
    pub display_title: Option<String>,
    /// Link to it in the tool's web UI; dashboards' drill-down tables link to it.
    pub url: Option<String>,
    /// Normalised outcome: `SUCCESS` or `FAILURE`; DORA's deployment frequency and lead time
    /// use `result = 'SUCCESS'` only.
    #[devlake(sql_type = "varchar(100)")]
    pub result: Option<CicdResult>,
    /// Normalised state: `IN_PROGRESS`, `DONE` or `OTHER`.
    #[devlake(sql_type = "varchar(100)")]
    pub status: Option<CicdStatus>,
    /// The status exactly as the tool reports it, before mapping to `status`.
    #[devlake(sql_type = "varchar(100)")]
    pub original_status: Option<String>,
    /// The result exactly as the tool reports it, before mapping to `result`.
    #[devlake(sql_type = "varchar(100)")]
    pub original_result: Option<String>,
    /// `PRODUCTION`, `STAGING` or `TESTING`; DORA uses `environment = 'PRODUCTION'` only.
    #[devlake(sql_type = "varchar(255)")]
    pub environment: Option<CicdEnvironment>,
    /// The environment's name exactly as the tool reports it.
    #[devlake(sql_type = "varchar(255)")]
    pub original_environment: Option<String>,
    /// When the run was created (triggered) in the tool; not `created_at`, when the row was
    /// written.
    pub created_date: Option<DateTime>,
    /// When the run entered the tool's queue; null when the tool does not say.
    pub queued_date: Option<DateTime>,
    /// When the run started executing.
    pub started_date: Option<DateTime>,
    /// When the deployment finished: DORA's deployment time (deployment frequency, lead time
    /// for changes, change failure rate).
    pub finished_date: Option<DateTime>,
    /// Run time in seconds, `finished_date` minus `started_date` (or `created_date`).
    pub duration_sec: Option<f64>,
    /// Seconds spent queued, `started_date` minus `queued_date`; null when either is unknown.
    pub queued_duration_sec: Option<f64>,
    /// SHA of the commit deployed; with the previous successful deployment it delimits the
    /// commits (and pull requests) this deployment shipped.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub commit_sha: String,
    /// The deployed commit's message.
    pub commit_msg: Option<String>,
    /// The branch or tag deployed.
    #[devlake(sql_type = "varchar(255)")]
    pub ref_name: Option<String>,
    /// Domain id of the deployed repo's `repos` row.
    #[devlake(sql_type = "varchar(255)")]
    pub repo_id: Option<String>,
    /// URL of the deployed repo; required, it is how DevLake finds the previous deployment of
    /// the same repo.
    #[devlake(sql_type = "varchar(191)")]
    pub repo_url: String,
    /// Id of the previous successful deployment commit to the same repo and environment;
    /// DevLake computes it.
    #[devlake(sql_type = "varchar(255)")]
    pub prev_success_deployment_commit_id: Option<String>,
    /// The DevLake subtask that wrote the row (deployments are written by several).
    #[devlake(sql_type = "varchar(255)")]
    pub subtask_name: Option<String>,
}

/// A release of a repo (`cicd_releases`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "cicd_releases")]
pub struct CicdRelease {
    /// Domain id, `<plugin>:<ToolModel>:<connection id>:<key>` as DevLake's id generator builds
    /// it; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    /// When the release was published.
    pub published_at: Option<DateTime>,
    /// Domain id of its `cicd_scopes` row; dashboards filter by project through
    /// `project_mapping` (`table = 'cicd_scopes'`, `row_id` = this id).
    #[devlake(sql_type = "varchar(255)")]
    pub cicd_scope_id: Option<String>,
    /// The release's name.
    #[devlake(sql_type = "varchar(255)")]
    pub name: Option<String>,
    /// Human-readable title shown in dashboards' drill-down tables.
    #[devlake(sql_type = "varchar(255)")]
    pub display_title: Option<String>,
    /// The release notes.
    pub description: Option<String>,
    /// Link to it in the tool's web UI; dashboards' drill-down tables link to it.
    pub url: Option<String>,
    /// Whether the release is a draft.
    pub is_draft: Option<bool>,
    /// Whether the tool marks it as the latest release.
    pub is_latest: Option<bool>,
    /// Whether it is a pre-release.
    pub is_prerelease: Option<bool>,
    /// Domain id of the author's `accounts` row.
    #[devlake(sql_type = "varchar(255)")]
    pub author_id: Option<String>,
    /// Domain id of the released repo's `repos` row.
    #[devlake(sql_type = "varchar(255)")]
    pub repo_id: Option<String>,
    /// The tag the release points at.
    pub tag_name: Option<String>,
    /// SHA of the released commit.
    #[devlake(sql_type = "varchar(255)")]
    pub commit_sha: Option<String>,
}
