//! `cargo devlake run`: build the plugin and run it standalone against a database.

pub mod plugin;

use anyhow::{Context, Result};
use devlake_scan::model::{Outcome, Span, StdStream};
use devlake_scan::Session;
use plugin::{CrateArgs, Profile};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::{Command, Stdio};

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
    A standalone run: `cargo devlake run ...` builds the debug binary (`--release` an optimized
    one); start it under a debugger: rust-gdb --args target/debug/<plugin> standalone run --config plugin.toml
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
    /// Build and run an optimized (release) binary, as `cargo build --release` builds it.
    /// By default the run uses the debug binary `cargo build` builds, so that a run after a
    /// build compiles nothing again (a cold release build takes several times longer).
    #[arg(long, conflicts_with = "debug")]
    pub release: bool,
    /// Build and run the debug binary (the default; kept for scripts that pass it).
    #[arg(long, hide = true)]
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

/// Runs `cargo devlake run`, recording a Build Scan of it. The plugin's exit code becomes
/// ours; its error line is the only one printed.
pub fn run(args: RunArgs) -> Result<()> {
    let krate = args.krate.locate()?;
    let mut session = crate::scan::start("run", &krate.dir, &krate.target_dir);
    for s in connection_secrets(&args.config, &devlake_scan::config::process_env()) {
        session.add_secret(&s);
    }
    let result = run_recorded(&krate, &args, &mut session);
    match result {
        Ok(code) => {
            session.finish(
                code,
                if code == 0 {
                    Outcome::Success
                } else {
                    Outcome::Failure
                },
            );
            if code != 0 {
                std::process::exit(code);
            }
            Ok(())
        }
        Err(e) => {
            session
                .recorder()
                .record(StdStream::Stderr, "cargo-devlake", &format!("error: {e:#}"));
            session.finish(1, Outcome::Error);
            Err(e)
        }
    }
}

/// Builds and runs the plugin through the scan's recorder; returns its exit code.
fn run_recorded(krate: &plugin::PluginCrate, args: &RunArgs, session: &mut Session) -> Result<i32> {
    let rec = session.recorder().clone();
    let t0 = rec.now_ms();
    let exe = krate.build_recorded(
        if args.release {
            Profile::Release
        } else {
            Profile::Debug
        },
        Some(&rec),
    )?;
    session.timeline.push(Span {
        name: "build".into(),
        kind: "build".into(),
        start_ms: t0,
        duration_ms: rec.now_ms() - t0,
        outcome: Outcome::Success,
    });
    let first_line = rec.console().lines.len();
    let mut cmd = Command::new(&exe);
    cmd.arg("standalone").args(args.forwarded());
    // Progress bars draw on a terminal: when stderr is one, it stays the plugin's (and is not
    // recorded); otherwise both streams are recorded.
    let bars = std::io::stderr().is_terminal() && args.format.as_deref() != Some("json");
    let status = if bars {
        let mut child = cmd
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot run {}", exe.display()))?;
        let pumps = rec.pump(&mut child, "plugin", true, false);
        let status = child.wait()?;
        for p in pumps {
            let _ = p.join();
        }
        status
    } else {
        rec.run(&mut cmd, "plugin")
            .with_context(|| format!("cannot run {}", exe.display()))?
    };
    let code = status.code().unwrap_or(1);
    let lines = rec.console().lines[first_line..].to_vec();
    let (report, spans) = devlake_scan::tests::from_run_output(&lines, code != 0);
    session.run = Some(report);
    session.timeline.extend(spans);
    Ok(code)
}

/// The values of the run file's `[connection]` that are secrets: those read from the
/// environment (`{ env = "X" }`, `${X}`) and those under secret-looking keys.
fn connection_secrets(path: &std::path::Path, env: &devlake_scan::config::Env) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return vec![];
    };
    let Ok(doc) = text.parse::<toml_edit::DocumentMut>() else {
        return vec![];
    };
    let Some(conn) = doc.get("connection").and_then(|c| c.as_table_like()) else {
        return vec![];
    };
    let mut out = Vec::new();
    for (key, item) in conn.iter() {
        if let Some(var) = item
            .as_table_like()
            .and_then(|t| t.get("env"))
            .and_then(|v| v.as_str())
        {
            out.extend(env.get(var).cloned());
        } else if let Some(s) = item.as_str() {
            let mut rest = s;
            while let Some(i) = rest.find("${") {
                let after = &rest[i + 2..];
                let Some(j) = after.find('}') else { break };
                out.extend(env.get(&after[..j]).cloned());
                rest = &after[j + 1..];
            }
            if devlake_scan::redact::is_secret_name(key) {
                out.push(s.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_secrets_are_the_env_values_and_secret_looking_keys() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plugin.toml");
        std::fs::write(
            &file,
            r#"
db = "sqlite:///x.db"
[connection]
name = "plain name"
endpoint = "https://api.example.com/${API_PATH}"
token = { env = "RUN_TOKEN" }
password = "literalPassw0rd"
[[scopes]]
id = "p1"
"#,
        )
        .unwrap();
        let env: devlake_scan::config::Env = [
            ("RUN_TOKEN", "tokenFromEnv1"),
            ("API_PATH", "v4path"),
            ("OTHER", "x"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let mut got = connection_secrets(&file, &env);
        got.sort();
        assert_eq!(got, ["literalPassw0rd", "tokenFromEnv1", "v4path"]);
    }
}
