//! The compiled `detection` part of a rule (selections of field items) and its evaluation,
//! recording why a selection matched.
//!
//! Knows nothing about YAML (see `compile`) or logsources.

use std::borrow::Cow;

use super::Why;
use super::condition::Cond;
use super::fields::FieldKey;
use super::matcher::{Matcher, TextFacts};
use crate::model::{Event, Value};

/// One `Field|modifiers: values` entry, or a keyword list (no field).
#[derive(Clone, Debug)]
pub struct Item {
    /// `None` for keywords: every EventData value is searched.
    pub field: Option<FieldKey>,
    /// The field name as written in the rule ("" for keywords).
    pub field_name: String,
    pub matchers: Vec<Matcher>,
    /// Display form of each matcher's pattern, same order.
    pub patterns: Vec<String>,
    /// `all` modifier: every value must match (else any one).
    pub all: bool,
}

/// A search identifier's body.
#[derive(Clone, Debug)]
pub enum Search {
    /// A map: every item must match.
    Map(Vec<Item>),
    /// A list of maps (or keyword groups): any one must match.
    AnyOf(Vec<Search>),
}

/// A named search identifier.
#[derive(Clone, Debug)]
pub struct Selection {
    pub name: String,
    pub search: Search,
}

fn value_text(v: Option<&Value>) -> String {
    match v {
        None => "(absent)".to_string(),
        Some(Value::Null) => "(null)".to_string(),
        Some(v) => v.to_text().into_owned(),
    }
}

impl Item {
    fn is_match(&self, event: &Event, sel: &str, mut why: Option<&mut Vec<Why>>) -> bool {
        match &self.field {
            Some(key) => {
                let got: Option<Cow<'_, Value>> = key.get(event);
                let value = got.as_deref();
                let record = |k: usize, why: &mut Option<&mut Vec<Why>>| {
                    if let Some(w) = why.as_deref_mut() {
                        w.push(Why {
                            selection: sel.to_string(),
                            field: self.field_name.clone(),
                            value: value_text(value),
                            pattern: self.patterns.get(k).cloned().unwrap_or_default(),
                        });
                    }
                };
                let mut facts = TextFacts::default();
                if self.all {
                    if self
                        .matchers
                        .iter()
                        .all(|m| m.matches(value, event, &mut facts))
                    {
                        for k in 0..self.matchers.len() {
                            record(k, &mut why);
                        }
                        return true;
                    }
                    false
                } else {
                    match self
                        .matchers
                        .iter()
                        .position(|m| m.matches(value, event, &mut facts))
                    {
                        Some(k) => {
                            record(k, &mut why);
                            true
                        }
                        None => false,
                    }
                }
            }
            None => {
                // Keywords: a matcher matches when any EventData value (as text) matches it.
                let hit = |m: &Matcher| {
                    event
                        .fields
                        .iter()
                        .find(|(_, v)| {
                            !matches!(v, Value::Null)
                                && m.matches(Some(v), event, &mut TextFacts::default())
                        })
                        .map(|(_, v)| v)
                };
                let record = |k: usize, v: &Value, why: &mut Option<&mut Vec<Why>>| {
                    if let Some(w) = why.as_deref_mut() {
                        w.push(Why {
                            selection: sel.to_string(),
                            field: String::new(),
                            value: v.to_text().into_owned(),
                            pattern: self.patterns.get(k).cloned().unwrap_or_default(),
                        });
                    }
                };
                if self.all {
                    let found: Option<Vec<&Value>> = self.matchers.iter().map(hit).collect();
                    match found {
                        Some(values) => {
                            for (k, v) in values.into_iter().enumerate() {
                                record(k, v, &mut why);
                            }
                            true
                        }
                        None => false,
                    }
                } else {
                    // One lower-casing per field value, shared by all keywords.
                    for (_, v) in &event.fields {
                        if matches!(v, Value::Null) {
                            continue;
                        }
                        let mut facts = TextFacts::default();
                        for (k, m) in self.matchers.iter().enumerate() {
                            if m.matches(Some(v), event, &mut facts) {
                                record(k, v, &mut why);
                                return true;
                            }
                        }
                    }
                    false
                }
            }
        }
    }
}

impl Search {
    /// True when the event matches; with `why`, the matching items are recorded.
    pub fn is_match(&self, event: &Event, sel: &str, mut why: Option<&mut Vec<Why>>) -> bool {
        match self {
            Search::Map(items) => {
                if let Some(w) = why.as_deref_mut() {
                    let mark = w.len();
                    if items.iter().all(|i| i.is_match(event, sel, Some(w))) {
                        return true;
                    }
                    w.truncate(mark);
                    false
                } else {
                    items.iter().all(|i| i.is_match(event, sel, None))
                }
            }
            Search::AnyOf(alternatives) => alternatives
                .iter()
                .any(|s| s.is_match(event, sel, why.as_deref_mut())),
        }
    }
}

impl Search {
    /// For a search that did not match: each item that failed (the field, the event's value
    /// there, the patterns it was not matched by), labelled `label`.
    pub fn describe_miss(&self, event: &Event, label: &str, out: &mut Vec<Why>) {
        match self {
            Search::Map(items) => {
                for item in items.iter().filter(|i| !i.is_match(event, label, None)) {
                    let value = match &item.field {
                        Some(key) => value_text(key.get(event).as_deref()),
                        None => String::new(),
                    };
                    let joiner = if item.all { " & " } else { " | " };
                    out.push(Why {
                        selection: label.to_owned(),
                        field: item.field_name.clone(),
                        value,
                        pattern: item.patterns.join(joiner),
                    });
                }
            }
            Search::AnyOf(alternatives) => {
                for alternative in alternatives {
                    alternative.describe_miss(event, label, out);
                }
            }
        }
    }
}

/// Evaluates a condition (no recording).
pub fn eval(cond: &Cond, selections: &[Selection], event: &Event) -> bool {
    match cond {
        Cond::Sel(i) => selections
            .get(*i)
            .is_some_and(|s| s.search.is_match(event, &s.name, None)),
        Cond::And(items) => items.iter().all(|c| eval(c, selections, event)),
        Cond::Or(items) => items.iter().any(|c| eval(c, selections, event)),
        Cond::Not(inner) => !eval(inner, selections, event),
    }
}

/// Event ids a selection requires (an `EventID` item of plain numbers in a map), if any.
fn selection_ids(search: &Search) -> Option<Vec<u32>> {
    match search {
        Search::Map(items) => items.iter().find_map(|i| {
            if i.all || i.field != Some(FieldKey::EventId) {
                return None;
            }
            i.matchers
                .iter()
                .map(|m| match m {
                    Matcher::Number { n, glob: None } => u32::try_from(*n).ok(),
                    _ => None,
                })
                .collect()
        }),
        Search::AnyOf(alternatives) => {
            let mut all = Vec::new();
            for a in alternatives {
                all.extend(selection_ids(a)?);
            }
            Some(all)
        }
    }
}

/// Event ids without which the condition cannot be true (`None` = any id may match): a
/// cheap prefilter run before the detection.
pub fn required_ids(cond: &Cond, selections: &[Selection]) -> Option<Vec<u32>> {
    let mut ids = match cond {
        Cond::Sel(i) => selection_ids(&selections.get(*i)?.search)?,
        Cond::And(items) => items
            .iter()
            .filter_map(|c| required_ids(c, selections))
            .reduce(|a, b| a.into_iter().filter(|x| b.contains(x)).collect())?,
        Cond::Or(items) => {
            let mut all = Vec::new();
            for c in items {
                all.extend(required_ids(c, selections)?);
            }
            all
        }
        Cond::Not(_) => return None,
    };
    ids.sort_unstable();
    ids.dedup();
    Some(ids)
}
