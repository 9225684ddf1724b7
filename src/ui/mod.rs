//! The window: the only module that knows egui.
//!
//! State is kept in four groups: domain data (`store`), what the investigator asked for
//! (`filter`, `sort`, `selected`), what is derived from those two (`visible`, recomputed only
//! when they change) and background work (`job`). Panels are functions that draw and return
//! [`Action`]s; [`App::apply`] carries them out, so every change goes through one place.

mod detail;
mod picker;
mod table;
mod toolbar;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use eframe::egui;

pub use picker::{FilePicker, NativePicker, PickOutcome};

use crate::filter::{Filter, Sort, sort_rows, visible_rows};
use crate::ingest::{Progress, ReadOptions};
use crate::jobs::{Call, LoadJob, LoadMsg, RulesJob};
use crate::memory::{self, Budget};
use crate::model::{Row, Source, SourceId};
use crate::sigma::{RuleSet, Severity};
use crate::store::Store;

/// While loading, the table is re-filtered and re-sorted at most this often.
const REFRESH_WHILE_LOADING: Duration = Duration::from_millis(250);

/// The status line after a cancelled load (the file also gets a warning).
const CANCELLED: &str = "Loading cancelled; what was read is kept (see View > Warnings).";

/// Something the investigator asked for, carried out by [`App::apply`].
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Open(Vec<PathBuf>),
    OpenDialog,
    ShowPathField,
    LoadRulesDialog,
    LoadRules(PathBuf),
    FilterChanged,
    SortBy(crate::filter::Column),
    Select(Row),
    ExportFlagged,
    ExportFiltered,
    ExportJsonl,
    /// Export to a path typed in the path field (when no file dialog can open).
    ExportTo(PathBuf),
    CancelLoad,
    ToggleRule(usize),
    FilterToRule(Option<usize>),
}

/// What an open file dialog's answer is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DialogFor {
    Open,
    Rules,
    Save(ExportKind),
}

/// Which export an Export dialog is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    FlaggedCsv,
    FilteredCsv,
    Jsonl,
}

/// The application.
pub struct App {
    // Domain data.
    pub store: Store,
    // What the investigator asked for.
    pub filter: Filter,
    pub sort: Sort,
    pub selected: Option<Row>,
    /// Text of the "open a path" field (when no file dialog is available, or on request).
    pub path_input: String,
    pub show_path_field: bool,
    /// The export waiting for a path typed in the path field (no file dialog here).
    pub pending_export: Option<ExportKind>,
    pub show_rules: bool,
    /// The Rules panel's search text (title, id, level, source) and "Fired only".
    pub rule_search: String,
    pub rules_fired_only: bool,
    pub show_warnings: bool,
    // Derived.
    pub visible: Vec<Row>,
    visible_dirty: bool,
    /// When `visible` was last recomputed (re-sorting after every batch would make loading
    /// a large file quadratic on the UI thread).
    last_refresh: Instant,
    // Background work.
    job: Option<LoadJob>,
    /// Rules being evaluated again over every event (the loader is not drained meanwhile).
    rules_job: Option<RulesJob>,
    /// Rules changed while a load was running: evaluate again once it is done.
    rules_stale: bool,
    /// Bytes the loaded events may take (`--max-memory`).
    memory_limit: u64,
    queued: VecDeque<Vec<PathBuf>>,
    current: Option<(SourceId, Progress)>,
    /// Last status message (errors of actions, export results).
    pub status: String,
    picker: std::sync::Arc<dyn FilePicker>,
    /// The file dialog open now, and what its answer is for.
    dialog: Option<(DialogFor, Call<PickOutcome>)>,
    read_options: ReadOptions,
    /// The window's context, filled in on the first frame. Shared with background threads,
    /// so a job started before the window drew (files on the command line) can still wake it.
    repaint: std::sync::Arc<std::sync::OnceLock<egui::Context>>,
    raw_cache: detail::RawCache,
    /// A record id to select as soon as it has loaded (`--select`).
    pending_select: Option<u64>,
    /// The selected event (file, record id or position) while a load may move its row.
    reselect: Option<(SourceId, u64)>,
    /// Scroll the table to the selected row on the next frame.
    scroll_to_selected: bool,
}

impl App {
    /// An app with `rules`, the given file picker, loading `paths` straight away.
    pub fn new(rules: RuleSet, picker: Box<dyn FilePicker>, paths: Vec<PathBuf>) -> App {
        let mut app = App {
            store: Store::new(rules),
            filter: Filter::default(),
            sort: Sort::default(),
            selected: None,
            path_input: String::new(),
            show_path_field: false,
            pending_export: None,
            show_rules: false,
            rule_search: String::new(),
            rules_fired_only: false,
            show_warnings: false,
            visible: Vec::new(),
            visible_dirty: true,
            last_refresh: Instant::now(),
            job: None,
            rules_job: None,
            rules_stale: false,
            memory_limit: memory::default_budget_bytes(),
            queued: VecDeque::new(),
            current: None,
            status: String::new(),
            picker: std::sync::Arc::from(picker),
            dialog: None,
            read_options: ReadOptions::default(),
            repaint: std::sync::Arc::default(),
            raw_cache: detail::RawCache::default(),
            pending_select: None,
            reselect: None,
            scroll_to_selected: false,
        };
        if !paths.is_empty() {
            app.apply(Action::Open(paths));
        }
        app
    }

    /// Selects the event with this record id once it has loaded.
    pub fn select_record_when_loaded(&mut self, record_id: Option<u64>) {
        self.pending_select = record_id;
    }

    /// Limits what loaded events may take (`--max-memory`); loads already running keep the
    /// limit they started with.
    pub fn set_memory_limit(&mut self, bytes: u64) {
        self.memory_limit = bytes;
    }

    /// True while files are being read.
    pub fn is_loading(&self) -> bool {
        self.job.is_some()
    }

    /// True while rules are being evaluated again in the background.
    pub fn is_evaluating_rules(&self) -> bool {
        self.rules_job.is_some()
    }

    /// Blocks until every queued load and rule evaluation is done, storing everything (for
    /// tests and scripts).
    pub fn wait_for_load(&mut self) {
        while self.is_loading() || self.is_evaluating_rules() {
            if let Some(job) = &self.rules_job {
                let done = job.recv();
                self.rules_job = None;
                if let Some(done) = done {
                    self.store.set_detections(done.rows, done.detections);
                }
                continue;
            }
            if !self.receive(Duration::from_secs(3600)) {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        self.refresh_visible();
    }

    /// Evaluates the rules again over every event, in the background (after the load in
    /// progress, if any). Hits shown meanwhile are the previous ones.
    fn reevaluate_rules(&mut self) {
        if self.is_loading() {
            self.rules_stale = true;
            return;
        }
        let wake = self.waker();
        match RulesJob::spawn(self.store.shared_events(), self.store.rules.clone(), wake) {
            Ok(job) => self.rules_job = Some(job),
            Err(e) => {
                self.status = format!("Cannot start rule evaluation ({e}); evaluating here.");
                self.store.reevaluate();
            }
        }
        self.visible_dirty = true;
    }

    /// Takes the result of the background rule evaluation, if it is there.
    fn receive_rules(&mut self) {
        let Some(job) = &self.rules_job else {
            return;
        };
        if let Some(done) = job.try_recv() {
            self.store.set_detections(done.rows, done.detections);
            self.rules_job = None;
            self.visible_dirty = true;
        }
    }

    /// A function background threads call to have the window redrawn.
    fn waker(&self) -> impl Fn() + Send + 'static {
        let ctx = std::sync::Arc::clone(&self.repaint);
        move || {
            if let Some(ctx) = ctx.get() {
                ctx.request_repaint();
            }
        }
    }

    /// Draws the whole window into `ui` (eframe calls this every frame; tests call it too).
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        self.repaint.get_or_init(|| ui.ctx().clone());
        self.receive_rules();
        self.receive_dialog(Duration::ZERO);
        // Drain the loader for at most ~10 ms, so the window never freezes.
        if self.receive(Duration::from_millis(10)) {
            ui.ctx().request_repaint();
        }
        let mut actions = Vec::new();
        let dropped: Vec<PathBuf> = ui.ctx().input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .collect()
        });
        if !dropped.is_empty() {
            actions.push(Action::Open(dropped));
        }
        if ui
            .ctx()
            .input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::E))
        {
            actions.push(Action::ExportFlagged);
        }
        let refresh_due = !self.is_loading() || self.last_refresh.elapsed() > REFRESH_WHILE_LOADING;
        if self.visible_dirty && refresh_due {
            self.refresh_visible();
        } else if self.visible_dirty {
            ui.ctx().request_repaint_after(REFRESH_WHILE_LOADING);
        }

        egui::Panel::top("menu").show(ui, |ui| {
            toolbar::menu_ui(ui, self, &mut actions);
        });
        egui::Panel::top("filters").show(ui, |ui| {
            toolbar::filter_ui(ui, self, &mut actions);
        });
        egui::Panel::bottom("status").show(ui, |ui| {
            toolbar::status_ui(ui, self, &mut actions);
        });
        if self.show_rules {
            egui::Panel::left("rules")
                .resizable(true)
                .default_size(320.0)
                .show(ui, |ui| toolbar::rules_ui(ui, self, &mut actions));
        }
        if let Some(row) = self.selected {
            egui::Panel::right("detail")
                .resizable(true)
                .default_size(400.0)
                .show(ui, |ui| {
                    detail::detail_ui(ui, &self.store, row, &mut self.raw_cache)
                });
        }
        egui::CentralPanel::default().show(ui, |ui| {
            if self.show_warnings {
                toolbar::warnings_ui(ui, &self.store);
                ui.separator();
            }
            let scroll_to = if std::mem::take(&mut self.scroll_to_selected) {
                self.selected
                    .and_then(|row| self.visible.iter().position(|r| *r == row))
            } else {
                None
            };
            // Sideways scrolling when the columns are wider than the room beside the panels
            // (a narrow window, the Rules panel open); the table scrolls its rows itself.
            egui::ScrollArea::horizontal()
                .id_salt("events-sideways")
                .auto_shrink(false)
                .show(ui, |ui| {
                    table::events_table_ui(
                        ui,
                        &self.store,
                        &self.visible,
                        self.selected,
                        self.sort,
                        scroll_to,
                        &mut actions,
                    );
                });
        });
        drop_overlay_ui(ui.ctx());

        for action in actions {
            self.apply(action);
        }
    }

    /// Carries out one action.
    pub fn apply(&mut self, action: Action) {
        match action {
            Action::Open(paths) => self.open(paths),
            Action::OpenDialog => {
                let picker = std::sync::Arc::clone(&self.picker);
                self.start_dialog(DialogFor::Open, move || picker.pick_files());
            }
            Action::ShowPathField => {
                self.show_path_field = true;
                self.pending_export = None;
            }
            Action::LoadRulesDialog => {
                let picker = std::sync::Arc::clone(&self.picker);
                self.start_dialog(DialogFor::Rules, move || picker.pick_rules());
            }
            Action::LoadRules(path) => {
                let errors_before = self.store.rules.errors.len();
                let loaded = self.store.rules.load_path(&path);
                let failed = self.store.rules.errors.len() - errors_before;
                self.reevaluate_rules();
                self.show_rules = true;
                self.status = format!(
                    "Loaded {loaded} rules from {} ({failed} could not be loaded; see the Rules panel)",
                    path.display()
                );
            }
            Action::FilterChanged => self.visible_dirty = true,
            Action::SortBy(column) => {
                if self.sort.column == column {
                    self.sort.ascending = !self.sort.ascending;
                } else {
                    self.sort = Sort {
                        column,
                        ascending: true,
                    };
                }
                self.visible_dirty = true;
                self.scroll_to_selected = self.selected.is_some();
            }
            Action::Select(row) => self.selected = Some(row),
            Action::ExportFlagged => self.export(ExportKind::FlaggedCsv),
            Action::ExportFiltered => self.export(ExportKind::FilteredCsv),
            Action::ExportJsonl => self.export(ExportKind::Jsonl),
            Action::ExportTo(path) => {
                if let Some(kind) = self.pending_export.take() {
                    self.export_to(kind, &path);
                    // Done with the path: the field must not offer to load the export.
                    self.show_path_field = false;
                    self.path_input.clear();
                }
            }
            Action::CancelLoad => {
                if let Some(job) = &self.job {
                    job.cancel();
                }
                self.queued.clear();
            }
            Action::ToggleRule(index) => {
                if let Some(rule) = self.store.rules.rules.get_mut(index) {
                    rule.enabled = !rule.enabled;
                    self.reevaluate_rules();
                }
            }
            Action::FilterToRule(rule) => {
                self.filter.rule = rule;
                self.visible_dirty = true;
            }
        }
    }

    /// Starts loading `paths`, or queues them behind the load in progress. A folder with Sigma
    /// rules in it loads as rules; any other folder opens the logs directly in it.
    fn open(&mut self, paths: Vec<PathBuf>) {
        let (rule_files, data_files): (Vec<PathBuf>, Vec<PathBuf>) =
            paths.into_iter().partition(|p| is_rule_path(p));
        let mut data_files: Vec<PathBuf> = data_files
            .into_iter()
            .flat_map(|p| if p.is_dir() { logs_in(&p) } else { vec![p] })
            .collect();
        data_files.dedup();
        for path in rule_files {
            self.apply(Action::LoadRules(path));
        }
        if data_files.is_empty() {
            return;
        }
        if self.job.is_some() {
            self.queued.push_back(data_files);
            return;
        }
        if self.status == CANCELLED {
            // Said once; the file's own warning keeps saying it.
            self.status.clear();
        }
        let wake = self.waker();
        let budget = Budget::new(self.memory_limit, self.store.footprint() as u64);
        match LoadJob::spawn(
            data_files,
            self.store.rules.clone(),
            self.read_options,
            budget,
            wake,
        ) {
            Ok(job) => self.job = Some(job),
            Err(e) => self.status = format!("Cannot start loading: {e}"),
        }
    }

    /// Takes messages from the loader for at most `budget`. True if more may be waiting.
    fn receive(&mut self, budget: Duration) -> bool {
        let started = Instant::now();
        let mut more = false;
        if self.rules_job.is_some() {
            // The evaluation shares the events; nothing is stored until it is done.
            return false;
        }
        while let Some(job) = &self.job {
            let Some(msg) = job.try_recv() else {
                break;
            };
            match msg {
                LoadMsg::Begin(path) => {
                    // Replacing a file moves rows: keep the selection by what it is.
                    if let Some(row) = self.selected.take()
                        && let Some(event) = self.store.packed(row)
                    {
                        self.reselect = Some((event.source(), event.record_or_position()));
                    }
                    let id = self.store.begin_source(Source::new(path));
                    job.assign(id);
                    self.current = Some((id, Progress::default()));
                    self.visible_dirty = true;
                }
                LoadMsg::Events(id, batch, progress) => {
                    self.store.push(batch);
                    self.current = Some((id, progress));
                    self.visible_dirty = true;
                }
                LoadMsg::Finished(id, info) => {
                    if let Some(slot) = self.store.sources.get_mut(id as usize) {
                        *slot = info;
                    }
                    self.visible_dirty = true;
                }
                LoadMsg::AllDone {
                    cancelled,
                    budget_reached,
                } => {
                    self.job = None;
                    self.current = None;
                    if cancelled {
                        self.status = CANCELLED.to_owned();
                    }
                    if let Some(message) = budget_reached {
                        let skipped: Vec<PathBuf> = self.queued.drain(..).flatten().collect();
                        for path in skipped {
                            self.store.begin_source(memory::not_read_source(path));
                        }
                        self.status = message;
                        self.show_warnings = true;
                    }
                    if std::mem::take(&mut self.rules_stale) {
                        self.reevaluate_rules();
                    }
                    if let Some(next) = self.queued.pop_front() {
                        self.open(next);
                    }
                }
            }
            if started.elapsed() > budget {
                more = true;
                break;
            }
        }
        more
    }

    /// Recomputes the visible rows from the store, filter and sort.
    pub fn refresh_visible(&mut self) {
        self.visible = visible_rows(&self.store, &self.filter);
        sort_rows(&self.store, &mut self.visible, self.sort);
        self.visible_dirty = false;
        self.last_refresh = Instant::now();
        if let Some(record_id) = self.pending_select
            && let Some(row) = self
                .store
                .packed_events()
                .iter()
                .position(|e| e.record_id() == Some(record_id))
        {
            self.selected = Some(row as Row);
            self.pending_select = None;
            self.scroll_to_selected = true;
        }
        if let Some((source, record)) = self.reselect
            && let Some(row) = self
                .store
                .packed_events()
                .iter()
                .position(|e| e.source() == source && e.record_or_position() == record)
        {
            self.selected = Some(row as Row);
            self.reselect = None;
            self.scroll_to_selected = true;
        }
    }

    fn export(&mut self, kind: ExportKind) {
        let rows: Vec<Row> = match kind {
            ExportKind::FlaggedCsv => self.visible_flagged_or_all_flagged(),
            ExportKind::FilteredCsv | ExportKind::Jsonl => self.visible.clone(),
        };
        if rows.is_empty() {
            self.status = "Nothing to export: no rows.".to_owned();
            return;
        }
        let default_name = Self::export_name(kind);
        let extension = match kind {
            ExportKind::FlaggedCsv | ExportKind::FilteredCsv => "csv",
            ExportKind::Jsonl => "jsonl",
        };
        let picker = std::sync::Arc::clone(&self.picker);
        self.start_dialog(DialogFor::Save(kind), move || {
            picker.save_file(default_name, extension)
        });
    }

    /// The default file name of an export.
    fn export_name(kind: ExportKind) -> &'static str {
        match kind {
            ExportKind::FlaggedCsv => "appxview-flagged.csv",
            ExportKind::FilteredCsv => "appxview-filtered.csv",
            ExportKind::Jsonl => "appxview-events.jsonl",
        }
    }

    /// Opens a file dialog on its own thread; its answer is handled when it comes
    /// ([`App::receive_dialog`]). One dialog at a time.
    fn start_dialog(
        &mut self,
        purpose: DialogFor,
        call: impl FnOnce() -> PickOutcome + Send + 'static,
    ) {
        if self.dialog.is_some() {
            self.status = "A file dialog is already open.".to_owned();
            return;
        }
        match Call::spawn(call, self.waker()) {
            Ok(call) => {
                self.dialog = Some((purpose, call));
                self.receive_dialog(Duration::from_millis(50));
            }
            Err(e) => self.status = format!("Cannot open a file dialog: {e}"),
        }
    }

    /// Handles the open dialog's answer if it comes within `wait`.
    fn receive_dialog(&mut self, wait: Duration) {
        let Some((purpose, call)) = &self.dialog else {
            return;
        };
        let purpose = *purpose;
        let outcome = match call.answer_within(wait) {
            Some(outcome) => outcome,
            None if call.is_lost() => PickOutcome::Unavailable("the dialog failed".to_owned()),
            None => return,
        };
        self.dialog = None;
        match (purpose, outcome) {
            (_, PickOutcome::Cancelled) => {}
            (DialogFor::Open, PickOutcome::Picked(paths)) => self.open(paths),
            (DialogFor::Rules, PickOutcome::Picked(paths)) => {
                for path in paths {
                    self.apply(Action::LoadRules(path));
                }
            }
            (DialogFor::Save(kind), PickOutcome::Picked(mut paths)) => {
                if let Some(path) = paths.pop() {
                    self.export_to(kind, &path);
                }
            }
            (DialogFor::Open, PickOutcome::Unavailable(why)) => {
                self.status = format!("No file dialog can open here ({why}); type a path below.");
                self.show_path_field = true;
                self.pending_export = None;
            }
            (DialogFor::Rules, PickOutcome::Unavailable(why)) => {
                self.status = format!(
                    "No file dialog can open here ({why}); type the rules path in the path field."
                );
                self.show_path_field = true;
                self.pending_export = None;
            }
            (DialogFor::Save(kind), PickOutcome::Unavailable(why)) => {
                self.status = format!(
                    "No file dialog can open here ({why}); type where to save in the path field and press Save."
                );
                self.pending_export = Some(kind);
                self.show_path_field = true;
                if self.path_input.trim().is_empty() {
                    self.path_input = Self::export_name(kind).to_owned();
                }
            }
        }
    }

    /// Writes the export of `kind` to `path` and says how it went in the status bar.
    fn export_to(&mut self, kind: ExportKind, path: &std::path::Path) {
        let rows: Vec<Row> = match kind {
            ExportKind::FlaggedCsv => self.visible_flagged_or_all_flagged(),
            ExportKind::FilteredCsv | ExportKind::Jsonl => self.visible.clone(),
        };
        let result = match kind {
            ExportKind::FlaggedCsv | ExportKind::FilteredCsv => {
                crate::export::write_csv(&self.store, &rows, path)
            }
            ExportKind::Jsonl => crate::export::write_jsonl(&self.store, &rows, path),
        };
        self.status = match result {
            Ok(n) => format!("Exported {n} rows to {}", path.display()),
            Err(e) => format!("Export failed: {e}"),
        };
    }

    /// Flagged rows among those shown (all flagged AppX rows when the filter hides them all).
    fn visible_flagged_or_all_flagged(&self) -> Vec<Row> {
        let shown: Vec<Row> = self
            .visible
            .iter()
            .copied()
            .filter(|row| self.store.detections.contains_key(row))
            .collect();
        if !shown.is_empty() {
            return shown;
        }
        let mut all = visible_rows(
            &self.store,
            &crate::filter::Filter {
                flagged_only: true,
                all_events: self.filter.all_events,
                ..crate::filter::Filter::default()
            },
        );
        sort_rows(&self.store, &mut all, self.sort);
        all
    }

    /// Progress of the current load, if any.
    fn progress(&self) -> Option<(String, Progress)> {
        let (id, progress) = self.current?;
        let name = self.store.sources.get(id as usize)?.display_name();
        Some((name, progress))
    }
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        App::ui(self, ui);
    }
}

/// A `.yml`/`.yaml` file, or a folder holding rules rather than logs.
fn is_rule_path(path: &std::path::Path) -> bool {
    if path.is_dir() {
        return holds_rules(path, 3);
    }
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"))
}

/// The colour of a rule level.
pub fn severity_color(level: Severity) -> egui::Color32 {
    match level {
        Severity::Critical => egui::Color32::from_rgb(200, 40, 200),
        Severity::High => egui::Color32::from_rgb(220, 50, 50),
        Severity::Medium => egui::Color32::from_rgb(230, 140, 20),
        Severity::Low => egui::Color32::from_rgb(200, 190, 40),
        Severity::Informational => egui::Color32::from_rgb(80, 140, 220),
    }
}

/// While files are dragged over the window: a veil saying what dropping does.
fn drop_overlay_ui(ctx: &egui::Context) {
    let hovered: Vec<String> = ctx.input(|i| {
        i.raw
            .hovered_files
            .iter()
            .map(|f| {
                f.path
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            })
            .collect()
    });
    if hovered.is_empty() {
        return;
    }
    let painter = ctx.layer_painter(egui::LayerId::new(
        egui::Order::Foreground,
        egui::Id::unique("drop_overlay"),
    ));
    let screen = ctx.content_rect();
    painter.rect_filled(screen, 0.0, egui::Color32::from_black_alpha(180));
    let text = format!(
        "Drop to load {} file(s)\n.evtx and JSON exports are read; .yml files and folders load as Sigma rules",
        hovered.len()
    );
    painter.text(
        screen.center(),
        egui::Align2::CENTER_CENTER,
        text,
        egui::FontId::proportional(22.0),
        egui::Color32::WHITE,
    );
}

/// True if `folder` (or a folder below it, `depth` levels down) holds a `.yml`/`.yaml` file.
fn holds_rules(folder: &std::path::Path, depth: usize) -> bool {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return false;
    };
    entries.flatten().any(|entry| {
        let path = entry.path();
        if path.is_dir() {
            depth > 0 && holds_rules(&path, depth - 1)
        } else {
            is_rule_path(&path)
        }
    })
}

/// The log files directly in `folder` (`.evtx`, `.json`, `.jsonl`, `.ndjson`), sorted; the
/// folder itself if it has none, so the load reports what is wrong with it.
fn logs_in(folder: &std::path::Path) -> Vec<PathBuf> {
    let mut logs: Vec<PathBuf> = std::fs::read_dir(folder)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.is_file()
                        && p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                            ["evtx", "json", "jsonl", "ndjson"]
                                .iter()
                                .any(|x| e.eq_ignore_ascii_case(x))
                        })
                })
                .collect()
        })
        .unwrap_or_default();
    logs.sort();
    if logs.is_empty() {
        logs.push(folder.to_path_buf());
    }
    logs
}
