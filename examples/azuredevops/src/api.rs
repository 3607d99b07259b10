//! The Azure DevOps REST API, as `azuredevops/api.py` wraps it upstream: HTTP Basic
//! authentication from the token, `api-version=7.0` on every request, the continuation
//! token paginator, and 203 turned into 401. Unlike the Python client, the base URL is
//! the connection's (Azure DevOps Server), and `devlake::api` adds retries with
//! backoff, `Retry-After` on 429, rate limits and concurrency.

use crate::models::AzureDevOpsConnection;
use devlake::api::{
    ApiClient, ApiError, ApiResponse, BasicAuth, HeaderTokenPaginator, Method, PageItem, RateLimit,
    Request, ResponseAction, ResponseHook, RetryPolicy, SetQuery, StatusCode,
};
use devlake::prelude::*;
use futures::Stream as FuturesStream;
use serde_json::Value as JsonValue;
use std::time::Duration;

/// The API version the Python plugin asks for.
pub const API_VERSION: &str = "7.0";

/// Azure DevOps answers an invalid token with a redirect to its sign-in page, which ends
/// in a `203 Non-Authoritative Information`: a 401 in truth.
#[derive(Debug, Clone, Copy)]
pub struct NonAuthoritativeIsUnauthorized;

impl ResponseHook for NonAuthoritativeIsUnauthorized {
    async fn on_response(&self, resp: &mut ApiResponse) -> Result<ResponseAction, ApiError> {
        if resp.status == StatusCode::NON_AUTHORITATIVE_INFORMATION {
            resp.status = StatusCode::UNAUTHORIZED;
        }
        Ok(ResponseAction::Continue)
    }
}

/// Azure DevOps' REST API for one connection.
#[derive(Debug, Clone)]
pub struct AzureDevOpsApi {
    api: ApiClient,
    vssps: ApiClient,
}

fn client(base: &str, connection: &Connection<AzureDevOpsConnection>) -> Result<ApiClient> {
    Ok(ApiClient::builder(base)
        .proxy(connection.proxy.clone())
        .request_hook(BasicAuth::new("", connection.token.expose())?)
        .request_hook(SetQuery::new("api-version", API_VERSION))
        .response_hook(NonAuthoritativeIsUnauthorized)
        .retry(
            RetryPolicy::default()
                .max_retries(5)
                .backoff(Duration::from_millis(200), Duration::from_secs(30)),
        )
        // Azure DevOps' global limit is 200 TSTUs per 5 minutes per user; it answers 429
        // with Retry-After past it. Stay well under its request rate by default.
        .rate_limit(RateLimit::default().per_hour(36_000))
        .max_in_flight(8)
        .build()?)
}

/// The paginator of every Azure DevOps listing: items in `value`, the next page's token in
/// `x-ms-continuationtoken`, sent back as `continuationToken`.
pub fn paginator() -> HeaderTokenPaginator {
    HeaderTokenPaginator::new("value", "x-ms-continuationtoken", "continuationToken")
}

/// One client per connection for a substream's parents, so they share its rate limit and
/// connection pool instead of building a client per parent.
#[derive(Debug, Default)]
pub struct ApiCache {
    cached: std::cell::RefCell<Option<(i64, String, AzureDevOpsApi)>>,
}

impl ApiCache {
    /// The client of the connection, built on first use.
    pub fn get(&self, connection: &Connection<AzureDevOpsConnection>) -> Result<AzureDevOpsApi> {
        let key = (connection.id_or_zero(), connection.api_base());
        if let Some((id, base, api)) = &*self.cached.borrow() {
            if (*id, base) == (key.0, &key.1) {
                return Ok(api.clone());
            }
        }
        let api = AzureDevOpsApi::new(connection)?;
        *self.cached.borrow_mut() = Some((key.0, key.1, api.clone()));
        Ok(api)
    }
}

impl AzureDevOpsApi {
    /// A client for the connection's base URLs, token and proxy.
    pub fn new(connection: &Connection<AzureDevOpsConnection>) -> Result<Self> {
        Ok(AzureDevOpsApi {
            api: client(&connection.api_base(), connection)?,
            vssps: client(&connection.vssps_base(), connection)?,
        })
    }

    /// The API client (base URL of the connection).
    pub fn client(&self) -> &ApiClient {
        &self.api
    }

    /// `GET <base>/<segments>` as a request to complete.
    pub fn request(&self, segments: &[&str]) -> Request {
        self.api.request(Method::GET, segments)
    }

    /// Every item of a listing, each with the URL of its page.
    pub fn rows(&self, request: Request) -> impl FuturesStream<Item = Result<PageItem, ApiError>> {
        self.api.paginate(request, paginator()).rows()
    }

    /// Every item of a listing, collected.
    pub async fn all(&self, request: Request) -> Result<Vec<JsonValue>> {
        use futures::StreamExt;
        let mut out = Vec::new();
        let mut items = self.api.paginate(request, paginator()).items();
        while let Some(item) = items.next().await {
            out.push(item?);
        }
        Ok(out)
    }

    /// The token owner's profile (whatever the status: for connection tests).
    pub async fn my_profile(&self) -> Result<ApiResponse> {
        let req = self
            .vssps
            .request(Method::GET, ["_apis", "profile", "profiles", "me"]);
        Ok(self.vssps.send_unchecked(req).await?)
    }

    /// The organizations (accounts) a member belongs to.
    pub async fn accounts(&self, member_id: &str) -> Result<Vec<JsonValue>> {
        let req = self
            .vssps
            .request(Method::GET, ["_apis", "accounts"])
            .query("memberId", member_id);
        let body: JsonValue = self.vssps.send(req).await?.json()?;
        Ok(body["value"].as_array().cloned().unwrap_or_default())
    }

    /// The first page of an organization's projects (whatever the status: for connection
    /// tests).
    pub async fn projects_response(&self, org: &str) -> Result<ApiResponse> {
        Ok(self
            .api
            .send_unchecked(self.request(&[org, "_apis", "projects"]))
            .await?)
    }

    /// An organization's projects.
    pub async fn projects(&self, org: &str) -> Result<Vec<JsonValue>> {
        self.all(self.request(&[org, "_apis", "projects"])).await
    }

    /// A project's Git repositories.
    pub async fn git_repos(&self, org: &str, project: &str) -> Result<Vec<JsonValue>> {
        self.all(self.request(&[org, project, "_apis", "git", "repositories"]))
            .await
    }

    /// A project's service endpoints.
    pub async fn endpoints(&self, org: &str, project: &str) -> Result<Vec<JsonValue>> {
        self.all(self.request(&[org, project, "_apis", "serviceendpoint", "endpoints"]))
            .await
    }

    /// The repositories an external provider offers through a service endpoint.
    pub async fn external_repositories(
        &self,
        org: &str,
        project: &str,
        provider: &str,
        endpoint_id: &str,
    ) -> Result<Vec<JsonValue>> {
        let req = self
            .request(&[
                org,
                project,
                "_apis",
                "sourceProviders",
                provider,
                "repositories",
            ])
            .query("serviceEndpointId", endpoint_id);
        let body: JsonValue = self.api.send(req).await?.json()?;
        Ok(body["repositories"].as_array().cloned().unwrap_or_default())
    }

    /// The pull requests of a repository, all statuses.
    pub fn pull_requests(&self, org: &str, project: &str, repo_id: &str) -> Request {
        self.request(&[
            org,
            project,
            "_apis",
            "git",
            "repositories",
            repo_id,
            "pullrequests",
        ])
        .query("searchCriteria.status", "all")
    }

    /// One pull request.
    pub fn pull_request(&self, org: &str, project: &str, repo_id: &str, id: i64) -> Request {
        let id = id.to_string();
        self.request(&[
            org,
            project,
            "_apis",
            "git",
            "repositories",
            repo_id,
            "pullrequests",
            &id,
        ])
    }

    /// The commits of a pull request.
    pub fn pull_request_commits(
        &self,
        org: &str,
        project: &str,
        repo_id: &str,
        id: i64,
    ) -> Request {
        let id = id.to_string();
        self.request(&[
            org,
            project,
            "_apis",
            "git",
            "repositories",
            repo_id,
            "pullRequests",
            &id,
            "commits",
        ])
    }

    /// The builds of a repository (`provider`: `tfsgit` for Azure Repos).
    pub fn builds(&self, org: &str, project: &str, repo_id: &str, provider: &str) -> Request {
        self.request(&[org, project, "_apis", "build", "builds"])
            .query("repositoryId", repo_id)
            .query("repositoryType", provider)
            .query("deletedFilter", "excludeDeleted")
            .query("queryOrder", "queueTimeDescending")
    }

    /// A build's timeline (jobs, stages, tasks...).
    pub fn timeline(&self, org: &str, project: &str, build_id: i64) -> Request {
        let id = build_id.to_string();
        self.request(&[org, project, "_apis", "build", "builds", &id, "timeline"])
    }
}
