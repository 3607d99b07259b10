//! The fake plugin checks its scope config in `Plugin::prepare`, before any subtask runs
//! (issue 16 item 5): an `env` with spaces around it is one line naming the field, in
//! process and from the plugin binary, which then collects nothing.

use devlake::protocol::TaskContext;
use fakeplugin::FakePlugin;
use serde_json::json;
use std::process::Command;

fn refused(env: &str) -> String {
    format!("scope_config.env: {env:?} has spaces around it, so no pipeline would get an environment: write it without them (PRODUCTION, STAGING, TESTING)")
}

fn task(env: &str) -> TaskContext {
    TaskContext::from_json(&json!({
        "db_url": "sqlite:///unused.db",
        "connection": {"id": 1, "name": "c", "token": fakeplugin::VALID_TOKEN},
        "scope": {"id": "p1", "name": "Project 1", "url": "http://fake.org/api/project/p1"},
        "scope_config": {"env": env},
        "options": {},
    }))
    .unwrap()
}

#[test]
fn an_env_with_spaces_around_is_refused_before_any_subtask_and_other_names_pass() {
    let host = devlake::testing::host(FakePlugin);
    for padded in [" PRODUCTION", "PRODUCTION ", "  "] {
        let err = host
            .context(&task(padded), "fakepipelinestream")
            .unwrap_err();
        assert_eq!(err.to_string(), refused(padded));
    }
    // Allowed as upstream allows them (the anchors use the last two): no environment.
    for env in ["PRODUCTION", "", "test env"] {
        host.context(&task(env), "fakepipelinestream")
            .unwrap_or_else(|e| panic!("{env:?}: {e}"));
    }
}

#[test]
fn the_binary_stops_a_run_with_a_padded_env_before_collecting() {
    let dir = std::env::temp_dir().join(format!("fakeplugin-prepare-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("fake.toml");
    std::fs::write(
        &config,
        r#"
[connection]
token = "this_is_a_valid_token"

[scope_config]
env = " PRODUCTION"

[[scopes]]
id = "p1"
name = "Project 1"
url = "http://fake.org/api/project/p1"
"#,
    )
    .unwrap();
    let db = format!("sqlite:///{}", dir.join("devlake.db").display());
    let out = Command::new(env!("CARGO_BIN_EXE_fakeplugin"))
        .args(["standalone", "run", "--config"])
        .arg(&config)
        .args(["--db", &db, "--format", "json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(&refused(" PRODUCTION")), "{stderr}");
    // No subtask ran: json lines report each subtask that did.
    assert!(!stdout.contains("\"subtask\""), "{stdout}");
}
