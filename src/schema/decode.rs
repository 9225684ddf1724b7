//! Decoders for coded EventData values: value maps (DeploymentOperation, TargetPlatform, …),
//! bit maps (DeploymentOptions, PackageType, …) and HRESULTs, from the catalogue's tables.
//!
//! A value the table does not list is returned as [`Decoded::Unknown`] (the caller shows it raw);
//! nothing is guessed. Tables or readings the reference marks as inferred come back with
//! `inferred: true`. Only three manifest dumps are known (builds 10240, 17134, 18990): for a log
//! of another build the nearest dump not newer than it is used, and for an unknown or newer build
//! the 18990 map; the `note` says which map was used.

use std::collections::BTreeMap;

use crate::model::Value;
use crate::schema::catalogue::{Catalogue, DecodingTable};

/// The decoded form of a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decoded {
    /// A name (enum value, HRESULT symbol and meaning).
    Text(String),
    /// The names of the set bits (unknown bits as `0x… (unknown)`).
    Flags(Vec<String>),
    /// The table does not list this value.
    Unknown,
    /// The field's bits have no public definition: the value is shown as it is, not decoded
    /// (and not unknown: there is nothing to know).
    Raw,
}

/// A decoded value with where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedValue {
    pub decoded: Decoded,
    /// The decoding table used (`DeploymentOperation`, `HRESULT`, …).
    pub table: String,
    /// The reading is this project's or the reference's inference, not a source's statement.
    pub inferred: bool,
    /// Which map was used, or why the value cannot be named.
    pub note: Option<String>,
}

/// A known HRESULT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HresultInfo {
    pub code: u32,
    pub symbol: String,
    /// One line.
    pub meaning: String,
}

/// The dump builds with a public DeploymentOptions/value map, oldest first.
const DUMP_BUILDS: [u32; 3] = [10240, 17134, 18990];

/// The dump map to use for `build` among `available` (nearest not newer; the newest when the
/// build is unknown; the oldest for builds before it), with the note saying so.
fn pick_map<T>(available: &BTreeMap<u32, T>, build: Option<u32>) -> Option<(u32, &T, String)> {
    let (newest, newest_map) = available.iter().next_back()?;
    match build {
        None => Some((
            *newest,
            newest_map,
            format!("map of build {newest} (the log's build is not known; newest public map)"),
        )),
        Some(b) => {
            let (used, map) = available
                .range(..=b)
                .next_back()
                .or_else(|| available.iter().next())?;
            let note = if *used == b {
                format!("map of build {used}")
            } else {
                format!("map of build {used} (nearest public map for build {b})")
            };
            Some((*used, map, note))
        }
    }
}

/// The dump a build would be decoded with (used to tell whether several builds agree).
pub fn dump_for_build(build: u32) -> u32 {
    DUMP_BUILDS
        .iter()
        .rev()
        .find(|&&d| d <= build)
        .copied()
        .unwrap_or(DUMP_BUILDS[0])
}

/// A value as a number: integers, decimal or `0x` hex text, negative 32-bit numbers as their
/// unsigned bit pattern (PowerShell writes HexInt32 `0x80073CFF` as -2147009281).
pub fn as_code(value: &Value) -> Option<u64> {
    match value {
        Value::Int(i) if *i < 0 => i32::try_from(*i).ok().map(|v| u64::from(v as u32)),
        Value::Str(s) if s.trim().starts_with('-') => {
            s.trim().parse::<i32>().ok().map(|v| u64::from(v as u32))
        }
        Value::Bool(_) | Value::Null | Value::Float(_) | Value::List(_) => None,
        other => other.as_u64(),
    }
}

/// The HRESULT a value holds, as a 32-bit code (hex text in any case, decimal, negative, or
/// eight hex digits without `0x` when a letter among them says they cannot be decimal:
/// `80073CF3`; `80070005` stays the decimal number it reads as).
pub fn hresult_code(value: &Value) -> Option<u32> {
    if let Value::Str(s) = value {
        let s = s.trim();
        if s.len() == 8
            && s.bytes().all(|b| b.is_ascii_hexdigit())
            && s.bytes().any(|b| b.is_ascii_alphabetic())
        {
            return u32::from_str_radix(s, 16).ok();
        }
    }
    as_code(value).and_then(|c| u32::try_from(c).ok())
}

/// Looks up an HRESULT. `None` if the value is not a 32-bit number or the code is not in the
/// table (0 is `S_OK`).
pub fn hresult(value: &Value) -> Option<HresultInfo> {
    let code = hresult_code(value)?;
    if code == 0 {
        return Some(HresultInfo {
            code,
            symbol: "S_OK".into(),
            meaning: "Success.".into(),
        });
    }
    if let Some((symbol, meaning)) = Catalogue::get().hresults.get(&code) {
        return Some(HresultInfo {
            code,
            symbol: symbol.clone(),
            meaning: meaning.clone(),
        });
    }
    // Not in the table but built by HRESULT_FROM_WIN32 (severity 1, facility 7): the Win32
    // error number is exact even without its name.
    (code & 0xFFFF_0000 == 0x8007_0000).then(|| HresultInfo {
        code,
        symbol: format!("HRESULT_FROM_WIN32({})", code & 0xFFFF),
        meaning: format!(
            "Win32 error {} (not in appxview's HRESULT table; look it up as a system error code).",
            code & 0xFFFF
        ),
    })
}

fn hresult_decoded(value: &Value) -> Option<DecodedValue> {
    let code = hresult_code(value)?;
    let (decoded, note) = match hresult(value) {
        Some(h) => (Decoded::Text(format!("{}: {}", h.symbol, h.meaning)), None),
        None => (
            Decoded::Unknown,
            Some(format!("0x{code:08X} is not in the HRESULT table")),
        ),
    };
    Some(DecodedValue {
        decoded,
        table: "HRESULT".into(),
        inferred: false,
        note,
    })
}

/// The decoding table name for a field of an event: the catalogue's declaration (newest field
/// list first, then older ones), else an HRESULT field name.
pub fn decoding_name(provider: &str, event_id: u32, field: &str) -> Option<String> {
    let cat = Catalogue::get();
    if let Some(schema) = cat.event(provider, event_id) {
        let declared = schema.declared_field(field);
        if let Some(f) = declared {
            return f.decoding.clone();
        }
    }
    cat.is_hresult_field(field).then(|| "HRESULT".to_owned())
}

/// Decodes a field value of an event whose Windows build is not known.
pub fn decode(provider: &str, event_id: u32, field: &str, value: &Value) -> Option<DecodedValue> {
    decode_for_build(provider, event_id, field, value, None)
}

/// Decodes a field value, using the maps for `build` (an OS build number) when given.
/// `None` when the field has no decoding or the value is not a number.
pub fn decode_for_build(
    provider: &str,
    event_id: u32,
    field: &str,
    value: &Value,
    build: Option<u32>,
) -> Option<DecodedValue> {
    let table = decoding_name(provider, event_id, field)?;
    decode_with_table(&table, field, value, build)
}

/// Decodes `value` with the named table (`field` selects the part of DeploymentOptions).
pub fn decode_with_table(
    table: &str,
    field: &str,
    value: &Value,
    build: Option<u32>,
) -> Option<DecodedValue> {
    if table == "HRESULT" {
        return hresult_decoded(value);
    }
    let code = as_code(value)?;
    let result = |decoded, inferred, note| {
        Some(DecodedValue {
            decoded,
            table: table.to_owned(),
            inferred,
            note,
        })
    };
    match Catalogue::get().decoding(table)? {
        DecodingTable::Raw => result(
            Decoded::Raw,
            false,
            Some("no public definition of these bits; shown raw".into()),
        ),
        DecodingTable::Enum {
            values,
            by_build,
            inferred,
        } => {
            let (map, note, renumbered) = if values.is_empty() || build.is_some() {
                match pick_map(by_build, build) {
                    // Without a flat table the numbering differs per build (DeploymentState).
                    Some((_, m, note)) => (m, Some(note), values.is_empty()),
                    None => (values, None, false),
                }
            } else {
                (values, None, false)
            };
            let decoded = map
                .get(&code)
                .map(|n| Decoded::Text(n.clone()))
                .unwrap_or(Decoded::Unknown);
            let inferred = *inferred || (renumbered && build.is_none());
            let note = if renumbered && build.is_none() {
                note.map(|n| format!("{n}; the numbering differs in every build"))
            } else {
                note
            };
            result(decoded, inferred, note)
        }
        DecodingTable::Flags { values, inferred } => {
            result(Decoded::Flags(flag_names(values, code)), *inferred, None)
        }
        DecodingTable::DeploymentOptions {
            low_by_build,
            high_by_build,
            ..
        } => {
            let (low_bits, high_bits, inferred) = if field.eq_ignore_ascii_case("FlagsHigh") {
                (None, Some(code & 0xFFFF_FFFF), false)
            } else if field.eq_ignore_ascii_case("Flags") {
                (Some(code & 0xFFFF_FFFF), None, false)
            } else {
                // 64-bit DeploymentOptions read as FlagsHigh:Flags (reference: inferred).
                (Some(code & 0xFFFF_FFFF), Some(code >> 32), true)
            };
            let mut names = Vec::new();
            let mut notes = Vec::new();
            if let Some(bits) = low_bits {
                let (_, map, note) = pick_map(low_by_build, build)?;
                notes.push(format!("low 32 bits: {note}"));
                // Only high bits set: the low map's zero entry ("DefaultOption") is not shown.
                if bits != 0 || high_bits.is_none_or(|h| h == 0) {
                    names.extend(flag_names(map, bits));
                }
            }
            if let Some(bits) = high_bits.filter(|&b| b != 0 || low_bits.is_none()) {
                match pick_map(high_by_build, build) {
                    Some((_, map, note)) => {
                        notes.push(format!("high 32 bits: {note}"));
                        names.extend(flag_names(map, bits).into_iter().filter(|n| {
                            // The zero entry of the high map means nothing when low bits exist.
                            low_bits.is_none() || n != "DefaultOption"
                        }));
                    }
                    None => names.push(format!("0x{bits:X} (unknown high bits)")),
                }
            }
            if inferred {
                notes.push("64-bit value read as FlagsHigh:Flags (inferred)".into());
            }
            result(Decoded::Flags(names), inferred, Some(notes.join("; ")))
        }
    }
}

/// Names of the bits set in `value`; `0` gives the map's zero entry if it has one.
pub fn flag_names(map: &BTreeMap<u64, String>, value: u64) -> Vec<String> {
    if value == 0 {
        return map.get(&0).cloned().into_iter().collect();
    }
    (0..64)
        .map(|i| 1u64 << i)
        .filter(|bit| value & bit != 0)
        .map(|bit| {
            map.get(&bit)
                .cloned()
                .unwrap_or_else(|| format!("0x{bit:X} (unknown)"))
        })
        .collect()
}

impl DecodedValue {
    /// The decoded form as display text (flags joined with ` | `); `None` for unknown.
    pub fn text(&self) -> Option<String> {
        match &self.decoded {
            Decoded::Text(t) => Some(t.clone()),
            Decoded::Flags(f) => Some(f.join(" | ")),
            Decoded::Unknown | Decoded::Raw => None,
        }
    }
}
