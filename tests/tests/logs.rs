//! Issue 12 item 13: logs read through a pipe (DevLake stores them) carry no ANSI colour
//! codes, in standalone runs too; and debug lines do arrive.

use devlake_e2e::*;

#[test]
fn standalone_logs_through_a_pipe_have_no_colour_codes() {
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("plugin.toml");
    std::fs::write(
        &config,
        "[connection]\ntoken = \"this_is_a_valid_token\"\n\n[scope_config]\nenv = \"e\"\n\n\
         [[scopes]]\nid = \"p1\"\nurl = \"u\"\n",
    )
    .unwrap();
    let db = format!("sqlite:///{}", work.path().join("lake.db").display());
    let args: Vec<String> = [
        "standalone",
        "run",
        "--config",
        config.to_str().unwrap(),
        "--db",
        &db,
        "--log-level",
        "debug",
        "--format",
        "plain",
    ]
    .map(String::from)
    .to_vec();
    let c = call(&build_example("fakeplugin"), &args, work.path());
    assert_eq!(c.rc, 0, "{}", c.stderr);
    assert!(
        c.stderr.contains("DEBUG"),
        "debug lines arrive: {}",
        c.stderr
    );
    assert!(
        !c.stderr.contains('\x1b') && !c.stdout.contains('\x1b'),
        "ANSI escape codes in piped logs: {:?}",
        c.stderr.lines().find(|l| l.contains('\x1b'))
    );
    assert!(!c.stderr.contains("this_is_a_valid_token"));
}
