//! A deterministic generator of realistic, made-up logs: AppX deployments of the Windows 11
//! schemas (603 → 854 → 157 → 400, or 401 + 404 on failure; 201 launches; rare 412 AppLocker
//! blocks) among non-AppX noise (Security 4624, System 7036, Windows PowerShell 400).
//!
//! Same seed, same events, on every platform (own PRNG, no clock). Times increase from
//! [`START`]. The benign stream is built so that none of the SigmaHQ AppX rules fires on it
//! except the AppLocker-block rule on its 412 events (full-trust packages come from filtered
//! sources; 603 Flags never 8388608; 854 paths are Program Files or Microsoft CDNs). The demo
//! sample adds labelled positives ([`demo_events`]). Does not know the Sigma engine.

use std::collections::VecDeque;
use std::io;
use std::path::Path;

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::EvtxWriter;
use super::events::{
    Origin, Package, applocker_blocked, deployment_error_summary, deployment_failed,
    deployment_started, deployment_succeeded, desktop_process_created, powershell_engine_started,
    security_logon, service_state, signature_validated, uri_added,
};
use crate::model::{Event, EventTime};

/// When synthetic logs start: 2024-03-05 08:00:00 UTC.
pub const START: i64 = 1_709_625_600;

/// A small, fast PRNG (SplitMix64).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5851_f42d_4c95_7f2d)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// One item of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// A GUID string in braces, uppercase (ActivityID style).
    pub fn guid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{{{:08X}-{:04X}-{:04X}-{:04X}-{:012X}}}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xffff,
            b >> 48,
            b & 0xffff_ffff_ffff
        )
    }
}

/// How a catalogue package is usually deployed.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Source {
    /// Microsoft Store update (`x-windowsupdate://`).
    Store,
    /// First-logon provisioning by AppReadiness (no source URI).
    Provisioned,
    /// An installer on a Microsoft CDN.
    MicrosoftCdn(&'static str),
    /// A line-of-business MSIX under Program Files.
    ProgramFiles(&'static str),
}

/// (name, display name, architecture, resource id, publisher id, full trust, image, source)
type Entry = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static str,
    Source,
);

/// Benign packages. Microsoft's publisher ids are the real, public ones; Contoso and Fabrikam
/// are made up.
const CATALOGUE: [Entry; 14] = [
    (
        "Microsoft.WindowsCalculator",
        "Windows Calculator",
        "x64",
        "",
        "8wekyb3d8bbwe",
        false,
        "CalculatorApp.exe",
        Source::Store,
    ),
    (
        "Microsoft.WindowsNotepad",
        "Windows Notepad",
        "x64",
        "",
        "8wekyb3d8bbwe",
        false,
        "Notepad.exe",
        Source::Store,
    ),
    (
        "Microsoft.WindowsTerminal",
        "Windows Terminal",
        "x64",
        "",
        "8wekyb3d8bbwe",
        true,
        "WindowsTerminal.exe",
        Source::Store,
    ),
    (
        "Microsoft.DesktopAppInstaller",
        "App Installer",
        "x64",
        "",
        "8wekyb3d8bbwe",
        true,
        "AppInstaller.exe",
        Source::Store,
    ),
    (
        "Microsoft.WindowsStore",
        "Microsoft Store",
        "x64",
        "",
        "8wekyb3d8bbwe",
        false,
        "WinStore.App.exe",
        Source::Store,
    ),
    (
        "Microsoft.ScreenSketch",
        "Snipping Tool",
        "x64",
        "",
        "8wekyb3d8bbwe",
        false,
        "SnippingTool.exe",
        Source::Store,
    ),
    (
        "Microsoft.VCLibs.140.00.UWPDesktop",
        "Microsoft Visual C++ 2015 UWP Desktop Runtime Package",
        "x64",
        "",
        "8wekyb3d8bbwe",
        false,
        "",
        Source::Provisioned,
    ),
    (
        "Microsoft.UI.Xaml.2.8",
        "Microsoft.UI.Xaml.2.8",
        "x64",
        "",
        "8wekyb3d8bbwe",
        false,
        "",
        Source::Provisioned,
    ),
    (
        "MicrosoftWindows.Client.WebExperience",
        "Windows Web Experience Pack",
        "neutral",
        "~",
        "cw5n1h2txyewy",
        true,
        "Widgets.exe",
        Source::Provisioned,
    ),
    (
        "MicrosoftWindows.Client.CBS",
        "Windows Feature Experience Pack",
        "neutral",
        "~",
        "cw5n1h2txyewy",
        true,
        "",
        Source::Provisioned,
    ),
    (
        "MSTeams",
        "Microsoft Teams",
        "x64",
        "",
        "8wekyb3d8bbwe",
        true,
        "ms-teams.exe",
        Source::MicrosoftCdn(
            "https://statics.teams.cdn.office.net/production-windows-x64/{v}/MSTeams-x64.msix",
        ),
    ),
    (
        "Microsoft.OutlookForWindows",
        "Outlook (new)",
        "x64",
        "",
        "8wekyb3d8bbwe",
        true,
        "olk.exe",
        Source::MicrosoftCdn(
            "https://res.cdn.office.net/nativehost/5mttl/installer/v2/{v}/Microsoft.OutlookForWindows_x64.msix",
        ),
    ),
    (
        "Contoso.Expenses",
        "Contoso Expenses",
        "x64",
        "",
        "q4d96b2w5wcc2",
        true,
        "ContosoExpenses.exe",
        Source::ProgramFiles(
            "file:///C:/Program%20Files/Contoso/Deploy/Contoso.Expenses_{v}_x64.msix",
        ),
    ),
    (
        "Fabrikam.FieldNotes",
        "Fabrikam Field Notes",
        "x64",
        "",
        "p7m3k9x2r5t1z",
        false,
        "FieldNotes.exe",
        Source::ProgramFiles(
            "file:///C:/Program%20Files/Fabrikam/Packages/Fabrikam.FieldNotes_{v}_x64.msix",
        ),
    ),
];

/// The machines of the made estate: (computer, user, user SID, AppXSvc process id).
const HOSTS: [(&str, &str, &str, u32); 4] = [
    (
        "WS01.contoso.test",
        "alice",
        "S-1-5-21-3623811015-3361044348-30300820-1013",
        4212,
    ),
    (
        "WS02.contoso.test",
        "bob",
        "S-1-5-21-3623811015-3361044348-30300820-1014",
        3988,
    ),
    (
        "LAPTOP-7H2KQ9.contoso.test",
        "carol",
        "S-1-5-21-3623811015-3361044348-30300820-1021",
        5120,
    ),
    (
        "DESKTOP-R4N8VQ2.contoso.test",
        "dave",
        "S-1-5-21-3623811015-3361044348-30300820-1107",
        2764,
    ),
];

const MICROSOFT_SUBJECT: &str =
    "CN=Microsoft Corporation, O=Microsoft Corporation, L=Redmond, S=Washington, C=US";
const CONTOSO_SUBJECT: &str = "CN=Contoso Ltd, O=Contoso Ltd, L=Seattle, S=Washington, C=US";
const FABRIKAM_SUBJECT: &str = "CN=Fabrikam Inc, O=Fabrikam Inc, L=Toronto, S=Ontario, C=CA";

/// Benign failure codes (never 0x80073cff, which a Sigma rule matches).
const BENIGN_ERRORS: [u32; 3] = [0x8007_3D02, 0x8007_3CF6, 0x8007_3CF9];

const SERVICES: [(&str, &str); 5] = [
    ("Windows Update", "running"),
    ("Windows Update", "stopped"),
    ("AppX Deployment Service (AppXSVC)", "running"),
    ("AppX Deployment Service (AppXSVC)", "stopped"),
    ("Microsoft Store Install Service", "running"),
];

/// The synthetic event stream; see [`synth_events`].
pub struct SynthEvents {
    rng: Rng,
    remaining: usize,
    time: DateTime<Utc>,
    queue: VecDeque<Event>,
}

/// `count` made events for `seed`, times increasing from [`START`], `record_id` left to the
/// writer. Streams: nothing is kept beyond one deployment's few events.
pub fn synth_events(count: usize, seed: u64) -> SynthEvents {
    SynthEvents {
        rng: Rng::new(seed),
        remaining: count,
        time: Utc.timestamp_opt(START, 0).single().unwrap_or_default(),
        queue: VecDeque::new(),
    }
}

impl Iterator for SynthEvents {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        if self.remaining == 0 {
            return None;
        }
        if self.queue.is_empty() {
            self.episode();
        }
        let event = self.queue.pop_front()?;
        self.remaining -= 1;
        Some(event)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl SynthEvents {
    /// Moves the clock on by 0.2 s to ~3 min (in whole 100 ns ticks) and returns it.
    fn tick(&mut self) -> DateTime<Utc> {
        let gap_ticks = 2_000_000 + self.rng.below(1_800_000_000);
        self.time += Duration::nanoseconds((gap_ticks * 100) as i64);
        self.time
    }

    fn origin(&mut self, host: usize, system: bool, activity: Option<&str>) -> Origin {
        let (computer, _, sid, pid) = HOSTS[host];
        Origin {
            time: self.tick(),
            computer: computer.to_owned(),
            user_sid: Some(if system { "S-1-5-18" } else { sid }.to_owned()),
            process_id: pid,
            thread_id: 1000 + (self.rng.below(8000) as u32 & !3),
            activity_id: activity.map(str::to_owned),
        }
    }

    /// Queues the next few events.
    fn episode(&mut self) {
        let host = self.rng.below(HOSTS.len() as u64) as usize;
        match self.rng.below(100) {
            0..=33 => self.deployment(host),
            34..=43 => self.launch(host),
            44 => self.blocked(host),
            45..=74 => self.logon(host),
            75..=91 => self.service(host),
            _ => self.powershell(host),
        }
    }

    fn package(&mut self) -> (Package, &'static Entry) {
        let entry = self.rng.pick(&CATALOGUE);
        let (name, display, arch, resource, publisher, full_trust, _, source) = *entry;
        let version = format!(
            "{}.{}.{}.0",
            1 + self.rng.below(24),
            self.rng.below(2400),
            self.rng.below(9000)
        );
        let (uri, caller) = match source {
            Source::Store => (
                format!(
                    "x-windowsupdate://{}/0",
                    self.rng.guid().trim_matches(['{', '}'])
                ),
                "svchost.exe,InstallService",
            ),
            Source::Provisioned => (String::new(), "svchost.exe,AppReadiness"),
            Source::MicrosoftCdn(pattern) | Source::ProgramFiles(pattern) => {
                (pattern.replace("{v}", &version), "AppInstaller.exe")
            }
        };
        let package = Package {
            full_name: format!("{name}_{version}_{arch}_{resource}_{publisher}"),
            display_name: display.to_owned(),
            source_uri: uri,
            calling_process: caller.to_owned(),
            full_trust,
            package_type: if resource == "~" { 0x8 } else { 0x1 },
            deployment_options: if resource == "~" { 0x1000_0020 } else { 0 },
        };
        (package, entry)
    }

    fn deployment(&mut self, host: usize) {
        let (pkg, entry) = self.package();
        let source = entry.7;
        let activity = self.rng.guid();
        let system = matches!(source, Source::Store | Source::Provisioned);
        let operation = match source {
            Source::Provisioned => 12,
            Source::Store => 3,
            _ => 1,
        };
        let path = if pkg.source_uri.is_empty() {
            format!(
                r"C:\Program Files\WindowsApps\{}\AppxManifest.xml",
                pkg.full_name
            )
        } else {
            pkg.source_uri.clone()
        };
        let o = self.origin(host, system, Some(&activity));
        // Benign option bits only (0x10 ForceTargetApplicationShutdown, 0x40000 …): never 0x800000.
        let flags = *self.rng.pick(&[0u32, 0x10, 0x40000, 0x20]);
        self.queue.push_back(deployment_started(
            operation,
            &path,
            flags,
            0,
            &pkg.calling_process,
            &o,
        ));
        if matches!(source, Source::MicrosoftCdn(_) | Source::ProgramFiles(_)) {
            let o = self.origin(host, system, Some(&activity));
            self.queue.push_back(uri_added(&pkg.source_uri, &o));
        }
        if !matches!(source, Source::Provisioned) {
            let subject = match pkg.full_name.split('.').next() {
                Some("Contoso") => CONTOSO_SUBJECT,
                Some("Fabrikam") => FABRIKAM_SUBJECT,
                _ => MICROSOFT_SUBJECT,
            };
            let o = self.origin(host, system, Some(&activity));
            self.queue.push_back(signature_validated(subject, &o));
        }
        let o = self.origin(host, system, Some(&activity));
        if self.rng.chance(8) {
            let code = *self.rng.pick(&BENIGN_ERRORS);
            self.queue
                .push_back(deployment_failed(&pkg, operation, code, &o));
            let o = self.origin(host, system, Some(&activity));
            self.queue
                .push_back(deployment_error_summary(&pkg, code, &o));
        } else {
            self.queue
                .push_back(deployment_succeeded(&pkg, operation, &o));
            if !entry.6.is_empty() && self.rng.chance(50) {
                self.launch_of(host, &pkg.full_name, entry.6);
            }
        }
    }

    fn launch(&mut self, host: usize) {
        let (pkg, entry) = self.package();
        if entry.6.is_empty() {
            self.service(host);
        } else {
            self.launch_of(host, &pkg.full_name, entry.6);
        }
    }

    fn launch_of(&mut self, host: usize, package: &str, image: &str) {
        let o = self.origin(host, false, None);
        let pid = 2000 + (self.rng.below(30000) as u32 & !3);
        self.queue
            .push_back(desktop_process_created(pid, package, image, "App", &o));
    }

    fn blocked(&mut self, host: usize) {
        let (pkg, _) = self.package();
        let activity = self.rng.guid();
        let o = self.origin(host, false, Some(&activity));
        self.queue
            .push_back(applocker_blocked(&pkg.full_name, 0x8007_04EC, &o));
    }

    fn logon(&mut self, host: usize) {
        let user = HOSTS[host].1;
        let logon_type = *self.rng.pick(&[2u32, 3, 5, 7, 11]);
        let logon_id = 0x10_0000 + self.rng.below(0xff_ffff);
        let o = self.origin(host, false, None);
        self.queue
            .push_back(security_logon(user, "CONTOSO", logon_type, logon_id, &o));
    }

    fn service(&mut self, host: usize) {
        let (service, state) = *self.rng.pick(&SERVICES);
        let o = self.origin(host, true, None);
        self.queue.push_back(service_state(service, state, &o));
    }

    fn powershell(&mut self, host: usize) {
        let o = self.origin(host, false, None);
        self.queue.push_back(powershell_engine_started(
            r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
            &o,
        ));
    }
}

/// Writes `count` synthetic events for `seed` to a new EVTX file at `path`; returns its size
/// in bytes.
pub fn write_synthetic(path: &Path, count: usize, seed: u64) -> io::Result<u64> {
    let mut writer = EvtxWriter::create(path)?;
    for event in synth_events(count, seed) {
        writer
            .write_event(&event)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    }
    super::finish_file(path, writer)
}

/// What the demo's positive events are: the Sigma rule(s) each one fires (by SigmaHQ file
/// name, without `.yml`).
pub const DEMO_POSITIVES: [(&str, &[&str]); 6] = [
    (
        "a: event 400, full-trust package from an unfiltered source",
        &["win_appxpackaging_server_full_trust_package_installation"],
    ),
    (
        "b: event 400, known malicious package name",
        &["win_appxdeployment_server_mal_appx_names"],
    ),
    (
        "b: event 401, known malicious package name",
        &["win_appxdeployment_server_mal_appx_names"],
    ),
    (
        "c: event 401, ErrorCode 0x80073cff",
        &["win_appxdeployment_server_appx_package_deployment_failed_signing_requirements"],
    ),
    (
        "d: event 603, Flags 8388608 (AllowUnsigned)",
        &["win_appxpackaging_server_unsigned_package_installation"],
    ),
    (
        "e: event 854, package from a file-sharing domain",
        &[
            "win_appxdeployment_server_appx_downloaded_from_file_sharing_domains",
            "win_appxdeployment_server_uncommon_package_locations",
        ],
    ),
];

/// The package name from `win_appxdeployment_server_mal_appx_names.yml` (BazarLoader).
pub const MALICIOUS_APPX_NAME: &str = "3669e262-ec02-4e9d-bcb4-3d008b4afac9";

/// The demo's positive events, in [`DEMO_POSITIVES`] order, at time `at` (each one second
/// later) on host WS02.
pub fn demo_positive_events(at: DateTime<Utc>) -> Vec<Event> {
    let (computer, _, sid, pid) = HOSTS[1];
    let origin = |i: i64, activity: &str| Origin {
        time: at + Duration::seconds(i),
        computer: computer.to_owned(),
        user_sid: Some(sid.to_owned()),
        process_id: pid,
        thread_id: 7412,
        activity_id: Some(activity.to_owned()),
    };
    let full_trust = Package {
        full_name: "ZoomMeetings.Client_6.0.2.0_x64__h3v9x2k7q1m4r".to_owned(),
        display_name: "Zoom Meetings".to_owned(),
        source_uri: "https://zoom-meetings-download.example/installer/ZoomMeetings.msix".to_owned(),
        calling_process: "AppInstaller.exe".to_owned(),
        full_trust: true,
        package_type: 0x1,
        deployment_options: 0,
    };
    let bazar = Package {
        full_name: format!("{MALICIOUS_APPX_NAME}_1.0.0.0_neutral__8kq4m2v6x9z3w"),
        display_name: "Adobe PDF Component".to_owned(),
        source_uri: "ms-appinstaller:?source=https://adobe-pdf-component.example/app.appinstaller"
            .to_owned(),
        calling_process: "AppInstaller.exe".to_owned(),
        full_trust: false,
        package_type: 0x1,
        deployment_options: 0,
    };
    let sideload = Package {
        full_name: "Contoso.Tools.Helper_2.0.0.0_x64__w8r2k5t9m3q7c".to_owned(),
        display_name: "Contoso Tools Helper".to_owned(),
        source_uri: "file:///C:/Users/bob/Documents/Contoso.Tools.Helper_2.0.0.0_x64.msix"
            .to_owned(),
        calling_process: "powershell.exe".to_owned(),
        full_trust: false,
        package_type: 0x1,
        deployment_options: 0,
    };
    vec![
        deployment_succeeded(
            &full_trust,
            1,
            &origin(0, "{6B1D4E2A-93C7-4F05-8E21-0D5A7C3B9F10}"),
        ),
        deployment_succeeded(
            &bazar,
            1,
            &origin(1, "{C2F7A915-4D3B-4E88-A1C0-5E9B2D7F6A34}"),
        ),
        deployment_failed(
            &bazar,
            1,
            0x8007_3CF3,
            &origin(2, "{C2F7A915-4D3B-4E88-A1C0-5E9B2D7F6A35}"),
        ),
        deployment_failed(
            &sideload,
            1,
            0x8007_3CFF,
            &origin(3, "{1E8B3C5D-7A29-4F6E-B0D4-9C2A5E8F1B76}"),
        ),
        deployment_started(
            6,
            r"C:\Users\bob\AppData\Local\Temp\devbuild\AppxManifest.xml",
            8_388_608,
            0,
            "powershell.exe",
            &origin(4, "{A4C9E2F1-6B3D-4A87-9E05-2F7D1C8B3A59}"),
        ),
        uri_added(
            "https://raw.githubusercontent.com/contoso-lab/tools/main/Updater.msix",
            &origin(5, "{5D2B8F6E-1C4A-4B93-8D7E-3A6F9C0E2B18}"),
        ),
    ]
}

/// The demo sample's events: `benign` synthetic events for `seed`, with the positives of
/// [`demo_positive_events`] placed after the first two thirds (times stay increasing; the
/// benign events after them move on by a minute). Each item carries the index into
/// [`DEMO_POSITIVES`] for a positive.
pub fn demo_events(benign: usize, seed: u64) -> Vec<(Option<usize>, Event)> {
    let split = benign * 2 / 3;
    let mut out: Vec<(Option<usize>, Event)> = Vec::with_capacity(benign + DEMO_POSITIVES.len());
    let mut last = Utc.timestamp_opt(START, 0).single().unwrap_or_default();
    for (i, mut event) in synth_events(benign, seed).enumerate() {
        if i == split {
            let at = last + Duration::seconds(1);
            for (k, positive) in demo_positive_events(at).into_iter().enumerate() {
                out.push((Some(k), positive));
            }
        }
        if i >= split
            && let EventTime::Utc(t) = &mut event.time
        {
            *t += Duration::seconds(60);
        }
        if let Some(t) = event.time.instant() {
            last = t;
        }
        out.push((None, event));
    }
    out
}

/// Benign events in the demo sample `assets/samples/appx-demo-synthetic.evtx`.
pub const DEMO_BENIGN: usize = 400;
/// Seed of the demo sample.
pub const DEMO_SEED: u64 = 2024;

/// Writes the demo sample ([`demo_events`] for [`DEMO_BENIGN`] and [`DEMO_SEED`]) to `path`;
/// returns its size in bytes.
pub fn write_demo_sample(path: &Path) -> io::Result<u64> {
    let events = demo_events(DEMO_BENIGN, DEMO_SEED);
    super::write_events(path, events.iter().map(|(_, e)| e))
}
