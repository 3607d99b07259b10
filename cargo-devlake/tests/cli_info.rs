//! `cargo devlake info` on examples/fakeplugin: plugin-info as text and as JSON.

use std::process::Command;

fn info(extra: &[&str]) -> std::process::Output {
    let manifest = devlake_e2e::workspace().join("examples/fakeplugin/Cargo.toml");
    Command::new(env!("CARGO_BIN_EXE_cargo-devlake"))
        .args(["devlake", "info", "--manifest-path"])
        .arg(&manifest)
        .args(extra)
        .output()
        .expect("run cargo-devlake")
}

#[test]
fn info_shows_streams_subtasks_models_and_migrations() {
    let out = info(&[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for needle in [
        "fake: fake plugin",
        "fakepipelinestream  [CICD]  raw table _raw_fake_fakepipelinestream",
        "subtasks: Collect Fakepipelinestream, Extract Fakepipelinestream, Convert Fakepipelinestream",
        "Connection  (table _tool_fakeplugin_fakeconnections)",
        "Tool model FakePipeline  (table _tool_fakeplugin_fakepipelines)",
        "state             text {pending, running, failure, success} required",
        "token       secret           required",
        "20230530000001  init schemas",
        "create_table _tool_fakeplugin_fakepipelines",
    ] {
        assert!(text.contains(needle), "{needle:?} not in:\n{text}");
    }
}

#[test]
fn info_json_is_the_plugin_info_devlake_receives() {
    let out = info(&["--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info: devlake::plugin::PluginInfo =
        serde_json::from_slice(&out.stdout).expect("plugin-info JSON");
    assert_eq!(info.name, "fake");
    assert_eq!(info.subtask_metas.len(), 3);
    assert!(
        info.plugin_path.ends_with("examples/fakeplugin/run.sh"),
        "{}",
        info.plugin_path
    );
}

#[test]
fn info_outside_a_plugin_says_where_to_look() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-devlake"))
        .args(["devlake", "info", "--manifest-path"])
        .arg(dir.path().join("Cargo.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.trim().starts_with("error: --manifest-path") && err.contains("no such file"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}
