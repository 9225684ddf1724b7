#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on purpose.
//! ../shared/sigma-cases: every (rule, record) pair as `expected_matches.csv` says, and every
//! pair it does not list must not match.
//!
//! The cases test detection semantics. Rule r5 declares `category: process_creation` but its
//! events are AppX-shaped (AppXDeployment-Server channel, no event id), so the pairs are
//! checked with `Rule::matches_detection`; `Rule::matches` (with logsource) must agree for
//! every rule whose logsource covers the events, and r5 must be stopped by its logsource.

mod sigma_support;

use std::collections::{BTreeMap, BTreeSet};

use appxview::sigma::RuleSet;
use sigma_support::{events_jsonl, shared};

#[test]
fn sigma_cases_match_expected_table() {
    let dir = shared().join("sigma-cases");
    let events = events_jsonl(&dir.join("events.jsonl"));
    assert!(events.len() >= 30, "events: {}", events.len());

    // rule short name (file prefix before '_') → rule index
    let mut set = RuleSet::default();
    let mut by_name = BTreeMap::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
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
        let text = std::fs::read_to_string(f).unwrap();
        let n = set
            .load_str(&text, &f.display().to_string())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(n, 1);
        by_name.insert(short, set.rules.len() - 1);
    }
    assert!(set.errors.is_empty(), "{:?}", set.errors);

    let mut expected: BTreeMap<(String, u64), bool> = BTreeMap::new();
    let mut reader = csv::Reader::from_path(dir.join("expected_matches.csv")).unwrap();
    for row in reader.records() {
        let row = row.unwrap();
        let rule = row[0].to_string();
        let rec: u64 = row[1].parse().unwrap();
        expected.insert((rule, rec), &row[2] == "1");
    }
    let listed_rules: BTreeSet<&String> = expected.keys().map(|(r, _)| r).collect();
    for r in &listed_rules {
        assert!(by_name.contains_key(*r), "no rule file for {r}");
    }

    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, &idx) in &by_name {
        let rule = &set.rules[idx];
        for ev in &events {
            let rec = ev.record_id.unwrap();
            let want = expected.get(&(name.clone(), rec)).copied().unwrap_or(false);
            let got = rule.matches_detection(ev);
            checked += 1;
            if got != want {
                failures.push(format!("{name} record {rec}: expected {want}, got {got}"));
            }
            // With the logsource: r5 (process_creation) never applies to these AppX events;
            // every other rule gives the same answer as its detection.
            let full = rule.matches(ev);
            let want_full = want && name != "r5";
            if full != want_full {
                failures.push(format!(
                    "{name} record {rec}: with logsource expected {want_full}, got {full}"
                ));
            }
            // A hit explains itself.
            if got {
                let why = rule.explain(ev);
                if why.is_empty() {
                    failures.push(format!("{name} record {rec}: hit without why"));
                }
            }
        }
    }
    println!("checked {checked} (rule, event) pairs");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn sigma_cases_why_names_field_value_and_pattern() {
    let dir = shared().join("sigma-cases");
    let events = events_jsonl(&dir.join("events.jsonl"));
    let mut set = RuleSet::default();
    set.load_path(&dir.join("r1_one_of_selection_and.yml"));
    assert_eq!(set.rules.len(), 1);
    let ev = events.iter().find(|e| e.record_id == Some(1)).unwrap();
    let hits = set.evaluate(ev);
    assert_eq!(hits.len(), 1);
    let why = &hits[0].why;
    assert!(
        why.iter().all(|w| w.selection == "selection_pkg"),
        "{why:?}"
    );
    let pkg = why.iter().find(|w| w.field == "PackageFullName").unwrap();
    assert_eq!(
        pkg.value,
        "Microsoft.VCLibs.120.00_12.0.21005.1_x86__8wekyb3d8bbwe"
    );
    assert_eq!(pkg.pattern, "contains: VCLibs");
    let eid = why.iter().find(|w| w.field == "EventID").unwrap();
    assert_eq!((eid.value.as_str(), eid.pattern.as_str()), ("400", "400"));
    // keywords: field is empty, value is the event's value that contained the keyword
    let mut set = RuleSet::default();
    set.load_path(&dir.join("r9_keywords.yml"));
    let ev = events.iter().find(|e| e.record_id == Some(81)).unwrap();
    let why = set.rules[0].explain(ev);
    let kw = why.iter().find(|w| w.selection == "keywords").unwrap();
    assert_eq!(kw.field, "");
    assert_eq!(kw.value, "fabrikam.EVILPKG_2.0.0.0_x64__xyz");
}
