//! Which events are shown, and in which order. Pure functions over the [`Store`]: no egui,
//! no I/O.

use std::cmp::Ordering;

use crate::model::{EventView, Row, Sym, level_name};
use crate::store::Store;

/// What the investigator asked to see.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// Case-insensitive substring of the package name, publisher id or family name; with a
    /// `_` in it, also of a full name (PackageFullName, PackageFamilyName, PackageMoniker).
    /// Empty matches all.
    pub package: String,
    /// Event ids: `400, 401` or ranges `400-404`; empty matches all.
    pub event_ids: String,
    /// Only events some rule flagged.
    pub flagged_only: bool,
    /// Show events of every provider, not only AppX ones.
    pub all_events: bool,
    /// Only the hits of this rule (index into the rule set).
    pub rule: Option<usize>,
}

/// Parses the event-id filter: numbers and `a-b` ranges separated by commas or spaces.
pub fn parse_event_ids(text: &str) -> Result<Vec<(u32, u32)>, String> {
    let mut ranges = Vec::new();
    for part in text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
    {
        let range = match part.split_once('-') {
            Some((a, b)) => (a.trim().parse::<u32>(), b.trim().parse::<u32>()),
            None => (part.parse::<u32>(), part.parse::<u32>()),
        };
        match range {
            (Ok(a), Ok(b)) if a <= b => ranges.push((a, b)),
            _ => {
                return Err(format!(
                    "\"{part}\" is not an event id or range (e.g. 400, 401-404)"
                ));
            }
        }
    }
    Ok(ranges)
}

/// Rows of the store that pass `filter`, in store order. An unparsable event-id filter
/// matches nothing (the UI shows why). Works on packed events and derived facts; the package
/// test runs once per distinct package name, publisher id and family name, not once per
/// event. Only a needle with `_` that none of those contain looks at full names in the
/// fields (unpacking the events that name a package).
pub fn visible_rows(store: &Store, filter: &Filter) -> Vec<Row> {
    let Ok(id_ranges) = parse_event_ids(&filter.event_ids) else {
        return Vec::new();
    };
    let needle = filter.package.trim().to_lowercase();
    let mut package_test = SymTest::new(|text: &str| contains_lowercase(text, &needle));
    let full_name_needle = needle.contains('_');
    store
        .packed_events()
        .iter()
        .zip(&store.derived)
        .enumerate()
        .filter(|(row, (event, derived))| {
            let row = *row as Row;
            if !filter.all_events && !derived.appx {
                return false;
            }
            if filter.flagged_only && !store.detections.contains_key(&row) {
                return false;
            }
            if let Some(rule) = filter.rule
                && !store.hits(row).iter().any(|d| d.rule == rule)
            {
                return false;
            }
            if !id_ranges.is_empty()
                && !event
                    .event_id()
                    .is_some_and(|id| id_ranges.iter().any(|(a, b)| (*a..=*b).contains(&id)))
            {
                return false;
            }
            needle.is_empty()
                || package_test.test(derived.package)
                || package_test.test(derived.publisher)
                || package_test.test(derived.family)
                || (full_name_needle
                    && !derived.package.is_empty()
                    && event.unpack().fields.iter().any(|(name, value)| {
                        FULL_NAME_FIELDS.contains(&name.as_str())
                            && contains_lowercase(&value.to_text(), &needle)
                    }))
        })
        .map(|(row, _)| row as Row)
        .collect()
}

/// Fields a `_` needle is also looked for in.
const FULL_NAME_FIELDS: [&str; 3] = ["PackageFullName", "PackageFamilyName", "PackageMoniker"];

/// A text test on interned names, answered once per name.
struct SymTest<F> {
    test: F,
    /// By [`Sym::id`]: 0 not yet asked, 1 false, 2 true.
    answers: Vec<u8>,
}

impl<F: Fn(&str) -> bool> SymTest<F> {
    fn new(test: F) -> Self {
        SymTest {
            test,
            answers: Vec::new(),
        }
    }

    fn test(&mut self, sym: Sym) -> bool {
        let id = sym.id() as usize;
        if id >= self.answers.len() {
            self.answers.resize(id + 1, 0);
        }
        if self.answers[id] == 0 {
            self.answers[id] = if (self.test)(sym.as_str()) { 2 } else { 1 };
        }
        self.answers[id] == 2
    }
}

/// `needle` is lowercase.
fn contains_lowercase(haystack: &str, needle: &str) -> bool {
    if haystack.is_ascii() && needle.is_ascii() {
        haystack
            .as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
            || needle.is_empty()
    } else {
        haystack.to_lowercase().contains(needle)
    }
}

/// The table's columns, also the sort keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Column {
    Time,
    EventId,
    Level,
    Package,
    Publisher,
    Summary,
    Result,
    Computer,
    Source,
    Detections,
}

impl Column {
    /// Every column, in table order.
    pub const ALL: [Column; 10] = [
        Column::Time,
        Column::EventId,
        Column::Level,
        Column::Detections,
        Column::Package,
        Column::Publisher,
        Column::Summary,
        Column::Result,
        Column::Computer,
        Column::Source,
    ];

    /// The header text.
    pub fn title(self) -> &'static str {
        match self {
            Column::Time => "Time (UTC)",
            Column::EventId => "Event ID",
            Column::Level => "Level",
            Column::Package => "Package",
            Column::Publisher => "Publisher id",
            Column::Summary => "Operation / summary",
            Column::Result => "Result / error code",
            Column::Computer => "Computer",
            Column::Source => "Source",
            Column::Detections => "Detections",
        }
    }
}

/// Sort order of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sort {
    pub column: Column,
    pub ascending: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Sort {
            column: Column::Time,
            ascending: true,
        }
    }
}

/// Sorts rows in place (stable: ties keep load order). Events without a valid time sort last
/// whatever the direction. Columns computed from the fields (summary, result) are worked out
/// once per row before sorting.
pub fn sort_rows(store: &Store, rows: &mut [Row], sort: Sort) {
    let events = store.packed_events();
    let packed = |row: &Row| &events[*row as usize];
    let ascending = sort.ascending;
    match sort.column {
        Column::Time => rows.sort_by(|a, b| match (packed(a).instant(), packed(b).instant()) {
            (Some(x), Some(y)) => directed(x.cmp(&y), ascending),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }),
        Column::EventId => rows
            .sort_by(|a, b| directed(packed(a).event_id().cmp(&packed(b).event_id()), ascending)),
        Column::Level => {
            rows.sort_by(|a, b| directed(packed(a).level().cmp(&packed(b).level()), ascending))
        }
        Column::Package | Column::Publisher => {
            let key = |row: &Row| {
                let derived = &store.derived[*row as usize];
                if sort.column == Column::Package {
                    derived.package
                } else {
                    derived.publisher
                }
            };
            rows.sort_by(|a, b| directed(key(a).as_str().cmp(key(b).as_str()), ascending))
        }
        Column::Summary | Column::Result => {
            // Read from the packed event: only the fields the cell looks at are decoded. A
            // deployment operation's cell depends only on provider, event id and the value, so
            // it is decoded once per distinct triple.
            let operation = summary_names()[0];
            let mut decoded: std::collections::HashMap<(Sym, Option<u32>, String), String> =
                std::collections::HashMap::new();
            let mut keyed: Vec<(String, Row)> = Vec::with_capacity(rows.len());
            for row in rows.iter() {
                let event = packed(row);
                let text = if sort.column == Column::Result {
                    result_code(event)
                } else if let Some(op) = event.field(operation) {
                    decoded
                        .entry((
                            event.provider(),
                            event.event_id(),
                            op.to_text().into_owned(),
                        ))
                        .or_insert_with(|| summary(event))
                        .clone()
                } else {
                    summary(event)
                };
                keyed.push((text, *row));
            }
            keyed.sort_by(|(x, _), (y, _)| directed(x.cmp(y), ascending));
            for (slot, (_, row)) in rows.iter_mut().zip(keyed) {
                *slot = row;
            }
        }
        Column::Computer => rows.sort_by(|a, b| {
            directed(
                packed(a)
                    .computer()
                    .as_str()
                    .cmp(packed(b).computer().as_str()),
                ascending,
            )
        }),
        Column::Source => {
            rows.sort_by(|a, b| directed(packed(a).source().cmp(&packed(b).source()), ascending))
        }
        Column::Detections => rows.sort_by(|a, b| {
            directed(
                store
                    .max_level(*a)
                    .cmp(&store.max_level(*b))
                    .then(store.hits(*a).len().cmp(&store.hits(*b).len())),
                ascending,
            )
        }),
    }
}

fn directed(ordering: Ordering, ascending: bool) -> Ordering {
    if ascending {
        ordering
    } else {
        ordering.reverse()
    }
}

/// The "Operation / summary" cell: the deployment operation, else the first text field.
pub fn summary(event: &(impl EventView + ?Sized)) -> String {
    let names = summary_names();
    if let Some(op) = event.value_of_sym(names[0]) {
        let op = op.as_ref();
        let name = crate::schema::decode::decode(
            event.provider().as_str(),
            event.event_id().unwrap_or(0),
            "DeploymentOperation",
            op,
        )
        .and_then(|d| d.text());
        return match name {
            Some(name) => name,
            None => format!("Operation {}", op.to_text()),
        };
    }
    for &name in &names[1..] {
        if let Some(value) = event.value_of_sym(name) {
            let text = value.to_text();
            if !text.trim().is_empty() {
                return format!("{name}: {}", one_line(&text, 120));
            }
        }
    }
    match event.first_value() {
        Some((name, value)) => format!("{name}: {}", one_line(&value.to_text(), 120)),
        None => level_name(event.level()).to_owned(),
    }
}

/// The fields the summary cell looks at, in order (interned once).
fn summary_names() -> &'static [Sym] {
    static NAMES: std::sync::OnceLock<Vec<Sym>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        [
            "DeploymentOperation",
            "Path",
            "subjectName",
            "ImageName",
            "ErrorMessage",
            "Message",
        ]
        .iter()
        .map(|n| Sym::new(n))
        .collect()
    })
}

/// The "Result / error code" cell: an HRESULT field as hex, with its symbol when known.
pub fn result_code(event: &(impl EventView + ?Sized)) -> String {
    for name in [
        "ErrorCode",
        "errorCode",
        "HResult",
        "HRESULT",
        "hr",
        "Error",
    ] {
        if let Some(value) = event.value_of(name) {
            let value = value.as_ref();
            return match crate::schema::decode::hresult(value) {
                Some(info) => format!("{:#010X} {}", info.code, info.symbol),
                None => value.to_text().into_owned(),
            };
        }
    }
    String::new()
}

/// At most `max` characters on one line, control characters made visible.
pub fn one_line(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max.saturating_mul(2)));
    for (i, c) in text.chars().enumerate() {
        if i >= max {
            out.push('…');
            break;
        }
        push_visible(&mut out, c);
    }
    out
}

/// Appends `c` to `out` as [`visible_char`] shows it (no allocation for ordinary characters).
pub fn push_visible(out: &mut String, c: char) {
    if is_hidden(c) {
        out.push_str(&visible_char(c));
    } else {
        out.push(c);
    }
}

/// Characters that are shown escaped.
fn is_hidden(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{1f}'
            | '\u{7f}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
    )
}

/// Control, bidi and zero-width characters shown escaped, never obeyed.
pub fn visible_char(c: char) -> String {
    match c {
        '\r' => "\\r".to_owned(),
        '\n' => "\\n".to_owned(),
        '\t' => "\\t".to_owned(),
        c if is_hidden(c) => format!("\\u{{{:04X}}}", c as u32),
        other => other.to_string(),
    }
}
