//! `cargo devlake run`: build the plugin and run it standalone against a database.

pub mod plugin;

use anyhow::{Context, Result};
use plugin::{CrateArgs, Profile};
use std::path::PathBuf;
use std::process::Command;

const AFTER_HELP: &str = "\
Runs `<plugin binary> standalone run ...`: every stream of every scope of the run file
(collect, extract, convert), after the plugin's migrations, then a summary. The run file
format is in docs/standalone.md; secrets come from the environment:
    token = { env = \"MY_TOKEN\" }    or    token = \"${MY_TOKEN}\"

Examples:
    cargo devlake run --config plugin.toml
    cargo devlake run --config plugin.toml --db 'mysql://merico:merico@localhost:3306/lake?charset=utf8mb4&parseTime=True&loc=UTC'
    cargo devlake run --config plugin.toml --stream issues --incremental --format json
    cargo devlake run --config plugin.toml --project demo      # DevLake's dashboards of `demo` show it
    cargo devlake run --config plugin.toml --delete-scope p1   # remove what runs wrote for scope p1

Debugging (docs/debugging.md):
    A standalone run: build it once with `cargo devlake run --debug ...`, then start the binary
    under a debugger: rust-gdb --args target/debug/<plugin> standalone run --config plugin.toml
    A plugin process that DevLake starts: set DEVLAKE_DEBUG_WAIT=1 in DevLake's environment (plugins
    inherit it). Each plugin process then prints `<plugin>: waiting for a debugger: pid <PID>` on
    stderr (DevLake logs it) and stops itself; attach with `gdb -p <PID>`, `lldb -p <PID>` or your
    IDE, set breakpoints and continue (or resume it with `kill -CONT <PID>`).";

/// Arguments of `cargo devlake run`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = AFTER_HELP)]
pub struct RunArgs {
    #[command(flatten)]
    pub krate: CrateArgs,
    /// Build and run a debug binary instead of a release one.
    #[arg(long)]
    pub debug: bool,
    /// The TOML run file: [connection], [scope_config], [[scopes]].
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: PathBuf,
    /// The database, as a DevLake URL (default sqlite:///devlake.db, i.e. ./devlake.db).
    #[arg(long, value_name = "URL")]
    pub db: Option<String>,
    /// Run only this stream (repeatable); by default the scope config's entities choose.
    #[arg(long = "stream", value_name = "NAME")]
    pub streams: Vec<String>,
    /// Keep previous rows and resume from the state the last run saved.
    #[arg(long)]
    pub incremental: bool,
    /// The DevLake project of the scopes: its `projects` row and one `project_mapping` row
    /// per domain scope are written (default: the run file's `project`).
    #[arg(long, value_name = "NAME")]
    pub project: Option<String>,
    /// Instead of a run, remove what runs wrote for this scope of the run file's
    /// connection (repeatable): raw, tool and domain rows, its domain scope and project
    /// mappings, its incremental state.
    #[arg(
        long = "delete-scope",
        value_name = "SCOPE_ID",
        conflicts_with_all = ["streams", "incremental", "project", "format"]
    )]
    pub delete_scopes: Vec<String>,
    /// Output: progress bars (default on a terminal), plain lines, or JSON lines.
    #[arg(long, value_parser = ["plain", "progress", "json"])]
    pub format: Option<String>,
    /// Log level of the plugin (stderr).
    #[arg(long, value_parser = ["debug", "info", "warn", "error"])]
    pub log_level: Option<String>,
}

impl RunArgs {
    /// The arguments of `standalone run`, or of `standalone delete-scope`.
    fn forwarded(&self) -> Vec<String> {
        let command = if self.delete_scopes.is_empty() {
            "run"
        } else {
            "delete-scope"
        };
        let mut a = vec![
            command.to_string(),
            "--config".into(),
            self.config.display().to_string(),
        ];
        if let Some(db) = &self.db {
            a.extend(["--db".into(), db.clone()]);
        }
        if !self.delete_scopes.is_empty() {
            a.extend(self.delete_scopes.iter().cloned());
            return a;
        }
        if let Some(p) = &self.project {
            a.extend(["--project".into(), p.clone()]);
        }
        for s in &self.streams {
            a.extend(["--stream".into(), s.clone()]);
        }
        if self.incremental {
            a.push("--incremental".into());
        }
        if let Some(f) = &self.format {
            a.extend(["--format".into(), f.clone()]);
        }
        if let Some(l) = &self.log_level {
            a.extend(["--log-level".into(), l.clone()]);
        }
        a
    }
}

/// Runs `cargo devlake run`. The plugin's exit code becomes ours; its error line is the
/// only one printed.
pub fn run(args: RunArgs) -> Result<()> {
    let krate = args.krate.locate()?;
    let exe = krate.build(if args.debug {
        Profile::Debug
    } else {
        Profile::Release
    })?;
    let status = Command::new(&exe)
        .arg("standalone")
        .args(args.forwarded())
        .status()
        .with_context(|| format!("cannot run {}", exe.display()))?;
    if !status.success() {
        std::process::exit(status.code().unwrap_or(1));
    }
    Ok(())
}
