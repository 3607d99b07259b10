//! Runs a test's plugin through the real command-line protocol in a real process: the test
//! binary re-runs itself with [`CHILD_ENV`] set, and its `protocol_child` test (see
//! [`child_main`]) calls `devlake::protocol::run` with the arguments given there, a file on
//! fd 3 collecting the results, as DevLake's pipe would.

use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

/// The environment variable carrying the child's protocol arguments (a JSON array).
pub const CHILD_ENV: &str = "DEVLAKE_TEST_PROTOCOL_ARGS";

/// What a protocol call did.
#[derive(Debug)]
pub struct Call {
    /// Exit code.
    pub rc: i32,
    /// stderr.
    #[allow(dead_code)] // each test file includes this module; not all read stderr
    pub stderr: String,
    /// Lines written to fd 3, parsed.
    pub messages: Vec<serde_json::Value>,
}

/// In the child: runs the protocol with `plugin` and exits with its code. In the parent
/// (no [`CHILD_ENV`]): returns, so the `protocol_child` test passes trivially.
pub fn child_main<P: devlake::Plugin>(plugin: P, crate_name: &'static str) {
    let Ok(args) = std::env::var(CHILD_ENV) else {
        return;
    };
    let args: Vec<String> = serde_json::from_str(&args).expect("child args");
    let meta = devlake::plugin::PluginMeta {
        crate_name,
        version: "0.1.0",
        manifest_dir: env!("CARGO_MANIFEST_DIR"),
    };
    std::process::exit(devlake::protocol::run(plugin, meta, args));
}

/// Runs `run.sh <args...>` as the test binary's `protocol_child` test, fd 3 open.
pub fn call(args: &[String]) -> Call {
    let mut fd3 = tempfile::tempfile().expect("fd 3 file");
    let fd = fd3.as_raw_fd();
    let mut cmd = Command::new(std::env::current_exe().expect("test binary"));
    cmd.args([
        "--exact",
        "protocol_child",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(CHILD_ENV, serde_json::to_string(args).unwrap())
    .stdin(Stdio::null());
    // SAFETY: in the child between fork and exec: only async-signal-safe calls. dup2
    // clears close-on-exec on fd 3; when the file already is fd 3, clear it directly.
    unsafe {
        cmd.pre_exec(move || {
            let rc = if fd == 3 {
                libc::fcntl(3, libc::F_SETFD, 0)
            } else {
                libc::dup2(fd, 3)
            };
            if rc < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().expect("run the protocol child");
    let mut s = String::new();
    std::io::Seek::rewind(&mut fd3).unwrap();
    fd3.read_to_string(&mut s).unwrap();
    Call {
        rc: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        messages: s
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("fd 3 line ({e}): {l}")))
            .collect(),
    }
}
