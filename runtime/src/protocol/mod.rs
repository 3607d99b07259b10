//! The command line DevLake calls: `run.sh <method> <config> <json-arg>...`.
//!
//! Every argument is JSON (strings quoted, as Go's `json.Marshal` writes them); the first
//! is the remote config `{"log_level":"info"}`. Results go to fd 3, one JSON message per
//! line; logs go to stdout (below ERROR) and stderr (ERROR). Bad input gets one line on
//! stderr naming what is wrong and where, a non-zero exit (2 for a usage error, 1 for
//! anything else), and nothing on fd 3.
//!
//! Set `DEVLAKE_DEBUG_WAIT=1` to make a plugin process print its pid on stderr and stop
//! itself (SIGSTOP) before doing anything: attach a debugger
//! (`gdb -p <pid>` / `lldb -p <pid>` / your IDE), set breakpoints, then continue.

pub(crate) mod host;
pub(crate) mod logging;
mod output;

pub use host::{PluginHost, TaskContext};
pub(crate) use output::Output;

use crate::plugin::{Plugin, PluginMeta};
use crate::stream::{Progress, Verb};
use crate::{Error, Result};
use serde_json::Value as Json;
use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;

/// A protocol method and the names of its arguments after the config.
struct Method {
    name: &'static str,
    args: &'static [&'static str],
    optional: usize,
    help: &'static str,
}

const METHODS: &[Method] = &[
    Method {
        name: "plugin-info",
        args: &[],
        optional: 0,
        help: "Describe the plugin: models, subtasks, migrations",
    },
    Method {
        name: "test-connection",
        args: &["connection"],
        optional: 0,
        help: "Check a connection's credentials",
    },
    Method {
        name: "remote-scopes",
        args: &["connection", "group_id"],
        optional: 1,
        help: "List scope groups, or the scopes of one group",
    },
    Method {
        name: "make-pipeline",
        args: &["scope_config_pairs", "connection"],
        optional: 0,
        help: "Plan a pipeline for [[scope, scope_config], ...]",
    },
    Method {
        name: "collect",
        args: &["context", "stream"],
        optional: 0,
        help: "Collect a stream's raw data",
    },
    Method {
        name: "extract",
        args: &["context", "stream"],
        optional: 0,
        help: "Extract raw data into tool rows",
    },
    Method {
        name: "convert",
        args: &["context", "stream"],
        optional: 0,
        help: "Convert tool rows into domain rows",
    },
];

/// A failure with its exit code.
#[derive(Debug)]
pub struct Failure {
    /// Exit code: 2 for usage errors, 1 otherwise.
    pub code: i32,
    /// The error.
    pub error: Error,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure { code: 1, error }
    }
}

fn usage(msg: impl std::fmt::Display) -> Failure {
    Failure {
        code: 2,
        error: Error::input(msg),
    }
}

fn help(name: &str, meta: &PluginMeta) -> String {
    let mut s = format!(
        "{name} {} - an Apache DevLake data-source plugin (devlake-rs)\n\n\
         USAGE: run.sh <method> <config> <json-arg>...\n\n\
         Every argument is JSON; <config> is DevLake's remote config, e.g. '{{\"log_level\":\"info\"}}'.\n\
         Results go to file descriptor 3, one JSON message per line: add 3>&1 to see them.\n\nMETHODS:\n",
        meta.version
    );
    for m in METHODS {
        let args: Vec<String> = m
            .args
            .iter()
            .enumerate()
            .map(|(i, a)| {
                if i >= m.args.len() - m.optional {
                    format!("[{a}]")
                } else {
                    format!("<{a}>")
                }
            })
            .collect();
        s.push_str(&format!(
            "  {:<16} <config> {:<34} {}\n",
            m.name,
            args.join(" "),
            m.help
        ));
    }
    s.push_str(
        "\nEXAMPLE:\n  ./run.sh collect '{\"log_level\":\"info\"}' \\\n    '{\"db_url\":\"sqlite:////tmp/lake.db\",\"connection\":{...},\"scope\":{...},\"scope_config\":{...}}' '\"<stream>\"' 3>&1\n\n\
         ENVIRONMENT:\n  DEVLAKE_DEBUG_WAIT=1   print the pid on stderr and stop until a debugger continues the process\n",
    );
    s
}

fn parse_arg(method: &str, index: usize, name: &str, raw: &str) -> Result<Json, Failure> {
    serde_json::from_str(raw).map_err(|e| {
        // Never echo the argument: it may hold a password or a token (a context carries the
        // database URL and the connection). Name the argument and the place instead.
        Failure::from(Error::input(format!(
            "{method}: argument {index} <{name}> is not valid JSON: {}; every argument is JSON, \
             so strings are quoted, e.g. '\"value\"'",
            json_error_place(&e)
        )))
    })
}

/// What a JSON syntax error is and where (`line L column C`), without any of the input.
/// For syntax errors serde_json's message is one of its fixed phrases (`expected value`,
/// `trailing characters`...); anything else is named by category only, so no wording can
/// carry input text.
pub(crate) fn json_error_place(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let at = format!(" at line {} column {}", e.line(), e.column());
    let what = match e.classify() {
        Category::Eof => "unexpected end of input".to_string(),
        Category::Syntax => {
            let text = e.to_string();
            let phrase = text.strip_suffix(&at).unwrap_or("syntax error");
            // The fixed phrases are short words; anything else is not trusted.
            if phrase.len() <= 60 && !phrase.contains(['"', '\'', '`']) {
                phrase.to_string()
            } else {
                "syntax error".to_string()
            }
        }
        Category::Data => "unexpected data".to_string(),
        Category::Io => "read error".to_string(),
    };
    format!("{what}{at}")
}

/// Absolute path of `run.sh`: `$DEVLAKE_PLUGIN_DIR`, else the working directory (DevLake
/// runs plugins from their folder), else the crate folder the plugin was built from.
fn plugin_path(meta: &PluginMeta) -> Result<String> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Ok(d) = std::env::var("DEVLAKE_PLUGIN_DIR") {
        candidates.push(PathBuf::from(d).join("run.sh"));
    }
    if let Ok(cwd) = std::env::current_dir() {
        candidates.push(cwd.join("run.sh"));
    }
    candidates.push(PathBuf::from(meta.manifest_dir).join("run.sh"));
    for c in &candidates {
        if c.is_file() {
            use std::os::unix::fs::PermissionsExt;
            let exec = c
                .metadata()
                .map(|m| m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false);
            if !exec {
                return Err(Error::input(format!(
                    "{} is not executable (chmod +x it): DevLake runs plugins through it",
                    c.display()
                )));
            }
            let abs = std::fs::canonicalize(c).unwrap_or_else(|_| c.clone());
            return Ok(abs.display().to_string());
        }
    }
    Err(Error::input(format!(
        "run.sh not found (looked in {}): DevLake discovers and runs plugins through it",
        candidates
            .iter()
            .map(|c| c.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

/// Runs the protocol for `args` (without the program name); returns the exit code.
/// [`crate::entry::run`] calls this for every command but `standalone`.
pub fn run<P: Plugin>(plugin: P, meta: PluginMeta, args: Vec<String>) -> i32 {
    exit_code(dispatch(plugin, meta, args))
}

/// The exit code of a command's outcome, its error printed on stderr as one line.
pub(crate) fn exit_code(outcome: Result<(), Failure>) -> i32 {
    match outcome {
        Ok(()) => 0,
        Err(f) => {
            let msg = f
                .error
                .to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            eprintln!("error: {msg}");
            f.code
        }
    }
}

fn dispatch<P: Plugin>(plugin: P, meta: PluginMeta, args: Vec<String>) -> Result<(), Failure> {
    let host = PluginHost::new(plugin, meta);
    let Some(first) = args.first() else {
        print!("{}", help(host.name(), &meta));
        return Ok(());
    };
    match first.as_str() {
        "-h" | "--help" | "help" => {
            print!("{}", help(host.name(), &meta));
            return Ok(());
        }
        "-V" | "--version" => {
            println!("{} {}", host.name(), meta.version);
            return Ok(());
        }
        _ => {}
    }
    let method_name = first.replace('_', "-");
    let method = METHODS
        .iter()
        .find(|m| m.name == method_name)
        .ok_or_else(|| {
            usage(format!(
                "unknown method {first:?} (expected one of: {}; see --help)",
                METHODS
                    .iter()
                    .map(|m| m.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
    let rest = &args[1..];
    let (min, max) = (
        1 + method.args.len() - method.optional,
        1 + method.args.len(),
    );
    if rest.len() < min || rest.len() > max {
        let names: Vec<String> = std::iter::once("<config>".to_string())
            .chain(method.args.iter().map(|a| format!("<{a}>")))
            .collect();
        return Err(usage(format!(
            "{} takes {} arguments ({}), got {}",
            method.name,
            if min == max {
                min.to_string()
            } else {
                format!("{min} or {max}")
            },
            names.join(" "),
            rest.len()
        )));
    }
    let config = parse_arg(method.name, 1, "config", &rest[0])?;
    let config = config.as_object().ok_or_else(|| {
        usage(format!(
            "{}: argument 1 <config> must be a JSON object like {{\"log_level\":\"info\"}}, got {}",
            method.name,
            crate::model::json_kind(&config)
        ))
    })?;
    logging::init(logging::parse_level(
        config.get("log_level").and_then(Json::as_str),
    ));
    let mut parsed = Vec::new();
    for (i, (raw, name)) in rest[1..].iter().zip(method.args).enumerate() {
        parsed.push(parse_arg(method.name, i + 2, name, raw)?);
    }
    if std::env::var("DEVLAKE_DEBUG_WAIT")
        .map(|v| !v.is_empty() && v != "0")
        .unwrap_or(false)
    {
        eprintln!(
            "{}: waiting for a debugger: pid {} (attach, then continue)",
            host.name(),
            std::process::id()
        );
        // SAFETY: raising SIGSTOP on ourselves; the debugger (or `kill -CONT`) resumes us.
        unsafe {
            libc::raise(libc::SIGSTOP);
        }
    }
    let mut out = Output::fd3().ok_or_else(|| {
        Failure::from(Error::input("fd 3 is not open: DevLake reads results from file descriptor 3 (add 3>&1 to see them on a terminal)"))
    })?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::from(Error::from(e)))?;
    rt.block_on(call(&host, method.name, &parsed, &mut out))
}

fn json_str<'a>(method: &str, index: usize, name: &str, v: &'a Json) -> Result<&'a str, Failure> {
    v.as_str().ok_or_else(|| {
        usage(format!(
            "{method}: argument {index} <{name}> must be a JSON string like '\"value\"', got {}",
            crate::model::json_kind(v)
        ))
    })
}

async fn call<P: Plugin>(
    host: &PluginHost<P>,
    method: &str,
    args: &[Json],
    out: &mut Output,
) -> Result<(), Failure> {
    let io = |e: std::io::Error| Failure::from(Error::from(e));
    match method {
        "plugin-info" => {
            let info = host.plugin_info(plugin_path(host.meta())?);
            out.send(&info).map_err(io)?;
        }
        "test-connection" => {
            let r = host.test_connection(&args[0]).await?;
            out.send(&r).map_err(io)?;
        }
        "remote-scopes" => {
            let group = match args.get(1) {
                None | Some(Json::Null) => "",
                Some(v) => json_str(method, 3, "group_id", v)?,
            };
            for node in host.remote_scopes(&args[0], group).await? {
                out.send(&node).map_err(io)?;
            }
        }
        "make-pipeline" => {
            let data = host.make_pipeline(&args[0], &args[1])?;
            out.send(&data).map_err(io)?;
        }
        verb_name => {
            let verb = Verb::from_entry_point(verb_name)
                .expect("methods table lists only the three verbs");
            let stream = json_str(method, 3, "stream", &args[1])?;
            let task = TaskContext::from_json(&args[0])?;
            let mut ctx = host.context(&task, stream)?;
            let mut db = crate::db::Db::connect(&task.db_url)
                .await
                .map_err(Error::from)?;
            let out = Rc::new(RefCell::new(std::mem::replace(out, Output::memory().0)));
            let sink = out.clone();
            let failed = Rc::new(RefCell::new(None));
            let failed2 = failed.clone();
            let mut progress = Progress::new(move |p| {
                if let Err(e) = sink.borrow_mut().send(&p) {
                    failed2.borrow_mut().get_or_insert(e);
                }
            });
            host.run_subtask(verb, stream, &mut ctx, &mut db, &mut progress)
                .await?;
            let failure = failed.borrow_mut().take();
            if let Some(e) = failure {
                return Err(io(e));
            }
        }
    }
    Ok(())
}
