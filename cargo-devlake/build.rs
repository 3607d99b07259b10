//! Embeds the plugin templates (`../templates/plugin/**/*.hbs`) into the binary, so that an
//! installed `cargo devlake new` works anywhere, and a template added to the folder needs
//! no code change.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest_dir =
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let root = manifest_dir.join("../templates/plugin");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    walk(&root, &mut files);
    files.sort();
    assert!(
        !files.is_empty(),
        "no templates found under {}",
        root.display()
    );

    let mut out = String::from(
        "/// `(path relative to the plugin root, with `.hbs`, template text)`, sorted.\n",
    );
    out.push_str("pub static TEMPLATES: &[(&str, &str)] = &[\n");
    for file in &files {
        // Cargo reruns the script when a file changes, not only when the folder does.
        println!("cargo:rerun-if-changed={}", file.display());
        let rel = file.strip_prefix(&root).expect("walked under root");
        let rel = rel
            .to_str()
            .unwrap_or_else(|| panic!("template path is not UTF-8: {}", file.display()));
        assert!(rel.ends_with(".hbs"), "template {rel} must end with .hbs");
        let abs = std::fs::canonicalize(file).expect("template exists");
        writeln!(
            out,
            "    ({rel:?}, include_str!({:?})),",
            abs.display().to_string()
        )
        .expect("write to String");
    }
    out.push_str("];\n");
    let dest =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it")).join("templates.rs");
    std::fs::write(&dest, out).unwrap_or_else(|e| panic!("writing {}: {e}", dest.display()));
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}
