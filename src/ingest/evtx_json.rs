//! The evtx crate's JSON shape (`{"Event":{"System":…,"EventData":…}}`) → [`Event`].
//!
//! Shared by the EVTX reader (the crate renders every record in this shape) and by the JSON
//! reader (`evtx_dump -o json/jsonl` exports). Accepts both attribute layouts: the default
//! `"#attributes"` objects and `--separate-json-attributes` siblings (`Provider_attributes`).
//! Knows nothing about files, threads or egui.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value as Json;

use super::doc::Doc;
use crate::model::{Event, EventTime, Sym, Value};

/// Why a JSON document is not an event of this shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotAnEvent(pub String);

/// True when `doc` looks like the evtx crate's JSON (`{"Event":{"System":…}}`).
pub fn is_evtx_json(doc: &Json) -> bool {
    doc.get("Event")
        .and_then(|e| e.get("System"))
        .is_some_and(Json::is_object)
}

/// Converts one evtx-crate JSON document. `source`, `position` and `locator` are left at
/// their defaults for the caller to fill in.
pub fn event_from_evtx_json(doc: &Json) -> Result<Event, NotAnEvent> {
    event_from_doc(&Doc::from_json(doc))
}

/// As [`event_from_evtx_json`], from the light tree the EVTX reader parses records into.
pub fn event_from_doc(doc: &Doc<'_>) -> Result<Event, NotAnEvent> {
    let root = doc
        .get("Event")
        .filter(|e| e.is_object())
        .ok_or_else(|| NotAnEvent("no \"Event\" object".to_owned()))?;
    let system = root
        .get("System")
        .filter(|s| s.is_object())
        .ok_or_else(|| NotAnEvent("no \"Event.System\" object".to_owned()))?;

    let mut event = Event {
        provider: Sym::new(attr_str(system, "Provider", "Name").unwrap_or_default()),
        event_id: element_text(system, "EventID").and_then(event_id_of),
        version: element_text(system, "Version").and_then(small_uint_of),
        level: element_text(system, "Level").and_then(small_uint_of),
        task: element_text(system, "Task").and_then(small_uint_of),
        opcode: element_text(system, "Opcode").and_then(small_uint_of),
        keywords: element_text(system, "Keywords").and_then(keywords_of),
        record_id: element_text(system, "EventRecordID").and_then(uint_of),
        channel: Sym::new(
            element_text(system, "Channel")
                .and_then(Doc::as_str)
                .unwrap_or(""),
        ),
        computer: Sym::new(
            element_text(system, "Computer")
                .and_then(Doc::as_str)
                .unwrap_or(""),
        ),
        user_sid: attr_str(system, "Security", "UserID").map(Sym::new),
        process_id: attr(system, "Execution", "ProcessID").and_then(small_uint_of),
        thread_id: attr(system, "Execution", "ThreadID").and_then(small_uint_of),
        activity_id: attr_str(system, "Correlation", "ActivityID").map(Into::into),
        time: match attr(system, "TimeCreated", "SystemTime") {
            Some(Doc::Str(text)) => parse_time(text),
            Some(other) => EventTime::Invalid(other.to_json_text().into()),
            None => EventTime::Missing,
        },
        ..Event::default()
    };

    if let Some(data) = root.get("EventData") {
        flatten_event_data(data, &mut event.fields);
    }
    if let Some(user_data) = root.get("UserData") {
        flatten_user_data(user_data, &mut event.fields);
    }
    // A System value present but not readable as its type (EventID "0x190", Task 70000) is
    // kept as a field named `System.<element>`, so nothing the record holds is dropped.
    let unreadable = unreadable_system_values(system, &event);
    event.fields.extend(unreadable);
    if let Some(message) = root
        .get("RenderingInfo")
        .and_then(|r| r.get("Message"))
        .and_then(Doc::as_str)
    {
        event.message = Some(message.into());
    }
    Ok(event)
}

/// System values the event could not take: present, not null, but not a valid number of
/// their type. Named `System.EventID`, `System.Execution.ProcessID`, ….
fn unreadable_system_values(system: &Doc<'_>, event: &Event) -> Vec<(Sym, Value)> {
    let elements = [
        ("EventID", event.event_id.is_some()),
        ("Version", event.version.is_some()),
        ("Level", event.level.is_some()),
        ("Task", event.task.is_some()),
        ("Opcode", event.opcode.is_some()),
        ("Keywords", event.keywords.is_some()),
        ("EventRecordID", event.record_id.is_some()),
    ];
    let attributes = [
        ("ProcessID", event.process_id.is_some()),
        ("ThreadID", event.thread_id.is_some()),
    ];
    let mut kept = Vec::new();
    for (name, read) in elements {
        if let Some(raw) = element_text(system, name).filter(|_| !read) {
            kept.push((Sym::new(&format!("System.{name}")), value_of(raw)));
        }
    }
    for (name, read) in attributes {
        if let Some(raw) = attr(system, "Execution", name).filter(|_| !read) {
            kept.push((Sym::new(&format!("System.Execution.{name}")), value_of(raw)));
        }
    }
    kept
}

/// The text of a System element: `"EventID": 400` or `"EventID": {"#text": 400, …}`.
fn element_text<'d, 'a>(system: &'d Doc<'a>, name: &str) -> Option<&'d Doc<'a>> {
    match system.get(name)? {
        obj @ Doc::Object(_) => obj.get("#text"),
        Doc::Null => None,
        other => Some(other),
    }
}

/// An attribute of a System element in either layout.
fn attr<'d, 'a>(system: &'d Doc<'a>, element: &str, name: &str) -> Option<&'d Doc<'a>> {
    let nested = system
        .get(element)
        .and_then(|e| e.get("#attributes"))
        .and_then(|a| a.get(name));
    nested
        .or_else(|| {
            system
                .get(&format!("{element}_attributes"))
                .and_then(|a| a.get(name))
        })
        .filter(|v| !v.is_null())
}

fn attr_str<'d>(system: &'d Doc<'_>, element: &str, name: &str) -> Option<&'d str> {
    attr(system, element, name).and_then(Doc::as_str)
}

/// EventID as a number, a decimal string or a whole float; anything else (hex text, 400.5,
/// garbage) is not an event id.
pub fn event_id_from_json(value: &Json) -> Option<u32> {
    event_id_of(&Doc::from_json(value))
}

fn event_id_of(value: &Doc<'_>) -> Option<u32> {
    match value {
        Doc::UInt(u) => u32::try_from(*u).ok(),
        Doc::Float(f) if f.fract() == 0.0 && *f >= 0.0 => u32::try_from(*f as u64).ok(),
        Doc::Str(s) => s.trim().parse().ok(),
        obj @ Doc::Object(_) => obj.get("#text").and_then(event_id_of),
        _ => None,
    }
}

/// An unsigned number from a JSON number, a whole float, a decimal string or a `0x` string.
pub(crate) fn uint_from_json(value: &Json) -> Option<u64> {
    uint_of(&Doc::from_json(value))
}

fn uint_of(value: &Doc<'_>) -> Option<u64> {
    match value {
        Doc::UInt(u) => Some(*u),
        Doc::Float(f) if f.fract() == 0.0 && *f >= 0.0 && *f < 1.8e19 => Some(*f as u64),
        // Decimal or `0x` text, as the model reads it.
        Doc::Str(s) => Value::Str(s.as_ref().into()).as_u64(),
        _ => None,
    }
}

/// [`uint_from_json`] narrowed to a smaller type (out of range → `None`).
pub(crate) fn small_uint<T: TryFrom<u64>>(value: &Json) -> Option<T> {
    uint_from_json(value).and_then(|u| T::try_from(u).ok())
}

fn small_uint_of<T: TryFrom<u64>>(value: &Doc<'_>) -> Option<T> {
    uint_of(value).and_then(|u| T::try_from(u).ok())
}

/// Keywords: the crate writes a hex string, other producers a decimal (possibly negative,
/// as .NET's Int64 prints a mask with bit 63 set).
pub fn keywords_from_json(value: &Json) -> Option<u64> {
    keywords_of(&Doc::from_json(value))
}

fn keywords_of(value: &Doc<'_>) -> Option<u64> {
    match value {
        Doc::UInt(u) => Some(*u),
        Doc::Int(i) => Some(*i as u64),
        Doc::Str(s) => uint_of(value).or_else(|| s.trim().parse::<i64>().ok().map(|i| i as u64)),
        _ => None,
    }
}

/// Parses System TimeCreated text into a UTC instant, an ambiguous local time or `Invalid`.
pub fn parse_time(text: &str) -> EventTime {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return EventTime::Invalid(text.into());
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(trimmed) {
        return EventTime::Utc(t.with_timezone(&Utc));
    }
    // `2024-03-05 09:41:27.123Z` and other near-RFC 3339 spellings.
    let spaced = trimmed.replacen(' ', "T", 1);
    if let Ok(t) = DateTime::parse_from_rfc3339(&spaced) {
        return EventTime::Utc(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(&spaced, format) {
            return EventTime::NoZone(naive.and_utc());
        }
    }
    EventTime::Invalid(text.into())
}

/// A JSON value as a typed field value. Objects are not values: callers flatten them (one
/// left here is kept as its JSON text).
fn value_of(doc: &Doc<'_>) -> Value {
    match doc {
        Doc::Null => Value::Null,
        Doc::Bool(b) => Value::Bool(*b),
        Doc::UInt(u) => Value::UInt(*u),
        Doc::Int(i) => Value::Int(*i),
        Doc::Float(f) => Value::Float(*f),
        Doc::Str(s) => Value::Str(s.as_ref().into()),
        Doc::Array(items) => Value::List(items.iter().map(value_of).collect()),
        Doc::Object(_) => Value::Str(doc.to_json_text().into()),
    }
}

/// EventData: named values, or unnamed `Data` values (classic providers) kept as `Data`.
fn flatten_event_data(data: &Doc<'_>, fields: &mut Vec<(Sym, Value)>) {
    let Some(members) = data.members() else {
        if !data.is_null() {
            fields.push((Sym::new("Data"), value_of(data)));
        }
        return;
    };
    fields.reserve(members.len());
    for (name, value) in members {
        if name == "#attributes" {
            // `<EventData Name="…">`: kept as `EventData.Name`.
            push_attributes("EventData", value, fields);
            continue;
        }
        match (name.as_ref(), value) {
            // `<Data>a</Data><Data>b</Data>` without names.
            ("Data", inner @ Doc::Object(_)) if inner.get("#text").is_some() => {
                let text = inner.get("#text").unwrap_or(&Doc::Null);
                fields.push((Sym::new("Data"), value_of(text)));
            }
            (_, Doc::Object(_)) => flatten_object(name, value, fields),
            _ => fields.push((Sym::new(name), value_of(value))),
        }
    }
}

/// UserData has one child element (the provider's own schema); its leaves become fields
/// named by their path below that child.
fn flatten_user_data(data: &Doc<'_>, fields: &mut Vec<(Sym, Value)>) {
    match data {
        Doc::Object(members) => {
            for (child_name, child) in members {
                if child_name == "#attributes" {
                    continue;
                }
                match child {
                    Doc::Object(inner) => {
                        for (name, value) in inner {
                            if name == "#attributes" {
                                // The child element's own attributes, named as its leaves are.
                                push_attributes("", value, fields);
                                continue;
                            }
                            if name == "#text" {
                                // A leaf with attributes: its text is named by the leaf.
                                fields.push((Sym::new(child_name), value_of(value)));
                                continue;
                            }
                            flatten_object(name, value, fields);
                        }
                    }
                    other => fields.push((Sym::new(child_name), value_of(other))),
                }
            }
        }
        Doc::Null => {}
        other => fields.push((Sym::new("UserData"), value_of(other))),
    }
}

/// An element's attributes (`{"#attributes": {"name": …}}`) as fields `prefix.name` (or
/// `name` with no prefix), so nothing the record holds is dropped.
fn push_attributes(prefix: &str, attributes: &Doc<'_>, fields: &mut Vec<(Sym, Value)>) {
    let Some(members) = attributes.members() else {
        return;
    };
    for (name, value) in members {
        let field = if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        };
        fields.push((Sym::new(&field), value_of(value)));
    }
}

/// Nested objects become dotted names; `#text` is the element's own value; attributes become
/// `prefix.attribute`.
fn flatten_object(prefix: &str, value: &Doc<'_>, fields: &mut Vec<(Sym, Value)>) {
    match value {
        Doc::Object(members) => {
            for (name, inner) in members {
                if name == "#attributes" {
                    push_attributes(prefix, inner, fields);
                    continue;
                }
                if name == "#text" {
                    fields.push((Sym::new(prefix), value_of(inner)));
                } else {
                    flatten_object(&format!("{prefix}.{name}"), inner, fields);
                }
            }
        }
        other => fields.push((Sym::new(prefix), value_of(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_attribute_layouts_give_the_same_header() {
        let nested = serde_json::json!({"Event":{"System":{
            "Provider":{"#attributes":{"Name":"P"}},
            "EventID":{"#attributes":{"Qualifiers":0},"#text":400},
            "TimeCreated":{"#attributes":{"SystemTime":"2016-02-13T17:21:57.2276904Z"}},
            "Execution":{"#attributes":{"ProcessID":5,"ThreadID":6}}}}});
        let separate = serde_json::json!({"Event":{"System":{
            "Provider_attributes":{"Name":"P"},
            "EventID":400, "EventID_attributes":{"Qualifiers":0},
            "TimeCreated_attributes":{"SystemTime":"2016-02-13T17:21:57.2276904Z"},
            "Execution_attributes":{"ProcessID":5,"ThreadID":6}}}});
        let a = event_from_evtx_json(&nested).unwrap();
        let b = event_from_evtx_json(&separate).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.provider.as_str(), "P");
        assert_eq!(a.event_id, Some(400));
        assert_eq!(a.process_id, Some(5));
        assert!(matches!(a.time, EventTime::Utc(_)));
    }

    #[test]
    fn a_user_data_leaf_with_attributes_keeps_its_text_under_its_own_name() {
        // `<UserData><Cleared Kind="x">yes</Cleared></UserData>`: the one child is a leaf.
        let doc = serde_json::json!({"Event":{
            "System":{"Provider":{"#attributes":{"Name":"P"}},"EventID":1},
            "UserData":{"Cleared":{"#attributes":{"Kind":"x"},"#text":"yes"}}}});
        let e = event_from_evtx_json(&doc).unwrap();
        let fields: Vec<(&str, &Value)> = e.fields.iter().map(|(n, v)| (n.as_str(), v)).collect();
        assert_eq!(
            fields,
            [
                ("Kind", &Value::Str("x".into())),
                ("Cleared", &Value::Str("yes".into())),
            ]
        );
        // Below a child, leaves are paths: `Log.Channel.Kind` is `Channel.Kind`.
        let doc = serde_json::json!({"Event":{
            "System":{"Provider":{"#attributes":{"Name":"P"}},"EventID":1},
            "UserData":{"Log":{"Channel":{"#attributes":{"Kind":"x"},"#text":"Security"}}}}});
        let e = event_from_evtx_json(&doc).unwrap();
        let names: Vec<&str> = e.fields.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["Channel.Kind", "Channel"]);
    }

    #[test]
    fn odd_event_ids() {
        use serde_json::json;
        assert_eq!(event_id_from_json(&json!("400")), Some(400));
        assert_eq!(event_id_from_json(&json!(400.0)), Some(400));
        assert_eq!(event_id_from_json(&json!("0x190")), None);
        assert_eq!(event_id_from_json(&json!(400.5)), None);
        assert_eq!(event_id_from_json(&json!(null)), None);
    }

    #[test]
    fn times() {
        assert!(matches!(
            parse_time("0000-00-00T00:00:00.0000000Z"),
            EventTime::Invalid(_)
        ));
        assert!(matches!(
            parse_time("2024-03-05T09:41:27"),
            EventTime::NoZone(_)
        ));
        assert_eq!(
            parse_time("2024-03-05T10:41:27+01:00"),
            parse_time("2024-03-05T09:41:27Z")
        );
    }
}
