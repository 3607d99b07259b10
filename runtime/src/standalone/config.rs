//! The run file of a standalone run: connection, scopes and scope config in TOML, with
//! secrets from environment variables.
//!
//! ```toml
//! # plugin.toml
//! db = "sqlite:///devlake.db"          # optional; --db wins
//! project = "demo"                     # optional; --project wins: the DevLake project
//!                                       # whose dashboards show these scopes
//!
//! [connection]                          # the plugin's connection fields
//! id = 1                                # default 1
//! name = "my tool"                      # default "standalone"
//! endpoint = "https://tool.example.com/api/"
//! token = { env = "MY_TOKEN" }          # or: token = "${MY_TOKEN}"
//!
//! [scope_config]                        # optional; every entity by default
//! entities = ["CICD"]
//!
//! [[scopes]]                            # one or more; `id` is required
//! id = "p1"
//! name = "Project 1"                    # default: the id
//!
//! [options]                             # optional extra task options
//! ```
//!
//! Keys are checked against the plugin's models (snake_case or camelCase), so a typo is
//! an error naming the key and its table, not a silently ignored value. A missing
//! environment variable is an error naming the key and the variable; values are never
//! printed.

use crate::model::{Model, ModelDescriptor};
use crate::plugin::{Connection, Plugin, Scope, ScopeConfig};
use crate::{Error, Result};
use serde_json::{Map, Value as Json};
use std::path::Path;

const TOP_KEYS: [&str; 6] = [
    "db",
    "project",
    "connection",
    "scope_config",
    "scopes",
    "options",
];

/// A parsed run file: JSON as DevLake would send it, checked against the plugin's models.
/// Its `Debug` hides the database password and every connection value.
#[derive(Clone)]
pub struct RunFile {
    /// Database URL, when the file gives one.
    pub db: Option<String>,
    /// The DevLake project the scopes belong to, when the file names one.
    pub project: Option<String>,
    /// The connection (with `id` and `name`).
    pub connection: Json,
    /// The scope config (`null` when absent).
    pub scope_config: Json,
    /// The scopes (with `id`, `name` and `connectionId`).
    pub scopes: Vec<Json>,
    /// Extra task options.
    pub options: Map<String, Json>,
}

impl std::fmt::Debug for RunFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::protocol::host::{redacted_db_url, redacted_debug};
        f.debug_struct("RunFile")
            .field("db", &self.db.as_deref().map(redacted_db_url))
            .field(
                "connection",
                &format_args!("{}", redacted_debug(&self.connection)),
            )
            .field("scope_config", &self.scope_config)
            .field("scopes", &self.scopes)
            .field("options", &self.options)
            .field("project", &self.project)
            .finish()
    }
}

/// Reads a run file from disk and checks it against plugin `P`'s models.
pub fn load<P: Plugin>(path: &Path) -> Result<RunFile> {
    let label = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::input(format!("{label}: cannot read the run file: {e}")))?;
    parse::<P>(&label, &text, &|name| std::env::var(name).ok())
}

/// Parses a run file's text; `label` names it in errors and `env` resolves variables.
pub fn parse<P: Plugin>(
    label: &str,
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<RunFile> {
    let table: toml::Table = toml::from_str(text).map_err(|e| syntax_error(label, text, &e))?;
    for k in table.keys() {
        if !TOP_KEYS.contains(&k.as_str()) {
            return Err(unknown_key(label, k, &TOP_KEYS));
        }
    }
    let ctx = Ctx { label, env };
    let db = match table.get("db") {
        None => None,
        Some(v) => match ctx.json(v, "db")? {
            Json::String(s) if !s.is_empty() => Some(s),
            _ => {
                return Err(Error::input(format!(
                    "{label}: `db` must be a database URL string"
                )))
            }
        },
    };
    let project = match table.get("project") {
        None => None,
        Some(v) => match ctx.json(v, "project")? {
            Json::String(s) => {
                super::devlake::check_project_name(&s, &format!("{label}: `project`"))?;
                Some(s)
            }
            _ => {
                return Err(Error::input(format!(
                    "{label}: `project` must be a DevLake project name (a string)"
                )))
            }
        },
    };

    let mut connection = ctx.object(table.get("connection"), "connection")?.ok_or_else(|| {
        Error::input(format!("{label}: no [connection] table: give the connection's fields (see the run file format in docs/standalone.md)"))
    })?;
    ctx.check_keys("[connection]", &connection, P::Connection::descriptor())?;
    connection.entry("id").or_insert(1.into());
    connection.entry("name").or_insert("standalone".into());
    let connection = Json::Object(connection);
    let parsed = Connection::<P::Connection>::from_json(&connection)
        .map_err(|e| Error::input(format!("{label}: [connection]: {e}")))?;
    let connection_id = parsed.id;

    let scope_config = match ctx.object(table.get("scope_config"), "scope_config")? {
        None => Json::Null,
        Some(sc) => {
            ctx.check_keys("[scope_config]", &sc, P::ScopeConfig::descriptor())?;
            Json::Object(sc)
        }
    };
    ScopeConfig::<P::ScopeConfig>::from_json(&scope_config)
        .map_err(|e| Error::input(format!("{label}: [scope_config]: {e}")))?;

    let scopes = match table.get("scopes") {
        None => {
            return Err(Error::input(format!(
                "{label}: no [[scopes]]: add at least one scope with an `id`"
            )))
        }
        Some(toml::Value::Array(items)) if !items.is_empty() => items,
        Some(_) => {
            return Err(Error::input(format!(
                "{label}: `scopes` must be a non-empty array of tables ([[scopes]])"
            )))
        }
    };
    let mut out_scopes = Vec::with_capacity(scopes.len());
    let mut seen = std::collections::HashSet::new();
    for (i, s) in scopes.iter().enumerate() {
        let at = format!("scopes[{i}]");
        let mut obj = ctx.object(Some(s), &at)?.unwrap_or_default();
        ctx.check_keys(&at, &obj, P::ToolScope::descriptor())?;
        let id = match obj.get("id") {
            Some(Json::String(s)) if !s.is_empty() => s.clone(),
            // Integers are ids tools send as numbers; 1.5 or true is a mistake.
            Some(Json::Number(n)) if n.is_i64() || n.is_u64() => n.to_string(),
            Some(_) => {
                return Err(Error::input(format!(
                    "{label}: {at}: `id` must be a non-empty string"
                )))
            }
            None => return Err(Error::input(format!("{label}: {at} is missing `id`"))),
        };
        if !seen.insert(id.clone()) {
            return Err(Error::input(format!(
                "{label}: {at}: scope id {id:?} appears twice"
            )));
        }
        obj.insert("id".into(), id.clone().into());
        obj.entry("name").or_insert(id.into());
        if let Some(c) = connection_id {
            if !obj.contains_key("connection_id") {
                obj.entry("connectionId").or_insert(c.into());
            }
        }
        let scope = Json::Object(obj);
        Scope::<P::ToolScope>::from_json(&scope)
            .map_err(|e| Error::input(format!("{label}: {at}: {e}")))?;
        out_scopes.push(scope);
    }

    let options = ctx
        .object(table.get("options"), "options")?
        .unwrap_or_default();
    Ok(RunFile {
        db,
        project,
        connection,
        scope_config,
        scopes: out_scopes,
        options,
    })
}

/// A TOML syntax error as `file:line:col: message`, without the offending line (it may
/// hold a secret).
fn syntax_error(label: &str, text: &str, e: &toml::de::Error) -> Error {
    let at = match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before
                .rsplit('\n')
                .next()
                .map(|l| l.chars().count())
                .unwrap_or(0)
                + 1;
            format!("{label}:{line}:{col}")
        }
        None => label.to_string(),
    };
    let msg = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
    Error::input(format!("{at}: invalid TOML: {msg}"))
}

fn unknown_key(label: &str, key: &str, known: &[&str]) -> Error {
    let hint = closest(key, known)
        .map(|k| format!("; did you mean `{k}`?"))
        .unwrap_or_default();
    Error::input(format!(
        "{label}: unknown key `{key}` (expected one of: {}){hint}",
        known.join(", ")
    ))
}

/// The known name nearest to `key` within a small edit distance.
fn closest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    let norm = |s: &str| s.replace('_', "").to_ascii_lowercase();
    let k = norm(key);
    known
        .iter()
        .map(|c| (edit_distance(&k, &norm(c)), *c))
        .filter(|(d, _)| *d <= 2.max(k.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(row[j]).min(cur)
            };
            prev = cur;
        }
    }
    row[b.len()]
}

struct Ctx<'a> {
    label: &'a str,
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl Ctx<'_> {
    fn object(&self, v: Option<&toml::Value>, at: &str) -> Result<Option<Map<String, Json>>> {
        match v {
            None => Ok(None),
            // The table's own keys are fields, never an `{ env = ... }` reference (a scope
            // config may well have a field called `env`).
            Some(toml::Value::Table(t)) => {
                let mut m = Map::new();
                for (k, x) in t {
                    m.insert(k.clone(), self.json(x, &format!("{at}.{k}"))?);
                }
                Ok(Some(m))
            }
            Some(_) => Err(Error::input(format!(
                "{}: `{at}` must be a table",
                self.label
            ))),
        }
    }

    /// Converts TOML to JSON, resolving `{ env = "NAME" }` and `${NAME}`.
    fn json(&self, v: &toml::Value, at: &str) -> Result<Json> {
        Ok(match v {
            toml::Value::String(s) => Json::String(self.interpolate(s, at)?),
            toml::Value::Integer(i) => (*i).into(),
            toml::Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(Json::Number)
                .unwrap_or(Json::Null),
            toml::Value::Boolean(b) => (*b).into(),
            toml::Value::Datetime(d) => Json::String(d.to_string()),
            toml::Value::Array(items) => Json::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, x)| self.json(x, &format!("{at}[{i}]")))
                    .collect::<Result<_>>()?,
            ),
            toml::Value::Table(t) => {
                if t.len() == 1 {
                    if let Some(var) = t.get("env") {
                        let name = var.as_str().ok_or_else(|| {
                            Error::input(format!(
                                "{}: {at}: `env` must name an environment variable",
                                self.label
                            ))
                        })?;
                        return self.var(name, at).map(Json::String);
                    }
                }
                let mut m = Map::new();
                for (k, x) in t {
                    m.insert(k.clone(), self.json(x, &format!("{at}.{k}"))?);
                }
                Json::Object(m)
            }
        })
    }

    fn var(&self, name: &str, at: &str) -> Result<String> {
        if !crate::checks::rules::is_identifier(name) {
            return Err(Error::input(format!(
                "{}: {at}: {name:?} is not an environment variable name",
                self.label
            )));
        }
        (self.env)(name).ok_or_else(|| {
            Error::input(format!(
                "{}: {at}: environment variable {name} is not set",
                self.label
            ))
        })
    }

    /// Replaces each `${NAME}` with the variable's value; `$${` stays a literal `${`.
    fn interpolate(&self, s: &str, at: &str) -> Result<String> {
        if !s.contains("${") {
            return Ok(s.to_string());
        }
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(i) = rest.find("${") {
            if rest[..i].ends_with('$') {
                out.push_str(&rest[..i - 1]);
                out.push_str("${");
                rest = &rest[i + 2..];
                continue;
            }
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let end = after.find('}').ok_or_else(|| {
                Error::input(format!(
                    "{}: {at}: `${{` without a closing `}}`",
                    self.label
                ))
            })?;
            out.push_str(&self.var(&after[..end], at)?);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Every key must be a column of the model (snake_case or camelCase).
    fn check_keys(
        &self,
        at: &str,
        obj: &Map<String, Json>,
        desc: &'static ModelDescriptor,
    ) -> Result<()> {
        let cols = desc.columns();
        let mut known: Vec<&str> = Vec::new();
        for c in &cols {
            known.push(c.name);
            if c.json_name != c.name {
                known.push(c.json_name);
            }
        }
        for k in obj.keys() {
            if !known.contains(&k.as_str()) {
                let names: Vec<&str> = cols
                    .iter()
                    .filter(|c| !c.name.starts_with('_'))
                    .map(|c| c.name)
                    .collect();
                let hint = closest(k, &known)
                    .map(|c| format!("; did you mean `{c}`?"))
                    .unwrap_or_default();
                return Err(Error::input(format!(
                    "{}: {at}: unknown key `{k}`: {} has {}{hint}",
                    self.label,
                    desc.name,
                    names.join(", ")
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation_and_distance() {
        let env = |n: &str| (n == "T").then(|| "v".to_string());
        let ctx = Ctx {
            label: "f",
            env: &env,
        };
        assert_eq!(ctx.interpolate("a${T}b$${T}", "k").unwrap(), "avb${T}");
        let e = ctx
            .interpolate("${NOPE}", "connection.token")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "f: connection.token: environment variable NOPE is not set"
        );
        assert_eq!(closest("tokn", &["token", "name"]), Some("token"));
        assert_eq!(closest("conection", &TOP_KEYS), Some("connection"));
        assert_eq!(closest("zzzzzz", &["token"]), None);
    }

    /// Issue 12 item 7: `Debug` of a run file shows neither the password nor the token.
    #[test]
    fn debug_hides_db_password_and_connection_values() {
        let file = RunFile {
            db: Some("mysql://u:PwLeak42@127.0.0.1:3306/lake".into()),
            connection: serde_json::json!({"id": 1, "token": "TokLeak42"}),
            scope_config: Json::Null,
            scopes: vec![serde_json::json!({"id": "p1"})],
            options: Map::new(),
            project: Some("demo".into()),
        };
        let shown = format!("{file:?} {file:#?}");
        assert!(
            !shown.contains("PwLeak42") && !shown.contains("TokLeak42"),
            "{shown}"
        );
        assert!(
            shown.contains("mysql://u:***@127.0.0.1:3306/lake"),
            "{shown}"
        );
        assert!(shown.contains("\"token\": ****"), "{shown}");
    }
}
