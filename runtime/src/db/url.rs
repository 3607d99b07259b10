//! Database URLs as DevLake and pydevlake write them.
//!
//! Accepted forms:
//! - SQLite: `sqlite://` and `sqlite+pysqlite:///:memory:` (in memory), `sqlite:///rel.db`
//!   (relative, SQLAlchemy style), `sqlite:////abs/path.db`, `sqlite:path.db`, `sqlite::memory:`;
//! - MySQL/MariaDB: `mysql://user:pass@host:3306/lake?charset=utf8mb4&parseTime=True&loc=UTC`
//!   (also `mysql+pymysql://`, `mariadb://`);
//! - PostgreSQL: `postgres://...` / `postgresql://...` (also `postgresql+psycopg2://`).
//!
//! Go-only parameters (`parseTime`, `loc`) are dropped, `tls` maps to the driver's SSL mode,
//! and anything else unknown is ignored with a debug log rather than passed blindly on.

use super::{DbError, Dialect};
use std::path::PathBuf;

/// A parsed database URL.
#[derive(Clone, PartialEq, Eq)]
pub enum DbUrl {
    /// SQLite file or memory.
    Sqlite {
        /// `None` for an in-memory database.
        path: Option<PathBuf>,
    },
    /// MySQL or MariaDB.
    MySql(ServerUrl),
    /// PostgreSQL.
    Postgres(ServerUrl),
}

/// Parts of a server URL.
#[derive(Clone, PartialEq, Eq)]
pub struct ServerUrl {
    /// Host.
    pub host: String,
    /// Port.
    pub port: u16,
    /// User.
    pub user: String,
    /// Password (never displayed).
    pub password: Option<String>,
    /// Database name.
    pub database: String,
    /// TLS: `None` leaves the driver default.
    pub tls: Option<String>,
    /// Character set (MySQL).
    pub charset: Option<String>,
}

impl std::fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl DbUrl {
    /// Parses a URL; the error names what is wrong without echoing a password.
    pub fn parse(raw: &str) -> Result<DbUrl, DbError> {
        let raw = raw.trim();
        // Messages never quote the URL, even redacted: a malformed one (`mysql:u:pw@h/x`)
        // has no reliable place for the password, so they name the problem only.
        let (scheme, rest) = raw.split_once(':').ok_or_else(|| {
            DbError::Url("db_url has no scheme (expected sqlite:, mysql:// or postgres://)".into())
        })?;
        let base = scheme
            .split('+')
            .next()
            .unwrap_or(scheme)
            .to_ascii_lowercase();
        match base.as_str() {
            "sqlite" | "sqlite3" => Ok(DbUrl::Sqlite {
                path: sqlite_path(rest),
            }),
            "mysql" | "mariadb" => Ok(DbUrl::MySql(server(raw, 3306)?)),
            "postgres" | "postgresql" | "pg" => Ok(DbUrl::Postgres(server(raw, 5432)?)),
            other => Err(DbError::Url(format!(
                "db_url: unsupported database URL scheme {} (expected sqlite, mysql or postgres)",
                shown_scheme(other)
            ))),
        }
    }

    /// The SQL dialect.
    pub fn dialect(&self) -> Dialect {
        match self {
            DbUrl::Sqlite { .. } => Dialect::Sqlite,
            DbUrl::MySql(_) => Dialect::MySql,
            DbUrl::Postgres(_) => Dialect::Postgres,
        }
    }

    /// The URL with the password replaced by `***`, for messages.
    pub fn redacted(&self) -> String {
        match self {
            DbUrl::Sqlite { path: None } => "sqlite::memory:".into(),
            DbUrl::Sqlite { path: Some(p) } => format!("sqlite:{}", p.display()),
            DbUrl::MySql(s) => format!("mysql://{}", s.redacted()),
            DbUrl::Postgres(s) => format!("postgres://{}", s.redacted()),
        }
    }
}

impl ServerUrl {
    fn redacted(&self) -> String {
        let auth = match &self.password {
            Some(_) => format!("{}:***@", self.user),
            None if self.user.is_empty() => String::new(),
            None => format!("{}@", self.user),
        };
        format!("{auth}{}:{}/{}", self.host, self.port, self.database)
    }
}

fn strip_query(s: &str) -> &str {
    s.split('?').next().unwrap_or(s)
}

fn sqlite_path(rest: &str) -> Option<PathBuf> {
    let rest = strip_query(rest);
    let path = if let Some(after) = rest.strip_prefix("//") {
        // SQLAlchemy: `sqlite://` + `/` + path; the path is relative unless it has its own
        // leading slash (`sqlite:////abs`).
        after.strip_prefix('/').unwrap_or(after)
    } else {
        rest
    };
    match path {
        "" | ":memory:" => None,
        p => Some(PathBuf::from(p)),
    }
}

/// A scheme for a message: quoted when it looks like one (letters, digits, `+-.`, at most
/// 20), else not shown, since text before the first `:` may be a user or a password.
fn shown_scheme(scheme: &str) -> String {
    let plausible = !scheme.is_empty()
        && scheme.len() <= 20
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if plausible {
        format!("{scheme:?}")
    } else {
        "(not shown)".into()
    }
}

fn server(raw: &str, default_port: u16) -> Result<ServerUrl, DbError> {
    let kind = if default_port == 3306 {
        "mysql"
    } else {
        "postgres"
    };
    let form = format!("expected {kind}://user:password@host:port/database");
    // url's messages name the problem (`invalid port number`), never the input.
    let parsed = url::Url::parse(raw)
        .map_err(|e| DbError::Url(format!("db_url is not a valid URL ({e}): {form}")))?;
    if !raw.contains("://") {
        return Err(DbError::Url(format!(
            "db_url has no `//` after the scheme: {form}"
        )));
    }
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let host = parsed.host_str().unwrap_or("").to_string();
    if host.is_empty() {
        return Err(DbError::Url(format!("db_url has no host: {form}")));
    }
    let mut out = ServerUrl {
        host,
        port: parsed.port().unwrap_or(default_port),
        user: decode(parsed.username()),
        password: parsed.password().map(decode),
        database: decode(parsed.path().trim_start_matches('/')),
        tls: None,
        charset: None,
    };
    if out.database.is_empty() {
        return Err(DbError::Url(format!("db_url names no database: {form}")));
    }
    for (k, v) in parsed.query_pairs() {
        match k.as_ref() {
            "parseTime" | "loc" => {} // Go driver options; meaningless here.
            "tls" | "sslmode" | "ssl-mode" | "ssl" => out.tls = Some(v.into_owned()),
            "charset" => out.charset = Some(v.into_owned()),
            other => tracing::debug!("ignoring db_url parameter {other:?}"),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_forms() {
        let p = |s: &str| match DbUrl::parse(s).unwrap() {
            DbUrl::Sqlite { path } => path.map(|p| p.display().to_string()),
            _ => panic!("not sqlite"),
        };
        assert_eq!(p("sqlite+pysqlite:///:memory:"), None);
        assert_eq!(p("sqlite://"), None);
        assert_eq!(p("sqlite::memory:"), None);
        assert_eq!(p("sqlite:////abs/x.db"), Some("/abs/x.db".into()));
        assert_eq!(p("sqlite:///rel/x.db"), Some("rel/x.db".into()));
        assert_eq!(
            p("sqlite:////abs/x.db?parseTime=True&loc=UTC"),
            Some("/abs/x.db".into())
        );
        assert_eq!(p("sqlite:x.db"), Some("x.db".into()));
    }

    #[test]
    fn server_forms_drop_go_params_and_hide_password() {
        let u = DbUrl::parse(
            "mysql://merico:merico@mysql:3306/lake?charset=utf8mb4&parseTime=True&loc=UTC",
        )
        .unwrap();
        assert_eq!(u.redacted(), "mysql://merico:***@mysql:3306/lake");
        match u {
            DbUrl::MySql(s) => {
                assert_eq!(s.charset.as_deref(), Some("utf8mb4"));
                assert_eq!(s.password.as_deref(), Some("merico"));
            }
            _ => panic!(),
        }
        let pg = DbUrl::parse("postgresql+psycopg2://u:p%40ss@h/db?tls=true").unwrap();
        assert_eq!(pg.redacted(), "postgres://u:***@h:5432/db");
        let err = DbUrl::parse("foo://u:hunter2@h/db")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unsupported database URL scheme \"foo\""),
            "{err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
    }

    /// Issue 12 item 5: a malformed URL is never echoed, redacted or not.
    #[test]
    fn malformed_urls_are_named_never_echoed() {
        for (raw, needle) in [
            ("mysql:u:PwLeak42@h/x", "no `//`"),
            ("postgres:u:PwLeak42@h/x", "no `//`"),
            ("u:PwLeak42@h/x", "unsupported database URL scheme \"u\""),
            ("PwLeak42@h", "no scheme"),
            ("mysql://u:PwLeak42@h:99999/x", "not a valid URL"),
            ("mysql://u:PwLeak42@/x", "empty host"),
            ("mysql://u:PwLeak42@h", "names no database"),
            ("x y:PwLeak42@h", "(not shown)"),
        ] {
            let err = DbUrl::parse(raw).unwrap_err().to_string();
            assert!(err.contains(needle), "{raw}: {err}");
            assert!(
                !err.contains("PwLeak42") && !err.contains("@h/"),
                "{raw}: {err}"
            );
        }
    }
}
