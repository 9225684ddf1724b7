//! Winlogbeat / Elastic Common Schema documents (`winlog.*`, 7.x and later) and the older
//! Winlogbeat 5.x/6.x layout with top-level `event_id`, `source_name`, `log_name`,
//! `event_data` → [`Event`].
//!
//! `event_data` values are kept exactly as Winlogbeat wrote them (strings). Keywords, task
//! and opcode are usually display names there: only numeric or `0x` values are taken.
//! Knows nothing about files or other shapes.

use serde_json::{Map, Value as Json};

use super::super::evtx_json::{event_id_from_json, keywords_from_json};
use super::values::{first, flatten, level, message, small, text, time, uint};
use crate::model::{Event, Sym};

/// True for a `winlog` object (Winlogbeat 7+).
pub(super) fn matches(obj: &Map<String, Json>) -> bool {
    obj.get("winlog").is_some_and(Json::is_object)
}

/// True for the older layout: `event_id` with `source_name`, `log_name` or `provider_name`.
pub(super) fn matches_legacy(obj: &Map<String, Json>) -> bool {
    obj.contains_key("event_id")
        && ["source_name", "log_name", "provider_name"]
            .iter()
            .any(|k| obj.contains_key(*k))
}

/// Converts a Winlogbeat 7+ document (`source`, `position`, `locator` are left for the caller).
pub(super) fn convert(obj: &Map<String, Json>) -> Event {
    let empty = Map::new();
    let winlog = obj
        .get("winlog")
        .and_then(Json::as_object)
        .unwrap_or(&empty);
    let ecs_event = obj.get("event").and_then(Json::as_object).unwrap_or(&empty);
    let host = obj.get("host").and_then(Json::as_object).unwrap_or(&empty);
    let log = obj.get("log").and_then(Json::as_object).unwrap_or(&empty);
    let get = |key: &str| winlog.get(key).unwrap_or(&Json::Null);
    let event_id = event_id_from_json(get("event_id"))
        .or_else(|| event_id_from_json(ecs_event.get("code").unwrap_or(&Json::Null)));
    let provider = text(get("provider_name"))
        .or_else(|| text(ecs_event.get("provider").unwrap_or(&Json::Null)))
        .unwrap_or("");
    let computer = text(get("computer_name"))
        .or_else(|| text(first(host, &["hostname", "name"])))
        .unwrap_or("");
    let process = &get("process");
    let mut event = Event {
        provider: Sym::new(provider),
        channel: Sym::new(text(get("channel")).unwrap_or("")),
        event_id,
        version: small(get("version")),
        level: level(get("level")).or_else(|| level(first(log, &["level"]))),
        task: small(get("task")),
        opcode: small(get("opcode")),
        keywords: keywords(get("keywords")),
        record_id: uint(get("record_id")),
        computer: Sym::new(computer),
        user_sid: text(&get("user")["identifier"]).map(Sym::new),
        process_id: small(&process["pid"]),
        thread_id: small(&process["thread"]["id"]),
        activity_id: text(get("activity_id")).map(Into::into),
        time: time(first(obj, &["@timestamp"])),
        message: message(obj.get("message")),
        ..Event::default()
    };
    add_data(winlog, &mut event);
    event
}

/// Converts an older (5.x/6.x) document.
pub(super) fn convert_legacy(obj: &Map<String, Json>) -> Event {
    let get = |key: &str| obj.get(key).unwrap_or(&Json::Null);
    let mut event = Event {
        provider: Sym::new(text(first(obj, &["provider_name", "source_name"])).unwrap_or("")),
        channel: Sym::new(text(get("log_name")).unwrap_or("")),
        event_id: event_id_from_json(get("event_id")),
        version: small(get("version")),
        level: level(get("level")),
        task: small(get("task")),
        opcode: small(get("opcode")),
        keywords: keywords(get("keywords")),
        record_id: uint(get("record_number")),
        computer: Sym::new(text(get("computer_name")).unwrap_or("")),
        user_sid: text(&get("user")["identifier"]).map(Sym::new),
        process_id: small(get("process_id")),
        thread_id: small(get("thread_id")),
        activity_id: text(get("activity_id")).map(Into::into),
        time: time(first(obj, &["@timestamp"])),
        message: message(obj.get("message")),
        ..Event::default()
    };
    add_data(obj, &mut event);
    event
}

/// `event_data` then `user_data` (without its `xml_name`).
fn add_data(parent: &Map<String, Json>, event: &mut Event) {
    if let Some(data) = parent.get("event_data").and_then(Json::as_object) {
        for (name, value) in data {
            flatten(name, value, &mut event.fields);
        }
    }
    if let Some(data) = parent.get("user_data").and_then(Json::as_object) {
        for (name, value) in data.iter().filter(|(n, _)| n.as_str() != "xml_name") {
            flatten(name, value, &mut event.fields);
        }
    }
}

/// Keywords as a number, or a list whose only element is a number or `0x` text; names are
/// not numbers.
fn keywords(value: &Json) -> Option<u64> {
    match value {
        Json::Array(items) if items.len() == 1 => keywords_from_json(&items[0]),
        other => keywords_from_json(other),
    }
}
