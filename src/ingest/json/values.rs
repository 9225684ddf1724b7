//! Small readers of JSON values shared by the flat shapes: unsigned numbers from numbers or
//! text, level names, times (including .NET's `/Date(ms)/`) and flattening nested objects
//! into dotted field names. Knows nothing about any one shape.

use chrono::DateTime;
use serde_json::Value as Json;

use super::super::evtx_json::parse_time;
use crate::model::{EventTime, Sym, Value};

pub(super) use super::super::evtx_json::{small_uint as small, uint_from_json as uint};

/// Non-empty text.
pub(super) fn text(value: &Json) -> Option<&str> {
    value.as_str().map(str::trim).filter(|s| !s.is_empty())
}

/// A rendered message, verbatim; `None` when absent or blank.
pub(super) fn message(value: Option<&Json>) -> Option<Box<str>> {
    value
        .and_then(Json::as_str)
        .filter(|m| !m.trim().is_empty())
        .map(Into::into)
}

/// The first of `keys` present (not null) in `obj`.
pub(super) fn first<'a>(obj: &'a serde_json::Map<String, Json>, keys: &[&str]) -> &'a Json {
    keys.iter()
        .filter_map(|k| obj.get(*k))
        .find(|v| !v.is_null())
        .unwrap_or(&Json::Null)
}

/// A level as a number, a numeric string or a name (`information`, `Warning`, …).
pub(super) fn level(value: &Json) -> Option<u8> {
    if let Some(n) = small(value) {
        return Some(n);
    }
    let name = value.as_str()?.trim().to_ascii_lowercase();
    match name.as_str() {
        "logalways" | "log always" => Some(0),
        "critical" => Some(1),
        "error" => Some(2),
        "warning" => Some(3),
        "information" | "informational" | "info" => Some(4),
        "verbose" => Some(5),
        _ => None,
    }
}

/// A time value: ISO 8601 text (via [`parse_time`]), .NET `/Date(ms)/` (UTC), missing, or
/// anything else kept verbatim as invalid.
pub(super) fn time(value: &Json) -> EventTime {
    match value {
        Json::Null => EventTime::Missing,
        Json::String(s) => dotnet_date(s).unwrap_or_else(|| parse_time(s)),
        other => EventTime::Invalid(other.to_string().into()),
    }
}

/// `/Date(1455384117227)/`, optionally with a sign and a `+hhmm` suffix (the milliseconds
/// are UTC either way). `None` when the text is not in this form.
pub(super) fn dotnet_date(text: &str) -> Option<EventTime> {
    let inner = text.trim().strip_prefix("/Date(")?.strip_suffix(")/")?;
    let (sign, digits) = match inner.strip_prefix('-') {
        Some(rest) => (-1i64, rest),
        None => (1i64, inner),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    let (ms, suffix) = digits.split_at(end);
    let zone_ok = suffix.is_empty()
        || (suffix.len() == 5
            && suffix.starts_with(['+', '-'])
            && suffix[1..].bytes().all(|b| b.is_ascii_digit()));
    let parsed = ms
        .parse::<i64>()
        .ok()
        .filter(|_| zone_ok)
        .and_then(|ms| DateTime::from_timestamp_millis(sign * ms));
    Some(match parsed {
        Some(t) => EventTime::Utc(t),
        None => EventTime::Invalid(text.into()),
    })
}

/// Adds `value` under `name`; objects become dotted names (`a.b`), everything else keeps
/// its JSON type.
pub(super) fn flatten(name: &str, value: &Json, fields: &mut Vec<(Sym, Value)>) {
    match value {
        Json::Object(obj) if !obj.is_empty() => {
            for (key, inner) in obj {
                flatten(&format!("{name}.{key}"), inner, fields);
            }
        }
        Json::Object(_) => fields.push((Sym::new(name), Value::Null)),
        other => fields.push((Sym::new(name), Value::from_json(other))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dotnet_dates() {
        let t = dotnet_date("/Date(1455384117227)/").and_then(|t| t.instant());
        assert_eq!(
            t.map(|t| t.to_rfc3339()),
            Some("2016-02-13T17:21:57.227+00:00".to_owned())
        );
        assert_eq!(
            dotnet_date("/Date(1455384117227+0100)/"),
            dotnet_date("/Date(1455384117227)/")
        );
        assert!(matches!(
            dotnet_date("/Date(abc)/"),
            Some(EventTime::Invalid(_))
        ));
        assert_eq!(dotnet_date("2016-02-13"), None);
    }

    #[test]
    fn numbers_and_levels() {
        assert_eq!(uint(&json!("0x2b90")), Some(0x2b90));
        assert_eq!(uint(&json!("12")), Some(12));
        assert_eq!(uint(&json!(-1)), None);
        assert_eq!(level(&json!("information")), Some(4));
        assert_eq!(level(&json!("4")), Some(4));
        assert_eq!(level(&json!("loud")), None);
    }

    #[test]
    fn flatten_nested() {
        let mut fields = Vec::new();
        flatten("a", &json!({"b": {"c": 1}, "d": "x"}), &mut fields);
        let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["a.b.c", "a.d"]);
        assert_eq!(fields[0].1, Value::UInt(1));
    }
}
