//! Test helpers shared by the `sigma_*` tests: paths into ../shared and reading events with
//! the crate's own ingest (`appxview::ingest`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use appxview::ingest::evtx_json::event_from_evtx_json;
use appxview::model::Event;

/// `../shared` relative to the crate root.
pub fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

/// Every file below `dir` whose extension is one of `extensions` (any case), depth first.
pub fn files_with(dir: &Path, extensions: &[&str], out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_with(&path, extensions, out);
        } else if path
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| extensions.iter().any(|e| x.eq_ignore_ascii_case(e)))
        {
            out.push(path);
        }
    }
}

/// The SigmaHQ regression EVTX files, sorted.
pub fn regression_evtx_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    files_with(
        &shared().join("sigmahq").join("regression_data"),
        &["evtx"],
        &mut files,
    );
    files.sort();
    files
}

/// Every `.yml` / `.yaml` file below `dir`.
pub fn yml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    files_with(dir, &["yml", "yaml"], out);
}

/// The SigmaHQ rule folders (`../shared/sigmahq/rules*`), sorted.
pub fn rule_dirs() -> Vec<PathBuf> {
    let root = shared().join("sigmahq");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.is_dir()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("rules"))
        })
        .collect();
    dirs.sort();
    dirs
}

/// Reads every line of an evtx-crate JSON-lines file as an event.
pub fn events_jsonl(path: &Path) -> Vec<Event> {
    let text = std::fs::read_to_string(path).expect("read events");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let doc: serde_json::Value = serde_json::from_str(l).expect("json line");
            event_from_evtx_json(&doc).expect("an evtx-crate JSON event")
        })
        .collect()
}

/// Reads an EVTX file with the crate's ingest; an error when the file could not be read.
pub fn events_evtx(path: &Path) -> Result<Vec<Event>, String> {
    let load = appxview::ingest::read_path(path, 0);
    match load.source.error {
        Some(e) => Err(e),
        None => Ok(load.events),
    }
}
