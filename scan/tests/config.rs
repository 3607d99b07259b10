//! The scan configuration: `.develocity.toml` and the `DEVELOCITY_*` variables, their
//! precedence, project-name resolution, tag ordering, limits, key host matching and the
//! one warning of an invalid file.

use devlake_scan::config::{self, Env, Obfuscation, FILE_NAME};
use std::path::Path;

fn env(pairs: &[(&str, &str)]) -> Env {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn project(file: Option<&str>, cargo: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("scanproj")
        .tempdir()
        .unwrap();
    if let Some(f) = file {
        std::fs::write(dir.path().join(FILE_NAME), f).unwrap();
    }
    if let Some(c) = cargo {
        std::fs::write(dir.path().join("Cargo.toml"), c).unwrap();
    }
    dir
}

#[test]
fn the_environment_wins_over_the_file_for_url_and_key() {
    let dir = project(
        Some("server = \"https://file.example.com\"\naccess_key = \"filekey\"\n"),
        None,
    );
    let c = config::load(dir.path(), &env(&[]));
    assert_eq!(c.publish_target(), Some("https://file.example.com"));
    // A bare key in the file counts for the file's server host only.
    assert_eq!(c.key_for("https://file.example.com/"), Some("filekey"));

    let c = config::load(
        dir.path(),
        &env(&[
            ("DEVELOCITY_URL", "http://127.0.0.1:7070"),
            (
                "DEVELOCITY_ACCESS_KEY",
                "127.0.0.1=envkey;file.example.com=envfilekey",
            ),
        ]),
    );
    assert_eq!(c.publish_target(), Some("http://127.0.0.1:7070"));
    assert_eq!(c.key_for("http://127.0.0.1:7070"), Some("envkey"));
    assert_eq!(c.key_for("https://file.example.com"), Some("envfilekey"));
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn neither_file_nor_url_means_no_publishing() {
    let dir = project(None, None);
    let c = config::load(dir.path(), &env(&[("DEVELOCITY_TAG_CI", "true")]));
    assert_eq!(c.publish_target(), None);
    assert!(c.capture);
    assert_eq!(c.tags, ["CI"]);
}

#[test]
fn keys_are_matched_to_the_exact_host() {
    let dir = project(None, None);
    let c = config::load(
        dir.path(),
        &env(&[
            ("DEVELOCITY_URL", "http://scans.example.com.evil.org"),
            (
                "DEVELOCITY_ACCESS_KEY",
                "scans.example.com=k1;example.com=k2",
            ),
        ]),
    );
    assert_eq!(c.key_for("http://scans.example.com.evil.org"), None);
    assert_eq!(c.key_for("http://evil.scans.example.com"), None);
    assert_eq!(c.key_for("http://SCANS.example.com:8080/x"), Some("k1"));
    assert_eq!(c.key_for("http://example.com"), Some("k2"));
}

#[test]
fn a_malformed_key_entry_is_warned_about_without_the_key() {
    let dir = project(None, None);
    let c = config::load(
        dir.path(),
        &env(&[(
            "DEVELOCITY_ACCESS_KEY",
            "good.example.com=k1;s3cr3tkeywithouthost;=alsosecret",
        )]),
    );
    assert_eq!(c.access_keys.len(), 1);
    assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
    assert_eq!(
        c.warnings[0],
        "DEVELOCITY_ACCESS_KEY: entry 2 is not `host=key`; it is ignored"
    );
    for w in &c.warnings {
        assert!(!w.contains("s3cr3t") && !w.contains("alsosecret"), "{w}");
    }
}

#[test]
fn the_project_name_is_configured_else_cargo_else_the_folder() {
    let cargo = "[package]\nname = \"from-cargo\"\nversion = \"0.1.0\"\n";
    let dir = project(
        Some("project_name = \"configured\"\nproject_id = \"p-1\"\n"),
        Some(cargo),
    );
    let c = config::load(dir.path(), &env(&[]));
    assert_eq!(c.project.name.as_deref(), Some("configured"));
    assert_eq!(c.project.id.as_deref(), Some("p-1"));

    let dir = project(Some(""), Some(cargo));
    let c = config::load(dir.path(), &env(&[]));
    assert_eq!(c.project.name.as_deref(), Some("from-cargo"));

    // A virtual manifest has no package name: the folder's name is next.
    let dir = project(Some(""), Some("[workspace]\nmembers = []\n"));
    let c = config::load(dir.path(), &env(&[]));
    let folder = dir.path().file_name().unwrap().to_str().unwrap();
    assert_eq!(c.project.name.as_deref(), Some(folder));

    let c = config::load(Path::new("/nonexistent/folder/for/scan"), &env(&[]));
    assert_eq!(c.project.name, None);
}

#[test]
fn tags_links_and_values_come_from_both_sources_tags_sorted() {
    let dir = project(
        Some(
            r#"tags = ["nightly", "CI", "beta", "CI"]
[links]
VCS = "https://github.com/acme/plugin"
Docs = "https://docs.example.com"
[custom_values]
CIBuildType = "QA_Build"
Region = "${REGION}"
"#,
        ),
        None,
    );
    let c = config::load(
        dir.path(),
        &env(&[
            ("REGION", "eu-west"),
            ("DEVELOCITY_TAG_Alpha", "true"),
            ("DEVELOCITY_TAG_LOCAL", "true"),
            ("DEVELOCITY_TAG_off", "false"),
            ("DEVELOCITY_LINK_Issues", "https://issues.example.com"),
            ("DEVELOCITY_VALUE_Owner", "team-a"),
        ]),
    );
    assert_eq!(c.tags, ["CI", "LOCAL", "Alpha", "beta", "nightly"]);
    let links: Vec<(&str, &str)> = c
        .links
        .iter()
        .map(|l| (l.name.as_str(), l.url.as_str()))
        .collect();
    assert_eq!(
        links,
        [
            ("VCS", "https://github.com/acme/plugin"),
            ("Docs", "https://docs.example.com"),
            ("Issues", "https://issues.example.com")
        ]
    );
    let values: Vec<(&str, &str)> = c
        .custom_values
        .iter()
        .map(|v| (v.name.as_str(), v.value.as_str()))
        .collect();
    assert_eq!(
        values,
        [
            ("CIBuildType", "QA_Build"),
            ("Region", "eu-west"),
            ("Owner", "team-a")
        ]
    );
}

#[test]
fn items_over_a_limit_are_dropped_with_one_warning_each() {
    let mut file = String::from("[custom_values]\n");
    for i in 0..config::MAX_CUSTOM_VALUES + 1 {
        file.push_str(&format!("v{i} = \"x\"\n"));
    }
    let dir = project(Some(&file), None);
    let long = "y".repeat(config::MAX_VALUE_LEN + 1);
    let long_url = format!("https://e.com/{}", "z".repeat(config::MAX_VALUE_LEN));
    let long_tag = "T".repeat(config::MAX_TAG_LEN + 1);
    let c = config::load(
        dir.path(),
        &env(&[
            ("DEVELOCITY_VALUE_huge", &long),
            ("DEVELOCITY_LINK_ftp", "ftp://files.example.com"),
            ("DEVELOCITY_LINK_long", &long_url),
            (&format!("DEVELOCITY_TAG_{long_tag}"), "true"),
        ]),
    );
    assert_eq!(c.custom_values.len(), config::MAX_CUSTOM_VALUES);
    assert!(c.links.is_empty());
    assert!(c.tags.is_empty());
    let w = &c.warnings;
    assert_eq!(w.len(), 5, "{w:?}");
    assert!(
        w.contains(
            &"custom value `v1000`: it is over the limit of 1000 custom values; it is dropped"
                .to_string()
        ),
        "{w:?}"
    );
    assert!(
        w.contains(
            &"custom value `huge`: its value is longer than 100000 characters; it is dropped"
                .to_string()
        ),
        "{w:?}"
    );
    assert!(
        w.contains(&"link `ftp`: its URL is not http(s); it is dropped".to_string()),
        "{w:?}"
    );
    assert!(
        w.contains(
            &"link `long`: its URL is longer than 100000 characters; it is dropped".to_string()
        ),
        "{w:?}"
    );
    assert!(
        w.iter().any(|x| x.starts_with("tag `TTTT")
            && x.ends_with("is longer than 256 characters; it is dropped")),
        "{w:?}"
    );
    // Over-limit items do not stop publishing.
    assert!(!c.invalid_file);

    let many: Vec<String> = (0..config::MAX_TAGS + 1)
        .map(|i| format!("\"t{i:03}\""))
        .collect();
    let dir = project(Some(&format!("tags = [{}]\n", many.join(", "))), None);
    let c = config::load(dir.path(), &env(&[]));
    assert_eq!(c.tags.len(), config::MAX_TAGS);
    assert_eq!(
        c.warnings,
        ["tag `t100` is over the limit of 100 tags; it is dropped"]
    );
}

#[test]
fn an_invalid_file_gives_one_warning_with_file_line_and_key_and_blocks_publishing() {
    let dir = project(
        Some("server = \"http://127.0.0.1:9\"\naccess_key = \"k\"\n\ntags = \"CI\"\n"),
        None,
    );
    let c = config::load(dir.path(), &env(&[]));
    assert!(c.invalid_file);
    assert_eq!(c.publish_target(), None);
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    let w = &c.warnings[0];
    let path = dir.path().join(FILE_NAME);
    assert!(
        w.starts_with(&format!("{}:4: key `tags`: ", path.display())),
        "{w}"
    );
    assert!(
        w.ends_with("; this Build Scan will not be published"),
        "{w}"
    );
    assert!(!w.contains("CI"), "quoted values are not echoed: {w}");

    // An unknown key, and a variable that is not set.
    let dir = project(
        Some("project_name = \"x\"\nacces_key = \"secretvalue\"\n"),
        None,
    );
    let w = &config::load(dir.path(), &env(&[])).warnings;
    assert_eq!(w.len(), 1);
    assert!(w[0].contains(":2: key `acces_key`: unknown field"), "{w:?}");
    assert!(!w[0].contains("secretvalue"), "{w:?}");

    let dir = project(
        Some("[custom_values]\nA = \"1\"\nB = \"${NOT_SET_VAR}\"\n"),
        None,
    );
    let c = config::load(dir.path(), &env(&[]));
    assert_eq!(c.warnings.len(), 1);
    assert!(
        c.warnings[0]
            .contains(":3: key `custom_values.B`: environment variable NOT_SET_VAR is not set"),
        "{:?}",
        c.warnings
    );
}

#[test]
fn switches_and_obfuscation() {
    let dir = project(
        Some("server = \"https://s.example.com\"\npublish = false\ncapture = true\n[obfuscation]\nusername = \"hash\"\nhostname = { replace = \"a-host\" }\n"),
        None,
    );
    let c = config::load(dir.path(), &env(&[]));
    assert_eq!(c.publish_target(), None);
    assert!(c.capture);
    assert_eq!(c.username, Obfuscation::Hash);
    let hashed = c.username.apply(Some("alice".into())).unwrap();
    assert_eq!(hashed.len(), 16);
    assert_ne!(hashed, "alice");
    assert_eq!(
        c.hostname.apply(Some("box".into())).as_deref(),
        Some("a-host")
    );
}

#[test]
fn a_url_that_is_not_http_is_refused_without_echoing_it() {
    let dir = project(None, None);
    let c = config::load(
        dir.path(),
        &env(&[("DEVELOCITY_URL", "ftp://user:hunter22@files.example.com")]),
    );
    assert_eq!(c.publish_target(), None);
    assert_eq!(
        c.warnings,
        ["DEVELOCITY_URL is not an http(s) URL; this Build Scan will not be published"]
    );
}
