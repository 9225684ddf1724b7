//! The AppX event catalogue: for each provider and event id, the header attribute names, the
//! message template, the declared fields and how the field list changed across Windows builds;
//! plus the value decoding tables and the HRESULT table.
//!
//! Loaded once from `assets/schema/catalogue.json` (built by `tools/gen_catalogue.py` from the
//! research reference in `../shared/schema`). It knows the 16 Windows builds the reference
//! compares (Windows 10 1511 … Windows 11 26H1); it does not know events, values or builds outside
//! them, and the decoding maps come from three manifest dumps only (builds 10240, 17134, 18990).

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde::Deserialize;

/// The compiled-in catalogue text.
const CATALOGUE_JSON: &str = include_str!("../../assets/schema/catalogue.json");

/// One Windows build the reference compares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildInfo {
    /// `11_21H2`.
    pub key: String,
    /// `Windows 11 21H2`.
    pub label: String,
    /// The OS build number, `22000`.
    pub number: u32,
}

/// A declared field: name, ETW in-type (without `win:`) and the decoding table name, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldSchema {
    pub name: String,
    /// `UInt32`, `HexInt64`, `UnicodeString`, …
    pub ty: String,
    /// A key of [`Catalogue::decodings`] (or `HRESULT`).
    pub decoding: Option<String>,
}

/// The field list of an event over a run of builds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldList {
    /// Indices into [`Catalogue::builds`].
    pub builds: Vec<usize>,
    pub fields: Vec<FieldSchema>,
}

/// What the catalogue knows about one event id of one provider (attributes of the newest build).
#[derive(Clone, Debug, PartialEq)]
pub struct EventSchema {
    pub provider: String,
    pub id: u32,
    pub version: u8,
    /// `Informational`, `Verbose`, `Error`, …
    pub level: Option<String>,
    /// The task name.
    pub task: Option<String>,
    /// The opcode name (`Start`, `Stop`, `ParseManifest`, …).
    pub opcode: Option<String>,
    /// Keyword names.
    pub keywords: Vec<String>,
    /// Only where a source confirmed it; `None` means not verified.
    pub channel: Option<String>,
    /// Positional template (`%1 … %n`): `Some("")` = defined empty, `None` = not known.
    pub message: Option<String>,
    /// The same template with `{FieldName}` inserts.
    pub message_named: Option<String>,
    /// The field list of the newest build.
    pub fields: Vec<FieldSchema>,
    /// Indices into [`Catalogue::builds`] of the builds that have the event.
    pub builds: Vec<usize>,
    /// Field list per run of builds (always at least one entry when the event has builds).
    pub field_history: Vec<FieldList>,
}

impl EventSchema {
    /// The declaration of field `name` (ASCII case-insensitive): the newest field list
    /// first, then older builds' lists, newest first.
    pub fn declared_field(&self, name: &str) -> Option<&FieldSchema> {
        self.fields
            .iter()
            .chain(
                self.field_history
                    .iter()
                    .rev()
                    .flat_map(|h| h.fields.iter()),
            )
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }
}

/// A value decoding table.
#[derive(Clone, Debug, PartialEq)]
pub enum DecodingTable {
    /// One name per value; `by_build` holds the per-dump maps where builds differ.
    Enum {
        values: BTreeMap<u64, String>,
        by_build: BTreeMap<u32, BTreeMap<u64, String>>,
        inferred: bool,
    },
    /// One name per bit.
    Flags {
        values: BTreeMap<u64, String>,
        inferred: bool,
    },
    /// DeploymentOptions: the public enum and the ETW low/high 32-bit maps per dump build.
    DeploymentOptions {
        public: BTreeMap<u64, String>,
        low_by_build: BTreeMap<u32, BTreeMap<u64, String>>,
        high_by_build: BTreeMap<u32, BTreeMap<u64, String>>,
    },
    /// No definition is known: show the raw value.
    Raw,
}

/// One provider's part of the catalogue.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderSchema {
    pub name: String,
    pub guid: Option<String>,
    /// The provider's main channel.
    pub channel: Option<String>,
    /// Task value → name.
    pub tasks: BTreeMap<u16, String>,
    /// Keyword mask → name.
    pub keywords: BTreeMap<u64, String>,
    pub events: HashMap<u32, EventSchema>,
}

/// The whole catalogue.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Catalogue {
    pub builds: Vec<BuildInfo>,
    pub providers: Vec<ProviderSchema>,
    pub decodings: HashMap<String, DecodingTable>,
    /// Level value → name (winmeta).
    pub levels: BTreeMap<u8, String>,
    /// Generic opcode value → name (winmeta).
    pub opcodes: BTreeMap<u8, String>,
    /// Field names that carry HRESULTs when the event is not in the catalogue.
    pub hresult_fields: Vec<String>,
    /// HRESULT → (symbol, meaning).
    pub hresults: HashMap<u32, (String, String)>,
    /// Set if the compiled-in catalogue could not be read (then everything else is empty).
    pub load_error: Option<String>,
}

#[derive(Deserialize)]
struct RawCatalogue {
    builds: Vec<(String, String, u32)>,
    providers: serde_json::Map<String, serde_json::Value>,
    decodings: serde_json::Map<String, serde_json::Value>,
    levels: BTreeMap<String, String>,
    opcodes: BTreeMap<String, String>,
    hresult_fields: Vec<String>,
    hresults: BTreeMap<String, (String, String)>,
}

#[derive(Deserialize)]
struct RawProvider {
    guid: Option<String>,
    channel: Option<String>,
    tasks: BTreeMap<String, String>,
    keywords: BTreeMap<String, String>,
    events: BTreeMap<String, RawEvent>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawTask {
    Value(u16),
    Name(String),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawKeywords {
    Mask(u64),
    Names(Vec<String>),
}

#[derive(Deserialize)]
struct RawEvent {
    v: u8,
    l: Option<String>,
    t: Option<RawTask>,
    o: Option<String>,
    c: Option<String>,
    k: Option<RawKeywords>,
    m: Option<String>,
    n: Option<String>,
    f: Vec<Vec<String>>,
    b: Vec<(usize, usize)>,
    h: Option<Vec<RawHistoryRun>>,
}

/// Build runs `[[first, last], …]` and the field rows of one field-history entry.
type RawHistoryRun = (Vec<(usize, usize)>, Vec<Vec<String>>);

#[derive(Deserialize)]
struct RawDecoding {
    kind: String,
    #[serde(default)]
    values: BTreeMap<String, String>,
    #[serde(default)]
    by_build: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    public: BTreeMap<String, String>,
    #[serde(default)]
    low_by_build: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    high_by_build: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    inferred: bool,
}

/// Parses `"12"` or `"0x800000"`.
pub fn parse_number(text: &str) -> Option<u64> {
    let t = text.trim();
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => t.parse().ok(),
    }
}

fn value_map(raw: &BTreeMap<String, String>) -> Result<BTreeMap<u64, String>, String> {
    raw.iter()
        .map(|(k, v)| {
            parse_number(k)
                .map(|n| (n, v.clone()))
                .ok_or_else(|| format!("bad value key {k:?}"))
        })
        .collect()
}

fn build_maps(
    raw: &BTreeMap<String, BTreeMap<String, String>>,
) -> Result<BTreeMap<u32, BTreeMap<u64, String>>, String> {
    raw.iter()
        .map(|(b, m)| {
            let build = b
                .parse::<u32>()
                .map_err(|_| format!("bad build key {b:?}"))?;
            Ok((build, value_map(m)?))
        })
        .collect()
}

fn expand_runs(runs: &[(usize, usize)]) -> Vec<usize> {
    runs.iter().flat_map(|&(a, b)| a..=b).collect()
}

fn field_rows(rows: &[Vec<String>]) -> Vec<FieldSchema> {
    rows.iter()
        .map(|r| FieldSchema {
            name: r.first().cloned().unwrap_or_default(),
            ty: r.get(1).cloned().unwrap_or_default(),
            decoding: r.get(2).cloned(),
        })
        .collect()
}

fn convert_event(
    provider: &str,
    id: u32,
    raw: RawEvent,
    tasks: &BTreeMap<u16, String>,
    keyword_names: &BTreeMap<u64, String>,
) -> EventSchema {
    let fields = field_rows(&raw.f);
    let builds = expand_runs(&raw.b);
    let field_history = match &raw.h {
        Some(h) => h
            .iter()
            .map(|(runs, rows)| FieldList {
                builds: expand_runs(runs),
                fields: field_rows(rows),
            })
            .collect(),
        None if builds.is_empty() => Vec::new(),
        None => vec![FieldList {
            builds: builds.clone(),
            fields: fields.clone(),
        }],
    };
    let task = raw.t.map(|t| match t {
        RawTask::Value(v) => tasks
            .get(&v)
            .cloned()
            .unwrap_or_else(|| format!("task {v}")),
        RawTask::Name(n) => n,
    });
    let keywords = match raw.k {
        Some(RawKeywords::Names(n)) => n,
        Some(RawKeywords::Mask(mask)) => keyword_names
            .iter()
            .filter(|&(&bit, _)| bit != 0 && mask & bit == bit)
            .map(|(_, name)| name.clone())
            .collect(),
        None => Vec::new(),
    };
    EventSchema {
        provider: provider.to_owned(),
        id,
        version: raw.v,
        level: raw.l,
        task,
        opcode: raw.o,
        keywords,
        channel: raw.c,
        message: raw.m,
        message_named: raw.n,
        fields,
        builds,
        field_history,
    }
}

fn convert_decoding(raw: RawDecoding) -> Result<DecodingTable, String> {
    Ok(match raw.kind.as_str() {
        "enum" => DecodingTable::Enum {
            values: value_map(&raw.values)?,
            by_build: build_maps(&raw.by_build)?,
            inferred: raw.inferred,
        },
        "flags" => DecodingTable::Flags {
            values: value_map(&raw.values)?,
            inferred: raw.inferred,
        },
        "deployment_options" => DecodingTable::DeploymentOptions {
            public: value_map(&raw.public)?,
            low_by_build: build_maps(&raw.low_by_build)?,
            high_by_build: build_maps(&raw.high_by_build)?,
        },
        "raw" => DecodingTable::Raw,
        other => return Err(format!("unknown decoding kind {other:?}")),
    })
}

impl Catalogue {
    /// The catalogue, parsed on first use.
    pub fn get() -> &'static Catalogue {
        static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
        CATALOGUE.get_or_init(|| {
            Catalogue::parse(CATALOGUE_JSON).unwrap_or_else(|e| Catalogue {
                load_error: Some(format!("assets/schema/catalogue.json: {e}")),
                ..Catalogue::default()
            })
        })
    }

    /// Parses catalogue JSON (the format `tools/gen_catalogue.py` writes).
    pub fn parse(text: &str) -> Result<Catalogue, String> {
        let raw: RawCatalogue = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let builds = raw
            .builds
            .into_iter()
            .map(|(key, label, number)| BuildInfo { key, label, number })
            .collect();
        let mut providers = Vec::new();
        for (name, value) in raw.providers {
            let p: RawProvider =
                serde_json::from_value(value).map_err(|e| format!("provider {name}: {e}"))?;
            let mut events = HashMap::new();
            let tasks: BTreeMap<u16, String> = p
                .tasks
                .iter()
                .filter_map(|(k, v)| Some((k.parse::<u16>().ok()?, v.clone())))
                .collect();
            let keywords: BTreeMap<u64, String> = p
                .keywords
                .iter()
                .filter_map(|(k, v)| Some((parse_number(k)?, v.clone())))
                .collect();
            for (id, e) in p.events {
                let id: u32 = id
                    .parse()
                    .map_err(|_| format!("provider {name}: bad event id {id:?}"))?;
                events.insert(id, convert_event(&name, id, e, &tasks, &keywords));
            }
            providers.push(ProviderSchema {
                name,
                guid: p.guid,
                channel: p.channel,
                tasks,
                keywords,
                events,
            });
        }
        let mut decodings = HashMap::new();
        for (name, value) in raw.decodings {
            let d: RawDecoding =
                serde_json::from_value(value).map_err(|e| format!("decoding {name}: {e}"))?;
            decodings.insert(
                name.clone(),
                convert_decoding(d).map_err(|e| format!("decoding {name}: {e}"))?,
            );
        }
        let small = |m: BTreeMap<String, String>| -> BTreeMap<u8, String> {
            m.into_iter()
                .filter_map(|(k, v)| Some((k.parse().ok()?, v)))
                .collect()
        };
        let mut hresults = HashMap::new();
        for (code, (symbol, meaning)) in raw.hresults {
            let n = parse_number(&code)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| format!("bad HRESULT key {code:?}"))?;
            hresults.insert(n, (symbol, meaning));
        }
        Ok(Catalogue {
            builds,
            providers,
            decodings,
            levels: small(raw.levels),
            opcodes: small(raw.opcodes),
            hresult_fields: raw.hresult_fields,
            hresults,
            load_error: None,
        })
    }

    /// The provider by name (exact, else ignoring ASCII case).
    pub fn provider(&self, name: &str) -> Option<&ProviderSchema> {
        self.providers.iter().find(|p| p.name == name).or_else(|| {
            self.providers
                .iter()
                .find(|p| p.name.eq_ignore_ascii_case(name))
        })
    }

    /// The schema of one event.
    pub fn event(&self, provider: &str, event_id: u32) -> Option<&EventSchema> {
        self.provider(provider)?.events.get(&event_id)
    }

    /// A decoding table by name.
    pub fn decoding(&self, name: &str) -> Option<&DecodingTable> {
        self.decodings.get(name)
    }

    /// True if `field` is one of the HRESULT field names (ignoring ASCII case).
    pub fn is_hresult_field(&self, field: &str) -> bool {
        self.hresult_fields
            .iter()
            .any(|f| f.eq_ignore_ascii_case(field))
    }
}
