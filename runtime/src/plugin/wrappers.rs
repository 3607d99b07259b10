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

impl<C> Deref for Connection<C> {
    type Target = C;
    fn deref(&self) -> &C {
        &self.inner
    }
}

impl<C> DerefMut for Connection<C> {
    fn deref_mut(&mut self) -> &mut C {
        &mut self.inner
    }
}

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

impl<S> Deref for Scope<S> {
    type Target = S;
    fn deref(&self) -> &S {
        &self.inner
    }
}

impl<S> DerefMut for Scope<S> {
    fn deref_mut(&mut self) -> &mut S {
        &mut self.inner
    }
}

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
            id: get(raw, d, k, "id")?,
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
        scope_domain_id(S::descriptor(), self.connection_id, &self.id)
    }
}

/// `<crate>:<ScopeType>:<connection_id>:<id>`: the domain id of a tool scope of model
/// `desc` (`None` as pydevlake writes a missing connection id), for when only its id is at
/// hand (deleting a scope's data).
pub fn scope_domain_id(desc: &ModelDescriptor, connection_id: Option<i64>, id: &str) -> String {
    let conn = connection_id
        .map(|c| c.to_string())
        .unwrap_or_else(|| "None".into());
    format!("{}:{}:{}:{}", desc.crate_name, desc.name, conn, id)
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

impl<SC> Deref for ScopeConfig<SC> {
    type Target = SC;
    fn deref(&self) -> &SC {
        &self.inner
    }
}

impl<SC> DerefMut for ScopeConfig<SC> {
    fn deref_mut(&mut self) -> &mut SC {
        &mut self.inner
    }
}

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

    /// Parses DevLake's JSON; `null` is treated as `{}` (so a config whose fields all have
    /// defaults needs no JSON at all).
    pub fn from_json(raw: &Json) -> Result<Self, ModelError> {
        let empty = Json::Object(Map::new());
        let raw = if raw.is_null() { &empty } else { raw };
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

/// A plugin's empty scope config, for plugins that need no conversion options.
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(
    scope_config,
    table = "_tool_devlake_scopeconfigs",
    name = "ScopeConfig"
)]
pub struct NoOptions {}
