//! The benchmark run: every measurement in a fresh child process on a fresh database,
//! medians over repetitions, markdown tables on stdout (progress on stderr).

use crate::child::{ChildReport, Implementation, Source};
use crate::{server, startup, sys};
use anyhow::{bail, Context as _, Result};
use clap::{Parser, ValueEnum};
use devlake::model::Value;
use devlake::testing::{Backend, TestDatabase};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Benchmarks of devlake-rs: subtask throughput and peak memory against a plain sqlx
/// baseline and the databases' limit (SQLite: one prepared statement through rusqlite;
/// PostgreSQL: binary COPY; MariaDB/MySQL: packet-sized INSERTs) on SQLite, MariaDB/MySQL
/// and PostgreSQL; incremental runs with 1% of the records new or updated; HTTP
/// collection through the API client; plugin start-up. Prints markdown tables (see
/// BENCHMARKS.md).
#[derive(Debug, Parser)]
#[command(name = "devlake-bench", version)]
pub struct Cli {
    /// A short smoke run: 10k records only, one repetition, one HTTP latency.
    #[arg(long)]
    pub quick: bool,
    /// Databases to measure; a server that is down is skipped with a loud note.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "sqlite,mysql,postgres"
    )]
    pub db: Vec<DbArg>,
    /// Record counts [default: 10000,100000 (and 1000000 on SQLite); --quick: 10000].
    #[arg(long, value_delimiter = ',')]
    pub sizes: Option<Vec<u64>>,
    /// Repetitions of each measurement [default: 5 below 100k records, 3 from 100k;
    /// --quick: 1].
    #[arg(long)]
    pub runs: Option<usize>,
    /// Server latency added to each HTTP request, in ms [default: 0,2; --quick: 0].
    #[arg(long, value_delimiter = ',')]
    pub http_latency_ms: Option<Vec<u64>>,
    /// Calls of `run.sh plugin-info` to time.
    #[arg(long, default_value_t = 20)]
    pub startup_runs: usize,
    /// Skip the collect/extract/convert measurements.
    #[arg(long)]
    pub no_pipeline: bool,
    /// Skip the HTTP collection measurements.
    #[arg(long)]
    pub no_http: bool,
    /// Skip the start-up measurement (and the fake plugin's build).
    #[arg(long)]
    pub no_startup: bool,
}

/// A database server kind on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum DbArg {
    /// Embedded SQLite (a file in a temporary directory).
    Sqlite,
    /// MariaDB / MySQL on 127.0.0.1:3306 (or `DEVLAKE_TEST_MYSQL_URL`).
    Mysql,
    /// PostgreSQL on 127.0.0.1:5432 (or `DEVLAKE_TEST_POSTGRES_URL`).
    Postgres,
}

impl DbArg {
    fn backend(self) -> Backend {
        match self {
            DbArg::Sqlite => Backend::Sqlite,
            DbArg::Mysql => Backend::MySql,
            DbArg::Postgres => Backend::Postgres,
        }
    }

    fn title(self) -> &'static str {
        match self {
            DbArg::Sqlite => "SQLite",
            DbArg::Mysql => "MariaDB",
            DbArg::Postgres => "PostgreSQL",
        }
    }
}

const PHASES: [&str; 3] = ["collect", "extract", "convert"];
/// Records new or updated in the incremental run, per 100 of the full run.
const CHANGED_PERCENT: u64 = 1;
const HTTP_SIZES: [u64; 2] = [10_000, 100_000];
const HTTP_CONCURRENCY: [usize; 2] = [1, 8];

impl Cli {
    fn sizes(&self, db: DbArg) -> Vec<u64> {
        match (&self.sizes, self.quick, db) {
            (Some(s), _, _) => s.clone(),
            (None, true, _) => vec![10_000],
            (None, false, DbArg::Sqlite) => vec![10_000, 100_000, 1_000_000],
            (None, false, _) => vec![10_000, 100_000],
        }
    }

    fn runs(&self, n: u64) -> usize {
        match (self.runs, self.quick) {
            (Some(r), _) => r.max(1),
            (None, true) => 1,
            (None, false) if n >= 100_000 => 3,
            (None, false) => 5,
        }
    }

    fn latencies(&self) -> Vec<u64> {
        match (&self.http_latency_ms, self.quick) {
            (Some(l), _) => l.clone(),
            (None, true) => vec![0],
            (None, false) => vec![0, 2],
        }
    }

    fn http_sizes(&self) -> Vec<u64> {
        match (&self.sizes, self.quick) {
            (Some(s), _) => s.clone(),
            (None, true) => vec![10_000],
            (None, false) => HTTP_SIZES.to_vec(),
        }
    }
}

/// One child measurement to run.
struct Job<'a> {
    implementation: Implementation,
    source: Source,
    n: u64,
    endpoint: Option<&'a str>,
    concurrency: usize,
    collect_only: bool,
    /// Records new or updated for an incremental run after the full one (0: none).
    changed: u64,
}

/// Runs a child on a fresh database of `backend`; checks every phase wrote `n` rows.
fn run_child(rt: &tokio::runtime::Runtime, backend: Backend, job: &Job) -> Result<ChildReport> {
    let tag = format!("bench_{}", job.n);
    let db = rt
        .block_on(TestDatabase::create(backend, &tag))
        .with_context(|| format!("{} became unavailable during the run", backend.name()))?;
    let exe = std::env::current_exe().context("locating the bench binary")?;
    let mut cmd = Command::new(exe);
    cmd.arg("--child")
        .args([
            "--implementation",
            job.implementation
                .to_possible_value()
                .expect("not skipped")
                .get_name(),
        ])
        .args([
            "--source",
            job.source
                .to_possible_value()
                .expect("not skipped")
                .get_name(),
        ])
        .args([
            "--n",
            &job.n.to_string(),
            "--db-url",
            &db.url,
            "--concurrency",
            &job.concurrency.to_string(),
        ]);
    if let Some(e) = job.endpoint {
        cmd.args(["--endpoint", e]);
    }
    if job.collect_only {
        cmd.arg("--collect-only");
    }
    if job.changed > 0 {
        cmd.args(["--changed", &job.changed.to_string()]);
    }
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .context("spawning a child run")?;
    if !out.status.success() {
        bail!(
            "child run {:?} n={} on {} failed ({})",
            job.implementation,
            job.n,
            backend.name(),
            out.status
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .context("the child printed no JSON report")?;
    let report: ChildReport =
        serde_json::from_str(line).with_context(|| format!("child report {line}"))?;
    let (_, new) = crate::plugin::split_changes(job.changed);
    let expected = report
        .phases
        .iter()
        .map(|p| (p, job.n))
        .chain(report.incremental.iter().map(|p| {
            let n = match p.name.as_str() {
                "collect" => job.n + job.changed,
                _ => job.n + new,
            };
            (p, n)
        }));
    for (p, n) in expected {
        if p.rows != n as i64 {
            bail!(
                "{:?} {} on {} wrote {} rows, expected {}",
                job.implementation,
                p.name,
                backend.name(),
                p.rows,
                n
            );
        }
    }
    if job.changed > 0 && report.incremental.len() != PHASES.len() {
        bail!("the child ran no incremental run");
    }
    Ok(report)
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

fn mib(kib: f64) -> String {
    format!("{:.1}", kib / 1024.0)
}

fn rate(n: u64, secs: f64) -> String {
    let r = (n as f64 / secs).round() as u64;
    let digits = r.to_string().into_bytes();
    // Groups of three from the right, for readable tables.
    let groups: Vec<&str> = digits
        .rchunks(3)
        .rev()
        .map(|g| std::str::from_utf8(g).unwrap_or("?"))
        .collect();
    groups.join(",")
}

fn count(n: u64) -> String {
    match (n / 1_000_000, n / 1_000) {
        (m, _) if m > 0 && m * 1_000_000 == n => format!("{m}M"),
        (_, k) if k > 0 && k * 1_000 == n => format!("{k}k"),
        _ => n.to_string(),
    }
}

/// Medians of one phase (or of the sum of phases) over repetitions.
#[derive(Debug, Clone, Copy)]
struct Summary {
    secs: f64,
    write_secs: f64,
    peak_kib: f64,
}

fn summarize(reports: &[ChildReport], phase: Option<&str>) -> Summary {
    summarize_run(reports, phase, false)
}

/// [`summarize`] of the full run's phases, or of the incremental run's.
fn summarize_run(reports: &[ChildReport], phase: Option<&str>, incremental: bool) -> Summary {
    let pick = |r: &ChildReport| -> (f64, f64, f64) {
        let phases = match incremental {
            true => &r.incremental,
            false => &r.phases,
        };
        let ps: Vec<_> = phases
            .iter()
            .filter(|p| match phase {
                None => true,
                Some(f) => p.name == f,
            })
            .collect();
        (
            ps.iter().map(|p| p.secs).sum(),
            ps.iter().map(|p| p.write_secs.unwrap_or(f64::NAN)).sum(),
            match (phase, incremental) {
                (None, false) => r.peak_rss_kib as f64,
                _ => ps.iter().map(|p| p.peak_rss_kib).max().unwrap_or(0) as f64,
            },
        )
    };
    let v: Vec<_> = reports.iter().map(pick).collect();
    Summary {
        secs: median(v.iter().map(|x| x.0).collect()),
        write_secs: median(v.iter().map(|x| x.1).collect()),
        peak_kib: median(v.iter().map(|x| x.2).collect()),
    }
}

/// Results of the collect/extract/convert measurements of one database and size.
struct PipelineResult {
    db: DbArg,
    n: u64,
    runs: usize,
    framework: Vec<ChildReport>,
    plain: Vec<ChildReport>,
    limit: Vec<ChildReport>,
}

struct HttpResult {
    latency_ms: u64,
    n: u64,
    concurrency: usize,
    runs: usize,
    reports: Vec<ChildReport>,
}

/// Framework runs with no records: what a subtask costs before its first record.
struct FixedCost {
    db: DbArg,
    runs: usize,
    reports: Vec<ChildReport>,
}

struct StartupResult {
    command: String,
    times: Vec<Duration>,
}

/// Runs the benchmark.
pub fn main(cli: Cli) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let machine = sys::Machine::read();
    let load_start = sys::load_average();
    let mut versions: BTreeMap<DbArg, String> = BTreeMap::new();
    let mut skipped: Vec<String> = Vec::new();
    let mut dbs = cli.db.clone();
    dbs.dedup();

    if !cli.no_pipeline || !cli.no_http {
        for &db in &dbs {
            match rt.block_on(version(db.backend())) {
                Some(v) => {
                    versions.insert(db, v);
                }
                None => {
                    eprintln!("\n*** SKIPPING {}: the server is down; its figures are missing from this run ***\n", db.title());
                    skipped.push(db.title().to_string());
                }
            }
        }
    }

    let mut pipeline = Vec::new();
    let mut fixed = Vec::new();
    if !cli.no_pipeline {
        for &db in versions.keys() {
            let (results, fixed_cost) = measure_pipeline(&cli, &rt, db)?;
            pipeline.extend(results);
            fixed.push(fixed_cost);
        }
    }
    let http = match cli.no_http || !versions.contains_key(&DbArg::Sqlite) {
        true => Vec::new(),
        false => measure_http(&cli, &rt)?,
    };
    let startups = match cli.no_startup {
        true => Vec::new(),
        false => measure_startup(&cli)?,
    };

    let load_end = sys::load_average();
    let results = Results {
        machine,
        versions,
        skipped,
        pipeline,
        fixed,
        http,
        startups,
        load: (load_start, load_end),
    };
    print!("{}", render(&cli, &results));
    Ok(())
}

/// The workspace commit the bench was built from, and whether the tree had changes
/// (figures belong to the code that was measured).
fn source_revision() -> String {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match git(&["rev-parse", "--short", "HEAD"]) {
        Some(head) => match git(&["status", "--porcelain"]) {
            Some(changes) if !changes.is_empty() => {
                format!("commit {head} with uncommitted changes")
            }
            _ => format!("commit {head}"),
        },
        None => "unknown (not a git checkout)".into(),
    }
}

/// A job on generated records.
fn generated(implementation: Implementation, n: u64) -> Job<'static> {
    Job {
        implementation,
        source: Source::Generated,
        n,
        endpoint: None,
        concurrency: 1,
        collect_only: false,
        changed: 0,
    }
}

/// Collect, extract and convert on one database: a warm-up, the fixed cost (N=0), then
/// each size, framework and plain interleaved so that a disturbance hits both alike.
fn measure_pipeline(
    cli: &Cli,
    rt: &tokio::runtime::Runtime,
    db: DbArg,
) -> Result<(Vec<PipelineResult>, FixedCost)> {
    let backend = db.backend();
    eprintln!("[{}] warm-up", db.title());
    for implementation in [
        Implementation::Framework,
        Implementation::Plain,
        Implementation::Limit,
    ] {
        run_child(rt, backend, &generated(implementation, 1_000))?;
    }
    let runs = cli.runs(0);
    eprintln!("[{}] fixed cost, {runs} runs of n=0", db.title());
    let reports = (0..runs)
        .map(|_| run_child(rt, backend, &generated(Implementation::Framework, 0)))
        .collect::<Result<Vec<_>>>()?;
    let fixed = FixedCost { db, runs, reports };
    let mut results = Vec::new();
    for n in cli.sizes(db) {
        let runs = cli.runs(n);
        let mut r = PipelineResult {
            db,
            n,
            runs,
            framework: vec![],
            plain: vec![],
            limit: vec![],
        };
        for i in 0..runs {
            eprintln!("[{}] n={} run {}/{runs}", db.title(), count(n), i + 1);
            // The framework's run is followed by an incremental one in the same process
            // (its phases are reported apart, with their own peaks).
            let framework = Job {
                changed: n * CHANGED_PERCENT / 100,
                ..generated(Implementation::Framework, n)
            };
            r.framework.push(run_child(rt, backend, &framework)?);
            r.plain.push(run_child(
                rt,
                backend,
                &generated(Implementation::Plain, n),
            )?);
            r.limit.push(run_child(
                rt,
                backend,
                &generated(Implementation::Limit, n),
            )?);
        }
        results.push(r);
    }
    Ok((results, fixed))
}

/// HTTP collection into SQLite, from a server in this process, per latency, size and
/// concurrency.
fn measure_http(cli: &Cli, rt: &tokio::runtime::Runtime) -> Result<Vec<HttpResult>> {
    let sizes = cli.http_sizes();
    let mut out = Vec::new();
    for latency_ms in cli.latencies() {
        let srv = server::start(&sizes, Duration::from_millis(latency_ms))?;
        for &n in &sizes {
            for concurrency in HTTP_CONCURRENCY {
                let runs = cli.runs(n);
                let mut reports = Vec::new();
                for i in 0..runs {
                    eprintln!(
                        "[HTTP] latency {latency_ms} ms, n={}, concurrency {concurrency}, run {}/{runs}",
                        count(n),
                        i + 1
                    );
                    let job = Job {
                        implementation: Implementation::Framework,
                        source: Source::Http,
                        n,
                        endpoint: Some(&srv.endpoint),
                        concurrency,
                        collect_only: true,
                        changed: 0,
                    };
                    reports.push(run_child(rt, Backend::Sqlite, &job)?);
                }
                out.push(HttpResult {
                    latency_ms,
                    n,
                    concurrency,
                    runs,
                    reports,
                });
            }
        }
    }
    Ok(out)
}

/// `run.sh plugin-info` of the fake plugin, and its binary without the shell.
fn measure_startup(cli: &Cli) -> Result<Vec<StartupResult>> {
    let dir = startup::fakeplugin_dir()?;
    eprintln!("[start-up] building {}", dir.display());
    startup::build(&dir)?;
    let config = r#"{"log_level":"info"}"#;
    let mut out = Vec::new();
    for (command, note, program) in [
        ("run.sh plugin-info", "", dir.join("run.sh")),
        (
            "bin/fakeplugin plugin-info",
            " (the binary alone, no shell)",
            dir.join("bin/fakeplugin"),
        ),
    ] {
        eprintln!("[start-up] {command}");
        let times = startup::measure(
            &program,
            &["plugin-info", config],
            &dir,
            cli.startup_runs.max(1),
        )?;
        out.push(StartupResult {
            command: format!("`{command}`{note}"),
            times,
        });
    }
    Ok(out)
}

/// The server version (SQLite: the library's), or `None` after a loud note when down.
async fn version(backend: Backend) -> Option<String> {
    let test_db = TestDatabase::create(backend, "bench_probe").await?;
    let mut db = test_db.connect().await;
    let sql = match backend {
        Backend::Sqlite => "SELECT sqlite_version()",
        Backend::MySql => "SELECT VERSION()",
        Backend::Postgres => "SHOW server_version",
    };
    let rows = db.fetch_all(sql, vec![]).await.ok()?;
    Some(
        match rows.into_iter().next().and_then(|r| r.into_iter().next()) {
            Some(Value::Text(s)) => s,
            Some(Value::Bytes(b)) => String::from_utf8_lossy(&b).into_owned(),
            other => format!("{other:?}"),
        },
    )
}

/// Everything a run measured.
struct Results {
    machine: sys::Machine,
    versions: BTreeMap<DbArg, String>,
    skipped: Vec<String>,
    pipeline: Vec<PipelineResult>,
    fixed: Vec<FixedCost>,
    http: Vec<HttpResult>,
    startups: Vec<StartupResult>,
    /// Load averages at the start and at the end.
    load: (String, String),
}

fn render(cli: &Cli, results: &Results) -> String {
    let Results {
        machine,
        versions,
        skipped,
        pipeline,
        fixed,
        http,
        startups,
        load,
    } = results;
    let mut s = String::new();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let _ = writeln!(s, "## Run\n");
    let _ = writeln!(
        s,
        "- Command: `cargo run --release -p devlake-bench{}`",
        if args.is_empty() {
            String::new()
        } else {
            format!(" -- {}", args.join(" "))
        }
    );
    let _ = writeln!(s, "- Source: {}", source_revision());
    let _ = writeln!(
        s,
        "- Machine: {} ({} cores), {} MiB memory, Linux {}",
        machine.cpu, machine.cores, machine.memory_mib, machine.kernel
    );
    for (db, v) in versions {
        let _ = writeln!(s, "- {}: {}", db.title(), v);
    }
    for db in skipped {
        let _ = writeln!(s, "- **{db}: SKIPPED, server down**");
    }
    let _ = writeln!(
        s,
        "- Load average (1/5/15 min) at start: {}; at end: {}",
        load.0, load.1
    );
    let _ = writeln!(
        s,
        "- Mode: {}",
        if cli.quick {
            "--quick (smoke run, 1 repetition)"
        } else {
            "full"
        }
    );

    if !pipeline.is_empty() {
        let _ = writeln!(s, "\n## Collect, extract, convert (generated source)\n");
        let _ = writeln!(s, "Medians; each run is a fresh process on a fresh database. Ratio = framework time / plain sqlx time (lower is better; target <= 2). \"INSERTs\" is the plain run's time inside its INSERT statements alone. Limit = the fastest way the database takes the same rows (SQLite: one prepared statement through rusqlite; PostgreSQL: binary COPY; MariaDB: INSERTs as large as max_allowed_packet); framework / limit target <= 1.5.\n");
        let _ = writeln!(s, "| DB | N | runs | subtask | framework s | framework rec/s | plain s | plain rec/s | ratio | plain INSERTs s | framework / INSERTs | limit s | limit rec/s | framework / limit | framework peak RSS MiB | plain peak RSS MiB | limit peak RSS MiB |");
        let _ = writeln!(
            s,
            "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        );
        for r in pipeline {
            for phase in PHASES.iter().map(|p| Some(*p)).chain([None]) {
                let f = summarize(&r.framework, phase);
                let p = summarize(&r.plain, phase);
                let l = summarize(&r.limit, phase);
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {:.3} | {} | {:.3} | {} | {:.2} | {:.3} | {:.2} | {:.3} | {} | {:.2} | {} | {} | {} |",
                    r.db.title(),
                    count(r.n),
                    r.runs,
                    phase.unwrap_or("**all three**"),
                    f.secs,
                    rate(r.n, f.secs),
                    p.secs,
                    rate(r.n, p.secs),
                    f.secs / p.secs,
                    p.write_secs,
                    f.secs / p.write_secs,
                    l.secs,
                    rate(r.n, l.secs),
                    f.secs / l.secs,
                    mib(f.peak_kib),
                    mib(p.peak_kib),
                    mib(l.peak_kib),
                );
            }
        }
        let per_phase = pipeline
            .iter()
            .flat_map(|r| r.framework.iter())
            .all(|r| r.per_phase_peak);
        if !per_phase {
            let _ = writeln!(s, "\nPeak RSS could not be reset per phase here (`/proc/self/clear_refs`): phase peaks are cumulative.");
        }
    }

    if pipeline
        .iter()
        .any(|r| r.framework.iter().any(|f| f.changed > 0))
    {
        let _ = writeln!(s, "\n## Incremental run (framework)\n");
        let _ = writeln!(s, "After each full run above, in the same process, the three subtasks again with `options.incremental`: the source, given the last run's start and state by the runtime, returns {CHANGED_PERCENT}% of N records changed (half updates of existing pipelines, half new ones); extract and convert take only what that collect brought. Medians; % = incremental / full (target < 5% at 100k).\n");
        let _ = writeln!(s, "| DB | N | changed | runs | full s | collect s | extract s | convert s | incremental s | % of full | peak RSS MiB |");
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for r in pipeline
            .iter()
            .filter(|r| r.framework.iter().any(|f| f.changed > 0))
        {
            let full = summarize(&r.framework, None).secs;
            let inc = |phase| summarize_run(&r.framework, phase, true);
            let total = inc(None);
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.1}% | {} |",
                r.db.title(),
                count(r.n),
                count(r.framework[0].changed),
                r.runs,
                full,
                inc(Some("collect")).secs,
                inc(Some("extract")).secs,
                inc(Some("convert")).secs,
                total.secs,
                100.0 * total.secs / full,
                mib(total.peak_kib),
            );
        }
    }

    if !fixed.is_empty() {
        let _ = writeln!(s, "\n## Fixed cost per subtask (framework, N=0)\n");
        let _ = writeln!(s, "What a subtask costs before its first record (table checks and creation, the run record, deletes of the scope's previous rows, commit); included in the framework times above, not in the plain ones (the plain baseline's tables exist before its clock starts).\n");
        let _ = writeln!(s, "| DB | runs | collect ms | extract ms | convert ms |");
        let _ = writeln!(s, "|---|---:|---:|---:|---:|");
        for f in fixed {
            let ms = |phase| summarize(&f.reports, Some(phase)).secs * 1000.0;
            let _ = writeln!(
                s,
                "| {} | {} | {:.1} | {:.1} | {:.1} |",
                f.db.title(),
                f.runs,
                ms("collect"),
                ms("extract"),
                ms("convert")
            );
        }
    }

    if !http.is_empty() {
        let _ = writeln!(s, "\n## HTTP collection (framework, SQLite)\n");
        let _ = writeln!(s, "A local axum server on 127.0.0.1 (TCP_NODELAY) serves pages of 100 pre-rendered items; the collector pages through them with the API client's page-number paginator (total known from the first page), `concurrency` pages at once, and writes raw rows. The server runs in the parent process: its CPU competes, its memory is not counted.\n");
        let _ = writeln!(s, "| server latency | N | concurrency | runs | pages | median s | records/s | peak RSS MiB |");
        let _ = writeln!(s, "|---:|---:|---:|---:|---:|---:|---:|---:|");
        for h in http {
            let m = summarize(&h.reports, Some("collect"));
            let _ = writeln!(
                s,
                "| {} ms | {} | {} | {} | {} | {:.3} | {} | {} |",
                h.latency_ms,
                count(h.n),
                h.concurrency,
                h.runs,
                h.n.div_ceil(crate::plugin::PAGE_SIZE),
                m.secs,
                rate(h.n, m.secs),
                mib(m.peak_kib)
            );
        }
    }

    if !startups.is_empty() {
        let _ = writeln!(s, "\n## Start-up (fake plugin, release build)\n");
        let _ = writeln!(s, "Wall time from spawn to exit, fd 3 a pipe read to its end, after one unmeasured call.\n");
        let _ = writeln!(s, "| command | runs | median ms | min ms | max ms |");
        let _ = writeln!(s, "|---|---:|---:|---:|---:|");
        for st in startups {
            let ms: Vec<f64> = st.times.iter().map(|t| t.as_secs_f64() * 1000.0).collect();
            let min = ms.iter().copied().fold(f64::INFINITY, f64::min);
            let max = ms.iter().copied().fold(0.0, f64::max);
            let _ = writeln!(
                s,
                "| {} | {} | {:.2} | {:.2} | {:.2} |",
                st.command,
                ms.len(),
                median(ms.clone()),
                min,
                max
            );
        }
    }

    s.push_str(&pydevlake(pipeline, http));
    s.push_str(&targets(pipeline, startups));
    s
}

/// pydevlake's fake plugin measured on a machine like this one (issue 17's reference
/// figures): database, N, phase, seconds, peak RSS MiB; one run each.
const PYDEVLAKE: &[(DbArg, u64, &str, f64, f64)] = &[
    (DbArg::Sqlite, 10_000, "collect", 2.34, 84.0),
    (DbArg::Sqlite, 10_000, "extract", 7.76, 90.0),
    (DbArg::Sqlite, 10_000, "convert", 9.28, 91.0),
    (DbArg::Sqlite, 100_000, "collect", 16.46, 231.0),
    (DbArg::Sqlite, 100_000, "extract", 238.46, 276.0),
    (DbArg::Sqlite, 100_000, "convert", 275.59, 295.0),
    (DbArg::Mysql, 10_000, "collect", 3.68, 84.0),
    (DbArg::Mysql, 10_000, "extract", 17.08, 92.0),
    (DbArg::Mysql, 10_000, "convert", 18.10, 91.0),
    (DbArg::Postgres, 10_000, "collect", 2.65, 89.0),
    (DbArg::Postgres, 10_000, "extract", 17.63, 100.0),
    (DbArg::Postgres, 10_000, "convert", 17.63, 95.0),
];

/// pydevlake's HTTP collection into SQLite (no latency, one page at a time): N, seconds,
/// peak RSS MiB.
const PYDEVLAKE_HTTP: &[(u64, f64, f64)] = &[(10_000, 1.53, 68.0), (100_000, 11.64, 68.0)];

/// pydevlake's figures beside this run's, as ratios.
fn pydevlake(pipeline: &[PipelineResult], http: &[HttpResult]) -> String {
    let mut rows = Vec::new();
    for &(db, n, phase, secs, rss) in PYDEVLAKE {
        if let Some(r) = pipeline.iter().find(|r| r.db == db && r.n == n) {
            let ours = summarize(&r.framework, Some(phase));
            rows.push((db.title(), n, phase.to_string(), secs, rss, ours));
        }
    }
    for &(n, secs, rss) in PYDEVLAKE_HTTP {
        if let Some(h) = http
            .iter()
            .find(|h| h.n == n && h.latency_ms == 0 && h.concurrency == 1)
        {
            let ours = summarize(&h.reports, Some("collect"));
            let phase = "collect over HTTP (0 ms, concurrency 1)".to_string();
            rows.push((DbArg::Sqlite.title(), n, phase, secs, rss, ours));
        }
    }
    if rows.is_empty() {
        return String::new();
    }
    let mut s = String::from("\n## Against pydevlake\n\n");
    let _ = writeln!(s, "pydevlake's fake plugin on a machine like this one (issue 17's reference figures, one run each; each pydevlake phase is a process, about 0.5 s of which is Python start-up); devlake-rs: this run's medians (in-process phase times, to which a protocol call adds the start-up measured above).\n");
    let _ = writeln!(s, "| DB | N | phase | pydevlake s | devlake-rs s | pydevlake / devlake-rs | pydevlake peak RSS MiB | devlake-rs peak RSS MiB | RSS ratio |");
    let _ = writeln!(s, "|---|---:|---|---:|---:|---:|---:|---:|---:|");
    for (db, n, phase, secs, rss, ours) in rows {
        let _ = writeln!(
            s,
            "| {db} | {} | {phase} | {secs:.2} | {:.3} | {:.0}x | {rss:.0} | {} | {:.0}x |",
            count(n),
            ours.secs,
            secs / ours.secs,
            mib(ours.peak_kib),
            rss * 1024.0 / ours.peak_kib,
        );
    }
    s
}

/// `met` or `**not met**`.
fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "**not met**"
    }
}

/// Issue 17's time for the full pipeline of 100k records, in seconds.
fn pipeline_target(db: DbArg) -> f64 {
    match db {
        DbArg::Sqlite => 1.0,
        DbArg::Mysql | DbArg::Postgres => 2.5,
    }
}

/// The worst ratio of the framework's phase times to a baseline's, and where.
fn worst_ratio(
    rs: &[&PipelineResult],
    baseline: fn(&PipelineResult) -> &[ChildReport],
) -> (f64, String) {
    let mut worst = (0.0f64, String::new());
    for r in rs {
        for phase in PHASES {
            let ratio = summarize(&r.framework, Some(phase)).secs
                / summarize(baseline(r), Some(phase)).secs;
            if ratio > worst.0 {
                worst = (ratio, format!("{phase} at {}", count(r.n)));
            }
        }
    }
    worst
}

/// The targets, each with its verdict.
fn targets(pipeline: &[PipelineResult], startups: &[StartupResult]) -> String {
    let mut s = String::from("\n## Targets\n\n");
    let mut by_db: BTreeMap<DbArg, Vec<&PipelineResult>> = BTreeMap::new();
    for r in pipeline {
        by_db.entry(r.db).or_default().push(r);
    }
    for (db, rs) in &by_db {
        let target = pipeline_target(*db);
        let line = match rs.iter().find(|r| r.n == 100_000) {
            Some(r) => {
                let secs = summarize(&r.framework, None).secs;
                format!("{secs:.3} s -> {}", verdict(secs < target))
            }
            None => "not measured (no 100k run)".into(),
        };
        let _ = writeln!(
            s,
            "- Full pipeline of 100k records under {target:.1} s, {}: {line}",
            db.title()
        );
    }
    for (db, rs) in &by_db {
        let (ratio, at) = worst_ratio(rs, |r| &r.limit);
        let _ = writeln!(
            s,
            "- Framework within 1.5x of the limit, {}: worst ratio {ratio:.2} ({at}) -> {}",
            db.title(),
            verdict(ratio <= 1.5)
        );
    }
    for (db, rs) in &by_db {
        let r = rs
            .iter()
            .find(|r| r.n == 100_000)
            .or(rs.last())
            .filter(|r| r.framework.iter().any(|f| f.changed > 0));
        let line = match r {
            Some(r) => {
                let full = summarize(&r.framework, None).secs;
                let inc = summarize_run(&r.framework, None, true).secs;
                let pct = 100.0 * inc / full;
                format!(
                    "{inc:.3} s after a full run of {full:.3} s at {}: {pct:.1}% -> {}",
                    count(r.n),
                    verdict(pct < 5.0)
                )
            }
            None => "not measured".into(),
        };
        let _ = writeln!(
            s,
            "- Incremental run ({CHANGED_PERCENT}% changed) under 5% of the full run, {}: {line}",
            db.title()
        );
    }
    for (db, rs) in &by_db {
        let peaks: Vec<String> = rs
            .iter()
            .map(|r| {
                format!(
                    "{} at {}",
                    mib(summarize(&r.framework, None).peak_kib),
                    count(r.n)
                )
            })
            .collect();
        let (first, last) = (
            rs.first().map(|r| summarize(&r.framework, None).peak_kib),
            rs.last().map(|r| summarize(&r.framework, None).peak_kib),
        );
        let line = match (first, last) {
            (Some(a), Some(b)) if rs.len() > 1 => {
                format!(
                    "largest / smallest N {:.2} -> {}",
                    b / a,
                    verdict(b <= a * 1.25)
                )
            }
            _ => "one size only".into(),
        };
        let _ = writeln!(
            s,
            "- Memory flat in N (within 25%), {}: peak RSS MiB {}; {line}",
            db.title(),
            peaks.join(", ")
        );
    }
    for (db, rs) in &by_db {
        let (ratio, at) = worst_ratio(rs, |r| &r.plain);
        let _ = writeln!(
            s,
            "- Framework within 2x of plain sqlx, {}: worst ratio {ratio:.2} ({at}) -> {}",
            db.title(),
            verdict(ratio <= 2.0)
        );
    }
    if let Some(st) = startups.first() {
        let m = median(st.times.iter().map(|t| t.as_secs_f64() * 1000.0).collect());
        let _ = writeln!(
            s,
            "- {} under 20 ms: median {m:.2} ms -> {}",
            st.command,
            verdict(m < 20.0)
        );
    }
    s
}
