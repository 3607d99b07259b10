//! Environment capture: the seed's Appendix A adapted to Rust (user, host, OS, CPUs, the
//! toolchain, the git work tree).

use crate::config::{Env, ScanConfig};
use crate::model::{Environment, Git, Os};
use std::path::Path;
use std::process::{Command, Stdio};

/// Captures the environment of a run in `dir`, user and host obfuscated as configured.
pub fn capture(dir: &Path, env: &Env, config: &ScanConfig) -> Environment {
    let cargo = env.get("CARGO").map(String::as_str).unwrap_or("cargo");
    Environment {
        username: config.username.apply(
            whoami::fallible::username()
                .ok()
                .or_else(|| env.get("USER").cloned()),
        ),
        hostname: config.hostname.apply(whoami::fallible::hostname().ok()),
        os: Os {
            platform: std::env::consts::OS.to_string(),
            release: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .ok()
                .map(|s| s.trim().to_string())
                .or_else(|| output(dir, "uname", &["-r"])),
            arch: std::env::consts::ARCH.to_string(),
        },
        cpu_count: std::thread::available_parallelism()
            .ok()
            .map(|n| n.get() as u32),
        rustc: output(
            dir,
            env.get("RUSTC").map(String::as_str).unwrap_or("rustc"),
            &["--version"],
        ),
        cargo: output(dir, cargo, &["--version"]),
        ci: env.get("CI").is_some_and(|v| !v.is_empty() && v != "false"),
        git: git(dir),
    }
}

/// The first line a command prints, when it succeeds.
fn output(dir: &Path, program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().next()?.trim();
    (!line.is_empty()).then(|| line.to_string())
}

/// HEAD's commit, the branch and whether tracked files changed; `None` outside a work tree.
fn git(dir: &Path) -> Option<Git> {
    let inside = output(dir, "git", &["rev-parse", "--is-inside-work-tree"])?;
    if inside != "true" {
        return None;
    }
    let dirty = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map(|o| !o.stdout.is_empty())
        .unwrap_or(false);
    Some(Git {
        commit: output(dir, "git", &["rev-parse", "HEAD"]),
        branch: output(dir, "git", &["symbolic-ref", "--short", "-q", "HEAD"]),
        dirty,
    })
}
