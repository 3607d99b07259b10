//! The plugin's streams, one file per upstream `azuredevops/streams/*.py`, and what they
//! share: the scope config's patterns, durations, and incremental state.

mod builds;
mod jobs;
mod pull_request_commits;
mod pull_requests;

pub use builds::Builds;
pub use jobs::Jobs;
pub use pull_request_commits::GitPullRequestCommits;
pub use pull_requests::GitPullRequests;

use crate::models::GitRepositoryConfig;
use crate::AzureDevOpsPlugin;
use devlake::domain::devops::{CicdEnvironment, CicdType};
use devlake::prelude::*;
use regex::Regex;
use serde_json::{json, Value as JsonValue};
use std::cell::RefCell;
use std::collections::HashMap;

/// The scope config's regular expressions, compiled once per thread and pattern.
fn pattern(field: &str, source: Option<&str>) -> Result<Option<Regex>> {
    thread_local! {
        static CACHE: RefCell<HashMap<String, Regex>> = RefCell::new(HashMap::new());
    }
    let Some(source) = source.filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    CACHE.with(|cache| {
        if let Some(re) = cache.borrow().get(source) {
            return Ok(Some(re.clone()));
        }
        let re = Regex::new(source).map_err(|e| {
            Error::input(format!(
                "scope config: {field} {source:?} is not a valid regular expression: {}",
                e.to_string().lines().last().unwrap_or("invalid")
            ))
        })?;
        cache.borrow_mut().insert(source.to_string(), re.clone());
        Ok(Some(re))
    })
}

/// How a build or job is classified from its name (and a job's identifier), as the
/// Python plugin does: a deployment when `deployment_pattern` matches; production when
/// `production_pattern` matches the environment name that `environment_pattern` extracts
/// (jobs), else the name; without `production_pattern`, every deployment is production.
pub(crate) fn classify(
    config: &GitRepositoryConfig,
    name: &str,
    identifier: Option<&str>,
    extract_environment: bool,
) -> Result<(CicdType, Option<CicdEnvironment>)> {
    let deployment = pattern("deployment_pattern", config.deployment_pattern.as_deref())?;
    let production = pattern("production_pattern", config.production_pattern.as_deref())?;
    let r#type = match &deployment {
        Some(re) if re.is_match(name) => CicdType::Deployment,
        _ => CicdType::Build,
    };
    let environment_name = if extract_environment {
        environment_name(config, name, identifier)?
    } else {
        None
    };
    let production = match production {
        Some(re) => match environment_name {
            Some(env) => re.is_match(&env),
            None => re.is_match(name),
        },
        None => r#type == CicdType::Deployment,
    };
    Ok((r#type, production.then_some(CicdEnvironment::Production)))
}

/// The first capture group of `environment_pattern` in the name, else in the identifier.
fn environment_name(
    config: &GitRepositoryConfig,
    name: &str,
    identifier: Option<&str>,
) -> Result<Option<String>> {
    let Some(re) = pattern("environment_pattern", config.environment_pattern.as_deref())? else {
        return Ok(None);
    };
    let capture = |s: &str| {
        re.captures(s)
            .and_then(|c| c.get(1))
            .map(|m| m.as_str().to_string())
    };
    Ok(capture(name).or_else(|| identifier.and_then(capture)))
}

/// Seconds between two instants, computed as Python's `abs(f.timestamp() -
/// s.timestamp())` (microsecond timestamps as floats), so durations match the Python
/// plugin's to the last bit; 0 when unfinished.
pub(crate) fn duration_sec(start: DateTime, finish: Option<DateTime>) -> f64 {
    let ts = |d: DateTime| d.timestamp_micros() as f64 / 1e6;
    finish.map(|f| (ts(f) - ts(start)).abs()).unwrap_or(0.0)
}

/// What an incremental collector saved last time: when it started (`since`, RFC 3339)
/// and the ids of records that were still open (unfinished builds, active pull requests)
/// and must be fetched again.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Since {
    pub since: Option<String>,
    pub open: Vec<i64>,
}

impl Since {
    /// The state of an incremental run (nothing on a full run or a first run).
    pub fn of(ctx: &Context<AzureDevOpsPlugin>) -> Since {
        let Some(state) = ctx.state().filter(|_| ctx.incremental()) else {
            return Since::default();
        };
        Since {
            since: state["since"].as_str().map(str::to_string),
            open: state["open"]
                .as_array()
                .map(|a| a.iter().filter_map(JsonValue::as_i64).collect())
                .unwrap_or_default(),
        }
    }

    /// `since` as a timestamp.
    pub fn since_time(&self) -> Option<DateTime> {
        self.since
            .as_deref()
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|d| d.with_timezone(&chrono::Utc))
    }

    /// The state to save: this run's start and the records still open.
    pub fn save(started: DateTime, open: Vec<i64>) -> JsonValue {
        json!({
            "since": started.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "open": open,
        })
    }
}

/// Whether a substream can skip a parent in an incremental run: the parent was finished
/// before the substream's previous run started, so what it fetched then is final.
pub(crate) fn finished_before_last_run(
    ctx: &Context<AzureDevOpsPlugin>,
    finished: Option<DateTime>,
) -> bool {
    match (Since::of(ctx).since_time(), finished) {
        (Some(since), Some(finished)) => finished < since,
        _ => false,
    }
}

/// The state a substream saves for each parent: when this process first fetched a
/// parent. Not the time of the last parent fetched: a build that finished while the run
/// went through the others would then look final though its timeline was fetched before
/// it finished.
pub(crate) fn substream_state() -> JsonValue {
    static FIRST_FETCH: std::sync::OnceLock<DateTime> = std::sync::OnceLock::new();
    Since::save(*FIRST_FETCH.get_or_init(chrono::Utc::now), Vec::new())
}
