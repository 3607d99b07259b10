//! One recorded run, from start to the stored (and maybe published) scan.
//!
//! [`Session::start`] reads the configuration and starts the clock and the console record;
//! the command runs its processes through [`Session::recorder`] and adds tests, subtasks and
//! timeline spans; [`Session::finish`] redacts everything, writes the local scan, prints its
//! path and publishes it when a server is configured. Nothing here changes the run's own
//! output or exit code: problems with the scan are warnings.

use crate::capture::Recorder;
use crate::config::{self, Env, ScanConfig};
use crate::model::{
    Command, Console, Outcome, RunReport, Scan, Span, StdStream, TestCase, Tool, SCHEMA_NAME,
    SCHEMA_VERSION,
};
use crate::publish::Client;
use crate::redact::Redactor;
use crate::store::{Store, Stored};
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};

/// A run being recorded.
#[derive(Debug)]
pub struct Session {
    kind: String,
    argv: Vec<String>,
    cwd: PathBuf,
    project_dir: PathBuf,
    started_at: DateTime<Utc>,
    recorder: Recorder,
    config: ScanConfig,
    redactor: Redactor,
    env: Env,
    tool: Tool,
    store: Store,
    /// Test cases found so far.
    pub tests: Vec<TestCase>,
    /// Timeline spans.
    pub timeline: Vec<Span>,
    /// What a `run` did.
    pub run: Option<RunReport>,
}

/// What [`Session::finish`] left behind.
#[derive(Debug, Clone)]
pub struct Finished {
    /// The stored files, unless capture is switched off or writing failed.
    pub stored: Option<Stored>,
    /// The published scan's URL.
    pub url: Option<String>,
}

impl Session {
    /// Starts recording a run of `kind` (`test`, `run`, `migration-check`,
    /// `workspace-test`) for the project rooted at `project_dir`, its scans stored under
    /// `target_dir`. Configuration warnings are printed (and recorded) now.
    pub fn start(
        kind: &str,
        argv: Vec<String>,
        project_dir: &Path,
        target_dir: &Path,
        tool: Tool,
        env: Env,
    ) -> Session {
        let config = config::load(project_dir, &env);
        let mut redactor = Redactor::new().with_env(&env);
        for s in config.secrets() {
            redactor.add(s);
        }
        redactor.learn_argv(&argv);
        let s = Session {
            kind: kind.to_string(),
            argv,
            cwd: std::env::current_dir().unwrap_or_else(|_| project_dir.to_path_buf()),
            project_dir: project_dir.to_path_buf(),
            started_at: Utc::now(),
            recorder: Recorder::new(),
            config,
            redactor,
            env,
            tool,
            store: Store::new(target_dir),
            tests: Vec::new(),
            timeline: Vec::new(),
            run: None,
        };
        for w in &s.config.warnings {
            s.recorder
                .print(StdStream::Stderr, "cargo-devlake", &format!("warning: {w}"));
        }
        s
    }

    /// The console recorder: run child processes and print through it.
    pub fn recorder(&self) -> &Recorder {
        &self.recorder
    }

    /// The configuration in effect.
    pub fn config(&self) -> &ScanConfig {
        &self.config
    }

    /// Adds a secret to scrub from everything captured (a connection secret of the plugin).
    pub fn add_secret(&mut self, secret: &str) {
        self.redactor.add(secret);
    }

    /// Builds the scan document, everything redacted.
    pub fn scan(&self, exit_code: i32, outcome: Outcome) -> Scan {
        let r = &self.redactor;
        let console = self.recorder.console();
        let mut scan = Scan {
            schema: SCHEMA_NAME.into(),
            schema_version: SCHEMA_VERSION,
            id: crate::store::new_id(),
            project: self.config.project.clone(),
            tool: self.tool.clone(),
            command: Command {
                kind: self.kind.clone(),
                argv: r.argv(&self.argv),
                cwd: r.text(&self.cwd.display().to_string()),
            },
            started_at: self.started_at,
            duration_ms: self.recorder.now_ms(),
            outcome,
            exit_code,
            environment: crate::env::capture(&self.project_dir, &self.env, &self.config),
            tags: self.config.tags.iter().map(|t| r.text(t)).collect(),
            links: self.config.links.clone(),
            custom_values: self.config.custom_values.clone(),
            console: Console {
                lines: console
                    .lines
                    .into_iter()
                    .map(|mut l| {
                        l.text = r.text(&l.text);
                        l
                    })
                    .collect(),
                ..console
            },
            tests: self.tests.clone(),
            run: self.run.clone(),
            timeline: self.timeline.clone(),
            warnings: self.config.warnings.iter().map(|w| r.text(w)).collect(),
        };
        for l in &mut scan.links {
            l.url = r.text(&l.url);
        }
        for v in &mut scan.custom_values {
            v.value = r.text(&v.value);
        }
        for t in &mut scan.tests {
            t.name = r.text(&t.name);
            t.output = t.output.as_deref().map(|o| r.text(o));
        }
        if let Some(run) = &mut scan.run {
            for s in &mut run.subtasks {
                s.error = s.error.as_deref().map(|e| r.text(e));
            }
        }
        scan
    }

    /// Writes the scan, prints where, and publishes it when a server is configured. Never
    /// fails: problems are printed as warnings.
    pub fn finish(self, exit_code: i32, outcome: Outcome) -> Finished {
        if !self.config.capture {
            return Finished {
                stored: None,
                url: None,
            };
        }
        let scan = self.scan(exit_code, outcome);
        let stored = match self.store.save(&scan) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("warning: cannot write the Build Scan: {e}");
                return Finished {
                    stored: None,
                    url: None,
                };
            }
        };
        eprintln!("Build Scan written to {}", stored.html.display());
        let url = match self.config.publish_target() {
            Some(server) => publish_stored(&self.store, &scan, server, &self.config),
            None => None,
        };
        Finished {
            stored: Some(stored),
            url,
        }
    }
}

/// Publishes a stored scan to `server` with the key configured for its host: prints
/// "Publishing Build Scan..." then the URL; on failure prints why and leaves the scan
/// pending. Returns the URL when published.
pub fn publish_stored(
    store: &Store,
    scan: &Scan,
    server: &str,
    config: &ScanConfig,
) -> Option<String> {
    // Pending first: a crash mid-upload leaves it to `scan publish`.
    if let Err(e) = store.mark_pending(&scan.id, server) {
        eprintln!("warning: {e}");
    }
    eprintln!("Publishing Build Scan...");
    let result = Client::new(server, config.key_for(server)).and_then(|c| c.publish(scan));
    match result {
        Ok(p) => {
            let _ = store.clear_pending(&scan.id);
            eprintln!("{}", p.url);
            Some(p.url)
        }
        Err(e) => {
            eprintln!("warning: the Build Scan was not published: {e}; it is kept pending (`cargo devlake scan publish` sends it later)");
            None
        }
    }
}
