//! The client side of the publishing contract (docs/build-scans.md): `POST /api/scans`,
//! `POST /api/auth/token`, `GET /api/scans`.
//!
//! Connection errors, `429` (after its `Retry-After`) and `5xx` are retried with exponential
//! backoff, a bounded number of times; other `4xx` never are. The credential travels only in
//! the `Authorization` header and never appears in an error.

use crate::model::Scan;
use std::time::Duration;

/// Why a request to the scan server failed. Messages are one line and hold no credential.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// 401: no credential, or one the server does not know.
    #[error("{}", unauthorized(.host, *.key_sent))]
    Unauthorized {
        /// The server's host name.
        host: String,
        /// Whether a key was sent (refused) or none was configured (missing).
        key_sent: bool,
    },
    /// 403: the credential lacks a permission or project.
    #[error("the Build Scan server at {host} refused: the access key for {host} lacks the permission or project (403 Forbidden){}", detail(.message))]
    Forbidden {
        /// The server's host name.
        host: String,
        /// The server's one-line reason.
        message: String,
    },
    /// Another answer that is not retried (or retries ran out).
    #[error("the Build Scan server at {host} answered {status}{}", detail(.message))]
    Status {
        /// The server's host name.
        host: String,
        /// The HTTP status.
        status: u16,
        /// The server's one-line reason.
        message: String,
    },
    /// The server could not be reached (after retries).
    #[error("cannot reach the Build Scan server at {host} ({attempts} attempts): {reason}")]
    Unreachable {
        /// The server's host name.
        host: String,
        /// How many attempts were made.
        attempts: u32,
        /// The last connection error.
        reason: String,
    },
    /// The server URL is not usable.
    #[error("the Build Scan server URL is not an http(s) URL")]
    BadUrl,
    /// An answer that does not follow the contract.
    #[error("the Build Scan server at {host} gave an unexpected answer: {reason}")]
    Protocol {
        /// The server's host name.
        host: String,
        /// What was wrong.
        reason: String,
    },
}

fn unauthorized(host: &str, key_sent: bool) -> String {
    if key_sent {
        format!("the Build Scan server at {host} refused the access key configured for {host} (401 Unauthorized)")
    } else {
        format!("the Build Scan server at {host} needs an access key and none is configured for host {host} (401 Unauthorized; set DEVELOCITY_ACCESS_KEY={host}=<key>)")
    }
}

fn detail(m: &str) -> String {
    if m.is_empty() {
        String::new()
    } else {
        format!(": {m}")
    }
}

/// A client of one scan server.
#[derive(Debug, Clone)]
pub struct Client {
    base: url::Url,
    host: String,
    key: Option<String>,
    /// Attempts per request (the first one included).
    pub attempts: u32,
    /// The first backoff; it doubles each retry, up to [`Client::max_backoff`].
    pub backoff: Duration,
    /// The longest wait between attempts, whatever `Retry-After` says.
    pub max_backoff: Duration,
}

/// A published scan.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Published {
    /// Its id.
    pub id: String,
    /// Its page on the server.
    pub url: String,
}

impl Client {
    /// A client of `server` sending `key` (already host-matched by the caller) if any.
    pub fn new(server: &str, key: Option<&str>) -> Result<Client, PublishError> {
        let mut base = url::Url::parse(server).map_err(|_| PublishError::BadUrl)?;
        if !matches!(base.scheme(), "http" | "https") || !base.has_host() {
            return Err(PublishError::BadUrl);
        }
        if !base.path().ends_with('/') {
            let p = format!("{}/", base.path());
            base.set_path(&p);
        }
        Ok(Client {
            host: base.host_str().unwrap_or_default().to_string(),
            base,
            key: key.map(str::to_string),
            attempts: 5,
            backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
        })
    }

    /// The server's host name.
    pub fn host(&self) -> &str {
        &self.host
    }

    fn url(&self, path: &str) -> url::Url {
        self.base.join(path).expect("a relative path joins")
    }

    /// Sends a request built by `make`, retrying as the contract says; returns the final
    /// successful (2xx) response's status and body.
    fn send(
        &self,
        make: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<(u16, String), PublishError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| PublishError::Unreachable {
                host: self.host.clone(),
                attempts: 0,
                reason: e.to_string(),
            })?;
        rt.block_on(async {
            let http = reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(10))
                .timeout(Duration::from_secs(120))
                .build()
                .map_err(|e| PublishError::Unreachable {
                    host: self.host.clone(),
                    attempts: 0,
                    reason: e.to_string(),
                })?;
            let mut wait = self.backoff;
            let mut attempt = 0;
            loop {
                attempt += 1;
                let mut req = make(&http);
                if let Some(k) = &self.key {
                    req = req.bearer_auth(k);
                }
                let last = attempt >= self.attempts;
                let mut delay = wait;
                match req.send().await {
                    Err(e) => {
                        if last {
                            return Err(PublishError::Unreachable {
                                host: self.host.clone(),
                                attempts: attempt,
                                reason: one_line(&without_url(&e).to_string()),
                            });
                        }
                    }
                    Ok(resp) => {
                        let status = resp.status().as_u16();
                        let retry_after = resp
                            .headers()
                            .get(reqwest::header::RETRY_AFTER)
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| v.trim().parse::<u64>().ok());
                        let body = resp.text().await.unwrap_or_default();
                        match status {
                            200..=299 => return Ok((status, body)),
                            401 => {
                                return Err(PublishError::Unauthorized {
                                    host: self.host.clone(),
                                    key_sent: self.key.is_some(),
                                })
                            }
                            403 => {
                                return Err(PublishError::Forbidden {
                                    host: self.host.clone(),
                                    message: error_message(&body),
                                })
                            }
                            429 | 500..=599 if !last => {
                                if let Some(s) = retry_after {
                                    delay = Duration::from_secs(s);
                                }
                            }
                            _ => {
                                return Err(PublishError::Status {
                                    host: self.host.clone(),
                                    status,
                                    message: error_message(&body),
                                })
                            }
                        }
                    }
                }
                tokio::time::sleep(delay.min(self.max_backoff)).await;
                wait = (wait * 2).min(self.max_backoff);
            }
        })
    }

    /// `POST /api/scans`: publishes one scan; a retry of a stored scan is a success too.
    pub fn publish(&self, scan: &Scan) -> Result<Published, PublishError> {
        let body = serde_json::to_vec(scan).expect("a scan serializes");
        let url = self.url("api/scans");
        let (_, text) = self.send(|c| {
            c.post(url.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone())
        })?;
        serde_json::from_str(&text).map_err(|e| PublishError::Protocol {
            host: self.host.clone(),
            reason: format!("the answer to POST /api/scans is not {{\"id\", \"url\"}}: {e}"),
        })
    }

    /// `POST /api/auth/token`: a short-lived access token.
    pub fn token(
        &self,
        permissions: &[String],
        project_ids: &[String],
        expires_in_hours: Option<u32>,
    ) -> Result<String, PublishError> {
        let mut url = self.url("api/auth/token");
        {
            let mut q = url.query_pairs_mut();
            if !permissions.is_empty() {
                q.append_pair("permissions", &permissions.join(","));
            }
            if !project_ids.is_empty() {
                q.append_pair("projectIds", &project_ids.join(","));
            }
            if let Some(h) = expires_in_hours {
                q.append_pair("expiresInHours", &h.to_string());
            }
        }
        let (_, text) = self.send(|c| c.post(url.clone()))?;
        Ok(text.trim().to_string())
    }

    /// `GET /api/scans?...`: the server's search answer, as JSON.
    pub fn search(&self, query: &[(String, String)]) -> Result<serde_json::Value, PublishError> {
        let mut url = self.url("api/scans");
        if !query.is_empty() {
            let mut q = url.query_pairs_mut();
            for (k, v) in query {
                q.append_pair(k, v);
            }
        }
        let (_, text) = self.send(|c| c.get(url.clone()))?;
        serde_json::from_str(&text).map_err(|e| PublishError::Protocol {
            host: self.host.clone(),
            reason: format!("the answer to GET /api/scans is not JSON: {e}"),
        })
    }
}

fn without_url(e: &reqwest::Error) -> String {
    // reqwest's message names the URL, which holds no credential, but its source says why.
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg = s.to_string();
        src = s.source();
    }
    msg
}

fn one_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim().to_string()
}

/// The `error` of a `{"error": "..."}` answer, one line, at most 200 characters.
fn error_message(body: &str) -> String {
    let m = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
        .unwrap_or_default();
    one_line(&m).chars().take(200).collect()
}
