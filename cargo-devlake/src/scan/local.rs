//! Local scans: `scan list`, `scan publish`, `scan token`.

/// `scan list` arguments.
#[derive(Debug, clap::Args)]
pub struct ListArgs {}

/// `scan publish` arguments.
#[derive(Debug, clap::Args)]
pub struct PublishArgs {}

/// `scan token` arguments.
#[derive(Debug, clap::Args)]
pub struct TokenArgs {}

pub fn list(_args: ListArgs) -> anyhow::Result<()> {
    anyhow::bail!("`scan list` is not implemented yet")
}

pub fn publish(_args: PublishArgs) -> anyhow::Result<()> {
    anyhow::bail!("`scan publish` is not implemented yet")
}

pub fn token(_args: TokenArgs) -> anyhow::Result<()> {
    anyhow::bail!("`scan token` is not implemented yet")
}
