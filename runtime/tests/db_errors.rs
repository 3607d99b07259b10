//! Issue 12 items 9 and 10: database errors a user can act on. A statement blocked by
//! another session's lock ends with a clear timeout message; a failed statement names its
//! operation and table; a server that is down is `cannot connect to <host:port>: <reason>`.

use devlake::db::{Db, DbError};
use devlake::testing::{Backend, TestDatabase};
use std::time::Duration;

async fn blocked_statement_times_out(backend: Backend) {
    let Some(tdb) = TestDatabase::create(backend, "stmt timeout").await else {
        return;
    };
    let mut holder = tdb.connect().await;
    let t = holder.quote("locked_rows");
    holder
        .execute_raw(&format!(
            "CREATE TABLE {t} (id INTEGER PRIMARY KEY, v INTEGER)"
        ))
        .await
        .unwrap();
    holder
        .execute_raw(&format!("INSERT INTO {t} (id, v) VALUES (1, 1)"))
        .await
        .unwrap();
    holder.begin().await.unwrap();
    holder
        .execute_raw(&format!("UPDATE {t} SET v = 2 WHERE id = 1"))
        .await
        .unwrap();

    let mut waiter = tdb.connect().await;
    waiter
        .set_statement_timeout(Some(Duration::from_secs(1)))
        .await
        .unwrap();
    let err = waiter
        .execute_raw(&format!("UPDATE {t} SET v = 3 WHERE id = 1"))
        .await
        .expect_err("the row is locked by the other session");
    let msg = err.to_string();
    assert!(matches!(err, DbError::Timeout { .. }), "{backend:?}: {msg}");
    assert!(
        msg.starts_with("UPDATE locked_rows: no answer from the database within 1 s"),
        "{backend:?}: {msg}"
    );
    assert!(msg.contains("DEVLAKE_DB_STATEMENT_TIMEOUT"), "{msg}");
    holder.rollback().await.unwrap();
}

#[tokio::test]
async fn blocked_statement_times_out_on_sqlite() {
    blocked_statement_times_out(Backend::Sqlite).await
}

#[tokio::test]
async fn blocked_statement_times_out_on_mariadb() {
    blocked_statement_times_out(Backend::MySql).await
}

#[tokio::test]
async fn blocked_statement_times_out_on_postgres() {
    blocked_statement_times_out(Backend::Postgres).await
}

#[tokio::test]
async fn default_statement_timeout_is_set() {
    let tdb = TestDatabase::create(Backend::Sqlite, "stmt default")
        .await
        .unwrap();
    let db = tdb.connect().await;
    if std::env::var_os(devlake::db::STATEMENT_TIMEOUT_ENV).is_none() {
        assert_eq!(
            db.statement_timeout(),
            Some(devlake::db::DEFAULT_STATEMENT_TIMEOUT)
        );
    }
}

async fn failed_statement_names_operation_and_table(backend: Backend) {
    let Some(tdb) = TestDatabase::create(backend, "stmt context").await else {
        return;
    };
    let mut db = tdb.connect().await;
    let sql = format!(
        "SELECT {} FROM {} WHERE id > 0",
        ["a", "b", "c", "d", "e", "f", "g"]
            .map(|c| db.quote(c))
            .join(", "),
        db.quote("_tool_nosuch_things")
    );
    let msg = db.fetch_all(&sql, vec![]).await.unwrap_err().to_string();
    assert!(
        msg.starts_with("SELECT FROM _tool_nosuch_things: "),
        "{backend:?}: {msg}"
    );
}

#[tokio::test]
async fn failed_statements_name_operation_and_table() {
    for backend in Backend::ALL {
        failed_statement_names_operation_and_table(backend).await;
    }
}

/// A port nothing listens on: bind one, note it, close it.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn a_server_that_is_down_is_cannot_connect_to_host_port() {
    for scheme in ["mysql", "postgres"] {
        let port = closed_port();
        let url = format!("{scheme}://u:PwLeak42@127.0.0.1:{port}/lake");
        let msg = Db::connect(&url).await.unwrap_err().to_string();
        assert!(
            msg.starts_with(&format!("cannot connect to 127.0.0.1:{port} (")),
            "{msg}"
        );
        assert!(msg.ends_with("): connection refused"), "{msg}");
        assert!(!msg.contains("PwLeak42") && !msg.contains("pool"), "{msg}");
    }
}
