//! Sigma `logsource` → a cheap precompiled predicate on events, checked before detection.
//!
//! The service → channel table follows the way SigmaHQ's Windows pipelines map services to
//! event log channels, and the category table follows the Sysmon/PowerShell event ids they use.
//! Knows nothing about the detection part of a rule. Products other than Windows never match:
//! appxview only reads Windows event logs.

use crate::model::{Event, Sym};

const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";
const PS_OPERATIONAL: &str = "Microsoft-Windows-PowerShell/Operational";
const PS_CLASSIC: &str = "Windows PowerShell";
const KERNEL_FILE: &str = "Microsoft-Windows-Kernel-File/Analytic";

/// Which events a rule applies to.
#[derive(Clone, Debug, PartialEq)]
pub enum LogsourcePred {
    /// Every event (product windows with neither service nor category).
    Any,
    /// No event appxview can read (another product).
    Never,
    /// Events whose channel or provider is listed and, when ids are given, whose id is listed.
    Match {
        channels: Vec<Sym>,
        providers: Vec<Sym>,
        /// Empty = any event id.
        event_ids: Vec<u32>,
    },
    /// Several alternatives (for example Sysmon 1 or Security 4688).
    AnyOf(Vec<LogsourcePred>),
}

impl LogsourcePred {
    /// True when the rule applies to `event`.
    #[inline]
    pub fn matches(&self, event: &Event) -> bool {
        self.matches_facts(event.channel, event.provider, event.event_id)
    }

    /// True when the rule applies to an event with this channel, provider and event id (the
    /// only facts a logsource looks at).
    pub fn matches_facts(&self, channel: Sym, provider: Sym, event_id: Option<u32>) -> bool {
        match self {
            LogsourcePred::Any => true,
            LogsourcePred::Never => false,
            LogsourcePred::Match {
                channels,
                providers,
                event_ids,
            } => {
                (channels.contains(&channel) || providers.contains(&provider))
                    && (event_ids.is_empty() || event_id.is_some_and(|id| event_ids.contains(&id)))
            }
            LogsourcePred::AnyOf(alternatives) => alternatives
                .iter()
                .any(|p| p.matches_facts(channel, provider, event_id)),
        }
    }
}

fn channels(names: &[&str], providers: &[&str], ids: &[u32]) -> LogsourcePred {
    LogsourcePred::Match {
        channels: names.iter().map(|n| Sym::new(n)).collect(),
        providers: providers.iter().map(|n| Sym::new(n)).collect(),
        event_ids: ids.to_vec(),
    }
}

fn sysmon(ids: &[u32]) -> LogsourcePred {
    channels(&[SYSMON], &["Microsoft-Windows-Sysmon"], ids)
}

/// The channels (and providers) of a Windows `service:`; `None` when unknown.
fn service(name: &str) -> Option<LogsourcePred> {
    let (chans, provs): (&[&str], &[&str]) = match name {
        "appxdeployment-server" => (
            &["Microsoft-Windows-AppXDeploymentServer/Operational"],
            &["Microsoft-Windows-AppXDeployment-Server"],
        ),
        "appxpackaging-om" => (
            &["Microsoft-Windows-AppxPackaging/Operational"],
            &["Microsoft-Windows-AppxPackagingOM"],
        ),
        "appmodel-runtime" => (
            &["Microsoft-Windows-AppModel-Runtime/Admin"],
            &["Microsoft-Windows-AppModel-Runtime"],
        ),
        "security" => (&["Security"], &[]),
        "system" => (&["System"], &[]),
        "application" => (&["Application"], &[]),
        "sysmon" => (&[SYSMON], &["Microsoft-Windows-Sysmon"]),
        "powershell" => (&[PS_OPERATIONAL], &[]),
        "powershell-classic" => (&[PS_CLASSIC], &[]),
        "taskscheduler" => (&["Microsoft-Windows-TaskScheduler/Operational"], &[]),
        "wmi" => (&["Microsoft-Windows-WMI-Activity/Operational"], &[]),
        "dns-server" => (&["DNS Server"], &[]),
        "dns-server-audit" => (&["Microsoft-Windows-DNS-Server/Audit"], &[]),
        "dns-server-analytic" => (&["Microsoft-Windows-DNS-Server/Analytical"], &[]),
        "dns-client" => (&["Microsoft-Windows-DNS Client Events/Operational"], &[]),
        "driver-framework" => (
            &["Microsoft-Windows-DriverFrameworks-UserMode/Operational"],
            &[],
        ),
        "ntlm" => (&["Microsoft-Windows-NTLM/Operational"], &[]),
        "dhcp" => (&["Microsoft-Windows-DHCP-Server/Operational"], &[]),
        "msexchange-management" => (&["MSExchange Management"], &[]),
        "applocker" => (
            &[
                "Microsoft-Windows-AppLocker/EXE and DLL",
                "Microsoft-Windows-AppLocker/MSI and Script",
                "Microsoft-Windows-AppLocker/Packaged app-Deployment",
                "Microsoft-Windows-AppLocker/Packaged app-Execution",
            ],
            &[],
        ),
        "printservice-admin" => (&["Microsoft-Windows-PrintService/Admin"], &[]),
        "printservice-operational" => (&["Microsoft-Windows-PrintService/Operational"], &[]),
        "codeintegrity-operational" => (&["Microsoft-Windows-CodeIntegrity/Operational"], &[]),
        "smbclient-security" => (&["Microsoft-Windows-SmbClient/Security"], &[]),
        "smbclient-connectivity" => (&["Microsoft-Windows-SmbClient/Connectivity"], &[]),
        "smbserver-connectivity" => (&["Microsoft-Windows-SMBServer/Connectivity"], &[]),
        "firewall-as" => (
            &["Microsoft-Windows-Windows Firewall With Advanced Security/Firewall"],
            &[],
        ),
        "bits-client" => (&["Microsoft-Windows-Bits-Client/Operational"], &[]),
        "windefend" => (&["Microsoft-Windows-Windows Defender/Operational"], &[]),
        "terminalservices-localsessionmanager" => (
            &["Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"],
            &[],
        ),
        "microsoft-servicebus-client" => (&["Microsoft-ServiceBus-Client"], &[]),
        "lsa-server" => (&["Microsoft-Windows-LSA/Operational"], &[]),
        "security-mitigations" => (
            &[
                "Microsoft-Windows-Security-Mitigations/Kernel Mode",
                "Microsoft-Windows-Security-Mitigations/User Mode",
            ],
            &[],
        ),
        "shell-core" => (&["Microsoft-Windows-Shell-Core/Operational"], &[]),
        "certificateservicesclient-lifecycle-system" => (
            &["Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational"],
            &[],
        ),
        "ldap" | "ldap_debug" => (&["Microsoft-Windows-LDAP-Client/Debug"], &[]),
        "openssh" => (&["OpenSSH/Operational"], &[]),
        "capi2" => (&["Microsoft-Windows-CAPI2/Operational"], &[]),
        "diagnosis-scripted" => (&["Microsoft-Windows-Diagnosis-Scripted/Operational"], &[]),
        "iis-configuration" => (&["Microsoft-IIS-Configuration/Operational"], &[]),
        "vhd" => (&["Microsoft-Windows-VHDMP/Operational"], &[]),
        _ => return None,
    };
    Some(channels(chans, provs, &[]))
}

/// The events of a Windows `category:`; `None` when unknown.
fn category(name: &str) -> Option<LogsourcePred> {
    Some(match name {
        "process_creation" => {
            LogsourcePred::AnyOf(vec![sysmon(&[1]), channels(&["Security"], &[], &[4688])])
        }
        "file_change" => sysmon(&[2]),
        "network_connection" => sysmon(&[3]),
        "sysmon_status" => sysmon(&[4, 16]),
        "process_termination" => sysmon(&[5]),
        "driver_load" => sysmon(&[6]),
        "image_load" => sysmon(&[7]),
        "create_remote_thread" => sysmon(&[8]),
        "raw_access_thread" => sysmon(&[9]),
        "process_access" => sysmon(&[10]),
        "file_event" => sysmon(&[11]),
        "registry_add" | "registry_delete" => sysmon(&[12]),
        "registry_set" => sysmon(&[13]),
        "registry_rename" => sysmon(&[14]),
        "registry_event" => sysmon(&[12, 13, 14]),
        "create_stream_hash" => sysmon(&[15]),
        "pipe_created" => sysmon(&[17, 18]),
        "wmi_event" => sysmon(&[19, 20, 21]),
        "dns_query" => sysmon(&[22]),
        "file_delete" => sysmon(&[23, 26]),
        "clipboard_change" => sysmon(&[24]),
        "process_tampering" => sysmon(&[25]),
        "file_delete_detected" => sysmon(&[26]),
        "file_block_executable" => sysmon(&[27]),
        "file_block_shredding" => sysmon(&[28]),
        "file_executable_detected" => sysmon(&[29]),
        "sysmon_error" => sysmon(&[255]),
        "ps_module" => channels(&[PS_OPERATIONAL], &[], &[4103]),
        "ps_script" => channels(&[PS_OPERATIONAL], &[], &[4104]),
        "ps_classic_start" => channels(&[PS_CLASSIC], &[], &[400]),
        "ps_classic_provider_start" => channels(&[PS_CLASSIC], &[], &[600]),
        "ps_classic_script" => channels(&[PS_CLASSIC], &[], &[800]),
        "file_access" | "file_rename" => channels(&[KERNEL_FILE], &[], &[]),
        _ => return None,
    })
}

/// Compiles a rule's `logsource` fields (lower-case names). Errors name what is unknown.
pub fn compile(
    product: Option<&str>,
    category_name: Option<&str>,
    service_name: Option<&str>,
) -> Result<LogsourcePred, String> {
    match product.map(str::to_ascii_lowercase).as_deref() {
        Some("windows") => {}
        _ => return Ok(LogsourcePred::Never),
    }
    let by_category = match category_name {
        Some(c) => Some(
            category(&c.to_ascii_lowercase())
                .ok_or_else(|| format!("unknown windows logsource category '{c}'"))?,
        ),
        None => None,
    };
    let by_service = match service_name {
        Some(s) => Some(
            service(&s.to_ascii_lowercase())
                .ok_or_else(|| format!("unknown windows logsource service '{s}'"))?,
        ),
        None => None,
    };
    Ok(match (by_category, by_service) {
        (Some(c), None) => c,
        (None, Some(s)) => s,
        (None, None) => LogsourcePred::Any,
        // A rule naming both: the category's events, which already carry their channel.
        (Some(c), Some(_)) => c,
    })
}
