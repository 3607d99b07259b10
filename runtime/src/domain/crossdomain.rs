//! Cross-domain (DevLake's `crossdomain` package): accounts, users, teams, project mapping
//! and the links between domains.

use crate::model::{DateTime, Model, ModelDescriptor};

/// This module's tables, in DevLake's order.
pub fn tables() -> Vec<&'static ModelDescriptor> {
    vec![
        Account::descriptor(),
        BoardRepo::descriptor(),
        IssueCommit::descriptor(),
        IssueRepoCommit::descriptor(),
        ProjectMapping::descriptor(),
        ProjectIncidentDeploymentRelationship::descriptor(),
        ProjectPrMetric::descriptor(),
        PullRequestIssue::descriptor(),
        RefsIssuesDiff::descriptor(),
        Team::descriptor(),
        TeamUser::descriptor(),
        User::descriptor(),
        UserAccount::descriptor(),
    ]
}

/// A user account on one tool (`accounts`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "accounts")]
pub struct Account {
    /// Domain id, `<plugin>:<ToolModel>:<connection id>:<key>` as DevLake's id generator builds
    /// it; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    /// The account's email.
    #[devlake(sql_type = "varchar(255)")]
    pub email: Option<String>,
    /// The display name.
    #[devlake(sql_type = "varchar(255)")]
    pub full_name: Option<String>,
    /// The login name.
    #[devlake(sql_type = "varchar(255)")]
    pub user_name: Option<String>,
    /// URL of the avatar.
    #[devlake(sql_type = "varchar(255)")]
    pub avatar_url: Option<String>,
    /// The organisation or team the tool lists.
    #[devlake(sql_type = "varchar(255)")]
    pub organization: Option<String>,
    /// When the account was created.
    pub created_date: Option<DateTime>,
    /// The tool's status code of the account.
    pub status: Option<i64>,
}

/// A link between a board and a repo (`board_repos`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "board_repos")]
pub struct BoardRepo {
    /// Domain id of the `boards` row.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub board_id: String,
    /// Domain id of the `repos` row whose issues the board tracks.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub repo_id: String,
}

/// A commit that refers to an issue (`issue_commits`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "issue_commits")]
pub struct IssueCommit {
    /// Domain id of the `issues` row.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub issue_id: String,
    /// SHA of a commit whose message refers to the issue.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub commit_sha: String,
}

/// A commit that refers to an issue, with the commit's repo (`issue_repo_commits`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "issue_repo_commits")]
pub struct IssueRepoCommit {
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub issue_id: String,
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub repo_url: String,
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub commit_sha: String,
    #[devlake(sql_type = "varchar(255)")]
    pub host: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub namespace: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub repo_name: Option<String>,
}

/// A scope of a DevLake project: a row of a scope table (`project_mapping`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "project_mapping")]
pub struct ProjectMapping {
    /// The DevLake project's name: the `project` variable of every dashboard.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub project_name: String,
    /// The domain table of the scope: `repos`, `boards`, `cicd_scopes`, `cq_projects` or
    /// `qa_projects`.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub table: String,
    /// Domain id of the scope's row in `table`; dashboards join `project_mapping.row_id` to
    /// e.g. `cicd_deployment_commits.cicd_scope_id`.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub row_id: String,
}

/// The deployment an incident is attributed to, per project (`project_incident_deployment_relationships`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "project_incident_deployment_relationships")]
pub struct ProjectIncidentDeploymentRelationship {
    /// Domain id of the `incidents` row.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    /// The DevLake project.
    #[devlake(primary_key, sql_type = "varchar(100)")]
    pub project_name: String,
    /// Domain id of the deployment (`cicd_deployment_commits.cicd_deployment_id`) the incident
    /// is blamed on: the last successful production deployment before it; DORA's change failure
    /// rate counts these.
    pub deployment_id: Option<String>,
}

/// The lead-time metrics of a pull request, per project (`project_pr_metrics`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "project_pr_metrics")]
pub struct ProjectPrMetric {
    /// Domain id of the `pull_requests` row the metrics are for.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    /// The DevLake project they are computed in.
    #[devlake(primary_key, sql_type = "varchar(100)")]
    pub project_name: String,
    /// SHA of the pull request's earliest authored commit.
    pub first_commit_sha: Option<String>,
    /// Minutes from the first commit's authored date to the pull request's creation.
    pub pr_coding_time: Option<i64>,
    /// Domain id of the first review comment by someone other than the author.
    pub first_review_id: Option<String>,
    /// Minutes from creation to the first review.
    pub pr_pickup_time: Option<i64>,
    /// Minutes from the first review to the merge.
    pub pr_review_time: Option<i64>,
    /// Domain id of the `cicd_deployment_commits` row that first shipped it to production.
    pub deployment_commit_id: Option<String>,
    /// Minutes from the merge to that deployment's finish.
    pub pr_deploy_time: Option<i64>,
    /// Coding + pickup + review + deploy time, each where known: DORA's lead time for changes
    /// (dashboards take its median per month).
    pub pr_cycle_time: Option<i64>,
    /// When the first commit was authored.
    pub first_commit_authored_date: Option<DateTime>,
    /// When the first review was posted.
    pub first_comment_date: Option<DateTime>,
    /// When the pull request was created.
    pub pr_created_date: Option<DateTime>,
    /// When it was merged.
    pub pr_merged_date: Option<DateTime>,
    /// When the deployment that shipped it finished.
    pub pr_deployed_date: Option<DateTime>,
}

/// An issue a pull request refers to (`pull_request_issues`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "pull_request_issues")]
pub struct PullRequestIssue {
    /// Domain id of the `pull_requests` row.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub pull_request_id: String,
    /// Domain id of the `issues` row the pull request refers to (by key in its title or body).
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub issue_id: String,
    /// The pull request's number.
    pub pull_request_key: Option<i64>,
    /// The issue's key.
    #[devlake(sql_type = "varchar(255)")]
    pub issue_key: Option<String>,
}

/// An issue resolved between two refs (`refs_issues_diffs`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "refs_issues_diffs", name = "RefsIssuesDiffs")]
pub struct RefsIssuesDiff {
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub new_ref_id: String,
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub old_ref_id: String,
    #[devlake(sql_type = "varchar(40)")]
    pub new_ref_commit_sha: Option<String>,
    #[devlake(sql_type = "varchar(40)")]
    pub old_ref_commit_sha: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub issue_number: Option<String>,
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub issue_id: String,
}

/// A team (`teams`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "teams")]
pub struct Team {
    /// Domain id; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    /// The team's name; DORA-by-team dashboards group by it.
    #[devlake(sql_type = "varchar(255)")]
    pub name: Option<String>,
    /// Another name of the team.
    #[devlake(sql_type = "varchar(255)")]
    pub alias: Option<String>,
    /// Domain id of the parent team.
    #[devlake(sql_type = "varchar(255)")]
    pub parent_id: Option<String>,
    /// Position among its siblings in DevLake's team list.
    pub sorting_index: Option<i64>,
}

/// A member of a team (`team_users`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "team_users")]
pub struct TeamUser {
    /// Domain id of the `teams` row.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub team_id: String,
    /// Domain id of the `users` row.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub user_id: String,
}

/// A person, across tools (`users`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "users")]
pub struct User {
    /// Domain id; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    /// The person's email.
    #[devlake(sql_type = "varchar(255)")]
    pub email: Option<String>,
    /// The person's name.
    #[devlake(sql_type = "varchar(255)")]
    pub name: Option<String>,
}

/// The user an account belongs to (`user_accounts`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "user_accounts")]
pub struct UserAccount {
    /// Domain id of the `users` row (a person).
    #[devlake(sql_type = "varchar(255)")]
    pub user_id: Option<String>,
    /// Domain id of one of their `accounts` rows (one per tool).
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub account_id: String,
}
