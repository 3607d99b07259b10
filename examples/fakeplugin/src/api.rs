//! The fake plugin's API wrapper: how a real plugin talks to its tool through
//! `devlake::api` (authentication hook, pagination, retries, the request URL kept with
//! each raw record).

use crate::models::FakeConnection;
use devlake::api::{ApiClient, BearerAuth, Method, RetryPolicy, TokenPaginator};
use devlake::futures::StreamExt;
use devlake::prelude::*;
use std::time::Duration;

/// The fake tool's REST API.
pub struct FakeApi {
    client: ApiClient,
}

impl FakeApi {
    /// A client for `base_url`, authenticated with the connection's token and going
    /// through its proxy.
    pub fn new(base_url: &str, connection: &Connection<FakeConnection>) -> Result<Self> {
        let client = ApiClient::builder(base_url)
            .proxy(connection.proxy.clone())
            .request_hook(BearerAuth::new(connection.token.expose())?)
            .retry(
                RetryPolicy::default()
                    .max_retries(3)
                    .backoff(Duration::from_millis(50), Duration::from_secs(2)),
            )
            .build()?;
        Ok(FakeApi { client })
    }

    /// Every pipeline, page by page (`?page_token=`), into the raw table with its page URL;
    /// on an incremental run only those updated since the last successful run started
    /// (`?updated_since=`, from [`Context::collected_since`]).
    pub async fn collect_pipelines(
        &self,
        out: &mut RawSink<'_>,
        since: Option<DateTime>,
    ) -> Result<()> {
        let mut request = self.client.request(Method::GET, ["pipelines"]);
        if let Some(since) = since {
            request = request.query("updated_since", since.to_rfc3339());
        }
        let paginator = TokenPaginator::new("items", "next", "page_token");
        let mut rows = self.client.paginate(request, paginator).rows();
        while let Some(row) = rows.next().await {
            let row = row?;
            out.push_with(row.data, Some(&row.url), None).await?;
        }
        out.set_state(serde_json::json!({}));
        Ok(())
    }
}
