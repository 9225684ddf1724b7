//! Windows PowerShell `Get-WinEvent | ConvertTo-Json` records (`Id`, `ProviderName`,
//! `LogName`, `"\/Date(ms)\/"`, positional `Properties`) → [`Event`].
//!
//! `Properties` carries no names. For an event in the AppX catalogue ([`Catalogue`]) whose
//! field list in some Windows build has exactly as many fields as there are properties (the
//! newest such build), the values are named from that list, and numbers in `HexInt32` /
//! `HexInt64` fields are written back as the lowercase `0x…` text the XML and the evtx crate
//! use (so that the same Sigma value matches every shape). Any other record keeps its values
//! as `Property1…N` with their JSON types: a count no build has is not guessed at.
//! PowerShell 7's ISO times are read as well. Knows nothing about files or other shapes.

use serde_json::{Map, Value as Json};

use super::super::evtx_json::{event_id_from_json, keywords_from_json};
use super::values::{flatten, level, message, small, text, time, uint};
use crate::model::{Event, Sym, Value};
use crate::schema::{Catalogue, FieldSchema};

/// How a number is written in a hex-typed field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HexKind {
    /// win:HexInt32: .NET gives a signed Int32.
    Hex32,
    /// win:HexInt64: .NET gives a UInt64.
    Hex64,
}

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
        let declared = event
            .event_id
            .and_then(|id| declared_fields(event.provider.as_str(), id, properties.len()));
        for (i, property) in properties.iter().enumerate() {
            let value = match property {
                Json::Object(p) => p.get("Value").unwrap_or(&Json::Null),
                other => other,
            };
            match declared.and_then(|d| d.get(i)) {
                Some(field) => {
                    let value = match (hex_kind(&field.ty), value) {
                        (Some(kind), Json::Number(n)) => as_hex(kind, n),
                        (_, Json::Object(o)) => o
                            .get("Value")
                            .map_or_else(|| Value::from_json(value), Value::from_json),
                        _ => Value::from_json(value),
                    };
                    event.fields.push((Sym::new(&field.name), value));
                }
                None => flatten(&format!("Property{}", i + 1), value, &mut event.fields),
            }
        }
    }
    event
}

/// The declared fields of the newest Windows build whose list for this event has `count`
/// fields; `None` when the event is not in the catalogue or no build has that many.
fn declared_fields(provider: &str, event_id: u32, count: usize) -> Option<&'static [FieldSchema]> {
    let schema = Catalogue::get().event(provider, event_id)?;
    schema
        .field_history
        .iter()
        .rev()
        .map(|list| list.fields.as_slice())
        .chain(std::iter::once(schema.fields.as_slice()))
        .find(|fields| fields.len() == count)
}

fn hex_kind(ty: &str) -> Option<HexKind> {
    match ty {
        "HexInt32" => Some(HexKind::Hex32),
        "HexInt64" => Some(HexKind::Hex64),
        _ => None,
    }
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
    fn field_lists_are_picked_by_length() {
        let provider = "microsoft-windows-appxdeployment-server";
        let names = |count| -> Vec<&str> {
            declared_fields(provider, 400, count)
                .unwrap()
                .iter()
                .map(|f| f.name.as_str())
                .collect()
        };
        assert_eq!(names(24)[23], "PackageDisplayName");
        assert_eq!(names(7)[6], "StorageId");
        assert_eq!(names(7).len(), 7);
        assert!(declared_fields(provider, 400, 8).is_none());
        assert!(declared_fields("Other-Provider", 400, 7).is_none());
        let errors = declared_fields(provider, 401, 30).unwrap();
        assert_eq!(
            (errors[3].name.as_str(), errors[3].ty.as_str()),
            ("ErrorCode", "HexInt32")
        );
    }

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
