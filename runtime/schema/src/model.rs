//! `#[derive(Model)]`'s reading of a struct: kind, table, columns.

use crate::column::{column_kind, ColumnKind, SUPPORTED_TYPES};
use crate::{claim, table::default_table, type_text};
use heck::ToLowerCamelCase;
use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::{spanned::Spanned, Attribute, Data, DeriveInput, Fields, Ident, LitStr};

/// What a model is for: it decides the framework's columns and the table name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// What a stream extracts (the default).
    Tool,
    /// The plugin's tool scope.
    Scope,
    /// The plugin's connection.
    Connection,
    /// The plugin's scope config.
    ScopeConfig,
    /// One of DevLake's domain tables.
    Domain,
    /// No table: snapshot and helper structs.
    Plain,
}

impl Kind {
    const ALL: [Kind; 6] = [
        Kind::Tool,
        Kind::Scope,
        Kind::Connection,
        Kind::ScopeConfig,
        Kind::Domain,
        Kind::Plain,
    ];

    /// The attribute that declares it: `#[devlake(scope)]`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Tool => "tool",
            Kind::Scope => "scope",
            Kind::Connection => "connection",
            Kind::ScopeConfig => "scope_config",
            Kind::Domain => "domain",
            Kind::Plain => "plain",
        }
    }

    /// Whether the plugin's migrations manage its table (not DevLake's domain tables, not
    /// plain structs).
    pub fn migrated(self) -> bool {
        !matches!(self, Kind::Domain | Kind::Plain)
    }
}

/// One entry of a field's `#[devlake(...)]` attribute, as written: `max_length = 100`.
#[derive(Debug, Clone)]
pub struct AttrEntry {
    /// Its name: `max_length`.
    pub key: String,
    /// The entry's tokens, to copy it into generated code.
    pub tokens: TokenStream,
}

/// A model field that is a column.
#[derive(Debug, Clone)]
pub struct FieldSpec {
    /// The Rust field name (`r#type` included).
    pub ident: Ident,
    /// The field's type as written.
    pub ty: syn::Type,
    /// The column name: `column = "..."`, else the field name (without `r#`).
    pub column: String,
    /// The JSON name: `rename = "..."`, else the camelCase field name (a field starting
    /// with `_` keeps its name).
    pub json_name: String,
    /// The column type.
    pub column_kind: ColumnKind,
    /// `Option<T>`.
    pub nullable: bool,
    /// `primary_key`.
    pub primary_key: bool,
    /// `auto_increment`, `auto_increment = false`.
    pub auto_increment: Option<bool>,
    /// `max_length = N`.
    pub max_length: Option<u32>,
    /// `source = "/json/pointer"`.
    pub source: Option<String>,
    /// `default = "<json>"`.
    pub default_json: Option<String>,
    /// `default` (the type's `Default`).
    pub default_trait: bool,
    /// `description = "..."`, else the first line of the doc comment.
    pub description: Option<String>,
    /// `renamed_from = "old_column"`.
    pub renamed_from: Option<String>,
    /// `sql_type = "..."`.
    pub sql_type: Option<String>,
    /// The doc comments.
    pub docs: Vec<Attribute>,
    /// The `#[devlake(...)]` entries in the order written.
    pub entries: Vec<AttrEntry>,
}

impl FieldSpec {
    /// Whether a record without the field gets a default instead of an error.
    pub fn has_default(&self) -> bool {
        self.default_trait || self.default_json.is_some()
    }
}

/// A struct deriving `Model`, read as the derive reads it.
#[derive(Debug, Clone)]
pub struct ModelSpec {
    /// The struct name.
    pub ident: Ident,
    /// What it is for.
    pub kind: Kind,
    /// Its table: `table = "..."`, else [`default_table`]; empty for a `plain` model.
    pub table: String,
    /// `name = "..."`.
    pub name: Option<String>,
    /// Doc comments.
    pub docs: Vec<Attribute>,
    /// Column fields, in declaration order.
    pub fields: Vec<FieldSpec>,
    /// `skip`ped fields (filled with their `Default`).
    pub skipped: Vec<Ident>,
}

impl ModelSpec {
    /// The model's name where DevLake sees it: `name = "..."`, else the type name.
    pub fn type_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.ident.to_string())
    }

    /// Reads a struct deriving `Model` in crate `crate_name` (whose name its default table
    /// carries). Errors point at the attribute, field or type at fault and say how to fix it.
    pub fn parse(input: &DeriveInput, crate_name: &str) -> syn::Result<ModelSpec> {
        if !input.generics.params.is_empty() {
            return Err(syn::Error::new(
                input.generics.span(),
                "devlake models cannot be generic: each one maps to one table",
            ));
        }
        let ident = &input.ident;
        let attrs = container_attrs(&input.attrs)?;
        let fields = match &input.data {
            Data::Struct(s) => match &s.fields {
                Fields::Named(named) => named.named.iter().collect::<Vec<_>>(),
                Fields::Unit => Vec::new(),
                Fields::Unnamed(_) => {
                    return Err(syn::Error::new(
                        input.span(),
                        "devlake models need named fields (each field is a column)",
                    ))
                }
            },
            _ => {
                return Err(syn::Error::new(
                    input.span(),
                    "#[derive(Model)] works on structs; use #[derive(devlake::Enum)] for enums",
                ))
            }
        };
        let (kind, kind_attr) = match attrs.kind {
            Some((kind, attr)) => (kind, Some(attr)),
            None => (Kind::Tool, None),
        };
        let table = match (&attrs.table, kind) {
            (Some(t), _) => t.clone(),
            (None, Kind::Domain) => return Err(syn::Error::new(
                ident.span(),
                "domain models need #[devlake(domain, table = \"...\")] with DevLake's table name",
            )),
            (None, Kind::Plain) => String::new(),
            (None, _) => default_table(crate_name, &ident.to_string()),
        };

        let mut columns = Vec::new();
        let mut skipped = Vec::new();
        // (column or JSON name, the field that took it), to refuse a second field on either
        let mut seen_columns = Vec::new();
        let mut seen_json_names = Vec::new();
        for f in &fields {
            let fident = f.ident.clone().expect("named field");
            let fa = field_attrs(&f.attrs)?;
            if fa.skip {
                skipped.push(fident);
                continue;
            }
            let rust_name = fident.to_string().trim_start_matches("r#").to_string();
            let column = fa
                .column
                .as_ref()
                .map(LitStr::value)
                .unwrap_or_else(|| rust_name.clone());
            let at_column: &dyn ToTokens = match &fa.column {
                Some(lit) => lit,
                None => &fident,
            };
            claim(
                &mut seen_columns,
                &column,
                &rust_name,
                at_column,
                "column",
                "#[devlake(column = \"...\")]",
            )?;
            let json_name = fa.rename.as_ref().map(LitStr::value).unwrap_or_else(|| {
                if rust_name.starts_with('_') {
                    rust_name.clone()
                } else {
                    rust_name.to_lower_camel_case()
                }
            });
            let at_json: &dyn ToTokens = match &fa.rename {
                Some(lit) => lit,
                None => &fident,
            };
            claim(
                &mut seen_json_names,
                &json_name,
                &rust_name,
                at_json,
                "JSON name",
                "#[devlake(rename = \"...\")]",
            )?;
            let (column_kind, nullable) = column_kind(&f.ty).ok_or_else(|| {
                syn::Error::new_spanned(
                    &f.ty,
                    format!(
                        "model `{ident}` field `{rust_name}`: unsupported column type `{}`; a column is {SUPPORTED_TYPES} \
                         (or mark the field #[devlake(skip)])",
                        type_text(&f.ty)
                    ),
                )
            })?;
            columns.push(FieldSpec {
                ident: fident,
                ty: f.ty.clone(),
                column,
                json_name,
                column_kind,
                nullable,
                primary_key: fa.primary_key,
                auto_increment: fa.auto_increment,
                max_length: fa.max_length,
                source: fa.source,
                default_json: fa.default_json,
                default_trait: fa.default_trait,
                description: fa.description,
                renamed_from: fa.renamed_from,
                sql_type: fa.sql_type,
                docs: f
                    .attrs
                    .iter()
                    .filter(|a| a.path().is_ident("doc"))
                    .cloned()
                    .collect(),
                entries: fa.entries,
            });
        }

        if kind == Kind::Tool && !columns.iter().any(|f| f.primary_key) {
            let message = format!(
                "tool model `{ident}` has no primary key: mark the tool's id field with \
                 #[devlake(primary_key)] (the framework keys the table by connection_id plus it), \
                 or declare the struct #[devlake(plain)] if it is not a table"
            );
            return Err(match kind_attr {
                Some(attr) => syn::Error::new_spanned(attr, message),
                None => syn::Error::new_spanned(ident, message),
            });
        }

        Ok(ModelSpec {
            ident: ident.clone(),
            kind,
            table,
            name: attrs.name,
            docs: input
                .attrs
                .iter()
                .filter(|a| a.path().is_ident("doc"))
                .cloned()
                .collect(),
            fields: columns,
            skipped,
        })
    }
}

#[derive(Default)]
struct ContainerAttrs {
    /// The kind, and the `#[devlake(...)]` attribute that names it (errors point there).
    kind: Option<(Kind, Attribute)>,
    table: Option<String>,
    name: Option<String>,
}

fn container_attrs(attrs: &[Attribute]) -> syn::Result<ContainerAttrs> {
    let mut out = ContainerAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("devlake")) {
        attr.parse_nested_meta(|meta| {
            let ident = meta
                .path
                .get_ident()
                .map(|i| i.to_string())
                .unwrap_or_default();
            if let Some(kind) = Kind::ALL.into_iter().find(|k| k.as_str() == ident) {
                if out.kind.is_some() {
                    return Err(meta.error("a model has exactly one kind"));
                }
                out.kind = Some((kind, attr.clone()));
                return Ok(());
            }
            match ident.as_str() {
                "table" => out.table = Some(meta.value()?.parse::<LitStr>()?.value()),
                "name" => out.name = Some(meta.value()?.parse::<LitStr>()?.value()),
                _ => {
                    return Err(meta.error(
                        "unknown devlake attribute; expected one of: tool, scope, connection, \
                         scope_config, domain, plain, table = \"...\", name = \"...\"",
                    ))
                }
            }
            Ok(())
        })?;
    }
    Ok(out)
}

#[derive(Default)]
struct FieldAttrs {
    primary_key: bool,
    auto_increment: Option<bool>,
    max_length: Option<u32>,
    source: Option<String>,
    /// The `rename = "..."` literal (a duplicate-JSON-name error points there).
    rename: Option<LitStr>,
    /// The `column = "..."` literal (a duplicate-column error points there).
    column: Option<LitStr>,
    default_json: Option<String>,
    default_trait: bool,
    description: Option<String>,
    renamed_from: Option<String>,
    sql_type: Option<String>,
    skip: bool,
    entries: Vec<AttrEntry>,
}

fn field_attrs(attrs: &[Attribute]) -> syn::Result<FieldAttrs> {
    let mut out = FieldAttrs::default();
    for attr in attrs {
        if attr.path().is_ident("doc") && out.description.is_none() {
            if let syn::Meta::NameValue(nv) = &attr.meta {
                if let syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) = &nv.value
                {
                    out.description = Some(s.value().trim().to_string());
                }
            }
        }
    }
    for attr in attrs.iter().filter(|a| a.path().is_ident("devlake")) {
        attr.parse_nested_meta(|meta| {
            let path = &meta.path;
            let ident = path.get_ident().map(|i| i.to_string()).unwrap_or_default();
            // The entry's value as written (`None` for a bare flag), kept for snapshots.
            let value: Option<TokenStream> = match ident.as_str() {
                "primary_key" => {
                    out.primary_key = true;
                    None
                }
                "auto_increment" => {
                    if meta.input.peek(syn::Token![=]) {
                        let lit = meta.value()?.parse::<syn::LitBool>()?;
                        out.auto_increment = Some(lit.value);
                        Some(lit.to_token_stream())
                    } else {
                        out.auto_increment = Some(true);
                        None
                    }
                }
                "max_length" => {
                    let lit = meta.value()?.parse::<syn::LitInt>()?;
                    out.max_length = Some(lit.base10_parse()?);
                    Some(lit.to_token_stream())
                }
                "source" => {
                    let lit = meta.value()?.parse::<LitStr>()?;
                    check_json_pointer(&lit)?;
                    out.source = Some(lit.value());
                    Some(lit.to_token_stream())
                }
                "rename" => {
                    let lit = meta.value()?.parse::<LitStr>()?;
                    out.rename = Some(lit.clone());
                    Some(lit.to_token_stream())
                }
                "column" => {
                    let lit = meta.value()?.parse::<LitStr>()?;
                    out.column = Some(lit.clone());
                    Some(lit.to_token_stream())
                }
                "default" => {
                    if meta.input.peek(syn::Token![=]) {
                        let lit = meta.value()?.parse::<LitStr>()?;
                        let text = lit.value();
                        if !is_plausible_json(&text) {
                            return Err(syn::Error::new(lit.span(), "default must be a JSON literal, e.g. \"\\\"default\\\"\", \"0\" or \"[]\""));
                        }
                        out.default_json = Some(text);
                        Some(lit.to_token_stream())
                    } else {
                        out.default_trait = true;
                        None
                    }
                }
                "description" => {
                    let lit = meta.value()?.parse::<LitStr>()?;
                    out.description = Some(lit.value());
                    Some(lit.to_token_stream())
                }
                "renamed_from" => {
                    let lit = meta.value()?.parse::<LitStr>()?;
                    out.renamed_from = Some(lit.value());
                    Some(lit.to_token_stream())
                }
                "sql_type" => {
                    let lit = meta.value()?.parse::<LitStr>()?;
                    out.sql_type = Some(lit.value());
                    Some(lit.to_token_stream())
                }
                "skip" => {
                    out.skip = true;
                    None
                }
                _ => return Err(meta.error("unknown devlake field attribute; expected one of: primary_key, auto_increment, max_length = N, source = \"/json/pointer\", rename = \"jsonName\", column = \"name\", default, default = \"<json>\", description = \"...\", renamed_from = \"old_column\", sql_type = \"...\", skip")),
            };
            out.entries.push(AttrEntry {
                key: ident,
                tokens: match value {
                    Some(v) => quote!(#path = #v),
                    None => quote!(#path),
                },
            });
            Ok(())
        })?;
    }
    Ok(out)
}

/// Checks that `source = "..."` is an RFC 6901 JSON pointer: empty (the whole record) or
/// `/`-separated keys in which `~` only starts the escapes `~0` (`~`) and `~1` (`/`).
fn check_json_pointer(lit: &LitStr) -> syn::Result<()> {
    let v = lit.value();
    // `input:/id` points into the raw row's input (a substream's parent), not the record.
    let pointer = v.strip_prefix("input:").unwrap_or(&v);
    if !pointer.is_empty() && !pointer.starts_with('/') {
        return Err(syn::Error::new_spanned(
            lit,
            format!(
                "source {v:?} is not a JSON pointer (RFC 6901): it must start with '/', \
                 e.g. source = \"/contactInfo/address\""
            ),
        ));
    }
    let mut chars = pointer.chars();
    while let Some(c) = chars.next() {
        if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
            return Err(syn::Error::new_spanned(
                lit,
                format!(
                    "source {v:?} is not a JSON pointer (RFC 6901): '~' must be followed by \
                     0 or 1; write a key's '~' as ~0 and its '/' as ~1"
                ),
            ));
        }
    }
    Ok(())
}

/// Cheap syntactic check so that a typo in `default = "..."` fails at compile time, not at
/// plugin-info time. The runtime parses it for real.
fn is_plausible_json(text: &str) -> bool {
    let t = text.trim();
    matches!(t, "true" | "false" | "null")
        || t.parse::<f64>().is_ok()
        || (t.starts_with('"') && t.ends_with('"') && t.len() >= 2)
        || (t.starts_with('[') && t.ends_with(']'))
        || (t.starts_with('{') && t.ends_with('}'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: DeriveInput) -> syn::Result<ModelSpec> {
        ModelSpec::parse(&input, "trackr")
    }

    #[test]
    fn a_model_is_read_as_the_derive_reads_it() {
        let m = parse(syn::parse_quote! {
            /// An issue.
            #[derive(devlake::Model)]
            pub struct TrackrIssue {
                /// The key.
                #[devlake(primary_key, max_length = 64)]
                pub id: String,
                #[devlake(column = "type", rename = "issueType", source = "/fields/type")]
                pub r#kind: Option<String>,
                #[devlake(skip)]
                pub cache: Vec<String>,
                pub _raw: Option<u32>,
            }
        })
        .unwrap();
        assert_eq!(m.kind, Kind::Tool);
        assert_eq!(m.table, "_tool_trackr_issues");
        assert_eq!(m.type_name(), "TrackrIssue");
        assert_eq!(m.skipped, ["cache"]);
        let cols: Vec<(&str, &str, bool)> = m
            .fields
            .iter()
            .map(|f| (f.column.as_str(), f.json_name.as_str(), f.nullable))
            .collect();
        assert_eq!(
            cols,
            [
                ("id", "id", false),
                ("type", "issueType", true),
                ("_raw", "_raw", true)
            ]
        );
        assert_eq!(m.fields[0].description.as_deref(), Some("The key."));
        assert_eq!(m.fields[0].max_length, Some(64));
        let entries: Vec<String> = m.fields[1]
            .entries
            .iter()
            .map(|e| e.tokens.to_string())
            .collect();
        assert_eq!(
            entries,
            [
                "column = \"type\"",
                "rename = \"issueType\"",
                "source = \"/fields/type\""
            ]
        );
    }

    #[test]
    fn an_explicit_table_is_kept() {
        let m = parse(syn::parse_quote! {
            #[devlake(scope, table = "_tool_trackr_trackrprojects")]
            pub struct TrackrProject { pub url: String }
        })
        .unwrap();
        assert_eq!(
            (m.kind, m.table.as_str()),
            (Kind::Scope, "_tool_trackr_trackrprojects")
        );
    }

    #[test]
    fn unsupported_types_name_the_model_and_field() {
        for ty in [
            "i8",
            "isize",
            "usize",
            "Option<i8>",
            "HashMap<String, String>",
        ] {
            let ty: syn::Type = syn::parse_str(ty).unwrap();
            let err = parse(syn::parse_quote! {
                pub struct Job { #[devlake(primary_key)] pub id: String, pub n: #ty }
            })
            .unwrap_err()
            .to_string();
            assert!(
                err.starts_with(&format!(
                    "model `Job` field `n`: unsupported column type `{}`; a column is String",
                    type_text(&ty)
                )),
                "{err}"
            );
        }
    }

    #[test]
    fn mistakes_are_refused() {
        let cases: [(DeriveInput, &str); 4] = [
            (
                syn::parse_quote!(
                    pub struct Job {
                        pub id: String,
                    }
                ),
                "tool model `Job` has no primary key",
            ),
            (
                syn::parse_quote!(
                    pub struct Job {
                        #[devlake(primary_key, index)]
                        pub id: String,
                    }
                ),
                "unknown devlake field attribute",
            ),
            (
                syn::parse_quote!(
                    #[devlake(scope, tool)]
                    pub struct Job {
                        pub id: String,
                    }
                ),
                "a model has exactly one kind",
            ),
            (
                syn::parse_quote!(
                    pub struct Job {
                        #[devlake(primary_key)]
                        pub id: String,
                        #[devlake(column = "id")]
                        pub other: String,
                    }
                ),
                "duplicate column `id`",
            ),
        ];
        for (input, message) in cases {
            let err = parse(input).unwrap_err().to_string();
            assert!(err.starts_with(message), "{err}");
        }
    }
}
