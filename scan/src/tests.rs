//! Test results: from cargo-nextest's JUnit report where nextest ran the tests, else from
//! libtest's standard output (`test x ... ok|FAILED|ignored` lines and the
//! `---- x stdout ----` sections of failures). Stable libtest gives no per-test durations;
//! nextest's JUnit does. Test binaries become timeline spans either way.

use crate::model::{ConsoleLine, Outcome, RunReport, Span, SubtaskReport, TestCase, TestOutcome};

/// Strips ANSI escape sequences (cargo's colours) from a line before parsing it.
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The suite a cargo `Running`/`Doc-tests` line starts: `unittests src/lib.rs (target/...)`
/// gives `<crate> unittests src/lib.rs`, `tests/x.rs (...)` gives `<crate> tests/x.rs`.
fn suite_of(line: &str) -> Option<String> {
    let l = line.trim();
    if let Some(rest) = l.strip_prefix("Running ") {
        let (what, path) = match rest.rfind(" (") {
            Some(i) => (&rest[..i], rest[i + 2..].trim_end_matches(')')),
            None => (rest, ""),
        };
        // The binary's file name is `<crate>-<hash>`.
        let bin = path.rsplit('/').next().unwrap_or("");
        let krate = bin.rsplit_once('-').map(|(c, _)| c).unwrap_or(bin);
        return Some(if krate.is_empty() {
            what.to_string()
        } else {
            format!("{krate} {what}")
        });
    }
    l.strip_prefix("Doc-tests ")
        .map(|c| format!("{c} doctests"))
}

/// Tests and test-binary spans from libtest's output as recorded on the console.
pub fn from_libtest(lines: &[ConsoleLine]) -> (Vec<TestCase>, Vec<Span>) {
    let mut tests: Vec<TestCase> = Vec::new();
    let mut spans: Vec<Span> = Vec::new();
    let mut suite = String::from("tests");
    let mut suite_start: Option<u64> = None;
    let mut section: Option<(String, Vec<String>)> = None;
    let finish_section =
        |section: &mut Option<(String, Vec<String>)>, tests: &mut Vec<TestCase>, suite: &str| {
            if let Some((name, out)) = section.take() {
                let text = out.join("\n").trim().to_string();
                if let Some(t) = tests
                    .iter_mut()
                    .rev()
                    .find(|t| t.name == name && t.suite == suite && t.output.is_none())
                {
                    t.output = Some(text);
                }
            }
        };
    for l in lines {
        let text = strip_ansi(&l.text);
        if let Some(s) = suite_of(&text) {
            finish_section(&mut section, &mut tests, &suite);
            suite = s;
            suite_start = Some(l.t_ms);
            continue;
        }
        if let Some(rest) = text.strip_prefix("---- ") {
            if let Some(name) = rest.strip_suffix(" stdout ----") {
                finish_section(&mut section, &mut tests, &suite);
                section = Some((name.to_string(), Vec::new()));
                continue;
            }
        }
        if text == "failures:" || text.starts_with("test result: ") {
            finish_section(&mut section, &mut tests, &suite);
        }
        if let Some((_, out)) = &mut section {
            out.push(l.text.clone());
            continue;
        }
        if let Some(result) = text.strip_prefix("test result: ") {
            let failed = result.starts_with("FAILED");
            let secs = result
                .rsplit_once("finished in ")
                .and_then(|(_, s)| s.trim_end_matches('s').parse::<f64>().ok());
            let start = suite_start.take().unwrap_or(l.t_ms);
            spans.push(Span {
                name: suite.clone(),
                kind: "test-binary".into(),
                start_ms: start,
                duration_ms: secs
                    .map(|s| (s * 1000.0) as u64)
                    .unwrap_or(l.t_ms.saturating_sub(start)),
                outcome: if failed {
                    Outcome::Failure
                } else {
                    Outcome::Success
                },
            });
            continue;
        }
        if let Some(rest) = text.strip_prefix("test ") {
            if let Some((name, result)) = rest.rsplit_once(" ... ") {
                let outcome = match result.split([',', ' ']).next().unwrap_or("") {
                    "ok" => TestOutcome::Passed,
                    "FAILED" => TestOutcome::Failed,
                    "ignored" => TestOutcome::Ignored,
                    _ => continue,
                };
                tests.push(TestCase {
                    suite: suite.clone(),
                    name: name.trim().to_string(),
                    outcome,
                    duration_ms: None,
                    output: None,
                });
            }
        }
    }
    finish_section(&mut section, &mut tests, &suite);
    (tests, spans)
}

/// Why a JUnit report could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the JUnit report: {0}")]
pub struct JunitError(String);

/// Tests and test-binary spans from cargo-nextest's JUnit report (one `<testsuite>` per test
/// binary, `<failure>` or `<error>` for failures with `<system-out>`/`<system-err>`,
/// `<skipped>` for ignored tests, `time` in seconds).
pub fn from_junit(xml: &str) -> Result<(Vec<TestCase>, Vec<Span>), JunitError> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| JunitError(e.to_string()))?;
    let mut tests = Vec::new();
    let mut spans = Vec::new();
    let mut offset_ms = 0u64;
    for s in doc.descendants().filter(|n| n.has_tag_name("testsuite")) {
        let suite = s.attribute("name").unwrap_or("tests").to_string();
        let mut failed_suite = false;
        let mut total_ms = 0u64;
        for c in s.children().filter(|n| n.has_tag_name("testcase")) {
            let duration_ms = c
                .attribute("time")
                .and_then(|t| t.parse::<f64>().ok())
                .map(|t| (t * 1000.0) as u64);
            total_ms += duration_ms.unwrap_or(0);
            let failure = c
                .children()
                .find(|n| n.has_tag_name("failure") || n.has_tag_name("error"));
            let outcome = if failure.is_some() {
                failed_suite = true;
                TestOutcome::Failed
            } else if c.children().any(|n| n.has_tag_name("skipped")) {
                TestOutcome::Ignored
            } else {
                TestOutcome::Passed
            };
            let output = failure.map(|f| {
                let mut parts: Vec<String> = Vec::new();
                for n in c.children() {
                    if n.has_tag_name("system-out") || n.has_tag_name("system-err") {
                        if let Some(t) = n.text() {
                            parts.push(t.trim_end().to_string());
                        }
                    }
                }
                if parts.iter().all(|p| p.is_empty()) {
                    parts.push(
                        f.text()
                            .or(f.attribute("message"))
                            .unwrap_or("")
                            .to_string(),
                    );
                }
                parts.retain(|p| !p.is_empty());
                parts.join("\n")
            });
            let name = c.attribute("name").unwrap_or("").to_string();
            tests.push(TestCase {
                suite: suite.clone(),
                name,
                outcome,
                duration_ms,
                output,
            });
        }
        let duration_ms = s
            .attribute("time")
            .and_then(|t| t.parse::<f64>().ok())
            .map(|t| (t * 1000.0) as u64)
            .unwrap_or(total_ms);
        spans.push(Span {
            name: suite,
            kind: "test-binary".into(),
            start_ms: offset_ms,
            duration_ms,
            outcome: if failed_suite {
                Outcome::Failure
            } else {
                Outcome::Success
            },
        });
        offset_ms += duration_ms;
    }
    Ok((tests, spans))
}

/// What a standalone run did, from its output: JSON events (`--format json`) or the plain
/// lines (`<scope> <subtask> <n> records <t>s`, `migrations: applied n (v1, v2)`). When the
/// run `failed`, its last `error` line becomes a failed entry.
pub fn from_run_output(lines: &[ConsoleLine], failed: bool) -> (RunReport, Vec<Span>) {
    let mut report = RunReport::default();
    let mut spans = Vec::new();
    let mut push =
        |report: &mut RunReport, scope: &str, subtask: &str, records: u64, secs: f64, t: u64| {
            if report
                .subtasks
                .iter()
                .any(|s| s.scope == scope && s.subtask == subtask)
            {
                return;
            }
            let ms = (secs * 1000.0) as u64;
            report.subtasks.push(SubtaskReport {
                scope: scope.into(),
                subtask: subtask.into(),
                records,
                duration_ms: ms,
                outcome: Outcome::Success,
                error: None,
            });
            spans.push(Span {
                name: format!("{scope} / {subtask}"),
                kind: "subtask".into(),
                start_ms: t.saturating_sub(ms),
                duration_ms: ms,
                outcome: Outcome::Success,
            });
        };
    let mut last_error = None;
    for l in lines {
        let text = strip_ansi(&l.text);
        let text = text.trim().trim_start_matches("✓ ");
        if text.starts_with('{') {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
                match v["event"].as_str() {
                    Some("subtask") if v["ran"].as_bool() != Some(false) => push(
                        &mut report,
                        v["scope"].as_str().unwrap_or(""),
                        v["subtask"].as_str().unwrap_or(""),
                        v["records"].as_u64().unwrap_or(0),
                        v["seconds"].as_f64().unwrap_or(0.0),
                        l.t_ms,
                    ),
                    Some("migrations") => {
                        for m in v["applied"].as_array().into_iter().flatten() {
                            report.migrations.push(m.to_string());
                        }
                    }
                    _ => {}
                }
                continue;
            }
        }
        if let Some(rest) = text.strip_prefix("migrations: applied ") {
            if let Some((_, list)) = rest.split_once(" (") {
                report
                    .migrations
                    .extend(list.trim_end_matches(')').split(", ").map(str::to_string));
            }
            continue;
        }
        if text.starts_with("error") {
            last_error = Some(text.to_string());
            continue;
        }
        // `<scope> <subtask words> <n> [records] <t>s`
        let words: Vec<&str> = text.split_whitespace().collect();
        if words.len() >= 4 {
            let secs = words[words.len() - 1]
                .strip_suffix('s')
                .and_then(|s| s.parse::<f64>().ok());
            let mut end = words.len() - 1;
            if words[end - 1] == "records" {
                end -= 1;
            }
            let records = words[end - 1].parse::<u64>().ok();
            if let (Some(secs), Some(records)) = (secs, records) {
                if end >= 3 && words[0] != "done" {
                    push(
                        &mut report,
                        words[0],
                        &words[1..end - 1].join(" "),
                        records,
                        secs,
                        l.t_ms,
                    );
                }
            }
        }
    }
    if failed {
        report.subtasks.push(SubtaskReport {
            scope: String::new(),
            subtask: "(run)".into(),
            records: 0,
            duration_ms: 0,
            outcome: Outcome::Failure,
            error: Some(last_error.unwrap_or_else(|| "the run failed".into())),
        });
    }
    (report, spans)
}

#[cfg(test)]
mod unit {
    use super::*;
    use crate::model::StdStream;

    fn lines(text: &str) -> Vec<ConsoleLine> {
        text.lines()
            .enumerate()
            .map(|(i, l)| ConsoleLine {
                t_ms: i as u64,
                stream: StdStream::Stdout,
                source: "cargo".into(),
                text: l.into(),
            })
            .collect()
    }

    #[test]
    fn libtest_output_gives_cases_and_failure_output() {
        let out = "     Running unittests src/lib.rs (target/debug/deps/demo-0123abcd)\n\
running 3 tests\n\
test a::passes ... ok\n\
test a::skipped ... ignored, slow\n\
test a::fails ... FAILED\n\
\n\
failures:\n\
\n\
---- a::fails stdout ----\n\
\n\
thread 'a::fails' panicked at src/lib.rs:9:5:\n\
boom\n\
\n\
\n\
failures:\n\
    a::fails\n\
\n\
test result: FAILED. 1 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.25s\n";
        let (tests, spans) = from_libtest(&lines(out));
        assert_eq!(tests.len(), 3, "{tests:?}");
        assert!(tests.iter().all(|t| t.suite == "demo unittests src/lib.rs"));
        let f = tests.iter().find(|t| t.name == "a::fails").unwrap();
        assert_eq!(f.outcome, TestOutcome::Failed);
        let o = f.output.as_deref().unwrap();
        assert!(
            o.starts_with("thread 'a::fails' panicked") && o.ends_with("boom"),
            "{o}"
        );
        assert_eq!(tests[1].outcome, TestOutcome::Ignored);
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].duration_ms, 250);
        assert_eq!(spans[0].outcome, Outcome::Failure);
    }

    #[test]
    fn nextest_junit_gives_durations_and_output() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="nextest-run" tests="2" failures="1" errors="0" uuid="x" timestamp="2026-01-01T00:00:00Z" time="0.5">
  <testsuite name="demo" tests="2" disabled="0" errors="0" failures="1">
    <testcase name="a::passes" classname="demo" timestamp="2026-01-01T00:00:00Z" time="0.010"/>
    <testcase name="a::fails" classname="demo" timestamp="2026-01-01T00:00:00Z" time="0.020">
      <failure type="test failure">thread panicked</failure>
      <system-out></system-out>
      <system-err>thread 'a::fails' panicked at src/lib.rs:9:5:
boom</system-err>
    </testcase>
  </testsuite>
</testsuites>"#;
        let (tests, spans) = from_junit(xml).unwrap();
        assert_eq!(tests[0].duration_ms, Some(10));
        assert_eq!(tests[1].outcome, TestOutcome::Failed);
        assert!(tests[1].output.as_deref().unwrap().ends_with("boom"));
        assert_eq!(spans[0].outcome, Outcome::Failure);
    }
}
