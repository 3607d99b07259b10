//! The testing kit on a small plugin whose one stream reads builds over HTTP from a
//! `FixtureServer`: every `assert_*`, the context builder, fixtures from a map and from a
//! directory, unmatched requests, recording (every scope of a run; fixtures named after
//! chosen query keys, for incremental runs), and the conformance checks on SQLite,
//! MariaDB and PostgreSQL.

use devlake::api::ApiClient;
use devlake::checks::conformance;
use devlake::domain::devops::{CicdEnvironment, CicdPipeline, CicdResult, CicdScope, CicdStatus};
use devlake::migration::{MigrationScript, MigrationScriptBuilder};
use devlake::plugin::AnyDomainScope;
use devlake::prelude::*;
use devlake::protocol::TaskContext;
use devlake::stream::{Progress, Verb};
use devlake::testing::{
    assert_plugin_run, assert_stream_convert, assert_stream_run, assert_valid_plugin, fixture_name,
    host, Backend, ContextBuilder, Fixture, FixtureServer, FixtureServerBuilder, PluginRunner,
    TestDatabase,
};
use devlake::ResultExt;
use futures::FutureExt;
use serde_json::{json, Value as Json};
use std::panic::AssertUnwindSafe;

const TOKEN: &str = "kit-token";

#[derive(Debug, Clone, devlake::Model)]
#[devlake(connection)]
pub struct KitConnection {
    pub endpoint: String,
    pub token: Secret,
}

#[derive(Debug, Clone, devlake::Model)]
#[devlake(scope)]
pub struct KitRepo {
    pub url: Option<String>,
}

#[derive(Debug, Clone, devlake::Model)]
#[devlake(scope_config)]
pub struct KitConfig {
    #[devlake(default = "\"PRODUCTION\"")]
    pub env: String,
}

#[derive(Debug, Clone, PartialEq, devlake::Model)]
pub struct KitBuild {
    #[devlake(primary_key)]
    pub id: String,
    pub status: String,
    pub started_at: Option<DateTime>,
}

/// The plugin; `BAD` makes a broken variant (bad name, a stream twice, an incomplete
/// migration) for the failing checks; `FLAT` one that lists its repos without groups
/// (`GET /repos`).
#[derive(Default)]
pub struct Kit<const BAD: bool, const FLAT: bool = false>;

type Good = Kit<false>;
type Bad = Kit<true>;

fn client(c: &Connection<KitConnection>) -> Result<ApiClient> {
    ApiClient::builder(&c.endpoint)
        .build()
        .context("API client")
}

async fn get(
    c: &Connection<KitConnection>,
    segments: &[&str],
    query: &[(&str, &str)],
) -> Result<Json> {
    let resp = client(c)?
        .get(segments.iter().copied(), query)
        .await
        .context("GET")?;
    resp.json_value().context("JSON")
}

mod snapshot {
    use devlake::prelude::*;

    /// The tool model as the broken migration creates it: no `status` column.
    #[derive(devlake::Model)]
    #[devlake(table = "_tool_testing_kit_kitbuilds", name = "KitBuild")]
    pub struct KitBuild {
        #[devlake(primary_key)]
        pub id: String,
        pub started_at: Option<DateTime>,
    }
}

impl<const BAD: bool, const FLAT: bool> Plugin for Kit<BAD, FLAT> {
    type Connection = KitConnection;
    type ToolScope = KitRepo;
    type ScopeConfig = KitConfig;
    const NAME: Option<&'static str> = if BAD { Some("Bad-Kit") } else { Some("kit") };

    async fn test_connection(&self, c: &Connection<KitConnection>) -> Result<TestConnectionResult> {
        let user = get(c, &["user"], &[]).await?;
        Ok(if user["token"] == TOKEN && c.token.expose() == TOKEN {
            TestConnectionResult::ok()
        } else {
            TestConnectionResult::failed("Invalid token", 401)
        })
    }

    async fn remote_scope_groups(
        &self,
        c: &Connection<KitConnection>,
    ) -> Result<Vec<RemoteScopeGroup>> {
        if FLAT {
            return Ok(Vec::new());
        }
        let orgs = get(c, &["orgs"], &[]).await?;
        Ok(orgs
            .as_array()
            .into_iter()
            .flatten()
            .map(|o| {
                RemoteScopeGroup::new(
                    o["id"].as_str().unwrap_or(""),
                    o["name"].as_str().unwrap_or(""),
                )
            })
            .collect())
    }

    async fn remote_scopes(
        &self,
        c: &Connection<KitConnection>,
        group: &str,
    ) -> Result<Vec<Scope<KitRepo>>> {
        let repos = if FLAT {
            get(c, &["repos"], &[]).await?
        } else {
            get(c, &["orgs", group, "repos"], &[]).await?
        };
        Ok(repos
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                Scope::new(
                    r["id"].as_str().unwrap_or(""),
                    r["name"].as_str().unwrap_or(""),
                    KitRepo { url: None },
                )
            })
            .collect())
    }

    fn domain_scopes(&self, scope: &Scope<KitRepo>) -> Vec<AnyDomainScope> {
        vec![CicdScope {
            name: scope.name.clone(),
            ..Default::default()
        }
        .into()]
    }

    fn streams(&self) -> Streams<Self> {
        let s = Streams::new().add(Builds);
        if BAD {
            s.add(Builds)
        } else {
            s
        }
    }

    fn migrations(&self) -> Vec<MigrationScript> {
        let mut b = MigrationScriptBuilder::new();
        b.create_table::<KitConnection>()
            .create_table::<KitRepo>()
            .create_table::<KitConfig>();
        if BAD {
            b.create_table::<snapshot::KitBuild>();
        } else {
            b.create_table::<KitBuild>();
        }
        vec![MigrationScript {
            version: 20240101000001,
            name: "init".into(),
            operations: b.build(),
        }]
    }
}

/// Builds of a repository, page by page; on an incremental run only those updated since
/// the last run started (`?updatedSince=`, a value that changes on every run).
pub struct Builds;

impl<const BAD: bool, const FLAT: bool> Stream<Kit<BAD, FLAT>> for Builds {
    type ToolModel = KitBuild;
    const DOMAIN_TYPES: &'static [DomainType] = &[DomainType::Cicd];

    fn domain_models(&self) -> Vec<&'static devlake::model::ModelDescriptor> {
        vec![CicdPipeline::descriptor()]
    }

    async fn collect(&self, ctx: &Context<Kit<BAD, FLAT>>, out: &mut RawSink<'_>) -> Result<()> {
        let since = ctx.collected_since().map(|t| t.to_rfc3339());
        for page in 1.. {
            let p = page.to_string();
            let mut query = vec![("page", p.as_str())];
            if let Some(since) = &since {
                query.push(("updatedSince", since));
            }
            let builds = get(&ctx.connection, &["repos", &ctx.scope.id, "builds"], &query).await?;
            let items = builds.as_array().cloned().unwrap_or_default();
            if items.is_empty() {
                break;
            }
            for b in items {
                out.push(b).await?;
            }
        }
        Ok(())
    }

    fn convert(
        &self,
        b: &KitBuild,
        ctx: &Context<Kit<BAD, FLAT>>,
        out: &mut DomainSink,
    ) -> Result<()> {
        let (status, result) = match b.status.as_str() {
            "passed" => (CicdStatus::Done, Some(CicdResult::Success)),
            "failed" => (CicdStatus::Done, Some(CicdResult::Failure)),
            _ => (CicdStatus::InProgress, None),
        };
        out.push(CicdPipeline {
            name: format!("{} #{}", ctx.scope.name, b.id),
            status: Some(status),
            result,
            environment: ctx.scope_config.env.parse().ok(),
            ..Default::default()
        })
    }
}

fn build(id: &str, status: &str) -> Json {
    json!({"id": id, "status": status, "startedAt": "2024-01-02T03:04:05Z"})
}

/// A service with one org, one repo `r1` and three builds on two pages.
fn service() -> FixtureServer {
    service_builder().start()
}

/// [`service`]'s fixtures, to start with options.
fn service_builder() -> FixtureServerBuilder {
    FixtureServer::builder([
        (
            "GET /user",
            Fixture::json(json!({"login": "kit", "token": TOKEN})),
        ),
        (
            "GET /orgs",
            Fixture::json(json!([{"id": "o1", "name": "Org 1"}])),
        ),
        (
            "GET /orgs/o1/repos",
            Fixture::json(json!([{"id": "r1", "name": "Repo 1"}])),
        ),
        (
            "GET /repos/r1/builds?page=1",
            Fixture::json(json!([build("1", "passed"), build("2", "failed")])),
        ),
        (
            "GET /repos/r1/builds?page=2",
            Fixture::json(json!([build("3", "running")])).header("x-total", "3"),
        ),
        ("GET /repos/r1/builds?page=3", Fixture::json(json!([]))),
    ])
}

/// What a future panicked with (it must panic).
async fn panic_message(run: impl std::future::Future) -> String {
    match AssertUnwindSafe(run).catch_unwind().await {
        Ok(_) => panic!("it ran without panicking"),
        Err(panic) => panic.downcast_ref::<String>().cloned().unwrap_or_default(),
    }
}

fn connection(server: &FixtureServer) -> Json {
    json!({"endpoint": server.url(), "token": TOKEN})
}

/// Ids of entities the plugin does not model are formatted as those of modelled ones.
#[test]
fn domain_ids_of_unmodelled_entities_match_modelled_ones() {
    let ctx = ContextBuilder::<Good>::new()
        .connection(json!({"id": 7, "endpoint": "http://x/", "token": "t"}))
        .build();
    let build = KitBuild {
        id: "b1".into(),
        status: "passed".into(),
        started_at: None,
    };
    assert_eq!(
        ctx.domain_id_for("KitBuild", &["b1"]),
        ctx.domain_id(&build)
    );
    assert_eq!(ctx.domain_id(&build), "testing_kit:KitBuild:7:b1");
    assert_eq!(
        ctx.domain_id_for("KitAccount", &[42, 3]),
        "testing_kit:KitAccount:7:42:3"
    );
    assert_eq!(
        devlake::stream::domain_id_of("testing_kit", "KitBuild", 7, &["b1"]),
        devlake::stream::domain_id::<KitBuild>(7, &["b1".to_string()])
    );
}

#[test]
fn context_builder_defaults_json_and_typed_values() {
    let ctx = ContextBuilder::<Good>::new()
        .connection(json!({"endpoint": "http://x/", "token": "t"}))
        .build();
    assert_eq!(
        (ctx.connection.id, ctx.connection.name.as_str()),
        (Some(1), "test_connection")
    );
    assert_eq!(
        (
            ctx.scope.id.as_str(),
            ctx.scope.name.as_str(),
            ctx.scope.connection_id
        ),
        ("s", "test_scope", Some(1))
    );
    assert_eq!(
        (
            ctx.scope_config.id,
            ctx.scope_config.name.as_str(),
            ctx.scope_config.env.as_str()
        ),
        (Some(1), "test_config", "PRODUCTION")
    );
    assert_eq!(ctx.plugin_name(), "kit");
    assert_eq!(ctx.options["scopeId"], "s");
    assert!(!ctx.incremental());

    let typed = ContextBuilder::<Good>::new()
        .connection(Connection::new(
            7,
            "mine",
            KitConnection {
                endpoint: "http://y/".into(),
                token: Secret::new("t"),
            },
        ))
        .scope(KitRepo {
            url: Some("http://y/r".into()),
        })
        .scope_config(KitConfig {
            env: "staging".into(),
        })
        .incremental(true)
        .build();
    assert_eq!(typed.connection_id(), 7);
    assert_eq!(typed.scope.connection_id, Some(7));
    assert_eq!(typed.scope.url.as_deref(), Some("http://y/r"));
    assert_eq!(typed.scope_config.env, "staging");
    assert!(typed.incremental());

    let err = ContextBuilder::<Good>::new()
        .try_build()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("missing field `endpoint`") && err.contains(".connection(json!"),
        "{err}"
    );
}

#[test]
fn stream_convert_gives_the_expected_domain_rows() {
    let h = host(Good::default());
    let expected = CicdPipeline {
        name: "test_scope #1".into(),
        status: Some(CicdStatus::Done),
        result: Some(CicdResult::Success),
        environment: Some(CicdEnvironment::Production),
        ..Default::default()
    };
    assert_stream_convert(&h, &Builds, build("1", "passed"), vec![expected.clone()]);

    let wrong = CicdPipeline {
        result: Some(CicdResult::Failure),
        ..expected
    };
    let panic = std::panic::catch_unwind(AssertUnwindSafe(|| {
        assert_stream_convert(&h, &Builds, build("1", "passed"), vec![wrong])
    }))
    .unwrap_err();
    let msg = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        msg.contains("row 0: `result`: got \"SUCCESS\", expected \"FAILURE\""),
        "{msg}"
    );
}

#[tokio::test]
async fn stream_run_over_fixtures_counts_every_subtask_and_table() {
    let server = service();
    let h = host(Good::default());
    let ctx = ContextBuilder::for_host(&h)
        .connection(connection(&server))
        .scope(json!({"id": "r1", "name": "Repo 1"}))
        .build();
    let run = assert_stream_run(&h, "builds", ctx).await;
    assert_eq!(run.records("Collect Builds"), 3);
    assert_eq!(run.records("Extract Builds"), 3);
    assert_eq!(run.records("Convert Builds"), 3);
    assert_eq!(run.rows("_raw_kit_builds"), 3);
    assert_eq!(run.rows("_tool_testing_kit_kitbuilds"), 3);
    assert_eq!(run.rows("cicd_pipelines"), 3);
    server.assert_all_matched();
    assert_eq!(server.requests().len(), 3, "{:?}", server.requests());
}

#[tokio::test]
async fn fixtures_from_a_directory_and_unmatched_requests() {
    let dir = tempfile::tempdir().unwrap();
    let name = fixture_name("GET", "/repos/r2/builds", Some("page=1"));
    assert_eq!(name, "get_repos_r2_builds__page_1");
    let f = json!({"status": 200, "headers": {"x-total": "1"}, "body": [build("9", "passed")]});
    std::fs::write(dir.path().join(format!("{name}.json")), f.to_string()).unwrap();
    let server = FixtureServer::start(dir.path());

    let h = host(Good::default());
    let ctx = ContextBuilder::for_host(&h)
        .connection(connection(&server))
        .scope(json!({"id": "r2"}))
        .build();
    let msg = panic_message(assert_stream_run(&h, "builds", ctx)).await;
    assert!(msg.contains("Collect Builds failed"), "{msg}");
    assert!(
        msg.contains("no fixture for GET /repos/r2/builds?page=2"),
        "{msg}"
    );
    assert!(msg.contains("get_repos_r2_builds__page_2.json"), "{msg}");
    assert_eq!(server.unmatched(), ["GET /repos/r2/builds?page=2"]);
    let missing =
        std::panic::catch_unwind(AssertUnwindSafe(|| server.assert_all_matched())).unwrap_err();
    assert!(missing
        .downcast_ref::<String>()
        .unwrap()
        .contains("1 request(s) matched no fixture"));
}

/// Under `DEVLAKE_RECORD=1` a server of in-memory fixtures keeps serving them (it used to
/// panic for want of a directory). The variable is set for a child run of this one test,
/// so no other test of this binary sees it.
#[tokio::test]
async fn in_memory_fixtures_are_never_recorded() {
    const CHILD: &str = "DEVLAKE_KIT_RECORD_CHILD";
    if std::env::var_os(CHILD).is_none() {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "in_memory_fixtures_are_never_recorded"])
            .args(["--test-threads=1", "--nocapture"])
            .env(CHILD, "1")
            .env("DEVLAKE_RECORD", "1")
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{text}");
        assert!(text.contains("1 passed"), "{text}");
        return;
    }
    assert_eq!(std::env::var("DEVLAKE_RECORD").as_deref(), Ok("1"));
    let server = service();
    assert!(!server.recording());
    let body: Json = reqwest::get(format!("{}orgs", server.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body, json!([{"id": "o1", "name": "Org 1"}]));
    server.assert_all_matched();
    // A directory is still recorded under the variable (here into a fresh one).
    let dir = tempfile::tempdir().unwrap();
    let recorder = FixtureServer::builder(dir.path())
        .upstream(server.url())
        .start();
    assert!(recorder.recording());
}

#[tokio::test]
async fn recording_writes_fixtures_that_replay() {
    let upstream = service();
    let dir = tempfile::tempdir().unwrap();
    let recorder = FixtureServer::builder(dir.path())
        .upstream(upstream.url())
        .record(true)
        .start();
    let h = host(Good::default());
    let ctx = ContextBuilder::for_host(&h)
        .connection(connection(&recorder))
        .scope(json!({"id": "r1"}))
        .build();
    assert_eq!(
        assert_stream_run(&h, "builds", ctx)
            .await
            .rows("cicd_pipelines"),
        3
    );
    drop(recorder);
    let page2: Json = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("get_repos_r1_builds__page_2.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(page2["status"], 200);
    assert_eq!(page2["headers"]["x-total"], "3");
    assert_eq!(page2["body"][0]["id"], "3");

    drop(upstream);
    let replay = FixtureServer::builder(dir.path()).record(false).start();
    let ctx = ContextBuilder::for_host(&h)
        .connection(connection(&replay))
        .scope(json!({"id": "r1"}))
        .build();
    assert_eq!(
        assert_stream_run(&h, "builds", ctx)
            .await
            .rows("cicd_pipelines"),
        3
    );
    replay.assert_all_matched();
}

#[test]
fn valid_plugin_passes_and_a_broken_one_fails_with_every_reason() {
    assert_valid_plugin(&host(Good::default()));
    let panic = std::panic::catch_unwind(AssertUnwindSafe(|| {
        assert_valid_plugin(&host(Bad::default()))
    }))
    .unwrap_err();
    let msg = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        msg.contains("plugin name \"Bad-Kit\" must be lowercase"),
        "{msg}"
    );
    assert!(
        msg.contains("stream name \"builds\" is used twice"),
        "{msg}"
    );
    assert!(
        msg.contains("subtask \"Collect Builds\" appears twice"),
        "{msg}"
    );
}

#[tokio::test]
async fn plugin_run_from_connection_test_to_every_stream() {
    let server = service();
    let h = host(Good::default());
    let run = assert_plugin_run(
        &h,
        connection(&server),
        Some(json!({"entities": ["CICD"], "env": "staging"})),
    )
    .await;
    assert!(run.connection.success);
    assert_eq!(run.groups.len(), 1);
    assert_eq!(run.scopes.len(), 1);
    assert_eq!(
        run.pipeline.plan[0][0].subtasks,
        ["Collect Builds", "Extract Builds", "Convert Builds"]
    );
    assert_eq!(run.subtasks.len(), 3);
    assert_eq!(run.tables["cicd_pipelines"], 3);
    server.assert_all_matched();

    let bad_token = json!({"endpoint": server.url(), "token": "nope"});
    let msg = panic_message(assert_plugin_run(&h, bad_token, None)).await;
    assert!(
        msg.contains("test-connection says the connection does not work: Invalid token (401)"),
        "{msg}"
    );
    assert!(!msg.contains("nope"), "the token leaked: {msg}");
}

fn targets() -> Vec<String> {
    Backend::ALL
        .iter()
        .map(|b| b.admin_url().unwrap_or_else(|| "sqlite".into()))
        .collect()
}

#[tokio::test]
async fn conformance_on_every_database() {
    let report = conformance::run(&host(Good::default()), &targets()).await;
    let failed: Vec<_> = report.failures().collect();
    assert!(failed.is_empty(), "{failed:#?}");
    for b in ["sqlite", "mysql", "postgres"] {
        assert!(
            report
                .checks
                .iter()
                .any(|c| c.name == format!("migrations match models [{b}]")),
            "{report:#?}"
        );
    }

    let bad = conformance::run(&host(Bad::default()), &targets()).await;
    let failed: Vec<&str> = bad.failures().map(|c| c.name.as_str()).collect();
    for name in [
        "plugin name",
        "streams",
        "subtask metadata",
        "migrations match models [sqlite]",
        "migrations match models [mysql]",
        "migrations match models [postgres]",
    ] {
        assert!(failed.contains(&name), "{name} did not fail: {bad:#?}");
    }
    let mismatch = bad
        .checks
        .iter()
        .find(|c| c.name == "migrations match models [postgres]")
        .unwrap();
    assert!(
        mismatch
            .problems
            .iter()
            .any(|p| p.contains("lacks column status")),
        "{mismatch:?}"
    );
}

/// A service with two orgs, each with one repo: `r1` (builds 1 and 2) and `r2` (build 3).
fn two_scopes() -> FixtureServer {
    FixtureServer::start([
        (
            "GET /user",
            Fixture::json(json!({"login": "kit", "token": TOKEN})),
        ),
        (
            "GET /orgs",
            Fixture::json(json!([{"id": "o1", "name": "Org 1"}, {"id": "o2", "name": "Org 2"}])),
        ),
        (
            "GET /orgs/o1/repos",
            Fixture::json(json!([{"id": "r1", "name": "Repo 1"}])),
        ),
        (
            "GET /orgs/o2/repos",
            Fixture::json(json!([{"id": "r2", "name": "Repo 2"}])),
        ),
        (
            "GET /repos",
            Fixture::json(json!([{"id": "r1", "name": "Repo 1"}, {"id": "r2", "name": "Repo 2"}])),
        ),
        (
            "GET /repos/r1/builds?page=1",
            Fixture::json(json!([build("1", "passed"), build("2", "failed")])),
        ),
        ("GET /repos/r1/builds?page=2", Fixture::json(json!([]))),
        (
            "GET /repos/r2/builds?page=1",
            Fixture::json(json!([build("3", "running")])),
        ),
        ("GET /repos/r2/builds?page=2", Fixture::json(json!([]))),
    ])
}

fn fixture_files(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Issue 16 item 12: recording through a whole-plugin run records every scope the run
/// covers (here both repos, of two groups) into the one directory, and the same run
/// replays them all once the upstream is gone.
#[tokio::test]
async fn recording_a_plugin_run_records_every_scope_and_replays_it() {
    let upstream = two_scopes();
    let dir = tempfile::tempdir().unwrap();
    let recorder = FixtureServer::builder(dir.path())
        .upstream(upstream.url())
        .record(true)
        .start();
    let h = host(Good::default());
    let run = PluginRunner::new(&h, connection(&recorder))
        .all_scopes()
        .run()
        .await;
    assert_eq!(run.ran, ["r1", "r2"]);
    assert_eq!(run.groups.len(), 2);
    assert_eq!(run.scopes.len(), 2);
    assert_eq!(run.tables["cicd_pipelines"], 3);
    assert_eq!(run.records("Collect Builds"), 3);
    assert_eq!(run.pipeline.plan.len(), 2, "{:?}", run.pipeline.plan);
    // Every request of both scopes went to the upstream and was written.
    let asked: std::collections::BTreeSet<String> = recorder
        .requests()
        .iter()
        .map(|r| {
            let (method, target) = r.split_once(' ').unwrap();
            let (path, query) = match target.split_once('?') {
                Some((p, q)) => (p, Some(q)),
                None => (target, None),
            };
            format!("{}.json", fixture_name(method, path, query))
        })
        .collect();
    drop(recorder);
    let files = fixture_files(dir.path());
    assert_eq!(files, asked.into_iter().collect::<Vec<_>>());
    for f in [
        "get_orgs_o2_repos.json",
        "get_repos_r1_builds__page_1.json",
        "get_repos_r2_builds__page_1.json",
        "get_repos_r2_builds__page_2.json",
    ] {
        assert!(files.iter().any(|n| n == f), "{f} not recorded: {files:?}");
    }

    drop(upstream);
    let replay = FixtureServer::builder(dir.path()).record(false).start();
    let again = PluginRunner::new(&h, connection(&replay))
        .all_scopes()
        .run()
        .await;
    assert_eq!(again.ran, ["r1", "r2"]);
    assert_eq!(again.tables, run.tables);
    replay.assert_all_matched();

    // Chosen scopes run in the order given; the default is the first one, as pydevlake's.
    let second = PluginRunner::new(&h, connection(&replay))
        .scopes(["r2"])
        .run()
        .await;
    assert_eq!(second.ran, ["r2"]);
    assert_eq!(second.tables["cicd_pipelines"], 1);
    let first = assert_plugin_run(&h, connection(&replay), None).await;
    assert_eq!(first.ran, ["r1"]);
    assert_eq!(first.scopes.len(), 1, "only the first group is listed");
    let msg = panic_message(
        PluginRunner::new(&h, connection(&replay))
            .scopes(["r9"])
            .run(),
    )
    .await;
    assert!(
        msg.contains("scope \"r9\" is not among the scopes listed (r1, r2)"),
        "{msg}"
    );
}

/// A plugin without scope groups (issue 16 item 7) runs whole: its scopes are listed at the
/// top, the first one by default, all of them when asked.
#[tokio::test]
async fn a_plugin_without_groups_runs_whole() {
    let server = two_scopes();
    let h = host(Kit::<false, true>);
    let run = assert_plugin_run(&h, connection(&server), None).await;
    assert!(run.groups.is_empty(), "{:?}", run.groups);
    assert_eq!(run.scopes.len(), 2);
    assert_eq!(run.ran, ["r1"]);
    assert_eq!(run.tables["cicd_pipelines"], 2);
    let all = PluginRunner::new(&h, connection(&server))
        .all_scopes()
        .run()
        .await;
    assert_eq!(all.ran, ["r1", "r2"]);
    assert_eq!(all.tables["cicd_pipelines"], 3);
    server.assert_all_matched();
}

/// Runs collect, extract and convert of the builds of `r1` through `server` into the
/// database at `db_url`.
async fn run_builds(db_url: &str, server: &FixtureServer, incremental: bool) {
    let h = host(Good::default());
    let task = TaskContext::from_json(&json!({
        "db_url": db_url,
        "connection": {"id": 1, "name": "c", "endpoint": server.url(), "token": TOKEN},
        "scope": {"id": "r1", "name": "Repo 1"},
        "scope_config": {"env": "PRODUCTION"},
        "options": {"incremental": incremental},
    }))
    .unwrap();
    let mut db = devlake::db::Db::connect(db_url).await.unwrap();
    for verb in Verb::ALL {
        let mut ctx = h.context(&task, "builds").unwrap();
        h.run_subtask(verb, "builds", &mut ctx, &mut db, &mut Progress::silent())
            .await
            .unwrap_or_else(|e| panic!("{verb:?}: {e}"));
    }
}

fn since_of(requests: &[String]) -> Vec<String> {
    requests
        .iter()
        .filter_map(|r| r.split_once("updatedSince=").map(|(_, v)| v.to_string()))
        .collect()
}

/// Issue 16 item 12: fixtures recorded without a volatile query key serve an incremental
/// run that sends another value of it.
#[tokio::test]
async fn an_incremental_run_is_served_from_fixtures_recorded_by_an_earlier_one() {
    // The service answers whatever `updatedSince` says (its builds never change).
    let upstream = service_builder()
        .ignore_query_keys(["updatedSince"])
        .start();
    let dir = tempfile::tempdir().unwrap();
    let tdb = TestDatabase::create(Backend::Sqlite, "kit_incremental")
        .await
        .expect("SQLite needs no server");
    let recorder = FixtureServer::builder(dir.path())
        .upstream(upstream.url())
        .ignore_query_keys(["updatedSince"])
        .record(true)
        .start();
    run_builds(&tdb.url, &recorder, false).await;
    // Successive runs start at least a millisecond apart, so their `updatedSince` differ.
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    run_builds(&tdb.url, &recorder, true).await;
    let recorded = since_of(&recorder.requests());
    assert_eq!(recorded.len(), 3, "{:?}", recorder.requests());
    drop(recorder);
    drop(upstream);
    assert_eq!(
        fixture_files(dir.path()),
        [
            "get_repos_r1_builds__page_1.json",
            "get_repos_r1_builds__page_2.json",
            "get_repos_r1_builds__page_3.json",
        ]
    );

    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let replay = FixtureServer::builder(dir.path())
        .ignore_query_keys(["updatedSince"])
        .record(false)
        .start();
    run_builds(&tdb.url, &replay, true).await;
    replay.assert_all_matched();
    let replayed = since_of(&replay.requests());
    assert_eq!(replayed.len(), 3, "{:?}", replay.requests());
    assert_ne!(replayed[0], recorded[0]);

    // Without the option the same request matches nothing.
    let exact = FixtureServer::builder(dir.path()).record(false).start();
    run_builds_expecting_404(&tdb.url, &exact).await;
}

async fn run_builds_expecting_404(db_url: &str, server: &FixtureServer) {
    let msg = panic_message(run_builds(db_url, server, true)).await;
    assert!(
        msg.contains("no fixture for GET /repos/r1/builds?page=1&updatedSince="),
        "{msg}"
    );
}

async fn fetch(server: &FixtureServer, target: &str) -> (u16, Json) {
    let resp = reqwest::get(format!("{}{target}", server.url()))
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

/// The request's own name is served first; then the name after the kept query keys; a
/// request that differs in a kept key gets the 404 naming what was looked for.
#[tokio::test]
async fn fixtures_match_on_the_path_and_the_chosen_query_keys() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: Json| {
        std::fs::write(
            dir.path().join(format!("{name}.json")),
            json!({"body": body}).to_string(),
        )
        .unwrap()
    };
    write("get_items__page_1", json!("page 1"));
    write("get_items__page_1_updatedSince_2024-01-01", json!("exact"));

    let ignoring = FixtureServer::builder(dir.path())
        .ignore_query_keys(["updatedSince"])
        .record(false)
        .start();
    let got = fetch(&ignoring, "items?updatedSince=2024-01-01&page=1").await;
    assert_eq!(got, (200, json!("exact")));
    let got = fetch(&ignoring, "items?page=1&updatedSince=2024-02-02").await;
    assert_eq!(got, (200, json!("page 1")));
    let got = fetch(&ignoring, "items?page=1&updated%53ince=2024-03-03").await;
    assert_eq!(
        got,
        (200, json!("page 1")),
        "an encoded key is the same key"
    );
    let (status, body) = fetch(&ignoring, "items?page=2&updatedSince=2024-02-02").await;
    assert_eq!(status, 404);
    assert_eq!(
        body["error"],
        format!(
            "no fixture for GET /items?page=2&updatedSince=2024-02-02: looked for \
             get_items__page_2_updatedSince_2024-02-02.json, get_items__page_2.json and \
             get_items.json in {}",
            dir.path().display()
        )
    );
    assert_eq!(
        ignoring.unmatched(),
        ["GET /items?page=2&updatedSince=2024-02-02"]
    );

    let only_page = FixtureServer::builder(dir.path())
        .match_query_keys(["page"])
        .record(false)
        .start();
    let got = fetch(&only_page, "items?page=1&sort=id&updatedSince=2024-02-02").await;
    assert_eq!(got, (200, json!("page 1")));
    let (status, _) = fetch(&only_page, "items?page=3&sort=id").await;
    assert_eq!(status, 404);

    // In-memory fixtures are matched the same way.
    let map = FixtureServer::builder([("GET /items?page=1", Fixture::json(json!("map")))])
        .ignore_query_keys(["updatedSince"])
        .start();
    assert_eq!(
        fetch(&map, "items?page=1&updatedSince=x").await,
        (200, json!("map"))
    );
}
