//! Derive macros for the `devlake` runtime.
//!
//! Use them through the runtime's re-exports (`devlake::Model`, `devlake::Enum`); the
//! generated code refers to `::devlake` paths. What a model's attributes and field types
//! mean is read by `devlake-schema`, which `cargo devlake migration add` uses too; this
//! crate only writes code from that reading. The attribute reference is the derives' own
//! documentation ([`macro@Model`], [`macro@Enum`]), which rustdoc also shows on the re-exports;
//! its examples run as this crate's doctests.

use devlake_schema::{EnumSpec, Kind, ModelSpec};
use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::quote;
use syn::{parse_macro_input, DeriveInput};

/// Derives `devlake::model::Model` for a struct: each named field is a column, and the
/// derive generates the model's static descriptor (columns, JSON schema facts) and its
/// codecs to and from database rows and JSON records.
///
/// Use it through the runtime's re-export, `#[derive(devlake::Model)]`; the generated code
/// refers to `::devlake` paths. This is the one reference of the `#[devlake(...)]`
/// attributes the derive reads; anything else inside `#[devlake(...)]` is a compile error
/// that lists what is accepted.
///
/// A field's Rust type decides its column type and nullability (`Option<T>` is nullable
/// and not required); the types are those implementing `devlake::model::ColumnValue`
/// (strings, integers, floats, `bool`, `DateTime`, `Json`, `Secret`, `Vec<T>`, enums with
/// `#[derive(devlake::Enum)]`). The first line of a field's doc comment is its description
/// in the JSON schema. The framework adds the columns DevLake expects for the model's kind
/// (`connection_id`, `_raw_data_*`, `created_at`, `updated_at`, a scope's `id` and `name`,
/// ...; see `devlake::model::columns`): do not declare them.
///
/// # On the struct
///
/// ## The kind: `tool` (the default), `scope`, `connection`, `scope_config`, `domain`, `plain`
///
/// At most one; it decides the framework's columns and the table name.
/// - `tool`: what a stream extracts; table `_tool_<crate>_<plural of the type name>`,
///   keyed by `connection_id` plus the fields marked `primary_key` (at least one). A type
///   name starting with the plugin's (crate's) name loses it, as DevLake's own tables do:
///   `TrackrIssue` in crate `trackr` is `_tool_trackr_issues` (see `table` below).
/// - `scope`: the plugin's tool scope (a repo, a board); `connection`: its connection;
///   `scope_config`: its scope config. Tables named like a tool model's.
/// - `domain`: one of DevLake's domain tables; needs `table = "..."`.
/// - `plain`: no table and no framework columns, for snapshot and helper structs.
///
/// ```
/// use devlake::prelude::*;
///
/// #[derive(Debug, Clone, devlake::Model)]
/// #[devlake(connection)]
/// pub struct MyConnection {
///     pub endpoint: String,
///     pub token: Secret,
/// }
///
/// #[derive(Debug, Clone, devlake::Model)]
/// #[devlake(scope)]
/// pub struct Repo {
///     pub url: String,
/// }
///
/// #[derive(Debug, Clone, devlake::Model)]
/// #[devlake(scope_config)]
/// pub struct MyScopeConfig {
///     pub env: String,
/// }
///
/// /// A tool model: no kind attribute needed.
/// #[derive(Debug, Clone, devlake::Model)]
/// pub struct Build {
///     #[devlake(primary_key)]
///     pub id: String,
/// }
///
/// assert_eq!(Repo::descriptor().kind, devlake::model::ModelKind::Scope);
/// assert!(Build::descriptor().table.starts_with("_tool_"));
/// assert!(Build::descriptor().table.ends_with("_builds"));
/// ```
///
/// ## `table = "..."`
///
/// The table's name instead of the derived one; required on a `domain` model (DevLake's
/// name), optional on the others, and always used as written.
///
/// The derived name is `_tool_<crate>_<plural of the lowercased type name>`, `<crate>`
/// being the crate name with `-` as `_`. A type name that starts with the crate name
/// (compared ignoring case and the crate name's `_`) loses that prefix when what remains
/// starts a new word: in crate `trackr`, `TrackrIssue` is `_tool_trackr_issues` and
/// `TrackrIssueComment` `_tool_trackr_issuecomments`, while `Trackrissue` and `Trackr`
/// keep their names (`_tool_trackr_trackrissues`, `_tool_trackr_trackrs`); in crate
/// `my-plugin`, `MyPluginIssue` is `_tool_my_plugin_issues`. Pin a table's name with
/// `table` to keep it when a type is renamed (or to keep a name given by an older rule).
///
/// ```
/// #[derive(Debug, Clone, devlake::Model)]
/// #[devlake(table = "_tool_acme_ci_runs")]
/// pub struct Run {
///     #[devlake(primary_key)]
///     pub id: u64,
/// }
///
/// use devlake::model::Model;
/// assert_eq!(Run::descriptor().table, "_tool_acme_ci_runs");
/// ```
///
/// ## `name = "..."`
///
/// The model's name where DevLake sees it (domain ids `<crate>:<name>:<connection>:<key>`,
/// a domain scope's type name) instead of the Rust type name; keeps ids stable when the
/// type is renamed.
///
/// ```
/// #[derive(Debug, Clone, devlake::Model)]
/// #[devlake(name = "Pipeline")]
/// pub struct PipelineV2 {
///     #[devlake(primary_key)]
///     pub id: String,
/// }
///
/// use devlake::model::Model;
/// assert_eq!(PipelineV2::descriptor().name, "Pipeline");
/// ```
///
/// # On a field
///
/// ## `primary_key`
///
/// The field is part of the primary key (after `connection_id` on a tool model); domain
/// ids are built from it. A tool model without one does not compile.
///
/// ```
/// #[derive(Debug, Clone, devlake::Model)]
/// pub struct Job {
///     #[devlake(primary_key)]
///     pub pipeline_id: u64,
///     #[devlake(primary_key)]
///     pub name: String,
/// }
///
/// use devlake::model::Model;
/// let job = Job { pipeline_id: 7, name: "lint".into() };
/// assert_eq!(job.primary_key(), ["7", "lint"]);
/// ```
///
/// ## `auto_increment`, `auto_increment = false`
///
/// Marks an integer key as generated by the database (`autoIncrement` in the JSON schema),
/// or says explicitly that it is not.
///
/// ```
/// #[derive(Debug, Clone, devlake::Model)]
/// pub struct Event {
///     #[devlake(primary_key, auto_increment)]
///     pub id: u64,
/// }
///
/// use devlake::model::Model;
/// assert_eq!(Event::descriptor().fields[0].auto_increment, Some(true));
/// ```
///
/// ## `max_length = N`
///
/// `maxLength` in the JSON schema; a string of at most 255 becomes a `varchar(N)` column
/// (indexable on MySQL), a longer or unbounded one a text column.
///
/// ```
/// #[derive(Debug, Clone, devlake::Model)]
/// pub struct Branch {
///     #[devlake(primary_key, max_length = 255)]
///     pub name: String,
/// }
///
/// use devlake::model::Model;
/// assert_eq!(Branch::descriptor().fields[0].max_length, Some(255));
/// ```
///
/// ## `source = "/json/pointer"`
///
/// Where the default extractor reads the field in the raw record: an RFC 6901 JSON pointer
/// (`/` separates keys, `~0` is a `~` and `~1` a `/` inside a key). Without it the field is
/// read from its column name or its JSON name.
///
/// ```
/// #[derive(Debug, Clone, devlake::Model)]
/// pub struct Build {
///     #[devlake(primary_key)]
///     pub id: String,
///     #[devlake(source = "/result/state")]
///     pub state: String,
///     #[devlake(source = "/labels/team~1area")]
///     pub area: Option<String>,
/// }
///
/// use devlake::model::Model;
/// let raw = serde_json::json!({"id": "1", "result": {"state": "ok"}, "labels": {"team/area": "ci"}});
/// let b = Build::from_json(&raw).unwrap();
/// assert_eq!((b.state.as_str(), b.area.as_deref()), ("ok", Some("ci")));
/// ```
///
/// `source = "input:/id"` reads the field from the raw row's *input* instead of the record:
/// what the collector stored with it (`RawSink::push_with`); for a substream, the parent it
/// was collected for, so a comment can name its issue without the collector copying the
/// issue's id into every comment.
///
/// ## `rename = "jsonName"`
///
/// The field's JSON name (in API payloads, the JSON schema and the extractor's fallback
/// lookup) instead of the camelCase of the field name (pydevlake's alias; a field starting
/// with `_` keeps its name).
///
/// ```
/// #[derive(Debug, Clone, devlake::Model)]
/// pub struct Build {
///     #[devlake(primary_key)]
///     pub id: String,
///     #[devlake(rename = "web_url")]
///     pub url: String,
/// }
///
/// use devlake::model::Model;
/// let b = Build::from_json(&serde_json::json!({"id": "1", "web_url": "http://ci/1"})).unwrap();
/// assert_eq!(b.url, "http://ci/1");
/// ```
///
/// ## `column = "name"`
///
/// The column's name instead of the field name (for a column named like a Rust keyword or
/// one DevLake spells otherwise). Two fields on one column do not compile.
///
/// ```
/// #[derive(Debug, Clone, devlake::Model)]
/// pub struct Build {
///     #[devlake(primary_key)]
///     pub id: String,
///     #[devlake(column = "type")]
///     pub kind: String,
/// }
///
/// use devlake::model::Model;
/// assert_eq!(Build::descriptor().fields[1].name, "type");
/// ```
///
/// ## `default`, `default = "<json>"`
///
/// What a record without the field (or with `null`) gets instead of an error: `default`
/// takes the type's `Default`; `default = "<json>"` takes that JSON literal, which is also
/// the `default` of the JSON schema. Either makes the field not required.
///
/// ```
/// #[derive(Debug, Clone, devlake::Model)]
/// pub struct Build {
///     #[devlake(primary_key)]
///     pub id: String,
///     #[devlake(default)]
///     pub retries: u32,
///     #[devlake(default = "\"main\"")]
///     pub branch: String,
/// }
///
/// use devlake::model::Model;
/// let b = Build::from_json(&serde_json::json!({"id": "1"})).unwrap();
/// assert_eq!((b.retries, b.branch.as_str()), (0, "main"));
/// ```
///
/// ## `description = "..."`
///
/// The field's description in the JSON schema (what DevLake's config UI shows) instead of
/// the first line of its doc comment.
///
/// ```
/// #[derive(Debug, Clone, devlake::Model)]
/// #[devlake(scope_config)]
/// pub struct MyScopeConfig {
///     /// Internal note the UI need not show.
///     #[devlake(description = "Regular expression matching deployment jobs")]
///     pub deployment_pattern: Option<String>,
/// }
///
/// use devlake::model::Model;
/// let f = &MyScopeConfig::descriptor().fields[0];
/// assert_eq!(f.description, Some("Regular expression matching deployment jobs"));
/// ```
///
/// ## `renamed_from = "old_column"`
///
/// A hint for `cargo devlake migration add`: the column was called `old_column` before, so
/// the migration renames it instead of dropping and adding.
///
/// ```
/// #[derive(Debug, Clone, devlake::Model)]
/// pub struct Build {
///     #[devlake(primary_key)]
///     pub id: String,
///     #[devlake(renamed_from = "duration")]
///     pub duration_sec: Option<f64>,
/// }
///
/// use devlake::model::Model;
/// assert_eq!(Build::descriptor().fields[1].renamed_from, Some("duration"));
/// ```
///
/// ## `sql_type = "..."`
///
/// The exact SQL type of the column in DDL, instead of the one derived from the Rust type
/// (the JSON schema still follows the Rust type).
///
/// ```
/// #[derive(Debug, Clone, devlake::Model)]
/// pub struct Build {
///     #[devlake(primary_key)]
///     pub id: String,
///     #[devlake(sql_type = "decimal(10,2)")]
///     pub cost: f64,
/// }
///
/// use devlake::model::Model;
/// assert_eq!(Build::descriptor().fields[1].sql_type, Some("decimal(10,2)"));
/// ```
///
/// ## `skip`
///
/// Not a column: the field is left out of the table, the schema and JSON, and filled with
/// its `Default` when a row or record is read.
///
/// ```
/// #[derive(Debug, Clone, devlake::Model)]
/// pub struct Build {
///     #[devlake(primary_key)]
///     pub id: String,
///     #[devlake(skip)]
///     pub cache: Vec<String>,
/// }
///
/// use devlake::model::Model;
/// assert_eq!(Build::descriptor().fields.len(), 1);
/// ```
///
/// # Mistakes refused at compile time
///
/// Each is an error on the attribute at fault that says what is wrong and how to fix it
/// (the runtime's `tests/compile-fail/` holds one case each): a tool model without a
/// `primary_key`; two fields on one column or one JSON name; an unknown attribute or kind; a `source` that
/// is not a JSON pointer; a `default` that is not JSON; a field type no column holds (`i8`,
/// `isize`, `usize`, a map, a tuple, ...); a generic, tuple or enum type; more than one
/// kind; a `domain` model without `table`. `cargo devlake migration add` reads models with
/// the same rules (the `devlake-schema` crate) and refuses the same mistakes with the same
/// messages, naming the file and line.
///
/// ```compile_fail
/// #[derive(devlake::Model)]
/// pub struct Build {
///     pub id: String, // no #[devlake(primary_key)]
/// }
/// ```
#[proc_macro_derive(Model, attributes(devlake))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand_model(input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Derives, for a fieldless enum, `devlake::model::ColumnValue` (so a model field can have
/// the enum's type), serde's `Serialize`/`Deserialize`, `FromStr` and `Display`, plus the
/// inherent `ALL`, `as_str()` (the value in JSON) and `db_name()` (the value stored in the
/// database: like pydevlake and DevLake, the variant's *name*, `SCREAMING_SNAKE_CASE`).
///
/// Use it through the runtime's re-export, `#[derive(devlake::Enum)]`. This is the one
/// reference of the `#[devlake(...)]` attributes it reads; anything else is a compile
/// error that lists what is accepted.
///
/// # On the enum
///
/// ## `rename_all = "..."`
///
/// How a variant's name becomes its JSON value: `snake_case` (the default), `lowercase`,
/// `UPPERCASE`, `SCREAMING_SNAKE_CASE`, `camelCase` or `PascalCase`. Another rule does not
/// compile.
///
/// ```
/// #[derive(Debug, Clone, Copy, PartialEq, devlake::Enum)]
/// #[devlake(rename_all = "SCREAMING_SNAKE_CASE")]
/// pub enum Status {
///     InProgress,
///     Done,
/// }
///
/// assert_eq!(Status::InProgress.as_str(), "IN_PROGRESS");
/// assert_eq!("DONE".parse::<Status>(), Ok(Status::Done));
/// ```
///
/// # On a variant
///
/// ## `value = "..."`
///
/// The variant's JSON value, when the case rule does not give it. Values and stored names
/// both parse back, so two variants sharing one does not compile.
///
/// ## `db = "..."`
///
/// The variant's stored value instead of its `SCREAMING_SNAKE_CASE` name.
///
/// ```
/// #[derive(Debug, Clone, Copy, PartialEq, devlake::Enum)]
/// pub enum Outcome {
///     #[devlake(value = "SUCCESS", db = "SUCCESS")]
///     Success,
///     #[devlake(value = "FAILURE")]
///     Failed,
/// }
///
/// assert_eq!(Outcome::Failed.as_str(), "FAILURE");
/// assert_eq!(Outcome::Failed.db_name(), "FAILED");
/// assert_eq!(Outcome::Success.db_name(), "SUCCESS");
/// // both spellings parse
/// assert_eq!("FAILED".parse::<Outcome>(), Ok(Outcome::Failed));
/// ```
///
/// ```compile_fail
/// #[derive(Clone, Copy, devlake::Enum)]
/// #[devlake(rename_all = "kebab-case")] // not a rule
/// pub enum State { InProgress }
/// ```
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
    let name = std::env::var("CARGO_CRATE_NAME")
        .or_else(|_| std::env::var("CARGO_PKG_NAME"))
        .unwrap_or_default();
    devlake_schema::plugin_name(&name)
}

/// The code for a model: the schema crate reads the struct (the grammar, the types, the
/// table name, every check); this only writes its descriptor and codecs.
fn expand_model(input: DeriveInput) -> syn::Result<TokenStream2> {
    let crate_name = crate_name();
    let spec = ModelSpec::parse(&input, &crate_name)?;
    let ident = &spec.ident;
    let kind_tokens = match spec.kind {
        Kind::Tool => quote!(::devlake::model::ModelKind::Tool),
        Kind::Scope => quote!(::devlake::model::ModelKind::Scope),
        Kind::Connection => quote!(::devlake::model::ModelKind::Connection),
        Kind::ScopeConfig => quote!(::devlake::model::ModelKind::ScopeConfig),
        Kind::Domain => quote!(::devlake::model::ModelKind::Domain),
        Kind::Plain => quote!(::devlake::model::ModelKind::Plain),
    };
    let type_name = spec.type_name();
    let table = &spec.table;

    let mut descs = Vec::new();
    let mut to_values = Vec::new();
    let mut from_values = Vec::new();
    let mut from_json = Vec::new();
    let mut to_json = Vec::new();
    let mut pk_parts = Vec::new();
    let skipped: Vec<TokenStream2> = spec
        .skipped
        .iter()
        .map(|f| quote!(#f: ::core::default::Default::default()))
        .collect();
    for (index, f) in spec.fields.iter().enumerate() {
        let fident = &f.ident;
        let ty = &f.ty;
        let column = &f.column;
        let json_name = &f.json_name;
        let pk = f.primary_key;
        let opt_str = |o: &Option<String>| match o {
            Some(s) => quote!(::core::option::Option::Some(#s)),
            None => quote!(::core::option::Option::None),
        };
        let source = opt_str(&f.source);
        let default_json = opt_str(&f.default_json);
        let description = opt_str(&f.description);
        let renamed_from = opt_str(&f.renamed_from);
        let sql_type = opt_str(&f.sql_type);
        let max_length = match f.max_length {
            Some(n) => quote!(::core::option::Option::Some(#n)),
            None => quote!(::core::option::Option::None),
        };
        let auto_increment = match f.auto_increment {
            Some(b) => quote!(::core::option::Option::Some(#b)),
            None => quote!(::core::option::Option::None),
        };
        let has_default = f.has_default();
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
        let fallback = if f.default_trait {
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

/// The code for an enum: the schema crate reads its values and stored names.
fn expand_enum(input: DeriveInput) -> syn::Result<TokenStream2> {
    let spec = EnumSpec::parse(&input)?;
    let ident = &spec.ident;
    let variants: Vec<&syn::Ident> = spec.variants.iter().map(|v| &v.ident).collect();
    let values: Vec<&str> = spec.variants.iter().map(|v| v.value.as_str()).collect();
    let db_names: Vec<&str> = spec.variants.iter().map(|v| v.db.as_str()).collect();
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
