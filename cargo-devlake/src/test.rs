//! `cargo devlake test`: the plugin's own tests, then the conformance checks that tell
//! whether DevLake will load and run it, on SQLite and on each `--db` server.

use crate::run::plugin::{excerpt, CrateArgs, PluginCrate, Profile};
use anyhow::{Context, Result};
use devlake::checks::conformance::{Check, Report};
use devlake_scan::capture::Recorder;
use devlake_scan::model::{Outcome, Span, StdStream, TestCase, TestOutcome};
use devlake_scan::Session;
use std::path::{Path, PathBuf};
use std::time::Instant;

const AFTER_HELP: &str = "\
Checks, each reported as ok or FAILED with the reason:
  cargo test                       the plugin's own tests (skip with --no-cargo-test)
  plugin name, plugin-info: ...    what DevLake's loader accepts: one string `type` per schema
                                   property among integer, number, boolean, string, array, object;
                                   no $ref/anyOf; formats date-time/password; tool models keyed
  streams, subtask metadata        unique stream names; Collect/Extract/Convert X per stream
  scope config defaults            buildable without fields when every field has a default
  migrations well-formed           14-digit increasing versions, loadable create_table schemas
  pipeline plan                    make-pipeline for a placeholder scope gives a valid plan
  run.sh and build.sh              present and executable in the plugin folder
  migrations apply [db]            on a fresh database (SQLite, then each --db), twice
  migrations match models [db]     the migrated tables have every column the models need

--db takes admin URLs (any database of the server): a fresh database is created for the run
and dropped afterwards, e.g. --db mysql://root@127.0.0.1:3306/mysql --db postgres://postgres@127.0.0.1:5432/postgres";

/// Arguments of `cargo devlake test`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = AFTER_HELP)]
pub struct TestArgs {
    #[command(flatten)]
    pub krate: CrateArgs,
    /// Also check migrations on this MySQL/MariaDB or PostgreSQL server (admin URL; repeatable).
    #[arg(long = "db", value_name = "URL")]
    pub dbs: Vec<String>,
    /// Skip the plugin's cargo tests; run only the conformance checks.
    #[arg(long)]
    pub no_cargo_test: bool,
    /// Write a JUnit XML report (one testcase per check) to this file.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Build in release mode.
    #[arg(long)]
    pub release: bool,
    /// Arguments for `cargo test` (after `--`).
    #[arg(last = true, value_name = "CARGO_TEST_ARGS")]
    pub cargo_test_args: Vec<String>,
}

/// Runs `cargo devlake test`, recording a Build Scan of it.
pub fn run(args: TestArgs) -> Result<()> {
    let krate = args.krate.locate()?;
    let mut session = crate::scan::start("test", &krate.dir, &krate.target_dir);
    let result = checks(&krate, &args, &mut session);
    let outcome = match &result {
        Ok(()) => Outcome::Success,
        Err(e) if e.is::<ChecksFailed>() => Outcome::Failure,
        Err(_) => Outcome::Error,
    };
    if let Err(e) = &result {
        // main prints it after the scan's lines; the scan shows it too.
        session
            .recorder()
            .record(StdStream::Stderr, "cargo-devlake", &format!("error: {e:#}"));
    }
    session.finish(if result.is_ok() { 0 } else { 1 }, outcome);
    result
}

/// Some checks failed.
#[derive(Debug)]
struct ChecksFailed(usize, usize);

impl std::fmt::Display for ChecksFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} of {} checks failed", self.0, self.1)
    }
}

impl std::error::Error for ChecksFailed {}

fn checks(krate: &PluginCrate, args: &TestArgs, session: &mut Session) -> Result<()> {
    let started = Instant::now();
    let mut checks = Vec::new();
    if !args.no_cargo_test {
        checks.push(cargo_test(krate, args, session)?);
    }
    let t0 = session.recorder().now_ms();
    let plugin = match conformance(krate, args, session.recorder()) {
        Ok(report) => {
            checks.extend(report.checks);
            report.plugin
        }
        Err(check) => {
            checks.push(check);
            krate.package.clone()
        }
    };
    let conformance_failed = checks
        .iter()
        .skip(usize::from(!args.no_cargo_test))
        .any(|c| !c.ok);
    session.timeline.push(Span {
        name: "conformance".into(),
        kind: "step".into(),
        start_ms: t0,
        duration_ms: session.recorder().now_ms() - t0,
        outcome: if conformance_failed {
            Outcome::Failure
        } else {
            Outcome::Success
        },
    });
    // Each conformance check is a test of the scan.
    for c in checks.iter().filter(|c| c.name != "cargo test") {
        session.tests.push(TestCase {
            suite: "conformance".into(),
            name: c.name.clone(),
            outcome: if c.ok {
                TestOutcome::Passed
            } else {
                TestOutcome::Failed
            },
            duration_ms: None,
            output: (!c.ok).then(|| c.problems.join("\n")),
        });
    }
    print_summary(&checks, session.recorder());
    if let Some(path) = &args.junit {
        std::fs::write(
            path,
            junit(&plugin, &checks, started.elapsed().as_secs_f64()),
        )
        .with_context(|| format!("cannot write the JUnit report {}", path.display()))?;
    }
    let failed = checks.iter().filter(|c| !c.ok).count();
    if failed > 0 {
        return Err(ChecksFailed(failed, checks.len()).into());
    }
    Ok(())
}

/// The plugin's own tests: with cargo-nextest where it is installed (its JUnit report gives
/// the scan each test with its duration; `cargo test --doc` adds the doctests), with
/// `cargo test` otherwise (libtest's output is
/// parsed). Arguments after `--` are cargo test's, so they select `cargo test`, as does
/// `DEVLAKE_SCAN_TEST_RUNNER=libtest`.
fn cargo_test(krate: &PluginCrate, args: &TestArgs, session: &mut Session) -> Result<Check> {
    let t0 = session.recorder().now_ms();
    let first_line = session.recorder().console().lines.len();
    let nextest = args.cargo_test_args.is_empty() && nextest_wanted();
    // nextest's store is `target/nextest` under the workspace root, whatever
    // CARGO_TARGET_DIR says: the report is looked for there and in the target directory.
    let junit_rel = Path::new("nextest").join(NEXTEST_PROFILE).join("junit.xml");
    let junit_paths: Vec<PathBuf> = std::iter::once(krate.target_dir.join(&junit_rel))
        .chain(
            krate
                .dir
                .ancestors()
                .map(|a| a.join("target").join(&junit_rel)),
        )
        .collect();
    let mut c = if nextest {
        let tool_config = krate.target_dir.join("devlake-scans").join("nextest.toml");
        std::fs::create_dir_all(krate.target_dir.join("devlake-scans"))?;
        std::fs::write(&tool_config, NEXTEST_CONFIG)
            .with_context(|| format!("cannot write {}", tool_config.display()))?;
        for p in &junit_paths {
            let _ = std::fs::remove_file(p);
        }
        // `cargo nextest` takes `run` before the manifest flags.
        let mut c = std::process::Command::new(crate::run::plugin::cargo());
        c.args(["nextest", "run", "--manifest-path"])
            .arg(&krate.manifest)
            .arg("--package")
            .arg(&krate.package)
            .arg("--no-fail-fast")
            // `cargo test` passes a crate without tests; so does this.
            .arg("--no-tests=pass")
            .arg("--tool-config-file")
            .arg(format!("devlake-scan:{}", tool_config.display()))
            .args(["--profile", NEXTEST_PROFILE]);
        c
    } else {
        krate.cargo("test")
    };
    if args.release {
        c.arg("--release");
    }
    // After `--release`: they may hold a `--` for the test binaries.
    c.args(&args.cargo_test_args);
    let status = session
        .recorder()
        .run(&mut c, "cargo")
        .context("cannot run cargo test")?;
    let runner = if nextest {
        "cargo nextest run"
    } else {
        "cargo test"
    };
    let (tests, mut spans) = match nextest
        .then(|| {
            junit_paths
                .iter()
                .find_map(|p| std::fs::read_to_string(p).ok())
        })
        .flatten()
    {
        Some(xml) => devlake_scan::tests::from_junit(&xml).unwrap_or_else(|e| {
            session.recorder().print(
                StdStream::Stderr,
                "cargo-devlake",
                &format!("warning: the Build Scan has no test results: {e}"),
            );
            Default::default()
        }),
        None => {
            devlake_scan::tests::from_libtest(&session.recorder().console().lines[first_line..])
        }
    };
    if nextest {
        for s in &mut spans {
            s.start_ms += t0;
        }
    }
    session.tests.extend(tests);
    session.timeline.extend(spans);
    let mut problems = if status.success() {
        vec![]
    } else {
        vec![format!("{runner} failed ({status}); its output is above")]
    };
    // nextest does not run doctests: `cargo test --doc` does, as plain `cargo test` would.
    if nextest && krate.has_lib {
        let first_line = session.recorder().console().lines.len();
        let mut c = krate.cargo("test");
        c.arg("--doc");
        if args.release {
            c.arg("--release");
        }
        let status = session
            .recorder()
            .run(&mut c, "cargo")
            .context("cannot run cargo test --doc")?;
        let (tests, spans) =
            devlake_scan::tests::from_libtest(&session.recorder().console().lines[first_line..]);
        session.tests.extend(tests);
        session.timeline.extend(spans);
        if !status.success() {
            problems.push(format!(
                "cargo test --doc failed ({status}); its output is above"
            ));
        }
    }
    Ok(Check::new("cargo test", problems))
}

/// The nextest profile `cargo devlake test` runs with: every test, a JUnit report.
const NEXTEST_PROFILE: &str = "devlake-scan";
const NEXTEST_CONFIG: &str = "# Written by `cargo devlake test`: the Build Scan reads this JUnit report.\n[profile.devlake-scan]\nfail-fast = false\n\n[profile.devlake-scan.junit]\npath = \"junit.xml\"\n";

/// Whether to run the tests with cargo-nextest: when it is installed, unless
/// `DEVLAKE_SCAN_TEST_RUNNER=libtest`.
fn nextest_wanted() -> bool {
    match std::env::var("DEVLAKE_SCAN_TEST_RUNNER").as_deref() {
        Ok("libtest") => false,
        _ => std::process::Command::new(crate::run::plugin::cargo())
            .args(["nextest", "--version"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success()),
    }
}

/// Builds the binary and runs `standalone conformance`; a failure to get a report is one
/// failed check.
fn conformance(krate: &PluginCrate, args: &TestArgs, rec: &Recorder) -> Result<Report, Check> {
    let fail = |name: &str, msg: String| Check::new(name, vec![msg]);
    // Built as `cargo test` builds it (same features, same profile): after `cargo test`,
    // nothing is compiled again.
    let exe = krate
        .build_like_tests(
            if args.release {
                Profile::Release
            } else {
                Profile::Debug
            },
            &feature_args(&args.cargo_test_args),
            Some(rec),
        )
        .map_err(|e| fail("build", format!("{e:#}")))?;
    let mut cmd: Vec<&str> = vec!["conformance", "--db", "sqlite"];
    for d in &args.dbs {
        cmd.extend(["--db", d.as_str()]);
    }
    let out = krate
        .standalone(&exe, &cmd)
        .map_err(|e| fail("conformance", format!("{e:#}")))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str::<Report>(l.trim()).ok())
        .ok_or_else(|| {
            fail(
                "conformance",
                format!(
                    "{} standalone conformance gave no report ({}): {}",
                    krate.bin,
                    out.status,
                    excerpt(&out.stderr)
                ),
            )
        })
}

/// The feature flags among `cargo test`'s arguments (before a `--`): the conformance
/// binary is built with them so that it is the binary `cargo test` built.
fn feature_args(cargo_test_args: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut args = cargo_test_args.iter().take_while(|a| *a != "--");
    while let Some(a) = args.next() {
        match a.as_str() {
            "--all-features" | "--no-default-features" => out.push(a.clone()),
            "--features" | "-F" => {
                out.push("--features".into());
                out.extend(args.next().cloned());
            }
            _ if a.starts_with("--features=") => out.push(a.clone()),
            _ if a.starts_with("-F") => {
                out.extend(["--features".to_string(), a["-F".len()..].to_string()])
            }
            _ => {}
        }
    }
    out
}

fn print_summary(checks: &[Check], rec: &Recorder) {
    let mut out = String::from("\n");
    for c in checks {
        if c.ok {
            out.push_str(&format!("ok      {}\n", c.name));
        } else {
            out.push_str(&format!("FAILED  {}\n", c.name));
            for p in &c.problems {
                out.push_str(&format!("          {p}\n"));
            }
        }
    }
    let failed = checks.iter().filter(|c| !c.ok).count();
    out.push_str(&format!(
        "\ndevlake: {} passed, {failed} failed",
        checks.len() - failed
    ));
    rec.print(StdStream::Stdout, "cargo-devlake", &out);
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters, even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A JUnit XML report: one testsuite, one testcase per check, failures with messages.
pub fn junit(plugin: &str, checks: &[Check], seconds: f64) -> String {
    let failed = checks.iter().filter(|c| !c.ok).count();
    let suite = xml_escape(&format!("devlake conformance: {plugin}"));
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(&format!("<testsuites name=\"cargo devlake test\" tests=\"{}\" failures=\"{failed}\" time=\"{seconds:.3}\">\n", checks.len()));
    x.push_str(&format!("  <testsuite name=\"{suite}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"0\" time=\"{seconds:.3}\">\n", checks.len()));
    for c in checks {
        let name = xml_escape(&c.name);
        let class = xml_escape(&format!("devlake.{plugin}"));
        if c.ok {
            x.push_str(&format!(
                "    <testcase name=\"{name}\" classname=\"{class}\"/>\n"
            ));
        } else {
            let first = c.problems.first().map(String::as_str).unwrap_or("failed");
            x.push_str(&format!(
                "    <testcase name=\"{name}\" classname=\"{class}\">\n"
            ));
            x.push_str(&format!(
                "      <failure message=\"{}\" type=\"conformance\">{}</failure>\n",
                xml_escape(first),
                xml_escape(&c.problems.join("\n"))
            ));
            x.push_str("    </testcase>\n");
        }
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_feature_flags_of_cargo_test_are_kept_for_the_conformance_build() {
        let args: Vec<String> = [
            "--features",
            "a b",
            "-Fc",
            "--features=d",
            "-F",
            "e",
            "--no-default-features",
            "--test",
            "plugin",
            "--all-features",
            "--",
            "--features",
            "not-cargo",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            feature_args(&args),
            [
                "--features",
                "a b",
                "--features",
                "c",
                "--features=d",
                "--features",
                "e",
                "--no-default-features",
                "--all-features"
            ]
        );
        assert!(feature_args(&["--".to_string(), "--all-features".to_string()]).is_empty());
    }

    #[test]
    fn junit_escapes_and_counts() {
        let checks = vec![
            Check::new("a <b>", vec![]),
            Check::new("c", vec!["x & \"y\"\u{1}".into(), "z".into()]),
        ];
        let x = junit("p", &checks, 1.5);
        assert!(x.contains("tests=\"2\" failures=\"1\""), "{x}");
        assert!(x.contains("name=\"a &lt;b&gt;\""), "{x}");
        assert!(x.contains("message=\"x &amp; &quot;y&quot; \""), "{x}");
        assert!(x.contains(">x &amp; &quot;y&quot; \nz</failure>"), "{x}");
    }
}
