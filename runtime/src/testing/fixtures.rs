//! HTTP fixtures: recorded responses replayed by a local server, so a plugin's tests
//! never touch the real service (feature `testing`).
//!
//! A fixture is a JSON file `fixtures/<name>.json` holding `{"status", "headers", "body"}`
//! (`body` is served as JSON; `body_text` instead serves a string as is). Its name is
//! [`fixture_name`] of the request: the lowercase method, the path and the sorted query,
//! with every character outside `[A-Za-z0-9.-]` as `_` (`GET /api/projects?page=2` ->
//! `get_api_projects__page_2.json`). A request matches the file named after its path and
//! query, else the one named after its path alone. Unmatched requests get a 404 whose body
//! names the file to create, are printed on stderr and listed by
//! [`FixtureServer::unmatched`].
//!
//! Volatile query values: a collector that asks for `?updatedSince=<last run>` sends
//! another value on every run, so a fixture named after it would never match again. Name
//! fixtures after the path and the query keys that choose the answer instead:
//! [`FixtureServerBuilder::ignore_query_keys`] leaves keys out of the name
//! (`["updatedSince"]`), [`FixtureServerBuilder::match_query_keys`] keeps only the given
//! ones (`["page", "boardId"]`). Both apply when recording (the file is named without the
//! left-out keys) and when serving: a request is served the file named after its whole
//! query if there is one (exact match first), else the file named after its kept keys,
//! else the one named after its path alone. A request that differs in a kept key still
//! gets the 404.
//!
//! Recording: with `DEVLAKE_RECORD=1` and an upstream base URL
//! ([`FixtureServerBuilder::upstream`]), every request to a server of a fixture directory
//! goes to the real service and its response is written as a fixture (servers of in-memory
//! fixtures keep serving them). Headers that identify a session, like `set-cookie`, are
//! left out; request credentials are never written. Every request of the run is recorded
//! into the one directory, whichever scope it was made for (scopes' requests differ by
//! their path or query, `repos/r1/...` and `repos/r2/...`); a whole-plugin test over
//! several scopes records and replays them all with
//! [`PluginRunner::all_scopes`](super::PluginRunner::all_scopes).
//!
//! ```no_run
//! use devlake::testing::FixtureServer;
//! let server = FixtureServer::builder("tests/fixtures").upstream("https://api.example.com/").start();
//! let base = server.url(); // http://127.0.0.1:<port>/ : give it to the plugin's connection
//! # let _ = base;
//! server.assert_all_matched();
//! ```

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Longest fixture name before it is shortened with a hash.
const MAX_NAME: usize = 120;

/// One recorded response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fixture {
    /// HTTP status (default 200).
    #[serde(default = "ok_status")]
    pub status: u16,
    /// Response headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// A JSON body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Json>,
    /// A body served as is (when it is not JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_text: Option<String>,
}

fn ok_status() -> u16 {
    200
}

impl Fixture {
    /// A 200 response with a JSON body.
    pub fn json(body: Json) -> Fixture {
        Fixture {
            status: 200,
            headers: BTreeMap::new(),
            body: Some(body),
            body_text: None,
        }
    }

    /// Sets the status.
    pub fn status(mut self, status: u16) -> Fixture {
        self.status = status;
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Fixture {
        self.headers
            .insert(name.to_ascii_lowercase(), value.to_string());
        self
    }
}

/// Where fixtures come from: a directory of files, or fixtures in memory keyed by
/// `"GET /path?query"`.
#[derive(Debug, Clone)]
pub enum Fixtures {
    /// A directory of `<name>.json` files.
    Dir(PathBuf),
    /// Fixtures by [`fixture_name`].
    Map(BTreeMap<String, Fixture>),
}

impl From<&Path> for Fixtures {
    fn from(p: &Path) -> Self {
        Fixtures::Dir(p.to_path_buf())
    }
}

impl From<PathBuf> for Fixtures {
    fn from(p: PathBuf) -> Self {
        Fixtures::Dir(p)
    }
}

impl From<&str> for Fixtures {
    fn from(p: &str) -> Self {
        Fixtures::Dir(PathBuf::from(p))
    }
}

impl<K: AsRef<str>> FromIterator<(K, Fixture)> for Fixtures {
    /// Fixtures keyed by `"METHOD /path?query"`.
    fn from_iter<I: IntoIterator<Item = (K, Fixture)>>(iter: I) -> Self {
        let map = iter
            .into_iter()
            .map(|(k, f)| {
                let k = k.as_ref();
                let (method, target) = k.split_once(' ').unwrap_or(("GET", k));
                let (path, query) = match target.split_once('?') {
                    Some((p, q)) => (p, Some(q)),
                    None => (target, None),
                };
                (fixture_name(method, path, query), f)
            })
            .collect();
        Fixtures::Map(map)
    }
}

impl<K: AsRef<str>, const N: usize> From<[(K, Fixture); N]> for Fixtures {
    fn from(items: [(K, Fixture); N]) -> Self {
        items.into_iter().collect()
    }
}

fn sanitize(s: &str, out: &mut String) {
    out.extend(s.chars().map(|c| {
        if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
            c
        } else {
            '_'
        }
    }));
}

/// Which query keys name a fixture: all of them unless
/// [`FixtureServerBuilder::match_query_keys`] or [`FixtureServerBuilder::ignore_query_keys`]
/// says otherwise.
#[derive(Debug, Clone, Default)]
struct QueryKeys {
    /// Only these keys (when set).
    only: Option<BTreeSet<String>>,
    /// Never these keys.
    ignore: BTreeSet<String>,
}

impl QueryKeys {
    fn keeps(&self, key: &str) -> bool {
        // Compare keys as the API reads them: `updated%53ince` is `updatedSince`.
        let key = percent_encoding::percent_decode_str(key).decode_utf8_lossy();
        self.only.as_ref().is_none_or(|o| o.contains(key.as_ref()))
            && !self.ignore.contains(key.as_ref())
    }

    /// The query's `key=value` pairs whose key is kept, in their order.
    fn filter(&self, query: &str) -> String {
        query
            .split('&')
            .filter(|pair| {
                let key = pair.split_once('=').map_or(*pair, |(k, _)| k);
                !pair.is_empty() && self.keeps(key)
            })
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// The fixture file name (without `.json`) of a request.
///
/// ```
/// use devlake::testing::fixture_name;
/// assert_eq!(fixture_name("GET", "/api/projects", Some("page=2&a=1")), "get_api_projects__a_1_page_2");
/// assert_eq!(fixture_name("POST", "/", None), "post_index");
/// ```
pub fn fixture_name(method: &str, path: &str, query: Option<&str>) -> String {
    let mut s = method.to_ascii_lowercase();
    s.push('_');
    let p = path.trim_matches('/');
    sanitize(if p.is_empty() { "index" } else { p }, &mut s);
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        let mut pairs: Vec<&str> = q.split('&').filter(|p| !p.is_empty()).collect();
        pairs.sort_unstable();
        s.push_str("__");
        sanitize(&pairs.join("&"), &mut s);
    }
    if s.len() > MAX_NAME {
        // FNV-1a keeps long names unique and stable across runs.
        let hash = s.bytes().fold(0xcbf29ce484222325u64, |h, b| {
            (h ^ b as u64).wrapping_mul(0x100000001b3)
        });
        s.truncate(MAX_NAME - 17);
        s.push_str(&format!("_{hash:016x}"));
    }
    s
}

#[derive(Debug, Default)]
struct Log {
    requests: Vec<String>,
    unmatched: Vec<String>,
}

struct Shared {
    fixtures: Fixtures,
    keys: QueryKeys,
    upstream: Option<reqwest::Url>,
    record: bool,
    client: reqwest::Client,
    log: Mutex<Log>,
}

/// Builds a [`FixtureServer`].
#[derive(Debug)]
pub struct FixtureServerBuilder {
    fixtures: Fixtures,
    upstream: Option<String>,
    record: Option<bool>,
    keys: QueryKeys,
}

impl FixtureServerBuilder {
    /// The real service's base URL, used when recording.
    pub fn upstream(mut self, base_url: &str) -> Self {
        self.upstream = Some(base_url.to_string());
        self
    }

    /// Records (or not) regardless of `DEVLAKE_RECORD`. Without it, `DEVLAKE_RECORD=1`
    /// records into a fixture directory; in-memory fixtures are never recorded.
    pub fn record(mut self, record: bool) -> Self {
        self.record = Some(record);
        self
    }

    /// Names fixtures after the path and only these query keys (`["page", "boardId"]`):
    /// other keys, like a volatile `updatedSince`, are left out of the name of a recorded
    /// fixture and do not choose the fixture served. A fixture named after the request's
    /// whole query is still served first when there is one (see the [`testing`](crate::testing) docs).
    /// With [`ignore_query_keys`](Self::ignore_query_keys) too, a key must be listed here
    /// and not there.
    ///
    /// ```no_run
    /// use devlake::testing::FixtureServer;
    /// let server = FixtureServer::builder("tests/fixtures")
    ///     .upstream("https://tracker.example.com/")
    ///     .match_query_keys(["page", "boardId"])
    ///     .start();
    /// # drop(server);
    /// ```
    pub fn match_query_keys<K: Into<String>>(mut self, keys: impl IntoIterator<Item = K>) -> Self {
        self.keys.only = Some(keys.into_iter().map(Into::into).collect());
        self
    }

    /// Leaves these query keys (`["updatedSince"]`) out of fixture names, when recording
    /// and when serving, so that an incremental run, which asks for what changed since
    /// its last run, is served the fixture the first run recorded. A fixture named after
    /// the request's whole query is still served first when there is one.
    ///
    /// ```no_run
    /// use devlake::testing::FixtureServer;
    /// // `GET /issues?page=2&updatedSince=2024-05-01T00:00:00Z` is recorded as
    /// // `get_issues__page_2.json`, and served from it whatever `updatedSince` says.
    /// let server = FixtureServer::builder("tests/fixtures")
    ///     .upstream("https://tracker.example.com/")
    ///     .ignore_query_keys(["updatedSince"])
    ///     .start();
    /// # drop(server);
    /// ```
    pub fn ignore_query_keys<K: Into<String>>(mut self, keys: impl IntoIterator<Item = K>) -> Self {
        self.keys.ignore.extend(keys.into_iter().map(Into::into));
        self
    }

    /// Starts the server on 127.0.0.1 (ephemeral port), on a thread of its own so it
    /// serves sync and async tests alike; it stops when dropped. Panics when recording
    /// is asked without an upstream or a fixture directory.
    #[track_caller]
    pub fn start(self) -> FixtureServer {
        // `DEVLAKE_RECORD` records the directories of a test run; fixtures given in memory
        // have nowhere to be written, so they keep serving (only `.record(true)` says
        // otherwise, and then fails below).
        let record = self.record.unwrap_or_else(|| {
            matches!(self.fixtures, Fixtures::Dir(_))
                && std::env::var("DEVLAKE_RECORD").is_ok_and(|v| !v.is_empty() && v != "0")
        });
        let upstream = self.upstream.map(|u| {
            let u = if u.ends_with('/') { u } else { format!("{u}/") };
            reqwest::Url::parse(&u)
                .unwrap_or_else(|e| panic!("FixtureServer: upstream {u:?} is not a URL: {e}"))
        });
        if record {
            assert!(upstream.is_some(), "DEVLAKE_RECORD is set but the FixtureServer has no upstream: use FixtureServer::builder(dir).upstream(\"https://...\")");
            match &self.fixtures {
                Fixtures::Dir(d) => std::fs::create_dir_all(d).unwrap_or_else(|e| {
                    panic!("FixtureServer: cannot create {}: {e}", d.display())
                }),
                Fixtures::Map(_) => panic!(
                    "FixtureServer: .record(true) needs a fixture directory, not in-memory fixtures"
                ),
            }
        }
        let shared = Arc::new(Shared {
            fixtures: self.fixtures,
            keys: self.keys,
            upstream,
            record,
            client: reqwest::Client::new(),
            log: Mutex::new(Log::default()),
        });
        let listener =
            std::net::TcpListener::bind("127.0.0.1:0").expect("FixtureServer: bind 127.0.0.1");
        listener
            .set_nonblocking(true)
            .expect("FixtureServer: non-blocking listener");
        let addr = listener.local_addr().expect("FixtureServer: local address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        let thread = std::thread::Builder::new()
            .name("fixture-server".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("FixtureServer: runtime");
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)
                        .expect("FixtureServer: listener");
                    tokio::select! {
                        _ = axum::serve(listener, app) => {}
                        _ = stopped => {}
                    }
                });
            })
            .expect("FixtureServer: spawn its thread");
        FixtureServer {
            url: format!("http://{addr}/"),
            shared,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

/// A local HTTP server replaying fixtures (see the [`testing`](crate::testing) docs).
pub struct FixtureServer {
    url: String,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for FixtureServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FixtureServer")
            .field("url", &self.url)
            .field("fixtures", &self.shared.fixtures)
            .finish()
    }
}

impl FixtureServer {
    /// Serves `fixtures` (a directory path, or fixtures keyed by `"GET /path?query"`).
    #[track_caller]
    pub fn start(fixtures: impl Into<Fixtures>) -> FixtureServer {
        Self::builder(fixtures).start()
    }

    /// A builder, for recording.
    pub fn builder(fixtures: impl Into<Fixtures>) -> FixtureServerBuilder {
        FixtureServerBuilder {
            fixtures: fixtures.into(),
            upstream: None,
            record: None,
            keys: QueryKeys::default(),
        }
    }

    /// The base URL, `http://127.0.0.1:<port>/`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether it records from the upstream.
    pub fn recording(&self) -> bool {
        self.shared.record
    }

    /// Requests served so far, as `"GET /path?query"`.
    pub fn requests(&self) -> Vec<String> {
        self.shared
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .requests
            .clone()
    }

    /// Requests that matched no fixture, as `"GET /path?query"`.
    pub fn unmatched(&self) -> Vec<String> {
        self.shared
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .unmatched
            .clone()
    }

    /// Panics listing the requests that matched no fixture.
    #[track_caller]
    pub fn assert_all_matched(&self) {
        let u = self.unmatched();
        assert!(
            u.is_empty(),
            "{} request(s) matched no fixture:\n  {}",
            u.len(),
            u.join("\n  ")
        );
    }
}

impl Drop for FixtureServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn lookup(fixtures: &Fixtures, name: &str) -> Result<Option<Fixture>, String> {
    match fixtures {
        Fixtures::Map(m) => Ok(m.get(name).cloned()),
        Fixtures::Dir(d) => {
            let p = d.join(format!("{name}.json"));
            match std::fs::read(&p) {
                Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                    format!("fixture {} is not a valid fixture file: {e}", p.display())
                }),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(format!("cannot read fixture {}: {e}", p.display())),
            }
        }
    }
}

fn respond(f: &Fixture) -> Response {
    let (body, default_type) = match (&f.body_text, &f.body) {
        (Some(t), _) => (t.clone().into_bytes(), "text/plain; charset=utf-8"),
        (None, Some(j)) => (j.to_string().into_bytes(), "application/json"),
        (None, None) => (Vec::new(), "application/json"),
    };
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::from_u16(f.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = r.headers_mut();
    h.insert("content-type", HeaderValue::from_static(default_type));
    for (k, v) in &f.headers {
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            h.insert(k, v);
        }
    }
    r
}

fn error_response(status: StatusCode, message: String) -> Response {
    let mut r = Response::new(Body::from(
        serde_json::json!({ "error": message }).to_string(),
    ));
    *r.status_mut() = status;
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    r
}

/// Headers of a recorded response that are transport details or identify a session.
const SKIPPED_HEADERS: [&str; 8] = [
    "set-cookie",
    "date",
    "content-length",
    "transfer-encoding",
    "connection",
    "content-encoding",
    "keep-alive",
    "alt-svc",
];

async fn record(shared: &Shared, req: Request, name: &str) -> Result<Fixture, String> {
    let upstream = shared.upstream.as_ref().expect("checked at start");
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().trim_start_matches('/').to_string())
        .unwrap_or_default();
    let url = upstream
        .join(&target)
        .map_err(|e| format!("cannot join {target:?} to the upstream: {e}"))?;
    let method =
        reqwest::Method::from_bytes(req.method().as_str().as_bytes()).map_err(|e| e.to_string())?;
    let mut out = shared.client.request(method, url);
    for (k, v) in req.headers() {
        if k != "host" && k != "content-length" {
            out = out.header(k.as_str(), v.as_bytes());
        }
    }
    let body = to_bytes(req.into_body(), usize::MAX)
        .await
        .map_err(|e| e.to_string())?;
    let resp = out
        .body(body.to_vec())
        .send()
        .await
        .map_err(|e| format!("upstream request failed: {e}"))?;
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .filter(|(k, _)| !SKIPPED_HEADERS.contains(&k.as_str()))
        .filter_map(|(k, v)| {
            v.to_str()
                .ok()
                .map(|v| (k.as_str().to_string(), v.to_string()))
        })
        .collect();
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| format!("upstream body: {e}"))?;
    let (body, body_text) = match serde_json::from_slice::<Json>(&bytes) {
        Ok(j) => (Some(j), None),
        Err(_) => (None, Some(String::from_utf8_lossy(&bytes).into_owned())),
    };
    let f = Fixture {
        status,
        headers,
        body,
        body_text,
    };
    if let Fixtures::Dir(d) = &shared.fixtures {
        let p = d.join(format!("{name}.json"));
        let text = serde_json::to_string_pretty(&f).map_err(|e| e.to_string())?;
        std::fs::write(&p, text + "\n")
            .map_err(|e| format!("cannot write {}: {e}", p.display()))?;
    }
    Ok(f)
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    let shown = match &query {
        Some(q) => format!("{method} {path}?{q}"),
        None => format!("{method} {path}"),
    };
    shared
        .log
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .requests
        .push(shown.clone());
    let full = fixture_name(&method, &path, query.as_deref());
    // The name after the kept query keys: what recording writes, and the second choice
    // when serving (the same as `full` when every key is kept).
    let kept = query.as_deref().map(|q| shared.keys.filter(q));
    let matched = fixture_name(&method, &path, kept.as_deref());
    if shared.record {
        return match record(&shared, req, &matched).await {
            Ok(f) => respond(&f),
            Err(e) => error_response(StatusCode::BAD_GATEWAY, format!("recording {shown}: {e}")),
        };
    }
    let mut names = vec![full];
    for n in [matched, fixture_name(&method, &path, None)] {
        if !names.contains(&n) {
            names.push(n);
        }
    }
    for n in &names {
        match lookup(&shared.fixtures, n) {
            Ok(Some(f)) => return respond(&f),
            Ok(None) => {}
            Err(e) => return error_response(StatusCode::INTERNAL_SERVER_ERROR, e),
        }
    }
    let place = match &shared.fixtures {
        Fixtures::Dir(d) => d.display().to_string(),
        Fixtures::Map(_) => "the fixture map".into(),
    };
    let mut wanted: Vec<String> = names.iter().map(|n| format!("{n}.json")).collect();
    let last = wanted.pop().expect("at least the request's own name");
    let wanted = if wanted.is_empty() {
        last
    } else {
        format!("{} and {last}", wanted.join(", "))
    };
    let msg = format!("no fixture for {shown}: looked for {wanted} in {place}");
    eprintln!("FixtureServer: {msg}");
    shared
        .log
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .unmatched
        .push(shown);
    error_response(StatusCode::NOT_FOUND, msg)
}
