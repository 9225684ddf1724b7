//! Turns one [`Event`] into an EVTX record: the 24-byte record header, the event's BinXML
//! (`<Event><System>…</System><EventData>…</EventData></Event>`) and the copy of the size.
//!
//! Knows how model values map to BinXML value types. Does not know chunks or files: the
//! caller says at which chunk offset the record will sit.

use std::io;

use chrono::{DateTime, Utc};

use super::binxml::{Encoder, NameTable, Val, encode_sid, parse_guid};
use crate::evtx_format::{FILETIME_UNIX_OFFSET_SECS, RECORD_MAGIC};
use crate::model::{Event, EventTime, Value};

const EVENT_XMLNS: &str = "http://schemas.microsoft.com/win/2004/08/events/event";

/// `time` as a FILETIME: 100 ns ticks since 1601-01-01 UTC (0 before 1601).
pub fn filetime(time: &DateTime<Utc>) -> u64 {
    let secs = time.timestamp().saturating_add(FILETIME_UNIX_OFFSET_SECS);
    let Ok(secs) = u64::try_from(secs) else {
        return 0;
    };
    secs.saturating_mul(10_000_000)
        .saturating_add(u64::from(time.timestamp_subsec_nanos() / 100))
}

/// The BinXML value type a model value is written with.
///
/// `Str` holding `0x` and hex digits becomes HexInt32 (up to 8 digits) or HexInt64 (up to 16),
/// so the evtx crate renders it back as the same lowercase `"0x…"` text only when it is written
/// in lowercase without leading zeros; other strings stay strings.
fn value_of(value: &Value) -> Option<Val<'_>> {
    Some(match value {
        Value::Null | Value::List(_) => return None,
        Value::Bool(b) => Val::Bool(*b),
        Value::UInt(u) => match u32::try_from(*u) {
            Ok(small) => Val::UInt32(small),
            Err(_) => Val::UInt64(*u),
        },
        Value::Int(i) => match i32::try_from(*i) {
            Ok(small) => Val::Int32(small),
            Err(_) => Val::Int64(*i),
        },
        Value::Float(f) => Val::Real64(*f),
        Value::Str(s) => hex_value(s).unwrap_or(Val::Str(s)),
    })
}

/// `0x` + 1–16 hex digits as HexInt32/HexInt64.
fn hex_value(text: &str) -> Option<Val<'static>> {
    let digits = text.strip_prefix("0x")?;
    if digits.is_empty() || digits.len() > 16 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let n = u64::from_str_radix(digits, 16).ok()?;
    Some(if digits.len() <= 8 {
        Val::HexInt32(n as u32)
    } else {
        Val::HexInt64(n)
    })
}

/// Appends the whole record for `event` with id `record_id` to `out`, where `out[0]` sits at
/// chunk offset `base`. Names new to the chunk go into `names`.
pub(crate) fn encode_record(
    event: &Event,
    record_id: u64,
    base: usize,
    names: &mut NameTable,
    out: &mut Vec<u8>,
) -> io::Result<()> {
    let start = out.len();
    let written = event.time.instant();
    out.extend_from_slice(&RECORD_MAGIC);
    out.extend_from_slice(&[0; 4]); // size, patched below
    out.extend_from_slice(&record_id.to_le_bytes());
    out.extend_from_slice(&written.as_ref().map(filetime).unwrap_or(0).to_le_bytes());

    let mut enc = Encoder::new(out, base, names);
    enc.fragment_header();
    let root = enc.open("Event", &[("xmlns", Val::Str(EVENT_XMLNS))])?;
    write_system(&mut enc, event, record_id)?;
    write_event_data(&mut enc, event)?;
    enc.end(root);
    enc.end_of_stream();

    let size = out.len() - start + 4;
    let size32 = u32::try_from(size).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("record {record_id} is {size} bytes"),
        )
    })?;
    out.extend_from_slice(&size32.to_le_bytes());
    out[start + 4..start + 8].copy_from_slice(&size32.to_le_bytes());
    Ok(())
}

fn write_system(enc: &mut Encoder<'_, '_>, event: &Event, record_id: u64) -> io::Result<()> {
    let system = enc.open("System", &[])?;
    enc.empty("Provider", &[("Name", Val::Str(event.provider.as_str()))])?;
    if let Some(id) = event.event_id {
        enc.leaf(
            "EventID",
            match u16::try_from(id) {
                Ok(small) => Val::UInt16(small),
                Err(_) => Val::UInt32(id),
            },
        )?;
    }
    if let Some(version) = event.version {
        enc.leaf("Version", Val::UInt8(version))?;
    }
    if let Some(level) = event.level {
        enc.leaf("Level", Val::UInt8(level))?;
    }
    if let Some(task) = event.task {
        enc.leaf("Task", Val::UInt16(task))?;
    }
    if let Some(opcode) = event.opcode {
        enc.leaf("Opcode", Val::UInt8(opcode))?;
    }
    if let Some(keywords) = event.keywords {
        enc.leaf("Keywords", Val::HexInt64(keywords))?;
    }
    match &event.time {
        EventTime::Utc(t) | EventTime::NoZone(t) => {
            enc.empty("TimeCreated", &[("SystemTime", Val::FileTime(filetime(t)))])?
        }
        EventTime::Invalid(_) | EventTime::Missing => {}
    }
    enc.leaf("EventRecordID", Val::UInt64(record_id))?;
    match event.activity_id.as_deref() {
        Some(text) => {
            let value = parse_guid(text).map_or(Val::Str(text), Val::Guid);
            enc.empty("Correlation", &[("ActivityID", value)])?;
        }
        None => enc.empty("Correlation", &[])?,
    }
    let mut execution = Vec::with_capacity(2);
    if let Some(pid) = event.process_id {
        execution.push(("ProcessID", Val::UInt32(pid)));
    }
    if let Some(tid) = event.thread_id {
        execution.push(("ThreadID", Val::UInt32(tid)));
    }
    enc.empty("Execution", &execution)?;
    text_leaf(enc, "Channel", event.channel.as_str())?;
    text_leaf(enc, "Computer", event.computer.as_str())?;
    match event.user_sid {
        Some(sid) => {
            let text = sid.as_str();
            let bytes = encode_sid(text);
            let value = bytes.as_deref().map_or(Val::Str(text), Val::Sid);
            enc.empty("Security", &[("UserID", value)])?;
        }
        None => enc.empty("Security", &[])?,
    }
    enc.end(system);
    Ok(())
}

/// `<name>text</name>`, or `<name/>` for empty text.
fn text_leaf(enc: &mut Encoder<'_, '_>, name: &'static str, text: &str) -> io::Result<()> {
    if text.is_empty() {
        enc.empty(name, &[])
    } else {
        enc.leaf(name, Val::Str(text))
    }
}

fn write_event_data(enc: &mut Encoder<'_, '_>, event: &Event) -> io::Result<()> {
    if event.fields.is_empty() {
        return enc.empty("EventData", &[]);
    }
    let data = enc.open("EventData", &[])?;
    for (name, value) in &event.fields {
        match value {
            Value::List(items) => {
                for item in items.iter() {
                    write_data(enc, name.as_str(), item)?;
                }
            }
            other => write_data(enc, name.as_str(), other)?,
        }
    }
    enc.end(data);
    Ok(())
}

/// `<Data Name="name">value</Data>`; no `Name` attribute for an empty name; an empty element for
/// `Null` and nested lists.
fn write_data(enc: &mut Encoder<'_, '_>, name: &'static str, value: &Value) -> io::Result<()> {
    let named = [("Name", Val::Str(name))];
    let attrs: &[(&'static str, Val<'_>)] = if name.is_empty() { &[] } else { &named };
    match value_of(value) {
        Some(v) => {
            let open = enc.open("Data", attrs)?;
            enc.value(v)?;
            enc.end(open);
            Ok(())
        }
        None => enc.empty("Data", attrs),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn filetime_of_unix_epoch() {
        let t = Utc.timestamp_opt(0, 0).unwrap();
        assert_eq!(filetime(&t), 116_444_736_000_000_000);
        let t = Utc.timestamp_opt(1, 123_456_789).unwrap();
        assert_eq!(
            filetime(&t),
            116_444_736_000_000_000 + 10_000_000 + 1_234_567
        );
    }

    #[test]
    fn hex_strings_map_to_hex_types() {
        assert!(matches!(
            hex_value("0x80073cff"),
            Some(Val::HexInt32(0x8007_3cff))
        ));
        assert!(matches!(
            hex_value("0x4000000000000001"),
            Some(Val::HexInt64(0x4000_0000_0000_0001))
        ));
        assert!(hex_value("0x").is_none());
        assert!(hex_value("0xg1").is_none());
        assert!(hex_value("80073cff").is_none());
        assert!(hex_value("0x12345678901234567").is_none());
    }
}
