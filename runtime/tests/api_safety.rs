//! Issue 12 item 18, against a real server on 127.0.0.1: POST/PATCH are not retried on a
//! 5xx or a timeout unless declared idempotent; a bogus known total does not allocate or
//! fetch every page it claims; an API that repeats its last page does not loop forever;
//! GraphQL `hasNextPage: true` without a cursor is an error, not a silent end.

#[path = "support/http_server.rs"]
mod http_server;

use axum::extract::Request as AxumRequest;
use axum::routing::any;
use axum::Router;
use devlake::api::{
    ApiClient, CursorPaginator, Method, PageNumberPaginator, RetryPolicy, StatusCode,
};
use futures::StreamExt;
use http_server::{json_response, serve, Counter, Recorder};
use serde_json::json;
use std::time::Duration;

fn client(base: &str) -> ApiClient {
    ApiClient::builder(base)
        .retry(
            RetryPolicy::default()
                .max_retries(2)
                .backoff(Duration::from_millis(1), Duration::from_millis(1)),
        )
        .build()
        .unwrap()
}

/// Always answers `status`, counting requests.
async fn failing(status: u16, count: Counter) -> String {
    serve(Router::new().fallback(any(move || {
        let count = count.clone();
        async move {
            count.bump();
            json_response(status, &[], json!({"error": "boom"}))
        }
    })))
    .await
}

#[tokio::test]
async fn post_and_patch_are_not_retried_on_5xx_unless_idempotent() {
    for status in [500u16, 502, 503] {
        for method in [Method::POST, Method::PATCH] {
            let count = Counter::default();
            let api = client(&failing(status, count.clone()).await);
            let err = api
                .send(api.request(method.clone(), ["write"]).json(json!({"a": 1})))
                .await
                .unwrap_err();
            assert_eq!(err.status(), StatusCode::from_u16(status).ok(), "{err}");
            assert_eq!(count.get(), 1, "{method} on {status} is sent once: {err}");

            let count = Counter::default();
            let api = client(&failing(status, count.clone()).await);
            let req = api
                .request(method.clone(), ["search"])
                .json(json!({"q": 1}))
                .idempotent(true);
            api.send(req).await.unwrap_err();
            assert_eq!(count.get(), 3, "{method} declared idempotent is retried");
        }
        let count = Counter::default();
        let api = client(&failing(status, count.clone()).await);
        api.send(api.request(Method::GET, ["read"]))
            .await
            .unwrap_err();
        assert_eq!(count.get(), 3, "GET on {status} is retried");
    }
}

#[tokio::test]
async fn a_post_that_times_out_is_not_sent_again() {
    let count = Counter::default();
    let c = count.clone();
    let base = serve(Router::new().fallback(any(move || {
        let c = c.clone();
        async move {
            c.bump();
            tokio::time::sleep(Duration::from_secs(5)).await;
            json_response(200, &[], json!({}))
        }
    })))
    .await;
    let api = client(&base);
    let req = api
        .request(Method::POST, ["slow"])
        .json(json!({}))
        .with_timeout(Duration::from_millis(200));
    let err = api.send(req).await.unwrap_err();
    assert!(err.to_string().contains("timed out"), "{err}");
    assert_eq!(count.get(), 1, "{err}");
}

#[tokio::test]
async fn a_bogus_total_stops_at_the_first_empty_page() {
    let rec = Recorder::default();
    let r = rec.clone();
    let base = serve(Router::new().fallback(any(move |req: AxumRequest| {
        let r = r.clone();
        async move {
            let seen = r.record(req).await;
            let page: u64 = seen
                .query
                .get("page")
                .and_then(|p| p.parse().ok())
                .unwrap_or(1);
            let items: Vec<u64> = if page <= 2 { vec![page] } else { vec![] };
            // Claims a trillion pages: allocating them, or fetching them, never ends.
            json_response(
                200,
                &[("x-total-pages", "1000000000000".to_string())],
                json!(items),
            )
        }
    })))
    .await;
    let api = client(&base);
    let items = api
        .paginate(
            api.request(Method::GET, ["list"]),
            PageNumberPaginator::new("", "page").total_pages_header("x-total-pages"),
        )
        .concurrency(4)
        .collect_items()
        .await
        .unwrap();
    assert_eq!(items, vec![json!(1), json!(2)]);
    assert!(
        rec.len() <= 3 + 4,
        "stops after the empty page 3 (with up to 4 in flight): {} requests",
        rec.len()
    );
}

#[tokio::test]
async fn a_bogus_total_over_a_repeated_last_page_is_reported() {
    let rec = Recorder::default();
    let r = rec.clone();
    let base = serve(Router::new().fallback(any(move |req: AxumRequest| {
        let r = r.clone();
        async move {
            let seen = r.record(req).await;
            let page: u64 = seen
                .query
                .get("page")
                .and_then(|p| p.parse().ok())
                .unwrap_or(1);
            json_response(
                200,
                &[("x-total-pages", "1000000000000".to_string())],
                json!([page.min(2)]),
            )
        }
    })))
    .await;
    let api = client(&base);
    let err = api
        .paginate(
            api.request(Method::GET, ["list"]),
            PageNumberPaginator::new("", "page").total_pages_header("x-total-pages"),
        )
        .concurrency(2)
        .collect_items()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("page 3 has the same 1 items as page 2"),
        "{err}"
    );
    assert!(rec.len() <= 3 + 2, "{} requests", rec.len());
}

#[tokio::test]
async fn an_api_that_repeats_its_last_page_is_reported_not_followed_forever() {
    let rec = Recorder::default();
    let r = rec.clone();
    let base = serve(Router::new().fallback(any(move |req: AxumRequest| {
        let r = r.clone();
        async move {
            let seen = r.record(req).await;
            let page: u64 = seen
                .query
                .get("page")
                .and_then(|p| p.parse().ok())
                .unwrap_or(1);
            // Pages past the end answer the last page again.
            let page = page.min(3);
            json_response(200, &[], json!([page * 10, page * 10 + 1]))
        }
    })))
    .await;
    let api = client(&base);
    let mut pages = api.paginate(
        api.request(Method::GET, ["list"]),
        PageNumberPaginator::new("", "page"),
    );
    let mut items = Vec::new();
    let mut error = None;
    while let Some(page) = pages.next().await {
        match page {
            Ok(p) => items.extend(p.items),
            Err(e) => {
                error = Some(e.to_string());
                break;
            }
        }
    }
    let error = error.expect("the repetition is reported");
    assert!(
        error.contains("page 4 has the same 2 items as page 3") && error.contains("repeats"),
        "{error}"
    );
    assert_eq!(items, [10, 11, 20, 21, 30, 31].map(|n| json!(n)).to_vec());
    assert_eq!(rec.len(), 4);
}

#[tokio::test]
async fn graphql_has_next_page_without_a_cursor_is_an_error() {
    let count = Counter::default();
    let c = count.clone();
    let base = serve(Router::new().fallback(any(move || {
        let c = c.clone();
        async move {
            c.bump();
            json_response(
                200,
                &[],
                json!({"data": {"issues": {"nodes": [{"n": 1}], "pageInfo": {"hasNextPage": true, "endCursor": null}}}}),
            )
        }
    })))
    .await;
    let api = client(&base);
    let err = api
        .paginate(
            api.request(Method::POST, ["graphql"])
                .json(json!({"query": "q", "variables": {}})),
            CursorPaginator::graphql("data.issues.nodes", "data.issues.pageInfo", "after"),
        )
        .collect_items()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "`hasNextPage` is true but `endCursor` is missing or empty at `data.issues.pageInfo`"
        ),
        "{err}"
    );
    assert_eq!(count.get(), 1);
}

#[tokio::test]
async fn graphql_queries_are_retried_as_reads() {
    let count = Counter::default();
    let api = client(&failing(502, count.clone()).await);
    api.paginate(
        api.request(Method::POST, ["graphql"])
            .json(json!({"query": "q", "variables": {}})),
        CursorPaginator::graphql("data.issues.nodes", "data.issues.pageInfo", "after"),
    )
    .collect_items()
    .await
    .unwrap_err();
    assert_eq!(count.get(), 3, "a GraphQL query is idempotent");
}
