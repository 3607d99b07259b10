//! The scan server: `scan serve`, `scan keys create|list|revoke` (docs/scan-server.md).

use anyhow::{bail, Context, Result};
use chrono::{Duration, Utc};
use devlake_scan_server::auth::{self, parse_permissions, split_list};
use devlake_scan_server::{Config, KeySpec, Server, Store, DEFAULT_MAX_CONCURRENT_UPLOADS};
use std::net::SocketAddr;

/// The database when `--db` and `DEVLAKE_SCAN_DB` are not given: a SQLite file in the
/// current directory.
const DEFAULT_DB: &str = "devlake-scans.db";

const SERVE_HELP: &str = "\
Stores scans in a SQLite file (default ./devlake-scans.db) or a PostgreSQL database, creating
and migrating the schema itself. Stops on SIGINT or SIGTERM after finishing the requests in
flight: a scan answered 201 is committed. Logs go to stderr (RUST_LOG=debug for more) and
never contain a key or token.

Examples:
    cargo devlake scan keys create --user ci --permissions publishScan,readScans
    cargo devlake scan serve --addr 0.0.0.0:7070 --db /var/lib/devlake-scans/scans.db
    cargo devlake scan serve --db postgres://scans@db.internal/scans --project-access-control";

/// The database argument every server command takes.
#[derive(Debug, clap::Args)]
pub struct DbArg {
    /// The database: a SQLite file (a path or sqlite: URL) or a postgres:// URL.
    #[arg(
        long,
        value_name = "URL",
        env = "DEVLAKE_SCAN_DB",
        hide_env_values = true,
        default_value = DEFAULT_DB
    )]
    pub db: String,
}

/// `scan serve` arguments.
#[derive(Debug, clap::Args)]
#[command(after_long_help = SERVE_HELP)]
pub struct ServeArgs {
    /// Address to listen on (put TLS in a reverse proxy in front).
    #[arg(long, default_value = "127.0.0.1:7070")]
    pub addr: SocketAddr,
    #[command(flatten)]
    pub db: DbArg,
    /// Check project ids: a credential reads and publishes only its projects' scans.
    #[arg(long)]
    pub project_access_control: bool,
    /// The URL users reach the server at (e.g. https://scans.example.com), for the links it
    /// hands out; default http://<the request's Host>.
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// Uploads received at once (each up to 32 MiB); more are answered 429 with Retry-After.
    #[arg(
        long,
        value_name = "N",
        default_value_t = DEFAULT_MAX_CONCURRENT_UPLOADS as u16,
        value_parser = clap::value_parser!(u16).range(1..)
    )]
    pub max_concurrent_uploads: u16,
}

/// `scan keys` commands.
#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Create an access key; it is printed once on stdout and stored only hashed.
    Create(CreateArgs),
    /// List access keys (ids, owners, permissions; never the keys themselves).
    List(DbArg),
    /// Revoke an access key, by key id (or by the key itself); its tokens stop working too.
    Revoke(RevokeArgs),
}

/// `scan keys create` arguments.
#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// The user the key belongs to.
    #[arg(long)]
    pub user: String,
    /// Comma-separated: publishScan, readScans, accessDataWithoutAssociatedProject.
    #[arg(long, value_name = "LIST")]
    pub permissions: String,
    /// Comma-separated project ids (checked with --project-access-control).
    #[arg(
        long,
        value_name = "LIST",
        default_value = "",
        hide_default_value = true
    )]
    pub projects: String,
    /// Days until the key expires (default: never).
    #[arg(long, value_name = "N")]
    pub expires_in_days: Option<u32>,
    #[command(flatten)]
    pub db: DbArg,
}

/// `scan keys revoke` arguments.
#[derive(Debug, clap::Args)]
pub struct RevokeArgs {
    /// The key id `scan keys list` shows.
    pub key_id: String,
    #[command(flatten)]
    pub db: DbArg,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Runs the server until SIGINT or SIGTERM.
pub fn serve(args: ServeArgs) -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    runtime()?.block_on(async {
        let server = Server::bind(Config {
            addr: args.addr,
            db: args.db.db,
            project_access_control: args.project_access_control,
            public_url: args.public_url,
            max_concurrent_uploads: args.max_concurrent_uploads.into(),
        })
        .await?;
        tracing::info!(
            "Build Scan server listening on http://{} (database {}, project-level access control {})",
            server.local_addr(),
            server.store().describe(),
            if args.project_access_control { "on" } else { "off" }
        );
        server.run(shutdown_signal()).await?;
        Ok(())
    })
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("install the SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    tracing::info!("shutting down: finishing the requests in flight");
}

/// Runs a `scan keys` command.
pub fn keys(cmd: KeysCommand) -> Result<()> {
    runtime()?.block_on(async {
        match cmd {
            KeysCommand::Create(args) => create(args).await,
            KeysCommand::List(db) => list(db).await,
            KeysCommand::Revoke(args) => revoke(args).await,
        }
    })
}

async fn create(args: CreateArgs) -> Result<()> {
    let user = args.user.trim();
    if user.is_empty() {
        bail!("--user must not be empty");
    }
    let permissions =
        parse_permissions(&args.permissions).map_err(|e| anyhow::anyhow!("--permissions: {e}"))?;
    if permissions.is_empty() {
        bail!("--permissions must name at least one permission (publishScan, readScans, accessDataWithoutAssociatedProject)");
    }
    let expires_at = match args.expires_in_days {
        Some(0) => bail!("--expires-in-days must be at least 1"),
        Some(d) => Some(Utc::now() + Duration::days(d.into())),
        None => None,
    };
    let spec = KeySpec {
        user: user.to_string(),
        permissions,
        projects: split_list(&args.projects).map(str::to_string).collect(),
        expires_at,
    };
    let store = Store::open(&args.db.db).await?;
    let key = auth::generate_key();
    store.insert_key(&key, &spec).await?;
    store.close().await;
    println!("{}", key.secret);
    let list = |v: Vec<&str>| {
        if v.is_empty() {
            "-".to_string()
        } else {
            v.join(",")
        }
    };
    eprintln!(
        "created access key {} for {} (permissions {}; projects {}; {}).\n\
         It is shown once and stored only hashed. CI uses it as\n  \
         DEVELOCITY_ACCESS_KEY=<server host name>=<the key>",
        key.key_id,
        spec.user,
        list(spec.permissions.iter().map(|p| p.as_str()).collect()),
        list(spec.projects.iter().map(String::as_str).collect()),
        spec.expires_at
            .map(|e| format!("expires {}", e.format("%Y-%m-%d %H:%M UTC")))
            .unwrap_or_else(|| "no expiry".into()),
    );
    Ok(())
}

async fn list(db: DbArg) -> Result<()> {
    let store = Store::open(&db.db).await?;
    let keys = store.list_keys().await?;
    store.close().await;
    println!(
        "{:<12}  {:<16}  {:<48}  {:<20}  {:<16}  {:<16}  STATUS",
        "KEY ID", "USER", "PERMISSIONS", "PROJECTS", "CREATED", "EXPIRES"
    );
    let now = Utc::now();
    let time = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%d %H:%M").to_string();
    for k in keys {
        let status = match (k.revoked_at, k.expires_at) {
            (Some(r), _) => format!("revoked {}", time(r)),
            (None, Some(e)) if e <= now => "expired".into(),
            _ => "active".into(),
        };
        println!(
            "{:<12}  {:<16}  {:<48}  {:<20}  {:<16}  {:<16}  {status}",
            k.key_id,
            k.user,
            k.permissions.join(","),
            if k.projects.is_empty() {
                "-".into()
            } else {
                k.projects.join(",")
            },
            time(k.created_at),
            k.expires_at.map(time).unwrap_or_else(|| "never".into()),
        );
    }
    Ok(())
}

async fn revoke(args: RevokeArgs) -> Result<()> {
    let given = args.key_id.trim();
    // Accept the key itself too, but never echo it.
    let key_id = if auth::looks_like_key(given) {
        auth::key_id_of(&auth::hash_key(given))
    } else if given.len() == 12 && given.bytes().all(|b| b.is_ascii_hexdigit()) {
        given.to_ascii_lowercase()
    } else {
        bail!("the key id must be the 12 hex digits `scan keys list` shows");
    };
    let store = Store::open(&args.db.db).await?;
    let found = store.revoke_key(&key_id).await?;
    store.close().await;
    if !found {
        bail!("no access key with id {key_id} in {}", store.describe());
    }
    eprintln!("revoked access key {key_id}: it and the tokens made from it stop working (tokens within a second)");
    Ok(())
}
