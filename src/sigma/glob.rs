//! Sigma string patterns: `*` (any run), `?` (one character), `\` escapes, and the `windash`
//! dash class, matched case-insensitively (or exactly with `cased`).
//!
//! Knows nothing about fields or events: it matches one pattern against one text.

use std::borrow::Cow;

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
    Contains(String),
    General(Vec<Tok>),
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
            [Tok::AnyMany, Tok::Lit(s), Tok::AnyMany] => Shape::Contains(s.clone()),
            [Tok::AnyMany] => Shape::Contains(String::new()),
            _ => Shape::General(toks),
        };
        Glob { shape, cased }
    }

    /// True when `text` matches the whole pattern.
    pub fn is_match(&self, text: &str) -> bool {
        if !self.cased {
            // Fast path: ASCII text against an ASCII needle, no allocation.
            if text.is_ascii() {
                match &self.shape {
                    Shape::Exact(s) if s.is_ascii() => return text.eq_ignore_ascii_case(s),
                    Shape::Prefix(s) if s.is_ascii() => {
                        return text.len() >= s.len()
                            && text.as_bytes()[..s.len()].eq_ignore_ascii_case(s.as_bytes());
                    }
                    Shape::Suffix(s) if s.is_ascii() => {
                        return text.len() >= s.len()
                            && text.as_bytes()[text.len() - s.len()..]
                                .eq_ignore_ascii_case(s.as_bytes());
                    }
                    Shape::Contains(s) if s.is_ascii() => {
                        return contains_ascii_ci(text.as_bytes(), s.as_bytes());
                    }
                    _ => {}
                }
            }
            let folded = fold(text);
            return self.match_exact_case(&folded);
        }
        self.match_exact_case(text)
    }

    fn match_exact_case(&self, text: &str) -> bool {
        match &self.shape {
            Shape::Exact(s) => text == s,
            Shape::Prefix(s) => text.starts_with(s.as_str()),
            Shape::Suffix(s) => text.ends_with(s.as_str()),
            Shape::Contains(s) => text.contains(s.as_str()),
            Shape::General(toks) => general(toks, text),
        }
    }
}

fn contains_ascii_ci(hay: &[u8], needle: &[u8]) -> bool {
    if needle.is_empty() {
        return true;
    }
    if needle.len() > hay.len() {
        return false;
    }
    let first = needle[0];
    hay.windows(needle.len())
        .any(|w| w[0].eq_ignore_ascii_case(&first) && w.eq_ignore_ascii_case(needle))
}

/// Backtracking match of tokens against the whole of `text` (iterative, linear in practice:
/// it remembers only the last `*`).
fn general(toks: &[Tok], text: &str) -> bool {
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
            Some(Tok::Lit(s)) => text[pos..].starts_with(s.as_str()).then(|| pos + s.len()),
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
    fn windash_class() {
        let g = Glob::new(" -AllowUnsigned", true, true, true, false);
        for d in DASHES {
            assert!(g.is_match(&format!("x {d}allowunsigned y")), "{d}");
        }
        assert!(!g.is_match("x --AllowUnsigned"));
        assert!(!g.is_match("x _AllowUnsigned"));
    }
}
