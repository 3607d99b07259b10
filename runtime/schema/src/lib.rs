//! How a devlake model's Rust definition becomes a table: the one reading of the
//! `#[devlake(...)]` attributes, of a field's Rust type (its column type and nullability),
//! of the rename rules and of the table-name rule.
//!
//! Two programs need that reading and must agree on it:
//! - the derives (`devlake-macros`), which turn a [`ModelSpec`] or [`EnumSpec`] into the
//!   model's descriptor and codecs;
//! - `cargo devlake migration add`, which reads the plugin's sources and its migration
//!   files with [`SourceItems`] and writes migrations from the difference.
//!
//! Both parse a `syn` item into the same typed spec here, so a model change is seen the same
//! way by the compiled plugin and by the migration generator, and a mistake (an unknown
//! attribute, a type no column can hold, two fields on one column) gets the same message
//! from both, pointing at the offending tokens.
//!
//! Why source parsing and not asking the compiled plugin (`standalone plugin-info`) for its
//! models: `migration add` then needs no build (a cold plugin build takes minutes on small
//! machines; this takes milliseconds), it works while the plugin does not compile yet (a
//! model was just edited), and it reads the migration files' frozen snapshot structs, which
//! are not models the plugin reports, with the very same rules. The cost is that a field
//! type is known by its name only (a type alias of a column type is not followed), which
//! [`column_kind`] documents.
//!
//! The crate depends on `syn` and `quote` only (no runtime), so the proc-macro crate can use
//! it; the runtime's own types (`ColumnType`, `ModelKind`) are mapped from [`ColumnKind`]
//! and [`Kind`] by the callers.

mod column;
mod enums;
mod model;
mod table;

pub use column::{column_kind, ColumnKind, SUPPORTED_TYPES};
pub use enums::{EnumSpec, VariantSpec};
pub use model::{AttrEntry, FieldSpec, Kind, ModelSpec};
pub use table::{default_table, plugin_name};

use quote::ToTokens;
use syn::{Attribute, Item};

/// Whether `attrs` hold a `#[derive(...)]` naming `what` (by its last path segment, so
/// `devlake::Model` and `Model` both count).
pub fn derives(attrs: &[Attribute], what: &str) -> bool {
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

/// The models and enums a Rust file declares: structs deriving `Model` (read into specs)
/// and enums deriving `Enum` (kept as written), in declaration order, inline modules
/// included.
#[derive(Debug, Default)]
pub struct SourceItems {
    /// Structs deriving `devlake::Model`.
    pub models: Vec<ModelSpec>,
    /// Enums deriving `devlake::Enum`.
    pub enums: Vec<syn::ItemEnum>,
}

impl SourceItems {
    /// Reads `items` (a parsed file's) as the derives would in crate `crate_name`; the
    /// first model the derive would refuse is the error, spanned where the derive points.
    pub fn from_items(items: &[Item], crate_name: &str) -> syn::Result<SourceItems> {
        let mut out = SourceItems::default();
        out.collect(items, crate_name)?;
        Ok(out)
    }

    fn collect(&mut self, items: &[Item], crate_name: &str) -> syn::Result<()> {
        for item in items {
            match item {
                Item::Struct(s) if derives(&s.attrs, "Model") => {
                    let input = syn::DeriveInput::from(s.clone());
                    self.models.push(ModelSpec::parse(&input, crate_name)?);
                }
                Item::Enum(e) if derives(&e.attrs, "Enum") => {
                    EnumSpec::parse(&syn::DeriveInput::from(e.clone()))?;
                    self.enums.push(e.clone());
                }
                Item::Mod(m) => {
                    if let Some((_, inner)) = &m.content {
                        self.collect(inner, crate_name)?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// A type as an author writes it (`HashMap<String, String>`), not as tokens print
/// (`HashMap < String , String >`).
pub(crate) fn type_text(ty: &syn::Type) -> String {
    ty.to_token_stream()
        .to_string()
        .replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" < ", "<")
        .replace(" <", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace(" ,", ",")
        .replace("& ", "&")
}

/// Records that `field` takes `key` (a column, a JSON name, an enum value); a second field
/// taking the same key is an error at `at`, naming both fields and the attribute that fixes it.
pub(crate) fn claim(
    seen: &mut Vec<(String, String)>,
    key: &str,
    field: &str,
    at: &dyn ToTokens,
    what: &str,
    fix: &str,
) -> syn::Result<()> {
    if let Some((_, first)) = seen.iter().find(|(k, _)| k == key) {
        return Err(syn::Error::new_spanned(
            at,
            format!(
                "duplicate {what} `{key}`: `{first}` and `{field}` both map to it; \
                 give one of them another with {fix}"
            ),
        ));
    }
    seen.push((key.to_string(), field.to_string()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_print_as_written() {
        let ty: syn::Type = syn::parse_quote!(std::collections::HashMap<String, Vec<u8>>);
        assert_eq!(type_text(&ty), "std::collections::HashMap<String, Vec<u8>>");
        let ty: syn::Type = syn::parse_quote!(&'static str);
        assert_eq!(type_text(&ty), "&'static str");
    }

    #[test]
    fn models_and_enums_are_found_in_inline_modules() {
        let file: syn::File = syn::parse_quote! {
            mod snapshot {
                #[derive(devlake::Model)]
                pub struct Job { #[devlake(primary_key)] pub id: String }
                #[derive(Clone, Copy, devlake::Enum)]
                pub enum State { Done }
            }
            #[derive(Debug)]
            pub struct NotAModel { pub x: i8 }
        };
        let items = SourceItems::from_items(&file.items, "ci").unwrap();
        assert_eq!(items.models.len(), 1);
        assert_eq!(items.models[0].table, "_tool_ci_jobs");
        assert_eq!(items.enums.len(), 1);
    }
}
