//! `cargo devlake scan record`: on a terminal (a real pty from util-linux `script`) the child
//! is asked to keep cargo's colours, which the scan keeps; off a terminal nothing changes;
//! `scan list --server` asks the server's search endpoint; the page's test filter, sorting and
//! console search work in headless Chromium.

mod scan_support;

use scan_support::*;
use std::process::Command;

/// Prints what the child got as CARGO_TERM_COLOR, then a coloured word.
const SHOW_COLOR: &str =
    "echo \"color=${CARGO_TERM_COLOR:-unset}\"; printf '\\033[32mgreen\\033[0m\\n'";

#[test]
fn on_a_terminal_cargo_keeps_its_colours_and_the_scan_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target");
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("SKIPPED (no pty): util-linux `script` is missing");
        return;
    }
    let inner = format!(
        "{} devlake scan record -- sh -c '{}'",
        env!("CARGO_BIN_EXE_cargo-devlake"),
        SHOW_COLOR.replace('\'', "'\\''")
    );
    let out = Command::new("script")
        .args(["-qec", &inner, "/dev/null"])
        .current_dir(dir.path())
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("CARGO_TERM_COLOR")
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("color=always"), "{text}");
    let html = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Build Scan written to "))
        .unwrap_or_else(|| panic!("{text}"));
    let scan = read_scan(&std::path::PathBuf::from(html.trim()).with_extension("json"));
    assert!(
        scan.console
            .lines
            .iter()
            .any(|l| l.text == "\u{1b}[32mgreen\u{1b}[0m"),
        "{:?}",
        scan.console
    );
    let page = std::fs::read_to_string(html.trim()).unwrap();
    assert!(page.contains("<span class=\"f2\">green</span>"));

    // Off a terminal, the child's environment is left alone.
    let out = cargo_devlake(
        dir.path(),
        &["scan", "record", "--", "sh", "-c", SHOW_COLOR],
    )
    .env("CARGO_TARGET_DIR", &target)
    .env_remove("CARGO_TERM_COLOR")
    .output()
    .unwrap();
    assert!(
        stdout(&out).starts_with("color=unset\n"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn scan_list_server_asks_the_search_endpoint() {
    let server = ScanServer::start();
    server.script(vec![(
        200,
        vec![("content-type", "application/json".into())],
        serde_json::json!({"scans": [{"id": "abc", "url": format!("{}/s/abc", server.url), "project": "acme",
            "project_id": null, "outcome": "failure", "started_at": "2026-11-29T10:00:00Z", "duration_ms": 5,
            "user": "u", "host": "h", "tags": ["CI"], "command_kind": "test"}], "total": 1})
        .to_string(),
    )]);
    let dir = tempfile::tempdir().unwrap();
    let out = cargo_devlake(
        dir.path(),
        &[
            "scan",
            "list",
            "--server",
            "--tag",
            "CI",
            "--value",
            "Branch=main",
            "--outcome",
            "failure",
            "--since",
            "2026-11-01",
        ],
    )
    .env("DEVELOCITY_URL", &server.url)
    .env("DEVELOCITY_ACCESS_KEY", "127.0.0.1=readKey")
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("abc  2026-11-29T10:00:00Z  failure  acme  test  [CI]"),
        "{text}"
    );
    assert!(text.ends_with("1 of 1 scan(s)\n"), "{text}");
    let req = &server.requests()[0];
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("GET", "/api/scans")
    );
    assert_eq!(
        req.query,
        "tag=CI&value=Branch%3Dmain&outcome=failure&since=2026-11-01T00%3A00%3A00%2B00%3A00"
    );
    assert_eq!(req.authorization.as_deref(), Some("Bearer readKey"));
}

const LIBTEST: &str = "echo '     Running tests/t.rs (target/debug/deps/t-0123abcd)'; echo 'test alpha ... ok'; echo 'test beta ... FAILED'; echo 'test gamma ... ignored'; echo 'failures:'; echo '---- beta stdout ----'; echo 'beta broke: needle'; echo 'failures:'; echo 'test result: FAILED. 1 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.10s'; exit 101";

#[test]
fn the_page_filters_sorts_and_searches_in_a_browser() {
    let dir = tempfile::tempdir().unwrap();
    let out = cargo_devlake(
        dir.path(),
        &[
            "scan",
            "record",
            "--kind",
            "workspace-test",
            "--",
            "sh",
            "-c",
            LIBTEST,
        ],
    )
    .env("CARGO_TARGET_DIR", dir.path().join("target"))
    .env("DEVELOCITY_TAG_CI", "true")
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(101));
    let (_, html) = written_scan(&out);
    let Some(chromium) = chromium() else { return };

    let dom = dump_dom(&chromium, &html, "");
    assert!(dom.contains(r#"<span class="outcome" id="outcome">FAILED</span>"#));
    assert!(dom.contains(r#"<span class="tag">CI</span>"#));
    assert!(dom.contains("3 shown"));
    // Failures first, with their output.
    let rows: Vec<&str> = dom.split("<tr class=\"test").skip(1).collect();
    assert!(
        rows[0].contains("beta") && rows[0].contains("beta broke: needle"),
        "{}",
        rows[0]
    );

    // Only the passed ones.
    let dom = dump_dom(&chromium, &html, "#outcome=passed");
    assert!(dom.contains("1 shown"), "{dom}");
    assert!(
        dom.contains(r#"<tr class="test hidden" data-outcome="failed">"#),
        "{dom}"
    );
    assert!(
        dom.contains(r#"<tr class="test" data-outcome="passed">"#),
        "{dom}"
    );

    // Sorted by name, descending: gamma, beta, alpha.
    let dom = dump_dom(&chromium, &html, "#sort=2&desc=1");
    let names: Vec<&str> = ["alpha", "beta", "gamma"].into_iter().collect();
    let pos: Vec<usize> = names
        .iter()
        .map(|n| dom.find(&format!("<code>{n}</code>")).unwrap())
        .collect();
    assert!(pos[2] < pos[1] && pos[1] < pos[0], "{pos:?}");

    // The console search hides the other lines.
    let dom = dump_dom(&chromium, &html, "#console=needle");
    assert!(dom.contains("1 matching lines"), "{dom}");
    assert!(dom.contains(r#"<div class="l stdout hidden""#));
}
