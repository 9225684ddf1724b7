//! Sigma string patterns: `*` (any run), `?` (one character), `\` escapes, and the `windash`
//! dash class, matched case-insensitively (or exactly with `cased`).
//!
//! Knows nothing about fields or events: it matches one pattern against one text.

use std::borrow::Cow;
use std::fmt;

use memchr::memmem::Finder;
use memchr::{memchr, memchr2};

/// The characters `windash` accepts where a rule wrote `-` or `/`.
pub const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

/// One element of a pattern.
#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Lit(String),
    AnyOne,
    AnyMany,
    Dash,
}

/// How a pattern is matched: fast forms for the common shapes, a general matcher otherwise.
#[derive(Clone, Debug, PartialEq)]
enum Shape {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(Needle),
    General(Vec<Tok>),
}

/// How common a byte is in event text (paths, command lines, English): higher is more
/// common. Picks the byte an ASCII case-insensitive search looks for first.
fn commonness(b: u8) -> u8 {
    const COMMON: &[u8] = b"e tais\\onrlcdmx.pwuhg:-/f0y1b2_k3v=\"45',689j(q)z";
    COMMON
        .iter()
        .position(|&c| c == b.to_ascii_lowercase())
        .map_or(0, |i| (COMMON.len() - i) as u8)
}

/// The literal of a `contains` pattern, with its searchers built once.
#[derive(Clone)]
struct Needle {
    text: String,
    /// For text compared as it is (`cased`, or lower-cased non-ASCII text); boxed, as it is
    /// large and rarely used (ASCII text takes [`Needle::found_in_ascii_ci`]).
    finder: Box<Finder<'static>>,
    /// The position of the needle's least common byte (see [`commonness`]).
    rare: usize,
}

impl fmt::Debug for Needle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.text, f)
    }
}

impl PartialEq for Needle {
    fn eq(&self, other: &Needle) -> bool {
        self.text == other.text
    }
}

impl Needle {
    fn new(text: String) -> Needle {
        let finder = Box::new(Finder::new(text.as_bytes()).into_owned());
        let rare = text
            .bytes()
            .enumerate()
            .min_by_key(|&(_, b)| commonness(b))
            .map_or(0, |(i, _)| i);
        Needle { text, finder, rare }
    }

    /// True when `hay` holds the needle byte for byte.
    fn found_in(&self, hay: &str) -> bool {
        self.finder.find(hay.as_bytes()).is_some()
    }

    /// True when `hay` holds the needle ignoring ASCII case; the needle has no ASCII
    /// upper-case letter (it was lower-cased).
    fn found_in_ascii_ci(&self, hay: &[u8]) -> bool {
        let needle = self.text.as_bytes();
        let Some(last_start) = hay.len().checked_sub(needle.len()) else {
            return false;
        };
        let Some(&b) = needle.get(self.rare) else {
            return true; // the empty needle
        };
        let (lower, upper) = (b.to_ascii_lowercase(), b.to_ascii_uppercase());
        // Where the rare byte may sit: window start + `rare`, for every window start.
        let region = &hay[self.rare..=last_start + self.rare];
        let mut from = 0;
        while from < region.len() {
            let rest = &region[from..];
            let found = if lower == upper {
                memchr(lower, rest)
            } else {
                memchr2(lower, upper, rest)
            };
            let Some(k) = found else { return false };
            let start = from + k;
            if hay[start..start + needle.len()].eq_ignore_ascii_case(needle) {
                return true;
            }
            from = start + 1;
        }
        false
    }
}

/// A compiled string pattern.
#[derive(Clone, Debug, PartialEq)]
pub struct Glob {
    shape: Shape,
    cased: bool,
}

/// Parses Sigma escapes: `\*`, `\?`, `\\` are literals; a lone `\` stays a backslash.
fn tokenize(raw: &str, windash: bool) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut lit = String::new();
    let chars: Vec<char> = raw.chars().collect();
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let special = match c {
            '\\' => {
                match chars.get(i + 1) {
                    Some(&n @ ('*' | '?' | '\\')) => {
                        lit.push(n);
                        i += 1;
                    }
                    _ => lit.push('\\'),
                }
                None
            }
            '*' => Some(Tok::AnyMany),
            '?' => Some(Tok::AnyOne),
            '-' | '/'
                if windash
                    && (i == 0 || !is_word(chars[i - 1]))
                    && chars.get(i + 1).is_some_and(|&n| is_word(n)) =>
            {
                Some(Tok::Dash)
            }
            _ => {
                lit.push(c);
                None
            }
        };
        if let Some(tok) = special {
            if !lit.is_empty() {
                toks.push(Tok::Lit(std::mem::take(&mut lit)));
            }
            if !(tok == Tok::AnyMany && toks.last() == Some(&Tok::AnyMany)) {
                toks.push(tok);
            }
        }
        i += 1;
    }
    if !lit.is_empty() {
        toks.push(Tok::Lit(lit));
    }
    toks
}

/// Lower-cases `s` unless it is already lower-case ASCII (no allocation then).
pub fn fold(s: &str) -> Cow<'_, str> {
    if s.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.to_lowercase())
    }
}

impl Glob {
    /// Compiles `raw` (Sigma escapes and wildcards) with `*` added before (`contains`,
    /// `endswith`) and after (`contains`, `startswith`).
    pub fn new(raw: &str, star_before: bool, star_after: bool, windash: bool, cased: bool) -> Glob {
        let mut toks = tokenize(raw, windash);
        if !cased {
            for t in &mut toks {
                if let Tok::Lit(s) = t {
                    *s = s.to_lowercase();
                }
            }
        }
        if star_before && toks.first() != Some(&Tok::AnyMany) {
            toks.insert(0, Tok::AnyMany);
        }
        if star_after && toks.last() != Some(&Tok::AnyMany) {
            toks.push(Tok::AnyMany);
        }
        let shape = match toks.as_slice() {
            [] => Shape::Exact(String::new()),
            [Tok::Lit(s)] => Shape::Exact(s.clone()),
            [Tok::Lit(s), Tok::AnyMany] => Shape::Prefix(s.clone()),
            [Tok::AnyMany, Tok::Lit(s)] => Shape::Suffix(s.clone()),
            [Tok::AnyMany, Tok::Lit(s), Tok::AnyMany] => Shape::Contains(Needle::new(s.clone())),
            [Tok::AnyMany] => Shape::Contains(Needle::new(String::new())),
            _ => Shape::General(toks),
        };
        Glob { shape, cased }
    }

    /// True when `text` matches the whole pattern.
    pub fn is_match(&self, text: &str) -> bool {
        if !self.cased {
            // Fast path: ASCII text, no allocation.
            if text.is_ascii()
                && let Some(hit) = self.match_ascii(text)
            {
                return hit;
            }
            let folded = fold(text);
            return self.match_exact_case(&folded);
        }
        self.match_exact_case(text)
    }

    /// True for a `cased` pattern (compare the text as it is).
    pub fn is_cased(&self) -> bool {
        self.cased
    }

    /// For a pattern that is not `cased` and an ASCII `text`: the result of matching the
    /// lower-cased text, computed by comparing ignoring ASCII case (the same thing for ASCII
    /// text, as the pattern's literals are lower-case). `None` when the pattern's literal is
    /// not ASCII (the caller folds the text instead).
    pub fn match_ascii(&self, text: &str) -> Option<bool> {
        debug_assert!(text.is_ascii() && !self.cased);
        let bytes = text.as_bytes();
        Some(match &self.shape {
            Shape::Exact(s) if s.is_ascii() => bytes.eq_ignore_ascii_case(s.as_bytes()),
            Shape::Prefix(s) if s.is_ascii() => bytes
                .get(..s.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(s.as_bytes())),
            Shape::Suffix(s) if s.is_ascii() => bytes
                .len()
                .checked_sub(s.len())
                .is_some_and(|at| bytes[at..].eq_ignore_ascii_case(s.as_bytes())),
            Shape::Contains(n) if n.text.is_ascii() => n.found_in_ascii_ci(bytes),
            Shape::General(toks) => general(toks, text, true),
            _ => return None,
        })
    }

    /// Matches text that the caller already lower-cased with `str::to_lowercase` (for
    /// patterns that are not `cased`), so that one folding serves many patterns.
    pub fn is_match_folded(&self, folded: &str) -> bool {
        self.match_exact_case(folded)
    }

    fn match_exact_case(&self, text: &str) -> bool {
        match &self.shape {
            Shape::Exact(s) => text == s,
            Shape::Prefix(s) => text.starts_with(s.as_str()),
            Shape::Suffix(s) => text.ends_with(s.as_str()),
            Shape::Contains(n) => n.found_in(text),
            Shape::General(toks) => general(toks, text, false),
        }
    }
}

/// Backtracking match of tokens against the whole of `text` (iterative, linear in practice:
/// it remembers only the last `*`). With `ascii_ci`, `text` is ASCII and literals (lower-case)
/// compare ignoring ASCII case.
fn general(toks: &[Tok], text: &str, ascii_ci: bool) -> bool {
    let mut ti = 0usize; // token index
    let mut pos = 0usize; // byte position in text
    let mut star: Option<(usize, usize)> = None; // (token after *, text position to retry)
    loop {
        if ti == toks.len() && pos == text.len() {
            return true;
        }
        let step = match toks.get(ti) {
            Some(Tok::AnyMany) => {
                star = Some((ti + 1, pos));
                ti += 1;
                continue;
            }
            Some(Tok::Lit(s)) => {
                let rest = &text[pos..];
                let hit = if ascii_ci {
                    rest.as_bytes()
                        .get(..s.len())
                        .is_some_and(|head| head.eq_ignore_ascii_case(s.as_bytes()))
                } else {
                    rest.starts_with(s.as_str())
                };
                hit.then(|| pos + s.len())
            }
            Some(Tok::AnyOne) => text[pos..].chars().next().map(|c| pos + c.len_utf8()),
            Some(Tok::Dash) => text[pos..]
                .chars()
                .next()
                .filter(|c| DASHES.contains(c))
                .map(|c| pos + c.len_utf8()),
            None => None,
        };
        match step {
            Some(next) => {
                pos = next;
                ti += 1;
            }
            None => match star {
                Some((after, retry)) => match text[retry..].chars().next() {
                    Some(c) => {
                        let retry = retry + c.len_utf8();
                        star = Some((after, retry));
                        ti = after;
                        pos = retry;
                    }
                    None => return false,
                },
                None => return false,
            },
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_and_escapes() {
        let g = Glob::new(
            r"C:\Program Files\WindowsApps\\*\AppxManifest.xml",
            false,
            false,
            false,
            false,
        );
        assert!(g.is_match(r"c:\program files\windowsapps\x_1\appxmanifest.XML"));
        assert!(!g.is_match(r"C:\Program Files\WindowsApps*\AppxManifest.xml"));
        let g = Glob::new(r"Star\*App?1", false, false, false, false);
        assert!(g.is_match("star*app_1"));
        assert!(!g.is_match("starxapp_1"));
        assert!(!g.is_match("star*app1"));
        let g = Glob::new("a*b*c", false, false, false, true);
        assert!(g.is_match("aXbYbc"));
        assert!(!g.is_match("aXbYbC"));
    }

    #[test]
    fn ascii_fast_path_equals_folding() {
        let patterns = [
            ("", true, true),
            ("x", true, true),
            ("\\Users\\", true, true),
            ("Q", true, true),
            ("zZ", true, true),
            ("abc", true, false),
            ("abc", false, true),
            ("abc", false, false),
            ("a?c", true, true),
            ("a*c", false, false),
            ("é", true, true),
            ("-exec -bypass", true, true),
            ("\u{212a}elvin", true, true), // KELVIN SIGN lower-cases to ASCII `k`
        ];
        let texts = [
            "",
            "x",
            "X",
            "abc",
            "ABC",
            "xxABCxx",
            "aXc",
            "C:\\USERS\\Public",
            "c:\\users",
            "qQzZ",
            "zz",
            "powershell -EXEC -Bypass",
            "kelvin",
            "Kelvin!",
            "aab",
            "ab",
        ];
        for (raw, before, after) in patterns {
            let g = Glob::new(raw, before, after, false, false);
            for text in texts {
                let slow = g.is_match_folded(&text.to_lowercase());
                assert_eq!(
                    g.is_match(text),
                    slow,
                    "{raw:?} {before} {after} on {text:?}"
                );
                if let Some(fast) = g.match_ascii(text) {
                    assert_eq!(fast, slow, "{raw:?} {before} {after} on {text:?}");
                }
            }
        }
    }

    #[test]
    fn windash_class() {
        let g = Glob::new(" -AllowUnsigned", true, true, true, false);
        for d in DASHES {
            assert!(g.is_match(&format!("x {d}allowunsigned y")), "{d}");
        }
        assert!(!g.is_match("x --AllowUnsigned"));
        assert!(!g.is_match("x _AllowUnsigned"));
    }
}
