//! Where a generated plugin gets the `devlake` runtime crate from.

use anyhow::{bail, Context as _};
use std::path::{Path, PathBuf};

/// The runtime crate's directory in the workspace `cargo devlake` was built from, if that
/// checkout still exists (captured at compile time).
fn built_from_workspace() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime");
    check_runtime_dir(&dir).ok()
}

/// The crates.io requirement matching this `cargo devlake` (`0.1` for 0.1.x).
pub fn crates_io_requirement() -> String {
    let v = env!("CARGO_PKG_VERSION");
    let mut parts = v.split('.');
    match (parts.next(), parts.next()) {
        (Some("0"), Some(minor)) => format!("0.{minor}"),
        (Some(major), _) => major.to_string(),
        _ => v.to_string(),
    }
}

/// Canonical path of a runtime crate directory, after checking that it holds the
/// `devlake` package.
fn check_runtime_dir(dir: &Path) -> anyhow::Result<PathBuf> {
    let manifest = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).with_context(|| {
        format!(
            "--runtime-path {}: no readable Cargo.toml there",
            dir.display()
        )
    })?;
    let doc: toml_edit::DocumentMut = text.parse().with_context(|| {
        format!(
            "--runtime-path {}: Cargo.toml is not valid TOML",
            dir.display()
        )
    })?;
    let name = doc
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str());
    if name != Some("devlake") {
        bail!(
            "--runtime-path {}: Cargo.toml is package {:?}, not the `devlake` runtime (pass the runtime/ folder of a devlake-rs checkout)",
            dir.display(),
            name.unwrap_or("<none>")
        );
    }
    std::fs::canonicalize(dir).with_context(|| format!("--runtime-path {}", dir.display()))
}

/// The runtime dependency of a generated plugin.
/// A TOML string.
fn quote(s: &str) -> String {
    toml_edit::Value::from(s).to_string().trim().to_string()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runtime {
    /// A local checkout of the runtime crate (absolute path).
    Path(PathBuf),
    /// A git repository holding the devlake-rs workspace.
    Git(String),
    /// A crates.io version requirement.
    CratesIo(String),
    /// `devlake.workspace = true`: the enclosing workspace declares it.
    Workspace,
}

impl Runtime {
    /// Resolves the command-line choice: an explicit path, git URL or version wins; else
    /// the enclosing workspace's `[workspace.dependencies] devlake` when it has one; else
    /// the runtime of the checkout `cargo devlake` was built from; else crates.io.
    pub fn resolve(
        path: Option<&Path>,
        git: Option<&str>,
        version: Option<&str>,
        workspace_has_devlake: bool,
    ) -> anyhow::Result<Runtime> {
        if let Some(p) = path {
            return Ok(Runtime::Path(check_runtime_dir(p)?));
        }
        if let Some(url) = git {
            if url.trim().is_empty() || url.contains(char::is_whitespace) {
                bail!("--runtime-git {url:?}: not a git URL");
            }
            return Ok(Runtime::Git(url.to_string()));
        }
        if let Some(v) = version {
            if v.trim().is_empty() || v.contains(['"', '\n']) {
                bail!("--runtime-version {v:?}: not a version requirement such as \"0.1\"");
            }
            return Ok(Runtime::CratesIo(v.to_string()));
        }
        if workspace_has_devlake {
            return Ok(Runtime::Workspace);
        }
        Ok(match built_from_workspace() {
            Some(dir) => Runtime::Path(dir),
            None => Runtime::CratesIo(crates_io_requirement()),
        })
    }

    /// The TOML value after `devlake = ` in `[dependencies]` (`Workspace` is rewritten to
    /// `devlake.workspace = true` by the workspace step).
    pub fn toml_value(&self) -> String {
        match self {
            Runtime::CratesIo(v) => quote(v),
            _ => format!("{{ {} }}", self.source()),
        }
    }

    /// The TOML value after `devlake = ` in `[dev-dependencies]`: the same runtime with the
    /// testing kit (`features = ["testing"]`), which release builds leave out.
    pub fn dev_toml_value(&self) -> String {
        format!("{{ {}, features = [\"testing\"] }}", self.source())
    }

    /// Where the runtime comes from, as the keys of an inline table (`path = "..."`).
    fn source(&self) -> String {
        match self {
            Runtime::Path(p) => format!("path = {}", quote(&p.display().to_string())),
            Runtime::Git(url) => format!("git = {}", quote(url)),
            Runtime::CratesIo(v) => format!("version = {}", quote(v)),
            Runtime::Workspace => "workspace = true".to_string(),
        }
    }

    /// One sentence for the README: where the runtime comes from.
    pub fn describe(&self) -> String {
        match self {
            Runtime::Path(p) => format!("the local checkout at `{}`", p.display()),
            Runtime::Git(url) => format!("the git repository `{url}`"),
            Runtime::CratesIo(v) => format!("crates.io, version `{v}`"),
            Runtime::Workspace => {
                "the enclosing workspace's `[workspace.dependencies]`".to_string()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scaffold's dev-dependency names the same runtime as its dependency, with the
    /// testing kit that release builds leave out.
    #[test]
    fn the_dev_dependency_is_the_same_runtime_with_the_testing_kit() {
        for (runtime, dependency, dev) in [
            (
                Runtime::Path(PathBuf::from("/src/rt")),
                r#"{ path = "/src/rt" }"#,
                r#"{ path = "/src/rt", features = ["testing"] }"#,
            ),
            (
                Runtime::Git("https://example.com/r.git".into()),
                r#"{ git = "https://example.com/r.git" }"#,
                r#"{ git = "https://example.com/r.git", features = ["testing"] }"#,
            ),
            (
                Runtime::CratesIo("0.1".into()),
                r#""0.1""#,
                r#"{ version = "0.1", features = ["testing"] }"#,
            ),
            (
                Runtime::Workspace,
                "{ workspace = true }",
                r#"{ workspace = true, features = ["testing"] }"#,
            ),
        ] {
            assert_eq!(runtime.toml_value(), dependency);
            assert_eq!(runtime.dev_toml_value(), dev);
        }
    }
}
