//! [`Request`] and [`ApiResponse`]: what the client sends and gets back, what hooks and
//! paginators see and change. A leaf of the API module (it uses only its error and
//! redaction helpers), so that the client, the hooks and the paginators all import it and
//! none of them imports another for its types.

use super::error::ApiError;
use super::redact::{self, redact_url};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;
use std::time::Duration;
use url::Url;

/// The body of a [`Request`].
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// A JSON document, sent with `Content-Type: application/json` (GraphQL queries).
    Json(Value),
    /// Raw bytes; set `Content-Type` yourself.
    Bytes(Vec<u8>),
}

/// A request, as hooks and paginators see and change it. Fields are public: a hook may
/// change anything, or replace the whole request.
#[derive(Clone)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The full URL, query included.
    pub url: Url,
    /// Headers (the client's default headers are added when it is sent).
    pub headers: HeaderMap,
    /// The body, if any.
    pub body: Option<Body>,
    /// A timeout for this request, instead of the client's.
    pub timeout: Option<Duration>,
    /// Whether sending it twice does no harm: `None` goes by the method (GET, HEAD,
    /// OPTIONS, PUT, DELETE, TRACE are; POST and PATCH are not). A 5xx, a timeout or a
    /// broken connection is retried only for idempotent requests, since the server may
    /// have acted on the first; a refused connection and a 429 are retried for any.
    /// Declare a read sent as a POST (a search, a GraphQL query) with
    /// [`Request::idempotent`].
    pub idempotent: Option<bool>,
}

impl Request {
    /// A request with no header and no body.
    pub fn new(method: Method, url: Url) -> Self {
        Request {
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
            timeout: None,
            idempotent: None,
        }
    }

    /// Declares whether sending this request twice does no harm (see the field).
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = Some(idempotent);
        self
    }

    /// Whether this request may be sent again after a 5xx, a timeout or a broken
    /// connection.
    pub fn is_idempotent(&self) -> bool {
        self.idempotent.unwrap_or({
            matches!(
                self.method,
                Method::GET
                    | Method::HEAD
                    | Method::OPTIONS
                    | Method::PUT
                    | Method::DELETE
                    | Method::TRACE
            )
        })
    }

    /// A `GET` request.
    pub fn get(url: Url) -> Self {
        Self::new(Method::GET, url)
    }

    /// Appends a query parameter (builder style).
    pub fn query(mut self, name: &str, value: impl fmt::Display) -> Self {
        self.url
            .query_pairs_mut()
            .append_pair(name, &value.to_string());
        self
    }

    /// Appends query parameters (builder style).
    pub fn queries(mut self, params: &[(&str, &str)]) -> Self {
        if !params.is_empty() {
            let mut pairs = self.url.query_pairs_mut();
            for (k, v) in params {
                pairs.append_pair(k, v);
            }
        }
        self
    }

    /// Sets a query parameter, replacing the values it had.
    pub fn set_query(&mut self, name: &str, value: impl fmt::Display) {
        self.remove_query(name);
        self.url
            .query_pairs_mut()
            .append_pair(name, &value.to_string());
    }

    /// Removes a query parameter.
    pub fn remove_query(&mut self, name: &str) {
        if self.url.query().is_none() {
            return;
        }
        let kept: Vec<(String, String)> = self
            .url
            .query_pairs()
            .filter(|(k, _)| k != name)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            self.url.set_query(None);
        } else {
            self.url.query_pairs_mut().clear().extend_pairs(kept);
        }
    }

    /// The first value of a query parameter.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.url
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// Sets a header, replacing the values it had.
    pub fn set_header(&mut self, name: &str, value: &str) -> Result<(), ApiError> {
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| ApiError::invalid(format!("invalid header name {name:?}")))?;
        let mut value = HeaderValue::from_str(value)
            .map_err(|_| ApiError::invalid(format!("invalid value for header {header}")))?;
        if header == AUTHORIZATION {
            value.set_sensitive(true);
        }
        self.headers.insert(header, value);
        Ok(())
    }

    /// Sets `Authorization: Bearer <token>` (marked sensitive).
    pub fn bearer_auth(&mut self, token: &str) -> Result<(), ApiError> {
        self.set_header(AUTHORIZATION.as_str(), &format!("Bearer {token}"))
    }

    /// Sets a JSON body (builder style).
    pub fn json(mut self, body: Value) -> Self {
        self.body = Some(Body::Json(body));
        self
    }

    /// The JSON body, to change it (a GraphQL paginator sets `variables.after`).
    pub fn json_body_mut(&mut self) -> Option<&mut Value> {
        match &mut self.body {
            Some(Body::Json(v)) => Some(v),
            _ => None,
        }
    }

    /// Sets a timeout for this request (builder style).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The URL with credentials and token-like parameters stripped, for logs and raw rows.
    pub fn redacted_url(&self) -> String {
        redact_url(&self.url)
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.redacted_url())
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("body", &self.body.as_ref().map(|_| ".."))
            .finish()
    }
}

/// A response, fully read. Fields are public so that response hooks can change them.
#[derive(Clone)]
pub struct ApiResponse {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The URL of the request (after redirects).
    pub url: Url,
    /// The method of the request.
    pub method: Method,
    /// The body (decompressed).
    pub body: Vec<u8>,
    /// How long of the body error excerpts show.
    pub(crate) excerpt_len: usize,
    /// The secrets of the request that got this response, redacted from messages.
    pub(crate) secrets: redact::Secrets,
}

impl ApiResponse {
    /// A response built by hand (for a request hook that answers itself, or tests).
    pub fn new(status: StatusCode, url: Url, body: impl Into<Vec<u8>>) -> Self {
        ApiResponse {
            status,
            headers: HeaderMap::new(),
            url,
            method: Method::GET,
            body: body.into(),
            excerpt_len: DEFAULT_EXCERPT_LEN,
            secrets: redact::Secrets::default(),
        }
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }

    /// A header as text (the first value), if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }

    /// The body.
    pub fn bytes(&self) -> &[u8] {
        &self.body
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// The body parsed as JSON into `T`; the error quotes the start of the body.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_json::from_slice(&self.body).map_err(|e| ApiError::Json {
            url: self.redacted_url(),
            // serde quotes mistyped values, which may be an echoed credential.
            message: self.secrets.redact(&e.to_string()),
            excerpt: self.excerpt(),
        })
    }

    /// The body parsed as a JSON value.
    pub fn json_value(&self) -> Result<Value, ApiError> {
        self.json()
    }

    /// The URL with credentials and token-like parameters stripped.
    pub fn redacted_url(&self) -> String {
        redact_url(&self.url)
    }

    /// The start of the body for messages, known secrets replaced by `***`.
    pub(crate) fn excerpt(&self) -> String {
        // Redact before cutting, so a secret cut in half at the end still goes.
        let cut = self
            .body
            .len()
            .min(self.excerpt_len.saturating_mul(4).saturating_add(256));
        let text = String::from_utf8_lossy(&self.body[..cut]);
        redact::one_line(&self.secrets.redact(&text), self.excerpt_len)
    }

    /// This response, or [`ApiError::Status`] when the status is not 2xx.
    pub fn error_for_status(self) -> Result<Self, ApiError> {
        self.error_for_status_after(1)
    }

    pub(crate) fn error_for_status_after(self, attempts: u32) -> Result<Self, ApiError> {
        if self.status.is_success() {
            Ok(self)
        } else {
            Err(ApiError::Status {
                method: self.method.clone(),
                url: self.redacted_url(),
                status: self.status,
                body: self.excerpt(),
                attempts,
            })
        }
    }

    /// What a failed connection test reports of this response: the server's `message`
    /// (or `error_description`, `error`, `errorMessage`, else the start of the body) on one
    /// line, secrets redacted. Used by `TestConnectionResult::from` (in `crate::wire`, so
    /// that the API client does not depend on the protocol's messages).
    pub(crate) fn failure_detail(&self) -> String {
        let detail = serde_json::from_slice::<Value>(&self.body)
            .ok()
            .and_then(|v| {
                ["message", "error_description", "error", "errorMessage"]
                    .iter()
                    .find_map(|k| v.get(*k).and_then(Value::as_str).map(str::to_string))
            })
            .unwrap_or_else(|| String::from_utf8_lossy(&self.body).into_owned());
        redact::one_line(&self.secrets.redact(&detail), 200)
    }
}

impl fmt::Debug for ApiResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiResponse")
            .field("status", &self.status)
            .field("url", &self.redacted_url())
            .field("body_len", &self.body.len())
            .finish()
    }
}

pub(crate) const DEFAULT_EXCERPT_LEN: usize = 300;
