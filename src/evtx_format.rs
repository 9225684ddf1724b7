//! Facts of the EVTX file format (MS-EVEN6; libyal's "Windows XML Event Log (EVTX) format"
//! notes) that both our reader (`ingest::evtx`, `ingest::binxml`) and our writer
//! (`evtx_writer`) need: block sizes, the record signature, BinXML token bytes and value type
//! codes, and the FILETIME epoch. Constants only: what a reader or writer does with them lives
//! with it.

/// Size of the file header block; chunk 0 starts here.
pub const FILE_HEADER_SIZE: usize = 4096;
/// Size of a chunk.
pub const CHUNK_SIZE: usize = 65536;
/// Size of a chunk header; records start here.
pub const CHUNK_HEADER_SIZE: usize = 512;
/// The largest record a chunk can hold.
pub const MAX_RECORD_SIZE: usize = CHUNK_SIZE - CHUNK_HEADER_SIZE;
/// A record header: signature, size (u32), record id (u64), FILETIME (u64).
pub const RECORD_HEADER_SIZE: usize = 24;
/// Record signature `**\0\0`.
pub const RECORD_MAGIC: [u8; 4] = *b"**\0\0";
/// Number of hash buckets in a chunk's string table.
pub const STRING_BUCKETS: usize = 64;
/// Seconds from 1601-01-01 (FILETIME 0) to 1970-01-01 (the Unix epoch).
pub const FILETIME_UNIX_OFFSET_SECS: i64 = 11_644_473_600;

/// BinXML token bytes (MS-EVEN6 §2.2.12). The 0x40 bit ([`token::MORE`]) means "has
/// attributes" on OpenStartElement and "more attributes follow" on Attribute.
pub mod token {
    pub const END_OF_STREAM: u8 = 0x00;
    pub const OPEN_START: u8 = 0x01;
    pub const CLOSE_START: u8 = 0x02;
    pub const CLOSE_EMPTY: u8 = 0x03;
    pub const END_ELEMENT: u8 = 0x04;
    pub const VALUE: u8 = 0x05;
    pub const ATTRIBUTE: u8 = 0x06;
    pub const TEMPLATE_INSTANCE: u8 = 0x0c;
    pub const NORMAL_SUBSTITUTION: u8 = 0x0d;
    pub const OPTIONAL_SUBSTITUTION: u8 = 0x0e;
    pub const FRAGMENT_HEADER: u8 = 0x0f;
    /// The flag bit of OpenStartElement and Attribute.
    pub const MORE: u8 = 0x40;
    /// OpenStartElement with attributes.
    pub const OPEN_START_ATTRS: u8 = OPEN_START | MORE;
    /// Attribute with more attributes after it.
    pub const ATTRIBUTE_MORE: u8 = ATTRIBUTE | MORE;
}

/// BinXML value types (MS-EVEN6 §2.2.17).
pub mod value_type {
    pub const NULL: u8 = 0x00;
    pub const STRING: u8 = 0x01;
    pub const ANSI_STRING: u8 = 0x02;
    pub const INT8: u8 = 0x03;
    pub const UINT8: u8 = 0x04;
    pub const INT16: u8 = 0x05;
    pub const UINT16: u8 = 0x06;
    pub const INT32: u8 = 0x07;
    pub const UINT32: u8 = 0x08;
    pub const INT64: u8 = 0x09;
    pub const UINT64: u8 = 0x0a;
    pub const REAL64: u8 = 0x0c;
    pub const BOOL: u8 = 0x0d;
    pub const BINARY: u8 = 0x0e;
    pub const GUID: u8 = 0x0f;
    pub const SIZE_T: u8 = 0x10;
    pub const FILETIME: u8 = 0x11;
    pub const SID: u8 = 0x13;
    pub const HEX_INT32: u8 = 0x14;
    pub const HEX_INT64: u8 = 0x15;
    pub const BIN_XML: u8 = 0x21;
    /// Array of UTF-16 strings (the array bit 0x80 on STRING).
    pub const STRING_ARRAY: u8 = 0x81;

    /// True for the codes MS-EVEN6 defines: the scalar types 0x00 to 0x15, EvtHandle (0x20),
    /// BinXml (0x21), EvtXml (0x23), and arrays (0x80 set) of 0x01 to 0x15.
    pub fn is_known(code: u8) -> bool {
        matches!(code, 0x00..=0x15 | 0x20 | 0x21 | 0x23 | 0x81..=0x95)
    }
}
