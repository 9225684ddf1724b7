//! Sigma engine speed: `cargo bench --bench sigma` (a plain `main`, no harness).
//!
//! 1. Loading every SigmaHQ rule under `../shared/sigmahq/rules*` (goal: under 5 s).
//! 2. The built-in AppX pack over N made events (default 1,000,000; `--events N` or
//!    `APPXVIEW_BENCH_EVENTS`): AppX deployment events shaped like the seed's 400/854, plus
//!    other logs.
//! 3. Every loaded SigmaHQ rule for Windows over every event of the regression EVTX files
//!    (`../shared/sigmahq/regression_data/**.evtx`, read once with the crate's ingest), repeated
//!    until at least `--min-secs` (default 3) have passed.
//!
//! Prints one line per measurement, then one JSON line with every number. Unknown arguments
//! (cargo passes `--bench`) are ignored.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A benchmark fails loudly on purpose.

mod common;
#[path = "../tests/sigma_support/mod.rs"]
mod sigma_support;

use common::option;
use sigma_support::{regression_evtx_files, rule_dirs, yml_files};

use std::time::{Duration, Instant};

use appxview::model::{Event, Sym, Value};
use appxview::sigma::{LogsourcePred, RuleSet};

struct LoadResult {
    set: RuleSet,
    files: usize,
    failed_files: usize,
    secs: f64,
}

/// (1) Loads every SigmaHQ rule file, one file at a time, timing the whole (reading included).
fn load_sigmahq() -> LoadResult {
    let mut files = Vec::new();
    for dir in rule_dirs() {
        yml_files(&dir, &mut files);
    }
    files.sort();
    let start = Instant::now();
    let mut set = RuleSet::default();
    let mut failed_files = 0usize;
    for file in &files {
        let before = set.errors.len();
        set.load_path(file);
        if set.errors.len() > before {
            failed_files += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    LoadResult {
        set,
        files: files.len(),
        failed_files,
        secs,
    }
}

/// A made event.
fn made(channel: &str, provider: &str, id: u32, fields: Vec<(&str, Value)>) -> Event {
    Event {
        provider: Sym::new(provider),
        channel: Sym::new(channel),
        event_id: Some(id),
        fields: fields.into_iter().map(|(n, v)| (Sym::new(n), v)).collect(),
        ..Event::default()
    }
}

/// Made templates: AppX deployment events (some that rules flag) and one Security logon.
fn appx_templates() -> Vec<Event> {
    let appx = (
        "Microsoft-Windows-AppXDeploymentServer/Operational",
        "Microsoft-Windows-AppXDeployment-Server",
    );
    let s = |t: &str| Value::Str(t.into());
    vec![
        made(
            appx.0,
            appx.1,
            400,
            vec![
                ("DeploymentOperation", Value::UInt(12)),
                (
                    "PackageFullName",
                    s(
                        "MicrosoftWindows.Client.WebExperience_423.23500.0.0_neutral_~_cw5n1h2txyewy",
                    ),
                ),
                ("Path", s(" ")),
                ("HasFullTrust", Value::Bool(false)),
                ("CallingProcess", s("")),
                ("PackageSourceUri", s("")),
            ],
        ),
        made(
            appx.0,
            appx.1,
            400,
            vec![
                (
                    "PackageFullName",
                    s("Fabrikam.Helper_1.0.0.0_x64__8wekyb3d8bbwe"),
                ),
                ("HasFullTrust", Value::Bool(true)),
                ("CallingProcess", s("powershell.exe")),
                (
                    "PackageSourceUri",
                    s("https://downloads.fabrikam.example/helper.msix"),
                ),
            ],
        ),
        made(
            appx.0,
            appx.1,
            854,
            vec![(
                "Path",
                s("C:\\Program Files\\WindowsApps\\Microsoft.VCLibs\\AppxManifest.xml"),
            )],
        ),
        made(
            appx.0,
            appx.1,
            854,
            vec![("Path", s("https://github.com/evil/app.msix"))],
        ),
        made(
            appx.0,
            appx.1,
            401,
            vec![
                ("ErrorCode", s("0x80073CF3")),
                ("PackageFullName", s("Contoso.App_1.0.0.0_x64__abc")),
            ],
        ),
        made(appx.0, appx.1, 603, vec![("Flags", Value::UInt(0))]),
        made(appx.0, appx.1, 10001, vec![]),
        made(
            "Security",
            "Microsoft-Windows-Security-Auditing",
            4624,
            vec![("TargetUserName", s("bob"))],
        ),
    ]
}

/// Events per second over `events`, with the number of detections.
fn evaluate_all(set: &RuleSet, events: &[Event]) -> (f64, usize) {
    let start = Instant::now();
    let mut hits = 0usize;
    for e in events {
        hits += set.evaluate(e).len();
    }
    (start.elapsed().as_secs_f64(), hits)
}

struct AppxResult {
    rules: usize,
    events: usize,
    secs: f64,
    hits: usize,
    matching_only_secs: f64,
    quiet_secs: f64,
}

/// (2) The built-in AppX pack over `n` made events.
fn appx_pack(n: usize) -> AppxResult {
    let templates = appx_templates();
    let events: Vec<Event> = (0..n)
        .map(|i| templates[i % templates.len()].clone())
        .collect();
    let set = RuleSet::builtin();
    assert!(set.errors.is_empty(), "built-in pack: {:?}", set.errors);
    let (secs, hits) = evaluate_all(&set, &events);
    assert!(hits > 0, "no AppX rule fired");

    // The same without building the Why lists (rule matching only).
    let start = Instant::now();
    let mut fired = 0usize;
    for e in &events {
        fired += set.rules.iter().filter(|r| r.matches(e)).count();
    }
    let matching_only_secs = start.elapsed().as_secs_f64();
    assert_eq!(fired, hits);

    // A quiet log: no rule fires (the usual case outside an incident).
    let quiet: Vec<Event> = templates
        .iter()
        .filter(|e| set.evaluate(e).is_empty())
        .cloned()
        .collect();
    let quiet: Vec<Event> = (0..n).map(|i| quiet[i % quiet.len()].clone()).collect();
    let (quiet_secs, none) = evaluate_all(&set, &quiet);
    assert_eq!(none, 0);
    AppxResult {
        rules: set.rules.len(),
        events: n,
        secs,
        hits,
        matching_only_secs,
        quiet_secs,
    }
}

struct WindowsResult {
    rules: usize,
    files: usize,
    events: usize,
    read_secs: f64,
    passes: usize,
    secs: f64,
    hits_per_pass: usize,
    flagged_events: usize,
    /// Rule checks per pass whose logsource (and required event ids) let the detection run.
    applicable: usize,
}

/// (3) Every Windows SigmaHQ rule over every regression EVTX event, `passes` times until
/// `min_secs` have passed.
fn windows_rules(loaded: &RuleSet, min_secs: f64) -> WindowsResult {
    let mut set = RuleSet::from_rules(
        loaded
            .rules
            .iter()
            .filter(|r| *r.logsource() != LogsourcePred::Never)
            .cloned()
            .collect(),
    );
    for rule in &mut set.rules {
        rule.enabled = true;
    }
    let files = regression_evtx_files();
    let start = Instant::now();
    let mut events = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let load = appxview::ingest::read_path(file, i as u32);
        if let Some(error) = &load.source.error {
            eprintln!("  skipped {}: {error}", file.display());
        }
        events.extend(load.events);
    }
    let read_secs = start.elapsed().as_secs_f64();
    assert!(!events.is_empty(), "no regression events");

    let flagged_events = events
        .iter()
        .filter(|e| !set.evaluate(e).is_empty())
        .count();
    let applicable = events
        .iter()
        .map(|e| {
            set.rules
                .iter()
                .filter(|r| {
                    r.applies_to(e)
                        && r.required_event_ids()
                            .is_none_or(|ids| e.event_id.is_some_and(|id| ids.contains(&id)))
                })
                .count()
        })
        .sum();
    let mut passes = 0usize;
    let mut hits_per_pass = 0usize;
    let min = Duration::from_secs_f64(min_secs);
    let start = Instant::now();
    while passes < 3 || start.elapsed() < min {
        let mut hits = 0usize;
        for e in &events {
            hits += set.evaluate(e).len();
        }
        hits_per_pass = hits;
        passes += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    WindowsResult {
        rules: set.rules.len(),
        files: files.len(),
        events: events.len(),
        read_secs,
        passes,
        secs,
        hits_per_pass,
        flagged_events,
        applicable,
    }
}

fn main() {
    let n: usize = option("events", "APPXVIEW_BENCH_EVENTS")
        .map(|v| v.replace('_', "").parse().expect("--events N"))
        .unwrap_or(1_000_000);
    let min_secs: f64 = option("min-secs", "APPXVIEW_BENCH_MIN_SECS")
        .map(|v| v.parse().expect("--min-secs S"))
        .unwrap_or(3.0);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cfg!(debug_assertions) {
        eprintln!("warning: not an optimised build; run `cargo bench --bench sigma`");
    }

    let load = load_sigmahq();
    let loaded = load.set.rules.len();
    println!(
        "SigmaHQ load: {} files, {loaded} rules loaded, {} files failed, {} errors, {:.3} s = {:.0} rules/s (goal < 5 s)",
        load.files,
        load.failed_files,
        load.set.errors.len(),
        load.secs,
        loaded as f64 / load.secs,
    );

    let appx = appx_pack(n);
    println!(
        "AppX pack ({} rules): {} events in {:.3} s = {:.0} events/s, {} detections",
        appx.rules,
        appx.events,
        appx.secs,
        appx.events as f64 / appx.secs,
        appx.hits,
    );
    println!(
        "  matching only (no why): {:.3} s = {:.0} events/s",
        appx.matching_only_secs,
        appx.events as f64 / appx.matching_only_secs,
    );
    println!(
        "  events no rule fires on: {:.3} s = {:.0} events/s",
        appx.quiet_secs,
        appx.events as f64 / appx.quiet_secs,
    );

    let win = windows_rules(&load.set, min_secs);
    let evaluated = (win.events * win.passes) as f64;
    println!(
        "Windows rules ({} of {loaded}): {} events from {} regression EVTX files (read in {:.3} s), \
         {} passes in {:.3} s = {:.0} events/s, {} detections per pass on {} events",
        win.rules,
        win.events,
        win.files,
        win.read_secs,
        win.passes,
        win.secs,
        evaluated / win.secs,
        win.hits_per_pass,
        win.flagged_events,
    );
    println!(
        "  {:.0} rules per event get past the logsource and event-id check ({:.1} % of {} rule checks per pass); \
         {:.0} ns per rule check on average",
        win.applicable as f64 / win.events as f64,
        100.0 * win.applicable as f64 / (win.events * win.rules) as f64,
        win.events * win.rules,
        1e9 * win.secs / (evaluated * win.rules as f64),
    );

    let json = serde_json::json!({
        "cores": cores,
        "sigmahq_files": load.files,
        "sigmahq_rules_loaded": loaded,
        "sigmahq_files_failed": load.failed_files,
        "sigmahq_load_s": round(load.secs, 3),
        "sigmahq_rules_per_s": round(loaded as f64 / load.secs, 0),
        "appx_pack_rules": appx.rules,
        "appx_events": appx.events,
        "appx_s": round(appx.secs, 3),
        "appx_events_per_s": round(appx.events as f64 / appx.secs, 0),
        "appx_hits": appx.hits,
        "windows_rules": win.rules,
        "windows_events": win.events,
        "windows_passes": win.passes,
        "windows_s": round(win.secs, 3),
        "windows_events_per_s": round(evaluated / win.secs, 0),
        "windows_hits_per_pass": win.hits_per_pass,
        "windows_rules_applicable_per_event": round(win.applicable as f64 / win.events as f64, 1),
    });
    println!("{json}");
}

fn round(x: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (x * scale).round() / scale
}
