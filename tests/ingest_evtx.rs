#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on purpose.
//! EVTX ingest on the real samples in ../shared (evtx crate samples, MIT/Apache-2.0; the
//! mdecrevoisier PowerShell log, CC0) and the damaged cases in ../shared/cases-evtx.

use std::path::{Path, PathBuf};

use appxview::appx::is_appx;
use appxview::ingest::read_path;
use appxview::model::Value;

fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(rel)
}

/// What the evtx crate itself yields with its default settings.
fn crate_count(path: &Path) -> usize {
    let Ok(mut parser) = evtx::EvtxParser::from_path(path) else {
        return 0;
    };
    parser.records_json_value().filter(|r| r.is_ok()).count()
}

fn evtx_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(shared(dir))
        .expect("shared folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "evtx"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_sample_loads_at_least_what_the_crate_yields() {
    let mut files = evtx_files("samples/evtx-crate");
    files.extend(evtx_files("samples/mdecrevoisier"));
    assert!(files.len() >= 9, "samples missing: {files:?}");
    for path in files {
        let load = read_path(&path, 0);
        let expected = crate_count(&path);
        println!(
            "{}: records {} (crate {expected}), events {}, warnings {}, error {:?}",
            path.display(),
            load.source.records,
            load.events.len(),
            load.source.warnings.len(),
            load.source.error
        );
        for w in &load.source.warnings {
            println!("   warning: {w}");
        }
        assert!(load.source.error.is_none(), "{}", path.display());
        assert!(
            load.source.records as usize >= expected,
            "{}",
            path.display()
        );
        assert_eq!(load.events.len() as u64, load.source.records);
        assert!(load.events.iter().all(|e| e.record_id.is_some()));
    }
}

#[test]
fn damaged_appx_client_log_warns_and_keeps_its_appx_events() {
    let path = shared("samples/evtx-crate/sample_with_a_bad_chunk_magic.evtx");
    let load = read_path(&path, 0);
    assert!(!load.source.warnings.is_empty());
    assert!(
        load.source
            .warnings
            .iter()
            .any(|w| w.location.contains("chunk") && w.path == path),
        "{:?}",
        load.source.warnings
    );
    let appx = load.events.iter().filter(|e| is_appx(e)).count();
    println!("appx events: {appx} of {}", load.events.len());
    assert!(appx > 0);

    // The raw record can be read again for every event, carved ones included (from the chunk
    // they were read from), and it is that record.
    let recovered = load.events.iter().filter(|e| e.recovered).count();
    assert!(recovered > 0);
    for event in &load.events {
        let raw = appxview::ingest::raw_event(&load.source, event)
            .unwrap_or_else(|e| panic!("record {:?}: {e}", event.record_id));
        // (A carved record's own System part may have lost its id; the header's id found it.)
        if let Some(id) = raw["Event"]["System"]["EventRecordID"].as_u64() {
            assert_eq!(Some(id), event.record_id, "{raw}");
        }
    }
}

#[test]
fn powershell_event_400_is_not_appx() {
    let path = shared("samples/mdecrevoisier/ID800 - SPN discovery (PowerShell).evtx");
    let load = read_path(&path, 0);
    let ps400: Vec<_> = load
        .events
        .iter()
        .filter(|e| e.event_id == Some(400))
        .collect();
    assert!(!ps400.is_empty());
    assert!(ps400.iter().all(|e| !is_appx(e)));
}

#[test]
fn damaged_cases_behave_as_their_readme_says() {
    // (file, rows at least, a warning or error must mention this, error expected)
    let cases: [(&str, usize, &str, bool); 10] = [
        ("system_base_3chunks.evtx", 326, "", false),
        (
            "system_truncated_mid_chunk.evtx",
            210,
            "truncated: chunk 2 is 20000 of 65536",
            false,
        ),
        (
            "system_truncated_in_header.evtx",
            0,
            "header is 2000 of 4096",
            true,
        ),
        ("system_dirty_header_chunkcount1.evtx", 326, "", false),
        ("system_bad_chunk_magic_middle.evtx", 224, "chunk 1", false),
        ("system_bad_chunk_crc.evtx", 326, "chunk 2", false),
        // The record the crate cannot read is named by its id, read from its header.
        (
            "system_filetime_out_of_range.evtx",
            325,
            "record 5 (chunk 0",
            false,
        ),
        (
            "system_filetime_out_of_range_header_only.evtx",
            325,
            "record 5 (chunk 0",
            false,
        ),
        ("empty_file.evtx", 0, "empty file", true),
        ("gpo_base_3chunks.evtx", 443, "", false),
    ];
    for (name, rows, mention, error) in cases {
        let path = shared(&format!("cases-evtx/{name}"));
        let load = read_path(&path, 0);
        let text: Vec<String> = load
            .source
            .warnings
            .iter()
            .map(ToString::to_string)
            .chain(load.source.error.clone())
            .collect();
        println!("{name}: {} rows; {text:#?}", load.events.len());
        assert!(load.events.len() >= rows, "{name}");
        assert_eq!(load.source.error.is_some(), error, "{name}");
        if mention.is_empty() {
            assert!(text.is_empty(), "{name}: {text:?}");
        } else {
            assert!(text.iter().any(|t| t.contains(mention)), "{name}: {text:?}");
        }
    }
}

#[test]
fn attributes_inside_user_data_become_fields() {
    // system.evtx record 510: <UMDFServiceInstall upgrade="false"><Service clsid=… name="WpdFs"/>
    let load = read_path(&shared("samples/evtx-crate/system.evtx"), 0);
    let event = load
        .events
        .iter()
        .find(|e| e.record_id == Some(510))
        .expect("record 510");
    assert_eq!(event.field("upgrade"), Some(&Value::Bool(false)));
    assert_eq!(
        event.field("Service.name"),
        Some(&Value::Str("WpdFs".into()))
    );
    assert_eq!(
        event
            .field("Service.clsid")
            .map(|v| v.to_text().into_owned()),
        Some("{112de495-ac4c-46f8-b663-6a4266c53313}".to_owned())
    );
    assert_eq!(
        event.field("MinimumFxVersion"),
        Some(&Value::Str("2.21.0".into()))
    );
}

#[test]
fn attributes_of_event_data_and_text_elements_are_kept() {
    let doc = serde_json::json!({"Event": {
        "System": {"Provider": {"#attributes": {"Name": "P"}}, "EventID": 1},
        "EventData": {"#attributes": {"Name": "SAMMSG_X"}, "Data": "d"},
        "UserData": {"Child": {"Leaf": {"#text": "t", "#attributes": {"k": "v"}}}}
    }});
    let event = appxview::ingest::evtx_json::event_from_evtx_json(&doc).unwrap();
    let names: Vec<&str> = event.fields.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["EventData.Name", "Data", "Leaf", "Leaf.k"],
        "{names:?}"
    );
    assert_eq!(event.field("Leaf.k"), Some(&Value::Str("v".into())));
    assert_eq!(event.field("Leaf"), Some(&Value::Str("t".into())));
}
