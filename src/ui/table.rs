//! The event table: `TableBuilder::rows()` lays out only the rows in view, so a million
//! rows cost what fifty do. The closure only looks values up and draws them.

use eframe::egui;
use egui_extras::{Column as TableColumn, TableBuilder};

use super::{Action, severity_color};
use crate::filter::{Column, Sort, one_line, result_code, summary};
use crate::model::{Row, level_name};
use crate::store::Store;

/// Draws the table of `visible` rows.
pub(super) fn events_table_ui(
    ui: &mut egui::Ui,
    store: &Store,
    visible: &[Row],
    selected: Option<Row>,
    sort: Sort,
    scroll_to: Option<usize>,
    actions: &mut Vec<Action>,
) {
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
    let mut builder = TableBuilder::new(ui);
    if let Some(index) = scroll_to {
        builder = builder.scroll_to_row(index, Some(egui::Align::Center));
    }
    builder
        .id_salt("events")
        .striped(true)
        .resizable(true)
        .sense(egui::Sense::click())
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        // Initial widths fit beside the detail pane in a 1600-px window (every column
        // resizes; Source takes what is left).
        .column(TableColumn::initial(192.0).at_least(80.0).clip(true))
        .column(TableColumn::initial(52.0).at_least(40.0))
        .column(TableColumn::initial(72.0).at_least(40.0).clip(true))
        .column(TableColumn::initial(150.0).at_least(60.0).clip(true))
        .column(TableColumn::initial(135.0).at_least(60.0).clip(true))
        .column(TableColumn::initial(100.0).at_least(40.0).clip(true))
        .column(TableColumn::initial(130.0).at_least(60.0).clip(true))
        .column(TableColumn::initial(130.0).at_least(60.0).clip(true))
        .column(TableColumn::initial(95.0).at_least(40.0).clip(true))
        .column(TableColumn::remainder().at_least(60.0).clip(true))
        .header(row_height + 2.0, |mut header| {
            for column in Column::ALL {
                header.col(|ui| {
                    let arrow = if sort.column == column {
                        if sort.ascending { " ^" } else { " v" }
                    } else {
                        ""
                    };
                    if ui
                        .add(
                            egui::Button::new(
                                egui::RichText::new(format!("{}{arrow}", column.title())).strong(),
                            )
                            .frame(false),
                        )
                        .on_hover_text("Click to sort")
                        .clicked()
                    {
                        actions.push(Action::SortBy(column));
                    }
                });
            }
        })
        .body(|body| {
            body.rows(row_height, visible.len(), |mut row| {
                let Some(&event_row) = visible.get(row.index()) else {
                    return;
                };
                let Some(event) = store.event(event_row) else {
                    return;
                };
                let event = &event;
                row.set_selected(selected == Some(event_row));
                let level = store.max_level(event_row);
                let tint = level.map(|l| severity_color(l).gamma_multiply(0.25));
                let cell = |row: &mut egui_extras::TableRow<'_, '_>, text: String| {
                    row.col(|ui| {
                        if let Some(tint) = tint {
                            ui.painter().rect_filled(ui.max_rect(), 0.0, tint);
                        }
                        ui.add(egui::Label::new(text).truncate().selectable(false));
                    });
                };
                cell(
                    &mut row,
                    if event.recovered {
                        // The marker first: a narrow column cuts the end of the cell (the
                        // whole text shows on hover), and a carved record must not pass for a
                        // live one.
                        format!("[recovered] {}", event.time.display())
                    } else {
                        event.time.display()
                    },
                );
                cell(
                    &mut row,
                    event.event_id.map(|id| id.to_string()).unwrap_or_default(),
                );
                cell(&mut row, level_name(event.level).to_owned());
                row.col(|ui| {
                    if let Some(level) = level {
                        ui.painter().rect_filled(
                            ui.max_rect(),
                            0.0,
                            severity_color(level).gamma_multiply(0.25),
                        );
                        let titles: Vec<&str> = store
                            .hits(event_row)
                            .iter()
                            .filter_map(|d| store.rules.rules.get(d.rule).map(|r| r.title.as_str()))
                            .collect();
                        ui.colored_label(
                            severity_color(level),
                            format!("!! {}", level.to_string().to_uppercase()),
                        );
                        ui.add(
                            egui::Label::new(titles.join(", "))
                                .truncate()
                                .selectable(false),
                        );
                    }
                });
                cell(
                    &mut row,
                    store
                        .derived
                        .get(event_row as usize)
                        .map(|d| d.package.to_string())
                        .unwrap_or_default(),
                );
                cell(
                    &mut row,
                    store
                        .derived
                        .get(event_row as usize)
                        .map(|d| d.publisher.to_string())
                        .unwrap_or_default(),
                );
                cell(&mut row, one_line(&summary(event), 200));
                cell(&mut row, result_code(event));
                cell(&mut row, event.computer.to_string());
                cell(
                    &mut row,
                    store
                        .source_of(event)
                        .map(|s| s.display_name())
                        .unwrap_or_default(),
                );
                if row.response().clicked() {
                    actions.push(Action::Select(event_row));
                }
            });
        });
}
