//! Windows PowerShell `Get-WinEvent | ConvertTo-Json` records (`Id`, `ProviderName`,
//! `LogName`, `"\/Date(ms)\/"`, positional `Properties`) → [`Event`].
//!
//! `Properties` carries no names: for the AppX events in `appx_fields` the values are
//! named from the field list of the matching build, and numbers in hex-typed fields are
//! written back as the lowercase `0x…` text the XML and the evtx crate use (so that the same
//! Sigma value matches every shape). Anything else is named `Property1…N` with its JSON type.
//! PowerShell 7's ISO times are read as well. Knows nothing about files or other shapes.

use serde_json::{Map, Value as Json};

use super::super::evtx_json::{event_id_from_json, keywords_from_json};
use super::appx_fields::{HexKind, field_names, hex_kind};
use super::values::{flatten, level, message, small, text, time, uint};
use crate::model::{Event, Sym, Value};

/// True for an `Id` plus `ProviderName` or `LogName` (an EventLogRecord).
pub(super) fn matches(obj: &Map<String, Json>) -> bool {
    obj.contains_key("Id") && (obj.contains_key("ProviderName") || obj.contains_key("LogName"))
}

/// Converts one record (`source`, `position`, `locator` are left for the caller).
pub(super) fn convert(obj: &Map<String, Json>) -> Event {
    let get = |key: &str| obj.get(key).unwrap_or(&Json::Null);
    let user = match get("UserId") {
        Json::Object(sid) => sid.get("Value").and_then(|v| text(v)),
        other => text(other),
    };
    let mut event = Event {
        provider: Sym::new(text(get("ProviderName")).unwrap_or("")),
        channel: Sym::new(text(get("LogName")).unwrap_or("")),
        event_id: event_id_from_json(get("Id")),
        version: small(get("Version")),
        level: level(get("Level")),
        task: small(get("Task")),
        opcode: small(get("Opcode")),
        keywords: keywords_from_json(get("Keywords")),
        record_id: uint(get("RecordId")),
        computer: Sym::new(text(get("MachineName")).unwrap_or("")),
        user_sid: user.map(Sym::new),
        process_id: small(get("ProcessId")),
        thread_id: small(get("ThreadId")),
        activity_id: text(get("ActivityId")).map(Into::into),
        time: time(get("TimeCreated")),
        message: message(obj.get("Message")),
        ..Event::default()
    };
    if let Some(properties) = get("Properties").as_array() {
        let names = event
            .event_id
            .and_then(|id| field_names(event.provider.as_str(), id, properties.len()));
        for (i, property) in properties.iter().enumerate() {
            let value = match property {
                Json::Object(p) => p.get("Value").unwrap_or(&Json::Null),
                other => other,
            };
            match names.and_then(|n| n.get(i)) {
                Some(name) => {
                    let value = match (hex_kind(name), value) {
                        (Some(kind), Json::Number(n)) => as_hex(kind, n),
                        (_, Json::Object(o)) => o
                            .get("Value")
                            .map_or_else(|| Value::from_json(value), Value::from_json),
                        _ => Value::from_json(value),
                    };
                    event.fields.push((Sym::new(name), value));
                }
                None => flatten(&format!("Property{}", i + 1), value, &mut event.fields),
            }
        }
    }
    event
}

/// A .NET number of a hex-typed field as the XML text (`-2147009281` → `0x80073cff`).
fn as_hex(kind: HexKind, n: &serde_json::Number) -> Value {
    let bits = match kind {
        HexKind::Hex32 => n
            .as_i64()
            .and_then(|i| i32::try_from(i).ok().map(|s| u64::from(s as u32)))
            .or_else(|| n.as_u64().filter(|u| *u <= u64::from(u32::MAX))),
        HexKind::Hex64 => n.as_u64().or_else(|| n.as_i64().map(|i| i as u64)),
    };
    match bits {
        Some(bits) => Value::Str(format!("{bits:#x}").into()),
        None => Value::from_json(&Json::Number(n.clone())),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hex_fields_get_their_xml_text() {
        let number = |v: Json| match v {
            Json::Number(n) => n,
            _ => unreachable!(),
        };
        assert_eq!(
            as_hex(HexKind::Hex32, &number(json!(-2147009281))),
            Value::Str("0x80073cff".into())
        );
        assert_eq!(
            as_hex(HexKind::Hex32, &number(json!(3))),
            Value::Str("0x3".into())
        );
        assert_eq!(
            as_hex(HexKind::Hex64, &number(json!(268435488))),
            Value::Str("0x10000020".into())
        );
    }
}
