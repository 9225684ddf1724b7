//! JSON exports → [`Event`]s, the shape recognised from the content.
//!
//! First version: the evtx crate's JSON (lines, `Record N` separated, streams, arrays) and
//! the seed's flat shape. Knows nothing about threads or egui.

use std::path::Path;

use serde_json::Value as Json;

use super::evtx_json::{event_from_evtx_json, event_id_from_json, keywords_from_json, parse_time};
use super::{BATCH, Progress, Sink};
use crate::model::{Event, EventTime, Format, Source, SourceId, Sym, Value, Warning};

/// Reads a JSON export into `sink`, filling `info`.
pub fn read_json(path: &Path, source: SourceId, info: &mut Source, sink: &mut Sink<'_>) {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            info.error = Some(format!("cannot read: {e}"));
            return;
        }
    };
    let text = match decode_text(&bytes) {
        Ok(text) => text,
        Err(message) => {
            info.error = Some(message);
            return;
        }
    };
    let total_bytes = bytes.len() as u64;
    let mut batch = Vec::new();
    let mut records = 0u64;
    let mut shape: Option<Format> = None;
    let mut recognised_any = false;
    for (line_no, offset, doc) in documents(&text, info, path) {
        let docs: Vec<&Json> = match &doc {
            Json::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for item in docs {
            let (format, converted) = convert(item);
            let Some(format) = format else {
                info.warnings.push(Warning {
                    path: path.to_path_buf(),
                    location: format!("line {line_no}"),
                    message: "not an event in a known shape; skipped".to_owned(),
                });
                continue;
            };
            recognised_any = true;
            shape.get_or_insert(format);
            records += 1;
            match converted {
                Ok(mut event) => {
                    event.source = source;
                    event.position = u32::try_from(records).unwrap_or(u32::MAX);
                    event.locator = offset as u64;
                    batch.push(event);
                }
                Err(message) => info.warnings.push(Warning {
                    path: path.to_path_buf(),
                    location: format!("line {line_no}"),
                    message,
                }),
            }
            if batch.len() >= BATCH {
                let progress = Progress {
                    done_bytes: offset as u64,
                    total_bytes,
                    records,
                };
                if !sink(std::mem::take(&mut batch), progress) {
                    info.records = records;
                    info.format = shape;
                    return;
                }
            }
        }
    }
    info.records = records;
    info.format = shape;
    if !recognised_any {
        info.error = Some(
            "unrecognised shape: no event in a known JSON shape (evtx crate JSON, flat seed shape)"
                .to_owned(),
        );
        return;
    }
    if !batch.is_empty() {
        sink(
            batch,
            Progress {
                done_bytes: total_bytes,
                total_bytes,
                records,
            },
        );
    }
}

/// UTF-8 (BOM stripped) or UTF-16 with a BOM.
fn decode_text(bytes: &[u8]) -> Result<String, String> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8(rest.to_vec()).map_err(|e| format!("not UTF-8 text: {e}"));
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        return Ok(String::from_utf16_lossy(&units));
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        return Ok(String::from_utf16_lossy(&units));
    }
    String::from_utf8(bytes.to_vec()).map_err(|e| format!("not UTF-8 text: {e}"))
}

/// Every JSON document in `text` with its 1-based line and byte offset: JSON lines, a
/// stream of documents with no separators, or `evtx_dump -o json` with `Record N` lines.
/// Text that is not JSON becomes a warning with its line number.
fn documents(text: &str, info: &mut Source, path: &Path) -> Vec<(usize, usize, Json)> {
    let mut docs = Vec::new();
    let mut pos = 0;
    let bytes = text.as_bytes();
    let line_of = |offset: usize| text[..offset].bytes().filter(|b| *b == b'\n').count() + 1;
    while pos < bytes.len() {
        while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
            pos += 1;
        }
        if pos >= bytes.len() {
            break;
        }
        let rest = &text[pos..];
        if rest.starts_with("Record ") {
            pos += rest.find('\n').map(|n| n + 1).unwrap_or(rest.len());
            continue;
        }
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<Json>();
        match stream.next() {
            Some(Ok(doc)) => {
                docs.push((line_of(pos), pos, doc));
                pos += stream.byte_offset();
            }
            Some(Err(e)) => {
                let line = line_of(pos);
                info.warnings.push(Warning {
                    path: path.to_path_buf(),
                    location: format!("line {line}"),
                    message: format!("not JSON ({e}); skipped"),
                });
                pos += rest.find('\n').map(|n| n + 1).unwrap_or(rest.len());
            }
            None => break,
        }
    }
    docs
}

/// Recognises one document's shape and converts it.
fn convert(doc: &Json) -> (Option<Format>, Result<Event, String>) {
    if super::evtx_json::is_evtx_json(doc) {
        return (
            Some(Format::EvtxJsonLines),
            event_from_evtx_json(doc).map_err(|e| e.0),
        );
    }
    if doc.get("system").is_some_and(Json::is_object) {
        return (Some(Format::FlatSeed), Ok(event_from_flat_seed(doc)));
    }
    (None, Err("unknown shape".to_owned()))
}

/// The seed's flat shape: `system` + `event_data` + `message`.
fn event_from_flat_seed(doc: &Json) -> Event {
    let system = &doc["system"];
    let str_of = |v: &Json| v.as_str().map(str::to_owned);
    let num = |v: &Json| v.as_u64();
    let mut event = Event {
        provider: Sym::new(system["provider"].as_str().unwrap_or("")),
        event_id: event_id_from_json(&system["event_id"]),
        version: num(&system["version"]).and_then(|v| u8::try_from(v).ok()),
        level: num(&system["level"]).and_then(|v| u8::try_from(v).ok()),
        task: num(&system["task"]).and_then(|v| u16::try_from(v).ok()),
        opcode: num(&system["opcode"]).and_then(|v| u8::try_from(v).ok()),
        keywords: keywords_from_json(&system["keywords"]),
        record_id: num(&system["event_record_id"]),
        channel: Sym::new(system["channel"].as_str().unwrap_or("")),
        computer: Sym::new(system["computer"].as_str().unwrap_or("")),
        user_sid: str_of(&system["security"]["user_id"]).map(|s| Sym::new(&s)),
        process_id: num(&system["execution"]["process_id"]).and_then(|v| u32::try_from(v).ok()),
        thread_id: num(&system["execution"]["thread_id"]).and_then(|v| u32::try_from(v).ok()),
        activity_id: str_of(&system["correlation"]["ActivityID"]).map(Into::into),
        time: match &system["time_created"] {
            Json::String(text) => parse_time(text),
            Json::Null => EventTime::Missing,
            other => EventTime::Invalid(other.to_string().into()),
        },
        ..Event::default()
    };
    if let Some(data) = doc["event_data"].as_object() {
        for (name, value) in data {
            event.fields.push((Sym::new(name), Value::from_json(value)));
        }
    }
    if let Some(message) = doc["message"].as_str().filter(|m| !m.is_empty()) {
        event.message = Some(message.into());
    }
    event
}
