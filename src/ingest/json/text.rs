//! Lines of a text file, streamed: UTF-8 (with or without a BOM) or UTF-16 (LE/BE with a
//! BOM, or LE without one when the file starts with an ASCII `{`/`[` followed by a zero byte).
//!
//! Each line comes with its 1-based number and the byte offset where it starts in the file;
//! the line ending (`\n`, `\r\n`) is removed. Invalid code units are replaced by U+FFFD and
//! reported, never silently. Knows nothing about JSON.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

/// How the file's bytes are turned into text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
}

/// One line of text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Line {
    /// 1-based line number.
    pub number: usize,
    /// Byte offset of the line's first byte in the file.
    pub offset: u64,
    /// The text without its line ending.
    pub text: String,
    /// Set when the line held bytes that are not valid text in the file's encoding.
    pub decode_problem: Option<String>,
}

/// Streams the lines of a file.
pub(super) struct LineReader<R> {
    inner: R,
    encoding: Encoding,
    number: usize,
    offset: u64,
    bytes: Vec<u8>,
    units: Vec<u16>,
}

impl LineReader<BufReader<File>> {
    /// Opens `path` and reads past its byte-order mark, if any.
    pub(super) fn open(path: &Path) -> io::Result<Self> {
        LineReader::new(BufReader::with_capacity(1 << 16, File::open(path)?))
    }
}

impl<R: BufRead> LineReader<R> {
    /// Wraps a reader positioned at the start of the file.
    pub(super) fn new(mut inner: R) -> io::Result<Self> {
        let head = inner.fill_buf()?;
        let (encoding, bom) = if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
            (Encoding::Utf8, 3)
        } else if head.starts_with(&[0xFF, 0xFE]) {
            (Encoding::Utf16Le, 2)
        } else if head.starts_with(&[0xFE, 0xFF]) {
            (Encoding::Utf16Be, 2)
        } else if head.len() >= 2 && matches!(head[0], b'{' | b'[') && head[1] == 0 {
            (Encoding::Utf16Le, 0)
        } else {
            (Encoding::Utf8, 0)
        };
        inner.consume(bom);
        Ok(LineReader {
            inner,
            encoding,
            number: 0,
            offset: bom as u64,
            bytes: Vec::new(),
            units: Vec::new(),
        })
    }

    /// The encoding found at the start of the file.
    pub(super) fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The next line, `None` at the end of the file.
    pub(super) fn next_line(&mut self) -> Option<io::Result<Line>> {
        let result = match self.encoding {
            Encoding::Utf8 => self.next_utf8(),
            Encoding::Utf16Le | Encoding::Utf16Be => self.next_utf16(),
        };
        match result {
            Ok(Some((text, len, decode_problem))) => {
                self.number += 1;
                let line = Line {
                    number: self.number,
                    offset: self.offset,
                    text,
                    decode_problem,
                };
                self.offset += len;
                Some(Ok(line))
            }
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }

    /// Text, bytes consumed, decode problem.
    fn next_utf8(&mut self) -> io::Result<Option<(String, u64, Option<String>)>> {
        self.bytes.clear();
        let len = self.inner.read_until(b'\n', &mut self.bytes)?;
        if len == 0 {
            return Ok(None);
        }
        let content = trim_line_end(&self.bytes);
        let (text, problem) = match std::str::from_utf8(content) {
            Ok(text) => (text.to_owned(), None),
            Err(e) => (
                String::from_utf8_lossy(content).into_owned(),
                Some(format!(
                    "not valid UTF-8 (byte {} of the line); replaced by U+FFFD",
                    e.valid_up_to() + 1
                )),
            ),
        };
        Ok(Some((text, len as u64, problem)))
    }

    fn next_utf16(&mut self) -> io::Result<Option<(String, u64, Option<String>)>> {
        self.units.clear();
        let mut consumed = 0u64;
        let mut odd_byte = false;
        loop {
            let mut pair = [0u8; 2];
            let got = read_up_to(&mut self.inner, &mut pair)?;
            consumed += got as u64;
            if got < 2 {
                odd_byte = got == 1;
                break;
            }
            let unit = match self.encoding {
                Encoding::Utf16Be => u16::from_be_bytes(pair),
                _ => u16::from_le_bytes(pair),
            };
            self.units.push(unit);
            if unit == u16::from(b'\n') {
                break;
            }
        }
        if consumed == 0 {
            return Ok(None);
        }
        let mut end = self.units.len();
        if end > 0 && self.units[end - 1] == u16::from(b'\n') {
            end -= 1;
        }
        if end > 0 && self.units[end - 1] == u16::from(b'\r') {
            end -= 1;
        }
        let content = &self.units[..end];
        let (text, mut problem) = match String::from_utf16(content) {
            Ok(text) => (text, None),
            Err(_) => (
                String::from_utf16_lossy(content),
                Some("not valid UTF-16 (lone surrogate); replaced by U+FFFD".to_owned()),
            ),
        };
        if odd_byte {
            problem = Some("the file ends in half a UTF-16 code unit".to_owned());
        }
        Ok(Some((text, consumed, problem)))
    }
}

/// Fills `buf` as far as the reader allows; returns how many bytes were read.
fn read_up_to<R: Read>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn trim_line_end(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    bytes.strip_suffix(b"\r").unwrap_or(bytes)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn lines(bytes: &[u8]) -> Vec<Line> {
        let mut reader = LineReader::new(bytes).unwrap();
        std::iter::from_fn(|| reader.next_line().map(|l| l.unwrap())).collect()
    }

    #[test]
    fn utf8_bom_crlf_and_offsets() {
        let got = lines(b"\xEF\xBB\xBF{}\r\n\r\n[1]");
        let texts: Vec<&str> = got.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["{}", "", "[1]"]);
        assert_eq!(got[0].offset, 3);
        assert_eq!(got[1].offset, 7);
        assert_eq!(got[2].offset, 9);
        assert_eq!(got[2].number, 3);
    }

    #[test]
    fn utf16_le_and_be() {
        let text = "{\"a\":\"é\"}\r\n[]";
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for unit in text.encode_utf16() {
            le.extend(unit.to_le_bytes());
            be.extend(unit.to_be_bytes());
        }
        for bytes in [le, be] {
            let got = lines(&bytes);
            assert_eq!(got.len(), 2);
            assert_eq!(got[0].text, "{\"a\":\"é\"}");
            assert_eq!(got[1].text, "[]");
            assert_eq!(got[1].offset, 2 + 2 * 11);
        }
    }

    #[test]
    fn invalid_utf8_is_reported() {
        let got = lines(b"{\"a\":\"\xFF\"}\n");
        assert!(got[0].decode_problem.is_some());
        assert!(got[0].text.contains('\u{FFFD}'));
    }
}
