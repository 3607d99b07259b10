//! `cargo devlake test`: examples/fakeplugin passes every check on SQLite, MariaDB and
//! PostgreSQL (JUnit report parsed back); an unreachable server and a plugin with a bad
//! schema fail with their reasons and a non-zero exit.

use devlake::testing::Backend;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn cargo_devlake(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cargo-devlake"));
    c.arg("devlake").args(args).current_dir(dir);
    c
}

fn fakeplugin() -> PathBuf {
    devlake_e2e::workspace().join("examples/fakeplugin/Cargo.toml")
}

/// Testcases of a JUnit report: (name, failure message if failed).
fn junit_cases(path: &Path) -> Vec<(String, Option<String>)> {
    let text = std::fs::read_to_string(path).expect("the JUnit report");
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    let suites = doc.root_element();
    assert_eq!(suites.tag_name().name(), "testsuites");
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|n| {
            let failure = n
                .children()
                .find(|c| c.has_tag_name("failure"))
                .map(|f| f.attribute("message").unwrap_or("").to_string());
            (n.attribute("name").unwrap().to_string(), failure)
        })
        .collect();
    assert_eq!(
        suites.attribute("tests"),
        Some(cases.len().to_string().as_str())
    );
    let failed = cases.iter().filter(|c| c.1.is_some()).count();
    assert_eq!(
        suites.attribute("failures"),
        Some(failed.to_string().as_str())
    );
    cases
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_fake_plugin_passes_on_every_database() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let mut args = vec![
        "test".to_string(),
        "--manifest-path".into(),
        fakeplugin().display().to_string(),
        "--junit".into(),
        junit.display().to_string(),
    ];
    for b in [Backend::MySql, Backend::Postgres] {
        args.extend(["--db".into(), b.admin_url().unwrap()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = cargo_devlake(dir.path(), &args).output().unwrap();
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("ok      cargo test"), "{text}");
    assert!(text.contains("devlake: 18 passed, 0 failed"), "{text}");
    let cases = junit_cases(&junit);
    let names: Vec<&str> = cases.iter().map(|c| c.0.as_str()).collect();
    for n in [
        "cargo test",
        "plugin-info: tool model FakePipeline schema",
        "subtask metadata",
        "pipeline plan",
        "migrations apply [sqlite]",
        "migrations match models [mysql]",
        "migrations match models [postgres]",
    ] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    assert!(cases.iter().all(|c| c.1.is_none()), "{cases:?}");
}

#[test]
fn an_unreachable_server_fails_its_checks() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let manifest = fakeplugin();
    let out = cargo_devlake(
        dir.path(),
        &[
            "test",
            "--no-cargo-test",
            "--manifest-path",
            manifest.to_str().unwrap(),
            "--db",
            "mysql://root@127.0.0.1:1/mysql",
            "--junit",
            junit.to_str().unwrap(),
        ],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("FAILED  migrations apply [mysql]\n          cannot create a fresh database: cannot connect to 127.0.0.1:1 (mysql://root@127.0.0.1:1/mysql)"), "{text}");
    assert!(text.contains("ok      migrations apply [sqlite]"), "{text}");
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .trim()
            .ends_with("error: 2 of 15 checks failed"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cases = junit_cases(&junit);
    let failed: Vec<&str> = cases
        .iter()
        .filter(|c| c.1.is_some())
        .map(|c| c.0.as_str())
        .collect();
    assert_eq!(
        failed,
        [
            "migrations apply [mysql]",
            "migrations match models [mysql]"
        ]
    );
}

const BAD_PLUGIN: &str = r#"
use devlake::prelude::*;

#[derive(Debug, Clone, devlake::Model)]
#[devlake(connection)]
pub struct C { pub token: Secret }

#[derive(Debug, Clone, devlake::Model)]
#[devlake(scope)]
pub struct S {}

#[derive(Debug, Clone, devlake::Model)]
#[devlake(scope_config)]
pub struct SC {}

/// A JSON name DevLake cannot turn into a Go field.
#[derive(Debug, Clone, devlake::Model)]
pub struct Item {
    #[devlake(primary_key)]
    pub id: String,
    #[devlake(rename = "bad name")]
    pub label: String,
}

#[derive(Default)]
pub struct BadPlugin;

impl Plugin for BadPlugin {
    type Connection = C;
    type ToolScope = S;
    type ScopeConfig = SC;
    async fn test_connection(&self, _: &Connection<C>) -> Result<TestConnectionResult> { Ok(TestConnectionResult::ok()) }
    async fn remote_scope_groups(&self, _: &Connection<C>) -> Result<Vec<RemoteScopeGroup>> { Ok(vec![]) }
    async fn remote_scopes(&self, _: &Connection<C>, _: &str) -> Result<Vec<Scope<S>>> { Ok(vec![]) }
    fn domain_scopes(&self, _: &Scope<S>) -> Vec<devlake::plugin::AnyDomainScope> { vec![] }
    fn streams(&self) -> Streams<Self> { Streams::new().add(Items) }
}

pub struct Items;

impl Stream<BadPlugin> for Items {
    type ToolModel = Item;
    const DOMAIN_TYPES: &'static [DomainType] = &[DomainType::Cicd];
    fn convert(&self, _: &Item, _: &Context<BadPlugin>, _: &mut DomainSink) -> Result<()> { Ok(()) }
}

devlake::main!(BadPlugin);
"#;

#[test]
fn a_plugin_with_a_bad_schema_fails_with_the_reasons() {
    let ws = devlake_e2e::workspace();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("src")).unwrap();
    std::fs::write(root.join("src/main.rs"), BAD_PLUGIN).unwrap();
    let manifest = format!(
        "[package]\nname = \"badplugin\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[workspace]\n\n[dependencies]\ndevlake = {{ path = {:?} }}\n",
        ws.join("runtime").display().to_string()
    );
    std::fs::write(root.join("Cargo.toml"), manifest).unwrap();
    // The workspace's lock file and target folder: the same dependency builds, reused.
    std::fs::copy(ws.join("Cargo.lock"), root.join("Cargo.lock")).unwrap();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| ws.join("target"));
    let junit = root.join("junit.xml");
    let out = cargo_devlake(
        root,
        &[
            "test",
            "--no-cargo-test",
            "--junit",
            junit.to_str().unwrap(),
        ],
    )
    .env("CARGO_TARGET_DIR", target)
    .output()
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    assert!(
        text.contains("FAILED  plugin-info: tool model Item schema\n          tool model Item: property `bad name`: name is not an identifier"),
        "{text}"
    );
    assert!(
        text.contains("make-pipeline gave no domain scope"),
        "{text}"
    );
    assert!(
        text.contains("table _tool_badplugin_items of model Item does not exist"),
        "{text}"
    );
    let cases = junit_cases(&junit);
    let failure = cases
        .iter()
        .find(|c| c.0 == "plugin-info: tool model Item schema")
        .and_then(|c| c.1.clone())
        .unwrap();
    assert!(failure.contains("`bad name`"), "{failure}");
    assert!(cases.iter().any(|c| c.0 == "plugin name" && c.1.is_none()));
}

/// The lines where cargo says it compiled a crate (colours or not).
fn compiled_lines(stderr: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| l.contains("Compiling "))
        .map(str::to_string)
        .collect()
}

/// Issue 16 item 13: `cargo devlake test` right after `cargo test`, and `cargo devlake run`
/// right after `cargo build`, compile nothing: they build what those commands built, with
/// the same features (dev-dependencies' features in for the tests) and profile.
#[test]
fn test_and_run_reuse_what_cargo_test_and_cargo_build_built() {
    let ws = devlake_e2e::workspace();
    let tmp = tempfile::tempdir().unwrap();
    let new = cargo_devlake(tmp.path(), &["new", "reuse-check"])
        .output()
        .unwrap();
    assert!(
        new.status.success(),
        "{}",
        String::from_utf8_lossy(&new.stderr)
    );
    let dir = tmp.path().join("reuse-check");
    // The workspace's lock file and target folder: dependencies compile once for all tests.
    std::fs::copy(ws.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| ws.join("target"));
    let cargo = |args: &[&str]| {
        let out = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .args(args)
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", &target)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "cargo {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };

    cargo(&["test"]);
    let out = cargo_devlake(&dir, &["test"])
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{}\n{stderr}", stdout(&out));
    assert!(
        stderr.contains("Finished"),
        "cargo's output is missing: {stderr}"
    );
    assert_eq!(
        compiled_lines(&out.stderr),
        Vec::<String>::new(),
        "cargo devlake test compiled again what cargo test built:\n{stderr}"
    );

    cargo(&["build"]);
    std::fs::write(
        dir.join("plugin.toml"),
        "[connection]\nname = \"c\"\nendpoint = \"http://127.0.0.1:1/\"\ntoken = \"t\"\n\n[[scopes]]\nid = \"p1\"\n",
    )
    .unwrap();
    let db = format!("sqlite:///{}", dir.join("lake.db").display());
    let out = cargo_devlake(
        &dir,
        &[
            "run",
            "--config",
            "plugin.toml",
            "--db",
            &db,
            "--delete-scope",
            "p1",
        ],
    )
    .env("CARGO_TARGET_DIR", &target)
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The plugin ran (a fresh database holds nothing of the scope).
    assert!(
        stderr.contains("delete-scope: nothing recorded for scope \"p1\""),
        "{}\n{stderr}",
        stdout(&out)
    );
    assert_eq!(
        compiled_lines(&out.stderr),
        Vec::<String>::new(),
        "cargo devlake run compiled again what cargo build built:\n{stderr}"
    );
}
