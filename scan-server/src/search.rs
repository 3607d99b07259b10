//! Scan search filters: what `GET /api/scans` and the list page take, parsed once.

use crate::auth::{Credential, Permission};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use devlake_scan::Outcome;
use serde::Serialize;

/// Default page size.
pub const DEFAULT_LIMIT: i64 = 50;
/// Largest page size.
pub const MAX_LIMIT: i64 = 500;

/// A search: every given filter must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Project name or id.
    pub project: Option<String>,
    /// Tags the scan must all carry.
    pub tags: Vec<String>,
    /// Custom values (`name`, `value`) the scan must all carry.
    pub values: Vec<(String, String)>,
    /// The outcome.
    pub outcome: Option<Outcome>,
    /// The user the run was made by (`environment.username`).
    pub user: Option<String>,
    /// Started at or after.
    pub since: Option<DateTime<Utc>>,
    /// Started before (a bare date means "up to the end of that day").
    pub until: Option<DateTime<Utc>>,
    /// Page size.
    pub limit: i64,
    /// Scans skipped (newest first).
    pub offset: i64,
}

impl Filter {
    /// Parses a raw query string. Empty parameters are ignored (an empty form field), and
    /// errors (a 400) name the parameter.
    pub fn parse(query: &str) -> Result<Filter, String> {
        let mut f = Filter {
            limit: DEFAULT_LIMIT,
            ..Filter::default()
        };
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            match name.as_ref() {
                "project" => f.project = Some(value.into()),
                "tag" => f.tags.push(value.into()),
                "value" => {
                    let (n, v) = value
                        .split_once('=')
                        .ok_or("value must be name=value (e.g. value=branch=release)")?;
                    f.values.push((n.trim().into(), v.trim().into()));
                }
                "outcome" => {
                    f.outcome = Some(match value {
                        "success" => Outcome::Success,
                        "failure" => Outcome::Failure,
                        "error" => Outcome::Error,
                        _ => return Err("outcome must be success, failure or error".into()),
                    })
                }
                "user" => f.user = Some(value.into()),
                "since" => f.since = Some(parse_time(value, false).ok_or(
                    "since must be an RFC 3339 time or a YYYY-MM-DD date",
                )?),
                "until" => f.until = Some(parse_time(value, true).ok_or(
                    "until must be an RFC 3339 time or a YYYY-MM-DD date",
                )?),
                "limit" => {
                    f.limit = value
                        .parse()
                        .ok()
                        .filter(|n| (1..=MAX_LIMIT).contains(n))
                        .ok_or(format!("limit must be an integer from 1 to {MAX_LIMIT}"))?
                }
                "offset" => {
                    f.offset = value
                        .parse()
                        .ok()
                        .filter(|n| *n >= 0)
                        .ok_or("offset must be a non-negative integer")?
                }
                other => {
                    return Err(format!(
                        "unknown query parameter {:?} (expected project, tag, value, outcome, user, since, until, limit, offset)",
                        other.chars().take(40).collect::<String>()
                    ))
                }
            }
        }
        Ok(f)
    }

    /// The filter as a query string (without `limit` and `offset` unless changed), for
    /// links that keep it.
    pub fn to_query(&self) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        if let Some(p) = &self.project {
            q.append_pair("project", p);
        }
        for t in &self.tags {
            q.append_pair("tag", t);
        }
        for (n, v) in &self.values {
            q.append_pair("value", &format!("{n}={v}"));
        }
        if let Some(o) = self.outcome {
            q.append_pair("outcome", o.as_str());
        }
        if let Some(u) = &self.user {
            q.append_pair("user", u);
        }
        if let Some(s) = self.since {
            q.append_pair("since", &s.to_rfc3339());
        }
        if let Some(u) = self.until {
            q.append_pair("until", &u.to_rfc3339());
        }
        if self.limit != DEFAULT_LIMIT {
            q.append_pair("limit", &self.limit.to_string());
        }
        if self.offset != 0 {
            q.append_pair("offset", &self.offset.to_string());
        }
        q.finish()
    }
}

/// An RFC 3339 time, or a date: its start (`since`) or the start of the next day (`until`,
/// so `until=2026-11-29` includes that whole day).
fn parse_time(s: &str, end_of_day: bool) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    let date = if end_of_day { date.succ_opt()? } else { date };
    Some(date.and_time(NaiveTime::MIN).and_utc())
}

/// Which scans a credential may read, as the search's access filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Every scan (no project-level access control).
    All,
    /// Scans of these projects, and those without a project when `without_project`.
    Projects {
        /// Project ids.
        ids: Vec<String>,
        /// Whether scans without a project id are readable.
        without_project: bool,
    },
    /// Nothing (no `readScans`).
    Nothing,
}

impl Access {
    /// What `cred` may read.
    pub fn of(cred: &Credential, project_access_control: bool) -> Access {
        if !cred.has(Permission::ReadScans) {
            Access::Nothing
        } else if !project_access_control {
            Access::All
        } else {
            Access::Projects {
                ids: cred.projects.iter().cloned().collect(),
                without_project: cred.has(Permission::AccessDataWithoutAssociatedProject),
            }
        }
    }
}

/// One scan in a search result (`GET /api/scans`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanSummary {
    /// Scan id.
    pub id: String,
    /// `<base>/s/<id>`.
    pub url: String,
    /// Project name.
    pub project: Option<String>,
    /// Project id.
    pub project_id: Option<String>,
    /// `success`, `failure` or `error`.
    pub outcome: String,
    /// RFC 3339.
    pub started_at: String,
    /// Duration.
    pub duration_ms: i64,
    /// `environment.username`.
    pub user: Option<String>,
    /// `environment.hostname`.
    pub host: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// `command.kind`.
    pub command_kind: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_and_round_trip() {
        let f = Filter::parse("tag=CI&tag=nightly&value=branch%3Drelease&outcome=failure&until=2026-11-29&project=&limit=10").unwrap();
        assert_eq!(f.tags, ["CI", "nightly"]);
        assert_eq!(f.values, [("branch".to_string(), "release".to_string())]);
        assert_eq!(f.until.unwrap().to_rfc3339(), "2026-11-30T00:00:00+00:00");
        assert_eq!(f.project, None);
        assert_eq!(Filter::parse(&f.to_query()).unwrap(), f);
        assert!(Filter::parse("value=branch").is_err());
        assert!(Filter::parse("limit=501").is_err());
        assert!(Filter::parse("outcome=green").is_err());
    }
}
