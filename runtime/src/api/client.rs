//! [`ApiClient`] and its builder.

use super::error::ApiError;
use super::hooks::{
    DynRequestHook, DynResponseHook, FnRequestHook, FnResponseHook, RequestAction, RequestHook,
    ResponseAction, ResponseHook,
};
use super::message::{ApiResponse, Body, Request, DEFAULT_EXCERPT_LEN};
use super::ratelimit::{RateLimit, RateLimitStats, RateLimiter};
use super::redact::{self, redact_url};
use super::retry::RetryPolicy;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use url::Url;

/// Builds an [`ApiClient`]; see [`ApiClient::builder`].
pub struct ApiClientBuilder {
    base_url: String,
    proxy: Option<String>,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    rate_limit: RateLimit,
    headers: Vec<(String, String, bool)>,
    user_agent: String,
    max_in_flight: Option<usize>,
    excerpt_len: usize,
    env_proxy: bool,
    secrets: redact::Secrets,
    request_hooks: Vec<Arc<dyn DynRequestHook>>,
    response_hooks: Vec<Arc<dyn DynResponseHook>>,
}

impl ApiClientBuilder {
    /// Sets the connection's proxy URL (`http://user:pass@host:port`); `None` or an empty
    /// string means no proxy.
    pub fn proxy(mut self, proxy: Option<String>) -> Self {
        self.proxy = proxy.filter(|p| !p.trim().is_empty());
        self
    }

    /// Whether the `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY` environment variables apply when
    /// the connection has no proxy. Default true.
    pub fn env_proxy(mut self, enabled: bool) -> Self {
        self.env_proxy = enabled;
        self
    }

    /// The timeout of a request, from sending to the end of the body. Default 60 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The timeout of connecting. Default 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How failures are retried. Default [`RetryPolicy::default`].
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The connection's rate limits. Default: no budget, headers respected.
    pub fn rate_limit(mut self, rate_limit: RateLimit) -> Self {
        self.rate_limit = rate_limit;
        self
    }

    /// A header sent with every request (checked by [`build`](Self::build)).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_string(), value.to_string(), false));
        self
    }

    /// A header holding a credential, sent with every request, never printed.
    pub fn secret_header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_string(), value.to_string(), true));
        self
    }

    /// A secret value (the connection's token or password) to redact from every message
    /// of this client: status errors quote response bodies, and a server may echo the
    /// request. `Authorization` and [`secret_header`](Self::secret_header) values, URL
    /// passwords and token-like query values are redacted without being named here.
    pub fn secret(mut self, value: &str) -> Self {
        self.secrets.add(value);
        self
    }

    /// The `User-Agent`. Default `devlake-rs/<version>`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// At most this many requests of this client (and its clones) in flight at once.
    /// Default: no limit beyond the callers' own.
    pub fn max_in_flight(mut self, max: usize) -> Self {
        self.max_in_flight = Some(max.max(1));
        self
    }

    /// How many characters of a response body error messages quote. Default 300.
    pub fn body_excerpt_len(mut self, len: usize) -> Self {
        self.excerpt_len = len;
        self
    }

    /// Adds a request hook; hooks run in the order they are added.
    pub fn request_hook(mut self, hook: impl RequestHook) -> Self {
        self.request_hooks.push(Arc::new(hook));
        self
    }

    /// Adds a response hook; hooks run in the order they are added.
    pub fn response_hook(mut self, hook: impl ResponseHook) -> Self {
        self.response_hooks.push(Arc::new(hook));
        self
    }

    /// Adds a request hook written as a closure.
    ///
    /// ```
    /// # use devlake::api::{ApiClient, RequestAction};
    /// let client = ApiClient::builder("https://api.example.com/v1/")
    ///     .on_request(|req| {
    ///         req.set_query("api-version", "7.1");
    ///         Ok(RequestAction::Continue)
    ///     })
    ///     .build()
    ///     .unwrap();
    /// # drop(client);
    /// ```
    pub fn on_request<F>(self, hook: F) -> Self
    where
        F: Fn(&mut Request) -> Result<RequestAction, ApiError> + Send + Sync + 'static,
    {
        self.request_hook(FnRequestHook(hook))
    }

    /// Adds a response hook written as a closure.
    pub fn on_response<F>(self, hook: F) -> Self
    where
        F: Fn(&mut ApiResponse) -> Result<ResponseAction, ApiError> + Send + Sync + 'static,
    {
        self.response_hook(FnResponseHook(hook))
    }

    /// Builds the client. Fails on an invalid base URL, proxy or header.
    pub fn build(self) -> Result<ApiClient, ApiError> {
        let mut base = Url::parse(self.base_url.trim()).map_err(|e| {
            ApiError::Config(format!(
                "invalid base URL {}: {e}",
                redact::redact_url_str(&self.base_url)
            ))
        })?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(ApiError::Config(format!(
                "the base URL must be http(s): {}",
                redact::redact_url_str(&self.base_url)
            )));
        }
        base.set_fragment(None);
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let mut default_headers = HeaderMap::new();
        default_headers.insert(
            reqwest::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        let mut secrets = self.secrets.clone();
        secrets.add_url(&base);
        for (name, value, secret) in &self.headers {
            let header = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| ApiError::Config(format!("invalid header name {name:?}")))?;
            if *secret || header == AUTHORIZATION {
                secrets.add_header_value(value);
            }
            let mut value = HeaderValue::from_str(value)
                .map_err(|_| ApiError::Config(format!("invalid value for header {header}")))?;
            value.set_sensitive(*secret || header == AUTHORIZATION);
            default_headers.insert(header, value);
        }
        let mut http = reqwest::Client::builder()
            .user_agent(self.user_agent.clone())
            .default_headers(default_headers)
            .connect_timeout(self.connect_timeout)
            .tcp_nodelay(true);
        if let Some(proxy) = &self.proxy {
            let shown = redact::redact_url_str(proxy);
            let p = reqwest::Proxy::all(proxy.as_str())
                .map_err(|_| ApiError::Config(format!("invalid proxy URL {shown}")))?;
            http = http.proxy(p);
        } else if !self.env_proxy {
            http = http.no_proxy();
        }
        let http = http
            .build()
            .map_err(|e| ApiError::Config(format!("HTTP client: {}", redact::error_chain(&e))))?;
        let semaphore = self.max_in_flight.map(tokio::sync::Semaphore::new);
        Ok(ApiClient {
            inner: Arc::new(Inner {
                http,
                base,
                timeout: self.timeout,
                retry: self.retry,
                limiter: RateLimiter::new(self.rate_limit),
                semaphore,
                excerpt_len: self.excerpt_len,
                secrets,
                request_hooks: self.request_hooks,
                response_hooks: self.response_hooks,
            }),
        })
    }
}

/// The REST client of a connection: base URL, hooks, retries, rate limits and
/// pagination. Cheap to clone (clones share the connection pool, the rate limiter and
/// the hooks). See the [module documentation](super) for an example.
#[derive(Clone)]
pub struct ApiClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    timeout: Duration,
    retry: RetryPolicy,
    limiter: RateLimiter,
    semaphore: Option<tokio::sync::Semaphore>,
    excerpt_len: usize,
    secrets: redact::Secrets,
    request_hooks: Vec<Arc<dyn DynRequestHook>>,
    response_hooks: Vec<Arc<dyn DynResponseHook>>,
}

impl fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiClient")
            .field("base_url", &redact_url(&self.inner.base))
            .finish()
    }
}

/// What the retry loop does after an attempt.
enum Outcome {
    Done(Result<ApiResponse, ApiError>),
    /// Retry after this wait; `None` means the wait is already set on the limiter.
    Retry(Option<Duration>, ApiError, Option<ApiResponse>),
}

impl ApiClient {
    /// A builder for a client whose requests are relative to `base_url`.
    pub fn builder(base_url: impl Into<String>) -> ApiClientBuilder {
        ApiClientBuilder {
            base_url: base_url.into(),
            proxy: None,
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            rate_limit: RateLimit::default(),
            headers: Vec::new(),
            user_agent: concat!("devlake-rs/", env!("CARGO_PKG_VERSION")).to_string(),
            max_in_flight: None,
            excerpt_len: DEFAULT_EXCERPT_LEN,
            env_proxy: true,
            secrets: redact::Secrets::default(),
            request_hooks: Vec::new(),
            response_hooks: Vec::new(),
        }
    }

    /// A client with the default settings.
    pub fn new(base_url: impl Into<String>) -> Result<Self, ApiError> {
        Self::builder(base_url).build()
    }

    /// The base URL (it ends with `/`).
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// The URL of the base URL's path followed by `segments`, each percent-encoded (so
    /// `"group/project"` stays one segment, as GitLab wants).
    pub fn url<S: AsRef<str>>(&self, segments: impl IntoIterator<Item = S>) -> Url {
        let mut url = self.inner.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty();
            for s in segments {
                path.push(s.as_ref());
            }
        }
        url
    }

    /// A request for `segments` under the base URL (see [`url`](Self::url)), to be
    /// completed (query, body) and given to [`send`](Self::send) or
    /// [`paginate`](Self::paginate).
    pub fn request<S: AsRef<str>>(
        &self,
        method: Method,
        segments: impl IntoIterator<Item = S>,
    ) -> Request {
        Request::new(method, self.url(segments))
    }

    /// Sends `GET <base>/<segments>?<query>` and returns the 2xx response.
    ///
    /// ```no_run
    /// # async fn demo(client: devlake::api::ApiClient) -> Result<(), devlake::api::ApiError> {
    /// let user: serde_json::Value = client.get(["users", "octocat"], &[("per_page", "1")]).await?.json()?;
    /// # Ok(()) }
    /// ```
    pub async fn get<S: AsRef<str>>(
        &self,
        segments: impl IntoIterator<Item = S>,
        query: &[(&str, &str)],
    ) -> Result<ApiResponse, ApiError> {
        self.send(self.request(Method::GET, segments).queries(query))
            .await
    }

    /// Sends `POST <base>/<segments>` with a JSON body and returns the 2xx response.
    pub async fn post_json<S: AsRef<str>>(
        &self,
        segments: impl IntoIterator<Item = S>,
        body: Value,
    ) -> Result<ApiResponse, ApiError> {
        self.send(self.request(Method::POST, segments).json(body))
            .await
    }

    /// Sends a request: hooks, rate limits, retries; a response that is not 2xx in the end
    /// is an [`ApiError::Status`].
    pub async fn send(&self, request: Request) -> Result<ApiResponse, ApiError> {
        self.execute(request, true).await
    }

    /// Sends a request like [`send`](Self::send) (hooks, rate limits, retries), but
    /// returns the last response whatever its status: for connection tests, or APIs
    /// whose 4xx carry meaning.
    pub async fn send_unchecked(&self, request: Request) -> Result<ApiResponse, ApiError> {
        self.execute(request, false).await
    }

    /// What the rate limiter did so far (requests, waits, pauses).
    pub fn rate_limit_stats(&self) -> RateLimitStats {
        self.inner.limiter.stats()
    }

    /// The rate limiter, shared by the clones of this client.
    pub fn rate_limiter(&self) -> &RateLimiter {
        &self.inner.limiter
    }

    async fn execute(&self, request: Request, check: bool) -> Result<ApiResponse, ApiError> {
        let inner = &*self.inner;
        let max_attempts = inner.retry.max_retries.saturating_add(1);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let outcome = self.attempt(&request, attempt, check).await;
            let (wait, error, response) = match outcome {
                Outcome::Done(result) => return result,
                Outcome::Retry(wait, error, response) => (wait, error, response),
            };
            if attempt >= max_attempts {
                return match (response, check) {
                    (Some(resp), false) => Ok(resp),
                    _ => Err(with_attempts(error, attempt)),
                };
            }
            let wait = wait.unwrap_or_default();
            tracing::info!(
                retry = attempt,
                wait_ms = wait.as_millis() as u64,
                "API request failed, retrying: {error}"
            );
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
    }

    /// One attempt: hooks, limiter, the exchange, response hooks, classification.
    async fn attempt(&self, original: &Request, attempt: u32, check: bool) -> Outcome {
        let inner = &*self.inner;
        let mut req = original.clone();
        let mut canned = None;
        for hook in &inner.request_hooks {
            match hook.call(&mut req).await {
                Ok(RequestAction::Continue) => {}
                Ok(RequestAction::Respond(resp)) => {
                    canned = Some(resp);
                    break;
                }
                Ok(RequestAction::Abort(reason)) => {
                    let reason = self.secrets_of(&req).redact(&reason);
                    return Outcome::Done(Err(aborted(&req, &reason)));
                }
                Err(e) => return Outcome::Done(Err(e)),
            }
        }
        let mut resp = match canned {
            Some(mut resp) => {
                resp.excerpt_len = inner.excerpt_len;
                resp.secrets = self.secrets_of(&req);
                resp
            }
            None => match self.exchange(&req, attempt).await {
                Ok(resp) => resp,
                Err((error, retryable)) => {
                    return if retryable {
                        Outcome::Retry(Some(inner.retry.backoff_for(attempt)), error, None)
                    } else {
                        Outcome::Done(Err(error))
                    };
                }
            },
        };
        let exhausted = inner.limiter.observe(&resp.headers);
        for hook in &inner.response_hooks {
            match hook.call(&mut resp).await {
                Ok(ResponseAction::Continue) => {}
                Ok(ResponseAction::Retry) => {
                    let error = ApiError::Aborted {
                        method: req.method.clone(),
                        url: req.redacted_url(),
                        reason: "a response hook asked for a retry, and no retry is left".into(),
                    };
                    return Outcome::Retry(
                        Some(inner.retry.backoff_for(attempt)),
                        error,
                        Some(resp),
                    );
                }
                Ok(ResponseAction::Abort(reason)) => {
                    let reason = resp.secrets.redact(&reason);
                    return Outcome::Done(Err(aborted(&req, &reason)));
                }
                Err(e) => return Outcome::Done(Err(e)),
            }
        }
        let status = resp.status;
        // A 503 is a 5xx: the server may have acted, so only idempotent requests retry it.
        let rate_limited = status == StatusCode::TOO_MANY_REQUESTS
            || (status == StatusCode::SERVICE_UNAVAILABLE && req.is_idempotent())
            || (status == StatusCode::FORBIDDEN && exhausted.is_some());
        if rate_limited {
            let error = status_error(&resp, attempt);
            let wait = match inner.retry.retry_after(&resp.headers) {
                Some(wait) => {
                    inner.limiter.pause_for(wait);
                    None
                }
                // The limiter already pauses until the rate-limit reset.
                None if exhausted.is_some() => None,
                None => Some(inner.retry.backoff_for(attempt)),
            };
            return Outcome::Retry(wait, error, Some(resp));
        }
        if status.is_server_error() && req.is_idempotent() {
            let error = status_error(&resp, attempt);
            return Outcome::Retry(Some(inner.retry.backoff_for(attempt)), error, Some(resp));
        }
        if check {
            Outcome::Done(resp.error_for_status_after(attempt))
        } else {
            Outcome::Done(Ok(resp))
        }
    }

    /// The secrets of a request: the client's, its sensitive headers', its URL's.
    fn secrets_of(&self, req: &Request) -> redact::Secrets {
        let mut secrets = self.inner.secrets.clone();
        for (name, value) in &req.headers {
            if value.is_sensitive() || name == AUTHORIZATION {
                if let Ok(v) = value.to_str() {
                    secrets.add_header_value(v);
                }
            }
        }
        secrets.add_url(&req.url);
        secrets
    }

    /// Sends the request and reads the whole response. Errors say whether to retry.
    async fn exchange(&self, req: &Request, attempt: u32) -> Result<ApiResponse, (ApiError, bool)> {
        let inner = &*self.inner;
        let _permit = match &inner.semaphore {
            Some(s) => s.acquire().await.ok(),
            None => None,
        };
        inner.limiter.acquire().await;
        let url = req.redacted_url();
        tracing::debug!(method = %req.method, url = %url, attempt, "API request");
        let started = Instant::now();
        let mut builder = inner
            .http
            .request(req.method.clone(), req.url.clone())
            .headers(req.headers.clone())
            .timeout(req.timeout.unwrap_or(inner.timeout));
        match &req.body {
            Some(Body::Json(value)) => {
                let bytes = serde_json::to_vec(value).map_err(|e| (ApiError::invalid(e), false))?;
                if !req.headers.contains_key(CONTENT_TYPE) {
                    builder = builder.header(CONTENT_TYPE, "application/json");
                }
                builder = builder.body(bytes);
            }
            Some(Body::Bytes(bytes)) => builder = builder.body(bytes.clone()),
            None => {}
        }
        let transport = |e: reqwest::Error| {
            // A refused connection never reached the server; anything else may have.
            let retryable = !e.is_builder()
                && !e.is_redirect()
                && (req.is_idempotent() || (e.is_connect() && !e.is_timeout()));
            let error = if e.is_timeout() {
                ApiError::Timeout {
                    method: req.method.clone(),
                    url: url.clone(),
                    attempts: attempt,
                }
            } else {
                ApiError::Transport {
                    method: req.method.clone(),
                    url: url.clone(),
                    message: self.secrets_of(req).redact(&redact::error_chain(&e)),
                    attempts: attempt,
                }
            };
            (error, retryable)
        };
        let response = builder.send().await.map_err(transport)?;
        let status = response.status();
        let headers = response.headers().clone();
        let final_url = response.url().clone();
        let body = response.bytes().await.map_err(transport)?;
        tracing::debug!(
            method = %req.method,
            url = %url,
            status = status.as_u16(),
            bytes = body.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "API response"
        );
        Ok(ApiResponse {
            status,
            headers,
            url: final_url,
            method: req.method.clone(),
            body: Vec::from(body),
            excerpt_len: inner.excerpt_len,
            secrets: self.secrets_of(req),
        })
    }
}

fn aborted(req: &Request, reason: &str) -> ApiError {
    ApiError::Aborted {
        method: req.method.clone(),
        url: req.redacted_url(),
        reason: redact::one_line(reason, 300),
    }
}

fn status_error(resp: &ApiResponse, attempts: u32) -> ApiError {
    ApiError::Status {
        method: resp.method.clone(),
        url: resp.redacted_url(),
        status: resp.status,
        body: resp.excerpt(),
        attempts,
    }
}

fn with_attempts(mut error: ApiError, attempt: u32) -> ApiError {
    match &mut error {
        ApiError::Status { attempts, .. }
        | ApiError::Timeout { attempts, .. }
        | ApiError::Transport { attempts, .. } => *attempts = attempt,
        _ => {}
    }
    error
}
