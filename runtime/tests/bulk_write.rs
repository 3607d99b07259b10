//! Issue 17: the bulk write path (PostgreSQL: `COPY` for inserts, one `unnest` statement
//! for upserts) stores exactly what the multi-row `INSERT` stores, updates existing rows
//! the same way, and leaves nothing of a batch that fails. SQLite and MariaDB, which
//! write every batch the old way, run the same checks as a reference.
//!
//! A batch of at least 64 rows goes through the bulk path; the same rows written in
//! batches of 10 go the old way, and the two tables must read back identical.

use devlake::db::ddl::ensure_table;
use devlake::db::write::{InsertPlan, OnConflict};
use devlake::db::Db;
use devlake::model::{Column, ColumnType, Field, Value};
use devlake::testing::{Backend, TestDatabase};
use serde_json::json;

/// Rows per batch the old path gets (below the bulk paths' minimum).
const SMALL: usize = 10;

fn columns() -> Vec<Column> {
    let opt = |name: &'static str, t: ColumnType| Field {
        nullable: true,
        ..Field::new(name, name, t)
    };
    vec![
        Field {
            primary_key: true,
            ..Field::new("id", "id", ColumnType::String)
        },
        opt("n", ColumnType::Integer),
        opt("f", ColumnType::Float),
        opt("b", ColumnType::Boolean),
        opt("s", ColumnType::String),
        Field {
            max_length: Some(255),
            ..opt("v", ColumnType::String)
        },
        opt("t", ColumnType::DateTime),
        opt("o", ColumnType::Object),
        opt("a", ColumnType::Array(None)),
        opt("by", ColumnType::Bytes),
    ]
}

fn ts(secs: i64, micros: u32) -> Value {
    Value::DateTime(chrono::DateTime::from_timestamp(secs, micros * 1000).unwrap())
}

/// Every column type's edge values, then ordinary rows up to `n` rows.
fn edge_rows(n: usize) -> Vec<Vec<Value>> {
    let text = |s: &str| Value::Text(s.to_string());
    let mut rows = vec![
        vec![
            text("min"),
            Value::Int(i64::MIN),
            Value::Float(-0.0),
            Value::Bool(false),
            text(""),
            text(""),
            ts(0, 0),
            Value::Json(json!({})),
            Value::Json(json!([])),
            Value::Bytes(vec![]),
        ],
        vec![
            text("max"),
            Value::Int(i64::MAX),
            Value::Float(1e308),
            Value::Bool(true),
            text("accentué ünïcödé 日本 🚀"),
            text("it's \"quoted\" \\ back\\slash \\n %_"),
            ts(4_102_444_799, 999_999),
            Value::Json(json!({"ключ": "値 🚀", "q": "it's \"x\" \\", "n": [1.5, -2, null]})),
            Value::Json(json!(["a", "b\\c", "é"])),
            Value::Bytes(vec![0, 1, 2, 255, b'\'', b'\\', b'"']),
        ],
        vec![
            text("nulls"),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
        ],
        vec![
            text("tiny floats"),
            Value::Int(0),
            Value::Float(-1e-300),
            Value::Bool(true),
            text("line\nbreak\ttab\r"),
            text("NULL"),
            ts(1_700_000_000, 123_456),
            Value::Json(json!({"big": 9_007_199_254_740_993_i64, "f": 0.1})),
            Value::Json(json!([{"nested": [true, false]}])),
            Value::Bytes("\\N".into()),
        ],
        vec![
            text("ÉtÉ d'été \"x\" \\"),
            Value::Int(-1),
            Value::Float(f64::MIN_POSITIVE),
            Value::Bool(false),
            text(&"long ".repeat(2000)),
            text(&"v".repeat(255)),
            ts(-1, 500_000),
            Value::Json(json!("a string")),
            Value::Json(json!([])),
            Value::Bytes(vec![b'\n'; 3]),
        ],
    ];
    for i in rows.len()..n {
        rows.push(vec![
            text(&format!("row-{i:04}")),
            Value::Int(i as i64 * 1_000_003),
            Value::Float(i as f64 / 7.0),
            Value::Bool(i % 2 == 0),
            text(&format!("text {i}")),
            text(&format!("Row {i}")),
            ts(1_600_000_000 + i as i64, (i as u32 * 7919) % 1_000_000),
            Value::Json(json!({"i": i, "s": format!("é{i}")})),
            Value::Json(json!([i, i + 1])),
            Value::Bytes(format!("{{\"i\":{i}}}").into_bytes()),
        ]);
    }
    rows
}

async fn write(
    db: &mut Db,
    table: &str,
    on_conflict: OnConflict,
    rows: Vec<Vec<Value>>,
    per: usize,
) {
    let mut plan = InsertPlan::new(db.dialect(), table, columns(), on_conflict);
    for chunk in rows.chunks(per) {
        let n = plan.write(db, chunk.to_vec()).await.unwrap();
        assert_eq!(n, chunk.len(), "{table}");
    }
}

/// Every row of a table in key order, `Debug`-formatted (so -0.0 and 0.0 differ).
async fn dump(db: &mut Db, table: &str) -> Vec<String> {
    let names: Vec<String> = columns().iter().map(|c| db.quote(c.name)).collect();
    let sql = format!(
        "SELECT {} FROM {} ORDER BY {}",
        names.join(", "),
        db.quote(table),
        db.quote("id")
    );
    db.fetch_all(&sql, vec![])
        .await
        .unwrap()
        .iter()
        .map(|r| format!("{r:?}"))
        .collect()
}

async fn table(db: &mut Db, name: &str) {
    ensure_table(db, name, &columns()).await.unwrap();
}

async fn edge_values_round_trip(backend: Backend) {
    let Some(tdb) = TestDatabase::create(backend, "bulk edge").await else {
        return;
    };
    let mut db = tdb.connect().await;
    for on_conflict in [OnConflict::Error, OnConflict::Update] {
        let (old, new) = match on_conflict {
            OnConflict::Error => ("edge_old_insert", "edge_new_insert"),
            OnConflict::Update => ("edge_old_upsert", "edge_new_upsert"),
        };
        table(&mut db, old).await;
        table(&mut db, new).await;
        db.begin().await.unwrap();
        write(&mut db, old, on_conflict, edge_rows(200), SMALL).await;
        write(&mut db, new, on_conflict, edge_rows(200), 200).await;
        db.commit().await.unwrap();
        let (want, got) = (dump(&mut db, old).await, dump(&mut db, new).await);
        assert_eq!(got.len(), 200, "{backend:?}");
        assert_eq!(got, want, "{backend:?} {on_conflict:?}");
    }
    // Beyond agreeing with the old path, the values are the ones written.
    let rows = db
        .fetch_all(
            &format!(
                "SELECT {}, {}, {} FROM {} WHERE {} = 'max'",
                db.quote("n"),
                db.quote("s"),
                db.quote("v"),
                db.quote("edge_new_upsert"),
                db.quote("id")
            ),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(rows[0][0], Value::Int(i64::MAX));
    assert_eq!(rows[0][1], Value::Text("accentué ünïcödé 日本 🚀".into()));
    assert_eq!(
        rows[0][2],
        Value::Text("it's \"quoted\" \\ back\\slash \\n %_".into())
    );
}

#[tokio::test]
async fn edge_values_round_trip_on_sqlite() {
    edge_values_round_trip(Backend::Sqlite).await
}

#[tokio::test]
async fn edge_values_round_trip_on_mariadb() {
    edge_values_round_trip(Backend::MySql).await
}

#[tokio::test]
async fn edge_values_round_trip_on_postgres() {
    edge_values_round_trip(Backend::Postgres).await
}

/// Rows of `edge_rows(200)` with every other one changed, plus 100 new ones.
fn updated_rows() -> Vec<Vec<Value>> {
    let mut rows: Vec<Vec<Value>> = edge_rows(200)
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(i, mut r)| {
            r[1] = Value::Int(-(i as i64));
            r[4] = Value::Text(format!("updated {i}"));
            r[7] = Value::Null;
            r
        })
        .collect();
    rows.extend(edge_rows(300).into_iter().skip(200));
    rows
}

async fn upserts_update_existing_rows(backend: Backend) {
    let Some(tdb) = TestDatabase::create(backend, "bulk upsert").await else {
        return;
    };
    let mut db = tdb.connect().await;
    for (t, per) in [("up_old", SMALL), ("up_new", 200)] {
        table(&mut db, t).await;
        db.begin().await.unwrap();
        write(&mut db, t, OnConflict::Update, edge_rows(200), per).await;
        write(&mut db, t, OnConflict::Update, updated_rows(), per).await;
        db.commit().await.unwrap();
    }
    let (want, got) = (dump(&mut db, "up_old").await, dump(&mut db, "up_new").await);
    assert_eq!(got.len(), 300, "{backend:?}");
    assert_eq!(got, want, "{backend:?}");
    assert!(
        got.iter().any(|r| r.contains("updated 199")),
        "{backend:?}: {got:?}"
    );

    // A key repeated within one batch keeps its last row, as before.
    let mut rows = edge_rows(100);
    let mut again = rows[7].clone();
    again[4] = Value::Text("the last one".into());
    rows.push(again);
    let mut plan = InsertPlan::new(db.dialect(), "up_new", columns(), OnConflict::Update);
    plan.write(&mut db, rows).await.unwrap();
    let last = db
        .fetch_all(
            &format!(
                "SELECT {} FROM {} WHERE {} = 'row-0007'",
                db.quote("s"),
                db.quote("up_new"),
                db.quote("id")
            ),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(last, vec![vec![Value::Text("the last one".into())]]);
}

#[tokio::test]
async fn upserts_update_existing_rows_on_sqlite() {
    upserts_update_existing_rows(Backend::Sqlite).await
}

#[tokio::test]
async fn upserts_update_existing_rows_on_mariadb() {
    upserts_update_existing_rows(Backend::MySql).await
}

#[tokio::test]
async fn upserts_update_existing_rows_on_postgres() {
    upserts_update_existing_rows(Backend::Postgres).await
}

async fn failed_batch_leaves_nothing(backend: Backend) {
    let Some(tdb) = TestDatabase::create(backend, "bulk error").await else {
        return;
    };
    let mut db = tdb.connect().await;
    table(&mut db, "err_rows").await;
    let mut plan = InsertPlan::new(db.dialect(), "err_rows", columns(), OnConflict::Error);
    plan.write(&mut db, edge_rows(100)).await.unwrap();

    // A batch whose 80th row repeats a key: the whole batch fails, outside a
    // transaction too, and the error names the batch, not its values.
    let mut bad: Vec<Vec<Value>> = edge_rows(300).into_iter().skip(100).collect();
    bad[80][0] = Value::Text("row-0150".into());
    bad[80][4] = Value::Text("s3cr3t-value".into());
    let err = plan.write(&mut db, bad).await.expect_err("a duplicate key");
    let msg = err.to_string();
    assert!(
        msg.starts_with("writing 200 rows to err_rows: "),
        "{backend:?}: {msg}"
    );
    assert!(!msg.contains("s3cr3t"), "{backend:?}: {msg}");
    assert_eq!(
        db.count("err_rows", None).await.unwrap(),
        100,
        "{backend:?}"
    );

    // Inside a transaction: the rollback takes the good batch too, and the connection
    // goes on working.
    db.begin().await.unwrap();
    plan.write(&mut db, edge_rows(300).into_iter().skip(100).collect())
        .await
        .unwrap();
    let mut bad = edge_rows(400);
    bad.drain(..300);
    bad[50][0] = Value::Text("row-0042".into());
    plan.write(&mut db, bad)
        .await
        .expect_err("a key of the committed batch");
    db.rollback().await.unwrap();
    assert_eq!(
        db.count("err_rows", None).await.unwrap(),
        100,
        "{backend:?}"
    );
    plan.write(&mut db, edge_rows(300).into_iter().skip(100).collect())
        .await
        .unwrap();
    assert_eq!(
        db.count("err_rows", None).await.unwrap(),
        300,
        "{backend:?}"
    );
}

#[tokio::test]
async fn failed_batch_leaves_nothing_on_sqlite() {
    failed_batch_leaves_nothing(Backend::Sqlite).await
}

#[tokio::test]
async fn failed_batch_leaves_nothing_on_mariadb() {
    failed_batch_leaves_nothing(Backend::MySql).await
}

#[tokio::test]
async fn failed_batch_leaves_nothing_on_postgres() {
    failed_batch_leaves_nothing(Backend::Postgres).await
}

/// A table created by someone else with other column types (`int4`, `numeric`, `json`,
/// `varchar` without a length): what the bulk path can encode it encodes for the real
/// type, the rest goes the old way; either way the rows land as before.
#[tokio::test]
async fn postgres_tables_with_other_types_still_take_the_rows() {
    let Some(tdb) = TestDatabase::create(Backend::Postgres, "bulk types").await else {
        return;
    };
    let mut db = tdb.connect().await;
    let cols = |extra: &'static str| {
        vec![
            Field {
                primary_key: true,
                ..Field::new("id", "id", ColumnType::String)
            },
            Field::new("n", "n", ColumnType::Integer),
            Field::new(extra, extra, ColumnType::Object),
        ]
    };
    for (t, ddl) in [
        ("narrow", "id varchar PRIMARY KEY, n int4, o jsonb"),
        ("numeric", "id text PRIMARY KEY, n numeric, j json"),
    ] {
        db.execute_raw(&format!("CREATE TABLE {t} ({ddl})"))
            .await
            .unwrap();
        let extra = if t == "narrow" { "o" } else { "j" };
        let rows: Vec<Vec<Value>> = (0..100)
            .map(|i| {
                vec![
                    Value::Text(format!("k{i:03}")),
                    Value::Int(i * 1000),
                    Value::Json(json!({"b": i, "a": [i]})),
                ]
            })
            .collect();
        for on_conflict in [OnConflict::Error, OnConflict::Update] {
            let mut plan = InsertPlan::new(db.dialect(), t, cols(extra), on_conflict);
            db.execute_raw(&format!("DELETE FROM {t}")).await.unwrap();
            assert_eq!(plan.write(&mut db, rows.clone()).await.unwrap(), 100);
            let got = db
                .fetch_all(
                    &format!("SELECT n::int8, {extra}::jsonb FROM {t} ORDER BY id"),
                    vec![],
                )
                .await
                .unwrap();
            assert_eq!(got.len(), 100, "{t}");
            assert_eq!(
                got[99],
                vec![Value::Int(99_000), Value::Json(json!({"a": [99], "b": 99}))]
            );
        }
    }
    // A value the narrow column cannot hold fails as it always did.
    let mut plan = InsertPlan::new(db.dialect(), "narrow", cols("o"), OnConflict::Update);
    let rows: Vec<Vec<Value>> = (0..100)
        .map(|i| {
            vec![
                Value::Text(format!("big{i:03}")),
                Value::Int(if i == 50 { i64::MAX } else { i }),
                Value::Null,
            ]
        })
        .collect();
    let msg = plan.write(&mut db, rows).await.unwrap_err().to_string();
    assert!(msg.starts_with("writing 100 rows to narrow: "), "{msg}");
    assert!(msg.contains("out of range"), "{msg}");
}

/// The batches above really take the bulk paths: a statement trigger records each
/// statement's text, one `COPY` for a plain insert, one `unnest` upsert per batch.
#[tokio::test]
async fn postgres_batches_are_one_copy_or_unnest_statement() {
    let Some(tdb) = TestDatabase::create(Backend::Postgres, "bulk copy").await else {
        return;
    };
    let mut db = tdb.connect().await;
    table(&mut db, "seen").await;
    db.execute_raw(
        "CREATE TABLE statements (q text);
         CREATE FUNCTION record_statement() RETURNS trigger AS $$
         BEGIN INSERT INTO statements VALUES (current_query()); RETURN NULL; END
         $$ LANGUAGE plpgsql;
         CREATE TRIGGER record AFTER INSERT ON seen
         FOR EACH STATEMENT EXECUTE FUNCTION record_statement();",
    )
    .await
    .unwrap();
    write(&mut db, "seen", OnConflict::Error, edge_rows(200), 200).await;
    write(&mut db, "seen", OnConflict::Update, updated_rows(), 200).await;
    let seen: Vec<String> = db
        .fetch_all("SELECT q FROM statements", vec![])
        .await
        .unwrap()
        .into_iter()
        .map(|r| format!("{:?}", r[0]))
        .collect();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen[0].starts_with("Text(\"COPY \\\"seen\\\""), "{seen:?}");
    assert!(seen[1].contains("FROM unnest($1, $2"), "{seen:?}");
}
