//! Concurrency bounds, backpressure and rate limits (counted, not timed).

#[path = "support/http_server.rs"]
mod http_server;

use axum::routing::get;
use axum::Router;
use devlake::api::{
    concurrent, concurrent_flat, concurrent_stream, ApiClient, HeaderMap, HeaderValue, Method,
    PageNumberPaginator, RateLimit, RateLimiter, RetryPolicy, DEFAULT_CONCURRENCY,
};
use futures::{stream, StreamExt, TryStreamExt};
use http_server::{json_response, serve, Counter, InFlight};
use serde_json::json;
use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A server whose `/slow` takes 20 ms and counts requests in flight; `/pages` serves 200
/// items, 10 per page, with the total.
async fn slow_server(in_flight: InFlight) -> String {
    let f = in_flight.clone();
    let router = Router::new()
        .route(
            "/slow/{id}",
            get(move |axum::extract::Path(id): axum::extract::Path<u64>| {
                let f = f.clone();
                async move {
                    let _guard = f.enter();
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    json_response(200, &[], json!({"id": id}))
                }
            }),
        )
        .route(
            "/pages",
            get(
                move |q: axum::extract::Query<std::collections::HashMap<String, u64>>| {
                    let f = in_flight.clone();
                    async move {
                        let _guard = f.enter();
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        let page = q.get("page").copied().unwrap_or(1);
                        let items: Vec<_> = ((page - 1) * 10..page * 10)
                            .map(|i| json!({"id": i}))
                            .collect();
                        json_response(200, &[], json!({"items": items, "total": 200}))
                    }
                },
            ),
        );
    serve(router).await
}

fn client(base: &str) -> ApiClient {
    ApiClient::builder(base)
        .retry(RetryPolicy::none())
        .env_proxy(false)
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_concurrency_bound_is_held() {
    let in_flight = InFlight::default();
    let api = client(&slow_server(in_flight.clone()).await);
    // The futures hold an Rc: no `Send` needed.
    let done = Rc::new(Cell::new(0));
    let results: Vec<_> = concurrent(0..48u64, DEFAULT_CONCURRENCY, |id| {
        let api = api.clone();
        let done = done.clone();
        async move {
            let resp = api.get(["slow", &id.to_string()], &[]).await?;
            done.set(done.get() + 1);
            resp.json_value()
        }
    })
    .try_collect()
    .await
    .unwrap();
    assert_eq!(results.len(), 48);
    assert_eq!(done.get(), 48);
    let mut ids: Vec<_> = results.iter().map(|v| v["id"].as_u64().unwrap()).collect();
    ids.sort_unstable();
    assert_eq!(ids, (0..48).collect::<Vec<_>>());
    let max = in_flight.max();
    assert!(max <= DEFAULT_CONCURRENCY, "max in flight {max}");
    assert!(max > 1, "requests overlapped: {max}");

    // Bound 1 is sequential.
    let sequential = InFlight::default();
    let api = client(&slow_server(sequential.clone()).await);
    let n = concurrent(0..5u64, 1, |id| {
        let api = api.clone();
        async move { api.get(["slow", &id.to_string()], &[]).await }
    })
    .try_collect::<Vec<_>>()
    .await
    .unwrap()
    .len();
    assert_eq!(n, 5);
    assert_eq!(sequential.max(), 1);
}

#[tokio::test]
async fn concurrent_pages_and_the_client_wide_bound() {
    let in_flight = InFlight::default();
    let api = client(&slow_server(in_flight.clone()).await);
    let p = PageNumberPaginator::new("items", "page")
        .page_size("per_page", 10)
        .total_items_attr("total");
    let pages: Vec<_> = api
        .paginate(api.request(Method::GET, ["pages"]), p)
        .concurrency(4)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 20);
    let ids: Vec<u64> = pages
        .iter()
        .flat_map(|p| p.items.iter().map(|i| i["id"].as_u64().unwrap()))
        .collect();
    assert_eq!(ids, (0..200).collect::<Vec<_>>(), "in order");
    assert!(
        in_flight.max() <= 4 && in_flight.max() > 1,
        "{}",
        in_flight.max()
    );

    // max_in_flight bounds the whole client, whatever the callers do.
    let bounded = InFlight::default();
    let base = slow_server(bounded.clone()).await;
    let api = ApiClient::builder(&base).max_in_flight(3).build().unwrap();
    let n = concurrent(0..24u64, 16, |id| {
        let api = api.clone();
        async move { api.get(["slow", &id.to_string()], &[]).await }
    })
    .try_collect::<Vec<_>>()
    .await
    .unwrap()
    .len();
    assert_eq!(n, 24);
    assert!(bounded.max() <= 3 && bounded.max() > 1, "{}", bounded.max());

    // concurrent_flat runs a paginated stream per parent.
    let flat = InFlight::default();
    let api = client(&slow_server(flat.clone()).await);
    let items: Vec<_> = concurrent_flat(0..3, 2, |_| {
        let p = PageNumberPaginator::new("items", "page")
            .page_size("per_page", 10)
            .total_items_attr("total");
        api.paginate(api.request(Method::GET, ["pages"]), p)
            .max_pages(4)
            .items()
    })
    .try_collect()
    .await
    .unwrap();
    assert_eq!(items.len(), 3 * 40);
    assert!(flat.max() <= 2, "{}", flat.max());
}

#[tokio::test]
async fn inputs_are_taken_only_as_results_are_read() {
    let taken = Rc::new(Cell::new(0usize));
    let t = taken.clone();
    let inputs = (0..1000).inspect(move |_| t.set(t.get() + 1));
    let mut results = Box::pin(concurrent(inputs, 4, |i| async move { i * 2 }));
    assert_eq!(taken.get(), 0, "lazy");
    results.next().await.unwrap();
    assert!(taken.get() <= 4, "took {}", taken.get());
    results.next().await.unwrap();
    assert!(taken.get() <= 5, "took {}", taken.get());
    drop(results);

    let taken = Rc::new(Cell::new(0usize));
    let t = taken.clone();
    let inputs = stream::iter(0..1000).inspect(move |_| t.set(t.get() + 1));
    let mut results = Box::pin(concurrent_stream(inputs, 3, |i| async move { i }));
    results.next().await.unwrap();
    assert!(taken.get() <= 3, "took {}", taken.get());
}

#[tokio::test]
async fn a_request_budget_makes_requests_wait() {
    let in_flight = InFlight::default();
    let base = slow_server(in_flight).await;
    // 3 requests per 300 ms: the 4th of 5 quick requests must wait.
    let api = ApiClient::builder(&base)
        .rate_limit(RateLimit::default().budget(3, Duration::from_millis(300)))
        .build()
        .unwrap();
    for id in 0..5 {
        api.get(["slow", &id.to_string()], &[]).await.unwrap();
    }
    let stats = api.rate_limit_stats();
    assert_eq!(stats.requests, 5);
    assert!(stats.waits >= 1, "{stats:?}");
    assert!(stats.waited <= Duration::from_millis(600), "{stats:?}");
}

#[tokio::test(start_paused = true)]
async fn budgets_with_a_paused_clock() {
    let limiter = RateLimiter::new(RateLimit::default().per_hour(3).per_second(2));
    let mut waits = Vec::new();
    for _ in 0..6 {
        waits.push(limiter.acquire().await);
    }
    // 2 per second; the hourly budget of 3 holds the 4th for an hour; the 5th fits in
    // the window after the 2nd left it, the 6th waits for the 3rd to leave it.
    let secs = |s| Duration::from_secs(s);
    assert_eq!(
        waits,
        [secs(0), secs(0), secs(1), secs(3599), secs(0), secs(1)]
    );
    let stats = limiter.stats();
    assert_eq!((stats.requests, stats.waits, stats.pauses), (6, 3, 0));
    assert_eq!(stats.waited, secs(3601));

    // No budget: never waits.
    let free = RateLimiter::new(RateLimit::default());
    for _ in 0..100 {
        assert_eq!(free.acquire().await, Duration::ZERO);
    }
    assert_eq!(free.stats().waits, 0);
}

#[tokio::test(start_paused = true)]
async fn rate_limit_headers_with_a_paused_clock() {
    let mut headers = HeaderMap::new();
    headers.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
    headers.insert("x-ratelimit-reset", HeaderValue::from_static("30"));
    let limiter = RateLimiter::new(RateLimit::default().max_header_wait(Duration::from_secs(10)));
    assert_eq!(
        limiter.observe(&headers),
        Some(Duration::from_secs(10)),
        "capped"
    );
    assert_eq!(limiter.acquire().await, Duration::from_secs(10));
    assert_eq!(limiter.acquire().await, Duration::ZERO);
    headers.insert("x-ratelimit-remaining", HeaderValue::from_static("12"));
    assert_eq!(limiter.observe(&headers), None);
    assert_eq!(limiter.stats().pauses, 1);

    let ignoring = RateLimiter::new(RateLimit::default().respect_headers(false));
    headers.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
    assert_eq!(ignoring.observe(&headers), None);
    assert_eq!(ignoring.acquire().await, Duration::ZERO);
}

#[tokio::test]
async fn remaining_zero_pauses_the_client_until_the_capped_reset() {
    let hits = Counter::default();
    let h = hits.clone();
    let router = Router::new()
        .route(
            "/limited",
            get(move || {
                let h = h.clone();
                async move {
                    let reset = SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .unwrap()
                        .as_secs()
                        + 3600;
                    let n = h.bump();
                    let headers = [
                        (
                            "x-ratelimit-remaining",
                            if n == 0 { "0" } else { "4999" }.to_string(),
                        ),
                        ("x-ratelimit-reset", reset.to_string()),
                    ];
                    json_response(200, &headers, json!({"n": n}))
                }
            }),
        )
        .route(
            "/github-403",
            get({
                let hits = hits.clone();
                move || {
                    let h = hits.clone();
                    async move {
                        let n = h.bump();
                        if n == 2 {
                            let headers = [
                                ("x-ratelimit-remaining", "0".to_string()),
                                ("x-ratelimit-reset", "5".into()),
                            ];
                            json_response(
                                403,
                                &headers,
                                json!({"message": "API rate limit exceeded"}),
                            )
                        } else {
                            json_response(200, &[], json!({"n": n}))
                        }
                    }
                }
            }),
        );
    let base = serve(router).await;
    let api = ApiClient::builder(&base)
        .rate_limit(RateLimit::default().max_header_wait(Duration::from_millis(150)))
        .retry(
            RetryPolicy::default()
                .max_retries(2)
                .backoff(Duration::from_millis(5), Duration::from_millis(5)),
        )
        .build()
        .unwrap();
    assert_eq!(
        api.get(["limited"], &[])
            .await
            .unwrap()
            .json_value()
            .unwrap()["n"],
        0
    );
    assert_eq!(api.rate_limit_stats().pauses, 1);
    assert_eq!(
        api.get(["limited"], &[])
            .await
            .unwrap()
            .json_value()
            .unwrap()["n"],
        1
    );
    let stats = api.rate_limit_stats();
    assert_eq!(
        stats.waits, 1,
        "the second request waited for the reset: {stats:?}"
    );
    assert!(
        stats.waited <= Duration::from_millis(150),
        "capped: {stats:?}"
    );

    // GitHub's primary rate limit is a 403 with remaining 0: wait, then retry.
    let resp = api.get(["github-403"], &[]).await.unwrap();
    assert_eq!(resp.json_value().unwrap()["n"], 3);
    let stats = api.rate_limit_stats();
    assert_eq!((stats.pauses, stats.waits), (2, 2), "{stats:?}");
}
