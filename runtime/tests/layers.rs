//! The runtime's modules form the layers the crate docs draw (`src/lib.rs`, "# Layers"):
//! every `crate::`, `$crate::` and `super::` path in `src/**/*.rs` (comments, doc links and
//! string literals left out) is an edge between top-level modules, and an edge may only go
//! down the table, or along a row without forming a cycle. Inside `api`, the submodules
//! import each other without a cycle either.
//!
//! Run alone with `cargo test -p devlake --test layers`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first. The crate docs hold the same table (checked below).
const LAYERS: &[&[&str]] = &[
    &["model", "api"],
    &["db"],
    &["migration", "domain", "error"],
    &["wire"],
    &["engine"],
    &["protocol", "standalone", "checks"],
    &["entry"],
    &["testing"],
];

/// A use of another module: from a file and line, to a module path.
#[derive(Debug, Clone)]
struct Edge {
    file: String,
    line: usize,
    from: Vec<String>,
    to: Vec<String>,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
}

/// The module path of a file: `engine/stream/mod.rs` -> `[engine, stream]`.
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_string());
    }
    parts
}

/// The source with comments, string and char literals blanked (newlines kept, so that
/// line numbers stay right).
fn code_only(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let blank = |out: &mut String, s: &[u8]| {
        for &c in s {
            out.push(if c == b'\n' { '\n' } else { ' ' });
        }
    };
    while i < b.len() {
        let c = b[i];
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            let end = src[i..].find('\n').map_or(b.len(), |n| i + n);
            blank(&mut out, &b[i..end]);
            i = end;
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let mut depth = 0;
            let start = i;
            while i < b.len() {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            blank(&mut out, &b[start..i]);
        } else if c == b'r'
            && (b.get(i + 1) == Some(&b'"') || b.get(i + 1) == Some(&b'#'))
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
        {
            // A raw string: r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&b'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&b'"') {
                out.push(c as char);
                i += 1;
                continue;
            }
            let close = format!("\"{}", "#".repeat(hashes));
            let end = src[j + 1..]
                .find(&close)
                .map_or(b.len(), |n| j + 1 + n + close.len());
            blank(&mut out, &b[i..end]);
            i = end;
        } else if c == b'"' {
            let start = i;
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(b.len());
            blank(&mut out, &b[start..i]);
        } else if c == b'\'' {
            // A char literal ('x', '\n', '\''), not a lifetime ('a).
            let lit = if b.get(i + 1) == Some(&b'\\') {
                src[i + 2..].find('\'').map(|n| i + 2 + n + 1)
            } else {
                let ch = src[i + 1..].chars().next().map_or(1, char::len_utf8);
                (b.get(i + 1 + ch) == Some(&b'\'')).then_some(i + 2 + ch)
            };
            match lit {
                Some(end) => {
                    blank(&mut out, &b[i..end]);
                    i = end;
                }
                None => {
                    out.push('\'');
                    i += 1;
                }
            }
        } else {
            let ch = src[i..].chars().next().expect("char");
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// Identifier and `::`/`{`/`}`/`,` tokens, each with its line.
fn tokens(code: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut chars = code.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\n' {
            line += 1;
        } else if c == '$' || c.is_alphabetic() || c == '_' {
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = chars.peek() {
                if d.is_alphanumeric() || d == '_' {
                    end = j + d.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            out.push((code[i..end].to_string(), line));
        } else if c == ':' && chars.peek().is_some_and(|&(_, d)| d == ':') {
            chars.next();
            out.push(("::".to_string(), line));
        } else if matches!(c, '{' | '}' | ',' | ';' | '*') {
            out.push((c.to_string(), line));
        }
    }
    out
}

/// The paths a file names from `crate`, `$crate` or `super` roots, each resolved to an
/// absolute module path (only its first segments matter). Tracks inline `mod x { .. }`
/// blocks so that `super::` inside `mod tests` means the file's own module.
fn paths_of(file_module: &[String], code: &str) -> Vec<(Vec<String>, usize)> {
    let toks = tokens(code);
    let mut out = Vec::new();
    // Inline modules: (name, brace depth at which it closes).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < toks.len() {
        let (t, line) = (&toks[i].0, toks[i].1);
        match t.as_str() {
            "{" => depth += 1,
            "}" => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            "mod" if toks.get(i + 2).is_some_and(|t| t.0 == "{") => {
                inline.push((toks[i + 1].0.clone(), depth));
            }
            _ => {}
        }
        let prev_is_sep = i > 0 && toks[i - 1].0 == "::";
        let root: Option<Vec<String>> = match t.as_str() {
            "crate" | "$crate" if !prev_is_sep => Some(Vec::new()),
            "super" if !prev_is_sep => {
                // `super::` is relative to the file's module and the inline modules open
                // around it (`mod tests { use super::*; }`).
                let mut base: Vec<String> = file_module.to_vec();
                base.extend(inline.iter().map(|(n, _)| n.clone()));
                let mut j = i;
                while toks.get(j).is_some_and(|t| t.0 == "super")
                    && toks.get(j + 1).is_some_and(|t| t.0 == "::")
                {
                    base.pop();
                    j += 2;
                }
                if j > i {
                    collect_path(&toks, j, &base, line, &mut out);
                    // Skip the `super::` tokens; the rest (groups' braces) is read as usual.
                    i = j;
                    continue;
                }
                None
            }
            _ => None,
        };
        if let Some(segs) = root {
            if toks.get(i + 1).is_some_and(|t| t.0 == "::") {
                collect_path(&toks, i + 2, &segs, line, &mut out);
            }
        }
        i += 1;
    }
    out
}

/// From token `j` (just after a `::`), pushes the path(s) it names: `a::b::c`, or every
/// branch of a `{a, b::c}` group.
fn collect_path(
    toks: &[(String, usize)],
    j: usize,
    prefix: &[String],
    line: usize,
    out: &mut Vec<(Vec<String>, usize)>,
) {
    let mut segs = prefix.to_vec();
    let mut j = j;
    loop {
        match toks.get(j).map(|t| t.0.as_str()) {
            Some("{") => {
                // A group: each comma-separated branch at this depth.
                let mut k = j + 1;
                let mut level = 0;
                let mut branch_start = true;
                while let Some(t) = toks.get(k) {
                    match t.0.as_str() {
                        "{" => level += 1,
                        "}" if level == 0 => break,
                        "}" => level -= 1,
                        "," if level == 0 => branch_start = true,
                        s if branch_start && level == 0 => {
                            branch_start = false;
                            if s != "self" && s != "*" {
                                let mut branch = segs.clone();
                                branch.push(s.to_string());
                                if toks.get(k + 1).is_some_and(|t| t.0 == "::") {
                                    collect_path(toks, k + 2, &branch, t.1, out);
                                } else {
                                    out.push((branch, t.1));
                                }
                            } else {
                                out.push((segs.clone(), t.1));
                            }
                        }
                        _ => {}
                    }
                    k += 1;
                }
                return;
            }
            Some(s) if s != "::" && s != "*" && s != ";" && s != "," && s != "}" => {
                segs.push(s.to_string());
                if toks.get(j + 1).is_some_and(|t| t.0 == "::") {
                    j += 2;
                    continue;
                }
                break;
            }
            _ => break,
        }
    }
    out.push((segs, line));
}

/// Top-level names of the crate root that are not modules (re-exports and exported
/// macros), mapped to the module that defines them. External re-exports map to nothing.
fn root_aliases(
    files: &[(PathBuf, String)],
    modules: &BTreeSet<String>,
) -> BTreeMap<String, String> {
    let mut aliases = BTreeMap::new();
    for (rel, code) in files {
        let module = module_of(rel);
        // `#[macro_export] macro_rules! name` lands at the crate root.
        let toks = tokens(code);
        for w in toks.windows(2) {
            if w[0].0 == "macro_rules" {
                if let Some(top) = module.first() {
                    aliases.insert(w[1].0.clone(), top.clone());
                }
            }
        }
        if module.is_empty() {
            // lib.rs: `pub use <module>::...` re-exports, outside `mod prelude`.
            let mut i = 0;
            let mut depth = 0;
            while i < toks.len() {
                match toks[i].0.as_str() {
                    "{" => depth += 1,
                    "}" => depth -= 1,
                    "use" if depth == 0 => {
                        let mut out = Vec::new();
                        collect_path(&toks, i + 1, &[], 0, &mut out);
                        for (path, _) in out {
                            let (Some(first), Some(last)) = (path.first(), path.last()) else {
                                continue;
                            };
                            if modules.contains(first) {
                                aliases.insert(last.clone(), first.clone());
                            } else if let Some(target) = aliases.get(first).cloned() {
                                aliases.insert(last.clone(), target);
                            }
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
    }
    aliases
}

struct Crate {
    modules: BTreeSet<String>,
    edges: Vec<Edge>,
}

fn scan() -> Crate {
    let src = src_dir();
    let mut paths = Vec::new();
    rust_files(&src, &mut paths);
    let files: Vec<(PathBuf, String)> = paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).expect("read source");
            (
                p.strip_prefix(&src).expect("under src").to_path_buf(),
                code_only(&text),
            )
        })
        .collect();
    let modules: BTreeSet<String> = files
        .iter()
        .filter_map(|(rel, _)| module_of(rel).first().cloned())
        .collect();
    let aliases = root_aliases(&files, &modules);
    let mut edges = Vec::new();
    for (rel, code) in &files {
        let from = module_of(rel);
        for (mut to, line) in paths_of(&from, code) {
            let Some(first) = to.first().cloned() else {
                continue;
            };
            if !modules.contains(&first) {
                match aliases.get(&first) {
                    Some(m) => to.insert(0, m.clone()),
                    // A std/extern name reached through the root, or a root item.
                    None => continue,
                }
            }
            edges.push(Edge {
                file: rel.display().to_string(),
                line,
                from: from.clone(),
                to,
            });
        }
    }
    Crate { modules, edges }
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|row| row.contains(&module))
}

/// A cycle in a graph, as its nodes in order, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(pos) = stack.iter().position(|s| s == n) {
            let mut cycle = stack[pos..].to_vec();
            cycle.push(n.to_string());
            return Some(cycle);
        }
        if done.contains(n) {
            return None;
        }
        stack.push(n.to_string());
        for m in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, graph, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for n in graph.keys() {
        if let Some(c) = visit(n, graph, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

/// Where an edge between two nodes is made, for messages.
fn places(edges: &[&Edge]) -> String {
    edges
        .iter()
        .take(3)
        .map(|e| format!("src/{}:{}", e.file, e.line))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks a graph of nodes at `level` of module paths for cycles.
fn cycle_problem(edges: &[Edge], level: usize, within: &[String]) -> Option<String> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut by_pair: BTreeMap<(String, String), Vec<&Edge>> = BTreeMap::new();
    for e in edges {
        if !(e.from.starts_with(within) && e.to.starts_with(within)) {
            continue;
        }
        let (Some(a), Some(b)) = (e.from.get(level), e.to.get(level)) else {
            continue;
        };
        if a != b {
            graph.entry(a.clone()).or_default().insert(b.clone());
            by_pair.entry((a.clone(), b.clone())).or_default().push(e);
        }
    }
    let cycle = find_cycle(&graph)?;
    let steps: Vec<String> = cycle
        .windows(2)
        .map(|w| {
            let at = &by_pair[&(w[0].clone(), w[1].clone())];
            format!("{} -> {} ({})", w[0], w[1], places(at))
        })
        .collect();
    Some(format!("import cycle: {}", steps.join("; ")))
}

#[test]
fn every_top_level_module_is_in_the_layer_table() {
    let krate = scan();
    let mut listed: Vec<&str> = LAYERS.iter().flat_map(|r| r.iter().copied()).collect();
    listed.sort();
    let found: Vec<&str> = krate.modules.iter().map(String::as_str).collect();
    assert_eq!(
        found, listed,
        "the top-level modules of src/ and the layer table in tests/layers.rs differ"
    );
}

#[test]
fn no_edge_goes_up_a_layer() {
    let krate = scan();
    let mut problems = Vec::new();
    for e in &krate.edges {
        let (Some(from), Some(to)) = (e.from.first(), e.to.first()) else {
            continue;
        };
        let (Some(lf), Some(lt)) = (layer_of(from), layer_of(to)) else {
            continue;
        };
        if lt > lf {
            problems.push(format!(
                "src/{}:{}: {from} (layer {lf}) uses {} (layer {lt})",
                e.file,
                e.line,
                e.to.join("::")
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_cycle_between_top_level_modules() {
    let krate = scan();
    if let Some(p) = cycle_problem(&krate.edges, 0, &[]) {
        panic!("{p}");
    }
}

#[test]
fn no_cycle_inside_the_api_client() {
    let krate = scan();
    assert!(
        krate
            .edges
            .iter()
            .any(|e| e.from.first().is_some_and(|m| m == "api")),
        "no edges seen inside api: the scan is broken"
    );
    if let Some(p) = cycle_problem(&krate.edges, 1, &["api".to_string()]) {
        panic!("{p}");
    }
}

#[test]
fn api_uses_nothing_else_of_the_runtime() {
    let krate = scan();
    let out: Vec<String> = krate
        .edges
        .iter()
        .filter(|e| e.from.first().is_some_and(|m| m == "api"))
        .filter(|e| e.to.first().is_some_and(|m| m != "api"))
        .map(|e| format!("src/{}:{}: {}", e.file, e.line, e.to.join("::")))
        .collect();
    assert!(
        out.is_empty(),
        "api reaches out of itself:\n{}",
        out.join("\n")
    );
}

#[test]
fn the_crate_docs_show_this_table() {
    let lib = std::fs::read_to_string(src_dir().join("lib.rs")).expect("read lib.rs");
    let lines: Vec<&str> = lib.lines().collect();
    let heading = lines
        .iter()
        .position(|l| l.trim() == "//! # Layers")
        .expect("lib.rs has a `# Layers` section");
    let start = lines[heading..]
        .iter()
        .position(|l| l.trim() == "//! ```text")
        .map(|p| heading + p + 1)
        .expect("a ```text block after `# Layers`");
    let mut documented: Vec<(usize, Vec<String>)> = Vec::new();
    for l in &lines[start..] {
        let l = l.trim_start_matches("//!").trim();
        if l == "```" {
            break;
        }
        // `<layer>  <module> <module>...   <description>`: columns apart by 2+ spaces.
        let (n, rest) = l
            .split_once("  ")
            .unwrap_or_else(|| panic!("lib.rs layer row without modules: {l:?}"));
        let n: usize = n
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("lib.rs layer row without a number: {l:?}"));
        let rest = rest.trim_start();
        let mods: Vec<String> = rest
            .split_once("  ")
            .map_or(rest, |(m, _)| m)
            .split(' ')
            .map(str::to_string)
            .collect();
        documented.push((n, mods));
    }
    documented.sort();
    let table: Vec<(usize, Vec<String>)> = LAYERS
        .iter()
        .enumerate()
        .map(|(n, row)| (n, row.iter().map(|m| m.to_string()).collect()))
        .collect();
    assert_eq!(
        documented, table,
        "the layer table in lib.rs's docs and the one in tests/layers.rs differ"
    );
}

/// The scanner itself: paths in code count, those in comments, docs and strings do not.
#[test]
fn the_scan_reads_code_not_comments() {
    let code = code_only(
        "use crate::{db::Db, model::{self, Value}};\n\
         /// [`x`](crate::testing::X)\n\
         // crate::entry\n\
         let s = \"crate::protocol\"; let c = '\"'; let r = r#\"crate::wire\"#;\n\
         mod tests { use super::super::checks::rules; }\n\
         fn f<'a>(x: &'a str) -> crate::engine::Y { $crate::migration::m() }\n",
    );
    let mut got: Vec<String> = paths_of(&["standalone".to_string()], &code)
        .into_iter()
        .map(|(p, l)| format!("{}@{l}", p.join("::")))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            "checks::rules@5",
            "db::Db@1",
            "engine::Y@6",
            "migration::m@6",
            "model::Value@1",
            "model@1",
        ]
    );
}
