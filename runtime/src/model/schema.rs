//! JSON schemas for plugin-info, in the dialect DevLake's Go loader accepts.
//!
//! The loader (`backend/server/services/remote/models/conversion.go`) reads a flat
//! `properties` object whose entries each carry one string `type` (`integer`, `number`,
//! `boolean`, `string`, `array`, `object`), plus `format` (`date-time`, `password`),
//! `maxLength`, `primaryKey` and `autoIncrement`. Schema generators' defaults (`$ref`,
//! `anyOf`, `"type": [.., "null"]`) break it, so schemas are built here by hand, in the
//! shape pydevlake produces (titles, `required`, enum descriptions) so both frameworks
//! describe the same plugin identically.

use super::{columns, ColumnType, Field, Model, ModelDescriptor, ModelKind};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// A model's table and schema: `{"json_schema": {...}, "table_name": "..."}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// The JSON schema.
    pub json_schema: Value,
    /// The table.
    pub table_name: String,
}

/// The [`ModelInfo`] of a model type.
pub fn model_info<M: Model>() -> ModelInfo {
    let desc = M::descriptor();
    ModelInfo {
        json_schema: json_schema(desc),
        table_name: desc.table.to_string(),
    }
}

/// Python's `str.title()` of a property name with `_` as spaces: pydantic's default titles
/// (`createdAt` -> `Createdat`, `_raw_data_id` -> ` Raw Data Id`).
fn title(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut start = true;
    for c in name.replace('_', " ").chars() {
        if c.is_alphabetic() {
            if start {
                out.extend(c.to_uppercase());
            } else {
                out.extend(c.to_lowercase());
            }
            start = false;
        } else {
            out.push(c);
            start = true;
        }
    }
    out
}

fn property(desc: &ModelDescriptor, f: &Field) -> Value {
    let mut p = Map::new();
    let entities = desc.kind == ModelKind::ScopeConfig && f.name == "entities";
    if !entities {
        p.insert("title".into(), title(f.json_name).into());
    }
    if let Some(d) = f.description {
        p.insert("description".into(), d.into());
    }
    if let Some(default) = f.default {
        if let Ok(v) = serde_json::from_str::<Value>(default) {
            p.insert("default".into(), v);
        }
    }
    if f.primary_key {
        p.insert("primaryKey".into(), true.into());
    }
    if let Some(auto) = f.auto_increment {
        p.insert("autoIncrement".into(), auto.into());
    }
    let is_proxy = desc.kind == ModelKind::Connection && f.name == "proxy";
    match f.column_type {
        ColumnType::Secret => {
            p.insert("type".into(), "string".into());
            p.insert("writeOnly".into(), true.into());
            p.insert("format".into(), "password".into());
        }
        ColumnType::DateTime => {
            p.insert("type".into(), "string".into());
            p.insert("format".into(), "date-time".into());
        }
        ColumnType::Enum(info) => {
            if f.description.is_none() {
                p.insert("description".into(), "An enumeration.".into());
            }
            p.insert("enum".into(), json!(info.values));
            p.insert("type".into(), "string".into());
        }
        ColumnType::Array(item) => {
            p.insert("type".into(), "array".into());
            if let Some(info) = item {
                p.insert(
                    "items".into(),
                    json!({"title": info.name, "description": "An enumeration.", "enum": info.values}),
                );
            }
        }
        _ if is_proxy => {
            // pydantic's AnyUrl, as pydevlake declares the proxy.
            p.insert("minLength".into(), 1.into());
            p.insert("maxLength".into(), 65536.into());
            p.insert("format".into(), "uri".into());
            p.insert("type".into(), "string".into());
        }
        t => {
            // The `_raw_data_id` column is an integer in DevLake's tables but a string in
            // the schemas DevLake receives from pydevlake; keep the wire format.
            let ty = if f.name == "_raw_data_id" {
                "string"
            } else {
                t.json_type()
            };
            if let (Some(n), "string") = (f.max_length, ty) {
                // Raw-origin lengths are DevLake's own DDL, never part of a plugin's schema.
                if !f.name.starts_with("_raw_data") {
                    p.insert("maxLength".into(), n.into());
                }
            }
            p.insert("type".into(), ty.into());
        }
    }
    Value::Object(p)
}

/// The JSON schema of a model, as plugin-info carries it.
pub fn json_schema(desc: &'static ModelDescriptor) -> Value {
    let cols = columns(desc);
    let mut props = Map::new();
    let mut required = Vec::new();
    for c in &cols {
        props.insert(c.json_name.to_string(), property(desc, c));
        if c.required() {
            required.push(Value::from(c.json_name));
        }
    }
    let mut schema = Map::new();
    schema.insert("title".into(), desc.name.into());
    schema.insert("type".into(), "object".into());
    schema.insert("properties".into(), Value::Object(props));
    if !required.is_empty() {
        schema.insert("required".into(), Value::Array(required));
    }
    Value::Object(schema)
}

#[cfg(test)]
mod tests {
    use super::title;

    #[test]
    fn titles_follow_pydantic() {
        assert_eq!(title("createdAt"), "Createdat");
        assert_eq!(title("_raw_data_params"), " Raw Data Params");
        assert_eq!(title("scopeConfigId"), "Scopeconfigid");
        assert_eq!(title("id"), "Id");
    }
}
