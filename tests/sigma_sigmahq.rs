#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on purpose.
//! The whole SigmaHQ rule set in ../shared/sigmahq/rules* must load (≥ 99.5 %), and every rule
//! with a regression EVTX must fire on it as often as its `info.yml` says. A process-creation
//! rule written with Sysmon names fires on a real Security 4688 (windows-audit field names).
//!
//! EVTX files are read with the crate's own ingest (`appxview::ingest::read_path`).

mod sigma_support;

use std::collections::BTreeMap;
use std::path::PathBuf;

use appxview::sigma::RuleSet;
use sigma_support::{events_evtx, rule_dirs, shared, yml_files};

/// Groups a reason by its kind (text before the first quote or colon detail).
fn reason_kind(reason: &str) -> String {
    let cut = reason.find(['\'', '(']).unwrap_or(reason.len());
    reason[..cut].trim().to_string()
}

#[test]
fn sigma_sigmahq_rules_load() {
    let mut files = Vec::new();
    for d in rule_dirs() {
        yml_files(&d, &mut files);
    }
    assert!(files.len() > 3000, "rule files: {}", files.len());
    let mut set = RuleSet::default();
    let mut failed_files = 0usize;
    for f in &files {
        let before = set.errors.len();
        set.load_path(f);
        if set.errors.len() > before {
            failed_files += 1;
        }
    }
    let loaded = set.rules.len();
    let total = files.len();
    let pct = 100.0 * (total - failed_files) as f64 / total as f64;
    println!(
        "SigmaHQ: {total} files, {loaded} rules loaded, {failed_files} files with failures ({pct:.2} % of files load)"
    );
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in &set.errors {
        assert!(
            !e.reason.trim().is_empty(),
            "failure without reason: {}",
            e.source
        );
        assert!(!e.source.is_empty());
        groups
            .entry(reason_kind(&e.reason))
            .or_default()
            .push(format!("{e}"));
    }
    for (kind, list) in &groups {
        println!("  {} × {kind}", list.len());
        for l in list {
            println!("      {l}");
        }
    }
    assert!(pct >= 99.5, "only {pct:.2} % load");
}

#[derive(Debug)]
struct Case {
    rule_id: String,
    evtx: PathBuf,
    count: Option<usize>,
}

fn regression_cases() -> Vec<Case> {
    let root = shared().join("sigmahq");
    let mut infos = Vec::new();
    yml_files(&root.join("regression_data"), &mut infos);
    let mut cases = Vec::new();
    for info in infos
        .iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "info.yml"))
    {
        let doc: serde_yaml::Value =
            serde_yaml::from_str(&std::fs::read_to_string(info).unwrap()).unwrap();
        let rule_id = doc["rule_metadata"][0]["id"].as_str().unwrap().to_string();
        // An info.yml without tests (its block commented out) has nothing to check.
        let Some(tests) = doc["regression_tests_info"].as_sequence() else {
            continue;
        };
        for t in tests {
            if t["type"].as_str() != Some("evtx") {
                continue;
            }
            let path = t["path"].as_str().unwrap();
            cases.push(Case {
                rule_id: rule_id.clone(),
                evtx: root.join(path),
                count: t["match_count"].as_u64().map(|n| n as usize),
            });
        }
    }
    cases.sort_by(|a, b| a.evtx.cmp(&b.evtx));
    cases
}

#[test]
fn sigma_sigmahq_regression_evtx() {
    // rule id → file
    let mut files = Vec::new();
    for d in rule_dirs() {
        yml_files(&d, &mut files);
    }
    let mut by_id: BTreeMap<String, PathBuf> = BTreeMap::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        if let Some(line) = text.lines().find(|l| l.starts_with("id:")) {
            by_id.insert(
                line[3..].trim().trim_matches(['\'', '"']).to_string(),
                f.clone(),
            );
        }
    }
    let cases = regression_cases();
    assert!(cases.len() >= 150, "cases: {}", cases.len());
    let (mut pass, mut exact, mut at_least) = (0usize, 0usize, 0usize);
    let mut misses = Vec::new();
    for case in &cases {
        let Some(rule_file) = by_id.get(&case.rule_id) else {
            misses.push(format!("{}: rule file not found", case.rule_id));
            continue;
        };
        let mut set = RuleSet::default();
        set.load_path(rule_file);
        if set.rules.is_empty() {
            misses.push(format!(
                "{}: rule does not load: {:?}",
                rule_file.display(),
                set.errors
            ));
            continue;
        }
        let events = match events_evtx(&case.evtx) {
            Ok(e) => e,
            Err(e) => {
                misses.push(format!("{}: cannot read evtx: {e}", case.evtx.display()));
                continue;
            }
        };
        let hits = events
            .iter()
            .filter(|e| !set.evaluate(e).is_empty())
            .count();
        let detection_only = events
            .iter()
            .filter(|e| set.rules.iter().any(|r| r.matches_detection(e)))
            .count();
        let want = case.count.unwrap_or(1);
        if hits >= want {
            pass += 1;
            if hits == want {
                exact += 1;
            } else {
                at_least += 1;
                println!(
                    "  MORE {} ({}): {hits} hits, count {want}",
                    rule_file.display(),
                    case.rule_id
                );
                for e in events.iter().filter(|e| !set.evaluate(e).is_empty()) {
                    let why: Vec<String> = set
                        .evaluate(e)
                        .iter()
                        .flat_map(|d| d.why.iter())
                        .map(|w| format!("{}={:?} ~ {}", w.field, w.value, w.pattern))
                        .collect();
                    println!("      record {:?}: {}", e.record_id, why.join("; "));
                }
            }
        } else {
            let why = if detection_only >= want {
                "logsource did not apply (detection alone matches)".to_string()
            } else {
                let channels: std::collections::BTreeSet<String> = events
                    .iter()
                    .map(|e| format!("{}/{}", e.channel, e.event_id.unwrap_or(0)))
                    .collect();
                format!("detection matched {detection_only} events; events are {channels:?}")
            };
            misses.push(format!(
                "{} ({}): {hits} hits, want {want}: {why}",
                rule_file.display(),
                case.rule_id
            ));
        }
    }
    let pct = 100.0 * pass as f64 / cases.len() as f64;
    println!(
        "regression: {pass}/{} pass ({pct:.1} %), exact count {exact}, more than count {at_least}",
        cases.len()
    );
    for m in &misses {
        println!("  MISS {m}");
    }
    assert!(pct >= 95.0, "regression pass rate {pct:.1} %");
}

/// SigmaHQ's windows-audit pipeline on real data: the OTRF bitsadmin sample (../shared/samples,
/// an NXLog-style export) holds the same bitsadmin run as Sysmon 1 and as Security 4688; the
/// SigmaHQ rule written with Sysmon names (`Image`) fires on both.
#[test]
fn sigma_sigmahq_process_creation_fires_on_security_4688() {
    let rule = shared()
        .join("sigmahq/rules/windows/process_creation/proc_creation_win_bitsadmin_download.yml");
    let mut set = RuleSet::default();
    assert_eq!(set.load_path(&rule), 1, "{:?}", set.errors);
    let sample =
        shared().join("samples/otrf/cmd_bitsadmin_download_psh_script_2020-10-2302365189.json");
    let load = appxview::ingest::read_path(&sample, 0);
    assert!(load.source.error.is_none(), "{:?}", load.source.error);
    let hits: Vec<_> = load
        .events
        .iter()
        .filter_map(|e| set.evaluate(e).pop().map(|d| (e, d)))
        .collect();
    let mut kinds: Vec<(&str, Option<u32>)> = hits
        .iter()
        .map(|(e, _)| (e.channel.as_str(), e.event_id))
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            ("Microsoft-Windows-Sysmon/Operational", Some(1)),
            ("Security", Some(4688))
        ],
        "one Sysmon 1 and one Security 4688"
    );
    let (event, detection) = hits
        .iter()
        .find(|(e, _)| e.event_id == Some(4688))
        .expect("the 4688 hit");
    let image = detection
        .why
        .iter()
        .find(|w| w.field == "Image")
        .expect("Image is a reason");
    assert_eq!(image.value, r"C:\Windows\System32\bitsadmin.exe");
    assert_eq!(
        event
            .field("NewProcessName")
            .map(|v| v.to_text().into_owned()),
        Some(image.value.clone())
    );
    assert!(event.field("Image").is_none(), "4688 has no Image field");
}
