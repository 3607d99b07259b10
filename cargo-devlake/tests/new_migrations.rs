//! The initial migration `cargo devlake new` writes is the one `cargo devlake migration add`
//! would write for the generated models, so that the two commands agree on the plugin's
//! schema from the first day, and later `migration add` runs extend it.

mod new_support;

use new_support::{assert_success, cargo_devlake};
use std::path::Path;

fn migration_files(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir.join("src/migrations"))
        .expect("src/migrations")
        .map(|e| {
            let path = e.expect("entry").path();
            let name = path
                .file_name()
                .expect("file name")
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read_to_string(&path).expect("read"))
        })
        .collect();
    files.sort();
    files
}

/// Tokens only: the list in `mod.rs` may or may not end with a comma.
fn tokens(text: &str) -> String {
    text.split_whitespace()
        .collect::<String>()
        .replace(",]", "]")
}

#[test]
fn the_initial_migration_is_what_migration_add_writes() {
    let tmp = tempfile::tempdir().expect("temp dir");
    assert_success(&cargo_devlake(tmp.path(), &["new", "acme-ci"]));
    let dir = tmp.path().join("acme-ci");
    let ours = migration_files(&dir);
    let [(init, _), (module, _)] = &ours[..] else {
        panic!("two files expected: {ours:?}")
    };
    assert_eq!(module, "mod.rs");
    let version = init
        .strip_prefix('m')
        .and_then(|s| s.strip_suffix("_init.rs"))
        .expect("m<version>_init.rs");

    let check = cargo_devlake(&dir, &["migration", "add", "--check"]);
    assert_success(&check);

    std::fs::remove_dir_all(dir.join("src/migrations")).expect("remove migrations");
    assert_success(&cargo_devlake(
        &dir,
        &["migration", "add", "init", "--at", version],
    ));
    let theirs = migration_files(&dir);
    assert_eq!(theirs.len(), 2, "{theirs:?}");
    assert_eq!(
        ours[0], theirs[0],
        "the init migration differs from `migration add`'s"
    );
    assert_eq!(
        tokens(&ours[1].1),
        tokens(&theirs[1].1),
        "mod.rs differs from `migration add`'s"
    );
}

#[test]
fn migration_add_extends_a_new_plugin() {
    let tmp = tempfile::tempdir().expect("temp dir");
    assert_success(&cargo_devlake(tmp.path(), &["new", "acme"]));
    let dir = tmp.path().join("acme");
    let models = dir.join("src/models.rs");
    let text = std::fs::read_to_string(&models).expect("models.rs");
    let text = text.replace(
        "    pub status: String,\n",
        "    pub status: String,\n    pub attempts: Option<i64>,\n",
    );
    std::fs::write(&models, text).expect("write models.rs");

    let out = cargo_devlake(&dir, &["migration", "add", "add_attempts"]);
    assert_success(&out);
    let files = migration_files(&dir);
    assert_eq!(files.len(), 3, "{files:?}");
    let added = &files[1];
    assert!(added.0.ends_with("_add_attempts.rs"), "{files:?}");
    assert!(
        added.1.contains("\"_tool_acme_pipelines\", \"attempts\""),
        "{}",
        added.1
    );
    assert!(
        files[2].1.contains(&added.0.replace(".rs", "::MIGRATION")),
        "{}",
        files[2].1
    );
}
