//! Reading a plugin's sources: its models and enums (what the tables must be) and its
//! migration files (what the migrations make of them). This module only walks the files;
//! what a struct means (columns, types, table) is `devlake-schema`'s reading, the one the
//! derive makes too.

use anyhow::{bail, Context, Result};
use devlake::model::ModelKind;
use devlake_schema::{derives, Kind, ModelSpec, SourceItems};
use std::path::{Path, PathBuf};
use syn::Attribute;

/// A struct deriving `devlake::Model`, as the derive reads it, and where it is declared.
#[derive(Debug, Clone)]
pub struct ModelDef {
    /// What the derive makes of it.
    pub spec: ModelSpec,
    /// Where it is declared (relative to the crate root), for messages.
    pub file: String,
}

impl std::ops::Deref for ModelDef {
    type Target = ModelSpec;
    fn deref(&self) -> &ModelSpec {
        &self.spec
    }
}

impl ModelDef {
    /// Whether migrations manage its table: not DevLake's domain tables, not plain structs.
    pub fn migrated(&self) -> bool {
        self.spec.kind.migrated()
    }

    /// Its kind as the runtime names it (which decides the framework's columns).
    pub fn model_kind(&self) -> ModelKind {
        match self.spec.kind {
            Kind::Tool => ModelKind::Tool,
            Kind::Scope => ModelKind::Scope,
            Kind::Connection => ModelKind::Connection,
            Kind::ScopeConfig => ModelKind::ScopeConfig,
            Kind::Domain => ModelKind::Domain,
            Kind::Plain => ModelKind::Plain,
        }
    }
}

/// An enum deriving `devlake::Enum`, as a snapshot copies it.
#[derive(Debug, Clone)]
pub struct EnumDef {
    /// The enum, with only the attributes a snapshot keeps.
    pub item: syn::ItemEnum,
}

/// Everything the derive-relevant sources of a crate declare.
#[derive(Debug, Default)]
pub struct Declarations {
    /// Models, in file and declaration order.
    pub models: Vec<ModelDef>,
    /// Enums by name.
    pub enums: Vec<EnumDef>,
}

impl Declarations {
    /// The enum named `name`.
    pub fn enum_named(&self, name: &str) -> Option<&EnumDef> {
        self.enums.iter().find(|e| e.item.ident == name)
    }
}

fn is_doc(a: &Attribute) -> bool {
    a.path().is_ident("doc")
}

/// Parses every `.rs` file under `src` except the `migrations` folder.
pub fn declarations(root: &Path, src: &Path, crate_name: &str) -> Result<Declarations> {
    let mut files = Vec::new();
    collect_rs(src, &src.join("migrations"), &mut files)?;
    files.sort();
    let mut out = Declarations::default();
    for path in files {
        let file = parse_file(&path)?;
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .display()
            .to_string();
        collect_items(&file, crate_name, &rel, &mut out)?;
    }
    Ok(out)
}

fn collect_rs(dir: &Path, skip: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        if path == skip {
            continue;
        }
        if path.is_dir() {
            collect_rs(&path, skip, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// Reads and parses one Rust file; errors name the file, line and column.
pub fn parse_file(path: &Path) -> Result<syn::File> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    syn::parse_file(&text).map_err(|e| {
        let at = e.span().start();
        anyhow::anyhow!(
            "{}:{}:{}: cannot parse: {e}",
            path.display(),
            at.line,
            at.column + 1
        )
    })
}

/// Collects models and enums from a parsed file's items (inline modules included), read
/// by the derives' own rules; an error names the file, line and column the derive would.
pub fn collect_items(
    file: &syn::File,
    crate_name: &str,
    label: &str,
    out: &mut Declarations,
) -> Result<()> {
    let items = SourceItems::from_items(&file.items, crate_name).map_err(|e| {
        let at = e.span().start();
        anyhow::anyhow!("{label}:{}:{}: {e}", at.line, at.column + 1)
    })?;
    out.models
        .extend(items.models.into_iter().map(|spec| ModelDef {
            spec,
            file: label.to_string(),
        }));
    out.enums.extend(items.enums.iter().map(|e| EnumDef {
        item: snapshot_enum(e),
    }));
    Ok(())
}

/// The enum as a snapshot keeps it: public, `devlake::Enum` (plus `Default` when it had
/// it), doc and `devlake` attributes only.
fn snapshot_enum(e: &syn::ItemEnum) -> syn::ItemEnum {
    let mut item = e.clone();
    let default = derives(&e.attrs, "Default");
    let derive: Attribute = if default {
        syn::parse_quote!(#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, devlake::Enum)])
    } else {
        syn::parse_quote!(#[derive(Debug, Clone, Copy, PartialEq, Eq, devlake::Enum)])
    };
    let mut attrs: Vec<Attribute> = e.attrs.iter().filter(|a| is_doc(a)).cloned().collect();
    attrs.push(derive);
    attrs.extend(
        e.attrs
            .iter()
            .filter(|a| a.path().is_ident("devlake"))
            .cloned(),
    );
    item.attrs = attrs;
    item.vis = syn::parse_quote!(pub);
    for v in &mut item.variants {
        v.attrs
            .retain(|a| is_doc(a) || a.path().is_ident("devlake") || a.path().is_ident("default"));
    }
    item
}

/// Fails on a field whose type is neither a known column type nor one of the enums.
pub fn check_enums(models: &[ModelDef], decls: &Declarations) -> Result<()> {
    for m in models {
        for f in &m.fields {
            let Some(e) = f.column_kind.enum_name() else {
                continue;
            };
            if decls.enum_named(e).is_none() {
                bail!(
                    "{}: model {} field {}: type `{e}` is not a column type nor an enum with #[derive(devlake::Enum)] in this crate",
                    m.file,
                    m.ident,
                    f.ident
                );
            }
        }
    }
    Ok(())
}
