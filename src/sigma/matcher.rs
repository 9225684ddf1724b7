//! One compiled Sigma value (a rule value after its modifiers) and how it matches one event value.
//!
//! Type rules (documented choice): strings compare case-insensitively as text unless `cased`;
//! a plain number pattern equals a number field or a field whose text is exactly that decimal
//! (so `EventID: 400` matches 400 and "400", never 4000 or 1400), and a number pattern never
//! matches as a substring of a number field, even with `contains`; a *string* pattern with
//! `contains` against a number field does compare the decimal text. Booleans equal `true`/`false`
//! values and the text "true"/"false". `null` matches an absent field or a JSON null.
//! Knows nothing about field names or conditions.

use std::borrow::Cow;
use std::net::IpAddr;

use regex::Regex;

use super::fields::FieldKey;
use super::glob::Glob;
use crate::model::{Event, Value};

/// Numeric comparison of `gt`/`gte`/`lt`/`lte`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CmpOp {
    Gt,
    Gte,
    Lt,
    Lte,
}

/// A compiled value.
#[derive(Clone, Debug)]
pub enum Matcher {
    /// `null`: the field is absent or null.
    Null,
    /// `exists`: presence (true) or absence (false).
    Exists(bool),
    /// A string pattern.
    Text(Glob),
    /// A number written in the rule; `glob` is used against non-number values when a
    /// string modifier (contains, …) was given.
    Number { n: i128, glob: Option<Glob> },
    /// A boolean written in the rule.
    Bool(bool),
    /// `re`.
    Regex(Regex),
    /// `gt`/`gte`/`lt`/`lte`.
    Compare(CmpOp, f64),
    /// `cidr`.
    Cidr(IpAddr, u8),
    /// `fieldref`: equals another field of the same event (`key` is that field, looked up
    /// once when the rule is compiled).
    FieldRef {
        key: FieldKey,
        starts: bool,
        ends: bool,
        cased: bool,
    },
}

fn number_of(v: &Value) -> Option<i128> {
    match v {
        Value::UInt(u) => Some(i128::from(*u)),
        Value::Int(i) => Some(i128::from(*i)),
        Value::Float(f) if f.fract() == 0.0 && f.is_finite() => Some(*f as i128),
        _ => None,
    }
}

fn float_of(v: &Value) -> Option<f64> {
    match v {
        Value::UInt(u) => Some(*u as f64),
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        Value::Str(s) => {
            let s = s.trim();
            if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                u64::from_str_radix(hex, 16).ok().map(|u| u as f64)
            } else {
                s.parse().ok()
            }
        }
        _ => None,
    }
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(bits.min(32)))
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(bits.min(128)))
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// Parses `10.0.0.0/8` or `::1/128` (a bare address is a host network).
pub fn parse_cidr(text: &str) -> Option<(IpAddr, u8)> {
    let (addr, bits) = match text.split_once('/') {
        Some((a, b)) => (a, b.trim().parse::<u8>().ok()?),
        None => (text, if text.contains(':') { 128 } else { 32 }),
    };
    let ip: IpAddr = addr.trim().parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((ip, bits))
}

/// What one event value's text is, worked out once for all the matchers of one item.
#[derive(Default)]
pub struct TextFacts {
    ascii: Option<bool>,
    folded: Option<String>,
}

impl TextFacts {
    fn is_ascii(&mut self, text: &str) -> bool {
        *self.ascii.get_or_insert_with(|| text.is_ascii())
    }

    fn folded(&mut self, text: &str) -> &str {
        self.folded.get_or_insert_with(|| text.to_lowercase())
    }
}

impl Matcher {
    /// True when the event's value (`None` = absent) matches. `event` answers `fieldref`;
    /// `facts` caches what the value's text is (ASCII or not, lower-cased) across the
    /// matchers of one item (pass the same fresh [`TextFacts`] for the same value).
    pub fn matches(&self, value: Option<&Value>, event: &Event, facts: &mut TextFacts) -> bool {
        match self {
            Matcher::Null => matches!(value, None | Some(Value::Null)),
            Matcher::Exists(want) => matches!(value, Some(v) if *v != Value::Null) == *want,
            _ => match value {
                None | Some(Value::Null) => false,
                Some(Value::List(items)) => items
                    .iter()
                    .any(|v| self.scalar(v, event, &mut TextFacts::default())),
                Some(v) => self.scalar(v, event, facts),
            },
        }
    }

    fn scalar(&self, v: &Value, event: &Event, facts: &mut TextFacts) -> bool {
        match self {
            Matcher::Null | Matcher::Exists(_) => false,
            Matcher::Text(g) if g.is_cased() => g.is_match(&v.to_text()),
            Matcher::Text(g) => {
                let text = v.to_text();
                if facts.is_ascii(&text)
                    && let Some(hit) = g.match_ascii(&text)
                {
                    return hit;
                }
                g.is_match_folded(facts.folded(&text))
            }
            Matcher::Number { n, glob } => match number_of(v) {
                Some(x) => x == *n,
                None => match glob {
                    Some(g) => g.is_match(&v.to_text()),
                    None => v.to_text().trim() == n.to_string(),
                },
            },
            Matcher::Bool(b) => match v {
                Value::Bool(x) => x == b,
                other_value => other_value.to_text().trim().eq_ignore_ascii_case(if *b {
                    "true"
                } else {
                    "false"
                }),
            },
            Matcher::Regex(re) => re.is_match(&v.to_text()),
            Matcher::Compare(op, n) => float_of(v).is_some_and(|x| match op {
                CmpOp::Gt => x > *n,
                CmpOp::Gte => x >= *n,
                CmpOp::Lt => x < *n,
                CmpOp::Lte => x <= *n,
            }),
            Matcher::Cidr(net, bits) => v
                .to_text()
                .trim()
                .parse::<IpAddr>()
                .is_ok_and(|ip| in_cidr(ip, *net, *bits)),
            Matcher::FieldRef {
                key,
                starts,
                ends,
                cased,
            } => {
                let Some(o) = key.get(event) else {
                    return false;
                };
                if matches!(*o, Value::Null) {
                    return false;
                }
                let (a, b) = (v.to_text(), o.to_text());
                let (a, b) = if *cased {
                    (a, b)
                } else {
                    (Cow::Owned(a.to_lowercase()), Cow::Owned(b.to_lowercase()))
                };
                match (starts, ends) {
                    (true, true) => a.contains(b.as_ref()),
                    (true, false) => a.starts_with(b.as_ref()),
                    (false, true) => a.ends_with(b.as_ref()),
                    (false, false) => a == b,
                }
            }
        }
    }
}
