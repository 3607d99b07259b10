//! [`Secret`]: a credential that never reaches logs, errors or snapshots.

use super::{ColumnType, ColumnValue, Value, ValueError};
use std::fmt;

/// A credential (token, password). `Debug`, `Display` and `Serialize` print `********`;
/// only [`Secret::expose`] gives the value, so a secret reaches nothing by accident. In
/// plugin-info it is `{"type":"string","format":"password","writeOnly":true}`, which makes
/// DevLake store it encrypted.
///
/// ```
/// use devlake::Secret;
/// let token = Secret::new("s3cr3t");
/// assert_eq!(format!("{token:?} {token}"), "******** ********");
/// assert_eq!(token.expose(), "s3cr3t");
/// assert_eq!(serde_json::to_string(&token).unwrap(), "\"********\"");
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The credential itself. Call it only where the value is sent to the tool.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// Whether the credential is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

const REDACTED: &str = "********";

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(REDACTED)
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_string())
    }
}

impl ColumnValue for Secret {
    const TYPE: ColumnType = ColumnType::Secret;
    fn to_value(&self) -> Value {
        Value::Text(self.0.clone())
    }
    fn from_value(value: Value) -> Result<Self, ValueError> {
        match value {
            Value::Text(s) => Ok(Secret(s)),
            Value::Null => Err(ValueError::Missing),
            _ => Err(ValueError::Invalid("expected text".into())),
        }
    }
    fn from_json(value: &serde_json::Value) -> Result<Self, ValueError> {
        match value {
            serde_json::Value::String(s) => Ok(Secret(s.clone())),
            serde_json::Value::Null => Err(ValueError::Missing),
            // Never echo the value: it may be a mistyped credential.
            _ => Err(ValueError::Invalid("expected a string".into())),
        }
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::Value::String(REDACTED.into())
    }
    fn key_string(&self) -> String {
        REDACTED.into()
    }
}
