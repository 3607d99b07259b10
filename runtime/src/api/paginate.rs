//! Pagination: the [`Paginator`] trait, the paginators of common APIs, and [`Pages`],
//! the stream of pages (or items) of a listing.
//!
//! | API style | paginator |
//! | --- | --- |
//! | next-page token in the body (pydevlake's `TokenPaginator`) | [`TokenPaginator`] |
//! | continuation token in a header (Azure DevOps) | [`HeaderTokenPaginator`] |
//! | page number, until an empty page or a known total | [`PageNumberPaginator`] |
//! | offset and limit | [`OffsetPaginator`] |
//! | `Link: <...>; rel="next"` (GitHub, GitLab) | [`LinkHeaderPaginator`] |
//! | GraphQL `pageInfo { endCursor hasNextPage }` | [`CursorPaginator`] |
//!
//! Attribute paths (`items_attr`...) are dotted paths into the JSON body (`"data.items"`);
//! the empty path is the body itself (a top-level array).

use super::client::ApiClient;
use super::error::ApiError;
use super::message::{ApiResponse, Request};
use super::redact;
use futures::stream::{self, LocalBoxStream, Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::pin::Pin;
use std::task::{Context, Poll};
use url::Url;

/// One page of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The URL the page came from, secrets stripped: what DevLake's raw tables keep in
    /// their `url` column.
    pub url: String,
    /// The page's position in this run, from 1.
    pub number: u64,
    /// The HTTP status of the page.
    pub status: u16,
    /// The page's items.
    pub items: Vec<Value>,
}

impl Page {
    /// The items decoded into `T`.
    pub fn items_as<T: DeserializeOwned>(&self) -> Result<Vec<T>, ApiError> {
        self.items
            .iter()
            .map(|item| decode_item(item.clone(), &self.url))
            .collect()
    }

    /// The items, each with the URL of this page.
    pub fn into_rows(self) -> impl Iterator<Item = PageItem> {
        let url = self.url;
        self.items.into_iter().map(move |data| PageItem {
            data,
            url: url.clone(),
        })
    }
}

/// An item with the URL of the page it came from (for `RawSink::push_with(data, url, input)`).
#[derive(Debug, Clone, PartialEq)]
pub struct PageItem {
    /// The item.
    pub data: Value,
    /// The URL of its page, secrets stripped.
    pub url: String,
}

/// What a [`Paginator`] makes of a page.
#[derive(Debug)]
pub struct PageOutcome {
    /// The page's items.
    pub items: Vec<Value>,
    /// What to fetch next.
    pub next: NextPage,
}

/// What to fetch after a page.
// Short-lived values, matched once: boxing would only make hooks wordier.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum NextPage {
    /// Nothing: this was the last page.
    Done,
    /// This request (the next page).
    Request(Request),
    /// All the remaining pages, known in advance (page numbers or offsets up to a known
    /// total). They are fetched [`Pages::concurrency`] at a time, in order, and the
    /// paginator is only asked for their items (their `next` is ignored). The listing
    /// ends early at an empty page (a total that overstates the items).
    Remaining(Vec<Request>),
    /// Like [`Remaining`](Self::Remaining), made one request at a time as they are
    /// fetched, so a huge (or bogus) total costs nothing up front. The built-in
    /// paginators use it.
    RemainingLazy(RemainingPages),
}

/// The remaining pages of a known total, made as they are fetched (see
/// [`NextPage::RemainingLazy`]).
pub struct RemainingPages(Box<dyn Iterator<Item = Request>>);

impl RemainingPages {
    /// The requests `iter` yields, taken one at a time.
    pub fn new(iter: impl Iterator<Item = Request> + 'static) -> Self {
        RemainingPages(Box::new(iter))
    }
}

impl std::fmt::Debug for RemainingPages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RemainingPages")
    }
}

/// A way of paging through a listing. Implement it for an API none of the built-in
/// paginators fits.
///
/// ```
/// use devlake::api::{items_at, ApiError, ApiResponse, NextPage, PageOutcome, Paginator, Request};
/// use serde_json::Value;
///
/// /// Jenkins-like: `{"builds": [...], "more": true}`, pages chosen by `?start=N`.
/// struct StartParam;
///
/// impl Paginator for StartParam {
///     fn next_page(&mut self, req: &Request, resp: &ApiResponse, mut body: Value) -> Result<PageOutcome, ApiError> {
///         let more = body["more"].as_bool().unwrap_or(false);
///         let items = items_at(&mut body, "builds", resp)?;
///         let next = if more && !items.is_empty() {
///             let start: usize = req.query_param("start").and_then(|s| s.parse().ok()).unwrap_or(0);
///             let mut next = req.clone();
///             next.set_query("start", start + items.len());
///             NextPage::Request(next)
///         } else {
///             NextPage::Done
///         };
///         Ok(PageOutcome { items, next })
///     }
/// }
/// ```
pub trait Paginator {
    /// Prepares the request of the first page (sets the page size, the first page
    /// number...). By default the request is left as it is.
    fn first_request(&mut self, request: Request) -> Result<Request, ApiError> {
        Ok(request)
    }

    /// Splits a page into its items and what to fetch next. `request` is the request
    /// that was sent (before hooks), `body` the parsed JSON body.
    fn next_page(
        &mut self,
        request: &Request,
        response: &ApiResponse,
        body: Value,
    ) -> Result<PageOutcome, ApiError>;
}

/// The value at a dotted path (`"data.repository.issues"`; `""` is the value itself).
pub fn value_at<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return Some(value);
    }
    path.split('.').try_fold(value, |v, key| match v {
        Value::Object(map) => map.get(key),
        Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

fn value_at_mut<'a>(value: &'a mut Value, path: &str) -> Option<&'a mut Value> {
    if path.is_empty() {
        return Some(value);
    }
    path.split('.').try_fold(value, |v, key| match v {
        Value::Object(map) => map.get_mut(key),
        Value::Array(items) => key
            .parse::<usize>()
            .ok()
            .and_then(move |i| items.get_mut(i)),
        _ => None,
    })
}

/// Takes the array at `path` out of `body`: a `null` is an empty page; a missing path or
/// something else than an array is an [`ApiError::Pagination`].
pub fn items_at(
    body: &mut Value,
    path: &str,
    response: &ApiResponse,
) -> Result<Vec<Value>, ApiError> {
    match value_at_mut(body, path) {
        Some(Value::Array(items)) => Ok(std::mem::take(items)),
        Some(Value::Null) => Ok(Vec::new()),
        Some(other) => Err(pagination_error(
            response,
            format!(
                "`{}` is {}, not an array of items",
                shown_path(path),
                kind(other)
            ),
        )),
        None => Err(pagination_error(
            response,
            format!(
                "the response has no `{}` (body: {})",
                shown_path(path),
                response
                    .secrets
                    .redact(&redact::excerpt(&response.body, 120))
            ),
        )),
    }
}

fn shown_path(path: &str) -> &str {
    if path.is_empty() {
        "<body>"
    } else {
        path
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn pagination_error(response: &ApiResponse, message: String) -> ApiError {
    ApiError::Pagination {
        url: response.redacted_url(),
        message,
    }
}

/// A token as text: a non-empty string or a number; `null`, `""` and `false` mean none.
fn token_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn number_at(body: &Value, path: &str) -> Option<u64> {
    match value_at(body, path)? {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn header_number(response: &ApiResponse, name: &str) -> Option<u64> {
    response.header(name)?.trim().parse().ok()
}

/// The next-page token is in the body, and goes back as a query parameter (pydevlake's
/// `TokenPaginator`; Google-style `nextPageToken`, Jira Cloud's `nextPageToken`).
///
/// ```
/// use devlake::api::TokenPaginator;
/// let p = TokenPaginator::new("items", "nextPageToken", "pageToken");
/// # drop(p);
/// ```
#[derive(Debug, Clone)]
pub struct TokenPaginator {
    items_attr: String,
    next_page_token_attr: String,
    next_page_token_param: String,
}

impl TokenPaginator {
    /// Items at `items_attr`, the token at `next_page_token_attr` (no token, `null` or
    /// `""`: last page), sent back as `next_page_token_param`.
    pub fn new(
        items_attr: impl Into<String>,
        next_page_token_attr: impl Into<String>,
        next_page_token_param: impl Into<String>,
    ) -> Self {
        TokenPaginator {
            items_attr: items_attr.into(),
            next_page_token_attr: next_page_token_attr.into(),
            next_page_token_param: next_page_token_param.into(),
        }
    }
}

impl Paginator for TokenPaginator {
    fn next_page(
        &mut self,
        request: &Request,
        response: &ApiResponse,
        mut body: Value,
    ) -> Result<PageOutcome, ApiError> {
        let token = token_text(value_at(&body, &self.next_page_token_attr));
        let items = items_at(&mut body, &self.items_attr, response)?;
        let next = match token {
            Some(token) => {
                let mut next = request.clone();
                next.set_query(&self.next_page_token_param, token);
                NextPage::Request(next)
            }
            None => NextPage::Done,
        };
        Ok(PageOutcome { items, next })
    }
}

/// The continuation token is in a response header, and goes back as a query parameter
/// (Azure DevOps: `x-ms-continuationtoken` → `continuationToken`).
///
/// ```
/// use devlake::api::HeaderTokenPaginator;
/// let p = HeaderTokenPaginator::new("value", "x-ms-continuationtoken", "continuationToken");
/// # drop(p);
/// ```
#[derive(Debug, Clone)]
pub struct HeaderTokenPaginator {
    items_attr: String,
    header: String,
    param: String,
}

impl HeaderTokenPaginator {
    /// Items at `items_attr`, the token in the `header` header (absent or empty: last
    /// page), sent back as `param`.
    pub fn new(
        items_attr: impl Into<String>,
        header: impl Into<String>,
        param: impl Into<String>,
    ) -> Self {
        HeaderTokenPaginator {
            items_attr: items_attr.into(),
            header: header.into(),
            param: param.into(),
        }
    }
}

impl Paginator for HeaderTokenPaginator {
    fn next_page(
        &mut self,
        request: &Request,
        response: &ApiResponse,
        mut body: Value,
    ) -> Result<PageOutcome, ApiError> {
        let items = items_at(&mut body, &self.items_attr, response)?;
        let next = match response
            .header(&self.header)
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            Some(token) => {
                let mut next = request.clone();
                next.set_query(&self.param, token);
                NextPage::Request(next)
            }
            None => NextPage::Done,
        };
        Ok(PageOutcome { items, next })
    }
}

/// Where a listing says how big it is.
#[derive(Debug, Clone)]
enum Total {
    PagesAttr(String),
    ItemsAttr(String),
    PagesHeader(String),
    ItemsHeader(String),
}

impl Total {
    /// The number of pages, given the first page and its size.
    fn pages(&self, response: &ApiResponse, body: &Value, page_len: usize) -> Option<u64> {
        let items = |total: u64| {
            if page_len == 0 {
                0
            } else {
                total.div_ceil(page_len as u64)
            }
        };
        match self {
            Total::PagesAttr(path) => number_at(body, path),
            Total::ItemsAttr(path) => number_at(body, path).map(items),
            Total::PagesHeader(name) => header_number(response, name),
            Total::ItemsHeader(name) => header_number(response, name).map(items),
        }
    }
}

/// Pages by number (`?page=1`, `?page=2`...) until an empty page, or up to a known total
/// (then the remaining pages are known after the first one, and can be fetched
/// concurrently with [`Pages::concurrency`]).
///
/// ```
/// use devlake::api::PageNumberPaginator;
/// // Bitbucket-like: {"values": [...], "size": 1234}, 100 per page.
/// let p = PageNumberPaginator::new("values", "page").page_size("pagelen", 100).total_items_attr("size");
/// // GitLab-like: a top-level array, the number of pages in a header.
/// let q = PageNumberPaginator::new("", "page").page_size("per_page", 100).total_pages_header("x-total-pages");
/// # drop((p, q));
/// ```
#[derive(Debug, Clone)]
pub struct PageNumberPaginator {
    items_attr: String,
    page_param: String,
    first_page: u64,
    page_size: Option<(String, u64)>,
    total: Option<Total>,
    stop_on_short_page: bool,
}

impl PageNumberPaginator {
    /// Items at `items_attr`, the page number in the `page_param` query parameter, from 1.
    pub fn new(items_attr: impl Into<String>, page_param: impl Into<String>) -> Self {
        PageNumberPaginator {
            items_attr: items_attr.into(),
            page_param: page_param.into(),
            first_page: 1,
            page_size: None,
            total: None,
            stop_on_short_page: false,
        }
    }

    /// The number of the first page (some APIs count from 0).
    pub fn first_page(mut self, first: u64) -> Self {
        self.first_page = first;
        self
    }

    /// Asks for `size` items per page with the `param` query parameter.
    pub fn page_size(mut self, param: impl Into<String>, size: u64) -> Self {
        self.page_size = Some((param.into(), size.max(1)));
        self
    }

    /// The number of pages is at this body path.
    pub fn total_pages_attr(mut self, path: impl Into<String>) -> Self {
        self.total = Some(Total::PagesAttr(path.into()));
        self
    }

    /// The number of items is at this body path (pages are as big as the first one).
    pub fn total_items_attr(mut self, path: impl Into<String>) -> Self {
        self.total = Some(Total::ItemsAttr(path.into()));
        self
    }

    /// The number of pages is in this header (GitLab's `x-total-pages`).
    pub fn total_pages_header(mut self, name: impl Into<String>) -> Self {
        self.total = Some(Total::PagesHeader(name.into()));
        self
    }

    /// The number of items is in this header (GitLab's `x-total`).
    pub fn total_items_header(mut self, name: impl Into<String>) -> Self {
        self.total = Some(Total::ItemsHeader(name.into()));
        self
    }

    /// Also stop at a page with fewer items than [`page_size`](Self::page_size) (saves a
    /// request; only for APIs that never return fewer items than asked on a full page).
    pub fn stop_on_short_page(mut self, stop: bool) -> Self {
        self.stop_on_short_page = stop;
        self
    }

    fn page_request(&self, request: &Request, page: u64) -> Request {
        let mut next = request.clone();
        next.set_query(&self.page_param, page);
        next
    }
}

impl Paginator for PageNumberPaginator {
    fn first_request(&mut self, mut request: Request) -> Result<Request, ApiError> {
        if let Some((param, size)) = &self.page_size {
            request.set_query(param, size);
        }
        request.set_query(&self.page_param, self.first_page);
        Ok(request)
    }

    fn next_page(
        &mut self,
        request: &Request,
        response: &ApiResponse,
        mut body: Value,
    ) -> Result<PageOutcome, ApiError> {
        let page = request
            .query_param(&self.page_param)
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(self.first_page);
        let items = items_at(&mut body, &self.items_attr, response)?;
        if items.is_empty() {
            return Ok(PageOutcome {
                items,
                next: NextPage::Done,
            });
        }
        if let Some(total) = &self.total {
            let next = if page == self.first_page {
                let pages = total.pages(response, &body, items.len()).ok_or_else(|| {
                    pagination_error(
                        response,
                        "the response does not say how many pages there are".into(),
                    )
                })?;
                let (param, request) = (self.page_param.clone(), request.clone());
                let rest =
                    (self.first_page + 1..self.first_page.saturating_add(pages)).map(move |p| {
                        let mut next = request.clone();
                        next.set_query(&param, p);
                        next
                    });
                NextPage::RemainingLazy(RemainingPages::new(rest))
            } else {
                NextPage::Done
            };
            return Ok(PageOutcome { items, next });
        }
        let short = self
            .page_size
            .as_ref()
            .is_some_and(|(_, size)| (items.len() as u64) < *size);
        let next = if self.stop_on_short_page && short {
            NextPage::Done
        } else {
            NextPage::Request(self.page_request(request, page + 1))
        };
        Ok(PageOutcome { items, next })
    }
}

/// Pages by offset and limit (`?offset=0&limit=100`, Jira's `startAt`/`maxResults`)
/// until an empty page, or up to a known total (then the remaining pages are known after
/// the first one). The offset advances by the number of items received, so a server
/// that caps the limit loses nothing.
///
/// ```
/// use devlake::api::OffsetPaginator;
/// let jira = OffsetPaginator::new("issues", "startAt", "maxResults", 100).total_attr("total");
/// # drop(jira);
/// ```
#[derive(Debug, Clone)]
pub struct OffsetPaginator {
    items_attr: String,
    offset_param: String,
    limit_param: String,
    limit: u64,
    total_attr: Option<String>,
}

impl OffsetPaginator {
    /// Items at `items_attr`, `limit` items per page.
    pub fn new(
        items_attr: impl Into<String>,
        offset_param: impl Into<String>,
        limit_param: impl Into<String>,
        limit: u64,
    ) -> Self {
        OffsetPaginator {
            items_attr: items_attr.into(),
            offset_param: offset_param.into(),
            limit_param: limit_param.into(),
            limit: limit.max(1),
            total_attr: None,
        }
    }

    /// The number of items is at this body path.
    pub fn total_attr(mut self, path: impl Into<String>) -> Self {
        self.total_attr = Some(path.into());
        self
    }

    fn offset_request(&self, request: &Request, offset: u64) -> Request {
        let mut next = request.clone();
        next.set_query(&self.offset_param, offset);
        next
    }
}

impl Paginator for OffsetPaginator {
    fn first_request(&mut self, mut request: Request) -> Result<Request, ApiError> {
        request.set_query(&self.limit_param, self.limit);
        request.set_query(&self.offset_param, 0);
        Ok(request)
    }

    fn next_page(
        &mut self,
        request: &Request,
        response: &ApiResponse,
        mut body: Value,
    ) -> Result<PageOutcome, ApiError> {
        let offset = request
            .query_param(&self.offset_param)
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(0);
        let total = self.total_attr.as_deref().map(|path| {
            number_at(&body, path).ok_or_else(|| {
                pagination_error(response, format!("the response has no number at `{path}`"))
            })
        });
        let items = items_at(&mut body, &self.items_attr, response)?;
        if items.is_empty() {
            return Ok(PageOutcome {
                items,
                next: NextPage::Done,
            });
        }
        let step = items.len() as u64;
        let next = match total {
            Some(total) if offset == 0 => {
                let total = total?;
                let (param, request) = (self.offset_param.clone(), request.clone());
                let rest = (1u64..)
                    .map_while(move |i| i.checked_mul(step))
                    .take_while(move |o| *o < total)
                    .map(move |o| {
                        let mut next = request.clone();
                        next.set_query(&param, o);
                        next
                    });
                NextPage::RemainingLazy(RemainingPages::new(rest))
            }
            Some(_) => NextPage::Done,
            None => NextPage::Request(self.offset_request(request, offset + step)),
        };
        Ok(PageOutcome { items, next })
    }
}

/// Follows `Link: <https://...>; rel="next"` headers (GitHub, GitLab, Bitbucket Server
/// proxies). The next URL must have the origin of the request (so credentials added by
/// hooks never go elsewhere).
///
/// ```
/// use devlake::api::LinkHeaderPaginator;
/// let github = LinkHeaderPaginator::new().page_size("per_page", 100);
/// # drop(github);
/// ```
#[derive(Debug, Clone, Default)]
pub struct LinkHeaderPaginator {
    items_attr: String,
    page_size: Option<(String, u64)>,
}

impl LinkHeaderPaginator {
    /// Items are the body (a top-level array).
    pub fn new() -> Self {
        Self::default()
    }

    /// Items are at this body path.
    pub fn items_attr(mut self, path: impl Into<String>) -> Self {
        self.items_attr = path.into();
        self
    }

    /// Asks for `size` items per page with the `param` query parameter.
    pub fn page_size(mut self, param: impl Into<String>, size: u64) -> Self {
        self.page_size = Some((param.into(), size.max(1)));
        self
    }
}

/// The `rel="next"` target of a response's `Link` headers, resolved against the
/// response URL.
pub fn link_next(response: &ApiResponse) -> Option<Url> {
    for value in response.headers.get_all(reqwest::header::LINK) {
        let Ok(text) = value.to_str() else { continue };
        for link in split_links(text) {
            let Some((target, params)) = parse_link(link) else {
                continue;
            };
            let is_next = params.iter().any(|(k, v)| {
                k.eq_ignore_ascii_case("rel")
                    && v.split_ascii_whitespace()
                        .any(|r| r.eq_ignore_ascii_case("next"))
            });
            if is_next {
                return response.url.join(target).ok();
            }
        }
    }
    None
}

/// Splits a `Link` header on the commas that are outside `<...>` and quotes.
fn split_links(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut in_angle, mut in_quote, mut start) = (false, false, 0);
    for (i, c) in text.char_indices() {
        match c {
            '<' if !in_quote => in_angle = true,
            '>' if !in_quote => in_angle = false,
            '"' if !in_angle => in_quote = !in_quote,
            ',' if !in_angle && !in_quote => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// `<target>; k=v; k="v"` → target and parameters.
fn parse_link(link: &str) -> Option<(&str, Vec<(&str, &str)>)> {
    let link = link.trim();
    let rest = link.strip_prefix('<')?;
    let end = rest.find('>')?;
    let target = &rest[..end];
    let params = rest[end + 1..]
        .split(';')
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            Some((k.trim(), v.trim().trim_matches('"')))
        })
        .collect();
    Some((target, params))
}

impl Paginator for LinkHeaderPaginator {
    fn first_request(&mut self, mut request: Request) -> Result<Request, ApiError> {
        if let Some((param, size)) = &self.page_size {
            request.set_query(param, size);
        }
        Ok(request)
    }

    fn next_page(
        &mut self,
        request: &Request,
        response: &ApiResponse,
        mut body: Value,
    ) -> Result<PageOutcome, ApiError> {
        let items = items_at(&mut body, &self.items_attr, response)?;
        let next = match link_next(response) {
            Some(url) => {
                if url.origin() != request.url.origin() {
                    return Err(pagination_error(
                        response,
                        format!(
                            "the next page is on another origin ({})",
                            redact::redact_url(&url)
                        ),
                    ));
                }
                let mut next = request.clone();
                next.url = url;
                NextPage::Request(next)
            }
            None => NextPage::Done,
        };
        Ok(PageOutcome { items, next })
    }
}

/// Where a [`CursorPaginator`] puts the cursor.
#[derive(Debug, Clone)]
enum CursorTarget {
    /// `variables.<name>` of the JSON body (GraphQL).
    Variable(String),
    /// A query parameter.
    Query(String),
}

/// Relay-style cursors: `pageInfo { endCursor hasNextPage }` next to the items; the
/// cursor goes into a GraphQL variable of the POST body (or a query parameter).
///
/// ```
/// use devlake::api::CursorPaginator;
/// // query($owner: String!, $name: String!, $after: String) {
/// //   repository(owner: $owner, name: $name) {
/// //     issues(first: 100, after: $after) { nodes { number title } pageInfo { endCursor hasNextPage } } } }
/// let p = CursorPaginator::graphql("data.repository.issues.nodes", "data.repository.issues.pageInfo", "after");
/// # drop(p);
/// ```
#[derive(Debug, Clone)]
pub struct CursorPaginator {
    items_attr: String,
    page_info_attr: String,
    target: CursorTarget,
    end_cursor_field: String,
    has_next_field: String,
}

impl CursorPaginator {
    /// Items at `items_attr`, the page info at `page_info_attr`, the cursor set as the
    /// GraphQL variable `variable` (in `variables` of the JSON body).
    pub fn graphql(
        items_attr: impl Into<String>,
        page_info_attr: impl Into<String>,
        variable: impl Into<String>,
    ) -> Self {
        CursorPaginator {
            items_attr: items_attr.into(),
            page_info_attr: page_info_attr.into(),
            target: CursorTarget::Variable(variable.into()),
            end_cursor_field: "endCursor".into(),
            has_next_field: "hasNextPage".into(),
        }
    }

    /// Like [`graphql`](Self::graphql), with the cursor sent as the query parameter `param`.
    pub fn query(
        items_attr: impl Into<String>,
        page_info_attr: impl Into<String>,
        param: impl Into<String>,
    ) -> Self {
        CursorPaginator {
            target: CursorTarget::Query(param.into()),
            ..Self::graphql(items_attr, page_info_attr, "")
        }
    }

    /// The names of the page-info fields (default `endCursor` and `hasNextPage`).
    pub fn fields(mut self, end_cursor: impl Into<String>, has_next: impl Into<String>) -> Self {
        self.end_cursor_field = end_cursor.into();
        self.has_next_field = has_next.into();
        self
    }
}

impl Paginator for CursorPaginator {
    /// A GraphQL query is a read sent as a POST: declared idempotent, so its 5xx and
    /// timeouts are retried like a GET's.
    fn first_request(&mut self, mut request: Request) -> Result<Request, ApiError> {
        if matches!(self.target, CursorTarget::Variable(_)) && request.idempotent.is_none() {
            request.idempotent = Some(true);
        }
        Ok(request)
    }

    fn next_page(
        &mut self,
        request: &Request,
        response: &ApiResponse,
        mut body: Value,
    ) -> Result<PageOutcome, ApiError> {
        if let Some(errors) = body
            .get("errors")
            .and_then(Value::as_array)
            .filter(|e| !e.is_empty())
        {
            let first = errors[0]
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("unknown error");
            let message = format!("GraphQL error: {}", redact::one_line(first, 200));
            if matches!(body.get("data"), None | Some(Value::Null)) {
                return Err(pagination_error(response, message));
            }
            tracing::warn!(url = %response.redacted_url(), "{message}");
        }
        let info = value_at(&body, &self.page_info_attr);
        let has_next = info
            .and_then(|i| i.get(&self.has_next_field))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let cursor = token_text(info.and_then(|i| i.get(&self.end_cursor_field)));
        let items = items_at(&mut body, &self.items_attr, response)?;
        let next = match (has_next, cursor) {
            (true, None) => {
                // Ending here would silently drop every later page.
                return Err(pagination_error(
                    response,
                    format!(
                        "`{}` is true but `{}` is missing or empty at `{}`: cannot fetch the next page",
                        self.has_next_field,
                        self.end_cursor_field,
                        shown_path(&self.page_info_attr)
                    ),
                ));
            }
            (true, Some(cursor)) => {
                let mut next = request.clone();
                match &self.target {
                    CursorTarget::Query(param) => next.set_query(param, cursor),
                    CursorTarget::Variable(name) => {
                        let body = next.json_body_mut().ok_or_else(|| {
                            pagination_error(
                                response,
                                "a GraphQL cursor needs a JSON request body".into(),
                            )
                        })?;
                        let Some(obj) = body.as_object_mut() else {
                            return Err(pagination_error(
                                response,
                                "the JSON request body is not an object".into(),
                            ));
                        };
                        let vars = obj
                            .entry("variables")
                            .or_insert_with(|| Value::Object(Default::default()));
                        if vars.is_null() {
                            *vars = Value::Object(Default::default());
                        }
                        match vars.as_object_mut() {
                            Some(vars) => {
                                vars.insert(name.clone(), Value::String(cursor));
                            }
                            None => {
                                return Err(pagination_error(
                                    response,
                                    "`variables` of the request body is not an object".into(),
                                ))
                            }
                        }
                    }
                }
                NextPage::Request(next)
            }
            _ => NextPage::Done,
        };
        Ok(PageOutcome { items, next })
    }
}

fn decode_item<T: DeserializeOwned>(item: Value, url: &str) -> Result<T, ApiError> {
    let excerpt = || redact::one_line(&item.to_string(), 200);
    match T::deserialize(&item) {
        Ok(v) => Ok(v),
        Err(e) => Err(ApiError::Json {
            url: url.to_string(),
            message: e.to_string(),
            excerpt: excerpt(),
        }),
    }
}

/// The pages of a listing, as a [`Stream`] of [`Page`]s; made by
/// [`ApiClient::paginate`]. Nothing is fetched until the stream is polled. After an
/// error the stream ends. Like plugin futures, it is not `Send`: poll it on the task
/// that runs the stream (no `tokio::spawn`).
///
/// ```no_run
/// # use devlake::api::*;
/// # use futures::StreamExt;
/// # async fn demo(client: ApiClient) -> Result<(), ApiError> {
/// let req = client.request(Method::GET, ["projects"]);
/// let mut pages = client
///     .paginate(req, PageNumberPaginator::new("values", "page").total_items_attr("size"))
///     .concurrency(4);
/// while let Some(page) = pages.next().await {
///     let page = page?;
///     for item in page.items {
///         // raw.push_with(item, &page.url, &input)
///         # let _ = item;
///     }
/// }
/// # Ok(()) }
/// ```
pub struct Pages {
    client: ApiClient,
    start: Option<(Request, Box<dyn Paginator>)>,
    concurrency: usize,
    max_pages: Option<u64>,
    stream: Option<LocalBoxStream<'static, Result<Page, ApiError>>>,
}

impl std::fmt::Debug for Pages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages")
            .field("concurrency", &self.concurrency)
            .field("max_pages", &self.max_pages)
            .field("started", &self.stream.is_some())
            .finish()
    }
}

// Defined here rather than in client.rs, so that the client does not import the
// paginators that import it.
impl ApiClient {
    /// Pages through a listing: a stream of [`Page`](super::Page)s (each with its URL);
    /// see [`Pages`] for items, typed items and concurrency.
    pub fn paginate<P: Paginator + 'static>(&self, request: Request, paginator: P) -> Pages {
        Pages::new(self.clone(), request, Box::new(paginator))
    }
}

impl Pages {
    pub(crate) fn new(client: ApiClient, request: Request, paginator: Box<dyn Paginator>) -> Self {
        Pages {
            client,
            start: Some((request, paginator)),
            concurrency: 1,
            max_pages: None,
            stream: None,
        }
    }

    /// Fetches up to `n` pages at once when the paginator knows the remaining pages in
    /// advance ([`NextPage::Remaining`]: a known total). Pages still come in order.
    /// Default 1.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Stops after `n` pages (for samples and remote-scope listings).
    pub fn max_pages(mut self, n: u64) -> Self {
        self.max_pages = Some(n);
        self
    }

    /// The items of all pages.
    pub fn items(self) -> impl Stream<Item = Result<Value, ApiError>> + Unpin {
        self.flat_map(|page| {
            stream::iter(match page {
                Ok(page) => page.items.into_iter().map(Ok).collect::<Vec<_>>(),
                Err(e) => vec![Err(e)],
            })
        })
    }

    /// The items of all pages, each with the URL of its page.
    pub fn rows(self) -> impl Stream<Item = Result<PageItem, ApiError>> + Unpin {
        self.flat_map(|page| {
            stream::iter(match page {
                Ok(page) => page.into_rows().map(Ok).collect::<Vec<_>>(),
                Err(e) => vec![Err(e)],
            })
        })
    }

    /// The items of all pages, decoded into `T`.
    pub fn items_as<T: DeserializeOwned>(self) -> impl Stream<Item = Result<T, ApiError>> + Unpin {
        self.flat_map(|page| {
            stream::iter(match page {
                Ok(page) => {
                    let url = page.url;
                    page.items
                        .into_iter()
                        .map(|item| decode_item(item, &url))
                        .collect::<Vec<_>>()
                }
                Err(e) => vec![Err(e)],
            })
        })
    }

    /// All the items, or the first error.
    pub async fn collect_items(self) -> Result<Vec<Value>, ApiError> {
        let mut all = Vec::new();
        let mut pages = self;
        while let Some(page) = pages.next().await {
            all.extend(page?.items);
        }
        Ok(all)
    }
}

impl Stream for Pages {
    type Item = Result<Page, ApiError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.stream.is_none() {
            let Some((request, paginator)) = this.start.take() else {
                return Poll::Ready(None);
            };
            let run = Run {
                client: this.client.clone(),
                paginator,
                state: RunState::First(request),
                fetched: 0,
                concurrency: this.concurrency,
                max_pages: this.max_pages,
                last_digest: None,
            };
            this.stream = Some(
                stream::unfold(run, |mut run| async move {
                    let item = run.step().await?;
                    Some((item, run))
                })
                .boxed_local(),
            );
        }
        match &mut this.stream {
            Some(stream) => stream.poll_next_unpin(cx),
            None => Poll::Ready(None),
        }
    }
}

type Fetched = LocalBoxStream<'static, Result<(Request, ApiResponse), ApiError>>;

enum RunState {
    First(Request),
    Next(Request),
    Known(Fetched),
    Failed(ApiError),
    Done,
}

struct Run {
    client: ApiClient,
    paginator: Box<dyn Paginator>,
    state: RunState,
    fetched: u64,
    concurrency: usize,
    max_pages: Option<u64>,
    /// A digest of the items of the page fetched last (sequential paging).
    last_digest: Option<u64>,
}

/// A digest of a page's items, to notice a page served twice in a row.
fn items_digest(items: &[Value]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for item in items {
        item.to_string().hash(&mut h);
    }
    h.finish()
}

impl Run {
    fn left(&self) -> u64 {
        self.max_pages
            .map_or(u64::MAX, |m| m.saturating_sub(self.fetched))
    }

    async fn step(&mut self) -> Option<Result<Page, ApiError>> {
        if self.left() == 0 {
            return None;
        }
        match std::mem::replace(&mut self.state, RunState::Done) {
            RunState::Done => None,
            RunState::Failed(e) => Some(Err(e)),
            RunState::First(request) => match self.paginator.first_request(request) {
                Ok(request) => Some(self.fetch(request).await),
                Err(e) => Some(Err(e)),
            },
            RunState::Next(request) => Some(self.fetch(request).await),
            RunState::Known(mut pages) => match pages.next().await? {
                Ok((request, response)) => {
                    let page = self
                        .parse(&request, response)
                        .and_then(|(page, _)| self.check_repeat(page));
                    // An empty page ends a known total early: a total that overstates
                    // the items (a bogus `x-total-pages`) costs one request, not millions.
                    if page.as_ref().is_ok_and(|p| !p.items.is_empty()) {
                        self.state = RunState::Known(pages);
                    }
                    Some(page)
                }
                Err(e) => Some(Err(e)),
            },
        }
    }

    async fn fetch(&mut self, request: Request) -> Result<Page, ApiError> {
        let response = self.client.send(request.clone()).await?;
        let (page, next) = self.parse(&request, response)?;
        let page = self.check_repeat(page)?;
        self.state = match next {
            NextPage::Done => RunState::Done,
            NextPage::Request(next) => {
                if next.url == request.url
                    && next.body == request.body
                    && next.method == request.method
                {
                    RunState::Failed(ApiError::Pagination {
                        url: page.url.clone(),
                        message: "the next page is the page just fetched".into(),
                    })
                } else {
                    RunState::Next(next)
                }
            }
            NextPage::Remaining(rest) => self.known(RemainingPages::new(rest.into_iter())),
            NextPage::RemainingLazy(rest) => self.known(rest),
        };
        Ok(page)
    }

    /// An API that answers every page past the end with its last page would be followed
    /// forever (or up to a bogus total): the same items twice in a row end the listing
    /// with an error.
    fn check_repeat(&mut self, page: Page) -> Result<Page, ApiError> {
        let digest = items_digest(&page.items);
        if !page.items.is_empty() && self.last_digest == Some(digest) {
            self.state = RunState::Done;
            return Err(ApiError::Pagination {
                url: page.url,
                message: format!(
                    "page {} has the same {} items as page {}: the API repeats a page \
                     instead of ending (stop on a short or empty page, or use a total)",
                    page.number,
                    page.items.len(),
                    page.number - 1
                ),
            });
        }
        self.last_digest = Some(digest);
        Ok(page)
    }

    /// Fetches known remaining pages, [`Run::concurrency`] at a time, at most as many as
    /// are left; the iterator makes each request only when it is about to be sent.
    fn known(&self, rest: RemainingPages) -> RunState {
        let left = usize::try_from(self.left()).unwrap_or(usize::MAX);
        let client = self.client.clone();
        RunState::Known(
            stream::iter(rest.0.take(left))
                .map(move |request| {
                    let client = client.clone();
                    async move {
                        let response = client.send(request.clone()).await?;
                        Ok((request, response))
                    }
                })
                .buffered(self.concurrency)
                .boxed_local(),
        )
    }

    fn parse(
        &mut self,
        request: &Request,
        response: ApiResponse,
    ) -> Result<(Page, NextPage), ApiError> {
        let body = response.json_value()?;
        let outcome = self.paginator.next_page(request, &response, body)?;
        self.fetched += 1;
        let page = Page {
            url: response.redacted_url(),
            number: self.fetched,
            status: response.status.as_u16(),
            items: outcome.items,
        };
        Ok((page, outcome.next))
    }
}
