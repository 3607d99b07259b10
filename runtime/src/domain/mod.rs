//! DevLake's domain layer: the tables every DevLake dashboard reads.
//!
//! Modules follow DevLake's own grouping (`backend/core/models/domainlayer`). Each struct
//! maps to one DevLake table with DevLake's column names and types; see each struct's doc
//! for its table. A stream's `convert` pushes these into its output; a plugin's
//! `domain_scopes` returns the scope kinds ([`devops::CicdScope`], ...).

// Columns are DevLake's own, documented upstream; each struct's doc names its table.
#[allow(missing_docs)]
pub mod devops;

use crate::model::{ColumnType, ColumnValue, EnumInfo};

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

/// A domain model that can be a scope in `make-pipeline` (`repos`, `boards`,
/// `cicd_scopes`, `cq_projects`): DevLake keys it by [`DomainScope::TYPE_NAME`].
pub trait DomainScope: crate::model::Model {
    /// The Go type name DevLake expects in `make-pipeline`'s `scopes[].type_name`.
    const TYPE_NAME: &'static str;
}
