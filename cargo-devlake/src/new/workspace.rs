//! The cargo workspace a new plugin lands in, if any: its membership and its shared
//! dependencies, edited with `toml_edit` so that formatting and comments survive.

use anyhow::Context as _;
use std::path::{Path, PathBuf};
use toml_edit::{DocumentMut, Item, Table, Value};

/// An enclosing workspace (the nearest ancestor `Cargo.toml` with a `[workspace]` table,
/// as cargo finds it).
#[derive(Debug)]
pub struct Workspace {
    /// The workspace root's `Cargo.toml`.
    pub manifest: PathBuf,
    doc: DocumentMut,
}

/// What joining a workspace takes.
#[derive(Debug, PartialEq, Eq)]
pub enum Membership {
    /// Append this path to `workspace.members`.
    Add(String),
    /// A `members` glob already covers the path.
    CoveredBy(String),
    /// `workspace.exclude` lists the path: the crate stays out of the workspace.
    Excluded(String),
}

impl Workspace {
    /// Finds the workspace enclosing `dir` (which need not exist yet).
    pub fn find(dir: &Path) -> anyhow::Result<Option<Workspace>> {
        for ancestor in dir.ancestors().skip(1) {
            let manifest = ancestor.join("Cargo.toml");
            if !manifest.is_file() {
                continue;
            }
            let text = std::fs::read_to_string(&manifest)
                .with_context(|| format!("reading {}", manifest.display()))?;
            let doc: DocumentMut = text
                .parse()
                .with_context(|| format!("{} is not valid TOML", manifest.display()))?;
            if doc.get("workspace").is_some_and(Item::is_table_like) {
                return Ok(Some(Workspace { manifest, doc }));
            }
        }
        Ok(None)
    }

    /// The workspace root.
    pub fn root(&self) -> &Path {
        self.manifest.parent().expect("a manifest has a parent")
    }

    fn workspace_table(&self) -> &dyn toml_edit::TableLike {
        self.doc["workspace"]
            .as_table_like()
            .expect("checked in find")
    }

    fn string_array(&self, key: &str) -> Vec<String> {
        self.workspace_table()
            .get(key)
            .and_then(Item::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether `[workspace.dependencies]` declares `name`.
    pub fn has_dependency(&self, name: &str) -> bool {
        self.workspace_table()
            .get("dependencies")
            .and_then(Item::as_table_like)
            .is_some_and(|t| t.contains_key(name))
    }

    /// How a crate at `dir` (absolute, under the root) joins the workspace.
    pub fn membership(&self, dir: &Path) -> anyhow::Result<Membership> {
        let rel = dir.strip_prefix(self.root()).with_context(|| {
            format!(
                "{} is not under the workspace root {}",
                dir.display(),
                self.root().display()
            )
        })?;
        let rel: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let rel_str = rel.join("/");
        for ex in self.string_array("exclude") {
            let ex_parts: Vec<&str> = ex
                .trim_end_matches('/')
                .split('/')
                .filter(|s| !s.is_empty() && *s != ".")
                .collect();
            if rel.len() >= ex_parts.len() && rel.iter().zip(&ex_parts).all(|(a, b)| a == b) {
                return Ok(Membership::Excluded(ex));
            }
        }
        for m in self.string_array("members") {
            let parts: Vec<&str> = m
                .trim_end_matches('/')
                .split('/')
                .filter(|s| !s.is_empty() && *s != ".")
                .collect();
            if parts.len() == rel.len() && parts.iter().zip(&rel).all(|(p, r)| glob_segment(p, r)) {
                return Ok(Membership::CoveredBy(m));
            }
        }
        Ok(Membership::Add(rel_str))
    }

    /// The manifest text with `member` appended to `workspace.members`, in the style of
    /// the entries already there (one per line stays one per line).
    pub fn with_member(&self, member: &str) -> String {
        let mut doc = self.doc.clone();
        let ws = doc["workspace"]
            .as_table_like_mut()
            .expect("checked in find");
        let Some(members) = ws.get_mut("members").and_then(Item::as_array_mut) else {
            ws.insert(
                "members",
                toml_edit::value(toml_edit::Array::from_iter([member])),
            );
            return doc.to_string();
        };
        let mut value = Value::from(member);
        if let Some(n) = members.len().checked_sub(1) {
            let trailing = members.trailing().as_str().unwrap_or("").to_string();
            let last = members.get_mut(n).expect("n < len");
            let prefix = last
                .decor()
                .prefix()
                .and_then(|p| p.as_str())
                .unwrap_or(" ")
                .to_string();
            let suffix = last
                .decor()
                .suffix()
                .and_then(|s| s.as_str())
                .unwrap_or("")
                .to_string();
            let tail = format!("{suffix}{trailing}");
            match tail.rfind('\n') {
                // A comment after the last entry stays with it, and the closing bracket
                // keeps its own line.
                Some(pos) => {
                    last.decor_mut().set_suffix("");
                    value
                        .decor_mut()
                        .set_prefix(format!("{}{prefix}", tail[..pos].trim_end()));
                    members.set_trailing(&tail[pos..]);
                }
                None => value.decor_mut().set_prefix(prefix),
            }
        }
        members.push_formatted(value);
        doc.to_string()
    }
}

/// Matches one path segment against a cargo `members` glob segment (`*`, `?`, literals).
fn glob_segment(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

/// Rewrites the `[dependencies]` and `[dev-dependencies]` of a generated manifest to
/// inherit what the workspace declares (`serde_json.workspace = true`), keeping any
/// `features` the template asks for on top of the workspace's.
pub fn inherit_dependencies(manifest: &str, ws: &Workspace) -> anyhow::Result<String> {
    let mut doc: DocumentMut = manifest
        .parse()
        .context("the generated Cargo.toml is not valid TOML")?;
    for section in ["dependencies", "dev-dependencies"] {
        let Some(deps) = doc.get_mut(section).and_then(Item::as_table_mut) else {
            continue;
        };
        let names: Vec<String> = deps.iter().map(|(k, _)| k.to_string()).collect();
        for name in names.iter().filter(|n| ws.has_dependency(n)) {
            let features = deps[name.as_str()]
                .as_table_like()
                .and_then(|t| t.get("features"))
                .and_then(Item::as_array)
                .cloned();
            let key_decor = deps.key(name).expect("listed above").leaf_decor().clone();
            // Keeps a comment after the value (`tokio = "1"  # why`).
            let value_decor = deps[name.as_str()]
                .as_value()
                .map(|v| v.decor().clone())
                .unwrap_or_default();
            let mut inherited = Table::new();
            let item = match features {
                Some(f) => {
                    inherited.insert("workspace", toml_edit::value(true));
                    inherited.insert("features", toml_edit::value(f));
                    let mut inline = Value::InlineTable(inherited.into_inline_table());
                    *inline.decor_mut() = value_decor;
                    Item::Value(inline)
                }
                None => {
                    let mut yes = Value::from(true);
                    *yes.decor_mut() = value_decor;
                    inherited.insert("workspace", Item::Value(yes));
                    // `name.workspace = true` takes its comments from its last key.
                    inherited.set_dotted(true);
                    *inherited
                        .key_mut("workspace")
                        .expect("just inserted")
                        .leaf_decor_mut() = key_decor;
                    Item::Table(inherited)
                }
            };
            // Replacing the item in place keeps the key and the comments above it.
            *deps.get_mut(name).expect("listed above") = item;
        }
    }
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws(text: &str) -> Workspace {
        Workspace {
            manifest: PathBuf::from("/w/Cargo.toml"),
            doc: text.parse().unwrap(),
        }
    }

    #[test]
    fn members_keep_their_style_and_comments() {
        let cases = [
            (
                "[workspace]\nmembers = [\n    \"a\", # first\n]\n",
                "[workspace]\nmembers = [\n    \"a\", # first\n    \"p/x\",\n]\n",
            ),
            (
                "[workspace]\nmembers = [\n  \"a\" # first\n]\n",
                "[workspace]\nmembers = [\n  \"a\", # first\n  \"p/x\"\n]\n",
            ),
            (
                "[workspace]\nmembers = [\"a\", \"b\"]\n",
                "[workspace]\nmembers = [\"a\", \"b\", \"p/x\"]\n",
            ),
            (
                "[workspace]\nmembers = []\n",
                "[workspace]\nmembers = [\"p/x\"]\n",
            ),
            (
                "[workspace]\nresolver = \"2\"\n",
                "[workspace]\nresolver = \"2\"\nmembers = [\"p/x\"]\n",
            ),
        ];
        for (before, after) in cases {
            assert_eq!(ws(before).with_member("p/x"), after, "{before}");
        }
    }

    #[test]
    fn inherited_dependencies_keep_their_comments() {
        let w = ws("[workspace]\n[workspace.dependencies]\ndevlake = \"0.1\"\ntokio = \"1\"\n");
        let manifest = "[dependencies]\n# The runtime.\ndevlake = { path = \"/r\" } # local\nfutures = \"0.3\"\n\n[dev-dependencies]\n# Tests.\ntokio = { version = \"1\", features = [\"rt\"] }  # async\n";
        let expected = "[dependencies]\n# The runtime.\ndevlake.workspace = true # local\nfutures = \"0.3\"\n\n[dev-dependencies]\n# Tests.\ntokio = { workspace = true, features = [\"rt\"] }  # async\n";
        assert_eq!(inherit_dependencies(manifest, &w).unwrap(), expected);
    }

    #[test]
    fn globs_match_segments() {
        assert!(glob_segment("*", "acme"));
        assert!(glob_segment("plugin-*", "plugin-acme"));
        assert!(glob_segment("a?me", "acme"));
        assert!(!glob_segment("plugin-*", "acme"));
        assert!(glob_segment("acme", "acme"));
    }
}
