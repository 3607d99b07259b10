//! `#[derive(Enum)]`'s reading of an enum: each variant's JSON value and stored name.

use crate::claim;
use heck::{ToLowerCamelCase, ToShoutySnakeCase, ToSnakeCase};
use proc_macro2::Span;
use quote::ToTokens;
use syn::{spanned::Spanned, Data, DeriveInput, Fields, Ident, LitStr};

/// One variant of an enum deriving `Enum`.
#[derive(Debug, Clone)]
pub struct VariantSpec {
    /// The variant.
    pub ident: Ident,
    /// Its JSON value: `value = "..."`, else the `rename_all` rule applied to its name.
    pub value: String,
    /// Its stored value: `db = "..."`, else its name in `SCREAMING_SNAKE_CASE`.
    pub db: String,
}

/// A fieldless enum deriving `Enum`, read as the derive reads it.
#[derive(Debug, Clone)]
pub struct EnumSpec {
    /// The enum.
    pub ident: Ident,
    /// Its variants, in declaration order.
    pub variants: Vec<VariantSpec>,
}

impl EnumSpec {
    /// Reads an enum deriving `Enum`; errors point at the attribute or variant at fault.
    pub fn parse(input: &DeriveInput) -> syn::Result<EnumSpec> {
        let mut rule = None;
        for attr in input.attrs.iter().filter(|a| a.path().is_ident("devlake")) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename_all") {
                    let lit = meta.value()?.parse::<LitStr>()?;
                    // checked here too, so that an enum without variants is refused as well
                    apply_case(&lit, "Check")?;
                    rule = Some(lit);
                    Ok(())
                } else {
                    Err(meta.error("unknown devlake attribute; expected rename_all = \"...\""))
                }
            })?;
        }
        let rule = rule.unwrap_or_else(|| LitStr::new("snake_case", Span::call_site()));
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
        // (value or stored name, the variant that took it)
        let mut seen = Vec::new();
        for v in &data.variants {
            if !matches!(v.fields, Fields::Unit) {
                return Err(syn::Error::new(
                    v.span(),
                    "devlake enums are fieldless: each variant is one stored value",
                ));
            }
            let mut value = apply_case(&rule, &v.ident.to_string())?;
            let mut db = v.ident.to_string().to_shouty_snake_case();
            let (mut value_lit, mut db_lit) = (None, None);
            for attr in v.attrs.iter().filter(|a| a.path().is_ident("devlake")) {
                attr.parse_nested_meta(|meta| {
                    if meta.path.is_ident("value") {
                        let lit = meta.value()?.parse::<LitStr>()?;
                        value = lit.value();
                        value_lit = Some(lit);
                    } else if meta.path.is_ident("db") {
                        let lit = meta.value()?.parse::<LitStr>()?;
                        db = lit.value();
                        db_lit = Some(lit);
                    } else {
                        return Err(meta.error(
                            "unknown devlake variant attribute; expected value = \"...\" or db = \"...\"",
                        ));
                    }
                    Ok(())
                })?;
            }
            // Both spellings parse back (`FromStr`), so each must name one variant only.
            let variant = v.ident.to_string();
            let at_value: &dyn ToTokens = match &value_lit {
                Some(lit) => lit,
                None => &v.ident,
            };
            claim(
                &mut seen,
                &value,
                &variant,
                at_value,
                "value",
                "#[devlake(value = \"...\")]",
            )?;
            let at_db: &dyn ToTokens = match &db_lit {
                Some(lit) => lit,
                None => &v.ident,
            };
            if db != value {
                claim(
                    &mut seen,
                    &db,
                    &variant,
                    at_db,
                    "stored name",
                    "#[devlake(db = \"...\")]",
                )?;
            }
            variants.push(VariantSpec {
                ident: v.ident.clone(),
                value,
                db,
            });
        }
        Ok(EnumSpec {
            ident: input.ident.clone(),
            variants,
        })
    }
}

/// `variant` spelled by the `rename_all` rule `rule`; an unknown rule is an error on its literal.
fn apply_case(rule: &LitStr, variant: &str) -> syn::Result<String> {
    Ok(match rule.value().as_str() {
        "snake_case" => variant.to_snake_case(),
        "lowercase" => variant.to_lowercase(),
        "UPPERCASE" => variant.to_uppercase(),
        "SCREAMING_SNAKE_CASE" => variant.to_shouty_snake_case(),
        "camelCase" => variant.to_lower_camel_case(),
        "PascalCase" => variant.to_string(),
        other => {
            return Err(syn::Error::new_spanned(
                rule,
                format!(
                    "unknown rename_all rule {other:?}; use one of: snake_case, lowercase, \
                     UPPERCASE, SCREAMING_SNAKE_CASE, camelCase, PascalCase"
                ),
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_stored_names() {
        let e = EnumSpec::parse(&syn::parse_quote! {
            #[devlake(rename_all = "camelCase")]
            pub enum State { InProgress, #[devlake(value = "ok", db = "OK")] Done }
        })
        .unwrap();
        let v: Vec<(&str, &str)> = e
            .variants
            .iter()
            .map(|v| (v.value.as_str(), v.db.as_str()))
            .collect();
        assert_eq!(v, [("inProgress", "IN_PROGRESS"), ("ok", "OK")]);
    }

    #[test]
    fn an_unknown_rule_is_refused() {
        let err = EnumSpec::parse(&syn::parse_quote! {
            #[devlake(rename_all = "kebab-case")]
            pub enum State { InProgress }
        })
        .unwrap_err();
        assert!(err.to_string().starts_with("unknown rename_all rule"));
    }
}
