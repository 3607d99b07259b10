//! `cargo devlake`: the subcommand a DevLake plugin author lives in.
//!
//! `cargo install --path cargo-devlake` puts `cargo-devlake` on the PATH, and cargo runs it
//! for `cargo devlake <command>`.

use clap::{Parser, Subcommand};

mod fmt;
mod info;
mod migration;
mod new;
mod run;
mod scan;
mod test;

/// Cargo passes the subcommand name first (`cargo-devlake devlake ...`).
#[derive(Debug, Parser)]
#[command(
    name = "cargo",
    bin_name = "cargo",
    version,
    about = "Apache DevLake plugins in Rust"
)]
enum CargoCli {
    /// Scaffold, migrate, test and run Apache DevLake plugins written in Rust.
    #[command(name = "devlake", version)]
    Devlake(DevlakeCli),
}

#[derive(Debug, clap::Args)]
struct DevlakeCli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a new plugin crate from the templates (connection, scope, one stream, tests).
    #[command(after_long_help = new::AFTER_HELP)]
    New(new::NewArgs),
    /// Migration scripts: generate from the models, check for missing ones.
    #[command(subcommand)]
    Migration(migration::MigrationCommand),
    /// Run the plugin's tests.
    Test(test::TestArgs),
    /// Run the plugin's subtasks against a database, without DevLake.
    Run(run::RunArgs),
    /// Show what the plugin declares (plugin-info).
    Info(info::InfoArgs),
    /// Build Scans: list, publish, tokens, and the scan server.
    #[command(subcommand)]
    Scan(scan::ScanCommand),
}

fn main() {
    let CargoCli::Devlake(cli) = CargoCli::parse();
    let result = match cli.command {
        Command::New(args) => new::run(args),
        Command::Migration(cmd) => migration::run(cmd),
        Command::Test(args) => test::run(args),
        Command::Run(args) => run::run(args),
        Command::Info(args) => info::run(args),
        Command::Scan(cmd) => scan::run(cmd),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
