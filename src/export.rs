//! Rows out: CSV that Excel and Timeline Explorer open correctly, and JSON lines for SIEMs.
//!
//! CSV: RFC 4180 quoting, CRLF record ends, UTF-8 with BOM. Cells starting with `=`, `+`,
//! `-`, `@`, TAB or CR are neutralised by a leading `'` (OWASP CSV injection advice) —
//! negative numbers such as `-2147009281` included, because a spreadsheet cannot tell a
//! number from a formula by the first character; removing the `'` gives the value back.
//! Files are written to a temporary file beside the target and renamed, so a failure never
//! leaves half a file. No egui, no threads.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

use serde_json::json;

use crate::model::{Event, Row, Sym, level_name};
use crate::schema::message::{MessageText, render_message};
use crate::schema::package::{PackageId, package_of};
use crate::store::Store;

/// The prefix put before a cell that a spreadsheet would read as a formula.
pub const NEUTRALISING_PREFIX: char = '\'';

/// The fixed CSV columns; every EventData field name present in any exported event follows.
pub const FIXED_COLUMNS: [&str; 14] = [
    "time",
    "computer",
    "provider",
    "event_id",
    "level",
    "package",
    "publisher_id",
    "rule_titles",
    "rule_levels",
    "why",
    "source_file",
    "record_id",
    "channel",
    "recovered",
];

/// Why an export failed (the target path at the end of the message).
#[derive(Debug)]
pub struct ExportError(pub String);

impl std::fmt::Display for ExportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ExportError {}

/// A cell made safe for spreadsheets.
pub fn neutralise(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("{NEUTRALISING_PREFIX}{cell}"),
        _ => cell.to_owned(),
    }
}

/// Writes `rows` of `store` as CSV to `path` (atomically). Returns the number of rows.
pub fn write_csv(store: &Store, rows: &[Row], path: &Path) -> Result<usize, ExportError> {
    atomic_write(path, |out| write_csv_to(store, rows, out))
}

/// Writes the CSV (with BOM) to any writer.
pub fn write_csv_to(store: &Store, rows: &[Row], out: &mut dyn Write) -> std::io::Result<usize> {
    out.write_all(b"\xEF\xBB\xBF")?;
    let mut field_names: Vec<Sym> = Vec::new();
    let mut seen: HashSet<Sym> = HashSet::new();
    for row in rows {
        let Some(event) = store.event(*row) else {
            continue;
        };
        for (name, _) in &event.fields {
            if seen.insert(*name) {
                field_names.push(*name);
            }
        }
    }
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(out);
    let header: Vec<String> = FIXED_COLUMNS
        .iter()
        .map(|c| (*c).to_owned())
        .chain(field_names.iter().map(|n| neutralise(n.as_str())))
        .collect();
    writer.write_record(&header)?;
    for row in rows {
        let Some(event) = store.event(*row) else {
            continue;
        };
        let event = &event;
        let hits = store.hits(*row);
        let rule = |d: &crate::sigma::Detection| store.rules.rules.get(d.rule);
        let titles: Vec<&str> = hits
            .iter()
            .filter_map(|d| rule(d).map(|r| r.title.as_str()))
            .collect();
        let levels: Vec<String> = hits
            .iter()
            .filter_map(|d| rule(d).map(|r| r.level.to_string()))
            .collect();
        let why: Vec<String> = hits
            .iter()
            .filter_map(|d| rule(d).map(|r| format!("{}: {}", r.title, why_text(d))))
            .collect();
        let mut record: Vec<String> = vec![
            event.time.display(),
            event.computer.to_string(),
            event.provider.to_string(),
            event.event_id.map(|id| id.to_string()).unwrap_or_default(),
            level_name(event.level).to_owned(),
            store.derived[*row as usize].package.to_string(),
            store.derived[*row as usize].publisher.to_string(),
            titles.join(" | "),
            levels.join(" | "),
            why.join(" | "),
            store
                .source_of(event)
                .map(|s| s.path.display().to_string())
                .unwrap_or_default(),
            event.record_id.map(|id| id.to_string()).unwrap_or_default(),
            event.channel.to_string(),
            if event.recovered { "true" } else { "false" }.to_owned(),
        ];
        for name in &field_names {
            record.push(
                event
                    .fields
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.to_text().into_owned())
                    .unwrap_or_default(),
            );
        }
        let safe: Vec<String> = record.iter().map(|c| neutralise(c)).collect();
        writer.write_record(&safe)?;
    }
    writer.flush()?;
    Ok(rows.len())
}

/// One line: `selection: field=value (pattern); …`.
pub fn why_text(detection: &crate::sigma::Detection) -> String {
    detection
        .why
        .iter()
        .map(crate::sigma::Why::describe)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The rule hits of one event as JSON:
/// `[{"id","title","level","why":[{"selection","field","value","pattern"}]}]`.
pub fn detections_json(store: &Store, row: Row) -> serde_json::Value {
    store
        .hits(row)
        .iter()
        .filter_map(|d| {
            let rule = store.rules.rules.get(d.rule)?;
            Some(json!({
                "id": rule.id,
                "title": rule.title,
                "level": rule.level.to_string(),
                "why": d.why.iter().map(|w| json!({
                    "selection": w.selection, "field": w.field, "value": w.value, "pattern": w.pattern,
                })).collect::<Vec<_>>(),
            }))
        })
        .collect()
}

/// The message of an exported event: rendered from the catalogue template, else the input's own
/// message, else `None`.
pub fn export_message(event: &Event) -> Option<String> {
    match render_message(event) {
        MessageText::Rendered(text) => Some(text),
        _ => event
            .message
            .as_deref()
            .filter(|m| !m.trim().is_empty())
            .map(str::to_owned),
    }
}

/// The JSON-lines record of one event: the normalised event, its message, its package (parsed,
/// or null) and its detections. `package_name` is the name shown in the table's Package column.
pub fn event_json(store: &Store, row: Row) -> serde_json::Value {
    let Some(event) = store.event(row) else {
        return serde_json::Value::Null;
    };
    let event = &event;
    let fields: serde_json::Map<String, serde_json::Value> = event
        .fields
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_json()))
        .collect();
    json!({
        "source": store.source_of(event).map(|s| s.path.display().to_string()),
        "record_id": event.record_id,
        "time": event.time.instant().map(|t| crate::model::utc_text(&t)),
        "time_note": match &event.time {
            crate::model::EventTime::NoZone(_) => Some("written without a zone; read as UTC".to_owned()),
            crate::model::EventTime::Invalid(raw) => Some(format!("invalid: {raw}")),
            crate::model::EventTime::Missing => Some("missing".to_owned()),
            crate::model::EventTime::Utc(_) => None,
        },
        "recovered": event.recovered,
        "provider": event.provider.as_str(),
        "channel": event.channel.as_str(),
        "event_id": event.event_id,
        "level": event.level,
        "computer": event.computer.as_str(),
        "message": export_message(event),
        "package": package_of(event).as_ref().map(PackageId::to_json),
        "package_name": store.derived[row as usize].package.as_str(),
        "fields": fields,
        "detections": detections_json(store, row),
    })
}

/// Writes `rows` as JSON lines to `path` (atomically).
pub fn write_jsonl(store: &Store, rows: &[Row], path: &Path) -> Result<usize, ExportError> {
    atomic_write(path, |out| write_jsonl_to(store, rows, out))
}

/// The JSON lines of `rows` into `out` (standard output for `scan --jsonl -`).
pub fn write_jsonl_to(store: &Store, rows: &[Row], out: &mut dyn Write) -> std::io::Result<usize> {
    for row in rows {
        serde_json::to_writer(&mut *out, &event_json(store, *row))?;
        out.write_all(b"\n")?;
    }
    Ok(rows.len())
}

/// Writes through a temporary file in the target's folder, renamed over the target at the end.
fn atomic_write(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<usize>,
) -> Result<usize, ExportError> {
    // Not a file (a pipe, a terminal, /dev/stdout): written straight to, nothing to rename.
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
        && !meta.is_dir()
    {
        let fail =
            |e: std::io::Error| ExportError(format!("cannot write: {e}: {}", path.display()));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(fail)?;
        let mut out = std::io::BufWriter::new(file);
        let count = write(&mut out).map_err(fail)?;
        out.flush().map_err(fail)?;
        return Ok(count);
    }
    // A symlink is followed: the file it points to is replaced, the link stays.
    let resolved;
    let path = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            resolved = std::fs::canonicalize(path).map_err(|e| {
                ExportError(format!("cannot follow the link: {e}: {}", path.display()))
            })?;
            resolved.as_path()
        }
        _ => path,
    };
    // The file keeps the permissions it had; a new one gets rw-r--r-- (a temporary file is
    // created private).
    let permissions = std::fs::metadata(path).ok().map(|m| m.permissions());
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        ExportError(format!("{what}: {e}: {}", path.display()))
    };
    let temp = tempfile::NamedTempFile::new_in(folder).map_err(|e| fail("cannot create", &e))?;
    let mut out = std::io::BufWriter::new(temp);
    let count = write(&mut out).map_err(|e| fail("cannot write", &e))?;
    let temp = out
        .into_inner()
        .map_err(|e| fail("cannot write", &e.error().to_string()))?;
    temp.as_file()
        .sync_all()
        .map_err(|e| fail("cannot write", &e))?;
    if let Some(file_permissions) = permissions.or_else(new_file_permissions) {
        temp.as_file()
            .set_permissions(file_permissions)
            .map_err(|e| fail("cannot set permissions", &e))?;
    }
    temp.persist(path)
        .map_err(|e| fail("cannot rename", &e.error))?;
    Ok(count)
}

/// rw-r--r-- where Unix modes exist; elsewhere the temporary file's own are kept.
fn new_file_permissions() -> Option<std::fs::Permissions> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        Some(std::fs::Permissions::from_mode(0o644))
    }
    #[cfg(not(unix))]
    {
        None
    }
}
