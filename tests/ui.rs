#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on purpose.
//! The window driven through AccessKit with egui_kittest (no display, no GPU): load a file,
//! type in the package filter, select a row, read its fields in the detail pane.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use appxview::sigma::RuleSet;
use appxview::ui::{Action, App, FilePicker, PickOutcome};
use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

mod ui_support;
use ui_support::{DroppedPath, NoDialog};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The window with the built-in rules and `rel` (below the repository) loaded.
fn loaded(rel: &str) -> App {
    let mut app = App::new(
        RuleSet::builtin(),
        Box::new(NoDialog("test")),
        vec![fixture(rel)],
    );
    app.wait_for_load();
    app
}

fn harness(app: App) -> Harness<'static, App> {
    Harness::builder()
        .with_size(egui::vec2(1400.0, 800.0))
        // Background threads (loader, rules, dialog) ask for a repaint when they answer.
        .with_max_steps(16)
        .build_ui_state(|ui, app: &mut App| app.ui(ui), app)
}

#[test]
fn drop_filter_select_and_read_the_detail_pane() {
    let mut h = harness(App::new(
        RuleSet::builtin(),
        Box::new(NoDialog("test")),
        Vec::new(),
    ));
    h.run();
    h.input_mut()
        .dropped_files
        .push(Arc::new(DroppedPath(fixture(
            "tests/fixtures/made_seed_shaped_detections.jsonl",
        ))));
    // One frame takes the drop and starts the load (see `open_without_a_dialog…` on `run`).
    h.step();
    h.state_mut().wait_for_load();
    h.run();
    assert_eq!(h.state().visible.len(), 16);
    assert!(
        h.query_by_label_contains("Shown 16 of 16 AppX events")
            .is_some()
    );

    // Type a package name part in the filter box.
    h.get_by_label("Package:").click();
    h.run();
    h.get_by_label("Package:").type_text("client.cbs");
    h.run();
    assert_eq!(h.state().filter.package, "client.cbs");
    assert_eq!(h.state().visible.len(), 1);
    assert!(h.query_by_label("MicrosoftWindows.Client.CBS").is_some());

    // Select the row by clicking its package cell; the detail pane shows its typed fields.
    h.get_by_label("MicrosoftWindows.Client.CBS").click();
    h.run();
    assert!(h.state().selected.is_some());
    assert!(h.query_by_label("HasFullTrust").is_some());
    assert_eq!(h.query_all_by_label("Boolean").count(), 9);
    assert!(h.query_by_label("HexInt64").is_some());
    // In the table's Operation column and as the decoded meaning in the pane.
    assert_eq!(h.query_all_by_label("PreRegisterPackage").count(), 2);
    // In the table's Publisher id column and in the pane's package parts.
    assert_eq!(h.query_all_by_label("cw5n1h2txyewy").count(), 2);
}

/// The raw section shows the record re-read from an EVTX file, and says so when it cannot
/// (JSON input keeps no raw text): never the normalised event passed off as the raw one.
#[test]
fn raw_event_section_says_when_it_is_not_the_raw_record() {
    for (file, note) in [
        ("assets/samples/appx-demo-synthetic.evtx", false),
        ("tests/fixtures/made_seed_shaped_detections.jsonl", true),
    ] {
        let mut app = loaded(file);
        let row = app.visible[0];
        app.apply(Action::Select(row));
        // Tall enough that the raw section, below every field, is on screen to be clicked.
        let mut h = Harness::builder()
            .with_size(egui::vec2(1400.0, 3000.0))
            .with_max_steps(16)
            .build_ui_state(|ui, app: &mut App| app.ui(ui), app);
        h.run();
        h.get_by_label("Raw event (JSON)").click();
        h.run();
        assert!(
            h.query_by_label("Copy").is_some(),
            "{file}: raw section open"
        );
        let shown = h
            .query_by_label_contains(
                "Not the raw record (appxview keeps no raw text of JSON input)",
            )
            .is_some();
        assert_eq!(shown, note, "{file}");
    }
}

#[test]
fn flagged_only_and_event_id_filters() {
    let app = loaded("tests/fixtures/made_seed_shaped_detections.jsonl");
    let mut h = harness(app);
    h.run();
    h.get_by_label("Flagged only").click();
    h.run();
    assert_eq!(h.state().visible.len(), 5);
    assert!(h.query_by_label_contains("5 flagged").is_some());
    h.get_by_label("Event ID:").click();
    h.run();
    h.get_by_label("Event ID:").type_text("401");
    h.run();
    assert_eq!(h.state().visible.len(), 1);
    assert!(h.query_by_label_contains("HIGH").is_none());
    assert!(h.query_by_label_contains("MEDIUM").is_some());
}

#[test]
fn open_without_a_dialog_offers_a_path_field() {
    let mut h = harness(App::new(
        RuleSet::builtin(),
        Box::new(NoDialog("test")),
        Vec::new(),
    ));
    h.run();
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("Open…").click();
    h.run();
    assert!(h.state().show_path_field);
    assert!(
        h.query_by_label_contains("No file dialog can open here")
            .is_some()
    );
    h.get_by_label("Path:").click();
    h.run();
    let path = fixture("tests/fixtures/made_seed_shaped_detections.jsonl");
    h.get_by_label("Path:")
        .type_text(&path.display().to_string());
    h.run();
    h.get_by_label("Load").click();
    // One frame starts the load. `run` here could exceed its step limit on a busy machine, the
    // loader thread asking for a repaint per batch; so step once and wait for the load.
    h.step();
    h.state_mut().wait_for_load();
    h.run();
    assert_eq!(h.state().store.len(), 17);
}

/// The text of the first `CopyText` command in the next few frames.
fn copied(h: &mut Harness<'static, App>) -> String {
    for _ in 0..4 {
        h.step();
        for command in &h.output().platform_output.commands {
            if let egui::OutputCommand::CopyText(text) = command {
                return text.clone();
            }
        }
    }
    panic!("nothing was copied");
}

#[test]
fn copy_the_selected_event_and_its_fields() {
    let app = loaded("tests/fixtures/made_seed_shaped_detections.jsonl");
    // Tall enough for every field row of the detail pane to be on screen.
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 1800.0))
        .build_ui_state(|ui, app: &mut App| app.ui(ui), app);
    h.run();
    h.get_by_label("Package:").click();
    h.run();
    h.get_by_label("Package:").type_text("client.cbs");
    h.run();
    h.get_by_label("MicrosoftWindows.Client.CBS").click();
    h.run();
    let row = h.state().selected.expect("a row is selected");
    let event = h.state().store.event(row).unwrap();
    assert_eq!(event.record_id, Some(1010));
    // The header names the task and opcode.
    assert!(
        h.query_by_label("Event 400 - AppXDeployment.Task.Server.Deployment / Stop")
            .is_some()
    );

    h.get_by_label("Copy as JSON").click();
    let json_text = copied(&mut h);
    let json: serde_json::Value =
        serde_json::from_str(&json_text).expect("the copied text is JSON");
    assert_eq!(json["record_id"], 1010);
    assert_eq!(json["event_id"], 400);
    h.step();
    assert!(
        h.query_by_label("Copied the event as JSON").is_some(),
        "the pane says what was copied"
    );
    let fields = json["fields"].as_array().expect("fields");
    assert_eq!(fields.len(), event.fields.len());
    for ((name, value), copied) in event.fields.iter().zip(fields) {
        assert_eq!(copied["name"], name.as_str());
        assert_eq!(copied["value"], value.to_json(), "{name}");
    }
    assert_eq!(json["fields"][0]["decoded"], "PreRegisterPackage");
    assert_eq!(
        json["package"]["family_name"],
        "MicrosoftWindows.Client.CBS_cw5n1h2txyewy"
    );
    // Exactly what `appxview inspect --format json` prints for this record.
    let detail = appxview::schema::EventDetail::build(&event);
    assert_eq!(
        json_text,
        appxview::inspect::event_json(&h.state().store, row, &detail).to_string()
    );

    h.get_by_label("Copy as text").click();
    let text = copied(&mut h);
    assert_eq!(
        text,
        appxview::inspect::event_text(&h.state().store, row, &detail)
    );
    assert!(text.starts_with("Event 400 - Microsoft-Windows-AppXDeployment-Server\n"));

    h.get_by_label("Copy value of PackageFullName").click();
    assert_eq!(
        copied(&mut h),
        event.field("PackageFullName").expect("field").to_text()
    );
    h.get_by_label("Copy row of DeploymentOperation").click();
    assert_eq!(
        copied(&mut h),
        "DeploymentOperation\tUInt32\t12\tPreRegisterPackage"
    );
}

#[test]
fn a_memory_budget_stops_a_load_and_says_so() {
    let mut app = App::new(RuleSet::builtin(), Box::new(NoDialog("test")), Vec::new());
    app.set_memory_limit(40_000);
    app.apply(Action::Open(vec![
        fixture("assets/samples/appx-demo-synthetic.evtx"),
        fixture("tests/fixtures/made_seed_shaped_detections.jsonl"),
    ]));
    app.wait_for_load();
    let kept = app.store.len();
    assert!(kept > 20 && kept < 406, "kept {kept} of 406");
    // The file after it is listed, saying why it was not read.
    assert_eq!(app.store.sources.len(), 2);
    let skipped = &app.store.sources[1];
    assert!(skipped.path.ends_with("made_seed_shaped_detections.jsonl"));
    assert!(
        skipped
            .error
            .as_deref()
            .is_some_and(|e| e.contains("memory budget")),
        "{skipped:?}"
    );
    assert!(app.store.footprint() <= 40_000);
    assert!(
        app.status.contains("Memory budget reached"),
        "{}",
        app.status
    );
    assert!(app.show_warnings, "the warning list opens");
    assert!(
        app.store.sources[0]
            .warnings
            .iter()
            .any(|w| w.message.contains("--max-memory"))
    );
    // The window still draws what was kept.
    let mut h = harness(app);
    h.run();
    assert!(
        h.query_all_by_label_contains("budget reached").count() >= 2,
        "status bar and warning list"
    );
}

#[test]
fn toggling_a_rule_evaluates_again_in_the_background() {
    let mut app = loaded("assets/samples/appx-demo-synthetic.evtx");
    let flagged = app.store.detections.len();
    let rule = app
        .store
        .rules
        .rules
        .iter()
        .position(|r| r.title == "Full Trust AppX Package Deployed")
        .expect("full-trust rule in the pack");
    let hits_of = |app: &App| {
        app.store
            .detections
            .values()
            .filter(|d| d.iter().any(|d| d.rule == rule))
            .count()
    };
    assert!(hits_of(&app) > 0);
    app.apply(Action::ToggleRule(rule));
    app.wait_for_load();
    assert!(!app.is_evaluating_rules());
    assert_eq!(hits_of(&app), 0, "a disabled rule flags nothing");
    assert!(app.store.detections.len() < flagged);
    app.apply(Action::ToggleRule(rule));
    app.wait_for_load();
    assert_eq!(
        app.store.detections.len(),
        flagged,
        "enabled again, same hits"
    );
}

/// A dialog that stays open until the test answers it (as a person would, later).
struct SlowDialog(std::sync::Mutex<std::sync::mpsc::Receiver<PathBuf>>);

impl FilePicker for SlowDialog {
    fn pick_files(&self) -> PickOutcome {
        match self.0.lock().unwrap().recv() {
            Ok(path) => PickOutcome::Picked(vec![path]),
            Err(_) => PickOutcome::Cancelled,
        }
    }
    fn pick_rules(&self) -> PickOutcome {
        PickOutcome::Cancelled
    }
    fn save_file(&self, _: &str, _: &str) -> PickOutcome {
        PickOutcome::Cancelled
    }
}

#[test]
fn the_window_keeps_drawing_while_a_file_dialog_is_open() {
    let (answer, question) = std::sync::mpsc::channel();
    let app = App::new(
        RuleSet::builtin(),
        Box::new(SlowDialog(std::sync::Mutex::new(question))),
        Vec::new(),
    );
    let mut h = harness(app);
    h.run();
    let started = std::time::Instant::now();
    h.state_mut().apply(Action::OpenDialog);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "opening the dialog returned at once"
    );
    // The dialog is open: frames still run and the filter still takes typing.
    for _ in 0..3 {
        h.step();
    }
    h.get_by_label("Package:").click();
    h.step();
    h.get_by_label("Package:").type_text("zoom");
    h.step();
    assert_eq!(h.state().filter.package, "zoom");
    assert!(!h.state().is_loading());
    // A second dialog is refused while one is open.
    h.state_mut().apply(Action::OpenDialog);
    assert!(
        h.state().status.contains("already open"),
        "{}",
        h.state().status
    );

    answer
        .send(fixture("assets/samples/appx-demo-synthetic.evtx"))
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !h.state().is_loading() && h.state().store.is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the answer was never handled"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
        h.step();
    }
    h.state_mut().wait_for_load();
    h.step();
    assert_eq!(h.state().store.len(), 406);
    assert!(
        !h.state().visible.is_empty(),
        "the zoom filter shows the Zoom rows"
    );
}

#[test]
fn a_file_given_at_start_loads_with_no_input() {
    // More batches than the loader's channel holds (one per EVTX chunk): the loader must be
    // able to wake the window although it started before the window's first frame.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("made-60k.evtx");
    appxview::evtx_writer::synth::write_synthetic(&path, 60_000, 7).unwrap();
    let app = App::new(RuleSet::builtin(), Box::new(NoDialog("test")), vec![path]);
    let mut h = harness(app);
    h.step();
    // Step only when something asked for a frame, as an event loop with no input would.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let mut idle_since = std::time::Instant::now();
    while h.state().is_loading() {
        assert!(std::time::Instant::now() < deadline, "the load never ended");
        if h.ctx.has_requested_repaint() {
            h.step();
            idle_since = std::time::Instant::now();
        } else {
            assert!(
                idle_since.elapsed() < std::time::Duration::from_secs(10),
                "stalled at {} events: nothing asked for a frame",
                h.state().store.len()
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
    h.step();
    assert_eq!(h.state().store.len(), 60_000);
}

/// The Rules panel puts fired rules first and narrows to a search or to the fired ones.
#[test]
fn rules_panel_finds_and_narrows_to_fired_rules() {
    let mut app = loaded("assets/samples/appx-demo-synthetic.evtx");
    app.show_rules = true;
    let total = app.store.rules.rules.len();
    let mut h = harness(app);
    h.run();
    assert!(
        h.query_by_label_contains(&format!("{total} of {total} rules shown"))
            .is_some()
    );
    h.get_by_label("Fired only").click();
    h.run();
    let fired = h.state().store.rules.rules.len()
        - (0..total)
            .filter(|i| {
                !h.state()
                    .store
                    .detections
                    .values()
                    .any(|d| d.iter().any(|d| d.rule == *i))
            })
            .count();
    assert!(fired > 0 && fired < total, "{fired} of {total}");
    assert!(
        h.query_by_label_contains(&format!("{fired} of {total} rules shown; {fired} fired"))
            .is_some()
    );
    h.get_by_label("Fired only").click();
    h.get_by_label("Find rule:").click();
    h.run();
    h.get_by_label("Find rule:").type_text("full trust");
    h.run();
    assert!(
        h.query_by_label_contains(&format!("1 of {total} rules shown"))
            .is_some()
    );
}

/// Opening the same file again replaces its rows, keeps the selected event selected and
/// scrolls the table to it.
#[test]
fn reopening_a_file_keeps_the_selection_in_view() {
    let demo = fixture("assets/samples/appx-demo-synthetic.evtx");
    let mut app = loaded("assets/samples/appx-demo-synthetic.evtx");
    let row = app
        .visible
        .iter()
        .copied()
        .find(|r| {
            app.store
                .event(*r)
                .is_some_and(|e| e.record_id == Some(267))
        })
        .unwrap();
    app.apply(Action::Select(row));
    let mut h = harness(app);
    h.run();
    // Scroll back to the top: the selected row (far down the table) leaves the view.
    h.state_mut()
        .apply(Action::SortBy(appxview::filter::Column::Time));
    h.state_mut()
        .apply(Action::SortBy(appxview::filter::Column::Time));
    h.run();
    h.state_mut().apply(Action::Open(vec![demo]));
    // Frames drawn while it loads: the table is short for a moment, and its scroll position
    // with it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while h.state().is_loading() {
        assert!(std::time::Instant::now() < deadline);
        h.step();
    }
    h.run();
    assert_eq!(h.state().store.len(), 406, "replaced, not added");
    let selected = h
        .state()
        .selected
        .and_then(|r| h.state().store.event(r))
        .unwrap();
    assert_eq!(selected.record_id, Some(267));
    // Its package cell is laid out (only rows in view are): in the table and the pane.
    assert_eq!(h.query_all_by_label("ZoomMeetings.Client").count(), 2);
}
