//! Our own reader of EVTX records, from the chunk's BinXML straight to [`Event`]s.
//!
//! The evtx crate's public API hands a record out only as JSON or XML text; reading that text
//! back costs more than the crate's own work. For a chunk the crate would read without a
//! second thought (both CRC32s right, as the caller checks; records one after another from the
//! header's first id to its last, ending at the free space, no stale record left after it),
//! this module walks
//! the records itself and decodes their BinXML ([`tokens`]), instantiates templates
//! ([`tree`]) and maps the elements to an event exactly as the crate's JSON would be read
//! ([`event`]). Any chunk with something else (damage, deleted records to carve, a token or
//! value type not handled here) is `None`, and the caller gives that chunk to the crate:
//! unusual input costs speed, never a different result. Plain data, no I/O, no threads.

pub mod event;
pub mod tokens;
pub mod tree;

use std::collections::HashMap;
use std::rc::Rc;

use ::evtx::{EvtxChunkData, EvtxChunkHeader};

use self::event::{Names, event_of, filetime};
use self::tokens::{
    Cursor, Item, Mode, Read, Val, definition_span, read_instance, read_items, readable_utf16,
};
use self::tree::{Expand, Tree};
use crate::evtx_format::{CHUNK_HEADER_SIZE, RECORD_HEADER_SIZE, RECORD_MAGIC, STRING_BUCKETS};
use crate::model::{Event, EventTime};

/// One live record: its id, header time and where its BinXML is in the chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiveRecord {
    pub record_id: u64,
    pub filetime: u64,
    pub start: usize,
    pub end: usize,
}

/// Every record of `chunk` as an event with its record id set (and the record header's time
/// when the event has none), or `None` if any part of the chunk is left to the crate. The
/// caller has checked the chunk's CRC32s (`ingest::evtx::chunk_notes`).
pub fn decode_chunk(chunk: &EvtxChunkData) -> Option<Vec<Event>> {
    let (records, mut decoder) = healthy(chunk)?;
    records
        .iter()
        .map(|record| decoder.record(record).ok())
        .collect()
}

/// As [`decode_chunk`], record by record: `None` when the chunk is not healthy, else each
/// record's event or [`Unsupported`] (for tests that compare every decodable record).
pub fn decode_records(chunk: &EvtxChunkData) -> Option<Vec<Read<Event>>> {
    let (records, mut decoder) = healthy(chunk)?;
    Some(
        records
            .iter()
            .map(|record| decoder.record(record))
            .collect(),
    )
}

fn healthy(chunk: &EvtxChunkData) -> Option<(Vec<LiveRecord>, Decoder<'_>)> {
    let records = live_records(&chunk.data, &chunk.header)?;
    string_table_readable(&chunk.data).ok()?;
    Some((records, Decoder::new(&chunk.data)))
}

/// Where the chunk header keeps its 64 string-table bucket offsets.
const STRING_BUCKET_OFFSETS: std::ops::Range<usize> = 128..128 + 4 * STRING_BUCKETS;

/// The crate reads the chunk's whole string table (every bucket's chain of names) before any
/// record and gives up on the chunk when a name there cannot be read or a link points past
/// the chunk; this reader looks names up only where records use them, so it checks the same
/// up front, to leave such a chunk to the crate rather than read it differently.
fn string_table_readable(data: &[u8]) -> Read<()> {
    let buckets = data
        .get(STRING_BUCKET_OFFSETS)
        .ok_or(crate::unsupported!())?;
    let mut seen = std::collections::HashSet::new();
    for bucket in buckets.chunks_exact(4) {
        let mut offset = u32::from_le_bytes([bucket[0], bucket[1], bucket[2], bucket[3]]);
        while offset != 0 && seen.insert(offset) {
            let mut cursor = Cursor::new(data, offset as usize);
            let next = cursor.u32()?;
            cursor.u16()?; // hash
            let chars = usize::from(cursor.u16()?);
            if !readable_utf16(cursor.take(chars * 2)?) {
                return Err(crate::unsupported!());
            }
            cursor.u16()?; // NUL
            if next as usize > data.len() {
                return Err(crate::unsupported!());
            }
            offset = next;
        }
    }
    Ok(())
}

/// The chunk's records, walked as the crate walks a healthy chunk; `None` when the walk
/// finds anything the crate would have to work around (or recover records from).
pub fn live_records(data: &[u8], header: &EvtxChunkHeader) -> Option<Vec<LiveRecord>> {
    let free = header.free_space_offset as usize;
    let (first, last) = (header.first_event_record_id, header.last_event_record_id);
    if free < CHUNK_HEADER_SIZE || free > data.len() || first > last {
        return None;
    }
    let capacity = usize::try_from(last - first + 1).ok()?.min(4096);
    let mut records = Vec::with_capacity(capacity);
    let mut at = CHUNK_HEADER_SIZE;
    let mut expected = first;
    while at < free {
        let head = data.get(at..at + RECORD_HEADER_SIZE)?;
        if head[..4] != RECORD_MAGIC {
            return None;
        }
        let size = u32::from_le_bytes(head[4..8].try_into().ok()?) as usize;
        let record_id = u64::from_le_bytes(head[8..16].try_into().ok()?);
        let ticks = u64::from_le_bytes(head[16..24].try_into().ok()?);
        let end = at.checked_add(size)?;
        if size < RECORD_HEADER_SIZE + 4 || end > free || record_id != expected {
            return None;
        }
        let copy = u32::from_le_bytes(data.get(end - 4..end)?.try_into().ok()?) as usize;
        if copy != size || filetime(ticks).is_none() {
            return None;
        }
        records.push(LiveRecord {
            record_id,
            filetime: ticks,
            start: at + RECORD_HEADER_SIZE,
            end: end - 4,
        });
        at = end;
        if record_id == last {
            break;
        }
        expected += 1;
    }
    let complete = records.last().is_some_and(|r| r.record_id == last) && at == free;
    let stale = memchr::memmem::find(&data[free..], &RECORD_MAGIC).is_some();
    (complete && !stale).then_some(records)
}

/// What decoding one chunk keeps between its records.
struct Decoder<'c> {
    data: &'c [u8],
    names: Names<'c>,
    /// Template definitions by chunk offset.
    templates: HashMap<u32, Rc<[Item<'c>]>>,
    items: Vec<Item<'c>>,
    tree: Tree<'c>,
}

impl<'c> Decoder<'c> {
    fn new(data: &'c [u8]) -> Decoder<'c> {
        Decoder {
            data,
            names: Names::new(data),
            templates: HashMap::new(),
            items: Vec::new(),
            tree: Tree::default(),
        }
    }

    fn record(&mut self, record: &LiveRecord) -> Read<Event> {
        let mut items = std::mem::take(&mut self.items);
        let mut tree = std::mem::take(&mut self.tree);
        let built = self.build(record.start, record.end, &mut items, &mut tree);
        let event = built.and_then(|()| event_of(&tree, &mut self.names));
        self.items = items;
        self.tree = tree;
        let mut event = event?;
        event.record_id = Some(record.record_id);
        if matches!(event.time, EventTime::Missing) {
            event.time = EventTime::Utc(filetime(record.filetime).ok_or(crate::unsupported!())?);
        }
        Ok(event)
    }

    /// The record's tree: its own elements, or the template instance it holds.
    fn build(
        &mut self,
        start: usize,
        end: usize,
        items: &mut Vec<Item<'c>>,
        tree: &mut Tree<'c>,
    ) -> Read<()> {
        items.clear();
        match self.stream(start, end, items)? {
            Some((template, values)) => tree.build(&template, &values, self),
            None => tree.build(items, &[], self),
        }
    }

    /// Reads a stream into `items`, or, when it is one template instance, returns that
    /// template's items and the instance's values.
    #[allow(clippy::type_complexity)]
    fn stream(
        &mut self,
        start: usize,
        end: usize,
        items: &mut Vec<Item<'c>>,
    ) -> Read<Option<(Rc<[Item<'c>]>, Vec<Val<'c>>)>> {
        let mut cursor = Cursor::new(self.data, start);
        let before = items.len();
        let instance_follows = read_items(&mut cursor, end, Mode::Record, items)?;
        self.check_names(&items[before..])?;
        if !instance_follows {
            return Ok(None);
        }
        if !items.is_empty() {
            return Err(crate::unsupported!());
        }
        let instance = read_instance(&mut cursor)?;
        // The stream must end with the instance.
        if cursor.pos < end && self.data[cursor.pos] != 0 {
            return Err(crate::unsupported!());
        }
        Ok(Some((self.template(instance.definition)?, instance.values)))
    }

    /// Every element and attribute name of `items` must be readable, also those the event
    /// leaves out: the crate reads every name, and a record it cannot read must not be one
    /// this reader shows.
    fn check_names(&mut self, items: &[Item<'c>]) -> Read<()> {
        for item in items {
            if let Item::Open { name, .. } | Item::Attr { name } = item {
                self.names.name(*name)?;
            }
        }
        Ok(())
    }

    /// The items of the template defined at chunk offset `offset` (read once per chunk).
    fn template(&mut self, offset: u32) -> Read<Rc<[Item<'c>]>> {
        if let Some(items) = self.templates.get(&offset) {
            return Ok(Rc::clone(items));
        }
        let (start, end) = definition_span(self.data, offset)?;
        let mut items = Vec::new();
        let mut cursor = Cursor::new(self.data, start);
        // A definition with no element (damage pointing the instance elsewhere) is one the
        // crate refuses.
        if read_items(&mut cursor, end, Mode::TemplateDefinition, &mut items)?
            || !items.iter().any(|item| matches!(item, Item::Open { .. }))
        {
            return Err(crate::unsupported!());
        }
        self.check_names(&items)?;
        let items: Rc<[Item<'c>]> = items.into();
        self.templates.insert(offset, Rc::clone(&items));
        Ok(items)
    }
}

impl<'c> Expand<'c> for Decoder<'c> {
    fn expand(&mut self, start: u32, end: u32) -> Read<(Rc<[Item<'c>]>, Vec<Val<'c>>)> {
        let mut items = Vec::new();
        match self.stream(start as usize, end as usize, &mut items)? {
            Some(instance) => Ok(instance),
            None => Ok((items.into(), Vec::new())),
        }
    }
}
