//! Every pagination style against a real HTTP server on 127.0.0.1.

#[path = "support/http_server.rs"]
mod http_server;

use axum::extract::Request as AxumRequest;
use axum::routing::{any, get};
use axum::Router;
use devlake::api::{
    items_at, ApiClient, ApiError, ApiResponse, BearerAuth, CursorPaginator, HeaderTokenPaginator,
    LinkHeaderPaginator, Method, NextPage, OffsetPaginator, PageNumberPaginator, PageOutcome,
    Paginator, Request, RetryPolicy, TokenPaginator,
};
use futures::{StreamExt, TryStreamExt};
use http_server::{json_response, serve, Recorder, Seen};
use serde_json::{json, Value};

/// 23 items: ids 1..=23.
const TOTAL: u64 = 23;

fn item(id: u64) -> Value {
    json!({"id": id, "title": format!("issue {id}")})
}

/// Items `[from, from+n)` clipped to the total.
fn slice(from: u64, n: u64) -> Vec<Value> {
    (from..from.saturating_add(n))
        .filter(|i| *i < TOTAL)
        .map(|i| item(i + 1))
        .collect()
}

fn ids(items: &[Value]) -> Vec<u64> {
    items.iter().map(|i| i["id"].as_u64().unwrap()).collect()
}

fn all_ids() -> Vec<u64> {
    (1..=TOTAL).collect()
}

fn num(seen: &Seen, name: &str, default: u64) -> u64 {
    seen.query
        .get(name)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One server with a route per style; records every request.
async fn server(rec: Recorder) -> String {
    let route = |rec: Recorder, f: fn(&Seen, &str) -> axum::response::Response| {
        any(move |req: AxumRequest| {
            let rec = rec.clone();
            async move {
                let host = req
                    .headers()
                    .get("host")
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                let seen = rec.record(req).await;
                f(&seen, &host)
            }
        })
    };
    let router = Router::new()
        // pydevlake TokenPaginator: {"items": [...], "nextPageToken": "..."}; 10 per page.
        .route(
            "/token",
            route(rec.clone(), |s, _| {
                let from: u64 = s
                    .query
                    .get("pageToken")
                    .map(|t| t.trim_start_matches("t").parse().unwrap())
                    .unwrap_or(0);
                let next = if from + 10 < TOTAL {
                    json!(format!("t{}", from + 10))
                } else {
                    Value::Null
                };
                json_response(
                    200,
                    &[],
                    json!({"data": {"items": slice(from, 10)}, "nextPageToken": next}),
                )
            }),
        )
        // Azure DevOps: {"count": n, "value": [...]}, token in x-ms-continuationtoken.
        .route(
            "/azure",
            route(rec.clone(), |s, _| {
                let from = num(s, "continuationToken", 0);
                let top = num(s, "$top", 10);
                let headers = if from + top < TOTAL {
                    vec![("x-ms-continuationtoken", (from + top).to_string())]
                } else {
                    vec![]
                };
                let items = slice(from, top);
                json_response(200, &headers, json!({"count": items.len(), "value": items}))
            }),
        )
        // Page numbers from 1, per_page, {"values": [...], "size": total, "pages": n}.
        .route(
            "/pages",
            route(rec.clone(), |s, _| {
                let (page, per) = (num(s, "page", 1), num(s, "per_page", 10));
                let pages = TOTAL.div_ceil(per);
                json_response(
                    200,
                    &[("x-total-pages", pages.to_string())],
                    json!({"values": slice((page - 1) * per, per), "size": TOTAL, "pages": pages}),
                )
            }),
        )
        // Offset/limit, Jira style.
        .route(
            "/offset",
            route(rec.clone(), |s, _| {
                let (start, max) = (num(s, "startAt", 0), num(s, "maxResults", 10).min(8)); // the server caps at 8
                json_response(
                    200,
                    &[],
                    json!({"issues": slice(start, max), "total": TOTAL, "startAt": start}),
                )
            }),
        )
        // GitHub: top-level array, Link header with absolute URLs.
        .route(
            "/link",
            route(rec.clone(), |s, host| {
                let (page, per) = (num(s, "page", 1), num(s, "per_page", 30));
                let last = TOTAL.div_ceil(per);
                let url = |p: u64| format!("<http://{host}/link?per_page={per}&page={p}>");
                let mut links = vec![
                    format!("{}; rel=\"last\"", url(last)),
                    format!("{}; rel=\"first\"", url(1)),
                ];
                if page < last {
                    links.insert(0, format!("{}; rel=\"next\"", url(page + 1)));
                }
                if page > 1 {
                    links.push(format!("{}; rel=\"prev\"", url(page - 1)));
                }
                json_response(
                    200,
                    &[("link", links.join(", "))],
                    Value::Array(slice((page - 1) * per, per)),
                )
            }),
        )
        // A Link header pointing elsewhere.
        .route(
            "/evil",
            route(rec.clone(), |_, _| {
                json_response(
                    200,
                    &[("link", "<http://127.0.0.2:1/steal>; rel=\"next\"".into())],
                    json!([1]),
                )
            }),
        )
        // GraphQL: POST {"query", "variables": {"after"}}, Relay page info.
        .route(
            "/graphql",
            route(rec.clone(), |s, _| {
                let body: Value = serde_json::from_str(&s.body).unwrap_or(Value::Null);
                let after = body["variables"]["after"]
                    .as_str()
                    .map(|c| c.trim_start_matches("c").parse::<u64>().unwrap())
                    .unwrap_or(0);
                let first = body["variables"]["first"].as_u64().unwrap_or(10);
                let end = after + first;
                json_response(
                    200,
                    &[],
                    json!({"data": {"repository": {"issues": {
                        "nodes": slice(after, first),
                        "pageInfo": {"endCursor": format!("c{end}"), "hasNextPage": end < TOTAL}
                    }}}}),
                )
            }),
        )
        .route(
            "/graphql-error",
            route(rec.clone(), |_, _| {
                json_response(
                    200,
                    &[],
                    json!({"data": null, "errors": [{"message": "Bad credentials"}]}),
                )
            }),
        )
        // Always the same token: a pagination loop.
        .route(
            "/loop",
            route(rec.clone(), |_, _| {
                json_response(200, &[], json!({"items": [1], "next": "same"}))
            }),
        )
        .route("/broken", get(|| async { "{\"items\": [1, 2" }));
    serve(router).await
}

fn client(base: &str) -> ApiClient {
    ApiClient::builder(base)
        .retry(RetryPolicy::none())
        .env_proxy(false)
        .request_hook(BearerAuth::new("tkn").unwrap())
        .build()
        .unwrap()
}

#[tokio::test]
async fn token_in_the_body() {
    let rec = Recorder::default();
    let api = client(&server(rec.clone()).await);
    let req = api.request(Method::GET, ["token"]).query("state", "open");
    let pages: Vec<_> = api
        .paginate(
            req,
            TokenPaginator::new("data.items", "nextPageToken", "pageToken"),
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 3);
    assert_eq!(
        pages.iter().flat_map(|p| ids(&p.items)).collect::<Vec<_>>(),
        all_ids()
    );
    assert_eq!(
        pages.iter().map(|p| p.number).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert!(
        pages[1].url.ends_with("/token?state=open&pageToken=t10"),
        "{}",
        pages[1].url
    );
    assert!(pages.iter().all(|p| p.status == 200));
    assert_eq!(rec.len(), 3);
    assert!(rec
        .all()
        .iter()
        .all(|s| s.headers["authorization"] == "Bearer tkn" && s.query["state"] == "open"));
}

#[tokio::test]
async fn continuation_token_in_a_header() {
    let rec = Recorder::default();
    let api = client(&server(rec.clone()).await);
    let req = api.request(Method::GET, ["azure"]).query("$top", 10);
    let items = api
        .paginate(
            req,
            HeaderTokenPaginator::new("value", "x-ms-continuationtoken", "continuationToken"),
        )
        .collect_items()
        .await
        .unwrap();
    assert_eq!(ids(&items), all_ids());
    let tokens: Vec<_> = rec
        .all()
        .iter()
        .map(|s| s.query.get("continuationToken").cloned())
        .collect();
    assert_eq!(tokens, [None, Some("10".into()), Some("20".into())]);
}

#[tokio::test]
async fn page_numbers_until_an_empty_page() {
    let rec = Recorder::default();
    let api = client(&server(rec.clone()).await);
    let req = api.request(Method::GET, ["pages"]);
    let items: Vec<Value> = api
        .paginate(
            req,
            PageNumberPaginator::new("values", "page").page_size("per_page", 10),
        )
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&items), all_ids());
    // 3 pages and the empty fourth that ends it.
    assert_eq!(
        rec.all()
            .iter()
            .map(|s| num(s, "page", 0))
            .collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );

    // Stopping at a short page saves the empty one.
    let before = rec.len();
    let req = api.request(Method::GET, ["pages"]);
    let p = PageNumberPaginator::new("values", "page")
        .page_size("per_page", 10)
        .stop_on_short_page(true);
    assert_eq!(
        api.paginate(req, p).collect_items().await.unwrap().len(),
        TOTAL as usize
    );
    assert_eq!(rec.len() - before, 3);
}

#[tokio::test]
async fn page_numbers_up_to_a_known_total_fetched_concurrently_in_order() {
    let rec = Recorder::default();
    let api = client(&server(rec.clone()).await);
    for (paginator, label) in [
        (
            PageNumberPaginator::new("values", "page")
                .page_size("per_page", 5)
                .total_items_attr("size"),
            "items attr",
        ),
        (
            PageNumberPaginator::new("values", "page")
                .page_size("per_page", 5)
                .total_pages_attr("pages"),
            "pages attr",
        ),
        (
            PageNumberPaginator::new("values", "page")
                .page_size("per_page", 5)
                .total_pages_header("x-total-pages"),
            "pages header",
        ),
    ] {
        let before = rec.len();
        let pages: Vec<_> = api
            .paginate(api.request(Method::GET, ["pages"]), paginator)
            .concurrency(3)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(pages.len(), 5, "{label}");
        assert_eq!(
            pages.iter().flat_map(|p| ids(&p.items)).collect::<Vec<_>>(),
            all_ids(),
            "{label}"
        );
        assert!(pages[4].url.contains("page=5"), "{label}: {}", pages[4].url);
        assert_eq!(
            rec.len() - before,
            5,
            "{label}: no request past the last page"
        );
    }
}

#[tokio::test]
async fn offset_and_limit() {
    let rec = Recorder::default();
    let api = client(&server(rec.clone()).await);
    // Until an empty page; the server caps the limit at 8, nothing is lost.
    let items = api
        .paginate(
            api.request(Method::GET, ["offset"]),
            OffsetPaginator::new("issues", "startAt", "maxResults", 10),
        )
        .collect_items()
        .await
        .unwrap();
    assert_eq!(ids(&items), all_ids());
    assert_eq!(
        rec.all()
            .iter()
            .map(|s| num(s, "startAt", 99))
            .collect::<Vec<_>>(),
        [0, 8, 16, 23]
    );
    // With the total: the remaining offsets are known after the first page.
    let before = rec.len();
    let p = OffsetPaginator::new("issues", "startAt", "maxResults", 10).total_attr("total");
    let items = api
        .paginate(api.request(Method::GET, ["offset"]), p)
        .concurrency(2)
        .collect_items()
        .await
        .unwrap();
    assert_eq!(ids(&items), all_ids());
    assert_eq!(rec.len() - before, 3);
}

#[tokio::test]
async fn link_header_next() {
    let rec = Recorder::default();
    let api = client(&server(rec.clone()).await);
    let rows: Vec<_> = api
        .paginate(
            api.request(Method::GET, ["link"]),
            LinkHeaderPaginator::new().page_size("per_page", 10),
        )
        .rows()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rows.len(), TOTAL as usize);
    assert_eq!(
        rows.iter()
            .map(|r| r.data["id"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        all_ids()
    );
    // Each item keeps the URL of its page, for the raw tables.
    assert!(
        rows[0].url.ends_with("/link?per_page=10"),
        "{}",
        rows[0].url
    );
    assert!(
        rows[10].url.ends_with("/link?per_page=10&page=2"),
        "{}",
        rows[10].url
    );
    assert!(
        rows[22].url.ends_with("/link?per_page=10&page=3"),
        "{}",
        rows[22].url
    );
    assert_eq!(rec.len(), 3);
    assert!(rec
        .all()
        .iter()
        .all(|s| s.headers["authorization"] == "Bearer tkn"));

    // A next link to another origin is refused (credentials would follow it).
    let err = api
        .paginate(
            api.request(Method::GET, ["evil"]),
            LinkHeaderPaginator::new(),
        )
        .collect_items()
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Pagination { .. }), "{err:?}");
    assert!(err.to_string().contains("another origin"), "{err}");
}

#[tokio::test]
async fn graphql_cursor_in_the_post_body() {
    let rec = Recorder::default();
    let api = client(&server(rec.clone()).await);
    let query = "query($after: String, $first: Int) { repository { issues(first: $first, after: $after) { nodes { id title } pageInfo { endCursor hasNextPage } } } }";
    let req = api
        .request(Method::POST, ["graphql"])
        .json(json!({"query": query, "variables": {"first": 10}}));
    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Issue {
        id: u64,
        title: String,
    }
    let issues: Vec<Issue> = api
        .paginate(
            req,
            CursorPaginator::graphql(
                "data.repository.issues.nodes",
                "data.repository.issues.pageInfo",
                "after",
            ),
        )
        .items_as::<Issue>()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(issues.len(), TOTAL as usize);
    assert_eq!(
        issues[22],
        Issue {
            id: 23,
            title: "issue 23".into()
        }
    );
    let seen = rec.all();
    assert_eq!(seen.len(), 3);
    assert!(seen
        .iter()
        .all(|s| s.method == "POST" && s.headers["content-type"] == "application/json"));
    let afters: Vec<Value> = seen
        .iter()
        .map(|s| serde_json::from_str::<Value>(&s.body).unwrap()["variables"]["after"].clone())
        .collect();
    assert_eq!(afters, [Value::Null, json!("c10"), json!("c20")]);

    // GraphQL errors without data fail clearly.
    let req = api
        .request(Method::POST, ["graphql-error"])
        .json(json!({"query": "{}"}));
    let err = api
        .paginate(
            req,
            CursorPaginator::graphql("data.x.nodes", "data.x.pageInfo", "after"),
        )
        .collect_items()
        .await;
    assert!(err
        .unwrap_err()
        .to_string()
        .ends_with("/graphql-error: GraphQL error: Bad credentials"));
}

/// A custom paginator: page numbers in the path, `{"results": [...], "more": bool}`.
struct StartParam;

impl Paginator for StartParam {
    fn first_request(&mut self, request: Request) -> Result<Request, ApiError> {
        Ok(request.query("startAt", 0).query("maxResults", 5))
    }

    fn next_page(
        &mut self,
        req: &Request,
        resp: &ApiResponse,
        mut body: Value,
    ) -> Result<PageOutcome, ApiError> {
        let start = body["startAt"].as_u64().unwrap_or(0);
        let more = start + 5 < body["total"].as_u64().unwrap_or(0);
        let items = items_at(&mut body, "issues", resp)?;
        let next = if more {
            let mut next = req.clone();
            next.set_query("startAt", start + items.len() as u64);
            NextPage::Request(next)
        } else {
            NextPage::Done
        };
        Ok(PageOutcome { items, next })
    }
}

#[tokio::test]
async fn custom_paginators_and_max_pages() {
    let rec = Recorder::default();
    let api = client(&server(rec.clone()).await);
    let items = api
        .paginate(api.request(Method::GET, ["offset"]), StartParam)
        .collect_items()
        .await
        .unwrap();
    assert_eq!(ids(&items), all_ids());
    assert_eq!(rec.len(), 5);

    let pages: Vec<_> = api
        .paginate(api.request(Method::GET, ["offset"]), StartParam)
        .max_pages(2)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 2);
    assert_eq!(rec.len(), 7);

    // max_pages also bounds pages known in advance.
    let p = PageNumberPaginator::new("values", "page")
        .page_size("per_page", 2)
        .total_items_attr("size");
    let pages: Vec<_> = api
        .paginate(api.request(Method::GET, ["pages"]), p)
        .concurrency(4)
        .max_pages(3)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 3);
    assert_eq!(rec.len(), 10);
}

#[tokio::test]
async fn pagination_errors_end_the_stream() {
    let rec = Recorder::default();
    let base = server(rec.clone()).await;
    let api = client(&base);

    // The same page twice is a loop: the repeated page is reported, not yielded again.
    let mut pages = api.paginate(
        api.request(Method::GET, ["loop"]),
        TokenPaginator::new("items", "next", "token"),
    );
    assert!(pages.next().await.unwrap().is_ok());
    let err = pages.next().await.unwrap().unwrap_err();
    assert!(
        err.to_string().starts_with(&format!(
            "pagination of {base}loop?token=***: page 2 has the same"
        )),
        "{err}"
    );
    assert!(pages.next().await.is_none());

    // Items missing where the paginator looks.
    let err = api
        .paginate(
            api.request(Method::GET, ["token"]),
            TokenPaginator::new("records", "nextPageToken", "pageToken"),
        )
        .collect_items()
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("the response has no `records`"),
        "{err}"
    );

    // Items that are not an array.
    let err = api
        .paginate(
            api.request(Method::GET, ["azure"]),
            HeaderTokenPaginator::new("count", "x", "y"),
        )
        .collect_items()
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .ends_with("`count` is a number, not an array of items"),
        "{err}"
    );

    // Malformed JSON.
    let err = api
        .paginate(
            api.request(Method::GET, ["broken"]),
            TokenPaginator::new("items", "next", "token"),
        )
        .collect_items()
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Json { .. }));
    assert!(
        err.to_string().starts_with(&format!(
            "invalid JSON from {base}broken: EOF while parsing"
        )),
        "{err}"
    );

    // Typed items that do not fit say which page they came from.
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Wrong {
        id: String,
    }
    let err = api
        .paginate(
            api.request(Method::GET, ["token"]),
            TokenPaginator::new("data.items", "nextPageToken", "pageToken"),
        )
        .items_as::<Wrong>()
        .next()
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        err.to_string().starts_with(&format!(
            "invalid JSON from {base}token: invalid type: integer `1`"
        )),
        "{err}"
    );
}
