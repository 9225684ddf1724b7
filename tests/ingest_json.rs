//! JSON ingest on the real inputs in ../shared: the JSON fault cases (`cases-json`, synthetic
//! but built from a real evtx_dump event), the seed's example event, the OTRF JSON-lines
//! export (MIT), the SigmaHQ regression data (DRL 1.1) and `cases-evtx/not_an_evtx.evtx`.
//! Files written to temp dirs here are made by this test from those inputs (or, where
//! marked "made", written by hand).

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use appxview::ingest::json::read_json;
use appxview::ingest::{FileLoad, read_path};
use appxview::model::{Event, EventTime, Format, Source, Value};
use chrono::{DateTime, Timelike, Utc};

const PROVIDER: &str = "Microsoft-Windows-AppXDeployment-Server";
const CHANNEL: &str = "Microsoft-Windows-AppXDeploymentServer/Operational";
const PACKAGE: &str = "Microsoft.VCLibs.120.00_12.0.21005.1_x86__8wekyb3d8bbwe";

fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(rel)
}

fn load(rel: &str) -> FileLoad {
    let load = read_path(&shared(rel), 0);
    for w in &load.source.warnings {
        println!("  {w}");
    }
    load
}

/// Reads with the JSON reader directly (no content sniffing in front of it).
fn load_json_direct(path: &Path) -> FileLoad {
    let mut source = Source::new(path.to_path_buf());
    let mut events = Vec::new();
    read_json(path, 0, &mut source, &mut |batch, _| {
        events.extend(batch);
        true
    });
    FileLoad { source, events }
}

fn expected_time() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2016-02-13T17:21:57.2276904Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn millis(t: DateTime<Utc>) -> DateTime<Utc> {
    t.with_nanosecond(t.nanosecond() / 1_000_000 * 1_000_000)
        .unwrap()
}

/// The README's event: 400, provider, channel, record 7, package; the time to the
/// precision the shape carries (`ms_only` for PowerShell 5.1 and Winlogbeat).
fn assert_documented_event(event: &Event, ms_only: bool) {
    assert_eq!(event.event_id, Some(400));
    assert_eq!(event.provider.as_str(), PROVIDER);
    assert_eq!(event.channel.as_str(), CHANNEL);
    assert_eq!(event.record_id, Some(7));
    assert_eq!(event.computer.as_str(), "LAB-PC-01");
    assert_eq!(event.process_id, Some(1584));
    assert_eq!(event.thread_id, Some(1632));
    assert_eq!(
        event.field("PackageFullName"),
        Some(&Value::Str(PACKAGE.into()))
    );
    let EventTime::Utc(t) = event.time else {
        panic!("time not UTC: {:?}", event.time);
    };
    if ms_only {
        assert_eq!(t, millis(expected_time()));
    } else {
        assert_eq!(t, expected_time());
    }
}

#[test]
fn evtx_dump_o_json_with_record_lines() {
    let load = load("cases-json/shape_evtx_dump_o_json.txt");
    assert_eq!(load.source.error, None);
    assert!(load.source.warnings.is_empty());
    assert_eq!(load.source.format, Some(Format::EvtxDumpJson));
    assert_eq!(load.source.records, 2);
    assert_eq!(load.events.len(), 2);
    assert_documented_event(&load.events[0], false);
    // The second document is pretty-printed.
    assert_eq!(load.events[1].record_id, Some(12));
    assert_eq!(load.events[1].event_id, Some(400));
    assert_eq!(load.events[0].keywords, Some(0x4000_4000_0000_0001));
    assert_eq!(
        load.events[0].field("TargetPlatform"),
        Some(&Value::Str("0x1".into()))
    );
    assert_eq!(
        load.events[0].field("SystemVolume"),
        Some(&Value::Bool(true))
    );
}

#[test]
fn evtx_dump_separate_attributes() {
    let load = load("cases-json/shape_evtx_dump_separate_attributes.jsonl");
    assert_eq!(load.source.error, None);
    assert!(load.source.warnings.is_empty());
    assert_eq!(load.source.format, Some(Format::EvtxJsonLines));
    assert_eq!(load.events.len(), 1);
    assert_documented_event(&load.events[0], false);
    assert_eq!(
        load.events[0].user_sid.map(|s| s.as_str()),
        Some("S-1-5-18")
    );
}

#[test]
fn pretty_array_of_evtx_documents() {
    let load = load("cases-json/shape_json_array_pretty.json");
    assert_eq!(load.source.error, None);
    assert!(load.source.warnings.is_empty());
    assert_eq!(load.source.format, Some(Format::EvtxJsonStream));
    assert_eq!(load.events.len(), 2);
    assert_documented_event(&load.events[0], false);
    assert_eq!(load.events[1].record_id, Some(17));
}

#[test]
fn powershell_51_utf16_export() {
    let load = load("cases-json/shape_powershell51_convertto_json_utf16le.json");
    assert_eq!(load.source.error, None);
    assert!(load.source.warnings.is_empty());
    assert_eq!(load.source.format, Some(Format::PowerShell));
    assert_eq!(load.events.len(), 1);
    let event = &load.events[0];
    assert_documented_event(event, true);
    // 4611756387171565569 is above 2^53: exact, not rounded through f64.
    assert_eq!(event.keywords, Some(4_611_756_387_171_565_569));
    assert_eq!(event.keywords, Some(0x4000_4000_0000_0001));
    assert_eq!(
        (event.level, event.task, event.opcode),
        (Some(4), Some(3), Some(2))
    );
    assert_eq!(event.user_sid.map(|s| s.as_str()), Some("S-1-5-18"));
    // Seven positional properties: the Windows 10 1511 field list of event 400.
    let names: Vec<&str> = event.fields.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "DeploymentOperation",
            "PackageFullName",
            "Path",
            "MountPoint",
            "TargetPlatform",
            "SystemVolume",
            "StorageId"
        ]
    );
    assert_eq!(event.field("DeploymentOperation"), Some(&Value::UInt(12)));
    // HexInt32 comes back as the XML's hex text.
    assert_eq!(
        event.field("TargetPlatform"),
        Some(&Value::Str("0x1".into()))
    );
    assert_eq!(event.field("SystemVolume"), Some(&Value::Bool(true)));
    assert!(event.message.as_deref().unwrap().contains(PACKAGE));
}

#[test]
fn winlogbeat_ecs_keeps_strings() {
    let load = load("cases-json/shape_winlogbeat_ecs.jsonl");
    assert_eq!(load.source.error, None);
    assert!(load.source.warnings.is_empty());
    assert_eq!(load.source.format, Some(Format::Winlogbeat));
    assert_eq!(load.events.len(), 1);
    let event = &load.events[0];
    assert_documented_event(event, true);
    assert_eq!(event.level, Some(4));
    assert_eq!(event.keywords, Some(0x4000_4000_0000_0001));
    assert_eq!(
        event.field("DeploymentOperation"),
        Some(&Value::Str("12".into()))
    );
    assert_eq!(
        event.field("SystemVolume"),
        Some(&Value::Str("true".into()))
    );
}

#[test]
fn jsonl_hygiene_two_events_three_problem_lines() {
    let load = load("cases-json/jsonl_bom_crlf_blank_garbage_truncated.jsonl");
    assert_eq!(load.source.error, None);
    assert_eq!(load.events.len(), 2);
    assert_eq!(load.source.records, 2);
    assert_eq!(load.events[0].record_id, Some(7));
    assert_eq!(load.events[1].record_id, Some(17));
    let locations: Vec<&str> = load
        .source
        .warnings
        .iter()
        .map(|w| w.location.as_str())
        .collect();
    // Line 5 `[1,2,3]`, line 6 `not json at all`, line 7 truncated.
    assert_eq!(locations, ["line 5", "line 6", "line 7"]);
    assert!(load.source.warnings[0].message.contains("not an event"));
    assert!(load.source.warnings[1].message.contains("not JSON"));
    assert!(
        load.source.warnings[2].message.contains("truncated"),
        "{}",
        load.source.warnings[2]
    );
    // The locator is the byte offset of the document: line 4 starts after BOM + 3 lines.
    let text = std::fs::read(shared(
        "cases-json/jsonl_bom_crlf_blank_garbage_truncated.jsonl",
    ))
    .unwrap();
    let at = load.events[1].locator as usize;
    assert!(text[at..].starts_with(b"{\"Event\""));
    assert_eq!(text[..at].iter().filter(|b| **b == b'\n').count(), 3);
}

#[test]
fn eventid_variants() {
    let load = load("cases-json/eventid_variants.jsonl");
    assert_eq!(load.source.error, None);
    assert!(load.source.warnings.is_empty());
    assert_eq!(load.events.len(), 11);
    for event in &load.events {
        let record = event.record_id.unwrap();
        let is_400 = event.event_id == Some(400);
        assert_eq!(is_400, (101..=105).contains(&record), "record {record}");
    }
    let by_record = |r: u64| {
        load.events
            .iter()
            .find(|e| e.record_id == Some(r))
            .unwrap()
            .event_id
    };
    assert_eq!(by_record(106), Some(4000));
    assert_eq!(by_record(107), Some(1400));
    assert_eq!(by_record(108), Some(40));
    assert_eq!(by_record(109), None);
    assert_eq!(by_record(110), None);
    assert_eq!(by_record(111), None);
    // Missing (109) and null (110) leave nothing; "0x190" is not decoded but kept as written.
    let raw = |r: u64| {
        load.events
            .iter()
            .find(|e| e.record_id == Some(r))
            .unwrap()
            .field("System.EventID")
            .map(|v| v.to_text().into_owned())
    };
    assert_eq!(raw(109), None);
    assert_eq!(raw(110), None);
    assert_eq!(raw(111).as_deref(), Some("0x190"));
    assert_eq!(raw(101), None, "a readable EventID is not repeated");
}

#[test]
fn timestamps_odd() {
    let load = load("cases-json/timestamps_odd.jsonl");
    assert_eq!(load.source.error, None);
    assert_eq!(load.events.len(), 15);
    let time = |r: u64| {
        load.events
            .iter()
            .find(|e| e.record_id == Some(r))
            .unwrap()
            .time
            .clone()
    };
    assert!(time(201).instant().is_some());
    assert_eq!(time(201).instant(), time(203).instant());
    for r in [204, 206, 207] {
        assert!(
            matches!(time(r), EventTime::Invalid(_)),
            "{r}: {:?}",
            time(r)
        );
    }
    assert_eq!(time(208), EventTime::Missing);
    assert!(matches!(time(209), EventTime::NoZone(_)));
    assert!(matches!(time(215), EventTime::Utc(_)));
}

#[test]
fn every_case_file_loads() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(shared("cases-json"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 10);
    for path in files {
        let load = read_path(&path, 0);
        println!(
            "{}: {:?}, {} events, {} warnings",
            path.display(),
            load.source.format,
            load.events.len(),
            load.source.warnings.len()
        );
        assert_eq!(load.source.error, None, "{}", path.display());
        assert!(!load.events.is_empty());
        assert_eq!(load.events.len() as u64, load.source.records);
        let name = path.file_name().unwrap().to_string_lossy();
        if !name.starts_with("jsonl_bom") {
            assert!(load.source.warnings.is_empty(), "{}", path.display());
        }
        if name.starts_with("csv_") {
            let lines = std::fs::read_to_string(&path)
                .unwrap()
                .lines()
                .filter(|l| !l.trim().is_empty())
                .count();
            assert_eq!(load.events.len(), lines, "{}", path.display());
        }
    }
}

/// The seed's example event, cut out of the seed text.
fn seed_example() -> String {
    let dir = shared("seed");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let start = text.find("Example Event #").unwrap() + "Example Event #".len();
    let end = text.find("Detection Rules #").unwrap();
    text[start..end].trim().to_owned()
}

fn assert_seed_event(event: &Event, doc: &serde_json::Value) {
    assert_eq!(event.event_id, Some(400));
    assert_eq!(event.provider.as_str(), PROVIDER);
    assert_eq!(event.channel.as_str(), CHANNEL);
    assert_eq!(event.record_id, Some(6812));
    assert_eq!(event.keywords, Some(4_611_686_018_427_387_905));
    assert_eq!(
        event.activity_id.as_deref(),
        Some("626F7C94-1079-0000-B9AE-6F627910DA01")
    );
    assert!(matches!(event.time, EventTime::Utc(_)));
    let data = doc["event_data"].as_object().unwrap();
    assert_eq!(data.len(), 24);
    assert_eq!(event.fields.len(), 24);
    for ((name, value), (json_name, json_value)) in event.fields.iter().zip(data) {
        assert_eq!(name.as_str(), json_name);
        let json_kind = match json_value {
            serde_json::Value::Bool(_) => "bool",
            serde_json::Value::Number(_) => "number",
            serde_json::Value::String(_) => "string",
            other => panic!("unexpected {other}"),
        };
        assert_eq!(value.kind(), json_kind, "{name:?}");
        assert_eq!(value.to_json(), *json_value, "{name:?}");
    }
}

#[test]
fn seed_example_as_object_array_and_lines() {
    let text = seed_example();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let compact = serde_json::to_string(&doc).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let variants = [
        ("object.json", text.clone(), 1),
        ("array.json", format!("[\n{text},\n{text}\n]"), 2),
        (
            "lines.jsonl",
            format!("{compact}\n{compact}\r\n{compact}\n"),
            3,
        ),
    ];
    for (name, content, count) in variants {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        let load = read_path(&path, 0);
        assert_eq!(load.source.error, None, "{name}");
        assert!(load.source.warnings.is_empty(), "{name}");
        assert_eq!(load.source.format, Some(Format::FlatSeed), "{name}");
        assert_eq!(load.events.len(), count, "{name}");
        for event in &load.events {
            assert_seed_event(event, &doc);
        }
    }
}

#[test]
fn otrf_flat_export_loads_every_line() {
    let rel = "samples/otrf/cmd_bitsadmin_download_psh_script_2020-10-2302365189.json";
    let lines = std::fs::read_to_string(shared(rel))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count();
    let load = load(rel);
    println!("otrf: {lines} lines, {} events", load.events.len());
    assert_eq!(lines, 424);
    assert_eq!(load.source.error, None);
    assert!(load.source.warnings.is_empty());
    assert_eq!(load.source.format, Some(Format::FlatNxlog));
    assert_eq!(load.source.records as usize, lines);
    assert_eq!(load.events.len(), lines);
    let first = &load.events[0];
    assert_eq!(first.event_id, Some(1102));
    assert_eq!(first.provider.as_str(), "Microsoft-Windows-Eventlog");
    assert_eq!(first.channel.as_str(), "Security");
    assert_eq!(first.computer.as_str(), "WORKSTATION5");
    assert_eq!(first.keywords, Some(0x4020_0000_0000_0000));
    assert!(first.message.is_some());
    // Header keys are not data fields.
    for header in [
        "EventID",
        "SourceName",
        "Channel",
        "Hostname",
        "TimeCreated",
        "Message",
    ] {
        assert!(
            load.events.iter().all(|e| e.field(header).is_none()),
            "{header}"
        );
    }
    // Data fields are, with their JSON types.
    let sysmon = load
        .events
        .iter()
        .find(|e| e.field("Image").is_some())
        .unwrap();
    assert_eq!(sysmon.provider.as_str(), "Microsoft-Windows-Sysmon");
    assert!(matches!(sysmon.field("Image"), Some(Value::Str(_))));
    assert!(load.events.iter().all(|e| e.time.instant().is_some()));
}

/// What the evtx crate yields for a file.
fn crate_count(path: &Path) -> usize {
    let Ok(mut parser) = evtx::EvtxParser::from_path(path) else {
        return 0;
    };
    parser.records_json_value().filter(|r| r.is_ok()).count()
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "json") {
            out.push(path);
        }
    }
}

#[test]
fn sigmahq_regression_json_matches_its_evtx() {
    let mut files = Vec::new();
    json_files(&shared("sigmahq/regression_data"), &mut files);
    files.sort();
    assert!(files.len() >= 200, "{}", files.len());
    let (mut equal, mut events_total) = (0, 0);
    for path in &files {
        let load = read_path(path, 0);
        assert_eq!(load.source.error, None, "{}", path.display());
        assert!(load.source.warnings.is_empty(), "{}", path.display());
        assert!(!load.events.is_empty(), "{}", path.display());
        events_total += load.events.len();
        let evtx = path.with_extension("evtx");
        let expected = crate_count(&evtx);
        if expected == load.events.len() {
            equal += 1;
        } else {
            println!(
                "mismatch {}: json {} events, evtx crate {}",
                path.display(),
                load.events.len(),
                expected
            );
        }
    }
    println!(
        "sigmahq: {} files, {events_total} events, {equal} with the same count as their .evtx",
        files.len()
    );
    assert!(equal * 100 >= files.len() * 95, "{equal}/{}", files.len());
}

#[test]
fn json_with_an_evtx_name_loads_as_json() {
    let load = load("cases-evtx/not_an_evtx.evtx");
    assert_eq!(load.source.error, None);
    assert_eq!(load.source.format, Some(Format::EvtxJsonLines));
    assert_eq!(load.events.len(), 1);
    assert_eq!(load.events[0].event_id, Some(4624));
}

#[test]
fn unknown_shapes_are_refused_with_one_message() {
    let dir = tempfile::tempdir().unwrap();
    // Made: JSON lines of an unknown shape, and a CSV file.
    let foo = dir.path().join("foo.jsonl");
    std::fs::write(&foo, "{\"foo\":1}\n{\"foo\":2}\n").unwrap();
    let load = read_path(&foo, 0);
    let error = load.source.error.clone().unwrap();
    println!("{error}");
    assert!(
        error.starts_with("unrecognised shape: foo.jsonl"),
        "{error}"
    );
    assert!(error.contains("\"foo\""), "{error}");
    assert!(load.events.is_empty());
    assert_eq!(load.source.records, 0);
    assert!(load.source.warnings.is_empty());

    let csv = dir.path().join("events.csv");
    std::fs::write(
        &csv,
        "EventID,Provider\n400,Microsoft-Windows-AppXDeployment-Server\n",
    )
    .unwrap();
    let sniffed = read_path(&csv, 0);
    println!("{:?}", sniffed.source.error);
    assert!(sniffed.source.error.unwrap().contains("not JSON"));
    assert!(sniffed.events.is_empty());
    let direct = load_json_direct(&csv);
    let error = direct.source.error.unwrap();
    println!("{error}");
    assert!(
        error.starts_with("unrecognised shape: events.csv"),
        "{error}"
    );
    assert!(error.contains("line 1"), "{error}");
    assert!(direct.events.is_empty());
    assert!(direct.source.warnings.is_empty());

    // Made: a JSON array of numbers, a whitespace-only file.
    let numbers = dir.path().join("numbers.json");
    std::fs::write(&numbers, "[1, 2, 3]").unwrap();
    let error = read_path(&numbers, 0).source.error.unwrap();
    assert!(error.contains("array of 3"), "{error}");
    let blank = dir.path().join("blank.json");
    std::fs::write(&blank, "\n  \r\n").unwrap();
    let error = read_path(&blank, 0).source.error.unwrap();
    assert!(error.starts_with("unrecognised shape"), "{error}");
}

#[test]
fn made_variants_of_other_producers() {
    let dir = tempfile::tempdir().unwrap();
    // Made: Winlogbeat 6.x (top-level fields), a PowerShell 401 with a negative HexInt32
    // ErrorCode and a HexInt64 DeploymentOptions, and an NXLog record with EventTime.
    let legacy = dir.path().join("wlb6.json");
    std::fs::write(
        &legacy,
        r#"{"@timestamp":"2016-02-13T17:21:57.227Z","event_id":400,"source_name":"Microsoft-Windows-AppXDeployment-Server","log_name":"Microsoft-Windows-AppXDeploymentServer/Operational","computer_name":"LAB-PC-01","record_number":"7","level":"Information","event_data":{"PackageFullName":"P"}}"#,
    )
    .unwrap();
    let load = read_path(&legacy, 0);
    assert_eq!(load.source.format, Some(Format::Winlogbeat));
    let e = &load.events[0];
    assert_eq!(
        (e.event_id, e.record_id, e.level),
        (Some(400), Some(7), Some(4))
    );
    assert_eq!(e.channel.as_str(), CHANNEL);
    assert_eq!(e.field("PackageFullName"), Some(&Value::Str("P".into())));

    let ps = dir.path().join("ps401.json");
    let mut properties: Vec<String> = (0..30).map(|i| format!("{{\"Value\":{i}}}")).collect();
    properties[3] = "{\"Value\":-2147009281}".to_owned();
    properties[11] = "{\"Value\":268435488}".to_owned();
    let text = format!(
        "{{\"Id\":401,\"ProviderName\":\"{PROVIDER}\",\"LogName\":\"{CHANNEL}\",\"Keywords\":-9223372036854775807,\"TimeCreated\":\"/Date(-1000)/\",\"Properties\":[{}]}}",
        properties.join(",")
    );
    std::fs::write(&ps, text).unwrap();
    let load = read_path(&ps, 0);
    assert_eq!(load.source.format, Some(Format::PowerShell));
    let e = &load.events[0];
    assert_eq!(e.field("ErrorCode"), Some(&Value::Str("0x80073cff".into())));
    assert_eq!(
        e.field("DeploymentOptions"),
        Some(&Value::Str("0x10000020".into()))
    );
    assert_eq!(e.field("PackageDisplayName"), Some(&Value::UInt(29)));
    assert_eq!(e.keywords, Some(0x8000_0000_0000_0001));
    assert_eq!(e.time.instant().map(|t| t.timestamp_millis()), Some(-1000));

    let unknown_ps = dir.path().join("ps_other.json");
    std::fs::write(
        &unknown_ps,
        "{\"Id\":4624,\"ProviderName\":\"Microsoft-Windows-Security-Auditing\",\"Properties\":[{\"Value\":\"S-1-5-18\"},{\"Value\":3}]}",
    )
    .unwrap();
    let e = &read_path(&unknown_ps, 0).events[0];
    assert_eq!(e.field("Property1"), Some(&Value::Str("S-1-5-18".into())));
    assert_eq!(e.field("Property2"), Some(&Value::UInt(3)));

    let nxlog = dir.path().join("nxlog.json");
    std::fs::write(
        &nxlog,
        "{\"EventTime\":\"2016-02-13 17:21:57\",\"Hostname\":\"H\",\"EventID\":400,\"SourceName\":\"S\",\"RecordNumber\":7,\"PackageFullName\":\"P\",\"Nested\":{\"a\":true}}\n",
    )
    .unwrap();
    let e = &read_path(&nxlog, 0).events[0];
    assert!(matches!(e.time, EventTime::NoZone(_)));
    assert_eq!(e.record_id, Some(7));
    assert_eq!(e.field("Nested.a"), Some(&Value::Bool(true)));
    assert_eq!(e.field("RecordNumber"), None);
}

#[test]
fn a_stopping_sink_stops_the_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.jsonl");
    let doc = "{\"Event\":{\"System\":{\"EventID\":400}}}";
    // Made: 5000 JSON lines, and the same 5000 documents in one array.
    let lines = format!("{doc}\n").repeat(5000);
    let array = format!("[{}]", vec![doc; 5000].join(",\n"));
    for content in [lines, array] {
        std::fs::write(&path, content).unwrap();
        let mut source = Source::new(path.clone());
        let mut batches = 0;
        read_json(&path, 0, &mut source, &mut |_, progress| {
            batches += 1;
            assert!(progress.records > 0);
            false
        });
        assert_eq!(batches, 1);
        assert!(source.records < 5000);
        assert_eq!(source.error, None);
    }
}
