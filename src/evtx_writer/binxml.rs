//! Encodes one event as a BinXML fragment: plain elements, attributes and typed values.
//!
//! Knows the BinXML tokens (MS-EVEN6 §2.2.12; libyal's EVTX format notes) that a record needs
//! when it uses no template: fragment header, OpenStartElement, Attribute, Value, CloseStart /
//! CloseEmpty / EndElement and EndOfStream. Element and attribute names live in the chunk's
//! string table ([`NameTable`]): the first use in a chunk writes the name in place, later uses
//! point at it. Does not know templates, substitutions, chunks or files.

use std::collections::HashMap;
use std::io;

use crate::evtx_format::{STRING_BUCKETS, token, value_type};

/// A typed BinXML value.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Val<'a> {
    /// UTF-16 string (type 0x01).
    Str(&'a str),
    UInt8(u8),
    UInt16(u16),
    UInt32(u32),
    UInt64(u64),
    Int32(i32),
    Int64(i64),
    Real64(f64),
    Bool(bool),
    HexInt32(u32),
    HexInt64(u64),
    /// A GUID in its 16-byte Windows layout.
    Guid([u8; 16]),
    /// A SID in its binary layout (see [`encode_sid`]).
    Sid(&'a [u8]),
    /// 100 ns ticks since 1601-01-01 UTC.
    FileTime(u64),
}

/// The element and attribute names written so far in one chunk.
///
/// Names are chained per hash bucket through the `next` link stored before each name, the way
/// the chunk header's 64 string offsets expect. Additions can be undone back to a mark, for a
/// record that turns out not to fit in the chunk.
pub(crate) struct NameTable {
    offsets: HashMap<&'static str, u32>,
    buckets: [u32; STRING_BUCKETS],
    added: Vec<&'static str>,
}

/// A point [`NameTable::rollback`] can return to.
pub(crate) struct NameMark {
    buckets: [u32; STRING_BUCKETS],
    added: usize,
}

impl Default for NameTable {
    fn default() -> Self {
        NameTable {
            offsets: HashMap::new(),
            buckets: [0; STRING_BUCKETS],
            added: Vec::new(),
        }
    }
}

impl NameTable {
    /// The bucket heads, for the chunk header (chunk offsets, 0 for an empty bucket).
    pub(crate) fn buckets(&self) -> &[u32; STRING_BUCKETS] {
        &self.buckets
    }

    /// Forgets every name (a new chunk).
    pub(crate) fn clear(&mut self) {
        self.offsets.clear();
        self.buckets = [0; STRING_BUCKETS];
        self.added.clear();
    }

    /// The current state, to undo later additions.
    pub(crate) fn mark(&mut self) -> NameMark {
        NameMark {
            buckets: self.buckets,
            added: self.added.len(),
        }
    }

    /// Undoes the additions made since `mark`.
    pub(crate) fn rollback(&mut self, mark: NameMark) {
        for name in self.added.drain(mark.added..) {
            self.offsets.remove(name);
        }
        self.buckets = mark.buckets;
    }
}

/// The 16-bit name hash stored with each name: `hash = hash * 65599 + code unit` over the
/// UTF-16 code units, low 16 bits kept.
pub(crate) fn name_hash(name: &str) -> u16 {
    let mut hash: u32 = 0;
    for unit in name.encode_utf16() {
        hash = hash.wrapping_mul(65599).wrapping_add(u32::from(unit));
    }
    (hash & 0xffff) as u16
}

/// Writes BinXML into `out`, whose first byte sits at chunk offset `base`.
pub(crate) struct Encoder<'o, 'n> {
    out: &'o mut Vec<u8>,
    base: usize,
    names: &'n mut NameTable,
}

/// An element whose start has been written; [`Encoder::end`] closes it.
pub(crate) struct Open {
    size_at: usize,
}

fn too_large(what: &str, len: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{what} of {len} UTF-16 code units is too long for BinXML (at most 65535)"),
    )
}

impl<'o, 'n> Encoder<'o, 'n> {
    /// An encoder appending to `out`, where `out[0]` is at chunk offset `base`.
    pub(crate) fn new(out: &'o mut Vec<u8>, base: usize, names: &'n mut NameTable) -> Self {
        Encoder { out, base, names }
    }

    /// The fragment header that starts a record's BinXML (version 1.1, no flags).
    pub(crate) fn fragment_header(&mut self) {
        self.out
            .extend_from_slice(&[token::FRAGMENT_HEADER, 1, 1, 0]);
    }

    /// The EndOfStream token.
    pub(crate) fn end_of_stream(&mut self) {
        self.out.push(token::END_OF_STREAM);
    }

    fn put_u16(&mut self, v: u16) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }

    fn put_u32(&mut self, v: u32) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }

    fn patch_u32(&mut self, at: usize, v: u32) {
        if let Some(slot) = self.out.get_mut(at..at + 4) {
            slot.copy_from_slice(&v.to_le_bytes());
        }
    }

    /// Length (in bytes, as u32) from `from` to the end of the output.
    fn len_since(&self, from: usize) -> u32 {
        u32::try_from(self.out.len().saturating_sub(from)).unwrap_or(u32::MAX)
    }

    /// Writes UTF-16LE code units of `text`; returns how many.
    fn put_utf16(&mut self, text: &str) -> usize {
        let mut units = 0;
        for unit in text.encode_utf16() {
            self.out.extend_from_slice(&unit.to_le_bytes());
            units += 1;
        }
        units
    }

    /// A name reference: the chunk offset of the name, and the name itself right after it the
    /// first time the chunk sees it.
    fn name(&mut self, name: &'static str) -> io::Result<()> {
        if let Some(&offset) = self.names.offsets.get(name) {
            self.put_u32(offset);
            return Ok(());
        }
        let offset = u32::try_from(self.base + self.out.len() + 4).map_err(|_| {
            io::Error::new(io::ErrorKind::InvalidInput, "chunk offset beyond 4 GiB")
        })?;
        self.put_u32(offset);
        let hash = name_hash(name);
        let bucket = usize::from(hash) % STRING_BUCKETS;
        let next = self.names.buckets[bucket];
        self.put_u32(next);
        self.put_u16(hash);
        let count_at = self.out.len();
        self.put_u16(0);
        let units = self.put_utf16(name);
        let units16 = u16::try_from(units).map_err(|_| too_large("name", units))?;
        self.out[count_at..count_at + 2].copy_from_slice(&units16.to_le_bytes());
        self.put_u16(0);
        self.names.offsets.insert(name, offset);
        self.names.buckets[bucket] = offset;
        self.names.added.push(name);
        Ok(())
    }

    /// A Value token: the type byte and the value's bytes.
    pub(crate) fn value(&mut self, value: Val<'_>) -> io::Result<()> {
        self.out.push(token::VALUE);
        match value {
            Val::Str(s) => {
                self.out.push(value_type::STRING);
                let count_at = self.out.len();
                self.put_u16(0);
                let units = self.put_utf16(s);
                let units16 = u16::try_from(units).map_err(|_| too_large("string", units))?;
                self.out[count_at..count_at + 2].copy_from_slice(&units16.to_le_bytes());
            }
            Val::UInt8(v) => {
                self.out.push(value_type::UINT8);
                self.out.push(v);
            }
            Val::UInt16(v) => {
                self.out.push(value_type::UINT16);
                self.put_u16(v);
            }
            Val::UInt32(v) => {
                self.out.push(value_type::UINT32);
                self.put_u32(v);
            }
            Val::UInt64(v) => {
                self.out.push(value_type::UINT64);
                self.out.extend_from_slice(&v.to_le_bytes());
            }
            Val::Int32(v) => {
                self.out.push(value_type::INT32);
                self.out.extend_from_slice(&v.to_le_bytes());
            }
            Val::Int64(v) => {
                self.out.push(value_type::INT64);
                self.out.extend_from_slice(&v.to_le_bytes());
            }
            Val::Real64(v) => {
                self.out.push(value_type::REAL64);
                self.out.extend_from_slice(&v.to_le_bytes());
            }
            Val::Bool(v) => {
                // BoolType is stored in 32 bits.
                self.out.push(value_type::BOOL);
                self.put_u32(u32::from(v));
            }
            Val::HexInt32(v) => {
                self.out.push(value_type::HEX_INT32);
                self.put_u32(v);
            }
            Val::HexInt64(v) => {
                self.out.push(value_type::HEX_INT64);
                self.out.extend_from_slice(&v.to_le_bytes());
            }
            Val::Guid(bytes) => {
                self.out.push(value_type::GUID);
                self.out.extend_from_slice(&bytes);
            }
            Val::Sid(bytes) => {
                self.out.push(value_type::SID);
                self.out.extend_from_slice(bytes);
            }
            Val::FileTime(ticks) => {
                self.out.push(value_type::FILETIME);
                self.out.extend_from_slice(&ticks.to_le_bytes());
            }
        }
        Ok(())
    }

    /// Opens element `name` with `attrs`. Closes it at once (CloseEmptyElement) when `empty`;
    /// otherwise the caller writes its content and then calls [`Encoder::end`].
    fn start(
        &mut self,
        name: &'static str,
        attrs: &[(&'static str, Val<'_>)],
        empty: bool,
    ) -> io::Result<Open> {
        self.out.push(if attrs.is_empty() {
            token::OPEN_START
        } else {
            token::OPEN_START_ATTRS
        });
        // Element size: the bytes after this field up to the end of the element.
        let size_at = self.out.len();
        self.put_u32(0);
        self.name(name)?;
        if !attrs.is_empty() {
            // Attribute list size: the bytes after this field up to the close token.
            let list_at = self.out.len();
            self.put_u32(0);
            for (i, (attr_name, attr_value)) in attrs.iter().enumerate() {
                self.out.push(if i + 1 < attrs.len() {
                    token::ATTRIBUTE_MORE
                } else {
                    token::ATTRIBUTE
                });
                self.name(attr_name)?;
                self.value(*attr_value)?;
            }
            let list_size = self.len_since(list_at + 4);
            self.patch_u32(list_at, list_size);
        }
        let open = Open { size_at };
        if empty {
            self.out.push(token::CLOSE_EMPTY);
            self.finish_size(&open);
        } else {
            self.out.push(token::CLOSE_START);
        }
        Ok(open)
    }

    fn finish_size(&mut self, open: &Open) {
        let size = self.len_since(open.size_at + 4);
        self.patch_u32(open.size_at, size);
    }

    /// Opens an element that will have content; close it with [`Encoder::end`].
    pub(crate) fn open(
        &mut self,
        name: &'static str,
        attrs: &[(&'static str, Val<'_>)],
    ) -> io::Result<Open> {
        self.start(name, attrs, false)
    }

    /// Closes an element opened with [`Encoder::open`] (EndElement).
    pub(crate) fn end(&mut self, open: Open) {
        self.out.push(token::END_ELEMENT);
        self.finish_size(&open);
    }

    /// An element with attributes and no content.
    pub(crate) fn empty(
        &mut self,
        name: &'static str,
        attrs: &[(&'static str, Val<'_>)],
    ) -> io::Result<()> {
        self.start(name, attrs, true).map(|_| ())
    }

    /// An element holding one value (no attributes).
    pub(crate) fn leaf(&mut self, name: &'static str, value: Val<'_>) -> io::Result<()> {
        let open = self.start(name, &[], false)?;
        self.value(value)?;
        self.end(open);
        Ok(())
    }
}

/// Parses a GUID written as `0a1b2c3d-0000-0001-aaaa-0123456789ab` (braces optional, any case)
/// into its 16-byte Windows layout (first three groups little-endian).
pub(crate) fn parse_guid(text: &str) -> Option<[u8; 16]> {
    let text = text.trim();
    let text = text
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .unwrap_or(text);
    let groups: Vec<&str> = text.split('-').collect();
    let lens = [8, 4, 4, 4, 12];
    if groups.len() != 5
        || groups
            .iter()
            .zip(lens)
            .any(|(g, len)| g.len() != len || !g.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return None;
    }
    let d1 = u32::from_str_radix(groups[0], 16).ok()?;
    let d2 = u16::from_str_radix(groups[1], 16).ok()?;
    let d3 = u16::from_str_radix(groups[2], 16).ok()?;
    let tail = format!("{}{}", groups[3], groups[4]);
    let mut out = [0u8; 16];
    out[..4].copy_from_slice(&d1.to_le_bytes());
    out[4..6].copy_from_slice(&d2.to_le_bytes());
    out[6..8].copy_from_slice(&d3.to_le_bytes());
    for (i, slot) in out[8..].iter_mut().enumerate() {
        *slot = u8::from_str_radix(tail.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Encodes a SID written as `S-1-5-21-…` into its binary layout: revision, sub-authority
/// count, 48-bit big-endian authority, then each sub-authority as u32 little-endian.
/// `None` for text that is not a SID (at most 15 sub-authorities).
pub(crate) fn encode_sid(text: &str) -> Option<Vec<u8>> {
    let mut parts = text.trim().split('-');
    if !parts.next()?.eq_ignore_ascii_case("S") {
        return None;
    }
    let revision: u8 = parts.next()?.parse().ok()?;
    let authority: u64 = parts.next()?.parse().ok()?;
    if authority >= 1 << 48 {
        return None;
    }
    let subs = parts
        .map(|p| p.parse::<u32>().ok())
        .collect::<Option<Vec<u32>>>()?;
    if subs.len() > 15 {
        return None;
    }
    let mut out = Vec::with_capacity(8 + subs.len() * 4);
    out.push(revision);
    out.push(subs.len() as u8);
    out.extend_from_slice(&authority.to_be_bytes()[2..]);
    for sub in subs {
        out.extend_from_slice(&sub.to_le_bytes());
    }
    Some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn guid_layout_is_windows_mixed_endian() {
        let g = parse_guid("{0A1B2C3D-0000-0001-AAAA-0123456789ab}").unwrap();
        assert_eq!(
            g,
            [
                0x3d, 0x2c, 0x1b, 0x0a, 0, 0, 1, 0, 0xaa, 0xaa, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab
            ]
        );
        assert!(parse_guid("not-a-guid").is_none());
        assert!(parse_guid("0A1B2C3D-0000-0001-AAAA-0123456789aX").is_none());
    }

    #[test]
    fn sid_layout() {
        assert_eq!(
            encode_sid("S-1-5-18").unwrap(),
            vec![1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0]
        );
        assert!(encode_sid("S-1-x").is_none());
        assert!(encode_sid("user").is_none());
    }

    #[test]
    fn names_are_written_once_per_chunk_and_rolled_back() {
        let mut names = NameTable::default();
        let mut out = Vec::new();
        let mut enc = Encoder::new(&mut out, 512, &mut names);
        enc.leaf("Channel", Val::Str("x")).unwrap();
        let first_len = out.len();
        let mut enc = Encoder::new(&mut out, 512, &mut names);
        enc.leaf("Channel", Val::Str("x")).unwrap();
        // The second use only refers to the name: token, size, offset, value and end.
        assert!(out.len() - first_len < first_len);
        let mark = names.mark();
        let mut enc = Encoder::new(&mut out, 512, &mut names);
        enc.leaf("Computer", Val::Str("y")).unwrap();
        assert!(names.offsets.contains_key("Computer"));
        names.rollback(mark);
        assert!(!names.offsets.contains_key("Computer"));
        assert!(names.offsets.contains_key("Channel"));
    }
}
