//! Finding a plugin crate, building its binary and calling it: what `cargo devlake run`,
//! `test` and `info` share.

use anyhow::{bail, Context, Result};
use cargo_metadata::{Message, MetadataCommand};
use devlake_scan::capture::Recorder;
use std::ffi::OsString;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Which plugin crate and binary (`--manifest-path`, `--package`, `--bin`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CrateArgs {
    /// The plugin's Cargo.toml (default: the crate of the working directory).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// The plugin package, in a workspace of several.
    #[arg(long, short = 'p', value_name = "NAME")]
    pub package: Option<String>,
    /// The plugin binary, when the package has several.
    #[arg(long, value_name = "NAME")]
    pub bin: Option<String>,
}

/// A plugin crate located with `cargo metadata`.
#[derive(Debug, Clone)]
pub struct PluginCrate {
    /// Package name.
    pub package: String,
    /// Its Cargo.toml.
    pub manifest: PathBuf,
    /// Its folder (where `run.sh` lives).
    pub dir: PathBuf,
    /// The binary target.
    pub bin: String,
    /// Cargo's target directory for it (where Build Scans are stored too).
    pub target_dir: PathBuf,
    /// Whether the package has a library target (and so may have doctests).
    pub has_lib: bool,
}

/// A build profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// `cargo build`.
    Debug,
    /// `cargo build --release`.
    Release,
}

/// The cargo that runs us (`$CARGO`), else `cargo` from the PATH.
pub fn cargo() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

impl CrateArgs {
    /// Finds the plugin package with `cargo metadata` (what `migration` needs too).
    pub fn package(&self) -> Result<cargo_metadata::Package> {
        Ok(self.package_and_target()?.0)
    }

    /// The plugin package and cargo's target directory.
    pub fn package_and_target(&self) -> Result<(cargo_metadata::Package, PathBuf)> {
        let mut cmd = MetadataCommand::new();
        cmd.no_deps();
        let wanted = match &self.manifest_path {
            Some(p) => {
                let p = p
                    .canonicalize()
                    .with_context(|| format!("--manifest-path {}: no such file", p.display()))?;
                cmd.manifest_path(&p);
                Some(p)
            }
            None => None,
        };
        let meta = cmd.exec().map_err(|e| {
            let msg = e.to_string();
            anyhow::anyhow!(
                "cannot read the plugin's manifest with cargo metadata: {}",
                msg.lines().next().unwrap_or(&msg)
            )
        })?;
        let cwd = std::env::current_dir()?;
        let members = meta.workspace_packages();
        let package = if let Some(name) = &self.package {
            members
                .iter()
                .find(|p| p.name.as_str() == name.as_str())
                .copied()
                .ok_or_else(|| {
                    let names: Vec<&str> = members.iter().map(|p| p.name.as_str()).collect();
                    anyhow::anyhow!(
                        "--package {name}: no such package (workspace members: {})",
                        names.join(", ")
                    )
                })?
        } else if let Some(p) = &wanted {
            members
                .iter()
                .find(|pkg| pkg.manifest_path.as_std_path() == p.as_path())
                .copied()
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "{} is a virtual manifest: pass --package <plugin>",
                        p.display()
                    )
                })?
        } else {
            meta.root_package()
                .or_else(|| {
                    members.iter().copied().find(|pkg| pkg.manifest_path.parent().is_some_and(|d| cwd.starts_with(d.as_std_path())))
                })
                .ok_or_else(|| anyhow::anyhow!("no plugin package here: run inside the plugin crate or pass --manifest-path <plugin>/Cargo.toml"))?
        };
        Ok((package.clone(), meta.target_directory.into_std_path_buf()))
    }

    /// Finds the plugin package and its binary.
    pub fn locate(&self) -> Result<PluginCrate> {
        let cwd = std::env::current_dir()?;
        let (package, target_dir) = self.package_and_target()?;
        let bins: Vec<&str> = package
            .targets
            .iter()
            .filter(|t| t.is_bin())
            .map(|t| t.name.as_str())
            .collect();
        let bin = match &self.bin {
            Some(b) if bins.contains(&b.as_str()) => b.clone(),
            Some(b) => bail!("--bin {b}: package {} has no such binary (binaries: {})", package.name, bins.join(", ")),
            None => match bins.as_slice() {
                [] => bail!("package {} has no binary: a plugin needs one (src/main.rs with devlake::main!)", package.name),
                [one] => one.to_string(),
                many => match many.iter().find(|b| **b == package.name.as_str()) {
                    Some(b) => b.to_string(),
                    None => bail!("package {} has several binaries ({}): pick one with --bin", package.name, many.join(", ")),
                },
            },
        };
        let manifest = package.manifest_path.as_std_path().to_path_buf();
        let dir = manifest.parent().map(Path::to_path_buf).unwrap_or(cwd);
        Ok(PluginCrate {
            package: package.name.to_string(),
            manifest,
            dir,
            bin,
            target_dir,
            has_lib: package.targets.iter().any(|t| t.is_lib()),
        })
    }
}

impl PluginCrate {
    /// A `cargo <sub>` command for this package.
    pub fn cargo(&self, sub: &str) -> Command {
        let mut c = Command::new(cargo());
        c.arg(sub)
            .arg("--manifest-path")
            .arg(&self.manifest)
            .arg("--package")
            .arg(&self.package);
        c
    }

    /// Builds the binary (compiler messages on stderr); returns its path.
    pub fn build(&self, profile: Profile) -> Result<PathBuf> {
        self.build_recorded(profile, None)
    }

    /// [`PluginCrate::build`], cargo's messages also recorded for a Build Scan.
    pub fn build_recorded(&self, profile: Profile, rec: Option<&Recorder>) -> Result<PathBuf> {
        self.build_with(profile, &[], rec)
    }

    /// Builds the binary as `cargo test` builds it (with `features`, the feature flags
    /// given to `cargo test`), so that the binary and its dependencies `cargo test` built are
    /// reused as they are. `cargo test` resolves features with the dev-dependencies in
    /// (`devlake`'s `testing` kit, axum's server side of hyper...); a plain `cargo build`
    /// leaves them out, so every crate whose features differ would be compiled a second
    /// time. `--tests` makes this build resolve features as `cargo test` does; the test
    /// targets it adds are the ones `cargo test` compiled.
    pub fn build_like_tests(
        &self,
        profile: Profile,
        features: &[String],
        rec: Option<&Recorder>,
    ) -> Result<PathBuf> {
        let mut extra = vec!["--tests".to_string()];
        extra.extend(features.iter().cloned());
        self.build_with(profile, &extra, rec)
    }

    fn build_with(
        &self,
        profile: Profile,
        extra: &[String],
        rec: Option<&Recorder>,
    ) -> Result<PathBuf> {
        let mut c = self.cargo("build");
        c.arg("--bin")
            .arg(&self.bin)
            .args(extra)
            .arg("--message-format")
            .arg("json-render-diagnostics");
        if profile == Profile::Release {
            c.arg("--release");
        }
        if rec.is_some() {
            devlake_scan::capture::keep_colours(&mut c);
        }
        let mut child = c
            .stdout(Stdio::piped())
            .stderr(if rec.is_some() {
                Stdio::piped()
            } else {
                Stdio::inherit()
            })
            .spawn()
            .context("cannot run cargo build")?;
        let pumps = rec
            .map(|r| r.pump(&mut child, "cargo", false, true))
            .unwrap_or_default();
        let stdout = child.stdout.take().expect("piped stdout");
        let mut exe = None;
        for msg in Message::parse_stream(BufReader::new(stdout)) {
            if let Message::CompilerArtifact(a) = msg.context("reading cargo build's messages")? {
                // Not the binary's unit-test harness (`--tests` builds it too).
                if a.target.is_bin() && a.target.name.as_str() == self.bin && !a.profile.test {
                    if let Some(e) = a.executable {
                        exe = Some(e.into_std_path_buf());
                    }
                }
            }
        }
        let status = child.wait()?;
        for p in pumps {
            let _ = p.join();
        }
        if !status.success() {
            bail!("cargo build of {} failed ({status})", self.package);
        }
        exe.ok_or_else(|| {
            anyhow::anyhow!("cargo build reported no executable for binary {}", self.bin)
        })
    }

    /// Runs the binary's `standalone <args>` in the plugin folder, capturing its output.
    pub fn standalone(&self, exe: &Path, args: &[&str]) -> Result<Output> {
        Command::new(exe)
            .arg("standalone")
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("cannot run {}", exe.display()))
    }

    /// The binary's plugin-info.
    pub fn plugin_info(&self, exe: &Path) -> Result<devlake::plugin::PluginInfo> {
        let out = self.standalone(exe, &["plugin-info"])?;
        if !out.status.success() {
            bail!(
                "{} standalone plugin-info failed ({}): {}",
                self.bin,
                out.status,
                excerpt(&out.stderr)
            );
        }
        serde_json::from_slice(&out.stdout)
            .with_context(|| format!("{} standalone plugin-info printed no plugin-info", self.bin))
    }
}

/// The last lines of a process's output, for messages.
pub fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = &lines[lines.len().saturating_sub(5)..];
    if tail.is_empty() {
        "(no output)".into()
    } else {
        tail.join(" | ")
    }
}
