//! Menu bar, filter bar, status bar, rules panel and warnings list. Each draws and pushes
//! [`Action`]s; none changes the store.

use std::path::PathBuf;

use eframe::egui;

use super::{Action, App, severity_color};
use crate::filter::parse_event_ids;
use crate::store::Store;

/// File / View menus.
pub(super) fn menu_ui(ui: &mut egui::Ui, app: &mut App, actions: &mut Vec<Action>) {
    egui::MenuBar::new().ui(ui, |ui| {
        ui.menu_button("File", |ui| {
            if ui.button("Open…").clicked() {
                actions.push(Action::OpenDialog);
            }
            if ui.button("Open a path…").clicked() {
                actions.push(Action::ShowPathField);
            }
            if ui.button("Load Sigma rules…").clicked() {
                actions.push(Action::LoadRulesDialog);
            }
            ui.separator();
            if ui
                .add(egui::Button::new("Export flagged rows…").shortcut_text("Ctrl+E"))
                .clicked()
            {
                actions.push(Action::ExportFlagged);
            }
            if ui.button("Export filtered rows (CSV)…").clicked() {
                actions.push(Action::ExportFiltered);
            }
            if ui.button("Export filtered rows (JSONL)…").clicked() {
                actions.push(Action::ExportJsonl);
            }
        });
        ui.menu_button("View", |ui| {
            if ui.checkbox(&mut app.show_rules, "Rules panel").changed() {
                ui.close();
            }
            ui.checkbox(&mut app.show_warnings, "Warnings");
        });
        if app.show_path_field {
            ui.separator();
            let label = ui.label("Path:");
            let response = ui
                .add(egui::TextEdit::singleline(&mut app.path_input).desired_width(360.0))
                .labelled_by(label.id);
            let enter = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let path = PathBuf::from(app.path_input.trim());
            if app.pending_export.is_some() {
                if (ui.button("Save").clicked() || enter) && !path.as_os_str().is_empty() {
                    actions.push(Action::ExportTo(path));
                }
            } else if (ui.button("Load").clicked() || enter) && !path.as_os_str().is_empty() {
                actions.push(Action::Open(vec![path]));
            }
        }
    });
}

/// Package filter, event-id filter, toggles.
pub(super) fn filter_ui(ui: &mut egui::Ui, app: &mut App, actions: &mut Vec<Action>) {
    ui.horizontal(|ui| {
        let label = ui.label("Package:");
        if ui
            .add(
                egui::TextEdit::singleline(&mut app.filter.package)
                    .hint_text("name contains…")
                    .desired_width(220.0),
            )
            .labelled_by(label.id)
            .changed()
        {
            actions.push(Action::FilterChanged);
        }
        let label = ui.label("Event ID:");
        if ui
            .add(
                egui::TextEdit::singleline(&mut app.filter.event_ids)
                    .hint_text("400, 401-404")
                    .desired_width(110.0),
            )
            .labelled_by(label.id)
            .changed()
        {
            actions.push(Action::FilterChanged);
        }
        if let Err(why) = parse_event_ids(&app.filter.event_ids) {
            ui.colored_label(egui::Color32::from_rgb(220, 60, 60), why);
        }
        if ui
            .checkbox(&mut app.filter.flagged_only, "Flagged only")
            .changed()
        {
            actions.push(Action::FilterChanged);
        }
        if ui
            .checkbox(&mut app.filter.all_events, "All events (not only AppX)")
            .changed()
        {
            actions.push(Action::FilterChanged);
        }
        if let Some(rule) = app.filter.rule {
            let title = app
                .store
                .rules
                .rules
                .get(rule)
                .map(|r| r.title.clone())
                .unwrap_or_default();
            if ui
                .button(format!("Rule: {title} (clear)"))
                .on_hover_text("Show hits of every rule again")
                .clicked()
            {
                actions.push(Action::FilterToRule(None));
            }
        }
    });
}

/// Progress, cancel, counts, last message.
pub(super) fn status_ui(ui: &mut egui::Ui, app: &App, actions: &mut Vec<Action>) {
    ui.horizontal(|ui| {
        if app.is_loading() {
            let (name, progress) = app
                .progress()
                .unwrap_or_else(|| ("…".to_owned(), Default::default()));
            ui.add(
                egui::ProgressBar::new(progress.fraction())
                    .desired_width(200.0)
                    .text(format!("{name}: {} records", progress.records)),
            );
            if ui.button("Cancel").clicked() {
                actions.push(Action::CancelLoad);
            }
            ui.separator();
        }
        if app.is_evaluating_rules() {
            ui.spinner();
            ui.label(format!(
                "Evaluating {} rules over {} events...",
                app.store.rules.rules.iter().filter(|r| r.enabled).count(),
                app.store.len()
            ));
            ui.separator();
        }
        let all = app.filter.all_events;
        let total = if all {
            app.store.len()
        } else {
            app.store.appx_count()
        };
        ui.label(format!(
            "Shown {} of {} {}events · {} flagged · {} · {}",
            app.visible.len(),
            total,
            if all { "" } else { "AppX " },
            app.store.flagged_count(all),
            counted(app.store.warning_count(), "warning"),
            counted(app.store.sources.len(), "file"),
        ));
        if !app.status.is_empty() {
            ui.separator();
            ui.label(&app.status);
        }
    });
}

/// Every loaded rule: level, status, source, hits; toggle; click to filter; load errors. Rules
/// that fired come first (most hits first); a search box and "Fired only" narrow the list.
pub(super) fn rules_ui(ui: &mut egui::Ui, app: &mut App, actions: &mut Vec<Action>) {
    ui.heading("Rules");
    let mut hits = vec![0usize; app.store.rules.rules.len()];
    for detections in app.store.detections.values() {
        for d in detections {
            if let Some(h) = hits.get_mut(d.rule) {
                *h += 1;
            }
        }
    }
    ui.horizontal(|ui| {
        let label = ui.label("Find rule:");
        ui.add(
            egui::TextEdit::singleline(&mut app.rule_search)
                .hint_text("title, id, level, file")
                .desired_width(150.0),
        )
        .labelled_by(label.id);
        ui.checkbox(&mut app.rules_fired_only, "Fired only");
    });
    let needle = app.rule_search.trim().to_lowercase();
    let rules = &app.store.rules.rules;
    let mut order: Vec<usize> = (0..rules.len())
        .filter(|&i| !app.rules_fired_only || hits[i] > 0)
        .filter(|&i| {
            let rule = &rules[i];
            needle.is_empty()
                || [
                    rule.title.as_str(),
                    rule.id.as_str(),
                    rule.source.as_str(),
                    &rule.level.to_string(),
                ]
                .iter()
                .any(|text| text.to_lowercase().contains(&needle))
        })
        .collect();
    order.sort_by_key(|&i| std::cmp::Reverse(hits[i]));
    let fired = hits.iter().filter(|h| **h > 0).count();
    ui.weak(format!(
        "{} of {} rules shown; {fired} fired",
        order.len(),
        rules.len()
    ));
    egui::ScrollArea::vertical().show(ui, |ui| {
        for index in order {
            let rule = &rules[index];
            ui.horizontal(|ui| {
                let mut enabled = rule.enabled;
                if ui
                    .checkbox(&mut enabled, "")
                    .on_hover_text("Enable or disable this rule")
                    .changed()
                {
                    actions.push(Action::ToggleRule(index));
                }
                ui.colored_label(severity_color(rule.level), rule.level.to_string());
                if ui
                    .link(format!("{} ({})", rule.title, hits[index]))
                    .on_hover_text(format!(
                        "status {} · {}\n{}",
                        rule.status, rule.source, rule.description
                    ))
                    .clicked()
                {
                    actions.push(Action::FilterToRule(Some(index)));
                }
            });
        }
        if !app.store.rules.errors.is_empty() {
            ui.separator();
            ui.strong(format!(
                "{} rules could not be loaded",
                app.store.rules.errors.len()
            ));
            for error in &app.store.rules.errors {
                ui.label(error.to_string());
            }
        }
    });
}

/// Every warning and error of every file.
pub(super) fn warnings_ui(ui: &mut egui::Ui, store: &Store) {
    egui::ScrollArea::vertical()
        .id_salt("warnings")
        .max_height(160.0)
        .show(ui, |ui| {
            for source in &store.sources {
                if let Some(error) = &source.error {
                    ui.colored_label(
                        egui::Color32::from_rgb(220, 60, 60),
                        format!("{}: {error}", source.path.display()),
                    );
                }
                for warning in &source.warnings {
                    ui.label(warning.to_string());
                }
            }
            if store.warning_count() == 0 {
                ui.label("No warnings.");
            }
        });
}

/// `1 file`, `2 files`.
fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
