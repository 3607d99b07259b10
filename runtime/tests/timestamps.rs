//! Issue 12 item 19: every timestamp DevLake's `datetime(3)` holds round-trips exactly, on
//! SQLite, MariaDB and PostgreSQL, through the write path plugins use. MariaDB used to
//! store NULL, silently, for anything after 2038 (the value was bound as a TIMESTAMP).

use chrono::{NaiveDate, TimeZone, Utc};
use devlake::db::write::{InsertPlan, OnConflict};
use devlake::db::{ddl, Db};
use devlake::model::{DateTime, Model};
use devlake::stream::{Layout, Origin};
use devlake::testing::{Backend, TestDatabase};

#[derive(Debug, Clone, PartialEq, devlake::Model)]
#[devlake(table = "_tool_test_stamps")]
struct Stamp {
    #[devlake(primary_key)]
    id: i64,
    at: Option<DateTime>,
    required: DateTime,
}

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, ms: u32) -> DateTime {
    Utc.from_utc_datetime(
        &NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_milli_opt(h, mi, s, ms)
            .unwrap(),
    )
}

/// The edges: the epoch, the 32-bit `TIMESTAMP` limit and just past it, a 2099 date, the
/// first and last instants `datetime(3)` holds.
fn edges() -> Vec<DateTime> {
    vec![
        at(1970, 1, 1, 0, 0, 0, 0),
        at(1970, 1, 1, 0, 0, 0, 1),
        at(2038, 1, 19, 3, 14, 7, 999),
        at(2038, 1, 20, 0, 0, 0, 123),
        at(2099, 1, 1, 0, 0, 0, 0),
        at(1000, 1, 1, 0, 0, 0, 0),
        at(9999, 12, 31, 23, 59, 59, 999),
    ]
}

async fn round_trip(backend: Backend) {
    let Some(tdb) = TestDatabase::create(backend, "timestamps").await else {
        return;
    };
    let mut db: Db = tdb.connect().await;
    let desc = Stamp::descriptor();
    ddl::ensure_table(&mut db, desc.table, &desc.columns())
        .await
        .unwrap();
    let layout = Layout::of(desc);
    let origin = Origin {
        params: None,
        table: None,
        id: None,
        remark: None,
    };
    let written: Vec<Stamp> = edges()
        .into_iter()
        .enumerate()
        .map(|(i, t)| Stamp {
            id: i as i64,
            at: Some(t),
            required: t,
        })
        .collect();
    let rows = written
        .iter()
        .map(|s| layout.row(s, 1, &origin, Utc::now(), None))
        .collect();
    let mut plan = InsertPlan::new(
        db.dialect(),
        desc.table,
        layout.columns().to_vec(),
        OnConflict::Update,
    );
    plan.write(&mut db, rows).await.unwrap();
    let sql = format!(
        "SELECT {}, {}, {} FROM {} ORDER BY {}",
        db.quote("id"),
        db.quote("at"),
        db.quote("required"),
        db.quote(desc.table),
        db.quote("id")
    );
    let read: Vec<Stamp> = db
        .fetch_all(&sql, vec![])
        .await
        .unwrap()
        .into_iter()
        .map(|r| Stamp::from_values(&mut r.into_iter()).unwrap())
        .collect();
    assert_eq!(read, written, "{backend:?}");
}

#[tokio::test]
async fn timestamps_round_trip_on_sqlite() {
    round_trip(Backend::Sqlite).await
}

#[tokio::test]
async fn timestamps_round_trip_on_mariadb() {
    round_trip(Backend::MySql).await
}

#[tokio::test]
async fn timestamps_round_trip_on_postgres() {
    round_trip(Backend::Postgres).await
}
