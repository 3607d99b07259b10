//! One measurement in a fresh process (`devlake-bench --child ...`): runs collect,
//! extract and convert of `n` records, through the framework, the plain baseline or the
//! limit baseline, on the database it is given, and prints one JSON line
//! ([`ChildReport`]) with the time, row count and peak RSS of each phase. With
//! `--changed k`, the framework then runs the three subtasks again incrementally, the
//! source giving `k` new or updated records.

use crate::limit;
use crate::plain::{self, PlainDb, Write};
use crate::plugin::{BenchPlugin, GENERATED_STREAM, HTTP_STREAM};
use crate::sys;
use anyhow::{bail, Context as _, Result};
use clap::{Parser, ValueEnum};
use devlake::db::ddl::{ensure_raw_table, ensure_table};
use devlake::db::{Db, DbUrl, Dialect};
use devlake::domain::devops::CicdPipeline;
use devlake::model::Model;
use devlake::protocol::{PluginHost, TaskContext};
use devlake::stream::{raw_table_name, Progress, Verb};
use devlake::PluginMeta;
use fakeplugin::models::FakePipeline;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// Who writes the rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Implementation {
    /// `PluginHost::run_subtask` with the bench plugin.
    Framework,
    /// Hand-written sqlx (see [`crate::plain`]).
    Plain,
    /// The fastest way each database takes the rows (see [`crate::limit`]).
    Limit,
}

impl Implementation {
    fn name(self) -> &'static str {
        match self {
            Implementation::Framework => "framework",
            Implementation::Plain => "plain",
            Implementation::Limit => "limit",
        }
    }
}

/// Where records come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Generated in process.
    Generated,
    /// Fetched from the local HTTP server through the API client (framework only).
    Http,
}

/// The environment in the scope config; a DevLake one, so `environment` is written.
const ENVIRONMENT: &str = "PRODUCTION";
const CONNECTION_ID: i64 = 1;
const SCOPE_ID: &str = "p1";

/// Arguments of the hidden `--child` mode.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "devlake-bench --child",
    about = "One measurement (used by devlake-bench itself)"
)]
pub struct ChildArgs {
    /// Framework or plain baseline.
    #[arg(long, value_enum)]
    pub implementation: Implementation,
    /// Record source.
    #[arg(long, value_enum, default_value = "generated")]
    pub source: Source,
    /// Records.
    #[arg(long)]
    pub n: u64,
    /// Database URL (DevLake form), fresh for this run.
    #[arg(long)]
    pub db_url: String,
    /// HTTP source base URL; without it an in-process server is started.
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Pages fetched at once (HTTP source).
    #[arg(long, default_value_t = 1)]
    pub concurrency: usize,
    /// Run collect only.
    #[arg(long)]
    pub collect_only: bool,
    /// After the full run, an incremental run of the three subtasks in which the source
    /// has this many new or updated records (framework, generated source).
    #[arg(long, default_value_t = 0)]
    pub changed: u64,
}

/// One phase of a child run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PhaseReport {
    /// `collect`, `extract` or `convert`.
    pub name: String,
    /// Wall time of the phase.
    pub secs: f64,
    /// Time in `INSERT` statements (plain baseline only).
    pub write_secs: Option<f64>,
    /// Rows in the phase's target table afterwards.
    pub rows: i64,
    /// Peak RSS during the phase (since the process started where the kernel does not
    /// allow resetting it, see `per_phase_peak`), KiB.
    pub peak_rss_kib: u64,
}

/// What a child prints: one JSON line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChildReport {
    /// Who wrote the rows.
    pub implementation: Implementation,
    /// Record source.
    pub source: Source,
    /// `sqlite`, `mysql` or `postgres`.
    pub database: String,
    /// Records.
    pub n: u64,
    /// Pages fetched at once (HTTP source).
    pub concurrency: usize,
    /// RSS before the first phase, KiB.
    pub start_rss_kib: u64,
    /// Peak RSS of the whole process (`VmHWM` at the end, or the largest phase peak), KiB.
    pub peak_rss_kib: u64,
    /// Whether phase peaks were measured apart (`/proc/self/clear_refs`).
    pub per_phase_peak: bool,
    /// The phases, in order.
    pub phases: Vec<PhaseReport>,
    /// Records new or updated for the incremental run (`--changed`).
    #[serde(default)]
    pub changed: u64,
    /// The incremental run's phases (`--changed`), in order; `rows` as after it.
    #[serde(default)]
    pub incremental: Vec<PhaseReport>,
}

/// Runs a child measurement and prints its report.
pub fn main(args: ChildArgs) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = rt.block_on(run(&args))?;
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

/// A phase's outcome before the row count.
struct Timed {
    verb: Verb,
    secs: Duration,
    write: Option<Duration>,
    peak_kib: u64,
    /// Rows in the phase's table right after it, when later phases change it.
    rows: Option<i64>,
}

async fn run(args: &ChildArgs) -> Result<ChildReport> {
    let url = DbUrl::parse(&args.db_url).context("--db-url")?;
    let start_rss_kib = sys::status_kib("VmRSS").unwrap_or(0);
    let verbs: &[Verb] = if args.collect_only {
        &Verb::ALL[..1]
    } else {
        &Verb::ALL
    };
    let mut per_phase_peak = true;
    let mut timed = Vec::new();
    let mut incremental = Vec::new();
    if args.changed > 0
        && (args.implementation != Implementation::Framework
            || args.source != Source::Generated
            || args.collect_only)
    {
        bail!("--changed: incremental runs are measured for the framework on the generated source, all three subtasks");
    }
    match args.implementation {
        Implementation::Framework => {
            framework(
                args,
                verbs,
                &mut timed,
                &mut incremental,
                &mut per_phase_peak,
            )
            .await?
        }
        Implementation::Plain | Implementation::Limit => {
            if args.source != Source::Generated {
                bail!(
                    "the {} baseline reads the generated source only (got --source http)",
                    args.implementation.name()
                );
            }
            match url.dialect() {
                Dialect::Sqlite => {
                    baseline::<sqlx::Sqlite>(args, &url, verbs, &mut timed, &mut per_phase_peak)
                        .await?
                }
                Dialect::MySql => {
                    baseline::<sqlx::MySql>(args, &url, verbs, &mut timed, &mut per_phase_peak)
                        .await?
                }
                Dialect::Postgres => {
                    baseline::<sqlx::Postgres>(args, &url, verbs, &mut timed, &mut per_phase_peak)
                        .await?
                }
            }
        }
    }
    // The full run's peak: the incremental run's phases each have their own.
    let peak_rss_kib = timed.iter().map(|t| t.peak_kib).max().unwrap_or(0);
    let peak_rss_kib = match incremental.is_empty() {
        true => sys::status_kib("VmHWM").unwrap_or(0).max(peak_rss_kib),
        false => peak_rss_kib,
    };
    // Row counts after the clock stopped: proof that every phase did its work. The full
    // run's counts come before the incremental run, which adds rows.
    let mut db = Db::connect(&args.db_url).await?;
    let stream = stream_name(args.source);
    let mut phases = Vec::new();
    let mut incremental_phases = Vec::new();
    let tagged =
        (timed.into_iter().map(|t| (t, false))).chain(incremental.into_iter().map(|t| (t, true)));
    for (t, is_incremental) in tagged {
        let out = match is_incremental {
            true => &mut incremental_phases,
            false => &mut phases,
        };
        let rows = match t.rows {
            Some(r) => r,
            None => db.count(&phase_table(t.verb, stream), None).await?,
        };
        out.push(PhaseReport {
            name: t.verb.entry_point().to_string(),
            secs: t.secs.as_secs_f64(),
            write_secs: t.write.map(|w| w.as_secs_f64()),
            rows,
            peak_rss_kib: t.peak_kib,
        });
    }
    Ok(ChildReport {
        implementation: args.implementation,
        source: args.source,
        database: url.dialect().name().to_string(),
        n: args.n,
        concurrency: args.concurrency,
        start_rss_kib,
        peak_rss_kib,
        per_phase_peak,
        phases,
        changed: args.changed,
        incremental: incremental_phases,
    })
}

fn stream_name(source: Source) -> &'static str {
    match source {
        Source::Generated => GENERATED_STREAM,
        Source::Http => HTTP_STREAM,
    }
}

/// Starts a phase's peak-RSS window; false when only the process-wide peak is available.
fn start_window(per_phase_peak: &mut bool) {
    if !sys::reset_peak_rss() {
        *per_phase_peak = false;
    }
}

/// The tables of the three phases, in order.
fn phase_table(verb: Verb, stream: &str) -> String {
    match verb {
        Verb::Collect => raw_table_name("bench", stream),
        Verb::Extract => FakePipeline::descriptor().table.to_string(),
        Verb::Convert => CicdPipeline::descriptor().table.to_string(),
    }
}

async fn framework(
    args: &ChildArgs,
    verbs: &[Verb],
    out: &mut Vec<Timed>,
    incremental: &mut Vec<Timed>,
    per_phase_peak: &mut bool,
) -> Result<()> {
    // An in-process server only when none is given (tests); the bench serves from the
    // parent so that the server's memory is not counted here.
    let _server;
    let endpoint = match (&args.endpoint, args.source) {
        (Some(e), _) => e.clone(),
        (None, Source::Http) => {
            _server = crate::server::start(&[args.n], Duration::ZERO)?;
            _server.endpoint.clone()
        }
        (None, Source::Generated) => String::new(),
    };
    let meta = PluginMeta {
        crate_name: env!("CARGO_PKG_NAME"),
        version: env!("CARGO_PKG_VERSION"),
        manifest_dir: env!("CARGO_MANIFEST_DIR"),
    };
    let host = PluginHost::new(BenchPlugin, meta);
    let task = |incremental: bool| {
        TaskContext::from_json(&serde_json::json!({
            "db_url": args.db_url,
            "connection": {"id": CONNECTION_ID, "name": "bench", "token": "bench-token"},
            "scope": {"id": SCOPE_ID, "name": "Project 1", "url": "http://bench.invalid/p1", "connection_id": CONNECTION_ID},
            "scope_config": {"id": 1, "name": "sc", "env": ENVIRONMENT},
            "options": {
                "n": args.n,
                "changed": args.changed,
                "incremental": incremental,
                "endpoint": endpoint,
                "concurrency": args.concurrency,
            },
        }))
    };
    let stream = stream_name(args.source);
    let mut db = Db::connect(&args.db_url).await?;
    let runs: &[bool] = if args.changed > 0 {
        &[false, true]
    } else {
        &[false]
    };
    for &is_incremental in runs {
        let mut ctx = host.context(&task(is_incremental)?, stream)?;
        let out = if is_incremental {
            &mut *incremental
        } else {
            &mut *out
        };
        for &verb in verbs {
            start_window(per_phase_peak);
            let started = Instant::now();
            let mut progress = Progress::silent();
            host.run_subtask(verb, stream, &mut ctx, &mut db, &mut progress)
                .await
                .with_context(|| format!("framework {}", verb.entry_point()))?;
            out.push(Timed {
                verb,
                secs: started.elapsed(),
                write: None,
                peak_kib: sys::status_kib("VmHWM").unwrap_or(0),
                rows: None,
            });
        }
        if !is_incremental && args.changed > 0 {
            // Counted now, outside the clock: the incremental run adds rows.
            for t in out.iter_mut() {
                t.rows = Some(db.count(&phase_table(t.verb, stream), None).await?);
            }
        }
    }
    Ok(())
}

async fn baseline<DB: PlainDb>(
    args: &ChildArgs,
    url: &DbUrl,
    verbs: &[Verb],
    out: &mut Vec<Timed>,
    per_phase_peak: &mut bool,
) -> Result<()> {
    let names = plain::Names {
        params: format!("{{\"ConnectionId\":{CONNECTION_ID},\"ScopeId\":\"{SCOPE_ID}\"}}"),
        raw_table: raw_table_name("bench", GENERATED_STREAM),
        connection_id: CONNECTION_ID,
        environment: ENVIRONMENT.to_string(),
        cicd_scope_id: {
            let scope = <BenchPlugin as devlake::plugin::Plugin>::ToolScope::descriptor();
            devlake::model::domain_id_of(scope.crate_name, scope.name, CONNECTION_ID, &[SCOPE_ID])
        },
    };
    // The framework creates its tables inside its (timed) phases; the baselines get the
    // same tables, indexes included, before their clock starts.
    {
        let mut db = Db::connect(&args.db_url).await?;
        ensure_raw_table(&mut db, &names.raw_table).await?;
        for d in [FakePipeline::descriptor(), CicdPipeline::descriptor()] {
            ensure_table(&mut db, d.table, &d.columns()).await?;
        }
    }
    let name = args.implementation.name();
    let push = |out: &mut Vec<Timed>, verb, t: plain::PhaseTime| {
        out.push(Timed {
            verb,
            secs: t.total,
            write: Some(t.write),
            peak_kib: sys::status_kib("VmHWM").unwrap_or(0),
            rows: None,
        })
    };
    if args.implementation == Implementation::Limit && DB::DIALECT == Dialect::Sqlite {
        let sqlite = limit::Sqlite::open(url)?;
        for &verb in verbs {
            start_window(per_phase_peak);
            let t = match verb {
                Verb::Collect => sqlite.collect(&names, args.n),
                Verb::Extract => sqlite.extract(&names),
                Verb::Convert => sqlite.convert(&names),
            }
            .with_context(|| format!("{name} {}", verb.entry_point()))?;
            push(out, verb, t);
        }
        return Ok(());
    }
    let mut conn = DB::open(url).await?;
    let write = match args.implementation {
        Implementation::Limit => DB::limit_write(&mut conn).await?,
        _ => Write::Batches,
    };
    for &verb in verbs {
        start_window(per_phase_peak);
        let t = match verb {
            Verb::Collect => plain::collect::<DB>(&mut conn, &names, args.n, write).await,
            Verb::Extract => plain::extract::<DB>(&mut conn, &names, write).await,
            Verb::Convert => plain::convert::<DB>(&mut conn, &names, write).await,
        }
        .with_context(|| format!("{name} {}", verb.entry_point()))?;
        push(out, verb, t);
    }
    Ok(())
}
