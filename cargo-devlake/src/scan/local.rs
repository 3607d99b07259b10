//! Local scans: `scan list`, `scan publish`, `scan token`, `scan record`.

use anyhow::{bail, Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use devlake_scan::config::{self, ScanConfig};
use devlake_scan::model::{Outcome, StdStream};
use devlake_scan::publish::{Client, PublishError};
use devlake_scan::store::Store;
use devlake_scan::Scan;
use std::path::PathBuf;

/// Where local scans are: `--target-dir`, else cargo's target directory of the working
/// directory.
#[derive(Debug, clap::Args)]
pub struct TargetArgs {
    /// The target directory holding `devlake-scans/` (default: cargo's, for this folder).
    #[arg(long, value_name = "DIR")]
    target_dir: Option<PathBuf>,
}

impl TargetArgs {
    fn store(&self) -> Result<Store> {
        let cwd = std::env::current_dir()?;
        Ok(Store::new(
            &self
                .target_dir
                .clone()
                .unwrap_or_else(|| super::target_dir_of(&cwd)),
        ))
    }
}

/// `scan list` arguments.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// Only scans with this tag (repeatable: all must match).
    #[arg(long, value_name = "TAG")]
    tag: Vec<String>,
    /// Only scans with this custom value, `name=value` (repeatable: all must match).
    #[arg(long, value_name = "NAME=VALUE")]
    value: Vec<String>,
    /// Only scans of this project (name).
    #[arg(long, value_name = "NAME")]
    project: Option<String>,
    /// Only scans with this outcome.
    #[arg(long, value_parser = ["success", "failure", "error"])]
    outcome: Option<String>,
    /// Only scans started at or after this time (RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_name = "WHEN")]
    since: Option<String>,
    /// Only scans started before this time (RFC 3339 or YYYY-MM-DD, that day included).
    #[arg(long, value_name = "WHEN")]
    until: Option<String>,
    /// List the configured server's scans (GET /api/scans) instead of the local ones.
    #[arg(long)]
    server: bool,
}

/// `scan publish` arguments.
#[derive(Debug, clap::Args)]
pub struct PublishArgs {
    #[command(flatten)]
    target: TargetArgs,
}

/// `scan token` arguments.
#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    /// Permissions the token gets (comma-separated or repeated; default: all of the key's).
    #[arg(long, value_name = "P,..", value_delimiter = ',')]
    permissions: Vec<String>,
    /// Projects the token may access (comma-separated or repeated; default: all of the key's).
    #[arg(long, value_name = "ID,..", value_delimiter = ',')]
    project_ids: Vec<String>,
    /// The token's lifetime in hours, 1 to 24 (default: the server's, 2).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=24))]
    expires_in_hours: Option<u32>,
}

/// `scan record` arguments.
#[derive(Debug, clap::Args)]
pub struct RecordArgs {
    /// The command kind the scan shows (`workspace-test` for this workspace's own test run).
    #[arg(long, default_value = "command")]
    kind: String,
    /// The command to run and its arguments (after `--`).
    #[arg(last = true, required = true, value_name = "COMMAND")]
    command: Vec<String>,
}

/// The configuration of the project in the working directory.
fn cwd_config() -> Result<ScanConfig> {
    let cwd = std::env::current_dir()?;
    Ok(config::load(&cwd, &config::process_env()))
}

/// A client of the configured server with the key configured for its host.
fn client(cfg: &ScanConfig) -> Result<Client> {
    let Some(server) = cfg.server.as_deref() else {
        bail!(
            "no Build Scan server is configured: set DEVELOCITY_URL or `server` in {}",
            config::FILE_NAME
        );
    };
    Ok(Client::new(server, cfg.key_for(server))?)
}

fn parse_when(s: &str, end_of_day: bool) -> Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .with_context(|| format!("{s:?} is neither RFC 3339 nor YYYY-MM-DD"))?;
    let d = if end_of_day {
        d.succ_opt().unwrap_or(d)
    } else {
        d
    };
    Ok(d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
}

fn split_value(v: &str) -> Result<(&str, &str)> {
    v.split_once('=')
        .with_context(|| format!("--value {v:?}: expected name=value"))
}

/// Whether a local scan passes the filters.
fn matches(
    s: &Scan,
    a: &ListArgs,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> Result<bool> {
    let mut ok = a.tag.iter().all(|t| s.tags.contains(t))
        && a.project
            .as_deref()
            .is_none_or(|p| s.project.name.as_deref() == Some(p))
        && a.outcome.as_deref().is_none_or(|o| s.outcome.as_str() == o)
        && since.is_none_or(|t| s.started_at >= t)
        && until.is_none_or(|t| s.started_at < t);
    for v in &a.value {
        let (n, val) = split_value(v)?;
        ok &= s
            .custom_values
            .iter()
            .any(|c| c.name == n && c.value == val);
    }
    Ok(ok)
}

/// `scan list`: local scans (or the server's) matching every filter, newest first.
pub fn list(args: ListArgs) -> Result<()> {
    let since = args
        .since
        .as_deref()
        .map(|s| parse_when(s, false))
        .transpose()?;
    let until = args
        .until
        .as_deref()
        .map(|s| parse_when(s, true))
        .transpose()?;
    if args.server {
        let cfg = cwd_config()?;
        let c = client(&cfg)?;
        let mut q: Vec<(String, String)> = Vec::new();
        for t in &args.tag {
            q.push(("tag".into(), t.clone()));
        }
        for v in &args.value {
            split_value(v)?;
            q.push(("value".into(), v.clone()));
        }
        for (k, v) in [("project", &args.project), ("outcome", &args.outcome)] {
            if let Some(v) = v {
                q.push((k.into(), v.clone()));
            }
        }
        if let Some(t) = since {
            q.push(("since".into(), t.to_rfc3339()));
        }
        if let Some(t) = until {
            q.push(("until".into(), t.to_rfc3339()));
        }
        let answer = c.search(&q)?;
        let scans = answer["scans"].as_array().cloned().unwrap_or_default();
        for s in &scans {
            let tags: Vec<&str> = s["tags"]
                .as_array()
                .map(|a| a.iter().filter_map(|t| t.as_str()).collect())
                .unwrap_or_default();
            println!(
                "{}  {}  {:<7}  {}  {}  [{}]  {}",
                s["id"].as_str().unwrap_or(""),
                s["started_at"].as_str().unwrap_or(""),
                s["outcome"].as_str().unwrap_or(""),
                s["project"].as_str().unwrap_or("(N/A)"),
                s["command_kind"].as_str().unwrap_or(""),
                tags.join(", "),
                s["url"].as_str().unwrap_or("")
            );
        }
        println!(
            "{} of {} scan(s)",
            scans.len(),
            answer["total"].as_u64().unwrap_or(0)
        );
        return Ok(());
    }
    let store = args.target.store()?;
    let pending = store.pending();
    let mut n = 0;
    for s in store.all() {
        if !matches(&s, &args, since, until)? {
            continue;
        }
        n += 1;
        println!(
            "{}  {}  {:<7}  {}  {}  [{}]{}  {}",
            s.id,
            s.started_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            s.outcome.as_str(),
            s.project_label(),
            s.command.kind,
            s.tags.join(", "),
            if pending.contains(&s.id) {
                "  (pending)"
            } else {
                ""
            },
            store.html_path(&s.id).display()
        );
    }
    println!("{n} scan(s) in {}", store.dir().display());
    Ok(())
}

/// `scan publish`: sends every pending scan; fails when one could not be sent.
pub fn publish(args: PublishArgs) -> Result<()> {
    let store = args.target.store()?;
    let cfg = cwd_config()?;
    for w in &cfg.warnings {
        eprintln!("warning: {w}");
    }
    let pending = store.pending();
    if pending.is_empty() {
        println!("no pending Build Scans in {}", store.dir().display());
        return Ok(());
    }
    let mut failed = 0;
    for id in &pending {
        let scan = match store.load(id) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("warning: {e}");
                failed += 1;
                continue;
            }
        };
        // The server configured now (it may have moved since), else the one the scan was
        // meant for (the marker).
        let marker = std::fs::read_to_string(store.dir().join(format!("{id}.pending")))
            .ok()
            .filter(|s| !s.trim().is_empty());
        let Some(server) = cfg.server.clone().or(marker) else {
            eprintln!("warning: {id}: no Build Scan server is configured");
            failed += 1;
            continue;
        };
        if devlake_scan::session::publish_stored(&store, &scan, server.trim(), &cfg).is_none() {
            failed += 1;
        }
    }
    if failed > 0 {
        bail!(
            "{failed} of {} pending Build Scan(s) not published",
            pending.len()
        );
    }
    Ok(())
}

/// `scan token`: a short-lived access token from the configured server, printed.
pub fn token(args: TokenArgs) -> Result<()> {
    let cfg = cwd_config()?;
    let c = client(&cfg)?;
    let perms: Vec<String> = args
        .permissions
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect();
    let projects: Vec<String> = args
        .project_ids
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect();
    match c.token(&perms, &projects, args.expires_in_hours) {
        Ok(t) => {
            println!("{t}");
            Ok(())
        }
        Err(PublishError::Forbidden { host, .. }) => bail!(
            "the Build Scan server at {host} refused the token (403 Forbidden): the access key for {host} does not hold every requested permission and project, or the token would outlive it"
        ),
        Err(e) => Err(e.into()),
    }
}

/// `scan record`: runs the command through the recorder and exits with its exit code.
pub fn record(args: RecordArgs) -> Result<()> {
    let cwd = std::env::current_dir()?;
    let mut session = super::start(&args.kind, &cwd, &super::target_dir_of(&cwd));
    let program = &args.command[0];
    let source = std::path::Path::new(program)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| program.clone());
    let status = session.recorder().run(
        std::process::Command::new(program).args(&args.command[1..]),
        &source,
    );
    match status {
        Ok(status) => {
            let code = status.code().unwrap_or(1);
            let (tests, spans) =
                devlake_scan::tests::from_libtest(&session.recorder().console().lines);
            session.tests = tests;
            session.timeline = spans;
            let outcome = if status.success() {
                Outcome::Success
            } else {
                Outcome::Failure
            };
            session.finish(code, outcome);
            std::process::exit(code);
        }
        Err(e) => {
            let msg = format!("cannot run {program}: {e}");
            session
                .recorder()
                .record(StdStream::Stderr, "cargo-devlake", &format!("error: {msg}"));
            session.finish(1, Outcome::Error);
            bail!("{msg}")
        }
    }
}
