//! The messages a plugin writes to fd 3, shaped as DevLake's Go side reads them
//! (`plugin-info`, `make-pipeline`, `remote-scopes`, `test-connection`, progress).
//!
//! A leaf below the engine: plain data, re-exported by [`crate::plugin`] where plugin
//! code names them. The conversions of the API client's responses and errors into a
//! [`TestConnectionResult`] live here too, so that [`crate::api`] depends on nothing else
//! in the runtime.

use crate::api::{ApiError, ApiResponse};
use crate::migration::MigrationScript;
use crate::model::ModelInfo;
use serde::{Deserialize, Serialize};

/// Result of `test-connection`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestConnectionResult {
    /// Whether the connection works.
    pub success: bool,
    /// A message for the user.
    pub message: String,
    /// An HTTP-like status (200 when it works).
    pub status: u16,
}

impl TestConnectionResult {
    /// A working connection.
    pub fn ok() -> Self {
        TestConnectionResult {
            success: true,
            message: "Connection successful".into(),
            status: 200,
        }
    }
    /// A failed connection with a message and status.
    pub fn failed(message: impl Into<String>, status: u16) -> Self {
        TestConnectionResult {
            success: false,
            message: message.into(),
            status,
        }
    }
}

impl ApiResponse {
    /// The result of a connection test from this response: success when 2xx
    /// ("Connection successful"); otherwise a message with the status and the
    /// server's `message` (or the start of the body). `status` is the HTTP status.
    pub fn to_test_connection_result(&self) -> TestConnectionResult {
        let status = self.status.as_u16();
        if self.status.is_success() {
            return TestConnectionResult {
                success: true,
                message: "Connection successful".to_string(),
                status,
            };
        }
        let detail = self.failure_detail();
        let mut message = format!("Connection failed: HTTP {}", self.status);
        if !detail.is_empty() {
            message.push_str(": ");
            message.push_str(&detail);
        }
        TestConnectionResult {
            success: false,
            message,
            status,
        }
    }
}

impl From<&ApiResponse> for TestConnectionResult {
    fn from(response: &ApiResponse) -> Self {
        response.to_test_connection_result()
    }
}

impl ApiError {
    /// The result of a connection test that failed with this error.
    pub fn to_test_connection_result(&self) -> TestConnectionResult {
        TestConnectionResult {
            success: false,
            message: format!("Connection failed: {self}"),
            status: self.http_status(),
        }
    }
}

impl From<&ApiError> for TestConnectionResult {
    fn from(error: &ApiError) -> Self {
        error.to_test_connection_result()
    }
}

/// A group of remote scopes (an organisation, a namespace).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteScopeGroup {
    /// Group id, passed back as `group_id`.
    pub id: String,
    /// Display name.
    pub name: String,
}

impl RemoteScopeGroup {
    /// A group.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        RemoteScopeGroup {
            id: id.into(),
            name: name.into(),
        }
    }
}

/// One node of `remote-scopes` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum RemoteNode {
    /// A group.
    Group {
        /// Id.
        id: String,
        /// Name.
        name: String,
    },
    /// A scope.
    Scope {
        /// Id.
        id: String,
        /// Name.
        name: String,
        /// The group it belongs to.
        #[serde(rename = "parentId")]
        parent_id: String,
        /// The tool scope as JSON.
        data: serde_json::Value,
    },
}

/// A task of a pipeline plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineTask {
    /// Plugin name.
    pub plugin: String,
    /// Whether DevLake goes on when the task fails.
    #[serde(rename = "skipOnFail")]
    pub skip_on_fail: bool,
    /// Subtask names.
    pub subtasks: Vec<String>,
    /// Task options (`scopeId`, `scopeName`, `connectionId`, `fullName`, ...).
    pub options: serde_json::Map<String, serde_json::Value>,
}

/// A domain scope in `make-pipeline`'s output: its Go type name and its JSON as a string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DynamicDomainScope {
    /// DevLake's Go type name (`CicdScope`, `Repo`, `Board`, `CqProject`).
    pub type_name: String,
    /// The scope as a JSON string.
    pub data: String,
}

/// Output of `make-pipeline`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineData {
    /// Stages of tasks.
    pub plan: Vec<Vec<PipelineTask>>,
    /// Domain scopes.
    pub scopes: Vec<DynamicDomainScope>,
}

/// A subtask's metadata in plugin-info.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubtaskMeta {
    /// `"<Verb> <Stream>"`, e.g. `Collect Users`.
    pub name: String,
    /// `collect`, `extract` or `convert`.
    pub entry_point_name: String,
    /// Always false for remote plugins.
    pub required: bool,
    /// Always false for remote plugins.
    pub enabled_by_default: bool,
    /// Description.
    pub description: String,
    /// Domain types of the stream.
    pub domain_types: Vec<String>,
    /// `[stream name]`.
    pub arguments: Vec<String>,
}

/// Output of `plugin-info`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginInfo {
    /// Plugin name.
    pub name: String,
    /// Description.
    pub description: String,
    /// The connection's model info.
    pub connection_model_info: ModelInfo,
    /// The tool scope's model info.
    pub scope_model_info: ModelInfo,
    /// The scope config's model info.
    pub scope_config_model_info: ModelInfo,
    /// Each stream's tool model info.
    pub tool_model_infos: Vec<ModelInfo>,
    /// Migration scripts.
    pub migration_scripts: Vec<MigrationScript>,
    /// Absolute path of `run.sh`.
    pub plugin_path: String,
    /// Subtasks, three per stream.
    pub subtask_metas: Vec<SubtaskMeta>,
    /// Always `datasource`.
    pub extension: String,
}

/// Progress of a subtask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteProgress {
    /// Records since the previous message.
    pub increment: u64,
    /// Records so far.
    pub current: u64,
    /// Total, when known (0 otherwise).
    pub total: u64,
}
