//! Shared by the Build Scan tests: a real HTTP server on 127.0.0.1 that answers as the scan
//! server's contract says (or as a test scripts it) and records every request it gets, and
//! helpers to run `cargo devlake` and find the scan it wrote.

#![allow(dead_code)]

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

/// One request the server got.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: String,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub body: String,
}

/// A scripted answer: status, headers, body.
pub type Answer = (u16, Vec<(&'static str, String)>, String);

#[derive(Default)]
struct St {
    base: String,
    requests: Vec<Request>,
    script: VecDeque<Answer>,
}

/// The server, running until dropped.
pub struct ScanServer {
    pub url: String,
    st: Arc<Mutex<St>>,
    _rt: tokio::runtime::Runtime,
}

async fn handle(
    State(st): State<Arc<Mutex<St>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = String::from_utf8_lossy(&body).into_owned();
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let mut st = st.lock().unwrap();
    st.requests.push(Request {
        method: method.to_string(),
        path: uri.path().to_string(),
        query: uri.query().unwrap_or("").to_string(),
        authorization: header("authorization"),
        content_type: header("content-type"),
        body: body.clone(),
    });
    if let Some((status, hs, b)) = st.script.pop_front() {
        let mut resp = (StatusCode::from_u16(status).unwrap(), b).into_response();
        for (k, v) in hs {
            resp.headers_mut().insert(k, v.parse().unwrap());
        }
        return resp;
    }
    // The contract's success answer.
    let id = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["id"].as_str().map(str::to_string))
        .unwrap_or_default();
    (
        StatusCode::CREATED,
        [("content-type", "application/json")],
        serde_json::json!({"id": id, "url": format!("{}/s/{id}", st.base)}).to_string(),
    )
        .into_response()
}

impl ScanServer {
    /// Starts a server on a free port of 127.0.0.1.
    pub fn start() -> ScanServer {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let st: Arc<Mutex<St>> = Arc::default();
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        st.lock().unwrap().base = url.clone();
        let app = axum::Router::new().fallback(handle).with_state(st.clone());
        rt.spawn(async move { axum::serve(listener, app).await.ok() });
        ScanServer { url, st, _rt: rt }
    }

    /// Queues answers given before the default success answer.
    pub fn script(&self, answers: Vec<Answer>) {
        self.st.lock().unwrap().script.extend(answers);
    }

    /// The requests so far.
    pub fn requests(&self) -> Vec<Request> {
        self.st.lock().unwrap().requests.clone()
    }
}

/// A URL on 127.0.0.1 where nothing listens.
pub fn unreachable_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

/// `cargo-devlake devlake <args>` in `dir`, with no DEVELOCITY_* of the caller's.
pub fn cargo_devlake(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cargo-devlake"));
    c.arg("devlake").args(args).current_dir(dir);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("DEVELOCITY_") {
            c.env_remove(k);
        }
    }
    c
}

/// The scan a run wrote: the path its last "Build Scan written to" line names.
pub fn written_scan(out: &Output) -> (PathBuf, PathBuf) {
    let err = String::from_utf8_lossy(&out.stderr);
    let html = err
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("Build Scan written to "))
        .unwrap_or_else(|| panic!("no scan path printed:\n{err}"));
    let html = PathBuf::from(html.trim());
    (html.with_extension("json"), html)
}

/// Reads a scan document.
pub fn read_scan(json: &Path) -> devlake_scan::Scan {
    devlake_scan::Scan::from_json(&std::fs::read(json).unwrap()).unwrap()
}

/// Text of a process's stderr.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Text of a process's stdout.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The Chromium to open reports with: `/usr/bin/chromium` (Debian's package, installed by
/// scripts/browser.sh). `None` skips loudly outside CI; under `CI=true` a missing browser
/// fails the test.
pub fn chromium() -> Option<PathBuf> {
    let p = PathBuf::from(std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()));
    if p.is_file() {
        return Some(p);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "{} is missing and CI=true: run scripts/browser.sh",
            p.display()
        );
    }
    eprintln!(
        "SKIPPED (no browser): {} is missing; run scripts/browser.sh to install Debian's chromium",
        p.display()
    );
    None
}

/// The DOM of a local page after its scripts ran, from headless Chromium; `fragment` (may
/// be empty) is the URL's `#...`.
pub fn dump_dom(chromium: &Path, page: &Path, fragment: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}{fragment}", page.display()))
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
