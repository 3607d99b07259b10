//! [`Connection`], [`Scope`] and [`ScopeConfig`]: a plugin's own structs plus the columns
//! DevLake gives every connection, scope and scope config.

use crate::domain::DomainType;
use crate::model::{
    codec, columns, ColumnValue, DateTime, Field, Model, ModelDescriptor, ModelError, ModelKind,
};
use serde_json::{Map, Value as Json};
use std::ops::{Deref, DerefMut};

fn common_field(kind: ModelKind, name: &str) -> &'static Field {
    columns::common_columns(kind)
        .iter()
        .find(|f| f.name == name)
        .expect("framework column exists")
}

fn get<T: ColumnValue>(
    raw: &Json,
    desc: &'static ModelDescriptor,
    kind: ModelKind,
    name: &str,
) -> Result<T, ModelError> {
    let f = common_field(kind, name);
    match codec::lookup(raw, f) {
        Some(v) if !v.is_null() => T::from_json(v).map_err(|e| ModelError::Invalid {
            model: desc.name,
            field: f.json_name,
            message: e.to_string(),
        }),
        _ => T::absent().ok_or(ModelError::Missing {
            model: desc.name,
            field: f.json_name,
        }),
    }
}

/// The longest scope id: DevLake keeps scope ids in `varchar(255)` columns.
pub const MAX_SCOPE_ID_CHARS: usize = 255;

/// A scope's `id`, checked up front so a bad one fails here with its field named, not deep
/// in an INSERT: a string (or an integer, which tools send for numeric ids) that is
/// non-empty, at most [`MAX_SCOPE_ID_CHARS`] characters and free of NUL bytes. A boolean or
/// a fractional number is a wrong type, not an id.
fn scope_id(raw: &Json, desc: &'static ModelDescriptor) -> Result<String, ModelError> {
    let f = common_field(ModelKind::Scope, "id");
    let invalid = |message: String| ModelError::Invalid {
        model: desc.name,
        field: f.json_name,
        message,
    };
    let id = match codec::lookup(raw, f) {
        None | Some(Json::Null) => {
            return Err(ModelError::Missing {
                model: desc.name,
                field: f.json_name,
            })
        }
        Some(Json::String(s)) => s.clone(),
        Some(Json::Number(n)) if n.is_i64() || n.is_u64() => n.to_string(),
        Some(other) => {
            return Err(invalid(format!(
                "must be a string, got {}",
                match other {
                    Json::Number(_) => "a fractional number",
                    other => crate::model::json_kind(other),
                }
            )))
        }
    };
    let chars = id.chars().count();
    if id.is_empty() {
        return Err(invalid("must not be empty".into()));
    }
    if chars > MAX_SCOPE_ID_CHARS {
        return Err(invalid(format!(
            "is {chars} characters long; DevLake keeps at most {MAX_SCOPE_ID_CHARS}"
        )));
    }
    if let Some(at) = id.chars().position(|c| c == '\0') {
        return Err(invalid(format!(
            "contains a NUL character (at character {})",
            at + 1
        )));
    }
    Ok(id)
}

fn check_object<M: Model>(raw: &Json) -> Result<(), ModelError> {
    if raw.is_object() {
        Ok(())
    } else {
        Err(ModelError::NotAnObject {
            model: M::descriptor().name,
            got: crate::model::json_kind(raw),
        })
    }
}

/// `Deref`/`DerefMut` of a wrapper to the plugin's fields it carries (`inner`).
macro_rules! derefs_to_inner {
    ($wrapper:ident) => {
        impl<T> Deref for $wrapper<T> {
            type Target = T;
            fn deref(&self) -> &T {
                &self.inner
            }
        }

        impl<T> DerefMut for $wrapper<T> {
            fn deref_mut(&mut self) -> &mut T {
                &mut self.inner
            }
        }
    };
}

/// A connection: the plugin's fields (`C`) plus `id`, `name`, `proxy` and timestamps.
/// Derefs to `C`.
#[derive(Debug, Clone, PartialEq)]
pub struct Connection<C> {
    /// Connection id (absent when DevLake tests a connection not yet saved).
    pub id: Option<i64>,
    /// Connection name.
    pub name: String,
    /// HTTP proxy for the tool's API (`None` when empty).
    pub proxy: Option<String>,
    /// Creation time.
    pub created_at: Option<DateTime>,
    /// Update time.
    pub updated_at: Option<DateTime>,
    /// The plugin's fields.
    pub inner: C,
}

derefs_to_inner!(Connection);

impl<C: Model> Connection<C> {
    /// A connection with an id and name.
    pub fn new(id: i64, name: impl Into<String>, inner: C) -> Self {
        Connection {
            id: Some(id),
            name: name.into(),
            proxy: None,
            created_at: None,
            updated_at: None,
            inner,
        }
    }

    /// Parses DevLake's JSON (snake_case or camelCase keys). A missing `name` is empty.
    pub fn from_json(raw: &Json) -> Result<Self, ModelError> {
        check_object::<C>(raw)?;
        let d = C::descriptor();
        let k = ModelKind::Connection;
        let proxy: Option<String> = get(raw, d, k, "proxy")?;
        Ok(Connection {
            id: get(raw, d, k, "id")?,
            name: get::<Option<String>>(raw, d, k, "name")?.unwrap_or_default(),
            proxy: proxy.filter(|p| !p.is_empty()),
            created_at: get(raw, d, k, "created_at")?,
            updated_at: get(raw, d, k, "updated_at")?,
            inner: C::from_json(raw)?,
        })
    }

    /// The connection id, or 0 when absent.
    pub fn id_or_zero(&self) -> i64 {
        self.id.unwrap_or(0)
    }
}

/// A tool scope: the plugin's fields (`S`) plus `id`, `name`, `connection_id`,
/// `scope_config_id` and the raw-data origin. Derefs to `S`.
#[derive(Debug, Clone, PartialEq)]
pub struct Scope<S> {
    /// Scope id in the tool.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Owning connection.
    pub connection_id: Option<i64>,
    /// Scope config applied.
    pub scope_config_id: Option<i64>,
    /// `_raw_data_params`.
    pub raw_data_params: Option<String>,
    /// `_raw_data_table`.
    pub raw_data_table: Option<String>,
    /// The plugin's fields.
    pub inner: S,
}

derefs_to_inner!(Scope);

impl<S: Model> Scope<S> {
    /// A scope with an id and name, as `remote_scopes` returns them.
    pub fn new(id: impl Into<String>, name: impl Into<String>, inner: S) -> Self {
        Scope {
            id: id.into(),
            name: name.into(),
            connection_id: None,
            scope_config_id: None,
            raw_data_params: None,
            raw_data_table: None,
            inner,
        }
    }

    /// Parses DevLake's JSON (snake_case or camelCase keys); `id` and `name` are required.
    pub fn from_json(raw: &Json) -> Result<Self, ModelError> {
        check_object::<S>(raw)?;
        let d = S::descriptor();
        let k = ModelKind::Scope;
        Ok(Scope {
            id: scope_id(raw, d)?,
            name: get(raw, d, k, "name")?,
            connection_id: get(raw, d, k, "connection_id")?,
            scope_config_id: get(raw, d, k, "scope_config_id")?,
            raw_data_params: get::<Option<String>>(raw, d, k, "_raw_data_params")?
                .filter(|s| !s.is_empty()),
            raw_data_table: get::<Option<String>>(raw, d, k, "_raw_data_table")?
                .filter(|s| !s.is_empty()),
            inner: S::from_json(raw)?,
        })
    }

    /// The scope as DevLake's JSON (camelCase, nulls omitted), in pydevlake's key order.
    pub fn to_json(&self) -> Json {
        let mut m = Map::new();
        if let Some(p) = &self.raw_data_params {
            m.insert("_raw_data_params".into(), p.clone().into());
        }
        if let Some(t) = &self.raw_data_table {
            m.insert("_raw_data_table".into(), t.clone().into());
        }
        if let Some(c) = self.connection_id {
            m.insert("connectionId".into(), c.into());
        }
        m.insert("id".into(), self.id.clone().into());
        m.insert("name".into(), self.name.clone().into());
        if let Some(s) = self.scope_config_id {
            m.insert("scopeConfigId".into(), s.into());
        }
        self.inner.write_json(&mut m);
        Json::Object(m)
    }

    /// `<crate>:<ScopeType>:<connection_id>:<id>`, the domain id of this scope.
    pub fn domain_id(&self) -> String {
        let d = S::descriptor();
        match self.connection_id {
            Some(c) => crate::model::domain_id_of(d.crate_name, d.name, c, &[&self.id]),
            None => crate::model::domain_id_of(d.crate_name, d.name, "None", &[&self.id]),
        }
    }
}

/// A scope config: the plugin's fields (`SC`) plus `id`, `name`, `entities` and
/// `connection_id`. Derefs to `SC`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopeConfig<SC> {
    /// Id.
    pub id: Option<i64>,
    /// Name (`default` when absent).
    pub name: String,
    /// Domain types to collect (all when absent or null).
    pub entities: Vec<DomainType>,
    /// Owning connection.
    pub connection_id: Option<i64>,
    /// The plugin's fields.
    pub inner: SC,
}

derefs_to_inner!(ScopeConfig);

impl<SC: Model> ScopeConfig<SC> {
    /// A scope config with default name and every entity.
    pub fn new(inner: SC) -> Self {
        ScopeConfig {
            id: None,
            name: "default".into(),
            entities: DomainType::ALL.to_vec(),
            connection_id: None,
            inner,
        }
    }

    /// Parses DevLake's JSON. `null` (DevLake sends it for a scope without a scope config)
    /// is the scope config's defaults: every field's `#[devlake(default = ...)]`, `None`
    /// for an `Option`, and the type's empty value (`""`, `0`, `false`, `[]`, `{}`, an
    /// enum's first variant) for the rest.
    pub fn from_json(raw: &Json) -> Result<Self, ModelError> {
        let defaults;
        let raw = if raw.is_null() {
            defaults = default_json(SC::descriptor());
            &defaults
        } else {
            raw
        };
        check_object::<SC>(raw)?;
        let d = SC::descriptor();
        let k = ModelKind::ScopeConfig;
        Ok(ScopeConfig {
            id: get(raw, d, k, "id")?,
            name: get::<Option<String>>(raw, d, k, "name")?.unwrap_or_else(|| "default".into()),
            entities: get::<Option<Vec<DomainType>>>(raw, d, k, "entities")?
                .unwrap_or_else(|| DomainType::ALL.to_vec()),
            connection_id: get(raw, d, k, "connection_id")?,
            inner: SC::from_json(raw)?,
        })
    }
}

/// The JSON of a model with every field at its default: absent where the model fills it
/// (`Option`, `#[devlake(default = ...)]`), else the type's empty value.
pub(crate) fn default_json(desc: &ModelDescriptor) -> Json {
    use crate::model::ColumnType as T;
    let mut m = Map::new();
    for f in desc.fields.iter().filter(|f| f.required()) {
        let v = match f.column_type {
            T::String | T::Secret | T::Bytes => Json::from(""),
            T::Integer => Json::from(0),
            T::Float => Json::from(0.0),
            T::Boolean => Json::from(false),
            T::Array(_) => Json::Array(Vec::new()),
            T::Object => Json::Object(Map::new()),
            T::Enum(e) => e
                .values
                .first()
                .map(|v| Json::from(*v))
                .unwrap_or(Json::Null),
            // No empty timestamp: left absent, so the model reports it missing.
            T::DateTime => continue,
        };
        m.insert(f.json_name.to_string(), v);
    }
    Json::Object(m)
}

/// A plugin's empty scope config, for plugins that need no conversion options. The type
/// is shared, its table is not: the plugin host stores each plugin's scope configs in
/// `_tool_<plugin>_scopeconfigs` (plugin-info, migrations, conformance checks), never in
/// the `_tool_devlake_scopeconfigs` declared here.
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(
    scope_config,
    table = "_tool_devlake_scopeconfigs",
    name = "ScopeConfig"
)]
pub struct NoOptions {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DateTime;

    #[derive(Debug, Clone, Copy, PartialEq, Eq, crate::Enum)]
    enum Env {
        Staging,
        Production,
    }

    #[derive(Debug, Clone, PartialEq, crate::Model)]
    #[devlake(scope_config, table = "_tool_t_scopeconfigs")]
    struct Sc {
        env: String,
        depth: i64,
        strict: bool,
        labels: Vec<String>,
        kind: Env,
        note: Option<String>,
        since: Option<DateTime>,
        #[devlake(default = "\"main\"")]
        branch: String,
    }

    /// Issue 12 item 12: a `null` scope config is the scope config's defaults.
    #[test]
    fn null_scope_config_is_the_defaults() {
        let sc = ScopeConfig::<Sc>::from_json(&Json::Null).unwrap();
        assert_eq!(sc.name, "default");
        assert_eq!(sc.entities, DomainType::ALL.to_vec());
        assert_eq!(
            sc.inner,
            Sc {
                env: String::new(),
                depth: 0,
                strict: false,
                labels: vec![],
                kind: Env::Staging,
                note: None,
                since: None,
                branch: "main".into(),
            }
        );
        // `{}` still requires what has no default.
        let e = ScopeConfig::<Sc>::from_json(&serde_json::json!({})).unwrap_err();
        assert!(e.to_string().contains("env"), "{e}");
    }

    #[derive(Debug, Clone, PartialEq, crate::Model)]
    #[devlake(scope, table = "_tool_t_projects")]
    struct Project {
        url: Option<String>,
    }

    /// Issue 12 item 11: scope ids are checked up front, the message names the field.
    #[test]
    fn scope_ids_are_checked_up_front() {
        let parse =
            |id: Json| Scope::<Project>::from_json(&serde_json::json!({"id": id, "name": "n"}));
        assert_eq!(parse("p1".into()).unwrap().id, "p1");
        assert_eq!(parse(42.into()).unwrap().id, "42");
        assert_eq!(
            parse("é".repeat(255).into()).unwrap().id.chars().count(),
            255
        );
        for (id, needle) in [
            (
                Json::from("x".repeat(256)),
                "is 256 characters long; DevLake keeps at most 255",
            ),
            (
                Json::from("a\0b"),
                "contains a NUL character (at character 2)",
            ),
            (Json::from(""), "must not be empty"),
            (Json::from(true), "must be a string, got a boolean"),
            (Json::from(1.5), "must be a string, got a fractional number"),
            (serde_json::json!(["p1"]), "must be a string, got an array"),
        ] {
            let e = parse(id.clone()).unwrap_err().to_string();
            assert!(e.contains("field `id`") && e.contains(needle), "{id}: {e}");
            assert_eq!(e.lines().count(), 1, "{e}");
        }
    }
}
