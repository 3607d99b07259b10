//! Standalone runs of a small plugin from a TOML run file: on fresh SQLite, MariaDB and
//! PostgreSQL databases whose DevLake domain table already exists, with a secret from the
//! environment; and the run file's errors (missing variable, bad TOML, unknown keys).

use devlake::db::ddl::ensure_table;
use devlake::domain::devops::{CicdPipeline, CicdScope, CicdStatus};
use devlake::migration::{MigrationScript, MigrationScriptBuilder};
use devlake::model::{ColumnType, Field};
use devlake::plugin::AnyDomainScope;
use devlake::prelude::*;
use devlake::standalone::{config, Format, RunOptions};
use devlake::testing::{host, Backend, TestDatabase};
use std::path::{Path, PathBuf};

const TOKEN: &str = "s3cret-token";

#[derive(Debug, Clone, devlake::Model)]
#[devlake(connection)]
pub struct SoloConnection {
    pub token: Secret,
}

#[derive(Debug, Clone, devlake::Model)]
#[devlake(scope)]
pub struct SoloProject {
    /// How many jobs the fake service has for the project.
    pub jobs: i64,
}

#[derive(Debug, Clone, devlake::Model)]
#[devlake(scope_config)]
pub struct SoloConfig {
    /// A field named like the `{ env = "..." }` secret form, on purpose.
    pub env: Option<String>,
}

#[derive(Debug, Clone, devlake::Model)]
pub struct SoloJob {
    #[devlake(primary_key)]
    pub id: String,
}

#[derive(Default)]
pub struct Solo;

impl Plugin for Solo {
    type Connection = SoloConnection;
    type ToolScope = SoloProject;
    type ScopeConfig = SoloConfig;
    const NAME: Option<&'static str> = Some("solo");

    async fn test_connection(
        &self,
        _: &Connection<SoloConnection>,
    ) -> Result<TestConnectionResult> {
        Ok(TestConnectionResult::ok())
    }
    async fn remote_scope_groups(
        &self,
        _: &Connection<SoloConnection>,
    ) -> Result<Vec<RemoteScopeGroup>> {
        Ok(vec![])
    }
    async fn remote_scopes(
        &self,
        _: &Connection<SoloConnection>,
        _: &str,
    ) -> Result<Vec<Scope<SoloProject>>> {
        Ok(vec![])
    }
    fn domain_scopes(&self, s: &Scope<SoloProject>) -> Vec<AnyDomainScope> {
        vec![CicdScope {
            name: s.name.clone(),
            ..Default::default()
        }
        .into()]
    }
    fn streams(&self) -> Streams<Self> {
        Streams::new().add(Jobs).add(Tickets)
    }
    fn migrations(&self) -> Vec<MigrationScript> {
        let mut b = MigrationScriptBuilder::new();
        b.create_table::<SoloConnection>()
            .create_table::<SoloProject>()
            .create_table::<SoloConfig>()
            .create_table::<SoloJob>();
        vec![MigrationScript {
            version: 20240301000001,
            name: "init".into(),
            operations: b.build(),
        }]
    }
}

/// CI jobs; collecting needs the right token.
pub struct Jobs;

impl Stream<Solo> for Jobs {
    type ToolModel = SoloJob;
    const DOMAIN_TYPES: &'static [DomainType] = &[DomainType::Cicd];

    fn domain_models(&self) -> Vec<&'static devlake::model::ModelDescriptor> {
        vec![CicdPipeline::descriptor()]
    }

    async fn collect(&self, ctx: &Context<Solo>, out: &mut RawSink<'_>) -> Result<()> {
        if ctx.connection.token.expose() != TOKEN {
            bail!("the service refused the token");
        }
        for i in 0..ctx.scope.jobs {
            out.push(serde_json::json!({"id": format!("{}-{i}", ctx.scope.id)}))
                .await?;
        }
        Ok(())
    }

    fn convert(&self, j: &SoloJob, _: &Context<Solo>, out: &mut DomainSink) -> Result<()> {
        out.push(CicdPipeline {
            name: j.id.clone(),
            status: Some(CicdStatus::Done),
            ..Default::default()
        })
    }
}

/// A ticket stream, excluded by `entities = ["CICD"]`.
pub struct Tickets;

impl Stream<Solo> for Tickets {
    type ToolModel = SoloJob;
    const DOMAIN_TYPES: &'static [DomainType] = &[DomainType::Ticket];

    async fn collect(&self, _: &Context<Solo>, _: &mut RawSink<'_>) -> Result<()> {
        bail!("tickets must not run when entities exclude TICKET")
    }

    fn convert(&self, _: &SoloJob, _: &Context<Solo>, _: &mut DomainSink) -> Result<()> {
        Ok(())
    }
}

fn run_file(dir: &Path, token_line: &str) -> PathBuf {
    let p = dir.join("solo.toml");
    let text = format!(
        "[connection]\nname = \"solo\"\n{token_line}\n\n[scope_config]\nentities = [\"CICD\"]\n\n\
         [[scopes]]\nid = \"p1\"\nname = \"Project 1\"\njobs = 3\n\n[[scopes]]\nid = \"p2\"\njobs = 2\n"
    );
    std::fs::write(&p, text).unwrap();
    p
}

fn options(config: PathBuf, db: &str) -> RunOptions {
    RunOptions {
        config,
        db: Some(db.to_string()),
        streams: vec![],
        incremental: false,
        project: None,
        format: Format::Plain,
        log_level: devlake::tracing::Level::WARN,
    }
}

async fn count(db: &mut devlake::db::Db, table: &str) -> i64 {
    db.count(table, None).await.unwrap()
}

#[tokio::test]
async fn a_toml_run_file_on_every_database_with_devlake_tables_in_place() {
    // SAFETY of set_var: the variable is this test's own, read by this test only.
    std::env::set_var("SOLO_TOKEN_EVERY_DB", TOKEN);
    let dir = tempfile::tempdir().unwrap();
    let config = run_file(dir.path(), "token = { env = \"SOLO_TOKEN_EVERY_DB\" }");
    for backend in Backend::ALL {
        let Some(tdb) = TestDatabase::create(backend, "standalone").await else {
            continue;
        };
        let mut db = tdb.connect().await;
        // DevLake's own table, with a column this runtime does not know.
        let mut cols = CicdPipeline::descriptor().columns();
        cols.push(Field {
            nullable: true,
            max_length: Some(255),
            ..Field::new("devlake_only", "devlakeOnly", ColumnType::String)
        });
        ensure_table(&mut db, "cicd_pipelines", &cols)
            .await
            .unwrap();

        let h = host(Solo);
        devlake::standalone::run(&h, &options(config.clone(), &tdb.url))
            .await
            .unwrap_or_else(|e| panic!("{backend:?}: {e}"));
        assert_eq!(count(&mut db, "cicd_pipelines").await, 5, "{backend:?}");
        assert_eq!(
            count(&mut db, "_tool_standalone_run_solojobs").await,
            5,
            "{backend:?}"
        );
        assert_eq!(
            count(&mut db, "_devlake_migration_history").await,
            1,
            "{backend:?}"
        );
        assert!(
            db.has_column("cicd_pipelines", "devlake_only")
                .await
                .unwrap(),
            "{backend:?}"
        );
        assert!(
            !db.has_table("_raw_solo_tickets").await.unwrap(),
            "{backend:?}: entities exclude tickets"
        );

        // A second full run replaces the scope's rows and applies no migration again.
        devlake::standalone::run(&h, &options(config.clone(), &tdb.url))
            .await
            .unwrap();
        assert_eq!(count(&mut db, "cicd_pipelines").await, 5, "{backend:?}");
        assert_eq!(
            count(&mut db, "_devlake_migration_history").await,
            1,
            "{backend:?}"
        );
    }
}

#[tokio::test]
async fn explicit_streams_run_even_outside_the_entities_and_unknown_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = run_file(dir.path(), &format!("token = \"{TOKEN}\""));
    let db_path = dir.path().join("lake.db");
    let url = format!("sqlite:///{}", db_path.display());
    let mut opts = options(config, &url);
    opts.streams = vec!["nope".into()];
    let e = devlake::standalone::run(&host(Solo), &opts)
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "--stream \"nope\": no such stream (this plugin's streams: jobs, tickets)"
    );
    assert!(!db_path.exists(), "nothing is written for bad input");

    opts.streams = vec!["tickets".into()];
    let e = devlake::standalone::run(&host(Solo), &opts)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("scope p1: Collect Tickets failed: tickets must not run"),
        "{e}"
    );
}

fn parse(text: &str) -> Result<config::RunFile> {
    let env = |name: &str| match name {
        "SOLO_TOKEN" => Some(TOKEN.to_string()),
        "HOST" => Some("example.com".to_string()),
        _ => None,
    };
    config::parse::<Solo>("solo.toml", text, &env)
}

#[test]
fn secrets_come_from_the_environment_in_both_forms() {
    let f =
        parse("[connection]\ntoken = { env = \"SOLO_TOKEN\" }\n[[scopes]]\nid = \"p\"\njobs = 1")
            .unwrap();
    assert_eq!(f.connection["token"], TOKEN);
    assert_eq!(
        (f.connection["id"].as_i64(), f.connection["name"].as_str()),
        (Some(1), Some("standalone"))
    );
    assert_eq!(f.scopes[0]["name"], "p");
    assert_eq!(f.scopes[0]["connectionId"], 1);
    let f = parse("db = \"sqlite:///${HOST}.db\"\n[connection]\ntoken = \"${SOLO_TOKEN}\"\n[[scopes]]\nid = \"p\"\njobs = 1").unwrap();
    assert_eq!(f.connection["token"], TOKEN);
    assert_eq!(f.db.as_deref(), Some("sqlite:///example.com.db"));
    let f =
        parse("[connection]\ntoken = \"a$${literal}\"\n[[scopes]]\nid = \"p\"\njobs = 1").unwrap();
    assert_eq!(f.connection["token"], "a${literal}");
    let f = parse("[connection]\ntoken = \"t\"\n[scope_config]\nenv = \"staging\"\n[[scopes]]\nid = \"p\"\njobs = 1").unwrap();
    assert_eq!(
        f.scope_config["env"], "staging",
        "a table's own keys are fields, not a variable reference"
    );
}

#[test]
fn a_missing_variable_is_one_line_naming_the_key_and_the_variable() {
    let e = parse(
        "[connection]\ntoken = { env = \"MISSING_TOKEN\" }\n[[scopes]]\nid = \"p\"\njobs = 1",
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        "solo.toml: connection.token: environment variable MISSING_TOKEN is not set"
    );
    let e = parse("[connection]\ntoken = \"x-${MISSING_TOKEN}\"\n[[scopes]]\nid = \"p\"\njobs = 1")
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "solo.toml: connection.token: environment variable MISSING_TOKEN is not set"
    );
}

#[test]
fn bad_run_files_get_one_clear_line() {
    let cases: &[(&str, &str)] = &[
        ("[connection]\ntoken = \"hunter2\n", "solo.toml:2:17: invalid TOML: invalid basic string"),
        ("[conection]\ntoken = \"t\"\n", "solo.toml: unknown key `conection` (expected one of: db, project, connection, scope_config, scopes, options); did you mean `connection`?"),
        ("project = \"\"\n[connection]\ntoken = \"t\"\n[[scopes]]\nid = \"p\"\njobs = 1", "solo.toml: `project`: the project name is empty"),
        ("project = 7\n[connection]\ntoken = \"t\"\n[[scopes]]\nid = \"p\"\njobs = 1", "solo.toml: `project` must be a DevLake project name (a string)"),
        ("[connection]\ntokn = \"t\"\n[[scopes]]\nid = \"p\"\njobs = 1", "solo.toml: [connection]: unknown key `tokn`: SoloConnection has id, created_at, updated_at, name, proxy, token; did you mean `token`?"),
        ("[connection]\ntoken = \"t\"\n[[scopes]]\nname = \"P\"\njobs = 1", "solo.toml: scopes[0] is missing `id`"),
        ("[connection]\ntoken = \"t\"\n[[scopes]]\nid = \"p\"\njobs = 1\n[[scopes]]\nid = \"p\"\njobs = 1", "solo.toml: scopes[1]: scope id \"p\" appears twice"),
        ("[connection]\ntoken = \"t\"\n[[scopes]]\nid = \"a\\u0000b\"\njobs = 1", "solo.toml: scopes[0]: SoloProject: field `id`: contains a NUL character"),
        ("[connection]\ntoken = \"t\"\n", "solo.toml: no [[scopes]]: add at least one scope with an `id`"),
        // Issue 12 item 11: ids checked up front, the field named.
        ("[connection]\ntoken = \"t\"\n[[scopes]]\nid = 1.5\njobs = 1", "solo.toml: scopes[0]: `id` must be a non-empty string"),
        ("[connection]\ntoken = \"t\"\n[[scopes]]\nid = true\njobs = 1", "solo.toml: scopes[0]: `id` must be a non-empty string"),
        ("[connection]\n[[scopes]]\nid = \"p\"\njobs = 1", "solo.toml: [connection]: SoloConnection: missing field `token`"),
        ("[connection]\ntoken = \"t\"\n[[scopes]]\nid = \"p\"\njobs = \"many\"", "solo.toml: scopes[0]: SoloProject: field `jobs`"),
        ("[connection]\ntoken = \"t\"\n[scope_config]\nentities = [\"CICDX\"]\n[[scopes]]\nid = \"p\"\njobs = 1", "solo.toml: [scope_config]:"),
    ];
    let long = format!(
        "[connection]\ntoken = \"t\"\n[[scopes]]\nid = \"{}\"\njobs = 1",
        "x".repeat(256)
    );
    let e = parse(&long).unwrap_err().to_string();
    assert!(
        e.starts_with("solo.toml: scopes[0]: SoloProject: field `id`: is 256 characters long"),
        "{e}"
    );
    for (text, expected) in cases {
        let e = parse(text).unwrap_err().to_string();
        assert!(
            e.starts_with(expected),
            "{text:?}:\n  got      {e}\n  expected {expected}"
        );
        assert!(!e.contains('\n'), "{e}");
        assert!(!e.contains("hunter2"), "the value leaked: {e}");
    }
}

/// `standalone` is the entry point's command, not a protocol method: `devlake::main!`
/// (through `entry::run`) dispatches it, `protocol::run` knows only DevLake's methods.
#[test]
fn the_entry_point_dispatches_standalone_and_the_protocol_does_not() {
    let meta = devlake::testing::plugin_meta::<Solo>();
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        devlake::entry::run(Solo, meta, args(&["standalone", "--help"])),
        0
    );
    assert_eq!(devlake::entry::run(Solo, meta, args(&["--version"])), 0);
    assert_eq!(
        devlake::protocol::run(Solo, meta, args(&["standalone", "--help"])),
        2,
        "an unknown protocol method is a usage error"
    );
}
