//! Incremental runs without boilerplate, on every database: the collector is handed when
//! the last successful run started (`Context::collected_since`), a substream follows only
//! the parents the parent stream just brought in, and extract and convert touch only what
//! the collect brought in, with the same result as a full run. Extract sees a substream
//! record's parent: `#[devlake(source = "input:/...")]` and `Context::input`.

use devlake::domain::devops::CicdPipeline;
use devlake::model::DateTime;
use devlake::plugin::{AnyDomainScope, PluginMeta};
use devlake::prelude::*;
use devlake::protocol::{PluginHost, TaskContext};
use devlake::stream::{Progress, Verb};
use devlake::testing::{Backend, TestDatabase};
use serde_json::json;
use std::cell::RefCell;

#[derive(Debug, Clone, devlake::Model)]
#[devlake(connection)]
pub struct Conn {}

#[derive(Debug, Clone, devlake::Model)]
#[devlake(scope)]
pub struct Board {}

#[derive(Debug, Clone, devlake::Model)]
#[devlake(scope_config)]
pub struct Conf {}

#[derive(Debug, Clone, PartialEq, devlake::Model)]
pub struct Issue {
    #[devlake(primary_key)]
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, devlake::Model)]
pub struct Comment {
    #[devlake(primary_key)]
    pub id: String,
    pub body: String,
    /// The issue the comment was collected for, read from the record's input.
    #[devlake(source = "input:/id")]
    pub issue_id: String,
    /// A pointer the input does not have: absent, as in the record.
    #[devlake(source = "input:/missing")]
    pub missing: Option<String>,
}

#[derive(Debug, Clone, PartialEq, devlake::Model)]
pub struct Watcher {
    #[devlake(primary_key)]
    pub id: String,
    pub issue_title: String,
}

#[derive(Default)]
pub struct Trackr;

impl Plugin for Trackr {
    type Connection = Conn;
    type ToolScope = Board;
    type ScopeConfig = Conf;
    async fn test_connection(&self, _: &Connection<Conn>) -> Result<TestConnectionResult> {
        Ok(TestConnectionResult::ok())
    }
    async fn remote_scope_groups(&self, _: &Connection<Conn>) -> Result<Vec<RemoteScopeGroup>> {
        Ok(vec![])
    }
    async fn remote_scopes(&self, _: &Connection<Conn>, _: &str) -> Result<Vec<Scope<Board>>> {
        Ok(vec![])
    }
    fn domain_scopes(&self, _: &Scope<Board>) -> Vec<AnyDomainScope> {
        vec![]
    }
    fn streams(&self) -> Streams<Self> {
        Streams::new()
            .add(Issues)
            .substream(Comments)
            .substream(Watchers)
    }
}

/// What the streams saw, for the tests to check.
#[derive(Default)]
struct Seen {
    /// `collected_since` of each issues collect, with when its body started.
    since: Vec<(Option<DateTime>, DateTime)>,
    /// Parents the comments collector was called for.
    parents: Vec<String>,
    /// Issues converted.
    converted: Vec<String>,
}

thread_local! {
    static SEEN: RefCell<Seen> = RefCell::new(Seen::default());
    /// A collect run with `options.hold` waits here, holding its run lock, until notified.
    static HOLD: (std::cell::Cell<bool>, std::rc::Rc<tokio::sync::Notify>) = Default::default();
}

fn take_seen() -> Seen {
    SEEN.with(|s| s.take())
}

/// Collects `options.issues` (`[[id, title], ...]`); fails at the end if `options.fail`.
pub struct Issues;

impl Stream<Trackr> for Issues {
    type ToolModel = Issue;
    const DOMAIN_TYPES: &'static [DomainType] = &[DomainType::Cicd];
    fn domain_models(&self) -> Vec<&'static devlake::model::ModelDescriptor> {
        vec![CicdPipeline::descriptor()]
    }
    async fn collect(&self, ctx: &Context<Trackr>, out: &mut RawSink<'_>) -> Result<()> {
        if ctx.options.get("hold").is_some() {
            let release = HOLD.with(|(held, release)| {
                held.set(true);
                release.clone()
            });
            release.notified().await;
        }
        let entered = chrono::Utc::now();
        SEEN.with(|s| s.borrow_mut().since.push((ctx.collected_since(), entered)));
        let issues = ctx.options.get("issues").cloned().unwrap_or(json!([]));
        for pair in issues.as_array().into_iter().flatten() {
            out.push(json!({"id": pair[0], "title": pair[1]})).await?;
        }
        // The run ends measurably after it started, so a stored end time would show.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        if ctx.options.get("fail").is_some() {
            devlake::bail!("the tracker went away");
        }
        Ok(())
    }
    fn convert(&self, issue: &Issue, _: &Context<Trackr>, out: &mut DomainSink) -> Result<()> {
        SEEN.with(|s| s.borrow_mut().converted.push(issue.id.clone()));
        out.push(CicdPipeline {
            name: format!("{}: {}", issue.id, issue.title),
            ..Default::default()
        })
    }
}

/// Two comments per issue, naming the issue's title (so an updated issue has new ones).
pub struct Comments;

impl Stream<Trackr> for Comments {
    type ToolModel = Comment;
    const DOMAIN_TYPES: &'static [DomainType] = &[DomainType::Cicd];
    fn convert(&self, _: &Comment, _: &Context<Trackr>, _: &mut DomainSink) -> Result<()> {
        Ok(())
    }
}

impl Substream<Trackr> for Comments {
    type Parent = Issues;
    async fn collect_for(
        &self,
        parent: &Issue,
        _: &Context<Trackr>,
        out: &mut RawSink<'_>,
    ) -> Result<()> {
        SEEN.with(|s| s.borrow_mut().parents.push(parent.id.clone()));
        for c in 0..2 {
            out.push_with(
                json!({"id": format!("{}/{c}", parent.id), "body": format!("on {}", parent.title)}),
                None,
                Some(&json!({"id": parent.id})),
            )
            .await?;
        }
        Ok(())
    }
}

/// One watcher per issue; a custom extract takes the issue's title from the input.
pub struct Watchers;

impl Stream<Trackr> for Watchers {
    type ToolModel = Watcher;
    const DOMAIN_TYPES: &'static [DomainType] = &[DomainType::Cicd];
    fn extract(&self, raw: &serde_json::Value, ctx: &Context<Trackr>) -> Result<Watcher> {
        let input = ctx.input();
        Ok(Watcher {
            id: raw["id"].as_str().unwrap_or_default().to_string(),
            issue_title: input["title"].as_str().unwrap_or("no input").to_string(),
        })
    }
    fn convert(&self, _: &Watcher, _: &Context<Trackr>, _: &mut DomainSink) -> Result<()> {
        Ok(())
    }
}

impl Substream<Trackr> for Watchers {
    type Parent = Issues;
    async fn collect_for(
        &self,
        parent: &Issue,
        _: &Context<Trackr>,
        out: &mut RawSink<'_>,
    ) -> Result<()> {
        let input = json!({"id": parent.id, "title": parent.title});
        out.push_with(
            json!({"id": format!("w-{}", parent.id)}),
            None,
            Some(&input),
        )
        .await
    }
}

fn host() -> PluginHost<Trackr> {
    PluginHost::new(
        Trackr,
        PluginMeta {
            crate_name: "trackr",
            version: "0",
            manifest_dir: ".",
        },
    )
}

fn task(url: &str, options: serde_json::Value) -> TaskContext {
    TaskContext::from_json(&json!({
        "db_url": url,
        "connection": {"id": 1, "name": "c"},
        "scope": {"id": "b1", "name": "b1"},
        "scope_config": null,
        "options": options,
    }))
    .unwrap()
}

/// Runs one subtask; returns the records it processed (its progress count).
async fn run(url: &str, verb: Verb, stream: &str, options: serde_json::Value) -> Result<u64> {
    let h = host();
    let mut ctx = h.context(&task(url, options), stream)?;
    let mut db = devlake::db::Db::connect(url).await?;
    let mut progress = Progress::silent();
    h.run_subtask(verb, stream, &mut ctx, &mut db, &mut progress)
        .await?;
    Ok(progress.current())
}

/// Runs all six subtasks; returns each one's processed count.
async fn run_all(url: &str, options: serde_json::Value) -> Vec<u64> {
    let mut counts = Vec::new();
    for stream in ["issues", "comments"] {
        for verb in Verb::ALL {
            let n = run(url, verb, stream, options.clone())
                .await
                .unwrap_or_else(|e| panic!("{} {stream}: {e}", verb.title()));
            counts.push(n);
        }
    }
    counts
}

/// The scope's rows: issues, comments and pipelines, sorted.
async fn snapshot(url: &str) -> Vec<Vec<String>> {
    let mut db = devlake::db::Db::connect(url).await.unwrap();
    let mut out = Vec::new();
    for sql in [
        format!("SELECT id, title FROM {}", Issue::descriptor().table),
        format!("SELECT id, body FROM {}", Comment::descriptor().table),
        "SELECT id, name FROM cicd_pipelines".to_string(),
    ] {
        let mut rows: Vec<String> = db
            .fetch_all(&sql, vec![])
            .await
            .unwrap()
            .into_iter()
            .map(|r| format!("{r:?}"))
            .collect();
        rows.sort();
        out.push(rows);
    }
    out
}

fn ms(t: DateTime) -> DateTime {
    chrono::SubsecRound::trunc_subsecs(t, 3)
}

async fn collected_since_is_the_last_successful_start(backend: Backend) {
    let Some(tdb) = TestDatabase::create(backend, "since").await else {
        return;
    };
    let url = &tdb.url;
    let issues = json!([["i1", "one"]]);
    take_seen();
    let before_full = chrono::Utc::now();
    run(url, Verb::Collect, "issues", json!({"issues": issues}))
        .await
        .unwrap();
    let inc = json!({"issues": issues, "incremental": true});
    run(url, Verb::Collect, "issues", inc.clone())
        .await
        .unwrap();
    let mut failing = inc.clone();
    failing["fail"] = json!(true);
    let err = run(url, Verb::Collect, "issues", failing)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("went away"), "{err}");
    run(url, Verb::Collect, "issues", inc.clone())
        .await
        .unwrap();
    run(url, Verb::Collect, "issues", json!({"issues": issues}))
        .await
        .unwrap();
    let since = take_seen().since;
    assert_eq!(since.len(), 5);
    assert_eq!(since[0].0, None, "a first run has nothing to resume from");
    let full_start = since[1]
        .0
        .expect("the incremental run gets the full run's start");
    assert!(
        ms(before_full) <= full_start && full_start <= since[0].1,
        "the full run's start, not its end: {full_start} is not between {before_full} and {} on {backend:?}",
        since[0].1
    );
    let inc_start = since[2].0.expect("the second incremental run");
    assert!(
        full_start < inc_start && inc_start <= since[1].1,
        "the first incremental run's start: {inc_start} on {backend:?}"
    );
    assert_eq!(
        since[3].0,
        Some(inc_start),
        "the failed run did not advance it on {backend:?}"
    );
    assert_eq!(since[4].0, None, "a full run ignores it on {backend:?}");
}

#[tokio::test]
async fn collected_since_is_the_last_successful_start_sqlite() {
    collected_since_is_the_last_successful_start(Backend::Sqlite).await
}
#[tokio::test]
async fn collected_since_is_the_last_successful_start_mariadb() {
    collected_since_is_the_last_successful_start(Backend::MySql).await
}
#[tokio::test]
async fn collected_since_is_the_last_successful_start_postgres() {
    collected_since_is_the_last_successful_start(Backend::Postgres).await
}

async fn incremental_runs_touch_only_what_collect_brought(backend: Backend) {
    let Some(tdb) = TestDatabase::create(backend, "incr_touch").await else {
        return;
    };
    let Some(full) = TestDatabase::create(backend, "incr_full").await else {
        return;
    };
    let url = &tdb.url;
    take_seen();
    let first = json!({"issues": [["a", "A"], ["b", "B"], ["c", "C"], ["d", "D"]]});
    // collect, extract, convert of issues, then of comments.
    assert_eq!(run_all(url, first).await, vec![4, 4, 4, 8, 8, 8]);
    let seen = take_seen();
    assert_eq!(seen.parents.len(), 4);
    assert_eq!(seen.converted.len(), 4);

    // b changed and e is new: the incremental run touches those two only.
    let changed = json!({"issues": [["b", "B2"], ["e", "E"]], "incremental": true});
    assert_eq!(
        run_all(url, changed).await,
        vec![2, 2, 2, 4, 4, 4],
        "records processed per subtask on {backend:?}"
    );
    let mut seen = take_seen();
    seen.parents.sort();
    assert_eq!(seen.parents, ["b", "e"], "comments of changed parents only");
    assert_eq!(seen.converted, ["b", "e"], "only the issues extract wrote");

    // Nothing new: nothing is touched.
    let nothing = json!({"issues": [], "incremental": true});
    assert_eq!(run_all(url, nothing).await, vec![0; 6]);
    let seen = take_seen();
    assert!(seen.parents.is_empty() && seen.converted.is_empty());

    // The same as a full run over the tool's current data.
    let all = json!({"issues": [["a", "A"], ["b", "B2"], ["c", "C"], ["d", "D"], ["e", "E"]]});
    run_all(&full.url, all).await;
    let got = snapshot(url).await;
    assert_eq!(got[0].len(), 5);
    assert_eq!(got[1].len(), 10);
    assert_eq!(got[2].len(), 5);
    assert_eq!(got, snapshot(&full.url).await, "on {backend:?}");

    // A full run after incremental ones still touches everything.
    let again = json!({"issues": [["a", "A"], ["b", "B2"], ["c", "C"], ["d", "D"], ["e", "E"]]});
    assert_eq!(run_all(url, again).await, vec![5, 5, 5, 10, 10, 10]);
    take_seen();
}

#[tokio::test]
async fn incremental_runs_touch_only_what_collect_brought_sqlite() {
    incremental_runs_touch_only_what_collect_brought(Backend::Sqlite).await
}
#[tokio::test]
async fn incremental_runs_touch_only_what_collect_brought_mariadb() {
    incremental_runs_touch_only_what_collect_brought(Backend::MySql).await
}
#[tokio::test]
async fn incremental_runs_touch_only_what_collect_brought_postgres() {
    incremental_runs_touch_only_what_collect_brought(Backend::Postgres).await
}

async fn extract_sees_the_parent(backend: Backend) {
    let Some(tdb) = TestDatabase::create(backend, "input").await else {
        return;
    };
    let url = &tdb.url;
    let issues = json!({"issues": [["i1", "One"], ["i2", "Two"]]});
    run_all(url, issues.clone()).await;
    for verb in [Verb::Collect, Verb::Extract] {
        run(url, verb, "watchers", issues.clone()).await.unwrap();
    }
    take_seen();
    let mut db = tdb.connect().await;
    let sql = format!(
        "SELECT id, body, issue_id, missing FROM {} ORDER BY id",
        Comment::descriptor().table
    );
    let comments: Vec<(String, String, Option<String>)> = db
        .fetch_all(&sql, vec![])
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            let mut it = r.into_iter();
            let id = format!("{:?}", it.next().unwrap());
            let _body = it.next();
            let issue = format!("{:?}", it.next().unwrap());
            let missing = it.next().filter(|v| *v != devlake::model::Value::Null);
            (id, issue, missing.map(|v| format!("{v:?}")))
        })
        .collect();
    assert_eq!(comments.len(), 4);
    for (id, issue, missing) in &comments {
        let parent = if id.contains("i1/") { "i1" } else { "i2" };
        assert!(
            issue.contains(parent),
            "comment {id} names its issue from the input, got {issue} on {backend:?}"
        );
        assert_eq!(missing, &None, "absent input pointer on {backend:?}");
    }
    let sql = format!(
        "SELECT id, issue_title FROM {} ORDER BY id",
        Watcher::descriptor().table
    );
    let watchers: Vec<String> = db
        .fetch_all(&sql, vec![])
        .await
        .unwrap()
        .into_iter()
        .map(|r| format!("{r:?}"))
        .collect();
    assert_eq!(watchers.len(), 2);
    assert!(
        watchers[0].contains("w-i1") && watchers[0].contains("One"),
        "{watchers:?}"
    );
    assert!(
        watchers[1].contains("w-i2") && watchers[1].contains("Two"),
        "{watchers:?}"
    );
}

#[tokio::test]
async fn extract_sees_the_parent_sqlite() {
    extract_sees_the_parent(Backend::Sqlite).await
}
#[tokio::test]
async fn extract_sees_the_parent_mariadb() {
    extract_sees_the_parent(Backend::MySql).await
}
#[tokio::test]
async fn extract_sees_the_parent_postgres() {
    extract_sees_the_parent(Backend::Postgres).await
}

#[test]
fn input_sources_read_the_input_not_the_record() {
    let raw = json!({"id": "c1", "body": "hi", "issueId": "from the record"});
    let c = Comment::from_record(&raw, &json!({"id": "i9"})).unwrap();
    assert_eq!(c.issue_id, "i9");
    assert_eq!(c.missing, None);
    // Without an input the field is missing, whatever the record holds.
    let err = Comment::from_json(&raw).unwrap_err().to_string();
    assert!(err.contains("issueId"), "{err}");
    let ctx = host()
        .context(&task("sqlite::memory:", json!({})), "comments")
        .unwrap();
    assert!(ctx.input().is_null(), "no input outside extract");
    // A test of extract outside a run sets the record's input itself.
    ctx.set_input(Some(json!({"id": "i3"})));
    let c = Comments.extract(&raw, &ctx).unwrap();
    assert_eq!(c.issue_id, "i3");
    ctx.set_input(None);
    assert!(Comments.extract(&raw, &ctx).is_err());
}

/// Run locks are per database: a run into one database of a server does not refuse the
/// same plugin, connection, scope and stream in another (MySQL's `GET_LOCK` is
/// server-wide; PostgreSQL's advisory locks are per database).
async fn run_locks_are_per_database(backend: Backend) {
    let Some(one) = TestDatabase::create(backend, "lock_one").await else {
        return;
    };
    let Some(other) = TestDatabase::create(backend, "lock_other").await else {
        return;
    };
    let holding = run(&one.url, Verb::Collect, "issues", json!({"hold": true}));
    let beside = async {
        while !HOLD.with(|(held, _)| held.get()) {
            tokio::task::yield_now().await;
        }
        let result = run(&other.url, Verb::Collect, "issues", json!({})).await;
        // A second run into the first database is still refused.
        let refused = run(&one.url, Verb::Collect, "issues", json!({})).await;
        HOLD.with(|(held, release)| {
            held.set(false);
            release.notify_one();
        });
        (result, refused)
    };
    let (held, (beside, refused)) = tokio::join!(holding, beside);
    take_seen();
    held.unwrap();
    beside.unwrap_or_else(|e| panic!("the other database's run on {backend:?}: {e}"));
    let err = refused.unwrap_err().to_string();
    assert!(err.contains("in progress"), "{err}");
}

#[tokio::test]
async fn run_locks_are_per_database_mariadb() {
    run_locks_are_per_database(Backend::MySql).await
}
#[tokio::test]
async fn run_locks_are_per_database_postgres() {
    run_locks_are_per_database(Backend::Postgres).await
}

/// The rows PostgreSQL's statistics say the issues tool table holds (`reltuples` changes
/// only when the table is analyzed; a handful of rows is far below autovacuum's threshold).
async fn analyzed_rows(url: &str) -> f64 {
    let mut db = devlake::db::Db::connect(url).await.unwrap();
    let sql = format!(
        "SELECT reltuples::float8 FROM pg_class WHERE relname = '{}'",
        Issue::descriptor().table
    );
    let rows = db.fetch_all(&sql, vec![]).await.unwrap();
    match rows[0][0] {
        devlake::model::Value::Float(f) => f,
        ref v => panic!("reltuples: {v:?}"),
    }
}

/// An incremental run after a successful one keeps the statistics the full run refreshed
/// (it pages only above its watermark, an indexed range): no `ANALYZE` per subtask, which
/// was most of a 1% incremental run's time on PostgreSQL. A full run refreshes them.
#[tokio::test]
async fn incremental_runs_keep_the_statistics_of_the_full_run_postgres() {
    let Some(tdb) = TestDatabase::create(Backend::Postgres, "incr_stats").await else {
        return;
    };
    let url = &tdb.url;
    take_seen();
    let four = json!({"issues": [["a", "A"], ["b", "B"], ["c", "C"], ["d", "D"]]});
    run_all(url, four).await;
    assert_eq!(
        analyzed_rows(url).await,
        4.0,
        "the full run's convert analyzes"
    );
    let changed = json!({"issues": [["e", "E"]], "incremental": true});
    assert_eq!(run_all(url, changed).await, vec![1, 1, 1, 2, 2, 2]);
    assert_eq!(
        analyzed_rows(url).await,
        4.0,
        "no ANALYZE on the incremental run"
    );
    let all = json!({"issues": [["a", "A"], ["b", "B"], ["c", "C"], ["d", "D"], ["e", "E"]]});
    run_all(url, all).await;
    assert_eq!(analyzed_rows(url).await, 5.0, "a full run analyzes again");
    take_seen();
}
