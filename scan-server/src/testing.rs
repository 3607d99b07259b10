//! Scan documents for tests of the server and of its clients: valid ids, and scans with a
//! chosen project, tags, custom values and outcome.

use chrono::{TimeZone, Utc};
use devlake_scan::model::*;

/// A valid scan id made from `n` (26 characters of [a-z2-7]).
pub fn scan_id(n: u32) -> String {
    let alphabet = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut id = String::from("scan");
    let mut v = n;
    for _ in 0..22 {
        id.push(alphabet[(v % 32) as usize] as char);
        v /= 32;
    }
    id
}

/// A scan document: project, tags, custom values, outcome; a failed test `tests::it_fails`
/// when the outcome is a failure.
pub fn sample_scan(
    n: u32,
    project_id: Option<&str>,
    tags: &[&str],
    values: &[(&str, &str)],
    outcome: Outcome,
) -> Scan {
    let failed = outcome == Outcome::Failure;
    Scan {
        schema: SCHEMA_NAME.into(),
        schema_version: SCHEMA_VERSION,
        id: scan_id(n),
        project: Project {
            name: Some(format!("plugin-{}", project_id.unwrap_or("none"))),
            id: project_id.map(str::to_string),
        },
        tool: Tool {
            name: "cargo-devlake".into(),
            version: "0.1.0".into(),
            runtime_version: Some("0.1.0".into()),
        },
        command: Command {
            kind: "test".into(),
            argv: vec!["cargo".into(), "devlake".into(), "test".into()],
            cwd: "/src/plugin".into(),
        },
        started_at: Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap()
            + chrono::Duration::minutes(n.into()),
        duration_ms: 1234,
        outcome,
        exit_code: if failed { 1 } else { 0 },
        environment: Environment {
            username: Some("ann".into()),
            hostname: Some("build-1".into()),
            os: Os {
                platform: "linux".into(),
                release: None,
                arch: "x86_64".into(),
            },
            ci: true,
            ..Environment::default()
        },
        tags: tags.iter().map(|t| t.to_string()).collect(),
        links: vec![],
        custom_values: values
            .iter()
            .map(|(n, v)| CustomValue {
                name: n.to_string(),
                value: v.to_string(),
            })
            .collect(),
        console: Console::default(),
        tests: vec![
            TestCase {
                suite: "plugin".into(),
                name: "tests::it_passes".into(),
                outcome: TestOutcome::Passed,
                duration_ms: Some(3),
                output: None,
            },
            TestCase {
                suite: "plugin".into(),
                name: "tests::it_fails".into(),
                outcome: if failed {
                    TestOutcome::Failed
                } else {
                    TestOutcome::Passed
                },
                duration_ms: Some(5),
                output: failed.then(|| "assertion failed: left == right".into()),
            },
        ],
        run: None,
        timeline: vec![],
        warnings: vec![],
    }
}
