//! Files in, [`Event`]s out: recognises what a file holds by its content (never its
//! extension) and hands it to the EVTX or JSON reader.
//!
//! Readers push events in batches into a [`Sink`] (which may stop the load by returning
//! `false`) and record every problem as a [`Warning`] naming the file and where in it. A bad
//! record, line or chunk never aborts the file. [`stream_path_with`] also takes a `prepare`
//! step (derived facts, rules, packing) that runs where the events are made: on the EVTX
//! chunk workers (`jobs::pool`, the only threads used here), on the calling thread for JSON.
//! Knows nothing about egui.

pub mod binxml;
pub mod doc;
pub mod evtx;
pub mod evtx_json;
pub mod json;

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::model::{Event, Source, SourceId};

/// How far a load has got.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Progress {
    /// Bytes of the file dealt with so far (an estimate for EVTX: whole chunks).
    pub done_bytes: u64,
    /// The file's size.
    pub total_bytes: u64,
    /// Records read so far.
    pub records: u64,
}

impl Progress {
    /// 0.0 to 1.0.
    pub fn fraction(&self) -> f32 {
        if self.total_bytes == 0 {
            0.0
        } else {
            (self.done_bytes as f64 / self.total_bytes as f64).clamp(0.0, 1.0) as f32
        }
    }
}

/// Receives events in batches. Returning `false` stops the load (cancel, memory budget).
pub type Sink<'a> = dyn FnMut(Vec<Event>, Progress) -> bool + 'a;

/// A prepared batch whose events' 1-based positions can be moved on: the EVTX reader
/// numbers each chunk's events from 1 and then shifts them by the records before the chunk.
pub trait Renumber {
    /// Adds `by` to every event's position.
    fn renumber(&mut self, by: u32);
}

impl Renumber for Vec<Event> {
    fn renumber(&mut self, by: u32) {
        for event in self {
            event.position = event.position.saturating_add(by);
        }
    }
}

/// Settings for one load.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// Threads that decode EVTX chunks (0 = one per core).
    pub evtx_threads: usize,
}

/// A whole file read into memory (for tests, `scan` and `inspect`).
#[derive(Debug)]
pub struct FileLoad {
    pub source: Source,
    pub events: Vec<Event>,
}

/// Events are handed to the sink in batches of about this many.
pub const BATCH: usize = 2048;

/// Reads `path` completely. Problems are in `source.warnings` / `source.error`.
pub fn read_path(path: &Path, source: SourceId) -> FileLoad {
    let mut events = Vec::new();
    let info = stream_path(path, source, ReadOptions::default(), &mut |batch, _| {
        events.extend(batch);
        true
    });
    FileLoad {
        source: info,
        events,
    }
}

/// What the first bytes of a file say it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Content {
    Evtx,
    Text,
}

/// Reads `path`, pushing events into `sink`; returns what was learnt about the file.
pub fn stream_path(
    path: &Path,
    source: SourceId,
    options: ReadOptions,
    sink: &mut Sink<'_>,
) -> Source {
    stream_path_with(path, source, options, &|events| events, sink)
}

/// Reads `path`, turning each batch of events into `B` with `prepare` (on the chunk workers
/// for EVTX) and pushing the results into `sink` in file order; returns what was learnt
/// about the file.
pub fn stream_path_with<B, P, S>(
    path: &Path,
    source: SourceId,
    options: ReadOptions,
    prepare: &P,
    sink: &mut S,
) -> Source
where
    B: Renumber + Send,
    P: Fn(Vec<Event>) -> B + Sync,
    S: FnMut(B, Progress) -> bool + ?Sized,
{
    let mut info = Source::new(path.to_path_buf());
    match sniff(path) {
        Ok(Content::Evtx) => evtx::read_evtx(path, source, options, &mut info, prepare, sink),
        Ok(Content::Text) => json::read_json(path, source, &mut info, &mut |events, progress| {
            sink(prepare(events), progress)
        }),
        Err(message) => info.error = Some(message),
    }
    info
}

/// Looks at the first bytes: the EVTX magic, or text that might be JSON.
fn sniff(path: &Path) -> Result<Content, String> {
    let mut file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let mut head = [0u8; 8];
    let mut filled = 0;
    while filled < head.len() {
        match file.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) => return Err(format!("cannot read: {e}")),
        }
    }
    if filled == 0 {
        return Err("empty file (0 bytes)".to_owned());
    }
    if head[..filled].starts_with(b"ElfFile\0") {
        return Ok(Content::Evtx);
    }
    if head[..filled].starts_with(b"ElfFi") {
        return Ok(Content::Evtx);
    }
    let is_text_start = matches!(head[0], b'{' | b'[' | b' ' | b'\t' | b'\r' | b'\n' | b'R')
        || head[..filled].starts_with(&[0xEF, 0xBB, 0xBF])
        || head[..filled].starts_with(&[0xFF, 0xFE])
        || head[..filled].starts_with(&[0xFE, 0xFF]);
    if is_text_start {
        Ok(Content::Text)
    } else {
        Err(format!(
            "unrecognised content: not an EVTX file (magic ElfFile missing) and not JSON (starts with {:02X?})",
            &head[..filled]
        ))
    }
}

/// The event as its file holds it, read again on demand (the raw event is not kept in
/// memory). EVTX: the record, re-rendered by the evtx crate from its chunk. Other formats:
/// `Err` (the caller shows the normalised event instead).
pub fn raw_event(source: &Source, event: &Event) -> Result<serde_json::Value, String> {
    match (source.format, event.record_id) {
        (Some(crate::model::Format::Evtx), Some(record_id)) => {
            evtx::raw_record(&source.path, event.locator, record_id)
        }
        _ => Err("appxview keeps no raw text of JSON input".to_owned()),
    }
}
