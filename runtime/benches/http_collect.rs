//! Collection throughput of the API client: a local axum server on 127.0.0.1 serves N
//! items in pages of 100, each request delayed by a small artificial latency; the client
//! pages through them with page-number pagination (the total is known after the first
//! page, so the remaining pages are fetched `concurrency` at a time). Prints a markdown
//! table with the median of 5 runs.
//!
//! `cargo bench -p devlake --bench http_collect` (set `HTTP_COLLECT_QUICK=1` for only
//! the small listing).

use axum::extract::{Query, State};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::Router;
use devlake::api::{ApiClient, Method, PageNumberPaginator, RetryPolicy};
use futures::StreamExt;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PAGE_SIZE: u64 = 100;
const LATENCY: Duration = Duration::from_millis(2);
const RUNS: usize = 5;
/// A small listing for the warm-up.
const WARM_UP: u64 = 1_000;

/// Pre-rendered pages of every listing size, so that the server costs little CPU.
struct Listings {
    pages: HashMap<u64, Vec<Arc<str>>>,
}

fn render(total: u64) -> Vec<Arc<str>> {
    let pages = total.div_ceil(PAGE_SIZE);
    (0..pages)
        .map(|p| {
            let items: Vec<_> = (p * PAGE_SIZE..((p + 1) * PAGE_SIZE).min(total))
                .map(|i| {
                    serde_json::json!({
                        "id": i,
                        "number": i + 1,
                        "title": format!("Issue {i}: something is wrong"),
                        "state": if i % 3 == 0 { "closed" } else { "open" },
                        "user": {"login": format!("user{}", i % 97), "id": i % 97},
                        "labels": [{"name": "bug"}, {"name": "p2"}],
                        "created_at": "2024-05-01T10:00:00Z",
                        "updated_at": "2024-05-02T11:30:00Z"
                    })
                })
                .collect();
            Arc::from(serde_json::json!({"total": total, "items": items}).to_string())
        })
        .collect()
}

async fn items(
    State(listings): State<Arc<Listings>>,
    Query(q): Query<HashMap<String, u64>>,
) -> impl IntoResponse {
    tokio::time::sleep(LATENCY).await;
    let total = q.get("n").copied().unwrap_or(0);
    let page = q.get("page").copied().unwrap_or(1).max(1);
    let body = listings
        .pages
        .get(&total)
        .and_then(|pages| pages.get((page - 1) as usize))
        .map(|p| p.to_string())
        .unwrap_or_else(|| format!("{{\"total\":{total},\"items\":[]}}"));
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
}

/// Collects the whole listing once; returns (items, requests, elapsed).
async fn collect(client: &ApiClient, total: u64, concurrency: usize) -> (u64, u64, Duration) {
    let started = Instant::now();
    let req = client.request(Method::GET, ["items"]).query("n", total);
    let paginator = PageNumberPaginator::new("items", "page")
        .page_size("per_page", PAGE_SIZE)
        .total_items_attr("total");
    let mut pages = client.paginate(req, paginator).concurrency(concurrency);
    let (mut items, mut requests) = (0u64, 0u64);
    while let Some(page) = pages.next().await {
        let page = page.expect("page");
        items += page.items.len() as u64;
        requests += 1;
    }
    (items, requests, started.elapsed())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let quick = std::env::var_os("HTTP_COLLECT_QUICK").is_some();
    let sizes: &[u64] = if quick { &[10_000] } else { &[10_000, 100_000] };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let listings = Arc::new(Listings {
        pages: sizes
            .iter()
            .chain([&WARM_UP])
            .map(|n| (*n, render(*n)))
            .collect(),
    });

    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("addr");
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let router = Router::new().route("/items", get(items)).with_state(listings);
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        let client = ApiClient::builder(format!("http://{addr}/"))
            .env_proxy(false)
            .retry(RetryPolicy::none())
            .build()
            .expect("client");

        println!(
            "HTTP collection: {PAGE_SIZE} items per page, {} ms server latency per request, 127.0.0.1, median of {RUNS} runs\n",
            LATENCY.as_millis()
        );
        println!("| items | concurrency | requests | median time | records/s | requests/s |");
        println!("|---:|---:|---:|---:|---:|---:|");
        for &total in sizes {
            for concurrency in [1usize, 8] {
                // Warm-up (connections, allocator).
                collect(&client, WARM_UP, concurrency).await;
                let mut times = Vec::with_capacity(RUNS);
                let mut requests = 0;
                for _ in 0..RUNS {
                    let (items, reqs, elapsed) = collect(&client, total, concurrency).await;
                    assert_eq!(items, total, "every item collected");
                    requests = reqs;
                    times.push(elapsed.as_secs_f64());
                }
                let t = median(times);
                println!(
                    "| {total} | {concurrency} | {requests} | {:.3} s | {:.0} | {:.0} |",
                    t,
                    total as f64 / t,
                    requests as f64 / t
                );
            }
        }
    });
}
