//! The EVTX writer, proven by reading its files back with the `evtx` crate: every System field
//! and EventData value with its JSON type, CRC32s (validate_checksums), multi-chunk order, edge
//! cases, the synthetic generator against the schema reference in ../shared, and the committed
//! demo sample. All events here are made up (built in this file or by the synthetic generator).

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::io::Cursor;
use std::path::{Path, PathBuf};

use appxview::evtx_writer::events::{self, Origin, Package};
use appxview::evtx_writer::synth::{
    DEMO_BENIGN, DEMO_POSITIVES, DEMO_SEED, MALICIOUS_APPX_NAME, demo_events, synth_events,
    write_synthetic,
};
use appxview::evtx_writer::{
    CHUNK_HEADER_SIZE, CHUNK_SIZE, EvtxWriter, FILE_HEADER_SIZE, MAX_RECORD_SIZE, write_events,
};
use appxview::model::{Event, EventTime, Sym, Value};
use chrono::{DateTime, TimeZone, Utc};
use evtx::{EvtxParser, ParserSettings};
use serde_json::{Value as Json, json};

fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(rel)
}

/// Every record of `path` as (record id, JSON), failing on any error from the crate.
fn read_back(path: &Path, validate: bool) -> Vec<(u64, Json)> {
    let settings = ParserSettings::new().validate_checksums(validate);
    let mut parser = EvtxParser::from_path(path)
        .unwrap()
        .with_configuration(settings);
    assert!(parser.header().validate_checksum(), "file header CRC32");
    parser
        .records_json_value()
        .map(|r| {
            let r = r.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(!r.recovered);
            (r.event_record_id, r.data)
        })
        .collect()
}

/// Checks the file header and every chunk's CRC32s; returns the number of chunks.
fn check_structure(path: &Path, next_record_id: u64) -> u64 {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!((bytes.len() - FILE_HEADER_SIZE) % CHUNK_SIZE, 0);
    let chunks = ((bytes.len() - FILE_HEADER_SIZE) / CHUNK_SIZE) as u64;
    let mut parser = EvtxParser::from_path(path).unwrap();
    let header = parser.header();
    assert!(header.validate_checksum());
    assert_eq!(header.flags.bits(), 0, "clean log");
    assert_eq!(u64::from(header.chunk_count), chunks);
    assert_eq!(header.next_record_id, next_record_id);
    assert_eq!(header.header_block_size, 4096);
    assert_eq!((header.major_version, header.minor_version), (3, 1));
    let mut seen = 0;
    for chunk in parser.chunks() {
        let chunk = chunk.unwrap();
        assert!(chunk.validate_header_checksum());
        assert!(chunk.validate_data_checksum());
        seen += 1;
    }
    assert_eq!(seen, chunks);
    chunks
}

fn norm_guid(text: &str) -> String {
    text.trim_matches(['{', '}']).to_ascii_uppercase()
}

/// The JSON the evtx crate renders for a model value written by the writer.
fn expected_json(value: &Value) -> Json {
    match value {
        Value::Null => json!(""),
        Value::Bool(b) => json!(b),
        Value::Int(i) => json!(i),
        Value::UInt(u) => json!(u),
        Value::Float(f) => json!(f.to_string()),
        Value::Str(s) => json!(s.as_ref()),
        Value::List(_) => panic!("not used here"),
    }
}

/// Asserts that `got` (one record's JSON) holds exactly `event` as written with `id`.
fn assert_same(got: &Json, event: &Event, id: u64) {
    let sys = &got["Event"]["System"];
    let ctx = format!("record {id}: {got}");
    assert_eq!(
        sys["Provider"]["#attributes"]["Name"],
        json!(event.provider.as_str()),
        "{ctx}"
    );
    assert_eq!(sys["EventID"], json!(event.event_id), "{ctx}");
    assert_eq!(sys["Version"], json!(event.version), "{ctx}");
    assert_eq!(sys["Level"], json!(event.level), "{ctx}");
    assert_eq!(sys["Task"], json!(event.task), "{ctx}");
    assert_eq!(sys["Opcode"], json!(event.opcode), "{ctx}");
    assert_eq!(
        sys["Keywords"],
        json!(event.keywords.map(|k| format!("{k:#x}"))),
        "{ctx}"
    );
    let time = sys["TimeCreated"]["#attributes"]["SystemTime"]
        .as_str()
        .unwrap();
    let time: DateTime<Utc> = time.parse().unwrap();
    assert_eq!(EventTime::Utc(time), event.time, "{ctx}");
    assert_eq!(sys["EventRecordID"], json!(id), "{ctx}");
    match &event.activity_id {
        Some(a) => assert_eq!(
            norm_guid(
                sys["Correlation"]["#attributes"]["ActivityID"]
                    .as_str()
                    .unwrap()
            ),
            norm_guid(a),
            "{ctx}"
        ),
        None => assert_eq!(sys["Correlation"], Json::Null, "{ctx}"),
    }
    let exec = &sys["Execution"]["#attributes"];
    assert_eq!(exec["ProcessID"], json!(event.process_id), "{ctx}");
    assert_eq!(exec["ThreadID"], json!(event.thread_id), "{ctx}");
    assert_eq!(sys["Channel"], json!(event.channel.as_str()), "{ctx}");
    assert_eq!(sys["Computer"], json!(event.computer.as_str()), "{ctx}");
    match event.user_sid {
        Some(sid) => assert_eq!(
            sys["Security"]["#attributes"]["UserID"],
            json!(sid.as_str()),
            "{ctx}"
        ),
        None => assert_eq!(sys["Security"], Json::Null, "{ctx}"),
    }
    let data = &got["Event"]["EventData"];
    if event.fields.is_empty() {
        assert_eq!(*data, Json::Null, "{ctx}");
    } else if event.fields.iter().all(|(n, _)| n.is_empty()) {
        let values: Vec<Json> = event.fields.iter().map(|(_, v)| expected_json(v)).collect();
        assert_eq!(data["Data"]["#text"], Json::Array(values), "{ctx}");
    } else {
        let map = data.as_object().unwrap();
        let names: Vec<&str> = map.keys().map(String::as_str).collect();
        let want: Vec<&str> = event.fields.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, want, "{ctx}");
        for (name, value) in &event.fields {
            assert_eq!(map[name.as_str()], expected_json(value), "{ctx}: {name}");
        }
    }
}

fn at(secs: i64, nanos: u32) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, nanos).unwrap()
}

fn origin() -> Origin {
    Origin {
        time: at(1_709_631_687, 123_456_700),
        computer: "WS01.contoso.test".into(),
        user_sid: Some("S-1-5-21-3623811015-3361044348-30300820-1013".into()),
        process_id: 4212,
        thread_id: 5120,
        activity_id: Some("{0A1B2C3D-0000-0001-AAAA-0123456789AB}".into()),
    }
}

/// A made event with every System field and every value type.
fn every_type_event() -> Event {
    let mut e = events::base_event(
        "Microsoft-Windows-AppXDeployment-Server",
        "Microsoft-Windows-AppXDeploymentServer/Operational",
        (400, 0, 4, 3, 2, 0x4000_0000_0000_0001),
        &origin(),
    );
    e.fields = vec![
        (Sym::new("UInt32"), Value::UInt(4_000_000_000)),
        (Sym::new("UInt64"), Value::UInt(u64::MAX)),
        (Sym::new("Zero"), Value::UInt(0)),
        (Sym::new("Int32"), Value::Int(-5)),
        (Sym::new("Int64"), Value::Int(i64::MIN)),
        (Sym::new("True"), Value::Bool(true)),
        (Sym::new("False"), Value::Bool(false)),
        (Sym::new("Hex32"), Value::Str("0x80073cff".into())),
        (Sym::new("Hex32Zero"), Value::Str("0x0".into())),
        (Sym::new("Hex64"), Value::Str("0x4000000000000001".into())),
        (Sym::new("HexMax"), Value::Str("0xffffffffffffffff".into())),
        (
            Sym::new("Text"),
            Value::Str("Contoso.App_1.0.0.0_x64__abcd1234efgh5".into()),
        ),
        (Sym::new("NotHex"), Value::Str("0xZZ".into())),
        (Sym::new("Empty"), Value::Str("".into())),
        (Sym::new("Nothing"), Value::Null),
        (
            Sym::new("Unicode"),
            Value::Str("Zoë – 日本語 – emoji 😀🎉 – \"quotes\" <tag> & \\".into()),
        ),
        (Sym::new("Multiline"), Value::Str("line1\r\n\tline2".into())),
    ];
    e
}

#[test]
fn every_system_field_and_value_type_reads_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("types.evtx");
    let event = every_type_event();
    let size = write_events(&path, [&event]).unwrap();
    assert_eq!(size, (FILE_HEADER_SIZE + CHUNK_SIZE) as u64);
    for validate in [false, true] {
        let records = read_back(&path, validate);
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].0, 1);
        assert_same(&records[0].1, &event, 1);
    }
    check_structure(&path, 2);
}

#[test]
fn floats_are_real64_and_missing_system_fields_are_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sparse.evtx");
    let event = Event {
        provider: Sym::new("Made.Provider"),
        event_id: Some(70_000),
        activity_id: Some("not a guid".into()),
        user_sid: Some(Sym::new("DOMAIN\\not-a-sid")),
        fields: vec![(Sym::new("Ratio"), Value::Float(1.5))],
        ..Event::default()
    };
    write_events(&path, [&event]).unwrap();
    let records = read_back(&path, true);
    let sys = &records[0].1["Event"]["System"];
    assert_eq!(sys["EventID"], json!(70_000));
    for absent in [
        "Version",
        "Level",
        "Task",
        "Opcode",
        "Keywords",
        "TimeCreated",
    ] {
        assert!(sys.get(absent).is_none(), "{absent} in {sys}");
    }
    assert_eq!(
        sys["Correlation"]["#attributes"]["ActivityID"],
        json!("not a guid")
    );
    assert_eq!(
        sys["Security"]["#attributes"]["UserID"],
        json!("DOMAIN\\not-a-sid")
    );
    assert_eq!(sys["Execution"], Json::Null);
    assert_eq!(sys["Channel"], Json::Null);
    assert_eq!(records[0].1["Event"]["EventData"]["Ratio"], json!("1.5"));
}

#[test]
fn synthetic_events_of_every_schema_read_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("synth.evtx");
    let count = 3_000;
    let size = write_synthetic(&path, count, 42).unwrap();
    assert_eq!(size, std::fs::metadata(&path).unwrap().len());
    let expected: Vec<Event> = synth_events(count, 42).collect();
    for validate in [false, true] {
        let records = read_back(&path, validate);
        assert_eq!(records.len(), count);
        for (i, ((id, json), event)) in records.iter().zip(&expected).enumerate() {
            assert_eq!(*id, i as u64 + 1);
            assert_same(json, event, *id);
        }
    }
    // The mix holds every kind of event the generator promises.
    let kinds: std::collections::BTreeSet<(String, u32)> = expected
        .iter()
        .map(|e| (e.provider.to_string(), e.event_id.unwrap()))
        .collect();
    for (provider, id) in [
        ("Microsoft-Windows-AppXDeployment-Server", 400),
        ("Microsoft-Windows-AppXDeployment-Server", 401),
        ("Microsoft-Windows-AppXDeployment-Server", 404),
        ("Microsoft-Windows-AppXDeployment-Server", 412),
        ("Microsoft-Windows-AppXDeployment-Server", 603),
        ("Microsoft-Windows-AppXDeployment-Server", 854),
        ("Microsoft-Windows-AppxPackagingOM", 157),
        ("Microsoft-Windows-AppModel-Runtime", 201),
        ("Microsoft-Windows-Security-Auditing", 4624),
        ("Service Control Manager", 7036),
        ("PowerShell", 400),
    ] {
        assert!(
            kinds.contains(&(provider.to_owned(), id)),
            "{provider} {id}"
        );
    }
}

#[test]
fn multi_chunk_file_reads_back_completely_and_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.evtx");
    let count = 5_000;
    write_synthetic(&path, count, 7).unwrap();
    let chunks = check_structure(&path, count as u64 + 1);
    assert!(chunks >= 5, "{chunks} chunks");
    let records = read_back(&path, true);
    assert_eq!(records.len(), count);
    let mut last_time = String::new();
    for (i, (id, json)) in records.iter().enumerate() {
        assert_eq!(*id, i as u64 + 1);
        assert_eq!(json["Event"]["System"]["EventRecordID"], json!(id));
        let t = json["Event"]["System"]["TimeCreated"]["#attributes"]["SystemTime"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(t > last_time, "time goes up at record {id}");
        last_time = t;
    }
    // Each chunk names its own first and last record, and records never cross a chunk.
    let bytes = std::fs::read(&path).unwrap();
    let mut next_first = 1;
    for c in 0..chunks as usize {
        let chunk = &bytes[FILE_HEADER_SIZE + c * CHUNK_SIZE..][..CHUNK_SIZE];
        let u64_at = |o: usize| u64::from_le_bytes(chunk[o..o + 8].try_into().unwrap());
        let u32_at = |o: usize| u32::from_le_bytes(chunk[o..o + 4].try_into().unwrap()) as usize;
        assert_eq!(&chunk[..8], b"ElfChnk\0");
        assert_eq!(u64_at(24), next_first);
        let free = u32_at(48);
        assert!(free <= CHUNK_SIZE);
        assert!(chunk[free..].iter().all(|&b| b == 0));
        let last = u32_at(44);
        let last_size = u32_at(last + 4);
        assert_eq!(
            last + last_size,
            free,
            "chunk {c}: last record ends at the free space"
        );
        assert_eq!(u32_at(free - 4), last_size, "size copy");
        next_first = u64_at(32) + 1;
    }
    assert_eq!(next_first, count as u64 + 1);
}

#[test]
fn zero_events_make_a_valid_empty_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.evtx");
    let none: [&Event; 0] = [];
    let size = write_events(&path, none).unwrap();
    assert_eq!(size, FILE_HEADER_SIZE as u64);
    assert_eq!(&std::fs::read(&path).unwrap()[..8], b"ElfFile\0");
    assert_eq!(check_structure(&path, 1), 0);
    assert!(read_back(&path, true).is_empty());
}

/// A made event with one string field of `len` characters.
fn long_event(len: usize, ch: char) -> Event {
    let mut e = events::uri_added("x", &origin());
    e.fields = vec![(
        Sym::new("Path"),
        Value::Str(ch.to_string().repeat(len).into()),
    )];
    e
}

#[test]
fn long_strings_and_a_record_that_nearly_fills_a_chunk() {
    // The largest string that still fits one record in a fresh chunk.
    let fits = |len: usize| {
        let mut w = EvtxWriter::new(Cursor::new(Vec::new())).unwrap();
        w.write_event(&long_event(len, 'x')).is_ok()
    };
    let (mut lo, mut hi) = (1, 40_000);
    while lo + 1 < hi {
        let mid = (lo + hi) / 2;
        if fits(mid) { lo = mid } else { hi = mid }
    }
    let biggest = lo;
    assert!(!fits(biggest + 1));
    // A string over 65535 UTF-16 units, or a record over a chunk, is refused, not truncated.
    let mut w = EvtxWriter::new(Cursor::new(Vec::new())).unwrap();
    let err = w.write_event(&long_event(70_000, 'x')).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);

    let small = every_type_event();
    let ten_k = long_event(10_000, 'é');
    let emoji = long_event(5_000, '😀');
    let huge = long_event(biggest, 'x');
    let list = [&small, &ten_k, &emoji, &huge, &small, &huge];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.evtx");
    let mut writer = EvtxWriter::create(&path).unwrap();
    for e in list {
        writer.write_event(e).unwrap();
    }
    // The refused record leaves the log as it was.
    assert!(writer.write_event(&long_event(biggest + 1, 'x')).is_err());
    writer.write_event(&small).unwrap();
    writer.finish().unwrap();

    let chunks = check_structure(&path, 8);
    // [small, 10k, emoji] [huge] [small] [huge] [small]: the big records take a chunk each.
    assert_eq!(chunks, 5);
    let bytes = std::fs::read(&path).unwrap();
    let free_of = |c: usize| {
        let o = FILE_HEADER_SIZE + c * CHUNK_SIZE + 48;
        u32::from_le_bytes(bytes[o..o + 4].try_into().unwrap()) as usize
    };
    // Chunks 1 and 3 hold only the near-full record: less than 8 bytes stay unused.
    for c in [1, 3] {
        assert!(
            CHUNK_SIZE - free_of(c) < 8,
            "free space {}",
            CHUNK_SIZE - free_of(c)
        );
    }
    assert!(free_of(1) - CHUNK_HEADER_SIZE <= MAX_RECORD_SIZE);
    let records = read_back(&path, true);
    let expected = [&small, &ten_k, &emoji, &huge, &small, &huge, &small];
    assert_eq!(records.len(), expected.len());
    for ((id, json), event) in records.iter().zip(expected) {
        assert_same(json, event, *id);
    }
}

#[test]
fn given_record_ids_are_kept_and_numbering_continues_after_them() {
    let mut w = EvtxWriter::new(Cursor::new(Vec::new())).unwrap();
    let mut e = every_type_event();
    assert_eq!(w.write_event(&e).unwrap(), 1);
    e.record_id = Some(500);
    assert_eq!(w.write_event(&e).unwrap(), 500);
    e.record_id = None;
    assert_eq!(w.write_event(&e).unwrap(), 501);
    assert_eq!(w.records(), 3);
    let bytes = w.finish().unwrap().into_inner();
    let mut parser = EvtxParser::from_buffer(bytes)
        .unwrap()
        .with_configuration(ParserSettings::new().validate_checksums(true));
    assert_eq!(parser.header().next_record_id, 502);
    let ids: Vec<u64> = parser
        .records_json_value()
        .map(|r| r.unwrap().event_record_id)
        .collect();
    assert_eq!(ids, [1, 500, 501]);
}

#[test]
fn lists_and_unnamed_data_become_data_elements() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ps.evtx");
    let ps = events::powershell_engine_started("powershell.exe -NoProfile", &origin());
    let mut listed = every_type_event();
    listed.fields = vec![(
        Sym::EMPTY,
        Value::List(vec![Value::Str("a".into()), Value::UInt(2)].into()),
    )];
    write_events(&path, [&ps, &listed]).unwrap();
    let records = read_back(&path, true);
    assert_same(&records[0].1, &ps, 1);
    let details = records[0].1["Event"]["EventData"]["Data"]["#text"][2]
        .as_str()
        .unwrap();
    assert!(details.contains("HostApplication=powershell.exe -NoProfile"));
    assert_eq!(
        records[1].1["Event"]["EventData"]["Data"]["#text"],
        json!(["a", 2])
    );
}

/// (name, type) of the newest field list of `id` in a schema catalogue.
fn schema_fields(file: &str, provider: &str, id: u64) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(shared(&format!("schema/{file}"))).unwrap();
    let doc: Json = serde_json::from_str(&text).unwrap();
    let providers: Vec<&Json> = match doc.get("providers") {
        Some(Json::Array(list)) => list.iter().collect(),
        Some(Json::Object(map)) => map.values().collect(),
        _ => vec![&doc],
    };
    let p = providers
        .into_iter()
        .find(|p| p["provider"] == json!(provider))
        .unwrap();
    let e = p["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == json!(id))
        .unwrap();
    e["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_owned(),
                f["type"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Whether `value` has the JSON type the evtx crate gives the ETW `ty`.
fn fits_type(value: &Value, ty: &str) -> bool {
    match ty {
        "UInt32" | "UInt64" | "UInt16" | "UInt8" => matches!(value, Value::UInt(_)),
        "Boolean" => matches!(value, Value::Bool(_)),
        "HexInt32" | "HexInt64" => {
            matches!(value, Value::Str(s) if s.starts_with("0x") && s.len() > 2)
        }
        "UnicodeString" => matches!(value, Value::Str(_)),
        _ => false,
    }
}

#[test]
fn made_appx_events_follow_the_windows_11_schema_reference() {
    let o = origin();
    let pkg = Package {
        full_name: "Contoso.App_1.0.0.0_x64__q4d96b2w5wcc2".into(),
        display_name: "Contoso App".into(),
        source_uri: "file:///C:/Program%20Files/Contoso/App.msix".into(),
        calling_process: "AppInstaller.exe".into(),
        full_trust: true,
        package_type: 1,
        deployment_options: 0,
    };
    let server = "Microsoft-Windows-AppXDeployment-Server";
    let cases = [
        (
            "appxdeployment-server.json",
            server,
            400,
            events::deployment_succeeded(&pkg, 1, &o),
        ),
        (
            "appxdeployment-server.json",
            server,
            401,
            events::deployment_failed(&pkg, 1, 0x8007_3CFF, &o),
        ),
        (
            "appxdeployment-server.json",
            server,
            404,
            events::deployment_error_summary(&pkg, 0x8007_3CF9, &o),
        ),
        (
            "appxdeployment-server.json",
            server,
            603,
            events::deployment_started(1, "x", 8_388_608, 0, "p", &o),
        ),
        (
            "appxdeployment-server.json",
            server,
            854,
            events::uri_added("x", &o),
        ),
        (
            "appxdeployment-server.json",
            server,
            412,
            events::applocker_blocked("x", 0x8007_04EC, &o),
        ),
        (
            "appx-other-providers.json",
            "Microsoft-Windows-AppxPackagingOM",
            157,
            events::signature_validated("CN=x", &o),
        ),
        (
            "appx-other-providers.json",
            "Microsoft-Windows-AppModel-Runtime",
            201,
            events::desktop_process_created(1, "x", "y.exe", "App", &o),
        ),
    ];
    for (file, provider, id, event) in cases {
        let want = schema_fields(file, provider, id);
        assert_eq!(event.provider.as_str(), provider);
        assert_eq!(event.event_id, Some(id as u32));
        let names: Vec<&str> = event.fields.iter().map(|(n, _)| n.as_str()).collect();
        let want_names: Vec<&str> = want.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, want_names, "{provider} {id}");
        for ((name, value), (_, ty)) in event.fields.iter().zip(&want) {
            assert!(
                fits_type(value, ty),
                "{provider} {id} {name}: {value:?} is no {ty}"
            );
        }
    }
    assert_eq!(
        events::deployment_succeeded(&pkg, 1, &o).field("HasFullTrust"),
        Some(&Value::Bool(true))
    );
    assert_eq!(
        schema_fields("appxdeployment-server.json", server, 400).len(),
        24
    );
    assert_eq!(
        schema_fields("appxdeployment-server.json", server, 401).len(),
        30
    );
}

#[test]
fn generator_is_deterministic_and_realistic() {
    let a: Vec<Event> = synth_events(500, 1).collect();
    let b: Vec<Event> = synth_events(500, 1).collect();
    let c: Vec<Event> = synth_events(500, 2).collect();
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(a.len(), 500);
    let mut last = None;
    for e in &a {
        let t = e.time.instant().unwrap();
        assert!(last < Some(t));
        last = Some(t);
        assert!(e.record_id.is_none());
        if let Some(Value::Str(name)) = e.field("PackageFullName") {
            // Name_Version_Arch_ResourceId_PublisherId, publisher id of 13 characters.
            let parts: Vec<&str> = name.split('_').collect();
            assert_eq!(parts.len(), 5, "{name}");
            assert_eq!(parts[1].split('.').count(), 4, "{name}");
            assert!(
                ["x64", "x86", "arm64", "neutral"].contains(&parts[2]),
                "{name}"
            );
            assert_eq!(parts[4].len(), 13, "{name}");
        }
    }
}

/// A rule's list of strings under `selection_key` → `field_key` (SigmaHQ YAML).
fn rule_list(rule: &str, selection: &str, field: &str) -> Vec<String> {
    let path = shared(&format!(
        "sigmahq/rules/windows/builtin/appxdeployment_server/{rule}.yml"
    ));
    let doc: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let value = &doc["detection"][selection][field];
    match value {
        serde_yaml::Value::Sequence(items) => items
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect(),
        serde_yaml::Value::String(s) => vec![s.clone()],
        other => panic!("{rule}: {other:?}"),
    }
}

fn text(e: &Event, name: &str) -> String {
    e.field(name)
        .map(|v| v.to_text().into_owned())
        .unwrap_or_default()
}

/// Which of the demo's rules `e` fires, by simple checks of the rules' conditions (lists read
/// from the SigmaHQ files).
fn fires(e: &Event) -> Vec<&'static str> {
    let server = e.provider.as_str() == "Microsoft-Windows-AppXDeployment-Server";
    let id = e.event_id.unwrap_or(0);
    let contains_any =
        |value: &str, list: &[String]| list.iter().any(|s| value.contains(s.as_str()));
    let mut out = Vec::new();
    if !server {
        return out;
    }
    if id == 400 && e.field("HasFullTrust") == Some(&Value::Bool(true)) {
        let uri = text(e, "PackageSourceUri");
        let caller = text(e, "CallingProcess");
        let filtered = rule_list(
            "win_appxpackaging_server_full_trust_package_installation",
            "filter_main_legitpath",
            "PackageSourceUri|startswith",
        )
        .iter()
        .any(|p| uri.starts_with(p.as_str()))
            || uri.starts_with("https://go.microsoft.com/fwlink/?linkid")
            || uri.contains(".cdn.microsoft.com")
            || uri.contains(".cdn.office.net/")
            || rule_list(
                "win_appxpackaging_server_full_trust_package_installation",
                "filter_main_callerprocess",
                "CallingProcess|startswith",
            )
            .iter()
            .any(|p| caller.starts_with(p.as_str()))
            || uri.starts_with("x-windowsupdate://")
            || text(e, "PackageFullName").starts_with("MicrosoftWindows.Client.");
        if !filtered {
            out.push("win_appxpackaging_server_full_trust_package_installation");
        }
    }
    if (id == 400 || id == 401)
        && contains_any(
            &text(e, "PackageFullName"),
            &rule_list(
                "win_appxdeployment_server_mal_appx_names",
                "selection",
                "PackageFullName|contains",
            ),
        )
    {
        out.push("win_appxdeployment_server_mal_appx_names");
    }
    if id == 401 && text(e, "ErrorCode") == "0x80073cff" {
        out.push("win_appxdeployment_server_appx_package_deployment_failed_signing_requirements");
    }
    if id == 603 && text(e, "Flags") == "8388608" {
        out.push("win_appxpackaging_server_unsigned_package_installation");
    }
    if id == 854 {
        let path = text(e, "Path");
        let sharing = rule_list(
            "win_appxdeployment_server_appx_downloaded_from_file_sharing_domains",
            "selection",
            "Path|contains",
        );
        if contains_any(&path, &sharing) {
            out.push("win_appxdeployment_server_appx_downloaded_from_file_sharing_domains");
        }
        let staging: Vec<String> = ["selection_paths_forward", "selection_paths_back"]
            .iter()
            .flat_map(|s| {
                rule_list(
                    "win_appxdeployment_server_appx_package_in_staging_directory",
                    s,
                    "Path|contains",
                )
            })
            .collect();
        assert!(!contains_any(&path, &staging), "staging path {path}");
        let mut filters = rule_list(
            "win_appxdeployment_server_uncommon_package_locations",
            "filter_main_generic",
            "Path|contains",
        );
        filters.extend(rule_list(
            "win_appxdeployment_server_uncommon_package_locations",
            "filter_main_specific",
            "Path|contains",
        ));
        if !contains_any(&path, &filters) {
            out.push("win_appxdeployment_server_uncommon_package_locations");
        }
    }
    if id == 412 {
        out.push("win_appxdeployment_server_applocker_block");
    }
    out
}

#[test]
fn demo_sample_is_reproducible_and_holds_the_labelled_positives() {
    let committed =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/samples/appx-demo-synthetic.evtx");
    let demo = demo_events(DEMO_BENIGN, DEMO_SEED);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.evtx");
    write_events(&path, demo.iter().map(|(_, e)| e)).unwrap();
    let fresh = std::fs::read(&path).unwrap();
    assert!(fresh.len() < 1 << 20, "under 1 MiB");
    assert_eq!(
        fresh,
        std::fs::read(&committed).unwrap(),
        "rerun `cargo run --example make_demo_sample`"
    );

    let records = read_back(&committed, true);
    assert_eq!(records.len(), demo.len());
    let mut positives = 0;
    for ((id, json), (label, event)) in records.iter().zip(&demo) {
        assert_same(json, event, *id);
        let fired = fires(event);
        match label {
            Some(k) => {
                positives += 1;
                assert_eq!(
                    fired, DEMO_POSITIVES[*k].1,
                    "positive {}",
                    DEMO_POSITIVES[*k].0
                );
            }
            None if event.event_id == Some(412) => {
                assert_eq!(fired, ["win_appxdeployment_server_applocker_block"]);
            }
            None => assert!(fired.is_empty(), "benign record {id} fires {fired:?}"),
        }
    }
    assert_eq!(positives, DEMO_POSITIVES.len());
    assert!(
        demo.iter()
            .any(|(_, e)| text(e, "PackageFullName").contains(MALICIOUS_APPX_NAME))
    );
}

/// `cargo test --release --test evtx_writer -- --ignored --nocapture write_speed`
#[test]
#[ignore = "a measurement: run in release"]
fn write_speed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("speed.evtx");
    let count = 1_000_000;
    let start = std::time::Instant::now();
    let bytes = write_synthetic(&path, count, 3).unwrap();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{count} events, {:.1} MB in {secs:.2} s: {:.0} events/s, {:.1} MB/s",
        bytes as f64 / 1e6,
        count as f64 / secs,
        bytes as f64 / 1e6 / secs
    );
    assert!(secs < 60.0);
    let start = std::time::Instant::now();
    let generated = synth_events(count, 3).count();
    println!(
        "of which generating the {generated} events alone: {:.2} s",
        start.elapsed().as_secs_f64()
    );
    let mut parser = EvtxParser::from_path(&path).unwrap();
    assert!(parser.header().validate_checksum());
    assert_eq!(parser.header().next_record_id, count as u64 + 1);
    let last = parser.records_json_value().last().unwrap().unwrap();
    assert_eq!(last.event_record_id, count as u64);
}
