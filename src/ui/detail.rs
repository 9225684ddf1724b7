//! The field-detail pane of the selected event: header, EventData with types, rule hits
//! with why, and the raw event (read again from the file on demand, cached per row).

use eframe::egui;

use super::severity_color;
use crate::export::event_json;
use crate::model::{Row, level_name};
use crate::store::Store;

/// The raw event of the last selected row, so the file is read once per selection.
#[derive(Default)]
pub struct RawCache {
    row: Option<Row>,
    text: String,
}

/// Draws the pane for `row`.
pub(super) fn detail_ui(ui: &mut egui::Ui, store: &Store, row: Row, raw: &mut RawCache) {
    let Some(event) = store.events.get(row as usize) else {
        return;
    };
    egui::ScrollArea::vertical()
        .id_salt("detail")
        .auto_shrink(false)
        .show(ui, |ui| {
            ui.heading(format!(
                "Event {} · {}",
                event.event_id.map(|i| i.to_string()).unwrap_or_default(),
                event.provider
            ));
            let source = store
                .source_of(event)
                .map(|s| s.path.display().to_string())
                .unwrap_or_default();
            let local = event
                .time
                .instant()
                .map(|t| t.with_timezone(&chrono::Local).to_rfc3339())
                .unwrap_or_default();
            egui::Grid::new("system")
                .num_columns(2)
                .striped(true)
                .show(ui, |ui| {
                    let mut line = |name: &str, value: String| {
                        ui.label(name);
                        ui.add(egui::Label::new(value).wrap());
                        ui.end_row();
                    };
                    line("Time (UTC)", event.time.display());
                    line("Time (local)", local);
                    line("Provider", event.provider.to_string());
                    line("Channel", event.channel.to_string());
                    line(
                        "Event ID",
                        event.event_id.map(|i| i.to_string()).unwrap_or_default(),
                    );
                    line(
                        "Version",
                        event.version.map(|v| v.to_string()).unwrap_or_default(),
                    );
                    line(
                        "Level",
                        format!(
                            "{} {}",
                            event.level.map(|l| l.to_string()).unwrap_or_default(),
                            level_name(event.level)
                        ),
                    );
                    line(
                        "Task",
                        event.task.map(|v| v.to_string()).unwrap_or_default(),
                    );
                    line(
                        "Opcode",
                        event.opcode.map(|v| v.to_string()).unwrap_or_default(),
                    );
                    line(
                        "Keywords",
                        event
                            .keywords
                            .map(|k| format!("{k:#018x}"))
                            .unwrap_or_default(),
                    );
                    line("Computer", event.computer.to_string());
                    line(
                        "User SID",
                        event.user_sid.map(|s| s.to_string()).unwrap_or_default(),
                    );
                    line(
                        "Process / thread",
                        format!(
                            "{} / {}",
                            event.process_id.map(|v| v.to_string()).unwrap_or_default(),
                            event.thread_id.map(|v| v.to_string()).unwrap_or_default()
                        ),
                    );
                    line(
                        "Activity ID",
                        event.activity_id.as_deref().unwrap_or("").to_owned(),
                    );
                    line(
                        "Record ID",
                        event.record_id.map(|v| v.to_string()).unwrap_or_default(),
                    );
                    line("Source", source);
                    if event.recovered {
                        line("Recovered", "yes: carved from unallocated space".to_owned());
                    }
                });

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
                        format!("⚠ [{}] {}", rule.level, rule.title),
                    );
                    for why in &detection.why {
                        let text = if why.field.is_empty() {
                            format!("   {}: keyword \"{}\" found", why.selection, why.pattern)
                        } else {
                            format!(
                                "   {}: {} = \"{}\" matched \"{}\"",
                                why.selection, why.field, why.value, why.pattern
                            )
                        };
                        ui.label(text);
                    }
                }
            }

            ui.separator();
            ui.strong(format!("EventData ({} fields)", event.fields.len()));
            egui::Grid::new("fields")
                .num_columns(3)
                .striped(true)
                .show(ui, |ui| {
                    ui.strong("Name");
                    ui.strong("Type");
                    ui.strong("Value");
                    ui.end_row();
                    for (name, value) in &event.fields {
                        ui.label(name.as_str());
                        ui.label(value.kind());
                        ui.add(egui::Label::new(value.to_text().into_owned()).wrap());
                        ui.end_row();
                    }
                });

            if let Some(message) = &event.message {
                ui.separator();
                ui.strong("Message (from the input)");
                ui.add(egui::Label::new(message.as_ref()).wrap());
            }

            ui.separator();
            egui::CollapsingHeader::new("Raw event (JSON)")
                .default_open(false)
                .show(ui, |ui| {
                    if raw.row != Some(row) {
                        raw.row = Some(row);
                        raw.text = raw_text(store, row);
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

/// The event as the file holds it (EVTX: the record read again); else as normalised.
fn raw_text(store: &Store, row: Row) -> String {
    let Some(event) = store.events.get(row as usize) else {
        return String::new();
    };
    let value = store
        .source_of(event)
        .and_then(|source| crate::ingest::raw_event(source, event).ok())
        .unwrap_or_else(|| event_json(store, row));
    serde_json::to_string_pretty(&value).unwrap_or_default()
}
