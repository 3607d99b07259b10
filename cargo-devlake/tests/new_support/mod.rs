//! Helpers shared by the `cargo devlake new` tests: run the real binary, read the tree it
//! wrote, redact what changes from run to run, check a plugin-info as DevLake reads it.

// Each test file uses a different part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root (this repository).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cargo-devlake/ has a parent")
        .to_path_buf()
}

/// The runtime crate `cargo devlake new` points plugins at by default.
pub fn runtime_dir() -> PathBuf {
    std::fs::canonicalize(workspace_root().join("runtime")).expect("runtime/ exists")
}

/// `cargo-devlake devlake <args>` in `cwd`, as cargo runs the subcommand.
pub fn cargo_devlake(cwd: &Path, args: &[&str]) -> Output {
    cargo_devlake_cmd(cwd, args)
        .output()
        .expect("run cargo-devlake")
}

/// The command of [`cargo_devlake`], to adjust before running.
pub fn cargo_devlake_cmd(cwd: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-devlake"));
    cmd.arg("devlake").args(args).current_dir(cwd);
    cmd
}

/// Asserts a run succeeded, showing its output when it did not.
pub fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeFile {
    /// Path relative to the crate, `/`-separated.
    pub path: String,
    /// Contents.
    pub contents: String,
    /// Whether any execute bit is set.
    pub executable: bool,
}

/// Every file under `root`, sorted by path.
pub fn read_tree(root: &Path) -> Vec<TreeFile> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<TreeFile>) {
        for entry in std::fs::read_dir(dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                use std::os::unix::fs::PermissionsExt;
                let rel = path.strip_prefix(root).expect("under root");
                out.push(TreeFile {
                    path: rel
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy())
                        .collect::<Vec<_>>()
                        .join("/"),
                    contents: std::fs::read_to_string(&path).expect("UTF-8 file"),
                    executable: path.metadata().expect("metadata").permissions().mode() & 0o111
                        != 0,
                });
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// Replaces what differs between runs: 14-digit migration versions (`[VERSION]`) and
/// the absolute path of the runtime (`[RUNTIME]`).
pub fn redact(text: &str) -> String {
    let text = text.replace(&runtime_dir().display().to_string(), "[RUNTIME]");
    let mut out = String::with_capacity(text.len());
    let mut digits = String::new();
    for c in text.chars().chain(std::iter::once('\0')) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if digits.len() == 14 && (digits.starts_with("20") || digits.starts_with("19")) {
            out.push_str("[VERSION]");
        } else {
            out.push_str(&digits);
        }
        digits.clear();
        if c != '\0' {
            out.push(c);
        }
    }
    out
}

/// Checks a plugin-info message the way DevLake's Go side reads it: it deserializes into
/// the runtime's `PluginInfo`, has the expected name, and every model schema is a flat
/// `properties` object whose entries each have one string `type` DevLake knows, with no
/// `$ref` or `anyOf` anywhere; then the runtime's own loader rules must find no problem.
pub fn check_plugin_info(info: &serde_json::Value, name: &str) -> Result<(), String> {
    const TYPES: [&str; 6] = ["integer", "number", "boolean", "string", "array", "object"];
    let parsed: devlake::plugin::PluginInfo =
        serde_json::from_value(info.clone()).map_err(|e| format!("not a PluginInfo: {e}"))?;
    if parsed.name != name {
        return Err(format!("name is {:?}, expected {name:?}", parsed.name));
    }
    let mut models = vec![
        &parsed.connection_model_info,
        &parsed.scope_model_info,
        &parsed.scope_config_model_info,
    ];
    models.extend(&parsed.tool_model_infos);
    for model in models {
        let (table, text) = (&model.table_name, model.json_schema.to_string());
        if text.contains("\"$ref\"") || text.contains("\"anyOf\"") {
            return Err(format!("{table}: the schema uses $ref or anyOf: {text}"));
        }
        let props = model.json_schema["properties"]
            .as_object()
            .ok_or_else(|| format!("{table}: no properties"))?;
        for (prop, p) in props {
            if !p["type"].as_str().is_some_and(|t| TYPES.contains(&t)) {
                return Err(format!(
                    "{table}.{prop}: type {} is not one string of {TYPES:?}",
                    p["type"]
                ));
            }
        }
    }
    let problems = devlake::checks::conformance::plugin_info_problems(&parsed);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}
