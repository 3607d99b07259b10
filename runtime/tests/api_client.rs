//! The API client against a real HTTP server on 127.0.0.1: requests, errors, retries,
//! timeouts, proxies, hooks, connection tests, logs.

#[path = "support/http_server.rs"]
mod http_server;

use axum::extract::Request as AxumRequest;
use axum::routing::{any, get};
use axum::Router;
use devlake::api::{
    ApiClient, ApiError, ApiResponse, BearerAuth, Method, RateLimit, Request, RequestAction,
    RequestHook, ResponseAction, ResponseHook, RetryPolicy, SetQuery, StatusCode,
};
use http_server::{closed_port, json_response, serve, Counter, Recorder};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Fast retries for tests.
fn quick_retry() -> RetryPolicy {
    RetryPolicy::default()
        .max_retries(2)
        .backoff(Duration::from_millis(5), Duration::from_millis(20))
        .max_retry_after(Duration::from_millis(50))
}

fn client(base: &str) -> ApiClient {
    ApiClient::builder(base)
        .retry(quick_retry())
        .env_proxy(false)
        .build()
        .expect("client")
}

/// Echoes what it received as JSON.
fn echo_router(recorder: Recorder) -> Router {
    Router::new().fallback(any(move |req: AxumRequest| {
        let recorder = recorder.clone();
        async move {
            let seen = recorder.record(req).await;
            json_response(
                200,
                &[("x-echo", "yes".to_string())],
                json!({"method": seen.method, "path": seen.path, "query": seen.query, "headers": seen.headers, "body": seen.body}),
            )
        }
    }))
}

#[tokio::test]
async fn get_joins_segments_and_query_and_reads_the_response() {
    let rec = Recorder::default();
    let base = serve(echo_router(rec.clone())).await;
    let api = client(&format!("{base}api/v4"));
    let resp = api
        .get(
            ["projects", "group/sub project", "issues"],
            &[("state", "all"), ("q", "a&b")],
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.is_success());
    assert_eq!(resp.header("x-echo"), Some("yes"));
    let body: Value = resp.json().unwrap();
    assert_eq!(
        body["path"],
        "/api/v4/projects/group%2Fsub%20project/issues"
    );
    assert_eq!(body["query"], json!({"state": "all", "q": "a&b"}));
    assert_eq!(body["headers"]["accept"], "application/json");
    assert!(body["headers"]["user-agent"]
        .as_str()
        .unwrap()
        .starts_with("devlake-rs/"));
    assert!(resp.text().contains("\"method\":\"GET\""));
    assert!(!resp.bytes().is_empty());

    #[derive(serde::Deserialize)]
    struct Echo {
        method: String,
        body: String,
    }
    let posted: Echo = api
        .post_json(["graphql"], json!({"query": "{ viewer { login } }"}))
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(posted.method, "POST");
    assert_eq!(
        serde_json::from_str::<Value>(&posted.body).unwrap()["query"],
        "{ viewer { login } }"
    );
    assert_eq!(rec.all()[1].headers["content-type"], "application/json");
    assert_eq!(api.base_url().as_str(), format!("{base}api/v4/"));
}

#[tokio::test]
async fn a_4xx_fails_at_once_with_status_redacted_url_and_a_bounded_excerpt() {
    let hits = Counter::default();
    let h = hits.clone();
    let long_body = format!(
        "{{\"message\": \"Not Found\",\n \"detail\": \"{}\"}}",
        "x".repeat(5000)
    );
    let router = Router::new().fallback(any(move || {
        let h = h.clone();
        let body = long_body.clone();
        async move {
            h.bump();
            (axum::http::StatusCode::NOT_FOUND, body)
        }
    }));
    let base = serve(router).await;
    let with_creds = base.replacen("http://", "http://alice:hunter2@", 1);
    let api = ApiClient::builder(with_creds)
        .retry(quick_retry())
        .body_excerpt_len(40)
        .request_hook(BearerAuth::new("SECRET-TOKEN").unwrap())
        .build()
        .unwrap();
    let req = api
        .request(Method::GET, ["repos", "x"])
        .query("access_token", "SECRET-QUERY")
        .query("page", 2);
    let err = api.send(req).await.unwrap_err();
    assert_eq!(hits.get(), 1, "a 404 is not retried");
    assert_eq!(err.status(), Some(StatusCode::NOT_FOUND));
    assert!(err.is_not_found());
    let text = err.to_string();
    assert!(!text.contains('\n'), "{text}");
    for secret in ["hunter2", "alice", "SECRET-TOKEN", "SECRET-QUERY"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
        assert!(
            !format!("{err:?}").contains(secret),
            "{secret} leaked in Debug"
        );
    }
    let port = base
        .trim_start_matches("http://127.0.0.1:")
        .trim_end_matches('/');
    assert_eq!(
        text,
        format!(
            "GET http://127.0.0.1:{port}/repos/x?access_token=***&page=2: HTTP 404 Not Found: {{\"message\": \"Not Found\", \"detail\": \"xxxx…"
        )
    );
    match &err {
        ApiError::Status { body, attempts, .. } => {
            assert_eq!(body.chars().count(), 41);
            assert_eq!(*attempts, 1);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn retries_500_then_succeeds_and_gives_up_after_max_retries() {
    let hits = Counter::default();
    let h = hits.clone();
    let router = Router::new()
        .route(
            "/flaky",
            get(move || {
                let h = h.clone();
                async move {
                    if h.bump() == 0 {
                        json_response(500, &[], json!({"error": "boom"}))
                    } else {
                        json_response(200, &[], json!({"ok": true}))
                    }
                }
            }),
        )
        .route(
            "/down",
            get(|| async { json_response(502, &[], json!({"error": "bad gateway"})) }),
        );
    let base = serve(router).await;
    let api = client(&base);
    let resp = api.get(["flaky"], &[]).await.unwrap();
    assert_eq!(resp.json_value().unwrap(), json!({"ok": true}));
    assert_eq!(hits.get(), 2);

    let err = api.get(["down"], &[]).await.unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::BAD_GATEWAY));
    assert_eq!(err.attempts(), Some(3));
    assert!(
        err.to_string()
            .ends_with("(after 3 attempts): {\"error\":\"bad gateway\"}"),
        "{err}"
    );

    // send_unchecked hands back the last response instead.
    let resp = api
        .send_unchecked(api.request(Method::GET, ["down"]))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_GATEWAY);
}

#[tokio::test]
async fn a_429_waits_for_retry_after_seconds() {
    let hits = Counter::default();
    let h = hits.clone();
    let router = Router::new().route(
        "/limited",
        get(move || {
            let h = h.clone();
            async move {
                if h.bump() == 0 {
                    json_response(
                        429,
                        &[("retry-after", "1".to_string())],
                        json!({"message": "slow down"}),
                    )
                } else {
                    json_response(200, &[], json!([1, 2]))
                }
            }
        }),
    );
    let base = serve(router).await;
    let api = ApiClient::builder(&base)
        .retry(quick_retry().max_retry_after(Duration::from_secs(5)))
        .build()
        .unwrap();
    let resp = api.get(["limited"], &[]).await.unwrap();
    assert_eq!(resp.json_value().unwrap(), json!([1, 2]));
    assert_eq!(hits.get(), 2);
    let stats = api.rate_limit_stats();
    assert_eq!(stats.pauses, 1);
    assert_eq!(stats.waits, 1);
    // The wait the limiter computed (not a measured time): about the 1 s asked for.
    assert!(
        stats.waited > Duration::from_millis(900) && stats.waited <= Duration::from_secs(1),
        "{stats:?}"
    );
}

#[tokio::test]
async fn retry_after_dates_and_503_are_capped_by_the_maximum() {
    let hits = Counter::default();
    let h = hits.clone();
    let router = Router::new().route(
        "/maintenance",
        get(move || {
            let h = h.clone();
            async move {
                let later = httpdate::fmt_http_date(
                    std::time::SystemTime::now() + Duration::from_secs(3600),
                );
                match h.bump() {
                    0 => json_response(503, &[("retry-after", later)], json!({})),
                    1 => json_response(429, &[], json!({})), // no Retry-After: backoff
                    _ => json_response(200, &[], json!({"up": true})),
                }
            }
        }),
    );
    let base = serve(router).await;
    let api = client(&base);
    let started = Instant::now();
    let resp = api.get(["maintenance"], &[]).await.unwrap();
    assert_eq!(resp.json_value().unwrap()["up"], true);
    assert_eq!(hits.get(), 3);
    let stats = api.rate_limit_stats();
    assert_eq!(stats.pauses, 1);
    assert!(
        stats.waited <= Duration::from_millis(50),
        "capped: {stats:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5), "no hang");
}

#[tokio::test]
async fn a_hanging_request_times_out_and_is_retried() {
    let hits = Counter::default();
    let h = hits.clone();
    let router = Router::new().route(
        "/hang",
        get(move || {
            let h = h.clone();
            async move {
                h.bump();
                tokio::time::sleep(Duration::from_secs(30)).await;
                "late"
            }
        }),
    );
    let base = serve(router).await;
    let api = ApiClient::builder(&base)
        .timeout(Duration::from_millis(200))
        .retry(quick_retry().max_retries(1))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = api.get(["hang"], &[]).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(err.attempts(), Some(2));
    assert_eq!(hits.get(), 2);
    assert_eq!(
        err.to_string(),
        format!("GET {base}hang: timed out (after 2 attempts)")
    );
    assert!(started.elapsed() < Duration::from_secs(5), "no hang");
    // A per-request timeout overrides the client's.
    let err = api
        .send(
            api.request(Method::GET, ["hang"])
                .with_timeout(Duration::from_millis(50)),
        )
        .await
        .unwrap_err();
    assert!(err.is_timeout());
    assert_eq!(err.to_test_connection_result().status, 504);
}

#[tokio::test]
async fn connection_errors_are_retried_then_reported_on_one_line() {
    let port = closed_port().await;
    let api = client(&format!("http://bob:PW-SECRET@127.0.0.1:{port}/"));
    let err = api
        .get(["x"], &[("private_token", "TOK-SECRET")])
        .await
        .unwrap_err();
    assert!(
        matches!(err, ApiError::Transport { attempts: 3, .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "GET http://127.0.0.1:{port}/x?private_token=***: connection failed"
        )),
        "{text}"
    );
    assert!(
        !text.contains('\n') && !text.contains("SECRET") && !text.contains("bob"),
        "{text}"
    );
    let result = err.to_test_connection_result();
    assert!(!result.success);
    assert_eq!(result.status, 502);
}

#[tokio::test]
async fn malformed_json_is_a_clear_error() {
    let router = Router::new().route("/bad", get(|| async { "{\"items\": [1, 2,\n" }));
    let base = serve(router).await;
    let api = client(&base);
    let resp = api.get(["bad"], &[]).await.unwrap();
    let err = resp.json_value().unwrap_err();
    assert!(matches!(err, ApiError::Json { .. }));
    assert_eq!(
        err.to_string(),
        format!("invalid JSON from {base}bad: EOF while parsing a value at line 2 column 0 (body: {{\"items\": [1, 2,)")
    );
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Typed {
        items: Vec<u32>,
    }
    assert!(resp.json::<Typed>().is_err());
}

#[tokio::test]
async fn the_connection_proxy_is_used_for_plain_http() {
    let rec = Recorder::default();
    let r = rec.clone();
    // A proxy that answers itself (it forwards nothing) and records the absolute-form target.
    let proxy = Router::new().fallback(any(move |req: AxumRequest| {
        let r = r.clone();
        async move {
            let seen = r.record(req).await;
            json_response(200, &[], json!({"via": "proxy", "target": seen.uri}))
        }
    }));
    let proxy_base = serve(proxy).await;
    let proxy_url = proxy_base.replacen("http://", "http://puser:ppass@", 1);
    // Nothing listens on the target: only the proxy can answer.
    let target = format!("http://127.0.0.1:{}/", closed_port().await);
    let api = ApiClient::builder(&target)
        .proxy(Some(proxy_url))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let body = api
        .get(["repos"], &[("page", "1")])
        .await
        .unwrap()
        .json_value()
        .unwrap();
    assert_eq!(body["via"], "proxy");
    assert_eq!(body["target"], format!("{target}repos?page=1"));
    let seen = rec.all();
    assert_eq!(seen.len(), 1);
    // "puser:ppass" in base64.
    assert_eq!(
        seen[0]
            .headers
            .get("proxy-authorization")
            .map(String::as_str),
        Some("Basic cHVzZXI6cHBhc3M=")
    );

    // An empty proxy means none: the request goes straight to the server.
    let direct = Recorder::default();
    let base = serve(echo_router(direct.clone())).await;
    let api = ApiClient::builder(&base)
        .proxy(Some(String::new()))
        .env_proxy(false)
        .build()
        .unwrap();
    api.get(["x"], &[]).await.unwrap();
    assert_eq!(direct.len(), 1);
    assert_eq!(rec.len(), 1);

    // A bad proxy URL is a configuration error that does not show its password.
    let err = ApiClient::builder(&base)
        .proxy(Some("http://u:s3cret@[::1".into()))
        .build()
        .unwrap_err();
    assert!(matches!(err, ApiError::Config(_)));
    assert!(!err.to_string().contains("s3cret"), "{err}");
}

/// A hook that logs its name, and reads what the previous hook did.
struct Named(&'static str, Arc<Mutex<Vec<String>>>);

impl RequestHook for Named {
    async fn on_request(&self, req: &mut Request) -> Result<RequestAction, ApiError> {
        let before = req
            .headers
            .get("x-hooks")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let now = if before.is_empty() {
            self.0.to_string()
        } else {
            format!("{before},{}", self.0)
        };
        req.set_header("x-hooks", &now)?;
        self.1.lock().unwrap().push(format!("req:{}", self.0));
        Ok(RequestAction::Continue)
    }
}

impl ResponseHook for Named {
    async fn on_response(&self, resp: &mut ApiResponse) -> Result<ResponseAction, ApiError> {
        self.1
            .lock()
            .unwrap()
            .push(format!("resp:{}:{}", self.0, resp.status.as_u16()));
        Ok(ResponseAction::Continue)
    }
}

#[tokio::test]
async fn hooks_run_in_declaration_order_after_the_built_in_ones() {
    let rec = Recorder::default();
    let base = serve(echo_router(rec.clone())).await;
    let log = Arc::new(Mutex::new(Vec::new()));
    let api = ApiClient::builder(&base)
        .request_hook(Named("auth", log.clone()))
        .request_hook(SetQuery::new("api-version", "7.1"))
        .on_request(|req| {
            // Overrides the built-in Accept header.
            req.set_header("accept", "application/vnd.github+json")?;
            Ok(RequestAction::Continue)
        })
        .request_hook(Named("version", log.clone()))
        .response_hook(Named("first", log.clone()))
        .on_response(|resp| {
            resp.headers
                .insert("x-seen", devlake::api::HeaderValue::from_static("1"));
            Ok(ResponseAction::Continue)
        })
        .response_hook(Named("second", log.clone()))
        .build()
        .unwrap();
    let resp = api.get(["x"], &[("api-version", "old")]).await.unwrap();
    let body = resp.json_value().unwrap();
    assert_eq!(body["headers"]["x-hooks"], "auth,version");
    assert_eq!(body["headers"]["accept"], "application/vnd.github+json");
    assert_eq!(body["query"]["api-version"], "7.1");
    assert_eq!(resp.header("x-seen"), Some("1"));
    assert_eq!(
        *log.lock().unwrap(),
        [
            "req:auth",
            "req:version",
            "resp:first:200",
            "resp:second:200"
        ]
    );
}

#[tokio::test]
async fn hooks_can_abort_answer_remap_and_retry() {
    let rec = Recorder::default();
    let base = serve(
        Router::new()
            .route(
                "/gone",
                get(|| async { json_response(404, &[], json!({"message": "Not Found"})) }),
            )
            .route(
                "/auth",
                get({
                    let rec = rec.clone();
                    move |req: AxumRequest| {
                        let rec = rec.clone();
                        async move {
                            let seen = rec.record(req).await;
                            match seen.headers.get("authorization").map(String::as_str) {
                                Some("Bearer fresh") => {
                                    json_response(200, &[], json!({"ok": true}))
                                }
                                _ => json_response(401, &[], json!({"message": "token expired"})),
                            }
                        }
                    }
                }),
            )
            .fallback(any({
                let rec = rec.clone();
                move |req: AxumRequest| {
                    let rec = rec.clone();
                    async move {
                        rec.record(req).await;
                        "{}"
                    }
                }
            })),
    )
    .await;

    // Abort: nothing is sent.
    let api = ApiClient::builder(&base)
        .on_request(|req| {
            Ok(if req.url.path().contains("forbidden") {
                RequestAction::Abort("scope not allowed".into())
            } else {
                RequestAction::Continue
            })
        })
        .build()
        .unwrap();
    let err = api.get(["forbidden"], &[]).await.unwrap_err();
    assert!(matches!(err, ApiError::Aborted { .. }));
    assert_eq!(
        err.to_string(),
        format!("GET {base}forbidden: aborted by a hook: scope not allowed")
    );
    assert_eq!(rec.len(), 0);

    // A hook error stops the request too.
    let api = ApiClient::builder(&base)
        .on_request(|_| Err(ApiError::hook("no token available")))
        .build()
        .unwrap();
    assert_eq!(
        api.get(["x"], &[]).await.unwrap_err().to_string(),
        "API hook: no token available"
    );
    assert_eq!(rec.len(), 0);

    // Respond: a canned answer, still checked by status.
    let api = ApiClient::builder(&base)
        .on_request(|req| {
            Ok(RequestAction::Respond(ApiResponse::new(
                StatusCode::OK,
                req.url.clone(),
                "[42]",
            )))
        })
        .build()
        .unwrap();
    assert_eq!(
        api.get(["cached"], &[])
            .await
            .unwrap()
            .json_value()
            .unwrap(),
        json!([42])
    );
    assert_eq!(rec.len(), 0);

    // Remap: a 404 becomes an empty page.
    let api = ApiClient::builder(&base)
        .on_response(|resp| {
            if resp.status == StatusCode::NOT_FOUND {
                resp.status = StatusCode::OK;
                resp.body = b"[]".to_vec();
            }
            Ok(ResponseAction::Continue)
        })
        .build()
        .unwrap();
    assert_eq!(
        api.get(["gone"], &[]).await.unwrap().json_value().unwrap(),
        json!([])
    );

    // Retry: refresh the token on a 401 and send again (the request hooks run again).
    struct Refreshing(Mutex<String>);
    impl RequestHook for Refreshing {
        async fn on_request(&self, req: &mut Request) -> Result<RequestAction, ApiError> {
            let token = self.0.lock().unwrap().clone();
            req.bearer_auth(&token)?;
            Ok(RequestAction::Continue)
        }
    }
    impl ResponseHook for Refreshing {
        async fn on_response(&self, resp: &mut ApiResponse) -> Result<ResponseAction, ApiError> {
            if resp.status == StatusCode::UNAUTHORIZED {
                *self.0.lock().unwrap() = "fresh".into();
                return Ok(ResponseAction::Retry);
            }
            Ok(ResponseAction::Continue)
        }
    }
    let auth = Arc::new(Refreshing(Mutex::new("stale".into())));
    let api = ApiClient::builder(&base)
        .retry(quick_retry())
        .request_hook(auth.clone())
        .response_hook(auth)
        .build()
        .unwrap();
    assert_eq!(
        api.get(["auth"], &[]).await.unwrap().json_value().unwrap()["ok"],
        true
    );
    let seen: Vec<_> = rec
        .all()
        .into_iter()
        .filter(|s| s.path == "/auth")
        .collect();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].headers["authorization"], "Bearer stale");
}

#[tokio::test]
async fn test_connection_results_come_from_responses() {
    let router = Router::new()
        .route(
            "/ok",
            get(|| async { json_response(200, &[], json!({"login": "me"})) }),
        )
        .route(
            "/denied",
            get(|| async { json_response(401, &[], json!({"message": "Bad credentials"})) }),
        );
    let base = serve(router).await;
    let api = client(&base);
    let ok = api
        .send_unchecked(api.request(Method::GET, ["ok"]))
        .await
        .unwrap();
    let result: devlake::TestConnectionResult = (&ok).into();
    assert!(result.success);
    assert_eq!(result.message, "Connection successful");
    assert_eq!(result.status, 200);
    let denied = api
        .send_unchecked(api.request(Method::GET, ["denied"]))
        .await
        .unwrap();
    let result = denied.to_test_connection_result();
    assert!(!result.success);
    assert_eq!(result.status, 401);
    assert_eq!(
        result.message,
        "Connection failed: HTTP 401 Unauthorized: Bad credentials"
    );
    let err = api.get(["denied"], &[]).await.unwrap_err();
    assert_eq!(devlake::TestConnectionResult::from(&err).status, 401);
}

#[tokio::test]
async fn each_request_is_logged_at_debug_level_without_secrets() {
    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let base = serve(echo_router(Recorder::default())).await;
    let api = ApiClient::builder(&base)
        .request_hook(BearerAuth::new("TOPSECRET").unwrap())
        .build()
        .unwrap();
    api.get(["logged"], &[("api_key", "KEY123"), ("page", "3")])
        .await
        .unwrap();
    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    let line = logs
        .lines()
        .find(|l| l.contains("API request"))
        .expect("a request log line");
    assert!(line.contains("DEBUG"), "{line}");
    assert!(line.contains("method=GET"), "{line}");
    assert!(
        line.contains(&format!("url={base}logged?api_key=***&page=3")),
        "{line}"
    );
    assert!(
        !logs.contains("TOPSECRET") && !logs.contains("KEY123"),
        "{logs}"
    );
}

#[tokio::test]
async fn rate_limit_budget_and_headers_are_counted_per_client() {
    // Sanity check of the plumbing; the budget itself is tested in api_limits.rs.
    let base = serve(echo_router(Recorder::default())).await;
    let api = ApiClient::builder(&base)
        .rate_limit(RateLimit::default().per_second(1000))
        .build()
        .unwrap();
    let clone = api.clone();
    api.get(["a"], &[]).await.unwrap();
    clone.get(["b"], &[]).await.unwrap();
    assert_eq!(
        api.rate_limit_stats().requests,
        2,
        "clones share the limiter"
    );
}

#[test]
fn invalid_base_urls_are_configuration_errors() {
    for bad in ["not a url", "ftp://example.com/", "mailto:x@y"] {
        let err = ApiClient::new(bad).unwrap_err();
        assert!(matches!(err, ApiError::Config(_)), "{bad}: {err:?}");
    }
    let err = ApiClient::builder("http://h/")
        .header("bad header", "v")
        .build()
        .unwrap_err();
    assert!(matches!(err, ApiError::Config(_)));
    // The message shows what to fix, masking only the secret parts.
    let err = ApiClient::new("trackr.local/api?page=1&token=t0k").unwrap_err();
    assert_eq!(
        err.to_string(),
        "API client configuration: invalid base URL trackr.local/api?page=1&token=***: \
         relative URL without a base"
    );
    let err = ApiClient::new("http://me:pw@trackr.local:port/").unwrap_err();
    assert!(
        err.to_string().starts_with(
            "API client configuration: invalid base URL http://***@trackr.local:port/: "
        ),
        "{err}"
    );
    let err = ApiClient::new("me:pw@trackr.local").unwrap_err();
    assert_eq!(
        err.to_string(),
        "API client configuration: the base URL must be http(s): ***@trackr.local"
    );
    let api = ApiClient::new("https://example.com/api").unwrap();
    assert_eq!(
        api.url(["a b", "c"]).as_str(),
        "https://example.com/api/a%20b/c"
    );
    assert_eq!(
        format!("{api:?}"),
        "ApiClient { base_url: \"https://example.com/api/\" }"
    );
}

#[test]
fn the_client_is_cheap_to_clone_and_thread_safe() {
    fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync_clone::<ApiClient>();
    assert_send_sync_clone::<ApiError>();
}
