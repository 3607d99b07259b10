//! `cargo devlake scan`: local Build Scans (list, publish pending ones, get a short-lived
//! token) and the scan server (serve, access keys).

use clap::Subcommand;

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
        ScanCommand::Serve(args) => server::serve(args),
        ScanCommand::Keys(cmd) => server::keys(cmd),
    }
}
