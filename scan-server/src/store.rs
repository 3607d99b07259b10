//! Storage: scans, access keys and the token-signing secret, in SQLite or PostgreSQL
//! through sqlx pools. The schema is created and migrated on open by sqlx's migrator, from
//! the SQL files under `scan-server/migrations/` embedded in the binary.

use crate::auth::{self, split_list, Credential, CredentialKind, NewKey, Permission};
use crate::search::{Access, Filter, ScanSummary};
use chrono::{DateTime, TimeZone, Utc};
use devlake::db::DbUrl;
use devlake_scan::Scan;
use futures::future::BoxFuture;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgSslMode};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::borrow::Cow;
use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

/// Storage errors. Messages name the database by its redacted URL, never a password.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL is malformed or names an unsupported database.
    #[error("{0}")]
    Url(String),
    /// The database cannot be reached or opened.
    #[error("cannot open {url}: {message}")]
    Connect {
        /// Redacted URL.
        url: String,
        /// Driver message.
        message: String,
    },
    /// The schema could not be created or migrated.
    #[error("cannot migrate the schema of {url}: {message}")]
    Migrate {
        /// Redacted URL.
        url: String,
        /// Migrator message.
        message: String,
    },
    /// A statement failed.
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
}

enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$p` bound to whichever pool the store holds: the statements are the
/// same on both (numbered `$n` placeholders, which SQLite also reads).
macro_rules! with_pool {
    ($store:expr, $p:ident => $body:expr) => {
        match &$store.pool {
            Pool::Sqlite($p) => $body,
            Pool::Postgres($p) => $body,
        }
    };
}

/// The scan server's database.
pub struct Store {
    pool: Pool,
    url: String,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({})", self.url)
    }
}

/// An access key as `scan keys list` shows it (never the key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// Short id.
    pub key_id: String,
    /// Owner.
    pub user: String,
    /// Permission names.
    pub permissions: Vec<String>,
    /// Project ids.
    pub projects: Vec<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Expiry, if any.
    pub expires_at: Option<DateTime<Utc>>,
    /// Revocation time, if revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What is stored with a new access key.
#[derive(Debug, Clone)]
pub struct KeySpec {
    /// Owner.
    pub user: String,
    /// Permissions.
    pub permissions: BTreeSet<Permission>,
    /// Project ids.
    pub projects: BTreeSet<String>,
    /// Expiry, if any.
    pub expires_at: Option<DateTime<Utc>>,
}

/// The embedded migrations, as sqlx's migrator takes them.
#[derive(Debug)]
struct Embedded;

impl MigrationSource<'static> for Embedded {
    fn resolve(self) -> BoxFuture<'static, Result<Vec<Migration>, sqlx::error::BoxDynError>> {
        Box::pin(async {
            Ok(vec![Migration::new(
                1,
                Cow::Borrowed("init"),
                MigrationType::Simple,
                Cow::Borrowed(include_str!("../migrations/0001_init.sql")),
                false,
            )])
        })
    }
}

type SummaryRow = (
    String,
    Option<String>,
    Option<String>,
    String,
    i64,
    i64,
    Option<String>,
    Option<String>,
    String,
    String,
);

type KeyRow = (
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
);

/// A bind parameter of a statement built at run time.
enum Arg {
    Text(String),
    Int(i64),
}

impl Store {
    /// Opens (creating when missing) the database at `url` and brings its schema up to
    /// date. `url`: a SQLite file path, a `sqlite:` URL, or a `postgres://` URL.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let parsed = if url.contains(':') {
            DbUrl::parse(url).map_err(|e| StoreError::Url(e.to_string()))?
        } else {
            DbUrl::Sqlite {
                path: Some(url.into()),
            }
        };
        let redacted = parsed.redacted();
        let fail = |e: sqlx::Error| StoreError::Connect {
            url: redacted.clone(),
            message: e.to_string().lines().next().unwrap_or_default().to_string(),
        };
        let pool = match &parsed {
            DbUrl::Sqlite { path: Some(path) } => {
                // A new file holds the token-signing secret: only its owner may read it.
                if !path.exists() {
                    create_private(path).map_err(|e| StoreError::Connect {
                        url: redacted.clone(),
                        message: e.to_string(),
                    })?;
                }
                let opts = SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // An accepted scan must survive a power cut, not only a crash.
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(30));
                Pool::Sqlite(
                    SqlitePoolOptions::new()
                        .max_connections(8)
                        .connect_with(opts)
                        .await
                        .map_err(fail)?,
                )
            }
            DbUrl::Sqlite { path: None } => {
                return Err(StoreError::Url(
                    "the scan server needs a SQLite file, not an in-memory database".into(),
                ))
            }
            DbUrl::Postgres(s) => {
                let mut opts = PgConnectOptions::new()
                    .host(&s.host)
                    .port(s.port)
                    .username(&s.user)
                    .database(&s.database);
                if let Some(p) = &s.password {
                    opts = opts.password(p);
                }
                if let Some(mode) = s.tls.as_deref() {
                    opts = opts.ssl_mode(match mode {
                        "true" | "require" => PgSslMode::Require,
                        "verify-ca" => PgSslMode::VerifyCa,
                        "verify-full" => PgSslMode::VerifyFull,
                        "prefer" | "skip-verify" => PgSslMode::Prefer,
                        _ => PgSslMode::Disable,
                    });
                }
                // One plain connection first: a pool only says "timed out" where this says
                // why (refused, unknown database, bad password).
                sqlx::ConnectOptions::connect(&opts).await.map_err(fail)?;
                Pool::Postgres(
                    PgPoolOptions::new()
                        .max_connections(8)
                        .acquire_timeout(Duration::from_secs(10))
                        .connect_with(opts)
                        .await
                        .map_err(fail)?,
                )
            }
            DbUrl::MySql(_) => {
                return Err(StoreError::Url(format!(
                    "{redacted}: the scan server stores scans in SQLite or PostgreSQL, not MySQL"
                )))
            }
        };
        let store = Store {
            pool,
            url: redacted,
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let fail = |e: sqlx::migrate::MigrateError| StoreError::Migrate {
            url: self.url.clone(),
            message: e.to_string(),
        };
        let migrator = Migrator::new(Embedded).await.map_err(fail)?;
        with_pool!(self, p => migrator.run(p).await.map_err(fail))
    }

    /// The database, password hidden.
    pub fn describe(&self) -> &str {
        &self.url
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        with_pool!(self, p => p.close().await)
    }

    /// The token-signing secret (`kid`, secret), made on first use. Concurrent first starts
    /// agree on one secret: the insert does nothing when another won.
    pub async fn signing_secret(&self) -> Result<(String, Vec<u8>), StoreError> {
        let select = "SELECT kid, secret FROM signing_secrets ORDER BY created_at, kid LIMIT 1";
        let found: Option<(String, String)> =
            with_pool!(self, p => sqlx::query_as(select).fetch_optional(p).await)?;
        if let Some((kid, secret)) = found {
            return Ok((kid, secret.into_bytes()));
        }
        with_pool!(self, p => sqlx::query(
            "INSERT INTO signing_secrets (kid, secret, created_at) VALUES ($1, $2, $3) ON CONFLICT (kid) DO NOTHING",
        )
        .bind(auth::random_hex(4))
        .bind(auth::random_hex(32))
        .bind(Utc::now().timestamp())
        .execute(p)
        .await
        .map(|_| ()))?;
        let (kid, secret): (String, String) =
            with_pool!(self, p => sqlx::query_as(select).fetch_one(p).await)?;
        Ok((kid, secret.into_bytes()))
    }

    /// Stores a new access key (only its hash).
    pub async fn insert_key(&self, key: &NewKey, spec: &KeySpec) -> Result<(), StoreError> {
        let perms = spec
            .permissions
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(",");
        let projects = spec.projects.iter().cloned().collect::<Vec<_>>().join(",");
        with_pool!(self, p => sqlx::query(
            "INSERT INTO access_keys (key_id, key_hash, username, permissions, projects, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&key.key_id)
        .bind(&key.hash)
        .bind(&spec.user)
        .bind(perms)
        .bind(projects)
        .bind(Utc::now().timestamp())
        .bind(spec.expires_at.map(|t| t.timestamp()))
        .execute(p)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// The credential of a presented access key; `None` when it is unknown, revoked or
    /// expired (one answer for all three, so a caller learns nothing about other keys).
    pub async fn key_credential(
        &self,
        secret: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Credential>, StoreError> {
        let row: Option<KeyRow> = with_pool!(self, p => sqlx::query_as(
            "SELECT key_id, username, permissions, projects, created_at, expires_at, revoked_at FROM access_keys WHERE key_hash = $1",
        )
        .bind(auth::hash_key(secret))
        .fetch_optional(p)
        .await)?;
        let Some(info) = row.map(key_info) else {
            return Ok(None);
        };
        if info.revoked_at.is_some() || info.expires_at.is_some_and(|e| e <= now) {
            return Ok(None);
        }
        Ok(Some(Credential {
            kind: CredentialKind::Key,
            key_id: info.key_id,
            user: info.user,
            permissions: info
                .permissions
                .iter()
                .filter_map(|p| Permission::parse(p))
                .collect(),
            projects: info.projects.into_iter().collect(),
            expires_at: info.expires_at,
        }))
    }

    /// Every access key, oldest first.
    pub async fn list_keys(&self) -> Result<Vec<KeyInfo>, StoreError> {
        let rows: Vec<KeyRow> = with_pool!(self, p => sqlx::query_as(
            "SELECT key_id, username, permissions, projects, created_at, expires_at, revoked_at FROM access_keys ORDER BY created_at, key_id",
        )
        .fetch_all(p)
        .await)?;
        Ok(rows.into_iter().map(key_info).collect())
    }

    /// Revokes a key by id; `false` when there is no such key. Revoking twice keeps the
    /// first revocation time.
    pub async fn revoke_key(&self, key_id: &str) -> Result<bool, StoreError> {
        let n = with_pool!(self, p => sqlx::query(
            "UPDATE access_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE key_id = $2",
        )
        .bind(Utc::now().timestamp())
        .bind(key_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// Ids of revoked keys: tokens descending from them are refused.
    pub async fn revoked_key_ids(&self) -> Result<HashSet<String>, StoreError> {
        let rows: Vec<(String,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT key_id FROM access_keys WHERE revoked_at IS NOT NULL",
        )
        .fetch_all(p)
        .await)?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Stores a scan with its search rows in one transaction; `false` when a scan with this
    /// id is already stored (the stored one is kept: a publish retry).
    pub async fn insert_scan(
        &self,
        scan: &Scan,
        document: &str,
        published_by: &str,
    ) -> Result<bool, StoreError> {
        let tags = serde_json::to_string(&scan.tags).expect("tags serialize");
        let inserted = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "INSERT INTO scans (id, project_name, project_id, outcome, started_at, duration_ms, username, hostname, command_kind, tags, published_by, published_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (id) DO NOTHING",
            )
            .bind(&scan.id)
            .bind(&scan.project.name)
            .bind(&scan.project.id)
            .bind(scan.outcome.as_str())
            .bind(scan.started_at.timestamp_millis())
            .bind(i64::try_from(scan.duration_ms).unwrap_or(i64::MAX))
            .bind(&scan.environment.username)
            .bind(&scan.environment.hostname)
            .bind(&scan.command.kind)
            .bind(&tags)
            .bind(published_by)
            .bind(Utc::now().timestamp_millis())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 1 {
                sqlx::query("INSERT INTO scan_documents (scan_id, document) VALUES ($1, $2)")
                    .bind(&scan.id)
                    .bind(document)
                    .execute(&mut *tx)
                    .await?;
                for tag in &scan.tags {
                    sqlx::query("INSERT INTO scan_tags (scan_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                        .bind(&scan.id)
                        .bind(tag)
                        .execute(&mut *tx)
                        .await?;
                }
                for v in &scan.custom_values {
                    sqlx::query("INSERT INTO scan_values (scan_id, name, value) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                        .bind(&scan.id)
                        .bind(&v.name)
                        .bind(&v.value)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await?;
            n == 1
        });
        Ok(inserted)
    }

    /// A stored scan: its project id (for the access check) and its document.
    pub async fn scan_document(
        &self,
        id: &str,
    ) -> Result<Option<(Option<String>, String)>, StoreError> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT s.project_id, d.document FROM scans s JOIN scan_documents d ON d.scan_id = s.id WHERE s.id = $1",
        )
        .bind(id)
        .fetch_optional(p)
        .await)?)
    }

    /// Scans matching `filter` that `access` allows, newest first, one page of them, and
    /// how many match in all. `base` is the server's base URL, for each scan's `url`.
    pub async fn search(
        &self,
        filter: &Filter,
        access: &Access,
        base: &str,
    ) -> Result<(Vec<ScanSummary>, i64), StoreError> {
        let mut args = Vec::new();
        let mut arg = |a: Arg| {
            args.push(a);
            format!("${}", args.len())
        };
        // Every filter condition binds before the page's LIMIT and OFFSET, so the count
        // query takes the same parameters minus those two.
        let mut conds = Vec::new();
        match access {
            Access::All => {}
            Access::Nothing => conds.push("1 = 0".to_string()),
            Access::Projects {
                ids,
                without_project,
            } => {
                let mut any = Vec::new();
                if *without_project {
                    any.push("s.project_id IS NULL".to_string());
                }
                if !ids.is_empty() {
                    let list: Vec<String> =
                        ids.iter().map(|id| arg(Arg::Text(id.clone()))).collect();
                    any.push(format!("s.project_id IN ({})", list.join(", ")));
                }
                conds.push(if any.is_empty() {
                    "1 = 0".into()
                } else {
                    format!("({})", any.join(" OR "))
                });
            }
        }
        if let Some(p) = &filter.project {
            let (a, b) = (arg(Arg::Text(p.clone())), arg(Arg::Text(p.clone())));
            conds.push(format!("(s.project_name = {a} OR s.project_id = {b})"));
        }
        for tag in &filter.tags {
            let a = arg(Arg::Text(tag.clone()));
            conds.push(format!(
                "s.id IN (SELECT t.scan_id FROM scan_tags t WHERE t.tag = {a})"
            ));
        }
        for (name, value) in &filter.values {
            let (a, b) = (arg(Arg::Text(name.clone())), arg(Arg::Text(value.clone())));
            conds.push(format!(
                "s.id IN (SELECT v.scan_id FROM scan_values v WHERE v.name = {a} AND v.value = {b})"
            ));
        }
        if let Some(o) = filter.outcome {
            conds.push(format!("s.outcome = {}", arg(Arg::Text(o.as_str().into()))));
        }
        if let Some(u) = &filter.user {
            conds.push(format!("s.username = {}", arg(Arg::Text(u.clone()))));
        }
        if let Some(t) = filter.since {
            conds.push(format!(
                "s.started_at >= {}",
                arg(Arg::Int(t.timestamp_millis()))
            ));
        }
        if let Some(t) = filter.until {
            conds.push(format!(
                "s.started_at < {}",
                arg(Arg::Int(t.timestamp_millis()))
            ));
        }
        let limit = arg(Arg::Int(filter.limit));
        let offset = arg(Arg::Int(filter.offset));
        let filter_args = args.len() - 2;
        let where_ = if conds.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conds.join(" AND "))
        };
        let page_sql = format!(
            "SELECT s.id, s.project_name, s.project_id, s.outcome, s.started_at, s.duration_ms, s.username, s.hostname, s.tags, s.command_kind \
             FROM scans s {where_} ORDER BY s.started_at DESC, s.id DESC LIMIT {limit} OFFSET {offset}"
        );
        let count_sql = format!("SELECT COUNT(*) FROM scans s {where_}");
        let (rows, total): (Vec<SummaryRow>, i64) = with_pool!(self, p => {
            let mut page = sqlx::query_as::<_, SummaryRow>(&page_sql);
            let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
            for (i, a) in args.iter().enumerate() {
                page = match a {
                    Arg::Text(s) => page.bind(s.as_str()),
                    Arg::Int(n) => page.bind(*n),
                };
                if i < filter_args {
                    count = match a {
                        Arg::Text(s) => count.bind(s.as_str()),
                        Arg::Int(n) => count.bind(*n),
                    };
                }
            }
            (page.fetch_all(p).await?, count.fetch_one(p).await?)
        });
        let base = base.trim_end_matches('/');
        let scans = rows
            .into_iter()
            .map(
                |(id, project, project_id, outcome, started, duration, user, host, tags, kind)| {
                    ScanSummary {
                        url: format!("{base}/s/{id}"),
                        id,
                        project,
                        project_id,
                        outcome,
                        started_at: millis(started).to_rfc3339(),
                        duration_ms: duration,
                        user,
                        host,
                        tags: serde_json::from_str(&tags).unwrap_or_default(),
                        command_kind: kind,
                    }
                },
            )
            .collect();
        Ok((scans, total))
    }
}

/// Creates an empty file readable and writable by its owner only (SQLite then fills it).
fn create_private(path: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(drop)
}

fn key_info(row: KeyRow) -> KeyInfo {
    let (key_id, user, perms, projects, created, expires, revoked) = row;
    KeyInfo {
        key_id,
        user,
        permissions: split_list(&perms).map(str::to_string).collect(),
        projects: split_list(&projects).map(str::to_string).collect(),
        created_at: secs(created),
        expires_at: expires.map(secs),
        revoked_at: revoked.map(secs),
    }
}

fn secs(t: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(t, 0).single().unwrap_or_default()
}

fn millis(t: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(t).single().unwrap_or_default()
}
