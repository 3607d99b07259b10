//! DevLake's domain layer: the tables every DevLake dashboard reads.
//!
//! Modules follow DevLake's own grouping (`backend/core/models/domainlayer`): [`code`],
//! [`codequality`], [`crossdomain`], [`devops`], [`qa`] and [`ticket`]. Each struct maps to
//! one DevLake table with DevLake's column names, SQL types and primary key, so the tables
//! this runtime creates match the ones DevLake's Go side creates. A stream's `convert`
//! pushes these into its [`DomainSink`](crate::stream::DomainSink); a plugin's
//! `domain_scopes` returns the scope kinds ([`code::Repo`], [`ticket::Board`],
//! [`devops::CicdScope`], [`codequality::CqProject`]). [`all_tables`] lists them all.
//!
//! Conventions, the same in every module:
//!
//! - The framework adds DevLake's common columns (`created_at`, `updated_at`,
//!   `_raw_data_*`); structs declare only the table's own columns, in DevLake's order.
//!   Four tables embed none of them in DevLake ([`code::CommitsDiff`], [`code::RefCommit`],
//!   [`code::Component`], [`code::RepoLanguage`]) and have exactly their declared columns.
//! - Keys are required; so are the names of scopes, pipelines and tasks. Everything else is
//!   an `Option`, as DevLake's Go zero values are.
//! - Columns with a DevLake enum use a Rust enum ([`devops::CicdResult`],
//!   [`ticket::IssueType`], [`code::PullRequestStatus`], ...); free-form `original_*`
//!   columns stay strings.
//! - SQL types come from the gorm `type:` tags. An indexed string without one is
//!   `varchar(191)`, the type gorm gives it on MySQL (a `longtext` cannot be indexed).
//!
//! | Rust struct | DevLake table | Module |
//! |---|---|---|
//! | [`crossdomain::Account`] | `accounts` | `crossdomain` |
//! | [`ticket::BoardIssue`] | `board_issues` | `ticket` |
//! | [`crossdomain::BoardRepo`] | `board_repos` | `crossdomain` |
//! | [`ticket::BoardSprint`] | `board_sprints` | `ticket` |
//! | [`ticket::Board`] | `boards` | `ticket` |
//! | [`devops::CicdDeploymentCommit`] | `cicd_deployment_commits` | `devops` |
//! | [`devops::CicdDeployment`] | `cicd_deployments` | `devops` |
//! | [`devops::CicdPipelineCommit`] | `cicd_pipeline_commits` | `devops` |
//! | [`devops::CicdPipeline`] | `cicd_pipelines` | `devops` |
//! | [`devops::CicdRelease`] | `cicd_releases` | `devops` |
//! | [`devops::CicdScope`] | `cicd_scopes` | `devops` |
//! | [`devops::CicdTask`] | `cicd_tasks` | `devops` |
//! | [`code::CommitFileComponent`] | `commit_file_components` | `code` |
//! | [`code::CommitFile`] | `commit_files` | `code` |
//! | [`code::CommitLineChange`] | `commit_line_change` | `code` |
//! | [`code::CommitParent`] | `commit_parents` | `code` |
//! | [`code::Commit`] | `commits` | `code` |
//! | [`code::CommitsDiff`] | `commits_diffs` | `code` |
//! | [`code::Component`] | `components` | `code` |
//! | [`codequality::CqFileMetrics`] | `cq_file_metrics` | `codequality` |
//! | [`codequality::CqIssueCodeBlock`] | `cq_issue_code_blocks` | `codequality` |
//! | [`codequality::CqIssueImpact`] | `cq_issue_impacts` | `codequality` |
//! | [`codequality::CqIssue`] | `cq_issues` | `codequality` |
//! | [`codequality::CqProject`] | `cq_projects` | `codequality` |
//! | [`ticket::IncidentAssignee`] | `incident_assignees` | `ticket` |
//! | [`ticket::Incident`] | `incidents` | `ticket` |
//! | [`ticket::IssueAssignee`] | `issue_assignees` | `ticket` |
//! | [`ticket::IssueChangelog`] | `issue_changelogs` | `ticket` |
//! | [`ticket::IssueComment`] | `issue_comments` | `ticket` |
//! | [`crossdomain::IssueCommit`] | `issue_commits` | `crossdomain` |
//! | [`ticket::IssueCustomArrayField`] | `issue_custom_array_fields` | `ticket` |
//! | [`ticket::IssueLabel`] | `issue_labels` | `ticket` |
//! | [`ticket::IssueRelationship`] | `issue_relationships` | `ticket` |
//! | [`crossdomain::IssueRepoCommit`] | `issue_repo_commits` | `crossdomain` |
//! | [`ticket::IssueWorklog`] | `issue_worklogs` | `ticket` |
//! | [`ticket::Issue`] | `issues` | `ticket` |
//! | [`crossdomain::ProjectIncidentDeploymentRelationship`] | `project_incident_deployment_relationships` | `crossdomain` |
//! | [`crossdomain::ProjectMapping`] | `project_mapping` | `crossdomain` |
//! | [`crossdomain::ProjectPrMetric`] | `project_pr_metrics` | `crossdomain` |
//! | [`code::PullRequestAssignee`] | `pull_request_assignees` | `code` |
//! | [`code::PullRequestComment`] | `pull_request_comments` | `code` |
//! | [`code::PullRequestCommit`] | `pull_request_commits` | `code` |
//! | [`crossdomain::PullRequestIssue`] | `pull_request_issues` | `crossdomain` |
//! | [`code::PullRequestLabel`] | `pull_request_labels` | `code` |
//! | [`code::PullRequestReviewer`] | `pull_request_reviewers` | `code` |
//! | [`code::PullRequest`] | `pull_requests` | `code` |
//! | [`qa::QaApi`] | `qa_apis` | `qa` |
//! | [`qa::QaProject`] | `qa_projects` | `qa` |
//! | [`qa::QaTestCaseExecution`] | `qa_test_case_executions` | `qa` |
//! | [`qa::QaTestCase`] | `qa_test_cases` | `qa` |
//! | [`code::RefCommit`] | `ref_commits` | `code` |
//! | [`code::Ref`] | `refs` | `code` |
//! | [`crossdomain::RefsIssuesDiff`] | `refs_issues_diffs` | `crossdomain` |
//! | [`code::RefsPrCherrypick`] | `refs_pr_cherrypicks` | `code` |
//! | [`code::RepoCommit`] | `repo_commits` | `code` |
//! | [`code::RepoLanguage`] | `repo_languages` | `code` |
//! | [`code::RepoSnapshot`] | `repo_snapshot` | `code` |
//! | [`code::Repo`] | `repos` | `code` |
//! | [`ticket::SprintIssue`] | `sprint_issues` | `ticket` |
//! | [`ticket::Sprint`] | `sprints` | `ticket` |
//! | [`crossdomain::TeamUser`] | `team_users` | `crossdomain` |
//! | [`crossdomain::Team`] | `teams` | `crossdomain` |
//! | [`crossdomain::UserAccount`] | `user_accounts` | `crossdomain` |
//! | [`crossdomain::User`] | `users` | `crossdomain` |

// Columns are DevLake's own, documented upstream; each struct's doc names its table.
#[allow(missing_docs)]
pub mod code;
#[allow(missing_docs)]
pub mod codequality;
#[allow(missing_docs)]
pub mod crossdomain;
#[allow(missing_docs)]
pub mod devops;
#[allow(missing_docs)]
pub mod qa;
#[allow(missing_docs)]
pub mod ticket;

// Defined with the model layer (a scope config's `entities` column is a list of them);
// re-exported here, where plugin code looks for it.
pub use crate::model::{DomainType, DOMAIN_TYPE_INFO};

use crate::model::ModelDescriptor;

/// A domain model that can be a scope in `make-pipeline` (`repos`, `boards`,
/// `cicd_scopes`, `cq_projects`): DevLake keys it by [`DomainScope::TYPE_NAME`].
pub trait DomainScope: crate::model::Model {
    /// The Go type name DevLake expects in `make-pipeline`'s `scopes[].type_name`.
    const TYPE_NAME: &'static str;
}

/// Every DevLake domain table (all 64), sorted by table name: for plugin authors who
/// create or inspect the domain layer, and for conformance checks.
pub fn all_tables() -> Vec<&'static ModelDescriptor> {
    let mut all: Vec<&'static ModelDescriptor> = [
        code::tables(),
        codequality::tables(),
        crossdomain::tables(),
        devops::tables(),
        qa::tables(),
        ticket::tables(),
    ]
    .concat();
    all.sort_by_key(|d| d.table);
    all
}
