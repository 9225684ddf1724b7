//! The seed's example event 400 (../shared/seed) through ingest, decoders, message and detail.
//! The JSON is cut out of the seed page between "Example Event #" and "Detection Rules #" and
//! read with `appxview::ingest::read_path`.

#![allow(clippy::unwrap_used)] // tests may unwrap (house rules)

use appxview::model::{Event, Value};
use appxview::schema::catalogue::Catalogue;
use appxview::schema::decode::{Decoded, decode};
use appxview::schema::detail::EventDetail;
use appxview::schema::message::{MessageText, render_message};

const PROVIDER: &str = "Microsoft-Windows-AppXDeployment-Server";

fn seed_text() -> String {
    let dir = format!("{}/../shared/seed", env!("CARGO_MANIFEST_DIR"));
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    entries.sort();
    std::fs::read_to_string(&entries[0]).unwrap()
}

fn seed_event() -> Event {
    let text = seed_text();
    let start = text.find("Example Event #").unwrap() + "Example Event #".len();
    let end = text.find("Detection Rules #").unwrap();
    let json = text[start..end].trim();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed_event_400.json");
    std::fs::write(&path, json).unwrap();
    let load = appxview::ingest::read_path(&path, 0);
    assert_eq!(load.source.error, None);
    assert_eq!(load.events.len(), 1);
    load.events.into_iter().next().unwrap()
}

#[test]
fn seed_fields_decode_to_documented_values() {
    let e = seed_event();
    assert_eq!(e.event_id, Some(400));
    let op = decode(
        PROVIDER,
        400,
        "DeploymentOperation",
        e.field("DeploymentOperation").unwrap(),
    )
    .unwrap();
    assert_eq!(op.decoded, Decoded::Text("PreRegisterPackage".into()));
    assert!(!op.inferred);
    let tp = decode(
        PROVIDER,
        400,
        "TargetPlatform",
        e.field("TargetPlatform").unwrap(),
    )
    .unwrap();
    assert_eq!(tp.decoded, Decoded::Text("Desktop".into()));
    let opts = decode(
        PROVIDER,
        400,
        "DeploymentOptions",
        e.field("DeploymentOptions").unwrap(),
    )
    .unwrap();
    let Decoded::Flags(mut names) = opts.decoded else {
        panic!("flags expected")
    };
    names.sort();
    assert_eq!(names, ["ImmediatePriorityRequest", "InstallAllResources"]);
    assert!(
        opts.inferred,
        "64-bit reading is marked inferred (README Uncertainties 1)"
    );
    assert!(opts.note.unwrap().contains("18990"));
    let pt = decode(
        PROVIDER,
        400,
        "PackageType",
        e.field("PackageType").unwrap(),
    )
    .unwrap();
    assert_eq!(pt.decoded, Decoded::Flags(vec!["Bundle".into()]));
    assert!(
        pt.inferred,
        "PackageType is inferred (README Uncertainties 2)"
    );
    let pf = decode(
        PROVIDER,
        400,
        "PackageFlags2",
        e.field("PackageFlags2").unwrap(),
    )
    .unwrap();
    assert_eq!(pf.decoded, Decoded::Raw, "PackageFlags are shown raw");
}

#[test]
fn seed_detail_types_builds_package() {
    let e = seed_event();
    let d = EventDetail::build(&e);
    // Declared types from the seed page's own Fields table.
    let text = seed_text();
    let table: Vec<(String, String)> = text
        [text.find("Fields #").unwrap()..text.find("Example Event #").unwrap()]
        .lines()
        .filter(|l| l.contains('|'))
        .filter_map(|l| {
            let head = l.split('|').next()?.trim();
            let (name, ty) = head.split_once(' ')?;
            (!name.is_empty() && !ty.contains(' ')).then(|| (name.to_owned(), ty.to_owned()))
        })
        .collect();
    assert_eq!(table.len(), 24);
    assert_eq!(d.fields.len(), 24);
    for ((name, ty), f) in table.iter().zip(&d.fields) {
        assert_eq!(&f.name, name);
        assert_eq!(f.declared_type.as_deref(), Some(ty.as_str()), "{name}");
    }
    assert!(d.missing_fields.is_empty() && d.extra_fields.is_empty());
    assert_eq!(
        d.builds,
        [
            "Windows 11 21H2",
            "Windows 11 22H2",
            "Windows 11 23H2",
            "Windows 11 24H2",
            "Windows 11 25H2",
            "Windows 11 26H1"
        ]
    );
    let p = d.package.as_ref().unwrap();
    assert_eq!(p.name, "MicrosoftWindows.Client.WebExperience");
    assert_eq!(p.resource_id, "~");
    assert_eq!(
        d.task_name.as_deref(),
        Some("AppXDeployment.Task.Server.Deployment")
    );
    assert_eq!(d.opcode_name.as_deref(), Some("Stop"));
    assert_eq!(d.level_name.as_deref(), Some("Information"));
    let j = d.to_json();
    assert_eq!(j["event_id"], 400);
    assert_eq!(
        j["channel"],
        "Microsoft-Windows-AppXDeploymentServer/Operational"
    );
    assert_eq!(j["fields"][0]["decoded"], "PreRegisterPackage");
    assert_eq!(j["fields"][4]["type"], "HexInt32");
    assert_eq!(j["fields"][10]["decoded"][0], "InstallAllResources");
    assert_eq!(
        j["package"]["family_name"],
        "MicrosoftWindows.Client.WebExperience_cw5n1h2txyewy"
    );
    assert!(
        j["time"]
            .as_str()
            .unwrap()
            .starts_with("2023-11-06T06:23:19.438983")
    );
}

#[test]
fn seed_message_renders_like_windows() {
    let e = seed_event();
    let MessageText::Rendered(text) = render_message(&e) else {
        panic!("template expected")
    };
    assert_eq!(
        text,
        "Deployment PreRegisterPackage operation with target volume C: on Package \
         MicrosoftWindows.Client.WebExperience_423.23500.0.0_neutral_~_cw5n1h2txyewy from:   finished successfully."
    );
    // The seed's message is empty, so the detail renders the template.
    let d = EventDetail::build(&e);
    assert_eq!(d.message.as_deref(), Some(text.as_str()));
}

#[test]
fn catalogue_loads_with_all_providers() {
    let c = Catalogue::get();
    assert_eq!(c.load_error, None);
    let counts: Vec<(&str, usize)> = c
        .providers
        .iter()
        .map(|p| (p.name.as_str(), p.events.len()))
        .collect();
    for (name, n) in [
        (PROVIDER, 2074),
        ("Microsoft-Windows-AppxPackagingOM", 324),
        ("Microsoft-Windows-AppModel-Runtime", 130),
        ("Microsoft-Windows-AppXDeployment", 93),
        ("Microsoft-Windows-AppXDeployment-Server-UndockedDeh", 16),
    ] {
        assert!(counts.contains(&(name, n)), "{name}: {counts:?}");
    }
    let e157 = c.event("Microsoft-Windows-AppxPackagingOM", 157).unwrap();
    assert_eq!(e157.fields[0].name, "subjectName");
    assert_eq!(e157.opcode.as_deref(), Some("Verifying"));
    let e400 = c.event(PROVIDER, 400).unwrap();
    assert_eq!(e400.keywords, ["APPXDEPLOYMENTSERVER_KEYWORD"]);
    assert_eq!(e400.field_history.len(), 7);
    assert_eq!(c.event(PROVIDER, 999_999), None);
    // An unknown value is Unknown, not guessed.
    let v = decode(PROVIDER, 400, "DeploymentOperation", &Value::UInt(21)).unwrap();
    assert_eq!(v.decoded, Decoded::Unknown);
}
