//! What `cargo devlake test` checks, as a test: DevLake would load the plugin, and its
//! migrations apply and make the models' tables on SQLite, MariaDB and PostgreSQL.

use azuredevops::AzureDevOpsPlugin;
use devlake::checks::conformance;
use devlake::testing::{host, Backend, TestDatabase};

#[tokio::test]
async fn devlake_would_load_it_and_its_migrations_match_its_models() {
    let mut targets = vec!["sqlite".to_string()];
    for backend in [Backend::MySql, Backend::Postgres] {
        // Skips loudly (fails under CI=true) when the server is down.
        if TestDatabase::create(backend, "azure_conformance")
            .await
            .is_some()
        {
            targets.extend(backend.admin_url());
        }
    }
    let report = conformance::run(&host(AzureDevOpsPlugin), &targets).await;
    let failures: Vec<String> = report
        .failures()
        .map(|c| format!("{}: {}", c.name, c.problems.join("; ")))
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
    let names: Vec<&str> = report.checks.iter().map(|c| c.name.as_str()).collect();
    for t in ["sqlite", "mysql", "postgres"].iter().take(targets.len()) {
        let name = format!("migrations match models [{t}]");
        assert!(
            names.contains(&name.as_str()),
            "{name} not checked: {names:?}"
        );
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let launchers = conformance::launcher_problems(dir);
    assert!(launchers.is_empty(), "{launchers:?}");
}
