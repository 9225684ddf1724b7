//! The compiled `detection` part of a rule (selections of field items) and its evaluation,
//! recording why a selection matched.
//!
//! Knows nothing about YAML (see `compile`) or logsources.

use std::borrow::Cow;

use super::Why;
use super::condition::Cond;
use super::fields::FieldKey;
use super::matcher::Matcher;
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
        let other = |name: &str| FieldKey::from_name(name).get(event);
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
                if self.all {
                    if self.matchers.iter().all(|m| m.matches(value, &other)) {
                        for k in 0..self.matchers.len() {
                            record(k, &mut why);
                        }
                        return true;
                    }
                    false
                } else {
                    match self.matchers.iter().position(|m| m.matches(value, &other)) {
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
                        .find(|(_, v)| !matches!(v, Value::Null) && m.matches(Some(v), &other))
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
                    for (k, m) in self.matchers.iter().enumerate() {
                        if let Some(v) = hit(m) {
                            record(k, v, &mut why);
                            return true;
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
