//! The Build Scan document: what a run recorded, as JSON.
//!
//! This is the one definition of the document: the capture side writes it, the local report
//! and the scan server read it, and `docs/build-scans.md` documents it field by field. The
//! document is versioned by [`SCHEMA_VERSION`]; a reader refuses a version it does not know
//! (the server answers 422) rather than guessing.
//!
//! Everything in a scan has already been scrubbed of secrets when the document is built:
//! nothing downstream (report, upload, server) redacts again, so nothing may be added to a
//! [`Scan`] without going through the capture side's redaction.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The version of the document this crate writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// The `schema` marker every scan document carries, so a stray JSON file is not taken for one.
pub const SCHEMA_NAME: &str = "devlake-build-scan";

/// One Build Scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scan {
    /// Always [`SCHEMA_NAME`].
    pub schema: String,
    /// The document version ([`SCHEMA_VERSION`] when written by this crate).
    pub schema_version: u32,
    /// A random id made at capture time (26 characters of lowercase base32). Publishing the
    /// same scan twice stores it once: retries are safe.
    pub id: String,
    /// The project the run belongs to.
    pub project: Project,
    /// The tool that recorded the scan.
    pub tool: Tool,
    /// What was asked for.
    pub command: Command,
    /// When the run started (UTC).
    pub started_at: DateTime<Utc>,
    /// Wall-clock duration of the run, in milliseconds.
    pub duration_ms: u64,
    /// How the run ended.
    pub outcome: Outcome,
    /// The process exit code `cargo devlake` returned.
    pub exit_code: i32,
    /// Where it ran.
    pub environment: Environment,
    /// Tags: sorted (all-caps tags first, then alphabetical), no duplicates.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Named links (http or https URLs), in configuration order, names unique.
    #[serde(default)]
    pub links: Vec<Link>,
    /// Custom values, in configuration order, names unique.
    #[serde(default)]
    pub custom_values: Vec<CustomValue>,
    /// The console as the user saw it.
    pub console: Console,
    /// Test cases, when the run ran tests (`test`, the workspace's own test run).
    #[serde(default)]
    pub tests: Vec<TestCase>,
    /// What a standalone `run` did, when the command was `run`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<RunReport>,
    /// Spans for the report's timeline: test binaries, subtasks, build steps.
    #[serde(default)]
    pub timeline: Vec<Span>,
    /// Problems found in the scan configuration itself (an invalid configuration file, an
    /// item over a limit, a malformed access-key entry). Never contains a secret.
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The command did what was asked and everything passed.
    Success,
    /// The command ran and something it checked failed (a test, a subtask, a missing
    /// migration).
    Failure,
    /// `cargo devlake` itself could not do its job (bad arguments, a build that did not
    /// compile, a crash).
    Error,
}

impl Outcome {
    /// `SUCCESS`, `FAILED` or `ERROR`, as the report's banner shows it.
    pub fn banner(&self) -> &'static str {
        match self {
            Outcome::Success => "SUCCESS",
            Outcome::Failure => "FAILED",
            Outcome::Error => "ERROR",
        }
    }

    /// The JSON name (`success`, `failure`, `error`): what search filters take.
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Error => "error",
        }
    }
}

/// The project a scan belongs to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Project {
    /// The configured name, else `package.name` of the Cargo.toml beside the configuration
    /// file, else that folder's name; `None` is shown as `(N/A)`.
    pub name: Option<String>,
    /// The configured project id: what a server's project-level access control checks.
    /// A scan without one has no associated project.
    pub id: Option<String>,
}

/// The tool that recorded the scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    /// `cargo-devlake`.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The `devlake` runtime version the plugin builds against, when known.
    pub runtime_version: Option<String>,
}

/// What was asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Command {
    /// `test`, `run`, `migration-check` or `workspace-test`.
    pub kind: String,
    /// The command line, secrets replaced by `********`.
    pub argv: Vec<String>,
    /// The working directory.
    pub cwd: String,
}

/// Where the run happened (the seed's Appendix A, adapted to Rust).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    /// The user name, or its obfuscated form.
    pub username: Option<String>,
    /// The public host name, or its obfuscated form.
    pub hostname: Option<String>,
    /// Operating system.
    pub os: Os,
    /// Logical CPUs.
    pub cpu_count: Option<u32>,
    /// `rustc --version`.
    pub rustc: Option<String>,
    /// `cargo --version`.
    pub cargo: Option<String>,
    /// Whether the run looked like CI (`CI` set).
    #[serde(default)]
    pub ci: bool,
    /// The git work tree, when the run was in one.
    pub git: Option<Git>,
}

/// Operating system.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Os {
    /// `linux`, `macos`, ...
    pub platform: String,
    /// Kernel release (`uname -r`).
    pub release: Option<String>,
    /// `x86_64`, `aarch64`, ...
    pub arch: String,
}

/// The git state of the work tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Git {
    /// Full commit hash of HEAD.
    pub commit: Option<String>,
    /// Branch name; `None` on a detached HEAD.
    pub branch: Option<String>,
    /// Whether tracked files had uncommitted changes.
    pub dirty: bool,
}

/// A named link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// The label.
    pub name: String,
    /// An http(s) URL.
    pub url: String,
}

/// A custom value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomValue {
    /// The key.
    pub name: String,
    /// The value.
    pub value: String,
}

/// The console: stdout and stderr of the run and of the processes it started, interleaved in
/// the order they arrived.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Console {
    /// The lines, in order.
    pub lines: Vec<ConsoleLine>,
    /// Whether lines were dropped to stay under the size cap (the report shows a marker).
    #[serde(default)]
    pub truncated: bool,
    /// How many bytes of output were dropped.
    #[serde(default)]
    pub dropped_bytes: u64,
}

/// One line of console output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsoleLine {
    /// Milliseconds since the run started.
    pub t_ms: u64,
    /// Which stream it came on.
    pub stream: StdStream,
    /// Which process wrote it: `cargo-devlake`, `cargo`, `plugin`, a test binary's name.
    pub source: String,
    /// The text without its line ending; ANSI colour sequences kept for display.
    pub text: String,
}

/// Standard output or standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StdStream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// One test case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestCase {
    /// The test binary or suite (`plugin`, `conformance`, a crate's test target).
    pub suite: String,
    /// The test's full name (`module::test_name`).
    pub name: String,
    /// How it ended.
    pub outcome: TestOutcome,
    /// Duration in milliseconds, when the runner reports one.
    pub duration_ms: Option<u64>,
    /// The captured output of a failed test (redacted).
    pub output: Option<String>,
}

/// How a test ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestOutcome {
    /// Passed.
    Passed,
    /// Failed.
    Failed,
    /// Ignored or skipped.
    Ignored,
}

/// What a standalone `run` did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// Versions and names of the migrations applied by this run (`20240101000000 init`).
    pub migrations: Vec<String>,
    /// One entry per scope and subtask, in run order.
    pub subtasks: Vec<SubtaskReport>,
}

/// One subtask of one scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubtaskReport {
    /// The scope id.
    pub scope: String,
    /// The subtask name (`Collect Pipelines`).
    pub subtask: String,
    /// Records written.
    pub records: u64,
    /// Duration in milliseconds.
    pub duration_ms: u64,
    /// How it ended.
    pub outcome: Outcome,
    /// The one-line error of a failed subtask (redacted).
    pub error: Option<String>,
}

/// A span on the report's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Span {
    /// What ran (`build`, a test binary, `p1 / Collect Pipelines`).
    pub name: String,
    /// `build`, `test-binary`, `subtask` or `step`.
    pub kind: String,
    /// Milliseconds since the run started.
    pub start_ms: u64,
    /// Duration in milliseconds.
    pub duration_ms: u64,
    /// How it ended.
    pub outcome: Outcome,
}

impl Scan {
    /// The project name as shown: the name, or `(N/A)`.
    pub fn project_label(&self) -> &str {
        self.project.name.as_deref().unwrap_or("(N/A)")
    }

    /// Counts of passed, failed and ignored tests.
    pub fn test_counts(&self) -> (usize, usize, usize) {
        let count = |o| self.tests.iter().filter(|t| t.outcome == o).count();
        (
            count(TestOutcome::Passed),
            count(TestOutcome::Failed),
            count(TestOutcome::Ignored),
        )
    }

    /// Parses a scan document, refusing other documents and versions this crate does not
    /// know.
    pub fn from_json(bytes: &[u8]) -> Result<Scan, ScanParseError> {
        #[derive(Deserialize)]
        struct Header {
            schema: Option<String>,
            schema_version: Option<u32>,
        }
        let header: Header = serde_json::from_slice(bytes).map_err(ScanParseError::Json)?;
        if header.schema.as_deref() != Some(SCHEMA_NAME) {
            return Err(ScanParseError::NotAScan);
        }
        match header.schema_version {
            Some(SCHEMA_VERSION) => {}
            other => return Err(ScanParseError::UnknownVersion(other)),
        }
        serde_json::from_slice(bytes).map_err(ScanParseError::Json)
    }
}

/// Why bytes are not a scan this crate can read.
#[derive(Debug, thiserror::Error)]
pub enum ScanParseError {
    /// Not JSON, or JSON of the wrong shape.
    #[error("malformed scan document: {0}")]
    Json(serde_json::Error),
    /// JSON without `"schema": "devlake-build-scan"`.
    #[error("not a Build Scan document (no \"schema\": \"devlake-build-scan\")")]
    NotAScan,
    /// A version this crate does not know.
    #[error("unsupported scan schema_version {0:?} (this build reads version 1)")]
    UnknownVersion(Option<u32>),
}
