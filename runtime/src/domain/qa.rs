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
    #[devlake(sql_type = "varchar(255)")]
    pub name: Option<String>,
    pub create_time: Option<DateTime>,
    #[devlake(sql_type = "varchar(255)")]
    pub creator_id: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub r#type: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub qa_api_id: Option<String>,
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
    #[devlake(sql_type = "varchar(255)")]
    pub qa_project_id: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub qa_test_case_id: Option<String>,
    pub create_time: Option<DateTime>,
    pub start_time: Option<DateTime>,
    pub finish_time: Option<DateTime>,
    #[devlake(sql_type = "varchar(255)")]
    pub creator_id: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub status: Option<String>,
    pub is_invalid: Option<bool>,
}
