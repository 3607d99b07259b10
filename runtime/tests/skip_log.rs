//! A database test that skips for want of a server leaves a line in `$DEVLAKE_TEST_SKIP_LOG`,
//! which `scripts/test.sh` counts: cargo alone would count the skip as a pass.
//! One test in its own process, because it sets environment variables.

use devlake::testing::{Backend, TestDatabase, SKIP_LOG_ENV};

#[tokio::test]
async fn a_skipped_database_test_is_recorded_in_the_skip_log() {
    if devlake::testing::ci() {
        // Under CI=true a missing server fails the test instead of skipping it.
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("skipped.tsv");
    // A port nothing listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::env::set_var(SKIP_LOG_ENV, &log);
    std::env::set_var(
        "DEVLAKE_TEST_MYSQL_URL",
        format!("mysql://root:SkipLogPw9@127.0.0.1:{port}/mysql"),
    );
    assert!(TestDatabase::create(Backend::MySql, "skip log probe")
        .await
        .is_none());
    let text = std::fs::read_to_string(&log).expect("the skip is recorded");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    let fields: Vec<&str> = lines[0].split('\t').collect();
    assert_eq!(fields[..2], ["mysql", "skip log probe"], "{text}");
    assert!(fields[2].contains(&format!("127.0.0.1:{port}")), "{text}");
    assert!(
        !text.contains("SkipLogPw9"),
        "no password in the log: {text}"
    );
}
