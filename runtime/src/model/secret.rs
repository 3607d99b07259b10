//! [`Secret`]: a credential that never reaches logs, errors or snapshots.

use super::{ColumnType, ColumnValue, Value, ValueError};
use std::fmt;

/// A credential (token, password). `Debug` and `Display` print `********`, so logs and
/// error messages never show it; [`Secret::expose`] gives the value where it is sent to
/// the tool. In plugin-info it is `{"type":"string","format":"password","writeOnly":true}`,
/// which makes DevLake store it encrypted.
///
/// Output and storage are kept apart on purpose:
/// - **storage** is exact: the database column holds the value, and `Serialize` /
///   `Deserialize` round-trip it, so a struct saved with serde and read back keeps its
///   credential (a redacting `Serialize` would silently replace it with `********`);
/// - **output** is explicit: [`Secret::redacted`] is the view to print or serialize
///   (`********`), [`serialize_redacted`] does the same for a
///   `#[serde(serialize_with = ...)]` field, and [`Model::to_json`](super::Model::to_json)
///   (test diffs, messages) writes `********`.
///
/// ```
/// use devlake::Secret;
/// let token = Secret::new("s3cr3t");
/// assert_eq!(format!("{token:?} {token}"), "******** ********");
/// assert_eq!(token.expose(), "s3cr3t");
/// // Storage: exact.
/// let stored = serde_json::to_string(&token).unwrap();
/// assert_eq!(serde_json::from_str::<Secret>(&stored).unwrap(), token);
/// // Output: explicit.
/// assert_eq!(serde_json::to_string(&token.redacted()).unwrap(), "\"********\"");
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
    /// The view for output: displays, debugs and serializes as `********`.
    pub fn redacted(&self) -> Redacted {
        Redacted
    }
}

/// What a [`Secret`] looks like in output: `********` however it is printed or serialized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redacted;

impl fmt::Display for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl serde::Serialize for Redacted {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(REDACTED)
    }
}

/// `#[serde(serialize_with = "devlake::model::serialize_redacted")]`: writes a [`Secret`]
/// field as `********`, for structs meant for output only.
pub fn serialize_redacted<S: serde::Serializer>(_: &Secret, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(REDACTED)
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

/// Exact, for storage: see the type's documentation for the output view.
impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
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
    /// Output view (model JSON is for messages and test diffs): `********`.
    fn to_json(&self) -> serde_json::Value {
        serde_json::Value::String(REDACTED.into())
    }
    fn key_string(&self) -> String {
        REDACTED.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 12 item 7: a serde round trip keeps the credential; output stays redacted.
    #[test]
    fn serde_round_trip_is_exact_and_output_is_redacted() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Stored {
            token: Secret,
        }
        #[derive(serde::Serialize)]
        struct Shown {
            #[serde(serialize_with = "serialize_redacted")]
            token: Secret,
        }
        let stored = Stored {
            token: Secret::new("Tok3nLeak"),
        };
        let text = serde_json::to_string(&stored).unwrap();
        assert_eq!(serde_json::from_str::<Stored>(&text).unwrap(), stored);
        let shown = serde_json::to_string(&Shown {
            token: stored.token.clone(),
        })
        .unwrap();
        assert_eq!(shown, r#"{"token":"********"}"#);
        let views = format!(
            "{:?} {} {} {}",
            stored,
            stored.token,
            stored.token.redacted(),
            serde_json::to_string(&stored.token.redacted()).unwrap()
        );
        assert!(!views.contains("Tok3nLeak"), "{views}");
    }
}
