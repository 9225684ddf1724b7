//! Test doubles for driving `appxview::ui::App` without a desktop, shared by `tests/ui.rs` and
//! `benches/frame.rs`: a file picker that never opens a dialog, and a dropped file that is a
//! path on disk.

use std::path::{Path, PathBuf};

use appxview::ui::{FilePicker, PickOutcome};
use eframe::egui;

/// Never opens a dialog: answers as a machine without one would, naming `self.0` as the reason.
pub struct NoDialog(pub &'static str);

impl FilePicker for NoDialog {
    fn pick_files(&self) -> PickOutcome {
        PickOutcome::Unavailable(self.0.to_owned())
    }
    fn pick_rules(&self) -> PickOutcome {
        PickOutcome::Unavailable(self.0.to_owned())
    }
    fn save_file(&self, _: &str, _: &str) -> PickOutcome {
        PickOutcome::Unavailable(self.0.to_owned())
    }
}

/// A file dropped on the window, as winit hands over a path.
#[derive(Debug)]
pub struct DroppedPath(pub PathBuf);

impl egui::DroppedFile for DroppedPath {
    fn path(&self) -> &Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}
