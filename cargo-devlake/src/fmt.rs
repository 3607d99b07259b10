//! Formatting of generated Rust files: code a person will read and edit next.

use anyhow::{bail, Context};
use std::path::PathBuf;

/// Formats Rust files with `rustfmt` when it is installed, so generated code follows the
/// formatting configured around it (a `rustfmt.toml` in a parent folder) and stays
/// unchanged by `cargo fmt`. Without rustfmt the files stay as rendered.
pub fn rustfmt(files: &[PathBuf]) -> anyhow::Result<()> {
    let rs: Vec<&PathBuf> = files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "rs"))
        .collect();
    if rs.is_empty() {
        return Ok(());
    }
    let out = match std::process::Command::new("rustfmt")
        .args(["--edition", "2021"])
        .args(&rs)
        .output()
    {
        Ok(out) => out,
        // Formatting is a nicety; the generators already emit formatted code.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).context("running rustfmt"),
    };
    if !out.status.success() {
        bail!(
            "rustfmt failed on the generated files: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}
