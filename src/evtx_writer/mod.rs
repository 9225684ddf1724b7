//! A small EVTX writer: turns [`Event`]s into a `.evtx` file that the `evtx` crate (and
//! Windows' format) reads, for tests, benchmarks and demo samples.
//!
//! It writes a file header, 64 KiB chunks with correct CRC32s and string tables, and records
//! whose BinXML uses plain elements with typed values (no templates). It streams: one chunk is
//! held in memory at a time. It does not write templates, messages (`RenderingInfo`),
//! `UserData`, provider GUIDs or EventID qualifiers, and it never overwrites old chunks the way
//! a full circular Windows log does.
//!
//! How model values are written (what the evtx crate renders back, as JSON):
//! `Bool` → BoolType (`true`); `UInt` → UInt32, or UInt64 above `u32::MAX` (number);
//! `Int` → Int32 / Int64 (number); `Str` of `0x` + 1–8 hex digits → HexInt32, 9–16 → HexInt64
//! (rendered lowercase without leading zeros, `"0x…"`); other `Str` → UTF-16 string;
//! `Float` → Real64 (the crate renders it as a string such as `"1.5"`); `Null` → an empty
//! `<Data>` (rendered `""`); `List` → one `<Data>` per item under the same name. A field with an
//! empty name is an unnamed `<Data>`. System: EventID UInt16 (UInt32 above 65535), Version /
//! Level / Opcode UInt8, Task UInt16, Keywords HexInt64, TimeCreated FILETIME, EventRecordID
//! UInt64, Correlation ActivityID GUID (a string when it is not a GUID), Execution ProcessID /
//! ThreadID UInt32, Security UserID SID (a string when it is not a SID). Fields that are `None`
//! are left out (Correlation, Execution and Security stay as empty elements, as in Windows'
//! logs); an `Invalid` or `Missing` time leaves out TimeCreated and stores FILETIME 0 in the
//! record header; a `NoZone` time is written as UTC.

mod binxml;
mod chunk;
pub mod events;
mod record;
pub mod synth;

use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

pub use crate::evtx_format::{CHUNK_HEADER_SIZE, CHUNK_SIZE, FILE_HEADER_SIZE, MAX_RECORD_SIZE};
pub use record::filetime;

use crate::model::Event;
use chunk::{Chunk, FILE_FLAG_DIRTY, file_header};

/// Streams events into an EVTX file.
///
/// Records get the event's `record_id`, or, when it is `None`, the next number after the
/// highest id written so far (starting at 1). Readers stop a chunk at its last record id and
/// start a file at the chunk with the lowest first id, so given ids should be unique and
/// increasing. Until [`EvtxWriter::finish`] the file header says the log is dirty.
pub struct EvtxWriter<W: Write + Seek> {
    out: W,
    chunk: Chunk,
    chunks_written: u64,
    next_record_id: u64,
    records: u64,
}

impl EvtxWriter<BufWriter<File>> {
    /// Creates (or truncates) the file at `path`.
    pub fn create(path: &Path) -> io::Result<Self> {
        let file = File::create(path).map_err(|e| with_path(path, e))?;
        EvtxWriter::new(BufWriter::with_capacity(4 * CHUNK_SIZE, file))
            .map_err(|e| with_path(path, e))
    }
}

impl<W: Write + Seek> EvtxWriter<W> {
    /// Starts a log at the current start of `out` (it seeks to 0 and writes a dirty header).
    pub fn new(mut out: W) -> io::Result<Self> {
        out.seek(SeekFrom::Start(0))?;
        out.write_all(&file_header(0, 1, FILE_FLAG_DIRTY))?;
        Ok(EvtxWriter {
            out,
            chunk: Chunk::new(),
            chunks_written: 0,
            next_record_id: 1,
            records: 0,
        })
    }

    /// Appends `event` and returns the record id it got. A record never crosses a chunk; a
    /// new chunk starts when the current one is full. Fails for an event too large for one
    /// chunk ([`MAX_RECORD_SIZE`] bytes of record) or a string longer than 65535 UTF-16 code
    /// units; the log stays valid without it.
    pub fn write_event(&mut self, event: &Event) -> io::Result<u64> {
        let id = event.record_id.unwrap_or(self.next_record_id);
        if !self.chunk.try_add(event, id)? {
            if self.chunk.is_empty() {
                return Err(too_big(id));
            }
            self.flush_chunk()?;
            if !self.chunk.try_add(event, id)? {
                return Err(too_big(id));
            }
        }
        self.next_record_id = self.next_record_id.max(id.saturating_add(1));
        self.records += 1;
        Ok(id)
    }

    /// How many records have been written.
    pub fn records(&self) -> u64 {
        self.records
    }

    fn flush_chunk(&mut self) -> io::Result<()> {
        let data = self.chunk.seal();
        self.out.write_all(data)?;
        self.chunk.reset();
        self.chunks_written += 1;
        Ok(())
    }

    /// Writes the last chunk and the final (clean) file header, flushes, and returns the
    /// output positioned at its end.
    pub fn finish(mut self) -> io::Result<W> {
        if !self.chunk.is_empty() {
            self.flush_chunk()?;
        }
        let end = FILE_HEADER_SIZE as u64 + self.chunks_written * CHUNK_SIZE as u64;
        self.out.seek(SeekFrom::Start(0))?;
        self.out
            .write_all(&file_header(self.chunks_written, self.next_record_id, 0))?;
        self.out.seek(SeekFrom::Start(end))?;
        self.out.flush()?;
        Ok(self.out)
    }
}

fn too_big(id: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("record {id} does not fit in one EVTX chunk (at most {MAX_RECORD_SIZE} bytes)"),
    )
}

/// The same error, with the file named first.
fn with_path(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// Writes `events` to a new EVTX file at `path` and returns its size in bytes. For fixtures
/// made from hand-built [`Event`]s.
pub fn write_events<'a>(
    path: &Path,
    events: impl IntoIterator<Item = &'a Event>,
) -> io::Result<u64> {
    let mut writer = EvtxWriter::create(path)?;
    for event in events {
        writer.write_event(event).map_err(|e| with_path(path, e))?;
    }
    finish_file(path, writer)
}

/// Finishes `writer` (a file at `path`) and returns the file's size.
fn finish_file(path: &Path, writer: EvtxWriter<BufWriter<File>>) -> io::Result<u64> {
    let mut out = writer.finish().map_err(|e| with_path(path, e))?;
    out.stream_position().map_err(|e| with_path(path, e))
}
