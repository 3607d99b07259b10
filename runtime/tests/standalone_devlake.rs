//! What a standalone run records for DevLake when a tool scope stands for several domain
//! scopes (a repository and its issue board): both domain scopes with `make-pipeline`'s
//! ids, one `project_mapping` row each, the tool rows without the secret; and
//! `delete_scope` taking exactly that scope's rows out, on SQLite, MariaDB and PostgreSQL.

use devlake::domain::{code::Repo, ticket::Board};
use devlake::model::Value;
use devlake::plugin::AnyDomainScope;
use devlake::prelude::*;
use devlake::standalone::{config, devlake as dl, Format, RunOptions};
use devlake::testing::{host, Backend, TestDatabase};

#[derive(Debug, Clone, devlake::Model)]
#[devlake(connection)]
pub struct DuoConnection {
    pub token: Secret,
}

#[derive(Debug, Clone, devlake::Model)]
#[devlake(scope)]
pub struct DuoRepo {
    pub web_url: String,
}

#[derive(Debug, Clone, Default, devlake::Model)]
#[devlake(scope_config)]
pub struct DuoConfig {}

#[derive(Default)]
pub struct Duo;

impl Plugin for Duo {
    type Connection = DuoConnection;
    type ToolScope = DuoRepo;
    type ScopeConfig = DuoConfig;
    const NAME: Option<&'static str> = Some("duo");

    async fn test_connection(&self, _: &Connection<DuoConnection>) -> Result<TestConnectionResult> {
        Ok(TestConnectionResult::ok())
    }
    async fn remote_scope_groups(
        &self,
        _: &Connection<DuoConnection>,
    ) -> Result<Vec<RemoteScopeGroup>> {
        Ok(vec![])
    }
    async fn remote_scopes(
        &self,
        _: &Connection<DuoConnection>,
        _: &str,
    ) -> Result<Vec<Scope<DuoRepo>>> {
        Ok(vec![])
    }
    fn domain_scopes(&self, s: &Scope<DuoRepo>) -> Vec<AnyDomainScope> {
        vec![
            Repo {
                name: s.name.clone(),
                url: Some(s.web_url.clone()),
                ..Default::default()
            }
            .into(),
            Board {
                name: s.name.clone(),
                url: Some(format!("{}/issues", s.web_url)),
                ..Default::default()
            }
            .into(),
        ]
    }
    fn streams(&self) -> Streams<Self> {
        Streams::new()
    }
}

const RUN_FILE: &str = r#"
project = "demo"

[connection]
id = 3
name = "duo"
token = "s3cret-duo"

[[scopes]]
id = "r1"
name = "group/r1"
web_url = "https://git.example.com/group/r1"

[[scopes]]
id = "r2"
web_url = "https://git.example.com/group/r2"
"#;

async fn texts(db: &mut devlake::db::Db, sql: &str) -> Vec<Vec<String>> {
    db.fetch_all(sql, vec![])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .map(|r| {
            r.into_iter()
                .map(|v| match v {
                    Value::Text(s) => s,
                    Value::Int(i) => i.to_string(),
                    Value::Null => "NULL".into(),
                    other => format!("{other:?}"),
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn every_domain_scope_is_recorded_and_mapped_and_delete_scope_takes_one_scope_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("duo.toml");
    std::fs::write(&path, RUN_FILE).unwrap();
    for backend in Backend::ALL {
        let Some(tdb) = TestDatabase::create(backend, "standalone_devlake").await else {
            continue;
        };
        let h = host(Duo);
        let opts = RunOptions {
            config: path.clone(),
            db: Some(tdb.url.clone()),
            streams: vec![],
            incremental: false,
            project: None,
            format: Format::Plain,
            log_level: devlake::tracing::Level::ERROR,
        };
        devlake::standalone::run(&h, &opts)
            .await
            .unwrap_or_else(|e| panic!("{backend:?}: {e}"));
        // Twice: upserts, no duplicates.
        devlake::standalone::run(&h, &opts).await.unwrap();

        let mut db = tdb.connect().await;
        let (r1, r2) = (
            "standalone_devlake:DuoRepo:3:r1",
            "standalone_devlake:DuoRepo:3:r2",
        );
        let q = |s: &str| db.quote(s);
        let table = q("table");
        assert_eq!(
            texts(&mut db, "SELECT id, name, url FROM repos ORDER BY id").await,
            [
                [r1, "group/r1", "https://git.example.com/group/r1"],
                [r2, "r2", "https://git.example.com/group/r2"]
            ],
            "{backend:?}"
        );
        assert_eq!(
            texts(
                &mut db,
                "SELECT id, _raw_data_params, _raw_data_table FROM boards ORDER BY id"
            )
            .await,
            [
                [
                    r1,
                    r#"{"ConnectionId":3,"ScopeId":"r1"}"#,
                    "_raw_duo_scopes"
                ],
                [
                    r2,
                    r#"{"ConnectionId":3,"ScopeId":"r2"}"#,
                    "_raw_duo_scopes"
                ]
            ],
            "{backend:?}"
        );
        assert_eq!(
            texts(
                &mut db,
                &format!("SELECT project_name, {table}, row_id FROM project_mapping ORDER BY {table}, row_id")
            )
            .await,
            [
                ["demo", "boards", r1],
                ["demo", "boards", r2],
                ["demo", "repos", r1],
                ["demo", "repos", r2]
            ],
            "{backend:?}"
        );
        assert_eq!(
            texts(&mut db, "SELECT name FROM projects").await,
            [["demo"]],
            "{backend:?}"
        );
        assert_eq!(
            texts(
                &mut db,
                "SELECT id, name, token FROM _tool_standalone_devlake_duoconnections"
            )
            .await,
            [["3", "duo", "NULL"]],
            "{backend:?}: the token is not stored"
        );
        assert_eq!(
            texts(
                &mut db,
                "SELECT id, name, connection_id FROM _tool_standalone_devlake_duoconfigs"
            )
            .await,
            [["1", "default", "3"]],
            "{backend:?}"
        );

        let deleted = dl::delete_scope(&h, &mut db, 3, "r1").await.unwrap();
        assert_eq!(
            deleted.tables,
            [
                ("boards".to_string(), 1),
                ("repos".to_string(), 1),
                ("project_mapping".to_string(), 2),
                ("_tool_standalone_devlake_duorepos".to_string(), 1)
            ],
            "{backend:?}"
        );
        assert_eq!(
            texts(
                &mut db,
                &format!("SELECT {table}, row_id FROM project_mapping ORDER BY {table}")
            )
            .await,
            [["boards", r2], ["repos", r2]],
            "{backend:?}"
        );
        let again = dl::delete_scope(&h, &mut db, 3, "r1").await.unwrap_err();
        assert_eq!(
            again.to_string(),
            "delete-scope: nothing recorded for scope \"r1\" of connection 3 of plugin duo"
        );
    }
}

#[test]
fn project_names_are_checked() {
    assert!(dl::check_project_name("demo", "x").is_ok());
    let long = "p".repeat(256);
    let e = config::parse::<Duo>(
        "duo.toml",
        &RUN_FILE.replace("\"demo\"", &format!("\"{long}\"")),
        &|_| None,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        "duo.toml: `project`: the project name is longer than DevLake's 255 characters"
    );
}
