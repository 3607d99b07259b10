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
/// baseline on SQLite, MariaDB/MySQL and PostgreSQL; HTTP collection through the API
/// client; plugin start-up. Prints markdown tables (see BENCHMARKS.md).
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
    for p in &report.phases {
        if p.rows != job.n as i64 {
            bail!(
                "{:?} {} on {} wrote {} rows, expected {}",
                job.implementation,
                p.name,
                backend.name(),
                p.rows,
                job.n
            );
        }
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
    let pick = |r: &ChildReport| -> (f64, f64, f64) {
        let ps: Vec<_> = r
            .phases
            .iter()
            .filter(|p| match phase {
                None => true,
                Some(f) => p.name == f,
            })
            .collect();
        (
            ps.iter().map(|p| p.secs).sum(),
            ps.iter().map(|p| p.write_secs.unwrap_or(f64::NAN)).sum(),
            match phase {
                Some(_) => ps.iter().map(|p| p.peak_rss_kib).max().unwrap_or(0) as f64,
                None => r.peak_rss_kib as f64,
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
    for implementation in [Implementation::Framework, Implementation::Plain] {
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
        };
        for i in 0..runs {
            eprintln!("[{}] n={} run {}/{runs}", db.title(), count(n), i + 1);
            r.framework.push(run_child(
                rt,
                backend,
                &generated(Implementation::Framework, n),
            )?);
            r.plain.push(run_child(
                rt,
                backend,
                &generated(Implementation::Plain, n),
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
        let _ = writeln!(s, "Medians; each run is a fresh process on a fresh database. Ratio = framework time / plain sqlx time (lower is better; target <= 2). \"INSERTs\" is the plain run's time inside its INSERT statements alone.\n");
        let _ = writeln!(s, "| DB | N | runs | subtask | framework s | framework rec/s | plain s | plain rec/s | ratio | plain INSERTs s | framework / INSERTs | framework peak RSS MiB | plain peak RSS MiB |");
        let _ = writeln!(
            s,
            "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        );
        for r in pipeline {
            for phase in PHASES.iter().map(|p| Some(*p)).chain([None]) {
                let f = summarize(&r.framework, phase);
                let p = summarize(&r.plain, phase);
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {:.3} | {} | {:.3} | {} | {:.2} | {:.3} | {:.2} | {} | {} |",
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
                    mib(f.peak_kib),
                    mib(p.peak_kib),
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

    s.push_str(&targets(pipeline, startups));
    s
}

/// The targets, each with its verdict.
fn targets(pipeline: &[PipelineResult], startups: &[StartupResult]) -> String {
    let mut s = String::from("\n## Targets\n\n");
    let mut by_db: BTreeMap<DbArg, Vec<&PipelineResult>> = BTreeMap::new();
    for r in pipeline {
        by_db.entry(r.db).or_default().push(r);
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
        let verdict = match (first, last) {
            (Some(a), Some(b)) if rs.len() > 1 => {
                if b <= a * 1.25 {
                    "met"
                } else {
                    "**missed**"
                }
            }
            _ => "one size only",
        };
        let _ = writeln!(
            s,
            "- Memory flat in N, {}: peak RSS MiB {} -> {verdict}",
            db.title(),
            peaks.join(", ")
        );
    }
    for (db, rs) in &by_db {
        let mut worst = (0.0f64, String::new());
        for r in rs {
            for phase in PHASES {
                let ratio = summarize(&r.framework, Some(phase)).secs
                    / summarize(&r.plain, Some(phase)).secs;
                if ratio > worst.0 {
                    worst = (ratio, format!("{phase} at {}", count(r.n)));
                }
            }
        }
        let verdict = if worst.0 <= 2.0 { "met" } else { "**missed**" };
        let _ = writeln!(
            s,
            "- Framework within 2x of plain sqlx, {}: worst ratio {:.2} ({}) -> {verdict}",
            db.title(),
            worst.0,
            worst.1
        );
    }
    if let Some(st) = startups.first() {
        let m = median(st.times.iter().map(|t| t.as_secs_f64() * 1000.0).collect());
        let verdict = if m < 20.0 { "met" } else { "**missed**" };
        let _ = writeln!(
            s,
            "- {} under 20 ms: median {m:.2} ms -> {verdict}",
            st.command
        );
    }
    s
}
