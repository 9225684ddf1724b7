#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on purpose.
//! End to end through the headless `scan`: made seed-shaped fixtures are flagged exactly as the
//! built-in rules say, exports are read back and checked, exit codes hold.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use appxview::cli::{OutputFormat, ScanArgs, read_into, scan};
use appxview::export::{NEUTRALISING_PREFIX, write_csv};
use appxview::filter::{Filter, visible_rows};
use appxview::sigma::RuleSet;
use appxview::store::Store;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn shared(rel: &str) -> PathBuf {
    repo("../shared").join(rel)
}

fn args(files: Vec<PathBuf>) -> ScanArgs {
    ScanArgs {
        all_events: false,
        rules: Vec::new(),
        no_builtin_rules: false,
        flagged_csv: None,
        jsonl: None,
        flagged_only: false,
        format: OutputFormat::Json,
        max_memory: None,
        files,
    }
}

fn run(args: &ScanArgs) -> (i32, serde_json::Value) {
    let mut out = Vec::new();
    let code = scan(args, &mut out).expect("scan writes");
    let text = String::from_utf8(out).expect("utf-8");
    let summary = serde_json::from_str(text.trim()).expect("one JSON object");
    (code, summary)
}

/// Rule titles per record id, from a `--jsonl` export.
fn verdicts(jsonl: &Path) -> BTreeMap<u64, Vec<String>> {
    std::fs::read_to_string(jsonl)
        .expect("jsonl written")
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("json line");
            let id = v["record_id"].as_u64().expect("record id");
            let mut titles: Vec<String> = v["detections"]
                .as_array()
                .expect("detections")
                .iter()
                .map(|d| d["title"].as_str().unwrap_or("").to_owned())
                .collect();
            titles.sort();
            (id, titles)
        })
        .collect()
}

#[test]
fn made_fixtures_are_flagged_exactly_as_the_rules_say() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut scan_args = args(vec![repo(
        "tests/fixtures/made_seed_shaped_detections.jsonl",
    )]);
    scan_args.jsonl = Some(dir.path().join("all.jsonl"));
    let (code, summary) = run(&scan_args);
    assert_eq!(code, 0, "{summary}");
    let got = verdicts(&dir.path().join("all.jsonl"));

    let full_trust = "Full Trust AppX Package Deployed".to_owned();
    let malicious = "Known Malicious AppX Package Name in a Deployment".to_owned();
    let mut expected: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for id in [1001, 1012] {
        expected.insert(id, vec![full_trust.clone()]);
    }
    for id in 1002..=1011 {
        expected.insert(id, vec![]);
    }
    for id in [1020, 1021, 1024] {
        expected.insert(id, vec![malicious.clone()]);
    }
    expected.insert(1022, vec![]);
    // 1023 is a PowerShell event: not AppX, so not shown without --all-events.
    assert_eq!(got, expected);
    assert_eq!(summary["flagged"], 5);
    assert_eq!(summary["files"][0]["format"], "flat-seed");
    assert_eq!(summary["files"][0]["records"], 17);
    assert_eq!(summary["files"][0]["appx_events"], 16);

    // With every event shown, the PowerShell event 400 with the same package is still clean.
    scan_args.all_events = true;
    let (_, summary) = run(&scan_args);
    assert_eq!(summary["events"], 17);
    let got = verdicts(&dir.path().join("all.jsonl"));
    assert_eq!(got.get(&1023), Some(&vec![]));
}

#[test]
fn seed_example_event_is_one_unflagged_appx_event_400() {
    let text = std::fs::read_to_string(shared("seed/000_5679dd24a6f8c259.txt")).expect("seed");
    let json = text
        .split_once("Example Event #")
        .and_then(|(_, rest)| rest.split_once("Detection Rules #"))
        .map(|(json, _)| json)
        .expect("example event in the seed");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("seed-example.json");
    std::fs::write(&path, json).expect("write");
    let (code, summary) = run(&args(vec![path]));
    assert_eq!(code, 0);
    assert_eq!(summary["events"], 1);
    assert_eq!(summary["appx_events"], 1);
    assert_eq!(summary["flagged"], 0);
}

#[test]
fn flagged_csv_round_trips() {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv_path = dir.path().join("flagged.csv");
    let mut scan_args = args(vec![repo(
        "tests/fixtures/made_seed_shaped_detections.jsonl",
    )]);
    scan_args.flagged_csv = Some(csv_path.clone());
    let (code, _) = run(&scan_args);
    assert_eq!(code, 0);
    let bytes = std::fs::read(&csv_path).expect("csv written");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let header = reader.headers().expect("header").clone();
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 5);
    for row in &rows {
        assert!(!row[col("rule_titles")].is_empty());
        assert!(!row[col("why")].is_empty());
        assert_eq!(
            &row[col("provider")],
            "Microsoft-Windows-AppXDeployment-Server"
        );
        assert!(row[col("time")].ends_with('Z'));
    }
    // Union of EventData names: 401 adds ErrorCode, which the first (400) row lacks.
    assert!(header.iter().any(|h| h == "ErrorCode"));
    assert!(header.iter().any(|h| h == "HasFullTrust"));
}

/// Loads files into a store the way `scan` does.
fn load(paths: &[PathBuf]) -> Store {
    let mut store = Store::new(RuleSet::builtin());
    for path in paths {
        read_into(&mut store, path);
    }
    store
}

#[test]
fn csv_cells_come_back_equal_after_removing_the_neutralising_prefix() {
    let store = load(&[
        shared("cases-json/csv_injection_appx.jsonl"),
        shared("cases-json/csv_structure_multiline_unicode.jsonl"),
    ]);
    let rows = visible_rows(
        &store,
        &Filter {
            all_events: true,
            ..Filter::default()
        },
    );
    assert!(rows.len() >= 20, "{} rows", rows.len());
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("all.csv");
    write_csv(&store, &rows, &path).expect("export");
    let bytes = std::fs::read(&path).expect("read");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let header = reader.headers().expect("header").clone();
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(records.len(), rows.len());
    let mut neutralised = 0;
    for (record, row) in records.iter().zip(&rows) {
        let event = &store.event(*row).unwrap();
        for (name, value) in &event.fields {
            let index = header
                .iter()
                .position(|h| h == name.as_str())
                .expect("field column");
            let cell = &record[index];
            let original = value.to_text();
            let dangerous = original.starts_with(['=', '+', '-', '@', '\t', '\r']);
            if dangerous {
                neutralised += 1;
                assert_eq!(
                    cell.strip_prefix(NEUTRALISING_PREFIX),
                    Some(original.as_ref())
                );
            } else {
                assert_eq!(cell, original, "{name} of record {:?}", event.record_id);
            }
        }
    }
    assert!(neutralised >= 7, "{neutralised} cells neutralised");
}

#[test]
fn exit_codes() {
    let (code, summary) = run(&args(vec![shared("cases-evtx/empty_file.evtx")]));
    assert_eq!(code, 1);
    assert!(
        summary["files"][0]["error"]
            .as_str()
            .unwrap_or("")
            .contains("empty")
    );
    let (code, summary) = run(&args(vec![shared(
        "cases-evtx/system_bad_chunk_magic_middle.evtx",
    )]));
    assert_eq!(code, 0);
    assert!(
        !summary["files"][0]["warnings"]
            .as_array()
            .expect("list")
            .is_empty()
    );
}

#[test]
fn jsonl_lines_carry_message_and_package() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("sample.jsonl");
    let mut scan_args = args(vec![repo("assets/samples/appx-demo-synthetic.evtx")]);
    scan_args.jsonl = Some(out.clone());
    let (code, summary) = run(&scan_args);
    assert_eq!(code, 0, "{summary}");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .expect("jsonl written")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 263);
    let mut with_package = 0;
    for line in &lines {
        let object = line.as_object().expect("object");
        for key in [
            "source",
            "record_id",
            "time",
            "provider",
            "event_id",
            "fields",
            "detections",
            "message",
            "package",
        ] {
            assert!(object.contains_key(key), "{key} missing: {line}");
        }
        let message = line["message"]
            .as_str()
            .expect("every sample event has a message");
        assert!(
            !message.contains("%1") && !message.contains("<missing"),
            "{line}"
        );
        if let Some(package) = line["package"].as_object() {
            with_package += 1;
            assert_eq!(package["name"], line["package_name"], "{line}");
            assert!(
                package["family_name"]
                    .as_str()
                    .is_some_and(|f| f.contains('_'))
            );
        } else {
            assert!(line["package"].is_null(), "{line}");
            assert_eq!(line["package_name"], "", "{line}");
        }
    }
    // Events 603 (deployment start), 157 (signer) and 854 (queued path) name no package.
    assert_eq!(with_package, 132);
    let flagged = lines
        .iter()
        .find(|l| l["record_id"] == 267)
        .expect("record 267");
    assert!(
        flagged["message"]
            .as_str()
            .expect("message")
            .starts_with("Deployment Add operation with target volume C: on Package ZoomMeetings.Client_6.0.2.0_x64__h3v9x2k7q1m4r")
    );
    assert_eq!(
        flagged["package"]["family_name"],
        "ZoomMeetings.Client_h3v9x2k7q1m4r"
    );
    assert_eq!(flagged["package"]["version"], "6.0.2.0");

    // An input whose own message is empty gets the message rendered from the template.
    let seed_out = dir.path().join("seed.jsonl");
    let mut scan_args = args(vec![repo(
        "tests/fixtures/made_seed_shaped_detections.jsonl",
    )]);
    scan_args.jsonl = Some(seed_out.clone());
    let (code, _) = run(&scan_args);
    assert_eq!(code, 0);
    let first: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(&seed_out)
            .expect("jsonl written")
            .lines()
            .next()
            .expect("a line"),
    )
    .expect("json line");
    assert_eq!(
        first["message"],
        "Deployment PreRegisterPackage operation with target volume C: on Package Evil.Updater_1.0.0.0_x64__8wekyb3d8bbwe from:   finished successfully."
    );
    assert_eq!(first["package"]["name"], "Evil.Updater");
}

#[test]
fn a_small_memory_budget_stops_the_load_and_keeps_what_it_has() {
    let demo = repo("assets/samples/appx-demo-synthetic.evtx");
    let seed = repo("tests/fixtures/made_seed_shaped_detections.jsonl");
    let (code, unlimited) = run(&args(vec![demo.clone()]));
    assert_eq!(code, 0, "{unlimited}");
    assert_eq!(unlimited["files"][0]["events"], 406);

    let mut limited = args(vec![demo, seed]);
    limited.max_memory = Some(40_000);
    let (code, summary) = run(&limited);
    assert_eq!(code, 1, "a stopped load is not a clean run: {summary}");
    let kept = summary["files"][0]["events"].as_u64().unwrap();
    assert!(kept > 20 && kept < 406, "kept {kept} of 406: {summary}");
    let warnings = summary["files"][0]["warnings"].to_string();
    assert!(
        warnings.contains("memory budget reached")
            && warnings.contains(&format!("after {kept} events")),
        "{warnings}"
    );
    assert!(
        warnings.contains("--max-memory"),
        "says how to raise it: {warnings}"
    );
    assert_eq!(summary["files"][1]["events"], 0);
    assert!(
        summary["files"][1]["error"]
            .as_str()
            .unwrap()
            .contains("memory budget"),
        "{summary}"
    );
}

#[test]
fn evaluating_again_gives_the_hits_the_load_gave() {
    let demo = repo("assets/samples/appx-demo-synthetic.evtx");
    // The built-in pack names the event ids of every rule (events of other ids are skipped
    // without unpacking); the made rule names none, so every event is evaluated.
    let any_id = "title: Made rule, any event id\nid: 0c4f8a56-0000-4000-8000-000000000001\nlogsource:\n  product: windows\ndetection:\n  selection:\n    Computer|endswith: '.contoso.test'\n  condition: selection\nlevel: low\n";
    for extra in [None, Some(any_id)] {
        let mut rules = appxview::sigma::RuleSet::builtin();
        if let Some(yaml) = extra {
            assert_eq!(rules.load_str(yaml, "made.yml").unwrap(), 1);
        }
        let mut store = appxview::store::Store::new(rules);
        appxview::cli::read_into(&mut store, &demo);
        let at_load = store.detections.clone();
        let expected = if extra.is_some() { 300 } else { 28 };
        assert!(at_load.len() >= expected, "{} flagged", at_load.len());
        store.reevaluate();
        assert_eq!(store.detections, at_load, "rules {extra:?}");
        // Disabling every rule but one leaves exactly that rule's hits.
        for rule in store.rules.rules.iter_mut().skip(1) {
            rule.enabled = false;
        }
        store.reevaluate();
        let only_first: std::collections::HashMap<_, _> = at_load
            .iter()
            .filter_map(|(row, hits)| {
                let kept: Vec<_> = hits.iter().filter(|d| d.rule == 0).cloned().collect();
                (!kept.is_empty()).then_some((*row, kept))
            })
            .collect();
        assert_eq!(store.detections, only_first);
    }
}

#[test]
fn package_filter_matches_name_publisher_family_and_full_names() {
    let mut store = Store::new(RuleSet::builtin());
    read_into(&mut store, &repo("assets/samples/appx-demo-synthetic.evtx"));
    let rows_for = |needle: &str| {
        visible_rows(
            &store,
            &Filter {
                package: needle.to_owned(),
                ..Filter::default()
            },
        )
    };
    let full_names = |row: u32| -> Vec<String> {
        let event = store.event(row).unwrap();
        ["PackageFullName", "PackageFamilyName", "PackageMoniker"]
            .iter()
            .filter_map(|n| event.field(n).map(|v| v.to_text().to_lowercase()))
            .collect()
    };

    // A publisher id: every row shown has it, and every AppX row that has it is shown.
    let by_publisher = rows_for("8WEKYB3D8BBWE");
    assert!(!by_publisher.is_empty());
    for row in 0..store.len() as u32 {
        let d = store.derived[row as usize];
        let has = d.appx && d.publisher.as_str() == "8wekyb3d8bbwe";
        assert_eq!(by_publisher.contains(&row), has, "row {row}");
    }

    // A family name (name_publisher) finds the same rows as the package name alone when the
    // name is unique to one publisher.
    let zoom = rows_for("ZoomMeetings.Client");
    assert!(!zoom.is_empty());
    assert_eq!(rows_for("zoommeetings.client_h3v9x2k7q1m4r"), zoom);

    // With `_`, full names are searched too: a version and architecture.
    let event = store.event(zoom[0]).unwrap();
    let full = event
        .field("PackageFullName")
        .unwrap()
        .to_text()
        .to_lowercase();
    let version_arch = full
        .split('_')
        .skip(1)
        .take(2)
        .collect::<Vec<_>>()
        .join("_");
    assert!(version_arch.contains("x64"), "{version_arch}");
    let by_full = rows_for(&version_arch);
    assert!(by_full.contains(&zoom[0]));
    for row in &by_full {
        assert!(
            full_names(*row).iter().any(|n| n.contains(&version_arch)),
            "row {row} shown for {version_arch}"
        );
    }
    // Without `_`, a version alone is not a package filter target.
    let version = full.split('_').nth(1).unwrap().to_owned();
    assert!(rows_for(&version).is_empty(), "{version}");
    assert!(rows_for("no_such_package").is_empty());
}

#[test]
fn text_columns_sort_as_their_cells_read() {
    use appxview::filter::{Column, Sort, result_code, sort_rows, summary};
    let mut store = Store::new(RuleSet::builtin());
    read_into(&mut store, &repo("assets/samples/appx-demo-synthetic.evtx"));
    let all = visible_rows(
        &store,
        &Filter {
            all_events: true,
            ..Filter::default()
        },
    );
    for column in [Column::Summary, Column::Result] {
        for ascending in [true, false] {
            let mut rows = all.clone();
            sort_rows(&store, &mut rows, Sort { column, ascending });
            // The cells as the table shows them, from fully unpacked events.
            let cell = |row: u32| {
                let event = store.event(row).unwrap();
                if column == Column::Summary {
                    summary(&event)
                } else {
                    result_code(&event)
                }
            };
            let cells: Vec<String> = rows.iter().map(|r| cell(*r)).collect();
            let mut expected = cells.clone();
            expected.sort();
            if !ascending {
                expected.reverse();
            }
            assert_eq!(cells, expected, "{column:?} ascending={ascending}");
            assert!(cells.iter().any(|c| !c.is_empty()));
        }
    }
}

#[test]
fn jsonl_keeps_odd_times_and_says_what_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let mut scan_args = args(vec![repo("../shared/cases-json/timestamps_odd.jsonl")]);
    scan_args.all_events = true;
    scan_args.jsonl = Some(dir.path().join("t.jsonl"));
    let (code, summary) = run(&scan_args);
    assert_eq!(code, 0, "{summary}");
    let lines: BTreeMap<u64, serde_json::Value> =
        std::fs::read_to_string(dir.path().join("t.jsonl"))
            .unwrap()
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                (v["record_id"].as_u64().unwrap(), v)
            })
            .collect();
    // FILETIME 0 is a real instant, kept to the 100 ns.
    assert_eq!(lines[&205]["time"], "1601-01-01T00:00:00.0000000Z");
    assert!(lines[&205]["time_note"].is_null());
    // Unreadable text is kept in the note; a missing TimeCreated says so.
    assert!(lines[&204]["time"].is_null());
    assert_eq!(
        lines[&204]["time_note"],
        "invalid: 0000-00-00T00:00:00.0000000Z"
    );
    assert_eq!(lines[&208]["time_note"], "missing");
    assert_eq!(
        lines[&209]["time_note"],
        "written without a zone; read as UTC"
    );
}

/// Cancelling a load keeps what was read and marks the file with a warning that stays (the
/// events are a part of the file: exports made afterwards must not pass for the whole).
#[test]
fn a_cancelled_load_keeps_what_it_read_and_says_so_on_the_file() {
    use appxview::ingest::ReadOptions;
    use appxview::jobs::{LoadJob, LoadMsg};
    use appxview::memory::Budget;
    use appxview::model::Source;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("made-synthetic.evtx");
    appxview::evtx_writer::synth::write_synthetic(&path, 60_000, 3).unwrap();
    let rules = RuleSet::builtin();
    let mut store = Store::new(rules.clone());
    let job = LoadJob::spawn(
        vec![path.clone()],
        rules,
        ReadOptions::default(),
        Budget::new(u64::MAX, 0),
        || {},
    )
    .unwrap();
    let mut cancelled_seen = None;
    while let Some(msg) = job.recv() {
        match msg {
            LoadMsg::Begin(p) => job.assign(store.begin_source(Source::new(p))),
            LoadMsg::Events(_, batch, _) => {
                store.push(batch);
                job.cancel();
            }
            LoadMsg::Finished(id, info) => store.sources[id as usize] = info,
            LoadMsg::AllDone { cancelled, .. } => {
                cancelled_seen = Some(cancelled);
                break;
            }
        }
    }
    assert_eq!(cancelled_seen, Some(true));
    let kept = store.len();
    assert!(kept > 0 && kept < 60_000, "{kept} events kept");
    let warnings = &store.sources[0].warnings;
    assert!(
        warnings
            .iter()
            .any(|w| w.path == path && w.message.starts_with("loading cancelled")),
        "{warnings:?}"
    );
}

/// The window's loader joins the small batches of EVTX chunks before sending them: the rows,
/// their facts and their rule hits come out as the headless reading gives them.
#[test]
fn the_window_loader_gives_what_the_headless_reading_gives() {
    use appxview::ingest::ReadOptions;
    use appxview::jobs::{LoadJob, LoadMsg};
    use appxview::memory::Budget;
    use appxview::model::Source;

    let demo = repo("assets/samples/appx-demo-synthetic.evtx");
    let mut headless = Store::new(RuleSet::builtin());
    read_into(&mut headless, &demo);

    let mut store = Store::new(RuleSet::builtin());
    let job = LoadJob::spawn(
        vec![demo],
        RuleSet::builtin(),
        ReadOptions::default(),
        Budget::new(u64::MAX, 0),
        || {},
    )
    .unwrap();
    let mut messages = 0;
    while let Some(msg) = job.recv() {
        match msg {
            LoadMsg::Begin(p) => job.assign(store.begin_source(Source::new(p))),
            LoadMsg::Events(_, batch, _) => {
                messages += 1;
                store.push(batch);
            }
            LoadMsg::Finished(id, info) => store.sources[id as usize] = info,
            LoadMsg::AllDone { .. } => break,
        }
    }
    assert_eq!(store.len(), headless.len());
    assert!(
        messages < store.len() / 40,
        "{messages} messages for {} events",
        store.len()
    );
    assert_eq!(store.detections, headless.detections);
    assert_eq!(store.detections.len(), 28);
}

/// `--jsonl -` streams the JSON lines to standard output (the summary goes to standard error),
/// so `scan … --jsonl - | siem-shipper` works.
#[test]
fn jsonl_to_standard_output() {
    let mut a = args(vec![repo("assets/samples/appx-demo-synthetic.evtx")]);
    a.jsonl = Some(PathBuf::from("-"));
    a.flagged_only = true;
    let mut out = Vec::new();
    assert_eq!(scan(&a, &mut out).unwrap(), 0);
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is one event"))
        .collect();
    assert_eq!(lines.len(), 28);
    assert!(
        lines
            .iter()
            .all(|l| l["detections"].as_array().is_some_and(|d| !d.is_empty()))
    );
    assert!(!std::path::Path::new("-").exists(), "no file named -");
}
