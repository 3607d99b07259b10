//! Conformance checks: whether DevLake will load and run a plugin. `cargo devlake test`
//! runs them through the plugin binary (`<binary> standalone conformance`), and
//! [`assert_valid_plugin`](crate::testing::assert_valid_plugin) runs the static ones in a test.

// The testing kit's items exist with the `testing` feature only (docs.rs documents all
// features); without it, links to them have nothing to point at.
#![cfg_attr(not(feature = "testing"), allow(rustdoc::broken_intra_doc_links))]

use super::rules;
use crate::db::scratch::TestDatabase;
use crate::db::Db;
use crate::model::{ColumnType, Field, Model, ModelDescriptor};
use crate::plugin::{Plugin, PluginInfo, ScopeConfig};
use crate::protocol::PluginHost;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value as Json};

/// One check and its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// What was checked (`plugin-info: connection schema`, `migrations apply [mysql]`).
    pub name: String,
    /// Whether it passed.
    pub ok: bool,
    /// What is wrong, one line each (empty when it passed).
    #[serde(default)]
    pub problems: Vec<String>,
}

impl Check {
    /// A check from its problems: passed when there are none.
    pub fn new(name: impl Into<String>, problems: Vec<String>) -> Check {
        Check {
            name: name.into(),
            ok: problems.is_empty(),
            problems,
        }
    }
}

/// Every check of a plugin, as `standalone conformance` prints it (JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Plugin name.
    pub plugin: String,
    /// Plugin crate version.
    pub version: String,
    /// The checks, in the order they ran.
    pub checks: Vec<Check>,
}

impl Report {
    /// The failed checks.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| !c.ok)
    }

    /// Whether every check passed.
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }
}

/// A placeholder value of a column's type, for required fields of synthesized models.
fn placeholder(f: &Field) -> Json {
    match f.column_type {
        ColumnType::String | ColumnType::Secret | ColumnType::Bytes => json!("conformance"),
        ColumnType::Integer => json!(1),
        ColumnType::Float => json!(1.0),
        ColumnType::Boolean => json!(false),
        ColumnType::DateTime => json!("2023-01-10T11:00:00Z"),
        ColumnType::Enum(info) => info.values.first().map(|v| json!(v)).unwrap_or(Json::Null),
        ColumnType::Array(_) => json!([]),
        ColumnType::Object => json!({}),
    }
}

/// A model's JSON with placeholders for its declared required fields plus `base`.
pub fn synthesize(desc: &'static ModelDescriptor, base: Json) -> Json {
    let mut m = match base {
        Json::Object(m) => m,
        _ => Map::new(),
    };
    for f in desc.fields.iter().filter(|f| f.required()) {
        m.entry(f.json_name.to_string())
            .or_insert_with(|| placeholder(f));
    }
    Json::Object(m)
}

/// What DevLake's loader would refuse in a `plugin-info` message on its own (the plugin
/// name, every model's schema, the migration scripts): one line per problem, none when it
/// would load. For a plugin-info read from a built plugin binary (`cargo devlake new`'s
/// tests); [`static_checks`] checks these and more on a plugin at hand.
pub fn plugin_info_problems(info: &PluginInfo) -> Vec<String> {
    let mut problems: Vec<String> = rules::plugin_info_models(info)
        .into_iter()
        .flat_map(|(_, p)| p)
        .collect();
    problems.extend(rules::plugin_name(&info.name).err());
    problems.extend(rules::migrations(&info.migration_scripts));
    problems
}

/// The checks that need no database nor network: names, schemas, streams, subtasks, scope
/// config defaults, migrations and a pipeline plan for a synthesized scope.
pub fn static_checks<P: Plugin>(host: &PluginHost<P>) -> Vec<Check> {
    let name = host.name();
    let info = host.plugin_info(String::new());
    let mut checks = vec![Check::new(
        "plugin name",
        rules::plugin_name(name).err().into_iter().collect(),
    )];
    for (what, problems) in rules::plugin_info_models(&info) {
        checks.push(Check::new(format!("plugin-info: {what}"), problems));
    }
    let streams = host.streams().names();
    checks.push(Check::new("streams", rules::streams(name, &streams)));
    checks.push(Check::new(
        "subtask metadata",
        rules::subtask_metas(&info.subtask_metas, &streams),
    ));

    let sc = P::ScopeConfig::descriptor();
    let mut defaults = Vec::new();
    if sc.fields.iter().all(|f| !f.required()) {
        if let Err(e) = ScopeConfig::<P::ScopeConfig>::from_json(&Json::Null) {
            defaults.push(format!(
                "{} has only defaulted fields but cannot be built without any: {e}",
                sc.name
            ));
        }
    }
    checks.push(Check::new("scope config defaults", defaults));
    checks.push(Check::new(
        "migrations well-formed",
        rules::migrations(&info.migration_scripts),
    ));
    checks.push(Check::new(
        "pipeline plan",
        pipeline_problems(host, &info.subtask_metas),
    ));
    checks
}

fn pipeline_problems<P: Plugin>(
    host: &PluginHost<P>,
    metas: &[crate::plugin::SubtaskMeta],
) -> Vec<String> {
    let connection = synthesize(
        P::Connection::descriptor(),
        json!({"id": 1, "name": "conformance"}),
    );
    let scope = synthesize(
        P::ToolScope::descriptor(),
        json!({"id": "conformance", "name": "Conformance", "connectionId": 1}),
    );
    let scope_config = synthesize(
        P::ScopeConfig::descriptor(),
        json!({"id": 1, "name": "conformance"}),
    );
    let parsed = match crate::plugin::Scope::<P::ToolScope>::from_json(&scope) {
        Ok(s) => s,
        Err(e) => return vec![format!("cannot build a scope from placeholders: {e}")],
    };
    match host.make_pipeline(&json!([[scope, scope_config]]), &connection) {
        Ok(data) => rules::pipeline(host.name(), metas, &data, &parsed.id, &parsed.domain_id()),
        Err(e) => vec![format!("make-pipeline failed for a placeholder scope: {e}")],
    }
}

/// `run.sh` and `build.sh` in the plugin's folder, executable: DevLake discovers a plugin
/// by its `run.sh` and builds it with `build.sh`.
pub fn launcher_problems(plugin_dir: &std::path::Path) -> Vec<String> {
    use std::os::unix::fs::PermissionsExt;
    let mut problems = Vec::new();
    for f in ["run.sh", "build.sh"] {
        let p = plugin_dir.join(f);
        match p.metadata() {
            Err(_) => problems.push(format!(
                "{} is missing: DevLake needs it to build and run the plugin",
                p.display()
            )),
            Ok(m) if m.permissions().mode() & 0o111 == 0 => {
                problems.push(format!("{} is not executable (chmod +x it)", p.display()))
            }
            Ok(_) => {}
        }
    }
    problems
}

/// The tables a plugin's migrations must create: connection, scope, scope config and each
/// stream's tool model.
pub fn plugin_models<P: Plugin>(host: &PluginHost<P>) -> Vec<&'static ModelDescriptor> {
    let mut models = vec![
        P::Connection::descriptor(),
        P::ToolScope::descriptor(),
        host.scope_config_descriptor(),
    ];
    for m in host.streams().tool_models() {
        if !models.iter().any(|d| std::ptr::eq(*d, m)) {
            models.push(m);
        }
    }
    models
}

/// Checks on one fresh database (`target`: `sqlite`, or a MySQL/PostgreSQL admin URL):
/// the migrations apply, apply again as a no-op, and build every table the models need.
pub async fn database_checks<P: Plugin>(host: &PluginHost<P>, target: &str) -> Vec<Check> {
    let label = match crate::db::DbUrl::parse(target) {
        Ok(u) if !target.eq_ignore_ascii_case("sqlite") => u.dialect().name().to_string(),
        _ => "sqlite".to_string(),
    };
    let apply_name = format!("migrations apply [{label}]");
    let match_name = format!("migrations match models [{label}]");
    let fail_both = |msg: String| {
        vec![
            Check::new(apply_name.clone(), vec![msg]),
            Check::new(match_name.clone(), vec!["not checked: no database".into()]),
        ]
    };
    let tdb = match TestDatabase::create_at(target, "conformance").await {
        Ok(t) => t,
        Err(e) => return fail_both(format!("cannot create a fresh database: {e}")),
    };
    let mut db = match Db::connect(&tdb.url).await {
        Ok(d) => d,
        Err(e) => return fail_both(format!("cannot connect to the fresh database: {e}")),
    };
    let scripts = host.migrations();
    let mut apply = Vec::new();
    match crate::migration::apply(&mut db, host.name(), &scripts).await {
        Err(e) => apply.push(e.to_string()),
        Ok(_) => match crate::migration::apply(&mut db, host.name(), &scripts).await {
            Ok(again) if again.is_noop() => {}
            Ok(again) => apply.push(format!(
                "a second run applied {} scripts again",
                again.applied.len()
            )),
            Err(e) => apply.push(format!("a second run failed: {e}")),
        },
    }
    let matched = if apply.is_empty() {
        match crate::migration::schema_differences(&mut db, &plugin_models(host)).await {
            Ok(d) => d
                .into_iter()
                .map(|p| format!("{p} (add a migration: cargo devlake migration add <name>)"))
                .collect(),
            Err(e) => vec![format!("cannot read the schema: {e}")],
        }
    } else {
        vec!["not checked: the migrations did not apply".into()]
    };
    drop(db);
    vec![
        Check::new(apply_name, apply),
        Check::new(match_name, matched),
    ]
}

/// Every check: static ones, the plugin folder's launchers (when the binary knows its
/// folder), then each database target.
pub async fn run<P: Plugin>(host: &PluginHost<P>, targets: &[String]) -> Report {
    let mut checks = static_checks(host);
    let dir = host.meta().manifest_dir;
    if !dir.is_empty() {
        checks.push(Check::new(
            "run.sh and build.sh",
            launcher_problems(std::path::Path::new(dir)),
        ));
    }
    for t in targets {
        checks.extend(database_checks(host, t).await);
    }
    Report {
        plugin: host.name().to_string(),
        version: host.meta().version.to_string(),
        checks,
    }
}
