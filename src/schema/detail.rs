//! The detail of one event, as the UI's detail pane and `appxview inspect` show it: header names,
//! rendered message, each field with its declared type and decoded value, fields missing from or
//! extra to the catalogue, the Windows builds whose field list matches, and the package.
//!
//! The Windows build of a log is not recorded in its events; it is estimated from the field list
//! (`builds`). Decoders get a build number only when all matching builds use the same public map;
//! otherwise they fall back to the newest map and say so.

use serde_json::{Map, Value as Json, json};

use crate::model::{Event, Value, level_name};
use crate::schema::catalogue::{Catalogue, EventSchema, FieldList, FieldSchema};
use crate::schema::decode::{Decoded, DecodedValue, decode_with_table, dump_for_build};
use crate::schema::message::{MessageText, render_with_schema};
use crate::schema::package::{PackageId, package_of};

/// One EventData field.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldDetail {
    pub name: String,
    /// The ETW in-type the catalogue declares (`UInt32`, `HexInt64`, …).
    pub declared_type: Option<String>,
    pub value: Value,
    pub decoded: Option<DecodedValue>,
    /// The decoding is an inference (also inside `decoded`).
    pub inferred: bool,
}

impl FieldDetail {
    /// The decoded meaning as one line of text: names (flags joined with ` | `), `… (inferred)`
    /// for an inference, `unknown value` when the table does not list the value; `None` when the
    /// field has no decoding.
    pub fn meaning(&self) -> Option<String> {
        let decoded = self.decoded.as_ref()?;
        Some(match decoded.text() {
            Some(text) if self.inferred => format!("{text} (inferred)"),
            Some(text) => text,
            None if decoded.decoded == Decoded::Raw => {
                "not decoded (no public definition of these bits)".to_owned()
            }
            None => "unknown value".to_owned(),
        })
    }
}

/// Everything the detail views show about one event.
#[derive(Clone, Debug, PartialEq)]
pub struct EventDetail {
    pub provider: String,
    pub channel: String,
    pub event_id: Option<u32>,
    /// UTC ISO 8601 (see [`crate::model::EventTime::display`]).
    pub time: String,
    pub task_name: Option<String>,
    pub opcode_name: Option<String>,
    pub level_name: Option<String>,
    /// The event's own message if the input had one, else the rendered template.
    pub message: Option<String>,
    /// Why there is no message (when `message` is `None`).
    pub message_note: Option<String>,
    pub fields: Vec<FieldDetail>,
    /// Fields the catalogue declares (for the closest build) that the event lacks.
    pub missing_fields: Vec<String>,
    /// Fields the event has that the catalogue does not declare (for the closest build).
    pub extra_fields: Vec<String>,
    /// Labels of the Windows builds whose field list has exactly the event's field names.
    pub builds: Vec<String>,
    pub package: Option<PackageId>,
}

/// The field lists whose names equal the event's (as sets), newest first.
fn matching_lists<'a>(schema: &'a EventSchema, names: &[&str]) -> Vec<&'a FieldList> {
    schema
        .field_history
        .iter()
        .rev()
        .filter(|list| {
            list.fields.len() == names.len()
                && list
                    .fields
                    .iter()
                    .all(|f| names.iter().any(|n| n.eq_ignore_ascii_case(&f.name)))
        })
        .collect()
}

/// The field list nearest to the event's names (fewest differences; newest on ties).
fn closest_list<'a>(schema: &'a EventSchema, names: &[&str]) -> Option<&'a FieldList> {
    schema.field_history.iter().rev().min_by_key(|list| {
        let missing = list
            .fields
            .iter()
            .filter(|f| !names.iter().any(|n| n.eq_ignore_ascii_case(&f.name)))
            .count();
        let extra = names
            .iter()
            .filter(|n| !list.fields.iter().any(|f| f.name.eq_ignore_ascii_case(n)))
            .count();
        missing + extra
    })
}

/// True if a value of this shape can carry the declared type.
fn fits(ty: &str, value: &Value) -> bool {
    let numeric_type = ty.contains("Int") || ty == "Pointer";
    match value {
        Value::Str(s) if numeric_type => {
            crate::schema::decode::as_code(&Value::Str(s.clone())).is_some()
        }
        Value::Int(_) | Value::UInt(_) if ty.contains("String") => false,
        _ => true,
    }
}

/// The declaration for a field: from the matching lists (newest first) whose type fits the value,
/// else the first one found in any list.
fn declaration<'a>(
    schema: &'a EventSchema,
    preferred: &[&'a FieldList],
    name: &str,
    value: &Value,
) -> Option<&'a FieldSchema> {
    let candidates: Vec<&FieldSchema> = preferred
        .iter()
        .copied()
        .chain(schema.field_history.iter().rev())
        .flat_map(|l| l.fields.iter())
        .chain(schema.fields.iter())
        .filter(|f| f.name.eq_ignore_ascii_case(name))
        .collect();
    candidates
        .iter()
        .find(|f| fits(&f.ty, value))
        .or(candidates.first())
        .copied()
}

impl EventDetail {
    /// Builds the detail of `event`.
    pub fn build(event: &Event) -> EventDetail {
        let cat = Catalogue::get();
        let provider = event.provider.as_str();
        let schema = event.event_id.and_then(|id| cat.event(provider, id));
        let provider_schema = cat.provider(provider);
        let names: Vec<&str> = event.fields.iter().map(|(n, _)| n.as_str()).collect();

        let matched = schema
            .map(|s| matching_lists(s, &names))
            .unwrap_or_default();
        let mut build_indices: Vec<usize> = matched
            .iter()
            .flat_map(|l| l.builds.iter().copied())
            .collect();
        build_indices.sort_unstable();
        build_indices.dedup();
        let build_numbers: Vec<u32> = build_indices
            .iter()
            .filter_map(|&i| cat.builds.get(i).map(|b| b.number))
            .collect();
        // A build hint only when every matching build decodes with the same public map.
        let build_hint = match build_numbers.first() {
            Some(&first)
                if build_numbers
                    .iter()
                    .all(|&b| dump_for_build(b) == dump_for_build(first)) =>
            {
                Some(first)
            }
            _ => None,
        };

        let fields = event
            .fields
            .iter()
            .map(|(name, value)| {
                let name = name.as_str();
                let decl = schema.and_then(|s| declaration(s, &matched, name, value));
                // The catalogue's declaration decides; HRESULT names only for undeclared fields.
                let table = match decl {
                    Some(d) => d.decoding.clone(),
                    None => cat.is_hresult_field(name).then(|| "HRESULT".to_owned()),
                };
                let decoded = table.and_then(|t| decode_with_table(&t, name, value, build_hint));
                FieldDetail {
                    name: name.to_owned(),
                    declared_type: decl.map(|d| d.ty.clone()),
                    value: value.clone(),
                    inferred: decoded.as_ref().is_some_and(|d| d.inferred),
                    decoded,
                }
            })
            .collect();

        let (missing_fields, extra_fields) = match schema.and_then(|s| closest_list(s, &names)) {
            Some(list) => (
                list.fields
                    .iter()
                    .filter(|f| !names.iter().any(|n| n.eq_ignore_ascii_case(&f.name)))
                    .map(|f| f.name.clone())
                    .collect(),
                names
                    .iter()
                    .filter(|n| !list.fields.iter().any(|f| f.name.eq_ignore_ascii_case(n)))
                    .map(|n| (*n).to_owned())
                    .collect(),
            ),
            None => (Vec::new(), Vec::new()),
        };

        let (message, message_note) =
            match event.message.as_deref().filter(|m| !m.trim().is_empty()) {
                Some(m) => (Some(m.to_owned()), None),
                None => {
                    let rendered = match schema {
                        Some(s) => render_with_schema(event, s),
                        None => MessageText::UnknownEvent,
                    };
                    match rendered {
                        MessageText::Rendered(t) => (Some(t), None),
                        other => (None, Some(other.explain(provider, event.event_id))),
                    }
                }
            };

        let task_name = event
            .task
            .and_then(|t| provider_schema.and_then(|p| p.tasks.get(&t).cloned()))
            .or_else(|| schema.and_then(|s| s.task.clone()));
        let opcode_name = schema
            .and_then(|s| s.opcode.clone())
            .or_else(|| event.opcode.and_then(|o| cat.opcodes.get(&o).cloned()));
        let level_name = match event.level {
            Some(_) => Some(level_name(event.level).to_owned()),
            None => schema.and_then(|s| s.level.clone()),
        };
        let channel = if event.channel.is_empty() {
            schema.and_then(|s| s.channel.clone()).unwrap_or_default()
        } else {
            event.channel.as_str().to_owned()
        };

        EventDetail {
            provider: provider.to_owned(),
            channel,
            event_id: event.event_id,
            time: event.time.display(),
            task_name,
            opcode_name,
            level_name,
            message,
            message_note,
            fields,
            missing_fields,
            extra_fields,
            builds: build_indices
                .iter()
                .filter_map(|&i| cat.builds.get(i).map(|b| b.label.clone()))
                .collect(),
            package: package_of(event),
        }
    }

    /// The event's part of the `appxview inspect` JSON: `provider`, `channel`, `event_id`, `time`,
    /// `task`, `opcode`, `level`, `message` (`message_note` says why when it is null), `fields`
    /// (`[{"name","type","value","decoded"}]`, `decoded` a string, a list of flag names for bit
    /// maps, or null; `unknown`, `inferred` and `note` when they apply), `missing_fields`,
    /// `extra_fields`, `builds` and `package` (see [`PackageId::to_json`]).
    /// [`crate::inspect::event_json`] adds the record id, source and rule hits.
    pub fn to_json(&self) -> Json {
        let fields: Vec<Json> = self
            .fields
            .iter()
            .map(|f| {
                let decoded = match f.decoded.as_ref().map(|d| &d.decoded) {
                    Some(Decoded::Text(t)) => Json::String(t.clone()),
                    Some(Decoded::Flags(names)) => json!(names),
                    Some(Decoded::Unknown | Decoded::Raw) | None => Json::Null,
                };
                let mut m = Map::new();
                m.insert("name".into(), Json::String(f.name.clone()));
                m.insert("type".into(), json!(f.declared_type));
                m.insert("value".into(), f.value.to_json());
                m.insert("decoded".into(), decoded);
                if let Some(d) = &f.decoded {
                    if d.decoded == Decoded::Unknown {
                        m.insert("unknown".into(), Json::Bool(true));
                    }
                    if d.inferred {
                        m.insert("inferred".into(), Json::Bool(true));
                    }
                    if let Some(note) = &d.note {
                        m.insert("note".into(), Json::String(note.clone()));
                    }
                }
                Json::Object(m)
            })
            .collect();
        json!({
            "provider": self.provider,
            "channel": self.channel,
            "event_id": self.event_id,
            "time": self.time,
            "task": self.task_name,
            "opcode": self.opcode_name,
            "level": self.level_name,
            "message": self.message,
            "message_note": self.message_note,
            "fields": fields,
            "missing_fields": self.missing_fields,
            "extra_fields": self.extra_fields,
            "builds": self.builds,
            "package": self.package.as_ref().map(PackageId::to_json),
        })
    }
}
