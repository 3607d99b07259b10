//! Issue 17: batch writes and page reads through each database's fast path (SQLite: one
//! statement stepped per row on sqlx's own handle) keep every value as it was written, at
//! the edges of each column type, upsert over existing rows, and leave nothing of a batch
//! that fails part-way.

use devlake::db::ddl::ensure_table;
use devlake::db::write::{InsertPlan, OnConflict};
use devlake::db::{Db, DbError};
use devlake::model::{Column, ColumnType, ColumnValue, DateTime, Field, Value};
use devlake::testing::{Backend, TestDatabase};
use serde_json::json;

const TABLE: &str = "_tool_fast_edges";

fn columns() -> Vec<Column> {
    vec![
        Field {
            primary_key: true,
            max_length: Some(255),
            ..Field::new("id", "id", ColumnType::String)
        },
        Field::new("n", "n", ColumnType::Integer),
        Field::new("f", "f", ColumnType::Float),
        Field::new("s", "s", ColumnType::String),
        Field {
            nullable: true,
            ..Field::new("opt", "opt", ColumnType::String)
        },
        Field::new("j", "j", ColumnType::Object),
        Field::new("at", "at", ColumnType::DateTime),
        Field::new("flag", "flag", ColumnType::Boolean),
    ]
}

/// One row as the model codecs read it back.
#[derive(Debug, Clone, PartialEq)]
struct Edge {
    id: String,
    n: i64,
    f: f64,
    s: String,
    opt: Option<String>,
    j: serde_json::Value,
    at: DateTime,
    flag: bool,
}

impl Edge {
    fn values(&self) -> Vec<Value> {
        vec![
            self.id.to_value(),
            self.n.to_value(),
            self.f.to_value(),
            self.s.to_value(),
            self.opt.to_value(),
            self.j.to_value(),
            self.at.to_value(),
            self.flag.to_value(),
        ]
    }

    fn from_row(row: Vec<Value>) -> Edge {
        let mut it = row.into_iter();
        let mut next = || it.next().expect("a column");
        Edge {
            id: String::from_value(next()).unwrap(),
            n: i64::from_value(next()).unwrap(),
            f: f64::from_value(next()).unwrap(),
            s: String::from_value(next()).unwrap(),
            opt: Option::<String>::from_value(next()).unwrap(),
            j: serde_json::Value::from_value(next()).unwrap(),
            at: DateTime::from_value(next()).unwrap(),
            flag: bool::from_value(next()).unwrap(),
        }
    }
}

fn at(s: &str) -> DateTime {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().into()
}

fn edges() -> Vec<Edge> {
    vec![
        Edge {
            id: "min".into(),
            n: i64::MIN,
            f: -1.5e300,
            s: String::new(),
            opt: None,
            j: json!({}),
            at: at("1970-01-01T00:00:00.000001Z"),
            flag: false,
        },
        Edge {
            id: "max".into(),
            n: i64::MAX,
            f: 0.1 + 0.2,
            s: "Ünïcödé 'quoted' \"double\" `back` ; -- not a comment \\ \u{1F600}".into(),
            opt: Some(String::new()),
            j: json!({"a": [1, 2.5, null, true], "b": {"c": "d'e\"f"}, "é": ""}),
            at: at("2038-01-19T03:14:08.123456Z"),
            flag: true,
        },
        Edge {
            id: "zero".into(),
            n: 0,
            f: f64::MIN_POSITIVE,
            s: "line\nbreak\ttab".into(),
            opt: Some("NULL".into()),
            j: json!({"big": i64::MAX, "neg": i64::MIN}),
            at: at("9999-12-31T23:59:59.999999Z"),
            flag: false,
        },
    ]
}

async fn read_all(db: &mut Db) -> Vec<Edge> {
    let cols: Vec<String> = columns().iter().map(|c| db.quote(c.name)).collect();
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {}",
        cols.join(", "),
        db.quote(TABLE),
        db.quote("id")
    );
    let rows = db.fetch_all(&sql, vec![]).await.unwrap();
    rows.into_iter().map(Edge::from_row).collect()
}

async fn setup(backend: Backend, tag: &str) -> Option<(TestDatabase, Db, InsertPlan)> {
    let tdb = TestDatabase::create(backend, tag).await?;
    let mut db = tdb.connect().await;
    ensure_table(&mut db, TABLE, &columns()).await.unwrap();
    let plan = InsertPlan::new(db.dialect(), TABLE, columns(), OnConflict::Update);
    Some((tdb, db, plan))
}

fn sorted(mut v: Vec<Edge>) -> Vec<Edge> {
    v.sort_by(|a, b| a.id.cmp(&b.id));
    v
}

async fn edges_round_trip(backend: Backend) {
    let Some((_tdb, mut db, mut plan)) = setup(backend, "fast edges").await else {
        return;
    };
    let want = edges();
    let n = plan
        .write(&mut db, want.iter().map(Edge::values).collect())
        .await
        .unwrap();
    assert_eq!(n, want.len());
    let got = read_all(&mut db).await;
    // MariaDB's datetime(3) keeps milliseconds; the others keep microseconds.
    let want: Vec<Edge> = sorted(want)
        .into_iter()
        .map(|mut e| {
            if backend == Backend::MySql {
                e.at = chrono::SubsecRound::trunc_subsecs(e.at, 3);
            }
            e
        })
        .collect();
    assert_eq!(got, want, "{backend:?}");
}

#[tokio::test]
async fn edge_values_round_trip_on_sqlite() {
    edges_round_trip(Backend::Sqlite).await
}

#[tokio::test]
async fn edge_values_round_trip_on_mariadb() {
    edges_round_trip(Backend::MySql).await
}

#[tokio::test]
async fn edge_values_round_trip_on_postgres() {
    edges_round_trip(Backend::Postgres).await
}

/// Upserts replace the columns of existing rows, inside a transaction as outside one, and
/// a key repeated within one batch keeps its last row.
async fn upserts_replace_existing_rows(backend: Backend) {
    let Some((_tdb, mut db, mut plan)) = setup(backend, "fast upsert").await else {
        return;
    };
    let first = edges();
    plan.write(&mut db, first.iter().map(Edge::values).collect())
        .await
        .unwrap();
    let mut changed = first.clone();
    for (i, e) in changed.iter_mut().enumerate() {
        e.n = i as i64 * 10;
        e.s = format!("changed {i}");
        e.opt = None;
    }
    let mut twice = changed[0].clone();
    twice.s = "last wins".into();
    let mut rows: Vec<Vec<Value>> = changed.iter().map(Edge::values).collect();
    rows.push(twice.values());
    db.begin().await.unwrap();
    plan.write(&mut db, rows).await.unwrap();
    db.commit().await.unwrap();
    let got = read_all(&mut db).await;
    assert_eq!(got.len(), 3, "{backend:?}");
    let min = got.iter().find(|e| e.id == "min").unwrap();
    assert_eq!(min.s, "last wins", "{backend:?}");
    let max = got.iter().find(|e| e.id == "max").unwrap();
    assert_eq!((max.n, max.s.as_str(), &max.opt), (10, "changed 1", &None));
}

#[tokio::test]
async fn upserts_replace_existing_rows_on_every_database() {
    for backend in Backend::ALL {
        upserts_replace_existing_rows(backend).await;
    }
}

/// A batch whose 601st row repeats a key writes none of its rows, and the error
/// names the table; rows written before the batch (in the same transaction) stay.
async fn failing_batch_leaves_nothing(backend: Backend) {
    let Some((_tdb, mut db, _)) = setup(backend, "fast failure").await else {
        return;
    };
    let mut plan = InsertPlan::new(db.dialect(), TABLE, columns(), OnConflict::Error);
    let row = |i: usize| {
        Edge {
            id: format!("r{i:04}"),
            ..edges()[1].clone()
        }
        .values()
    };
    for in_tx in [false, true] {
        if in_tx {
            db.begin().await.unwrap();
            plan.write(&mut db, vec![row(9999)]).await.unwrap();
        }
        let mut rows: Vec<Vec<Value>> = (0..1000).map(row).collect();
        rows[600] = row(0); // a duplicate key
        let err = plan.write(&mut db, rows).await.unwrap_err();
        assert!(matches!(err, DbError::Query { .. }), "{backend:?}: {err}");
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("writing 1000 rows to {TABLE}: ")),
            "{backend:?}: {msg}"
        );
        if in_tx {
            // The transaction goes on: the batch's rows are gone, the earlier row stays.
            plan.write(&mut db, vec![row(9998)])
                .await
                .unwrap_or_else(|e| {
                    panic!("{backend:?}: the transaction is still usable after a failed batch: {e}")
                });
            db.commit().await.unwrap();
        }
        let ids: Vec<String> = read_all(&mut db).await.into_iter().map(|e| e.id).collect();
        let want: Vec<&str> = if in_tx {
            vec!["r9998", "r9999"]
        } else {
            vec![]
        };
        assert_eq!(ids, want, "{backend:?} in_tx={in_tx}");
    }
}

#[tokio::test]
async fn failing_batch_leaves_nothing_on_sqlite() {
    failing_batch_leaves_nothing(Backend::Sqlite).await
}

/// Reads see the connection's own uncommitted writes (the fast path runs on the same
/// connection, inside the same transaction) and a rollback undoes fast-path writes.
#[tokio::test]
async fn fast_writes_belong_to_the_open_transaction() {
    let Some((_tdb, mut db, mut plan)) = setup(Backend::Sqlite, "fast tx").await else {
        return;
    };
    db.begin().await.unwrap();
    plan.write(&mut db, edges().iter().map(Edge::values).collect())
        .await
        .unwrap();
    assert_eq!(db.count(TABLE, None).await.unwrap(), 3);
    db.rollback().await.unwrap();
    assert_eq!(db.count(TABLE, None).await.unwrap(), 0);
}

/// A read of a table that does not exist names the statement, as on the sqlx path; a
/// decode of text that is not UTF-8 names the column.
#[tokio::test]
async fn fast_read_errors_name_what_failed() {
    let Some((_tdb, mut db, _)) = setup(Backend::Sqlite, "fast read errors").await else {
        return;
    };
    let msg = db
        .fetch_all(
            "SELECT a FROM \"_tool_nosuch\" WHERE id > ?",
            vec![Value::Int(1)],
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(
        msg.starts_with(
            "SELECT FROM _tool_nosuch: error returned from database: (code: 1) no such table"
        ),
        "{msg}"
    );
    let msg = db
        .fetch_all("SELECT CAST(x'ff' AS TEXT) AS broken", vec![])
        .await
        .unwrap_err()
        .to_string();
    assert!(msg.starts_with("column broken: "), "{msg}");
}
