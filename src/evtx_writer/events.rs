//! Builders for made events of the Windows 11 AppX schemas (and a little non-AppX noise),
//! for fixtures and the synthetic generator. All values are invented; the layouts follow
//! `../shared/schema` (field names, order and ETW types of the 11_21H2+ builds; header values
//! of event 400 from its README/shapes). Does not write files: hand the events to
//! [`EvtxWriter`](super::EvtxWriter) or [`write_events`](super::write_events).
//!
//! Field types follow what the evtx crate renders: UInt32 fields are [`Value::UInt`], Boolean
//! fields [`Value::Bool`], HexInt32/HexInt64 fields `"0x…"` [`Value::Str`] (lowercase, no
//! leading zeros), strings [`Value::Str`]. Every builder leaves `record_id` as `None` (the
//! writer numbers records).

use chrono::{DateTime, Utc};

use crate::model::{Event, EventTime, Sym, Value};

/// Provider of the deployment server events.
pub const APPX_SERVER_PROVIDER: &str = "Microsoft-Windows-AppXDeployment-Server";
/// Its Operational channel (no hyphen between AppXDeployment and Server).
pub const APPX_SERVER_CHANNEL: &str = "Microsoft-Windows-AppXDeploymentServer/Operational";
/// Provider of package signature events (157).
pub const PACKAGING_OM_PROVIDER: &str = "Microsoft-Windows-AppxPackagingOM";
/// Its channel.
pub const PACKAGING_OM_CHANNEL: &str = "Microsoft-Windows-AppxPackaging/Operational";
/// Provider of packaged process creation events (201).
pub const APPMODEL_RUNTIME_PROVIDER: &str = "Microsoft-Windows-AppModel-Runtime";
/// Its channel.
pub const APPMODEL_RUNTIME_CHANNEL: &str = "Microsoft-Windows-AppModel-Runtime/Admin";

/// Keywords of AppXDeployment-Server Operational events: channel bit 62 + keyword 0x1.
pub const APPX_SERVER_KEYWORDS: u64 = 0x4000_0000_0000_0001;

/// Where and when an event happened, and who logged it.
#[derive(Clone, Debug)]
pub struct Origin {
    pub time: DateTime<Utc>,
    pub computer: String,
    /// Security UserID (`S-1-…`).
    pub user_sid: Option<String>,
    pub process_id: u32,
    pub thread_id: u32,
    /// Correlation ActivityID (a GUID), shared by one deployment's events.
    pub activity_id: Option<String>,
}

/// A package as it appears in deployment events.
#[derive(Clone, Debug)]
pub struct Package {
    /// `Name_Version_Arch_ResourceId_PublisherId`.
    pub full_name: String,
    /// Shown name (PackageDisplayName).
    pub display_name: String,
    /// Where it came from (PackageSourceUri; also 603 Path and 854 Path for URI installs).
    pub source_uri: String,
    /// CallingProcess (for example `AppInstaller.exe` or `svchost.exe,AppReadiness`).
    pub calling_process: String,
    /// HasFullTrust (desktop / Win32 packages).
    pub full_trust: bool,
    /// PackageType: `0x1` main package, `0x8` bundle.
    pub package_type: u32,
    /// DeploymentOptions (HexInt64).
    pub deployment_options: u64,
}

impl Package {
    /// The package family name: `Name_PublisherId`.
    pub fn family_name(&self) -> String {
        let parts: Vec<&str> = self.full_name.split('_').collect();
        match (parts.first(), parts.last()) {
            (Some(name), Some(publisher)) if parts.len() >= 5 => format!("{name}_{publisher}"),
            _ => self.full_name.clone(),
        }
    }
}

fn s(text: &str) -> Value {
    Value::Str(text.into())
}

fn hex(v: u64) -> Value {
    Value::Str(format!("{v:#x}").into())
}

fn fields(list: Vec<(&str, Value)>) -> Vec<(Sym, Value)> {
    list.into_iter().map(|(n, v)| (Sym::new(n), v)).collect()
}

/// The System part of an event; `header` is (event id, version, level, task, opcode, keywords).
pub fn base_event(
    provider: &str,
    channel: &str,
    header: (u32, u8, u8, u16, u8, u64),
    origin: &Origin,
) -> Event {
    let (event_id, version, level, task, opcode, keywords) = header;
    Event {
        time: EventTime::Utc(origin.time),
        provider: Sym::new(provider),
        channel: Sym::new(channel),
        event_id: Some(event_id),
        version: Some(version),
        level: Some(level),
        task: Some(task),
        opcode: Some(opcode),
        keywords: Some(keywords),
        computer: Sym::new(&origin.computer),
        user_sid: origin.user_sid.as_deref().map(Sym::new),
        process_id: Some(origin.process_id),
        thread_id: Some(origin.thread_id),
        activity_id: origin.activity_id.as_deref().map(Into::into),
        ..Event::default()
    }
}

/// An AppXDeployment-Server Operational event (task 3, Deployment).
fn server_event(event_id: u32, level: u8, opcode: u8, origin: &Origin) -> Event {
    base_event(
        APPX_SERVER_PROVIDER,
        APPX_SERVER_CHANNEL,
        (event_id, 0, level, 3, opcode, APPX_SERVER_KEYWORDS),
        origin,
    )
}

/// Event 400: a deployment operation finished (all 24 fields of Windows 11).
/// `operation`: DeploymentOperation (1 Add, 3 Update, 6 Register, 12 PreRegisterPackage …).
pub fn deployment_succeeded(pkg: &Package, operation: u32, origin: &Origin) -> Event {
    let mut e = server_event(400, 4, 2, origin);
    let mut list = vec![
        ("DeploymentOperation", Value::UInt(u64::from(operation))),
        ("PackageFullName", s(&pkg.full_name)),
        ("Path", s(source_path(pkg))),
    ];
    list.extend(target_fields(pkg));
    list.extend([
        ("IsOptional", Value::Bool(false)),
        ("PackageFlags", hex(0)),
        ("PackageFlags2", hex(if pkg.full_trust { 0x800 } else { 0 })),
    ]);
    list.extend(source_fields(pkg));
    e.fields = fields(list);
    e
}

/// Fields 400 and 401 share after the path: target volume and package facts.
fn target_fields(pkg: &Package) -> [(&'static str, Value); 13] {
    [
        ("MountPoint", s("C:")),
        ("TargetPlatform", hex(3)),
        ("SystemVolume", Value::Bool(true)),
        ("StorageId", s(STORAGE_ID)),
        ("IsCentennial", Value::Bool(pkg.full_trust)),
        ("PackageType", hex(u64::from(pkg.package_type))),
        ("IsPackageEncrypted", Value::Bool(false)),
        ("DeploymentOptions", hex(pkg.deployment_options)),
        ("IsStreamingPackage", Value::Bool(false)),
        ("IsInRelatedSet", Value::Bool(false)),
        ("IsPackageUsingBDC", Value::Bool(false)),
        ("MainPackageFamilyName", s("NULL")),
        ("CallingProcess", s(&pkg.calling_process)),
    ]
}

/// Fields 400 and 401 end with: full trust and where the package came from.
fn source_fields(pkg: &Package) -> [(&'static str, Value); 5] {
    [
        ("HasWin32alacarte", Value::Bool(false)),
        ("HasFullTrust", Value::Bool(pkg.full_trust)),
        ("ExternalLocation", s("")),
        ("PackageSourceUri", s(&pkg.source_uri)),
        ("PackageDisplayName", s(&pkg.display_name)),
    ]
}

/// The volume every made deployment targets.
const STORAGE_ID: &str = r"\\?\Volume{7597d2a3-4404-4f99-b979-6233378a81bf}";

/// Path of a deployment: the source URI, or `" "` for a registration without one (as Windows
/// logs it).
fn source_path(pkg: &Package) -> &str {
    if pkg.source_uri.is_empty() {
        " "
    } else {
        &pkg.source_uri
    }
}

/// Event 401: a deployment operation failed with `error_code` (an HRESULT; the 30 fields of
/// Windows 11 21H2+).
pub fn deployment_failed(pkg: &Package, operation: u32, error_code: u32, origin: &Origin) -> Event {
    let mut e = server_event(401, 2, 0, origin);
    let mut list = vec![
        ("DeploymentOperation", Value::UInt(u64::from(operation))),
        ("PackageFullName", s(&pkg.full_name)),
        ("Path", s(source_path(pkg))),
        ("ErrorCode", hex(u64::from(error_code))),
    ];
    list.extend(target_fields(pkg));
    list.extend([
        ("IsInPlaceUpdate", hex(0)),
        ("ErrorFileInfo", s("")),
        (
            "DetailedMessageInfo",
            s(&format!(
                "error {error_code:#010X}: {}",
                error_summary(error_code)
            )),
        ),
        ("RollbackErrorFileInfo", s("")),
        ("RollbackDetailedMessageInfo", s("")),
        ("IsOptional", Value::UInt(0)),
        ("PackageFlags", hex(0)),
        ("PackageFlags2", hex(0)),
    ]);
    list.extend(source_fields(pkg));
    e.fields = fields(list);
    e
}

/// A short text for the HRESULTs the made events use.
pub fn error_summary(error_code: u32) -> &'static str {
    match error_code {
        0x8007_3CF3 => "Package failed updates, dependency or conflict validation.",
        0x8007_3CF6 => "Package could not be registered.",
        0x8007_3CF9 => "Package install failed.",
        0x8007_3CFF => {
            "To install this application you need either a Windows developer license or a sideloading-enabled system."
        }
        0x8007_3D02 => {
            "The package could not be installed because resources it modifies are currently in use."
        }
        0x8007_04EC => "This program is blocked by group policy.",
        0x800B_0100 => "No signature was present in the subject.",
        _ => "The deployment operation failed.",
    }
}

/// Event 404: the summary of a failed deployment.
pub fn deployment_error_summary(pkg: &Package, error_code: u32, origin: &Origin) -> Event {
    let mut e = server_event(404, 2, 0, origin);
    e.fields = fields(vec![
        ("SummaryError", s(error_summary(error_code))),
        ("PackageFullName", s(&pkg.full_name)),
        ("ErrorCode", hex(u64::from(error_code))),
        ("MountPoint", s("C:")),
        ("TargetPlatform", hex(3)),
        ("CallingProcess", s(&pkg.calling_process)),
        ("ExternalLocation", s("")),
    ]);
    e
}

/// Event 603: a deployment started, with its options `flags` (low 32 bits; 8388608 =
/// 0x800000 = AllowUnsigned in the 18990 map) and `flags_high`.
pub fn deployment_started(
    operation: u32,
    path: &str,
    flags: u32,
    flags_high: u32,
    calling_process: &str,
    origin: &Origin,
) -> Event {
    let mut e = server_event(603, 4, 0, origin);
    e.fields = fields(vec![
        ("DeploymentOperation", Value::UInt(u64::from(operation))),
        ("Path", s(path)),
        ("Flags", Value::UInt(u64::from(flags))),
        ("FlagsHigh", Value::UInt(u64::from(flags_high))),
        ("CallingProcess", s(calling_process)),
        ("ExternalLocation", s("")),
    ]);
    e
}

/// Event 854: URIs were added to be processed (`path`).
pub fn uri_added(path: &str, origin: &Origin) -> Event {
    let mut e = server_event(854, 4, 0, origin);
    e.fields = fields(vec![("Path", s(path))]);
    e
}

/// Event 412: AppLocker blocked the package.
pub fn applocker_blocked(package_full_name: &str, error_code: u32, origin: &Origin) -> Event {
    let mut e = server_event(412, 2, 0, origin);
    e.fields = fields(vec![
        ("PackageFullName", s(package_full_name)),
        ("ErrorCode", hex(u64::from(error_code))),
    ]);
    e
}

/// AppxPackagingOM event 157: the signature of a package by `subject_name` was validated
/// (task 7 DigitalSignature, opcode 12 Verifying).
pub fn signature_validated(subject_name: &str, origin: &Origin) -> Event {
    let mut e = base_event(
        PACKAGING_OM_PROVIDER,
        PACKAGING_OM_CHANNEL,
        (157, 0, 4, 7, 12, 0x4000_0000_0000_0000),
        origin,
    );
    e.fields = fields(vec![("subjectName", s(subject_name))]);
    e
}

/// AppModel-Runtime event 201: a packaged desktop process was created (keyword
/// DesktopAppXProcess 0x4).
pub fn desktop_process_created(
    process_id: u32,
    package_full_name: &str,
    image_name: &str,
    application_name: &str,
    origin: &Origin,
) -> Event {
    let mut e = base_event(
        APPMODEL_RUNTIME_PROVIDER,
        APPMODEL_RUNTIME_CHANNEL,
        (201, 0, 4, 0, 0, 0x4000_0000_0000_0004),
        origin,
    );
    e.fields = fields(vec![
        ("ProcessID", Value::UInt(u64::from(process_id))),
        ("PackageName", s(package_full_name)),
        ("ImageName", s(image_name)),
        ("ApplicationName", s(application_name)),
        ("Message", s("")),
    ]);
    e
}

/// Security 4624 (an account logged on): non-AppX noise.
pub fn security_logon(
    user: &str,
    domain: &str,
    logon_type: u32,
    logon_id: u64,
    origin: &Origin,
) -> Event {
    let mut e = base_event(
        "Microsoft-Windows-Security-Auditing",
        "Security",
        (4624, 2, 0, 12544, 0, 0x8020_0000_0000_0000),
        origin,
    );
    e.user_sid = None;
    let host = origin.computer.split('.').next().unwrap_or_default();
    e.fields = fields(vec![
        ("SubjectUserSid", s("S-1-5-18")),
        ("SubjectUserName", s(&format!("{host}$"))),
        ("SubjectDomainName", s(domain)),
        ("SubjectLogonId", hex(0x3e7)),
        (
            "TargetUserSid",
            s(origin.user_sid.as_deref().unwrap_or("S-1-5-18")),
        ),
        ("TargetUserName", s(user)),
        ("TargetDomainName", s(domain)),
        ("TargetLogonId", hex(logon_id)),
        ("LogonType", Value::UInt(u64::from(logon_type))),
        ("LogonProcessName", s("User32 ")),
        ("AuthenticationPackageName", s("Negotiate")),
        ("WorkstationName", s(host)),
        ("LogonGuid", s("{00000000-0000-0000-0000-000000000000}")),
        ("TransmittedServices", s("-")),
        ("LmPackageName", s("-")),
        ("KeyLength", Value::UInt(0)),
        ("ProcessId", hex(0x2cc)),
        ("ProcessName", s(r"C:\Windows\System32\svchost.exe")),
        ("IpAddress", s("127.0.0.1")),
        ("IpPort", s("0")),
        ("ImpersonationLevel", s("%%1833")),
        ("RestrictedAdminMode", s("-")),
        ("TargetOutboundUserName", s("-")),
        ("TargetOutboundDomainName", s("-")),
        ("VirtualAccount", s("%%1843")),
        ("TargetLinkedLogonId", hex(0)),
        ("ElevatedToken", s("%%1842")),
    ]);
    e
}

/// System 7036 (a service entered a state): non-AppX noise.
pub fn service_state(service: &str, state: &str, origin: &Origin) -> Event {
    let mut e = base_event(
        "Service Control Manager",
        "System",
        (7036, 0, 4, 0, 0, 0x8080_0000_0000_0000),
        origin,
    );
    e.user_sid = None;
    e.fields = fields(vec![("param1", s(service)), ("param2", s(state))]);
    e
}

/// Windows PowerShell 400 (engine state changed): an event 400 that is not an AppX event. Its
/// three `<Data>` elements are unnamed, as in the classic PowerShell log.
pub fn powershell_engine_started(host_application: &str, origin: &Origin) -> Event {
    let mut e = base_event(
        "PowerShell",
        "Windows PowerShell",
        (400, 0, 4, 4, 0, 0x0080_0000_0000_0000),
        origin,
    );
    e.user_sid = None;
    e.activity_id = None;
    let details = format!(
        "\tNewEngineState=Available\r\n\tPreviousEngineState=None\r\n\r\n\tSequenceNumber=13\r\n\r\n\tHostName=ConsoleHost\r\n\tHostVersion=5.1.22621.2506\r\n\tHostId=6c2f58e4-8f14-4b3a-9a6c-3d0f7e2b9c11\r\n\tHostApplication={host_application}\r\n\tEngineVersion=5.1.22621.2506\r\n\tRunspaceId=1f0e4b7a-52c9-4d2e-8a61-0b9d3c7e5f24\r\n\tPipelineId=\r\n\tCommandName=\r\n\tCommandType=\r\n\tScriptName=\r\n\tCommandPath=\r\n\tCommandLine="
    );
    e.fields = vec![
        (Sym::EMPTY, s("Available")),
        (Sym::EMPTY, s("None")),
        (Sym::EMPTY, s(&details)),
    ];
    e
}
