//! JSON exports → [`Event`]s, the shape recognised from the content (never the extension).
//!
//! Reads, streaming line by line (`text`) and cutting the lines into documents
//! (`split`): JSON lines, pretty-printed documents one after another, a top-level array,
//! and `evtx_dump -o json` with its `Record N` lines; UTF-8 with or without a BOM, UTF-16
//! with a BOM; CRLF and blank lines. Each object's shape is recognised by its keys
//! (`shape`): the evtx crate's JSON (via [`super::evtx_json`]), the seed's flat shape,
//! PowerShell `ConvertTo-Json`, Winlogbeat (current and 5.x/6.x) and flat NXLog records.
//!
//! Every skipped line or document becomes a [`Warning`] at "line N" (the first 1000 are
//! listed, the rest counted). A file in which no document is an event is refused with one
//! `info.error` starting "unrecognised shape:". A top-level array is held in memory whole;
//! line-based files are not. Knows nothing about threads or egui.

mod nxlog;
mod powershell;
mod seed;
mod shape;
mod split;
mod text;
mod values;
mod winlogbeat;

use std::path::Path;

use serde_json::Value as Json;

use super::{BATCH, Progress, Sink};
use crate::model::{Event, Format, Source, SourceId, Warning};
use shape::Shape;
use split::{Piece, Splitter};
use text::LineReader;

/// Warnings listed per file; further ones are counted in one last warning.
const MAX_WARNINGS: usize = 1000;

/// A file whose first this-many documents and problem lines hold no event is refused
/// without reading further.
const GIVE_UP_AFTER: u64 = 1000;

/// Reads a JSON export into `sink`, filling `info` (records, format, warnings, error).
pub fn read_json(path: &Path, source: SourceId, info: &mut Source, sink: &mut Sink<'_>) {
    let total_bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let mut reader = match LineReader::open(path) {
        Ok(reader) => reader,
        Err(e) => {
            info.error = Some(format!("cannot read: {e}"));
            return;
        }
    };
    let mut load = Load::new(path, source, total_bytes);
    let mut splitter = Splitter::default();
    let mut pieces = Vec::new();
    let mut last_line = 0;
    while let Some(next) = reader.next_line() {
        let line = match next {
            Ok(line) => line,
            Err(e) => {
                load.problem(
                    last_line + 1,
                    format!("read error, rest of file not read: {e}"),
                );
                break;
            }
        };
        last_line = line.number;
        load.done_bytes = line.offset;
        if let Some(problem) = &line.decode_problem {
            load.problem(line.number, problem.clone());
        }
        splitter.push_line(line, &mut pieces);
        for piece in pieces.drain(..) {
            load.piece(piece, sink);
        }
        if load.stopped || load.gave_up() {
            break;
        }
    }
    if !load.stopped && !load.gave_up() {
        splitter.finish(&mut pieces);
        for piece in pieces.drain(..) {
            load.piece(piece, sink);
        }
    }
    load.lines = last_line;
    load.utf16 = reader.encoding() != text::Encoding::Utf8;
    load.finish(info, sink);
}

/// The state of one file's load.
struct Load<'p> {
    path: &'p Path,
    source: SourceId,
    total_bytes: u64,
    done_bytes: u64,
    batch: Vec<Event>,
    records: u64,
    format: Option<Format>,
    saw_separator: bool,
    warnings: Vec<Warning>,
    unlisted: u64,
    documents: u64,
    problems: u64,
    first_other: Option<(usize, String)>,
    first_problem: Option<(usize, String)>,
    stopped: bool,
    lines: usize,
    utf16: bool,
}

impl<'p> Load<'p> {
    fn new(path: &'p Path, source: SourceId, total_bytes: u64) -> Self {
        Load {
            path,
            source,
            total_bytes,
            done_bytes: 0,
            batch: Vec::new(),
            records: 0,
            format: None,
            saw_separator: false,
            warnings: Vec::new(),
            unlisted: 0,
            documents: 0,
            problems: 0,
            first_other: None,
            first_problem: None,
            stopped: false,
            lines: 0,
            utf16: false,
        }
    }

    /// No event yet, and enough seen to say the file is not of a known shape.
    fn gave_up(&self) -> bool {
        self.format.is_none() && self.documents + self.problems >= GIVE_UP_AFTER
    }

    fn problem(&mut self, line: usize, message: String) {
        self.problems += 1;
        self.first_problem.get_or_insert((line, message.clone()));
        self.warn(line, message);
    }

    fn warn(&mut self, line: usize, message: String) {
        if self.warnings.len() >= MAX_WARNINGS {
            self.unlisted += 1;
            return;
        }
        self.warnings.push(Warning {
            path: self.path.to_path_buf(),
            location: format!("line {line}"),
            message,
        });
    }

    fn not_event(&mut self, line: usize, what: String) {
        self.first_other.get_or_insert((line, what.clone()));
        self.warn(
            line,
            format!("{what}: not an event in a known shape; skipped"),
        );
    }

    fn piece(&mut self, piece: Piece, sink: &mut Sink<'_>) {
        if self.stopped {
            return;
        }
        match piece {
            Piece::Separator => self.saw_separator = true,
            Piece::Problem { line, message } => self.problem(line, message),
            Piece::Doc {
                line,
                offset,
                multi_line,
                value,
            } => {
                self.documents += 1;
                match &value {
                    Json::Array(items) if items.iter().any(Json::is_object) => {
                        for (i, item) in items.iter().enumerate() {
                            if item.is_object() {
                                self.object(line, offset, true, item, sink);
                            } else {
                                let what = format!(
                                    "element {} of the array is {}",
                                    i + 1,
                                    shape::describe(item)
                                );
                                self.not_event(line, what);
                            }
                            if self.stopped {
                                return;
                            }
                        }
                    }
                    Json::Object(_) => self.object(line, offset, multi_line, &value, sink),
                    other => self.not_event(line, shape::describe(other)),
                }
            }
        }
    }

    fn object(
        &mut self,
        line: usize,
        offset: u64,
        multi_line: bool,
        doc: &Json,
        sink: &mut Sink<'_>,
    ) {
        let Json::Object(obj) = doc else {
            self.not_event(line, shape::describe(doc));
            return;
        };
        let Some(shape) = shape::detect(obj) else {
            self.not_event(line, shape::describe(doc));
            return;
        };
        if self.format.is_none() {
            self.format = Some(match shape {
                Shape::Evtx if self.saw_separator => Format::EvtxDumpJson,
                Shape::Evtx if multi_line => Format::EvtxJsonStream,
                other => other.format(),
            });
        }
        self.records += 1;
        match shape::convert(shape, obj, doc) {
            Ok(mut event) => {
                event.source = self.source;
                event.position = u32::try_from(self.records).unwrap_or(u32::MAX);
                event.locator = offset;
                self.batch.push(event);
            }
            Err(message) => self.warn(line, format!("event not read: {message}")),
        }
        if self.batch.len() >= BATCH {
            let progress = Progress {
                done_bytes: self.done_bytes,
                total_bytes: self.total_bytes,
                records: self.records,
            };
            if !sink(std::mem::take(&mut self.batch), progress) {
                self.stopped = true;
            }
        }
    }

    fn finish(mut self, info: &mut Source, sink: &mut Sink<'_>) {
        info.records = self.records;
        info.format = self.format;
        if self.format.is_none() {
            info.error = Some(self.refusal());
            return;
        }
        if self.unlisted > 0 {
            self.warnings.push(Warning {
                path: self.path.to_path_buf(),
                location: "file".to_owned(),
                message: format!(
                    "{} more problems not listed (only the first {MAX_WARNINGS} are)",
                    self.unlisted
                ),
            });
        }
        info.warnings.append(&mut self.warnings);
        if !self.batch.is_empty() && !self.stopped {
            let progress = Progress {
                done_bytes: self.total_bytes,
                total_bytes: self.total_bytes,
                records: self.records,
            };
            sink(std::mem::take(&mut self.batch), progress);
        }
    }

    /// The one message for a file that holds no event.
    fn refusal(&self) -> String {
        let name = self.path.file_name().map_or_else(
            || self.path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let stopped = if self.gave_up() {
            format!(" (reading stopped after {GIVE_UP_AFTER} documents/lines without an event)")
        } else {
            String::new()
        };
        let encoding = if self.utf16 { " (UTF-16)" } else { "" };
        match (&self.first_other, &self.first_problem) {
            (Some((line, what)), _) => format!(
                "unrecognised shape: {name}{encoding}: {} JSON document(s), none is a Windows event; \
                 the first (line {line}) is {what}{stopped}; {}",
                self.documents,
                shape::KNOWN
            ),
            (None, Some((line, message))) => format!(
                "unrecognised shape: {name}{encoding}: no JSON document; line {line}: {message}{stopped}"
            ),
            (None, None) if self.lines == 0 => {
                format!("unrecognised shape: {name}: the file holds no text")
            }
            (None, None) => format!(
                "unrecognised shape: {name}{encoding}: {} line(s), all blank: no JSON document",
                self.lines
            ),
        }
    }
}
