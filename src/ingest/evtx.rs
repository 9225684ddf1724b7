//! Binary `.evtx` files through the evtx crate, with every problem reported.
//!
//! Two passes: a cheap scan of the file header and chunk headers (our own CRC32 and size
//! checks, so that damage the crate tolerates silently still becomes a warning), then the
//! crate's parallel record pipeline, whose per-record conversion to [`Event`] runs on the
//! crate's own chunk pool. Record recovery is on: records carved from unallocated space are
//! marked `recovered` and counted in a warning.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use ::evtx::err::EvtxError;
use ::evtx::{EvtxParser, ParserSettings};

use super::doc::Doc;
use super::evtx_json::event_from_doc;
use super::{BATCH, Progress, ReadOptions, Sink};
use crate::model::{Event, EventTime, Format, Source, SourceId, Warning};

const FILE_HEADER_SIZE: u64 = 4096;
const CHUNK_SIZE: u64 = 65536;
const CHUNK_HEADER_SIZE: usize = 512;

/// What the header scan learnt about one chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkSpan {
    /// The chunk's number in the file.
    pub number: u64,
    pub first_record_id: u64,
    pub last_record_id: u64,
}

/// Reads an EVTX file into `sink`, filling `info` (format, record count, warnings, error).
pub fn read_evtx(
    path: &Path,
    source: SourceId,
    options: ReadOptions,
    info: &mut Source,
    sink: &mut Sink<'_>,
) {
    let total_bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if total_bytes < FILE_HEADER_SIZE {
        info.error = Some(format!(
            "not a complete EVTX file (header is {total_bytes} of {FILE_HEADER_SIZE} bytes)"
        ));
        return;
    }
    info.format = Some(Format::Evtx);
    let warn = |info: &mut Source, location: String, message: String| {
        info.warnings.push(Warning {
            path: path.to_path_buf(),
            location,
            message,
        })
    };
    // Chunks whose bad magic the scan reported already: the crate's error would repeat it.
    let mut reported_chunks = Vec::new();
    match scan_chunks(path, total_bytes) {
        Ok(scan) => {
            reported_chunks = scan.bad_magic;
            for (location, message) in scan.notes {
                warn(info, location, message);
            }
        }
        Err(e) => warn(info, "header".to_owned(), format!("chunk scan failed: {e}")),
    }

    let settings = ParserSettings::new()
        .num_threads(options.evtx_threads)
        .recover_records(true);
    let mut parser = match EvtxParser::from_path(path) {
        Ok(parser) => parser.with_configuration(settings),
        Err(e) => {
            info.error = Some(format!("cannot open as EVTX: {}", error_chain(&e)));
            return;
        }
    };
    let mut batch = Vec::with_capacity(BATCH);
    let mut records = 0u64;
    let mut recovered = 0u64;
    let mut last_chunk_first_id = None;
    let mut chunks_seen = 0u64;
    let mut stopped = false;
    // The record is rendered and turned into an `Event` inside the crate's chunk pool, so
    // both run on every thread the pool has; this loop only numbers and batches.
    for item in parser.serialized_records(|record| {
        let record = record?;
        let chunk_first_id = record.chunk.header.first_event_record_id;
        let record_id = record.event_record_id;
        let timestamp = record.timestamp;
        let json = record.into_json_bytes()?;
        let recovered = json.recovered;
        let event = match Doc::parse(&json.data) {
            Ok(doc) => event_from_doc(&doc).map_err(|e| e.0),
            Err(e) => Err(format!("the crate's JSON does not parse: {e}")),
        };
        // An event without TimeCreated (or one that could not be read) takes the record
        // header's time.
        let header_time = || {
            timestamp
                .to_string()
                .parse()
                .map(EventTime::Utc)
                .unwrap_or(EventTime::Missing)
        };
        let event = match event {
            Ok(mut event) => {
                if matches!(event.time, EventTime::Missing) {
                    event.time = header_time();
                }
                Ok(event)
            }
            Err(message) => Err((message, header_time())),
        };
        Ok((chunk_first_id, record_id, recovered, event))
    }) {
        match item {
            Ok((chunk_first_id, record_id, was_recovered, event)) => {
                if last_chunk_first_id != Some(chunk_first_id) {
                    last_chunk_first_id = Some(chunk_first_id);
                    chunks_seen += 1;
                }
                records += 1;
                let mut event = match event {
                    Ok(event) => event,
                    Err((e, header_time)) => {
                        warn(
                            info,
                            format!("record {record_id}"),
                            format!("not an event: {e}"),
                        );
                        Event {
                            time: header_time,
                            ..Event::default()
                        }
                    }
                };
                event.source = source;
                event.position = u32::try_from(records).unwrap_or(u32::MAX);
                event.record_id = Some(record_id);
                event.recovered = was_recovered;
                if was_recovered {
                    recovered += 1;
                }
                batch.push(event);
                if batch.len() >= BATCH {
                    let progress = Progress {
                        done_bytes: (FILE_HEADER_SIZE + chunks_seen * CHUNK_SIZE).min(total_bytes),
                        total_bytes,
                        records,
                    };
                    if !sink(std::mem::take(&mut batch), progress) {
                        stopped = true;
                        break;
                    }
                }
            }
            Err(EvtxError::FailedToParseChunk { chunk_id, .. })
                if reported_chunks.contains(&chunk_id) => {}
            Err(e) => {
                let (location, message) = describe_error(&e, path);
                warn(info, location, message);
            }
        }
    }
    info.records = records;
    if recovered > 0 {
        warn(
            info,
            "unallocated space".to_owned(),
            format!("{recovered} deleted records recovered (marked \"recovered\")"),
        );
    }
    if !stopped && !batch.is_empty() {
        let progress = Progress {
            done_bytes: total_bytes,
            total_bytes,
            records,
        };
        sink(batch, progress);
    }
}

/// Where a crate error happened and what it was, from its variant and source chain.
fn describe_error(error: &EvtxError, path: &Path) -> (String, String) {
    let location = match error {
        EvtxError::FailedToParseChunk { chunk_id, .. } => format!(
            "chunk {chunk_id} (file offset {:#x})",
            FILE_HEADER_SIZE + chunk_id * CHUNK_SIZE
        ),
        EvtxError::FailedToParseRecord { record_id, .. } => format!("record {record_id}"),
        EvtxError::FailedToReadRecordAt {
            chunk: Some(chunk),
            offset,
            ..
        } => {
            let at = FILE_HEADER_SIZE + chunk * CHUNK_SIZE + offset;
            match record_id_at(path, at) {
                Some(id) => format!("record {id} (chunk {chunk}, file offset {at:#x})"),
                None => format!("chunk {chunk}, record at file offset {at:#x}"),
            }
        }
        EvtxError::FailedToReadRecordAt {
            chunk: None,
            offset,
            ..
        } => {
            format!("record at chunk offset {offset:#x}")
        }
        _ => "file".to_owned(),
    };
    (location, format!("skipped: {}", error_chain(error)))
}

/// The EventRecordID in the record header at `offset` of the file, if a record header
/// (magic `**\0\0`) is there: names a record the crate could not read.
fn record_id_at(path: &Path, offset: u64) -> Option<u64> {
    use std::io::{Read as _, Seek as _, SeekFrom};
    let mut file = std::fs::File::open(path).ok()?;
    file.seek(SeekFrom::Start(offset)).ok()?;
    let mut header = [0u8; 16];
    file.read_exact(&mut header).ok()?;
    if header[..4] != *b"**\0\0" {
        return None;
    }
    let id: [u8; 8] = header[8..16].try_into().ok()?;
    Some(u64::from_le_bytes(id))
}

/// An error and all its sources on one line.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let inner_text = inner.to_string();
        if !text.contains(&inner_text) {
            text.push_str(": ");
            text.push_str(&inner_text);
        }
        source = inner.source();
    }
    text
}

/// The header scan's result: notes to report, and each readable chunk's record range.
#[derive(Debug, Default)]
pub struct ChunkScan {
    pub notes: Vec<(String, String)>,
    pub chunks: Vec<ChunkSpan>,
    /// Chunks that do not start with the chunk magic.
    pub bad_magic: Vec<u64>,
}

fn le_u32(bytes: &[u8], at: usize) -> u32 {
    bytes
        .get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
        .unwrap_or(0)
}

fn le_u64(bytes: &[u8], at: usize) -> u64 {
    bytes
        .get(at..at + 8)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_le_bytes)
        .unwrap_or(0)
}

/// Checks the file header and every chunk: magic, both CRC32s, truncation.
pub fn scan_chunks(path: &Path, total_bytes: u64) -> std::io::Result<ChunkScan> {
    let mut scan = ChunkScan::default();
    let mut file = File::open(path)?;
    let mut header = vec![0u8; FILE_HEADER_SIZE as usize];
    file.read_exact(&mut header)?;
    if !header.starts_with(b"ElfFile\0") {
        scan.notes.push((
            "header".to_owned(),
            "file header magic is not ElfFile".to_owned(),
        ));
    }
    // A dirty flag (log copied while open) is normal for live logs and not reported: the
    // crate reads the chunks past the header's stale counts anyway.
    let flags = le_u32(&header, 120);
    let stored_crc = le_u32(&header, 124);
    if flags & 0x4 == 0 && stored_crc != crc32fast::hash(&header[..120]) {
        scan.notes.push((
            "header".to_owned(),
            format!(
                "file header CRC32 mismatch (stored {stored_crc:#010x}, computed {:#010x})",
                crc32fast::hash(&header[..120])
            ),
        ));
    }
    let body = total_bytes - FILE_HEADER_SIZE;
    let whole_chunks = body / CHUNK_SIZE;
    let tail = body % CHUNK_SIZE;
    if tail != 0 {
        scan.notes.push((
            format!("chunk {whole_chunks}"),
            format!(
                "truncated: chunk {whole_chunks} is {tail} of {CHUNK_SIZE} bytes; its records are lost"
            ),
        ));
    }
    let mut chunk = vec![0u8; CHUNK_SIZE as usize];
    for number in 0..whole_chunks {
        file.seek(SeekFrom::Start(FILE_HEADER_SIZE + number * CHUNK_SIZE))?;
        file.read_exact(&mut chunk)?;
        if chunk.iter().all(|b| *b == 0) {
            continue;
        }
        let location = format!(
            "chunk {number} (file offset {:#x})",
            FILE_HEADER_SIZE + number * CHUNK_SIZE
        );
        if !chunk.starts_with(b"ElfChnk\0") {
            scan.notes.push((
                location,
                format!(
                    "bad chunk magic {:02X?}; the crate skips this chunk",
                    &chunk[..8]
                ),
            ));
            scan.bad_magic.push(number);
            continue;
        }
        let first_record_id = le_u64(&chunk, 24);
        let last_record_id = le_u64(&chunk, 32);
        let free_space = le_u32(&chunk, 48) as usize;
        let stored_data_crc = le_u32(&chunk, 52);
        let stored_header_crc = le_u32(&chunk, 124);
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&chunk[..120]);
        hasher.update(&chunk[128..CHUNK_HEADER_SIZE]);
        let header_crc = hasher.finalize();
        if header_crc != stored_header_crc {
            scan.notes.push((
                location.clone(),
                format!(
                    "chunk header CRC32 mismatch (stored {stored_header_crc:#010x}, computed {header_crc:#010x}); records loaded anyway"
                ),
            ));
        }
        if free_space >= CHUNK_HEADER_SIZE && free_space <= chunk.len() {
            let data_crc = crc32fast::hash(&chunk[CHUNK_HEADER_SIZE..free_space]);
            if data_crc != stored_data_crc {
                scan.notes.push((
                    location.clone(),
                    format!(
                        "records CRC32 mismatch (stored {stored_data_crc:#010x}, computed {data_crc:#010x}); records loaded anyway"
                    ),
                ));
            }
        } else {
            scan.notes.push((
                location.clone(),
                format!("free space offset {free_space:#x} is outside the chunk"),
            ));
        }
        scan.chunks.push(ChunkSpan {
            number,
            first_record_id,
            last_record_id,
        });
    }
    Ok(scan)
}

/// Reads one record again, by its record id, as the crate's JSON (the raw event on demand).
/// Only the chunk whose header claims the id is parsed.
pub fn raw_record(path: &Path, record_id: u64) -> Result<serde_json::Value, String> {
    let total_bytes = std::fs::metadata(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    let scan = scan_chunks(path, total_bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    for span in scan
        .chunks
        .iter()
        .filter(|s| (s.first_record_id..=s.last_record_id).contains(&record_id))
    {
        let mut data = vec![0u8; CHUNK_SIZE as usize];
        file.seek(SeekFrom::Start(FILE_HEADER_SIZE + span.number * CHUNK_SIZE))
            .and_then(|_| file.read_exact(&mut data))
            .map_err(|e| format!("{}: chunk {}: {e}", path.display(), span.number))?;
        let mut chunk_data = ::evtx::EvtxChunkData::new(data, false)
            .map_err(|e| format!("{}: chunk {}: {e}", path.display(), span.number))?;
        let settings = std::sync::Arc::new(ParserSettings::new().recover_records(true));
        let mut chunk = chunk_data
            .parse(settings)
            .map_err(|e| format!("{}: chunk {}: {e}", path.display(), span.number))?;
        for record in chunk.iter().flatten() {
            if record.event_record_id == record_id {
                return record
                    .into_json_value()
                    .map(|r| r.data)
                    .map_err(|e| format!("record {record_id}: {}", error_chain(&e)));
            }
        }
    }
    Err(format!(
        "record {record_id} not found again in {}",
        path.display()
    ))
}
