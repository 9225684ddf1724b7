//! File dialogs behind a trait: rfd's dialogs block, and tests must never open one.
//!
//! On Linux rfd talks to an xdg-desktop-portal over D-Bus, or runs `zenity`. When neither
//! is there, `pick_file()` returns `None` just as if the user had cancelled, so availability
//! is checked up front and reported as [`PickOutcome::Unavailable`].

use std::path::PathBuf;

/// What a dialog gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PickOutcome {
    Picked(Vec<PathBuf>),
    Cancelled,
    /// No dialog can open on this machine (the reason says why).
    Unavailable(String),
}

/// Opens file dialogs. Called on a thread of their own (`jobs::Call`), so the window keeps
/// drawing while a dialog is open.
pub trait FilePicker: Send + Sync {
    /// Log files to open (several allowed).
    fn pick_files(&self) -> PickOutcome;
    /// A Sigma rule file or folder.
    fn pick_rules(&self) -> PickOutcome;
    /// Where to save an export.
    fn save_file(&self, default_name: &str, extension: &str) -> PickOutcome;
}

/// The platform's dialogs through rfd.
#[derive(Default)]
pub struct NativePicker;

impl NativePicker {
    /// Why no dialog can open here, if none can.
    fn unavailable() -> Option<String> {
        if !cfg!(target_os = "linux") {
            return None;
        }
        let has_display = std::env::var_os("DISPLAY").is_some_and(|v| !v.is_empty())
            || std::env::var_os("WAYLAND_DISPLAY").is_some_and(|v| !v.is_empty());
        if !has_display {
            return Some("no display".to_owned());
        }
        let has_bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|v| !v.is_empty());
        let has_zenity = std::env::var_os("PATH").is_some_and(|paths| {
            std::env::split_paths(&paths).any(|dir| dir.join("zenity").is_file())
        });
        if has_bus || has_zenity {
            None
        } else {
            Some("no xdg-desktop-portal session bus and no zenity installed".to_owned())
        }
    }
}

impl FilePicker for NativePicker {
    fn pick_files(&self) -> PickOutcome {
        if let Some(why) = Self::unavailable() {
            return PickOutcome::Unavailable(why);
        }
        match rfd::FileDialog::new()
            .add_filter("Event logs (evtx, json)", &["evtx", "json", "jsonl", "txt"])
            .add_filter("All files", &["*"])
            .pick_files()
        {
            Some(paths) if !paths.is_empty() => PickOutcome::Picked(paths),
            _ => PickOutcome::Cancelled,
        }
    }

    fn pick_rules(&self) -> PickOutcome {
        if let Some(why) = Self::unavailable() {
            return PickOutcome::Unavailable(why);
        }
        match rfd::FileDialog::new().pick_folder() {
            Some(path) => PickOutcome::Picked(vec![path]),
            None => PickOutcome::Cancelled,
        }
    }

    fn save_file(&self, default_name: &str, extension: &str) -> PickOutcome {
        if let Some(why) = Self::unavailable() {
            return PickOutcome::Unavailable(why);
        }
        match rfd::FileDialog::new()
            .set_file_name(default_name)
            .add_filter(extension, &[extension])
            .save_file()
        {
            Some(path) => PickOutcome::Picked(vec![path]),
            None => PickOutcome::Cancelled,
        }
    }
}
