//! The scan server: `scan serve`, `scan keys create|list|revoke`.

/// `scan serve` arguments.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {}

/// `scan keys` commands.
#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Create an access key (shown once).
    Create,
    /// List access keys (never the keys themselves).
    List,
    /// Revoke an access key.
    Revoke,
}

pub fn serve(_args: ServeArgs) -> anyhow::Result<()> {
    anyhow::bail!("`scan serve` is not implemented yet")
}

pub fn keys(_cmd: KeysCommand) -> anyhow::Result<()> {
    anyhow::bail!("`scan keys` is not implemented yet")
}
