//! `cargo devlake scan`: local Build Scans (list, publish pending ones, get a short-lived
//! token, record any command) and the scan server (serve, access keys); plus what the
//! recording commands (`test`, `run`, `migration add --check`) share to start a scan.

use clap::Subcommand;
use devlake_scan::config;
use devlake_scan::model::Tool;
use devlake_scan::Session;
use std::path::{Path, PathBuf};

mod local;
mod server;

/// `cargo devlake scan <command>`.
#[derive(Debug, Subcommand)]
pub enum ScanCommand {
    /// List local Build Scans (or a server's, with --server), filtered.
    List(local::ListArgs),
    /// Publish the scans that could not be published when they were recorded.
    Publish(local::PublishArgs),
    /// Get a short-lived access token from the configured server and print it.
    Token(local::TokenArgs),
    /// Run any command and record a Build Scan of it (output and exit code unchanged).
    Record(local::RecordArgs),
    /// Run the server Build Scans are published to.
    Serve(server::ServeArgs),
    /// Manage the scan server's access keys.
    #[command(subcommand)]
    Keys(server::KeysCommand),
}

/// Runs a `scan` command.
pub fn run(cmd: ScanCommand) -> anyhow::Result<()> {
    match cmd {
        ScanCommand::List(args) => local::list(args),
        ScanCommand::Publish(args) => local::publish(args),
        ScanCommand::Token(args) => local::token(args),
        ScanCommand::Record(args) => local::record(args),
        ScanCommand::Serve(args) => server::serve(args),
        ScanCommand::Keys(cmd) => server::keys(cmd),
    }
}

/// The tool that records: this binary and the runtime it was built with.
pub fn tool() -> Tool {
    Tool {
        name: "cargo-devlake".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        // The runtime is a workspace member: it shares this version.
        runtime_version: Some(env!("CARGO_PKG_VERSION").into()),
    }
}

/// Starts recording a run of `kind` for the project in `project_dir`, stored under
/// `target_dir`; the command line is ours, shown as `cargo devlake ...`.
pub fn start(kind: &str, project_dir: &Path, target_dir: &Path) -> Session {
    let mut argv: Vec<String> = std::env::args().collect();
    if let Some(first) = argv.first_mut() {
        *first = "cargo".into();
    }
    Session::start(
        kind,
        argv,
        project_dir,
        target_dir,
        tool(),
        config::process_env(),
    )
}

/// Cargo's target directory for the package or workspace in `dir`: `CARGO_TARGET_DIR`,
/// else what `cargo metadata` says, else `dir/target`.
pub fn target_dir_of(dir: &Path) -> PathBuf {
    if let Some(t) = std::env::var_os("CARGO_TARGET_DIR") {
        return dir.join(t);
    }
    cargo_metadata::MetadataCommand::new()
        .no_deps()
        .current_dir(dir)
        .exec()
        .map(|m| m.target_directory.into_std_path_buf())
        .unwrap_or_else(|_| dir.join("target"))
}

/// Set in the environment of a `cargo devlake` that [`record_self`] runs, so it does not
/// record again.
const RECORDING: &str = "DEVLAKE_SCAN_RECORDING";

/// Whether this process is already being recorded by its parent.
pub fn recorded_by_parent() -> bool {
    std::env::var_os(RECORDING).is_some()
}

/// Runs this very command again as a child, recorded as a scan of `kind`, and exits with
/// its exit code: a command whose output is printed along the way (`migration add
/// --check`) gets a scan without being rewritten.
pub fn record_self(kind: &str, project_dir: &Path, target_dir: &Path) -> anyhow::Result<()> {
    use devlake_scan::model::Outcome;
    let session = start(kind, project_dir, target_dir);
    let exe = std::env::current_exe()?;
    let status = session.recorder().run(
        std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .env(RECORDING, "1"),
        "cargo-devlake",
    )?;
    let code = status.code().unwrap_or(1);
    // The child printed its own error line; exit 1 is a failed check, anything else the
    // tool's own trouble.
    let outcome = match code {
        0 => Outcome::Success,
        1 => Outcome::Failure,
        _ => Outcome::Error,
    };
    session.finish(code, outcome);
    std::process::exit(code)
}
