//! `cargo devlake run` on examples/fakeplugin: a standalone run from a TOML run file into
//! SQLite, its JSON events, and bad input.

use std::path::Path;
use std::process::{Command, Output};

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

fn run(dir: &Path, envs: &[(&str, &str)], extra: &[&str]) -> Output {
    let manifest = devlake_e2e::workspace().join("examples/fakeplugin/Cargo.toml");
    let mut c = Command::new(env!("CARGO_BIN_EXE_cargo-devlake"));
    c.args(["devlake", "run", "--debug", "--manifest-path"])
        .arg(&manifest)
        .args(["--config", "fake.toml"])
        .args(extra)
        .current_dir(dir);
    c.env_remove("FAKE_TOKEN_CLI");
    for (k, v) in envs {
        c.env(k, v);
    }
    c.output().expect("run cargo-devlake")
}

/// The last line of stderr before the Build Scan's closing line.
fn last_line(err: &str) -> &str {
    err.trim()
        .lines()
        .rfind(|l| !l.starts_with("Build Scan written to "))
        .unwrap_or_default()
}

fn count(db: &Path, table: &str) -> i64 {
    let url = format!("sqlite:///{}", db.display());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut db = devlake::db::Db::connect(&url).await.unwrap();
        db.count(table, None).await.unwrap()
    })
}

#[test]
fn a_run_writes_every_subtask_and_reports_json_events() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fake.toml"), RUN_FILE).unwrap();
    let out = run(
        dir.path(),
        &[("FAKE_TOKEN_CLI", "this_is_a_valid_token")],
        &["--format", "json"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(events[0]["event"], "start");
    assert_eq!(events[0]["db"], "sqlite:devlake.db");
    let subtasks: Vec<&serde_json::Value> =
        events.iter().filter(|e| e["event"] == "subtask").collect();
    let names: Vec<&str> = subtasks
        .iter()
        .map(|e| e["subtask"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Collect Fakepipelinestream",
            "Extract Fakepipelinestream",
            "Convert Fakepipelinestream"
        ]
    );
    assert!(
        subtasks
            .iter()
            .all(|e| e["records"] == 250 && e["ran"] == true),
        "{subtasks:?}"
    );
    assert!(events
        .iter()
        .any(|e| e["event"] == "progress" && e["current"] == 100));
    let summary = events.last().unwrap();
    assert_eq!(
        (summary["event"].as_str(), summary["records"].as_u64()),
        (Some("summary"), Some(750))
    );
    // The default database is ./devlake.db in the working directory.
    let db = dir.path().join("devlake.db");
    assert_eq!(count(&db, "cicd_pipelines"), 250);
    assert_eq!(count(&db, "_devlake_migration_history"), 2);
    let secret_in_output = [&out.stdout, &out.stderr]
        .iter()
        .any(|b| String::from_utf8_lossy(b).contains("this_is_a_valid_token"));
    assert!(!secret_in_output, "the token was printed");

    // Plain lines, into a database given by --db.
    let other = dir.path().join("other.db");
    let url = format!("sqlite:///{}", other.display());
    let out = run(
        dir.path(),
        &[("FAKE_TOKEN_CLI", "this_is_a_valid_token")],
        &["--db", &url, "--format", "plain"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("p1           Convert Fakepipelinestream             250 records"),
        "{text}"
    );
    assert!(text.contains("done in "), "{text}");
    assert_eq!(count(&other, "cicd_pipelines"), 250);
}

#[test]
fn a_missing_secret_is_one_line_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fake.toml"), RUN_FILE).unwrap();
    let out = run(dir.path(), &[], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let last = last_line(&err);
    assert_eq!(
        last,
        "error: fake.toml: connection.token: environment variable FAKE_TOKEN_CLI is not set"
    );
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(!dir.path().join("devlake.db").exists());
}

#[test]
fn a_bad_run_file_names_the_place() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fake.toml"), "[connection]\ntoken = \"this_is_a_valid_token\"\n[scope_config]\nenv = \"x\"\n[[scopes]]\nid = \"p1\"\nurl = \"u\"\nbogus = 1\n").unwrap();
    let out = run(dir.path(), &[], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let last = last_line(&err);
    assert!(
        last.starts_with("error: fake.toml: scopes[0]: unknown key `bogus`: FakeProject has"),
        "{err}"
    );
    assert!(!err.contains("this_is_a_valid_token"), "{err}");
}
