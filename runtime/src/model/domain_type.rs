//! [`DomainType`]: the domain types a stream produces and a scope config selects. It lives
//! in the model layer because the scope config's common `entities` column is typed by it;
//! [`crate::domain`] re-exports it.

use super::{ColumnType, ColumnValue, EnumInfo};

/// The domain types a stream produces and a scope config selects (`entities`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, crate::Enum)]
#[devlake(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DomainType {
    /// Code: repos, commits, refs.
    Code,
    /// Ticket: issues, boards, sprints.
    Ticket,
    /// Code review: pull requests and their comments.
    #[devlake(value = "CODEREVIEW", db = "CODEREVIEW")]
    CodeReview,
    /// Cross-domain: accounts, users, teams, projects.
    Cross,
    /// CI/CD: pipelines, tasks, deployments.
    Cicd,
    /// Code quality: SonarQube-style projects, issues, metrics.
    #[devlake(value = "CODEQUALITY", db = "CODEQUALITY")]
    CodeQuality,
}

/// The [`EnumInfo`] of [`DomainType`], for the scope-config schema.
pub const DOMAIN_TYPE_INFO: &EnumInfo = match <DomainType as ColumnValue>::TYPE {
    ColumnType::Enum(info) => info,
    _ => panic!("DomainType is an enum"),
};
