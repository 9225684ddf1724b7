//! Package full-name parsing and package detection on events.
//! Names come from ../shared (seed, cases-json, sigma-cases, shapes.md); events built here are made
//! for the test and labelled so.

#![allow(clippy::unwrap_used)] // tests may unwrap (house rules)

use appxview::model::{Event, Sym, Value};
use appxview::schema::package::{PackageId, find_in_text, package_name_of, package_of};

fn shared(path: &str) -> String {
    let full = format!("{}/../shared/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// Made event: only the given fields and message.
fn event(fields: &[(&str, &str)], message: Option<&str>) -> Event {
    Event {
        fields: fields
            .iter()
            .map(|(n, v)| (Sym::new(n), Value::Str((*v).into())))
            .collect(),
        message: message.map(Into::into),
        ..Event::default()
    }
}

#[test]
fn seed_bundle_full_name_parses() {
    let seed = shared("seed/000_5679dd24a6f8c259.txt");
    let name = "MicrosoftWindows.Client.WebExperience_423.23500.0.0_neutral_~_cw5n1h2txyewy";
    assert!(seed.contains(name), "the seed carries the bundle name");
    let id = PackageId::parse(name).unwrap();
    assert_eq!(
        id,
        PackageId {
            name: "MicrosoftWindows.Client.WebExperience".into(),
            version: "423.23500.0.0".into(),
            architecture: "neutral".into(),
            resource_id: "~".into(),
            publisher_id: "cw5n1h2txyewy".into(),
        }
    );
    assert_eq!(
        id.family_name(),
        "MicrosoftWindows.Client.WebExperience_cw5n1h2txyewy"
    );
    assert_eq!(id.full_name(), name);
}

#[test]
fn shared_case_names_parse() {
    let sources = shared("sigma-cases/events.jsonl")
        + &shared("cases-json/shape_winlogbeat_ecs.jsonl")
        + &shared("schema/shapes.md");
    for (name, arch, publisher) in [
        (
            "Microsoft.VCLibs.120.00_12.0.21005.1_x86__8wekyb3d8bbwe",
            "x86",
            "8wekyb3d8bbwe",
        ),
        (
            "Contoso.SampleApp_1.2.3.0_x64__abcd1234efgh5",
            "x64",
            "abcd1234efgh5",
        ),
    ] {
        assert!(sources.contains(name), "{name} is in the shared cases");
        let id = PackageId::parse(name).unwrap();
        assert_eq!(id.architecture, arch);
        assert_eq!(id.resource_id, "");
        assert_eq!(id.publisher_id, publisher);
    }
}

#[test]
fn odd_names_are_not_packages() {
    for bad in [
        "",
        "Notepad",
        "NoUnderscoresAtAll.exe",
        "Name_1.0.0.0_x64__8wekyb3d8bbw",   // publisher id 12 chars
        "Name_1.0.0.0_x64__8wekyb3d8bbwee", // 14 chars
        "Name_1.0.0.0_x64__8wekyb3d8bbwi",  // 'i' is not in the alphabet
        "Name_1.0.0.0_x64_8wekyb3d8bbwe",   // too few parts
        "Name_1.0.0_x64__8wekyb3d8bbwe",    // three-part version
        "Name_1.0.0.70000_x64__8wekyb3d8bbwe", // version part > 65535
        "Name_1.0.0.0_sparc__8wekyb3d8bbwe", // unknown architecture
        "Na me_1.0.0.0_x64__8wekyb3d8bbwe",
        "A_B_1.0.0.0_x64__8wekyb3d8bbwe",
        "3669e262-ec02-4e9d-bcb4-3d008b4afac9", // Sigma's malicious name, alone
    ] {
        assert_eq!(PackageId::parse(bad), None, "{bad:?}");
    }
}

#[test]
fn family_name_parses_and_rejects() {
    let id = PackageId::parse_family("Microsoft.WindowsStore_8wekyb3d8bbwe").unwrap();
    assert_eq!(id.name, "Microsoft.WindowsStore");
    assert!(id.is_family_only());
    assert_eq!(PackageId::parse_family("NULL"), None);
    assert_eq!(
        PackageId::parse_family("Microsoft.WindowsStore_8wekyb3d8bbw"),
        None
    );
}

#[test]
fn event_full_name_field_wins() {
    // Made event.
    let e = event(
        &[
            ("MainPackageFamilyName", "Other.App_8wekyb3d8bbwe"),
            (
                "PackageFullName",
                "Microsoft.Paint_11.2208.6.0_x64__8wekyb3d8bbwe",
            ),
        ],
        None,
    );
    assert_eq!(package_of(&e).unwrap().name, "Microsoft.Paint");
    assert_eq!(package_name_of(&e).as_deref(), Some("Microsoft.Paint"));
    // The lower-case spelling used by some events.
    let e = event(
        &[(
            "packageFullName",
            "Microsoft.Paint_11.2208.6.0_x64__8wekyb3d8bbwe",
        )],
        None,
    );
    assert_eq!(package_of(&e).unwrap().version, "11.2208.6.0");
}

#[test]
fn event_family_name_when_no_full_name() {
    // Made event: the seed's MainPackageFamilyName "NULL" is not a family name.
    let e = event(
        &[
            ("MainPackageFamilyName", "NULL"),
            ("PackageFamilyName", "Microsoft.WindowsStore_8wekyb3d8bbwe"),
        ],
        None,
    );
    let id = package_of(&e).unwrap();
    assert_eq!(id.family_name(), "Microsoft.WindowsStore_8wekyb3d8bbwe");
    assert_eq!(id.version, "");
    assert_eq!(id.architecture, "");
}

#[test]
fn event_package_in_path_and_message() {
    // Path as in the shared cases.
    let e = event(
        &[(
            "Path",
            r"C:\Program Files\WindowsApps\Microsoft.ScreenSketch_11.2601.12.0_arm64__8wekyb3d8bbwe\ScreenSketch.exe",
        )],
        None,
    );
    assert_eq!(package_of(&e).unwrap().architecture, "arm64");
    // Made: a Deleted folder with a suffix after the publisher id.
    let e = event(
        &[(
            "Path",
            r"C:\Program Files\WindowsApps\Deleted\Microsoft.3DBuilder_10.9.50.0_x64__8wekyb3d8bbwe1c2e3f4a-0000-4000-8000-000000000000",
        )],
        None,
    );
    assert_eq!(package_of(&e).unwrap().name, "Microsoft.3DBuilder");
    // Made: message text, the sentence ending right after the name.
    let e = event(
        &[],
        Some(
            "Deployment Remove operation on Package Microsoft.Paint_11.2208.6.0_x64__8wekyb3d8bbwe.",
        ),
    );
    assert_eq!(package_name_of(&e).as_deref(), Some("Microsoft.Paint"));
    // Nothing there.
    let e = event(
        &[("Path", r"C:\Users\x\Downloads\setup.msix")],
        Some("no package here"),
    );
    assert_eq!(package_of(&e), None);
    assert_eq!(find_in_text("a_b_c_d_e"), None);
}
