//! End to end: `cargo devlake new` in a temporary folder outside the repository; without
//! any edit the plugin builds, passes its own tests and `cargo devlake test`, and
//! `build.sh` + `run.sh plugin-info` answer on fd 3 with a plugin-info DevLake accepts.
//!
//! Builds share the workspace's target folder, so dependencies compile once.

mod new_support;

use new_support::{
    assert_success, cargo_devlake, cargo_devlake_cmd, check_plugin_info, workspace_root,
};
use std::process::Command;

#[test]
fn a_new_plugin_builds_passes_its_tests_and_answers_plugin_info() {
    let tmp = tempfile::tempdir().expect("temp dir");
    assert_success(&cargo_devlake(tmp.path(), &["new", "acme-ci"]));
    let dir = std::fs::canonicalize(tmp.path().join("acme-ci")).expect("plugin folder");
    let target = workspace_root().join("target");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());

    for step in ["build", "test"] {
        let out = Command::new(&cargo)
            .arg(step)
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", &target)
            .output()
            .expect("run cargo");
        assert_success(&out);
    }

    // The conformance checks of `cargo devlake test` (its `cargo test` ran just above).
    let out = cargo_devlake_cmd(&dir, &["test", "--no-cargo-test"])
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("run cargo devlake test");
    assert_success(&out);

    let out = Command::new(dir.join("build.sh"))
        .current_dir(tmp.path())
        .env("CARGO_TARGET_DIR", &target)
        .env("DEVLAKE_PROFILE", "debug")
        .output()
        .expect("run build.sh");
    assert_success(&out);
    assert!(
        dir.join("bin/acme-ci").is_file(),
        "build.sh put no binary in bin/"
    );

    // Called from elsewhere, as DevLake does: run.sh finds its own folder.
    let args = [
        "plugin-info".to_string(),
        r#"{"log_level":"info"}"#.to_string(),
    ];
    let call = devlake_e2e::call(&dir.join("run.sh"), &args, tmp.path());
    assert_eq!(
        call.rc, 0,
        "stdout: {}\nstderr: {}",
        call.stdout, call.stderr
    );
    let messages = call.messages();
    assert_eq!(
        messages.len(),
        1,
        "one plugin-info message expected: {}",
        call.fd3
    );
    let info = &messages[0];
    check_plugin_info(info, "acme_ci")
        .unwrap_or_else(|e| panic!("plugin-info DevLake would refuse: {e}\n{info}"));
    assert_eq!(
        info["plugin_path"],
        dir.join("run.sh").display().to_string()
    );
    let tables: Vec<&str> = info["tool_model_infos"]
        .as_array()
        .expect("tool models")
        .iter()
        .filter_map(|m| m["table_name"].as_str())
        .collect();
    assert_eq!(tables, ["_tool_acme_ci_pipelines", "_tool_acme_ci_jobs"]);
}
