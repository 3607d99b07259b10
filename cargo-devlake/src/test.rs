//! `cargo devlake test`: the plugin's own tests, then the conformance checks that tell
//! whether DevLake will load and run it, on SQLite and on each `--db` server.

use crate::run::plugin::{excerpt, CrateArgs, PluginCrate, Profile};
use anyhow::{Context, Result};
use devlake::testing::conformance::{Check, Report};
use std::path::PathBuf;
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

/// Runs `cargo devlake test`.
pub fn run(args: TestArgs) -> Result<()> {
    let started = Instant::now();
    let krate = args.krate.locate()?;
    let mut checks = Vec::new();
    if !args.no_cargo_test {
        checks.push(cargo_test(&krate, &args)?);
    }
    let plugin = match conformance(&krate, &args) {
        Ok(report) => {
            checks.extend(report.checks);
            report.plugin
        }
        Err(check) => {
            checks.push(check);
            krate.package.clone()
        }
    };
    print_summary(&checks);
    if let Some(path) = &args.junit {
        std::fs::write(
            path,
            junit(&plugin, &checks, started.elapsed().as_secs_f64()),
        )
        .with_context(|| format!("cannot write the JUnit report {}", path.display()))?;
    }
    let failed = checks.iter().filter(|c| !c.ok).count();
    if failed > 0 {
        anyhow::bail!("{failed} of {} checks failed", checks.len());
    }
    Ok(())
}

fn cargo_test(krate: &PluginCrate, args: &TestArgs) -> Result<Check> {
    let mut c = krate.cargo("test");
    if args.release {
        c.arg("--release");
    }
    c.args(&args.cargo_test_args);
    let status = c.status().context("cannot run cargo test")?;
    let problems = if status.success() {
        vec![]
    } else {
        vec![format!("cargo test failed ({status}); its output is above")]
    };
    Ok(Check::new("cargo test", problems))
}

/// Builds the binary and runs `standalone conformance`; a failure to get a report is one
/// failed check.
fn conformance(krate: &PluginCrate, args: &TestArgs) -> Result<Report, Check> {
    let fail = |name: &str, msg: String| Check::new(name, vec![msg]);
    let exe = krate
        .build(if args.release {
            Profile::Release
        } else {
            Profile::Debug
        })
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

fn print_summary(checks: &[Check]) {
    println!();
    for c in checks {
        if c.ok {
            println!("ok      {}", c.name);
        } else {
            println!("FAILED  {}", c.name);
            for p in &c.problems {
                println!("          {p}");
            }
        }
    }
    let failed = checks.iter().filter(|c| !c.ok).count();
    println!(
        "\ndevlake: {} passed, {failed} failed",
        checks.len() - failed
    );
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
