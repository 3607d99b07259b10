//! Console capture: child processes (cargo, the plugin binary, any command) run with their
//! stdout and stderr piped through us: every byte is passed on to the user at once,
//! unchanged, and recorded as timestamped lines in arrival order, colours kept.
//!
//! The record is capped at [`MAX_CONSOLE_BYTES`]; lines past the cap are counted, not kept,
//! and the report shows a "truncated" marker.

use crate::model::{Console, ConsoleLine, StdStream};
use std::io::{IsTerminal, Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The most console text a scan keeps (4 MiB).
pub const MAX_CONSOLE_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Debug, Default)]
struct State {
    console: Console,
    bytes: u64,
}

/// Records console lines of one run. Cheap to clone; clones share the record.
#[derive(Debug, Clone)]
pub struct Recorder {
    start: Instant,
    cap: u64,
    state: Arc<Mutex<State>>,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder::new()
    }
}

impl Recorder {
    /// A recorder whose clock starts now, capped at [`MAX_CONSOLE_BYTES`].
    pub fn new() -> Recorder {
        Recorder::with_cap(MAX_CONSOLE_BYTES)
    }

    /// A recorder with another cap (for tests of the cap).
    pub fn with_cap(cap: u64) -> Recorder {
        Recorder {
            start: Instant::now(),
            cap,
            state: Arc::default(),
        }
    }

    /// Milliseconds since the recorder started.
    pub fn now_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    /// Records one line (without its line ending).
    pub fn record(&self, stream: StdStream, source: &str, text: &str) {
        let t_ms = self.now_ms();
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let size = text.len() as u64 + 1;
        if st.console.truncated || st.bytes + size > self.cap {
            st.console.truncated = true;
            st.console.dropped_bytes += size;
            return;
        }
        st.bytes += size;
        st.console.lines.push(ConsoleLine {
            t_ms,
            stream,
            source: source.to_string(),
            text: text.to_string(),
        });
    }

    /// Prints `text` (one or more lines) on `stream` and records it.
    pub fn print(&self, stream: StdStream, source: &str, text: &str) {
        match stream {
            StdStream::Stdout => {
                let mut o = std::io::stdout().lock();
                let _ = writeln!(o, "{text}");
                let _ = o.flush();
            }
            StdStream::Stderr => eprintln!("{text}"),
        }
        for line in text.lines() {
            self.record(stream, source, line);
        }
    }

    /// What was recorded so far.
    pub fn console(&self) -> Console {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .console
            .clone()
    }

    /// Runs `cmd` with its output passed through and recorded under `source`; returns its
    /// exit status. Stdin is inherited.
    pub fn run(&self, cmd: &mut Command, source: &str) -> std::io::Result<ExitStatus> {
        keep_colours(cmd);
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
        let threads = self.pump(&mut child, source, true, true);
        let status = child.wait()?;
        for t in threads {
            let _ = t.join();
        }
        Ok(status)
    }

    /// Starts threads passing the child's piped streams through (those asked for and piped).
    pub fn pump(
        &self,
        child: &mut Child,
        source: &str,
        stdout: bool,
        stderr: bool,
    ) -> Vec<std::thread::JoinHandle<()>> {
        let mut threads = Vec::new();
        if stdout {
            if let Some(out) = child.stdout.take() {
                let (rec, src) = (self.clone(), source.to_string());
                threads.push(std::thread::spawn(move || {
                    rec.pass(out, std::io::stdout(), StdStream::Stdout, &src)
                }));
            }
        }
        if stderr {
            if let Some(err) = child.stderr.take() {
                let (rec, src) = (self.clone(), source.to_string());
                threads.push(std::thread::spawn(move || {
                    rec.pass(err, std::io::stderr(), StdStream::Stderr, &src)
                }));
            }
        }
        threads
    }

    /// Copies `from` to `to` as bytes arrive, recording complete lines.
    fn pass(&self, mut from: impl Read, mut to: impl Write, stream: StdStream, source: &str) {
        let mut buf = [0u8; 8192];
        let mut pending: Vec<u8> = Vec::new();
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            let _ = to.write_all(&buf[..n]);
            let _ = to.flush();
            pending.extend_from_slice(&buf[..n]);
            while let Some(i) = pending.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = pending.drain(..=i).collect();
                self.record(stream, source, &line_text(&line));
            }
        }
        if !pending.is_empty() {
            self.record(stream, source, &line_text(&pending));
        }
    }
}

fn line_text(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    s.trim_end_matches(['\n', '\r']).to_string()
}

/// Piping a child's output hides the user's terminal from it: when ours is a terminal (and
/// the user did not choose), cargo is told to keep its colours. Only the child's
/// environment changes.
pub fn keep_colours(cmd: &mut Command) {
    let tty = std::io::stdout().is_terminal() || std::io::stderr().is_terminal();
    if tty && std::env::var_os("CARGO_TERM_COLOR").is_none() {
        cmd.env("CARGO_TERM_COLOR", "always");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_truncates_with_a_count() {
        let r = Recorder::with_cap(10);
        r.record(StdStream::Stdout, "x", "12345");
        r.record(StdStream::Stdout, "x", "67890");
        r.record(StdStream::Stdout, "x", "1");
        let c = r.console();
        assert_eq!(c.lines.len(), 1);
        assert!(c.truncated);
        assert_eq!(c.dropped_bytes, 8);
    }
}
