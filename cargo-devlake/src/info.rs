//! `cargo devlake info`: what a plugin declares (its plugin-info), readable.

use crate::run::plugin::{CrateArgs, Profile};
use anyhow::Result;
use devlake::migration::column_name;
use devlake::model::ModelInfo;
use devlake::plugin::PluginInfo;
use serde_json::Value as Json;
use std::fmt::Write as _;

/// Arguments of `cargo devlake info`.
#[derive(Debug, clap::Args)]
pub struct InfoArgs {
    #[command(flatten)]
    pub krate: CrateArgs,
    /// Print plugin-info as JSON, exactly as DevLake receives it.
    #[arg(long)]
    pub json: bool,
    /// Build in release mode.
    #[arg(long)]
    pub release: bool,
}

/// Runs `cargo devlake info`.
pub fn run(args: InfoArgs) -> Result<()> {
    let krate = args.krate.locate()?;
    let exe = krate.build(if args.release {
        Profile::Release
    } else {
        Profile::Debug
    })?;
    let info = krate.plugin_info(&exe)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&info)?);
    } else {
        print!("{}", render(&info));
    }
    Ok(())
}

fn column_type(spec: &Json) -> String {
    let t = spec.get("type").and_then(Json::as_str).unwrap_or("?");
    let format = spec.get("format").and_then(Json::as_str);
    let max = spec.get("maxLength").and_then(Json::as_u64);
    let mut s = match (t, format, max) {
        ("string", Some("date-time"), _) => "datetime".to_string(),
        ("string", Some("password"), _) => "secret".to_string(),
        ("string", _, Some(n)) if n <= 255 => format!("varchar({n})"),
        ("string", _, _) if spec.get("primaryKey") == Some(&Json::Bool(true)) => {
            "varchar(255)".to_string()
        }
        ("string", _, _) => "text".to_string(),
        (t, _, _) => t.to_string(),
    };
    if let Some(Json::Array(values)) = spec.get("enum") {
        let v: Vec<&str> = values.iter().filter_map(Json::as_str).collect();
        let _ = write!(s, " {{{}}}", v.join(", "));
    }
    s
}

fn model(out: &mut String, title: &str, m: &ModelInfo) {
    let _ = writeln!(out, "\n{title}  (table {})", m.table_name);
    let required: Vec<&str> = m
        .json_schema
        .get("required")
        .and_then(Json::as_array)
        .map(|r| r.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default();
    let Some(props) = m.json_schema.get("properties").and_then(Json::as_object) else {
        let _ = writeln!(out, "  (no properties)");
        return;
    };
    let width = props
        .keys()
        .map(|k| column_name(k).len())
        .max()
        .unwrap_or(0)
        .max(6);
    for (name, spec) in props {
        let mut flags = Vec::new();
        if spec.get("primaryKey") == Some(&Json::Bool(true)) {
            flags.push("key");
        }
        if spec.get("autoIncrement") == Some(&Json::Bool(true)) {
            flags.push("auto-increment");
        }
        if required.contains(&name.as_str()) {
            flags.push("required");
        }
        let line = format!(
            "  {:<width$}  {:<16} {}",
            column_name(name),
            column_type(spec),
            flags.join(", ")
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

/// plugin-info as text: streams and their subtasks, models with their columns and tables,
/// migrations.
pub fn render(info: &PluginInfo) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}: {}", info.name, info.description);
    let path = if info.plugin_path.is_empty() {
        "(run.sh not found)"
    } else {
        info.plugin_path.as_str()
    };
    let _ = writeln!(out, "plugin path: {path}");

    let mut streams: Vec<(String, Vec<&str>, Vec<String>)> = Vec::new();
    for m in &info.subtask_metas {
        let stream = m.arguments.first().cloned().unwrap_or_default();
        match streams.iter_mut().find(|(s, _, _)| *s == stream) {
            Some((_, subtasks, _)) => subtasks.push(&m.name),
            None => streams.push((stream, vec![&m.name], m.domain_types.clone())),
        }
    }
    let _ = writeln!(out, "\nStreams ({})", streams.len());
    for (stream, subtasks, domains) in &streams {
        let _ = writeln!(
            out,
            "  {stream}  [{}]  raw table _raw_{}_{stream}",
            domains.join(", "),
            info.name
        );
        let _ = writeln!(out, "    subtasks: {}", subtasks.join(", "));
    }

    model(&mut out, "Connection", &info.connection_model_info);
    model(&mut out, "Scope", &info.scope_model_info);
    model(&mut out, "Scope config", &info.scope_config_model_info);
    for m in &info.tool_model_infos {
        let title = m
            .json_schema
            .get("title")
            .and_then(Json::as_str)
            .unwrap_or("?");
        model(&mut out, &format!("Tool model {title}"), m);
    }

    let _ = writeln!(out, "\nMigrations ({})", info.migration_scripts.len());
    for s in &info.migration_scripts {
        let ops: Vec<String> = s.operations.iter().map(|o| o.summary()).collect();
        let _ = writeln!(out, "  {}  {}", s.version, s.name);
        for o in ops {
            let _ = writeln!(out, "    {o}");
        }
    }
    out
}
