//! `cargo devlake migration ...`.

/// Migration subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum MigrationCommand {
    /// Generate a migration from the difference between the models and existing migrations.
    Add {
        /// Name of the migration (snake_case).
        name: String,
    },
}

/// Runs a migration subcommand.
pub fn run(cmd: MigrationCommand) -> anyhow::Result<()> {
    match cmd {
        MigrationCommand::Add { name } => anyhow::bail!("migration add {name}: not implemented yet"),
    }
}
