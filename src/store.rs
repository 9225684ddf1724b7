//! Everything loaded: the files, their events, what the rules said about each event, and
//! the per-event facts the table needs (AppX or not, package name). Domain data only; no
//! egui, no threads, no I/O.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::appx::is_appx;
use crate::memory::Budget;
use crate::model::{Event, Row, Source, SourceId, Sym};
use crate::packed::PackedEvent;
use crate::schema::package::package_syms_of;
use crate::sigma::{Detection, RuleSet, Severity};

/// Facts derived once per event when it arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Derived {
    /// From an AppX provider (or channel).
    pub appx: bool,
    /// The package name (not the full name), if the event names a package.
    pub package: Sym,
    /// Its publisher id (the 13-character hash), if known.
    pub publisher: Sym,
    /// Its family name (`Name_PublisherId`), if the publisher id is known.
    pub family: Sym,
}

impl Derived {
    /// Works out the facts for one event. Only names that repeat are interned (package name,
    /// publisher id, family name), never versions or full names.
    pub fn of(event: &Event) -> Derived {
        let package = package_syms_of(event);
        Derived {
            appx: is_appx(event),
            package: package.map_or(Sym::EMPTY, |p| p.name),
            publisher: package.map_or(Sym::EMPTY, |p| p.publisher),
            family: package.map_or(Sym::EMPTY, |p| p.family),
        }
    }
}

/// A batch of events ready to be stored: derived facts and rule hits already computed
/// (by whoever has the time: the loader thread, or `scan`).
#[derive(Debug, Default)]
pub struct Batch {
    pub events: Vec<PackedEvent>,
    pub derived: Vec<Derived>,
    /// (index in `events`, hits) for the events that some rule flagged.
    pub detections: Vec<(usize, Vec<Detection>)>,
}

impl Batch {
    /// Derives facts, evaluates `rules` and packs `events`.
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
            events: PackedEvent::pack_all(&events),
            derived,
            detections,
        }
    }

    /// Cuts the batch to what `budget` has left and takes that from it; true if events had to
    /// be cut (the load should stop).
    pub fn take_within(&mut self, budget: &mut Budget) -> bool {
        let cut = self.keep_within(budget.remaining()) > 0;
        budget.admit(self.footprint() as u64);
        cut
    }

    /// Keeps the longest prefix of the batch whose events fit in `bytes`; returns how many
    /// events were dropped from the end.
    fn keep_within(&mut self, bytes: u64) -> usize {
        let per_derived = std::mem::size_of::<Derived>() as u64;
        let mut total = 0u64;
        let fits = self
            .events
            .iter()
            .take_while(|e| {
                total += e.footprint() as u64 + per_derived;
                total <= bytes
            })
            .count();
        let dropped = self.events.len() - fits;
        self.events.truncate(fits);
        self.derived.truncate(fits);
        self.detections.retain(|(i, _)| *i < fits);
        dropped
    }

    /// Appends `other`'s events after this batch's (the loader joins the small batches of
    /// EVTX chunks before handing them to the window).
    pub fn append(&mut self, other: Batch) {
        let offset = self.events.len();
        self.events.extend(other.events);
        self.derived.extend(other.derived);
        self.detections.extend(
            other
                .detections
                .into_iter()
                .map(|(i, hits)| (i + offset, hits)),
        );
    }

    /// Bytes the batch's events will take in the store.
    pub fn footprint(&self) -> usize {
        self.events
            .iter()
            .map(PackedEvent::footprint)
            .sum::<usize>()
            + self.derived.len() * std::mem::size_of::<Derived>()
    }
}

impl crate::ingest::Renumber for Batch {
    fn renumber(&mut self, by: u32) {
        for event in &mut self.events {
            event.shift_position(by);
        }
    }
}

/// All loaded data.
#[derive(Default)]
pub struct Store {
    pub sources: Vec<Source>,
    /// Every event, packed; [`Store::event`] unpacks one. Shared (not copied) with a
    /// background rule re-evaluation; nothing is pushed while one runs.
    events: Arc<Vec<PackedEvent>>,
    pub derived: Vec<Derived>,
    /// Rule hits of flagged events only.
    pub detections: HashMap<Row, Vec<Detection>>,
    pub rules: RuleSet,
    /// How many of `derived` are AppX (kept up to date, so the status bar need not count).
    appx_count: usize,
    /// Bytes the stored events take (packed events and derived facts).
    footprint: usize,
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
        if !self.events.iter().any(|e| e.source() == source) {
            return;
        }
        let mut kept_events = Vec::with_capacity(self.events.len());
        let mut kept_derived = Vec::with_capacity(self.events.len());
        let mut kept_detections = HashMap::new();
        let old_detections = std::mem::take(&mut self.detections);
        let old_events = std::mem::take(&mut self.events);
        let old_events = Arc::try_unwrap(old_events).unwrap_or_else(|shared| (*shared).clone());
        for (old_row, (event, derived)) in old_events
            .into_iter()
            .zip(std::mem::take(&mut self.derived))
            .enumerate()
        {
            if event.source() == source {
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
        self.footprint = kept_events
            .iter()
            .map(PackedEvent::footprint)
            .sum::<usize>()
            + kept_derived.len() * std::mem::size_of::<Derived>();
        self.events = Arc::new(kept_events);
        self.derived = kept_derived;
        self.detections = kept_detections;
    }

    /// Appends a prepared batch.
    pub fn push(&mut self, batch: Batch) {
        let base = self.events.len();
        self.footprint += batch.footprint();
        for (index, hits) in batch.detections {
            self.detections.insert((base + index) as Row, hits);
        }
        self.appx_count += batch.derived.iter().filter(|d| d.appx).count();
        Arc::make_mut(&mut self.events).extend(batch.events);
        self.derived.extend(batch.derived);
    }

    /// Number of events loaded.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// True when nothing is loaded.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The event in `row`, unpacked.
    pub fn event(&self, row: Row) -> Option<Event> {
        self.events.get(row as usize).map(PackedEvent::unpack)
    }

    /// The packed event in `row`: System values without unpacking.
    pub fn packed(&self, row: Row) -> Option<&PackedEvent> {
        self.events.get(row as usize)
    }

    /// Every packed event, in row order.
    pub fn packed_events(&self) -> &[PackedEvent] {
        &self.events
    }

    /// The events, shared, for a background re-evaluation ([`crate::jobs::RulesJob`]).
    pub fn shared_events(&self) -> Arc<Vec<PackedEvent>> {
        Arc::clone(&self.events)
    }

    /// Takes the hits a background re-evaluation computed for the first `rows` rows; rows
    /// loaded since keep theirs.
    pub fn set_detections(&mut self, rows: usize, detections: HashMap<Row, Vec<Detection>>) {
        self.detections.retain(|row, _| *row as usize >= rows);
        self.detections.extend(detections);
    }

    /// Bytes the stored events take, by the store's own count (packed events and derived
    /// facts; rule hits and the allocator's overhead are not counted).
    pub fn footprint(&self) -> usize {
        self.footprint
    }

    /// Number of AppX events loaded.
    pub fn appx_count(&self) -> usize {
        self.appx_count
    }

    /// Evaluates the current rules over every event again (after rules were added or toggled).
    pub fn reevaluate(&mut self) {
        self.detections = evaluate_all(&self.events, &self.rules, &|| false).unwrap_or_default();
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

/// Evaluates `rules` over `events`: the hits of flagged rows. `None` if `stop` said so (it is
/// asked every few thousand events). When every enabled rule names the event ids it needs,
/// events with other ids are not unpacked at all.
pub fn evaluate_all(
    events: &[PackedEvent],
    rules: &RuleSet,
    stop: &dyn Fn() -> bool,
) -> Option<HashMap<Row, Vec<Detection>>> {
    let wanted = wanted_event_ids(rules);
    let mut detections = HashMap::new();
    for (row, event) in events.iter().enumerate() {
        if row % 4096 == 0 && stop() {
            return None;
        }
        if let Some(wanted) = &wanted
            && !event.event_id().is_some_and(|id| wanted.contains(&id))
        {
            continue;
        }
        let hits = rules.evaluate(&event.unpack());
        if !hits.is_empty() {
            detections.insert(row as Row, hits);
        }
    }
    Some(detections)
}

/// The event ids some enabled rule can fire on, if every enabled rule names its ids.
fn wanted_event_ids(rules: &RuleSet) -> Option<std::collections::HashSet<u32>> {
    let mut wanted = std::collections::HashSet::new();
    for rule in rules.rules.iter().filter(|r| r.enabled) {
        wanted.extend(rule.required_event_ids()?.iter().copied());
    }
    Some(wanted)
}

/// Same file, comparing canonical paths when both exist.
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}
