//! Speed check of the built-in AppX pack: 1M made events (AppX deployment events shaped like
//! the seed's event 400/854, plus other logs). Ignored by default; run in release mode:
//! `cargo test --release --test sigma_bench -- --ignored --nocapture`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use appxview::model::{Event, Sym, Value};
use appxview::sigma::RuleSet;

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

#[test]
#[ignore = "speed check; run in release mode"]
fn sigma_bench_appx_pack_1m_events() {
    let appx = (
        "Microsoft-Windows-AppXDeploymentServer/Operational",
        "Microsoft-Windows-AppXDeployment-Server",
    );
    let s = |t: &str| Value::Str(t.into());
    let templates = [
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
    ];
    let n = 1_000_000;
    let events: Vec<Event> = (0..n)
        .map(|i| templates[i % templates.len()].clone())
        .collect();
    let set = RuleSet::builtin();
    let start = Instant::now();
    let mut hits = 0usize;
    for e in &events {
        hits += set.evaluate(e).len();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "AppX pack ({} rules): {n} events in {secs:.3} s = {:.0} events/s, {hits} detections",
        set.rules.len(),
        n as f64 / secs
    );
    assert!(hits > 0);
    // the same without building the Why lists (rule matching only)
    let start = Instant::now();
    let mut fired = 0usize;
    for e in &events {
        fired += set.rules.iter().filter(|r| r.matches(e)).count();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "  matching only: {secs:.3} s = {:.0} events/s",
        n as f64 / secs
    );
    assert_eq!(fired, hits);
    // a quiet log: no rule fires (the usual case outside an incident)
    let quiet: Vec<Event> = events
        .iter()
        .filter(|e| set.evaluate(e).is_empty())
        .take(8)
        .cloned()
        .collect();
    let quiet: Vec<Event> = (0..n).map(|i| quiet[i % quiet.len()].clone()).collect();
    let start = Instant::now();
    let mut none = 0usize;
    for e in &quiet {
        none += set.evaluate(e).len();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "  events no rule fires on: {secs:.3} s = {:.0} events/s",
        n as f64 / secs
    );
    assert_eq!(none, 0);
}
