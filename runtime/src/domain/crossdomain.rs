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
    /// Domain id; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    #[devlake(sql_type = "varchar(255)")]
    pub email: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub full_name: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub user_name: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub avatar_url: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub organization: Option<String>,
    pub created_date: Option<DateTime>,
    pub status: Option<i64>,
}

/// A link between a board and a repo (`board_repos`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "board_repos")]
pub struct BoardRepo {
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub board_id: String,
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub repo_id: String,
}

/// A commit that refers to an issue (`issue_commits`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "issue_commits")]
pub struct IssueCommit {
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub issue_id: String,
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
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub project_name: String,
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub table: String,
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub row_id: String,
}

/// The deployment an incident is attributed to, per project (`project_incident_deployment_relationships`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "project_incident_deployment_relationships")]
pub struct ProjectIncidentDeploymentRelationship {
    /// Domain id; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    #[devlake(primary_key, sql_type = "varchar(100)")]
    pub project_name: String,
    pub deployment_id: Option<String>,
}

/// The lead-time metrics of a pull request, per project (`project_pr_metrics`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "project_pr_metrics")]
pub struct ProjectPrMetric {
    /// Domain id; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    #[devlake(primary_key, sql_type = "varchar(100)")]
    pub project_name: String,
    pub first_commit_sha: Option<String>,
    pub pr_coding_time: Option<i64>,
    pub first_review_id: Option<String>,
    pub pr_pickup_time: Option<i64>,
    pub pr_review_time: Option<i64>,
    pub deployment_commit_id: Option<String>,
    pub pr_deploy_time: Option<i64>,
    pub pr_cycle_time: Option<i64>,
    pub first_commit_authored_date: Option<DateTime>,
    pub first_comment_date: Option<DateTime>,
    pub pr_created_date: Option<DateTime>,
    pub pr_merged_date: Option<DateTime>,
    pub pr_deployed_date: Option<DateTime>,
}

/// An issue a pull request refers to (`pull_request_issues`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "pull_request_issues")]
pub struct PullRequestIssue {
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub pull_request_id: String,
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub issue_id: String,
    pub pull_request_key: Option<i64>,
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
    #[devlake(sql_type = "varchar(255)")]
    pub name: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub alias: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub parent_id: Option<String>,
    pub sorting_index: Option<i64>,
}

/// A member of a team (`team_users`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "team_users")]
pub struct TeamUser {
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub team_id: String,
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
    #[devlake(sql_type = "varchar(255)")]
    pub email: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub name: Option<String>,
}

/// The user an account belongs to (`user_accounts`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "user_accounts")]
pub struct UserAccount {
    #[devlake(sql_type = "varchar(255)")]
    pub user_id: Option<String>,
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub account_id: String,
}
