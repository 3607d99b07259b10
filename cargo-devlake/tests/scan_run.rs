//! Build Scans of `cargo devlake run` (fakeplugin into SQLite: migrations and every subtask
//! with its records; the connection secret nowhere) and of `cargo devlake migration add
//! --check`; and the workspace's own test command recording itself.

mod scan_support;

use devlake_scan::model::Outcome;
use scan_support::*;

const RUN_FILE: &str = r#"
[connection]
name = "fake"
token = { env = "FAKE_TOKEN_CLI" }

[scope_config]
env = "PRODUCTION"
entities = ["CICD"]

[[scopes]]
id = "p1"
name = "Project 1"
url = "http://fake.org/api/project/p1"
"#;

#[test]
fn a_run_scan_has_migrations_and_subtasks_and_no_connection_secret() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fake.toml"), RUN_FILE).unwrap();
    let manifest = devlake_e2e::workspace().join("examples/fakeplugin/Cargo.toml");
    for format in ["plain", "json"] {
        let out = cargo_devlake(
            dir.path(),
            &[
                "run",
                "--debug",
                "--manifest-path",
                manifest.to_str().unwrap(),
                "--config",
                "fake.toml",
                "--format",
                format,
            ],
        )
        .env("FAKE_TOKEN_CLI", "this_is_a_valid_token")
        .output()
        .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let (json, html) = written_scan(&out);
        let scan = read_scan(&json);
        assert_eq!(scan.command.kind, "run");
        assert_eq!(scan.outcome, Outcome::Success);
        assert_eq!(scan.project.name.as_deref(), Some("fakeplugin"));
        let run = scan.run.as_ref().expect("a run report");
        let subtasks: Vec<(&str, &str, u64)> = run
            .subtasks
            .iter()
            .map(|s| (s.scope.as_str(), s.subtask.as_str(), s.records))
            .collect();
        assert_eq!(
            subtasks,
            [
                ("p1", "Collect Fakepipelinestream", 250),
                ("p1", "Extract Fakepipelinestream", 250),
                ("p1", "Convert Fakepipelinestream", 250)
            ],
            "{format}"
        );
        if format == "plain" {
            // The first run into ./devlake.db applies the plugin's migrations.
            assert_eq!(run.migrations.len(), 2, "{:?}", run.migrations);
        }
        assert!(scan.timeline.iter().any(|s| s.kind == "subtask"));
        assert!(scan.timeline.iter().any(|s| s.kind == "build"));
        for text in [
            std::fs::read_to_string(&json).unwrap(),
            std::fs::read_to_string(&html).unwrap(),
        ] {
            assert!(!text.contains("this_is_a_valid_token"));
        }
    }

    // A failed run: the plugin's exit code and error line, a failed scan.
    let out = cargo_devlake(
        dir.path(),
        &[
            "run",
            "--debug",
            "--manifest-path",
            manifest.to_str().unwrap(),
            "--config",
            "fake.toml",
        ],
    )
    .env_remove("FAKE_TOKEN_CLI")
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let scan = read_scan(&written_scan(&out).0);
    assert_eq!(scan.outcome, Outcome::Failure);
    let failed = &scan.run.unwrap().subtasks;
    assert_eq!(
        failed.last().unwrap().error.as_deref(),
        Some("error: fake.toml: connection.token: environment variable FAKE_TOKEN_CLI is not set")
    );
}

#[test]
fn migration_check_records_its_outcome_and_output() {
    let manifest = devlake_e2e::workspace().join("examples/fakeplugin/Cargo.toml");
    let dir = tempfile::tempdir().unwrap();
    let out = cargo_devlake(
        dir.path(),
        &[
            "migration",
            "add",
            "--check",
            "--manifest-path",
            manifest.to_str().unwrap(),
        ],
    )
    .output()
    .unwrap();
    let (json, _) = written_scan(&out);
    let scan = read_scan(&json);
    assert_eq!(scan.command.kind, "migration-check");
    assert_eq!(Some(scan.exit_code), out.status.code());
    let expected = if out.status.success() {
        Outcome::Success
    } else {
        Outcome::Failure
    };
    assert_eq!(scan.outcome, expected);
    // The child's output is the scan's console, and passed through once.
    let printed = format!("{}{}", stdout(&out), stderr(&out));
    for l in &scan.console.lines {
        assert!(printed.contains(&l.text), "{l:?}");
    }
    assert!(!scan.console.lines.is_empty());
    assert_eq!(stderr(&out).matches("Build Scan written to").count(), 1);
}

#[test]
fn the_workspace_test_command_records_itself() {
    let script = std::fs::read_to_string(devlake_e2e::workspace().join("scripts/test.sh")).unwrap();
    assert!(
        script.lines().any(|l| l.trim().starts_with(
            "cargo run -q -p cargo-devlake -- devlake scan record --kind workspace-test -- cargo test --workspace --no-fail-fast"
        )),
        "scripts/test.sh does not record its cargo test run:\n{script}"
    );
}
