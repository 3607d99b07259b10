//! A field's Rust type -> its column type and nullability.

use syn::{GenericArgument, PathArguments, Type};

/// The column type a Rust field type maps to: the runtime's `ColumnType` (what
/// `ColumnValue::TYPE` says) without an enum's values, which only the compiler sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnKind {
    /// `String`.
    String,
    /// `i16`, `i32`, `i64`, `u8`, `u16`, `u32`, `u64`.
    Integer,
    /// `f32`, `f64`.
    Float,
    /// `bool`.
    Boolean,
    /// `DateTime` (`chrono::DateTime<Utc>`), `NaiveDateTime`.
    DateTime,
    /// `Secret`.
    Secret,
    /// `serde_json::Value`, `Json<T>`.
    Object,
    /// `Vec<T>`, with the item's type.
    Array(Box<ColumnKind>),
    /// An enum deriving `devlake::Enum`, by name.
    Enum(String),
}

impl ColumnKind {
    /// The enum this type is or holds.
    pub fn enum_name(&self) -> Option<&str> {
        match self {
            ColumnKind::Enum(e) => Some(e),
            ColumnKind::Array(item) => item.enum_name(),
            _ => None,
        }
    }
}

/// What a column can hold, as the message for any other type says it.
pub const SUPPORTED_TYPES: &str = "String, an integer (i16, i32, i64, u8, u16, u32, u64), \
     f32, f64, bool, DateTime, Secret, serde_json::Value, Json<T>, Vec<T>, an enum deriving \
     devlake::Enum, or an Option of one";

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

/// The column type of a Rust type and whether it is an `Option`; `None` when no column can
/// hold it (the runtime implements `ColumnValue` for exactly the types named in
/// [`SUPPORTED_TYPES`]: `i8`, `isize`, `usize`, 128-bit integers, `char`, references,
/// tuples, maps are refused).
///
/// Types are known by the last segment of their path, as written: a capitalised name
/// without generic arguments that is not a column type is taken for an enum deriving
/// `devlake::Enum` (the compiler checks it for the derive; `migration add` looks for the
/// enum in the crate's sources). A type alias is therefore not followed.
pub fn column_kind(ty: &Type) -> Option<(ColumnKind, bool)> {
    let seg = last_segment(ty)?;
    let name = seg.ident.to_string();
    if name == "Option" {
        let (kind, _) = column_kind(first_type_arg(seg)?)?;
        return Some((kind, true));
    }
    let kind = match name.as_str() {
        "String" => ColumnKind::String,
        "i64" | "i32" | "i16" | "u64" | "u32" | "u16" | "u8" => ColumnKind::Integer,
        "f64" | "f32" => ColumnKind::Float,
        "bool" => ColumnKind::Boolean,
        "DateTime" | "NaiveDateTime" => ColumnKind::DateTime,
        "Secret" => ColumnKind::Secret,
        "Value" | "Json" => ColumnKind::Object,
        "Vec" => {
            let item = first_type_arg(seg)?;
            ColumnKind::Array(Box::new(column_kind(item)?.0))
        }
        _ if matches!(seg.arguments, PathArguments::None)
            && name.chars().next()?.is_uppercase() =>
        {
            ColumnKind::Enum(name)
        }
        _ => return None,
    };
    Some((kind, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(ty: Type) -> Option<(ColumnKind, bool)> {
        column_kind(&ty)
    }

    #[test]
    fn column_types() {
        use syn::parse_quote as q;
        assert_eq!(kind(q!(String)), Some((ColumnKind::String, false)));
        assert_eq!(kind(q!(Option<u64>)), Some((ColumnKind::Integer, true)));
        assert_eq!(
            kind(q!(chrono::DateTime<chrono::Utc>)),
            Some((ColumnKind::DateTime, false))
        );
        assert_eq!(
            kind(q!(Vec<State>)),
            Some((
                ColumnKind::Array(Box::new(ColumnKind::Enum("State".into()))),
                false
            ))
        );
        assert_eq!(
            kind(q!(devlake::Json<Vec<String>>)),
            Some((ColumnKind::Object, false))
        );
    }

    #[test]
    fn types_the_runtime_cannot_store_are_refused() {
        use syn::parse_quote as q;
        let types: [Type; 11] = [
            q!(i8),
            q!(isize),
            q!(usize),
            q!(i128),
            q!(u128),
            q!(char),
            q!(&'static str),
            q!((i64, i64)),
            q!(HashMap<String, String>),
            q!(Option<usize>),
            q!(Vec<i8>),
        ];
        for ty in types {
            assert_eq!(kind(ty.clone()), None, "{}", crate::type_text(&ty));
        }
    }
}
