//! Derive macros for the `devlake` runtime.
//!
//! Use them through the runtime's re-exports (`devlake::Model`, `devlake::Enum`); the
//! generated code refers to `::devlake` paths. Attribute reference lives on the derives'
//! re-exports in the runtime crate, next to runnable examples.

use heck::{ToLowerCamelCase, ToShoutySnakeCase, ToSnakeCase};
use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::quote;
use syn::{parse_macro_input, spanned::Spanned, Data, DeriveInput, Fields, LitStr};

/// Derives `devlake::model::Model` (and `ColumnValue`-based row/JSON codecs) for a struct.
///
/// `#[devlake(source = "/a/b")]` reads a field from the raw record at that JSON pointer;
/// `#[devlake(source = "input:/id")]` reads it from the record's *input* instead: what the
/// collector stored with it (`RawSink::push_with`), for a substream the parent it was
/// collected for, so a comment can name its issue without the collector copying the
/// issue's id into every comment.
#[proc_macro_derive(Model, attributes(devlake))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand_model(input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Derives `devlake::model::ColumnValue`, serde and `FromStr`/`Display` for a fieldless enum.
#[proc_macro_derive(Enum, attributes(devlake))]
pub fn derive_enum(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand_enum(input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Name of the crate being compiled, as DevLake's tool tables and domain ids use it
/// (pydevlake uses the plugin's folder name; a crate name is the Rust equivalent).
fn crate_name() -> String {
    std::env::var("CARGO_CRATE_NAME")
        .or_else(|_| std::env::var("CARGO_PKG_NAME"))
        .unwrap_or_default()
        .replace('-', "_")
}

/// English plural of a lowercased type name, the way pydevlake's `inflect` names tool tables.
fn plural(word: &str) -> String {
    pluralizer::pluralize(word, 2, false)
}

#[derive(Default)]
struct ContainerAttrs {
    kind: Option<(String, Span)>,
    table: Option<String>,
    name: Option<String>,
    rename_all: Option<String>,
}

fn container_attrs(attrs: &[syn::Attribute], allow_kind: bool) -> syn::Result<ContainerAttrs> {
    let mut out = ContainerAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("devlake")) {
        attr.parse_nested_meta(|meta| {
            let ident = meta
                .path
                .get_ident()
                .map(|i| i.to_string())
                .unwrap_or_default();
            match ident.as_str() {
                "tool" | "scope" | "connection" | "scope_config" | "domain" | "plain"
                    if allow_kind =>
                {
                    if out.kind.is_some() {
                        return Err(meta.error("a model has exactly one kind"));
                    }
                    out.kind = Some((ident, meta.path.span()));
                }
                "table" => out.table = Some(meta.value()?.parse::<LitStr>()?.value()),
                "name" => out.name = Some(meta.value()?.parse::<LitStr>()?.value()),
                "rename_all" if !allow_kind => {
                    out.rename_all = Some(meta.value()?.parse::<LitStr>()?.value())
                }
                _ => {
                    return Err(meta.error(if allow_kind {
                        "unknown devlake attribute; expected one of: tool, scope, connection, \
                         scope_config, domain, plain, table = \"...\", name = \"...\""
                    } else {
                        "unknown devlake attribute; expected rename_all = \"...\""
                    }))
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
    rename: Option<String>,
    column: Option<String>,
    default_json: Option<String>,
    default_trait: bool,
    description: Option<String>,
    renamed_from: Option<String>,
    sql_type: Option<String>,
    skip: bool,
}

fn field_attrs(attrs: &[syn::Attribute]) -> syn::Result<FieldAttrs> {
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
            let ident = meta.path.get_ident().map(|i| i.to_string()).unwrap_or_default();
            match ident.as_str() {
                "primary_key" => out.primary_key = true,
                "auto_increment" => {
                    out.auto_increment = Some(if meta.input.peek(syn::Token![=]) {
                        meta.value()?.parse::<syn::LitBool>()?.value
                    } else {
                        true
                    })
                }
                "max_length" => out.max_length = Some(meta.value()?.parse::<syn::LitInt>()?.base10_parse()?),
                "source" => {
                    let lit = meta.value()?.parse::<LitStr>()?;
                    let v = lit.value();
                    let pointer = v.strip_prefix("input:").unwrap_or(&v);
                    if !pointer.is_empty() && !pointer.starts_with('/') {
                        return Err(syn::Error::new(lit.span(), "source must be a JSON pointer (RFC 6901) starting with '/', into the record (\"/contactInfo/address\") or into its input (\"input:/id\")"));
                    }
                    out.source = Some(v)
                }
                "rename" => out.rename = Some(meta.value()?.parse::<LitStr>()?.value()),
                "column" => out.column = Some(meta.value()?.parse::<LitStr>()?.value()),
                "default" => {
                    if meta.input.peek(syn::Token![=]) {
                        let lit = meta.value()?.parse::<LitStr>()?;
                        let text = lit.value();
                        if !is_plausible_json(&text) {
                            return Err(syn::Error::new(lit.span(), "default must be a JSON literal, e.g. \"\\\"default\\\"\", \"0\" or \"[]\""));
                        }
                        out.default_json = Some(text)
                    } else {
                        out.default_trait = true
                    }
                }
                "description" => out.description = Some(meta.value()?.parse::<LitStr>()?.value()),
                "renamed_from" => out.renamed_from = Some(meta.value()?.parse::<LitStr>()?.value()),
                "sql_type" => out.sql_type = Some(meta.value()?.parse::<LitStr>()?.value()),
                "skip" => out.skip = true,
                _ => return Err(meta.error("unknown devlake field attribute; expected one of: primary_key, auto_increment, max_length = N, source = \"/json/pointer\", rename = \"jsonName\", column = \"name\", default, default = \"<json>\", description = \"...\", renamed_from = \"old_column\", sql_type = \"...\", skip")),
            }
            Ok(())
        })?;
    }
    Ok(out)
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

fn expand_model(input: DeriveInput) -> syn::Result<TokenStream2> {
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new(
            input.generics.span(),
            "devlake models cannot be generic: each one maps to one table",
        ));
    }
    let ident = &input.ident;
    let attrs = container_attrs(&input.attrs, true)?;
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
    let (kind, _kind_span) = attrs.kind.unwrap_or(("tool".into(), Span::call_site()));
    let kind_tokens = match kind.as_str() {
        "tool" => quote!(::devlake::model::ModelKind::Tool),
        "scope" => quote!(::devlake::model::ModelKind::Scope),
        "connection" => quote!(::devlake::model::ModelKind::Connection),
        "scope_config" => quote!(::devlake::model::ModelKind::ScopeConfig),
        "domain" => quote!(::devlake::model::ModelKind::Domain),
        _ => quote!(::devlake::model::ModelKind::Plain),
    };
    let crate_name = crate_name();
    let type_name = attrs.name.unwrap_or_else(|| ident.to_string());
    let table =
        match (&attrs.table, kind.as_str()) {
            (Some(t), _) => t.clone(),
            (None, "domain") => return Err(syn::Error::new(
                ident.span(),
                "domain models need #[devlake(domain, table = \"...\")] with DevLake's table name",
            )),
            (None, "plain") => String::new(),
            (None, _) => format!(
                "_tool_{}_{}",
                crate_name,
                plural(&ident.to_string().to_lowercase())
            ),
        };

    let mut descs = Vec::new();
    let mut to_values = Vec::new();
    let mut from_values = Vec::new();
    let mut from_json = Vec::new();
    let mut to_json = Vec::new();
    let mut pk_parts = Vec::new();
    let mut index = 0usize;
    let mut skipped = Vec::new();
    for f in &fields {
        let fident = f.ident.as_ref().expect("named field");
        let fa = field_attrs(&f.attrs)?;
        if fa.skip {
            skipped.push(quote!(#fident: ::core::default::Default::default()));
            continue;
        }
        let ty = &f.ty;
        let raw_name = fident.to_string();
        let rust_name = raw_name.trim_start_matches("r#").to_string();
        let column = fa.column.clone().unwrap_or_else(|| rust_name.clone());
        let json_name = fa.rename.clone().unwrap_or_else(|| {
            if rust_name.starts_with('_') {
                rust_name.clone()
            } else {
                rust_name.to_lower_camel_case()
            }
        });
        let pk = fa.primary_key;
        let opt_str = |o: &Option<String>| match o {
            Some(s) => quote!(::core::option::Option::Some(#s)),
            None => quote!(::core::option::Option::None),
        };
        let source = opt_str(&fa.source);
        let default_json = opt_str(&fa.default_json);
        let description = opt_str(&fa.description);
        let renamed_from = opt_str(&fa.renamed_from);
        let sql_type = opt_str(&fa.sql_type);
        let max_length = match fa.max_length {
            Some(n) => quote!(::core::option::Option::Some(#n)),
            None => quote!(::core::option::Option::None),
        };
        let auto_increment = match fa.auto_increment {
            Some(b) => quote!(::core::option::Option::Some(#b)),
            None => quote!(::core::option::Option::None),
        };
        let has_default = fa.default_trait || fa.default_json.is_some();
        descs.push(quote! {
            ::devlake::model::Field {
                name: #column,
                json_name: #json_name,
                column_type: <#ty as ::devlake::model::ColumnValue>::TYPE,
                nullable: <#ty as ::devlake::model::ColumnValue>::NULLABLE,
                primary_key: #pk,
                auto_increment: #auto_increment,
                max_length: #max_length,
                source: #source,
                default: #default_json,
                has_default: #has_default,
                description: #description,
                renamed_from: #renamed_from,
                sql_type: #sql_type,
            }
        });
        to_values.push(quote!(out.push(::devlake::model::ColumnValue::to_value(&self.#fident));));
        from_values.push(quote!(#fident: ::devlake::model::codec::from_value(values.next(), DESCRIPTOR, #index)?,));
        let fallback = if fa.default_trait {
            quote!(::core::option::Option::Some(
                ::core::default::Default::default
            ))
        } else {
            quote!(::core::option::Option::None)
        };
        from_json.push(quote!(#fident: ::devlake::model::codec::from_record(raw, input, DESCRIPTOR, #index, #fallback)?,));
        to_json.push(quote!(::devlake::model::codec::to_json(out, &DESCRIPTOR.fields[#index], &self.#fident);));
        if pk {
            pk_parts.push(quote!(::devlake::model::ColumnValue::key_string(&self.#fident)));
        }
        index += 1;
    }

    Ok(quote! {
        impl ::devlake::model::Model for #ident {
            fn descriptor() -> &'static ::devlake::model::ModelDescriptor {
                static DESCRIPTOR: ::devlake::model::ModelDescriptor = ::devlake::model::ModelDescriptor {
                    name: #type_name,
                    table: #table,
                    kind: #kind_tokens,
                    crate_name: #crate_name,
                    fields: FIELDS,
                };
                const FIELDS: &[::devlake::model::Field] = &[#(#descs),*];
                &DESCRIPTOR
            }

            fn write_values(&self, out: &mut ::std::vec::Vec<::devlake::model::Value>) {
                #(#to_values)*
            }

            fn from_values(
                values: &mut dyn ::core::iter::Iterator<Item = ::devlake::model::Value>,
            ) -> ::core::result::Result<Self, ::devlake::model::ModelError> {
                #[allow(non_snake_case)]
                let DESCRIPTOR = <Self as ::devlake::model::Model>::descriptor();
                let _ = (&values, DESCRIPTOR);
                ::core::result::Result::Ok(Self { #(#from_values)* #(#skipped,)* })
            }

            fn from_json(
                raw: &::devlake::serde_json::Value,
            ) -> ::core::result::Result<Self, ::devlake::model::ModelError> {
                <Self as ::devlake::model::Model>::from_record(raw, &::devlake::serde_json::Value::Null)
            }

            fn from_record(
                raw: &::devlake::serde_json::Value,
                input: &::devlake::serde_json::Value,
            ) -> ::core::result::Result<Self, ::devlake::model::ModelError> {
                #[allow(non_snake_case)]
                let DESCRIPTOR = <Self as ::devlake::model::Model>::descriptor();
                let _ = (&raw, &input, DESCRIPTOR);
                ::core::result::Result::Ok(Self { #(#from_json)* #(#skipped,)* })
            }

            fn write_json(&self, out: &mut ::devlake::serde_json::Map<::std::string::String, ::devlake::serde_json::Value>) {
                #[allow(non_snake_case)]
                let DESCRIPTOR = <Self as ::devlake::model::Model>::descriptor();
                let _ = (&out, DESCRIPTOR);
                #(#to_json)*
            }

            fn primary_key(&self) -> ::std::vec::Vec<::std::string::String> {
                ::std::vec![#(#pk_parts),*]
            }
        }
    })
}

fn apply_case(rule: &str, variant: &str) -> syn::Result<String> {
    Ok(match rule {
        "snake_case" => variant.to_snake_case(),
        "lowercase" => variant.to_lowercase(),
        "UPPERCASE" => variant.to_uppercase(),
        "SCREAMING_SNAKE_CASE" => variant.to_shouty_snake_case(),
        "camelCase" => variant.to_lower_camel_case(),
        "PascalCase" => variant.to_string(),
        other => {
            return Err(syn::Error::new(
                Span::call_site(),
                format!("unknown rename_all rule {other:?}; expected snake_case, lowercase, UPPERCASE, SCREAMING_SNAKE_CASE, camelCase or PascalCase"),
            ))
        }
    })
}

fn expand_enum(input: DeriveInput) -> syn::Result<TokenStream2> {
    let ident = &input.ident;
    let attrs = container_attrs(&input.attrs, false)?;
    let rule = attrs.rename_all.unwrap_or_else(|| "snake_case".into());
    let data = match &input.data {
        Data::Enum(e) => e,
        _ => {
            return Err(syn::Error::new(
                input.span(),
                "#[derive(devlake::Enum)] works on fieldless enums",
            ))
        }
    };
    let mut variants = Vec::new();
    let mut values = Vec::new();
    let mut db_names = Vec::new();
    for v in &data.variants {
        if !matches!(v.fields, Fields::Unit) {
            return Err(syn::Error::new(
                v.span(),
                "devlake enums are fieldless: each variant is one stored value",
            ));
        }
        let mut value = apply_case(&rule, &v.ident.to_string())?;
        let mut db = v.ident.to_string().to_shouty_snake_case();
        for attr in v.attrs.iter().filter(|a| a.path().is_ident("devlake")) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("value") {
                    value = meta.value()?.parse::<LitStr>()?.value();
                } else if meta.path.is_ident("db") {
                    db = meta.value()?.parse::<LitStr>()?.value();
                } else {
                    return Err(meta.error("expected value = \"...\" or db = \"...\""));
                }
                Ok(())
            })?;
        }
        variants.push(v.ident.clone());
        values.push(value);
        db_names.push(db);
    }
    let name = ident.to_string();
    Ok(quote! {
        impl #ident {
            /// Every variant, in declaration order.
            pub const ALL: &'static [#ident] = &[#(#ident::#variants),*];

            /// The value used in JSON (API payloads, plugin-info schemas).
            pub fn as_str(&self) -> &'static str {
                match self { #(#ident::#variants => #values,)* }
            }

            /// The value stored in the database (pydevlake and DevLake store the enum *name*).
            pub fn db_name(&self) -> &'static str {
                match self { #(#ident::#variants => #db_names,)* }
            }

        }

        impl ::devlake::model::ColumnValue for #ident {
            const TYPE: ::devlake::model::ColumnType = ::devlake::model::ColumnType::Enum(&::devlake::model::EnumInfo {
                name: #name,
                values: &[#(#values),*],
                db_names: &[#(#db_names),*],
            });
            const ENUM: ::core::option::Option<&'static ::devlake::model::EnumInfo> = match <Self as ::devlake::model::ColumnValue>::TYPE {
                ::devlake::model::ColumnType::Enum(info) => ::core::option::Option::Some(info),
                _ => ::core::option::Option::None,
            };

            fn to_value(&self) -> ::devlake::model::Value {
                ::devlake::model::Value::Text(self.db_name().to_string())
            }

            fn from_value(value: ::devlake::model::Value) -> ::core::result::Result<Self, ::devlake::model::ValueError> {
                match value {
                    // DevLake's Go side stores "" for an unset enum.
                    ::devlake::model::Value::Text(s) if s.is_empty() => ::core::result::Result::Err(::devlake::model::ValueError::Missing),
                    ::devlake::model::Value::Text(s) => s.parse().map_err(::devlake::model::ValueError::Invalid),
                    other => ::core::result::Result::Err(::devlake::model::ValueError::type_mismatch(#name, &other)),
                }
            }

            fn from_json(value: &::devlake::serde_json::Value) -> ::core::result::Result<Self, ::devlake::model::ValueError> {
                match value {
                    ::devlake::serde_json::Value::String(s) if s.is_empty() => ::core::result::Result::Err(::devlake::model::ValueError::Missing),
                    ::devlake::serde_json::Value::String(s) => s.parse().map_err(::devlake::model::ValueError::Invalid),
                    ::devlake::serde_json::Value::Null => ::core::result::Result::Err(::devlake::model::ValueError::Missing),
                    other => ::core::result::Result::Err(::devlake::model::ValueError::Invalid(format!("expected a {} string, got {}", #name, other))),
                }
            }

            fn to_json(&self) -> ::devlake::serde_json::Value {
                ::devlake::serde_json::Value::String(self.as_str().to_string())
            }

            fn key_string(&self) -> ::std::string::String {
                self.as_str().to_string()
            }
        }

        impl ::core::str::FromStr for #ident {
            type Err = ::std::string::String;
            /// Accepts the JSON value or the stored name.
            fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {
                for v in Self::ALL {
                    if v.as_str() == s || v.db_name() == s {
                        return ::core::result::Result::Ok(*v);
                    }
                }
                ::core::result::Result::Err(::std::format!(
                    "{:?} is not a valid {} (expected one of: {})",
                    s, #name, [#(#values),*].join(", ")
                ))
            }
        }

        impl ::core::fmt::Display for #ident {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::devlake::serde::Serialize for #ident {
            fn serialize<S: ::devlake::serde::Serializer>(&self, s: S) -> ::core::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::devlake::serde::Deserialize<'de> for #ident {
            fn deserialize<D: ::devlake::serde::Deserializer<'de>>(d: D) -> ::core::result::Result<Self, D::Error> {
                let s = <::std::string::String as ::devlake::serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(<D::Error as ::devlake::serde::de::Error>::custom)
            }
        }

    })
}
