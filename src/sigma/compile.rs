//! One YAML rule document → a compiled [`Rule`] (no YAML kept), or the reason it cannot be.
//!
//! Knows the Sigma rule format (v2) and its modifiers; knows nothing about files (see `load`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use regex::RegexBuilder;
use serde_yaml::Value as Y;

use super::condition::{self, Cond};
use super::detection::{Item, Search, Selection};
use super::fields::FieldKey;
use super::glob::Glob;
use super::logsource;
use super::matcher::{CmpOp, Matcher, parse_cidr};
use super::{Compiled, Rule, Severity};

/// The modifiers of one field key.
#[derive(Default)]
struct Mods {
    contains: bool,
    startswith: bool,
    endswith: bool,
    all: bool,
    re: bool,
    re_flags: String,
    windash: bool,
    base64: bool,
    base64offset: bool,
    wide: Option<&'static str>,
    cidr: bool,
    exists: bool,
    cased: bool,
    cmp: Option<CmpOp>,
    fieldref: bool,
    names: Vec<String>,
}

fn parse_mods(list: &[&str]) -> Result<Mods, String> {
    let mut m = Mods::default();
    for &name in list {
        m.names.push(name.to_string());
        match name {
            "contains" => m.contains = true,
            "startswith" => m.startswith = true,
            "endswith" => m.endswith = true,
            "all" => m.all = true,
            "re" => m.re = true,
            "i" | "m" | "s" => m.re_flags.push_str(name),
            "windash" => m.windash = true,
            "base64" => m.base64 = true,
            "base64offset" => m.base64offset = true,
            "wide" | "utf16le" => m.wide = Some("utf16le"),
            "utf16be" => m.wide = Some("utf16be"),
            "utf16" => m.wide = Some("utf16"),
            "cidr" => m.cidr = true,
            "exists" => m.exists = true,
            "cased" => m.cased = true,
            "gt" => m.cmp = Some(CmpOp::Gt),
            "gte" => m.cmp = Some(CmpOp::Gte),
            "lt" => m.cmp = Some(CmpOp::Lt),
            "lte" => m.cmp = Some(CmpOp::Lte),
            "fieldref" => m.fieldref = true,
            "expand" => return Err("modifier 'expand' (placeholders) is not supported".into()),
            other => return Err(format!("unknown modifier '{other}'")),
        }
    }
    if !m.re_flags.is_empty() && !m.re {
        return Err(format!("regex flag '{}' without 're'", m.re_flags));
    }
    if m.wide.is_some() && !(m.base64 || m.base64offset) {
        return Err("'wide'/'utf16' needs 'base64' or 'base64offset'".into());
    }
    Ok(m)
}

fn encode(text: &str, wide: Option<&str>) -> Vec<u8> {
    match wide {
        Some("utf16le") => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        Some("utf16be") => text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        Some(_) => [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect(),
        None => text.as_bytes().to_vec(),
    }
}

/// The three shifted encodings whose text appears inside any base64 of data containing `bytes`.
fn base64_offsets(bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    for shift in 0..3usize {
        let mut data = vec![b' '; shift];
        data.extend_from_slice(bytes);
        let enc = STANDARD.encode(&data);
        let start = [0usize, 2, 3][shift];
        let cut = [0usize, 3, 2][(bytes.len() + shift) % 3];
        let end = enc.len().saturating_sub(cut);
        if start < end {
            out.push(enc[start..end].to_string());
        }
    }
    out
}

fn escape_glob(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s
}

fn scalar_text(v: &Y) -> Option<String> {
    match v {
        Y::String(s) => Some(s.clone()),
        Y::Number(n) => Some(n.to_string()),
        Y::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Compiles one value; returns the matchers (base64offset gives three) and their display.
fn value_matchers(v: &Y, m: &Mods, keyword: bool) -> Result<Vec<(Matcher, String)>, String> {
    let shown = |text: &str| {
        if m.names.is_empty() {
            text.to_string()
        } else {
            format!("{}: {text}", m.names.join("|"))
        }
    };
    if m.exists {
        return match v {
            Y::Bool(b) => Ok(vec![(Matcher::Exists(*b), shown(&b.to_string()))]),
            _ => Err("'exists' needs true or false".into()),
        };
    }
    if matches!(v, Y::Null) {
        return Ok(vec![(Matcher::Null, shown("null"))]);
    }
    let Some(text) = scalar_text(v) else {
        return Err(format!(
            "unsupported value {v:?} (lists/maps nested in a value)"
        ));
    };
    let one = |mt: Matcher| Ok(vec![(mt, shown(&text))]);
    if m.fieldref {
        return one(Matcher::FieldRef {
            key: super::fields::FieldKey::from_name(&text),
            starts: m.contains || m.startswith,
            ends: m.contains || m.endswith,
            cased: m.cased,
        });
    }
    if m.re {
        let re = RegexBuilder::new(&text)
            .case_insensitive(m.re_flags.contains('i'))
            .multi_line(m.re_flags.contains('m'))
            .dot_matches_new_line(m.re_flags.contains('s'))
            .build()
            .map_err(|e| {
                format!(
                    "regex not supported by the regex engine: {}",
                    e.to_string().lines().last().unwrap_or("")
                )
            })?;
        return one(Matcher::Regex(re));
    }
    if m.cidr {
        let (ip, bits) = parse_cidr(&text).ok_or_else(|| format!("bad CIDR '{text}'"))?;
        return one(Matcher::Cidr(ip, bits));
    }
    if let Some(op) = m.cmp {
        let n: f64 = text
            .trim()
            .parse()
            .map_err(|_| format!("'{text}' is not a number for gt/gte/lt/lte"))?;
        return one(Matcher::Compare(op, n));
    }
    let (before, after) = if keyword && !(m.startswith || m.endswith) {
        (true, true)
    } else {
        (m.contains || m.endswith, m.contains || m.startswith)
    };
    if m.base64 || m.base64offset {
        let bytes = encode(&text, m.wide);
        let encoded = if m.base64offset {
            base64_offsets(&bytes)
        } else {
            vec![STANDARD.encode(&bytes)]
        };
        return Ok(encoded
            .iter()
            .map(|e| {
                let g = Glob::new(&escape_glob(e), before, after, false, true);
                (Matcher::Text(g), shown(&text))
            })
            .collect());
    }
    match v {
        Y::Bool(b) if m.names.is_empty() => one(Matcher::Bool(*b)),
        Y::Number(n) if n.is_i64() || n.is_u64() => {
            let value = n
                .as_i64()
                .map(i128::from)
                .or_else(|| n.as_u64().map(i128::from))
                .unwrap_or_default();
            let glob = (before || after || m.windash)
                .then(|| Glob::new(&text, before, after, m.windash, m.cased));
            one(Matcher::Number { n: value, glob })
        }
        _ => one(Matcher::Text(Glob::new(
            &text, before, after, m.windash, m.cased,
        ))),
    }
}

fn item(key: &str, value: &Y) -> Result<Item, String> {
    let mut parts = key.split('|');
    let field_name = parts.next().unwrap_or("").to_string();
    let mod_names: Vec<&str> = parts.collect();
    let mods = parse_mods(&mod_names)?;
    let keyword = field_name.is_empty();
    let values: Vec<&Y> = match value {
        Y::Sequence(items) => items.iter().collect(),
        Y::Mapping(_) => return Err(format!("field '{key}' has a map as value")),
        other => vec![other],
    };
    let mut matchers = Vec::new();
    let mut patterns = Vec::new();
    for v in values {
        for (mt, shown) in value_matchers(v, &mods, keyword)? {
            matchers.push(mt);
            patterns.push(shown);
        }
    }
    // base64offset gives three alternatives per value: `all` across values is not expressible
    // by flattening, so refuse that rare combination rather than be wrong.
    if mods.all && mods.base64offset {
        return Err("'all' with 'base64offset' is not supported".into());
    }
    Ok(Item {
        field: (!keyword).then(|| FieldKey::from_name(&field_name)),
        field_name,
        matchers,
        patterns,
        all: mods.all,
    })
}

fn search(value: &Y) -> Result<Search, String> {
    match value {
        Y::Mapping(map) => {
            let mut items = Vec::new();
            for (k, v) in map {
                let key = k
                    .as_str()
                    .ok_or_else(|| format!("field name {k:?} is not text"))?;
                items.push(item(key, v)?);
            }
            // System fields first: they are cheap and usually decide.
            items.sort_by_key(|i| !i.field.as_ref().is_some_and(FieldKey::is_system));
            Ok(Search::Map(items))
        }
        Y::Sequence(list) => {
            if list
                .iter()
                .all(|v| !matches!(v, Y::Mapping(_) | Y::Sequence(_)))
            {
                Ok(Search::Map(vec![item("", value)?]))
            } else {
                Ok(Search::AnyOf(
                    list.iter().map(search).collect::<Result<_, _>>()?,
                ))
            }
        }
        Y::Null => Err("empty selection".into()),
        scalar => Ok(Search::Map(vec![item("", scalar)?])),
    }
}

fn text_of(doc: &Y, key: &str) -> String {
    match doc.get(key) {
        Some(Y::String(s)) => s.clone(),
        Some(v @ (Y::Number(_) | Y::Bool(_))) => scalar_text(v).unwrap_or_default(),
        _ => String::new(),
    }
}

/// Compiles one YAML document into a rule (`source` and `builtin` are filled by the caller).
pub fn rule(doc: &Y) -> Result<Rule, String> {
    if !matches!(doc, Y::Mapping(_)) {
        return Err("document is not a YAML map".into());
    }
    if doc.get("action").is_some() {
        return Err("rule collection documents ('action:') are not supported".into());
    }
    if doc.get("correlation").is_some() {
        return Err("correlation rules are not supported".into());
    }
    if doc.get("filter").is_some() && doc.get("detection").is_none() {
        return Err("filter (meta) rules are not supported".into());
    }
    let title = text_of(doc, "title");
    if title.is_empty() {
        return Err("missing 'title'".into());
    }
    let level = match doc.get("level").and_then(Y::as_str) {
        None => Severity::Medium,
        Some(l) => Severity::parse(l).ok_or_else(|| format!("unknown level '{l}'"))?,
    };
    let ls = doc.get("logsource").ok_or("missing 'logsource'")?;
    let ls_field = |k: &str| ls.get(k).and_then(Y::as_str);
    let logsource = logsource::compile(
        ls_field("product"),
        ls_field("category"),
        ls_field("service"),
    )?;
    let Some(Y::Mapping(det)) = doc.get("detection") else {
        return Err("missing 'detection' map".into());
    };
    let mut selections = Vec::new();
    let mut condition_value = None;
    for (k, v) in det {
        let name = k
            .as_str()
            .ok_or_else(|| format!("selection name {k:?} is not text"))?;
        match name {
            "condition" => condition_value = Some(v),
            "timeframe" => {}
            _ => selections.push(Selection {
                name: name.to_string(),
                search: search(v).map_err(|e| format!("selection '{name}': {e}"))?,
            }),
        }
    }
    let names: Vec<String> = selections.iter().map(|s| s.name.clone()).collect();
    let cond = match condition_value {
        Some(Y::String(s)) => condition::parse(s, &names)?,
        Some(Y::Sequence(list)) => {
            let parts = list
                .iter()
                .map(|c| {
                    c.as_str()
                        .ok_or_else(|| "condition list holds a non-text item".to_string())
                        .and_then(|s| condition::parse(s, &names))
                })
                .collect::<Result<Vec<Cond>, String>>()?;
            Cond::Or(parts)
        }
        _ => return Err("missing 'condition'".into()),
    };
    let event_ids = super::detection::required_ids(&cond, &selections).map(Vec::into_boxed_slice);
    let mut positive = Vec::new();
    condition::positive(&cond, false, &mut positive);
    let mut negated = Vec::new();
    condition::only_negated(&cond, &mut negated);
    Ok(Rule {
        id: text_of(doc, "id"),
        title,
        level,
        status: text_of(doc, "status"),
        description: text_of(doc, "description").trim().to_string(),
        source: String::new(),
        builtin: false,
        enabled: true,
        uid: super::index::next_rule_uid(),
        compiled: Compiled {
            logsource,
            selections,
            cond,
            positive,
            negated,
            event_ids,
        },
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn base64offset_variants() {
        // Facts: base64 of " /bin/sh" etc.; each variant must appear in an encoding of a text
        // that contains the value at any offset.
        let v = base64_offsets(b"http://");
        for prefix in ["", "a", "ab", "abc"] {
            let enc = STANDARD.encode(format!("{prefix}http://x").as_bytes());
            assert!(
                v.iter().any(|x| enc.contains(x.as_str())),
                "{prefix}: {enc} {v:?}"
            );
        }
    }
}
