//! Lines → JSON documents: JSON lines, pretty-printed documents one after another with no
//! separator, a top-level array, and `evtx_dump -o json` with its `Record N` lines.
//!
//! Brackets are counted outside strings so that a document is parsed once, when it closes.
//! A compact line that does not close (a truncated JSON line) is reported on its own line
//! and the lines after it are read again, so one bad line never swallows good ones.
//! Knows nothing about event shapes.

use std::collections::VecDeque;

use serde_json::Value as Json;

use super::text::Line;

/// What the splitter found.
#[derive(Debug)]
pub(super) enum Piece {
    /// A JSON document.
    Doc {
        /// Line where the document starts.
        line: usize,
        /// Byte offset of the line where it starts.
        offset: u64,
        /// True when the document spans more than one line.
        multi_line: bool,
        value: Json,
    },
    /// An `evtx_dump -o json` separator line (`Record 12`).
    Separator,
    /// Text that is not JSON (or not a complete document), with where it starts.
    Problem { line: usize, message: String },
}

/// Cuts a stream of lines into documents.
#[derive(Default)]
pub(super) struct Splitter {
    pending: Vec<Line>,
    queue: VecDeque<Line>,
    depth: i64,
    in_string: bool,
    escape: bool,
}

impl Splitter {
    /// Feeds one line; complete documents and problems are appended to `out`.
    pub(super) fn push_line(&mut self, line: Line, out: &mut Vec<Piece>) {
        self.queue.push_back(line);
        while let Some(line) = self.queue.pop_front() {
            self.take(line, out);
        }
    }

    /// The end of the file: an open document is reported as truncated.
    pub(super) fn finish(&mut self, out: &mut Vec<Piece>) {
        loop {
            while let Some(line) = self.queue.pop_front() {
                self.take(line, out);
            }
            if self.pending.is_empty() {
                break;
            }
            self.fail("the file ends before the document closes (truncated)", out);
        }
    }

    fn take(&mut self, line: Line, out: &mut Vec<Piece>) {
        if !self.pending.is_empty() && self.starts_a_document(&line.text) {
            // The open document never closed: report it, then read this line afresh.
            let reason = format!(
                "line {} starts a new document before it closes",
                line.number
            );
            self.queue.push_front(line);
            self.fail(&reason, out);
            return;
        }
        if self.pending.is_empty() {
            let trimmed = line.text.trim();
            if trimmed.is_empty() {
                return;
            }
            if is_record_separator(trimmed) {
                out.push(Piece::Separator);
                return;
            }
            if !trimmed.starts_with(['{', '[']) {
                // A scalar, or not JSON at all: parse the line on its own.
                match serde_json::from_str::<Json>(trimmed) {
                    Ok(value) => out.push(Piece::Doc {
                        line: line.number,
                        offset: line.offset,
                        multi_line: false,
                        value,
                    }),
                    Err(e) => out.push(Piece::Problem {
                        line: line.number,
                        message: format!("not JSON ({}): {}", e, excerpt(trimmed)),
                    }),
                }
                return;
            }
        }
        self.scan(&line.text);
        self.pending.push(line);
        if self.in_string {
            let last = self.pending.last().map_or(0, |l| l.number);
            self.fail(
                &format!("line {last} ends inside a string (a truncated or broken line)"),
                out,
            );
        } else if self.depth <= 0 {
            self.complete(out);
        }
    }

    /// Counts brackets outside strings.
    fn scan(&mut self, text: &str) {
        for b in text.bytes() {
            if self.in_string {
                if self.escape {
                    self.escape = false;
                } else if b == b'\\' {
                    self.escape = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
            } else {
                match b {
                    b'"' => self.in_string = true,
                    b'{' | b'[' => self.depth += 1,
                    b'}' | b']' => self.depth -= 1,
                    _ => {}
                }
            }
        }
    }

    /// The pending lines close a document (or several): parse them.
    fn complete(&mut self, out: &mut Vec<Piece>) {
        let first = self.pending[0].number;
        let offset = self.pending[0].offset;
        let multi_line = self.pending.len() > 1;
        let text = join(&self.pending);
        let mut stream = serde_json::Deserializer::from_str(&text).into_iter::<Json>();
        let mut failure = None;
        loop {
            let start = stream.byte_offset();
            match stream.next() {
                Some(Ok(value)) => {
                    let skipped = text
                        .get(start..)
                        .map_or(0, |rest| rest.len() - rest.trim_start().len());
                    let line = first
                        + text
                            .get(..start + skipped)
                            .map_or(0, |t| t.bytes().filter(|b| *b == b'\n').count());
                    out.push(Piece::Doc {
                        line,
                        offset,
                        multi_line,
                        value,
                    });
                }
                Some(Err(e)) => {
                    failure = Some(e);
                    break;
                }
                None => break,
            }
        }
        match failure {
            None => self.reset(),
            Some(e) => {
                let at = first + e.line().saturating_sub(1);
                let message = if multi_line {
                    format!("not valid JSON ({e}; file line {at})")
                } else {
                    format!("not valid JSON ({e})")
                };
                self.fail(&message, out);
            }
        }
    }

    /// The pending document is broken: report it where it starts. A compact first line is
    /// reported alone and the lines after it are read again; a pretty-printed document is
    /// dropped whole, with the number of lines in the message.
    fn fail(&mut self, reason: &str, out: &mut Vec<Piece>) {
        let mut pending = std::mem::take(&mut self.pending);
        self.reset();
        let Some(first) = pending.first() else {
            return;
        };
        let line = first.number;
        let compact = is_compact(&first.text);
        if pending.len() > 1 && compact {
            out.push(Piece::Problem {
                line,
                message: format!(
                    "not a complete JSON document on its line ({reason}): {}",
                    excerpt(first.text.trim())
                ),
            });
            for again in pending.drain(1..).rev() {
                self.queue.push_front(again);
            }
        } else if pending.len() > 1 {
            let last = pending.last().map_or(line, |l| l.number);
            out.push(Piece::Problem {
                line,
                message: format!(
                    "document on lines {line}–{last} ({} lines) skipped: {reason}",
                    pending.len()
                ),
            });
        } else {
            out.push(Piece::Problem {
                line,
                message: format!("{reason}: {}", excerpt(first.text.trim())),
            });
        }
    }

    /// A line that can only start a new top-level document while one is open: a `Record N`
    /// separator, or a lone `{` / `[` at the very start of the line when the open document is
    /// indented (such printers indent every nested bracket; `indent=0` output does not, so
    /// it is not cut).
    fn starts_a_document(&self, text: &str) -> bool {
        let text = text.trim_end();
        if is_record_separator(text) {
            return true;
        }
        let indented = self.pending.len() >= 2
            && self.pending[0].text.trim_end() == "{"
            && self.pending[1].text.starts_with([' ', '\t']);
        indented && (text == "{" || text == "[")
    }

    fn reset(&mut self) {
        self.pending.clear();
        self.depth = 0;
        self.in_string = false;
        self.escape = false;
    }
}

/// `Record 12`, as `evtx_dump -o json` writes before each document.
fn is_record_separator(trimmed: &str) -> bool {
    trimmed
        .strip_prefix("Record ")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// A line that carries content after its opening bracket (JSON-lines style), as opposed to
/// the lone `{` or `[` that starts a pretty-printed document.
fn is_compact(text: &str) -> bool {
    let trimmed = text.trim();
    trimmed.len() > 1 && trimmed.contains('"')
}

fn join(lines: &[Line]) -> String {
    let mut text = String::with_capacity(lines.iter().map(|l| l.text.len() + 1).sum());
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            text.push('\n');
        }
        text.push_str(&line.text);
    }
    text
}

/// The start of a line, for messages.
pub(super) fn excerpt(text: &str) -> String {
    const MAX: usize = 60;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("`{}…`", &text[..cut]),
        None => format!("`{text}`"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<Piece> {
        let mut splitter = Splitter::default();
        let mut out = Vec::new();
        for (i, t) in text.split('\n').enumerate() {
            let line = Line {
                number: i + 1,
                offset: 0,
                text: t.to_owned(),
                decode_problem: None,
            };
            splitter.push_line(line, &mut out);
        }
        splitter.finish(&mut out);
        out
    }

    fn summary(pieces: &[Piece]) -> Vec<String> {
        pieces
            .iter()
            .map(|p| match p {
                Piece::Doc { line, value, .. } => format!("doc@{line}:{value}"),
                Piece::Separator => "sep".to_owned(),
                Piece::Problem { line, .. } => format!("bad@{line}"),
            })
            .collect()
    }

    #[test]
    fn lines_streams_and_separators() {
        let got = summary(&split(
            "{\"a\":1}\n\nRecord 2\n{\n  \"b\": \"}{\"\n}\n{\"c\":3}{\"d\":4}\n[1,\n2]",
        ));
        assert_eq!(
            got,
            [
                "doc@1:{\"a\":1}",
                "sep",
                "doc@4:{\"b\":\"}{\"}",
                "doc@7:{\"c\":3}",
                "doc@7:{\"d\":4}",
                "doc@8:[1,2]"
            ]
        );
    }

    #[test]
    fn a_truncated_line_does_not_swallow_the_next() {
        let got = summary(&split(
            "{\"a\":[1,\n{\"b\":2}\n{\"c\":\"open\n{\"d\":4}\nnot json\n{\"e\":",
        ));
        assert_eq!(
            got,
            [
                "bad@1",
                "doc@2:{\"b\":2}",
                "bad@3",
                "doc@4:{\"d\":4}",
                "bad@5",
                "bad@6"
            ]
        );
    }

    #[test]
    fn a_truncated_pretty_document_ends_at_the_next_one() {
        let got = summary(&split(
            "Record 1\n{\n  \"a\": {\n    \"b\": 1\nRecord 2\n{\n  \"c\": 2\n}\n{\n  \"d\": [\n{\n  \"e\": 5\n}",
        ));
        assert_eq!(
            got,
            [
                "sep",
                "bad@2",
                "sep",
                "doc@6:{\"c\":2}",
                "bad@9",
                "doc@11:{\"e\":5}"
            ]
        );
    }

    #[test]
    fn unindented_nesting_is_not_cut() {
        let got = summary(&split(
            "{\n\"a\": [\n{\n\"b\": 1\n}\n]\n}\n[\n{\n\"c\": 2\n}\n]",
        ));
        assert_eq!(got, ["doc@1:{\"a\":[{\"b\":1}]}", "doc@8:[{\"c\":2}]"]);
    }

    #[test]
    fn a_broken_pretty_document_is_one_problem() {
        let got = summary(&split("{\n  \"a\": 1,\n  \"b\": ]\n}\n{\"ok\":1}"));
        // The stray `}` on line 4 is reported on its own.
        assert_eq!(got, ["bad@1", "bad@4", "doc@5:{\"ok\":1}"]);
    }
}
