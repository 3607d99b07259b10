//! Shared by the scan server's CLI tests: `cargo devlake scan serve` as a real process on
//! 127.0.0.1 (its stderr log captured), `scan keys` through the real binary, and HTTP calls.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `cargo-devlake devlake <args>`, with no DEVELOCITY_* or DEVLAKE_SCAN_DB of the caller's.
pub fn cli(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cargo-devlake"));
    c.arg("devlake").args(args).env_remove("DEVLAKE_SCAN_DB");
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("DEVELOCITY_") {
            c.env_remove(k);
        }
    }
    c
}

/// Runs a command to completion.
pub fn run(mut c: Command) -> Output {
    c.output().expect("run cargo-devlake")
}

/// Text of stdout and stderr.
pub fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `scan keys create`: the key it printed.
pub fn create_key(db: &str, user: &str, permissions: &str, projects: &str) -> String {
    let out = run(cli(&[
        "scan",
        "keys",
        "create",
        "--user",
        user,
        "--permissions",
        permissions,
        "--projects",
        projects,
        "--db",
        db,
    ]));
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "keys create failed: {stderr}");
    stdout.trim().to_string()
}

/// A running `cargo devlake scan serve`.
pub struct Serve {
    child: Option<Child>,
    /// The port it listens on (it binds 127.0.0.1:0).
    pub port: u16,
    log: Arc<Mutex<String>>,
}

impl Serve {
    /// Starts `scan serve --addr 127.0.0.1:0 --db <db> <extra>` with debug logging, and
    /// waits for its "listening" line.
    pub fn start(db: &str, extra: &[&str]) -> Serve {
        let mut args = vec!["scan", "serve", "--addr", "127.0.0.1:0", "--db", db];
        args.extend_from_slice(extra);
        let mut child = cli(&args)
            .env("RUST_LOG", "debug")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start scan serve");
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut l = sink.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
        let mut serve = Serve {
            child: Some(child),
            port: 0,
            log,
        };
        let line = serve.wait_log("listening on http://127.0.0.1:");
        let port = line
            .split("listening on http://127.0.0.1:")
            .nth(1)
            .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        serve.port = port;
        serve
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Everything it logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until a log line contains `needle` (a condition, not a time) and returns it.
    pub fn wait_log(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(l) = self.log().lines().find(|l| l.contains(needle)) {
                return l.to_string();
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!(
                    "scan serve exited ({status}) before logging {needle:?}:\n{}",
                    self.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "no {needle:?} in:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGTERM.
    pub fn signal_term(&self) {
        self.signal("TERM");
    }

    /// Sends a signal by name (`TERM`, `INT`).
    pub fn signal(&self, name: &str) {
        let pid = self.child.as_ref().unwrap().id().to_string();
        let ok = Command::new("kill")
            .args([&format!("-{name}"), &pid])
            .status()
            .unwrap();
        assert!(ok.success());
    }

    /// Waits for it to exit; its status and whole log.
    pub fn wait(mut self) -> (ExitStatus, String) {
        let status = self.child.take().unwrap().wait().unwrap();
        // The reader thread finishes with the pipe; give it the chance to flush the tail.
        let deadline = Instant::now() + Duration::from_secs(10);
        while Arc::strong_count(&self.log) > 1 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        (status, self.log())
    }

    /// SIGTERM, then wait.
    pub fn stop(self) -> (ExitStatus, String) {
        self.signal_term();
        self.wait()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Every byte of every file in `dir` (the SQLite database, its WAL and shared memory).
pub fn files_bytes(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.file_type().unwrap().is_file() {
            all.extend(std::fs::read(e.path()).unwrap());
        }
    }
    all
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}
