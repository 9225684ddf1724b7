//! Package identities: parsing AppX/MSIX package full names and family names, and finding the
//! package an event is about.
//!
//! A full name is `Name_Version_Architecture_ResourceId_PublisherId`; a family name is
//! `Name_PublisherId`. The publisher id is the 13-character base32 hash Windows derives from the
//! publisher (alphabet `0-9a-z` without `i l o u`). This module checks the shape only: it does not
//! know whether a package exists, and it cannot tell a package name from an arbitrary token that
//! happens to have the same shape.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use crate::model::{Event, FieldKey, Sym, Value};

/// The parts of a package full name (or of a family name, with version/architecture/resource empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageId {
    /// `Microsoft.WindowsCalculator`.
    pub name: String,
    /// `11.2210.0.0`; empty for a family name.
    pub version: String,
    /// `x64`, `neutral`, …; empty for a family name.
    pub architecture: String,
    /// Usually empty; `~` for bundles.
    pub resource_id: String,
    /// The 13-character publisher hash, e.g. `8wekyb3d8bbwe`.
    pub publisher_id: String,
}

/// Length of a publisher id.
const PUBLISHER_ID_LEN: usize = 13;

/// Architectures Windows writes in full names.
const ARCHITECTURES: [&str; 6] = ["x86", "x64", "arm", "arm64", "neutral", "x86a64"];

/// Fields that carry a full name, most specific first (compared ignoring ASCII case).
const FULL_NAME_FIELDS: [&str; 9] = [
    "PackageFullName",
    "PackageMoniker",
    "MainPackageFullName",
    "MainPackageMoniker",
    "currentPackageFullName",
    "ProcessingPackageFullName",
    "PackageName",
    "Package",
    "HostRuntimePackageFullName",
];

/// Fields that carry a family name (or sometimes a full name).
const FAMILY_NAME_FIELDS: [&str; 4] = [
    "PackageFamilyName",
    "MainPackageFamilyName",
    "PackageName",
    "MissingPackageFamily",
];

impl PackageId {
    /// Parses a package full name. Returns `None` for anything that is not one (wrong number of
    /// `_`-separated parts, bad version, unknown architecture, bad publisher id, bad name).
    pub fn parse(full_name: &str) -> Option<PackageId> {
        let parts: Vec<&str> = full_name.trim().split('_').collect();
        let [name, version, architecture, resource_id, publisher_id] = parts.as_slice() else {
            return None;
        };
        if !is_name(name)
            || !is_version(version)
            || !is_architecture(architecture)
            || !is_resource_id(resource_id)
            || !is_publisher_id(publisher_id)
        {
            return None;
        }
        Some(PackageId {
            name: (*name).to_owned(),
            version: (*version).to_owned(),
            architecture: (*architecture).to_owned(),
            resource_id: (*resource_id).to_owned(),
            publisher_id: (*publisher_id).to_owned(),
        })
    }

    /// Parses a family name `Name_PublisherId`; version, architecture and resource id stay empty.
    pub fn parse_family(family_name: &str) -> Option<PackageId> {
        let (name, publisher_id) = family_name.trim().split_once('_')?;
        if !is_name(name) || !is_publisher_id(publisher_id) {
            return None;
        }
        Some(PackageId {
            name: name.to_owned(),
            version: String::new(),
            architecture: String::new(),
            resource_id: String::new(),
            publisher_id: publisher_id.to_owned(),
        })
    }

    /// `Name_PublisherId`.
    pub fn family_name(&self) -> String {
        format!("{}_{}", self.name, self.publisher_id)
    }

    /// The parts with the labels people read them by, in the order a full name has them, then
    /// the family name (the detail pane and `inspect`'s text).
    pub fn labelled_parts(&self) -> [(&'static str, String); 6] {
        [
            ("Name", self.name.clone()),
            ("Version", self.version.clone()),
            ("Architecture", self.architecture.clone()),
            ("Resource id", self.resource_id.clone()),
            ("Publisher id", self.publisher_id.clone()),
            ("Family name", self.family_name()),
        ]
    }

    /// True when only the family was known (no version).
    pub fn is_family_only(&self) -> bool {
        self.version.is_empty()
    }

    /// The JSON object of `appxview inspect` and the JSON-lines export:
    /// `{"name","version","architecture","resource_id","publisher_id","family_name"}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name,
            "version": self.version,
            "architecture": self.architecture,
            "resource_id": self.resource_id,
            "publisher_id": self.publisher_id,
            "family_name": self.family_name(),
        })
    }

    /// The full name as Windows writes it; the family name when only the family is known.
    pub fn full_name(&self) -> String {
        if self.is_family_only() {
            return self.family_name();
        }
        format!(
            "{}_{}_{}_{}_{}",
            self.name, self.version, self.architecture, self.resource_id, self.publisher_id
        )
    }
}

/// Package names: 1–50 characters of ASCII letters, digits, `.` and `-`, not starting with `.`.
fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 50
        && !s.starts_with('.')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

/// Four dot-separated decimal numbers, each at most 65535.
fn is_version(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 5
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u32>().is_ok_and(|n| n <= 65535)
        })
}

fn is_architecture(s: &str) -> bool {
    ARCHITECTURES.iter().any(|a| a.eq_ignore_ascii_case(s))
}

/// Empty, `~` (bundles) or up to 30 characters of letters, digits, `.` and `-`.
fn is_resource_id(s: &str) -> bool {
    s == "~"
        || (s.len() <= 30
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'))
}

/// 13 characters of the lowercase base32 alphabet `0-9 a-z` without `i l o u` (any case accepted,
/// because paths are sometimes written in upper or lower case as a whole).
fn is_publisher_id(s: &str) -> bool {
    s.len() == PUBLISHER_ID_LEN
        && s.bytes().all(|b| {
            let b = b.to_ascii_lowercase();
            b.is_ascii_digit()
                || (b.is_ascii_lowercase() && !matches!(b, b'i' | b'l' | b'o' | b'u'))
        })
}

/// [`FULL_NAME_FIELDS`] and [`FAMILY_NAME_FIELDS`], interned once (asked of every event).
#[allow(clippy::type_complexity)]
fn field_keys() -> &'static ([FieldKey; 9], [FieldKey; 4]) {
    static KEYS: OnceLock<([FieldKey; 9], [FieldKey; 4])> = OnceLock::new();
    KEYS.get_or_init(|| {
        (
            FULL_NAME_FIELDS.map(FieldKey::new),
            FAMILY_NAME_FIELDS.map(FieldKey::new),
        )
    })
}

/// A field by name, ignoring ASCII case, also as the last segment of a dotted (UserData) name.
fn named_field<'a>(event: &'a Event, name: &str) -> Option<&'a Value> {
    event.field_by_last_name(name)
}

/// The package an event is about: first a full-name field (PackageFullName, PackageMoniker, …),
/// then a family-name field (version and architecture left empty), then a full name found in any
/// text value (for example `…\\WindowsApps\\<full name>\\…` or `…\\Deleted\\<full name><suffix>`), then
/// one found in the rendered message.
pub fn package_of(event: &Event) -> Option<PackageId> {
    search(event, |text, full| parser(full)(text), |id| id)
}

/// The interned names of [`package_of`]'s package (for the store's per-event facts, asked of
/// every event): what a full or family name field says is kept per thread, so a package that
/// many events name is parsed and interned once.
pub fn package_syms_of(event: &Event) -> Option<PackageSyms> {
    thread_local! {
        /// Full name fields' texts, then family name fields' texts.
        static SEEN: RefCell<[HashMap<Box<str>, Option<PackageSyms>>; 2]> =
            RefCell::new([HashMap::new(), HashMap::new()]);
    }
    let cached = |text: &str, full: bool| {
        SEEN.with(|seen| {
            let seen = &mut seen.borrow_mut()[usize::from(!full)];
            if let Some(syms) = seen.get(text) {
                return *syms;
            }
            if seen.len() >= 4096 {
                seen.clear();
            }
            let syms = parser(full)(text).map(|id| PackageSyms::of(&id));
            seen.insert(text.into(), syms);
            syms
        })
    };
    search(event, cached, |id| PackageSyms::of(&id))
}

/// A package's name, publisher id and family name, interned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PackageSyms {
    pub name: Sym,
    pub publisher: Sym,
    /// Empty when the publisher id is not known.
    pub family: Sym,
}

impl PackageSyms {
    fn of(id: &PackageId) -> PackageSyms {
        PackageSyms {
            name: Sym::new(&id.name),
            publisher: Sym::new(&id.publisher_id),
            family: if id.publisher_id.is_empty() {
                Sym::EMPTY
            } else {
                Sym::new(&id.family_name())
            },
        }
    }
}

/// How a full name (`true`) or a family name field is read.
fn parser(full: bool) -> fn(&str) -> Option<PackageId> {
    if full {
        PackageId::parse
    } else {
        PackageId::parse_family
    }
}

/// The search behind [`package_of`]: `field` reads the text of a full name (`true`) or family
/// name field, `found` takes a package found otherwise.
fn search<T>(
    event: &Event,
    mut field: impl FnMut(&str, bool) -> Option<T>,
    found: impl Fn(PackageId) -> T,
) -> Option<T> {
    let (full, family) = field_keys();
    // Which field each name finds (as `Event::field_by_last_name` would), in one pass.
    let mut best = [(u8::MAX, 0usize); 13];
    for (i, (name, _)) in event.fields.iter().enumerate() {
        let (folded, folded_last) = (name.folded(), name.folded_last());
        for (key, slot) in full.iter().chain(family).zip(best.iter_mut()) {
            let rank = key.rank(*name, folded, folded_last);
            if rank < slot.0 {
                *slot = (rank, i);
            }
        }
    }
    for (k, (rank, i)) in best.into_iter().enumerate() {
        if rank == u8::MAX {
            continue;
        }
        let is_full = k < full.len();
        let hit = match &event.fields[i].1 {
            Value::Str(text) => field(text, is_full),
            other => first_in_value(other, parser(is_full)).map(&found),
        };
        if hit.is_some() {
            return hit;
        }
    }
    for (_, value) in &event.fields {
        if let Some(id) = first_in_value(value, find_in_text) {
            return Some(found(id));
        }
    }
    event.message.as_deref().and_then(find_in_text).map(found)
}

/// The package name only (for the table column and filters). Tries the usual fields before the
/// full search of [`package_of`].
pub fn package_name_of(event: &Event) -> Option<String> {
    for name in ["PackageFullName", "PackageMoniker"] {
        if let Some(Value::Str(s)) = named_field(event, name)
            && let Some(id) = PackageId::parse(s)
        {
            return Some(id.name);
        }
    }
    package_of(event).map(|id| id.name)
}

/// Applies `parse` to a text value, or to each item of a list value.
fn first_in_value(value: &Value, parse: fn(&str) -> Option<PackageId>) -> Option<PackageId> {
    match value {
        Value::Str(s) => parse(s),
        Value::List(items) => items.iter().find_map(|v| first_in_value(v, parse)),
        _ => None,
    }
}

/// True for characters that can be part of a full name.
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '~')
}

/// The first package full name inside free text (paths, messages). A token that follows a
/// `Deleted` path component may carry a suffix after the publisher id (Windows appends one to
/// folders it is removing); the suffix is dropped.
pub fn find_in_text(text: &str) -> Option<PackageId> {
    // A full name has four underscores: most text has fewer and is not split at all.
    memchr::memchr_iter(b'_', text.as_bytes()).nth(3)?;
    let mut previous = "";
    for token in text.split(|c: char| !is_name_char(c)) {
        if token.is_empty() {
            continue;
        }
        // A sentence may end right after a full name ("… on Package X_1.0.0.0_x64__abc.").
        let trimmed = token.trim_end_matches('.');
        if trimmed.matches('_').count() == 4 {
            if let Some(id) = PackageId::parse(trimmed) {
                return Some(id);
            }
            if previous.eq_ignore_ascii_case("deleted")
                && let Some((head, tail)) = trimmed.rsplit_once('_')
                && tail.len() > PUBLISHER_ID_LEN
                && let Some(cut) = tail.get(..PUBLISHER_ID_LEN)
                && let Some(id) = PackageId::parse(&format!("{head}_{cut}"))
            {
                return Some(id);
            }
        }
        previous = token;
    }
    None
}
