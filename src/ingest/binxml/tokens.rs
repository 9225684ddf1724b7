//! BinXML tokens (MS-EVEN6 §2.2.12) → a flat list of [`Item`]s, and typed values → [`Val`].
//!
//! Reads the token shapes that records and template definitions in real logs use: fragment
//! headers, elements with attributes, typed values and (in template definitions)
//! substitutions, embedded BinXML fragments, string arrays and ASCII ANSI strings. Everything
//! else (CDATA, character and entity references, processing instructions, arrays other than
//! of strings, SYSTEMTIME, REAL32) is [`Unsupported`]: the caller then hands the record to the evtx crate, so an
//! unusual record costs speed, never correctness. Offsets are chunk offsets, as names and
//! template definitions are addressed by them. Plain data, no I/O.

use crate::evtx_format::{token, value_type};

/// The record (or chunk) uses something this reader leaves to the evtx crate; says where in
/// this reader's source that was decided (`file:line`), for tests and debugging.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unsupported(pub &'static str);

/// An [`Unsupported`] naming the line that decided it.
#[macro_export]
#[doc(hidden)]
macro_rules! unsupported {
    () => {
        $crate::ingest::binxml::tokens::Unsupported(concat!(file!(), ":", line!()))
    };
}

/// Shorthand for this module's results.
pub type Read<T> = Result<T, Unsupported>;

/// One token of an element tree, in document order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Item<'c> {
    /// An element starts; `name` is the chunk offset of its name. `dependency` is the
    /// template substitution it depends on (left out when that value is NULL).
    Open { name: u32, dependency: Option<u16> },
    /// An attribute of the element being opened; its value items follow.
    Attr { name: u32 },
    /// The start tag is complete; content follows.
    CloseStart,
    /// The element ends with no content.
    CloseEmpty,
    /// The element ends.
    End,
    /// A literal value.
    Val(Val<'c>),
    /// A template substitution.
    Sub { index: u16, optional: bool },
}

/// A typed value, borrowing its bytes from the chunk.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Val<'c> {
    Null,
    /// UTF-16LE code units (a substitution's are cut at the first NUL; a NUL in a value
    /// written in place is left to the crate when the text is read).
    Str(&'c [u8]),
    UInt(u64),
    Int(i64),
    /// REAL64.
    Float(f64),
    Bool(bool),
    /// HexInt32, HexInt64 and SizeT: written `0x…`.
    Hex(u64),
    Guid(&'c [u8]),
    /// 100 ns ticks since 1601-01-01 UTC.
    FileTime(u64),
    Sid(&'c [u8]),
    Binary(&'c [u8]),
    /// Windows-1252 bytes (NULs are dropped when read).
    Ansi(&'c [u8]),
    /// NUL-terminated UTF-16LE strings one after the other (a substitution of an array
    /// repeats the element holding it, one copy per string).
    StrArray(&'c [u8]),
    /// An embedded BinXML fragment (usually a template instance of its own: real logs put
    /// EventData there), at chunk offsets `start..end`.
    BinXml {
        start: u32,
        end: u32,
    },
}

impl Val<'_> {
    /// True for the values the crate treats as empty (an optional substitution or an
    /// attribute holding one is left out).
    pub fn is_empty(&self) -> bool {
        match self {
            Val::Null => true,
            Val::Str(s) | Val::Binary(s) | Val::StrArray(s) => s.is_empty(),
            Val::Ansi(s) => s.iter().all(|b| *b == 0),
            Val::BinXml { start, end } => start == end,
            _ => false,
        }
    }
}

/// A position in the chunk's bytes.
pub struct Cursor<'c> {
    pub data: &'c [u8],
    pub pos: usize,
}

impl<'c> Cursor<'c> {
    pub fn new(data: &'c [u8], pos: usize) -> Cursor<'c> {
        Cursor { data, pos }
    }

    pub fn take(&mut self, n: usize) -> Read<&'c [u8]> {
        let end = self.pos.checked_add(n).ok_or(crate::unsupported!())?;
        let bytes = self.data.get(self.pos..end).ok_or(crate::unsupported!())?;
        self.pos = end;
        Ok(bytes)
    }

    pub fn u8(&mut self) -> Read<u8> {
        let b = *self.data.get(self.pos).ok_or(crate::unsupported!())?;
        self.pos += 1;
        Ok(b)
    }

    pub fn u16(&mut self) -> Read<u16> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    pub fn u32(&mut self) -> Read<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub fn u64(&mut self) -> Read<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    fn array<const N: usize>(&mut self) -> Read<[u8; N]> {
        self.take(N)?.try_into().map_err(|_| crate::unsupported!())
    }
}

/// Which stream is being read: template definitions carry dependency ids and substitutions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Record,
    TemplateDefinition,
}

/// Reads tokens from `cursor` up to the end-of-stream token or `end` into `items`. Stops
/// before a TemplateInstance token at the top level (returns `true` then; the caller reads
/// the instance), else returns `false`.
pub fn read_items<'c>(
    cursor: &mut Cursor<'c>,
    end: usize,
    mode: Mode,
    items: &mut Vec<Item<'c>>,
) -> Read<bool> {
    let mut depth = 0usize;
    // Between an OpenStartElement and its CloseStart / CloseEmpty: only attributes and their
    // values may come there, and a close token anywhere else is damage the crate refuses.
    let mut in_start_tag = false;
    while cursor.pos < end {
        let token = cursor.u8()?;
        match token {
            token::END_OF_STREAM => return Ok(false),
            token::FRAGMENT_HEADER => {
                cursor.take(3)?;
            }
            token::TEMPLATE_INSTANCE if depth == 0 && mode == Mode::Record => {
                cursor.pos -= 1;
                return Ok(true);
            }
            t if t & !token::MORE == token::OPEN_START => {
                if in_start_tag {
                    return Err(crate::unsupported!());
                }
                in_start_tag = true;
                let dependency = match mode {
                    Mode::TemplateDefinition => Some(cursor.u16()?).filter(|d| *d != 0xffff),
                    Mode::Record => None,
                };
                cursor.u32()?; // data size
                let name = name_ref(cursor)?;
                if t & 0x40 != 0 {
                    cursor.u32()?; // attribute list size
                }
                depth += 1;
                items.push(Item::Open { name, dependency });
            }
            token::CLOSE_START | token::CLOSE_EMPTY if !in_start_tag => {
                return Err(crate::unsupported!());
            }
            token::CLOSE_START => {
                in_start_tag = false;
                items.push(Item::CloseStart);
            }
            token::CLOSE_EMPTY => {
                in_start_tag = false;
                depth = depth.checked_sub(1).ok_or(crate::unsupported!())?;
                items.push(Item::CloseEmpty);
            }
            token::END_ELEMENT if in_start_tag => return Err(crate::unsupported!()),
            token::END_ELEMENT => {
                depth = depth.checked_sub(1).ok_or(crate::unsupported!())?;
                items.push(Item::End);
            }
            t if t & !token::MORE == token::VALUE => {
                let value_type = cursor.u8()?;
                items.push(Item::Val(inline_value(cursor, value_type)?));
            }
            t if t & !token::MORE == token::ATTRIBUTE && !in_start_tag => {
                return Err(crate::unsupported!());
            }
            t if t & !token::MORE == token::ATTRIBUTE => {
                let name = name_ref(cursor)?;
                items.push(Item::Attr { name });
            }
            token::NORMAL_SUBSTITUTION | token::OPTIONAL_SUBSTITUTION
                if mode == Mode::TemplateDefinition =>
            {
                let index = cursor.u16()?;
                // The instance's descriptor says what the value is, but the crate refuses a
                // definition whose declared type is not a BinXML type at all.
                if !value_type::is_known(cursor.u8()?) {
                    return Err(crate::unsupported!());
                }
                items.push(Item::Sub {
                    index,
                    optional: token == token::OPTIONAL_SUBSTITUTION,
                });
            }
            _ => return Err(crate::unsupported!()),
        }
    }
    Ok(false)
}

/// A name reference: the chunk offset of the name; a name written in place right after its
/// reference is skipped. Whether the name can be read is the decoder's check (once per name
/// per chunk).
fn name_ref(cursor: &mut Cursor<'_>) -> Read<u32> {
    let offset = cursor.u32()?;
    if offset as usize == cursor.pos {
        // next-name link (4), hash (2), character count (2), characters, NUL (2).
        cursor.take(6)?;
        let chars = usize::from(cursor.u16()?);
        cursor.take(chars * 2 + 2)?;
    }
    Ok(offset)
}

/// True when the UTF-16LE code units decode (no lone surrogate) into a name the crate's JSON
/// can carry: it writes names unescaped, so a name holding `"`, `\` or a control character is
/// one this reader leaves to it.
pub fn readable_utf16(units: &[u8]) -> bool {
    char::decode_utf16(
        units
            .chunks_exact(2)
            .map(|u| u16::from_le_bytes([u[0], u[1]])),
    )
    .all(|c| c.is_ok_and(|c| !matches!(c, '"' | '\\' | '\0'..='\u{1f}')))
}

/// The UTF-16 code units of the name at chunk offset `offset`.
pub fn name_at(data: &[u8], offset: u32) -> Read<&[u8]> {
    let mut cursor = Cursor::new(data, offset as usize);
    cursor.take(6)?;
    let chars = usize::from(cursor.u16()?);
    cursor.take(chars * 2)
}

/// A value written in place (Value token): strings carry their length; other types have
/// their natural size.
fn inline_value<'c>(cursor: &mut Cursor<'c>, value_type: u8) -> Read<Val<'c>> {
    match value_type {
        // A NUL inside is left to the crate (`event::utf16` refuses it).
        value_type::STRING => {
            let chars = usize::from(cursor.u16()?);
            Ok(Val::Str(cursor.take(chars * 2)?))
        }
        value_type::SID => {
            let head = cursor
                .data
                .get(cursor.pos..cursor.pos + 2)
                .ok_or(crate::unsupported!())?;
            let size = 8 + 4 * usize::from(head[1]);
            Ok(Val::Sid(cursor.take(size)?))
        }
        value_type::NULL | value_type::BINARY | value_type::SIZE_T => Err(crate::unsupported!()),
        other => {
            let size = fixed_size(other).ok_or(crate::unsupported!())?;
            sized_value(other, cursor.take(size)?)
        }
    }
}

fn fixed_size(value_type: u8) -> Option<usize> {
    Some(match value_type {
        value_type::INT8 | value_type::UINT8 => 1,
        value_type::INT16 | value_type::UINT16 => 2,
        value_type::INT32 | value_type::UINT32 | value_type::BOOL | value_type::HEX_INT32 => 4,
        value_type::INT64
        | value_type::UINT64
        | value_type::REAL64
        | value_type::FILETIME
        | value_type::HEX_INT64 => 8,
        value_type::GUID => 16,
        _ => return None,
    })
}

/// A substitution value of `value_type` whose bytes are exactly `bytes`.
pub fn sized_value(value_type: u8, bytes: &[u8]) -> Read<Val<'_>> {
    let le = |n: usize| -> Read<u64> {
        if bytes.len() != n {
            return Err(crate::unsupported!());
        }
        let mut buf = [0u8; 8];
        buf[..n].copy_from_slice(bytes);
        Ok(u64::from_le_bytes(buf))
    };
    Ok(match value_type {
        value_type::NULL => Val::Null,
        value_type::STRING => {
            if !bytes.len().is_multiple_of(2) {
                return Err(crate::unsupported!());
            }
            // Cut at the first NUL, as the crate does.
            let units = bytes
                .chunks_exact(2)
                .position(|u| u == [0, 0])
                .map_or(bytes, |at| &bytes[..at * 2]);
            Val::Str(units)
        }
        value_type::INT8 => Val::Int(i64::from(le(1)? as u8 as i8)),
        value_type::UINT8 => Val::UInt(le(1)?),
        value_type::INT16 => Val::Int(i64::from(le(2)? as u16 as i16)),
        value_type::UINT16 => Val::UInt(le(2)?),
        value_type::INT32 => Val::Int(i64::from(le(4)? as u32 as i32)),
        value_type::UINT32 => Val::UInt(le(4)?),
        value_type::INT64 => Val::Int(le(8)? as i64),
        value_type::UINT64 => Val::UInt(le(8)?),
        value_type::REAL64 => Val::Float(f64::from_bits(le(8)?)),
        // Windows writes bitmasks into some bool slots: other values stay numbers.
        value_type::BOOL => match le(4)? as u32 as i32 {
            0 => Val::Bool(false),
            1 => Val::Bool(true),
            raw => Val::Int(i64::from(raw)),
        },
        value_type::BINARY => Val::Binary(bytes),
        value_type::GUID if bytes.len() == 16 => Val::Guid(bytes),
        value_type::SIZE_T | value_type::HEX_INT32 if bytes.len() == 4 => Val::Hex(le(4)?),
        value_type::SIZE_T | value_type::HEX_INT64 if bytes.len() == 8 => Val::Hex(le(8)?),
        value_type::FILETIME => Val::FileTime(le(8)?),
        value_type::SID if bytes.len() >= 8 && bytes.len() == 8 + 4 * usize::from(bytes[1]) => {
            Val::Sid(bytes)
        }
        value_type::ANSI_STRING => Val::Ansi(bytes),
        // NUL-terminated UTF-16 strings one after the other.
        value_type::STRING_ARRAY
            if bytes.len().is_multiple_of(2) && (bytes.is_empty() || bytes.ends_with(&[0, 0])) =>
        {
            Val::StrArray(bytes)
        }
        _ => return Err(crate::unsupported!()),
    })
}

/// A TemplateInstance token at `cursor`: the template's definition offset, the offset just
/// past an in-place definition (if any), and the substitution values.
pub struct Instance<'c> {
    pub definition: u32,
    /// The definition written in place: (start of its tokens, end).
    pub inline_definition: Option<(usize, usize)>,
    pub values: Vec<Val<'c>>,
}

/// Reads a TemplateInstance (token included) and its values.
pub fn read_instance<'c>(cursor: &mut Cursor<'c>) -> Read<Instance<'c>> {
    if cursor.u8()? != token::TEMPLATE_INSTANCE {
        return Err(crate::unsupported!());
    }
    cursor.u8()?;
    cursor.u32()?; // template id
    let definition = cursor.u32()?;
    let mut inline_definition = None;
    if definition as usize == cursor.pos {
        cursor.u32()?; // next template
        cursor.take(16)?; // GUID
        let size = cursor.u32()? as usize;
        let start = cursor.pos;
        cursor.take(size)?;
        inline_definition = Some((start, cursor.pos));
    }
    let count = cursor.u32()? as usize;
    let descriptors = cursor.take(count.checked_mul(4).ok_or(crate::unsupported!())?)?;
    let mut values = Vec::with_capacity(count);
    for d in descriptors.chunks_exact(4) {
        let size = usize::from(u16::from_le_bytes([d[0], d[1]]));
        let start = cursor.pos;
        let bytes = cursor.take(size)?;
        values.push(if d[2] == value_type::BIN_XML {
            // The crate refuses a record with an empty embedded fragment.
            if size == 0 {
                return Err(crate::unsupported!());
            }
            let offset = |at: usize| u32::try_from(at).map_err(|_| crate::unsupported!());
            Val::BinXml {
                start: offset(start)?,
                end: offset(cursor.pos)?,
            }
        } else {
            sized_value(d[2], bytes)?
        });
    }
    Ok(Instance {
        definition,
        inline_definition,
        values,
    })
}

/// Where a template definition's tokens are, from the chunk offset of its header.
pub fn definition_span(data: &[u8], offset: u32) -> Read<(usize, usize)> {
    let mut cursor = Cursor::new(data, offset as usize);
    cursor.u32()?; // next template
    cursor.take(16)?; // GUID
    let size = cursor.u32()? as usize;
    let start = cursor.pos;
    cursor.take(size)?;
    Ok((start, cursor.pos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitution_strings_stop_at_nul_and_bools_keep_odd_values() {
        let bytes = [b'a', 0, b'b', 0, 0, 0, b'c', 0];
        assert_eq!(
            sized_value(value_type::STRING, &bytes),
            Ok(Val::Str(&bytes[..4]))
        );
        assert_eq!(
            sized_value(value_type::BOOL, &[2, 0, 0, 0]),
            Ok(Val::Int(2))
        );
        assert_eq!(
            sized_value(value_type::BOOL, &[1, 0, 0, 0]),
            Ok(Val::Bool(true))
        );
        assert_eq!(
            sized_value(value_type::INT16, &[0xff, 0xff]),
            Ok(Val::Int(-1))
        );
        assert_eq!(
            sized_value(value_type::SIZE_T, &[1, 0, 0, 0]),
            Ok(Val::Hex(1))
        );
        assert!(sized_value(0x82, b"a\0").is_err());
        assert!(sized_value(value_type::UINT32, &[1, 0]).is_err());
    }

    #[test]
    fn unknown_tokens_are_left_to_the_crate() {
        // CDATA section.
        let data = [0x07u8, 1, 0, b'x', 0];
        let mut items = Vec::new();
        let mut cursor = Cursor::new(&data, 0);
        assert!(read_items(&mut cursor, data.len(), Mode::Record, &mut items).is_err());
    }
}
