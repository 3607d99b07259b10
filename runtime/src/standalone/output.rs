//! What a standalone run shows: a progress bar per subtask on a terminal, plain lines
//! otherwise, or JSON lines for programs; then a summary. Logs go to stderr, above the
//! bars.

use super::SubtaskRun;
use crate::plugin::RemoteProgress;
use crate::stream::Progress;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;
use std::io::{IsTerminal, Write};
use std::time::Duration;

/// How a run reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One line per subtask on stdout.
    Plain,
    /// A live bar per subtask on stderr (a terminal), then the summary on stdout.
    Progress,
    /// JSON lines on stdout: `start`, `progress`, `subtask`, `summary` events.
    Json,
}

impl Format {
    /// Parses `plain`, `progress` or `json`.
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "plain" => Some(Format::Plain),
            "progress" => Some(Format::Progress),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    /// Bars on a terminal, plain lines otherwise.
    pub fn auto() -> Format {
        if std::io::stderr().is_terminal() {
            Format::Progress
        } else {
            Format::Plain
        }
    }
}

/// Writes log lines on stderr without tearing the progress bars.
#[derive(Clone)]
struct LogWriter(Option<MultiProgress>);

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &self.0 {
            Some(m) => m.suspend(|| std::io::stderr().write_all(buf))?,
            None => std::io::stderr().write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Reports a run in one [`Format`].
pub struct Reporter {
    format: Format,
    multi: Option<MultiProgress>,
    bar: std::cell::RefCell<Option<ProgressBar>>,
}

impl std::fmt::Debug for Reporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reporter")
            .field("format", &self.format)
            .finish()
    }
}

fn json_line(v: serde_json::Value) {
    println!("{v}");
}

impl Reporter {
    /// A reporter; installs the log subscriber (stderr, `level`) once per process.
    pub fn new(format: Format, level: tracing::Level) -> Reporter {
        let multi = (format == Format::Progress)
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        let writer = LogWriter(multi.clone());
        // Colours only on a terminal: a redirected log keeps no escape codes.
        let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
        let _ = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_ansi(ansi)
            .with_target(false)
            .without_time()
            .with_writer(move || writer.clone())
            .try_init();
        Reporter {
            format,
            multi,
            bar: Default::default(),
        }
    }

    /// The run begins.
    pub fn start(&self, plugin: &str, db: &str, scopes: usize) {
        match self.format {
            Format::Json => {
                json_line(json!({"event": "start", "plugin": plugin, "db": db, "scopes": scopes}))
            }
            _ => println!("{plugin}: standalone run of {scopes} scope(s) into {db}"),
        }
    }

    /// Migrations ran.
    pub fn migrations(&self, applied: &[u64], already: usize) {
        match self.format {
            Format::Json => json_line(
                json!({"event": "migrations", "applied": applied, "already_applied": already}),
            ),
            _ if applied.is_empty() => {
                println!("migrations: up to date ({already} applied before)")
            }
            _ => println!(
                "migrations: applied {} ({})",
                applied.len(),
                applied
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// The progress of one subtask about to run.
    pub fn progress(&self, scope: &str, subtask: &str) -> Progress {
        match self.format {
            Format::Json => {
                let (scope, subtask) = (scope.to_string(), subtask.to_string());
                Progress::new(move |p: RemoteProgress| {
                    json_line(
                        json!({"event": "progress", "scope": scope, "subtask": subtask, "current": p.current}),
                    )
                })
            }
            Format::Progress => {
                let bar = self
                    .multi
                    .as_ref()
                    .expect("progress format has bars")
                    .add(ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template(
                        "{spinner} {prefix} {msg:>30} {pos:>9} records  {elapsed}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.set_prefix(scope.to_string());
                bar.set_message(subtask.to_string());
                bar.enable_steady_tick(Duration::from_millis(120));
                *self.bar.borrow_mut() = Some(bar.clone());
                Progress::new(move |p: RemoteProgress| bar.set_position(p.current))
            }
            Format::Plain => Progress::silent(),
        }
    }

    /// One subtask finished (or was skipped).
    pub fn done(&self, run: &SubtaskRun) {
        if let Some(bar) = self.bar.borrow_mut().take() {
            bar.finish_and_clear();
        }
        let line = if run.ran {
            format!(
                "{:<12} {:<32} {:>9} records  {:>8.2}s",
                run.scope, run.subtask, run.records, run.seconds
            )
        } else {
            format!(
                "{:<12} {:<32} skipped (the stream does not run on this scope)",
                run.scope, run.subtask
            )
        };
        match self.format {
            Format::Json => json_line(
                serde_json::to_value(run)
                    .map(|mut v| {
                        v["event"] = "subtask".into();
                        v
                    })
                    .unwrap_or_default(),
            ),
            Format::Plain => println!("{line}"),
            Format::Progress => {
                if let Some(m) = &self.multi {
                    let _ = m.println(format!("✓ {line}"));
                }
            }
        }
    }

    /// Clears the bars.
    pub fn clear(&self) {
        if let Some(m) = &self.multi {
            let _ = m.clear();
        }
    }

    /// The summary of a run.
    pub fn summary(&self, runs: &[SubtaskRun], seconds: f64) {
        self.clear();
        let ran: Vec<&SubtaskRun> = runs.iter().filter(|r| r.ran).collect();
        let records: u64 = ran.iter().map(|r| r.records).sum();
        match self.format {
            Format::Json => json_line(json!({
                "event": "summary", "subtasks": ran.len(), "skipped": runs.len() - ran.len(),
                "records": records, "seconds": seconds,
            })),
            _ => {
                if self.format == Format::Progress {
                    println!(
                        "{:<12} {:<32} {:>9}          {:>8}",
                        "SCOPE", "SUBTASK", "RECORDS", "TIME"
                    );
                    for r in runs {
                        if r.ran {
                            println!(
                                "{:<12} {:<32} {:>9}          {:>7.2}s",
                                r.scope, r.subtask, r.records, r.seconds
                            );
                        } else {
                            println!("{:<12} {:<32} {:>9}", r.scope, r.subtask, "skipped");
                        }
                    }
                }
                println!(
                    "done in {seconds:.2}s: {} subtask(s) ran, {} skipped, {records} records",
                    ran.len(),
                    runs.len() - ran.len()
                );
            }
        }
    }
}
