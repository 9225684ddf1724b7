//! A record's element [`Tree`] → [`Event`], with the same result as rendering the record as
//! the evtx crate's JSON and reading that with [`crate::ingest::evtx_json`]: the same System
//! values, the same field names in the same order (`Data Name="X"` → `X`, other elements as
//! dotted paths, attributes as `element.attribute`), and values of the same types and text
//! (hex numbers as `0x…`, GUIDs in braces, times with 100 ns digits, SIDs as `S-1-…`, binary
//! as upper-case hex). Whatever that reading would treat specially (a System value not of its
//! type, repeated names, mixed content, unnamed `Data`) is [`Unsupported`], and the caller
//! falls back to the crate. A test holds both paths equal on every record of the real logs.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use chrono::{DateTime, Datelike, Utc};

use super::tokens::{Read, Val, name_at, readable_utf16};
use super::tree::Tree;
use crate::evtx_format::FILETIME_UNIX_OFFSET_SECS;
use crate::model::{Event, EventTime, Sym, Value};

/// The element and attribute names the mapping looks for.
struct Known {
    event: Sym,
    system: Sym,
    event_data: Sym,
    user_data: Sym,
    data: Sym,
    name: Sym,
    provider: Sym,
    event_id: Sym,
    version: Sym,
    level: Sym,
    task: Sym,
    opcode: Sym,
    keywords: Sym,
    time_created: Sym,
    system_time: Sym,
    event_record_id: Sym,
    correlation: Sym,
    activity_id: Sym,
    execution: Sym,
    process_id: Sym,
    thread_id: Sym,
    channel: Sym,
    computer: Sym,
    security: Sym,
    user_id: Sym,
}

fn known() -> &'static Known {
    static KNOWN: OnceLock<Known> = OnceLock::new();
    KNOWN.get_or_init(|| Known {
        event: Sym::new("Event"),
        system: Sym::new("System"),
        event_data: Sym::new("EventData"),
        user_data: Sym::new("UserData"),
        data: Sym::new("Data"),
        name: Sym::new("Name"),
        provider: Sym::new("Provider"),
        event_id: Sym::new("EventID"),
        version: Sym::new("Version"),
        level: Sym::new("Level"),
        task: Sym::new("Task"),
        opcode: Sym::new("Opcode"),
        keywords: Sym::new("Keywords"),
        time_created: Sym::new("TimeCreated"),
        system_time: Sym::new("SystemTime"),
        event_record_id: Sym::new("EventRecordID"),
        correlation: Sym::new("Correlation"),
        activity_id: Sym::new("ActivityID"),
        execution: Sym::new("Execution"),
        process_id: Sym::new("ProcessID"),
        thread_id: Sym::new("ThreadID"),
        channel: Sym::new("Channel"),
        computer: Sym::new("Computer"),
        security: Sym::new("Security"),
        user_id: Sym::new("UserID"),
    })
}

/// A multiply-rotate hash taking eight bytes at a time, for chunk offsets and short UTF-16
/// names: these maps live for one chunk and their keys come from it (not attacker-sized).
#[derive(Default)]
struct WordHash(u64);

impl WordHash {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for WordHash {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            self.add(u64::from_le_bytes([
                w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7],
            ]));
        }
        let mut last = [0u8; 8];
        let rest = words.remainder();
        last[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(last) ^ ((rest.len() as u64) << 59));
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
}

type Map<K> = HashMap<K, Sym, BuildHasherDefault<WordHash>>;

/// Slots of the direct-mapped name cache.
const RECENT: usize = 256;

/// Names seen in one chunk, so each is decoded and interned once per chunk.
pub struct Names<'c> {
    data: &'c [u8],
    /// Names by chunk offset, direct-mapped (offset 0 is never a name: the chunk header is
    /// there), in front of `by_offset`.
    recent: Box<[(u32, Sym); RECENT]>,
    /// Element and attribute names by chunk offset.
    by_offset: Map<u32>,
    /// `Data Name="…"` values by their UTF-16 bytes.
    by_text: Map<&'c [u8]>,
    /// Dotted paths: (parent path, name offset) → path.
    paths: Map<(Sym, u32)>,
    /// Attribute paths: (element path, attribute name offset) → `path.attribute`.
    attr_paths: Map<(Sym, u32)>,
}

impl<'c> Names<'c> {
    pub fn new(data: &'c [u8]) -> Names<'c> {
        Names {
            data,
            recent: Box::new([(0, Sym::EMPTY); RECENT]),
            by_offset: Map::with_capacity_and_hasher(64, BuildHasherDefault::default()),
            by_text: Map::with_capacity_and_hasher(64, BuildHasherDefault::default()),
            paths: Map::default(),
            attr_paths: Map::default(),
        }
    }

    /// The name at chunk offset `offset`, read once per chunk. A name the crate's JSON
    /// could not carry as written ([`readable_utf16`]) leaves the chunk to the crate.
    pub fn name(&mut self, offset: u32) -> Read<Sym> {
        let slot = &mut self.recent[(offset as usize >> 1) % RECENT];
        if slot.0 == offset {
            return Ok(slot.1);
        }
        let sym = match self.by_offset.get(&offset) {
            Some(sym) => *sym,
            None => {
                let units = name_at(self.data, offset)?;
                if !readable_utf16(units) {
                    return Err(crate::unsupported!());
                }
                let sym = Sym::new(&utf16(units)?);
                self.by_offset.insert(offset, sym);
                sym
            }
        };
        self.recent[(offset as usize >> 1) % RECENT] = (offset, sym);
        Ok(sym)
    }

    fn text(&mut self, units: &'c [u8]) -> Read<Sym> {
        if let Some(sym) = self.by_text.get(units) {
            return Ok(*sym);
        }
        let sym = Sym::new(&utf16(units)?);
        self.by_text.insert(units, sym);
        Ok(sym)
    }

    /// `parent.name` (or `name` when `parent` is empty).
    fn path(&mut self, parent: Sym, offset: u32) -> Read<Sym> {
        if let Some(sym) = self.paths.get(&(parent, offset)) {
            return Ok(*sym);
        }
        let name = self.name(offset)?;
        let sym = join(parent, name);
        self.paths.insert((parent, offset), sym);
        Ok(sym)
    }

    fn attr_path(&mut self, element: Sym, offset: u32) -> Read<Sym> {
        if let Some(sym) = self.attr_paths.get(&(element, offset)) {
            return Ok(*sym);
        }
        let name = self.name(offset)?;
        let sym = join(element, name);
        self.attr_paths.insert((element, offset), sym);
        Ok(sym)
    }
}

fn join(parent: Sym, name: Sym) -> Sym {
    if parent.is_empty() {
        name
    } else {
        Sym::new(&format!("{parent}.{name}"))
    }
}

/// Maps `tree` to an event (System header and fields; source, position, record id and the
/// header time fallback are the caller's).
pub fn event_of<'c>(tree: &Tree<'c>, names: &mut Names<'c>) -> Read<Event> {
    let k = known();
    if names.name(tree.elements[0].name)? != k.event || tree.elements[0].text.is_some() {
        return Err(crate::unsupported!());
    }
    let mut event = Event {
        fields: Vec::with_capacity(tree.elements.len()),
        ..Event::default()
    };
    let (mut system, mut event_data, mut user_data) = (None, None, None);
    for child in tree.children(0) {
        let name = names.name(tree.elements[child].name)?;
        let slot = if name == k.system {
            &mut system
        } else if name == k.event_data {
            &mut event_data
        } else if name == k.user_data {
            &mut user_data
        } else {
            return Err(crate::unsupported!());
        };
        if slot.replace(child).is_some() {
            return Err(crate::unsupported!());
        }
    }
    read_system(
        tree,
        system.ok_or(crate::unsupported!())?,
        names,
        &mut event,
    )?;
    if let Some(data) = event_data {
        read_event_data(tree, data, names, &mut event.fields)?;
    }
    if let Some(data) = user_data {
        read_user_data(tree, data, names, &mut event.fields)?;
    }
    Ok(event)
}

fn read_system<'c>(
    tree: &Tree<'c>,
    system: usize,
    names: &mut Names<'c>,
    event: &mut Event,
) -> Read<()> {
    let k = known();
    let mut seen: Vec<Sym> = Vec::with_capacity(16);
    if tree.elements[system].text.is_some() {
        return Err(crate::unsupported!());
    }
    for child in tree.children(system) {
        let element = &tree.elements[child];
        if element.first_child != super::tree::NONE {
            return Err(crate::unsupported!());
        }
        let name = names.name(element.name)?;
        if seen.contains(&name) {
            return Err(crate::unsupported!());
        }
        seen.push(name);
        let text = element.text;
        let attr = |names: &mut Names<'c>, wanted: Sym| attribute(tree, child, names, wanted);
        if name == k.provider {
            // A name that is not text reads as no name, as in the JSON reading.
            if let Some(Val::Str(units)) = attr(names, k.name)? {
                event.provider = names.text(units)?;
            }
        } else if name == k.event_id {
            event.event_id = small(text)?;
        } else if name == k.version {
            event.version = small(text)?;
        } else if name == k.level {
            event.level = small(text)?;
        } else if name == k.task {
            event.task = small(text)?;
        } else if name == k.opcode {
            event.opcode = small(text)?;
        } else if name == k.keywords {
            event.keywords = match text {
                None | Some(Val::Null) => None,
                Some(Val::Hex(v) | Val::UInt(v)) => Some(v),
                Some(_) => return Err(crate::unsupported!()),
            };
        } else if name == k.event_record_id {
            event.record_id = small(text)?;
        } else if name == k.time_created {
            event.time = match attr(names, k.system_time)? {
                None => EventTime::Missing,
                Some(Val::FileTime(ticks)) => {
                    EventTime::Utc(filetime(ticks).ok_or(crate::unsupported!())?)
                }
                Some(_) => return Err(crate::unsupported!()),
            };
        } else if name == k.correlation {
            event.activity_id = match attr(names, k.activity_id)? {
                None => None,
                Some(Val::Guid(bytes)) => Some(guid_text(bytes).into()),
                Some(Val::Str(units)) => Some(utf16(units)?.into()),
                Some(_) => return Err(crate::unsupported!()),
            };
        } else if name == k.execution {
            event.process_id = small(attr(names, k.process_id)?)?;
            event.thread_id = small(attr(names, k.thread_id)?)?;
        } else if name == k.channel {
            event.channel = symbol_text(text, names)?;
        } else if name == k.computer {
            event.computer = symbol_text(text, names)?;
        } else if name == k.security {
            event.user_sid = match attr(names, k.user_id)? {
                None => None,
                Some(Val::Sid(bytes)) => Some(Sym::new(&sid_text(bytes))),
                Some(Val::Str(units)) => Some(names.text(units)?),
                Some(_) => None,
            };
        }
    }
    Ok(())
}

/// The value of `element`'s attribute named `wanted`.
fn attribute<'c>(
    tree: &Tree<'c>,
    element: usize,
    names: &mut Names<'c>,
    wanted: Sym,
) -> Read<Option<Val<'c>>> {
    for (attr_name, value) in tree.attributes(element) {
        if names.name(*attr_name)? == wanted {
            return Ok(Some(*value));
        }
    }
    Ok(None)
}

/// A System number of type `T`; anything that is not an unsigned number of that range is left
/// to the crate (the JSON reading keeps it as a `System.<element>` field).
fn small<T: TryFrom<u64>>(value: Option<Val<'_>>) -> Read<Option<T>> {
    match value {
        None | Some(Val::Null) => Ok(None),
        Some(Val::UInt(u)) => T::try_from(u).map(Some).map_err(|_| crate::unsupported!()),
        Some(Val::Int(i)) if i >= 0 => T::try_from(i as u64)
            .map(Some)
            .map_err(|_| crate::unsupported!()),
        Some(_) => Err(crate::unsupported!()),
    }
}

/// Channel and Computer: text, or empty.
fn symbol_text<'c>(value: Option<Val<'c>>, names: &mut Names<'c>) -> Read<Sym> {
    match value {
        Some(Val::Str(units)) => names.text(units),
        _ => Ok(Sym::EMPTY),
    }
}

fn read_event_data<'c>(
    tree: &Tree<'c>,
    data: usize,
    names: &mut Names<'c>,
    fields: &mut Vec<(Sym, Value)>,
) -> Read<()> {
    let k = known();
    if tree.elements[data].text.is_some() {
        return Err(crate::unsupported!());
    }
    let prefix = names.name(tree.elements[data].name)?;
    for (attr_name, value) in tree.attributes(data) {
        let name = names.attr_path(prefix, *attr_name)?;
        fields.push((name, scalar_of(*value)?));
    }
    let start = fields.len();
    let mut seen_names = 0u128;
    // `Data` children are either all named (`<Data Name="X">v</Data>` → X = v) or all
    // unnamed (positional: one field `Data`, a list when there are several, where the first
    // is). A mix, other attributes or children read differently in JSON.
    let (mut named, mut positional) = (0usize, Vec::new());
    for child in tree.children(data) {
        let element = &tree.elements[child];
        if names.name(element.name)? != k.data {
            continue;
        }
        if element.first_child != super::tree::NONE {
            return Err(crate::unsupported!());
        }
        match tree.attributes(child) {
            // A string array of two or more repeats its Data element: one value each.
            [] => match element.text.ok_or(crate::unsupported!())? {
                Val::StrArray(bytes) if strings(bytes).nth(1).is_some() => {
                    for units in strings(bytes) {
                        positional.push(Value::Str(utf16(units)?.into()));
                    }
                }
                text => positional.push(value_of(text)?),
            },
            [(attr_name, Val::Str(_))] if names.name(*attr_name)? == k.name => named += 1,
            _ => return Err(crate::unsupported!()),
        }
    }
    if named > 0 && !positional.is_empty() {
        return Err(crate::unsupported!());
    }
    let mut positional = Some(positional).filter(|p| !p.is_empty());
    for child in tree.children(data) {
        let element = &tree.elements[child];
        let name = names.name(element.name)?;
        if name == k.data {
            if let [(_, Val::Str(field))] = tree.attributes(child) {
                let field = names.text(field)?;
                let value = element.text.map_or(Ok(Value::Null), value_of)?;
                push_unique(fields, (start, &mut seen_names), field, value)?;
            } else if let Some(mut values) = positional.take() {
                let value = if values.len() == 1 {
                    values.remove(0)
                } else {
                    Value::List(values.into_boxed_slice())
                };
                push_unique(fields, (start, &mut seen_names), k.data, value)?;
            }
        } else {
            let path = names.path(Sym::EMPTY, element.name)?;
            if fields[start..].iter().any(|(n, _)| *n == path) {
                return Err(crate::unsupported!());
            }
            let before = fields.len();
            flatten(tree, child, path, names, fields)?;
            for (name, _) in &fields[before..] {
                seen_names |= 1u128 << (name.id() % 128);
            }
        }
    }
    Ok(())
}

/// A field whose name repeats gets a `_1` suffix in the crate's JSON: left to the crate.
/// `seen` has a bit set per name pushed (by its interner number), so only a possible repeat
/// is looked for.
fn push_unique(
    fields: &mut Vec<(Sym, Value)>,
    (start, seen): (usize, &mut u128),
    name: Sym,
    value: Value,
) -> Read<()> {
    let bit = 1u128 << (name.id() % 128);
    if *seen & bit != 0 && fields[start..].iter().any(|(n, _)| *n == name) {
        return Err(crate::unsupported!());
    }
    *seen |= bit;
    fields.push((name, value));
    Ok(())
}

fn read_user_data<'c>(
    tree: &Tree<'c>,
    data: usize,
    names: &mut Names<'c>,
    fields: &mut Vec<(Sym, Value)>,
) -> Read<()> {
    if tree.elements[data].text.is_some() {
        return Err(crate::unsupported!());
    }
    let start = fields.len();
    let mut seen_names = 0u128;
    let mut children_seen: Vec<u32> = Vec::new();
    for child in tree.children(data) {
        let element = &tree.elements[child];
        if children_seen.contains(&element.name) || names.name(element.name)? == known().data {
            return Err(crate::unsupported!());
        }
        children_seen.push(element.name);
        if element.first_child == super::tree::NONE {
            let name = names.name(element.name)?;
            let attributes = tree.attributes(child);
            if attributes.is_empty() {
                // `<UserData><X>v</X></UserData>`: X = v.
                let value = element.text.map_or(Ok(Value::Null), scalar_of)?;
                push_unique(fields, (start, &mut seen_names), name, value)?;
                continue;
            }
            // `<X a="1">v</X>`: its attributes named bare, then X = v (no X without text).
            for (attr_name, value) in attributes {
                let attr = names.name(*attr_name)?;
                push_unique(fields, (start, &mut seen_names), attr, scalar_of(*value)?)?;
            }
            if let Some(text) = element.text {
                push_unique(fields, (start, &mut seen_names), name, scalar_of(text)?)?;
            }
            continue;
        }
        if element.text.is_some() {
            return Err(crate::unsupported!());
        }
        // The child's own attributes, named bare; its children as paths below it.
        for (attr_name, value) in tree.attributes(child) {
            let name = names.name(*attr_name)?;
            push_unique(fields, (start, &mut seen_names), name, scalar_of(*value)?)?;
        }
        let mut seen: Vec<u32> = Vec::new();
        for grandchild in tree.children(child) {
            let name_offset = tree.elements[grandchild].name;
            if seen.contains(&name_offset) {
                return Err(crate::unsupported!());
            }
            seen.push(name_offset);
            let path = names.path(Sym::EMPTY, name_offset)?;
            flatten(tree, grandchild, path, names, fields)?;
        }
    }
    Ok(())
}

/// An element as fields named by `path`: its attributes as `path.attribute`, its text as
/// `path`, its children as `path.child` (an empty element is `path` = null).
fn flatten<'c>(
    tree: &Tree<'c>,
    element: usize,
    path: Sym,
    names: &mut Names<'c>,
    fields: &mut Vec<(Sym, Value)>,
) -> Read<()> {
    let e = tree.elements[element];
    let attrs = tree.attributes(element);
    let has_children = e.first_child != super::tree::NONE;
    if has_children && e.text.is_some() {
        return Err(crate::unsupported!());
    }
    for (attr_name, value) in attrs {
        let name = names.attr_path(path, *attr_name)?;
        fields.push((name, scalar_of(*value)?));
    }
    if !has_children {
        match e.text {
            Some(text) => fields.push((path, scalar_of(text)?)),
            None if attrs.is_empty() => fields.push((path, Value::Null)),
            None => {}
        }
        return Ok(());
    }
    let mut seen: Vec<u32> = Vec::new();
    for child in tree.children(element) {
        let name_offset = tree.elements[child].name;
        if seen.contains(&name_offset) {
            return Err(crate::unsupported!());
        }
        seen.push(name_offset);
        let child_path = names.path(path, name_offset)?;
        flatten(tree, child, child_path, names, fields)?;
    }
    Ok(())
}

/// A value that is not an array of two or more (such an array outside `Data` repeats its
/// element, which reads differently in JSON).
fn scalar_of(value: Val<'_>) -> Read<Value> {
    match value_of(value)? {
        Value::List(_) => Err(crate::unsupported!()),
        other => Ok(other),
    }
}

/// A value as the JSON reading types it.
pub fn value_of(value: Val<'_>) -> Read<Value> {
    Ok(match value {
        Val::Null => Value::Null,
        Val::Str(units) => Value::Str(utf16(units)?.into()),
        Val::UInt(u) => Value::UInt(u),
        Val::Int(i) if i >= 0 => Value::UInt(i as u64),
        Val::Int(i) => Value::Int(i),
        // A whole float prints without a fraction and reads back as an integer: left out.
        Val::Float(f) if f.is_finite() && f.fract() != 0.0 => Value::Float(f),
        Val::Float(_) => return Err(crate::unsupported!()),
        Val::Bool(b) => Value::Bool(b),
        Val::Hex(v) => Value::Str(hex_text(v).into()),
        Val::Guid(bytes) => Value::Str(guid_text(bytes).into()),
        Val::FileTime(ticks) => {
            let t = filetime(ticks).ok_or(crate::unsupported!())?;
            Value::Str(time_text(&t, ticks).into())
        }
        Val::Sid(bytes) => Value::Str(sid_text(bytes).into()),
        Val::BinXml { .. } => return Err(crate::unsupported!()),
        Val::Ansi(bytes) => {
            if bytes.iter().any(|b| *b >= 0x80) {
                return Err(crate::unsupported!());
            }
            Value::Str(
                bytes
                    .iter()
                    .filter(|b| **b != 0)
                    .map(|b| char::from(*b))
                    .collect::<String>()
                    .into(),
            )
        }
        // One string reads as that string; two or more as a list (the element repeated).
        Val::StrArray(bytes) => {
            let mut items = strings(bytes)
                .map(|units| utf16(units).map(|s| Value::Str(s.into())))
                .collect::<Read<Vec<_>>>()?;
            match items.len() {
                0 => return Err(crate::unsupported!()),
                1 => items.remove(0),
                _ => Value::List(items.into_boxed_slice()),
            }
        }
        Val::Binary(bytes) => {
            let mut text = String::with_capacity(bytes.len() * 2);
            for b in bytes {
                let _ = write!(text, "{b:02X}");
            }
            Value::Str(text.into())
        }
    })
}

/// `0x` and lower-case hex digits, as the crate writes HexInt values.
fn hex_text(v: u64) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut buf = [0u8; 18];
    let mut at = buf.len();
    let mut n = v;
    loop {
        at -= 1;
        buf[at] = DIGITS[(n & 0xf) as usize];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    let mut text = String::with_capacity(20 - at);
    text.push_str("0x");
    text.extend(buf[at..].iter().map(|b| char::from(*b)));
    text
}

/// The strings of a string array (each ends with a NUL unit).
fn strings(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        let end = rest.chunks_exact(2).position(|u| u == [0, 0])?;
        let item = &rest[..end * 2];
        rest = &rest[end * 2 + 2..];
        Some(item)
    })
}

/// UTF-16LE code units → text (ASCII without a detour); a lone surrogate or a NUL is
/// unsupported (the crate writes its own replacement, or cuts the text).
pub fn utf16(units: &[u8]) -> Read<String> {
    if is_ascii_utf16(units) {
        let mut ascii = Vec::with_capacity(units.len() / 2);
        ascii.extend(units.iter().step_by(2));
        return String::from_utf8(ascii).map_err(|_| crate::unsupported!());
    }
    char::decode_utf16(
        units
            .chunks_exact(2)
            .map(|u| u16::from_le_bytes([u[0], u[1]])),
    )
    .map(|c| c.ok().filter(|c| *c != '\0'))
    .collect::<Option<String>>()
    .ok_or(crate::unsupported!())
}

/// True when every UTF-16LE unit is ASCII and not NUL (high byte 0, low byte 1 to 0x7f),
/// four units at a time.
fn is_ascii_utf16(units: &[u8]) -> bool {
    let mut words = units.chunks_exact(8);
    let words_ascii = words.all(|w| {
        let w = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        let has_zero_unit = w.wrapping_sub(0x0001_0001_0001_0001) & !w & 0x8000_8000_8000_8000 != 0;
        w & 0xff80_ff80_ff80_ff80 == 0 && !has_zero_unit
    });
    words_ascii
        && words
            .remainder()
            .chunks_exact(2)
            .all(|u| u[1] == 0 && u[0] < 0x80 && u[0] != 0)
}

/// A FILETIME as a UTC instant, for years 1601 to 9999 (the range both the crate and chrono
/// write and read alike).
pub fn filetime(ticks: u64) -> Option<DateTime<Utc>> {
    let secs = i64::try_from(ticks / 10_000_000).ok()? - FILETIME_UNIX_OFFSET_SECS;
    let nanos = u32::try_from(ticks % 10_000_000).ok()? * 100;
    let t = DateTime::<Utc>::from_timestamp(secs, nanos)?;
    (t.year() <= 9999).then_some(t)
}

/// `2024-03-05T09:41:27.1234567Z`, as the crate writes a FILETIME.
fn time_text(t: &DateTime<Utc>, ticks: u64) -> String {
    format!(
        "{}.{:07}Z",
        t.format("%Y-%m-%dT%H:%M:%S"),
        ticks % 10_000_000
    )
}

/// `{d1-d2-d3-d4[0..2]-d4[2..8]}` in lower case, data1 to data3 little-endian.
fn guid_text(b: &[u8]) -> String {
    const ORDER: [usize; 16] = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
    let mut text = String::with_capacity(38);
    text.push('{');
    for (i, &at) in ORDER.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            text.push('-');
        }
        let _ = write!(text, "{:02x}", b[at]);
    }
    text.push('}');
    text
}

/// `S-R-A-S1-…-Sn`: revision, 48-bit big-endian authority, little-endian sub-authorities.
fn sid_text(b: &[u8]) -> String {
    let authority = u64::from_be_bytes([0, 0, b[2], b[3], b[4], b[5], b[6], b[7]]);
    let mut text = format!("S-{}-{authority}", b[0]);
    for sub in b[8..].chunks_exact(4).take(usize::from(b[1])) {
        let _ = write!(
            text,
            "-{}",
            u32::from_le_bytes([sub[0], sub[1], sub[2], sub[3]])
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_as_the_crate_writes_them() {
        let guid = [
            0x78, 0x56, 0x34, 0x12, 0x34, 0x12, 0x78, 0x56, 0xab, 0xcd, 1, 2, 3, 4, 5, 6,
        ];
        assert_eq!(guid_text(&guid), "{12345678-1234-5678-abcd-010203040506}");
        let sid = [1u8, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 0x02, 0, 0];
        assert_eq!(sid_text(&sid), "S-1-5-32-544");
        assert_eq!(
            value_of(Val::Hex(0x80073cff)),
            Ok(Value::Str("0x80073cff".into()))
        );
        assert_eq!(
            value_of(Val::Binary(&[0xab, 1])),
            Ok(Value::Str("AB01".into()))
        );
        assert_eq!(value_of(Val::Int(5)), Ok(Value::UInt(5)));
        assert!(value_of(Val::Float(2.0)).is_err());
        // 2024-03-05T09:41:27.1234567Z
        let ticks = (1_709_631_687 + FILETIME_UNIX_OFFSET_SECS) as u64 * 10_000_000 + 1_234_567;
        assert_eq!(
            value_of(Val::FileTime(ticks)),
            Ok(Value::Str("2024-03-05T09:41:27.1234567Z".into()))
        );
        assert_eq!(filetime(u64::MAX), None);
        assert!(utf16(&[0x00, 0xd8]).is_err());
        assert_eq!(utf16(&[b'h', 0, 0xe9, 0]).as_deref(), Ok("hé"));
        assert_eq!(utf16(b"a\0b\0c\0d\0e\0").as_deref(), Ok("abcde"));
        assert!(utf16(b"a\0b\0\0\0d\0e\0").is_err());
        assert!(utf16(b"a\0\0\0").is_err());
        assert_eq!(hex_text(0), "0x0");
        assert_eq!(hex_text(0x80073cff), "0x80073cff");
    }
}
