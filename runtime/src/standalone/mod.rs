//! Standalone runs: a whole pipeline of a plugin against a DevLake database, without
//! DevLake's server (`<plugin binary> standalone ...`, driven by `cargo devlake run`).
//!
//! ```text
//! <plugin> standalone run --config plugin.toml [--db URL] [--stream NAME]... [--incremental]
//!                         [--project NAME] [--format plain|progress|json] [--log-level LEVEL]
//! <plugin> standalone delete-scope --config plugin.toml [--db URL] SCOPE_ID...
//!                                            removes what runs wrote for the scopes
//! <plugin> standalone plugin-info            plugin-info as pretty JSON on stdout
//! <plugin> standalone conformance [--db sqlite|ADMIN_URL]...
//!                                            DevLake conformance checks, a JSON report on stdout
//! ```
//!
//! A run reads the connection, scopes and scope config from a TOML run file (see
//! [`config`]; secrets come from environment variables), connects to the database
//! (`sqlite:///devlake.db`, a `devlake.db` file in the working directory, by default; any
//! URL in DevLake's form otherwise), applies the plugin's pending migrations, then for
//! each scope runs collect, extract and convert of every stream the scope config's
//! `entities` select (or of the `--stream`s given), each subtask in its own transaction,
//! and prints a summary. Against a real DevLake MySQL or PostgreSQL database, DevLake's
//! domain tables are used as they are; only missing tables are created.
//!
//! Before the streams run, the run records what DevLake's server would have (see
//! [`devlake`]): the connection, scope config and scopes in the plugin's tool tables, the
//! domain scopes `make-pipeline` names, and with `--project` the project and its
//! `project_mapping` rows, so DevLake's dashboards show the data.

pub mod config;
pub mod devlake;
mod output;

pub use output::Format;
pub(crate) use output::Reporter;

use crate::db::Db;
use crate::plugin::{Plugin, Scope, ScopeConfig};
use crate::protocol::{PluginHost, TaskContext};
use crate::stream::{Context, Progress, Verb};
use crate::{Error, Result};
use serde::Serialize;
use serde_json::Value as Json;
use std::path::PathBuf;
use std::time::Instant;

/// The database of a run when neither `--db` nor the run file names one.
pub const DEFAULT_DB: &str = "sqlite:///devlake.db";

const HELP: &str = "\
USAGE:
  <plugin> standalone run --config <plugin.toml> [--db <url>] [--stream <name>]... [--incremental]
                          [--project <name>] [--format plain|progress|json]
                          [--log-level debug|info|warn|error]
  <plugin> standalone delete-scope --config <plugin.toml> [--db <url>] <scope id>...
  <plugin> standalone plugin-info
  <plugin> standalone conformance [--db sqlite|<admin url>]...

run          Run the plugin's streams for every scope of the run file against a database
             (default sqlite:///devlake.db, i.e. ./devlake.db), after applying its migrations.
  --config   The TOML run file: [connection], [scope_config], [[scopes]] (see docs/standalone.md);
             secrets as `token = { env = \"MY_TOKEN\" }` or `token = \"${MY_TOKEN}\"`.
  --db       A DevLake database URL: sqlite:///rel.db, sqlite:////abs.db,
             mysql://user:pass@host:3306/lake?charset=utf8mb4&parseTime=True&loc=UTC, postgres://...
  --stream   Run only these streams (repeatable); by default the scope config's entities choose.
  --incremental  Keep previous rows and resume from the state the last run saved.
  --project  The DevLake project the scopes belong to (or `project = \"...\"` in the run file):
             its `projects` row and one `project_mapping` row per domain scope are written.
  --format   progress (bars on a terminal, the default there), plain (the default otherwise), json.
delete-scope Remove what runs wrote for each scope id (of the run file's connection): raw, tool and
             domain rows, the domain scope and its project mappings, the incremental state, the
             tool scope row. One transaction per scope.
plugin-info  Print plugin-info (models, subtasks, migrations) as JSON.
conformance  Check what DevLake needs of the plugin (schemas, subtasks, migrations on a fresh
             database per --db: `sqlite`, or a MySQL/PostgreSQL admin URL); JSON report on stdout.
";

/// One subtask of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubtaskRun {
    /// Scope id.
    pub scope: String,
    /// Stream name.
    pub stream: String,
    /// Subtask name (`Collect Users`).
    pub subtask: String,
    /// Whether it ran (false when the stream does not run on the scope).
    pub ran: bool,
    /// Records it processed (written by collect, extracted, converted).
    pub records: u64,
    /// Wall time in seconds.
    pub seconds: f64,
}

/// Runs the given subtasks of a stream in order through [`PluginHost::run_subtask`],
/// with a fresh [`Progress`] from `progress` for each and `done` called after each.
#[cfg(feature = "testing")] // the testing kit's assert_stream_run is its only caller
pub(crate) async fn run_stream<P: Plugin>(
    host: &PluginHost<P>,
    stream: &str,
    ctx: &mut Context<P>,
    db: &mut Db,
    progress: impl FnMut(&str) -> Progress,
    done: impl FnMut(&SubtaskRun),
) -> Result<Vec<SubtaskRun>> {
    run_verbs(host, stream, &Verb::ALL, ctx, db, progress, done).await
}

async fn run_verbs<P: Plugin>(
    host: &PluginHost<P>,
    stream: &str,
    verbs: &[Verb],
    ctx: &mut Context<P>,
    db: &mut Db,
    mut progress: impl FnMut(&str) -> Progress,
    mut done: impl FnMut(&SubtaskRun),
) -> Result<Vec<SubtaskRun>> {
    let mut out = Vec::new();
    let mut skipping = false;
    for verb in verbs {
        let subtask = verb.subtask_name(stream);
        let mut p = progress(&subtask);
        let started = Instant::now();
        let ran = if skipping {
            false
        } else {
            host.run_subtask(*verb, stream, ctx, db, &mut p)
                .await
                .map_err(|e| Error::msg(format!("scope {}: {subtask} failed: {e}", ctx.scope.id)))?
        };
        // A stream that does not run on the scope skips all three subtasks.
        skipping = !ran;
        let run = SubtaskRun {
            scope: ctx.scope.id.clone(),
            stream: stream.to_string(),
            subtask,
            ran,
            records: p.current(),
            seconds: started.elapsed().as_secs_f64(),
        };
        done(&run);
        out.push(run);
    }
    Ok(out)
}

/// Options of `standalone run`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The TOML run file.
    pub config: PathBuf,
    /// Database URL (`--db`).
    pub db: Option<String>,
    /// Streams to run (`--stream`); empty: as the scope config selects.
    pub streams: Vec<String>,
    /// Incremental run.
    pub incremental: bool,
    /// The DevLake project of the scopes (`--project`; else the run file's `project`).
    pub project: Option<String>,
    /// Output format.
    pub format: Format,
    /// Log level.
    pub log_level: tracing::Level,
}

/// Pulls `--flag value` / `--flag=value` pairs and switches out of an argument list.
struct Args<'a> {
    items: &'a [String],
    i: usize,
}

impl<'a> Args<'a> {
    /// The next flag and its inline value, if any.
    fn next_flag(&mut self) -> Option<(&'a str, Option<&'a str>)> {
        let a = self.items.get(self.i)?;
        self.i += 1;
        Some(match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v)),
            _ => (a.as_str(), None),
        })
    }

    fn value(&mut self, flag: &str, inline: Option<&'a str>) -> Result<&'a str> {
        if let Some(v) = inline {
            return Ok(v);
        }
        let v = self
            .items
            .get(self.i)
            .ok_or_else(|| Error::input(format!("{flag} needs a value (see standalone --help)")))?;
        self.i += 1;
        Ok(v)
    }
}

/// An unknown argument for a message: a flag is quoted; anything else (a URL given without
/// `--db`, a token) is named by its position only, as it may hold a secret.
fn shown_arg(arg: &str, position: usize) -> String {
    if arg.starts_with('-') && arg.len() <= 40 && !arg.contains([':', '@', '/']) {
        format!("{arg:?}")
    } else {
        format!("#{position} (not a flag; value not shown)")
    }
}

fn parse_run(args: &[String]) -> Result<RunOptions> {
    let mut a = Args { items: args, i: 0 };
    let (mut config, mut db, mut streams, mut incremental) = (None, None, Vec::new(), false);
    let mut project = None;
    let (mut format, mut level) = (None, tracing::Level::WARN);
    while let Some((flag, inline)) = a.next_flag() {
        match flag {
            "--config" | "-c" => config = Some(PathBuf::from(a.value(flag, inline)?)),
            "--db" => db = Some(a.value(flag, inline)?.to_string()),
            "--stream" => streams.push(a.value(flag, inline)?.to_string()),
            "--incremental" => incremental = true,
            "--project" => {
                let v = a.value(flag, inline)?;
                devlake::check_project_name(v, "--project")?;
                project = Some(v.to_string());
            }
            "--format" => {
                let v = a.value(flag, inline)?;
                format = Some(Format::parse(v).ok_or_else(|| {
                    Error::input(format!("--format {v:?}: expected plain, progress or json"))
                })?);
            }
            "--log-level" => {
                level = crate::protocol::logging::parse_level(Some(a.value(flag, inline)?))
            }
            other => {
                return Err(Error::input(format!(
                    "standalone run: unknown argument {} (see standalone --help)",
                    shown_arg(other, a.i)
                )))
            }
        }
    }
    let config = config.ok_or_else(|| {
        Error::input("standalone run needs --config <plugin.toml> (see docs/standalone.md)")
    })?;
    Ok(RunOptions {
        config,
        db,
        streams,
        incremental,
        project,
        format: format.unwrap_or_else(Format::auto),
        log_level: level,
    })
}

/// Options of `standalone delete-scope`.
#[derive(Debug, Clone, PartialEq)]
pub struct DeleteOptions {
    /// The TOML run file (its connection, and its database unless `--db`).
    pub config: PathBuf,
    /// Database URL (`--db`).
    pub db: Option<String>,
    /// Scope ids.
    pub scopes: Vec<String>,
}

fn parse_delete(args: &[String]) -> Result<DeleteOptions> {
    let mut a = Args { items: args, i: 0 };
    let (mut config, mut db, mut scopes) = (None, None, Vec::new());
    while let Some((flag, inline)) = a.next_flag() {
        match flag {
            "--config" | "-c" => config = Some(PathBuf::from(a.value(flag, inline)?)),
            "--db" => db = Some(a.value(flag, inline)?.to_string()),
            f if f.starts_with('-') => {
                return Err(Error::input(format!(
                    "standalone delete-scope: unknown argument {f:?} (see standalone --help)"
                )))
            }
            id => scopes.push(id.to_string()),
        }
    }
    let config = config.ok_or_else(|| {
        Error::input("standalone delete-scope needs --config <plugin.toml> (for its connection)")
    })?;
    if scopes.is_empty() {
        return Err(Error::input(
            "standalone delete-scope needs the id of the scope to delete",
        ));
    }
    Ok(DeleteOptions { config, db, scopes })
}

/// `standalone delete-scope`: removes what runs wrote for each scope (see
/// [`devlake::delete_scope`]) and prints one line per scope.
pub async fn delete_scopes<P: Plugin>(host: &PluginHost<P>, opts: &DeleteOptions) -> Result<()> {
    let file = config::load::<P>(&opts.config)?;
    let connection_id = host.connection(&file.connection)?.id_or_zero();
    let db_url = opts
        .db
        .clone()
        .or(file.db.clone())
        .unwrap_or_else(|| DEFAULT_DB.to_string());
    let mut db = Db::connect(&db_url).await?;
    for scope in &opts.scopes {
        let deleted = devlake::delete_scope(host, &mut db, connection_id, scope).await?;
        let tables: Vec<String> = deleted
            .tables
            .iter()
            .map(|(t, n)| format!("{t} {n}"))
            .collect();
        println!(
            "deleted scope {scope:?} of connection {connection_id}: {} rows ({})",
            deleted.total(),
            tables.join(", ")
        );
    }
    Ok(())
}

fn parse_dbs(args: &[String]) -> Result<Vec<String>> {
    let mut a = Args { items: args, i: 0 };
    let mut dbs = Vec::new();
    while let Some((flag, inline)) = a.next_flag() {
        match flag {
            "--db" => dbs.push(a.value(flag, inline)?.to_string()),
            other => {
                return Err(Error::input(format!(
                    "standalone conformance: unknown argument {} (expected --db)",
                    shown_arg(other, a.i)
                )))
            }
        }
    }
    if dbs.is_empty() {
        dbs.push("sqlite".into());
    }
    Ok(dbs)
}

/// `run.sh` of the plugin when it can be found (`$DEVLAKE_PLUGIN_DIR`, else the crate
/// folder the binary was built from), else empty: standalone plugin-info is for people.
fn plugin_path<P: Plugin>(host: &PluginHost<P>) -> String {
    let dir = std::env::var("DEVLAKE_PLUGIN_DIR")
        .unwrap_or_else(|_| host.meta().manifest_dir.to_string());
    let p = PathBuf::from(dir).join("run.sh");
    std::fs::canonicalize(&p)
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

/// Runs the `standalone` command of a plugin binary with its arguments.
pub fn main<P: Plugin>(host: &PluginHost<P>, args: &[String]) -> Result<()> {
    let Some(cmd) = args.first() else {
        print!("{HELP}");
        return Ok(());
    };
    let rt = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Error::from)
    };
    match cmd.as_str() {
        "-h" | "--help" | "help" => {
            print!("{HELP}");
            Ok(())
        }
        "run" => {
            let opts = parse_run(&args[1..])?;
            rt()?.block_on(run(host, &opts))
        }
        "delete-scope" => {
            let opts = parse_delete(&args[1..])?;
            rt()?.block_on(delete_scopes(host, &opts))
        }
        "plugin-info" => {
            if args.len() > 1 {
                return Err(Error::input("standalone plugin-info takes no argument"));
            }
            println!(
                "{}",
                serde_json::to_string_pretty(&host.plugin_info(plugin_path(host)))?
            );
            Ok(())
        }
        "conformance" => {
            let dbs = parse_dbs(&args[1..])?;
            let report = rt()?.block_on(crate::checks::conformance::run(host, &dbs));
            println!("{}", serde_json::to_string(&report)?);
            let failed = report.failures().count();
            if failed > 0 {
                return Err(Error::msg(format!(
                    "{failed} of {} conformance checks failed",
                    report.checks.len()
                )));
            }
            Ok(())
        }
        other => Err(Error::input(format!(
            "standalone: unknown command {other:?} (expected run, delete-scope, plugin-info or conformance)"
        ))),
    }
}

/// A standalone run (see the [module](self) docs).
pub async fn run<P: Plugin>(host: &PluginHost<P>, opts: &RunOptions) -> Result<()> {
    let started = Instant::now();
    let file = config::load::<P>(&opts.config)?;
    let names = host.streams().names();
    for s in &opts.streams {
        if !names.contains(s) {
            return Err(Error::input(format!(
                "--stream {s:?}: no such stream (this plugin's streams: {})",
                names.join(", ")
            )));
        }
    }
    let db_url = opts
        .db
        .clone()
        .or(file.db.clone())
        .unwrap_or_else(|| DEFAULT_DB.to_string());
    let scope_config = ScopeConfig::<P::ScopeConfig>::from_json(&file.scope_config)
        .map_err(|e| Error::input(format!("{}: [scope_config]: {e}", opts.config.display())))?;
    let reporter = Reporter::new(opts.format, opts.log_level);
    let mut db = Db::connect(&db_url).await?;
    reporter.start(host.name(), &db.redacted_url(), file.scopes.len());
    let applied = crate::migration::apply(&mut db, host.name(), &host.migrations())
        .await
        .map_err(|e| Error::msg(format!("migrations: {e}")))?;
    reporter.migrations(
        &applied
            .applied
            .iter()
            .map(|s| s.version)
            .collect::<Vec<_>>(),
        applied.already_applied.len(),
    );
    let project = opts.project.as_deref().or(file.project.as_deref());
    devlake::record(host, &mut db, &file, project)
        .await
        .map_err(|e| Error::msg(format!("recording the scopes for DevLake: {e}")))?;

    let mut runs = Vec::new();
    for scope_json in &file.scopes {
        let scope = Scope::<P::ToolScope>::from_json(scope_json)
            .map_err(|e| Error::input(format!("scope: {e}")))?;
        let selected = host.plugin().select_subtasks(&scope, &scope_config);
        let mut options = file.options.clone();
        options.insert("scopeId".into(), scope.id.clone().into());
        options.insert("scopeName".into(), scope.name.clone().into());
        options.insert("fullName".into(), scope.name.clone().into());
        options.insert(
            "connectionId".into(),
            file.connection.get("id").cloned().unwrap_or(Json::Null),
        );
        options.insert("incremental".into(), opts.incremental.into());
        let task = TaskContext {
            db_url: db_url.clone(),
            connection: file.connection.clone(),
            scope: scope_json.clone(),
            scope_config: file.scope_config.clone(),
            options,
        };
        let mut any = false;
        for stream in &names {
            let verbs: Vec<Verb> = if opts.streams.is_empty() {
                Verb::ALL
                    .into_iter()
                    .filter(|v| selected.contains(&v.subtask_name(stream)))
                    .collect()
            } else if opts.streams.contains(stream) {
                Verb::ALL.to_vec()
            } else {
                Vec::new()
            };
            if verbs.is_empty() {
                continue;
            }
            any = true;
            let mut ctx = host.context(&task, stream)?;
            let result = run_verbs(
                host,
                stream,
                &verbs,
                &mut ctx,
                &mut db,
                |sub| reporter.progress(&scope.id, sub),
                |r| reporter.done(r),
            )
            .await;
            match result {
                Ok(r) => runs.extend(r),
                Err(e) => {
                    reporter.clear();
                    return Err(e);
                }
            }
        }
        if !any {
            tracing::warn!(
                "scope {}: no stream matches the scope config's entities {:?}",
                scope.id,
                scope_config
                    .entities
                    .iter()
                    .map(|d| d.as_str())
                    .collect::<Vec<_>>()
            );
        }
    }
    reporter.summary(&runs, started.elapsed().as_secs_f64());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn run_arguments() {
        let o = parse_run(&s(&[
            "--config",
            "p.toml",
            "--stream=a",
            "--stream",
            "b",
            "--incremental",
            "--project",
            "demo",
            "--format",
            "json",
        ]))
        .unwrap();
        assert_eq!(o.project.as_deref(), Some("demo"));
        assert!(parse_run(&s(&["--config", "p", "--project", " "]))
            .unwrap_err()
            .to_string()
            .contains("--project: the project name is empty"));
        assert_eq!(o.config, PathBuf::from("p.toml"));
        assert_eq!(o.streams, ["a", "b"]);
        assert!(o.incremental);
        assert_eq!(o.format, Format::Json);
        assert!(parse_run(&s(&["--stream", "a"]))
            .unwrap_err()
            .to_string()
            .contains("needs --config"));
        assert!(parse_run(&s(&["--config", "p", "--bogus"]))
            .unwrap_err()
            .to_string()
            .contains("\"--bogus\""));
        assert!(parse_run(&s(&["--config", "p", "--format", "xml"]))
            .unwrap_err()
            .to_string()
            .contains("plain, progress or json"));
        assert_eq!(parse_dbs(&[]).unwrap(), ["sqlite"]);
    }

    #[test]
    fn delete_scope_arguments() {
        assert_eq!(
            parse_delete(&s(&[
                "--config",
                "p.toml",
                "p1",
                "--db=sqlite:///x.db",
                "p2"
            ]))
            .unwrap(),
            DeleteOptions {
                config: PathBuf::from("p.toml"),
                db: Some("sqlite:///x.db".into()),
                scopes: vec!["p1".into(), "p2".into()],
            }
        );
        let err = |a: &[&str]| parse_delete(&s(a)).unwrap_err().to_string();
        assert!(err(&["p1"]).contains("needs --config"));
        assert!(err(&["--config", "p"]).contains("needs the id of the scope"));
        assert!(err(&["--config", "p", "--all", "p1"]).contains("\"--all\""));
    }
}
