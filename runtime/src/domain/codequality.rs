//! Code quality (DevLake's `codequality` package): projects, issues and file metrics, as
//! SonarQube-style tools report them.

use crate::model::{DateTime, Model, ModelDescriptor};

/// This module's tables, in DevLake's order.
pub fn tables() -> Vec<&'static ModelDescriptor> {
    vec![
        CqProject::descriptor(),
        CqIssue::descriptor(),
        CqIssueCodeBlock::descriptor(),
        CqIssueImpact::descriptor(),
        CqFileMetrics::descriptor(),
    ]
}

/// A code-quality project (a SonarQube project); a domain scope (`cq_projects`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "cq_projects")]
pub struct CqProject {
    /// Domain id; the framework fills it from the tool scope when empty.
    #[devlake(primary_key, sql_type = "varchar(500)")]
    pub id: String,
    #[devlake(sql_type = "varchar(2000)")]
    pub name: String,
    #[devlake(sql_type = "varchar(255)")]
    pub qualifier: Option<String>,
    #[devlake(sql_type = "varchar(64)")]
    pub visibility: Option<String>,
    pub last_analysis_date: Option<DateTime>,
    #[devlake(sql_type = "varchar(128)")]
    pub commit_sha: Option<String>,
}

impl super::DomainScope for CqProject {
    const TYPE_NAME: &'static str = "CqProject";
}

/// A code-quality finding: bug, vulnerability, code smell or hotspot (`cq_issues`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "cq_issues")]
pub struct CqIssue {
    /// Domain id; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    /// Key of the rule that raised it.
    #[devlake(sql_type = "varchar(255)")]
    pub rule: Option<String>,
    /// Severity as the tool spells it (`BLOCKER`, `CRITICAL`, `MAJOR`, `MINOR`, `INFO`).
    #[devlake(sql_type = "varchar(100)")]
    pub severity: Option<String>,
    /// The file (component) it is in.
    pub component: Option<String>,
    /// Domain id of the `cq_projects` row.
    #[devlake(sql_type = "varchar(500)")]
    pub project_key: Option<String>,
    /// The line it is on.
    pub line: Option<i64>,
    /// The issue's state as the tool spells it (`OPEN`, `CLOSED`, ...).
    #[devlake(sql_type = "varchar(20)")]
    pub status: Option<String>,
    /// What the rule says is wrong.
    pub message: Option<String>,
    /// Technical debt, in minutes.
    pub debt: Option<i64>,
    /// Effort to fix, in minutes.
    pub effort: Option<i64>,
    #[devlake(sql_type = "varchar(255)")]
    pub commit_author_email: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub assignee: Option<String>,
    #[devlake(sql_type = "varchar(100)")]
    pub hash: Option<String>,
    pub tags: Option<String>,
    /// `BUG`, `VULNERABILITY`, `CODE_SMELL` or `HOTSPOTS`; the code-quality dashboards count by
    /// it.
    #[devlake(sql_type = "varchar(100)")]
    pub r#type: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub scope: Option<String>,
    pub start_line: Option<i64>,
    pub end_line: Option<i64>,
    pub start_offset: Option<i64>,
    pub end_offset: Option<i64>,
    #[devlake(sql_type = "varchar(100)")]
    pub vulnerability_probability: Option<String>,
    #[devlake(sql_type = "varchar(100)")]
    pub security_category: Option<String>,
    /// When it was raised.
    pub created_date: Option<DateTime>,
    /// When it last changed.
    pub updated_date: Option<DateTime>,
}

/// A code location of a code-quality issue (`cq_issue_code_blocks`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "cq_issue_code_blocks")]
pub struct CqIssueCodeBlock {
    /// Domain id; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    #[devlake(sql_type = "varchar(191)")]
    pub issue_key: Option<String>,
    #[devlake(sql_type = "varchar(191)")]
    pub component: Option<String>,
    pub start_line: Option<i64>,
    pub end_line: Option<i64>,
    pub start_offset: Option<i64>,
    pub end_offset: Option<i64>,
    pub msg: Option<String>,
}

/// The impact of a code-quality issue on one software quality (`cq_issue_impacts`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "cq_issue_impacts")]
pub struct CqIssueImpact {
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub cq_issue_id: String,
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub software_quality: String,
    #[devlake(sql_type = "varchar(100)")]
    pub severity: Option<String>,
}

/// The code-quality measures of one file (`cq_file_metrics`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "cq_file_metrics")]
pub struct CqFileMetrics {
    /// Domain id; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    #[devlake(sql_type = "varchar(500)")]
    pub project_key: Option<String>,
    #[devlake(sql_type = "varchar(2000)")]
    pub file_name: Option<String>,
    pub file_path: Option<String>,
    #[devlake(sql_type = "varchar(20)")]
    pub file_language: Option<String>,
    pub code_smells: Option<i64>,
    pub sqale_index: Option<i64>,
    pub sqale_rating: Option<f64>,
    pub bugs: Option<i64>,
    #[devlake(sql_type = "varchar(20)")]
    pub reliability_rating: Option<String>,
    pub vulnerabilities: Option<i64>,
    #[devlake(sql_type = "varchar(20)")]
    pub security_rating: Option<String>,
    pub security_hotspots: Option<i64>,
    pub security_hotspots_reviewed: Option<f64>,
    #[devlake(sql_type = "varchar(20)")]
    pub security_review_rating: Option<String>,
    pub ncloc: Option<i64>,
    pub uncovered_lines: Option<i64>,
    pub coverage: Option<f64>,
    pub lines_to_cover: Option<i64>,
    pub duplicated_lines_density: Option<f64>,
    pub duplicated_blocks: Option<i64>,
    pub duplicated_files: Option<i64>,
    pub duplicated_lines: Option<i64>,
    pub effort_to_reach_maintainability_rating_a: Option<i64>,
    pub complexity: Option<i64>,
    pub cognitive_complexity: Option<i64>,
    pub num_of_lines: Option<i64>,
}
