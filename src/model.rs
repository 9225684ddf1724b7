//! The one normalised event model every input becomes.
//!
//! Plain data: no I/O, no egui, no threads. `ingest` builds [`Event`]s, `sigma` reads them,
//! `filter` selects them, `export` and the UI show them. Names that repeat across events
//! (provider, channel, computer, field names) are interned as [`Sym`] so that a million events
//! do not carry a million copies of "Microsoft-Windows-AppXDeployment-Server".

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::PathBuf;
use std::sync::{OnceLock, RwLock};

use chrono::{DateTime, Utc};

/// An interned string: provider, channel, computer, user SID or field name.
///
/// Interned strings live for the whole process; only names that repeat should be interned.
/// Each one also knows its ASCII-lowercase form and the lowercase form of its last dotted
/// component (`UserData.Info.PackageFullName` → `packagefullname`), so that looking a field
/// up by name, with or without case, compares numbers rather than text.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sym(u32);

/// What the interner knows about one name.
#[derive(Clone, Copy)]
struct Entry {
    text: &'static str,
    /// The ASCII-lowercase form.
    folded: u32,
    /// The ASCII-lowercase form of the part after the last `.`.
    folded_last: u32,
}

#[derive(Default)]
struct Interner {
    ids: HashMap<&'static str, u32, BuildHasherDefault<NameHasher>>,
    entries: Vec<Entry>,
}

impl Interner {
    fn insert(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
        let id = self.entries.len() as u32;
        self.entries.push(Entry {
            text: leaked,
            folded: id,
            folded_last: id,
        });
        self.ids.insert(leaked, id);
        let lower = name.to_ascii_lowercase();
        let folded = if lower == name {
            id
        } else {
            self.insert(&lower)
        };
        let last = lower.rsplit('.').next().unwrap_or_default();
        let folded_last = if last == lower {
            folded
        } else {
            self.insert(last)
        };
        if let Some(entry) = self.entries.get_mut(id as usize) {
            entry.folded = folded;
            entry.folded_last = folded_last;
        }
        id
    }
}

/// FNV-1a: names are short and never attacker-sized keys of a long-lived public map.
#[derive(Default)]
struct NameHasher(u64);

impl Hasher for NameHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }
}

fn interner() -> &'static RwLock<Interner> {
    static INTERNER: OnceLock<RwLock<Interner>> = OnceLock::new();
    INTERNER.get_or_init(|| {
        let mut interner = Interner::default();
        // Sym(0) is the empty string, so `Sym::EMPTY` needs no lookup.
        interner.insert("");
        RwLock::new(interner)
    })
}

thread_local! {
    /// This thread's copy of the interner's entries (they never change once written), so
    /// reading a name takes no lock; refreshed when a newer name is asked for.
    static ENTRIES: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
}

fn entry(id: u32) -> Option<Entry> {
    ENTRIES.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(entry) = cache.get(id as usize) {
            return Some(*entry);
        }
        let guard = interner().read().unwrap_or_else(|e| e.into_inner());
        let known = cache.len();
        cache.extend_from_slice(guard.entries.get(known..).unwrap_or_default());
        cache.get(id as usize).copied()
    })
}

impl Sym {
    /// The empty string.
    pub const EMPTY: Sym = Sym(0);

    /// Interns `name` (once per distinct string for the life of the process).
    pub fn new(name: &str) -> Sym {
        if name.is_empty() {
            return Sym::EMPTY;
        }
        if let Some(sym) = Sym::lookup(name) {
            return sym;
        }
        let mut guard = interner().write().unwrap_or_else(|e| e.into_inner());
        Sym(guard.insert(name))
    }

    /// The name if it has been interned, without interning it.
    pub fn lookup(name: &str) -> Option<Sym> {
        let guard = interner().read().unwrap_or_else(|e| e.into_inner());
        guard.ids.get(name).map(|&id| Sym(id))
    }

    /// The interned text.
    pub fn as_str(self) -> &'static str {
        entry(self.0).map_or("", |e| e.text)
    }

    /// The ASCII-lowercase form, interned.
    pub fn folded(self) -> Sym {
        Sym(entry(self.0).map_or(0, |e| e.folded))
    }

    /// The ASCII-lowercase form of the part after the last `.`, interned.
    pub fn folded_last(self) -> Sym {
        Sym(entry(self.0).map_or(0, |e| e.folded_last))
    }

    /// The interner's number for this name (stable for the life of the process).
    pub fn id(self) -> u32 {
        self.0
    }

    /// The name with interner number `id`, as [`Sym::id`] gave it (an unknown number reads
    /// as the empty string).
    pub fn from_id(id: u32) -> Sym {
        Sym(id)
    }

    /// True for the empty string.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl fmt::Debug for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl fmt::Display for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A typed EventData value, kept with the type the input gave it.
///
/// Hex strings such as `"0x80073cff"` stay strings (that is how the evtx crate and the seed
/// write HexInt32/HexInt64); decoders interpret them, the model does not.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// JSON `null`, or an element present with no value.
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(Box<str>),
    /// Several values under one name (for example unnamed `<Data>` elements).
    List(Box<[Value]>),
}

impl Value {
    /// The value as text, the way it would be written in the event's XML.
    pub fn to_text(&self) -> Cow<'_, str> {
        match self {
            Value::Null => Cow::Borrowed(""),
            Value::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            Value::Int(i) => Cow::Owned(i.to_string()),
            Value::UInt(u) => Cow::Owned(u.to_string()),
            Value::Float(f) => Cow::Owned(f.to_string()),
            Value::Str(s) => Cow::Borrowed(s),
            Value::List(items) => Cow::Owned(
                items
                    .iter()
                    .map(|v| v.to_text().into_owned())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        }
    }

    /// The value's JSON type name: `null`, `bool`, `number`, `string` or `list`.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) | Value::UInt(_) | Value::Float(_) => "number",
            Value::Str(_) => "string",
            Value::List(_) => "list",
        }
    }

    /// Converts a JSON scalar or array. Objects are not values: the caller flattens them.
    pub fn from_json(value: &serde_json::Value) -> Value {
        match value {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    Value::UInt(u)
                } else if let Some(i) = n.as_i64() {
                    Value::Int(i)
                } else {
                    Value::Float(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            serde_json::Value::String(s) => Value::Str(s.as_str().into()),
            serde_json::Value::Array(items) => {
                Value::List(items.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(_) => Value::Str(value.to_string().into()),
        }
    }

    /// The value as JSON, with its type.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::UInt(u) => serde_json::Value::from(*u),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Str(s) => serde_json::Value::String(s.to_string()),
            Value::List(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_json).collect())
            }
        }
    }

    /// The value as an unsigned integer: numbers, decimal strings and `0x` hex strings.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::UInt(u) => Some(*u),
            Value::Int(i) => u64::try_from(*i).ok(),
            Value::Bool(b) => Some(u64::from(*b)),
            Value::Str(s) => {
                let s = s.trim();
                if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                    u64::from_str_radix(hex, 16).ok()
                } else {
                    s.parse().ok()
                }
            }
            _ => None,
        }
    }
}

/// When an event happened, as far as the input says.
#[derive(Clone, Debug, PartialEq)]
pub enum EventTime {
    /// A valid instant (System TimeCreated), in UTC.
    Utc(DateTime<Utc>),
    /// A time written without a zone; shown as UTC but marked ambiguous.
    NoZone(DateTime<Utc>),
    /// Text that is not a valid time (kept verbatim for display).
    Invalid(Box<str>),
    /// No TimeCreated at all.
    Missing,
}

impl EventTime {
    /// The instant, if there is one (ambiguous times count, taken as UTC).
    pub fn instant(&self) -> Option<DateTime<Utc>> {
        match self {
            EventTime::Utc(t) | EventTime::NoZone(t) => Some(*t),
            EventTime::Invalid(_) | EventTime::Missing => None,
        }
    }

    /// ISO 8601 in UTC with `Z` and 100 ns digits (Windows' own precision, as evtx_dump and
    /// EvtxECmd print it); `invalid (<raw>)` or empty otherwise.
    pub fn display(&self) -> String {
        match self {
            EventTime::Utc(t) => utc_text(t),
            EventTime::NoZone(t) => format!("{} (no zone)", utc_text(t)),
            EventTime::Invalid(raw) => format!("invalid ({raw})"),
            EventTime::Missing => String::new(),
        }
    }
}

/// `2024-03-05T14:19:00.1196195Z`: UTC with seven fractional digits (FILETIME's 100 ns).
pub fn utc_text(t: &DateTime<Utc>) -> String {
    let nanos = t.format("%Y-%m-%dT%H:%M:%S%.9f").to_string();
    format!("{}Z", &nanos[..nanos.len().saturating_sub(2)])
}

/// The same instant in this machine's time zone, with seven fractional digits and the offset.
pub fn local_text(t: &DateTime<Utc>) -> String {
    let local = t.with_timezone(&chrono::Local);
    let nanos = local.format("%Y-%m-%dT%H:%M:%S%.9f").to_string();
    format!(
        "{}{}",
        &nanos[..nanos.len().saturating_sub(2)],
        local.format("%:z")
    )
}

/// Index of a loaded file in [`Store::sources`].
pub type SourceId = u32;

/// Index of an event in [`Store::events`].
pub type Row = u32;

/// One event from any input.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Which loaded file it came from.
    pub source: SourceId,
    /// 1-based position of the record in its file.
    pub position: u32,
    /// Where the record sits in its file, so the raw record can be read again on demand:
    /// the chunk number for EVTX, the byte offset of the document for JSON.
    pub locator: u64,
    pub record_id: Option<u64>,
    pub time: EventTime,
    pub provider: Sym,
    pub channel: Sym,
    pub event_id: Option<u32>,
    pub version: Option<u8>,
    pub level: Option<u8>,
    pub task: Option<u16>,
    pub opcode: Option<u8>,
    pub keywords: Option<u64>,
    pub computer: Sym,
    pub user_sid: Option<Sym>,
    pub process_id: Option<u32>,
    pub thread_id: Option<u32>,
    pub activity_id: Option<Box<str>>,
    /// EventData (or UserData, flattened with dotted names) in document order.
    pub fields: Vec<(Sym, Value)>,
    /// The rendered message, when the input carried one (exports often do).
    pub message: Option<Box<str>>,
    /// The evtx crate recovered this record from a damaged chunk.
    pub recovered: bool,
}

impl Default for Event {
    fn default() -> Self {
        Event {
            source: 0,
            position: 0,
            locator: 0,
            record_id: None,
            time: EventTime::Missing,
            provider: Sym::EMPTY,
            channel: Sym::EMPTY,
            event_id: None,
            version: None,
            level: None,
            task: None,
            opcode: None,
            keywords: None,
            computer: Sym::EMPTY,
            user_sid: None,
            process_id: None,
            thread_id: None,
            activity_id: None,
            fields: Vec::new(),
            message: None,
            recovered: false,
        }
    }
}

impl Event {
    /// The EventData value named `name` (exact name).
    pub fn field(&self, name: &str) -> Option<&Value> {
        let name = Sym::lookup(name)?;
        self.field_sym(name)
    }

    /// The EventData value named `name` (exact name).
    pub fn field_sym(&self, name: Sym) -> Option<&Value> {
        self.fields.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// The EventData value named `name`, ignoring ASCII case (the exact name first).
    pub fn field_ignore_case(&self, name: &str) -> Option<&Value> {
        self.field(name).or_else(|| {
            // Every interned name's lowercase form is interned too: if this one is not, no
            // field can have it.
            let folded = Sym::lookup(&name.to_ascii_lowercase())?;
            self.fields
                .iter()
                .find(|(n, _)| n.folded() == folded)
                .map(|(_, v)| v)
        })
    }

    /// The value whose name is `name` ignoring ASCII case, else whose last dotted component
    /// is (`UserData.Info.PackageFullName` for `PackageFullName`).
    pub fn field_by_last_name(&self, name: &str) -> Option<&Value> {
        self.field_ignore_case(name).or_else(|| {
            let folded = Sym::lookup(&name.to_ascii_lowercase())?;
            self.fields
                .iter()
                .find(|(n, _)| n.folded_last() == folded)
                .map(|(_, v)| v)
        })
    }

    /// As [`Event::field_by_last_name`] with the name interned beforehand (one pass, no
    /// lookups: for names asked of every event).
    pub fn field_by_key(&self, key: &FieldKey) -> Option<&Value> {
        let mut best: Option<(u8, &Value)> = None;
        for (name, value) in &self.fields {
            let rank = key.rank(*name, name.folded(), name.folded_last());
            if rank == 0 {
                return Some(value);
            }
            if rank != u8::MAX && best.is_none_or(|(r, _)| rank < r) {
                best = Some((rank, value));
            }
        }
        best.map(|(_, v)| v)
    }

    /// The identifier used on the command line: the record id, else the 1-based position.
    pub fn record_or_position(&self) -> u64 {
        self.record_id.unwrap_or(u64::from(self.position))
    }
}

/// A field name interned with its ASCII-lowercase form, for [`Event::field_by_key`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldKey {
    exact: Sym,
    folded: Sym,
}

impl FieldKey {
    pub fn new(name: &str) -> FieldKey {
        let exact = Sym::new(name);
        FieldKey {
            exact,
            folded: exact.folded(),
        }
    }

    /// How well a field `name` (with its `folded` and `folded_last` forms) answers to this
    /// key: 0 the exact name, 1 the name ignoring case, 2 its last dotted component ignoring
    /// case, `u8::MAX` not at all.
    pub fn rank(&self, name: Sym, folded: Sym, folded_last: Sym) -> u8 {
        if name == self.exact {
            0
        } else if folded == self.folded {
            1
        } else if folded_last == self.folded {
            2
        } else {
            u8::MAX
        }
    }
}

/// Read access to what the table's computed cells need, for an [`Event`] or an event still
/// packed in the store (which then decodes only the values asked for).
pub trait EventView {
    fn provider(&self) -> Sym;
    fn event_id(&self) -> Option<u32>;
    fn level(&self) -> Option<u8>;
    /// The EventData value named `name` (exact name).
    fn value_of_sym(&self, name: Sym) -> Option<Cow<'_, Value>>;
    /// The EventData value named `name` (exact name).
    fn value_of(&self, name: &str) -> Option<Cow<'_, Value>> {
        self.value_of_sym(Sym::lookup(name)?)
    }
    /// The first EventData field.
    fn first_value(&self) -> Option<(Sym, Cow<'_, Value>)>;
}

impl EventView for Event {
    fn provider(&self) -> Sym {
        self.provider
    }
    fn event_id(&self) -> Option<u32> {
        self.event_id
    }
    fn level(&self) -> Option<u8> {
        self.level
    }
    fn value_of_sym(&self, name: Sym) -> Option<Cow<'_, Value>> {
        self.field_sym(name).map(Cow::Borrowed)
    }
    fn first_value(&self) -> Option<(Sym, Cow<'_, Value>)> {
        self.fields.first().map(|(n, v)| (*n, Cow::Borrowed(v)))
    }
}

/// Windows event level names (System/Level).
pub fn level_name(level: Option<u8>) -> &'static str {
    match level {
        // Level 0 is the manifest's "LogAlways"; Event Viewer shows it as Information
        // (Security audit events carry it).
        Some(0) => "Information (0)",
        Some(1) => "Critical",
        Some(2) => "Error",
        Some(3) => "Warning",
        Some(4) => "Information",
        Some(5) => "Verbose",
        Some(_) => "Other",
        None => "",
    }
}

/// The file formats and JSON shapes appxview reads (named in `scan --format json` output).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// A binary `.evtx` log.
    Evtx,
    /// The evtx crate's JSON (`{"Event":{"System":…,"EventData":…}}`), one document per line.
    EvtxJsonLines,
    /// The evtx crate's JSON as `evtx_dump -o json` writes it: `Record N` lines between documents.
    EvtxDumpJson,
    /// The evtx crate's JSON, documents one after another or in an array.
    EvtxJsonStream,
    /// The seed's flat shape (`system` + `event_data` + `message`).
    FlatSeed,
    /// Flat NXLog-style records (EventID, SourceName, Channel, Hostname and data at top level).
    FlatNxlog,
    /// Windows PowerShell `Get-WinEvent | ConvertTo-Json`.
    PowerShell,
    /// Winlogbeat / Elastic Common Schema documents (`winlog.*`).
    Winlogbeat,
}

impl Format {
    /// The stable name used in JSON output and README.
    pub fn name(self) -> &'static str {
        match self {
            Format::Evtx => "evtx",
            Format::EvtxJsonLines => "evtx-json-lines",
            Format::EvtxDumpJson => "evtx-dump-json",
            Format::EvtxJsonStream => "evtx-json-stream",
            Format::FlatSeed => "flat-seed",
            Format::FlatNxlog => "flat-nxlog",
            Format::PowerShell => "powershell-json",
            Format::Winlogbeat => "winlogbeat",
        }
    }
}

/// A problem that did not stop the file from loading: always names where it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// The file.
    pub path: PathBuf,
    /// Where in the file: "line 7", "chunk 2", "record 5 (chunk 0)", "header".
    pub location: String,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {}",
            self.path.display(),
            self.location,
            self.message
        )
    }
}

/// One loaded file.
#[derive(Clone, Debug, PartialEq)]
pub struct Source {
    pub path: PathBuf,
    /// None until the content has been recognised.
    pub format: Option<Format>,
    /// Every record read from the file (AppX or not).
    pub records: u64,
    pub warnings: Vec<Warning>,
    /// Set when the file could not be read at all.
    pub error: Option<String>,
}

impl Source {
    /// A file about to be read.
    pub fn new(path: PathBuf) -> Source {
        Source {
            path,
            format: None,
            records: 0,
            warnings: Vec::new(),
            error: None,
        }
    }

    /// The file name for the Source column.
    pub fn display_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.path.display().to_string())
    }
}
