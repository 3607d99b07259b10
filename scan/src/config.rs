//! The scan configuration: the project file `.develocity.toml` (the counterpart of the
//! Develocity Python agent's `.develocity.py`) and the `DEVELOCITY_*` environment variables.
//!
//! A configuration problem never stops a run: an invalid file gives one warning naming the
//! file, line and key and the scan is then not published (it is still written locally); an
//! item over a limit is dropped with one warning naming it. Warnings never contain a secret.

use crate::model::{CustomValue, Link, Project};
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The project file's name, at the project root (the plugin crate's folder, or the folder
/// `scan record` runs in).
pub const FILE_NAME: &str = ".develocity.toml";
/// At most this many tags; later ones are dropped with a warning.
pub const MAX_TAGS: usize = 100;
/// A tag is at most this many characters.
pub const MAX_TAG_LEN: usize = 256;
/// At most this many links.
pub const MAX_LINKS: usize = 100;
/// At most this many custom values (Develocity's agents use the same figure).
pub const MAX_CUSTOM_VALUES: usize = 1_000;
/// Link names and custom value names are at most this many characters.
pub const MAX_NAME_LEN: usize = 1_000;
/// Custom values and link URLs are at most this many characters (Develocity's figure).
pub const MAX_VALUE_LEN: usize = 100_000;

/// The environment a configuration is read from: a snapshot of variable names and values.
pub type Env = BTreeMap<String, String>;

/// The process environment, as an [`Env`] (variables that are not UTF-8 are skipped).
pub fn process_env() -> Env {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}

/// How a user name or host name is recorded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Obfuscation {
    /// As it is.
    #[default]
    Keep,
    /// A SHA-256 hash of it (first 16 hex digits): stable, so scans of one user still group.
    Hash,
    /// Replaced by this text.
    Replace(String),
}

impl Obfuscation {
    /// Applies the obfuscation to `value`.
    pub fn apply(&self, value: Option<String>) -> Option<String> {
        use sha2::{Digest, Sha256};
        match self {
            Obfuscation::Keep => value,
            Obfuscation::Hash => value.map(|v| {
                let digest = Sha256::digest(v.as_bytes());
                digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
            }),
            Obfuscation::Replace(r) => Some(r.clone()),
        }
    }
}

/// The resolved configuration of one run.
#[derive(Debug, Clone, Default)]
pub struct ScanConfig {
    /// The project file that was read, if any.
    pub file: Option<PathBuf>,
    /// The server's base URL (`DEVELOCITY_URL` wins over the file's `server`).
    pub server: Option<String>,
    /// Access keys by exact host name, the environment's first (they win over the file's).
    pub access_keys: Vec<(String, String)>,
    /// The project name and id.
    pub project: Project,
    /// Tags, sorted (all-caps first, then alphabetical), unique.
    pub tags: Vec<String>,
    /// Links (http(s) only), names unique.
    pub links: Vec<Link>,
    /// Custom values, names unique.
    pub custom_values: Vec<CustomValue>,
    /// How the user name is recorded.
    pub username: Obfuscation,
    /// How the host name is recorded.
    pub hostname: Obfuscation,
    /// Whether a scan is recorded at all (`capture = false` switches it off).
    pub capture: bool,
    /// Whether publishing is switched on (`publish = false` switches it off).
    pub publish: bool,
    /// The file was present but invalid: the scan is not published.
    pub invalid_file: bool,
    /// Configuration problems, one line each, never containing a secret.
    pub warnings: Vec<String>,
}

impl ScanConfig {
    /// The server to publish to, when publishing is configured, switched on and the file
    /// (if any) was valid.
    pub fn publish_target(&self) -> Option<&str> {
        if self.publish && !self.invalid_file {
            self.server.as_deref()
        } else {
            None
        }
    }

    /// The access key for `url`: only one configured for exactly its host name.
    pub fn key_for(&self, url: &str) -> Option<&str> {
        let host = url::Url::parse(url).ok()?.host_str()?.to_ascii_lowercase();
        self.access_keys
            .iter()
            .find(|(h, _)| h.to_ascii_lowercase() == host)
            .map(|(_, k)| k.as_str())
    }

    /// Every access key: what redaction scrubs.
    pub fn secrets(&self) -> impl Iterator<Item = &str> {
        self.access_keys.iter().map(|(_, k)| k.as_str())
    }
}

/// The project file, as written. Strings keep their position for warnings.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct File {
    server: Option<Spanned<String>>,
    access_key: Option<Spanned<String>>,
    project_name: Option<Spanned<String>>,
    project_id: Option<Spanned<String>>,
    #[serde(default)]
    tags: Vec<Spanned<String>>,
    #[serde(default)]
    links: Ordered,
    #[serde(default)]
    custom_values: Ordered,
    #[serde(default)]
    obfuscation: FileObfuscation,
    capture: Option<bool>,
    publish: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileObfuscation {
    username: Option<Spanned<ObfuscationRaw>>,
    hostname: Option<Spanned<ObfuscationRaw>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ObfuscationRaw {
    Word(String),
    Replace { replace: String },
}

/// A TOML table of strings in document order (links and custom values keep their order).
#[derive(Default)]
struct Ordered(Vec<(String, Spanned<String>)>);

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table of strings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Spanned<String>>()? {
                    out.push((k, v));
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// Why the file is invalid: a message, and where.
struct Invalid {
    span: Option<std::ops::Range<usize>>,
    key: Option<String>,
    message: String,
}

/// Reads the configuration for a project rooted at `project_dir`, from its
/// [`FILE_NAME`] (when present) and `env`.
pub fn load(project_dir: &Path, env: &Env) -> ScanConfig {
    let mut cfg = ScanConfig {
        capture: true,
        publish: true,
        ..Default::default()
    };
    let path = project_dir.join(FILE_NAME);
    let mut file = File::default();
    if let Ok(text) = std::fs::read_to_string(&path) {
        cfg.file = Some(path.clone());
        match parse_file(&text, env) {
            Ok(f) => file = f,
            Err(e) => {
                cfg.invalid_file = true;
                let line = e
                    .span
                    .as_ref()
                    .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
                let key = e.key.or_else(|| {
                    e.span
                        .as_ref()
                        .and_then(|s| key_at(&text, s.start.min(text.len())))
                });
                cfg.warnings.push(format!(
                    "{}{}{}: {}; this Build Scan will not be published",
                    path.display(),
                    line.map(|l| format!(":{l}")).unwrap_or_default(),
                    key.map(|k| format!(": key `{k}`")).unwrap_or_default(),
                    e.message
                ));
            }
        }
    }
    let file_server = file.server.as_ref().map(|s| s.get_ref().clone());
    cfg.server = env
        .get("DEVELOCITY_URL")
        .filter(|u| !u.trim().is_empty())
        .cloned()
        .or(file_server.clone());
    if let Some(url) = &cfg.server {
        if !is_http_url(url) {
            // The URL itself is not echoed: it may carry credentials.
            let origin = if env.contains_key("DEVELOCITY_URL") {
                "DEVELOCITY_URL".to_string()
            } else {
                format!("{FILE_NAME} server")
            };
            cfg.warnings.push(format!(
                "{origin} is not an http(s) URL; this Build Scan will not be published"
            ));
            cfg.server = None;
        }
    }
    // Keys: the environment's, then the file's (which count for the file's server host, or
    // name their hosts themselves as `host=key;...`).
    if let Some(v) = env.get("DEVELOCITY_ACCESS_KEY") {
        parse_keys(v, "DEVELOCITY_ACCESS_KEY", None, &mut cfg);
    }
    if let Some(k) = &file.access_key {
        let file_host = file_server
            .as_deref()
            .and_then(|u| url::Url::parse(u).ok())
            .and_then(|u| u.host_str().map(str::to_string));
        parse_keys(
            k.get_ref(),
            &format!("{FILE_NAME} access_key"),
            file_host.as_deref(),
            &mut cfg,
        );
    }
    cfg.project = Project {
        name: file
            .project_name
            .map(|s| s.into_inner())
            .or_else(|| package_name(project_dir))
            .or_else(|| {
                project_dir
                    .canonicalize()
                    .ok()
                    .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            }),
        id: file.project_id.map(|s| s.into_inner()),
    };
    // Tags, links and values: the file's, then the environment's.
    let mut tags: Vec<String> = file.tags.into_iter().map(Spanned::into_inner).collect();
    let mut links: Vec<(String, String)> = file
        .links
        .0
        .into_iter()
        .map(|(k, v)| (k, v.into_inner()))
        .collect();
    let mut values: Vec<(String, String)> = file
        .custom_values
        .0
        .into_iter()
        .map(|(k, v)| (k, v.into_inner()))
        .collect();
    for (k, v) in env {
        if let Some(t) = k.strip_prefix("DEVELOCITY_TAG_") {
            if v.eq_ignore_ascii_case("true") {
                tags.push(t.to_string());
            }
        } else if let Some(n) = k.strip_prefix("DEVELOCITY_LINK_") {
            links.push((n.to_string(), v.clone()));
        } else if let Some(n) = k.strip_prefix("DEVELOCITY_VALUE_") {
            values.push((n.to_string(), v.clone()));
        }
    }
    cfg.tags = limit_tags(tags, &mut cfg.warnings);
    cfg.links = limit_links(links, &mut cfg.warnings);
    cfg.custom_values = limit_values(values, &mut cfg.warnings);
    if let Some(o) = file.obfuscation.username {
        cfg.username = obfuscation(o.into_inner());
    }
    if let Some(o) = file.obfuscation.hostname {
        cfg.hostname = obfuscation(o.into_inner());
    }
    cfg.capture = file.capture.unwrap_or(true);
    cfg.publish = file.publish.unwrap_or(true);
    cfg
}

fn obfuscation(raw: ObfuscationRaw) -> Obfuscation {
    match raw {
        ObfuscationRaw::Word(w) if w == "hash" => Obfuscation::Hash,
        ObfuscationRaw::Word(_) => Obfuscation::Keep,
        ObfuscationRaw::Replace { replace } => Obfuscation::Replace(replace),
    }
}

/// Parses and checks the file, expanding `${VAR}` in every string.
fn parse_file(text: &str, env: &Env) -> Result<File, Invalid> {
    let mut f: File = toml::from_str(text).map_err(|e| Invalid {
        span: e.span(),
        key: None,
        message: scrub_message(e.message()),
    })?;
    let expand = |s: &mut Spanned<String>, key: &str| -> Result<(), Invalid> {
        let span = s.span();
        let v = expand_vars(s.get_ref(), env).map_err(|var| Invalid {
            span: Some(span.clone()),
            key: Some(key.to_string()),
            message: format!("environment variable {var} is not set"),
        })?;
        *s = Spanned::new(span, v);
        Ok(())
    };
    for (key, field) in [
        ("server", &mut f.server),
        ("access_key", &mut f.access_key),
        ("project_name", &mut f.project_name),
        ("project_id", &mut f.project_id),
    ] {
        if let Some(s) = field {
            expand(s, key)?;
        }
    }
    for t in &mut f.tags {
        expand(t, "tags")?;
    }
    for (k, v) in &mut f.links.0 {
        expand(v, &format!("links.{k}"))?;
    }
    for (k, v) in &mut f.custom_values.0 {
        expand(v, &format!("custom_values.{k}"))?;
    }
    for (key, o) in [
        ("obfuscation.username", &f.obfuscation.username),
        ("obfuscation.hostname", &f.obfuscation.hostname),
    ] {
        if let Some(o) = o {
            if let ObfuscationRaw::Word(w) = o.get_ref() {
                if w != "hash" && w != "keep" {
                    return Err(Invalid {
                        span: Some(o.span()),
                        key: Some(key.into()),
                        message: "expected \"keep\", \"hash\" or { replace = \"...\" }".into(),
                    });
                }
            }
        }
    }
    Ok(f)
}

/// `${VAR}` replaced by the variable's value; `Err(VAR)` when it is not set.
fn expand_vars(s: &str, env: &Env) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        match after.find('}') {
            Some(j) => {
                let name = &after[..j];
                match env.get(name) {
                    Some(v) => out.push_str(v),
                    None => return Err(name.to_string()),
                }
                rest = &after[j + 1..];
            }
            None => {
                out.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The key named on the line holding byte `pos` (`name = ...`, or a `[table]` header).
fn key_at(text: &str, pos: usize) -> Option<String> {
    let start = text[..pos].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line = text[start..].lines().next().unwrap_or("").trim();
    let key = if line.starts_with('[') {
        line.trim_matches(|c| c == '[' || c == ']')
    } else {
        line.split('=').next()?.trim()
    };
    (!key.is_empty() && key.len() < 200).then(|| key.trim_matches('"').to_string())
}

/// A TOML error message without quoted text: a mistyped value may be a secret.
fn scrub_message(m: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    for c in m.chars() {
        if c == '"' {
            if quoted {
                out.push_str("\"…\"");
            }
            quoted = !quoted;
        } else if !quoted {
            out.push(c);
        }
    }
    out.lines().next().unwrap_or("").trim().to_string()
}

/// `host=key;host2=key2` (or a bare key for `default_host`); malformed entries are warned
/// about by position, never echoing the key.
fn parse_keys(v: &str, origin: &str, default_host: Option<&str>, cfg: &mut ScanConfig) {
    for (i, entry) in v.split(';').enumerate() {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        match entry.split_once('=') {
            Some((h, k)) if !h.trim().is_empty() && !k.trim().is_empty() => {
                cfg.access_keys
                    .push((h.trim().to_string(), k.trim().to_string()));
            }
            None if default_host.is_some() => {
                cfg.access_keys
                    .push((default_host.unwrap_or_default().to_string(), entry.into()));
            }
            _ => cfg.warnings.push(format!(
                "{origin}: entry {} is not `host=key`; it is ignored",
                i + 1
            )),
        }
    }
}

/// `package.name` of the Cargo.toml in `dir`.
fn package_name(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("Cargo.toml")).ok()?;
    let v: toml::Table = toml::from_str(&text).ok()?;
    v.get("package")?.get("name")?.as_str().map(str::to_string)
}

fn is_http_url(u: &str) -> bool {
    url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
}

/// Sorts tags as the report shows them: all-caps tags first, then alphabetical; unique.
pub fn sort_tags(tags: &mut Vec<String>) {
    let all_caps = |t: &str| t.chars().any(char::is_alphabetic) && t == t.to_uppercase();
    tags.sort_by(|a, b| {
        all_caps(b)
            .cmp(&all_caps(a))
            .then_with(|| a.to_lowercase().cmp(&b.to_lowercase()))
            .then_with(|| a.cmp(b))
    });
    tags.dedup();
}

/// A short, safe label of a configured item for a warning.
fn label(s: &str) -> String {
    let short: String = s.chars().take(40).collect();
    if short.len() < s.len() {
        format!("{short}…")
    } else {
        short
    }
}

fn limit_tags(tags: Vec<String>, warnings: &mut Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim().to_string();
        if t.is_empty() || out.contains(&t) {
            continue;
        }
        if t.chars().count() > MAX_TAG_LEN {
            warnings.push(format!(
                "tag `{}` is longer than {MAX_TAG_LEN} characters; it is dropped",
                label(&t)
            ));
        } else if out.len() >= MAX_TAGS {
            warnings.push(format!(
                "tag `{}` is over the limit of {MAX_TAGS} tags; it is dropped",
                label(&t)
            ));
        } else {
            out.push(t);
        }
    }
    sort_tags(&mut out);
    out
}

fn limit_links(links: Vec<(String, String)>, warnings: &mut Vec<String>) -> Vec<Link> {
    let mut out: Vec<Link> = Vec::new();
    for (name, url) in links {
        let problem = if name.chars().count() > MAX_NAME_LEN {
            Some(format!("its name is longer than {MAX_NAME_LEN} characters"))
        } else if url.chars().count() > MAX_VALUE_LEN {
            Some(format!("its URL is longer than {MAX_VALUE_LEN} characters"))
        } else if !is_http_url(&url) {
            Some("its URL is not http(s)".into())
        } else if out.len() >= MAX_LINKS && !out.iter().any(|l| l.name == name) {
            Some(format!("it is over the limit of {MAX_LINKS} links"))
        } else {
            None
        };
        match problem {
            Some(p) => warnings.push(format!("link `{}`: {p}; it is dropped", label(&name))),
            None => match out.iter_mut().find(|l| l.name == name) {
                Some(l) => l.url = url,
                None => out.push(Link { name, url }),
            },
        }
    }
    out
}

fn limit_values(values: Vec<(String, String)>, warnings: &mut Vec<String>) -> Vec<CustomValue> {
    let mut out: Vec<CustomValue> = Vec::new();
    for (name, value) in values {
        let problem = if name.chars().count() > MAX_NAME_LEN {
            Some(format!("its name is longer than {MAX_NAME_LEN} characters"))
        } else if value.chars().count() > MAX_VALUE_LEN {
            Some(format!(
                "its value is longer than {MAX_VALUE_LEN} characters"
            ))
        } else if out.len() >= MAX_CUSTOM_VALUES && !out.iter().any(|v| v.name == name) {
            Some(format!(
                "it is over the limit of {MAX_CUSTOM_VALUES} custom values"
            ))
        } else {
            None
        };
        match problem {
            Some(p) => warnings.push(format!(
                "custom value `{}`: {p}; it is dropped",
                label(&name)
            )),
            None => match out.iter_mut().find(|v| v.name == name) {
                Some(v) => v.value = value,
                None => out.push(CustomValue { name, value }),
            },
        }
    }
    out
}
