//! The local HTTP source: `GET /pipelines?n=<total>&page=<p>&per_page=100` answers
//! `{"total":n,"items":[...]}` with [`pipeline_json`] items, from pages rendered before
//! the measurement so that the server costs little CPU. Runs on its own thread and
//! runtime, with TCP_NODELAY (pydevlake's baseline showed what Nagle costs on loopback).

use crate::plugin::{pipeline_json, PAGE_SIZE};
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::Router;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

struct Listings {
    pages: HashMap<u64, Vec<Arc<str>>>,
    latency: Duration,
}

fn render(total: u64) -> Vec<Arc<str>> {
    (0..total.div_ceil(PAGE_SIZE))
        .map(|p| {
            let items: Vec<_> = (p * PAGE_SIZE..((p + 1) * PAGE_SIZE).min(total))
                .map(pipeline_json)
                .collect();
            Arc::from(serde_json::json!({"total": total, "items": items}).to_string())
        })
        .collect()
}

async fn pipelines(
    State(listings): State<Arc<Listings>>,
    Query(q): Query<HashMap<String, u64>>,
) -> impl IntoResponse {
    if !listings.latency.is_zero() {
        tokio::time::sleep(listings.latency).await;
    }
    let total = q.get("n").copied().unwrap_or(0);
    let page = q.get("page").copied().unwrap_or(1).max(1);
    let body = match listings.pages.get(&total) {
        Some(pages) => pages.get((page - 1) as usize).map(|p| p.to_string()),
        None => None,
    };
    match body {
        Some(b) => ([(axum::http::header::CONTENT_TYPE, "application/json")], b).into_response(),
        None if page > 1 && listings.pages.contains_key(&total) => (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            format!("{{\"total\":{total},\"items\":[]}}"),
        )
            .into_response(),
        None => (
            axum::http::StatusCode::NOT_FOUND,
            format!("listing of {total} items not rendered"),
        )
            .into_response(),
    }
}

/// A running server; it stops when the process exits.
#[derive(Debug)]
pub struct Server {
    /// `http://127.0.0.1:<port>/`.
    pub endpoint: String,
}

/// Starts a server holding listings of each of `totals` items, answering each request
/// after `latency`.
pub fn start(totals: &[u64], latency: Duration) -> anyhow::Result<Server> {
    let listings = Arc::new(Listings {
        pages: totals.iter().map(|&n| (n, render(n))).collect(),
        latency,
    });
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    std_listener.set_nonblocking(true)?;
    let addr = std_listener.local_addr()?;
    std::thread::Builder::new()
        .name("http-source".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => return eprintln!("error: HTTP source runtime: {e}"),
            };
            rt.block_on(async move {
                let listener = match tokio::net::TcpListener::from_std(std_listener) {
                    Ok(l) => l.tap_io(|tcp| {
                        let _ = tcp.set_nodelay(true);
                    }),
                    Err(e) => return eprintln!("error: HTTP source listener: {e}"),
                };
                let router = Router::new()
                    .route("/pipelines", get(pipelines))
                    .with_state(listings);
                if let Err(e) = axum::serve(listener, router).await {
                    eprintln!("error: HTTP source stopped: {e}");
                }
            });
        })?;
    Ok(Server {
        endpoint: format!("http://{addr}/"),
    })
}
