//! Renders an event's message from the catalogue template and the event's own values.
//!
//! The named template (`{FieldName}` inserts) is used, since JSON and EVTX inputs carry named
//! values; the positional one (`%1 … %n`, matched to the catalogue's newest field list) only when
//! no named template exists. Values with a value map that Windows attaches in the manifest are
//! shown by name, as Event Viewer shows them (e.g. DeploymentOperation 12 → `PreRegisterPackage`);
//! inferred decodings, bit maps and HRESULTs are shown as written. A value the event lacks renders
//! as `<missing Name>`, so no insert is ever left in the text. Templates come from Windows 10 1809
//! metadata (plus 69 from 22H2) and may differ slightly from newer builds.

use crate::model::{Event, Value};
use crate::schema::catalogue::{Catalogue, EventSchema};
use crate::schema::decode::{Decoded, decode_with_table};

/// The result of rendering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageText {
    /// The template with the event's values.
    Rendered(String),
    /// The catalogue defines this event's message as empty.
    EmptyTemplate,
    /// The event is in the catalogue but its message text is not known.
    NoTemplate,
    /// The provider/event id is not in the catalogue (or the event has no id).
    UnknownEvent,
}

impl MessageText {
    /// The rendered text, if any.
    pub fn text(&self) -> Option<&str> {
        match self {
            MessageText::Rendered(t) => Some(t),
            _ => None,
        }
    }

    /// What to show when there is no text, e.g.
    /// `no message template in the catalogue for Microsoft-Windows-AppXDeployment-Server 999`.
    pub fn explain(&self, provider: &str, event_id: Option<u32>) -> String {
        // `Provider 400`, `Provider (no event id)`, `event 400 (no provider)`, or neither.
        let what = match (provider.trim(), event_id) {
            ("", Some(id)) => format!("event {id} (no provider)"),
            ("", None) => "an event with no provider and no event id".to_owned(),
            (provider, Some(id)) => format!("{provider} {id}"),
            (provider, None) => format!("{provider} (no event id)"),
        };
        match self {
            MessageText::Rendered(t) => t.clone(),
            MessageText::EmptyTemplate => format!("the message of {what} is defined empty"),
            MessageText::NoTemplate => {
                format!("no message template in the catalogue for {what}")
            }
            MessageText::UnknownEvent => format!("{what} is not in the catalogue"),
        }
    }
}

/// Renders the message of `event`.
pub fn render_message(event: &Event) -> MessageText {
    let Some(id) = event.event_id else {
        return MessageText::UnknownEvent;
    };
    let Some(schema) = Catalogue::get().event(event.provider.as_str(), id) else {
        return MessageText::UnknownEvent;
    };
    render_with_schema(event, schema)
}

/// Renders with a given schema (the event's own provider/id are not looked up).
pub fn render_with_schema(event: &Event, schema: &EventSchema) -> MessageText {
    if let Some(named) = &schema.message_named {
        if named.is_empty() {
            return MessageText::EmptyTemplate;
        }
        return MessageText::Rendered(render_named(named, |name| insert(event, schema, name)));
    }
    match &schema.message {
        None => MessageText::NoTemplate,
        Some(m) if m.is_empty() => MessageText::EmptyTemplate,
        Some(m) => MessageText::Rendered(render_positional(m, |n| {
            match n.checked_sub(1).and_then(|i| schema.fields.get(i)) {
                Some(f) => insert(event, schema, &f.name),
                None => format!("<missing %{n}>"),
            }
        })),
    }
}

/// True for characters of a field name.
fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Replaces every `{Identifier}` with `value(Identifier)`; other braces stay as they are.
pub fn render_named(template: &str, mut value: impl FnMut(&str) -> String) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let len = after.find(|c: char| !is_ident(c)).unwrap_or(after.len());
        if len > 0 && after[len..].starts_with('}') {
            out.push_str(&value(&after[..len]));
            rest = &after[len + 1..];
        } else {
            out.push('{');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Replaces every `%n` (n ≥ 1) with `value(n)`; `%%` becomes `%`.
pub fn render_positional(template: &str, mut value: impl FnMut(usize) -> String) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(pos) = rest.find('%') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let len = after
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(after.len());
        match after[..len].parse::<usize>() {
            Ok(n) if n > 0 => {
                out.push_str(&value(n));
                rest = &after[len..];
            }
            _ if after.starts_with('%') => {
                out.push('%');
                rest = &after[1..];
            }
            _ => {
                out.push('%');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The text for one insert.
fn insert(event: &Event, schema: &EventSchema, name: &str) -> String {
    let Some(value) = event.field_ignore_case(name) else {
        return format!("<missing {name}>");
    };
    let declared = schema.declared_field(name);
    if let Some(f) = declared {
        if let Some(table) = f.decoding.as_deref()
            && shown_by_windows(table)
            && let Some(d) = decode_with_table(table, name, value, None)
            && !d.inferred
            && let Decoded::Text(text) = d.decoded
        {
            return text;
        }
        if f.ty.starts_with("HexInt")
            && let Some(n) = numeric(value)
        {
            return format!("0x{n:X}");
        }
    }
    value.to_text().into_owned()
}

/// Value maps the manifest attaches to the field, which Event Viewer renders by name.
fn shown_by_windows(table: &str) -> bool {
    !matches!(
        table,
        "HRESULT" | "PackageType" | "PackageFlags" | "DeploymentOptions"
    )
}

/// A number written as a number (a HexInt that an export turned into decimal).
fn numeric(value: &Value) -> Option<u64> {
    match value {
        Value::UInt(u) => Some(*u),
        Value::Int(i) if *i < 0 => i32::try_from(*i).ok().map(|v| u64::from(v as u32)),
        Value::Int(i) => u64::try_from(*i).ok(),
        _ => None,
    }
}
