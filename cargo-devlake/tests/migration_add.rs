//! `cargo devlake migration add`: generated files for a series of model edits (insta
//! snapshots), `--check`, bad input, the models read as the derive compiled them (the
//! examples' descriptors), and an end-to-end run that compiles the generated
//! migrations in a temporary plugin crate and applies them on SQLite, MariaDB and
//! PostgreSQL.

use devlake::migration::{apply, MigrationScript, BASE_COLUMNS};
use devlake::testing::{Backend, TestDatabase};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A plugin crate in a temporary directory.
struct Plugin {
    dir: tempfile::TempDir,
}

const MAIN_RS: &str = "mod migrations;\nmod models;\n\nfn main() {}\n";

impl Plugin {
    fn new(models: &str) -> Plugin {
        let dir = tempfile::tempdir().unwrap();
        let runtime = workspace().join("runtime");
        let manifest = format!(
            "[package]\nname = \"demo-plugin\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dependencies]\ndevlake = {{ path = {:?} }}\n\n[workspace]\n",
            runtime.display().to_string()
        );
        std::fs::write(dir.path().join("Cargo.toml"), manifest).unwrap();
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/main.rs"), MAIN_RS).unwrap();
        let p = Plugin { dir };
        p.set_models(models);
        p
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn set_models(&self, models: &str) {
        std::fs::write(self.path("src/models.rs"), models).unwrap();
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    /// `cargo devlake migration add <args> --manifest-path <crate>`, run from elsewhere.
    fn add(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_cargo-devlake"))
            .args(["devlake", "migration", "add"])
            .args(args)
            .arg("--manifest-path")
            .arg(self.path("Cargo.toml"))
            .current_dir(std::env::temp_dir())
            .output()
            .unwrap()
    }

    fn add_ok(&self, args: &[&str]) -> String {
        let out = self.add(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}{}",
            stdout(&out),
            stderr(&out)
        );
        stdout(&out)
    }

    fn migration_files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.path("src/migrations"))
            .map(|d| {
                d.map(|e| e.unwrap().file_name().to_string_lossy().to_string())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// Stderr without the Build Scan's closing line (its path changes from run to run).
fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr)
        .lines()
        .filter(|l| !l.starts_with("Build Scan written to "))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// The first models: every kind, an enum, options, a skipped field.
const MODELS_V1: &str = r#"use devlake::prelude::*;

/// The connection.
#[derive(Debug, Clone, devlake::Model)]
#[devlake(connection)]
pub struct DemoConnection {
    /// API token.
    pub token: Secret,
    pub org: Option<String>,
}

#[derive(Debug, Clone, devlake::Model)]
#[devlake(scope)]
pub struct DemoProject {
    pub url: String,
}

#[derive(Debug, Clone, devlake::Model)]
#[devlake(scope_config)]
pub struct DemoScopeConfig {
    pub env: String,
}

/// Build states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, devlake::Enum, Hash)]
pub enum State {
    Pending,
    #[devlake(value = "ok")]
    Success,
}

/// A CI build.
#[derive(Debug, Clone, devlake::Model)]
pub struct Build {
    #[devlake(primary_key)]
    pub id: String,
    #[devlake(source = "/result/state")]
    pub state: State,
    pub started_at: Option<DateTime>,
    #[devlake(max_length = 100)]
    pub title: String,
    pub number: i32,
    pub tags: Vec<String>,
    #[devlake(skip)]
    pub cache: String,
}

#[derive(Debug, Clone, devlake::Model)]
pub struct Job {
    #[devlake(primary_key)]
    pub id: String,
    pub name: String,
}
"#;

/// New field, removed field, renamed field, removed model, new model.
fn models_v2() -> String {
    MODELS_V1
        .replace(
            "    #[devlake(max_length = 100)]\n    pub title: String,\n    pub number: i32,\n",
            "    #[devlake(max_length = 100, renamed_from = \"title\")]\n    pub summary: String,\n    pub duration: Option<f64>,\n",
        )
        .replace(
            "#[derive(Debug, Clone, devlake::Model)]\npub struct Job {\n    #[devlake(primary_key)]\n    pub id: String,\n    pub name: String,\n}\n",
            "/// A build artifact.\n#[derive(Debug, Clone, devlake::Model)]\npub struct Artifact {\n    #[devlake(primary_key)]\n    pub id: String,\n    pub size: i64,\n    pub meta: Option<devlake::serde_json::Value>,\n    pub states: Vec<State>,\n}\n",
        )
}

/// A changed column type: `duration` becomes text.
fn models_v3() -> String {
    models_v2().replace(
        "pub duration: Option<f64>,",
        "pub duration: Option<String>,",
    )
}

#[test]
fn a_new_plugin_gets_tables_from_snapshots() {
    let p = Plugin::new(MODELS_V1);
    let out = p.add_ok(&["init", "--at", "20240101000000"]);
    assert_eq!(p.migration_files(), ["m20240101000000_init.rs", "mod.rs"]);
    insta::assert_snapshot!("v1_init", p.read("src/migrations/m20240101000000_init.rs"));
    insta::assert_snapshot!("v1_mod", p.read("src/migrations/mod.rs"));
    insta::assert_snapshot!("v1_stdout", out);
}

#[test]
fn field_and_model_edits_become_operations() {
    let p = Plugin::new(MODELS_V1);
    p.add_ok(&["init", "--at", "20240101000000"]);
    p.set_models(&models_v2());
    let out = p.add_ok(&["second", "--at", "20240102000000"]);
    insta::assert_snapshot!(
        "v2_second",
        p.read("src/migrations/m20240102000000_second.rs")
    );
    insta::assert_snapshot!("v2_mod", p.read("src/migrations/mod.rs"));
    insta::assert_snapshot!("v2_stdout", out);
    // The migrations now build what the models need: nothing more to generate.
    let again = p.add_ok(&["third", "--at", "20240103000000"]);
    assert!(again.starts_with("no changes"), "{again}");
    assert_eq!(p.migration_files().len(), 3);
}

/// docs/authoring.md: before the first deployment, the sample models are replaced by
/// deleting the init migration and adding `init` again.
#[test]
fn the_init_migration_is_rewritten_for_new_models_before_deployment() {
    let p = Plugin::new(MODELS_V1);
    p.add_ok(&["init", "--at", "20240101000000"]);
    p.set_models(&models_v2());
    std::fs::remove_file(p.path("src/migrations/m20240101000000_init.rs")).unwrap();
    let out = p.add_ok(&["init", "--at", "20240105000000"]);
    assert!(out.contains("(model Artifact)"), "{out}");
    assert_eq!(p.migration_files(), ["m20240105000000_init.rs", "mod.rs"]);
    let init = p.read("src/migrations/m20240105000000_init.rs");
    assert!(init.contains("pub struct Artifact") && !init.contains("pub struct Job"));
    assert!(!init.contains("rename_column") && !init.contains("drop_table"));
    let module = p.read("src/migrations/mod.rs");
    assert!(
        module.contains("m20240105000000_init") && !module.contains("m20240101000000"),
        "{module}"
    );
    let check = p.add_ok(&["--check"]);
    assert!(
        check.starts_with("migrations are up to date: 1 migration(s)"),
        "{check}"
    );
}

#[test]
fn a_type_change_is_refused_unless_destructive() {
    let p = Plugin::new(&models_v2());
    p.add_ok(&["init", "--at", "20240101000000"]);
    p.set_models(&models_v3());
    let before = p.read("src/migrations/mod.rs");
    let out = p.add(&["retype", "--at", "20240102000000"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: model Build field duration: the migrations make column _tool_demo_plugin_builds.duration `double precision` \
         but the model needs `text`; convert it in a hand-written migration (--empty), or pass --allow-destructive to drop \
         and re-add the column (its data is lost)\n"
    );
    assert_eq!(
        p.migration_files(),
        ["m20240101000000_init.rs", "mod.rs"],
        "nothing written"
    );
    assert_eq!(p.read("src/migrations/mod.rs"), before);

    p.add_ok(&["retype", "--at", "20240102000000", "--allow-destructive"]);
    insta::assert_snapshot!(
        "v3_destructive",
        p.read("src/migrations/m20240102000000_retype.rs")
    );
}

#[test]
fn check_names_each_change_without_a_migration() {
    let p = Plugin::new(MODELS_V1);
    let out = p.add(&["--check"]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("check_fresh", stderr(&out));
    assert!(!p.path("src/migrations").exists(), "--check writes nothing");

    p.add_ok(&["init", "--at", "20240101000000"]);
    let ok = p.add_ok(&["--check"]);
    assert_eq!(
        ok,
        "migrations are up to date: 1 migration(s) build the tables of 5 model(s)\n"
    );

    p.set_models(&models_v3());
    let out = p.add(&["--check"]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("check_edited", stderr(&out));
}

#[test]
fn empty_writes_a_skeleton_for_hand_written_sql() {
    let p = Plugin::new(MODELS_V1);
    p.add_ok(&["init", "--at", "20240101000000"]);
    p.add_ok(&["fix_keys", "--empty", "--at", "20240101000000"]);
    // Same requested version: moved one second past the newest migration.
    assert_eq!(
        p.migration_files(),
        [
            "m20240101000000_init.rs",
            "m20240101000001_fix_keys.rs",
            "mod.rs"
        ]
    );
    insta::assert_snapshot!(
        "empty_skeleton",
        p.read("src/migrations/m20240101000001_fix_keys.rs")
    );
    insta::assert_snapshot!("empty_mod", p.read("src/migrations/mod.rs"));
}

#[test]
fn hand_written_builder_calls_are_read_back() {
    let p = Plugin::new(MODELS_V1);
    p.add_ok(&["init", "--at", "20240101000000"]);
    p.add_ok(&["manual", "--empty", "--at", "20240102000000"]);
    let path = "src/migrations/m20240102000000_manual.rs";
    let text = p.read(path).replace(
        "    let _ = b; // remove once the statements are written\n",
        "    b.execute(\"UPDATE x SET y = 1\", None)\n        .add_column(\"_tool_demo_plugin_jobs\", \"owner\", \"varchar(64)\");\n",
    );
    std::fs::write(p.path(path), text).unwrap();
    // The hand-written column has no field: the next migration drops it.
    p.add_ok(&["next", "--at", "20240103000000"]);
    let next = p.read("src/migrations/m20240103000000_next.rs");
    assert!(
        next.contains("b.drop_column(\"_tool_demo_plugin_jobs\", \"owner\");"),
        "{next}"
    );
}

#[test]
fn bad_input_gets_one_clear_line() {
    let p = Plugin::new(MODELS_V1);
    let cases: [(&[&str], &str); 3] = [
        (&["Add-Users"], "error: migration name \"Add-Users\" is not snake_case: use lowercase letters, digits and single underscores, starting with a letter (e.g. add_users)\n"),
        (&["x", "--at", "20241301000000"], "error: --at 20241301000000: version has no month 01-12 (YYYYMMDDhhmmss)\n"),
        (&["x", "--at", "soon"], "error: --at \"soon\": expected a 14-digit YYYYMMDDhhmmss version\n"),
    ];
    for (args, expected) in cases {
        let out = p.add(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(stderr(&out), expected, "{args:?}");
    }
    assert!(!p.path("src/migrations").exists());

    p.set_models(&MODELS_V1.replace(
        "pub name: String,",
        "pub name: std::collections::HashMap<String, String>,",
    ));
    let out = p.add(&["x"]);
    let err = stderr(&out);
    assert!(
        err.starts_with("error: src/models.rs:52:15: model `Job` field `name`: unsupported column type `std::collections::HashMap<String, String>`; a column is String, an integer (i16, i32, i64, u8, u16, u32, u64)"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // The runtime stores no `i8`: refused here as the derive refuses it (one message, from
    // devlake-schema; runtime/tests/compile-fail/unsupported_type.rs is the derive's side).
    p.set_models(&MODELS_V1.replace("pub number: i32,", "pub number: i8,"));
    let err = stderr(&p.add(&["x"]));
    assert!(
        err.starts_with("error: src/models.rs:42:17: model `Build` field `number`: unsupported column type `i8`; a column is String"),
        "{err}"
    );

    p.set_models(MODELS_V1);
    std::fs::write(p.path("src/migrations.rs"), "").unwrap();
    let err = stderr(&p.add(&["x"]));
    assert!(err.starts_with("error: src/migrations.rs: cargo devlake keeps one migration per file in src/migrations/"), "{err}");
    std::fs::remove_file(p.path("src/migrations.rs")).unwrap();

    std::fs::create_dir_all(p.path("src/migrations")).unwrap();
    std::fs::write(p.path("src/migrations/mod.rs"), "pub fn scripts() {}\n").unwrap();
    let err = stderr(&p.add(&["x"]));
    assert!(
        err.starts_with("error: src/migrations/mod.rs was not written by cargo devlake"),
        "{err}"
    );
    assert_eq!(p.migration_files(), ["mod.rs"]);
}

/// What the compiled derive says of each model in `source` (crate `crate_name`) against
/// what `migration add` reads from the same text (devlake-schema's `SourceItems`, which
/// `migration add` runs on every file): the same models, tables, kinds and columns.
fn assert_read_alike(
    source: &str,
    crate_name: &str,
    compiled: &[&devlake::model::ModelDescriptor],
) {
    use devlake::model::ColumnType;
    use devlake_schema::ColumnKind;
    let file = syn::parse_file(source).unwrap();
    let read = devlake_schema::SourceItems::from_items(&file.items, crate_name).unwrap();
    let names = |v: Vec<String>| {
        let mut v = v;
        v.sort();
        v
    };
    assert_eq!(
        names(read.models.iter().map(|m| m.type_name()).collect()),
        names(compiled.iter().map(|d| d.name.to_string()).collect()),
        "{crate_name}: the same models"
    );
    fn same_type(kind: &ColumnKind, ty: &ColumnType) -> bool {
        match (kind, ty) {
            (ColumnKind::Array(item), ColumnType::Array(e)) => match e {
                // an array of enums knows its enum; of anything else, nothing
                Some(info) => **item == ColumnKind::Enum(info.name.to_string()),
                None => item.enum_name().is_none(),
            },
            (ColumnKind::Enum(name), ColumnType::Enum(info)) => name == info.name,
            (k, t) => matches!(
                (k, t),
                (ColumnKind::String, ColumnType::String)
                    | (ColumnKind::Integer, ColumnType::Integer)
                    | (ColumnKind::Float, ColumnType::Float)
                    | (ColumnKind::Boolean, ColumnType::Boolean)
                    | (ColumnKind::DateTime, ColumnType::DateTime)
                    | (ColumnKind::Secret, ColumnType::Secret)
                    | (ColumnKind::Object, ColumnType::Object)
            ),
        }
    }
    for spec in &read.models {
        let d = compiled
            .iter()
            .find(|d| d.name == spec.type_name())
            .unwrap();
        let m = &d.name;
        assert_eq!(spec.table, d.table, "{m}: table");
        assert_eq!(d.crate_name, crate_name, "{m}: crate");
        // the schema's kinds are the runtime's, variant for variant
        assert_eq!(
            format!("{:?}", spec.kind),
            format!("{:?}", d.kind),
            "{m}: kind"
        );
        assert_eq!(spec.fields.len(), d.fields.len(), "{m}: columns");
        for (f, c) in spec.fields.iter().zip(d.fields) {
            let at = format!("{m}.{}", c.name);
            assert_eq!(f.column, c.name, "{at}: column");
            assert_eq!(f.json_name, c.json_name, "{at}: JSON name");
            assert!(
                same_type(&f.column_kind, &c.column_type),
                "{at}: {:?} vs {:?}",
                f.column_kind,
                c.column_type
            );
            assert_eq!(f.nullable, c.nullable, "{at}: nullable");
            assert_eq!(f.primary_key, c.primary_key, "{at}: primary key");
            assert_eq!(f.auto_increment, c.auto_increment, "{at}: auto_increment");
            assert_eq!(f.max_length, c.max_length, "{at}: max_length");
            assert_eq!(f.sql_type.as_deref(), c.sql_type, "{at}: sql_type");
            assert_eq!(f.source.as_deref(), c.source, "{at}: source");
            assert_eq!(f.default_json.as_deref(), c.default, "{at}: default");
            assert_eq!(f.has_default(), c.has_default, "{at}: has_default");
            assert_eq!(
                f.renamed_from.as_deref(),
                c.renamed_from,
                "{at}: renamed_from"
            );
            assert_eq!(f.description.as_deref(), c.description, "{at}: description");
        }
    }
}

#[test]
fn migration_add_reads_the_examples_models_as_the_derive_compiled_them() {
    use devlake::Model;
    {
        use fakeplugin::models::*;
        assert_read_alike(
            include_str!("../../examples/fakeplugin/src/models.rs"),
            "fakeplugin",
            &[
                FakeConnection::descriptor(),
                FakeProject::descriptor(),
                FakeScopeConfig::descriptor(),
                FakePipeline::descriptor(),
            ],
        );
    }
    use azuredevops::models::*;
    assert_read_alike(
        include_str!("../../examples/azuredevops/src/models.rs"),
        "azuredevops",
        &[
            AzureDevOpsConnection::descriptor(),
            GitRepositoryConfig::descriptor(),
            GitRepository::descriptor(),
            GitPullRequest::descriptor(),
            GitPullRequestCommit::descriptor(),
            Build::descriptor(),
            Job::descriptor(),
        ],
    );
}

/// The fake plugin's models edited the three ways an author edits a model: a new field, a
/// renamed one, a changed type.
#[test]
fn a_changed_fakeplugin_model_becomes_a_migration() {
    let models = include_str!("../../examples/fakeplugin/src/models.rs");
    let p = Plugin::new(models);
    p.add_ok(&["init", "--at", "20240101000000"]);
    let edited = models
        .replace(
            "    pub finished_at: Option<DateTime>,\n",
            "    #[devlake(renamed_from = \"finished_at\")]\n    pub ended_at: Option<DateTime>,\n    pub duration_sec: Option<f64>,\n",
        )
        .replace("    pub env: String,\n", "    pub env: Vec<String>,\n");
    assert_ne!(edited, models);
    p.set_models(&edited);
    let out = p.add_ok(&["edit", "--at", "20240102000000", "--allow-destructive"]);
    insta::assert_snapshot!(
        "fake_edit",
        p.read("src/migrations/m20240102000000_edit.rs")
    );
    insta::assert_snapshot!("fake_edit_stdout", out);
    let check = p.add_ok(&["--check"]);
    assert!(check.starts_with("migrations are up to date"), "{check}");
}

/// Builds the plugin with the workspace's lock file and target directory (so the runtime
/// is not compiled again) and returns what its binary prints.
fn build_and_run(p: &Plugin, main_rs: &str) -> String {
    std::fs::write(p.path("src/main.rs"), main_rs).unwrap();
    std::fs::copy(workspace().join("Cargo.lock"), p.path("Cargo.lock")).unwrap();
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["run", "--quiet", "--manifest-path"])
        .arg(p.path("Cargo.toml"))
        .env("CARGO_TARGET_DIR", workspace().join("target"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the plugin with generated migrations must build: {}",
        stderr(&out)
    );
    stdout(&out)
}

#[tokio::test(flavor = "multi_thread")]
async fn generated_migrations_compile_and_build_the_model_tables() {
    let p = Plugin::new(MODELS_V1);
    p.add_ok(&["init", "--at", "20240101000000"]);
    p.set_models(&models_v2());
    p.add_ok(&["second", "--at", "20240102000000"]);
    p.set_models(&models_v3());
    p.add_ok(&["retype", "--at", "20240103000000", "--allow-destructive"]);
    p.add_ok(&["--check"]);

    let models = [
        "DemoConnection",
        "DemoProject",
        "DemoScopeConfig",
        "Build",
        "Artifact",
    ];
    let listed: Vec<String> = models
        .iter()
        .map(|m| format!("columns::<models::{m}>()"))
        .collect();
    let main_rs = format!(
        "mod migrations;\nmod models;\n\nuse devlake::Model;\n\n\
         fn columns<M: Model>() -> devlake::serde_json::Value {{\n    let d = M::descriptor();\n    \
         let names: Vec<&str> = d.columns().iter().map(|c| c.name).collect();\n    \
         devlake::serde_json::json!({{\"table\": d.table, \"columns\": names}})\n}}\n\n\
         fn main() {{\n    let out = devlake::serde_json::json!({{\"scripts\": migrations::scripts(), \"models\": [{}]}});\n    \
         println!(\"{{out}}\");\n}}\n",
        listed.join(", ")
    );
    let printed: serde_json::Value = serde_json::from_str(&build_and_run(&p, &main_rs)).unwrap();
    let scripts: Vec<MigrationScript> = serde_json::from_value(printed["scripts"].clone()).unwrap();
    assert_eq!(
        scripts.iter().map(|s| s.version).collect::<Vec<_>>(),
        [20240101000000, 20240102000000, 20240103000000]
    );

    let base: Vec<&str> = BASE_COLUMNS.iter().map(|(n, _)| *n).collect();
    for backend in Backend::ALL {
        let Some(t) = TestDatabase::create(backend, "mig_e2e").await else {
            continue;
        };
        let b = backend.name();
        let mut db = t.connect().await;
        let report = apply(&mut db, "demo", &scripts)
            .await
            .unwrap_or_else(|e| panic!("{b}: {e}"));
        assert_eq!(report.applied.len(), 3, "{b}");
        let mut tool_tables: Vec<String> = db
            .tables()
            .await
            .unwrap()
            .into_iter()
            .filter(|t| t.starts_with("_tool_"))
            .collect();
        tool_tables.sort();
        let mut expected_tables: Vec<String> = printed["models"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["table"].as_str().unwrap().to_string())
            .collect();
        expected_tables.sort();
        assert_eq!(
            tool_tables, expected_tables,
            "{b}: one table per model, the removed model's dropped"
        );
        for m in printed["models"].as_array().unwrap() {
            let table = m["table"].as_str().unwrap();
            let mut needed: Vec<String> = m["columns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().to_string())
                .collect();
            let mut actual: Vec<String> = db
                .columns(table)
                .await
                .unwrap()
                .into_iter()
                .filter(|c| !base.contains(&c.as_str()))
                .collect();
            needed.retain(|c| !base.contains(&c.as_str()));
            needed.sort();
            actual.sort();
            assert_eq!(actual, needed, "{b}: {table}");
        }
        assert!(
            apply(&mut db, "demo", &scripts).await.unwrap().is_noop(),
            "{b}"
        );
    }
}
