//! Local scans: saved whole (no temporary file left), marked pending and cleared, listed
//! newest first; ids are 26 characters of lowercase base32 and differ.

use devlake_scan::model::*;
use devlake_scan::store::{new_id, Store};

fn scan(id: &str, minutes: i64) -> Scan {
    Scan {
        schema: SCHEMA_NAME.into(),
        schema_version: SCHEMA_VERSION,
        id: id.into(),
        project: Project::default(),
        tool: Tool {
            name: "cargo-devlake".into(),
            version: "0".into(),
            runtime_version: None,
        },
        command: Command {
            kind: "test".into(),
            argv: vec![],
            cwd: "/".into(),
        },
        started_at: chrono::Utc::now() - chrono::Duration::minutes(minutes),
        duration_ms: 0,
        outcome: Outcome::Success,
        exit_code: 0,
        environment: Environment::default(),
        tags: vec![],
        links: vec![],
        custom_values: vec![],
        console: Console::default(),
        tests: vec![],
        run: None,
        timeline: vec![],
        warnings: vec![],
    }
}

#[test]
fn scans_are_saved_whole_marked_pending_and_listed_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path());
    let old = store.save(&scan("old", 10)).unwrap();
    store.save(&scan("new", 1)).unwrap();
    assert!(old.json.is_file() && old.html.is_file());
    let mut files: Vec<String> = std::fs::read_dir(store.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(files, ["new.html", "new.json", "old.html", "old.json"]);

    store.mark_pending("old", "http://127.0.0.1:1").unwrap();
    assert_eq!(store.pending(), ["old"]);
    store.clear_pending("old").unwrap();
    store.clear_pending("old").unwrap();
    assert!(store.pending().is_empty());

    let ids: Vec<String> = store.all().into_iter().map(|s| s.id).collect();
    assert_eq!(ids, ["new", "old"]);
    assert_eq!(store.load("old").unwrap(), scan_from(&old.json));
}

fn scan_from(p: &std::path::Path) -> Scan {
    Scan::from_json(&std::fs::read(p).unwrap()).unwrap()
}

#[test]
fn ids_are_lowercase_base32_and_distinct() {
    let a = new_id();
    let b = new_id();
    assert_eq!(a.len(), 26);
    assert!(a
        .chars()
        .all(|c| c.is_ascii_lowercase() || ('2'..='7').contains(&c)));
    assert_ne!(a, b);
}
