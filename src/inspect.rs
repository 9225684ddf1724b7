//! One event explained, as `appxview inspect` prints it and the detail pane copies it: the JSON
//! ([`EventDetail::to_json`] plus record id, source and the rule hits with why) and a readable
//! text of the same content (header lines, message, an aligned fields table, package parts,
//! detections). Pure functions over the store: no egui, no I/O, no threads.
//!
//! Values are shown in text with control, bidi and zero-width characters escaped
//! ([`crate::filter::visible_char`]), so a crafted value cannot move the terminal's cursor or
//! reorder the line it is printed on.

use std::fmt::Write as _;

use serde_json::Value as Json;

use crate::export::detections_json;
use crate::filter::one_line;
use crate::model::{Event, Row};
use crate::schema::detail::{EventDetail, FieldDetail};
use crate::store::Store;

/// Value cells wider than this do not widen the value column of the text table.
const VALUE_COLUMN_MAX: usize = 40;

/// The rows whose [`crate::model::Event::record_or_position`] is `record`, in load order.
pub fn rows_with_record(store: &Store, record: u64) -> Vec<Row> {
    store
        .packed_events()
        .iter()
        .enumerate()
        .filter(|(_, e)| e.record_or_position() == record)
        .map(|(row, _)| row as Row)
        .collect()
}

/// The `appxview inspect --format json` object of `row` (`detail` built from the same event):
/// the keys of [`EventDetail::to_json`], then `record_id`, `computer`, `source`, `recovered` and
/// `detections` (`[{"id","title","level","why":[{"selection","field","value","pattern"}]}]`).
pub fn event_json(store: &Store, row: Row, detail: &EventDetail) -> Json {
    let mut json = detail.to_json();
    let Some(event) = store.event(row) else {
        return json;
    };
    let event = &event;
    if let Json::Object(map) = &mut json {
        map.insert("record_id".into(), Json::from(event.record_id));
        map.insert("computer".into(), Json::from(event.computer.as_str()));
        // The System numbers (`task` and `opcode` above are their names, null when unknown).
        map.insert("task_id".into(), Json::from(event.task));
        map.insert("opcode_id".into(), Json::from(event.opcode));
        map.insert("level_id".into(), Json::from(event.level));
        map.insert("version".into(), Json::from(event.version));
        map.insert(
            "keywords".into(),
            Json::from(event.keywords.map(|k| format!("{k:#018x}"))),
        );
        map.insert(
            "user_sid".into(),
            Json::from(event.user_sid.map(|s| s.to_string())),
        );
        map.insert("process_id".into(), Json::from(event.process_id));
        map.insert("thread_id".into(), Json::from(event.thread_id));
        map.insert(
            "activity_id".into(),
            Json::from(event.activity_id.as_deref().map(str::to_owned)),
        );
        map.insert(
            "source".into(),
            Json::from(store.source_of(event).map(|s| s.path.display().to_string())),
        );
        map.insert("recovered".into(), Json::Bool(event.recovered));
        map.insert("detections".into(), detections_json(store, row));
    }
    json
}

/// The System header as (label, value) lines, in the order the detail pane and `inspect`
/// show them: times, provider, channel, ids with their names, computer, user, process and
/// thread, activity, record, source, and whether the record was carved.
pub fn system_lines(
    store: &Store,
    event: &Event,
    detail: &EventDetail,
) -> Vec<(&'static str, String)> {
    let text = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
    let mut lines = vec![
        ("Time (UTC)", detail.time.clone()),
        (
            "Time (local)",
            event
                .time
                .instant()
                .map(|t| crate::model::local_text(&t))
                .unwrap_or_default(),
        ),
        ("Provider", detail.provider.clone()),
        ("Channel", detail.channel.clone()),
        ("Event ID", text(event.event_id.map(u64::from))),
        ("Version", text(event.version.map(u64::from))),
        (
            "Level",
            number_and_name(event.level, detail.level_name.as_deref()),
        ),
        (
            "Task",
            number_and_name(event.task, detail.task_name.as_deref()),
        ),
        (
            "Opcode",
            number_and_name(event.opcode, detail.opcode_name.as_deref()),
        ),
        (
            "Keywords",
            event
                .keywords
                .map(|k| format!("{k:#018x}"))
                .unwrap_or_default(),
        ),
        ("Computer", event.computer.to_string()),
        (
            "User SID",
            event.user_sid.map(|s| s.to_string()).unwrap_or_default(),
        ),
        (
            "Process / thread",
            match (event.process_id, event.thread_id) {
                (None, None) => String::new(),
                (p, t) => format!("{} / {}", text(p.map(u64::from)), text(t.map(u64::from))),
            },
        ),
        (
            "Activity ID",
            event.activity_id.as_deref().unwrap_or_default().to_owned(),
        ),
        (
            "Record",
            match event.record_id {
                Some(r) => r.to_string(),
                None => format!("position {} (no record id)", event.position),
            },
        ),
        (
            "Source",
            store
                .source_of(event)
                .map(|s| s.path.display().to_string())
                .unwrap_or_default(),
        ),
    ];
    if event.recovered {
        lines.push((
            "Recovered",
            "yes: carved by the evtx crate from a damaged chunk or its unallocated space"
                .to_owned(),
        ));
    }
    lines
}

/// `3 (AppXDeployment.Task.Server.Deployment)`, or whichever part is known.
pub fn number_and_name(number: Option<impl ToString>, name: Option<&str>) -> String {
    match (number.map(|n| n.to_string()), name) {
        (Some(n), Some(name)) => format!("{n} ({name})"),
        (Some(n), None) => n,
        (None, Some(name)) => name.to_owned(),
        (None, None) => String::new(),
    }
}

/// The type column of a field: the declared ETW type, else the value's JSON kind in brackets.
pub fn field_type_text(field: &FieldDetail) -> String {
    match &field.declared_type {
        Some(t) => t.clone(),
        None => format!("({})", field.value.kind()),
    }
}

/// One field as `name<TAB>type<TAB>value<TAB>decoded` (tabs and line breaks inside cells escaped).
pub fn field_row_text(field: &FieldDetail) -> String {
    [
        field.name.clone(),
        field_type_text(field),
        field.value.to_text().into_owned(),
        field.meaning().unwrap_or_default(),
    ]
    .iter()
    .map(|cell| escaped(cell))
    .collect::<Vec<_>>()
    .join("\t")
}

/// `text` on one line with control characters escaped.
fn escaped(text: &str) -> String {
    one_line(text, usize::MAX)
}

/// Width in characters.
fn width(text: &str) -> usize {
    text.chars().count()
}

/// The `appxview inspect --format text` rendering of `row` (the same content as [`event_json`]).
pub fn event_text(store: &Store, row: Row, detail: &EventDetail) -> String {
    let mut out = String::new();
    let Some(event) = store.event(row) else {
        return out;
    };
    let event = &event;
    let id = detail
        .event_id
        .map(|i| i.to_string())
        .unwrap_or_else(|| "?".to_owned());
    let _ = match detail.provider.trim() {
        "" => writeln!(out, "Event {id} (no provider)"),
        provider => writeln!(out, "Event {id} - {}", escaped(provider)),
    };
    let mut header = system_lines(store, event, detail);
    if !detail.builds.is_empty() {
        header.push(("Field set of", detail.builds.join(", ")));
    }
    let label_width = header.iter().map(|(l, _)| width(l)).max().unwrap_or(0);
    for (label, value) in &header {
        let line = format!("{label:<label_width$}  {}", escaped(value));
        let _ = writeln!(out, "{}", line.trim_end());
    }

    out.push_str("\nMessage\n");
    match &detail.message {
        Some(message) => {
            for line in message.lines() {
                let _ = writeln!(out, "  {}", escaped(line));
            }
        }
        None => {
            let _ = writeln!(
                out,
                "  (none: {})",
                escaped(detail.message_note.as_deref().unwrap_or("no message"))
            );
        }
    }

    fields_text(&mut out, detail);

    out.push_str("\nPackage\n");
    match &detail.package {
        Some(p) => {
            for (label, value) in p.labelled_parts() {
                let line = format!("  {label:<12}  {}", escaped(&value));
                let _ = writeln!(out, "{}", line.trim_end());
            }
        }
        None => out.push_str("  (none found in the fields or the message)\n"),
    }

    let hits = store.hits(row);
    let _ = writeln!(out, "\nDetections ({})", hits.len());
    if hits.is_empty() {
        out.push_str("  (no rule fired)\n");
    }
    for detection in hits {
        let Some(rule) = store.rules.rules.get(detection.rule) else {
            continue;
        };
        let _ = writeln!(
            out,
            "  [{}] {} ({})",
            rule.level,
            escaped(&rule.title),
            escaped(&rule.id)
        );
        for why in &detection.why {
            let _ = writeln!(out, "    {}", escaped(&why.describe()));
        }
    }
    out
}

/// The decoded meaning and, in brackets, the decoding's note (which bit map of which build,
/// why a value is not in the table), as the JSON form carries it.
fn meaning_with_note(field: &FieldDetail) -> String {
    let meaning = field.meaning().unwrap_or_default();
    let decoded = field.decoded.as_ref();
    if decoded.is_some_and(|d| d.decoded == crate::schema::decode::Decoded::Raw) {
        return meaning; // says it already
    }
    match decoded.and_then(|d| d.note.as_deref()) {
        Some(note) if meaning.is_empty() => format!("[{note}]"),
        Some(note) if !meaning.contains(note) => format!("{meaning} [{note}]"),
        _ => meaning,
    }
}

/// The fields table: a marker column (`+` not declared, `-` declared but absent), name, type,
/// value, decoded meaning; columns aligned.
fn fields_text(out: &mut String, detail: &EventDetail) {
    let _ = writeln!(out, "\nFields ({})", detail.fields.len());
    let mut rows: Vec<[String; 5]> = vec![[
        " ".to_owned(),
        "Name".to_owned(),
        "Type".to_owned(),
        "Value".to_owned(),
        "Decoded".to_owned(),
    ]];
    for field in &detail.fields {
        let marker = if detail.extra_fields.contains(&field.name) {
            "+"
        } else {
            " "
        };
        rows.push([
            marker.to_owned(),
            escaped(&field.name),
            escaped(&field_type_text(field)),
            escaped(&field.value.to_text()),
            escaped(&meaning_with_note(field)),
        ]);
    }
    for name in &detail.missing_fields {
        rows.push([
            "-".to_owned(),
            escaped(name),
            "-".to_owned(),
            "(missing)".to_owned(),
            String::new(),
        ]);
    }
    let column = |i: usize, cap: usize| {
        rows.iter()
            .map(|r| width(&r[i]).min(cap))
            .max()
            .unwrap_or(0)
    };
    let (name_w, type_w, value_w) = (
        column(1, usize::MAX),
        column(2, usize::MAX),
        column(3, VALUE_COLUMN_MAX),
    );
    for [marker, name, ty, value, decoded] in &rows {
        let line =
            format!("  {marker} {name:<name_w$}  {ty:<type_w$}  {value:<value_w$}  {decoded}");
        let _ = writeln!(out, "{}", line.trim_end());
    }
    if !detail.extra_fields.is_empty() || !detail.missing_fields.is_empty() {
        out.push_str(
            "  (+ not declared by the schema for this event; - declared by the schema, absent in this event)\n",
        );
    }
}
