#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on purpose.
//! `appxview inspect` through the library function: the JSON model of one event, its readable
//! text, the record looked up by record id or by position, and the exit codes.

use std::path::{Path, PathBuf};

use appxview::cli::{InspectArgs, OutputFormat, inspect};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

const SAMPLE: &str = "assets/samples/appx-demo-synthetic.evtx";
const SEED_SHAPED: &str = "tests/fixtures/made_seed_shaped_detections.jsonl";

fn args(file: PathBuf, record: u64, format: OutputFormat) -> InspectArgs {
    InspectArgs {
        record,
        rules: Vec::new(),
        no_builtin_rules: false,
        format,
        file,
    }
}

/// Exit code, standard output, standard error.
fn run(args: &InspectArgs) -> (i32, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = inspect(args, &mut out, &mut err).expect("inspect writes");
    (
        code,
        String::from_utf8(out).expect("utf-8"),
        String::from_utf8(err).expect("utf-8"),
    )
}

fn run_json(file: PathBuf, record: u64) -> serde_json::Value {
    let (code, out, err) = run(&args(file, record, OutputFormat::Json));
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(out.trim()).expect("one JSON object")
}

/// The lines of the text output's Message section.
/// The value of the text header line labelled `label` (labels are padded to one width).
fn header<'t>(text: &'t str, label: &str) -> &'t str {
    text.lines()
        .find_map(|l| {
            l.strip_prefix(label)
                .filter(|rest| rest.starts_with("  "))
                .map(str::trim)
        })
        .unwrap_or_else(|| panic!("no {label} line in\n{text}"))
}

fn message_section(text: &str) -> Vec<&str> {
    text.lines()
        .skip_while(|l| *l != "Message")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect()
}

#[test]
fn json_of_a_flagged_full_trust_event() {
    let j = run_json(repo(SAMPLE), 267);
    let keys: Vec<&str> = j.as_object().unwrap().keys().map(String::as_str).collect();
    for key in [
        "provider",
        "channel",
        "event_id",
        "time",
        "message",
        "fields",
        "missing_fields",
        "extra_fields",
        "builds",
        "package",
        "detections",
        "record_id",
        "task",
        "opcode",
        "level",
        "source",
    ] {
        assert!(keys.contains(&key), "{key} missing from {keys:?}");
    }
    assert_eq!(j["record_id"], 267);
    assert_eq!(j["event_id"], 400);
    assert_eq!(j["provider"], "Microsoft-Windows-AppXDeployment-Server");
    assert_eq!(
        j["channel"],
        "Microsoft-Windows-AppXDeploymentServer/Operational"
    );
    assert_eq!(j["time"], "2024-03-05T14:19:00.1196195Z");
    assert_eq!(j["task"], "AppXDeployment.Task.Server.Deployment");
    assert_eq!(j["opcode"], "Stop");

    let fields = j["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 24);
    for f in fields {
        for key in ["name", "type", "value", "decoded"] {
            assert!(f.get(key).is_some(), "{key} missing in {f}");
        }
    }
    let field = |name: &str| {
        fields
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("no field {name}"))
    };
    assert_eq!(field("DeploymentOperation")["value"], 1);
    assert_eq!(field("DeploymentOperation")["type"], "UInt32");
    assert_eq!(field("DeploymentOperation")["decoded"], "Add");
    assert_eq!(field("TargetPlatform")["decoded"], "Desktop");
    // A bit map decodes to a list of flag names.
    assert_eq!(field("PackageType")["decoded"], serde_json::json!(["Main"]));
    assert_eq!(field("HasFullTrust")["value"], true);

    assert_eq!(
        j["package"],
        serde_json::json!({
            "name": "ZoomMeetings.Client",
            "version": "6.0.2.0",
            "architecture": "x64",
            "resource_id": "",
            "publisher_id": "h3v9x2k7q1m4r",
            "family_name": "ZoomMeetings.Client_h3v9x2k7q1m4r",
        })
    );
    assert!(
        j["message"]
            .as_str()
            .unwrap()
            .starts_with("Deployment Add operation with target volume C: on Package ZoomMeetings.Client_6.0.2.0_x64__h3v9x2k7q1m4r"),
        "{}",
        j["message"]
    );
    assert_eq!(j["missing_fields"], serde_json::json!([]));
    assert_eq!(j["extra_fields"], serde_json::json!([]));
    assert!(!j["builds"].as_array().unwrap().is_empty());

    let detections = j["detections"].as_array().unwrap();
    assert!(!detections.is_empty());
    let full_trust = detections
        .iter()
        .find(|d| d["title"] == "Full Trust AppX Package Deployed")
        .expect("full trust rule fired");
    assert_eq!(full_trust["level"], "medium");
    assert!(full_trust["id"].as_str().is_some_and(|s| !s.is_empty()));
    let why = full_trust["why"].as_array().unwrap();
    assert!(
        why.iter().any(|w| w["selection"] == "selection"
            && w["field"] == "HasFullTrust"
            && w["value"] == "true"),
        "{why:?}"
    );
}

#[test]
fn text_of_a_flagged_event_is_readable() {
    let (code, text, err) = run(&args(repo(SAMPLE), 267, OutputFormat::Text));
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "{err}");
    assert!(text.starts_with("Event 400 - Microsoft-Windows-AppXDeployment-Server\n"));
    assert_eq!(
        header(&text, "Task"),
        "3 (AppXDeployment.Task.Server.Deployment)"
    );
    assert_eq!(header(&text, "Opcode"), "2 (Stop)");
    assert_eq!(header(&text, "Record"), "267");
    let message = message_section(&text);
    assert_eq!(message.len(), 1, "{text}");
    assert!(message[0].starts_with("  Deployment Add operation with target volume C: on Package ZoomMeetings.Client_6.0.2.0_x64__h3v9x2k7q1m4r"));
    assert!(!text.contains("%1"), "{text}");
    // One aligned row per field: name, type, value, decoded.
    let row = text
        .lines()
        .find(|l| l.trim_start().starts_with("DeploymentOperation"))
        .expect("DeploymentOperation row");
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cells[..4], ["DeploymentOperation", "UInt32", "1", "Add"]);
    // Then the decoding's note: which build's map read it.
    assert!(
        row.ends_with("Add [map of build 18990 (nearest public map for build 22000)]"),
        "{row}"
    );
    let header = text
        .lines()
        .find(|l| l.trim_start().starts_with("Name "))
        .unwrap();
    assert_eq!(header.find("Type"), row.find("UInt32"), "columns aligned");
    assert!(text.contains("  Family name   ZoomMeetings.Client_h3v9x2k7q1m4r\n"));
    assert!(text.contains("Detections (1)\n"));
    assert!(text.contains("  [medium] Full Trust AppX Package Deployed ("));
    assert!(text.contains("    selection: HasFullTrust = \"true\" matched \"true\"\n"));
}

#[test]
fn a_missing_record_exits_1_and_says_what_the_file_holds() {
    let (code, out, err) = run(&args(repo(SAMPLE), 9999, OutputFormat::Json));
    assert_eq!(code, 1);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("no record 9999"), "{err}");
    assert!(err.contains("appx-demo-synthetic.evtx"), "{err}");
    assert!(err.contains("406 records"), "{err}");

    // A record the evtx crate could not read: the warning that names it is repeated.
    let damaged = repo("../shared/cases-evtx/system_filetime_out_of_range_header_only.evtx");
    let (code, _, err) = run(&args(damaged, 5, OutputFormat::Text));
    assert_eq!(code, 1);
    assert!(err.contains("it could not be read"), "{err}");
    assert!(
        err.contains("record 5 (chunk 0, file offset 0x2000)"),
        "{err}"
    );
    assert!(err.contains("FILETIME"), "{err}");
}

#[test]
fn an_unreadable_file_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere.evtx");
    let (code, out, err) = run(&args(missing, 1, OutputFormat::Text));
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("nowhere.evtx") && err.contains("cannot"),
        "{err}"
    );

    let garbage = dir.path().join("garbage.bin");
    std::fs::write(&garbage, b"\x00\x01\x02 not a log").unwrap();
    let (code, _, err) = run(&args(garbage, 1, OutputFormat::Json));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("garbage.bin") && err.contains("unrecognised"),
        "{err}"
    );
}

#[test]
fn seed_shaped_input_by_record_id_and_by_position() {
    // With record ids: N is the EventRecordID.
    let j = run_json(repo(SEED_SHAPED), 1002);
    assert_eq!(j["record_id"], 1002);
    assert_eq!(j["fields"][0]["name"], "DeploymentOperation");
    assert_eq!(j["fields"][0]["decoded"], "PreRegisterPackage");
    // DeploymentOptions is a bit map: a list of flag names.
    let options = j["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "DeploymentOptions")
        .unwrap();
    assert!(options["decoded"].is_array(), "{options}");

    // The same lines without record ids: N is the 1-based position.
    let dir = tempfile::tempdir().unwrap();
    let no_ids = dir.path().join("no_ids.jsonl");
    let text = std::fs::read_to_string(repo(SEED_SHAPED)).unwrap();
    let stripped: Vec<String> = text
        .lines()
        .map(|line| {
            let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
            v["system"]
                .as_object_mut()
                .unwrap()
                .remove("event_record_id");
            v.to_string()
        })
        .collect();
    std::fs::write(&no_ids, stripped.join("\n")).unwrap();
    let by_position = run_json(no_ids.clone(), 2);
    assert_eq!(by_position["record_id"], serde_json::Value::Null);
    assert_eq!(by_position["fields"], j["fields"]);
    assert_eq!(by_position["package"], j["package"]);
    assert_eq!(by_position["detections"], j["detections"]);

    // Text: the message rendered from the template (the input's own is empty), no inserts left.
    let (code, text, err) = run(&args(no_ids.clone(), 2, OutputFormat::Text));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        header(&text, "Record"),
        "position 2 (no record id)",
        "{text}"
    );
    let message = message_section(&text).join("\n");
    assert!(
        message
            .contains("Deployment PreRegisterPackage operation with target volume C: on Package "),
        "{text}"
    );
    assert!(!text.contains("%1"), "{text}");
    let brace_insert = regex::Regex::new(r"\{[A-Za-z_][A-Za-z0-9_]*\}").unwrap();
    assert!(!brace_insert.is_match(&message), "{message}");
    assert!(!message.contains("<missing"), "{message}");

    // Not found: says how many records there are and that they are positions.
    let (code, _, err) = run(&args(no_ids, 18, OutputFormat::Text));
    assert_eq!(code, 1);
    assert!(err.contains("17 records"), "{err}");
    assert!(err.contains("position"), "{err}");
}

#[test]
fn missing_and_extra_fields_are_marked() {
    let text = std::fs::read_to_string(repo(SEED_SHAPED)).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let data = v["event_data"].as_object_mut().unwrap();
    data.remove("IsOptional");
    data.insert("Smuggled".to_owned(), serde_json::json!("x"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one.jsonl");
    std::fs::write(&path, v.to_string()).unwrap();

    let j = run_json(path.clone(), 1001);
    assert_eq!(j["missing_fields"], serde_json::json!(["IsOptional"]));
    assert_eq!(j["extra_fields"], serde_json::json!(["Smuggled"]));

    let (code, text, _) = run(&args(path, 1001, OutputFormat::Text));
    assert_eq!(code, 0);
    let line = |name: &str| {
        text.lines()
            .find(|l| l.split_whitespace().nth(1) == Some(name))
            .unwrap_or_else(|| panic!("no row for {name}:\n{text}"))
    };
    assert!(line("IsOptional").starts_with("  - IsOptional"), "{text}");
    assert!(line("IsOptional").contains("(missing)"), "{text}");
    assert!(line("Smuggled").starts_with("  + Smuggled"), "{text}");
    assert!(text.contains("+ not declared by the schema"), "{text}");
}

#[test]
fn duplicate_record_ids_show_the_first_and_say_so() {
    let text = std::fs::read_to_string(repo(SEED_SHAPED)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Record 1002 again, after a different event also given record id 1002.
    let mut other: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    other["system"]["event_record_id"] = serde_json::json!(1002);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dup.jsonl");
    std::fs::write(&path, format!("{}\n{}\n", lines[1], other)).unwrap();

    let (code, out, err) = run(&args(path, 1002, OutputFormat::Json));
    assert_eq!(code, 0);
    assert!(err.contains("2 events"), "{err}");
    assert!(err.contains("showing the first"), "{err}");
    let j: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let first = run_json(repo(SEED_SHAPED), 1002);
    assert_eq!(j["fields"], first["fields"]);
}

#[test]
fn rules_options_choose_the_detections() {
    let mut a = args(repo(SAMPLE), 267, OutputFormat::Text);
    a.no_builtin_rules = true;
    let (code, text, _) = run(&a);
    assert_eq!(code, 0);
    assert!(
        text.contains("Detections (0)\n  (no rule fired)\n"),
        "{text}"
    );

    let dir = tempfile::tempdir().unwrap();
    let rule = dir.path().join("zoom.yml");
    std::fs::write(
        &rule,
        "title: Zoom package\nid: 5d7c0c1e-0000-4000-8000-000000000001\nlogsource:\n    product: windows\n    service: appxdeployment-server\ndetection:\n    sel:\n        PackageFullName|startswith: 'ZoomMeetings.'\n    condition: sel\nlevel: high\n",
    )
    .unwrap();
    a.rules = vec![rule];
    a.format = OutputFormat::Json;
    let (code, out, err) = run(&a);
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let detections = j["detections"].as_array().unwrap();
    assert_eq!(detections.len(), 1, "{j}");
    assert_eq!(detections[0]["title"], "Zoom package");
    assert_eq!(detections[0]["why"][0]["field"], "PackageFullName");
}

/// A task the catalogue has no name for keeps its number, and the System header the detail
/// pane shows (version, keywords, user SID, process / thread, activity id) is in both forms
/// (the evtx crate's security.evtx sample, MIT/Apache-2.0).
#[test]
fn the_whole_system_header_with_numbers_where_no_name_is_known() {
    let file = repo("../shared/samples/evtx-crate/security.evtx");
    let json = run_json(file.clone(), 51);
    assert_eq!(json["task"], serde_json::Value::Null);
    assert_eq!(json["task_id"], 13824);
    for key in [
        "version",
        "keywords",
        "process_id",
        "thread_id",
        "opcode_id",
        "level_id",
    ] {
        assert!(!json[key].is_null(), "{key} in {json}");
    }
    let (code, text, _) = run(&args(file, 51, OutputFormat::Text));
    assert_eq!(code, 0);
    let line = |label: &str| {
        text.lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("no {label} line in\n{text}"))
            .to_owned()
    };
    assert!(
        line("Task ").trim_end().ends_with("13824"),
        "{}",
        line("Task ")
    );
    assert!(line("Keywords").contains("0x"));
    assert!(line("Process / thread").contains(" / "));

    // A catalogued AppX event: number and name.
    let (_, text, _) = run(&args(repo(SAMPLE), 267, OutputFormat::Text));
    assert!(
        text.lines()
            .any(|l| l.starts_with("Task ")
                && l.contains("3 (AppXDeployment.Task.Server.Deployment)")),
        "{text}"
    );
}
