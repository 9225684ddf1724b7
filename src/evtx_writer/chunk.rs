//! One 64 KiB EVTX chunk being filled: the 512-byte chunk header, the records after it, and
//! the chunk's string table; and the 4096-byte file header.
//!
//! Layout facts (libyal's "Windows XML Event Log (EVTX) format" notes; MS-EVEN6): chunk header
//! = `ElfChnk\0`, first/last record number, first/last record id (u64 each), header size 128,
//! last record offset, free space offset, CRC32 of the records, flags at 120, header CRC32 at
//! 124 (over bytes 0..120 and 128..512), 64 string bucket offsets at 128, 32 template offsets at
//! 384. The template table stays empty: records use no templates. Does not know events.

use std::io;

use super::binxml::NameTable;
use super::record::encode_record;
use crate::evtx_format::{CHUNK_HEADER_SIZE, CHUNK_SIZE, FILE_HEADER_SIZE};
use crate::model::Event;

/// A chunk under construction.
pub(crate) struct Chunk {
    data: Vec<u8>,
    /// Where the next record goes (the free space offset).
    free: usize,
    /// Offset of the last record written.
    last_record: usize,
    first_id: u64,
    last_id: u64,
    records: u64,
    names: NameTable,
    scratch: Vec<u8>,
}

impl Chunk {
    pub(crate) fn new() -> Chunk {
        Chunk {
            data: vec![0; CHUNK_SIZE],
            free: CHUNK_HEADER_SIZE,
            last_record: 0,
            first_id: 0,
            last_id: 0,
            records: 0,
            names: NameTable::default(),
            scratch: Vec::with_capacity(4096),
        }
    }

    /// True when no record has been added since the last reset.
    pub(crate) fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// Makes the chunk empty again.
    pub(crate) fn reset(&mut self) {
        self.data.fill(0);
        self.free = CHUNK_HEADER_SIZE;
        self.last_record = 0;
        self.first_id = 0;
        self.last_id = 0;
        self.records = 0;
        self.names.clear();
    }

    /// Adds `event` as record `record_id` and returns true, or returns false when the chunk has
    /// no room for it (leaving the chunk as it was). Fails for input BinXML cannot hold (for
    /// example a string over 65535 code units).
    pub(crate) fn try_add(&mut self, event: &Event, record_id: u64) -> io::Result<bool> {
        let mark = self.names.mark();
        self.scratch.clear();
        let encoded = encode_record(
            event,
            record_id,
            self.free,
            &mut self.names,
            &mut self.scratch,
        );
        let len = self.scratch.len();
        if encoded.is_err() || self.free + len > CHUNK_SIZE {
            self.names.rollback(mark);
            encoded?;
            return Ok(false);
        }
        self.data[self.free..self.free + len].copy_from_slice(&self.scratch);
        if self.records == 0 {
            self.first_id = record_id;
        }
        self.last_id = record_id;
        self.last_record = self.free;
        self.free += len;
        self.records += 1;
        Ok(true)
    }

    /// Fills in the chunk header (ids, offsets, string table, both CRC32s) and returns the
    /// finished 64 KiB.
    pub(crate) fn seal(&mut self) -> &[u8] {
        let d = &mut self.data;
        d[0..8].copy_from_slice(b"ElfChnk\0");
        // Record numbers count like the ids here: this writer never skips one inside a chunk.
        d[8..16].copy_from_slice(&self.first_id.to_le_bytes());
        d[16..24].copy_from_slice(&self.last_id.to_le_bytes());
        d[24..32].copy_from_slice(&self.first_id.to_le_bytes());
        d[32..40].copy_from_slice(&self.last_id.to_le_bytes());
        d[40..44].copy_from_slice(&128u32.to_le_bytes());
        d[44..48].copy_from_slice(&(self.last_record as u32).to_le_bytes());
        d[48..52].copy_from_slice(&(self.free as u32).to_le_bytes());
        let records_crc = crc32fast::hash(&d[CHUNK_HEADER_SIZE..self.free]);
        d[52..56].copy_from_slice(&records_crc.to_le_bytes());
        d[120..124].copy_from_slice(&0u32.to_le_bytes()); // flags: clean
        for (i, offset) in self.names.buckets().iter().enumerate() {
            d[128 + i * 4..132 + i * 4].copy_from_slice(&offset.to_le_bytes());
        }
        // Template offsets (384..512) stay zero.
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&d[..120]);
        hasher.update(&d[128..CHUNK_HEADER_SIZE]);
        d[124..128].copy_from_slice(&hasher.finalize().to_le_bytes());
        &self.data
    }
}

/// File header flag: the log was not closed cleanly.
pub(crate) const FILE_FLAG_DIRTY: u32 = 0x1;

/// The 4096-byte file header: `ElfFile\0`, first and last chunk number, next record id, header
/// size 128, version 3.1, header block size 4096, chunk count, flags at 120 and the CRC32 of
/// the first 120 bytes at 124.
pub(crate) fn file_header(chunks: u64, next_record_id: u64, flags: u32) -> Vec<u8> {
    let mut h = vec![0u8; FILE_HEADER_SIZE];
    h[0..8].copy_from_slice(b"ElfFile\0");
    h[8..16].copy_from_slice(&0u64.to_le_bytes());
    h[16..24].copy_from_slice(&chunks.saturating_sub(1).to_le_bytes());
    h[24..32].copy_from_slice(&next_record_id.to_le_bytes());
    h[32..36].copy_from_slice(&128u32.to_le_bytes());
    h[36..38].copy_from_slice(&1u16.to_le_bytes());
    h[38..40].copy_from_slice(&3u16.to_le_bytes());
    h[40..42].copy_from_slice(&(FILE_HEADER_SIZE as u16).to_le_bytes());
    let count = u16::try_from(chunks).unwrap_or(u16::MAX);
    h[42..44].copy_from_slice(&count.to_le_bytes());
    h[120..124].copy_from_slice(&flags.to_le_bytes());
    let crc = crc32fast::hash(&h[..120]);
    h[124..128].copy_from_slice(&crc.to_le_bytes());
    h
}
