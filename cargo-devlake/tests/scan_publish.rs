//! Publishing Build Scans to a real HTTP server on 127.0.0.1 (the contract of
//! docs/build-scans.md): success, a key only for its exact host, 401 (missing or refused
//! key), 500 then success, 429 with Retry-After, an unreachable server then `scan publish`
//! later; secrets planted in an environment variable, an argument and a database URL appear
//! in no request, document or page; the recorded command's output and exit code pass through.

mod scan_support;

use devlake_scan::model::Outcome;
use scan_support::*;
use std::path::Path;

const ENV_SECRET: &str = "plantedEnvSecret41";
const ARG_SECRET: &str = "plantedArgSecret42";
const DB_SECRET: &str = "plantedDbSecret43";

/// `scan record` of a shell command that prints every planted secret, publishing to `url`
/// with `keys` as DEVELOCITY_ACCESS_KEY.
fn record(dir: &Path, url: &str, keys: Option<&str>) -> std::process::Output {
    let script = format!(
        "echo \"token is $PLUGIN_API_TOKEN\"; echo \"arg is $1 $2\"; echo 'db is mysql://root:{DB_SECRET}@127.0.0.1:3306/lake' >&2; echo 'test demo::works ... ok'; exit 3"
    );
    let mut c = cargo_devlake(
        dir,
        &[
            "scan",
            "record",
            "--kind",
            "workspace-test",
            "--",
            "sh",
            "-c",
            &script,
            "sh",
            "--password",
            ARG_SECRET,
        ],
    );
    c.env("CARGO_TARGET_DIR", dir.join("target"))
        .env("PLUGIN_API_TOKEN", ENV_SECRET)
        .env("DEVELOCITY_URL", url)
        .env("DEVELOCITY_TAG_CI", "true");
    if let Some(k) = keys {
        c.env("DEVELOCITY_ACCESS_KEY", k);
    }
    c.output().unwrap()
}

fn assert_no_secret(what: &str, text: &str) {
    for s in [ENV_SECRET, ARG_SECRET, DB_SECRET] {
        assert!(
            !text.contains(s),
            "{what} holds the planted secret {s}:\n{text}"
        );
    }
}

fn pending(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir.join("target/devlake-scans"))
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".pending"))
        .collect()
}

#[test]
fn a_scan_is_published_with_the_key_of_its_host_and_no_secret() {
    let server = ScanServer::start();
    let dir = tempfile::tempdir().unwrap();
    let out = record(
        dir.path(),
        &server.url,
        Some("localhost=wrongHostKey;127.0.0.1=rightKey123"),
    );
    // The command's own output and exit code, unchanged.
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        stdout(&out),
        format!("token is {ENV_SECRET}\narg is --password {ARG_SECRET}\ntest demo::works ... ok\n")
    );
    let err = stderr(&out);
    let (json, html) = written_scan(&out);
    let published = err
        .split("Publishing Build Scan...\n")
        .nth(1)
        .unwrap_or_else(|| panic!("{err}"));
    let scan = read_scan(&json);
    assert_eq!(published.trim(), format!("{}/s/{}", server.url, scan.id));

    let reqs = server.requests();
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(reqs[0].method, "POST");
    assert_eq!(reqs[0].path, "/api/scans");
    assert_eq!(reqs[0].authorization.as_deref(), Some("Bearer rightKey123"));
    assert_eq!(reqs[0].content_type.as_deref(), Some("application/json"));
    let sent = devlake_scan::Scan::from_json(reqs[0].body.as_bytes()).unwrap();
    assert_eq!(sent, scan);
    assert!(pending(dir.path()).is_empty());

    assert_eq!(scan.outcome, Outcome::Failure);
    assert_eq!(scan.exit_code, 3);
    assert_eq!(scan.command.kind, "workspace-test");
    assert_eq!(scan.tags, ["CI"]);
    assert_eq!(scan.tests.len(), 1);
    assert!(scan
        .console
        .lines
        .iter()
        .any(|l| l.text == "token is ********"));
    assert!(scan
        .console
        .lines
        .iter()
        .any(|l| l.text == "db is mysql://root:********@127.0.0.1:3306/lake"));
    assert!(scan
        .command
        .argv
        .ends_with(&["--password".into(), "********".into()]));
    for (what, text) in [
        ("the request body", reqs[0].body.clone()),
        ("the JSON document", std::fs::read_to_string(&json).unwrap()),
        ("the HTML page", std::fs::read_to_string(&html).unwrap()),
    ] {
        assert_no_secret(what, &text);
        assert!(
            !text.contains("rightKey123") && !text.contains("wrongHostKey"),
            "{what} holds an access key"
        );
    }
}

#[test]
fn a_key_for_another_host_is_never_sent_and_a_401_says_it_is_missing() {
    let server = ScanServer::start();
    server.script(vec![(401, vec![], r#"{"error":"no credential"}"#.into())]);
    let dir = tempfile::tempdir().unwrap();
    let out = record(dir.path(), &server.url, Some("localhost=otherHostKey"));
    assert_eq!(
        out.status.code(),
        Some(3),
        "the run's exit code is unaffected"
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1, "a 401 is not retried: {reqs:?}");
    assert_eq!(reqs[0].authorization, None);
    let err = stderr(&out);
    assert!(
        err.contains("the Build Scan server at 127.0.0.1 needs an access key and none is configured for host 127.0.0.1 (401 Unauthorized"),
        "{err}"
    );
    assert!(!err.contains("otherHostKey"));
    assert_eq!(pending(dir.path()).len(), 1);
}

#[test]
fn a_refused_key_is_reported_as_refused() {
    let server = ScanServer::start();
    server.script(vec![(
        401,
        vec![],
        r#"{"error":"unknown credential"}"#.into(),
    )]);
    let dir = tempfile::tempdir().unwrap();
    let out = record(dir.path(), &server.url, Some("127.0.0.1=revokedKey99"));
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(
        err.contains("the Build Scan server at 127.0.0.1 refused the access key configured for 127.0.0.1 (401 Unauthorized)"),
        "{err}"
    );
    assert!(!err.contains("revokedKey99"));
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_500_and_a_429_are_retried_then_the_scan_is_published() {
    let server = ScanServer::start();
    server.script(vec![
        (500, vec![], r#"{"error":"database busy"}"#.into()),
        (
            429,
            vec![("retry-after", "1".into())],
            r#"{"error":"slow down"}"#.into(),
        ),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let out = record(dir.path(), &server.url, Some("127.0.0.1=k"));
    let err = stderr(&out);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3, "{reqs:?}\n{err}");
    // The same document each time: the server stores it once.
    assert_eq!(reqs[0].body, reqs[2].body);
    let (json, _) = written_scan(&out);
    let id = read_scan(&json).id;
    assert!(
        err.trim_end().ends_with(&format!("{}/s/{id}", server.url)),
        "{err}"
    );
    assert!(pending(dir.path()).is_empty());
}

#[test]
fn an_unreachable_server_leaves_the_scan_pending_until_scan_publish() {
    let dir = tempfile::tempdir().unwrap();
    let down = unreachable_url();
    let out = record(dir.path(), &down, Some("127.0.0.1=laterKey"));
    assert_eq!(out.status.code(), Some(3), "publishing never fails the run");
    let err = stderr(&out);
    assert!(err.contains("warning: the Build Scan was not published: cannot reach the Build Scan server at 127.0.0.1 (5 attempts)"), "{err}");
    assert!(
        err.contains("it is kept pending (`cargo devlake scan publish` sends it later)"),
        "{err}"
    );
    let (json, _) = written_scan(&out);
    let id = read_scan(&json).id;
    assert_eq!(pending(dir.path()), [format!("{id}.pending")]);

    // `scan list` shows it pending; `scan publish` sends it to the server configured now.
    let target = dir.path().join("target");
    let list = cargo_devlake(
        dir.path(),
        &["scan", "list", "--target-dir", target.to_str().unwrap()],
    )
    .output()
    .unwrap();
    assert!(
        stdout(&list).contains(&format!("{id}  ")) && stdout(&list).contains("(pending)"),
        "{}",
        stdout(&list)
    );

    let server = ScanServer::start();
    let out = cargo_devlake(
        dir.path(),
        &["scan", "publish", "--target-dir", target.to_str().unwrap()],
    )
    .env("DEVELOCITY_URL", &server.url)
    .env("DEVELOCITY_ACCESS_KEY", "127.0.0.1=laterKey")
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("Publishing Build Scan...\n{}/s/{id}", server.url)),
        "{}",
        stderr(&out)
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].authorization.as_deref(), Some("Bearer laterKey"));
    assert!(pending(dir.path()).is_empty());

    // Nothing left to send.
    let out = cargo_devlake(
        dir.path(),
        &["scan", "publish", "--target-dir", target.to_str().unwrap()],
    )
    .env("DEVELOCITY_URL", &server.url)
    .output()
    .unwrap();
    assert!(
        stdout(&out).starts_with("no pending Build Scans"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn scan_list_filters_local_scans() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target");
    let run = |tag: &str, value: &str, code: i32| {
        let out = cargo_devlake(
            dir.path(),
            &["scan", "record", "--", "sh", "-c", &format!("exit {code}")],
        )
        .env("CARGO_TARGET_DIR", &target)
        .env(format!("DEVELOCITY_TAG_{tag}"), "true")
        .env("DEVELOCITY_VALUE_Branch", value)
        .output()
        .unwrap();
        assert_eq!(out.status.code(), Some(code));
        read_scan(&written_scan(&out).0).id
    };
    let a = run("nightly", "main", 0);
    let b = run("CI", "release", 1);
    let list = |args: &[&str]| {
        let mut all = vec!["scan", "list", "--target-dir", target.to_str().unwrap()];
        all.extend(args);
        let out = cargo_devlake(dir.path(), &all).output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let both = list(&[]);
    assert!(both.contains(&a) && both.contains(&b), "{both}");
    let ci = list(&["--tag", "CI"]);
    assert!(!ci.contains(&a) && ci.contains(&b), "{ci}");
    let main = list(&["--value", "Branch=main", "--outcome", "success"]);
    assert!(main.contains(&a) && !main.contains(&b), "{main}");
    assert!(list(&["--outcome", "error"]).starts_with("0 scan(s)"));
    assert!(list(&["--since", "2000-01-01", "--until", "2999-01-01"]).contains(&b));
    assert!(!list(&["--until", "2000-01-01"]).contains(&b));
    let folder = dir.path().canonicalize().unwrap();
    let name = folder.file_name().unwrap().to_str().unwrap();
    assert!(list(&["--project", name]).contains(&a));
    assert!(!list(&["--project", "someone-else"]).contains(&a));
}

#[test]
fn scan_token_asks_the_configured_server_and_explains_a_403() {
    let server = ScanServer::start();
    server.script(vec![
        (
            200,
            vec![("content-type", "text/plain".into())],
            "eyJ.token.sig".into(),
        ),
        (
            403,
            vec![],
            r#"{"error":"permission readScans not held"}"#.into(),
        ),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let token = |extra: &[&str]| {
        let mut args = vec!["scan", "token"];
        args.extend(extra);
        cargo_devlake(dir.path(), &args)
            .env("DEVELOCITY_URL", &server.url)
            .env("DEVELOCITY_ACCESS_KEY", "127.0.0.1=tokenKey")
            .output()
            .unwrap()
    };
    let out = token(&[
        "--permissions",
        "publishScan,readScans",
        "--project-ids",
        "a,b",
        "--project-ids",
        "c",
        "--expires-in-hours",
        "3",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "eyJ.token.sig\n");
    let reqs = server.requests();
    assert_eq!(reqs[0].method, "POST");
    assert_eq!(reqs[0].path, "/api/auth/token");
    assert_eq!(
        reqs[0].query,
        "permissions=publishScan%2CreadScans&projectIds=a%2Cb%2Cc&expiresInHours=3"
    );
    assert_eq!(reqs[0].authorization.as_deref(), Some("Bearer tokenKey"));

    let out = token(&["--permissions", "readScans"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(
            "error: the Build Scan server at 127.0.0.1 refused the token (403 Forbidden)"
        ),
        "{err}"
    );

    let out = token(&["--expires-in-hours", "25"]);
    assert_eq!(out.status.code(), Some(2), "refused before any request");
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn an_invalid_project_file_warns_once_and_keeps_the_run_but_does_not_publish() {
    let server = ScanServer::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".develocity.toml"),
        format!("server = \"{}\"\ntags = [\"ok\"]\ncapture = \"yes\"\n[obfuscation]\nusername = \"hash\"\n", server.url),
    )
    .unwrap();
    let out = cargo_devlake(
        dir.path(),
        &[
            "scan",
            "record",
            "--",
            "sh",
            "-c",
            "echo out; echo err >&2; exit 5",
        ],
    )
    .env("CARGO_TARGET_DIR", dir.path().join("target"))
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(stdout(&out), "out\n");
    let err = stderr(&out);
    let warnings: Vec<&str> = err.lines().filter(|l| l.starts_with("warning:")).collect();
    assert_eq!(warnings.len(), 1, "{err}");
    let file = dir.path().join(".develocity.toml");
    assert!(
        warnings[0].starts_with(&format!("warning: {}:3: key `capture`: ", file.display())),
        "{err}"
    );
    assert!(
        warnings[0].ends_with("; this Build Scan will not be published"),
        "{err}"
    );
    assert!(err.contains("err\n"));
    assert!(!err.contains("Publishing Build Scan"));
    assert!(server.requests().is_empty());
    // Still written locally, with the warning.
    let scan = read_scan(&written_scan(&out).0);
    assert_eq!(scan.warnings.len(), 1);
    assert_eq!(scan.exit_code, 5);
}

#[test]
fn switches_obfuscation_and_a_command_that_cannot_start() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target");
    std::fs::write(
        dir.path().join(".develocity.toml"),
        "[obfuscation]\nusername = \"hash\"\nhostname = { replace = \"some-host\" }\n",
    )
    .unwrap();
    let out = cargo_devlake(
        dir.path(),
        &["scan", "record", "--", "/nonexistent/program"],
    )
    .env("CARGO_TARGET_DIR", &target)
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).trim_end().ends_with(
            "error: cannot run /nonexistent/program: No such file or directory (os error 2)"
        ),
        "{}",
        stderr(&out)
    );
    let scan = read_scan(&written_scan(&out).0);
    assert_eq!(scan.outcome, Outcome::Error);
    assert_eq!(scan.environment.hostname.as_deref(), Some("some-host"));
    let user = scan.environment.username.unwrap();
    assert_eq!(user.len(), 16, "{user}");
    assert!(user.chars().all(|c| c.is_ascii_hexdigit()));

    // capture = false: no scan at all, the command unaffected.
    std::fs::write(dir.path().join(".develocity.toml"), "capture = false\n").unwrap();
    let out = cargo_devlake(dir.path(), &["scan", "record", "--", "sh", "-c", "exit 4"])
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(
        !stderr(&out).contains("Build Scan written"),
        "{}",
        stderr(&out)
    );
}
