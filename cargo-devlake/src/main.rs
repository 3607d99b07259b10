//! `cargo devlake`: the subcommand a DevLake plugin author lives in.
//!
//! `cargo install --path cargo-devlake` puts `cargo-devlake` on the PATH, and cargo runs it
//! for `cargo devlake <command>`.

use clap::{Parser, Subcommand};

mod migration;

/// Cargo passes the subcommand name first (`cargo-devlake devlake ...`).
#[derive(Debug, Parser)]
#[command(name = "cargo", bin_name = "cargo", version, about = "Apache DevLake plugins in Rust")]
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
    /// Migration scripts: generate from the models, check for missing ones.
    #[command(subcommand)]
    Migration(migration::MigrationCommand),
}

fn main() {
    let CargoCli::Devlake(cli) = CargoCli::parse();
    let result = match cli.command {
        Command::Migration(cmd) => migration::run(cmd),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
