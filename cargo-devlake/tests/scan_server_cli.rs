//! `cargo devlake scan serve` and `scan keys` as real processes: keys shown once and stored
//! hashed; a SIGTERM during an upload still stores it (201) before the server exits; a
//! restart keeps every scan (SQLite and PostgreSQL); neither the database file nor the log
//! holds a key or token in clear.

mod scan_server_support;

use devlake::testing::db::{Backend, TestDatabase};
use devlake_scan::Outcome;
use devlake_scan_server::testing::sample_scan;
use scan_server_support::*;
use std::io::{Read, Write};

#[test]
fn keys_are_shown_once_stored_hashed_listed_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("scans.db").display().to_string();
    let key = create_key(&db, "ci-bot", "publishScan,readScans", "a,b");
    assert_eq!(key.len(), 64, "{key}");
    assert!(key.bytes().all(|b| b.is_ascii_hexdigit()));

    let list = run(cli(&["scan", "keys", "list", "--db", &db]));
    let (listed, _) = text(&list);
    assert!(list.status.success());
    assert!(!listed.contains(&key), "list shows the key:\n{listed}");
    let row = listed.lines().nth(1).expect("one key listed");
    let key_id = row.split_whitespace().next().unwrap().to_string();
    assert_eq!(key_id.len(), 12);
    assert!(row.contains("ci-bot") && row.contains("publishScan,readScans") && row.contains("a,b"));
    assert!(row.ends_with("active"), "{row}");

    // Refusals: one line each, exit 1, nothing echoed that could be a secret.
    for (args, says) in [
        (
            vec![
                "create",
                "--user",
                "x",
                "--permissions",
                "publishScan,writeCache",
            ],
            "unknown permission \"writeCache\"",
        ),
        (
            vec!["create", "--user", " ", "--permissions", "readScans"],
            "--user must not be empty",
        ),
        (
            vec![
                "create",
                "--user",
                "x",
                "--permissions",
                "readScans",
                "--expires-in-days",
                "0",
            ],
            "at least 1",
        ),
        (vec!["revoke", "not-an-id"], "12 hex digits"),
        (
            vec!["revoke", "abcdefabcdef"],
            "no access key with id abcdefabcdef",
        ),
    ] {
        let mut all = vec!["scan", "keys"];
        all.extend(args);
        all.extend(["--db", &db]);
        let out = run(cli(&all));
        let (_, err) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{all:?}: {err}");
        assert!(err.contains(says), "{all:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    let out = run(cli(&[
        "scan",
        "keys",
        "list",
        "--db",
        "postgres://scans:pgSecret77@127.0.0.1:1/scans",
    ]));
    let (_, err) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err.contains("127.0.0.1") && !err.contains("pgSecret77"),
        "{err}"
    );

    // A key with an expiry: listed with its date (either side of a midnight).
    let in_3_days = || {
        (chrono::Utc::now() + chrono::Duration::days(3))
            .format("%Y-%m-%d")
            .to_string()
    };
    let before = in_3_days();
    let out = run(cli(&[
        "scan",
        "keys",
        "create",
        "--user",
        "temp",
        "--permissions",
        "readScans",
        "--expires-in-days",
        "3",
        "--db",
        &db,
    ]));
    assert!(out.status.success(), "{:?}", text(&out));
    let (listed, _) = text(&run(cli(&["scan", "keys", "list", "--db", &db])));
    let after = in_3_days();
    let temp = listed.lines().find(|l| l.contains("temp")).unwrap();
    assert!(
        (temp.contains(&before) || temp.contains(&after)) && temp.ends_with("active"),
        "{temp}"
    );

    // Revoking by the key itself works and does not echo it.
    let out = run(cli(&["scan", "keys", "revoke", &key, "--db", &db]));
    let (_, err) = text(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains(&key_id) && !err.contains(&key), "{err}");
    let (listed, _) = text(&run(cli(&["scan", "keys", "list", "--db", &db])));
    let revoked = listed.lines().find(|l| l.starts_with(&key_id)).unwrap();
    assert!(revoked.contains("revoked"), "{listed}");

    let stored = files_bytes(dir.path());
    assert!(
        !contains(&stored, &key),
        "the key is in the database in clear"
    );
    // It holds the token-signing secret: its owner's only.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&db).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
}

/// A scan document's bytes.
fn doc(n: u32) -> Vec<u8> {
    serde_json::to_vec(&sample_scan(
        n,
        None,
        &["CI"],
        &[("branch", "main")],
        Outcome::Success,
    ))
    .unwrap()
}

async fn publish(url: &str, credential: &str, n: u32) -> u16 {
    reqwest::Client::new()
        .post(url)
        .bearer_auth(credential)
        .header("content-type", "application/json")
        .body(doc(n))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn total(serve: &Serve, credential: &str) -> i64 {
    let v: serde_json::Value = reqwest::Client::new()
        .get(serve.url("/api/scans?limit=500"))
        .bearer_auth(credential)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["total"].as_i64().unwrap()
}

/// Publishes 10 scans, then one whose body is still being sent when SIGTERM arrives: the
/// server finishes it (201), exits 0, and a new server on the same database has all 11.
/// Returns the key, a token, and both servers' logs.
async fn sigterm_and_restart(db: &str) -> (String, String, String) {
    let key = create_key(db, "ci", "publishScan,readScans", "");
    let mut serve = Serve::start(db, &[]);
    let token = reqwest::Client::new()
        .post(serve.url("/api/auth/token"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for n in 0..10 {
        let cred = if n % 2 == 0 { &key } else { &token };
        assert_eq!(publish(&serve.url("/api/scans"), cred, n).await, 201);
    }

    // An upload in flight: headers sent, the server asks for the body (100 Continue), then
    // SIGTERM, then the body.
    let body = doc(10);
    let port = serve.port;
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        conn,
        "POST /api/scans HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    )
    .unwrap();
    let mut interim = [0u8; 25];
    conn.read_exact(&mut interim).unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    serve.signal_term();
    serve.wait_log("shutting down");
    conn.write_all(&body).unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let (status, log1) = serve.wait();
    assert!(status.success(), "{status}\n{log1}");
    assert!(log1.contains("scan server stopped"), "{log1}");

    let serve = Serve::start(db, &[]);
    assert_eq!(total(&serve, &key).await, 11);
    // Keys and the signing secret survive too: the token from before still works.
    assert_eq!(total(&serve, &token).await, 11);
    let (status, log2) = serve.stop();
    assert!(status.success());
    (key, token, format!("{log1}{log2}"))
}

fn assert_log_clean(log: &str, key: &str, token: &str) {
    assert!(!log.contains(key), "the key is in the log");
    assert!(!log.contains(token), "the token is in the log");
    let signature = token.rsplit('.').next().unwrap();
    assert!(
        !log.contains(signature),
        "the token's signature is in the log"
    );
    assert!(
        !log.to_ascii_lowercase().contains("bearer "),
        "an Authorization header is in the log"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_loses_no_accepted_scan_and_restart_keeps_every_scan_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("scans.db").display().to_string();
    let (key, token, log) = sigterm_and_restart(&db).await;
    assert_log_clean(&log, &key, &token);
    let stored = files_bytes(dir.path());
    assert!(
        contains(&stored, "devlake-build-scan"),
        "scans are in the file"
    );
    assert!(
        !contains(&stored, &key),
        "the key is in the database file in clear"
    );
    assert!(
        !contains(&stored, &token),
        "the token is in the database file in clear"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_loses_no_accepted_scan_and_restart_keeps_every_scan_postgres() {
    let Some(pg) = TestDatabase::create(Backend::Postgres, "scan_serve").await else {
        return;
    };
    let (key, token, log) = sigterm_and_restart(&pg.url).await;
    assert_log_clean(&log, &key, &token);
    // Every text the database holds, searched for the key and the token.
    let mut db = pg.connect().await;
    for table in [
        "access_keys",
        "signing_secrets",
        "scans",
        "scan_documents",
        "scan_tags",
        "scan_values",
    ] {
        let rows = db
            .fetch_all(&format!("SELECT CAST(t.* AS TEXT) FROM {table} t"), vec![])
            .await
            .unwrap();
        let dump = format!("{rows:?}");
        assert!(
            !dump.contains(&key) && !dump.contains(&token),
            "{table} holds a credential"
        );
    }
}

#[test]
fn sigint_stops_the_server_cleanly_too() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("scans.db").display().to_string();
    let serve = Serve::start(&db, &[]);
    serve.signal("INT");
    let (status, log) = serve.wait();
    assert!(status.success(), "{status}\n{log}");
    assert!(
        log.contains("shutting down") && log.contains("scan server stopped"),
        "{log}"
    );
}

#[test]
fn a_bad_database_or_address_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    for (db, addr, says) in [
        (
            "mysql://root:mySecret9@127.0.0.1:3306/x",
            "127.0.0.1:0",
            "SQLite or PostgreSQL",
        ),
        ("/nonexistent-dir/scans.db", "127.0.0.1:0", "cannot open"),
        (
            "postgres://scans:mySecret9@127.0.0.1:1/scans",
            "127.0.0.1:0",
            "Connection refused",
        ),
        ("scans.db", "127.0.0.1:notaport", "invalid value"),
    ] {
        let mut c = cli(&["scan", "serve", "--addr", addr, "--db", db]);
        c.current_dir(dir.path());
        let out = run(c);
        let (_, err) = text(&out);
        assert_ne!(out.status.code(), Some(0), "{db} {addr}");
        assert!(err.contains(says), "{db} {addr}: {err}");
        assert!(!err.contains("mySecret9"), "{err}");
    }
}
