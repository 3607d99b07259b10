//! Row assembly: a model's declared values plus the framework's columns, in table order.

use crate::model::{columns, Column, DateTime, Model, ModelDescriptor, Value};

/// Where a row's raw data came from (`_raw_data_*`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Origin {
    /// `_raw_data_params`.
    pub params: Option<String>,
    /// `_raw_data_table`.
    pub table: Option<String>,
    /// `_raw_data_id`.
    pub id: Option<i64>,
    /// `_raw_data_remark`.
    pub remark: Option<String>,
}

impl Origin {
    /// Reads an origin from four values (`_raw_data_params, _table, _id, _remark`).
    pub fn from_values(values: &mut dyn Iterator<Item = Value>) -> Origin {
        let text = |v: Option<Value>| match v {
            Some(Value::Text(s)) => Some(s),
            Some(Value::Bytes(b)) => String::from_utf8(b).ok(),
            _ => None,
        };
        Origin {
            params: text(values.next()),
            table: text(values.next()),
            id: match values.next() {
                Some(Value::Int(i)) => Some(i),
                Some(Value::Text(s)) => s.parse().ok(),
                _ => None,
            },
            remark: text(values.next()),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Src {
    Field(usize),
    ConnectionId,
    RawParams,
    RawTable,
    RawId,
    RawRemark,
    Now,
    Null,
}

/// How to build a full table row from a model.
#[derive(Debug, Clone)]
pub struct Layout {
    desc: &'static ModelDescriptor,
    columns: Vec<Column>,
    srcs: Vec<Src>,
    id_field: Option<usize>,
}

impl Layout {
    /// The layout of a model's table.
    pub fn of(desc: &'static ModelDescriptor) -> Layout {
        let columns = columns(desc);
        let srcs = columns
            .iter()
            .map(
                |c| match desc.fields.iter().position(|f| f.name == c.name) {
                    Some(i) => Src::Field(i),
                    None => match c.name {
                        "connection_id" => Src::ConnectionId,
                        "_raw_data_params" => Src::RawParams,
                        "_raw_data_table" => Src::RawTable,
                        "_raw_data_id" => Src::RawId,
                        "_raw_data_remark" => Src::RawRemark,
                        "created_at" | "updated_at" => Src::Now,
                        _ => Src::Null,
                    },
                },
            )
            .collect();
        let id_field = desc
            .fields
            .iter()
            .position(|f| f.name == "id" && f.primary_key);
        Layout {
            desc,
            columns,
            srcs,
            id_field,
        }
    }

    /// The model.
    pub fn descriptor(&self) -> &'static ModelDescriptor {
        self.desc
    }

    /// Table columns, in row order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// A full row for `model`. An empty `id` key is replaced by `default_id` (pydevlake
    /// fills a domain row's id from its tool row).
    pub fn row<M: Model>(
        &self,
        model: &M,
        connection_id: i64,
        origin: &Origin,
        now: DateTime,
        default_id: Option<&str>,
    ) -> Vec<Value> {
        let mut fields = Vec::with_capacity(self.desc.fields.len());
        model.write_values(&mut fields);
        if let (Some(i), Some(id)) = (self.id_field, default_id) {
            if matches!(&fields[i], Value::Text(s) if s.is_empty()) {
                fields[i] = Value::Text(id.to_string());
            }
        }
        let opt_text = |s: &Option<String>| s.clone().map(Value::Text).unwrap_or(Value::Null);
        self.srcs
            .iter()
            .map(|s| match *s {
                Src::Field(i) => std::mem::replace(&mut fields[i], Value::Null),
                Src::ConnectionId => Value::Int(connection_id),
                Src::RawParams => opt_text(&origin.params),
                Src::RawTable => opt_text(&origin.table),
                Src::RawId => origin.id.map(Value::Int).unwrap_or(Value::Null),
                Src::RawRemark => opt_text(&origin.remark),
                Src::Now => Value::DateTime(now),
                Src::Null => Value::Null,
            })
            .collect()
    }
}
