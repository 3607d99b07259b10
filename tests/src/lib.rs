//! Helpers for the workspace's end-to-end tests: build a plugin, call it exactly as
//! DevLake's Go server does (`run.sh <method> <json>...` with a pipe on fd 3), read the
//! pydevlake anchors vendored in `tests/fixtures/pydevlake`.

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// `tests/fixtures/pydevlake`: pydevlake's recorded calls and outputs, vendored so a
/// fresh clone runs the end-to-end tests alone.
pub fn anchors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pydevlake")
}

/// Reads an anchor file as text.
pub fn anchor(rel: &str) -> String {
    let p = anchors().join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("reading anchor {}: {e}", p.display()))
}

/// Builds `examples/<name>` with its `build.sh` (debug profile, sharing the test build)
/// once per test process; returns the path of its `run.sh`.
pub fn build_example(name: &str) -> PathBuf {
    static BUILT: OnceLock<std::sync::Mutex<Vec<String>>> = OnceLock::new();
    let dir = workspace().join("examples").join(name);
    let built = BUILT.get_or_init(Default::default);
    let mut built = built.lock().unwrap_or_else(|e| e.into_inner());
    if !built.iter().any(|n| n == name) {
        let out = Command::new(dir.join("build.sh"))
            .env("DEVLAKE_PROFILE", "debug")
            .output()
            .expect("run build.sh");
        assert!(
            out.status.success(),
            "{name}/build.sh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        built.push(name.to_string());
    }
    dir.join("run.sh")
}

/// What one plugin call produced.
#[derive(Debug, Clone)]
pub struct Call {
    /// Exit code (-1 when killed by a signal).
    pub rc: i32,
    /// stdout.
    pub stdout: String,
    /// stderr.
    pub stderr: String,
    /// Everything written to fd 3.
    pub fd3: String,
}

impl Call {
    /// fd 3 lines parsed as JSON.
    pub fn messages(&self) -> Vec<serde_json::Value> {
        self.fd3
            .lines()
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("fd 3 line is not JSON ({e}): {l}"))
            })
            .collect()
    }
}

/// Runs `program args...` in `cwd` with a pipe on fd 3 (`with_fd3`) or with fd 3 closed.
pub fn call_with(
    program: &Path,
    args: &[String],
    cwd: &Path,
    envs: &[(&str, &str)],
    with_fd3: bool,
) -> Call {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut fds = [0i32; 2];
    if with_fd3 {
        // Close-on-exec, so children spawned concurrently by other tests do not inherit
        // this pipe and hold it open.
        // SAFETY: pipe2() fills two fresh descriptors.
        assert_eq!(
            unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) },
            0,
            "pipe"
        );
        let w = fds[1];
        // SAFETY: in the child between fork and exec: only async-signal-safe calls.
        unsafe {
            cmd.pre_exec(move || {
                // dup2 clears close-on-exec on the new descriptor; when the write end
                // already is fd 3, clear it directly.
                let rc = if w == 3 {
                    libc::fcntl(3, libc::F_SETFD, 0)
                } else {
                    libc::dup2(w, 3)
                };
                if rc < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    } else {
        // SAFETY: closing fd 3 in the child only.
        unsafe {
            cmd.pre_exec(|| {
                libc::close(3);
                Ok(())
            });
        }
    }
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", program.display()));
    let reader = if with_fd3 {
        // SAFETY: we own both ends; close our copy of the write end so EOF arrives.
        unsafe { libc::close(fds[1]) };
        let r = unsafe { OwnedFd::from_raw_fd(fds[0]) };
        Some(std::thread::spawn(move || {
            let mut s = String::new();
            std::fs::File::from(r)
                .read_to_string(&mut s)
                .expect("read fd 3");
            s
        }))
    } else {
        None
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    let mut so = child.stdout.take().expect("stdout");
    let mut se = child.stderr.take().expect("stderr");
    let t = std::thread::spawn(move || {
        let mut s = String::new();
        se.read_to_string(&mut s).ok();
        s
    });
    so.read_to_string(&mut stdout).ok();
    stderr.push_str(&t.join().unwrap_or_default());
    let status = child.wait().expect("wait");
    let fd3 = reader
        .map(|r| r.join().unwrap_or_default())
        .unwrap_or_default();
    Call {
        rc: status.code().unwrap_or(-1),
        stdout,
        stderr,
        fd3,
    }
}

/// Runs a plugin's `run.sh` as DevLake does.
pub fn call(run_sh: &Path, args: &[String], cwd: &Path) -> Call {
    call_with(run_sh, args, cwd, &[], true)
}

/// Splits a shell-quoted command line as the anchors' `.cmd` files write them
/// (backslash escapes and single quotes).
pub fn shell_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.trim_end_matches('\n').chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
                in_word = true;
            }
            '\'' => {
                for n in chars.by_ref() {
                    if n == '\'' {
                        break;
                    }
                    cur.push(n);
                }
                in_word = true;
            }
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

/// An anchored call's argv with `<work>` replaced by `work` (an absolute path).
pub fn anchored_args(rel_cmd: &str, work: &Path) -> Vec<String> {
    let text = anchor(rel_cmd).replace("<work>", &work.display().to_string());
    shell_words(&text)
}

/// Parses an anchor's fd-3 file (one JSON message per line).
pub fn anchored_messages(rel: &str) -> Vec<serde_json::Value> {
    anchor(rel)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("anchor {rel}: {e}")))
        .collect()
}

/// Replaces JSON strings that hold JSON (make-pipeline's `scopes[].data`) by their parsed
/// value, so comparisons ignore separators and key order inside them.
pub fn normalize(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if k == "data" {
                    if let serde_json::Value::String(s) = x {
                        if let Ok(parsed) = serde_json::from_str::<serde_json::Value>(s) {
                            *x = parsed;
                        }
                    }
                }
                normalize(x);
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(normalize),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn shell_words_unquote_like_sh() {
        assert_eq!(
            super::shell_words("a \\{\\\"x\\\"\\} 'b c' \\\"s\\\" \n"),
            vec!["a", "{\"x\"}", "b c", "\"s\""]
        );
        assert_eq!(super::shell_words("'' "), vec![""]);
    }
}
