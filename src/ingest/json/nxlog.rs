//! Flat NXLog-style records (`EventID`, `SourceName`/`ProviderName`, `Channel`, `Hostname`,
//! `TimeCreated`/`EventTime`/`@timestamp` and the event's data fields side by side at the top
//! level, as in the OTRF/Mordor exports) → [`Event`].
//!
//! The known header keys fill the System part; every other top-level key becomes an
//! EventData field with its JSON type. `ProcessID` and `EventType` stay data fields: they are
//! real EventData names (Security 5156, Sysmon 12–14) as often as NXLog headers. The header
//! list is a judgement, not a standard. Knows nothing about files or other shapes.

use serde_json::{Map, Value as Json};

use super::super::evtx_json::{event_id_from_json, keywords_from_json};
use super::values::{first, flatten, level, message, small, text, time, uint};
use crate::model::{Event, Sym};

/// Top-level keys that describe the record rather than carry its data.
const HEADER_KEYS: &[&str] = &[
    "EventID",
    "SourceName",
    "ProviderName",
    "Channel",
    "Hostname",
    "Computer",
    "TimeCreated",
    "EventTime",
    "@timestamp",
    "@version",
    "EventReceivedTime",
    "Message",
    "Level",
    "Task",
    "Keywords",
    "Version",
    "Opcode",
    "OpcodeValue",
    "RecordNumber",
    "EventRecordID",
    "ActivityID",
    "RelatedActivityID",
    "ThreadID",
    "ExecutionProcessID",
    "ExecutionThreadID",
    "UserID",
    "ProviderGuid",
    "Severity",
    "SeverityValue",
    "SourceModuleName",
    "SourceModuleType",
    "Category",
    "Domain",
    "AccountName",
    "AccountType",
    "ERROR_EVT_UNRESOLVED",
];

/// True for an `EventID` with a provider, channel or host name beside it.
pub(super) fn matches(obj: &Map<String, Json>) -> bool {
    obj.contains_key("EventID")
        && ["SourceName", "ProviderName", "Channel", "Hostname"]
            .iter()
            .any(|k| obj.contains_key(*k))
}

/// Converts one record (`source`, `position`, `locator` are left for the caller).
pub(super) fn convert(obj: &Map<String, Json>) -> Event {
    let get = |key: &str| obj.get(key).unwrap_or(&Json::Null);
    let mut event = Event {
        provider: Sym::new(text(first(obj, &["SourceName", "ProviderName"])).unwrap_or("")),
        channel: Sym::new(text(get("Channel")).unwrap_or("")),
        computer: Sym::new(text(first(obj, &["Hostname", "Computer"])).unwrap_or("")),
        event_id: event_id_from_json(get("EventID")),
        version: small(get("Version")),
        level: level(get("Level")),
        task: small(get("Task")),
        opcode: small(first(obj, &["OpcodeValue", "Opcode"])),
        keywords: keywords_from_json(get("Keywords")),
        record_id: uint(first(obj, &["RecordNumber", "EventRecordID"])),
        user_sid: text(get("UserID")).map(Sym::new),
        process_id: small(get("ExecutionProcessID")),
        thread_id: small(first(obj, &["ExecutionThreadID", "ThreadID"])),
        activity_id: text(get("ActivityID")).map(Into::into),
        time: time(first(obj, &["TimeCreated", "EventTime", "@timestamp"])),
        message: message(obj.get("Message")),
        ..Event::default()
    };
    for (name, value) in obj {
        if !HEADER_KEYS.contains(&name.as_str()) {
            flatten(name, value, &mut event.fields);
        }
    }
    event
}
