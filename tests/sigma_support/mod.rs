//! Test helpers shared by the `sigma_*` tests: paths into ../shared and a small converter
//! from the evtx crate's JSON shape to `Event`.
//!
//! The converter is temporary: it is replaced by `appxview::ingest::evtx_json` once the
//! lead's ingest lands on main. It only knows the fields the Sigma tests need.
#![allow(dead_code)]

use std::path::PathBuf;

use appxview::model::{Event, Sym, Value};
use serde_json::Value as J;

/// `../shared` relative to the crate root.
pub fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

fn text(v: &J) -> Option<String> {
    match v {
        J::String(s) => Some(s.clone()),
        J::Number(n) => Some(n.to_string()),
        J::Object(o) => o.get("#text").and_then(text),
        _ => None,
    }
}

fn num(v: Option<&J>) -> Option<u64> {
    let v = v?;
    match v {
        J::Number(n) => n.as_u64(),
        J::String(s) => {
            let s = s.trim();
            match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                Some(h) => u64::from_str_radix(h, 16).ok(),
                None => s.parse().ok(),
            }
        }
        J::Object(o) => num(o.get("#text")),
        _ => None,
    }
}

fn attr<'a>(v: Option<&'a J>, name: &str) -> Option<&'a J> {
    v?.get("#attributes")?.get(name)
}

fn flatten(prefix: &str, v: &J, out: &mut Vec<(Sym, Value)>) {
    match v {
        J::Object(o) => {
            if let Some(t) = o.get("#text") {
                out.push((Sym::new(prefix), Value::from_json(t)));
                return;
            }
            for (k, child) in o {
                if k == "#attributes" {
                    continue;
                }
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&name, child, out);
            }
        }
        other => out.push((Sym::new(prefix), Value::from_json(other))),
    }
}

/// Converts one `{"Event":{"System":…,"EventData":…}}` document.
pub fn event_from_evtx_json(doc: &J) -> Event {
    let ev = doc.get("Event").unwrap_or(doc);
    let sys = ev.get("System");
    let s = |k: &str| sys.and_then(|s| s.get(k));
    let mut event = Event {
        provider: Sym::new(
            attr(s("Provider"), "Name")
                .and_then(J::as_str)
                .unwrap_or(""),
        ),
        channel: Sym::new(s("Channel").and_then(text).as_deref().unwrap_or("")),
        computer: Sym::new(s("Computer").and_then(text).as_deref().unwrap_or("")),
        event_id: num(s("EventID")).map(|n| n as u32),
        version: num(s("Version")).map(|n| n as u8),
        level: num(s("Level")).map(|n| n as u8),
        task: num(s("Task")).map(|n| n as u16),
        opcode: num(s("Opcode")).map(|n| n as u8),
        keywords: num(s("Keywords")),
        record_id: num(s("EventRecordID")),
        process_id: num(attr(s("Execution"), "ProcessID")).map(|n| n as u32),
        thread_id: num(attr(s("Execution"), "ThreadID")).map(|n| n as u32),
        user_sid: attr(s("Security"), "UserID")
            .and_then(J::as_str)
            .map(Sym::new),
        ..Event::default()
    };
    for part in ["EventData", "UserData"] {
        if let Some(data) = ev.get(part) {
            if !data.is_null() {
                flatten("", data, &mut event.fields);
            }
        }
    }
    event
}

/// Reads every line of a JSON-lines file as an event.
pub fn events_jsonl(path: &std::path::Path) -> Vec<Event> {
    let text = std::fs::read_to_string(path).expect("read events");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| event_from_evtx_json(&serde_json::from_str(l).expect("json line")))
        .collect()
}

/// Reads an EVTX file with the evtx crate and converts every record.
pub fn events_evtx(path: &std::path::Path) -> Result<Vec<Event>, String> {
    let mut parser = evtx::EvtxParser::from_path(path).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for record in parser.records_json_value() {
        match record {
            Ok(r) => out.push(event_from_evtx_json(&r.data)),
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(out)
}
