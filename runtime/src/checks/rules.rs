//! The rules DevLake's Go server applies to what a remote plugin declares, as checks that
//! return every problem found (each one line naming where it is), so a plugin learns at
//! `cargo test` time what would otherwise break when DevLake loads it.
//!
//! Sources of the rules: the loader that turns plugin-info schemas into Go structs
//! (`backend/server/services/remote/models/conversion.go`), the domain-scope loader
//! (`dynamic_domain_scopes.go`), MySQL's 64-character identifier limit, and pydevlake's
//! `pydevlake.testing` checks.

use crate::domain::DomainType;
use crate::migration::{MigrationScript, Operation};
use crate::model::ModelInfo;
use crate::plugin::{PipelineData, PluginInfo, SubtaskMeta};
use crate::stream::Verb;
use serde_json::Value as Json;
use std::collections::{BTreeSet, HashSet};

/// JSON-schema `type`s the Go loader turns into columns.
pub const SCHEMA_TYPES: [&str; 6] = ["integer", "number", "boolean", "string", "array", "object"];

/// Schema keywords the Go loader cannot follow (a generator's defaults produce them).
const FORBIDDEN_KEYWORDS: [&str; 7] = [
    "$ref",
    "anyOf",
    "oneOf",
    "allOf",
    "not",
    "definitions",
    "$defs",
];

/// Domain-scope type names DevLake's server can load (`newScopeByTypeName`).
pub const DOMAIN_SCOPE_TYPES: [&str; 4] = ["Repo", "Board", "CicdScope", "CqProject"];

/// The longest table or column name MySQL accepts.
pub const MAX_IDENTIFIER: usize = 64;

/// Whether `s` is an ASCII identifier (`[A-Za-z_][A-Za-z0-9_]*`).
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A plugin name DevLake can route and name tables after: lowercase ASCII letters, digits
/// and `_`, starting with a letter (pydevlake requires alphanumeric names).
pub fn plugin_name(name: &str) -> Result<(), String> {
    let ok = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "plugin name {name:?} must be lowercase ASCII letters, digits and '_', starting with a letter (set Plugin::NAME)"
        ))
    }
}

fn table_name(role: &str, table: &str, problems: &mut Vec<String>) {
    if table.is_empty() {
        problems.push(format!("{role}: table_name is empty"));
    } else if !is_identifier(table) {
        problems.push(format!(
            "{role}: table name {table:?} is not an identifier ([A-Za-z_][A-Za-z0-9_]*)"
        ));
    } else if table.len() > MAX_IDENTIFIER {
        problems.push(format!(
            "{role}: table name {table:?} has {} characters; MySQL allows {MAX_IDENTIFIER}",
            table.len()
        ));
    }
}

fn forbidden_keywords(at: &str, obj: &serde_json::Map<String, Json>, problems: &mut Vec<String>) {
    for k in FORBIDDEN_KEYWORDS {
        if obj.contains_key(k) {
            problems.push(format!("{at}: has `{k}`, which DevLake's schema loader cannot follow (inline the definition)"));
        }
    }
}

/// Checks one model info (`{"json_schema", "table_name"}`) against DevLake's loader.
/// `role` names it in messages (`connection`, `tool model FakePipeline`); `tool` requires
/// a primary key of the model's own besides `connectionId`; `uri_ok` lists properties
/// allowed `format: uri` (the connection's framework-declared `proxy`, as pydevlake has it).
pub fn model_info(role: &str, info: &ModelInfo, tool: bool, uri_ok: &[&str]) -> Vec<String> {
    let mut problems = Vec::new();
    table_name(role, &info.table_name, &mut problems);
    let Some(schema) = info.json_schema.as_object() else {
        problems.push(format!("{role}: json_schema is not a JSON object"));
        return problems;
    };
    forbidden_keywords(&format!("{role} schema"), schema, &mut problems);
    let props = match schema.get("properties") {
        Some(Json::Object(p)) if !p.is_empty() => p,
        Some(Json::Object(_)) => {
            problems.push(format!("{role}: schema has no properties"));
            return problems;
        }
        _ => {
            problems.push(format!("{role}: schema has no `properties` object"));
            return problems;
        }
    };
    let mut go_names = HashSet::new();
    let mut own_key = false;
    for (name, spec) in props {
        let at = format!("{role}: property `{name}`");
        if !is_identifier(name) {
            problems.push(format!("{at}: name is not an identifier ([A-Za-z_][A-Za-z0-9_]*); DevLake makes a Go field of it"));
        } else if name.len() > MAX_IDENTIFIER {
            problems.push(format!(
                "{at}: name has {} characters; MySQL allows {MAX_IDENTIFIER}",
                name.len()
            ));
        }
        let mut upper = name.clone();
        if let Some(first) = upper.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        if !go_names.insert(upper) {
            problems.push(format!(
                "{at}: another property differs only by the case of its first letter"
            ));
        }
        let Some(spec) = spec.as_object() else {
            problems.push(format!("{at}: is not a JSON object"));
            continue;
        };
        forbidden_keywords(&at, spec, &mut problems);
        match spec.get("type") {
            Some(Json::String(t)) if SCHEMA_TYPES.contains(&t.as_str()) => {}
            Some(Json::String(t)) => {
                problems.push(format!("{at}: type {t:?} is not one of {}", SCHEMA_TYPES.join(", ")))
            }
            Some(Json::Array(_)) => problems.push(format!(
                "{at}: `type` is an array; DevLake needs exactly one string type (make the field non-null or drop \"null\")"
            )),
            Some(_) => problems.push(format!("{at}: `type` must be a string")),
            None => problems.push(format!("{at}: has no `type`; DevLake needs one of {}", SCHEMA_TYPES.join(", "))),
        }
        match spec.get("format") {
            None => {}
            Some(Json::String(f)) if f == "date-time" || f == "password" => {}
            Some(Json::String(f)) if f == "uri" && uri_ok.contains(&name.as_str()) => {}
            Some(Json::String(f)) => problems.push(format!(
                "{at}: format {f:?} is not one DevLake understands (date-time, password)"
            )),
            Some(_) => problems.push(format!("{at}: `format` must be a string")),
        }
        for flag in ["primaryKey", "autoIncrement"] {
            if let Some(v) = spec.get(flag) {
                if !v.is_boolean() {
                    problems.push(format!("{at}: `{flag}` must be true or false"));
                }
            }
        }
        if let Some(v) = spec.get("maxLength") {
            if v.as_u64().is_none_or(|n| n == 0) {
                problems.push(format!("{at}: `maxLength` must be a positive integer"));
            }
        }
        if tool && name != "connectionId" && spec.get("primaryKey") == Some(&Json::Bool(true)) {
            own_key = true;
        }
    }
    if tool && !own_key {
        problems.push(format!(
            "{role}: no primary key besides connectionId (mark the tool's id with #[devlake(primary_key)])"
        ));
    }
    match schema.get("required") {
        None => {}
        Some(Json::Array(items)) => {
            for item in items {
                match item.as_str() {
                    Some(r) if props.contains_key(r) => {}
                    Some(r) => problems.push(format!(
                        "{role}: required property `{r}` is not in properties"
                    )),
                    None => problems.push(format!("{role}: `required` holds a non-string")),
                }
            }
        }
        Some(_) => problems.push(format!(
            "{role}: `required` must be an array of property names"
        )),
    }
    problems
}

/// Every model info of a plugin-info: connection, scope, scope config, tool models.
pub fn plugin_info_models(info: &PluginInfo) -> Vec<(String, Vec<String>)> {
    let mut out = vec![
        (
            "connection schema".to_string(),
            model_info("connection", &info.connection_model_info, false, &["proxy"]),
        ),
        (
            "scope schema".to_string(),
            model_info("scope", &info.scope_model_info, false, &[]),
        ),
        (
            "scope config schema".to_string(),
            model_info("scope config", &info.scope_config_model_info, false, &[]),
        ),
    ];
    for m in &info.tool_model_infos {
        let title = m
            .json_schema
            .get("title")
            .and_then(Json::as_str)
            .unwrap_or(&m.table_name)
            .to_string();
        out.push((
            format!("tool model {title} schema"),
            model_info(&format!("tool model {title}"), m, true, &[]),
        ));
    }
    out
}

/// Streams: at least one, unique names usable in raw table names.
pub fn streams(plugin: &str, names: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    if names.is_empty() {
        problems.push("the plugin has no stream (Plugin::streams returns none)".to_string());
    }
    let mut seen = HashSet::new();
    for n in names {
        if !seen.insert(n) {
            problems.push(format!(
                "stream name {n:?} is used twice (override Stream::name)"
            ));
        }
        let raw = crate::stream::raw_table_name(plugin, n);
        if !is_identifier(n) {
            problems.push(format!(
                "stream name {n:?} is not an identifier; it names table {raw:?}"
            ));
        } else if raw.len() > MAX_IDENTIFIER {
            problems.push(format!(
                "stream {n:?}: raw table {raw:?} has {} characters; MySQL allows {MAX_IDENTIFIER}",
                raw.len()
            ));
        }
    }
    problems
}

/// Subtask metadata: three per stream, `Collect X`/`Extract X`/`Convert X` in that
/// order, entry points `collect`/`extract`/`convert`, `arguments: [stream]`, a
/// description and known domain types.
pub fn subtask_metas(metas: &[SubtaskMeta], streams: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    if metas.len() != streams.len() * 3 {
        problems.push(format!(
            "{} subtasks for {} streams; expected 3 per stream",
            metas.len(),
            streams.len()
        ));
    }
    let mut seen = HashSet::new();
    for m in metas {
        if !seen.insert(&m.name) {
            problems.push(format!("subtask {:?} appears twice", m.name));
        }
    }
    for (i, stream) in streams.iter().enumerate() {
        for (j, verb) in Verb::ALL.iter().enumerate() {
            let expected = verb.subtask_name(stream);
            let Some(m) = metas.get(i * 3 + j) else {
                problems.push(format!(
                    "stream {stream:?}: subtask {expected:?} is missing"
                ));
                continue;
            };
            let at = format!("subtask {:?}", m.name);
            if m.name != expected {
                problems.push(format!(
                    "{at}: expected {expected:?} at position {}",
                    i * 3 + j
                ));
            }
            if m.entry_point_name != verb.entry_point() {
                problems.push(format!(
                    "{at}: entry point {:?}, expected {:?}",
                    m.entry_point_name,
                    verb.entry_point()
                ));
            }
            if m.arguments != [stream.clone()] {
                problems.push(format!(
                    "{at}: arguments {:?}, expected [{stream:?}]",
                    m.arguments
                ));
            }
            if m.description.trim().is_empty() {
                problems.push(format!("{at}: empty description (DevLake requires one)"));
            }
            if m.domain_types.is_empty() {
                problems.push(format!("{at}: no domain types (set Stream::DOMAIN_TYPES)"));
            }
            for d in &m.domain_types {
                if !DomainType::ALL.iter().any(|t| t.as_str() == d) {
                    problems.push(format!("{at}: unknown domain type {d:?}"));
                }
            }
        }
    }
    problems
}

/// Migration scripts: [`crate::migration::check`] (versions, names, order, empty
/// operands), plus the `create_table` schemas against DevLake's loader.
pub fn migrations(scripts: &[MigrationScript]) -> Vec<String> {
    let mut problems = crate::migration::check(scripts).err().unwrap_or_default();
    for s in scripts {
        for (i, op) in s.operations.iter().enumerate() {
            if let Operation::CreateTable { model_info: info } = op {
                let at = format!("migration {} ({:?}) operation {}", s.version, s.name, i + 1);
                problems.extend(model_info(&at, info, false, &["proxy"]));
            }
        }
    }
    problems
}

/// A `make-pipeline` answer for one scope: a stage per scope with a task of this plugin
/// whose subtasks the plugin declares, the scope's options, and domain scopes DevLake can
/// load whose id is the tool scope's domain id.
pub fn pipeline(
    plugin: &str,
    metas: &[SubtaskMeta],
    data: &PipelineData,
    scope_id: &str,
    domain_id: &str,
) -> Vec<String> {
    let mut problems = Vec::new();
    let known: BTreeSet<&str> = metas.iter().map(|m| m.name.as_str()).collect();
    if data.plan.is_empty() {
        problems.push("the pipeline plan has no stage".to_string());
    }
    for (i, stage) in data.plan.iter().enumerate() {
        if stage.is_empty() {
            problems.push(format!("plan stage {i} has no task"));
        }
    }
    match data.plan.first().and_then(|s| s.first()) {
        None => {}
        Some(task) => {
            if task.plugin != plugin {
                problems.push(format!(
                    "plan task 0: plugin {:?}, expected {plugin:?}",
                    task.plugin
                ));
            }
            if task.subtasks.is_empty() {
                problems.push("plan task 0 runs no subtask with every entity enabled".to_string());
            }
            for s in &task.subtasks {
                if !known.contains(s.as_str()) {
                    problems.push(format!(
                        "plan task 0: subtask {s:?} is not in plugin-info's subtask_metas"
                    ));
                }
            }
            if task.options.get("scopeId").and_then(Json::as_str) != Some(scope_id) {
                problems.push(format!("plan task 0: options.scopeId is not {scope_id:?}"));
            }
            if !task
                .options
                .get("connectionId")
                .is_some_and(Json::is_number)
            {
                problems.push("plan task 0: options.connectionId is not a number".to_string());
            }
        }
    }
    if data.scopes.is_empty() {
        problems.push(
            "make-pipeline gave no domain scope (Plugin::domain_scopes returns none)".to_string(),
        );
    }
    for (i, s) in data.scopes.iter().enumerate() {
        let at = format!("domain scope {i} ({})", s.type_name);
        if !DOMAIN_SCOPE_TYPES.contains(&s.type_name.as_str()) {
            problems.push(format!(
                "{at}: DevLake loads only {}",
                DOMAIN_SCOPE_TYPES.join(", ")
            ));
        }
        match serde_json::from_str::<Json>(&s.data) {
            Ok(Json::Object(o)) => {
                if o.get("id").and_then(Json::as_str) != Some(domain_id) {
                    problems.push(format!(
                        "{at}: id is not the tool scope's domain id {domain_id:?}"
                    ));
                }
                if o.get("name")
                    .and_then(Json::as_str)
                    .is_none_or(str::is_empty)
                {
                    problems.push(format!("{at}: no name"));
                }
            }
            _ => problems.push(format!("{at}: data is not a JSON object string")),
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn info(schema: Json) -> ModelInfo {
        ModelInfo {
            json_schema: schema,
            table_name: "_tool_x_things".into(),
        }
    }

    #[test]
    fn loader_rules() {
        let good = info(
            json!({"properties": {"id": {"type": "string", "primaryKey": true}, "connectionId": {"type": "integer", "primaryKey": true}}}),
        );
        assert!(model_info("t", &good, true, &[]).is_empty());
        let bad = info(json!({"properties": {
            "a": {"type": ["string", "null"]},
            "b": {"$ref": "#/definitions/B"},
            "c": {"type": "date"},
            "d": {"type": "string", "format": "email"},
            "bad name": {"type": "string"},
        }, "required": ["zz"]}));
        let p = model_info("t", &bad, true, &[]);
        let text = p.join("\n");
        for needle in [
            "`a`: `type` is an array",
            "`b`: has `$ref`",
            "`b`: has no `type`",
            "type \"date\"",
            "format \"email\"",
            "`bad name`: name is not an identifier",
            "no primary key",
            "`zz` is not in properties",
        ] {
            assert!(text.contains(needle), "{needle} not in:\n{text}");
        }
    }

    #[test]
    fn migration_versions() {
        let s = |v: u64| MigrationScript {
            version: v,
            name: "x".into(),
            operations: vec![Operation::DropTable { table: "t".into() }],
        };
        assert!(migrations(&[s(20230530000001), s(20230630000001)]).is_empty());
        let bad = MigrationScript {
            version: 20230730000001,
            name: "bad".into(),
            operations: vec![Operation::CreateTable {
                model_info: info(json!({"properties": {"a": {"type": "date"}}})),
            }],
        };
        let p = migrations(&[s(20230630000001), s(20230530000001), s(123), bad]).join("\n");
        assert!(p.contains("increasing version order"), "{p}");
        assert!(p.contains("type \"date\""), "{p}");
    }

    #[test]
    fn names() {
        assert!(plugin_name("fake").is_ok());
        assert!(plugin_name("my_plugin2").is_ok());
        assert!(plugin_name("Bad-Name").is_err());
        assert!(plugin_name("").is_err());
        assert!(streams("p", &["a".into(), "a".into()])
            .join("")
            .contains("used twice"));
        assert!(!streams("p", &[]).is_empty());
    }
}
