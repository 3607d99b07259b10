//! The data-flow tester itself (`devlake::testing::DataFlowTester`): snapshots are
//! written on request, and a table that differs from its snapshot fails with every
//! difference. One test, since it sets `DEVLAKE_UPDATE_SNAPSHOTS` for the process.

use azuredevops::models::Build;
use azuredevops::AzureDevOpsPlugin;
use devlake::stream::Verb;
use devlake::testing::dataflow::UPDATE_SNAPSHOTS_ENV;
use devlake::testing::{host, Backend, ContextBuilder, DataFlowTester, TestDatabase};
use futures::FutureExt;
use serde_json::json;
use std::panic::AssertUnwindSafe;

async fn panic_message(f: impl std::future::Future<Output = ()>) -> String {
    match AssertUnwindSafe(f).catch_unwind().await {
        Ok(()) => panic!("expected the verification to fail"),
        Err(p) => p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default(),
    }
}

#[tokio::test]
async fn snapshots_are_written_on_request_and_differences_fail() {
    let Some(db) = TestDatabase::create(Backend::Sqlite, "tester").await else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let raw = std::path::Path::new("tests/e2e/raw_tables/_raw_azuredevops_builds.csv")
        .canonicalize()
        .expect("fixture");
    let mut t = DataFlowTester::new(host(AzureDevOpsPlugin), db.connect().await).dir(dir.path());
    let mut ctx = ContextBuilder::<AzureDevOpsPlugin>::new()
        .connection(json!({"token": "t"}))
        .scope(json!({"id": "0d50ba13-f9ad-49b0-9b21-d29eda50ca33", "url": "u", "projectId": "p", "orgId": "o"}))
        .build();
    t.import_csv_into_raw_table(&raw, "_raw_azuredevops_builds")
        .await;
    t.subtask(Verb::Extract, "builds", &mut ctx).await;
    let fields = &["name", "status", "finish_time"];

    // Written on request (CI included), in DevLake's layout: key first, then the fields.
    std::env::set_var(UPDATE_SNAPSHOTS_ENV, "1");
    t.verify_table::<Build>("builds.csv", fields).await;
    std::env::remove_var(UPDATE_SNAPSHOTS_ENV);
    let snapshot = dir.path().join("builds.csv");
    let text = std::fs::read_to_string(&snapshot).expect("snapshot written");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("connection_id,id,name,status,finish_time")
    );
    assert_eq!(
        lines.next(),
        Some("1,12,deploy_to_prod,Completed,2023-02-25T06:23:04.006+00:00")
    );
    assert_eq!(text.lines().count(), 5);
    // ... and then it matches, whatever the row order of the file.
    let mut reordered: Vec<&str> = text.lines().collect();
    reordered[1..].reverse();
    std::fs::write(&snapshot, reordered.join("\n")).unwrap();
    t.verify_table::<Build>("builds.csv", fields).await;

    // A changed cell fails, naming the table, column, key and both values.
    std::fs::write(&snapshot, text.replace("deploy_to_prod", "deploy_to_qa")).unwrap();
    let msg = panic_message(t.verify_table::<Build>("builds.csv", fields)).await;
    assert!(
        msg.contains(r#"_tool_azuredevops_builds.name of 1-12: expected "deploy_to_qa", got "deploy_to_prod""#),
        "{msg}"
    );
    // So does a missing row, and a row too many.
    let fewer: Vec<&str> = text.lines().filter(|l| !l.starts_with("1,13,")).collect();
    std::fs::write(&snapshot, fewer.join("\n")).unwrap();
    let msg = panic_message(t.verify_table::<Build>("builds.csv", fields)).await;
    assert!(msg.contains("row 1-13 is not in the snapshot"), "{msg}");
    assert!(msg.contains("4 rows, the snapshot"), "{msg}");
    std::fs::write(&snapshot, format!("{text}1,99,x,Completed,\n")).unwrap();
    let msg = panic_message(t.verify_table::<Build>("builds.csv", fields)).await;
    assert!(
        msg.contains("4 rows, the snapshot") && msg.contains("has 5"),
        "{msg}"
    );

    // A missing snapshot: written outside CI, a failure under CI=true.
    let missing = dir.path().join("new.csv");
    if devlake::testing::db::ci() {
        let msg = panic_message(t.verify_table::<Build>("new.csv", fields)).await;
        assert!(msg.contains("is missing"), "{msg}");
    } else {
        t.verify_table::<Build>("new.csv", fields).await;
        assert!(missing.exists());
    }
}
