//! Running a fetch for many parents at once, under a bound, without `Send`.

use futures::stream::{self, Stream, StreamExt};
use std::future::Future;

/// The default number of concurrent fetches.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// Runs `fetch` for every input, at most `limit` at once (0 counts as 1), and yields the
/// results in completion order.
///
/// Backpressure: no more than `limit` fetches run or wait to be read at any time, and
/// inputs are only taken as fetches finish and their results are read. The futures need
/// not be `Send` and nothing is spawned: they run on the task polling the stream (the
/// runtime's way of running plugin code).
///
/// ```no_run
/// # use devlake::api::{concurrent, ApiClient, ApiError, DEFAULT_CONCURRENCY};
/// # use futures::StreamExt;
/// # async fn demo(client: ApiClient, repos: Vec<String>) -> Result<(), ApiError> {
/// let mut details = concurrent(repos, DEFAULT_CONCURRENCY, |repo| {
///     let client = client.clone();
///     async move { client.get(["repos", repo.as_str()], &[]).await?.json_value() }
/// });
/// while let Some(detail) = details.next().await {
///     let detail = detail?;
///     # let _ = detail;
/// }
/// # Ok(()) }
/// ```
pub fn concurrent<I, F, Fut>(inputs: I, limit: usize, fetch: F) -> impl Stream<Item = Fut::Output>
where
    I: IntoIterator,
    F: FnMut(I::Item) -> Fut,
    Fut: Future,
{
    stream::iter(inputs)
        .map(fetch)
        .buffer_unordered(limit.max(1))
}

/// Like [`concurrent`], for inputs that are themselves a stream (the items of a parent
/// table being read).
pub fn concurrent_stream<S, F, Fut>(
    inputs: S,
    limit: usize,
    fetch: F,
) -> impl Stream<Item = Fut::Output>
where
    S: Stream,
    F: FnMut(S::Item) -> Fut,
    Fut: Future,
{
    inputs.map(fetch).buffer_unordered(limit.max(1))
}

/// Runs a stream per input (say, the paginated items of each repository), at most
/// `limit` streams at once, and yields their items as they come.
///
/// ```no_run
/// # use devlake::api::{concurrent_flat, ApiClient, LinkHeaderPaginator, Method};
/// # fn demo(client: ApiClient, repos: Vec<String>) {
/// let issues = concurrent_flat(repos, 4, |repo| {
///     let req = client.request(Method::GET, ["repos", repo.as_str(), "issues"]);
///     client.paginate(req, LinkHeaderPaginator::new()).rows()
/// });
/// # drop(issues);
/// # }
/// ```
pub fn concurrent_flat<I, F, S>(inputs: I, limit: usize, open: F) -> impl Stream<Item = S::Item>
where
    I: IntoIterator,
    F: FnMut(I::Item) -> S,
    S: Stream,
{
    let mut open = open;
    stream::iter(inputs).flat_map_unordered(limit.max(1), move |input| Box::pin(open(input)))
}
