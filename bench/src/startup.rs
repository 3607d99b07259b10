//! Start-up: wall time of `run.sh plugin-info <config>` of the fake plugin, as DevLake
//! calls it when it discovers plugins, with fd 3 a pipe this process reads to the end.

use anyhow::{bail, Context as _, Result};
use std::io::Read as _;
use std::os::fd::{FromRawFd as _, OwnedFd};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The fake plugin's folder (in the workspace this binary was built from).
pub fn fakeplugin_dir() -> Result<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/fakeplugin");
    std::fs::canonicalize(&dir)
        .with_context(|| format!("the fake plugin is not at {}", dir.display()))
}

/// Builds the fake plugin with its own `build.sh` (release).
pub fn build(dir: &Path) -> Result<()> {
    let status = Command::new(dir.join("build.sh"))
        .env("DEVLAKE_PROFILE", "release")
        .status()
        .with_context(|| format!("running {}/build.sh", dir.display()))?;
    if !status.success() {
        bail!("{}/build.sh failed ({status})", dir.display());
    }
    Ok(())
}

/// A pipe whose write end becomes the child's fd 3.
fn pipe() -> Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error()).context("pipe2");
    }
    // SAFETY: both descriptors were just created and are owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Runs `program args...` once with fd 3 a pipe; returns the wall time from spawn to exit
/// (fd 3 read to its end) and what came on fd 3.
pub fn time_once(program: &Path, args: &[&str], cwd: &Path) -> Result<(Duration, String)> {
    use std::os::fd::AsRawFd as _;
    let (read, write) = pipe()?;
    let w = write.as_raw_fd();
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: only async-signal-safe calls (dup2, fcntl) between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let r = if w == 3 {
                libc::fcntl(3, libc::F_SETFD, 0)
            } else {
                libc::dup2(w, 3)
            };
            if r < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("spawning {}", program.display()))?;
    drop(write);
    let mut fd3 = String::new();
    std::fs::File::from(read).read_to_string(&mut fd3)?;
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        e.read_to_string(&mut stderr)?;
    }
    let status = child.wait()?;
    let elapsed = started.elapsed();
    if !status.success() {
        bail!(
            "{} {} failed ({status}): {}",
            program.display(),
            args.join(" "),
            stderr.trim()
        );
    }
    Ok((elapsed, fd3))
}

/// Times of `runs` calls (after one unmeasured warm-up call).
pub fn measure(program: &Path, args: &[&str], cwd: &Path, runs: usize) -> Result<Vec<Duration>> {
    let (_, first) = time_once(program, args, cwd)?;
    let info: serde_json::Value = serde_json::from_str(first.trim())
        .with_context(|| format!("{} wrote no JSON on fd 3: {first:?}", program.display()))?;
    if info.get("name").and_then(|n| n.as_str()) != Some("fake") {
        bail!(
            "{} plugin-info: unexpected name in {}",
            program.display(),
            first.trim()
        );
    }
    (0..runs)
        .map(|_| time_once(program, args, cwd).map(|(t, _)| t))
        .collect()
}
