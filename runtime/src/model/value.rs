//! Column values and the [`ColumnValue`] trait that maps Rust field types to columns.

use super::{json_kind, ColumnType, EnumInfo};
use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::{de::DeserializeOwned, Serialize};

/// Timestamps in models: UTC, as DevLake stores them.
pub type DateTime = chrono::DateTime<Utc>;

/// A value bound to or read from a column, independent of the database.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// Boolean.
    Bool(bool),
    /// Integer.
    Int(i64),
    /// Float.
    Float(f64),
    /// Text (strings, enum names, secrets).
    Text(String),
    /// Timestamp (UTC).
    DateTime(DateTime),
    /// JSON (arrays, objects).
    Json(serde_json::Value),
    /// Bytes.
    Bytes(Vec<u8>),
}

impl Value {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Value::Null => "NULL",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Text(_) => "text",
            Value::DateTime(_) => "a timestamp",
            Value::Json(_) => "JSON",
            Value::Bytes(_) => "bytes",
        }
    }
}

/// Error converting one value; the codecs add the model and field names.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValueError {
    /// NULL or absent where a value is required.
    #[error("is missing")]
    Missing,
    /// A value of the wrong type or an invalid value.
    #[error("{0}")]
    Invalid(String),
}

impl ValueError {
    /// A type mismatch reading `got` as `expected`.
    pub fn type_mismatch(expected: &str, got: &Value) -> Self {
        ValueError::Invalid(format!("expected {expected}, got {}", got.kind()))
    }
    fn json_mismatch(expected: &str, got: &serde_json::Value) -> Self {
        ValueError::Invalid(format!("expected {expected}, got {}", json_kind(got)))
    }
}

/// A Rust type usable as a model field. Implemented for strings, integers, floats, bools,
/// [`DateTime`], `chrono::NaiveDateTime`/`NaiveDate`, `serde_json::Value` (objects),
/// `Vec<T>` (arrays), [`Json<T>`], [`Secret`](super::Secret), `Option<T>` and enums with
/// `#[derive(devlake::Enum)]`.
pub trait ColumnValue: Sized {
    /// Column type.
    const TYPE: ColumnType;
    /// Whether the column accepts NULL (`Option<T>`).
    const NULLABLE: bool = false;
    /// For enums: the variants (used by `Vec<Enum>` schemas).
    const ENUM: Option<&'static EnumInfo> = None;
    /// Value to bind.
    fn to_value(&self) -> Value;
    /// Value read from a row.
    fn from_value(value: Value) -> Result<Self, ValueError>;
    /// Value read from JSON (lenient: accepts what APIs send, e.g. numbers as strings).
    fn from_json(value: &serde_json::Value) -> Result<Self, ValueError>;
    /// Value written to JSON.
    fn to_json(&self) -> serde_json::Value;
    /// The value as a segment of a domain id (`<plugin>:<Model>:<connection>:<key>`).
    fn key_string(&self) -> String {
        match self.to_json() {
            serde_json::Value::String(s) => s,
            serde_json::Value::Null => "None".into(),
            other => other.to_string(),
        }
    }
    /// The value used when the field is absent; only `Option` has one.
    fn absent() -> Option<Self> {
        None
    }
}

impl ColumnValue for String {
    const TYPE: ColumnType = ColumnType::String;
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
    fn from_value(value: Value) -> Result<Self, ValueError> {
        match value {
            Value::Text(s) => Ok(s),
            Value::Int(i) => Ok(i.to_string()),
            Value::Float(f) => Ok(f.to_string()),
            Value::Bytes(b) => {
                String::from_utf8(b).map_err(|_| ValueError::Invalid("is not UTF-8".into()))
            }
            Value::Null => Err(ValueError::Missing),
            other => Err(ValueError::type_mismatch("text", &other)),
        }
    }
    fn from_json(value: &serde_json::Value) -> Result<Self, ValueError> {
        match value {
            serde_json::Value::String(s) => Ok(s.clone()),
            // APIs often send ids as numbers where the tool model keeps strings.
            serde_json::Value::Number(n) => Ok(n.to_string()),
            serde_json::Value::Bool(b) => Ok(b.to_string()),
            serde_json::Value::Null => Err(ValueError::Missing),
            other => Err(ValueError::json_mismatch("a string", other)),
        }
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::Value::String(self.clone())
    }
}

macro_rules! int_column {
    ($($t:ty),*) => {$(
        impl ColumnValue for $t {
            const TYPE: ColumnType = ColumnType::Integer;
            fn to_value(&self) -> Value {
                Value::Int(*self as i64)
            }
            fn from_value(value: Value) -> Result<Self, ValueError> {
                match value {
                    Value::Int(i) => <$t>::try_from(i).map_err(|_| ValueError::Invalid(format!("{i} is out of range for {}", stringify!($t)))),
                    Value::Bool(b) => Ok(b as $t),
                    Value::Text(s) => s.trim().parse().map_err(|_| ValueError::Invalid(format!("{s:?} is not an integer"))),
                    Value::Null => Err(ValueError::Missing),
                    other => Err(ValueError::type_mismatch("an integer", &other)),
                }
            }
            fn from_json(value: &serde_json::Value) -> Result<Self, ValueError> {
                match value {
                    serde_json::Value::Number(n) => n
                        .as_i64()
                        .and_then(|i| <$t>::try_from(i).ok())
                        .ok_or_else(|| ValueError::Invalid(format!("{n} is not a valid {}", stringify!($t)))),
                    serde_json::Value::String(s) => s.trim().parse().map_err(|_| ValueError::Invalid(format!("{s:?} is not an integer"))),
                    serde_json::Value::Null => Err(ValueError::Missing),
                    other => Err(ValueError::json_mismatch("an integer", other)),
                }
            }
            fn to_json(&self) -> serde_json::Value {
                serde_json::Value::from(*self)
            }
        }
    )*};
}
int_column!(i64, i32, i16, u32, u16, u8);

impl ColumnValue for u64 {
    const TYPE: ColumnType = ColumnType::Integer;
    fn to_value(&self) -> Value {
        Value::Int(*self as i64)
    }
    fn from_value(value: Value) -> Result<Self, ValueError> {
        i64::from_value(value).and_then(|i| {
            u64::try_from(i).map_err(|_| ValueError::Invalid(format!("{i} is negative")))
        })
    }
    fn from_json(value: &serde_json::Value) -> Result<Self, ValueError> {
        match value {
            serde_json::Value::Number(n) => n
                .as_u64()
                .ok_or_else(|| ValueError::Invalid(format!("{n} is not a valid u64"))),
            other => i64::from_json(other).and_then(|i| {
                u64::try_from(i).map_err(|_| ValueError::Invalid(format!("{i} is negative")))
            }),
        }
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::Value::from(*self)
    }
}

macro_rules! float_column {
    ($($t:ty),*) => {$(
        impl ColumnValue for $t {
            const TYPE: ColumnType = ColumnType::Float;
            fn to_value(&self) -> Value {
                Value::Float(*self as f64)
            }
            fn from_value(value: Value) -> Result<Self, ValueError> {
                match value {
                    Value::Float(f) => Ok(f as $t),
                    Value::Int(i) => Ok(i as $t),
                    Value::Text(s) => s.trim().parse().map_err(|_| ValueError::Invalid(format!("{s:?} is not a number"))),
                    Value::Null => Err(ValueError::Missing),
                    other => Err(ValueError::type_mismatch("a number", &other)),
                }
            }
            fn from_json(value: &serde_json::Value) -> Result<Self, ValueError> {
                match value {
                    serde_json::Value::Number(n) => n.as_f64().map(|f| f as $t).ok_or_else(|| ValueError::Invalid(format!("{n} is not a number"))),
                    serde_json::Value::String(s) => s.trim().parse().map_err(|_| ValueError::Invalid(format!("{s:?} is not a number"))),
                    serde_json::Value::Null => Err(ValueError::Missing),
                    other => Err(ValueError::json_mismatch("a number", other)),
                }
            }
            fn to_json(&self) -> serde_json::Value {
                serde_json::Value::from(*self as f64)
            }
        }
    )*};
}
float_column!(f64, f32);

impl ColumnValue for bool {
    const TYPE: ColumnType = ColumnType::Boolean;
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
    fn from_value(value: Value) -> Result<Self, ValueError> {
        match value {
            Value::Bool(b) => Ok(b),
            Value::Int(i) => Ok(i != 0),
            Value::Null => Err(ValueError::Missing),
            other => Err(ValueError::type_mismatch("a boolean", &other)),
        }
    }
    fn from_json(value: &serde_json::Value) -> Result<Self, ValueError> {
        match value {
            serde_json::Value::Bool(b) => Ok(*b),
            serde_json::Value::String(s) if s == "true" || s == "false" => Ok(s == "true"),
            serde_json::Value::Null => Err(ValueError::Missing),
            other => Err(ValueError::json_mismatch("a boolean", other)),
        }
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Bool(*self)
    }
}

/// Parses the timestamp forms APIs and databases produce: RFC 3339, ISO 8601 without an
/// offset (taken as UTC, as pydevlake does), `YYYY-MM-DD HH:MM:SS[.f]` and a plain date.
pub fn parse_datetime(s: &str) -> Result<DateTime, ValueError> {
    let t = s.trim();
    if let Some(d) = parse_db_datetime(t) {
        return Ok(d);
    }
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(t) {
        return Ok(d.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, fmt) {
            return Ok(Utc.from_utc_datetime(&n));
        }
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M:%S%.f%#z"] {
        if let Ok(d) = chrono::DateTime::parse_from_str(t, fmt) {
            return Ok(d.with_timezone(&Utc));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists")));
    }
    Err(ValueError::Invalid(format!("{s:?} is not a timestamp")))
}

/// Fast path for `YYYY-MM-DD HH:MM:SS[.ffffff]` (and `T` as separator, no offset): what
/// SQLite rows and most APIs hold, parsed without chrono's format machinery.
fn parse_db_datetime(t: &str) -> Option<DateTime> {
    let b = t.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b' ' || b[10] == b'T')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let mut nanos = 0u32;
    let rest = &b[19..];
    match rest.first() {
        None => {}
        Some(b'.') => {
            let digits = &rest[1..];
            if digits.is_empty() || digits.len() > 9 || !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            for (i, c) in digits.iter().enumerate() {
                nanos += u32::from(c - b'0') * 10u32.pow(8 - i as u32);
            }
        }
        _ => return None,
    }
    let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    let time =
        chrono::NaiveTime::from_hms_nano_opt(num(11..13)?, num(14..16)?, num(17..19)?, nanos)?;
    Some(Utc.from_utc_datetime(&date.and_time(time)))
}

impl ColumnValue for DateTime {
    const TYPE: ColumnType = ColumnType::DateTime;
    fn to_value(&self) -> Value {
        Value::DateTime(*self)
    }
    fn from_value(value: Value) -> Result<Self, ValueError> {
        match value {
            Value::DateTime(d) => Ok(d),
            Value::Text(s) => parse_datetime(&s),
            Value::Null => Err(ValueError::Missing),
            other => Err(ValueError::type_mismatch("a timestamp", &other)),
        }
    }
    fn from_json(value: &serde_json::Value) -> Result<Self, ValueError> {
        match value {
            serde_json::Value::String(s) => parse_datetime(s),
            serde_json::Value::Number(n) => n
                .as_i64()
                .and_then(|secs| Utc.timestamp_opt(secs, 0).single())
                .ok_or_else(|| ValueError::Invalid(format!("{n} is not a unix timestamp"))),
            serde_json::Value::Null => Err(ValueError::Missing),
            other => Err(ValueError::json_mismatch("a timestamp string", other)),
        }
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::Value::String(self.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
    }
}

impl ColumnValue for NaiveDateTime {
    const TYPE: ColumnType = ColumnType::DateTime;
    fn to_value(&self) -> Value {
        Value::DateTime(Utc.from_utc_datetime(self))
    }
    fn from_value(value: Value) -> Result<Self, ValueError> {
        DateTime::from_value(value).map(|d| d.naive_utc())
    }
    fn from_json(value: &serde_json::Value) -> Result<Self, ValueError> {
        DateTime::from_json(value).map(|d| d.naive_utc())
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::Value::String(self.format("%Y-%m-%dT%H:%M:%S%.f").to_string())
    }
}

impl ColumnValue for serde_json::Value {
    const TYPE: ColumnType = ColumnType::Object;
    fn to_value(&self) -> Value {
        Value::Json(self.clone())
    }
    fn from_value(value: Value) -> Result<Self, ValueError> {
        json_from_value(value)
    }
    fn from_json(value: &serde_json::Value) -> Result<Self, ValueError> {
        match value {
            serde_json::Value::Null => Err(ValueError::Missing),
            v => Ok(v.clone()),
        }
    }
    fn to_json(&self) -> serde_json::Value {
        self.clone()
    }
}

fn json_from_value(value: Value) -> Result<serde_json::Value, ValueError> {
    match value {
        Value::Json(j) => Ok(j),
        Value::Text(s) => {
            serde_json::from_str(&s).map_err(|e| ValueError::Invalid(format!("is not JSON: {e}")))
        }
        Value::Bytes(b) => {
            serde_json::from_slice(&b).map_err(|e| ValueError::Invalid(format!("is not JSON: {e}")))
        }
        Value::Null => Err(ValueError::Missing),
        other => Err(ValueError::type_mismatch("JSON", &other)),
    }
}

/// Any serde type stored as a JSON column (`type: object` in the schema).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Json<T>(pub T);

impl<T: Serialize + DeserializeOwned> ColumnValue for Json<T> {
    const TYPE: ColumnType = ColumnType::Object;
    fn to_value(&self) -> Value {
        Value::Json(serde_json::to_value(&self.0).unwrap_or(serde_json::Value::Null))
    }
    fn from_value(value: Value) -> Result<Self, ValueError> {
        let j = json_from_value(value)?;
        serde_json::from_value(j)
            .map(Json)
            .map_err(|e| ValueError::Invalid(e.to_string()))
    }
    fn from_json(value: &serde_json::Value) -> Result<Self, ValueError> {
        if value.is_null() {
            return Err(ValueError::Missing);
        }
        T::deserialize(value)
            .map(Json)
            .map_err(|e| ValueError::Invalid(e.to_string()))
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.0).unwrap_or(serde_json::Value::Null)
    }
}

impl<T: ColumnValue> ColumnValue for Vec<T> {
    const TYPE: ColumnType = ColumnType::Array(T::ENUM);
    fn to_value(&self) -> Value {
        Value::Json(self.to_json())
    }
    fn from_value(value: Value) -> Result<Self, ValueError> {
        let j = json_from_value(value)?;
        Self::from_json(&j)
    }
    fn from_json(value: &serde_json::Value) -> Result<Self, ValueError> {
        match value {
            serde_json::Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    T::from_json(v).map_err(|e| ValueError::Invalid(format!("item {i} {e}")))
                })
                .collect(),
            serde_json::Value::Null => Err(ValueError::Missing),
            other => Err(ValueError::json_mismatch("an array", other)),
        }
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Array(self.iter().map(ColumnValue::to_json).collect())
    }
}

impl<T: ColumnValue> ColumnValue for Option<T> {
    const TYPE: ColumnType = T::TYPE;
    const NULLABLE: bool = true;
    const ENUM: Option<&'static EnumInfo> = T::ENUM;
    fn to_value(&self) -> Value {
        match self {
            Some(v) => v.to_value(),
            None => Value::Null,
        }
    }
    // A value the inner type reads as absent (an enum's `""`, which DevLake's Go side
    // writes for "no result") is `None`.
    fn from_value(value: Value) -> Result<Self, ValueError> {
        match value {
            Value::Null => Ok(None),
            v => match T::from_value(v) {
                Err(ValueError::Missing) => Ok(None),
                r => r.map(Some),
            },
        }
    }
    fn from_json(value: &serde_json::Value) -> Result<Self, ValueError> {
        match value {
            serde_json::Value::Null => Ok(None),
            v => match T::from_json(v) {
                Err(ValueError::Missing) => Ok(None),
                r => r.map(Some),
            },
        }
    }
    fn to_json(&self) -> serde_json::Value {
        match self {
            Some(v) => v.to_json(),
            None => serde_json::Value::Null,
        }
    }
    fn absent() -> Option<Self> {
        Some(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_every_form_parse_to_the_same_instant() {
        let want = Utc.with_ymd_and_hms(2023, 1, 10, 11, 3, 0).unwrap()
            + chrono::Duration::microseconds(7);
        for s in [
            "2023-01-10 11:03:00.000007",
            "2023-01-10T11:03:00.000007",
            "2023-01-10T11:03:00.000007Z",
            "2023-01-10T12:03:00.000007+01:00",
        ] {
            assert_eq!(parse_datetime(s).unwrap(), want, "{s}");
        }
        assert_eq!(
            parse_datetime("2023-01-10").unwrap(),
            Utc.with_ymd_and_hms(2023, 1, 10, 0, 0, 0).unwrap()
        );
        assert!(parse_datetime("2023-13-10 11:03:00").is_err());
        assert!(parse_datetime("yesterday").is_err());
    }

    #[test]
    fn optional_enums_read_an_empty_string_as_none() {
        // A local enum: the model layer's tests do not reach up to the domain models.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, crate::Enum)]
        #[devlake(rename_all = "SCREAMING_SNAKE_CASE")]
        enum CicdResult {
            Success,
            Failure,
        }
        assert_eq!(
            Option::<CicdResult>::from_value(Value::Text(String::new())).unwrap(),
            None
        );
        assert_eq!(
            Option::<CicdResult>::from_json(&serde_json::json!("")).unwrap(),
            None
        );
        assert!(CicdResult::from_value(Value::Text(String::new())).is_err());
        assert!(Option::<CicdResult>::from_json(&serde_json::json!("MAYBE")).is_err());
    }
}
