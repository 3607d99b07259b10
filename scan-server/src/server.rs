//! The HTTP server: the publishing contract's JSON API and the web UI's routes, on axum.
//!
//! Credentials come as `Authorization: Bearer` (the API, the pages) or as the session cookie
//! `POST /login` sets (the pages only). An access key is looked up (hashed) in the database
//! on every request, so revoking it takes effect at once; a token is verified by its
//! signature alone, then checked against the set of revoked key ids this server keeps in
//! memory and re-reads every [`REVOCATION_REFRESH`] (so `scan keys revoke`, run from another
//! process, also ends the key's tokens within that interval).
//!
//! Nothing here logs a header, a query string, a key or a token: the request log names the
//! method, the path, the status and the key id of the credential.

use crate::auth::{self, Credential, Permission};
use crate::search::{Access, Filter};
use crate::store::Store;
use crate::token::{TokenRequest, TokenSigner};
use crate::web;
use axum::body::Body;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use devlake_scan::model::ScanParseError;
use devlake_scan::Scan;
use futures::StreamExt;
use serde_json::json;
use std::collections::HashSet;
use std::future::Future;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// The largest scan accepted, in bytes, after gzip decompression (and before it).
pub const MAX_SCAN_BYTES: usize = 32 * 1024 * 1024;

/// How often the set of revoked keys is re-read from the database.
pub const REVOCATION_REFRESH: Duration = Duration::from_secs(1);

/// The session cookie the web UI's login sets.
pub const SESSION_COOKIE: &str = "devlake_scan_session";

/// How a server is started.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen.
    pub addr: SocketAddr,
    /// The database: a SQLite file path or `sqlite:` URL, or a `postgres://` URL.
    pub db: String,
    /// Whether project ids are checked (`--project-access-control`).
    pub project_access_control: bool,
    /// The URL users reach the server at (`https://scans.example.com` behind a proxy), for
    /// the links the server hands out; `None`: `http://<Host header>`.
    pub public_url: Option<String>,
    /// How many uploads may be received at once (each may hold 32 MiB and its parsed form);
    /// more are answered `429` with `Retry-After`. At least 1.
    pub max_concurrent_uploads: usize,
}

/// The default of [`Config::max_concurrent_uploads`].
pub const DEFAULT_MAX_CONCURRENT_UPLOADS: usize = 8;

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The database.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The listening socket.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// Serving failed.
    #[error("server error: {0}")]
    Serve(std::io::Error),
    /// `--public-url` is not an http(s) URL.
    #[error("--public-url must be an http:// or https:// URL")]
    PublicUrl,
}

/// What every handler shares.
pub(crate) struct AppState {
    pub(crate) store: Store,
    signer: TokenSigner,
    pub(crate) project_access_control: bool,
    public_url: Option<String>,
    revoked: RwLock<HashSet<String>>,
    uploads: tokio::sync::Semaphore,
}

/// A bound, ready server.
pub struct Server {
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Server({:?})", self.listener.local_addr())
    }
}

impl Server {
    /// Opens (and migrates) the database, loads or makes the signing secret, and binds.
    pub async fn bind(config: Config) -> Result<Server, ServerError> {
        if let Some(u) = &config.public_url {
            let ok = url::Url::parse(u)
                .map(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                .unwrap_or(false);
            if !ok {
                return Err(ServerError::PublicUrl);
            }
        }
        let store = Store::open(&config.db).await?;
        let (kid, secret) = store.signing_secret().await?;
        let revoked = store.revoked_key_ids().await?;
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|source| ServerError::Bind {
                addr: config.addr,
                source,
            })?;
        Ok(Server {
            listener,
            state: Arc::new(AppState {
                store,
                signer: TokenSigner::new(kid, secret),
                project_access_control: config.project_access_control,
                public_url: config
                    .public_url
                    .map(|u| u.trim_end_matches('/').to_string()),
                revoked: RwLock::new(revoked),
                uploads: tokio::sync::Semaphore::new(config.max_concurrent_uploads.max(1)),
            }),
        })
    }

    /// The address it listens on (the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener")
    }

    /// The database it serves.
    pub fn store(&self) -> &Store {
        &self.state.store
    }

    /// Serves until `shutdown` completes, then stops accepting, lets every request in
    /// flight finish (a scan being published is committed before its answer is sent), and
    /// closes the database.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        let state = self.state.clone();
        let refresher = tokio::spawn(refresh_revocations(state.clone()));
        let app = router(state.clone());
        let result = axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(ServerError::Serve);
        refresher.abort();
        state.store.close().await;
        tracing::info!("scan server stopped");
        result
    }
}

async fn refresh_revocations(state: Arc<AppState>) {
    let mut tick = tokio::time::interval(REVOCATION_REFRESH);
    loop {
        tick.tick().await;
        match state.store.revoked_key_ids().await {
            Ok(ids) => *state.revoked.write().expect("revocation lock") = ids,
            Err(e) => tracing::warn!("cannot re-read revoked keys (keeping the last set): {e}"),
        }
    }
}

fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/api/scans", post(publish).get(list_scans))
        .route("/api/scans/{id}", get(get_scan))
        .route("/api/auth/token", post(create_token))
        .route("/healthz", get(|| async { "ok" }))
        .route("/", get(web::list_page))
        .route("/s/{id}", get(web::scan_page))
        .route("/login", post(web::login))
        .route("/logout", post(web::logout))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not found") })
        .layer(middleware::from_fn(log_request))
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}

/// Logs each request by method, path (no query), status and time. Never a header.
async fn log_request(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let started = std::time::Instant::now();
    let resp = next.run(req).await;
    tracing::info!(
        %method,
        path = %path,
        status = resp.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    resp
}

/// Pages use only inline CSS and script and post forms only here: the policy forbids every
/// other source, framing and sniffing.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; \
             img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp
}

/// A JSON error answer: `{"error": "<one line>"}`.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    fn internal(e: impl std::fmt::Display) -> ApiError {
        tracing::error!("internal error: {e}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the server could not complete the request (see its log)",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, Json(json!({ "error": self.message }))).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        resp
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> ApiError {
        ApiError::internal(e)
    }
}

/// The host name a request was addressed to (Host header, port dropped, lowercase).
pub(crate) fn request_host(headers: &HeaderMap) -> Option<String> {
    let raw = headers.get(header::HOST)?.to_str().ok()?.trim();
    let name = if let Some(rest) = raw.strip_prefix('[') {
        // [v6]:port
        format!("[{}]", rest.split(']').next()?)
    } else {
        match raw.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h.to_string(),
            _ => raw.to_string(),
        }
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    (!name.is_empty()).then_some(name)
}

impl AppState {
    /// The base URL for links: `--public-url`, else `http://<Host header>`.
    pub(crate) fn base_url(&self, headers: &HeaderMap) -> String {
        if let Some(u) = &self.public_url {
            return u.clone();
        }
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        format!("http://{host}")
    }

    /// Whether cookies should be `Secure` (the server is reached over https).
    pub(crate) fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }

    /// The credential a request presents: the Bearer header, else (pages only) the session
    /// cookie. `Ok(None)`: none presented.
    pub(crate) async fn credential(
        &self,
        headers: &HeaderMap,
        allow_cookie: bool,
    ) -> Result<Option<Credential>, ApiError> {
        let presented = bearer(headers).or_else(|| {
            allow_cookie
                .then(|| web::cookie(headers, SESSION_COOKIE))
                .flatten()
        });
        match presented {
            None => Ok(None),
            Some(secret) => self.verify(&secret, headers).await.map(Some),
        }
    }

    /// Verifies an access key or token presented at the request's host.
    pub(crate) async fn verify(
        &self,
        secret: &str,
        headers: &HeaderMap,
    ) -> Result<Credential, ApiError> {
        let unauthorized = |m: &str| ApiError::new(StatusCode::UNAUTHORIZED, m);
        let now = Utc::now();
        if auth::looks_like_key(secret) {
            return self
                .store
                .key_credential(secret, now)
                .await?
                .ok_or_else(|| unauthorized("unknown, revoked or expired access key"));
        }
        let host = request_host(headers).ok_or_else(|| {
            unauthorized("the request has no Host header to check the token against")
        })?;
        let cred = self
            .signer
            .verify(secret, &host, now)
            .map_err(|e| unauthorized(&e.to_string()))?;
        if self
            .revoked
            .read()
            .expect("revocation lock")
            .contains(&cred.key_id)
        {
            return Err(unauthorized(
                "the access key this token was made from has been revoked",
            ));
        }
        Ok(cred)
    }

    /// The credential of an API request (Bearer only); 401 when none or invalid.
    async fn require(&self, headers: &HeaderMap) -> Result<Credential, ApiError> {
        self.credential(headers, false).await?.ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "no credential: send Authorization: Bearer <access key or token>",
            )
        })
    }

    /// Mints a token for `grant` at the request's host.
    pub(crate) fn sign(&self, grant: &Credential, headers: &HeaderMap) -> Result<String, ApiError> {
        let host = request_host(headers).ok_or_else(|| {
            ApiError::new(StatusCode::BAD_REQUEST, "the request has no Host header")
        })?;
        Ok(self.signer.sign(grant, &host, Utc::now()))
    }
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, cred) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| cred.trim().to_string())
        .filter(|c| !c.is_empty())
}

/// `POST /api/scans`.
async fn publish(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let cred = st.require(&headers).await?;
    if !cred.has(Permission::PublishScan) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "publishing needs the publishScan permission",
        ));
    }
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json",
        ));
    }
    let gzip = match headers
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or("?").trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("identity") => false,
        Some("gzip") => true,
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Content-Encoding must be gzip or absent",
            ))
        }
    };
    // Bounded memory: a permit per upload being received and parsed.
    let _permit = st.uploads.try_acquire().map_err(|_| ApiError {
        status: StatusCode::TOO_MANY_REQUESTS,
        message: "the server is receiving as many scans as it takes at once; retry after 1 second"
            .into(),
    })?;
    let raw = read_limited(body).await?;
    let (scan, document) = tokio::task::spawn_blocking(move || parse_upload(raw, gzip))
        .await
        .map_err(ApiError::internal)??;
    if st.project_access_control && !cred.covers_project(scan.project.id.as_deref(), true) {
        let what = match &scan.project.id {
            Some(id) => format!("of project {:?}", id.chars().take(100).collect::<String>()),
            None => "without a project id (needs accessDataWithoutAssociatedProject)".into(),
        };
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("this credential may not publish scans {what}"),
        ));
    }
    let inserted = st.store.insert_scan(&scan, &document, &cred.user).await?;
    let url = format!("{}/s/{}", st.base_url(&headers), scan.id);
    tracing::info!(
        scan = %scan.id,
        key_id = %cred.key_id,
        stored = inserted,
        "scan published"
    );
    let status = if inserted {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(json!({ "id": scan.id, "url": url }))).into_response())
}

/// Reads a request body, refusing (413) one over [`MAX_SCAN_BYTES`] without reading more.
async fn read_limited(body: Body) -> Result<Vec<u8>, ApiError> {
    let mut stream = body.into_data_stream();
    let mut buf = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "the request body could not be read",
            )
        })?;
        if buf.len() + chunk.len() > MAX_SCAN_BYTES {
            return Err(too_large());
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "the scan is larger than the server's limit of {} MiB",
            MAX_SCAN_BYTES >> 20
        ),
    )
}

/// Decompresses and validates an upload: the scan and its document text.
fn parse_upload(raw: Vec<u8>, gzip: bool) -> Result<(Scan, String), ApiError> {
    let bytes = if gzip {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .take(MAX_SCAN_BYTES as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "the body is not valid gzip"))?;
        if out.len() > MAX_SCAN_BYTES {
            return Err(too_large());
        }
        out
    } else {
        raw
    };
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, m);
    let scan = Scan::from_json(&bytes).map_err(|e| match e {
        ScanParseError::UnknownVersion(_) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
        }
        ScanParseError::NotAScan => bad(e.to_string()),
        // serde's own message may quote the offending value; say where, not what.
        ScanParseError::Json(j) => bad(match j.classify() {
            serde_json::error::Category::Data => {
                let msg = j.to_string();
                if msg.starts_with("missing field") {
                    format!("not a scan document: {}", msg.split(" at line").next().unwrap_or(&msg))
                } else {
                    format!(
                        "not a scan document: a field has the wrong type or value at line {} column {}",
                        j.line(),
                        j.column()
                    )
                }
            }
            _ => format!("malformed JSON at line {} column {}", j.line(), j.column()),
        }),
    })?;
    let id_ok = scan.id.len() == 26
        && scan
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b));
    if !id_ok {
        return Err(bad("the scan id must be 26 characters of [a-z2-7]".into()));
    }
    let indexed = scan
        .tags
        .iter()
        .chain(scan.custom_values.iter().flat_map(|v| [&v.name, &v.value]))
        .chain(scan.project.name.iter())
        .chain(scan.project.id.iter());
    if indexed.into_iter().any(|s| s.contains('\0')) {
        return Err(bad(
            "tags, custom values and project fields may not contain NUL characters".into(),
        ));
    }
    // Valid JSON is valid UTF-8.
    let document = String::from_utf8(bytes).map_err(|_| bad("the body is not UTF-8".into()))?;
    Ok((scan, document))
}

/// `POST /api/auth/token`.
async fn create_token(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let cred = st.require(&headers).await?;
    let request = TokenRequest::parse(query.as_deref().unwrap_or(""))
        .map_err(|m| ApiError::new(StatusCode::BAD_REQUEST, m))?;
    let grant = request
        .grant(&cred, st.project_access_control, Utc::now())
        .map_err(|m| ApiError::new(StatusCode::FORBIDDEN, m))?;
    let token = st.sign(&grant, &headers)?;
    tracing::info!(key_id = %cred.key_id, "access token issued");
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        token,
    )
        .into_response())
}

/// `GET /api/scans`.
async fn list_scans(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let cred = st.require(&headers).await?;
    if !cred.has(Permission::ReadScans) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "reading scans needs the readScans permission",
        ));
    }
    let filter = Filter::parse(query.as_deref().unwrap_or(""))
        .map_err(|m| ApiError::new(StatusCode::BAD_REQUEST, m))?;
    let access = Access::of(&cred, st.project_access_control);
    let (scans, total) = st
        .store
        .search(&filter, &access, &st.base_url(&headers))
        .await?;
    Ok(Json(json!({ "scans": scans, "total": total })).into_response())
}

/// `GET /api/scans/{id}`.
async fn get_scan(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let cred = st.require(&headers).await?;
    match st.readable_document(&cred, &id).await? {
        Some(doc) => Ok(([(header::CONTENT_TYPE, "application/json")], doc).into_response()),
        None => Err(not_found()),
    }
}

pub(crate) fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no such scan (or this credential may not read it)",
    )
}

impl AppState {
    /// A scan's document when it exists and `cred` may read it.
    pub(crate) async fn readable_document(
        &self,
        cred: &Credential,
        id: &str,
    ) -> Result<Option<String>, ApiError> {
        Ok(self
            .store
            .scan_document(id)
            .await?
            .filter(|(project, _)| cred.can_read(project.as_deref(), self.project_access_control))
            .map(|(_, doc)| doc))
    }
}
