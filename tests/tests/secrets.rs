//! Issue 12 item 5: bad input never echoes a secret. A password and a token planted in a
//! malformed argument, in every argument position of every method, and in a malformed
//! `db_url` (protocol and `standalone --db`) never reach stdout, stderr or fd 3, while the
//! one-line error still says where the problem is.

use devlake_e2e::*;
use std::path::Path;

const PW: &str = "PwLeak42";
const TOKEN: &str = "TokLeak42";

fn fake() -> std::path::PathBuf {
    build_example("fakeplugin")
}

fn assert_no_leak(what: &str, c: &Call) {
    for secret in [PW, TOKEN] {
        for (stream, text) in [
            ("stdout", &c.stdout),
            ("stderr", &c.stderr),
            ("fd 3", &c.fd3),
        ] {
            assert!(
                !text.contains(secret),
                "{what}: {secret} leaked on {stream}: {text}"
            );
        }
    }
}

fn assert_one_line_error(what: &str, c: &Call, needles: &[&str]) {
    assert_ne!(c.rc, 0, "{what}: must fail (stderr: {})", c.stderr);
    assert!(c.fd3.is_empty(), "{what}: fd 3 must stay empty: {}", c.fd3);
    assert_eq!(c.stderr.lines().count(), 1, "{what}: {:?}", c.stderr);
    for n in needles {
        assert!(c.stderr.contains(n), "{what}: {:?} lacks {n:?}", c.stderr);
    }
}

/// Valid arguments of each method after the config, by name.
fn valid(name: &str) -> String {
    match name {
        "connection" => format!(r#"{{"id":1,"name":"c","token":"{TOKEN}"}}"#),
        "group_id" => r#""g""#.into(),
        "scope_config_pairs" => r#"[[{"id":"p1","name":"P","url":"u"},{"env":"e"}]]"#.into(),
        "context" => format!(
            r#"{{"db_url":"mysql://u:{PW}@127.0.0.1:1/lake","connection":{{"id":1,"name":"c","token":"{TOKEN}"}},"scope":{{"id":"p1","name":"P","url":"u"}},"scope_config":{{"env":"e"}}}}"#
        ),
        "stream" => r#""fakepipelinestream""#.into(),
        other => panic!("no valid value for {other}"),
    }
}

#[test]
fn malformed_json_arguments_are_never_echoed() {
    let work = tempfile::tempdir().unwrap();
    let methods: &[(&str, &[&str])] = &[
        ("plugin-info", &[]),
        ("test-connection", &["connection"]),
        ("remote-scopes", &["connection", "group_id"]),
        ("make-pipeline", &["scope_config_pairs", "connection"]),
        ("collect", &["context", "stream"]),
        ("extract", &["context", "stream"]),
        ("convert", &["context", "stream"]),
    ];
    let malformed = [
        // Cut short: the secrets sit in the first 40 characters.
        format!(r#"{{"db_url":"mysql://u:{PW}@h/x","token":"{TOKEN}""#),
        // Unquoted words.
        format!("{PW} {TOKEN}"),
        // A string not closed.
        format!(r#""{TOKEN}"#),
    ];
    for (method, names) in methods {
        let names: Vec<&str> = std::iter::once("config")
            .chain(names.iter().copied())
            .collect();
        for (pos, name) in names.iter().enumerate() {
            for bad in &malformed {
                let mut args = vec![method.to_string()];
                for (i, n) in names.iter().enumerate() {
                    args.push(if i == pos {
                        bad.clone()
                    } else if *n == "config" {
                        "{}".into()
                    } else {
                        valid(n)
                    });
                }
                let what = format!("{method} argument {} <{name}> = {bad}", pos + 1);
                let c = call(&fake(), &args, work.path());
                assert_no_leak(&what, &c);
                assert_one_line_error(
                    &what,
                    &c,
                    &[
                        &format!("{method}: argument {} <{name}> is not valid JSON", pos + 1),
                        "at line 1 column ",
                    ],
                );
            }
        }
    }
}

#[test]
fn a_db_url_without_slashes_is_never_echoed() {
    let work = tempfile::tempdir().unwrap();
    for url in [
        format!("mysql:u:{PW}@127.0.0.1/lake"),
        format!("postgres:u:{PW}@127.0.0.1/lake"),
        format!("u:{PW}@127.0.0.1/lake"),
    ] {
        let ctx = valid("context").replace(&format!("mysql://u:{PW}@127.0.0.1:1/lake"), &url);
        assert!(ctx.contains(&url));
        for verb in ["collect", "extract", "convert"] {
            let args = vec![verb.into(), "{}".into(), ctx.clone(), valid("stream")];
            let c = call(&fake(), &args, work.path());
            let what = format!("{verb} with db_url {url}");
            assert_no_leak(&what, &c);
            assert_one_line_error(&what, &c, &["db_url"]);
        }
    }
}

fn write_run_file(dir: &Path) -> std::path::PathBuf {
    let p = dir.join("plugin.toml");
    std::fs::write(
        &p,
        format!(
            "[connection]\ntoken = \"{TOKEN}\"\n\n[scope_config]\nenv = \"e\"\n\n\
             [[scopes]]\nid = \"p1\"\nurl = \"u\"\n"
        ),
    )
    .unwrap();
    p
}

#[test]
fn standalone_db_urls_and_stray_arguments_are_never_echoed() {
    let work = tempfile::tempdir().unwrap();
    let config = write_run_file(work.path());
    let config = config.display().to_string();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--db".into(), format!("mysql:u:{PW}@127.0.0.1/lake")],
            "no `//`",
        ),
        (vec![format!("--db=mysql:u:{PW}@127.0.0.1/lake")], "no `//`"),
        (
            vec!["--db".into(), format!("mysql://u:{PW}@127.0.0.1:99999/x")],
            "db_url is not a valid URL",
        ),
        // The URL without --db.
        (
            vec![format!("mysql://u:{PW}@127.0.0.1/lake")],
            "unknown argument #",
        ),
    ];
    for (extra, needle) in cases {
        let mut args: Vec<String> = vec![
            "standalone".into(),
            "run".into(),
            "--config".into(),
            config.clone(),
        ];
        args.extend(extra.iter().cloned());
        let c = call(&fake(), &args, work.path());
        let what = format!("standalone run {extra:?}");
        assert_no_leak(&what, &c);
        assert_ne!(c.rc, 0, "{what}");
        assert!(c.stderr.contains(needle), "{what}: {:?}", c.stderr);
    }
}
