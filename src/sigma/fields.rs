//! Sigma field names → values of a normalised [`Event`].
//!
//! Knows the System names Sigma rules use (`EventID`, `Provider_Name`, `Channel`, …) and treats
//! every other name as an EventData field. Security 4688 events also answer to the Sysmon
//! process-creation names SigmaHQ's `windows-audit` pipeline renames (`Image` →
//! `NewProcessName`, `ParentImage` → `ParentProcessName`). Knows nothing about modifiers or
//! matching.

use std::borrow::Cow;
use std::sync::OnceLock;

use crate::model::{Event, Sym, Value};

/// True when `full` names `name` loosely: ignoring ASCII case and spaces (Defender writes
/// "Threat Name" where rules write `ThreatName`).
fn loose_eq(full: &str, name: &str) -> bool {
    let mut a = full.bytes().filter(|b| *b != b' ');
    let mut b = name.bytes().filter(|b| *b != b' ');
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) if x.eq_ignore_ascii_case(&y) => {}
            _ => return false,
        }
    }
}

/// The slow path when the exact and case-insensitive names are absent: a name written with
/// spaces, or a UserData field flattened as `Outer.Name` found by its bare `Name`.
fn loose<'a>(event: &'a Event, name: &str) -> Option<&'a Value> {
    event
        .fields
        .iter()
        .find(|(n, _)| {
            let full = n.as_str();
            let last = full.rsplit('.').next().unwrap_or(full);
            loose_eq(last, name)
        })
        .map(|(_, v)| v)
}

/// Sysmon process-creation field → its Security 4688 name, as SigmaHQ's `windows-audit`
/// pipeline (pySigma-pipeline-windows) maps them for `process_creation` rules. Used for any
/// rule evaluated on a Security 4688 event, and only when the event lacks the field itself
/// (4688 never has an `Image`). `CommandLine` has the same name in both. Sysmon's `User` (the new process's `DOMAIN\name`) has no
/// 4688 equivalent (`SubjectUserName` is the creator's bare name), so it is not mapped.
const AUDIT_4688: [(&str, &str); 2] = [
    ("Image", "NewProcessName"),
    ("ParentImage", "ParentProcessName"),
];

/// True for a Security process-creation event (4688 on the Security channel, or from the
/// Security-Auditing provider when an export has no channel).
fn is_security_4688(event: &Event) -> bool {
    static SECURITY: OnceLock<(Sym, Sym)> = OnceLock::new();
    if event.event_id != Some(4688) {
        return false;
    }
    let (channel, provider) = *SECURITY.get_or_init(|| {
        (
            Sym::new("Security"),
            Sym::new("Microsoft-Windows-Security-Auditing"),
        )
    });
    event.channel == channel || event.provider == provider
}

/// On a Security 4688 event without the field `name`: the value of its 4688 name.
fn audit_4688<'a>(event: &'a Event, name: &str) -> Option<&'a Value> {
    if !is_security_4688(event) {
        return None;
    }
    let (_, audit) = AUDIT_4688
        .iter()
        .find(|(sysmon, _)| sysmon.eq_ignore_ascii_case(name))?;
    event.field_ignore_case(audit)
}

/// Where a Sigma field name reads its value from.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldKey {
    EventId,
    Provider,
    Channel,
    Computer,
    Level,
    Task,
    Opcode,
    Keywords,
    RecordId,
    ProcessId,
    ThreadId,
    Version,
    UserId,
    /// An EventData field: the name as written and its interned form (for a lock-free compare).
    Data(Box<str>, Sym),
}

impl FieldKey {
    /// Maps a Sigma field name (case-insensitive for System names) to its source.
    pub fn from_name(name: &str) -> FieldKey {
        match name.to_ascii_lowercase().as_str() {
            "eventid" | "event_id" => FieldKey::EventId,
            "provider_name" | "provider" => FieldKey::Provider,
            "channel" => FieldKey::Channel,
            "computer" | "computername" => FieldKey::Computer,
            "level" => FieldKey::Level,
            "task" => FieldKey::Task,
            "opcode" => FieldKey::Opcode,
            "keywords" => FieldKey::Keywords,
            "eventrecordid" => FieldKey::RecordId,
            "processid" => FieldKey::ProcessId,
            "threadid" => FieldKey::ThreadId,
            "version" => FieldKey::Version,
            "userid" | "securityuserid" => FieldKey::UserId,
            _ => FieldKey::Data(name.into(), Sym::new(name)),
        }
    }

    /// True for names read from the System part (cheap to read, so evaluated first).
    pub fn is_system(&self) -> bool {
        !matches!(self, FieldKey::Data(..))
    }

    /// The event's value for this field; `None` when the event does not have it.
    pub fn get<'a>(&self, event: &'a Event) -> Option<Cow<'a, Value>> {
        let num = |n: Option<u64>| n.map(|n| Cow::Owned(Value::UInt(n)));
        let sym = |s: Sym| (!s.is_empty()).then(|| Cow::Owned(Value::Str(s.as_str().into())));
        match self {
            FieldKey::EventId => num(event.event_id.map(u64::from)),
            FieldKey::Provider => sym(event.provider),
            FieldKey::Channel => sym(event.channel),
            FieldKey::Computer => sym(event.computer),
            FieldKey::Level => num(event.level.map(u64::from)),
            FieldKey::Task => num(event.task.map(u64::from)),
            FieldKey::Opcode => num(event.opcode.map(u64::from)),
            FieldKey::Keywords => event
                .keywords
                .map(|k| Cow::Owned(Value::Str(format!("0x{k:x}").into()))),
            FieldKey::RecordId => num(event.record_id),
            FieldKey::ProcessId => num(event.process_id.map(u64::from)),
            FieldKey::ThreadId => num(event.thread_id.map(u64::from)),
            FieldKey::Version => num(event.version.map(u64::from)),
            FieldKey::UserId => event.user_sid.and_then(sym),
            // Exact name, then ASCII case ignored (what `Event::field_ignore_case` does, by
            // interned forms: the name is interned, so its lower-case form is too).
            FieldKey::Data(name, interned) => event
                .fields
                .iter()
                .find(|(n, _)| n == interned)
                .or_else(|| {
                    let folded = interned.folded();
                    event.fields.iter().find(|(n, _)| n.folded() == folded)
                })
                .map(|(_, v)| v)
                .or_else(|| loose(event, name))
                .or_else(|| audit_4688(event, name))
                .map(Cow::Borrowed),
        }
    }
}
