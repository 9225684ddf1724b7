//! Everything loaded: the files, their events, what the rules said about each event, and
//! the per-event facts the table needs (AppX or not, package name). Domain data only; no
//! egui, no threads, no I/O.

use std::collections::HashMap;
use std::path::Path;

use crate::appx::is_appx;
use crate::model::{Event, Row, Source, SourceId, Sym};
use crate::schema::package::package_name_of;
use crate::sigma::{Detection, RuleSet, Severity};

/// Facts derived once per event when it arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Derived {
    /// From an AppX provider (or channel).
    pub appx: bool,
    /// The package name (not the full name), if the event names a package.
    pub package: Sym,
}

impl Derived {
    /// Works out the facts for one event.
    pub fn of(event: &Event) -> Derived {
        Derived {
            appx: is_appx(event),
            package: package_name_of(event)
                .map(|name| Sym::new(&name))
                .unwrap_or(Sym::EMPTY),
        }
    }
}

/// A batch of events ready to be stored: derived facts and rule hits already computed
/// (by whoever has the time: the loader thread, or `scan`).
#[derive(Debug, Default)]
pub struct Batch {
    pub events: Vec<Event>,
    pub derived: Vec<Derived>,
    /// (index in `events`, hits) for the events that some rule flagged.
    pub detections: Vec<(usize, Vec<Detection>)>,
}

impl Batch {
    /// Derives facts and evaluates `rules` for `events`.
    pub fn prepare(events: Vec<Event>, rules: &RuleSet) -> Batch {
        let derived = events.iter().map(Derived::of).collect();
        let detections = events
            .iter()
            .enumerate()
            .filter_map(|(i, event)| {
                let hits = rules.evaluate(event);
                (!hits.is_empty()).then_some((i, hits))
            })
            .collect();
        Batch {
            events,
            derived,
            detections,
        }
    }
}

/// All loaded data.
#[derive(Default)]
pub struct Store {
    pub sources: Vec<Source>,
    pub events: Vec<Event>,
    pub derived: Vec<Derived>,
    /// Rule hits of flagged events only.
    pub detections: HashMap<Row, Vec<Detection>>,
    pub rules: RuleSet,
    /// How many of `derived` are AppX (kept up to date, so the status bar need not count).
    appx_count: usize,
}

impl Store {
    /// An empty store evaluating `rules`.
    pub fn new(rules: RuleSet) -> Store {
        Store {
            rules,
            ..Store::default()
        }
    }

    /// Registers a file about to be loaded. A file already loaded is replaced: its events go.
    pub fn begin_source(&mut self, source: Source) -> SourceId {
        if let Some(existing) = self
            .sources
            .iter()
            .position(|s| same_file(&s.path, &source.path))
        {
            self.remove_events_of(existing as SourceId);
            self.sources[existing] = source;
            return existing as SourceId;
        }
        self.sources.push(source);
        (self.sources.len() - 1) as SourceId
    }

    /// Removes every event of `source` (keeping row numbers dense).
    fn remove_events_of(&mut self, source: SourceId) {
        if !self.events.iter().any(|e| e.source == source) {
            return;
        }
        let mut kept_events = Vec::with_capacity(self.events.len());
        let mut kept_derived = Vec::with_capacity(self.events.len());
        let mut kept_detections = HashMap::new();
        let old_detections = std::mem::take(&mut self.detections);
        for (old_row, (event, derived)) in std::mem::take(&mut self.events)
            .into_iter()
            .zip(std::mem::take(&mut self.derived))
            .enumerate()
        {
            if event.source == source {
                continue;
            }
            let new_row = kept_events.len() as Row;
            if let Some(hits) = old_detections.get(&(old_row as Row)) {
                kept_detections.insert(new_row, hits.clone());
            }
            kept_events.push(event);
            kept_derived.push(derived);
        }
        self.appx_count = kept_derived.iter().filter(|d| d.appx).count();
        self.events = kept_events;
        self.derived = kept_derived;
        self.detections = kept_detections;
    }

    /// Appends a prepared batch.
    pub fn push(&mut self, batch: Batch) {
        let base = self.events.len();
        for (index, hits) in batch.detections {
            self.detections.insert((base + index) as Row, hits);
        }
        self.appx_count += batch.derived.iter().filter(|d| d.appx).count();
        self.events.extend(batch.events);
        self.derived.extend(batch.derived);
    }

    /// Number of AppX events loaded.
    pub fn appx_count(&self) -> usize {
        self.appx_count
    }

    /// Evaluates the current rules over every event again (after rules were added or toggled).
    pub fn reevaluate(&mut self) {
        self.detections = self
            .events
            .iter()
            .enumerate()
            .filter_map(|(row, event)| {
                let hits = self.rules.evaluate(event);
                (!hits.is_empty()).then_some((row as Row, hits))
            })
            .collect();
    }

    /// The hits of one event (empty if none).
    pub fn hits(&self, row: Row) -> &[Detection] {
        self.detections.get(&row).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The highest rule level among an event's hits.
    pub fn max_level(&self, row: Row) -> Option<Severity> {
        self.hits(row)
            .iter()
            .filter_map(|d| self.rules.rules.get(d.rule).map(|r| r.level))
            .max()
    }

    /// Number of events flagged by at least one rule, among AppX events or all of them.
    pub fn flagged_count(&self, all_events: bool) -> usize {
        self.detections
            .keys()
            .filter(|row| all_events || self.derived.get(**row as usize).is_some_and(|d| d.appx))
            .count()
    }

    /// Total warnings over all files.
    pub fn warning_count(&self) -> usize {
        self.sources
            .iter()
            .map(|s| s.warnings.len() + usize::from(s.error.is_some()))
            .sum()
    }

    /// The source of an event.
    pub fn source_of(&self, event: &Event) -> Option<&Source> {
        self.sources.get(event.source as usize)
    }
}

/// Same file, comparing canonical paths when both exist.
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}
