//! Binary `.evtx` files, with every problem reported.
//!
//! Two passes: a cheap scan of the file header and chunk headers (our own CRC32 and size
//! checks, so that damage the crate tolerates silently still becomes a warning), then the
//! chunks in record order as the evtx crate reads them, each decoded on the chunk workers
//! (`jobs::pool`): a healthy chunk by our own BinXML reader (`ingest::binxml`), any other by
//! the crate with record recovery on (records carved from unallocated space are marked
//! `recovered` and counted in a warning).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use std::sync::Arc;

use ::evtx::err::{ChunkError, DeserializationError, EvtxError};
use ::evtx::{EvtxChunkData, EvtxParser, ParserSettings};

use super::doc::Doc;
use super::evtx_json::event_from_doc;
use super::{Progress, ReadOptions, Renumber};
use crate::evtx_format::{self, CHUNK_HEADER_SIZE};
use crate::model::{Event, EventTime, Format, Source, SourceId, Warning};

/// The format's sizes as file offsets.
const FILE_HEADER_SIZE: u64 = evtx_format::FILE_HEADER_SIZE as u64;
const CHUNK_SIZE: u64 = evtx_format::CHUNK_SIZE as u64;

/// What the header scan learnt about one chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkSpan {
    /// The chunk's number in the file.
    pub number: u64,
    pub first_record_id: u64,
    pub last_record_id: u64,
}

/// Reads an EVTX file: each chunk is decoded by our own BinXML reader when it is healthy and
/// by the evtx crate otherwise, on the chunk workers, and `prepare`d there too; the
/// prepared batches reach `sink` in record order. Fills `info` (format, record count,
/// warnings, error).
pub fn read_evtx<B, P, S>(
    path: &Path,
    source: SourceId,
    options: ReadOptions,
    info: &mut Source,
    prepare: &P,
    sink: &mut S,
) where
    B: Renumber + Send,
    P: Fn(Vec<Event>) -> B + Sync,
    S: FnMut(B, Progress) -> bool + ?Sized,
{
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
    match scan_header(path, total_bytes) {
        Ok(notes) => {
            for (location, message) in notes {
                warn(info, location, message);
            }
        }
        Err(e) => warn(
            info,
            "header".to_owned(),
            format!("header scan failed: {e}"),
        ),
    }

    let settings = ParserSettings::new().num_threads(1).recover_records(true);
    let mut parser = match EvtxParser::from_path(path) {
        Ok(parser) => parser.with_configuration(settings.clone()),
        Err(e) => {
            info.error = Some(format!("cannot open as EVTX: {}", error_chain(&e)));
            return;
        }
    };
    let settings = Arc::new(settings);
    let threads = match options.evtx_threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let mut records = 0u64;
    let mut recovered = 0u64;
    let mut chunks_seen = 0u64;
    let work = |chunk| {
        let mut read = read_chunk(chunk, &settings, path, source);
        let batch = (!read.events.is_empty()).then(|| prepare(std::mem::take(&mut read.events)));
        (read, batch)
    };
    crate::jobs::pool::map_ordered(threads, parser.chunks(), work, |(read, batch)| {
        chunks_seen += 1;
        for (location, message) in read.warnings {
            warn(info, location, message);
        }
        recovered += read.recovered;
        let Some(mut batch) = batch else {
            return true;
        };
        batch.renumber(u32::try_from(records).unwrap_or(u32::MAX));
        records += read.records;
        let progress = Progress {
            done_bytes: (FILE_HEADER_SIZE + chunks_seen * CHUNK_SIZE).min(total_bytes),
            total_bytes,
            records,
        };
        sink(batch, progress)
    });
    info.records = records;
    if recovered > 0 {
        warn(
            info,
            "unallocated space".to_owned(),
            format!("{recovered} deleted records recovered (marked \"recovered\")"),
        );
    }
}

/// What one chunk gave: its events (positions from 1 within the chunk), warnings and counts.
struct ChunkRead {
    events: Vec<Event>,
    records: u64,
    recovered: u64,
    warnings: Vec<(String, String)>,
}

/// Reads one chunk: checks it (our own CRC32 and offset checks, so that damage the crate
/// tolerates silently still becomes a warning), then decodes it with our own reader when it is
/// healthy and with the crate otherwise.
fn read_chunk(
    chunk: Result<EvtxChunkData, EvtxError>,
    settings: &Arc<ParserSettings>,
    path: &Path,
    source: SourceId,
) -> ChunkRead {
    let mut read = ChunkRead {
        events: Vec::new(),
        records: 0,
        recovered: 0,
        warnings: Vec::new(),
    };
    let mut data = match chunk {
        Ok(data) => data,
        Err(EvtxError::FailedToParseChunk { chunk_id, source })
            if matches!(
                *source,
                ChunkError::FailedToParseChunkHeader(
                    DeserializationError::InvalidEvtxChunkMagic { .. }
                )
            ) =>
        {
            if let ChunkError::FailedToParseChunkHeader(
                DeserializationError::InvalidEvtxChunkMagic { magic },
            ) = *source
            {
                read.warnings.push((
                    chunk_location(chunk_id),
                    format!("bad chunk magic {magic:02X?}; the crate skips this chunk"),
                ));
            }
            return read;
        }
        Err(e) => {
            read.warnings.push(describe_error(&e, path));
            return read;
        }
    };
    let number = data.number.unwrap_or(0);
    read.warnings = chunk_notes(number, &data.data);
    let decoded = if read.warnings.is_empty() {
        super::binxml::decode_chunk(&data)
    } else {
        None
    };
    let events = match decoded {
        Some(events) => events,
        None => {
            let (events, warnings) = crate_chunk(&mut data, settings, path);
            read.warnings.extend(warnings);
            events
        }
    };
    read.events = events;
    for (i, event) in read.events.iter_mut().enumerate() {
        event.source = source;
        event.locator = number;
        event.position = u32::try_from(i + 1).unwrap_or(u32::MAX);
        read.recovered += u64::from(event.recovered);
    }
    read.records = read.events.len() as u64;
    read
}

/// A chunk read by the evtx crate (record recovery on), the way every chunk our own decoder
/// leaves is read: each record rendered as the crate's JSON and read back. A record that is
/// not an event still counts, with the record header's time and a warning; a record the crate
/// cannot read is a warning (location, message). `path` names the file in warnings.
pub fn crate_chunk(
    data: &mut EvtxChunkData,
    settings: &Arc<ParserSettings>,
    path: &Path,
) -> (Vec<Event>, Vec<(String, String)>) {
    let mut warnings = Vec::new();
    let number = data.number.unwrap_or(0);
    let mut chunk = match data.parse(Arc::clone(settings)) {
        Ok(chunk) => chunk,
        Err(e) => {
            let e = EvtxError::FailedToParseChunk {
                chunk_id: number,
                source: Box::new(e),
            };
            warnings.push(describe_error(&e, path));
            return (Vec::new(), warnings);
        }
    };
    let mut events = Vec::new();
    for record in chunk.iter() {
        let converted = match record {
            Ok(record) => {
                let was_recovered = record.recovered;
                match crate_record(record) {
                    Ok(converted) => Ok(converted),
                    // Carved hits that fail to render are noise, as the crate itself says.
                    Err(_) if was_recovered => continue,
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(e),
        };
        match converted {
            Ok((record_id, was_recovered, event)) => {
                let mut event = match event {
                    Ok(event) => event,
                    Err((e, header_time)) => {
                        warnings
                            .push((format!("record {record_id}"), format!("not an event: {e}")));
                        Event {
                            time: header_time,
                            ..Event::default()
                        }
                    }
                };
                event.record_id = Some(record_id);
                event.recovered = was_recovered;
                events.push(event);
            }
            Err(e) => warnings.push(describe_error(&e, path)),
        }
    }
    (events, warnings)
}

/// A record converted through the crate's JSON: (record id, recovered, the event or why it is
/// not one together with the record header's time).
type CrateRecord = (u64, bool, Result<Event, (String, EventTime)>);

/// `json` with every raw control character inside a string written as `\u00XX` (outside
/// strings, where JSON allows only white space, nothing is changed).
fn escape_control_characters_in_strings(json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len() + 16);
    let (mut in_string, mut escaped) = (false, false);
    for &b in json {
        if in_string && !escaped && b < 0x20 {
            out.extend_from_slice(format!("\\u{b:04x}").as_bytes());
            continue;
        }
        out.push(b);
        if escaped {
            escaped = false;
        } else if in_string && b == b'\\' {
            escaped = true;
        } else if b == b'"' {
            in_string = !in_string;
        }
    }
    out
}

fn crate_record(record: ::evtx::EvtxRecord<'_>) -> Result<CrateRecord, EvtxError> {
    let record_id = record.event_record_id;
    let timestamp = record.timestamp;
    let json = record.into_json_bytes()?;
    // The crate writes names and some text unescaped: a damaged or carved record can hold a
    // raw control character inside a string. When the text does not parse and escaping those
    // changes it, the escaped text is read (the first error is kept otherwise).
    let repaired;
    let parsed = match Doc::parse(&json.data) {
        Err(first) => {
            repaired = escape_control_characters_in_strings(&json.data);
            if repaired == json.data {
                Err(first)
            } else {
                Doc::parse(&repaired)
            }
        }
        ok => ok,
    };
    let event = match parsed {
        Ok(doc) => event_from_doc(&doc).map_err(|e| e.0),
        Err(e) => Err(format!("the crate's JSON does not parse: {e}")),
    };
    // An event without TimeCreated (or one that could not be read) takes the record header's
    // time.
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
    Ok((record_id, json.recovered, event))
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

/// The chunk's location in warnings: `chunk N (file offset 0x…)`.
fn chunk_location(number: u64) -> String {
    format!(
        "chunk {number} (file offset {:#x})",
        FILE_HEADER_SIZE + number * CHUNK_SIZE
    )
}

/// Checks the file header (magic, CRC32) and whether the file ends inside a chunk.
pub fn scan_header(path: &Path, total_bytes: u64) -> std::io::Result<Vec<(String, String)>> {
    let mut notes = Vec::new();
    let mut file = File::open(path)?;
    let mut header = vec![0u8; FILE_HEADER_SIZE as usize];
    file.read_exact(&mut header)?;
    if !header.starts_with(b"ElfFile\0") {
        notes.push((
            "header".to_owned(),
            "file header magic is not ElfFile".to_owned(),
        ));
    }
    // A dirty flag (log copied while open) is normal for live logs and not reported: the
    // crate reads the chunks past the header's stale counts anyway.
    let flags = le_u32(&header, 120);
    let stored_crc = le_u32(&header, 124);
    if flags & 0x4 == 0 && stored_crc != crc32fast::hash(&header[..120]) {
        notes.push((
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
        notes.push((
            format!("chunk {whole_chunks}"),
            format!(
                "truncated: chunk {whole_chunks} is {tail} of {CHUNK_SIZE} bytes; its records are lost"
            ),
        ));
    }
    Ok(notes)
}

/// Checks one chunk (`chunk` holds its bytes, magic already checked): both CRC32s and the free
/// space offset. No notes means the chunk is sound.
pub fn chunk_notes(number: u64, chunk: &[u8]) -> Vec<(String, String)> {
    let mut notes = Vec::new();
    let free_space = le_u32(chunk, 48) as usize;
    let stored_data_crc = le_u32(chunk, 52);
    let stored_header_crc = le_u32(chunk, 124);
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(chunk.get(..120).unwrap_or_default());
    hasher.update(chunk.get(128..CHUNK_HEADER_SIZE).unwrap_or_default());
    let header_crc = hasher.finalize();
    if header_crc != stored_header_crc {
        notes.push((
            chunk_location(number),
            format!(
                "chunk header CRC32 mismatch (stored {stored_header_crc:#010x}, computed {header_crc:#010x}); records loaded anyway"
            ),
        ));
    }
    match chunk.get(CHUNK_HEADER_SIZE..free_space) {
        Some(records) => {
            let data_crc = crc32fast::hash(records);
            if data_crc != stored_data_crc {
                notes.push((
                    chunk_location(number),
                    format!(
                        "records CRC32 mismatch (stored {stored_data_crc:#010x}, computed {data_crc:#010x}); records loaded anyway"
                    ),
                ));
            }
        }
        None => notes.push((
            chunk_location(number),
            format!("free space offset {free_space:#x} is outside the chunk"),
        )),
    }
    notes
}

/// Every readable chunk's record range, from the chunk headers.
pub fn scan_chunks(path: &Path, total_bytes: u64) -> std::io::Result<Vec<ChunkSpan>> {
    let mut spans = Vec::new();
    let mut file = File::open(path)?;
    let mut header = [0u8; CHUNK_HEADER_SIZE];
    let whole_chunks = total_bytes.saturating_sub(FILE_HEADER_SIZE) / CHUNK_SIZE;
    for number in 0..whole_chunks {
        file.seek(SeekFrom::Start(FILE_HEADER_SIZE + number * CHUNK_SIZE))?;
        file.read_exact(&mut header)?;
        if !header.starts_with(b"ElfChnk\0") {
            continue;
        }
        spans.push(ChunkSpan {
            number,
            first_record_id: le_u64(&header, 24),
            last_record_id: le_u64(&header, 32),
        });
    }
    Ok(spans)
}

/// Reads one record again, by its record id, as the crate's JSON (the raw event on demand).
/// The chunk it was read from (`chunk`, the event's locator) is parsed first; only if the
/// record is not there are the chunk headers scanned and the chunks claiming the id tried.
pub fn raw_record(path: &Path, chunk: u64, record_id: u64) -> Result<serde_json::Value, String> {
    let total_bytes = std::fs::metadata(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    let mut file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    // A chunk the crate cannot parse is passed over; why is said if the record is not found.
    let mut unreadable = Vec::new();
    let whole_chunks = total_bytes.saturating_sub(FILE_HEADER_SIZE) / CHUNK_SIZE;
    if chunk < whole_chunks
        && let Some(found) = record_in_chunk(&mut file, path, chunk, record_id, &mut unreadable)?
    {
        return found;
    }
    let spans = scan_chunks(path, total_bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    for number in spans
        .iter()
        .filter(|s| (s.first_record_id..=s.last_record_id).contains(&record_id))
        .map(|s| s.number)
        .filter(|number| *number != chunk)
    {
        if let Some(found) = record_in_chunk(&mut file, path, number, record_id, &mut unreadable)? {
            return found;
        }
    }
    let why = if unreadable.is_empty() {
        String::new()
    } else {
        format!(" ({})", unreadable.join("; "))
    };
    Err(format!(
        "record {record_id} not found again in {}{why}",
        path.display()
    ))
}

/// Record `record_id` of chunk `number` as JSON, `None` if the chunk does not hold it (or
/// cannot be parsed: why goes to `unreadable`); `Err` when the file cannot be read.
fn record_in_chunk(
    file: &mut File,
    path: &Path,
    number: u64,
    record_id: u64,
    unreadable: &mut Vec<String>,
) -> Result<Option<Result<serde_json::Value, String>>, String> {
    let mut data = vec![0u8; CHUNK_SIZE as usize];
    file.seek(SeekFrom::Start(FILE_HEADER_SIZE + number * CHUNK_SIZE))
        .and_then(|_| file.read_exact(&mut data))
        .map_err(|e| format!("{}: chunk {number}: {e}", path.display()))?;
    let settings = std::sync::Arc::new(ParserSettings::new().recover_records(true));
    let parsed = ::evtx::EvtxChunkData::new(data, false)
        .map_err(|e| e.to_string())
        .and_then(|mut chunk_data| {
            let mut parsed = chunk_data.parse(settings).map_err(|e| e.to_string())?;
            Ok(parsed
                .iter()
                .flatten()
                .find(|record| record.event_record_id == record_id)
                .map(|record| {
                    record
                        .into_json_value()
                        .map(|r| r.data)
                        .map_err(|e| format!("record {record_id}: {}", error_chain(&e)))
                }))
        });
    match parsed {
        Ok(found) => Ok(found),
        Err(e) => {
            unreadable.push(format!("chunk {number}: {e}"));
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_only_inside_strings() {
        let json = b"{\n \"a\x08b\": \"x\\\"\x01\",\t\"c\": 1}";
        let repaired = escape_control_characters_in_strings(json);
        assert_eq!(
            String::from_utf8(repaired.clone()).unwrap(),
            "{\n \"a\\u0008b\": \"x\\\"\\u0001\",\t\"c\": 1}"
        );
        let doc = Doc::parse(&repaired).unwrap();
        assert_eq!(
            doc,
            Doc::Object(vec![
                ("a\u{8}b".into(), Doc::Str("x\"\u{1}".into())),
                ("c".into(), Doc::UInt(1)),
            ])
        );
    }
}
