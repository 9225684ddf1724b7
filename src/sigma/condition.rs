//! The Sigma `condition` language: lexer and recursive-descent parser into [`Cond`].
//!
//! Supports `and`, `or`, `not`, parentheses, `1 of X`, `all of X` (X a name, a name pattern
//! with `*` (any run) and `?` (one character) wildcards, or `them`). Precedence: not > and >
//! or. Aggregations (`| count()`, `near`) are rejected with a reason. Knows only selection
//! names, not what they test.

/// A parsed condition; selections are indices into the rule's selection list.
#[derive(Clone, Debug, PartialEq)]
pub enum Cond {
    Sel(usize),
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    And,
    Or,
    Not,
    Open,
    Close,
    OneOf,
    AllOf,
    Ident(String),
}

fn lex(text: &str) -> Result<Vec<Tok>, String> {
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        match c {
            '(' | ')' => {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
                words.push(c.to_string());
            }
            '|' => return Err("aggregation ('|') in condition is not supported".into()),
            c if c.is_whitespace() => {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    let mut toks = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i].as_str();
        let lower = w.to_ascii_lowercase();
        let tok = match lower.as_str() {
            "(" => Tok::Open,
            ")" => Tok::Close,
            "and" => Tok::And,
            "or" => Tok::Or,
            "not" => Tok::Not,
            "near" => return Err("'near' in condition is not supported".into()),
            "1" | "any" | "all"
                if words
                    .get(i + 1)
                    .is_some_and(|n| n.eq_ignore_ascii_case("of")) =>
            {
                i += 1;
                if lower == "all" {
                    Tok::AllOf
                } else {
                    Tok::OneOf
                }
            }
            _ => {
                if w.chars().all(|c| c.is_ascii_digit()) {
                    return Err(format!(
                        "'{w} of' is not supported (only '1 of' and 'all of')"
                    ));
                }
                Tok::Ident(w.to_string())
            }
        };
        toks.push(tok);
        i += 1;
    }
    Ok(toks)
}

/// True when selection `name` matches a condition name pattern: `*` is any run of characters
/// (also none), `?` exactly one character; everything else is compared exactly (selection
/// names are case-sensitive). Backtracks only to the last `*`, so it is linear in practice.
fn name_matches(pattern: &str, name: &str) -> bool {
    let pat: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = name.chars().collect();
    let (mut p, mut t) = (0usize, 0usize);
    // (pattern index after the last `*`, text index it is retried from)
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pat.get(p) {
            Some('*') => {
                star = Some((p + 1, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((after, retry)) => {
                    star = Some((after, retry + 1));
                    p = after;
                    t = retry + 1;
                }
                None => return false,
            },
        }
    }
    pat[p..].iter().all(|&c| c == '*')
}

struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    names: &'a [String],
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn or(&mut self) -> Result<Cond, String> {
        let mut items = vec![self.and()?];
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Cond::Or(items)
        })
    }

    fn and(&mut self) -> Result<Cond, String> {
        let mut items = vec![self.not()?];
        while self.peek() == Some(&Tok::And) {
            self.pos += 1;
            items.push(self.not()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Cond::And(items)
        })
    }

    fn not(&mut self) -> Result<Cond, String> {
        if self.peek() == Some(&Tok::Not) {
            self.pos += 1;
            return Ok(Cond::Not(Box::new(self.not()?)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Cond, String> {
        let tok = self.peek().cloned();
        self.pos += 1;
        match tok {
            Some(Tok::Open) => {
                let inner = self.or()?;
                if self.peek() != Some(&Tok::Close) {
                    return Err("missing ')' in condition".into());
                }
                self.pos += 1;
                Ok(inner)
            }
            Some(Tok::Ident(name)) => self
                .names
                .iter()
                .position(|n| *n == name)
                .map(Cond::Sel)
                .ok_or_else(|| format!("condition names unknown selection '{name}'")),
            Some(q @ (Tok::OneOf | Tok::AllOf)) => {
                let Some(Tok::Ident(pattern)) = self.peek().cloned() else {
                    return Err("'of' must be followed by a name pattern or 'them'".into());
                };
                self.pos += 1;
                let picked: Vec<Cond> = self
                    .names
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| {
                        if pattern == "them" {
                            !n.starts_with('_')
                        } else {
                            name_matches(&pattern, n)
                        }
                    })
                    .map(|(i, _)| Cond::Sel(i))
                    .collect();
                if picked.is_empty() {
                    return Err(format!("'{pattern}' in condition matches no selection"));
                }
                Ok(if q == Tok::OneOf {
                    Cond::Or(picked)
                } else {
                    Cond::And(picked)
                })
            }
            Some(t) => Err(format!("unexpected {t:?} in condition")),
            None => Err("condition ends too early".into()),
        }
    }
}

/// Parses one condition string against the rule's selection names.
pub fn parse(text: &str, names: &[String]) -> Result<Cond, String> {
    let toks = lex(text)?;
    if toks.is_empty() {
        return Err("empty condition".into());
    }
    let mut p = Parser {
        toks,
        pos: 0,
        names,
    };
    let cond = p.or()?;
    if p.pos != p.toks.len() {
        return Err(format!("unexpected {:?} in condition", p.toks[p.pos]));
    }
    Ok(cond)
}

/// Selections that count toward a hit (reached through an even number of `not`).
pub fn positive(cond: &Cond, negated: bool, out: &mut Vec<usize>) {
    match cond {
        Cond::Sel(i) => {
            if !negated && !out.contains(i) {
                out.push(*i);
            }
        }
        Cond::And(items) | Cond::Or(items) => {
            for c in items {
                positive(c, negated, out);
            }
        }
        Cond::Not(inner) => positive(inner, !negated, out),
    }
}

/// The selections the condition uses only negated (`not filter_*`), in order of first use.
pub fn only_negated(cond: &Cond, out: &mut Vec<usize>) {
    let mut positives = Vec::new();
    positive(cond, false, &mut positives);
    let mut negated = Vec::new();
    collect_negated(cond, false, &mut negated);
    out.extend(negated.into_iter().filter(|i| !positives.contains(i)));
}

fn collect_negated(cond: &Cond, negated: bool, out: &mut Vec<usize>) {
    match cond {
        Cond::Sel(i) => {
            if negated && !out.contains(i) {
                out.push(*i);
            }
        }
        Cond::And(items) | Cond::Or(items) => {
            for c in items {
                collect_negated(c, negated, out);
            }
        }
        Cond::Not(inner) => collect_negated(inner, !negated, out),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        ["a", "b", "c", "sel_1", "sel_2"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    #[test]
    fn precedence() {
        let c = parse("a or b and not c", &names()).unwrap();
        assert_eq!(
            c,
            Cond::Or(vec![
                Cond::Sel(0),
                Cond::And(vec![Cond::Sel(1), Cond::Not(Box::new(Cond::Sel(2)))])
            ])
        );
        let c = parse("(a or b) and 1 of sel_*", &names()).unwrap();
        assert_eq!(
            c,
            Cond::And(vec![
                Cond::Or(vec![Cond::Sel(0), Cond::Sel(1)]),
                Cond::Or(vec![Cond::Sel(3), Cond::Sel(4)])
            ])
        );
        assert!(parse("a and", &names()).is_err());
        assert!(parse("x", &names()).is_err());
        assert!(parse("a | count() > 5", &names()).is_err());
    }

    #[test]
    fn name_patterns() {
        for (pattern, name, want) in [
            ("sel_1", "sel_1", true),
            ("sel_1", "sel_10", false),
            ("sel_*", "sel_", true),
            ("sel_*", "sel_abc", true),
            ("sel_*", "selx", false),
            ("sel?", "sel1", true),
            ("sel?", "sel", false),
            ("sel?", "sel12", false),
            ("sel_?", "sel_é", true),
            ("?el*", "selection", true),
            ("*_?", "filter_a", true),
            ("*_?", "filter_ab", false),
            ("a*b?c", "a_bb_bxc", true),
            ("a*b?c", "a_bb_bx", false),
            ("**", "", true),
            ("*?", "", false),
            ("Sel?", "sel1", false),
        ] {
            assert_eq!(name_matches(pattern, name), want, "{pattern} vs {name}");
        }
    }
}
