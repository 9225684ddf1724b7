//! Our own Sigma rule engine: YAML rules → compiled rules → detections over [`Event`]s that
//! say why they fired.
//!
//! Pipeline: `load` (files, multi-document YAML) → `compile` (one document → [`Rule`], using
//! `condition`, `matcher`, `glob`, `fields`, `logsource`) → [`RuleSet::evaluate`] (the rules
//! `index` lists for the event's channel, provider and id, then `detection`). The built-in
//! AppX pack is embedded (`builtin`).
//! Not supported, and reported per rule with the reason: correlation and filter meta rules,
//! rule collections (`action:`), aggregations in conditions, the `expand` modifier, regexes
//! the `regex` crate cannot compile (look-around, back-references). No threads, no I/O except
//! reading rule files in [`RuleSet::load_path`].

mod builtin;
mod compile;
mod condition;
mod detection;
mod fields;
mod glob;
mod index;
mod load;
mod logsource;
mod matcher;

use std::fmt;

use crate::model::Event;

pub use builtin::BUILTIN_FILES;
pub use fields::FieldKey;
pub use logsource::LogsourcePred;

/// A rule's `level`, ordered from least to most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Parses a Sigma level name (case-insensitive).
    pub fn parse(name: &str) -> Option<Severity> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "informational" => Severity::Informational,
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            _ => return None,
        })
    }

    /// The Sigma name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Informational => "informational",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The compiled parts of a rule (no YAML left).
#[derive(Clone, Debug)]
pub(crate) struct Compiled {
    pub(crate) logsource: LogsourcePred,
    pub(crate) selections: Vec<detection::Selection>,
    pub(crate) cond: condition::Cond,
    /// Selections reached without negation: the ones reported in [`Why`].
    pub(crate) positive: Vec<usize>,
    /// Selections used only under `not` (filters): a hit names the values they did not match.
    pub(crate) negated: Vec<usize>,
    /// Event ids the condition needs (from its `EventID` items); `None` = any.
    pub(crate) event_ids: Option<Box<[u32]>>,
}

/// One compiled Sigma rule.
#[derive(Clone, Debug)]
pub struct Rule {
    pub id: String,
    pub title: String,
    /// `level` (medium when the rule has none).
    pub level: Severity,
    pub status: String,
    pub description: String,
    /// The file path, or `builtin:<file name>`.
    pub source: String,
    pub builtin: bool,
    pub enabled: bool,
    /// Process-unique id of the compiled rule (clones share it), for the rule index.
    pub(crate) uid: u64,
    pub(crate) compiled: Compiled,
}

impl Rule {
    /// True when the rule's logsource covers `event` (the cheap check run first).
    pub fn applies_to(&self, event: &Event) -> bool {
        self.compiled.logsource.matches(event)
    }

    /// The compiled logsource: [`LogsourcePred::Never`] for a product other than Windows.
    pub fn logsource(&self) -> &LogsourcePred {
        &self.compiled.logsource
    }

    /// The detection alone, ignoring the logsource (for tests of detection semantics).
    pub fn matches_detection(&self, event: &Event) -> bool {
        detection::eval(&self.compiled.cond, &self.compiled.selections, event)
    }

    /// Logsource and detection: true when the rule fires on `event`.
    #[inline]
    pub fn matches(&self, event: &Event) -> bool {
        self.applies_to(event)
            && match &self.compiled.event_ids {
                None => true,
                Some(ids) => event.event_id.is_some_and(|id| ids.contains(&id)),
            }
            && self.matches_detection(event)
    }

    /// The event ids the rule's condition requires, when it names them (`None` = any id).
    pub fn required_event_ids(&self) -> Option<&[u32]> {
        self.compiled.event_ids.as_deref()
    }

    /// Why the rule fires on `event`: each true non-negated selection with the field, the
    /// event's value and the pattern that matched. Empty when the detection does not fire.
    pub fn explain(&self, event: &Event) -> Vec<Why> {
        if !self.matches_detection(event) {
            return Vec::new();
        }
        self.explain_hit(event)
    }

    /// [`Rule::explain`] for an event already known to match.
    fn explain_hit(&self, event: &Event) -> Vec<Why> {
        let mut why = Vec::new();
        for &i in &self.compiled.positive {
            if let Some(sel) = self.compiled.selections.get(i) {
                sel.search.is_match(event, &sel.name, Some(&mut why));
            }
        }
        // The filters that let the event through: what they look at and what it holds there
        // (without them, a rule with a broad selection reads as if it fired on all of it).
        for &i in &self.compiled.negated {
            if let Some(sel) = self.compiled.selections.get(i)
                && !sel.search.is_match(event, &sel.name, None)
            {
                sel.search
                    .describe_miss(event, &format!("not {}", sel.name), &mut why);
            }
        }
        why
    }

    /// Names of the rule's selections (search identifiers), in rule order.
    pub fn selection_names(&self) -> Vec<&str> {
        self.compiled
            .selections
            .iter()
            .map(|s| s.name.as_str())
            .collect()
    }
}

/// A rule file (or one document of it) that could not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleLoadError {
    /// The file path (with `#N` for the N-th document of a multi-document file), or
    /// `builtin:<file name>`.
    pub source: String,
    pub reason: String,
}

impl fmt::Display for RuleLoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source, self.reason)
    }
}

impl std::error::Error for RuleLoadError {}

/// Why a selection matched: the field, the event's value, the rule's pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Why {
    pub selection: String,
    /// "" for keywords.
    pub field: String,
    /// The event's value ("(absent)" / "(null)" for `null` and `exists` checks).
    pub value: String,
    /// The rule's value, with its modifiers (`contains: VCLibs`).
    pub pattern: String,
}

impl Why {
    /// One line: `selection: Field = "value" matched "contains: x"`, `selection: keyword "x"
    /// found`, or for a filter that let the event through `not filter: Field = "value", none of
    /// contains: a | contains: b`. The detail pane, `inspect` and the CSV `why` column use it.
    pub fn describe(&self) -> String {
        if self.selection.starts_with("not ") {
            format!(
                "{}: {} = \"{}\", none of {}",
                self.selection, self.field, self.value, self.pattern
            )
        } else if self.field.is_empty() {
            format!("{}: keyword \"{}\" found", self.selection, self.pattern)
        } else {
            format!(
                "{}: {} = \"{}\" matched \"{}\"",
                self.selection, self.field, self.value, self.pattern
            )
        }
    }
}

/// One rule that fired on one event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detection {
    /// Index into [`RuleSet::rules`].
    pub rule: usize,
    pub why: Vec<Why>,
}

/// Loaded rules and the rules that could not be loaded.
///
/// Evaluation goes through an index of which rules can apply to an event's channel,
/// provider and event id (built lazily, see `index`). Toggling [`Rule::enabled`] needs
/// nothing else; the index notices rules added, removed or replaced through `rules` by its
/// buffer, its length, its first and last rules and the candidates it returns; after any
/// other in-place change of `rules`, call [`RuleSet::rules_changed`].
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub errors: Vec<RuleLoadError>,
    index: index::RuleIndex,
}

impl RuleSet {
    /// The embedded AppX pack, all enabled.
    pub fn builtin() -> RuleSet {
        let mut set = RuleSet::default();
        for (name, text) in BUILTIN_FILES {
            let source = format!("builtin:{name}");
            let before = set.rules.len();
            if let Err(e) = set.load_str(text, &source) {
                set.errors.push(e);
            }
            for rule in &mut set.rules[before..] {
                rule.builtin = true;
            }
        }
        set
    }

    /// A set of these rules (no load errors).
    pub fn from_rules(rules: Vec<Rule>) -> RuleSet {
        RuleSet {
            rules,
            ..RuleSet::default()
        }
    }

    /// Drops the rule index after `rules` were changed in place (not needed for `enabled`,
    /// for loading, or for rules added or removed).
    pub fn rules_changed(&mut self) {
        self.index.clear();
    }

    /// Evaluates the enabled rules on `event` (logsource first). Allocates nothing when no
    /// rule fires. Only the rules whose logsource and event-id prefilter accept the event's
    /// channel, provider and id are looked at; the result is the same as
    /// [`RuleSet::evaluate_each`].
    pub fn evaluate(&self, event: &Event) -> Vec<Detection> {
        let candidates = self.index.candidates(&self.rules, event);
        let mut out = Vec::new();
        for c in candidates.iter() {
            let Some(rule) = self.rules.get(c.index as usize).filter(|r| r.uid == c.uid) else {
                // `rules` was changed in place: start the index again and look at every rule.
                self.index.invalidate();
                return self.evaluate_each(event);
            };
            if rule.enabled && rule.matches_detection(event) {
                out.push(Detection {
                    rule: c.index as usize,
                    why: rule.explain_hit(event),
                });
            }
        }
        out
    }

    /// [`RuleSet::evaluate`] without the index: every enabled rule in turn.
    pub fn evaluate_each(&self, event: &Event) -> Vec<Detection> {
        let mut out = Vec::new();
        for (i, rule) in self.rules.iter().enumerate() {
            if rule.enabled && rule.matches(event) {
                out.push(Detection {
                    rule: i,
                    why: rule.explain_hit(event),
                });
            }
        }
        out
    }
}
