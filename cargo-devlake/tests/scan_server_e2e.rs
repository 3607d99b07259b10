//! The whole loop on 127.0.0.1: `cargo devlake test` on examples/fakeplugin publishes its
//! Build Scan into a running `cargo devlake scan serve`, other runs publish scans with other
//! tags and values, and a search by tag `CI` and value `branch=release` (the JSON API and
//! `cargo devlake scan list --server`) finds exactly the matching scan, whose page is served.

mod scan_server_support;

use scan_server_support::*;
use std::path::Path;
use std::process::Command;

/// The environment a CI job would set: where the server is, the key for its host, a tag
/// (when `ci`) and the branch as a custom value.
fn ci_env(c: &mut Command, serve: &Serve, key: &str, ci: bool, branch: &str) {
    c.env("DEVELOCITY_URL", serve.url(""))
        .env("DEVELOCITY_ACCESS_KEY", format!("127.0.0.1={key}"))
        .env("DEVELOCITY_VALUE_branch", branch);
    if ci {
        c.env("DEVELOCITY_TAG_CI", "true");
    }
}

/// The scan id in the published URL a run printed (`<server>/s/<id>`).
fn published_id(serve: &Serve, out: &std::process::Output) -> String {
    let (stdout, stderr) = text(out);
    let prefix = serve.url("/s/");
    format!("{stdout}{stderr}")
        .lines()
        .find_map(|l| l.trim().strip_prefix(prefix.as_str()).map(str::to_string))
        .unwrap_or_else(|| panic!("no published scan URL:\n{stdout}\n{stderr}"))
}

/// `scan record` of a trivial command in `dir`.
fn record(dir: &Path, serve: &Serve, key: &str, ci: bool, branch: &str) -> String {
    let mut c = cli(&["scan", "record", "--kind", "workspace-test", "--", "true"]);
    c.current_dir(dir)
        .env("CARGO_TARGET_DIR", dir.join("target"));
    ci_env(&mut c, serve, key, ci, branch);
    let out = run(c);
    assert!(out.status.success(), "{:?}", text(&out));
    published_id(serve, &out)
}

#[tokio::test(flavor = "multi_thread")]
async fn cargo_devlake_test_publishes_into_scan_serve_and_search_finds_exactly_the_match() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("scans.db").display().to_string();
    let key = create_key(&db, "ci", "publishScan,readScans", "");
    let serve = Serve::start(&db, &[]);

    // The full loop: a plugin's tests, recorded and published.
    let work = tempfile::tempdir().unwrap();
    let manifest = devlake_e2e::workspace().join("examples/fakeplugin/Cargo.toml");
    let mut c = cli(&["test", "--manifest-path", &manifest.display().to_string()]);
    c.current_dir(work.path());
    ci_env(&mut c, &serve, &key, true, "release");
    let out = run(c);
    let matching = published_id(&serve, &out);

    // Scans that must not match: CI on another branch, the release branch outside CI.
    let other_branch = record(work.path(), &serve, &key, true, "main");
    let not_ci = record(work.path(), &serve, &key, false, "release");
    assert_ne!(other_branch, matching);
    assert_ne!(not_ci, matching);

    let http = reqwest::Client::new();
    let found: serde_json::Value = http
        .get(serve.url("/api/scans?tag=CI&value=branch%3Drelease"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = found["scans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [matching.as_str()], "{found}");
    assert_eq!(found["scans"][0]["command_kind"], "test");
    assert_eq!(found["scans"][0]["project"], "fakeplugin");
    let all: serde_json::Value = http
        .get(serve.url("/api/scans"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all["total"], 3);

    // The capture side's client of the same search API.
    let mut c = cli(&[
        "scan",
        "list",
        "--server",
        "--tag",
        "CI",
        "--value",
        "branch=release",
    ]);
    c.current_dir(work.path());
    ci_env(&mut c, &serve, &key, false, "release");
    let out = run(c);
    let (listed, err) = text(&out);
    assert!(out.status.success(), "{err}");
    let rows: Vec<&str> = listed.lines().filter(|l| l.contains("/s/")).collect();
    assert_eq!(rows.len(), 1, "{listed}");
    assert!(rows[0].starts_with(&matching), "{listed}");

    // The stable URL the run printed serves the scan's report.
    let page = http
        .get(serve.url(&format!("/s/{matching}")))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.text().await.unwrap().contains("fakeplugin"));
    let (status, log) = serve.stop();
    assert!(status.success());
    assert!(!log.contains(&key), "the key is in the server log");
}
