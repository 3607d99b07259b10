//! The REST client of a plugin: what pydevlake's `API` class gives (base URL, request and
//! response hooks, paginators) plus what DevLake's Go helpers add (retries, rate limits,
//! concurrency).
//!
//! - [`ApiClient`]: built per connection with [`ApiClient::builder`] (base URL, the
//!   connection's proxy, timeouts, [`RetryPolicy`], [`RateLimit`], hooks); cheap to clone.
//!   [`ApiClient::get`] / [`ApiClient::send`] return an [`ApiResponse`] (status, headers,
//!   body, JSON).
//! - Hooks ([`RequestHook`], [`ResponseHook`], or closures): authentication, extra
//!   parameters, status remapping; they can change, replace, answer or abort a request.
//! - Paginators ([`Paginator`] and the built-in ones) and [`Pages`], a stream of
//!   [`Page`]s that keep the URL they came from (for the raw tables), or of items.
//! - Resilience: 429/503 wait for `Retry-After` (capped); connection errors, timeouts and
//!   5xx are retried with exponential backoff and jitter; other 4xx fail at once with an
//!   [`ApiError`] giving the status, the URL (secrets stripped) and a body excerpt.
//! - Rate limits per connection ([`RateLimit`]): request budgets, and
//!   `X-RateLimit-Remaining: 0` waits for `X-RateLimit-Reset`.
//! - Concurrency without `Send`: [`concurrent`], [`concurrent_stream`],
//!   [`concurrent_flat`], and [`Pages::concurrency`].
//!
//! # Example: a plugin's API type
//!
//! ```no_run
//! use devlake::api::{
//!     ApiClient, ApiError, LinkHeaderPaginator, Method, PageItem, RateLimit, Request,
//!     RequestAction, RequestHook,
//! };
//! use futures::{Stream, StreamExt};
//!
//! /// GitHub wants `Authorization: token <PAT>`.
//! struct TokenAuth(String);
//!
//! impl RequestHook for TokenAuth {
//!     async fn on_request(&self, req: &mut Request) -> Result<RequestAction, ApiError> {
//!         req.set_header("Authorization", &format!("token {}", self.0))?;
//!         Ok(RequestAction::Continue)
//!     }
//! }
//!
//! struct GithubApi {
//!     client: ApiClient,
//! }
//!
//! impl GithubApi {
//!     fn new(endpoint: &str, token: &str, proxy: Option<String>) -> Result<Self, ApiError> {
//!         let client = ApiClient::builder(endpoint)
//!             .proxy(proxy)
//!             .request_hook(TokenAuth(token.to_string()))
//!             .header("X-GitHub-Api-Version", "2022-11-28")
//!             .rate_limit(RateLimit::default().per_hour(5000))
//!             .build()?;
//!         Ok(GithubApi { client })
//!     }
//!
//!     /// All issues of a repository, each with the URL of its page.
//!     fn issues(&self, repo: &str) -> impl Stream<Item = Result<PageItem, ApiError>> {
//!         let req = self.client.request(Method::GET, ["repos", repo, "issues"]).query("state", "all");
//!         self.client.paginate(req, LinkHeaderPaginator::new().page_size("per_page", 100)).rows()
//!     }
//! }
//!
//! # async fn demo() -> Result<(), ApiError> {
//! let api = GithubApi::new("https://api.github.com/", "ghp_...", None)?;
//! let result = api.client.send_unchecked(api.client.request(Method::GET, ["user"])).await?;
//! let test = result.to_test_connection_result();
//! let mut issues = std::pin::pin!(api.issues("apache/incubator-devlake"));
//! while let Some(row) = issues.next().await {
//!     let row = row?;
//!     // raw.push_with(row.data, &row.url, &input)?;
//!     # let _ = (row, &test);
//! }
//! # Ok(()) }
//! ```

mod client;
mod concurrent;
mod error;
mod hooks;
mod message;
mod paginate;
mod ratelimit;
mod redact;
mod retry;

pub use client::{ApiClient, ApiClientBuilder};
pub use concurrent::{concurrent, concurrent_flat, concurrent_stream, DEFAULT_CONCURRENCY};
pub use error::ApiError;
pub use hooks::{
    BasicAuth, BearerAuth, RequestAction, RequestHook, ResponseAction, ResponseHook, SetHeader,
    SetQuery,
};
pub use message::{ApiResponse, Body, Request};
pub use paginate::{
    items_at, link_next, value_at, CursorPaginator, HeaderTokenPaginator, LinkHeaderPaginator,
    NextPage, OffsetPaginator, Page, PageItem, PageNumberPaginator, PageOutcome, Pages, Paginator,
    RemainingPages, TokenPaginator,
};
pub use ratelimit::{RateLimit, RateLimitStats, RateLimiter};
pub use redact::redact_url;
pub use retry::RetryPolicy;

pub use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
pub use reqwest::{Method, StatusCode};
pub use url::Url;
