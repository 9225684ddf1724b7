//! The field-detail pane of the selected event: header, EventData with types, rule hits
//! with why, and the raw event (read again from the file on demand, cached per row).
//! Copy actions put a field's value, a field row, or the whole event (the JSON and text of
//! `appxview inspect`, rendered by [`crate::inspect`]) on the clipboard.

use eframe::egui;

use super::severity_color;
use crate::export::event_json;
use crate::model::Row;
use crate::schema::detail::EventDetail;
use crate::store::Store;

/// The explained and raw event of the last selected row, built once per selection.
#[derive(Default)]
pub struct RawCache {
    row: Option<Row>,
    detail: Option<EventDetail>,
    raw_row: Option<Row>,
    text: String,
    /// Set when `text` is not the record as its file holds it: why, and what is shown instead.
    note: Option<String>,
}

/// Draws the pane for `row`.
pub(super) fn detail_ui(ui: &mut egui::Ui, store: &Store, row: Row, raw: &mut RawCache) {
    let Some(event) = store.event(row) else {
        return;
    };
    let event = &event;
    egui::ScrollArea::vertical()
        .id_salt("detail")
        .auto_shrink(false)
        .show(ui, |ui| {
            if raw.row != Some(row) || raw.detail.is_none() {
                raw.row = Some(row);
                raw.detail = Some(EventDetail::build(event));
            }
            let detail = raw.detail.as_ref();
            let task_name = detail.and_then(|d| d.task_name.clone());
            let opcode_name = detail.and_then(|d| d.opcode_name.clone());
            let names: Vec<&str> = [task_name.as_deref(), opcode_name.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            let id = event.event_id.map(|i| i.to_string()).unwrap_or_default();
            ui.heading(if names.is_empty() {
                format!("Event {id}")
            } else {
                format!("Event {id} - {}", names.join(" / "))
            });
            if let Some(detail) = detail {
                ui.horizontal(|ui| {
                    if ui
                        .button("Copy as JSON")
                        .on_hover_text("The event as `appxview inspect --format json` prints it")
                        .clicked()
                    {
                        let json = crate::inspect::event_json(store, row, detail);
                        copied(ui, json.to_string(), "the event as JSON");
                    }
                    if ui
                        .button("Copy as text")
                        .on_hover_text("The event as `appxview inspect` prints it")
                        .clicked()
                    {
                        copied(
                            ui,
                            crate::inspect::event_text(store, row, detail),
                            "the event as text",
                        );
                    }
                    copied_note_ui(ui);
                });
            }
            if let Some(detail) = detail {
                egui::Grid::new("system")
                    .num_columns(2)
                    .striped(true)
                    .show(ui, |ui| {
                        for (name, value) in crate::inspect::system_lines(store, event, detail) {
                            ui.label(name);
                            ui.add(egui::Label::new(value).wrap());
                            ui.end_row();
                        }
                    });
            }

            let hits = store.hits(row);
            if !hits.is_empty() {
                ui.separator();
                ui.strong("Rule hits");
                for detection in hits {
                    let Some(rule) = store.rules.rules.get(detection.rule) else {
                        continue;
                    };
                    ui.colored_label(
                        severity_color(rule.level),
                        format!("!! [{}] {}", rule.level, rule.title),
                    );
                    for why in &detection.why {
                        ui.label(format!("   {}", why.describe()));
                    }
                }
            }

            if let Some(detail) = &raw.detail {
                fields_ui(ui, detail);
            }

            ui.separator();
            egui::CollapsingHeader::new("Raw event (JSON)")
                .default_open(false)
                .show(ui, |ui| {
                    if raw.raw_row != Some(row) {
                        raw.raw_row = Some(row);
                        (raw.text, raw.note) = raw_text(store, row);
                    }
                    if let Some(note) = &raw.note {
                        ui.weak(note.as_str());
                    }
                    if ui.button("Copy").clicked() {
                        ui.ctx().copy_text(raw.text.clone());
                    }
                    ui.add(
                        egui::Label::new(egui::RichText::new(raw.text.as_str()).monospace()).wrap(),
                    );
                });
        });
}

/// The record as its file holds it (EVTX: re-read from its chunk), or, where that cannot be
/// had, the event as appxview read it with a note saying so and why.
fn raw_text(store: &Store, row: Row) -> (String, Option<String>) {
    let Some(event) = store.event(row) else {
        return (String::new(), None);
    };
    let raw = match store.source_of(&event) {
        Some(source) => crate::ingest::raw_event(source, &event),
        None => Err("its file is no longer loaded".to_owned()),
    };
    let pretty =
        |value: &serde_json::Value| serde_json::to_string_pretty(value).unwrap_or_default();
    match raw {
        Ok(value) => (pretty(&value), None),
        Err(why) => (
            pretty(&event_json(store, row)),
            Some(format!(
                "Not the raw record ({why}): the event as appxview read it, as JSON lines \
                 export it."
            )),
        ),
    }
}

/// Message, package and the typed, decoded fields table.
fn fields_ui(ui: &mut egui::Ui, detail: &EventDetail) {
    ui.separator();
    ui.strong("Message");
    match &detail.message {
        Some(message) => {
            ui.add(egui::Label::new(message.as_str()).wrap());
        }
        None => {
            ui.weak(detail.message_note.clone().unwrap_or_default());
        }
    }
    if let Some(package) = &detail.package {
        ui.separator();
        ui.strong("Package");
        egui::Grid::new("package").num_columns(2).show(ui, |ui| {
            for (name, value) in package.labelled_parts() {
                ui.label(name);
                ui.label(value);
                ui.end_row();
            }
        });
    }
    ui.separator();
    ui.strong(format!("EventData ({} fields)", detail.fields.len()));
    if !detail.builds.is_empty() {
        ui.weak(format!(
            "Field set of Windows builds: {}",
            detail.builds.join(", ")
        ));
    }
    // One block per field: name, type and copy buttons on a line, then the value and its
    // meaning with the pane's whole width (long paths and full names stay readable).
    for field in &detail.fields {
        let extra = detail.extra_fields.contains(&field.name);
        ui.horizontal_wrapped(|ui| {
            ui.strong(&field.name);
            match &field.declared_type {
                Some(t) => ui.label(t),
                None if extra => ui.weak("not in schema"),
                None => ui.weak(field.value.kind()),
            };
            let name = &field.name;
            if copy_button(ui, "value", &format!("Copy value of {name}"))
                .on_hover_text("Copy the value")
                .clicked()
            {
                copied(
                    ui,
                    field.value.to_text().into_owned(),
                    &format!("the value of {name}"),
                );
            }
            if copy_button(ui, "row", &format!("Copy row of {name}"))
                .on_hover_text("Copy the row: name, type, value, meaning (tab-separated)")
                .clicked()
            {
                copied(
                    ui,
                    crate::inspect::field_row_text(field),
                    &format!("the row of {name}"),
                );
            }
        });
        ui.indent(("field", &field.name), |ui| {
            let value = crate::filter::one_line(&field.value.to_text(), 4000);
            ui.add(egui::Label::new(value).wrap());
            if let Some(meaning) = field.meaning()
                && !meaning.is_empty()
            {
                ui.add(egui::Label::new(egui::RichText::new(meaning).italics()).wrap());
            }
        });
        ui.add_space(2.0);
    }
    if !detail.missing_fields.is_empty() {
        ui.separator();
        ui.weak("Declared by the schema, absent in this event (older build?):");
        for name in &detail.missing_fields {
            ui.weak(name);
        }
    }
}

/// How long the "Copied …" note stays.
const COPIED_NOTE_SECONDS: f64 = 2.5;

/// Puts `text` on the clipboard and remembers what was copied, for [`copied_note_ui`].
fn copied(ui: &egui::Ui, text: String, what: &str) {
    let ctx = ui.ctx();
    ctx.copy_text(text);
    let now = ctx.input(|i| i.time);
    ctx.data_mut(|d| d.insert_temp(egui::Id::unique("appxview-copied"), (what.to_owned(), now)));
}

/// "Copied …" for a moment after a copy button was pressed.
fn copied_note_ui(ui: &mut egui::Ui) {
    let ctx = ui.ctx().clone();
    let id = egui::Id::unique("appxview-copied");
    let Some((what, at)) = ctx.data(|d| d.get_temp::<(String, f64)>(id)) else {
        return;
    };
    let age = ctx.input(|i| i.time) - at;
    if age < COPIED_NOTE_SECONDS {
        ui.weak(format!("Copied {what}"));
        ctx.request_repaint_after(std::time::Duration::from_secs_f64(
            COPIED_NOTE_SECONDS - age,
        ));
    } else {
        ctx.data_mut(|d| d.remove::<(String, f64)>(id));
    }
}

/// A small button showing `text` whose accessible name is `name` (unique per row, so screen
/// readers and tests can tell the rows' buttons apart).
fn copy_button(ui: &mut egui::Ui, text: &str, name: &str) -> egui::Response {
    let response = ui.small_button(text);
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, name));
    response
}
