//! Which known shape one JSON object is, and its conversion to an [`Event`].
//!
//! Decided per document from its keys, in a fixed order (the most specific first). Knows
//! nothing about files, lines or containers (`Record N`, arrays): the reader adds those.

use serde_json::{Map, Value as Json};

use super::super::evtx_json::{event_from_evtx_json, is_evtx_json};
use super::{nxlog, powershell, seed, winlogbeat};
use crate::model::{Event, Format};

/// The known event shapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shape {
    /// `{"Event":{"System":…}}` (the evtx crate).
    Evtx,
    /// `system` + `event_data` + `message`.
    Seed,
    /// `winlog.*`.
    Winlogbeat,
    /// Top-level `event_id` + `source_name` (Winlogbeat 5/6).
    WinlogbeatLegacy,
    /// `Id` + `ProviderName`/`LogName`.
    PowerShell,
    /// Top-level `EventID` + `SourceName`/`Channel`/`Hostname`.
    Nxlog,
}

impl Shape {
    /// The format named for a file of this shape; the evtx crate's JSON is refined by the
    /// reader (lines, `Record N` or a stream).
    pub(super) fn format(self) -> Format {
        match self {
            Shape::Evtx => Format::EvtxJsonLines,
            Shape::Seed => Format::FlatSeed,
            Shape::Winlogbeat | Shape::WinlogbeatLegacy => Format::Winlogbeat,
            Shape::PowerShell => Format::PowerShell,
            Shape::Nxlog => Format::FlatNxlog,
        }
    }
}

/// The shape of `obj`, if it is a known one.
pub(super) fn detect(obj: &Map<String, Json>) -> Option<Shape> {
    if obj
        .get("Event")
        .and_then(|e| e.get("System"))
        .is_some_and(Json::is_object)
    {
        Some(Shape::Evtx)
    } else if seed::matches(obj) {
        Some(Shape::Seed)
    } else if winlogbeat::matches(obj) {
        Some(Shape::Winlogbeat)
    } else if powershell::matches(obj) {
        Some(Shape::PowerShell)
    } else if winlogbeat::matches_legacy(obj) {
        Some(Shape::WinlogbeatLegacy)
    } else if nxlog::matches(obj) {
        Some(Shape::Nxlog)
    } else {
        None
    }
}

/// Converts `obj`, known to be of `shape`.
pub(super) fn convert(shape: Shape, obj: &Map<String, Json>, doc: &Json) -> Result<Event, String> {
    match shape {
        Shape::Evtx if is_evtx_json(doc) => event_from_evtx_json(doc).map_err(|e| e.0),
        Shape::Evtx => Err("no \"Event.System\" object".to_owned()),
        Shape::Seed => Ok(seed::convert(obj)),
        Shape::Winlogbeat => Ok(winlogbeat::convert(obj)),
        Shape::WinlogbeatLegacy => Ok(winlogbeat::convert_legacy(obj)),
        Shape::PowerShell => Ok(powershell::convert(obj)),
        Shape::Nxlog => Ok(nxlog::convert(obj)),
    }
}

/// What a document that is not an event looks like, for messages: its top-level keys, or
/// its JSON type.
pub(super) fn describe(doc: &Json) -> String {
    match doc {
        Json::Object(obj) if obj.is_empty() => "an empty object".to_owned(),
        Json::Object(obj) => {
            const MAX: usize = 8;
            let mut keys: Vec<String> = obj.keys().take(MAX).map(|k| format!("{k:?}")).collect();
            if obj.len() > MAX {
                keys.push(format!("… {} more", obj.len() - MAX));
            }
            format!("an object with top-level keys [{}]", keys.join(", "))
        }
        Json::Array(items) => format!("an array of {} non-object value(s)", items.len()),
        Json::String(_) => "a string".to_owned(),
        Json::Number(_) => "a number".to_owned(),
        Json::Bool(_) => "a boolean".to_owned(),
        Json::Null => "null".to_owned(),
    }
}

/// The shapes this reader knows, for the "unrecognised shape" message.
pub(super) const KNOWN: &str = "known shapes: evtx crate {\"Event\":{\"System\":…}}, flat \
    \"system\"+\"event_data\", PowerShell \"Id\"+\"ProviderName\"/\"LogName\", Winlogbeat \
    \"winlog\" or \"event_id\"+\"source_name\", NXLog \"EventID\"+\"SourceName\"/\"Channel\"/\"Hostname\"";
