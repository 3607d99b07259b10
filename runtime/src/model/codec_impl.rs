//! The per-field codecs behind `#[derive(Model)]`, kept out of the macro so the generated
//! code stays small and the logic is tested once.

use super::{ColumnValue, Field, ModelDescriptor, ModelError, Value, ValueError};

fn wrap(desc: &'static ModelDescriptor, field: &'static Field, e: ValueError) -> ModelError {
    match e {
        ValueError::Missing => ModelError::Missing {
            model: desc.name,
            field: field.json_name,
        },
        ValueError::Invalid(message) => ModelError::Invalid {
            model: desc.name,
            field: field.json_name,
            message,
        },
    }
}

/// Decodes field `index` of `desc` from the next value of a row.
pub fn from_value<T: ColumnValue>(
    value: Option<Value>,
    desc: &'static ModelDescriptor,
    index: usize,
) -> Result<T, ModelError> {
    let field = &desc.fields[index];
    T::from_value(value.unwrap_or(Value::Null)).map_err(|e| wrap(desc, field, e))
}

/// The prefix of a `source` pointer into a raw record's input rather than its data.
pub const INPUT_SOURCE: &str = "input:";

/// Looks a field up in a JSON record: its `source` pointer, else the field name, else its
/// camelCase alias. A field sourced from the input (`input:/...`) is not in the record.
pub fn lookup<'a>(raw: &'a serde_json::Value, field: &Field) -> Option<&'a serde_json::Value> {
    if let Some(pointer) = field.source {
        if pointer.starts_with(INPUT_SOURCE) {
            return None;
        }
        return raw.pointer(pointer);
    }
    let obj = raw.as_object()?;
    obj.get(field.name).or_else(|| obj.get(field.json_name))
}

/// Decodes field `index` of `desc` from a JSON record.
pub fn from_json<T: ColumnValue>(
    raw: &serde_json::Value,
    desc: &'static ModelDescriptor,
    index: usize,
    fallback: Option<fn() -> T>,
) -> Result<T, ModelError> {
    from_record(raw, &serde_json::Value::Null, desc, index, fallback)
}

/// Decodes field `index` of `desc` from a raw record and its input (`input:/...` sources).
pub fn from_record<T: ColumnValue>(
    raw: &serde_json::Value,
    input: &serde_json::Value,
    desc: &'static ModelDescriptor,
    index: usize,
    fallback: Option<fn() -> T>,
) -> Result<T, ModelError> {
    let field = &desc.fields[index];
    if !raw.is_object() {
        return Err(ModelError::NotAnObject {
            model: desc.name,
            got: super::json_kind(raw),
        });
    }
    let found = match field.source.and_then(|s| s.strip_prefix(INPUT_SOURCE)) {
        Some(pointer) => input.pointer(pointer),
        None => lookup(raw, field),
    };
    match found {
        Some(v) if !v.is_null() => T::from_json(v).map_err(|e| wrap(desc, field, e)),
        _ => {
            if let Some(f) = fallback {
                return Ok(f());
            }
            if let Some(text) = field.default {
                let v: serde_json::Value = serde_json::from_str(text).map_err(|e| {
                    wrap(
                        desc,
                        field,
                        ValueError::Invalid(format!("bad default {text:?}: {e}")),
                    )
                })?;
                return T::from_json(&v).map_err(|e| wrap(desc, field, e));
            }
            T::absent().ok_or_else(|| wrap(desc, field, ValueError::Missing))
        }
    }
}

/// Writes a field as a JSON property, omitting nulls (as pydevlake's `exclude_none`).
pub fn to_json<T: ColumnValue>(
    out: &mut serde_json::Map<String, serde_json::Value>,
    field: &'static Field,
    value: &T,
) {
    let v = value.to_json();
    if !v.is_null() {
        out.insert(field.json_name.to_string(), v);
    }
}
