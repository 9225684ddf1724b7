//! The seed's flat shape (`system` + `event_data` + `message`, as in the detection-wiki
//! examples taken from evtx-baseline) → [`Event`]. `event_data` values keep their JSON types.
//! Knows nothing about files or other shapes.

use serde_json::{Map, Value as Json};

use super::super::evtx_json::{event_id_from_json, keywords_from_json};
use super::values::{first, flatten, level, message, small, text, time, uint};
use crate::model::{Event, Sym};

/// True when the document has a `system` object.
pub(super) fn matches(obj: &Map<String, Json>) -> bool {
    obj.get("system").is_some_and(Json::is_object)
}

/// Converts one document (`source`, `position`, `locator` are left for the caller).
pub(super) fn convert(obj: &Map<String, Json>) -> Event {
    let empty = Map::new();
    let system = obj
        .get("system")
        .and_then(Json::as_object)
        .unwrap_or(&empty);
    let get = |key: &str| system.get(key).unwrap_or(&Json::Null);
    let execution = &get("execution");
    let mut event = Event {
        provider: Sym::new(text(get("provider")).unwrap_or("")),
        event_id: event_id_from_json(get("event_id")),
        version: small(get("version")),
        level: level(get("level")),
        task: small(get("task")),
        opcode: small(get("opcode")),
        keywords: keywords_from_json(get("keywords")),
        record_id: uint(get("event_record_id")),
        channel: Sym::new(text(get("channel")).unwrap_or("")),
        computer: Sym::new(text(get("computer")).unwrap_or("")),
        user_sid: text(&get("security")["user_id"]).map(Sym::new),
        process_id: small(&execution["process_id"]),
        thread_id: small(&execution["thread_id"]),
        activity_id: text(&get("correlation")["ActivityID"]).map(Into::into),
        time: time(first(system, &["time_created"])),
        ..Event::default()
    };
    if let Some(data) = obj.get("event_data").and_then(Json::as_object) {
        for (name, value) in data {
            flatten(name, value, &mut event.fields);
        }
    }
    if let Some(user_data) = obj.get("user_data").and_then(Json::as_object) {
        for (name, value) in user_data {
            flatten(name, value, &mut event.fields);
        }
    }
    event.message = message(obj.get("message"));
    event
}
