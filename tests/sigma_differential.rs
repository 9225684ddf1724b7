//! Differential test against an independent engine (the `sigma-rust` crate, dev-dependency
//! only): on ../shared/sigma-cases and on every event of the SigmaHQ regression EVTX files,
//! our detection must agree with sigma-rust, except where the case table (expected_matches.csv)
//! shows that sigma-rust is the one that is wrong. Detection only: sigma-rust has no logsource.
//! Known difference on real events: we find Defender's "Threat Name" for a rule's `ThreatName`
//! (sigma-rust needs the exact name), so at most 1 % of the pairs may differ.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod sigma_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use appxview::model::Event;
use appxview::sigma::RuleSet;
use sigma_support::{events_evtx, events_jsonl, shared, yml_files};

/// The event as one flat JSON object (System names + EventData), the shape sigma-rust reads.
fn flat(e: &Event) -> sigma_rust::Event {
    let mut m = serde_json::Map::new();
    if let Some(id) = e.event_id {
        m.insert("EventID".into(), id.into());
    }
    m.insert("Channel".into(), e.channel.as_str().into());
    m.insert("Provider_Name".into(), e.provider.as_str().into());
    for (k, v) in &e.fields {
        m.insert(k.as_str().to_string(), v.to_json());
    }
    sigma_rust::Event::try_from(serde_json::Value::Object(m)).expect("flat event")
}

fn rule_pair(path: &Path) -> Option<(RuleSet, sigma_rust::Rule)> {
    let text = std::fs::read_to_string(path).ok()?;
    let theirs = sigma_rust::rule_from_yaml(&text).ok()?;
    let mut ours = RuleSet::default();
    ours.load_str(&text, &path.display().to_string()).ok()?;
    (ours.rules.len() == 1).then_some((ours, theirs))
}

#[test]
fn sigma_differential_sigma_cases() {
    let dir = shared().join("sigma-cases");
    let events = events_jsonl(&dir.join("events.jsonl"));
    let mut expected: BTreeMap<(String, u64), bool> = BTreeMap::new();
    let mut reader = csv::Reader::from_path(dir.join("expected_matches.csv")).unwrap();
    for row in reader.records() {
        let row = row.unwrap();
        expected.insert(
            (row[0].to_string(), row[1].parse().unwrap()),
            &row[2] == "1",
        );
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    let (mut agree, mut they_wrong, mut we_wrong) = (0, Vec::new(), Vec::new());
    for f in &files {
        let short = f
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .split('_')
            .next()
            .unwrap()
            .to_string();
        let Some((ours, theirs)) = rule_pair(f) else {
            println!("sigma-rust cannot read {}", f.display());
            continue;
        };
        for e in &events {
            let a = ours.rules[0].matches_detection(e);
            let b = sigma_rust::check_rule(&theirs, &flat(e));
            let rec = e.record_id.unwrap();
            let want = expected
                .get(&(short.clone(), rec))
                .copied()
                .unwrap_or(false);
            if a == b {
                agree += 1;
            } else if a == want {
                they_wrong.push(format!(
                    "{short} record {rec}: expected {want}, sigma-rust {b}"
                ));
            } else {
                we_wrong.push(format!("{short} record {rec}: expected {want}, ours {a}"));
            }
        }
    }
    println!(
        "sigma-cases: {agree} pairs agree; sigma-rust differs from the table on {}:",
        they_wrong.len()
    );
    for l in &they_wrong {
        println!("  {l}");
    }
    assert!(we_wrong.is_empty(), "{}", we_wrong.join("\n"));
    assert!(agree > 100);
}

#[test]
fn sigma_differential_regression_events() {
    let root = shared().join("sigmahq");
    let mut files = Vec::new();
    for d in ["rules", "rules-emerging-threats", "rules-threat-hunting"] {
        yml_files(&root.join(d), &mut files);
    }
    let mut by_id = BTreeMap::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        if let Some(line) = text.lines().find(|l| l.starts_with("id:")) {
            by_id.insert(line[3..].trim().to_string(), f.clone());
        }
    }
    let mut infos = Vec::new();
    yml_files(&root.join("regression_data"), &mut infos);
    let (mut pairs, mut agree, mut skipped) = (0usize, 0usize, 0usize);
    let mut differ = Vec::new();
    for info in infos.iter().filter(|p| p.ends_with("info.yml")) {
        let doc: serde_yaml::Value =
            serde_yaml::from_str(&std::fs::read_to_string(info).unwrap()).unwrap();
        let Some(id) = doc["rule_metadata"][0]["id"].as_str() else {
            continue;
        };
        let Some(tests) = doc["regression_tests_info"].as_sequence() else {
            continue;
        };
        let Some(rule_file) = by_id.get(id) else {
            continue;
        };
        let Some((ours, theirs)) = rule_pair(rule_file) else {
            skipped += 1;
            continue;
        };
        for t in tests.iter().filter(|t| t["type"].as_str() == Some("evtx")) {
            let events = events_evtx(&root.join(t["path"].as_str().unwrap())).unwrap();
            for e in &events {
                pairs += 1;
                let a = ours.rules[0].matches_detection(e);
                let b = sigma_rust::check_rule(&theirs, &flat(e));
                if a == b {
                    agree += 1;
                } else {
                    differ.push(format!(
                        "{} record {:?}: ours {a}, sigma-rust {b}",
                        rule_file.display(),
                        e.record_id
                    ));
                }
            }
        }
    }
    let pct = 100.0 * agree as f64 / pairs.max(1) as f64;
    println!(
        "regression events: {agree}/{pairs} (rule, event) pairs agree ({pct:.2} %), {skipped} rules sigma-rust cannot read"
    );
    for d in &differ {
        println!("  DIFF {d}");
    }
    assert!(pairs > 500, "pairs: {pairs}");
    assert!(pct >= 99.0, "agreement {pct:.2} %");
}
