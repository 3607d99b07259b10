//! The plugin's models, as `azuredevops/models.py` declares them upstream: the connection,
//! the tool scope (a Git repository), the scope config, and the four tool models.
//!
//! Enum columns store the Python member *names* (`InProgress`, `Non`), as pydevlake's
//! SQLModel columns do, so rows written by the Python plugin read back here and the other
//! way round; the JSON values are Azure DevOps' own (`inProgress`, `none`).

use devlake::prelude::*;

/// Where Azure DevOps Services answers; Azure DevOps Server (on premises) answers at
/// `https://<server>/<collection>/` instead, set in [`AzureDevOpsConnection::base_url`].
pub const DEFAULT_BASE_URL: &str = "https://dev.azure.com/";
/// Where Azure DevOps Services keeps profiles and accounts (organizations).
pub const DEFAULT_VSSPS_URL: &str = "https://app.vssps.visualstudio.com/";

/// A connection: a personal access token, optionally limited to one organization.
#[derive(Debug, Clone, devlake::Model)]
// The Python plugin's table name: the derived one would now drop the plugin-name prefix.
#[devlake(connection, table = "_tool_azuredevops_azuredevopsconnections")]
pub struct AzureDevOpsConnection {
    /// The personal access token (sent as HTTP Basic authentication, user empty).
    pub token: Secret,
    /// The organization (on Azure DevOps Server: the collection); empty for all.
    ///
    /// When absent, every organization the token's owner belongs to is offered.
    pub organization: Option<String>,
    /// The API's base URL; default https://dev.azure.com/ (Azure DevOps Services).
    ///
    /// Azure DevOps Server (on premises) answers at `https://<server>/tfs/`. The Python
    /// plugin hard-codes Azure DevOps Services (upstream #7115, #8985).
    pub base_url: Option<String>,
    /// The profile service's base URL; default https://app.vssps.visualstudio.com/.
    ///
    /// It lists the token owner's organizations when no organization is set.
    pub vssps_url: Option<String>,
}

impl AzureDevOpsConnection {
    /// The organization, when one is set (DevLake's UI sends an empty one as `""`).
    pub fn organization(&self) -> Option<&str> {
        non_empty(&self.organization)
    }

    /// The API base URL, with a trailing slash.
    pub fn api_base(&self) -> String {
        with_slash(non_empty(&self.base_url).unwrap_or(DEFAULT_BASE_URL))
    }

    /// The profile service's base URL, with a trailing slash.
    pub fn vssps_base(&self) -> String {
        with_slash(non_empty(&self.vssps_url).unwrap_or(DEFAULT_VSSPS_URL))
    }
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn with_slash(url: &str) -> String {
    let url = url.trim();
    if url.ends_with('/') {
        url.to_string()
    } else {
        format!("{url}/")
    }
}

/// The scope config: how builds and jobs map to deployments and environments, and the
/// refdiff options for CODE.
#[derive(Debug, Clone, Default, devlake::Model)]
#[devlake(scope_config)]
pub struct GitRepositoryConfig {
    /// refdiff's options (`tags_limit`, `tags_order`, `tags_pattern`).
    pub refdiff: Option<serde_json::Value>,
    /// A regular expression: builds and jobs whose name matches are deployments.
    pub deployment_pattern: Option<String>,
    /// A regular expression: deployments to production match it.
    ///
    /// It is matched against the environment `environment_pattern` extracts (jobs), else
    /// the name; without it, every deployment is a production one.
    pub production_pattern: Option<String>,
    /// A regular expression whose first group is the environment of a job or stage.
    ///
    /// It is matched against the name, then the identifier; e.g.
    /// `(?:deploy|predeploy)[_-](.+?)(?:[_-](?:helm|terraform))?$` finds `xxxx-prod` in
    /// `deploy_xxxx-prod_helm`.
    pub environment_pattern: Option<String>,
}

/// The tool scope: a Git repository of an Azure DevOps project, or an external one
/// (GitHub, Bitbucket, plain Git) that the project's pipelines build through a service
/// endpoint.
#[derive(Debug, Clone, devlake::Model)]
#[devlake(scope)]
pub struct GitRepository {
    /// The repository's web URL (no user name in it).
    pub url: String,
    /// The clone URL as Azure DevOps gives it (user name included).
    pub remote_url: Option<String>,
    /// The default branch; repositories without one are empty and not offered.
    pub default_branch: Option<String>,
    /// The project name.
    pub project_id: String,
    /// The organization name.
    pub org_id: String,
    /// The URL of the repository this one was forked from.
    pub parent_repository_url: Option<String>,
    /// The external provider (`github`, `bitbucket`, ...); empty for Azure Repos.
    pub provider: Option<String>,
    /// When the project was last updated.
    pub updated_date: Option<DateTime>,
}

impl GitRepository {
    /// Whether the repository lives outside Azure Repos (only its builds are collected).
    pub fn is_external(&self) -> bool {
        self.provider.as_deref().is_some_and(|p| !p.is_empty())
    }
}

/// A pull request's state in Azure DevOps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, devlake::Enum)]
#[devlake(rename_all = "camelCase")]
pub enum PrStatus {
    /// Closed without merging.
    #[devlake(db = "Abandoned")]
    Abandoned,
    /// Open.
    #[devlake(db = "Active")]
    Active,
    /// Merged.
    #[devlake(db = "Completed")]
    Completed,
}

/// A pull request (`_tool_azuredevops_gitpullrequests`).
#[derive(Debug, Clone, PartialEq, devlake::Model)]
pub struct GitPullRequest {
    /// The pull request's number in its repository.
    #[devlake(primary_key)]
    pub pull_request_id: i64,
    pub description: Option<String>,
    pub status: PrStatus,
    #[devlake(source = "/createdBy/id")]
    pub created_by_id: String,
    #[devlake(source = "/createdBy/displayName")]
    pub created_by_name: String,
    pub creation_date: DateTime,
    pub closed_date: Option<DateTime>,
    #[devlake(source = "/lastMergeSourceCommit/commitId")]
    pub source_commit_sha: String,
    #[devlake(source = "/lastMergeTargetCommit/commitId")]
    pub target_commit_sha: String,
    #[devlake(source = "/lastMergeCommit/commitId")]
    pub merge_commit_sha: Option<String>,
    pub url: Option<String>,
    /// The first label's name.
    #[devlake(source = "/labels/0/name")]
    pub r#type: Option<String>,
    pub title: Option<String>,
    pub target_ref_name: Option<String>,
    pub source_ref_name: Option<String>,
    /// The repository the pull request comes from, when it comes from a fork.
    #[devlake(source = "/forkSource/repository/id")]
    pub fork_repo_id: Option<String>,
}

/// A commit of a pull request (`_tool_azuredevops_gitpullrequestcommits`).
#[derive(Debug, Clone, PartialEq, devlake::Model)]
pub struct GitPullRequestCommit {
    #[devlake(primary_key)]
    pub commit_id: String,
    /// The pull request's domain id (set by the collector).
    ///
    /// Part of the key, as in the Go port and in `pull_request_commits`: one commit can be
    /// in several pull requests (the Python plugin keys by commit alone and keeps one).
    #[devlake(primary_key)]
    pub pull_request_id: String,
    #[devlake(source = "/author/name")]
    pub author_name: String,
    #[devlake(source = "/author/email")]
    pub author_email: Option<String>,
    #[devlake(source = "/author/date")]
    pub author_date: DateTime,
}

/// A build's status in Azure DevOps.
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

/// A build's result in Azure DevOps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, devlake::Enum)]
#[devlake(rename_all = "camelCase")]
pub enum BuildResult {
    #[devlake(db = "Canceled")]
    Canceled,
    #[devlake(db = "Failed")]
    Failed,
    /// Azure's `none`; Python names the member `Non`.
    #[devlake(value = "none", db = "Non")]
    Non,
    #[devlake(db = "PartiallySucceeded")]
    PartiallySucceeded,
    #[devlake(db = "Succeeded")]
    Succeeded,
}

/// A build (`_tool_azuredevops_builds`).
#[derive(Debug, Clone, PartialEq, devlake::Model)]
pub struct Build {
    #[devlake(primary_key)]
    pub id: i64,
    /// The pipeline definition's name.
    #[devlake(source = "/definition/name")]
    pub name: String,
    #[devlake(source = "/queueTime")]
    pub queue_time: Option<DateTime>,
    pub start_time: Option<DateTime>,
    pub finish_time: Option<DateTime>,
    pub status: BuildStatus,
    pub result: Option<BuildResult>,
    pub source_branch: String,
    pub source_version: String,
    /// The commit message that triggered the build.
    #[devlake(source = "/triggerInfo/ci.message")]
    pub display_title: Option<String>,
    #[devlake(source = "/_links/web/href")]
    pub url: Option<String>,
}

/// A timeline record's state.
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

/// A timeline record's result.
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

/// A job or stage of a build's timeline (`_tool_azuredevops_jobs`).
#[derive(Debug, Clone, PartialEq, devlake::Model)]
pub struct Job {
    #[devlake(primary_key)]
    pub id: String,
    /// The build's domain id (set by the collector).
    #[devlake(primary_key)]
    pub build_id: String,
    pub name: String,
    pub start_time: Option<DateTime>,
    pub finish_time: Option<DateTime>,
    pub state: JobState,
    pub result: Option<JobResult>,
    pub identifier: Option<String>,
    /// `Job` or `Stage`.
    pub r#type: Option<String>,
    pub parent_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connection(org: Option<&str>, base: Option<&str>) -> AzureDevOpsConnection {
        AzureDevOpsConnection {
            token: Secret::new("t"),
            organization: org.map(String::from),
            base_url: base.map(String::from),
            vssps_url: None,
        }
    }

    #[test]
    fn empty_settings_are_unset() {
        let c = connection(Some(" "), Some(""));
        assert_eq!(c.organization(), None);
        assert_eq!(c.api_base(), DEFAULT_BASE_URL);
        assert_eq!(c.vssps_base(), DEFAULT_VSSPS_URL);
        let c = connection(Some("org"), Some("https://tfs.example.com/tfs"));
        assert_eq!(c.organization(), Some("org"));
        assert_eq!(c.api_base(), "https://tfs.example.com/tfs/");
    }
}
