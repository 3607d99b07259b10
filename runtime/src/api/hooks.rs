//! Request and response hooks: how a plugin's API type authenticates, adds parameters or
//! reinterprets responses.
//!
//! A hook is a type implementing [`RequestHook`] or [`ResponseHook`] (an `async fn`, so it
//! may fetch a token), or a closure given to [`ApiClientBuilder::on_request`] /
//! [`ApiClientBuilder::on_response`]. Hooks run in the order they were added, once per
//! attempt (so a retried request is authenticated again), after the client's built-in
//! steps: request hooks after the default headers (`Accept`, `User-Agent`, the builder's
//! headers; a header set by a hook wins), response hooks after the rate-limit headers
//! were read and before retries and the status check are decided. A hook can change the request or response in place, replace it (`*req =
//! ...`), answer a request itself ([`RequestAction::Respond`]), ask for a response to be
//! retried ([`ResponseAction::Retry`]), or abort ([`RequestAction::Abort`], or an `Err`).
//!
//! ```
//! use devlake::api::{ApiError, Request, RequestAction, RequestHook};
//!
//! /// Adds the `api-version` parameter Azure DevOps wants on every call.
//! struct ApiVersion(&'static str);
//!
//! impl RequestHook for ApiVersion {
//!     async fn on_request(&self, req: &mut Request) -> Result<RequestAction, ApiError> {
//!         req.set_query("api-version", self.0);
//!         Ok(RequestAction::Continue)
//!     }
//! }
//! ```
//!
//! [`ApiClientBuilder::on_request`]: super::ApiClientBuilder::on_request
//! [`ApiClientBuilder::on_response`]: super::ApiClientBuilder::on_response

use super::error::ApiError;
use super::message::{ApiResponse, Request};
use futures::future::LocalBoxFuture;
use reqwest::header::{HeaderName, HeaderValue};

/// What a request hook wants done next.
// Short-lived values, matched once: boxing would only make hooks wordier.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum RequestAction {
    /// Go on with the (possibly changed) request.
    Continue,
    /// Do not send the request: use this response as if the server had sent it (a cache,
    /// a canned answer). Response hooks and status checks still apply.
    Respond(ApiResponse),
    /// Fail the request with [`ApiError::Aborted`] and this reason.
    Abort(String),
}

/// What a response hook wants done next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseAction {
    /// Go on with the (possibly changed) response: later hooks, then the status check.
    Continue,
    /// Send the request again (after the backoff), counting against the retries; for
    /// example after refreshing an expired token.
    Retry,
    /// Fail the request with [`ApiError::Aborted`] and this reason.
    Abort(String),
}

/// A hook run on every request before it is sent.
///
/// ```
/// use devlake::api::{ApiError, Request, RequestAction, RequestHook};
/// struct TokenAuth { token: String }
/// impl RequestHook for TokenAuth {
///     async fn on_request(&self, req: &mut Request) -> Result<RequestAction, ApiError> {
///         req.set_header("Authorization", &format!("token {}", self.token))?;
///         Ok(RequestAction::Continue)
///     }
/// }
/// ```
pub trait RequestHook: Send + Sync + 'static {
    /// Inspects or changes the request.
    async fn on_request(&self, req: &mut Request) -> Result<RequestAction, ApiError>;
}

/// A hook run on every response, before retries and status checks are decided, so it can
/// change the status (say, treat a 404 as an empty 200) or the body.
///
/// ```
/// use devlake::api::{ApiError, ApiResponse, ResponseAction, ResponseHook, StatusCode};
/// /// A deleted repository answers 404: collect nothing instead of failing.
/// struct NotFoundIsEmpty;
/// impl ResponseHook for NotFoundIsEmpty {
///     async fn on_response(&self, resp: &mut ApiResponse) -> Result<ResponseAction, ApiError> {
///         if resp.status == StatusCode::NOT_FOUND {
///             resp.status = StatusCode::OK;
///             resp.body = b"[]".to_vec();
///         }
///         Ok(ResponseAction::Continue)
///     }
/// }
/// ```
pub trait ResponseHook: Send + Sync + 'static {
    /// Inspects or changes the response.
    async fn on_response(&self, resp: &mut ApiResponse) -> Result<ResponseAction, ApiError>;
}

/// A shared hook is a hook: one value can be both a request and a response hook (a token
/// refreshed on a 401).
impl<H: RequestHook> RequestHook for std::sync::Arc<H> {
    async fn on_request(&self, req: &mut Request) -> Result<RequestAction, ApiError> {
        (**self).on_request(req).await
    }
}

impl<H: ResponseHook> ResponseHook for std::sync::Arc<H> {
    async fn on_response(&self, resp: &mut ApiResponse) -> Result<ResponseAction, ApiError> {
        (**self).on_response(resp).await
    }
}

/// Object-safe form of [`RequestHook`], for storing hooks of different types.
pub(crate) trait DynRequestHook: Send + Sync {
    fn call<'a>(
        &'a self,
        req: &'a mut Request,
    ) -> LocalBoxFuture<'a, Result<RequestAction, ApiError>>;
}

impl<H: RequestHook> DynRequestHook for H {
    fn call<'a>(
        &'a self,
        req: &'a mut Request,
    ) -> LocalBoxFuture<'a, Result<RequestAction, ApiError>> {
        Box::pin(self.on_request(req))
    }
}

/// Object-safe form of [`ResponseHook`].
pub(crate) trait DynResponseHook: Send + Sync {
    fn call<'a>(
        &'a self,
        resp: &'a mut ApiResponse,
    ) -> LocalBoxFuture<'a, Result<ResponseAction, ApiError>>;
}

impl<H: ResponseHook> DynResponseHook for H {
    fn call<'a>(
        &'a self,
        resp: &'a mut ApiResponse,
    ) -> LocalBoxFuture<'a, Result<ResponseAction, ApiError>> {
        Box::pin(self.on_response(resp))
    }
}

/// A request hook made of a closure (see [`ApiClientBuilder::on_request`](super::ApiClientBuilder::on_request)).
pub(crate) struct FnRequestHook<F>(pub(crate) F);

impl<F> RequestHook for FnRequestHook<F>
where
    F: Fn(&mut Request) -> Result<RequestAction, ApiError> + Send + Sync + 'static,
{
    async fn on_request(&self, req: &mut Request) -> Result<RequestAction, ApiError> {
        (self.0)(req)
    }
}

/// A response hook made of a closure (see [`ApiClientBuilder::on_response`](super::ApiClientBuilder::on_response)).
pub(crate) struct FnResponseHook<F>(pub(crate) F);

impl<F> ResponseHook for FnResponseHook<F>
where
    F: Fn(&mut ApiResponse) -> Result<ResponseAction, ApiError> + Send + Sync + 'static,
{
    async fn on_response(&self, resp: &mut ApiResponse) -> Result<ResponseAction, ApiError> {
        (self.0)(resp)
    }
}

/// `Authorization: Bearer <token>` on every request (the header is marked sensitive).
#[derive(Clone)]
pub struct BearerAuth {
    value: HeaderValue,
}

impl BearerAuth {
    /// Bearer authentication with `token`. Fails when the token cannot be a header value.
    pub fn new(token: &str) -> Result<Self, ApiError> {
        Self::with_scheme("Bearer", token)
    }

    /// `Authorization: <scheme> <token>`, for tools that want another scheme (GitHub's
    /// `token`, Jira's `Bearer`, Sonar's `Basic`...).
    pub fn with_scheme(scheme: &str, token: &str) -> Result<Self, ApiError> {
        let mut value = HeaderValue::from_str(&format!("{scheme} {token}")).map_err(|_| {
            ApiError::invalid("the token contains characters not allowed in a header")
        })?;
        value.set_sensitive(true);
        Ok(BearerAuth { value })
    }
}

impl std::fmt::Debug for BearerAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerAuth(***)")
    }
}

impl RequestHook for BearerAuth {
    async fn on_request(&self, req: &mut Request) -> Result<RequestAction, ApiError> {
        req.headers
            .insert(reqwest::header::AUTHORIZATION, self.value.clone());
        Ok(RequestAction::Continue)
    }
}

/// `Authorization: Basic base64(user:password)` on every request (marked sensitive).
#[derive(Clone)]
pub struct BasicAuth {
    value: HeaderValue,
}

impl BasicAuth {
    /// Basic authentication.
    pub fn new(user: &str, password: &str) -> Result<Self, ApiError> {
        let encoded = base64_encode(format!("{user}:{password}").as_bytes());
        BearerAuth::with_scheme("Basic", &encoded).map(|b| BasicAuth { value: b.value })
    }
}

impl std::fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BasicAuth(***)")
    }
}

impl RequestHook for BasicAuth {
    async fn on_request(&self, req: &mut Request) -> Result<RequestAction, ApiError> {
        req.headers
            .insert(reqwest::header::AUTHORIZATION, self.value.clone());
        Ok(RequestAction::Continue)
    }
}

/// Sets a header on every request (an API key header, an API version header).
#[derive(Debug, Clone)]
pub struct SetHeader {
    name: HeaderName,
    value: HeaderValue,
}

impl SetHeader {
    /// Sets `name: value`.
    pub fn new(name: &str, value: &str) -> Result<Self, ApiError> {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| ApiError::invalid(format!("invalid header name {name:?}")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| ApiError::invalid(format!("invalid value for header {name}")))?;
        Ok(SetHeader { name, value })
    }

    /// Sets a header holding a credential: it is marked sensitive and never printed.
    pub fn secret(name: &str, value: &str) -> Result<Self, ApiError> {
        let mut hook = Self::new(name, value)?;
        hook.value.set_sensitive(true);
        Ok(hook)
    }
}

impl RequestHook for SetHeader {
    async fn on_request(&self, req: &mut Request) -> Result<RequestAction, ApiError> {
        req.headers.insert(self.name.clone(), self.value.clone());
        Ok(RequestAction::Continue)
    }
}

/// Sets a query parameter on every request (replacing any value it had), such as Azure
/// DevOps' `api-version=7.1`.
#[derive(Debug, Clone)]
pub struct SetQuery {
    name: String,
    value: String,
}

impl SetQuery {
    /// Sets `name=value`.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        SetQuery {
            name: name.into(),
            value: value.into(),
        }
    }
}

impl RequestHook for SetQuery {
    async fn on_request(&self, req: &mut Request) -> Result<RequestAction, ApiError> {
        req.set_query(&self.name, &self.value);
        Ok(RequestAction::Continue)
    }
}

/// Standard base64 with padding (enough for Basic authentication).
fn base64_encode(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64() {
        assert_eq!(super::base64_encode(b"user:pass"), "dXNlcjpwYXNz");
        assert_eq!(super::base64_encode(b"a"), "YQ==");
        assert_eq!(super::base64_encode(b"ab"), "YWI=");
        assert_eq!(super::base64_encode(b""), "");
    }
}
