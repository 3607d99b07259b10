//! A fake Azure DevOps server on 127.0.0.1 (axum), for the collection tests: the
//! endpoints the plugin calls, pages through continuation tokens, HTTP Basic
//! authentication (a wrong token gets Azure's `203` sign-in page), one `429` with
//! `Retry-After`, `minTime`/`buildIds` filters, and a log of every request.

#![allow(dead_code)] // each test binary uses its own part

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const TOKEN: &str = "the-real-token";
pub const ORG: &str = "johndoe";
pub const PROJECT: &str = "test-project";
pub const REPO: &str = "0d50ba13-f9ad-49b0-9b21-d29eda50ca33";
/// Items per page of every listing.
pub const PAGE: usize = 2;

/// What the fake server holds and saw.
#[derive(Debug, Default)]
pub struct Data {
    pub builds: Vec<Value>,
    /// Timeline records per build id; a build without an entry answers 204.
    pub timelines: HashMap<i64, Vec<Value>>,
    pub prs: Vec<Value>,
    pub pr_commits: HashMap<i64, Vec<Value>>,
    /// `path?query` of every request, in order.
    pub log: Vec<String>,
    /// Answer the next request for a second page with 429 once.
    pub throttle_once: bool,
}

pub type Shared = Arc<Mutex<Data>>;

pub fn build(
    id: i64,
    name: &str,
    status: &str,
    result: Option<&str>,
    queued: &str,
    finish: Option<&str>,
) -> Value {
    let mut b = json!({
        "id": id, "status": status, "queueTime": queued, "startTime": queued,
        "definition": {"name": name}, "sourceBranch": "refs/heads/main",
        "sourceVersion": format!("{id:040}"),
        "triggerInfo": {"ci.message": format!("commit {id}")},
        "_links": {"web": {"href": format!("https://fake/{ORG}/{PROJECT}/_build/results?buildId={id}")}},
    });
    if let Some(r) = result {
        b["result"] = r.into();
    }
    if let Some(f) = finish {
        b["finishTime"] = f.into();
    }
    b
}

pub fn record(id: &str, r#type: &str, name: &str, state: &str, start: &str) -> Value {
    json!({"id": id, "type": r#type, "name": name, "state": state, "result": "succeeded",
           "startTime": start, "finishTime": start, "identifier": format!("{name}.__default")})
}

pub fn pr(id: i64, status: &str, created: &str, closed: Option<&str>) -> Value {
    let mut p = json!({
        "pullRequestId": id, "status": status, "title": format!("PR {id}"),
        "createdBy": {"id": "u1", "displayName": "John Doe"},
        "creationDate": created,
        "sourceRefName": format!("refs/heads/pr-{id}"), "targetRefName": "refs/heads/main",
        "lastMergeSourceCommit": {"commitId": format!("{:040}", id * 100)},
        "lastMergeTargetCommit": {"commitId": format!("{:040}", id * 100 + 1)},
    });
    if let Some(c) = closed {
        p["closedDate"] = c.into();
    }
    p
}

pub fn commit(sha: &str, date: &str) -> Value {
    json!({"commitId": sha, "author": {"name": "John Doe", "email": "john@example.com", "date": date}})
}

/// The initial data: 5 builds (3 pages), one with no timeline (204) and one deleted
/// (404); 3 pull requests (2 pages), 3 commits on PR 1 (2 pages).
pub fn initial() -> Data {
    let t = "2023-02-25T06:00:00Z";
    let mut d = Data {
        builds: vec![
            build(
                11,
                "ci",
                "completed",
                Some("succeeded"),
                "2023-02-20T06:00:00Z",
                Some("2023-02-20T06:10:00Z"),
            ),
            build(
                12,
                "deploy_to_prod",
                "completed",
                Some("succeeded"),
                "2023-02-21T06:00:00Z",
                Some("2023-02-21T06:10:00Z"),
            ),
            build(
                13,
                "ci",
                "completed",
                Some("failed"),
                "2023-02-22T06:00:00Z",
                Some("2023-02-22T06:01:00Z"),
            ),
            build(
                14,
                "deploy_to_staging",
                "inProgress",
                None,
                "2023-02-23T06:00:00Z",
                None,
            ),
            build(
                15,
                "ci",
                "completed",
                Some("canceled"),
                "2023-02-24T06:00:00Z",
                Some("2023-02-24T06:00:30Z"),
            ),
        ],
        prs: vec![
            pr(1, "active", "2023-02-01T00:00:00Z", None),
            pr(
                2,
                "completed",
                "2023-02-02T00:00:00Z",
                Some("2023-02-03T00:00:00Z"),
            ),
            pr(
                3,
                "abandoned",
                "2023-02-04T00:00:00Z",
                Some("2023-02-05T00:00:00Z"),
            ),
        ],
        throttle_once: true,
        ..Default::default()
    };
    d.timelines.insert(
        11,
        vec![
            record("a", "Job", "build", "completed", t),
            record("b", "Task", "step", "completed", t),
        ],
    );
    d.timelines.insert(
        12,
        vec![
            record("c", "Stage", "deploy_prod", "completed", t),
            record("d", "Job", "deploy", "completed", t),
            record("e", "Checkpoint", "x", "completed", t),
        ],
    );
    d.timelines
        .insert(14, vec![record("f", "Job", "deploy", "inProgress", t)]);
    // 13: failed before any job started (204); 15: deleted and cleaned up (404).
    d.timelines.insert(15, Vec::new());
    d.pr_commits.insert(
        1,
        vec![
            commit(&"1".repeat(40), t),
            commit(&"2".repeat(40), t),
            commit(&"3".repeat(40), t),
        ],
    );
    d.pr_commits.insert(2, vec![commit(&"4".repeat(40), t)]);
    d
}

fn authorized(headers: &HeaderMap) -> bool {
    // base64(":the-real-token")
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Basic OnRoZS1yZWFsLXRva2Vu")
}

/// Azure's answer to a bad token: a redirect that ends on a sign-in page, 203.
fn sign_in_page() -> Response {
    (
        StatusCode::NON_AUTHORITATIVE_INFORMATION,
        "<html>Sign in</html>",
    )
        .into_response()
}

/// One page of `items` from `?continuationToken=<offset>`, the next token in
/// `x-ms-continuationtoken`; the second page is throttled once.
fn page(data: &mut Data, items: Vec<Value>, q: &HashMap<String, String>) -> Response {
    let start: usize = q
        .get("continuationToken")
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    if start > 0 && data.throttle_once {
        data.throttle_once = false;
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1")],
            "slow down",
        )
            .into_response();
    }
    let end = (start + PAGE).min(items.len());
    let body = Json(json!({"count": end - start, "value": items[start.min(end)..end]}));
    if end < items.len() {
        ([("x-ms-continuationtoken", end.to_string())], body).into_response()
    } else {
        body.into_response()
    }
}

type Q = Query<HashMap<String, String>>;

fn logged<'a>(
    s: &'a Shared,
    path: &str,
    q: &HashMap<String, String>,
) -> std::sync::MutexGuard<'a, Data> {
    let mut d = s.lock().unwrap();
    let mut keys: Vec<_> = q.iter().filter(|(k, _)| *k != "api-version").collect();
    keys.sort();
    let query: Vec<String> = keys.iter().map(|(k, v)| format!("{k}={v}")).collect();
    d.log.push(format!("{path}?{}", query.join("&")));
    d
}

async fn profile(State(s): State<Shared>, h: HeaderMap, Query(q): Q) -> Response {
    let _d = logged(&s, "/vssps/_apis/profile/profiles/me", &q);
    if !authorized(&h) {
        return sign_in_page();
    }
    Json(json!({"id": "member-1", "displayName": "John Doe"})).into_response()
}

async fn accounts(State(s): State<Shared>, h: HeaderMap, Query(q): Q) -> Response {
    let _d = logged(&s, "/vssps/_apis/accounts", &q);
    if !authorized(&h) {
        return sign_in_page();
    }
    Json(json!({"count": 1, "value": [{"accountName": ORG}]})).into_response()
}

async fn projects(
    State(s): State<Shared>,
    h: HeaderMap,
    Path(org): Path<String>,
    Query(q): Q,
) -> Response {
    let _d = logged(&s, &format!("/{org}/_apis/projects"), &q);
    if !authorized(&h) {
        return sign_in_page();
    }
    if org != ORG {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"message": "no such organization"})),
        )
            .into_response();
    }
    Json(json!({"count": 1, "value": [{"id": "p-guid", "name": PROJECT}]})).into_response()
}

async fn repos(
    State(s): State<Shared>,
    h: HeaderMap,
    Path((org, p)): Path<(String, String)>,
    Query(q): Q,
) -> Response {
    let _d = logged(&s, &format!("/{org}/{p}/_apis/git/repositories"), &q);
    if !authorized(&h) {
        return sign_in_page();
    }
    Json(json!({"value": [
        {"id": REPO, "name": "test-repo", "defaultBranch": "refs/heads/main",
         "remoteUrl": format!("https://{ORG}@fake/{ORG}/{PROJECT}/_git/test-repo"),
         "project": {"lastUpdateTime": "2023-01-26T19:38:04.267Z"}},
        {"id": "empty-repo", "name": "empty", "remoteUrl": format!("https://{ORG}@fake/{ORG}/{PROJECT}/_git/empty")}
    ]})).into_response()
}

async fn endpoints(
    State(s): State<Shared>,
    h: HeaderMap,
    Path((org, p)): Path<(String, String)>,
    Query(q): Q,
) -> Response {
    let _d = logged(
        &s,
        &format!("/{org}/{p}/_apis/serviceendpoint/endpoints"),
        &q,
    );
    if !authorized(&h) {
        return sign_in_page();
    }
    Json(json!({"value": [{"id": "ep-github", "type": "GitHub"}, {"id": "ep-azure", "type": "azurerm"}]})).into_response()
}

async fn external(
    State(s): State<Shared>,
    h: HeaderMap,
    Path((org, p, provider)): Path<(String, String, String)>,
    Query(q): Q,
) -> Response {
    let _d = logged(
        &s,
        &format!("/{org}/{p}/_apis/sourceProviders/{provider}/repositories"),
        &q,
    );
    if !authorized(&h) {
        return sign_in_page();
    }
    Json(
        json!({"repositories": [{"id": "octo/hello", "name": "octo/hello",
        "properties": {"cloneUrl": "https://github.com/octo/hello.git"}}]}),
    )
    .into_response()
}

async fn builds(
    State(s): State<Shared>,
    h: HeaderMap,
    Path((org, p)): Path<(String, String)>,
    Query(q): Q,
) -> Response {
    let mut d = logged(&s, &format!("/{org}/{p}/_apis/build/builds"), &q);
    if !authorized(&h) {
        return sign_in_page();
    }
    let min = q.get("minTime").cloned();
    let ids: Option<Vec<i64>> = q
        .get("buildIds")
        .map(|s| s.split(',').filter_map(|i| i.parse().ok()).collect());
    let mut items: Vec<Value> = d
        .builds
        .iter()
        .filter(|b| {
            min.as_deref()
                .is_none_or(|m| b["queueTime"].as_str().unwrap_or("") >= m)
        })
        .filter(|b| {
            ids.as_ref()
                .is_none_or(|ids| ids.contains(&b["id"].as_i64().unwrap_or(0)))
        })
        .cloned()
        .collect();
    items.reverse(); // queueTimeDescending
    page(&mut d, items, &q)
}

async fn timeline(
    State(s): State<Shared>,
    h: HeaderMap,
    Path((org, p, id)): Path<(String, String, i64)>,
    Query(q): Q,
) -> Response {
    let d = logged(
        &s,
        &format!("/{org}/{p}/_apis/build/builds/{id}/timeline"),
        &q,
    );
    if !authorized(&h) {
        return sign_in_page();
    }
    match d.timelines.get(&id) {
        None => StatusCode::NO_CONTENT.into_response(),
        Some(r) if r.is_empty() => (
            StatusCode::NOT_FOUND,
            Json(json!({"message": "build deleted"})),
        )
            .into_response(),
        Some(r) => Json(json!({"records": r})).into_response(),
    }
}

async fn prs(
    State(s): State<Shared>,
    h: HeaderMap,
    Path((org, p, _repo)): Path<(String, String, String)>,
    Query(q): Q,
) -> Response {
    let mut d = logged(
        &s,
        &format!("/{org}/{p}/_apis/git/repositories/{REPO}/pullrequests"),
        &q,
    );
    if !authorized(&h) {
        return sign_in_page();
    }
    let min = q.get("searchCriteria.minTime").cloned();
    let items: Vec<Value> = d
        .prs
        .iter()
        .filter(|pr| {
            min.as_deref()
                .is_none_or(|m| pr["creationDate"].as_str().unwrap_or("") >= m)
        })
        .cloned()
        .collect();
    page(&mut d, items, &q)
}

async fn one_pr(
    State(s): State<Shared>,
    h: HeaderMap,
    Path((org, p, _repo, id)): Path<(String, String, String, i64)>,
    Query(q): Q,
) -> Response {
    let d = logged(
        &s,
        &format!("/{org}/{p}/_apis/git/repositories/{REPO}/pullrequests/{id}"),
        &q,
    );
    if !authorized(&h) {
        return sign_in_page();
    }
    match d.prs.iter().find(|pr| pr["pullRequestId"] == id) {
        Some(pr) => Json(pr.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn pr_commits(
    State(s): State<Shared>,
    h: HeaderMap,
    Path((org, p, _repo, id)): Path<(String, String, String, i64)>,
    Query(q): Q,
) -> Response {
    let mut d = logged(
        &s,
        &format!("/{org}/{p}/_apis/git/repositories/{REPO}/pullRequests/{id}/commits"),
        &q,
    );
    if !authorized(&h) {
        return sign_in_page();
    }
    let items = d.pr_commits.get(&id).cloned().unwrap_or_default();
    page(&mut d, items, &q)
}

/// The fake server's routes.
pub fn router(shared: Shared) -> Router {
    Router::new()
        .route("/vssps/_apis/profile/profiles/me", get(profile))
        .route("/vssps/_apis/accounts", get(accounts))
        .route("/{org}/_apis/projects", get(projects))
        .route("/{org}/{p}/_apis/git/repositories", get(repos))
        .route("/{org}/{p}/_apis/serviceendpoint/endpoints", get(endpoints))
        .route(
            "/{org}/{p}/_apis/sourceProviders/{provider}/repositories",
            get(external),
        )
        .route("/{org}/{p}/_apis/build/builds", get(builds))
        .route("/{org}/{p}/_apis/build/builds/{id}/timeline", get(timeline))
        .route(
            "/{org}/{p}/_apis/git/repositories/{repo}/pullrequests",
            get(prs),
        )
        .route(
            "/{org}/{p}/_apis/git/repositories/{repo}/pullrequests/{id}",
            get(one_pr),
        )
        .route(
            "/{org}/{p}/_apis/git/repositories/{repo}/pullRequests/{id}/commits",
            get(pr_commits),
        )
        .with_state(shared)
}

/// A running fake server.
pub struct FakeAzure {
    pub url: String,
    pub data: Shared,
}

impl FakeAzure {
    /// Starts the server on a thread of its own (so blocking tests can call it too).
    pub fn start() -> FakeAzure {
        let data: Shared = Arc::new(Mutex::new(initial()));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}/", listener.local_addr().expect("address"));
        let app = router(data.clone());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                axum::serve(listener, app).await.expect("serve");
            });
        });
        FakeAzure { url, data }
    }

    /// The connection DevLake would send (`id` 1).
    pub fn connection(&self, token: &str) -> Value {
        json!({"id": 1, "name": "azure", "token": token, "organization": ORG,
               "baseUrl": self.url, "vsspsUrl": format!("{}vssps/", self.url)})
    }

    /// Requests logged so far, and forget them.
    pub fn take_log(&self) -> Vec<String> {
        std::mem::take(&mut self.data.lock().unwrap().log)
    }

    /// What changes between the first and the second run: build 14 finishes, build 16
    /// and pull request 4 appear (now), pull request 1 is merged.
    pub fn advance(&self) {
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut d = self.data.lock().unwrap();
        let b14 = d.builds.iter_mut().find(|b| b["id"] == 14).unwrap();
        b14["status"] = "completed".into();
        b14["result"] = "succeeded".into();
        b14["finishTime"] = now.clone().into();
        d.timelines
            .insert(14, vec![record("f", "Job", "deploy", "completed", &now)]);
        d.builds
            .push(build(16, "ci", "inProgress", None, &now, None));
        d.timelines
            .insert(16, vec![record("g", "Job", "build", "inProgress", &now)]);
        let pr1 = d.prs.iter_mut().find(|p| p["pullRequestId"] == 1).unwrap();
        pr1["status"] = "completed".into();
        pr1["closedDate"] = now.clone().into();
        d.prs.push(pr(4, "active", &now, None));
        d.pr_commits.insert(4, vec![commit(&"5".repeat(40), &now)]);
    }
}

/// The scope of the fake repository, as remote-scopes gives it.
pub fn scope() -> Value {
    json!({"id": REPO, "name": format!("{PROJECT}/test-repo"), "connectionId": 1,
           "url": format!("https://fake/{ORG}/{PROJECT}/_git/test-repo"),
           "remoteUrl": format!("https://{ORG}@fake/{ORG}/{PROJECT}/_git/test-repo"),
           "defaultBranch": "refs/heads/main", "projectId": PROJECT, "orgId": ORG})
}

/// A scope config with every entity and the Python tests' patterns.
pub fn scope_config() -> Value {
    json!({"id": 1, "name": "default", "connectionId": 1,
           "entities": ["CODE", "CICD", "CODEREVIEW", "CROSS"],
           "deploymentPattern": "deploy", "productionPattern": "prod"})
}
