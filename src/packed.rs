//! Compact storage of loaded events: what a million rows cost in memory.
//!
//! An [`Event`] is convenient (typed fields, owned strings) but heavy: a 24-field AppX event
//! takes well over a kilobyte in `Vec<(Sym, Value)>` form. The store keeps each event as a
//! [`PackedEvent`] instead: the System values the table sorts and filters on stay as plain
//! numbers and interned names, and everything else (EventData in document order with its
//! types, activity id, message, unusual time text) is encoded into one byte string (the
//! events packed together, a batch, share one allocation for theirs). An
//! [`Event`] is rebuilt on demand ([`PackedEvent::unpack`]) for the few rows on screen, the
//! selected one, an export or a rule re-evaluation, and is equal to the one packed.
//!
//! Encoding: unsigned LEB128 varints; strings as length + UTF-8; values as a tag byte and a
//! payload. Plain data, no I/O.

use chrono::{DateTime, Utc};

use std::borrow::Cow;
use std::sync::Arc;

use crate::model::{Event, EventTime, EventView, SourceId, Sym, Value};

/// One stored event. See the module documentation.
#[derive(Clone, Debug, PartialEq)]
pub struct PackedEvent {
    locator: u64,
    record_id: u64,
    keywords: u64,
    /// Seconds since 1970 and the nanoseconds within them (for [`EventTime::Utc`] and
    /// [`EventTime::NoZone`]; any year chrono holds, 1601 included).
    time_secs: i64,
    source: SourceId,
    position: u32,
    event_id: u32,
    provider: Sym,
    channel: Sym,
    computer: Sym,
    user_sid: Sym,
    process_id: u32,
    thread_id: u32,
    time_nanos: u32,
    task: u16,
    /// Which optional values are present ([`has`] bits).
    present: u16,
    version: u8,
    level: u8,
    opcode: u8,
    /// Fields, activity id, message and unusual time text.
    data: Bytes,
}

/// A packed event's byte string: a range of one allocation (a slab) that the events packed
/// together share. One allocation per batch instead of one per event saves the allocator's
/// per-block overhead and keeps a million long-lived blocks from interleaving with the
/// short-lived ones that reading makes.
#[derive(Clone, Debug)]
struct Bytes {
    /// A thin pointer (the slab's length lives with it), so `PackedEvent` stays small.
    slab: Arc<Vec<u8>>,
    start: u32,
    end: u32,
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.slab[self.start as usize..self.end as usize]
    }
}

impl PartialEq for Bytes {
    fn eq(&self, other: &Bytes) -> bool {
        **self == **other
    }
}

/// A slab is closed and a new one begun past this many bytes (ranges are `u32`).
const SLAB_LIMIT: usize = 1 << 30;

/// Bits of [`PackedEvent::present`].
mod has {
    pub const RECORD_ID: u16 = 1;
    pub const EVENT_ID: u16 = 1 << 1;
    pub const VERSION: u16 = 1 << 2;
    pub const LEVEL: u16 = 1 << 3;
    pub const TASK: u16 = 1 << 4;
    pub const OPCODE: u16 = 1 << 5;
    pub const KEYWORDS: u16 = 1 << 6;
    pub const USER_SID: u16 = 1 << 7;
    pub const PROCESS_ID: u16 = 1 << 8;
    pub const THREAD_ID: u16 = 1 << 9;
    pub const ACTIVITY_ID: u16 = 1 << 10;
    pub const MESSAGE: u16 = 1 << 11;
    pub const RECOVERED: u16 = 1 << 12;
    /// Time kinds (two bits): 0 missing, 1 UTC, 2 no zone, 3 invalid text (in `data`).
    pub const TIME_SHIFT: u16 = 13;
}

const TIME_MISSING: u16 = 0;
const TIME_UTC: u16 = 1;
const TIME_NO_ZONE: u16 = 2;
const TIME_INVALID: u16 = 3;

/// Value tags in the encoded fields.
mod tag {
    pub const NULL: u8 = 0;
    pub const FALSE: u8 = 1;
    pub const TRUE: u8 = 2;
    pub const UINT: u8 = 3;
    pub const INT: u8 = 4;
    pub const FLOAT: u8 = 5;
    pub const STR: u8 = 6;
    pub const LIST: u8 = 7;
    pub const EMPTY_STR: u8 = 8;
}

impl PackedEvent {
    /// Packs `event` (nothing is lost: `unpack` gives it back equal).
    pub fn pack(event: &Event) -> PackedEvent {
        let mut packed = PackedEvent::pack_all(std::slice::from_ref(event));
        packed.swap_remove(0)
    }

    /// Packs `events` in order, their byte strings sharing slabs.
    pub fn pack_all(events: &[Event]) -> Vec<PackedEvent> {
        let mut packed = Vec::with_capacity(events.len());
        let mut rest = events;
        while !rest.is_empty() {
            let mut buf = Vec::with_capacity(rest.len().min(4096) * 256);
            let mut ranges = Vec::with_capacity(rest.len().min(4096));
            for event in rest {
                if buf.len() > SLAB_LIMIT {
                    break;
                }
                let start = buf.len();
                encode_data(event, &mut buf);
                ranges.push((start as u32, buf.len() as u32));
            }
            buf.shrink_to_fit();
            let slab = Arc::new(buf);
            let (now, later) = rest.split_at(ranges.len());
            for (event, (start, end)) in now.iter().zip(ranges) {
                let data = Bytes {
                    slab: Arc::clone(&slab),
                    start,
                    end,
                };
                packed.push(PackedEvent::with_data(event, data));
            }
            rest = later;
        }
        packed
    }

    /// The System values of `event` around its encoded `data`.
    fn with_data(event: &Event, data: Bytes) -> PackedEvent {
        let mut present = 0u16;
        let mut flag = |bit: u16, on: bool| {
            if on {
                present |= bit;
            }
        };
        flag(has::RECORD_ID, event.record_id.is_some());
        flag(has::EVENT_ID, event.event_id.is_some());
        flag(has::VERSION, event.version.is_some());
        flag(has::LEVEL, event.level.is_some());
        flag(has::TASK, event.task.is_some());
        flag(has::OPCODE, event.opcode.is_some());
        flag(has::KEYWORDS, event.keywords.is_some());
        flag(has::USER_SID, event.user_sid.is_some());
        flag(has::PROCESS_ID, event.process_id.is_some());
        flag(has::THREAD_ID, event.thread_id.is_some());
        flag(has::ACTIVITY_ID, event.activity_id.is_some());
        flag(has::MESSAGE, event.message.is_some());
        flag(has::RECOVERED, event.recovered);
        let (kind, time_secs, time_nanos) = time_parts(&event.time);
        present |= kind << has::TIME_SHIFT;
        PackedEvent {
            locator: event.locator,
            record_id: event.record_id.unwrap_or(0),
            keywords: event.keywords.unwrap_or(0),
            time_secs,
            time_nanos,
            source: event.source,
            position: event.position,
            event_id: event.event_id.unwrap_or(0),
            provider: event.provider,
            channel: event.channel,
            computer: event.computer,
            user_sid: event.user_sid.unwrap_or(Sym::EMPTY),
            process_id: event.process_id.unwrap_or(0),
            thread_id: event.thread_id.unwrap_or(0),
            task: event.task.unwrap_or(0),
            present,
            version: event.version.unwrap_or(0),
            level: event.level.unwrap_or(0),
            opcode: event.opcode.unwrap_or(0),
            data,
        }
    }

    /// Moves the event's 1-based position in its file on by `by`.
    pub fn shift_position(&mut self, by: u32) {
        self.position = self.position.saturating_add(by);
    }

    fn has(&self, bit: u16) -> bool {
        self.present & bit != 0
    }

    fn opt<T>(&self, bit: u16, value: T) -> Option<T> {
        self.has(bit).then_some(value)
    }

    /// The event again, equal to the one packed.
    pub fn unpack(&self) -> Event {
        let mut reader = Reader {
            data: &self.data,
            at: 0,
        };
        let time = match self.time_kind() {
            TIME_UTC => EventTime::Utc(self.datetime()),
            TIME_NO_ZONE => EventTime::NoZone(self.datetime()),
            TIME_INVALID => EventTime::Invalid(reader.str().into()),
            _ => EventTime::Missing,
        };
        let activity_id = self.has(has::ACTIVITY_ID).then(|| reader.str().into());
        let message = self.has(has::MESSAGE).then(|| reader.str().into());
        let count = reader.uint() as usize;
        let mut fields = Vec::with_capacity(count);
        for _ in 0..count {
            let name = Sym::from_id(reader.uint() as u32);
            fields.push((name, reader.value()));
        }
        Event {
            source: self.source,
            position: self.position,
            locator: self.locator,
            record_id: self.opt(has::RECORD_ID, self.record_id),
            time,
            provider: self.provider,
            channel: self.channel,
            event_id: self.opt(has::EVENT_ID, self.event_id),
            version: self.opt(has::VERSION, self.version),
            level: self.opt(has::LEVEL, self.level),
            task: self.opt(has::TASK, self.task),
            opcode: self.opt(has::OPCODE, self.opcode),
            keywords: self.opt(has::KEYWORDS, self.keywords),
            computer: self.computer,
            user_sid: self.opt(has::USER_SID, self.user_sid),
            process_id: self.opt(has::PROCESS_ID, self.process_id),
            thread_id: self.opt(has::THREAD_ID, self.thread_id),
            activity_id,
            fields,
            message,
            recovered: self.has(has::RECOVERED),
        }
    }

    /// A reader positioned at the fields (past the time text, activity id and message).
    fn fields_reader(&self) -> (Reader<'_>, usize) {
        let mut reader = Reader {
            data: &self.data,
            at: 0,
        };
        if self.time_kind() == TIME_INVALID {
            reader.skip_str();
        }
        if self.has(has::ACTIVITY_ID) {
            reader.skip_str();
        }
        if self.has(has::MESSAGE) {
            reader.skip_str();
        }
        let count = reader.uint() as usize;
        (reader, count)
    }

    /// The value of the first field named `name`, decoding nothing else.
    pub fn field(&self, name: Sym) -> Option<Value> {
        let (mut reader, count) = self.fields_reader();
        for _ in 0..count {
            if Sym::from_id(reader.uint() as u32) == name {
                return Some(reader.value());
            }
            reader.skip_value();
        }
        None
    }

    /// The first field, decoding nothing else.
    pub fn first_field(&self) -> Option<(Sym, Value)> {
        let (mut reader, count) = self.fields_reader();
        (count > 0).then(|| {
            let name = Sym::from_id(reader.uint() as u32);
            (name, reader.value())
        })
    }

    fn datetime(&self) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(self.time_secs, self.time_nanos).unwrap_or_default()
    }

    fn time_kind(&self) -> u16 {
        (self.present >> has::TIME_SHIFT) & 3
    }

    /// The instant, without unpacking (as [`EventTime::instant`]).
    pub fn instant(&self) -> Option<DateTime<Utc>> {
        matches!(self.time_kind(), TIME_UTC | TIME_NO_ZONE).then(|| self.datetime())
    }

    /// Which loaded file the event came from.
    pub fn source(&self) -> SourceId {
        self.source
    }

    pub fn event_id(&self) -> Option<u32> {
        self.opt(has::EVENT_ID, self.event_id)
    }

    pub fn level(&self) -> Option<u8> {
        self.opt(has::LEVEL, self.level)
    }

    pub fn record_id(&self) -> Option<u64> {
        self.opt(has::RECORD_ID, self.record_id)
    }

    pub fn provider(&self) -> Sym {
        self.provider
    }

    pub fn channel(&self) -> Sym {
        self.channel
    }

    pub fn computer(&self) -> Sym {
        self.computer
    }

    /// The identifier used on the command line (as [`Event::record_or_position`]).
    pub fn record_or_position(&self) -> u64 {
        self.record_id().unwrap_or(u64::from(self.position))
    }

    /// Heap and inline bytes this event takes (for the memory budget).
    pub fn footprint(&self) -> usize {
        std::mem::size_of::<PackedEvent>() + self.data.len()
    }
}

/// The time's kind ([`has::TIME_SHIFT`] bits), seconds and nanoseconds.
fn time_parts(time: &EventTime) -> (u16, i64, u32) {
    match time {
        EventTime::Missing => (TIME_MISSING, 0, 0),
        EventTime::Utc(t) => (TIME_UTC, t.timestamp(), t.timestamp_subsec_nanos()),
        EventTime::NoZone(t) => (TIME_NO_ZONE, t.timestamp(), t.timestamp_subsec_nanos()),
        EventTime::Invalid(_) => (TIME_INVALID, 0, 0),
    }
}

/// Appends what `event` keeps outside its System values: unusual time text, activity id,
/// message, then the fields in order.
fn encode_data(event: &Event, data: &mut Vec<u8>) {
    if let EventTime::Invalid(raw) = &event.time {
        put_str(data, raw);
    }
    if let Some(activity) = &event.activity_id {
        put_str(data, activity);
    }
    if let Some(message) = &event.message {
        put_str(data, message);
    }
    put_uint(data, event.fields.len() as u64);
    for (name, value) in &event.fields {
        put_uint(data, u64::from(name.id()));
        put_value(data, value);
    }
}

impl EventView for PackedEvent {
    fn provider(&self) -> Sym {
        self.provider
    }
    fn event_id(&self) -> Option<u32> {
        PackedEvent::event_id(self)
    }
    fn level(&self) -> Option<u8> {
        PackedEvent::level(self)
    }
    fn value_of_sym(&self, name: Sym) -> Option<Cow<'_, Value>> {
        self.field(name).map(Cow::Owned)
    }
    fn first_value(&self) -> Option<(Sym, Cow<'_, Value>)> {
        self.first_field().map(|(n, v)| (n, Cow::Owned(v)))
    }
}

fn put_uint(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_uint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn put_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.push(tag::NULL),
        Value::Bool(false) => out.push(tag::FALSE),
        Value::Bool(true) => out.push(tag::TRUE),
        Value::UInt(u) => {
            out.push(tag::UINT);
            put_uint(out, *u);
        }
        // Kept apart from UInt (the input said signed): a sign byte, then the magnitude.
        Value::Int(i) if *i >= 0 => {
            out.push(tag::INT);
            out.push(0);
            put_uint(out, *i as u64);
        }
        Value::Int(i) => {
            out.push(tag::INT);
            out.push(1);
            put_uint(out, i.unsigned_abs());
        }
        Value::Float(f) => {
            out.push(tag::FLOAT);
            out.extend_from_slice(&f.to_bits().to_le_bytes());
        }
        Value::Str(s) if s.is_empty() => out.push(tag::EMPTY_STR),
        Value::Str(s) => {
            out.push(tag::STR);
            put_str(out, s);
        }
        Value::List(items) => {
            out.push(tag::LIST);
            put_uint(out, items.len() as u64);
            for item in items.iter() {
                put_value(out, item);
            }
        }
    }
}

/// Reads what `pack` wrote. The bytes were written by this module, so a short read can only
/// be a bug; it yields empty values rather than a panic.
struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }

    fn uint(&mut self) -> u64 {
        let mut n = 0u64;
        let mut shift = 0;
        loop {
            let b = self.byte();
            if shift < 64 {
                n |= u64::from(b & 0x7f) << shift;
            }
            if b & 0x80 == 0 || self.at >= self.data.len() {
                return n;
            }
            shift += 7;
        }
    }

    fn skip_str(&mut self) {
        let len = self.uint() as usize;
        self.at = self.at.saturating_add(len).min(self.data.len());
    }

    /// Moves past one value without building it.
    fn skip_value(&mut self) {
        match self.byte() {
            tag::UINT => {
                self.uint();
            }
            tag::INT => {
                self.byte();
                self.uint();
            }
            tag::FLOAT => self.at = self.at.saturating_add(8).min(self.data.len()),
            tag::STR => self.skip_str(),
            tag::LIST => {
                let count = self.uint() as usize;
                let count = count.min(self.data.len().saturating_sub(self.at));
                for _ in 0..count {
                    self.skip_value();
                }
            }
            _ => {}
        }
    }

    fn str(&mut self) -> &str {
        let len = self.uint() as usize;
        let end = self.at.saturating_add(len).min(self.data.len());
        let bytes = self.data.get(self.at..end).unwrap_or_default();
        self.at = end;
        std::str::from_utf8(bytes).unwrap_or_default()
    }

    fn value(&mut self) -> Value {
        match self.byte() {
            tag::NULL => Value::Null,
            tag::FALSE => Value::Bool(false),
            tag::TRUE => Value::Bool(true),
            tag::UINT => Value::UInt(self.uint()),
            tag::INT => {
                let negative = self.byte() == 1;
                let magnitude = self.uint();
                if negative {
                    Value::Int(0i64.wrapping_sub_unsigned(magnitude))
                } else {
                    Value::Int(magnitude as i64)
                }
            }
            tag::FLOAT => {
                let mut bits = [0u8; 8];
                for b in &mut bits {
                    *b = self.byte();
                }
                Value::Float(f64::from_bits(u64::from_le_bytes(bits)))
            }
            tag::STR => Value::Str(self.str().into()),
            tag::EMPTY_STR => Value::Str("".into()),
            tag::LIST => {
                let count = self.uint() as usize;
                let count = count.min(self.data.len().saturating_sub(self.at));
                Value::List((0..count).map(|_| self.value()).collect())
            }
            _ => Value::Null,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::TimeZone;

    fn full_event() -> Event {
        Event {
            source: 3,
            position: 17,
            locator: 5,
            record_id: Some(1234),
            time: EventTime::Utc(
                Utc.timestamp_opt(1_709_625_600, 123_456_789)
                    .single()
                    .unwrap(),
            ),
            provider: Sym::new("Microsoft-Windows-AppXDeployment-Server"),
            channel: Sym::new("Microsoft-Windows-AppXDeploymentServer/Operational"),
            event_id: Some(400),
            version: Some(0),
            level: Some(4),
            task: Some(0),
            opcode: Some(2),
            keywords: Some(0x4000_0000_0000_0000),
            computer: Sym::new("WS01"),
            user_sid: Some(Sym::new("S-1-5-18")),
            process_id: Some(0),
            thread_id: Some(4321),
            activity_id: Some("{5E6B1F6A-0000-0000-0000-000000000000}".into()),
            fields: vec![
                (Sym::new("DeploymentOperation"), Value::UInt(12)),
                (Sym::new("ErrorCode"), Value::Int(-2_147_009_281)),
                (Sym::new("Zero"), Value::Int(0)),
                (Sym::new("Min"), Value::Int(i64::MIN)),
                (Sym::new("Max"), Value::UInt(u64::MAX)),
                (Sym::new("Ratio"), Value::Float(-0.25)),
                (Sym::new("HasFullTrust"), Value::Bool(true)),
                (Sym::new("Off"), Value::Bool(false)),
                (Sym::new("Empty"), Value::Str("".into())),
                (Sym::new("Nothing"), Value::Null),
                (
                    Sym::new("PackageFullName"),
                    Value::Str("Fabrikam.App_1.0.0.0_x64__8wekyb3d8bbwe".into()),
                ),
                (
                    Sym::new("Unicode"),
                    Value::Str("caf\u{e9} \u{1F600}".into()),
                ),
                (
                    Sym::new("Data"),
                    Value::List(vec![Value::Str("a".into()), Value::UInt(2), Value::Null].into()),
                ),
                (Sym::new("Empty"), Value::Str("again, same name".into())),
            ],
            message: Some("Deployment operation finished.".into()),
            recovered: true,
        }
    }

    #[test]
    fn every_value_and_option_comes_back_equal() {
        let event = full_event();
        let packed = PackedEvent::pack(&event);
        assert_eq!(packed.unpack(), event);
        assert_eq!(packed.event_id(), Some(400));
        assert_eq!(packed.instant(), event.time.instant());
        assert_eq!(packed.record_or_position(), 1234);
    }

    #[test]
    fn one_field_is_read_without_unpacking_and_agrees() {
        let event = full_event();
        let packed = PackedEvent::pack(&event);
        for (name, _) in &event.fields {
            // The first field of that name, as `Event::field_sym` finds it.
            assert_eq!(
                packed.field(*name).as_ref(),
                event.field_sym(*name),
                "{name:?}"
            );
        }
        assert_eq!(packed.field(Sym::new("NoSuchField")), None);
        let (name, value) = packed.first_field().unwrap();
        assert_eq!((name, &value), (event.fields[0].0, &event.fields[0].1));
        let empty = PackedEvent::pack(&Event::default());
        assert_eq!(empty.first_field(), None);
        // With time text, activity id and message before the fields.
        let odd = Event {
            time: EventTime::Invalid("not a time".into()),
            ..event.clone()
        };
        assert_eq!(
            PackedEvent::pack(&odd).field(Sym::new("PackageFullName")),
            odd.field("PackageFullName").cloned()
        );
    }

    #[test]
    fn absent_values_stay_absent() {
        let event = Event {
            position: 9,
            ..Event::default()
        };
        let packed = PackedEvent::pack(&event);
        assert_eq!(packed.unpack(), event);
        assert_eq!(packed.event_id(), None);
        assert_eq!(packed.record_or_position(), 9);
        assert_eq!(packed.instant(), None);
    }

    #[test]
    fn odd_times_come_back_verbatim() {
        for time in [
            EventTime::Invalid("2024-13-45T99:00:00".into()),
            EventTime::NoZone(Utc.timestamp_opt(1_000_000_000, 5).single().unwrap()),
            // FILETIME 0 and far future: outside what nanoseconds since 1970 would hold.
            EventTime::Utc(Utc.with_ymd_and_hms(1601, 1, 1, 0, 0, 0).single().unwrap()),
            EventTime::Utc(Utc.with_ymd_and_hms(9999, 1, 1, 0, 0, 0).single().unwrap()),
        ] {
            let event = Event {
                time: time.clone(),
                ..Event::default()
            };
            let packed = PackedEvent::pack(&event);
            assert_eq!(packed.unpack().time, time);
            assert_eq!(packed.instant(), time.instant());
        }
    }

    #[test]
    fn events_packed_together_share_one_slab_and_unpack_equal() {
        let mut events = vec![full_event(), Event::default(), full_event()];
        events[2].message = Some("third".into());
        events[2].time = EventTime::Invalid("0000-00-00".into());
        let packed = PackedEvent::pack_all(&events);
        assert_eq!(packed.len(), 3);
        for (p, e) in packed.iter().zip(&events) {
            assert_eq!(&p.unpack(), e);
        }
        assert!(Arc::ptr_eq(&packed[0].data.slab, &packed[2].data.slab));
        assert_ne!(packed[0], packed[2]);
        assert!(PackedEvent::pack_all(&[]).is_empty());
    }

    #[test]
    fn a_packed_event_stays_small() {
        assert!(std::mem::size_of::<PackedEvent>() <= 96);
    }

    #[test]
    fn a_typical_appx_event_packs_small() {
        let event = full_event();
        let packed = PackedEvent::pack(&event);
        assert!(
            packed.footprint() < 400,
            "packed {} bytes",
            packed.footprint()
        );
    }
}
