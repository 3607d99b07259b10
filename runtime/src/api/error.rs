//! [`ApiError`]: what can go wrong when calling a tool's REST API.

use reqwest::{Method, StatusCode};

/// An error of the API client. Every message is one line and never contains a secret:
/// URLs have their credentials and token-like query parameters replaced by `***`, no
/// header is ever printed, and body excerpts are bounded.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// The server answered with an error status (a 4xx other than 429, or a 429/5xx that
    /// was still failing once the retries were used up).
    #[error("{method} {url}: HTTP {status}{}{}", attempts_note(*.attempts), body_note(.body))]
    Status {
        /// The request method.
        method: Method,
        /// The request URL, secrets stripped.
        url: String,
        /// The response status.
        status: StatusCode,
        /// The start of the response body, on one line.
        body: String,
        /// How many times the request was sent.
        attempts: u32,
    },
    /// The request timed out (connecting, or waiting for the response).
    #[error("{method} {url}: timed out{}", attempts_note(*.attempts))]
    Timeout {
        /// The request method.
        method: Method,
        /// The request URL, secrets stripped.
        url: String,
        /// How many times the request was sent.
        attempts: u32,
    },
    /// The request could not be sent or its response not be read (connection refused or
    /// reset, TLS, proxy).
    #[error("{method} {url}: {message}{}", attempts_note(*.attempts))]
    Transport {
        /// The request method.
        method: Method,
        /// The request URL, secrets stripped.
        url: String,
        /// What failed, on one line.
        message: String,
        /// How many times the request was sent.
        attempts: u32,
    },
    /// The response (or an item of it) is not the JSON that was expected.
    #[error("invalid JSON from {url}: {message} (body: {excerpt})")]
    Json {
        /// The request URL, secrets stripped.
        url: String,
        /// The parser's message (position, expected type).
        message: String,
        /// The start of the text that failed to parse, on one line.
        excerpt: String,
    },
    /// A request or response hook aborted the request.
    #[error("{method} {url}: aborted by a hook: {reason}")]
    Aborted {
        /// The request method.
        method: Method,
        /// The request URL, secrets stripped.
        url: String,
        /// Why the hook aborted.
        reason: String,
    },
    /// A hook failed (for example, it could not get a token).
    #[error("API hook: {0}")]
    Hook(String),
    /// A paginator could not make sense of a page.
    #[error("pagination of {url}: {message}")]
    Pagination {
        /// The URL of the page, secrets stripped.
        url: String,
        /// What is wrong.
        message: String,
    },
    /// A URL, header or parameter given to the client is invalid.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// The client could not be built (bad base URL or proxy).
    #[error("API client configuration: {0}")]
    Config(String),
}

fn attempts_note(attempts: u32) -> String {
    if attempts > 1 {
        format!(" (after {attempts} attempts)")
    } else {
        String::new()
    }
}

fn body_note(body: &str) -> String {
    if body.is_empty() {
        String::new()
    } else {
        format!(": {body}")
    }
}

impl ApiError {
    /// A hook failure, from a message.
    pub fn hook(message: impl std::fmt::Display) -> Self {
        ApiError::Hook(super::redact::one_line(&message.to_string(), usize::MAX))
    }

    /// An invalid request, from a message.
    pub fn invalid(message: impl std::fmt::Display) -> Self {
        ApiError::Invalid(super::redact::one_line(&message.to_string(), usize::MAX))
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether the request timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, ApiError::Timeout { .. })
    }

    /// Whether the error is a 404 Not Found (plugins often skip such a parent).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// How many times the request was sent, when it was.
    pub fn attempts(&self) -> Option<u32> {
        match self {
            ApiError::Status { attempts, .. }
            | ApiError::Timeout { attempts, .. }
            | ApiError::Transport { attempts, .. } => Some(*attempts),
            _ => None,
        }
    }

    /// An HTTP-like status for this error: the server's status, 504 for a timeout, 502
    /// for a transport failure, 400 for an invalid request or configuration, 500
    /// otherwise.
    pub fn http_status(&self) -> u16 {
        match self {
            ApiError::Status { status, .. } => status.as_u16(),
            ApiError::Timeout { .. } => 504,
            ApiError::Transport { .. } => 502,
            ApiError::Invalid(_) | ApiError::Config(_) => 400,
            _ => 500,
        }
    }
}
