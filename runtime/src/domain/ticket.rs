//! Ticket (DevLake's `ticket` package): boards, issues, sprints, worklogs and incidents.

use crate::model::{DateTime, Model, ModelDescriptor};

/// DevLake's standard issue types (`issues.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, crate::Enum)]
#[devlake(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IssueType {
    /// A defect.
    Bug,
    /// A feature or story.
    Requirement,
    /// A production incident.
    Incident,
    /// A task.
    Task,
    /// A subtask.
    Subtask,
}

/// DevLake's standard issue and incident statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, crate::Enum)]
#[devlake(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IssueStatus {
    /// Not started.
    Todo,
    /// Finished.
    Done,
    /// Being worked on.
    InProgress,
    /// Anything else.
    Other,
}

/// Where a sprint is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, crate::Enum)]
#[devlake(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SprintStatus {
    /// Not started.
    BeforeSprint,
    /// Running.
    DuringSprint,
    /// Closed.
    AfterSprint,
}

/// This module's tables, in DevLake's order.
pub fn tables() -> Vec<&'static ModelDescriptor> {
    vec![
        Board::descriptor(),
        BoardIssue::descriptor(),
        BoardSprint::descriptor(),
        Issue::descriptor(),
        IssueChangelog::descriptor(),
        IssueComment::descriptor(),
        IssueLabel::descriptor(),
        IssueWorklog::descriptor(),
        Sprint::descriptor(),
        SprintIssue::descriptor(),
        IssueAssignee::descriptor(),
        IssueRelationship::descriptor(),
        IssueCustomArrayField::descriptor(),
        Incident::descriptor(),
        IncidentAssignee::descriptor(),
    ]
}

/// An issue board (a Jira board, a repo's issues); a domain scope (`boards`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "boards")]
pub struct Board {
    /// Domain id; the framework fills it from the tool scope when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    #[devlake(sql_type = "varchar(255)")]
    pub name: String,
    pub description: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub url: Option<String>,
    pub created_date: Option<DateTime>,
    #[devlake(sql_type = "varchar(255)")]
    pub r#type: Option<String>,
}

impl super::DomainScope for Board {
    const TYPE_NAME: &'static str = "Board";
}

/// An issue on a board (`board_issues`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "board_issues")]
pub struct BoardIssue {
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub board_id: String,
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub issue_id: String,
}

/// A sprint of a board (`board_sprints`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "board_sprints")]
pub struct BoardSprint {
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub board_id: String,
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub sprint_id: String,
}

/// An issue: requirement, bug, incident, task or subtask (`issues`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "issues")]
pub struct Issue {
    /// Domain id; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    #[devlake(sql_type = "varchar(255)")]
    pub url: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub icon_url: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub issue_key: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub epic_key: Option<String>,
    #[devlake(sql_type = "varchar(100)")]
    pub r#type: Option<IssueType>,
    #[devlake(sql_type = "varchar(500)")]
    pub original_type: Option<String>,
    #[devlake(sql_type = "varchar(100)")]
    pub status: Option<IssueStatus>,
    #[devlake(sql_type = "varchar(100)")]
    pub original_status: Option<String>,
    pub story_point: Option<f64>,
    pub resolution_date: Option<DateTime>,
    pub created_date: Option<DateTime>,
    pub updated_date: Option<DateTime>,
    #[devlake(sql_type = "bigint unsigned")]
    pub lead_time_minutes: Option<i64>,
    pub original_estimate_minutes: Option<i64>,
    pub time_spent_minutes: Option<i64>,
    pub time_remaining_minutes: Option<i64>,
    #[devlake(sql_type = "varchar(255)")]
    pub creator_id: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub creator_name: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub assignee_id: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub assignee_name: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub parent_issue_id: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub priority: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub severity: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub urgency: Option<String>,
    #[devlake(sql_type = "text")]
    pub component: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub original_project: Option<String>,
    pub is_subtask: Option<bool>,
    pub due_date: Option<DateTime>,
    #[devlake(sql_type = "text")]
    pub fix_versions: Option<String>,
}

/// A change of one field of an issue (`issue_changelogs`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "issue_changelogs", name = "IssueChangelogs")]
pub struct IssueChangelog {
    /// Domain id; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    #[devlake(sql_type = "varchar(255)")]
    pub issue_id: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub author_id: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub author_name: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub field_id: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub field_name: Option<String>,
    pub original_from_value: Option<String>,
    pub original_to_value: Option<String>,
    pub from_value: Option<String>,
    pub to_value: Option<String>,
    pub created_date: Option<DateTime>,
}

/// A comment on an issue (`issue_comments`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "issue_comments")]
pub struct IssueComment {
    /// Domain id; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    #[devlake(sql_type = "varchar(191)")]
    pub issue_id: Option<String>,
    pub body: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub account_id: Option<String>,
    pub created_date: Option<DateTime>,
    pub updated_date: Option<DateTime>,
}

/// A label on an issue (`issue_labels`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "issue_labels")]
pub struct IssueLabel {
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub issue_id: String,
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub label_name: String,
}

/// Time logged on an issue (`issue_worklogs`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "issue_worklogs")]
pub struct IssueWorklog {
    /// Domain id; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    #[devlake(sql_type = "varchar(255)")]
    pub author_id: Option<String>,
    pub comment: Option<String>,
    pub time_spent_minutes: Option<i64>,
    pub logged_date: Option<DateTime>,
    pub started_date: Option<DateTime>,
    #[devlake(sql_type = "varchar(255)")]
    pub issue_id: Option<String>,
}

/// A sprint (iteration) (`sprints`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "sprints")]
pub struct Sprint {
    /// Domain id; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    #[devlake(sql_type = "varchar(255)")]
    pub name: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub url: Option<String>,
    #[devlake(sql_type = "varchar(100)")]
    pub status: Option<SprintStatus>,
    pub started_date: Option<DateTime>,
    pub ended_date: Option<DateTime>,
    pub completed_date: Option<DateTime>,
    #[devlake(sql_type = "varchar(255)")]
    pub original_board_id: Option<String>,
}

/// An issue in a sprint (`sprint_issues`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "sprint_issues")]
pub struct SprintIssue {
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub sprint_id: String,
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub issue_id: String,
}

/// An assignee of an issue (`issue_assignees`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "issue_assignees")]
pub struct IssueAssignee {
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub issue_id: String,
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub assignee_id: String,
    #[devlake(sql_type = "varchar(255)")]
    pub assignee_name: Option<String>,
}

/// A typed link between two issues (`issue_relationships`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "issue_relationships")]
pub struct IssueRelationship {
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub source_issue_id: String,
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub target_issue_id: String,
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub original_type: String,
}

/// One value of a multi-valued custom field of an issue (`issue_custom_array_fields`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "issue_custom_array_fields")]
pub struct IssueCustomArrayField {
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub issue_id: String,
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub field_id: String,
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub field_value: String,
}

/// An incident, derived from an issue or a pull request (`incidents`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "incidents")]
pub struct Incident {
    /// Domain id; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    #[devlake(sql_type = "varchar(255)")]
    pub url: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub incident_key: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    #[devlake(sql_type = "varchar(100)")]
    pub status: Option<IssueStatus>,
    #[devlake(sql_type = "varchar(100)")]
    pub original_status: Option<String>,
    pub resolution_date: Option<DateTime>,
    pub created_date: Option<DateTime>,
    pub updated_date: Option<DateTime>,
    #[devlake(sql_type = "bigint unsigned")]
    pub lead_time_minutes: Option<i64>,
    pub original_estimate_minutes: Option<i64>,
    pub time_spent_minutes: Option<i64>,
    pub time_remaining_minutes: Option<i64>,
    #[devlake(sql_type = "varchar(255)")]
    pub creator_id: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub creator_name: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub parent_incident_id: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub priority: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub severity: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub urgency: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub component: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub original_project: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub table: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub scope_id: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub assignee_id: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub assignee_name: Option<String>,
}

/// An assignee of an incident (`incident_assignees`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "incident_assignees")]
pub struct IncidentAssignee {
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub incident_id: String,
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub assignee_id: String,
    #[devlake(sql_type = "varchar(255)")]
    pub assignee_name: Option<String>,
}
