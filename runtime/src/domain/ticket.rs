//! Ticket (DevLake's `ticket` package): boards, issues, sprints, worklogs and incidents.

use crate::model::{DateTime, Model, ModelDescriptor};

/// DevLake's standard issue types (`issues.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, crate::Enum)]
#[devlake(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IssueType {
    /// `BUG`: a defect; the bug dashboards count these.
    Bug,
    /// `REQUIREMENT`: a feature or story; the requirement lead-time panels use these.
    Requirement,
    /// `INCIDENT`: a production incident; DevLake copies these into `incidents` for DORA's
    /// change failure rate and time to restore.
    Incident,
    /// `TASK`: other work.
    Task,
    /// `SUBTASK`: part of another issue.
    Subtask,
}

/// DevLake's standard issue and incident statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, crate::Enum)]
#[devlake(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IssueStatus {
    /// `TODO`: not started.
    Todo,
    /// `DONE`: resolved; has a `resolution_date`.
    Done,
    /// `IN_PROGRESS`: being worked on.
    InProgress,
    /// `OTHER`: a status the plugin could not map.
    Other,
}

/// Where a sprint is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, crate::Enum)]
#[devlake(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SprintStatus {
    /// `BEFORE_SPRINT`: planned, not started.
    BeforeSprint,
    /// `DURING_SPRINT`: running.
    DuringSprint,
    /// `AFTER_SPRINT`: closed.
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
    /// Domain id, `<plugin>:<ToolScope>:<connection id>:<key>` as DevLake's id generator builds
    /// it; the framework fills it from the tool scope when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    /// The board's name; shown in dashboards' board pickers.
    #[devlake(sql_type = "varchar(255)")]
    pub name: String,
    /// Free-text description from the tool.
    pub description: Option<String>,
    /// Link to it in the tool's web UI; dashboards' drill-down tables link to it.
    #[devlake(sql_type = "varchar(255)")]
    pub url: Option<String>,
    /// When the board was created in the tool.
    pub created_date: Option<DateTime>,
    /// The tool's kind of board (`scrum`, `kanban`, ...).
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
    /// Domain id of the `boards` row; dashboards reach a project's issues through
    /// `project_mapping` (`table = 'boards'`) and this table.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub board_id: String,
    /// Domain id of the `issues` row.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub issue_id: String,
}

/// A sprint of a board (`board_sprints`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "board_sprints")]
pub struct BoardSprint {
    /// Domain id of the `boards` row.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub board_id: String,
    /// Domain id of the `sprints` row.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub sprint_id: String,
}

/// An issue: requirement, bug, incident, task or subtask (`issues`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "issues")]
pub struct Issue {
    /// Domain id, `<plugin>:<ToolModel>:<connection id>:<key>` as DevLake's id generator builds
    /// it; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    /// Link to it in the tool's web UI; dashboards' drill-down tables link to it.
    #[devlake(sql_type = "varchar(255)")]
    pub url: Option<String>,
    /// URL of the issue type's icon.
    #[devlake(sql_type = "varchar(255)")]
    pub icon_url: Option<String>,
    /// The key users see (`PROJ-123`, `#42`).
    #[devlake(sql_type = "varchar(255)")]
    pub issue_key: Option<String>,
    /// The title (summary).
    pub title: Option<String>,
    /// The body.
    pub description: Option<String>,
    /// Key of the epic it belongs to.
    #[devlake(sql_type = "varchar(255)")]
    pub epic_key: Option<String>,
    /// Normalised type: `REQUIREMENT`, `BUG`, `INCIDENT`, `TASK` or `SUBTASK`, mapped from
    /// `original_type` by the scope config's type rules; dashboards count bugs, requirements
    /// and incidents by it.
    #[devlake(sql_type = "varchar(100)")]
    pub r#type: Option<IssueType>,
    /// The type exactly as the tool reports it.
    #[devlake(sql_type = "varchar(500)")]
    pub original_type: Option<String>,
    /// Normalised state: `TODO`, `IN_PROGRESS`, `DONE` or `OTHER`, mapped from
    /// `original_status` by the plugin's status rules.
    #[devlake(sql_type = "varchar(100)")]
    pub status: Option<IssueStatus>,
    /// The status exactly as the tool reports it, before mapping to `status`.
    #[devlake(sql_type = "varchar(100)")]
    pub original_status: Option<String>,
    /// Estimate in story points; sprint dashboards sum it.
    pub story_point: Option<f64>,
    /// When it was resolved (done); null while open. Ends the lead time and DORA's time to
    /// restore.
    pub resolution_date: Option<DateTime>,
    /// When it was created; starts the lead time.
    pub created_date: Option<DateTime>,
    /// When it was last changed.
    pub updated_date: Option<DateTime>,
    /// Minutes from `created_date` to `resolution_date`; requirement and bug lead-time panels
    /// average it.
    #[devlake(sql_type = "bigint unsigned")]
    pub lead_time_minutes: Option<i64>,
    /// The original time estimate, in minutes.
    pub original_estimate_minutes: Option<i64>,
    /// Time logged, in minutes.
    pub time_spent_minutes: Option<i64>,
    /// Time estimated to remain, in minutes.
    pub time_remaining_minutes: Option<i64>,
    /// Domain id of the creator's `accounts` row.
    #[devlake(sql_type = "varchar(255)")]
    pub creator_id: Option<String>,
    /// The creator's name.
    #[devlake(sql_type = "varchar(255)")]
    pub creator_name: Option<String>,
    /// Domain id of the assignee's `accounts` row.
    #[devlake(sql_type = "varchar(255)")]
    pub assignee_id: Option<String>,
    /// The assignee's name.
    #[devlake(sql_type = "varchar(255)")]
    pub assignee_name: Option<String>,
    /// Domain id of the parent issue (of a subtask).
    #[devlake(sql_type = "varchar(255)")]
    pub parent_issue_id: Option<String>,
    /// Priority as the tool spells it.
    #[devlake(sql_type = "varchar(255)")]
    pub priority: Option<String>,
    /// Severity as the tool spells it (bugs, incidents).
    #[devlake(sql_type = "varchar(255)")]
    pub severity: Option<String>,
    /// Urgency as the tool spells it.
    #[devlake(sql_type = "varchar(255)")]
    pub urgency: Option<String>,
    /// Components it is filed under, as the tool spells them.
    #[devlake(sql_type = "text")]
    pub component: Option<String>,
    /// The tool's project the issue lives in.
    #[devlake(sql_type = "varchar(255)")]
    pub original_project: Option<String>,
    /// Whether it is a subtask of another issue.
    pub is_subtask: Option<bool>,
    /// When it is due.
    pub due_date: Option<DateTime>,
    /// Versions expected to fix it, comma-separated.
    #[devlake(sql_type = "text")]
    pub fix_versions: Option<String>,
}

/// A change of one field of an issue (`issue_changelogs`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "issue_changelogs", name = "IssueChangelogs")]
pub struct IssueChangelog {
    /// Domain id, `<plugin>:<ToolModel>:<connection id>:<key>` as DevLake's id generator builds
    /// it; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    /// Domain id of the `issues` row.
    #[devlake(sql_type = "varchar(255)")]
    pub issue_id: Option<String>,
    /// Domain id of the `accounts` row of who changed it.
    #[devlake(sql_type = "varchar(255)")]
    pub author_id: Option<String>,
    /// Who changed it.
    #[devlake(sql_type = "varchar(255)")]
    pub author_name: Option<String>,
    /// The tool's id of the changed field.
    #[devlake(sql_type = "varchar(255)")]
    pub field_id: Option<String>,
    /// The changed field's name (`status`, `assignee`, `Sprint`, ...).
    #[devlake(sql_type = "varchar(255)")]
    pub field_name: Option<String>,
    /// The value before, as the tool spells it.
    pub original_from_value: Option<String>,
    /// The value after, as the tool spells it.
    pub original_to_value: Option<String>,
    /// The value before, normalised (a status is mapped like `issues.status`).
    pub from_value: Option<String>,
    /// The value after, normalised.
    pub to_value: Option<String>,
    /// When the change happened.
    pub created_date: Option<DateTime>,
}

/// A comment on an issue (`issue_comments`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "issue_comments")]
pub struct IssueComment {
    /// Domain id; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    /// Domain id of the `issues` row.
    #[devlake(sql_type = "varchar(191)")]
    pub issue_id: Option<String>,
    /// The comment's text.
    pub body: Option<String>,
    /// Domain id of the author's `accounts` row.
    #[devlake(sql_type = "varchar(255)")]
    pub account_id: Option<String>,
    /// When it was posted.
    pub created_date: Option<DateTime>,
    /// When it was last edited.
    pub updated_date: Option<DateTime>,
}

/// A label on an issue (`issue_labels`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "issue_labels")]
pub struct IssueLabel {
    /// Domain id of the `issues` row.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub issue_id: String,
    /// The label's name as the tool spells it.
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
    /// Domain id of the `accounts` row of who logged the time.
    #[devlake(sql_type = "varchar(255)")]
    pub author_id: Option<String>,
    /// The worklog's comment.
    pub comment: Option<String>,
    /// Time logged, in minutes.
    pub time_spent_minutes: Option<i64>,
    /// When the time was logged.
    pub logged_date: Option<DateTime>,
    /// When the logged work started.
    pub started_date: Option<DateTime>,
    /// Domain id of the `issues` row.
    #[devlake(sql_type = "varchar(255)")]
    pub issue_id: Option<String>,
}

/// A sprint (iteration) (`sprints`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "sprints")]
pub struct Sprint {
    /// Domain id, `<plugin>:<ToolModel>:<connection id>:<key>` as DevLake's id generator builds
    /// it; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    /// The sprint's name.
    #[devlake(sql_type = "varchar(255)")]
    pub name: Option<String>,
    /// Link to it in the tool's web UI; dashboards' drill-down tables link to it.
    #[devlake(sql_type = "varchar(255)")]
    pub url: Option<String>,
    /// `BEFORE_SPRINT`, `DURING_SPRINT` or `AFTER_SPRINT`.
    #[devlake(sql_type = "varchar(100)")]
    pub status: Option<SprintStatus>,
    /// When it started.
    pub started_date: Option<DateTime>,
    /// When it is planned to end.
    pub ended_date: Option<DateTime>,
    /// When it was closed; null while open.
    pub completed_date: Option<DateTime>,
    /// Domain id of the board it was created on.
    #[devlake(sql_type = "varchar(255)")]
    pub original_board_id: Option<String>,
}

/// An issue in a sprint (`sprint_issues`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "sprint_issues")]
pub struct SprintIssue {
    /// Domain id of the `sprints` row.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub sprint_id: String,
    /// Domain id of the `issues` row.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub issue_id: String,
}

/// An assignee of an issue (`issue_assignees`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "issue_assignees")]
pub struct IssueAssignee {
    /// Domain id of the `issues` row.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub issue_id: String,
    /// Domain id of the assignee's `accounts` row.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub assignee_id: String,
    /// The assignee's name.
    #[devlake(sql_type = "varchar(255)")]
    pub assignee_name: Option<String>,
}

/// A typed link between two issues (`issue_relationships`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "issue_relationships")]
pub struct IssueRelationship {
    /// Domain id of the issue the link starts from.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub source_issue_id: String,
    /// Domain id of the issue it points to.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub target_issue_id: String,
    /// The link's type as the tool spells it (`blocks`, `relates to`, ...).
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
    /// Domain id of the issue or pull request it comes from.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    /// Link to it in the tool's web UI; dashboards' drill-down tables link to it.
    #[devlake(sql_type = "varchar(255)")]
    pub url: Option<String>,
    /// The key users see (`PROJ-123`, `#42`).
    #[devlake(sql_type = "varchar(255)")]
    pub incident_key: Option<String>,
    /// The title.
    pub title: Option<String>,
    /// The body.
    pub description: Option<String>,
    /// Normalised state: `TODO`, `IN_PROGRESS`, `DONE` or `OTHER`, mapped from
    /// `original_status` by the plugin's status rules.
    #[devlake(sql_type = "varchar(100)")]
    pub status: Option<IssueStatus>,
    /// The status exactly as the tool reports it, before mapping to `status`.
    #[devlake(sql_type = "varchar(100)")]
    pub original_status: Option<String>,
    /// When it was resolved; DORA's time to restore service runs from `created_date` to here.
    pub resolution_date: Option<DateTime>,
    /// When it was opened: DORA attributes it to the last production deployment before this
    /// time (change failure rate).
    pub created_date: Option<DateTime>,
    /// When it was last changed.
    pub updated_date: Option<DateTime>,
    /// Minutes from `created_date` to `resolution_date`.
    #[devlake(sql_type = "bigint unsigned")]
    pub lead_time_minutes: Option<i64>,
    /// The original time estimate, in minutes.
    pub original_estimate_minutes: Option<i64>,
    /// Time logged, in minutes.
    pub time_spent_minutes: Option<i64>,
    /// Time estimated to remain, in minutes.
    pub time_remaining_minutes: Option<i64>,
    /// Domain id of the creator's `accounts` row.
    #[devlake(sql_type = "varchar(255)")]
    pub creator_id: Option<String>,
    /// The creator's name.
    #[devlake(sql_type = "varchar(255)")]
    pub creator_name: Option<String>,
    /// Domain id of the parent incident.
    #[devlake(sql_type = "varchar(255)")]
    pub parent_incident_id: Option<String>,
    /// Priority as the tool spells it.
    #[devlake(sql_type = "varchar(255)")]
    pub priority: Option<String>,
    /// Severity as the tool spells it.
    #[devlake(sql_type = "varchar(255)")]
    pub severity: Option<String>,
    /// Urgency as the tool spells it.
    #[devlake(sql_type = "varchar(255)")]
    pub urgency: Option<String>,
    /// Components it is filed under.
    #[devlake(sql_type = "varchar(255)")]
    pub component: Option<String>,
    /// The tool's project it lives in.
    #[devlake(sql_type = "varchar(255)")]
    pub original_project: Option<String>,
    /// The scope table it comes from: `boards` (an issue) or `repos` (a pull request).
    #[devlake(sql_type = "varchar(255)")]
    pub table: Option<String>,
    /// Domain id of that scope's row; with `table` it maps the incident to projects.
    #[devlake(sql_type = "varchar(255)")]
    pub scope_id: Option<String>,
    /// Domain id of the assignee's `accounts` row.
    #[devlake(sql_type = "varchar(255)")]
    pub assignee_id: Option<String>,
    /// The assignee's name.
    #[devlake(sql_type = "varchar(255)")]
    pub assignee_name: Option<String>,
}

/// An assignee of an incident (`incident_assignees`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "incident_assignees")]
pub struct IncidentAssignee {
    /// Domain id of the `incidents` row.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub incident_id: String,
    /// Domain id of the assignee's `accounts` row.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub assignee_id: String,
    /// The assignee's name.
    #[devlake(sql_type = "varchar(255)")]
    pub assignee_name: Option<String>,
}
