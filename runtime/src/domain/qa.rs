//! Quality assurance (DevLake's `qa` package): test-management projects, APIs, test cases
//! and their executions.

use crate::model::{DateTime, Model, ModelDescriptor};

/// This module's tables, in DevLake's order.
pub fn tables() -> Vec<&'static ModelDescriptor> {
    vec![
        QaProject::descriptor(),
        QaApi::descriptor(),
        QaTestCase::descriptor(),
        QaTestCaseExecution::descriptor(),
    ]
}

/// A test-management project (`qa_projects`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "qa_projects")]
pub struct QaProject {
    /// Domain id; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(500)")]
    pub id: String,
    #[devlake(sql_type = "varchar(255)")]
    pub name: Option<String>,
}

/// An API under test in a QA project (`qa_apis`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "qa_apis")]
pub struct QaApi {
    /// Domain id; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(500)")]
    pub id: String,
    #[devlake(sql_type = "varchar(255)")]
    pub name: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub path: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub method: Option<String>,
    pub create_time: Option<DateTime>,
    #[devlake(sql_type = "varchar(255)")]
    pub creator_id: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub qa_project_id: Option<String>,
}

/// A test case of a QA project (`qa_test_cases`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "qa_test_cases")]
pub struct QaTestCase {
    /// Domain id; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(500)")]
    pub id: String,
    /// The test case's name.
    #[devlake(sql_type = "varchar(255)")]
    pub name: Option<String>,
    /// When it was created.
    pub create_time: Option<DateTime>,
    /// Domain id of the creator's `accounts` row.
    #[devlake(sql_type = "varchar(255)")]
    pub creator_id: Option<String>,
    /// `functional` or `api`.
    #[devlake(sql_type = "varchar(255)")]
    pub r#type: Option<String>,
    /// Domain id of the `qa_apis` row, when `type` is `api`.
    #[devlake(sql_type = "varchar(255)")]
    pub qa_api_id: Option<String>,
    /// Domain id of the `qa_projects` row.
    #[devlake(sql_type = "varchar(255)")]
    pub qa_project_id: Option<String>,
}

/// One run of a test case (`qa_test_case_executions`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "qa_test_case_executions")]
pub struct QaTestCaseExecution {
    /// Domain id; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(500)")]
    pub id: String,
    /// Domain id of the `qa_projects` row.
    #[devlake(sql_type = "varchar(255)")]
    pub qa_project_id: Option<String>,
    /// Domain id of the `qa_test_cases` row.
    #[devlake(sql_type = "varchar(255)")]
    pub qa_test_case_id: Option<String>,
    /// When the test (plan) was created.
    pub create_time: Option<DateTime>,
    /// When the execution started.
    pub start_time: Option<DateTime>,
    /// When it finished.
    pub finish_time: Option<DateTime>,
    /// Domain id of the executor's `accounts` row.
    #[devlake(sql_type = "varchar(255)")]
    pub creator_id: Option<String>,
    /// `PENDING`, `IN_PROGRESS`, `SUCCESS` or `FAILED`.
    #[devlake(sql_type = "varchar(255)")]
    pub status: Option<String>,
    /// Whether the execution is marked invalid (not counted).
    pub is_invalid: Option<bool>,
}
