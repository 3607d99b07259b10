//! The issue's "done when": `cargo devlake test` on a new plugin with one failing test
//! writes a Build Scan whose page (opened in headless Chromium) shows FAILED, the failing
//! test with its output, and the tags, links and values of both `.develocity.toml` and the
//! environment; the same scan is published to a server on 127.0.0.1 with the key of its
//! host; a secret planted in the environment (and printed by the test, inside a database
//! URL too) appears in no document, page, console record or request body. Both test-result
//! sources are covered: cargo-nextest's JUnit (when installed) and libtest's output.

mod scan_support;

use devlake_scan::model::{Outcome, TestOutcome};
use scan_support::*;
use std::path::Path;
use std::process::Command;

const SECRET: &str = "plantedConnSecret77";

const FAILING_TEST: &str = r#"
#[test]
fn fails_on_purpose() {
    let token = std::env::var("ACME_API_TOKEN").unwrap_or_default();
    println!("calling the API with {token} via mysql://root:{token}@127.0.0.1:3306/lake");
    assert_eq!(1 + 1, 3, "the answer is wrong");
}

#[test]
fn passes() {}
"#;

fn workspace_target() -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| devlake_e2e::workspace().join("target"))
}

fn nextest_installed() -> bool {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn devlake_test(dir: &Path, server: &ScanServer, runner: &str) -> std::process::Output {
    cargo_devlake(dir, &["test"])
        .env("CARGO_TARGET_DIR", workspace_target())
        .env("DEVLAKE_SCAN_TEST_RUNNER", runner)
        .env("ACME_API_TOKEN", SECRET)
        .env("DEVELOCITY_ACCESS_KEY", "127.0.0.1=e2eAccessKey")
        .env("DEVELOCITY_TAG_LOCAL", "true")
        .env("DEVELOCITY_LINK_Issues", "https://issues.example.com/acme")
        .env("DEVELOCITY_VALUE_Owner", "team-a")
        .env(
            "DEVELOCITY_VALUE_Build",
            format!("built for {}", server.url),
        )
        .output()
        .unwrap()
}

#[test]
fn a_failing_plugin_test_gives_a_failed_published_scan_without_the_secret() {
    let tmp = tempfile::tempdir().unwrap();
    let out = cargo_devlake(tmp.path(), &["new", "acme-scan"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let dir = tmp.path().join("acme-scan").canonicalize().unwrap();
    std::fs::write(dir.join("tests/failing.rs"), FAILING_TEST).unwrap();
    // A doctest: nextest does not run those, `cargo test --doc` after it does.
    let mut lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
    lib.push_str("\n/// ```\n/// assert_eq!(2 + 2, 4);\n/// ```\npub fn doctested() {}\n");
    std::fs::write(dir.join("src/lib.rs"), lib).unwrap();
    // The workspace's lock file and target folder: the same dependency builds, reused.
    std::fs::copy(
        devlake_e2e::workspace().join("Cargo.lock"),
        dir.join("Cargo.lock"),
    )
    .unwrap();
    let server = ScanServer::start();
    std::fs::write(
        dir.join(".develocity.toml"),
        format!(
            "server = \"{}\"\nproject_id = \"acme\"\ntags = [\"nightly\"]\n\n[links]\nVCS = \"https://github.com/acme/acme-scan\"\n\n[custom_values]\nCIBuildType = \"QA_Build\"\n",
            server.url
        ),
    )
    .unwrap();

    let mut runners = vec!["libtest"];
    if nextest_installed() {
        runners.push("nextest");
    } else {
        eprintln!("cargo-nextest is not installed: only libtest's output is checked");
    }
    for runner in runners {
        let before = server.requests().len();
        let out = devlake_test(&dir, &server, runner);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{runner}: {err}");
        assert!(
            stdout(&out).contains("FAILED  cargo test"),
            "{runner}: {}",
            stdout(&out)
        );
        // The scan's lines come first; main's error line stays last.
        assert!(
            err.trim_end().ends_with("error: 1 of 15 checks failed"),
            "{err}"
        );
        let (json, html) = written_scan(&out);
        let scan = read_scan(&json);

        assert_eq!(scan.outcome, Outcome::Failure, "{runner}");
        assert_eq!(scan.command.kind, "test");
        assert_eq!(scan.project.name.as_deref(), Some("acme-scan"));
        assert_eq!(scan.project.id.as_deref(), Some("acme"));
        assert_eq!(scan.tags, ["LOCAL", "nightly"]);
        let links: Vec<&str> = scan.links.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(links, ["VCS", "Issues"]);
        let values: Vec<&str> = scan.custom_values.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(values, ["CIBuildType", "Build", "Owner"]);
        let failed: Vec<_> = scan
            .tests
            .iter()
            .filter(|t| t.outcome == TestOutcome::Failed)
            .collect();
        assert_eq!(failed.len(), 1, "{runner}: {:#?}", scan.tests);
        assert!(
            failed[0].name.ends_with("fails_on_purpose"),
            "{:?}",
            failed[0]
        );
        let output = failed[0].output.as_deref().unwrap_or_default();
        assert!(output.contains("the answer is wrong"), "{runner}: {output}");
        assert!(
            output.contains("calling the API with ******** via mysql://root:********@"),
            "{runner}: {output}"
        );
        assert!(scan
            .tests
            .iter()
            .any(|t| t.name.ends_with("passes") && t.outcome == TestOutcome::Passed));
        // (`cargo test` stops before the doctests once a test binary failed; after nextest
        // they run anyway.)
        assert!(
            runner == "libtest"
                || scan.tests.iter().any(|t| t.suite.ends_with("doctests")
                    && t.name.contains("doctested")
                    && t.outcome == TestOutcome::Passed),
            "{runner}: the doctest is missing: {:#?}",
            scan.tests
        );
        assert!(scan
            .tests
            .iter()
            .any(|t| t.suite == "conformance" && t.name == "pipeline plan"));
        if runner == "nextest" {
            assert!(failed[0].duration_ms.is_some(), "nextest gives durations");
        }
        assert!(
            scan.timeline.iter().any(|s| s.kind == "test-binary"),
            "{:?}",
            scan.timeline
        );

        // Published once, with the key of 127.0.0.1.
        let reqs = server.requests();
        assert_eq!(reqs.len(), before + 1, "{runner}: {err}");
        let req = &reqs[before];
        assert_eq!(req.authorization.as_deref(), Some("Bearer e2eAccessKey"));
        assert!(
            err.contains(&format!(
                "Publishing Build Scan...\n{}/s/{}",
                server.url, scan.id
            )),
            "{err}"
        );

        let page = std::fs::read_to_string(&html).unwrap();
        let document = std::fs::read_to_string(&json).unwrap();
        for (what, text) in [
            ("JSON", &document),
            ("HTML", &page),
            ("request body", &req.body),
        ] {
            assert!(
                !text.contains(SECRET),
                "{runner}: the {what} holds the planted secret"
            );
            assert!(
                !text.contains("e2eAccessKey"),
                "{runner}: the {what} holds the access key"
            );
        }
        assert!(scan.console.lines.iter().all(|l| !l.text.contains(SECRET)));

        let Some(chromium) = chromium() else { continue };
        let dom = dump_dom(&chromium, &html, "");
        assert!(
            dom.contains(r#"<span class="outcome" id="outcome">FAILED</span>"#),
            "{dom}"
        );
        assert!(dom.contains("fails_on_purpose"));
        assert!(dom.contains("the answer is wrong"));
        assert!(dom.contains(r#"<span class="tag">nightly</span>"#));
        assert!(dom.contains(r#"<span class="tag">LOCAL</span>"#));
        assert!(dom.contains(r#"href="https://issues.example.com/acme""#));
        assert!(dom.contains("QA_Build") && dom.contains("team-a"));
        // The script ran: the filter counted the rows; failures come first.
        assert!(
            dom.contains(&format!("{} shown", scan.tests.len())),
            "the page's script did not run"
        );
        let first_row = dom.split("<tr class=\"test").nth(1).unwrap();
        assert!(
            first_row.contains("fails_on_purpose"),
            "failures first: {first_row}"
        );
        assert!(!dom.contains(SECRET));
    }
}
