//! Reading a plugin's sources with syn: its models and enums (what the tables must be) and
//! its migration files (what the migrations make of them).

use anyhow::{bail, Context, Result};
use devlake::model::ModelKind;
use std::path::{Path, PathBuf};
use syn::{Attribute, Fields, GenericArgument, Item, LitStr, PathArguments, Type};

/// The column type a Rust field type maps to (the derive's `ColumnValue::TYPE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeKind {
    /// `String`.
    String,
    /// Integers.
    Integer,
    /// Floats.
    Float,
    /// `bool`.
    Boolean,
    /// `DateTime`, `NaiveDateTime`.
    DateTime,
    /// `Secret`.
    Secret,
    /// `serde_json::Value`, `Json<T>`.
    Object,
    /// `Vec<T>`, with the item's type.
    Array(Box<TypeKind>),
    /// An enum deriving `devlake::Enum`.
    Enum(String),
}

impl TypeKind {
    /// The enum this type is or holds.
    pub fn enum_name(&self) -> Option<&str> {
        match self {
            TypeKind::Enum(e) => Some(e),
            TypeKind::Array(item) => item.enum_name(),
            _ => None,
        }
    }
}

/// A model field that is a column.
#[derive(Debug, Clone)]
pub struct FieldDef {
    /// The Rust field name.
    pub ident: syn::Ident,
    /// Column name.
    pub column: String,
    /// Column type.
    pub kind: TypeKind,
    /// `Option<T>`.
    pub nullable: bool,
    /// `#[devlake(primary_key)]`.
    pub primary_key: bool,
    /// `#[devlake(max_length = N)]`.
    pub max_length: Option<u32>,
    /// `#[devlake(sql_type = "...")]`.
    pub sql_type: Option<String>,
    /// `#[devlake(renamed_from = "...")]`.
    pub renamed_from: Option<String>,
    /// Doc comments and the `devlake` attributes a snapshot keeps.
    pub kept_attrs: Vec<Attribute>,
}

/// A struct deriving `devlake::Model`.
#[derive(Debug, Clone)]
pub struct ModelDef {
    /// The struct name.
    pub ident: syn::Ident,
    /// What it is for.
    pub kind: ModelKind,
    /// Its table.
    pub table: String,
    /// `#[devlake(name = "...")]`.
    pub type_name: Option<String>,
    /// Column fields, in declaration order (`skip`ped ones left out).
    pub fields: Vec<FieldDef>,
    /// Doc comments.
    pub docs: Vec<Attribute>,
    /// Where it is declared (relative to the crate root), for messages.
    pub file: String,
}

impl ModelDef {
    /// Whether migrations manage its table: not DevLake's domain tables, not plain structs.
    pub fn migrated(&self) -> bool {
        !matches!(self.kind, ModelKind::Domain | ModelKind::Plain)
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

fn derives(attrs: &[Attribute], what: &str) -> bool {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("derive"))
        .any(|a| {
            let mut found = false;
            let _ = a.parse_nested_meta(|meta| {
                if meta.path.segments.last().is_some_and(|s| s.ident == what) {
                    found = true;
                }
                Ok(())
            });
            found
        })
}

fn is_doc(a: &Attribute) -> bool {
    a.path().is_ident("doc")
}

/// Table name as the derive computes it: `_tool_<crate>_<plural of the lowercased name>`.
pub fn default_table(crate_name: &str, ident: &str) -> String {
    format!(
        "_tool_{crate_name}_{}",
        pluralizer::pluralize(&ident.to_lowercase(), 2, false)
    )
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
        collect_items(&file.items, crate_name, &rel, &mut out)?;
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

/// Collects models and enums from items (recursing into inline modules).
pub fn collect_items(
    items: &[Item],
    crate_name: &str,
    file: &str,
    out: &mut Declarations,
) -> Result<()> {
    for item in items {
        match item {
            Item::Struct(s) if derives(&s.attrs, "Model") => {
                out.models.push(model(s, crate_name, file)?)
            }
            Item::Enum(e) if derives(&e.attrs, "Enum") => out.enums.push(EnumDef {
                item: snapshot_enum(e),
            }),
            Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    collect_items(inner, crate_name, file, out)?;
                }
            }
            _ => {}
        }
    }
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

fn model(s: &syn::ItemStruct, crate_name: &str, file: &str) -> Result<ModelDef> {
    let ident = s.ident.clone();
    let mut kind = ModelKind::Tool;
    let mut table = None;
    let mut type_name = None;
    for attr in s.attrs.iter().filter(|a| a.path().is_ident("devlake")) {
        attr.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(|i| i.to_string())
                .unwrap_or_default();
            match key.as_str() {
                "tool" => kind = ModelKind::Tool,
                "scope" => kind = ModelKind::Scope,
                "connection" => kind = ModelKind::Connection,
                "scope_config" => kind = ModelKind::ScopeConfig,
                "domain" => kind = ModelKind::Domain,
                "plain" => kind = ModelKind::Plain,
                "table" => table = Some(meta.value()?.parse::<LitStr>()?.value()),
                "name" => type_name = Some(meta.value()?.parse::<LitStr>()?.value()),
                _ => {}
            }
            Ok(())
        })
        .map_err(|e| anyhow::anyhow!("{file}: model {ident}: {e}"))?;
    }
    let table = match (table, kind) {
        (Some(t), _) => t,
        (None, ModelKind::Plain | ModelKind::Domain) => String::new(),
        (None, _) => default_table(crate_name, &ident.to_string()),
    };
    let mut fields = Vec::new();
    if let Fields::Named(named) = &s.fields {
        for f in &named.named {
            if let Some(field) =
                field(f).map_err(|e| anyhow::anyhow!("{file}: model {ident}: {e}"))?
            {
                fields.push(field);
            }
        }
    }
    let docs = s.attrs.iter().filter(|a| is_doc(a)).cloned().collect();
    Ok(ModelDef {
        ident,
        kind,
        table,
        type_name,
        fields,
        docs,
        file: file.to_string(),
    })
}

fn field(f: &syn::Field) -> Result<Option<FieldDef>> {
    let ident = f.ident.clone().expect("named field");
    let rust_name = ident.to_string().trim_start_matches("r#").to_string();
    let mut column = None;
    let mut primary_key = false;
    let mut max_length = None;
    let mut sql_type = None;
    let mut renamed_from = None;
    let mut skip = false;
    for attr in f.attrs.iter().filter(|a| a.path().is_ident("devlake")) {
        attr.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(|i| i.to_string())
                .unwrap_or_default();
            match key.as_str() {
                "primary_key" => primary_key = true,
                "max_length" => {
                    max_length = Some(meta.value()?.parse::<syn::LitInt>()?.base10_parse()?)
                }
                "sql_type" => sql_type = Some(meta.value()?.parse::<LitStr>()?.value()),
                "column" => column = Some(meta.value()?.parse::<LitStr>()?.value()),
                "renamed_from" => renamed_from = Some(meta.value()?.parse::<LitStr>()?.value()),
                "skip" => skip = true,
                _ => {
                    if meta.input.peek(syn::Token![=]) {
                        meta.value()?.parse::<syn::Expr>()?;
                    }
                }
            }
            Ok(())
        })?;
    }
    if skip {
        return Ok(None);
    }
    let (kind, nullable) = type_kind(&f.ty).ok_or_else(|| {
        let ty = quote::ToTokens::to_token_stream(&f.ty).to_string();
        anyhow::anyhow!(
            "field {rust_name}: unsupported type `{ty}`; a column is String, an integer, f64, bool, DateTime, \
             Secret, serde_json::Value, Json<T>, Vec<T>, an enum deriving devlake::Enum, or an Option of one"
        )
    })?;
    Ok(Some(FieldDef {
        ident,
        column: column.unwrap_or(rust_name),
        kind,
        nullable,
        primary_key,
        max_length,
        sql_type,
        renamed_from,
        kept_attrs: kept_attributes(f),
    }))
}

/// The field's doc comments and its `devlake` attributes minus `source`, `renamed_from`
/// and `skip`, rebuilt as one `#[devlake(...)]`.
fn kept_attributes(f: &syn::Field) -> Vec<Attribute> {
    let mut out: Vec<Attribute> = f.attrs.iter().filter(|a| is_doc(a)).cloned().collect();
    let mut entries: Vec<proc_macro2::TokenStream> = Vec::new();
    for attr in f.attrs.iter().filter(|a| a.path().is_ident("devlake")) {
        let parsed = attr.parse_args_with(
            syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated,
        );
        if let Ok(list) = parsed {
            for meta in list {
                let key = meta
                    .path()
                    .get_ident()
                    .map(|i| i.to_string())
                    .unwrap_or_default();
                if !matches!(key.as_str(), "source" | "renamed_from" | "skip") {
                    entries.push(quote::ToTokens::to_token_stream(&meta));
                }
            }
        }
    }
    if !entries.is_empty() {
        out.push(syn::parse_quote!(#[devlake(#(#entries),*)]));
    }
    out
}

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        Type::Group(g) => last_segment(&g.elem),
        Type::Paren(p) => last_segment(&p.elem),
        _ => None,
    }
}

fn first_type_arg(seg: &syn::PathSegment) -> Option<&Type> {
    match &seg.arguments {
        PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    }
}

/// The column type of a Rust type and whether it is an `Option`; `None` if unsupported.
/// Names that are not known column types are taken for enums deriving `devlake::Enum`;
/// [`check_enums`] verifies them.
pub fn type_kind(ty: &Type) -> Option<(TypeKind, bool)> {
    let seg = last_segment(ty)?;
    let name = seg.ident.to_string();
    if name == "Option" {
        let (kind, _) = type_kind(first_type_arg(seg)?)?;
        return Some((kind, true));
    }
    let kind = match name.as_str() {
        "String" => TypeKind::String,
        "i64" | "i32" | "i16" | "i8" | "u64" | "u32" | "u16" | "u8" | "isize" | "usize" => {
            TypeKind::Integer
        }
        "f64" | "f32" => TypeKind::Float,
        "bool" => TypeKind::Boolean,
        "DateTime" | "NaiveDateTime" => TypeKind::DateTime,
        "Secret" => TypeKind::Secret,
        "Value" | "Json" => TypeKind::Object,
        "Vec" => {
            let item = first_type_arg(seg)?;
            TypeKind::Array(Box::new(type_kind(item)?.0))
        }
        _ if matches!(seg.arguments, PathArguments::None)
            && name.chars().next()?.is_uppercase() =>
        {
            TypeKind::Enum(name)
        }
        _ => return None,
    };
    Some((kind, false))
}

/// Fails on a field whose type is neither a known column type nor one of the enums.
pub fn check_enums(models: &[ModelDef], decls: &Declarations) -> Result<()> {
    for m in models {
        for f in &m.fields {
            let Some(e) = f.kind.enum_name() else {
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
