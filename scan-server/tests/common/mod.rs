//! Shared test kit: a real server on 127.0.0.1 (in process, real port), real databases, and
//! scan documents built from `devlake_scan::model`.
#![allow(dead_code)]

use chrono::Utc;
use devlake::testing::db::{Backend, TestDatabase};
use devlake_scan::Scan;
use devlake_scan_server::auth::{self, parse_permissions, split_list};
use devlake_scan_server::{Config, KeySpec, Server, Store};
use std::net::SocketAddr;

/// A running in-process server.
pub struct TestServer {
    pub addr: SocketAddr,
    pub db: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    /// Binds 127.0.0.1:0 on `db` and serves until [`TestServer::stop`].
    pub async fn start(db: &str, project_access_control: bool) -> TestServer {
        Self::start_with(Config {
            addr: "127.0.0.1:0".parse().unwrap(),
            db: db.to_string(),
            project_access_control,
            public_url: None,
            max_concurrent_uploads: devlake_scan_server::DEFAULT_MAX_CONCURRENT_UPLOADS,
        })
        .await
    }

    /// Binds as `config` says and serves until [`TestServer::stop`].
    pub async fn start_with(config: Config) -> TestServer {
        let db = config.db.clone();
        let server = Server::bind(config).await.expect("start the scan server");
        let addr = server.local_addr();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            server
                .run(async {
                    let _ = rx.await;
                })
                .await
                .expect("the server runs");
        });
        TestServer {
            addr,
            db,
            stop: Some(tx),
            task: Some(task),
        }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.addr.port())
    }

    /// The same server under the host name `localhost`.
    pub fn url_at_localhost(&self, path: &str) -> String {
        format!("http://localhost:{}{path}", self.addr.port())
    }

    /// Gracefully stops it and waits until it has.
    pub async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task.take().unwrap().await.unwrap();
    }

    /// Creates an access key (as `scan keys create` does) and returns it.
    pub async fn key(&self, user: &str, permissions: &str, projects: &str) -> String {
        create_key(&self.db, user, permissions, projects, None).await
    }
}

/// Creates an access key in the database at `db`.
pub async fn create_key(
    db: &str,
    user: &str,
    permissions: &str,
    projects: &str,
    expires_at: Option<chrono::DateTime<Utc>>,
) -> String {
    let store = Store::open(db).await.unwrap();
    let key = auth::generate_key();
    store
        .insert_key(
            &key,
            &KeySpec {
                user: user.into(),
                permissions: parse_permissions(permissions).unwrap(),
                projects: split_list(projects).map(str::to_string).collect(),
                expires_at,
            },
        )
        .await
        .unwrap();
    store.close().await;
    key.secret
}

/// A fresh database: a SQLite file, or a PostgreSQL database (`None`, after a loud skip
/// message, when PostgreSQL is down outside CI).
pub async fn database(backend: Backend, tag: &str) -> Option<(TestDatabase, String)> {
    let db = TestDatabase::create(backend, tag).await?;
    let url = db.url.clone();
    Some((db, url))
}

#[allow(unused_imports)]
pub use devlake_scan_server::testing::{sample_scan as scan, scan_id};

/// Publishes `scan` with `credential`; returns the status and body.
pub async fn publish(
    client: &reqwest::Client,
    server: &TestServer,
    credential: &str,
    scan: &Scan,
) -> (u16, serde_json::Value) {
    let resp = client
        .post(server.url("/api/scans"))
        .bearer_auth(credential)
        .json(scan)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(serde_json::Value::Null))
}

/// `GET /api/scans?<query>`: status and body.
pub async fn search(
    client: &reqwest::Client,
    server: &TestServer,
    credential: &str,
    query: &str,
) -> (u16, serde_json::Value) {
    let resp = client
        .get(server.url(&format!("/api/scans?{query}")))
        .bearer_auth(credential)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

/// The ids of a search result, in order.
pub fn ids(body: &serde_json::Value) -> Vec<String> {
    body["scans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect()
}

/// `POST /api/auth/token?<query>` at `url_base` (a host name choice): status and body.
pub async fn token_at(client: &reqwest::Client, url: &str, credential: &str) -> (u16, String) {
    let resp = client
        .post(url)
        .bearer_auth(credential)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// The claims of a token (its middle part), for lifetime and grant checks.
pub fn claims(token: &str) -> serde_json::Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// A SQLite database file in `dir`.
pub fn sqlite_in(dir: &tempfile::TempDir) -> String {
    dir.path().join("scans.db").display().to_string()
}
