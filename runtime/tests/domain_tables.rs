//! The domain layer against DevLake's own: every table's columns, key, SQL types and Go
//! struct name match DevLake's Go domain layer (`tests/fixtures/devlake-domain`, vendored from DevLake), and a row
//! round-trips through every table on SQLite, MariaDB and PostgreSQL.

use chrono::{Duration, TimeZone, Utc};
use devlake::db::write::{InsertPlan, OnConflict};
use devlake::db::{ddl, Db, Dialect};
use devlake::domain::{self, code, codequality, crossdomain, devops, qa, ticket};
use devlake::model::{ColumnType, Field, Model, ModelDescriptor, ModelKind, Value};
use devlake::plugin::AnyDomainScope;
use devlake::stream::{DomainSink, Layout, Origin};
use devlake::testing::{Backend, TestDatabase};
use serde_json::Value as Json;
use std::collections::BTreeSet;
use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;

const TABLES_JSON: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/devlake-domain/tables.json"
);

type RoundTrip = for<'a> fn(&'a mut Db) -> Pin<Box<dyn Future<Output = Result<(), String>> + 'a>>;

/// A domain model with its type kept: the round trip needs `M::from_values`.
struct Entry {
    desc: &'static ModelDescriptor,
    round_trip: RoundTrip,
}

fn entry<M: Model + Clone + PartialEq + Debug>() -> Entry {
    Entry {
        desc: M::descriptor(),
        round_trip: boxed_round_trip::<M>,
    }
}

fn boxed_round_trip<M: Model + Clone + PartialEq + Debug>(
    db: &mut Db,
) -> Pin<Box<dyn Future<Output = Result<(), String>> + '_>> {
    Box::pin(round_trip::<M>(db))
}

/// Every domain model by type; checked against `domain::all_tables()` so neither drifts.
fn entries() -> Vec<Entry> {
    vec![
        entry::<code::Commit>(),
        entry::<code::CommitFile>(),
        entry::<code::CommitFileComponent>(),
        entry::<code::CommitParent>(),
        entry::<code::Component>(),
        entry::<code::CommitLineChange>(),
        entry::<code::PullRequest>(),
        entry::<code::PullRequestComment>(),
        entry::<code::PullRequestCommit>(),
        entry::<code::PullRequestLabel>(),
        entry::<code::PullRequestReviewer>(),
        entry::<code::PullRequestAssignee>(),
        entry::<code::Ref>(),
        entry::<code::CommitsDiff>(),
        entry::<code::RefCommit>(),
        entry::<code::RefsPrCherrypick>(),
        entry::<code::Repo>(),
        entry::<code::RepoCommit>(),
        entry::<code::RepoLanguage>(),
        entry::<code::RepoSnapshot>(),
        entry::<codequality::CqProject>(),
        entry::<codequality::CqIssue>(),
        entry::<codequality::CqIssueCodeBlock>(),
        entry::<codequality::CqIssueImpact>(),
        entry::<codequality::CqFileMetrics>(),
        entry::<crossdomain::Account>(),
        entry::<crossdomain::BoardRepo>(),
        entry::<crossdomain::IssueCommit>(),
        entry::<crossdomain::IssueRepoCommit>(),
        entry::<crossdomain::ProjectMapping>(),
        entry::<crossdomain::ProjectIncidentDeploymentRelationship>(),
        entry::<crossdomain::ProjectPrMetric>(),
        entry::<crossdomain::PullRequestIssue>(),
        entry::<crossdomain::RefsIssuesDiff>(),
        entry::<crossdomain::Team>(),
        entry::<crossdomain::TeamUser>(),
        entry::<crossdomain::User>(),
        entry::<crossdomain::UserAccount>(),
        entry::<devops::CicdScope>(),
        entry::<devops::CicdPipeline>(),
        entry::<devops::CicdTask>(),
        entry::<devops::CicdPipelineCommit>(),
        entry::<devops::CicdDeployment>(),
        entry::<devops::CicdDeploymentCommit>(),
        entry::<devops::CicdRelease>(),
        entry::<qa::QaProject>(),
        entry::<qa::QaApi>(),
        entry::<qa::QaTestCase>(),
        entry::<qa::QaTestCaseExecution>(),
        entry::<ticket::Board>(),
        entry::<ticket::BoardIssue>(),
        entry::<ticket::BoardSprint>(),
        entry::<ticket::Issue>(),
        entry::<ticket::IssueChangelog>(),
        entry::<ticket::IssueComment>(),
        entry::<ticket::IssueLabel>(),
        entry::<ticket::IssueWorklog>(),
        entry::<ticket::Sprint>(),
        entry::<ticket::SprintIssue>(),
        entry::<ticket::IssueAssignee>(),
        entry::<ticket::IssueRelationship>(),
        entry::<ticket::IssueCustomArrayField>(),
        entry::<ticket::Incident>(),
        entry::<ticket::IncidentAssignee>(),
    ]
}

fn tables_json() -> serde_json::Map<String, Json> {
    let text = std::fs::read_to_string(TABLES_JSON).unwrap_or_else(|e| {
        panic!(
            "cannot read DevLake's domain tables at {TABLES_JSON}: {e} \
             (vendored from DevLake's domain layer)"
        )
    });
    match serde_json::from_str(&text) {
        Ok(Json::Object(map)) => map,
        Ok(_) => panic!("{TABLES_JSON}: expected a JSON object keyed by table name"),
        Err(e) => panic!("{TABLES_JSON}: not JSON: {e}"),
    }
}

/// The MySQL type gorm gives a Go field, as DevLake's `AutoMigrate` creates it.
fn gorm_mysql_type(go_type: &str, gorm: &str) -> String {
    let tags: Vec<&str> = gorm.split(';').collect();
    if let Some(t) = tags.iter().find_map(|t| t.strip_prefix("type:")) {
        return t.to_ascii_lowercase();
    }
    match go_type {
        "string" if tags.contains(&"index") => "varchar(191)",
        "string" => "longtext",
        "time.Time" | "*time.Time" | "*common.Iso8601Time" => "datetime(3)",
        "int" | "*int64" => "bigint",
        "*uint" | "uint64" => "bigint unsigned",
        "float64" | "*float64" => "double",
        "bool" => "boolean",
        other => panic!("no gorm MySQL type known for Go type {other}"),
    }
    .to_string()
}

fn names(cols: &[Field]) -> BTreeSet<&str> {
    cols.iter().map(|c| c.name).collect()
}

fn json_strings(v: &Json) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default()
}

#[test]
fn registry_lists_every_table_once_sorted() {
    let all = domain::all_tables();
    let tables: Vec<&str> = all.iter().map(|d| d.table).collect();
    let mut sorted = tables.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        tables, sorted,
        "all_tables() must be sorted by table, without duplicates"
    );
    assert_eq!(all.len(), 64);
    let mut typed: Vec<&str> = entries().iter().map(|e| e.desc.table).collect();
    typed.sort();
    assert_eq!(
        typed, tables,
        "this test's typed list and all_tables() differ"
    );
}

#[test]
fn tables_match_devlake_domain_layer() {
    let reference = tables_json();
    let ours = domain::all_tables();
    let mut failures = Vec::new();

    let ref_tables: BTreeSet<&str> = reference.keys().map(String::as_str).collect();
    let our_tables: BTreeSet<&str> = ours.iter().map(|d| d.table).collect();
    for t in ref_tables.difference(&our_tables) {
        failures.push(format!("{t}: DevLake table has no Rust struct"));
    }
    for t in our_tables.difference(&ref_tables) {
        failures.push(format!("{t}: not a DevLake domain table"));
    }

    for desc in &ours {
        let Some(spec) = reference.get(desc.table) else {
            continue;
        };
        let t = desc.table;
        if spec["go_struct"].as_str() != Some(desc.name) {
            failures.push(format!(
                "{t}: name {} but DevLake's struct is {}",
                desc.name, spec["go_struct"]
            ));
        }
        let cols = desc.columns();
        let spec_cols = spec["columns"].as_object().expect("columns object");
        let expected: BTreeSet<&str> = spec_cols.keys().map(String::as_str).collect();
        let actual = names(&cols);
        let missing: Vec<_> = expected.difference(&actual).collect();
        let extra: Vec<_> = actual.difference(&expected).collect();
        if !missing.is_empty() || !extra.is_empty() {
            failures.push(format!("{t}: columns missing {missing:?}, extra {extra:?}"));
        }
        let pk: Vec<&str> = cols
            .iter()
            .filter(|c| c.primary_key)
            .map(|c| c.name)
            .collect();
        let spec_pk = json_strings(&spec["primary_key"]);
        if pk != spec_pk {
            failures.push(format!("{t}: primary key {pk:?}, DevLake's is {spec_pk:?}"));
        }
        // Declared columns only: the framework's common columns are checked elsewhere.
        for f in desc.fields {
            let Some(c) = spec_cols.get(f.name) else {
                continue;
            };
            let want = gorm_mysql_type(
                c["go_type"].as_str().unwrap_or_default(),
                c["gorm"].as_str().unwrap_or_default(),
            );
            let got = ddl::sql_type(f, Dialect::MySql).to_ascii_lowercase();
            if got != want {
                failures.push(format!(
                    "{t}.{}: SQL type {got}, DevLake's is {want}",
                    f.name
                ));
            }
        }
        let has_common = spec_cols.contains_key("created_at");
        if has_common != (desc.kind == ModelKind::Domain) {
            failures.push(format!(
                "{t}: kind {:?} but DevLake common columns: {has_common}",
                desc.kind
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} differences from DevLake:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn domain_scopes_use_devlake_type_names_and_json_keys() {
    use devlake::domain::DomainScope;
    // The names DevLake's make-pipeline accepts (`dynamic_domain_scopes.go`).
    assert_eq!(code::Repo::TYPE_NAME, "Repo");
    assert_eq!(ticket::Board::TYPE_NAME, "Board");
    assert_eq!(devops::CicdScope::TYPE_NAME, "CicdScope");
    assert_eq!(codequality::CqProject::TYPE_NAME, "CqProject");

    let when = Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap();
    let repo = code::Repo {
        name: "r".into(),
        owner_id: Some("o".into()),
        forked_from: Some("f".into()),
        created_date: Some(when),
        ..Default::default()
    };
    let any = AnyDomainScope::from(repo);
    assert_eq!(any.type_name, "Repo");
    // Go's `json:"owner_id"` tags: camelCase keys would be dropped by DevLake's Unmarshal.
    for key in ["name", "owner_id", "forked_from", "created_date"] {
        assert!(
            any.data.contains_key(key),
            "Repo scope JSON lacks {key}: {:?}",
            any.data
        );
    }
    let board = AnyDomainScope::from(ticket::Board {
        name: "b".into(),
        ..Default::default()
    });
    assert_eq!(
        (board.type_name, board.data.get("name")),
        ("Board", Some(&Json::from("b")))
    );
}

/// The declared length of a string column (`varchar(n)`), if any.
fn varchar_len(f: &Field) -> Option<usize> {
    let t = f.sql_type?.to_ascii_lowercase();
    t.strip_prefix("varchar(")?.strip_suffix(')')?.parse().ok()
}

/// A value for one declared field: keys never change with `variant`, other columns do, so
/// a second write of the same keys is an update.
fn sample(f: &Field, index: usize, variant: usize) -> Value {
    let v = if f.primary_key { 0 } else { variant };
    match f.column_type {
        ColumnType::Enum(info) => {
            Value::Text(info.db_names[(index + v) % info.db_names.len()].into())
        }
        // Non-ASCII on purpose: MariaDB tables must be utf8mb4.
        ColumnType::String => {
            let text = format!("{v}{index} é✓😀 {}", f.name);
            Value::Text(
                text.chars()
                    .take(varchar_len(f).unwrap_or(usize::MAX))
                    .collect(),
            )
        }
        ColumnType::Integer => Value::Int((1000 + 10 * index + v) as i64),
        ColumnType::Float => Value::Float(0.5 + index as f64 + v as f64),
        ColumnType::Boolean => Value::Bool((index + v) & 1 == 0),
        ColumnType::DateTime => {
            let base = Utc.with_ymd_and_hms(2024, 2, 29, 12, 34, 56).unwrap()
                + Duration::milliseconds(789);
            Value::DateTime(base + Duration::days(index as i64) + Duration::hours(v as i64))
        }
        other => panic!("{}: no sample for {other:?}", f.name),
    }
}

fn model<M: Model>(variant: usize) -> Result<M, String> {
    let desc = M::descriptor();
    let mut values = desc
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| sample(f, i, variant));
    M::from_values(&mut values).map_err(|e| format!("{}: building a sample: {e}", desc.table))
}

/// Writes an older and a newer row with the same key (the newer must replace it; tables
/// without a key get the newer only), reads the table back and compares.
async fn round_trip<M: Model + Clone + PartialEq + Debug>(db: &mut Db) -> Result<(), String> {
    let desc = M::descriptor();
    let table = desc.table;
    let fail = |what: &str, e: &dyn std::fmt::Display| format!("{table}: {what}: {e}");
    ddl::ensure_table(db, table, &desc.columns())
        .await
        .map_err(|e| fail("create", &e))?;

    let created: BTreeSet<String> = db
        .columns(table)
        .await
        .map_err(|e| fail("columns", &e))?
        .into_iter()
        .collect();
    let declared: BTreeSet<String> = desc.columns().iter().map(|c| c.name.to_string()).collect();
    if created != declared {
        return Err(format!(
            "{table}: created columns {created:?}, expected {declared:?}"
        ));
    }

    let layout = Layout::of(desc);
    let origin = Origin {
        params: Some(r#"{"ConnectionId":1,"ScopeId":"s"}"#.into()),
        table: Some("_raw_test".into()),
        id: Some(7),
        remark: None,
    };
    let now = Utc::now();
    let newer: M = model(2)?;
    let mut rows = Vec::new();
    if desc.primary_key_fields().next().is_some() {
        rows.push(layout.row(&model::<M>(1)?, 1, &origin, now, None));
    }
    rows.push(layout.row(&newer, 1, &origin, now, None));
    let mut plan = InsertPlan::new(
        db.dialect(),
        table,
        layout.columns().to_vec(),
        OnConflict::Update,
    );
    for row in rows {
        // One statement per row: the second must hit the first's key.
        plan.write(db, vec![row])
            .await
            .map_err(|e| fail("write", &e))?;
    }

    // What a converter does: push into the sink, which keeps it as the same model.
    let mut sink = DomainSink::new(db.dialect(), "domain_tables", 1, &[desc]);
    sink.push(newer.clone())
        .map_err(|e| fail("DomainSink::push", &e))?;
    if sink.take::<M>() != [newer.clone()] {
        return Err(format!("{table}: DomainSink changed the model"));
    }

    let cols: Vec<String> = desc.fields.iter().map(|f| db.quote(f.name)).collect();
    let sql = format!("SELECT {} FROM {}", cols.join(", "), db.quote(table));
    let read = db
        .fetch_all(&sql, vec![])
        .await
        .map_err(|e| fail("read", &e))?;
    if read.len() != 1 {
        return Err(format!(
            "{table}: expected 1 row after the upsert, found {}",
            read.len()
        ));
    }
    let back = M::from_values(&mut read.into_iter().next().unwrap().into_iter())
        .map_err(|e| fail("decode", &e))?;
    if back != newer {
        return Err(format!(
            "{table}: read back\n  {back:?}\nwrote\n  {newer:?}"
        ));
    }
    Ok(())
}

async fn round_trip_all(backend: Backend) {
    let Some(test_db) = TestDatabase::create(backend, "domain_tables").await else {
        return;
    };
    let mut db = test_db.connect().await;
    let mut failures = Vec::new();
    for e in entries() {
        if let Err(msg) = (e.round_trip)(&mut db).await {
            failures.push(msg);
        }
        assert!(
            db.has_table(e.desc.table).await.unwrap_or(false),
            "{}: not created",
            e.desc.table
        );
    }
    assert!(
        failures.is_empty(),
        "{}: {} tables failed:\n{}",
        backend.name(),
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn every_table_round_trips_on_sqlite() {
    round_trip_all(Backend::Sqlite).await;
}

#[tokio::test]
async fn every_table_round_trips_on_mariadb() {
    round_trip_all(Backend::MySql).await;
}

#[tokio::test]
async fn every_table_round_trips_on_postgres() {
    round_trip_all(Backend::Postgres).await;
}
