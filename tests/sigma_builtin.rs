#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on purpose.
//! The built-in AppX pack: for each rule, made positive and negative events (one negative per
//! filter), the seed's example event flagged by no rule, and the same answers as the SigmaHQ
//! rule each one is derived from.
//!
//! All events below are made for these tests (labelled "made"), shaped like the seed's
//! event 400 (AppXDeployment-Server channel, seed field names and value styles).

mod sigma_support;

use std::path::PathBuf;

use appxview::model::{Event, Sym, Value};
use appxview::sigma::{BUILTIN_FILES, RuleSet, Severity};
use sigma_support::shared;

const DEPLOY: (&str, &str) = (
    "Microsoft-Windows-AppXDeployment-Server",
    "Microsoft-Windows-AppXDeploymentServer/Operational",
);
const PACKAGING: (&str, &str) = (
    "Microsoft-Windows-AppxPackagingOM",
    "Microsoft-Windows-AppxPackaging/Operational",
);
const RUNTIME: (&str, &str) = (
    "Microsoft-Windows-AppModel-Runtime",
    "Microsoft-Windows-AppModel-Runtime/Admin",
);

fn s(t: &str) -> Value {
    Value::Str(t.into())
}

/// A made event in the given log.
fn made(log: (&str, &str), id: u32, fields: &[(&str, Value)]) -> Event {
    Event {
        provider: Sym::new(log.0),
        channel: Sym::new(log.1),
        event_id: Some(id),
        computer: Sym::new("WinDev2310Eval"),
        user_sid: Some(Sym::new("S-1-5-18")),
        fields: fields
            .iter()
            .map(|(n, v)| (Sym::new(n), v.clone()))
            .collect(),
        ..Event::default()
    }
}

/// A made seed-shaped event 400 with full trust from an unknown web host.
fn full_trust(overrides: &[(&str, Value)]) -> Event {
    let mut fields: Vec<(&str, Value)> = vec![
        ("DeploymentOperation", Value::UInt(1)),
        (
            "PackageFullName",
            s("Fabrikam.Helper_1.0.0.0_x64__8wekyb3d8bbwe"),
        ),
        ("Path", s("https://downloads.fabrikam.example/helper.msix")),
        ("HasFullTrust", Value::Bool(true)),
        (
            "CallingProcess",
            s("C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"),
        ),
        (
            "PackageSourceUri",
            s("https://downloads.fabrikam.example/helper.msix"),
        ),
    ];
    for (k, v) in overrides {
        match fields.iter_mut().find(|(n, _)| n == k) {
            Some(slot) => slot.1 = v.clone(),
            None => fields.push((k, v.clone())),
        }
    }
    made(DEPLOY, 400, &fields)
}

fn path854(path: &str) -> Event {
    made(DEPLOY, 854, &[("Path", s(path))])
}

/// (rule file, label, event, should the rule fire)
fn cases() -> Vec<(&'static str, &'static str, Event, bool)> {
    let mal = "Contoso.3669e262-ec02-4e9d-bcb4-3d008b4afac9_1.0.0.0_x64__abc";
    let cert = "CN=Foresee Consulting Inc., O=Foresee Consulting Inc., L=North York, S=Ontario, C=CA, SERIALNUMBER=1004913-1, OID.1.3.6.1.4.1.311.60.2.1.3=CA, OID.2.5.4.15=Private Organization";
    vec![
        (
            "appx_blocked_by_applocker.yml",
            "event 412",
            made(DEPLOY, 412, &[]),
            true,
        ),
        (
            "appx_blocked_by_applocker.yml",
            "event 413",
            made(DEPLOY, 413, &[]),
            false,
        ),
        (
            "appx_blocked_by_applocker.yml",
            "412 in another log",
            made(PACKAGING, 412, &[]),
            false,
        ),
        (
            "appx_blocked_by_policy.yml",
            "441",
            made(DEPLOY, 441, &[]),
            true,
        ),
        (
            "appx_blocked_by_policy.yml",
            "442",
            made(DEPLOY, 442, &[]),
            true,
        ),
        (
            "appx_blocked_by_policy.yml",
            "453",
            made(DEPLOY, 453, &[]),
            true,
        ),
        (
            "appx_blocked_by_policy.yml",
            "454",
            made(DEPLOY, 454, &[]),
            true,
        ),
        (
            "appx_blocked_by_policy.yml",
            "443",
            made(DEPLOY, 443, &[]),
            false,
        ),
        (
            "appx_download_from_file_sharing.yml",
            "github",
            path854("https://github.com/evil/app/releases/download/1/app.msix"),
            true,
        ),
        (
            "appx_download_from_file_sharing.yml",
            "discord cdn, any case",
            path854("https://CDN.DISCORDAPP.COM/attachments/1/app.msixbundle"),
            true,
        ),
        (
            "appx_download_from_file_sharing.yml",
            "own host",
            path854("https://apps.contoso.example/app.msix"),
            false,
        ),
        (
            "appx_download_from_file_sharing.yml",
            "github but event 855",
            made(DEPLOY, 855, &[("Path", s("https://github.com/a.msix"))]),
            false,
        ),
        (
            "appx_failed_signing_requirements.yml",
            "0x80073CFF",
            made(DEPLOY, 401, &[("ErrorCode", s("0x80073CFF"))]),
            true,
        ),
        (
            "appx_failed_signing_requirements.yml",
            "other error",
            made(DEPLOY, 401, &[("ErrorCode", s("0x80073CF3"))]),
            false,
        ),
        (
            "appx_failed_signing_requirements.yml",
            "same code on 400",
            made(DEPLOY, 400, &[("ErrorCode", s("0x80073cff"))]),
            false,
        ),
        (
            "appx_known_malicious_package.yml",
            "400 bad name",
            made(DEPLOY, 400, &[("PackageFullName", s(mal))]),
            true,
        ),
        (
            "appx_known_malicious_package.yml",
            "401 bad name",
            made(DEPLOY, 401, &[("PackageFullName", s(mal))]),
            true,
        ),
        (
            "appx_known_malicious_package.yml",
            "402 bad name",
            made(DEPLOY, 402, &[("PackageFullName", s(mal))]),
            false,
        ),
        (
            "appx_known_malicious_package.yml",
            "400 good name",
            made(
                DEPLOY,
                400,
                &[(
                    "PackageFullName",
                    s("Microsoft.VCLibs.140.00_14.0.0.0_x64__8wekyb3d8bbwe"),
                )],
            ),
            false,
        ),
        (
            "appx_staging_directory.yml",
            "Downloads",
            path854("C:\\Users\\bob\\Downloads\\app.msix"),
            true,
        ),
        (
            "appx_staging_directory.yml",
            "file URL Users/Public",
            path854("file:///C:/Users/Public/app.msix"),
            true,
        ),
        (
            "appx_staging_directory.yml",
            "Windows Temp",
            path854("C:\\Windows\\Temp\\app.msix"),
            true,
        ),
        (
            "appx_staging_directory.yml",
            "Program Files",
            path854("C:\\Program Files\\WindowsApps\\app.msix"),
            false,
        ),
        (
            "appx_staging_directory.yml",
            "Downloads but 855",
            made(
                DEPLOY,
                855,
                &[("Path", s("C:\\Users\\bob\\Downloads\\app.msix"))],
            ),
            false,
        ),
        (
            "appx_uncommon_location.yml",
            "web host",
            path854("https://downloads.fabrikam.example/helper.msix"),
            true,
        ),
        (
            "appx_uncommon_location.yml",
            "share",
            path854("\\\\fileserver\\apps\\helper.msix"),
            true,
        ),
        (
            "appx_uncommon_location.yml",
            "filter main generic: Program Files",
            path854("C:\\Program Files\\WindowsApps\\x\\AppxManifest.xml"),
            false,
        ),
        (
            "appx_uncommon_location.yml",
            "filter main generic: file URL Program Files",
            path854("file:///C:/Program%20Files%20(x86)/x/app.msix"),
            false,
        ),
        (
            "appx_uncommon_location.yml",
            "filter main generic: SystemApps",
            path854("C:\\Windows\\SystemApps\\x\\AppxManifest.xml"),
            false,
        ),
        (
            "appx_uncommon_location.yml",
            "filter main generic: System32 URL",
            path854("file:///C:/Windows/System32/x.msix"),
            false,
        ),
        (
            "appx_uncommon_location.yml",
            "filter main specific: microsoft.com",
            path854("https://go.microsoft.com/fwlink/?linkid=2160968"),
            false,
        ),
        (
            "appx_uncommon_location.yml",
            "filter main specific: office cdn",
            path854("https://res.cdn.office.net/nativehost/x.msix"),
            false,
        ),
        (
            "appx_uncommon_location.yml",
            "filter main specific: teams",
            path854("https://statics.teams.cdn.office.net/x.msix"),
            false,
        ),
        (
            "appx_uncommon_location.yml",
            "filter optional: OneDrive",
            path854("C:\\Users\\bob\\AppData\\Local\\Microsoft\\OneDrive\\x.msix"),
            false,
        ),
        (
            "appx_uncommon_location.yml",
            "filter optional: winget",
            path854(
                "C:\\Users\\bob\\AppData\\Local\\Temp\\WinGet\\Microsoft.Winget.Source_8wekyb3d8bbwe\\source.msix",
            ),
            false,
        ),
        (
            "appx_uncommon_location.yml",
            "filter optional: windows update",
            path854("x-windowsupdate://Microsoft.Todos_2.1.0.0"),
            false,
        ),
        (
            "appx_full_trust_install.yml",
            "full trust from web",
            full_trust(&[]),
            true,
        ),
        (
            "appx_full_trust_install.yml",
            "not full trust",
            full_trust(&[("HasFullTrust", Value::Bool(false))]),
            false,
        ),
        (
            "appx_full_trust_install.yml",
            "full trust as text",
            full_trust(&[("HasFullTrust", s("true"))]),
            true,
        ),
        (
            "appx_full_trust_install.yml",
            "event 401",
            {
                let mut e = full_trust(&[]);
                e.event_id = Some(401);
                e
            },
            false,
        ),
        (
            "appx_full_trust_install.yml",
            "filter legit path",
            full_trust(&[(
                "PackageSourceUri",
                s("file:///C:/Program%20Files/Fabrikam/helper.msix"),
            )]),
            false,
        ),
        (
            "appx_full_trust_install.yml",
            "filter legit path x86",
            full_trust(&[(
                "PackageSourceUri",
                s("file:///C:/Program%20Files%20(x86)/Fabrikam/helper.msix"),
            )]),
            false,
        ),
        (
            "appx_full_trust_install.yml",
            "filter microsoft fwlink",
            full_trust(&[(
                "PackageSourceUri",
                s("https://go.microsoft.com/fwlink/?linkid=123"),
            )]),
            false,
        ),
        (
            "appx_full_trust_install.yml",
            "filter microsoft cdn",
            full_trust(&[(
                "PackageSourceUri",
                s("https://tlu.dl.delivery.mp.microsoft.com.cdn.microsoft.com/x.msix"),
            )]),
            false,
        ),
        (
            "appx_full_trust_install.yml",
            "filter office cdn",
            full_trust(&[("PackageSourceUri", s("https://res.cdn.office.net/x.msix"))]),
            false,
        ),
        (
            "appx_full_trust_install.yml",
            "filter caller sysprep",
            full_trust(&[("CallingProcess", s("sysprep.exe"))]),
            false,
        ),
        (
            "appx_full_trust_install.yml",
            "filter caller AppReadiness",
            full_trust(&[("CallingProcess", s("svchost.exe,AppReadiness"))]),
            false,
        ),
        (
            "appx_full_trust_install.yml",
            "filter windows update",
            full_trust(&[("PackageSourceUri", s("x-windowsupdate://x"))]),
            false,
        ),
        (
            "appx_full_trust_install.yml",
            "filter MicrosoftWindows.Client",
            full_trust(&[(
                "PackageFullName",
                s("MicrosoftWindows.Client.WebExperience_423.23500.0.0_neutral_~_cw5n1h2txyewy"),
            )]),
            false,
        ),
        (
            "appx_unsigned_install.yml",
            "flag as number",
            made(DEPLOY, 603, &[("Flags", Value::UInt(8388608))]),
            true,
        ),
        (
            "appx_unsigned_install.yml",
            "flag as text",
            made(DEPLOY, 603, &[("Flags", s("8388608"))]),
            true,
        ),
        (
            "appx_unsigned_install.yml",
            "other flags",
            made(DEPLOY, 603, &[("Flags", Value::UInt(0))]),
            false,
        ),
        (
            "appx_unsigned_install.yml",
            "flag on 604",
            made(DEPLOY, 604, &[("Flags", Value::UInt(8388608))]),
            false,
        ),
        (
            "appx_suspicious_signature.yml",
            "abused certificate",
            made(PACKAGING, 157, &[("subjectName", s(cert))]),
            true,
        ),
        (
            "appx_suspicious_signature.yml",
            "other certificate",
            made(
                PACKAGING,
                157,
                &[("subjectName", s("CN=Contoso Ltd, O=Contoso Ltd, C=US"))],
            ),
            false,
        ),
        (
            "appx_suspicious_signature.yml",
            "right event, wrong log",
            made(DEPLOY, 157, &[("subjectName", s(cert))]),
            false,
        ),
        (
            "appx_sysinternals_execution.yml",
            "PsExec any case",
            made(RUNTIME, 201, &[("ImageName", s("PsExec.exe"))]),
            true,
        ),
        (
            "appx_sysinternals_execution.yml",
            "ADExplorer",
            made(RUNTIME, 201, &[("ImageName", s("ADExplorer.exe"))]),
            true,
        ),
        (
            "appx_sysinternals_execution.yml",
            "notepad",
            made(RUNTIME, 201, &[("ImageName", s("notepad.exe"))]),
            false,
        ),
        (
            "appx_sysinternals_execution.yml",
            "psexec on 202",
            made(RUNTIME, 202, &[("ImageName", s("psexec.exe"))]),
            false,
        ),
        (
            "appx_successful_install_hunting.yml",
            "854",
            path854("C:\\Program Files\\WindowsApps\\x.msix"),
            true,
        ),
        (
            "appx_successful_install_hunting.yml",
            "855",
            made(DEPLOY, 855, &[]),
            false,
        ),
    ]
}

fn rule_index(set: &RuleSet, file: &str) -> usize {
    set.rules
        .iter()
        .position(|r| r.source == format!("builtin:{file}"))
        .unwrap_or_else(|| panic!("no built-in rule {file}"))
}

#[test]
fn sigma_builtin_pack_loads_and_is_attributed() {
    let set = RuleSet::builtin();
    assert!(set.errors.is_empty(), "{:?}", set.errors);
    assert_eq!(set.rules.len(), 12);
    assert!(
        set.rules
            .iter()
            .all(|r| r.builtin && r.enabled && !r.id.is_empty())
    );
    for (name, text) in BUILTIN_FILES {
        assert!(text.contains("type: derived"), "{name}");
        assert!(text.contains("DRL 1.1"), "{name}");
    }
    let hunting = &set.rules[rule_index(&set, "appx_successful_install_hunting.yml")];
    assert_eq!(hunting.level, Severity::Low);
    let sharing = &set.rules[rule_index(&set, "appx_download_from_file_sharing.yml")];
    assert_eq!(sharing.level, Severity::High);
    // the event-id prefilter is derived from the conditions
    let ids = |f: &str| {
        set.rules[rule_index(&set, f)]
            .required_event_ids()
            .map(<[u32]>::to_vec)
    };
    assert_eq!(
        ids("appx_known_malicious_package.yml"),
        Some(vec![400, 401])
    );
    assert_eq!(ids("appx_full_trust_install.yml"), Some(vec![400]));
    assert_eq!(ids("appx_uncommon_location.yml"), Some(vec![854]));
    assert_eq!(ids("appx_staging_directory.yml"), Some(vec![854]));
    assert_eq!(
        ids("appx_blocked_by_policy.yml"),
        Some(vec![441, 442, 453, 454])
    );
}

#[test]
fn sigma_builtin_pack_positive_and_negative_events() {
    let set = RuleSet::builtin();
    let mut failures = Vec::new();
    let mut covered = std::collections::BTreeSet::new();
    for (file, label, event, want) in cases() {
        let idx = rule_index(&set, file);
        covered.insert(file);
        let hits = set.evaluate(&event);
        let got = hits.iter().any(|d| d.rule == idx);
        if got != want {
            failures.push(format!("{file} / {label}: expected {want}, got {got}"));
        }
        if let Some(d) = hits.iter().find(|d| d.rule == idx)
            && d.why.is_empty()
        {
            failures.push(format!("{file} / {label}: hit without why"));
        }
    }
    assert_eq!(
        covered.len(),
        BUILTIN_FILES.len(),
        "every built-in rule has cases"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Our rules must answer like the SigmaHQ rules they are derived from, on every made event.
#[test]
fn sigma_builtin_pack_agrees_with_sigmahq_originals() {
    let ours = RuleSet::builtin();
    let root = shared().join("sigmahq");
    let mut failures = Vec::new();
    for (file, _) in BUILTIN_FILES {
        let text = BUILTIN_FILES
            .iter()
            .find(|(n, _)| n == file)
            .map(|(_, t)| *t)
            .unwrap_or("");
        let original_id = text
            .lines()
            .skip_while(|l| !l.starts_with("related:"))
            .find_map(|l| l.trim().strip_prefix("- id: "))
            .unwrap()
            .trim()
            .to_string();
        let original: PathBuf =
            find_rule(&root, &original_id).unwrap_or_else(|| panic!("SigmaHQ rule {original_id}"));
        let mut theirs = RuleSet::default();
        assert_eq!(theirs.load_path(&original), 1, "{}", original.display());
        let idx = rule_index(&ours, file);
        for (_, label, event, _) in cases() {
            let a = ours.rules[idx].matches(&event);
            let b = theirs.rules[0].matches(&event);
            if a != b {
                failures.push(format!(
                    "{file} vs {original_id} on '{label}': ours {a}, SigmaHQ {b}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn find_rule(dir: &std::path::Path, id: &str) -> Option<PathBuf> {
    for e in std::fs::read_dir(dir).ok()? {
        let p = e.ok()?.path();
        if p.is_dir() {
            if p.ends_with("regression_data") {
                continue;
            }
            if let Some(found) = find_rule(&p, id) {
                return Some(found);
            }
        } else if p.extension().is_some_and(|x| x == "yml")
            && std::fs::read_to_string(&p)
                .is_ok_and(|t| t.lines().any(|l| l.trim() == format!("id: {id}")))
        {
            return Some(p);
        }
    }
    None
}

/// The seed's example event 400 (between "Example Event #" and "Detection Rules #"), read
/// through the crate's ingest, is flagged by no built-in rule.
#[test]
fn sigma_builtin_pack_ignores_seed_example() {
    let seed_dir = shared().join("seed");
    let mut checked = 0;
    for entry in std::fs::read_dir(&seed_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "txt") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let start = text.find("Example Event #").unwrap() + "Example Event #".len();
        let end = text.find("Detection Rules #").unwrap();
        let json = text[start..end].trim();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("seed_example.json");
        std::fs::write(&file, json).unwrap();
        let load = appxview::ingest::read_path(&file, 0);
        assert!(load.source.error.is_none(), "{:?}", load.source.error);
        assert_eq!(load.events.len(), 1);
        let event = &load.events[0];
        assert_eq!(event.event_id, Some(400));
        let set = RuleSet::builtin();
        // the AppX rules do look at it (logsource applies)…
        assert!(set.rules.iter().any(|r| r.applies_to(event)));
        // …and none fires
        let hits = set.evaluate(event);
        assert!(
            hits.is_empty(),
            "seed example flagged: {:?}",
            hits.iter()
                .map(|d| &set.rules[d.rule].title)
                .collect::<Vec<_>>()
        );
        checked += 1;
    }
    assert!(checked >= 1);
}

/// Event 400 of Windows PowerShell (a real log in ../shared) never triggers an AppX rule.
#[test]
fn sigma_builtin_pack_ignores_powershell_400() {
    let dir = shared().join("samples/mdecrevoisier");
    let mut seen_400 = 0;
    let set = RuleSet::builtin();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let load = appxview::ingest::read_path(&path, 0);
        for e in &load.events {
            if e.event_id == Some(400) {
                seen_400 += 1;
            }
            assert!(
                set.evaluate(e).is_empty(),
                "{} record {:?} flagged",
                path.display(),
                e.record_id
            );
        }
    }
    assert!(seen_400 >= 1, "the sample holds PowerShell 400 events");
}
