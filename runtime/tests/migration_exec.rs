//! The standalone migration executor on SQLite, MariaDB and PostgreSQL: every operation,
//! "only if needed" semantics, re-runs, failures and the history table.

use devlake::db::{Db, Dialect};
use devlake::migration::{
    apply, check, model_columns_match, MigrationDialect, MigrationError, MigrationScript,
    MigrationScriptBuilder, Outcome, HISTORY_TABLE,
};
use devlake::model::Value;
use devlake::testing::{Backend, TestDatabase};
use devlake::Model;

mod snap {
    use devlake::prelude::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq, devlake::Enum)]
    pub enum State {
        Open,
        Closed,
    }

    #[derive(devlake::Model)]
    #[devlake(connection, table = "_tool_mt_connections")]
    pub struct MtConnection {
        pub token: Secret,
        pub org: Option<String>,
    }

    #[derive(devlake::Model)]
    #[devlake(table = "_tool_mt_pipelines")]
    pub struct MtPipeline {
        #[devlake(primary_key)]
        pub id: String,
        pub started_at: Option<DateTime>,
        pub runs: i64,
        pub ratio: f64,
        pub ok: bool,
        pub tags: Vec<String>,
        pub state: State,
        #[devlake(max_length = 100)]
        pub title: String,
    }

    #[derive(devlake::Model)]
    #[devlake(scope, table = "_tool_mt_projects")]
    pub struct MtProject {
        pub url: String,
    }

    /// The pipeline after the second and third scripts below.
    #[derive(devlake::Model)]
    #[devlake(table = "_tool_mt_pipelines")]
    pub struct MtPipelineNow {
        #[devlake(primary_key)]
        pub id: String,
        pub started_at: Option<DateTime>,
        pub runs: i64,
        pub ratio: f64,
        pub ok: bool,
        pub tags: Vec<String>,
        pub state: State,
        #[devlake(max_length = 100)]
        pub title: String,
        pub link: Option<String>,
        pub payload: Option<serde_json::Value>,
        pub finished: Option<DateTime>,
    }
}

const PLUGIN: &str = "mt";

fn script(
    version: u64,
    name: &str,
    build: impl FnOnce(&mut MigrationScriptBuilder),
) -> MigrationScript {
    let mut b = MigrationScriptBuilder::new();
    build(&mut b);
    MigrationScript {
        operations: b.build(),
        version,
        name: name.into(),
    }
}

fn init() -> MigrationScript {
    script(20240101000000, "init", |b| {
        b.create_table::<snap::MtConnection>()
            .create_tables::<(snap::MtPipeline, snap::MtProject)>();
    })
}

fn alter() -> MigrationScript {
    script(20240102000000, "alter", |b| {
        b.add_column("_tool_mt_pipelines", "url", "text")
            .add_column("_tool_mt_pipelines", "payload", "json")
            .add_column("_tool_mt_pipelines", "finished", "timestamp")
            .add_column("_tool_mt_pipelines", "legacy", "datetime")
            .add_column("_tool_mt_pipelines", "flag", "bool")
            .add_column("_tool_mt_pipelines", "score", "double precision")
            .add_column("_tool_mt_pipelines", "code", "varchar(32)")
            .add_column("_tool_mt_pipelines", "count2", "bigint")
            .create_table_from(devlake::model::model_info::<snap::MtProject>())
            .rename_table("_tool_mt_projects", "_tool_mt_scopes");
    })
}

fn cleanup() -> MigrationScript {
    script(20240103000000, "cleanup", |b| {
        b.rename_column("_tool_mt_pipelines", "url", "link")
            .drop_column("_tool_mt_pipelines", "legacy")
            .drop_column("_tool_mt_pipelines", "flag")
            .drop_column("_tool_mt_pipelines", "score")
            .drop_column("_tool_mt_pipelines", "code")
            .drop_column("_tool_mt_pipelines", "count2")
            .drop_table("_tool_mt_scopes")
            .execute("CREATE TABLE mt_marks (who varchar(20))", None)
            .execute("INSERT INTO mt_marks (who) VALUES ('everyone')", None)
            .execute(
                "INSERT INTO mt_marks (who) VALUES ('mysql')",
                Some(MigrationDialect::Mysql),
            )
            .execute(
                "INSERT INTO mt_marks (who) VALUES ('postgres')",
                Some(MigrationDialect::Postgres),
            );
    })
}

async fn databases(tag: &str) -> Vec<(TestDatabase, Db)> {
    let mut out = Vec::new();
    for backend in Backend::ALL {
        if let Some(t) = TestDatabase::create(backend, tag).await {
            let db = t.connect().await;
            out.push((t, db));
        }
    }
    out
}

async fn texts(db: &mut Db, sql: &str) -> Vec<String> {
    db.fetch_all(sql, vec![])
        .await
        .unwrap()
        .into_iter()
        .map(|r| match &r[0] {
            Value::Text(s) => s.clone(),
            Value::Bytes(b) => String::from_utf8(b.clone()).unwrap(),
            other => format!("{other:?}"),
        })
        .collect()
}

#[tokio::test]
async fn every_operation_builds_the_expected_schema() {
    for (t, mut db) in databases("mig_ops").await {
        let b = t.backend.name();
        let report = apply(&mut db, PLUGIN, &[init(), alter(), cleanup()])
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(report.applied.len(), 3, "{b}");

        // create_table: the Go loader's base columns first, then the schema's properties.
        let conn = db.columns("_tool_mt_connections").await.unwrap();
        assert_eq!(
            conn,
            [
                "created_at",
                "updated_at",
                "_raw_data_params",
                "_raw_data_table",
                "_raw_data_id",
                "_raw_data_remark",
                "id",
                "name",
                "proxy",
                "token",
                "org"
            ],
            "{b}"
        );
        let pipelines = db.columns("_tool_mt_pipelines").await.unwrap();
        assert_eq!(
            pipelines,
            [
                "created_at",
                "updated_at",
                "_raw_data_params",
                "_raw_data_table",
                "_raw_data_id",
                "_raw_data_remark",
                "connection_id",
                "id",
                "started_at",
                "runs",
                "ratio",
                "ok",
                "tags",
                "state",
                "title",
                "link",
                "payload",
                "finished"
            ],
            "{b}"
        );
        assert!(
            model_columns_match(&mut db, snap::MtPipelineNow::descriptor())
                .await
                .unwrap()
                .is_empty(),
            "{b}"
        );
        // The second create_table of the projects table was not needed; the rename then
        // moved it and the drop removed it.
        assert_eq!(
            report.applied[1].operations[8].outcome,
            Outcome::Skipped("table exists".into()),
            "{b}"
        );
        assert!(!db.has_table("_tool_mt_projects").await.unwrap(), "{b}");
        assert!(!db.has_table("_tool_mt_scopes").await.unwrap(), "{b}");

        // The connection id is filled by the database, as DevLake's gorm table does.
        for name in ["a", "b"] {
            let d = db.dialect();
            let sql = format!(
                "INSERT INTO {} ({}, {}) VALUES ({}, {})",
                d.quote("_tool_mt_connections"),
                d.quote("name"),
                d.quote("token"),
                d.placeholder(1),
                d.placeholder(2)
            );
            db.execute(
                &sql,
                vec![Value::Text(name.into()), Value::Text("t".into())],
            )
            .await
            .unwrap();
        }
        let ids = db
            .fetch_all("SELECT id FROM _tool_mt_connections ORDER BY id", vec![])
            .await
            .unwrap();
        assert_eq!(ids, vec![vec![Value::Int(1)], vec![Value::Int(2)]], "{b}");

        // execute: statements without a dialect everywhere, the others on theirs only.
        let mut marks = texts(&mut db, "SELECT who FROM mt_marks ORDER BY who").await;
        marks.sort();
        let expected: Vec<&str> = match db.dialect() {
            Dialect::Sqlite => vec!["everyone"],
            Dialect::MySql => vec!["everyone", "mysql"],
            Dialect::Postgres => vec!["everyone", "postgres"],
        };
        assert_eq!(marks, expected, "{b}");
        let outcomes: Vec<&Outcome> = report.applied[2]
            .operations
            .iter()
            .map(|o| &o.outcome)
            .collect();
        let skipped = outcomes
            .iter()
            .filter(|o| matches!(o, Outcome::Skipped(_)))
            .count();
        assert_eq!(
            skipped,
            if db.dialect() == Dialect::Sqlite {
                2
            } else {
                1
            },
            "{b}: {outcomes:?}"
        );
    }
}

#[tokio::test]
async fn added_column_types_hold_their_values() {
    for (t, mut db) in databases("mig_types").await {
        let b = t.backend.name();
        apply(&mut db, PLUGIN, &[init(), alter()]).await.unwrap();
        let d = db.dialect();
        let cols = [
            "id",
            "connection_id",
            "payload",
            "finished",
            "legacy",
            "flag",
            "score",
            "code",
            "count2",
        ];
        let sql = format!(
            "INSERT INTO _tool_mt_pipelines ({}) VALUES ({})",
            cols.iter()
                .map(|c| d.quote(c))
                .collect::<Vec<_>>()
                .join(", "),
            (1..=cols.len())
                .map(|n| d.placeholder(n))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let when = chrono::DateTime::parse_from_rfc3339("2024-05-01T10:20:30.123Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let values = vec![
            Value::Text("p1".into()),
            Value::Int(1),
            Value::Json(serde_json::json!({"a": [1, 2]})),
            Value::DateTime(when),
            Value::DateTime(when),
            Value::Bool(true),
            Value::Float(0.5),
            Value::Text("x".repeat(32)),
            Value::Int(i64::MAX),
        ];
        db.execute(&sql, values)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        let row = db
            .fetch_all(
                "SELECT payload, finished, score, count2 FROM _tool_mt_pipelines",
                vec![],
            )
            .await
            .unwrap()
            .remove(0);
        let payload = match &row[0] {
            Value::Json(v) => v.clone(),
            Value::Text(s) => serde_json::from_str(s).unwrap(),
            // MariaDB's JSON is LONGTEXT with a check: the driver hands back bytes.
            Value::Bytes(bytes) => serde_json::from_slice(bytes).unwrap(),
            other => panic!("{b}: payload {other:?}"),
        };
        assert_eq!(payload, serde_json::json!({"a": [1, 2]}), "{b}");
        if d != Dialect::Sqlite {
            assert_eq!(row[1], Value::DateTime(when), "{b}: milliseconds survive");
        }
        assert_eq!(row[2], Value::Float(0.5), "{b}");
        assert_eq!(row[3], Value::Int(i64::MAX), "{b}");
    }
}

#[tokio::test]
async fn operations_run_only_if_needed() {
    for (t, mut db) in databases("mig_needed").await {
        let b = t.backend.name();
        apply(&mut db, PLUGIN, &[init()]).await.unwrap();
        db.execute_raw("INSERT INTO _tool_mt_projects (connection_id, id, name, url) VALUES (1, 'p1', 'P', 'u')").await.unwrap();
        let second = script(20240105000000, "again", |b| {
            b.create_table::<snap::MtProject>()
                .add_column("_tool_mt_projects", "url", "text")
                .drop_column("_tool_mt_projects", "nothing")
                .drop_table("_tool_mt_nothing")
                .rename_table("_tool_mt_nothing", "_tool_mt_other")
                .rename_column("_tool_mt_projects", "nothing", "other")
                // The new name exists: DevLake drops it, then renames.
                .rename_column("_tool_mt_projects", "url", "name");
        });
        let report = apply(&mut db, PLUGIN, &[init(), second])
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(report.already_applied, vec![20240101000000], "{b}");
        let outcomes: Vec<Outcome> = report.applied[0]
            .operations
            .iter()
            .map(|o| o.outcome.clone())
            .collect();
        assert_eq!(
            outcomes,
            vec![
                Outcome::Skipped("table exists".into()),
                Outcome::Skipped("column exists".into()),
                Outcome::Skipped("no such column".into()),
                Outcome::Skipped("no such table".into()),
                Outcome::Skipped("no table _tool_mt_nothing".into()),
                Outcome::Skipped("no column nothing".into()),
                Outcome::Ran,
            ],
            "{b}"
        );
        // The row survived; `name` now holds what `url` held.
        assert_eq!(
            texts(&mut db, "SELECT name FROM _tool_mt_projects").await,
            vec!["u"],
            "{b}"
        );
        assert!(
            !db.has_column("_tool_mt_projects", "url").await.unwrap(),
            "{b}"
        );
    }
}

#[tokio::test]
async fn a_rerun_is_a_noop_and_new_scripts_run_alone() {
    for (t, mut db) in databases("mig_rerun").await {
        let b = t.backend.name();
        let first = apply(&mut db, PLUGIN, &[init(), alter()]).await.unwrap();
        assert_eq!(first.applied.len(), 2, "{b}");
        let again = apply(&mut db, PLUGIN, &[init(), alter()]).await.unwrap();
        assert!(again.is_noop(), "{b}: {again:?}");
        assert_eq!(
            again.already_applied,
            vec![20240101000000, 20240102000000],
            "{b}"
        );
        let third = apply(&mut db, PLUGIN, &[init(), alter(), cleanup()])
            .await
            .unwrap();
        assert_eq!(
            third.applied.iter().map(|s| s.version).collect::<Vec<_>>(),
            vec![20240103000000],
            "{b}"
        );
        assert!(
            apply(&mut db, PLUGIN, &[init(), alter(), cleanup()])
                .await
                .unwrap()
                .is_noop(),
            "{b}"
        );
    }
}

#[tokio::test]
async fn history_uses_devlakes_table() {
    for (t, mut db) in databases("mig_history").await {
        let b = t.backend.name();
        apply(&mut db, PLUGIN, &[init(), alter()]).await.unwrap();
        let cols = db.columns(HISTORY_TABLE).await.unwrap();
        assert_eq!(
            cols,
            ["created_at", "script_version", "script_name", "comment"],
            "{b}"
        );
        let rows = db
            .fetch_all(
                "SELECT script_version, script_name, comment FROM _devlake_migration_history ORDER BY script_version",
                vec![],
            )
            .await
            .unwrap();
        let rows: Vec<(i64, String, String)> = rows
            .into_iter()
            .map(|r| match (&r[0], &r[1], &r[2]) {
                (Value::Int(v), Value::Text(n), Value::Text(c)) => (*v, n.clone(), c.clone()),
                other => panic!("{b}: {other:?}"),
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                (20240101000000, "init".into(), "mt".into()),
                (20240102000000, "alter".into(), "mt".into())
            ],
            "{b}"
        );
        let n = db
            .count(HISTORY_TABLE, Some(("created_at IS NOT NULL", vec![])))
            .await
            .unwrap();
        assert_eq!(n, 2, "{b}");

        // A script the Go server recorded (same version and name) is not run again.
        let d = db.dialect();
        db.execute(
            &format!(
                "INSERT INTO _devlake_migration_history (script_version, script_name, comment) VALUES ({}, {}, {})",
                d.placeholder(1),
                d.placeholder(2),
                d.placeholder(3)
            ),
            vec![Value::Int(20240103000000), Value::Text("cleanup".into()), Value::Text("mt".into())],
        )
        .await
        .unwrap();
        assert!(
            apply(&mut db, PLUGIN, &[init(), alter(), cleanup()])
                .await
                .unwrap()
                .is_noop(),
            "{b}"
        );
        assert!(
            db.has_column("_tool_mt_pipelines", "url").await.unwrap(),
            "{b}"
        );
    }
}

#[tokio::test]
async fn a_failing_script_says_what_was_and_was_not_applied() {
    let broken = || {
        script(20240102000000, "broken", |b| {
            b.add_column("_tool_mt_pipelines", "half", "text")
                .execute("THIS IS NOT SQL", None);
        })
    };
    let later = script(20240104000000, "later", |b| {
        b.add_column("_tool_mt_pipelines", "later", "text");
    });
    for (t, mut db) in databases("mig_fail").await {
        let b = t.backend.name();
        let err = apply(&mut db, PLUGIN, &[init(), broken(), later.clone()])
            .await
            .unwrap_err();
        let msg = err.to_string();
        assert!(!msg.contains('\n'), "{b}: one line: {msg}");
        assert!(
            msg.starts_with("plugin mt: migration 20240102000000 \"broken\" failed at operation 2 of 2 (execute `THIS IS NOT SQL`): "),
            "{b}: {msg}"
        );
        assert!(
            msg.ends_with(
                "applied by this run: 20240101000000; not applied: 20240102000000, 20240104000000"
            ),
            "{b}: {msg}"
        );
        let MigrationError::Script(failure) = &err else {
            panic!("{b}: {err:?}")
        };
        let half = db.has_column("_tool_mt_pipelines", "half").await.unwrap();
        if db.dialect() == Dialect::MySql {
            assert!(!failure.rolled_back, "{b}");
            assert_eq!(
                failure.ran,
                vec!["add_column _tool_mt_pipelines.half text"],
                "{b}"
            );
            assert!(msg.contains("MySQL cannot roll back schema changes: these operations of it ran and stay: add_column _tool_mt_pipelines.half text"), "{b}: {msg}");
            assert!(half, "{b}");
        } else {
            assert!(failure.rolled_back, "{b}");
            assert!(
                msg.contains("its transaction was rolled back, nothing of it remains"),
                "{b}: {msg}"
            );
            assert!(!half, "{b}: rolled back");
        }
        assert!(
            !db.has_column("_tool_mt_pipelines", "later").await.unwrap(),
            "{b}"
        );
        assert_eq!(db.count(HISTORY_TABLE, None).await.unwrap(), 1, "{b}");

        // Fixed, the script applies; on MySQL its first operation is no longer needed.
        let fixed = script(20240102000000, "broken", |b| {
            b.add_column("_tool_mt_pipelines", "half", "text")
                .execute("UPDATE _tool_mt_pipelines SET half = 'x'", None);
        });
        let report = apply(&mut db, PLUGIN, &[init(), fixed, later.clone()])
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(report.applied.len(), 2, "{b}");
        let first = &report.applied[0].operations[0].outcome;
        let expected = if db.dialect() == Dialect::MySql {
            Outcome::Skipped("column exists".into())
        } else {
            Outcome::Ran
        };
        assert_eq!(first, &expected, "{b}");
    }
}

#[tokio::test]
async fn ignored_errors_do_not_break_the_transaction() {
    for (t, mut db) in databases("mig_ignore").await {
        let b = t.backend.name();
        let s = script(20240101000000, "tolerant", |b| {
            b.execute_ignoring_errors("DROP INDEX no_such_index", None)
                .execute_with("CREATE TABLE mt_after (x varchar(10))", None, false);
        });
        let report = apply(&mut db, PLUGIN, &[s])
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert!(
            matches!(
                report.applied[0].operations[0].outcome,
                Outcome::ErrorIgnored(_)
            ),
            "{b}"
        );
        assert_eq!(report.applied[0].operations[1].outcome, Outcome::Ran, "{b}");
        assert!(db.has_table("mt_after").await.unwrap(), "{b}");
    }
}

#[tokio::test]
async fn invalid_scripts_are_refused_before_anything_runs() {
    let scripts = vec![
        init(),
        script(20240101000000, "", |_| {}),
        script(2024, "short", |_| {}),
    ];
    let problems = check(&scripts).unwrap_err();
    assert_eq!(problems.len(), 4, "{problems:?}");
    assert!(
        problems[1].ends_with("version 20240101000000 is also used by #1"),
        "{problems:?}"
    );
    for (t, mut db) in databases("mig_invalid").await {
        let err = apply(&mut db, PLUGIN, &scripts).await.unwrap_err();
        assert!(matches!(err, MigrationError::Invalid { .. }), "{err:?}");
        assert!(
            err.to_string()
                .contains("version 2024 is not 14 digits (YYYYMMDDhhmmss)"),
            "{err}"
        );
        assert!(
            db.tables().await.unwrap().is_empty(),
            "{}: nothing created",
            t.backend.name()
        );
    }
}

#[tokio::test]
async fn model_columns_match_names_each_difference() {
    for (t, mut db) in databases("mig_match").await {
        let b = t.backend.name();
        let desc = snap::MtPipelineNow::descriptor();
        assert_eq!(
            model_columns_match(&mut db, desc).await.unwrap(),
            vec!["table _tool_mt_pipelines of model MtPipelineNow does not exist"],
            "{b}"
        );
        apply(&mut db, PLUGIN, &[init(), alter()]).await.unwrap();
        let mut diff = model_columns_match(&mut db, desc).await.unwrap();
        diff.sort();
        assert_eq!(
            diff,
            vec![
                "table _tool_mt_pipelines has column code that model MtPipelineNow does not declare",
                "table _tool_mt_pipelines has column count2 that model MtPipelineNow does not declare",
                "table _tool_mt_pipelines has column flag that model MtPipelineNow does not declare",
                "table _tool_mt_pipelines has column legacy that model MtPipelineNow does not declare",
                "table _tool_mt_pipelines has column score that model MtPipelineNow does not declare",
                "table _tool_mt_pipelines has column url that model MtPipelineNow does not declare",
                "table _tool_mt_pipelines lacks column link of model MtPipelineNow",
            ],
            "{b}"
        );
    }
}

/// pydevlake's own fake-plugin scripts, as its plugin-info carries them, apply cleanly.
#[tokio::test]
async fn pydevlakes_fakeplugin_scripts_apply() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/pydevlake/plugin-info.json"
    );
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let scripts: Vec<MigrationScript> =
        serde_json::from_value(info["migration_scripts"].clone()).unwrap();
    assert_eq!(
        serde_json::to_value(&scripts).unwrap(),
        info["migration_scripts"],
        "round trip keeps the wire format"
    );
    check(&scripts).unwrap();
    for (t, mut db) in databases("mig_pydevlake").await {
        let b = t.backend.name();
        let report = apply(&mut db, "fake", &scripts)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(report.applied.len(), 2, "{b}");
        let cols = db.columns("_tool_fakeplugin_fakepipelines").await.unwrap();
        assert_eq!(
            cols,
            [
                "created_at",
                "updated_at",
                "_raw_data_params",
                "_raw_data_table",
                "_raw_data_id",
                "_raw_data_remark",
                "connection_id",
                "id",
                "started_at",
                "finished_at",
                "state"
            ],
            "{b}"
        );
        for table in [
            "_tool_fakeplugin_fakeconnections",
            "_tool_fakeplugin_fakeprojects",
            "_tool_fakeplugin_fakescopeconfigs",
        ] {
            assert!(db.has_table(table).await.unwrap(), "{b}: {table}");
        }
    }
}
