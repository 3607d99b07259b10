//! `cargo devlake new` from the command line: names it refuses, folders it will not
//! overwrite, runtime choices, and crates joining an enclosing cargo workspace (checked
//! with `cargo metadata`).

mod new_support;

use new_support::{assert_success, cargo_devlake, read_tree, redact, runtime_dir};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts a run failed with exit 1 and one `error:` line containing `needle`.
fn assert_error(out: &std::process::Output, needle: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "one line expected: {err}");
    assert!(
        err.starts_with("error: ") && err.contains(needle),
        "{needle:?} not in: {err}"
    );
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into())
        .collect();
    v.sort();
    v
}

#[test]
fn bad_names_are_refused_and_nothing_is_written() {
    let tmp = tempfile::tempdir().expect("temp dir");
    for (name, needle) in [
        ("Acme", "starts with 'A'"),
        ("1acme", "starts with '1'"),
        ("acme.ci", "contains '.'"),
        ("acme_", "ends with a separator"),
        ("fn", "Rust keyword"),
        ("devlake", "`devlake` crate"),
        ("gitlab", "built-in `gitlab` plugin"),
        ("abcdefghijklmnopqrstuvw", "too long"),
    ] {
        let out = cargo_devlake(tmp.path(), &["new", name]);
        assert_error(&out, needle);
        assert!(
            stderr(&out).contains(&format!("invalid plugin name {name:?}")),
            "{}",
            stderr(&out)
        );
    }
    assert!(entries(tmp.path()).is_empty(), "{:?}", entries(tmp.path()));
}

#[test]
fn a_non_empty_folder_is_not_overwritten() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("acme");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::write(dir.join("notes.txt"), "mine").expect("write");
    assert_error(
        &cargo_devlake(tmp.path(), &["new", "acme"]),
        "is not empty: refusing to overwrite it",
    );
    assert_eq!(entries(&dir), ["notes.txt"]);
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).expect("read"),
        "mine"
    );

    std::fs::write(tmp.path().join("file"), "x").expect("write");
    assert_error(
        &cargo_devlake(tmp.path(), &["new", "acme", "--path", "file"]),
        "is not a folder",
    );
    assert_eq!(
        entries(tmp.path()),
        ["acme", "file"],
        "no staging folder left behind"
    );
}

#[test]
fn an_empty_folder_and_missing_parents_are_fine() {
    let tmp = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(tmp.path().join("acme")).expect("mkdir");
    assert_success(&cargo_devlake(tmp.path(), &["new", "acme"]));
    assert!(tmp.path().join("acme/src/lib.rs").is_file());

    // `--path .` from inside an empty folder: the folder stays the same one.
    let here = tmp.path().join("here");
    std::fs::create_dir(&here).expect("mkdir");
    let inode = |p: &Path| std::fs::metadata(p).expect("metadata").ino();
    let before = inode(&here);
    assert_success(&cargo_devlake(&here, &["new", "here", "--path", "."]));
    assert_eq!(inode(&here), before);
    assert!(here.join("src/lib.rs").is_file());

    let deep = ["new", "beta", "--path", "deep/er/beta"];
    assert_success(&cargo_devlake(tmp.path(), &deep));
    assert!(tmp.path().join("deep/er/beta/Cargo.toml").is_file());
    assert_eq!(entries(tmp.path()), ["acme", "deep", "here"]);
}

fn manifest(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("Cargo.toml")).expect("Cargo.toml")
}

#[test]
fn runtime_choices_end_up_in_the_manifest() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let git = "https://github.com/devlake-rs/devlake-rs";
    assert_success(&cargo_devlake(
        tmp.path(),
        &["new", "a", "--runtime-git", git],
    ));
    assert!(manifest(&tmp.path().join("a")).contains(&format!("devlake = {{ git = \"{git}\" }}\n")));

    assert_success(&cargo_devlake(
        tmp.path(),
        &["new", "b", "--runtime-version", "0.1"],
    ));
    assert!(manifest(&tmp.path().join("b")).contains("devlake = \"0.1\"\n"));

    let runtime = runtime_dir().display().to_string();
    assert_success(&cargo_devlake(
        tmp.path(),
        &["new", "c", "--runtime-path", &runtime],
    ));
    assert!(manifest(&tmp.path().join("c"))
        .contains(&format!("devlake = {{ path = \"{runtime}\" }}\n")));
    let readme = std::fs::read_to_string(tmp.path().join("c/README.md")).expect("README");
    assert!(
        readme.contains(&format!("comes from the local checkout at `{runtime}`")),
        "{readme}"
    );

    // Not the runtime: one clear line, nothing written.
    let not_runtime = runtime_dir().join("../cargo-devlake").display().to_string();
    let out = cargo_devlake(tmp.path(), &["new", "d", "--runtime-path", &not_runtime]);
    assert_error(
        &out,
        "is package \"cargo-devlake\", not the `devlake` runtime",
    );
    let out = cargo_devlake(tmp.path(), &["new", "d", "--runtime-path", "/nonexistent"]);
    assert_error(
        &out,
        "--runtime-path /nonexistent: no readable Cargo.toml there",
    );
    // Two sources at once is a usage error.
    let out = cargo_devlake(
        tmp.path(),
        &["new", "d", "--runtime-git", git, "--runtime-version", "0.1"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(entries(tmp.path()), ["a", "b", "c"]);
}

#[test]
fn help_explains_where_the_runtime_comes_from() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = cargo_devlake(tmp.path(), &["new", "--help"]);
    assert_success(&out);
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "--runtime-path",
        "--runtime-git",
        "--runtime-version",
        "crates.io",
        "workspace.members",
    ] {
        assert!(help.contains(needle), "{needle:?} not in:\n{help}");
    }
}

/// A workspace with comments, a member and shared dependencies, the way people write them.
const WORKSPACE: &str = r#"# Acme's DevLake plugins.
[workspace]
resolver = "2"
members = [
    "tools/lint", # keeps us honest
]

[workspace.dependencies]
devlake = { path = "RUNTIME" }
serde_json = "1"   # one version for all
tokio = { version = "1", features = ["rt"] }
"#;

fn workspace(tmp: &Path, text: &str) {
    std::fs::write(
        tmp.join("Cargo.toml"),
        text.replace("RUNTIME", &runtime_dir().display().to_string()),
    )
    .expect("write workspace");
    let lint = tmp.join("tools/lint");
    std::fs::create_dir_all(lint.join("src")).expect("mkdir");
    std::fs::write(
        lint.join("Cargo.toml"),
        "[package]\nname = \"lint\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    )
    .expect("write member");
    std::fs::write(lint.join("src/lib.rs"), "").expect("write lib");
}

/// The workspace's packages as cargo sees them.
fn cargo_packages(root: &Path) -> Vec<String> {
    let meta = cargo_metadata::MetadataCommand::new()
        .manifest_path(root.join("Cargo.toml"))
        .no_deps()
        .other_options(vec!["--offline".to_string()])
        .exec()
        .expect("cargo metadata");
    let mut names: Vec<String> = meta
        .workspace_packages()
        .iter()
        .map(|p| p.name.to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn a_plugin_joins_the_enclosing_workspace() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = std::fs::canonicalize(tmp.path()).expect("canonical temp dir");
    workspace(&root, WORKSPACE);
    std::fs::create_dir(root.join("plugins")).expect("mkdir");
    // Run from a subfolder: the workspace is found upwards, as cargo finds it.
    let out = cargo_devlake(&root.join("plugins"), &["new", "acme"]);
    assert_success(&out);
    assert!(
        stderr(&out).contains("Added \"plugins/acme\" to the members"),
        "{}",
        stderr(&out)
    );

    insta::assert_snapshot!("workspace_manifest", redact(&manifest(&root)));
    insta::assert_snapshot!(
        "workspace_plugin_manifest",
        redact(&manifest(&root.join("plugins/acme")))
    );
    assert_eq!(cargo_packages(&root), ["acme", "lint"]);
    // Generated inside a workspace, the crate has no lock file or target folder of its own.
    let files: Vec<String> = read_tree(&root.join("plugins/acme"))
        .into_iter()
        .map(|f| f.path)
        .collect();
    assert!(!files.iter().any(|f| f == "Cargo.lock"), "{files:?}");
}

#[test]
fn a_members_glob_or_an_exclude_leaves_the_workspace_manifest_alone() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = std::fs::canonicalize(tmp.path()).expect("canonical temp dir");
    let text = WORKSPACE
        .replace(
            "\"tools/lint\", # keeps us honest",
            "\"tools/*\", \"plugins/*\"",
        )
        .replace("[workspace]\n", "[workspace]\nexclude = [\"sandbox\"]\n");
    workspace(&root, &text);
    let before = manifest(&root);

    let out = cargo_devlake(&root, &["new", "acme", "--path", "plugins/acme"]);
    assert_success(&out);
    assert!(
        stderr(&out).contains("already covers it with \"plugins/*\""),
        "{}",
        stderr(&out)
    );
    assert_eq!(manifest(&root), before);
    assert_eq!(cargo_packages(&root), ["acme", "lint"]);

    // Excluded: a crate of its own, with its own runtime dependency.
    let out = cargo_devlake(&root, &["new", "beta", "--path", "sandbox/beta"]);
    assert_success(&out);
    assert!(
        stderr(&out).contains("excludes it (\"sandbox\")"),
        "{}",
        stderr(&out)
    );
    assert_eq!(manifest(&root), before);
    let beta = manifest(&root.join("sandbox/beta"));
    assert!(
        beta.contains(&format!(
            "devlake = {{ path = \"{}\" }}",
            runtime_dir().display()
        )),
        "{beta}"
    );
}
