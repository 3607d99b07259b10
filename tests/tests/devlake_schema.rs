//! Standalone runs of the fake plugin into databases laid out as DevLake's own migrations
//! lay them out (`fixtures/devlake_schema/*.sql`), read back with DevLake's own Grafana
//! queries (`fixtures/grafana/queries.json`): `--project demo` makes the plugin's
//! pipelines show for `demo`, a second project's rows and another plugin's rows stay as
//! they are, DevLake's tables are neither created again nor altered, and `delete-scope`
//! removes exactly one scope's data. On SQLite, the default database, the same rows.

use devlake::db::Db;
use devlake::model::Value;
use devlake::testing::{Backend, TestDatabase};
use devlake_e2e::*;
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

const TOKEN_VAR: &str = "DEVLAKE_SCHEMA_FAKE_TOKEN";
/// The fake plugin's domain ids of scope `p1` of connection 1 and `p2` of connection 2
/// (the fake plugin's pipeline ids repeat across scopes, its connections keep them apart).
const P1: &str = "fakeplugin:FakeProject:1:p1";
const P2: &str = "fakeplugin:FakeProject:2:p2";
/// Grafana's time range for the panels: the fake pipelines finish on 2023-01-10, and the
/// CI/CD panels drop the first (incomplete) month of the range.
const FROM: &str = "2022-12-01 00:00:00";
const TO: &str = "2023-12-31 23:59:59";

fn fixture(rel: &str) -> String {
    let p = workspace().join("tests/fixtures").join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Loads DevLake's schema as its migrations leave it.
async fn load_devlake_schema(db: &mut Db, backend: Backend) {
    let file = match backend {
        Backend::MySql => "devlake_schema/mysql.sql",
        _ => "devlake_schema/postgres.sql",
    };
    for stmt in fixture(file).split(";\n") {
        let body: String = stmt
            .lines()
            .filter(|l| !l.trim_start().starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n");
        if !body.trim().is_empty() {
            db.execute_raw(&body)
                .await
                .unwrap_or_else(|e| panic!("{file}: {e}"));
        }
    }
}

/// Every column (type, length, nullability) and index of DevLake's tables, to compare
/// before and after runs.
async fn schema_of(db: &mut Db, backend: Backend, tables: &[String]) -> Vec<Vec<Value>> {
    let (cols, idx) = match backend {
        Backend::MySql => (
            "SELECT table_name, column_name, column_type, is_nullable, column_key \
             FROM information_schema.columns WHERE table_schema = DATABASE() \
             ORDER BY table_name, ordinal_position",
            "SELECT table_name, index_name, column_name, seq_in_index, non_unique \
             FROM information_schema.statistics WHERE table_schema = DATABASE() \
             ORDER BY table_name, index_name, seq_in_index",
        ),
        _ => (
            "SELECT table_name::text, column_name::text, data_type::text, \
             character_maximum_length::bigint, is_nullable::text \
             FROM information_schema.columns WHERE table_schema = 'public' \
             ORDER BY table_name, ordinal_position",
            "SELECT tablename::text, indexname::text, indexdef::text FROM pg_indexes \
             WHERE schemaname = 'public' ORDER BY tablename, indexname",
        ),
    };
    let mut out = Vec::new();
    for sql in [cols, idx] {
        for r in db.fetch_all(sql, vec![]).await.unwrap() {
            if matches!(&r[0], Value::Text(t) if tables.contains(t)) {
                out.push(r);
            }
        }
    }
    out
}

async fn table_names(db: &mut Db) -> Vec<String> {
    db.tables().await.unwrap()
}

/// Rows of the fake plugin's raw tables.
async fn raw_rows(db: &mut Db) -> i64 {
    let mut n = 0;
    for t in table_names(db).await {
        if t.starts_with("_raw_fake_") {
            n += db.count(&t, None).await.unwrap();
        }
    }
    n
}

/// A panel's `(result, count)` rows, sorted (the panel orders by count only).
async fn by_result(db: &mut Db, sql: &str) -> Vec<Vec<String>> {
    let mut r = rows(db, sql).await;
    r.sort();
    r
}

fn run_file(
    dir: &Path,
    name: &str,
    project: Option<&str>,
    connection: i64,
    scope: (&str, &str),
) -> PathBuf {
    let p = dir.join(name);
    let project = project
        .map(|p| format!("project = \"{p}\"\n"))
        .unwrap_or_default();
    std::fs::write(
        &p,
        format!(
            "{project}[connection]\nid = {connection}\nname = \"fake {connection}\"\n\
             token = {{ env = \"{TOKEN_VAR}\" }}\n\n\
             [scope_config]\nname = \"fake standalone {connection}\"\nenv = \"production\"\nentities = [\"CICD\"]\n\n\
             [[scopes]]\nid = \"{}\"\nname = \"{}\"\nurl = \"http://fake.org/api/project/{}\"\n",
            scope.0, scope.1, scope.0
        ),
    )
    .unwrap();
    p
}

/// `<fakeplugin> standalone <args>`, as a scheduler would run it.
fn standalone(work: &Path, args: &[&str]) -> Call {
    let mut all = vec!["standalone".to_string()];
    all.extend(args.iter().map(|s| s.to_string()));
    call_with(
        &build_example("fakeplugin"),
        &all,
        work,
        &[(TOKEN_VAR, "this_is_a_valid_token")],
        false,
    )
}

fn ok(c: &Call, what: &str) {
    assert_eq!(c.rc, 0, "{what}: exit {}: {}{}", c.rc, c.stdout, c.stderr);
}

async fn strings(db: &mut Db, sql: &str) -> Vec<String> {
    db.fetch_all(sql, vec![])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .map(|r| match &r[0] {
            Value::Text(s) => s.clone(),
            Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
            other => format!("{other:?}"),
        })
        .collect()
}

async fn rows(db: &mut Db, sql: &str) -> Vec<Vec<String>> {
    db.fetch_all(sql, vec![])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .map(|r| {
            r.into_iter()
                .map(|v| match v {
                    Value::Text(s) => s,
                    Value::Bytes(b) => String::from_utf8_lossy(&b).into_owned(),
                    Value::Int(i) => i.to_string(),
                    Value::Null => "NULL".into(),
                    other => format!("{other:?}"),
                })
                .collect()
        })
        .collect()
}

/// DevLake's dashboard queries, with Grafana's part done: macros and variables filled in.
struct Dashboards {
    queries: Vec<Json>,
    prefix: String,
    backend: Backend,
}

impl Dashboards {
    fn load(backend: Backend) -> Self {
        let v: Json = serde_json::from_str(&fixture("grafana/queries.json")).unwrap();
        Dashboards {
            queries: v["queries"].as_array().unwrap().clone(),
            prefix: v["plugin_prefix"].as_str().unwrap().to_string(),
            backend,
        }
    }

    /// The query of a variable or panel, for this plugin (`fakeplugin` ids instead of the
    /// dashboard's plugin), with `$project` and `${job_id}` as Grafana expands them.
    fn sql(&self, key: &str, project: &[&str], job_ids: &[String]) -> String {
        let q = self
            .queries
            .iter()
            .find(|q| q["variable"] == key || q["panel"] == key)
            .unwrap_or_else(|| panic!("no query {key:?}"));
        let dialect = if self.backend == Backend::MySql {
            "mysql"
        } else {
            "postgres"
        };
        let list = |v: &[&str]| {
            v.iter()
                .map(|s| format!("'{s}'"))
                .collect::<Vec<_>>()
                .join(",")
        };
        let (time_from, filter) = if self.backend == Backend::MySql {
            (format!("'{FROM}'"), format!("BETWEEN '{FROM}' AND '{TO}'"))
        } else {
            (
                format!("'{FROM}+00'::timestamptz"),
                format!("BETWEEN '{FROM}+00' AND '{TO}+00'"),
            )
        };
        let mut sql = q[dialect]
            .as_str()
            .unwrap()
            .replace(&self.prefix, "fakeplugin");
        sql = sql
            .replace("$__timeFrom()", &time_from)
            .replace(
                "${job_id}",
                &list(&job_ids.iter().map(String::as_str).collect::<Vec<_>>()),
            )
            .replace("$project", &list(project));
        // `$__timeFilter(col)` -> `col BETWEEN ...`
        while let Some(i) = sql.find("$__timeFilter(") {
            let rest = &sql[i + "$__timeFilter(".len()..];
            let end = rest.find(')').unwrap();
            let col = rest[..end].to_string();
            sql = format!("{}{col} {filter}{}", &sql[..i], &rest[end + 1..]);
        }
        sql
    }

    /// The `job_id` values the CI/CD dashboard offers (its regex keeps what follows `--`)
    /// that belong to `project`, selected through `project_mapping` as DORA's panels join it.
    async fn job_ids(&self, db: &mut Db, project: &str) -> Vec<String> {
        let offered: Vec<String> = strings(db, &self.sql("job_id", &[], &[]))
            .await
            .into_iter()
            .map(|t| t.rsplit_once("--").unwrap().1.to_string())
            .collect();
        let table = if self.backend == Backend::MySql {
            "`table`"
        } else {
            "\"table\""
        };
        let mapped = strings(
            db,
            &format!(
                "SELECT row_id FROM project_mapping WHERE project_name = '{project}' AND {table} = 'cicd_scopes'"
            ),
        )
        .await;
        offered.into_iter().filter(|i| mapped.contains(i)).collect()
    }
}

#[tokio::test]
async fn fake_plugin_runs_show_in_devlakes_dashboards_for_their_project_on_devlakes_schema() {
    for backend in [Backend::MySql, Backend::Postgres] {
        let Some(tdb) = TestDatabase::create(backend, "devlake_schema").await else {
            continue;
        };
        let mut db = tdb.connect().await;
        load_devlake_schema(&mut db, backend).await;
        let devlake_tables = table_names(&mut db).await;
        let before = schema_of(&mut db, backend, &devlake_tables).await;
        let q = |s: &str| db_quote(backend, s);

        // Another plugin's data, as DevLake's own blueprint for `demo` left it.
        db.execute_raw(
            "INSERT INTO cicd_scopes (id, name, _raw_data_params, _raw_data_table) VALUES \
             ('jenkins:JenkinsJob:1:build', 'build', '{\"ConnectionId\":1,\"FullName\":\"build\"}', '_raw_jenkins_api_jobs')"
        )
        .await
        .unwrap();
        db.execute_raw(&format!(
            "INSERT INTO project_mapping (project_name, {}, row_id, _raw_data_params) VALUES \
             ('demo', 'cicd_scopes', 'jenkins:JenkinsJob:1:build', 'demo')",
            q("table")
        ))
        .await
        .unwrap();
        db.execute_raw(
            "INSERT INTO cicd_pipelines (id, name, result, cicd_scope_id, _raw_data_params, _raw_data_table) VALUES \
             ('jenkins:JenkinsBuild:1:build#1', 'build#1', 'SUCCESS', 'jenkins:JenkinsJob:1:build', 'x', '_raw_jenkins_api_builds')",
        )
        .await
        .unwrap();

        let work = tempfile::tempdir().unwrap();
        let demo = run_file(work.path(), "demo.toml", None, 1, ("p1", "Project 1"));
        let other = run_file(
            work.path(),
            "other.toml",
            Some("other"),
            2,
            ("p2", "Project 2"),
        );
        ok(
            &standalone(
                work.path(),
                &[
                    "run",
                    "--config",
                    demo.to_str().unwrap(),
                    "--db",
                    &tdb.url,
                    "--project",
                    "demo",
                    "--format",
                    "plain",
                ],
            ),
            "run demo",
        );
        ok(
            &standalone(
                work.path(),
                &[
                    "run",
                    "--config",
                    other.to_str().unwrap(),
                    "--db",
                    &tdb.url,
                    "--format",
                    "plain",
                ],
            ),
            "run other",
        );
        // A scheduled second run of the same scope changes nothing DevLake sees.
        ok(
            &standalone(
                work.path(),
                &[
                    "run",
                    "--config",
                    demo.to_str().unwrap(),
                    "--db",
                    &tdb.url,
                    "--project",
                    "demo",
                    "--incremental",
                ],
            ),
            "incremental rerun demo",
        );

        assert_eq!(
            schema_of(&mut db, backend, &devlake_tables).await,
            before,
            "{backend:?}: DevLake's tables were altered"
        );

        // What DevLake's server would have written.
        assert_eq!(
            strings(&mut db, "SELECT id FROM cicd_scopes ORDER BY id").await,
            [P1, P2, "jenkins:JenkinsJob:1:build"],
            "{backend:?}"
        );
        assert_eq!(
            rows(
                &mut db,
                &format!(
                    "SELECT project_name, {t}, row_id, _raw_data_params FROM project_mapping ORDER BY project_name, row_id",
                    t = q("table")
                )
            )
            .await,
            [
                ["demo", "cicd_scopes", P1, "demo"],
                ["demo", "cicd_scopes", "jenkins:JenkinsJob:1:build", "demo"],
                ["other", "cicd_scopes", P2, "other"],
            ],
            "{backend:?}"
        );
        assert_eq!(
            rows(
                &mut db,
                "SELECT id, name, token FROM _tool_fakeplugin_fakeconnections ORDER BY id"
            )
            .await,
            [["1", "fake 1", "NULL"], ["2", "fake 2", "NULL"]],
            "{backend:?}: the connections are recorded, their tokens are not"
        );
        assert_eq!(
            rows(
                &mut db,
                "SELECT connection_id, id, name, scope_config_id, _raw_data_params, _raw_data_table \
                 FROM _tool_fakeplugin_fakeprojects ORDER BY id"
            )
            .await,
            [
                ["1", "p1", "Project 1", "1", r#"{"ConnectionId":1,"ScopeId":"p1"}"#, "_raw_fake_scopes"],
                ["2", "p2", "Project 2", "2", r#"{"ConnectionId":2,"ScopeId":"p2"}"#, "_raw_fake_scopes"],
            ],
            "{backend:?}"
        );
        assert_eq!(
            rows(&mut db, "SELECT id, name, connection_id, env FROM _tool_fakeplugin_fakescopeconfigs ORDER BY id").await,
            [["1", "fake standalone 1", "1", "production"], ["2", "fake standalone 2", "2", "production"]],
            "{backend:?}"
        );

        // DevLake's UI adds a scope config and a connection after the runs: fresh ids.
        db.execute_raw(
            "INSERT INTO _tool_fakeplugin_fakescopeconfigs (name, connection_id, env) VALUES ('from the UI', 1, '')",
        )
        .await
        .unwrap_or_else(|e| panic!("{backend:?}: {e}"));
        db.execute_raw(
            "INSERT INTO _tool_fakeplugin_fakeconnections (name) VALUES ('from the UI')",
        )
        .await
        .unwrap_or_else(|e| panic!("{backend:?}: {e}"));
        assert_eq!(
            db.count("_tool_fakeplugin_fakescopeconfigs", None)
                .await
                .unwrap(),
            3
        );

        // DevLake's dashboards.
        let dash = Dashboards::load(backend);
        let mut projects = strings(&mut db, &dash.sql("project", &[], &[])).await;
        projects.sort();
        assert_eq!(projects, ["demo", "other"], "{backend:?}");
        let demo_jobs = dash.job_ids(&mut db, "demo").await;
        assert_eq!(demo_jobs, [P1], "{backend:?}: the fake scope of demo");
        let panel = "3. Total Build Result Distribution";
        // 250 fake pipelines: success, failure, pending in turn.
        assert_eq!(
            by_result(&mut db, &dash.sql(panel, &["demo"], &demo_jobs)).await,
            [["FAILURE", "83"], ["NULL", "83"], ["SUCCESS", "84"]],
            "{backend:?}"
        );
        let successes = "1. Total Number of Successful Builds [Selected Time Range]";
        assert_eq!(
            strings(&mut db, &dash.sql(successes, &["demo"], &demo_jobs)).await,
            ["Int(84)"],
            "{backend:?}"
        );
        assert_eq!(dash.job_ids(&mut db, "other").await, [P2], "{backend:?}");

        // DORA selects what DevLake's dora plugin derived for a scope through the same
        // mapping: a deployment of p1 is selected for `demo`.
        db.execute_raw(&format!(
            "INSERT INTO cicd_deployment_commits (id, commit_sha, repo_url, cicd_scope_id, cicd_deployment_id, result, environment, finished_date, _raw_data_table) \
             VALUES ('d1', 'abc', 'https://example.com/repo', '{P1}', 'd1', 'SUCCESS', 'PRODUCTION', '2023-01-10 11:03:00', '')"
        ))
        .await
        .unwrap();
        let dora = "Step 1. All cicd_deployment_commits (the rows with 3 green columns will be used in the following steps)";
        let selected = rows(&mut db, &dash.sql(dora, &["demo"], &[])).await;
        assert_eq!(selected.len(), 1, "{backend:?}: {selected:?}");
        assert_eq!(
            selected[0][..3],
            ["demo", "This project is selected", P1],
            "{backend:?}"
        );

        // Deleting p1's data leaves p2 (project other) and jenkins as they were.
        let c = standalone(
            work.path(),
            &[
                "delete-scope",
                "--config",
                demo.to_str().unwrap(),
                "--db",
                &tdb.url,
                "p1",
            ],
        );
        ok(&c, "delete-scope p1");
        assert!(c.stdout.contains("deleted scope \"p1\""), "{}", c.stdout);
        assert_eq!(
            strings(&mut db, "SELECT id FROM cicd_scopes ORDER BY id").await,
            [P2, "jenkins:JenkinsJob:1:build"],
            "{backend:?}: {}",
            c.stdout
        );
        assert_eq!(
            strings(&mut db, "SELECT id FROM cicd_scopes ORDER BY id").await,
            [P2, "jenkins:JenkinsJob:1:build"],
            "{backend:?}"
        );
        assert_eq!(
            strings(&mut db, "SELECT cicd_scope_id FROM cicd_pipelines GROUP BY cicd_scope_id ORDER BY cicd_scope_id").await,
            [P2, "jenkins:JenkinsJob:1:build"],
            "{backend:?}"
        );
        assert_eq!(
            strings(
                &mut db,
                "SELECT row_id FROM project_mapping ORDER BY row_id"
            )
            .await,
            [P2, "jenkins:JenkinsJob:1:build"],
            "{backend:?}"
        );
        assert_eq!(raw_rows(&mut db).await, 250, "{backend:?}");
        for (table, left) in [
            ("_tool_fakeplugin_fakepipelines", 250),
            ("_tool_fakeplugin_fakeprojects", 1),
            ("cicd_pipelines", 251),
        ] {
            assert_eq!(
                db.count(table, None).await.unwrap(),
                left,
                "{backend:?}: {table}"
            );
        }
        assert_eq!(
            rows(
                &mut db,
                "SELECT scope_id FROM _pydevlake_subtask_runs GROUP BY scope_id"
            )
            .await,
            [["p2"]],
            "{backend:?}: p1's incremental state is gone"
        );
        // The other project's dashboard is unaffected.
        let other_jobs = dash.job_ids(&mut db, "other").await;
        assert_eq!(
            by_result(&mut db, &dash.sql(panel, &["other"], &other_jobs)).await,
            [["FAILURE", "83"], ["NULL", "83"], ["SUCCESS", "84"]],
            "{backend:?}"
        );
        // Nothing left to delete is an error, not a silent success.
        let again = standalone(
            work.path(),
            &[
                "delete-scope",
                "--config",
                demo.to_str().unwrap(),
                "--db",
                &tdb.url,
                "p1",
            ],
        );
        assert_ne!(again.rc, 0, "{backend:?}");
        assert!(
            again.stderr.contains("nothing recorded for scope \"p1\""),
            "{}",
            again.stderr
        );
        assert_eq!(
            schema_of(&mut db, backend, &devlake_tables).await,
            before,
            "{backend:?}: DevLake's tables were altered"
        );
    }
}

fn db_quote(backend: Backend, s: &str) -> String {
    if backend == Backend::MySql {
        format!("`{s}`")
    } else {
        format!("\"{s}\"")
    }
}

#[tokio::test]
async fn on_sqlite_the_default_database_gets_the_same_rows() {
    let Some(tdb) = TestDatabase::create(Backend::Sqlite, "devlake_sqlite").await else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let demo = run_file(
        work.path(),
        "demo.toml",
        Some("demo"),
        1,
        ("p1", "Project 1"),
    );
    ok(
        &standalone(
            work.path(),
            &["run", "--config", demo.to_str().unwrap(), "--db", &tdb.url],
        ),
        "run",
    );
    let mut db = tdb.connect().await;
    assert_eq!(strings(&mut db, "SELECT id FROM cicd_scopes").await, [P1]);
    assert_eq!(
        rows(
            &mut db,
            "SELECT project_name, \"table\", row_id, _raw_data_params FROM project_mapping"
        )
        .await,
        [["demo", "cicd_scopes", P1, "demo"]]
    );
    assert_eq!(
        strings(&mut db, "select distinct name from projects").await,
        ["demo"]
    );
    assert_eq!(
        by_result(
            &mut db,
            &format!("SELECT result, count(distinct id) FROM cicd_pipelines WHERE cicd_scope_id IN ('{P1}') GROUP BY 1")
        )
        .await,
        [["FAILURE", "83"], ["NULL", "83"], ["SUCCESS", "84"]]
    );
    assert_eq!(
        rows(
            &mut db,
            "SELECT id, name, token FROM _tool_fakeplugin_fakeconnections"
        )
        .await,
        [["1", "fake 1", "NULL"]]
    );
    let c = standalone(
        work.path(),
        &[
            "delete-scope",
            "--config",
            demo.to_str().unwrap(),
            "--db",
            &tdb.url,
            "p1",
        ],
    );
    ok(&c, "delete-scope");
    for t in ["cicd_scopes", "project_mapping", "cicd_pipelines"] {
        assert_eq!(db.count(t, None).await.unwrap(), 0, "{t}");
    }
    assert_eq!(raw_rows(&mut db).await, 0);
    assert_eq!(
        db.count("projects", None).await.unwrap(),
        1,
        "the project stays"
    );
}

#[tokio::test]
async fn a_connection_devlake_owns_is_left_alone_and_a_clash_writes_nothing() {
    let Some(tdb) = TestDatabase::create(Backend::Sqlite, "devlake_clash").await else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let first = run_file(work.path(), "first.toml", None, 1, ("p1", "Project 1"));
    ok(
        &standalone(
            work.path(),
            &["run", "--config", first.to_str().unwrap(), "--db", &tdb.url],
        ),
        "first run",
    );
    let mut db = tdb.connect().await;
    // As if made in DevLake's UI, with DevLake's encryption of the token.
    db.execute_raw(
        "UPDATE _tool_fakeplugin_fakeconnections SET name = 'from the UI', token = 'c2VjcmV0IGJ5IERldkxha2U='",
    )
    .await
    .unwrap();
    ok(
        &standalone(
            work.path(),
            &["run", "--config", first.to_str().unwrap(), "--db", &tdb.url],
        ),
        "second run",
    );
    assert_eq!(
        rows(
            &mut db,
            "SELECT id, name, token FROM _tool_fakeplugin_fakeconnections"
        )
        .await,
        [["1", "from the UI", "c2VjcmV0IGJ5IERldkxha2U="]]
    );

    // Connection 2 with the scope config name connection 1 uses: refused, nothing written.
    let clash = work.path().join("clash.toml");
    std::fs::write(
        &clash,
        std::fs::read_to_string(&first)
            .unwrap()
            .replace("id = 1\n", "id = 2\n")
            .replace("id = \"p1\"", "id = \"p9\""),
    )
    .unwrap();
    let c = standalone(
        work.path(),
        &["run", "--config", clash.to_str().unwrap(), "--db", &tdb.url],
    );
    assert_eq!(c.rc, 1, "{}", c.stderr);
    let last = c
        .stderr
        .trim()
        .lines()
        .last()
        .unwrap_or_default()
        .to_string();
    assert!(
        last.contains("the name \"fake standalone 1\" belongs to a scope config of connection 1"),
        "{last}"
    );
    assert_eq!(
        db.count("_tool_fakeplugin_fakeconnections", None)
            .await
            .unwrap(),
        1
    );
    assert_eq!(strings(&mut db, "SELECT id FROM cicd_scopes").await, [P1]);
    assert_eq!(
        db.count("_tool_fakeplugin_fakeprojects", None)
            .await
            .unwrap(),
        1
    );
}
