//! Snapshots of the crate `cargo devlake new` writes, and the promise that the templates
//! are formatted as rustfmt formats them (so the output is the same with or without it).

mod new_support;

use new_support::{assert_success, cargo_devlake, cargo_devlake_cmd, read_tree, redact};

#[test]
fn generated_tree_matches_the_snapshots() {
    let tmp = tempfile::tempdir().expect("temp dir");
    assert_success(&cargo_devlake(tmp.path(), &["new", "acme"]));
    let tree = read_tree(&tmp.path().join("acme"));

    let listing: String = tree
        .iter()
        .map(|f| {
            format!(
                "{}{}\n",
                redact(&f.path),
                if f.executable { " (executable)" } else { "" }
            )
        })
        .collect();
    insta::assert_snapshot!("tree", listing);
    for f in &tree {
        let name = redact(&f.path).replace('/', "__").replace(['[', ']'], "");
        insta::assert_snapshot!(name, redact(&f.contents));
    }
}

/// Without rustfmt on the PATH the rendered templates are written as they are: they must
/// already be what rustfmt makes of them, for short and long names alike.
#[test]
fn templates_are_already_rustfmt_formatted() {
    if std::process::Command::new("rustfmt")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var("CI").is_err(),
            "CI: rustfmt is needed for this test"
        );
        eprintln!("\n*** SKIPPING: rustfmt is not installed ***\n");
        return;
    }
    for name in ["acme", "x", "acme-ci", "jenkinsx"] {
        let tmp = tempfile::tempdir().expect("temp dir");
        let out = cargo_devlake_cmd(tmp.path(), &["new", name])
            .env("PATH", "")
            .output()
            .expect("run");
        assert_success(&out);
        let dir = tmp.path().join(name);
        let rendered = read_tree(&dir);
        let rust: Vec<_> = rendered
            .iter()
            .filter(|f| f.path.ends_with(".rs"))
            .map(|f| dir.join(&f.path))
            .collect();
        let fmt = std::process::Command::new("rustfmt")
            .args(["--edition", "2021"])
            .args(&rust)
            .output()
            .expect("run rustfmt");
        assert!(
            fmt.status.success(),
            "{name}: rustfmt: {}",
            String::from_utf8_lossy(&fmt.stderr)
        );
        for (before, after) in rendered.iter().zip(read_tree(&dir)) {
            assert_eq!(
                before.contents, after.contents,
                "{name}: rustfmt changes {}",
                before.path
            );
        }
    }
}
