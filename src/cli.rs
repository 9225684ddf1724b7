//! The command line: `appxview [FILE…]` opens the window; `appxview scan …` runs the same
//! ingest, rules and export headless; `appxview inspect FILE --record N` explains one event
//! (rendering in [`crate::inspect`]). Parsing with clap; no egui here.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};
use serde_json::json;

use crate::export;
use crate::filter::{Filter, Sort, sort_rows, visible_rows};
use crate::ingest::{self, ReadOptions};
use crate::memory::Budget;
use crate::sigma::RuleSet;
use crate::store::{Batch, Store};

/// appxview: find the bad package fast in Windows AppX/MSIX deployment logs.
#[derive(Debug, Parser)]
#[command(name = "appxview", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Files (.evtx or JSON exports) to open in the window.
    pub files: Vec<PathBuf>,
    /// Sigma rules (file or folder) to load in addition to the built-in AppX pack.
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Select the event with this record id once it has loaded.
    #[arg(long, value_name = "RECORD_ID")]
    pub select: Option<u64>,
    /// Memory the loaded events may take (e.g. 4G, 512M); default half of the machine's RAM.
    #[arg(long, value_name = "SIZE", value_parser = crate::memory::parse_size)]
    pub max_memory: Option<u64>,
}

/// Headless commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read files, evaluate rules, print a summary and write exports.
    Scan(ScanArgs),
    /// Measure ingest, memory, filter, sort and rules on a synthetic file against the evtx crate.
    Bench(crate::bench::BenchArgs),
    /// Explain one event: header, message, typed and decoded fields, package, rule hits.
    Inspect(InspectArgs),
}

/// Output format of headless commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

/// `appxview scan`.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Count and export events of every provider, not only AppX ones.
    #[arg(long)]
    pub all_events: bool,
    /// Sigma rule file or folder (repeatable).
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Leave the built-in AppX rule pack out.
    #[arg(long)]
    pub no_builtin_rules: bool,
    /// Write the flagged events as CSV here.
    #[arg(long, value_name = "PATH")]
    pub flagged_csv: Option<PathBuf>,
    /// Write the shown events as JSON lines here (`-`: to standard output, the summary then
    /// goes to standard error).
    #[arg(long, value_name = "PATH")]
    pub jsonl: Option<PathBuf>,
    /// With --jsonl: only flagged events.
    #[arg(long, requires = "jsonl")]
    pub flagged_only: bool,
    /// Summary format on standard output.
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutputFormat,
    /// Memory the loaded events may take (e.g. 4G, 512M); default half of the machine's RAM.
    /// A load that would pass it stops with a warning and keeps what it has (exit code 1).
    #[arg(long, value_name = "SIZE", value_parser = crate::memory::parse_size)]
    pub max_memory: Option<u64>,
    /// Input files.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// `appxview inspect`.
#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// The event's EventRecordID (its 1-based position in the file for input without record ids).
    #[arg(long, value_name = "N")]
    pub record: u64,
    /// Sigma rule file or folder (repeatable).
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Leave the built-in AppX rule pack out.
    #[arg(long)]
    pub no_builtin_rules: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutputFormat,
    /// Input file (.evtx or a JSON export).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// Builds the rule set a command asked for; load errors go to `errors`.
pub fn rules_for(builtin: bool, paths: &[PathBuf]) -> RuleSet {
    rules_with_empty_paths(builtin, paths).0
}

/// As [`rules_for`], also naming the paths no rule could be loaded from (missing, unreadable,
/// or holding no valid rule), which a script should not mistake for "nothing matched".
pub fn rules_with_empty_paths(builtin: bool, paths: &[PathBuf]) -> (RuleSet, Vec<PathBuf>) {
    let mut rules = if builtin {
        RuleSet::builtin()
    } else {
        RuleSet::default()
    };
    let mut empty = Vec::new();
    for path in paths {
        if rules.load_path(path) == 0 {
            empty.push(path.clone());
        }
    }
    (rules, empty)
}

/// Reads one file into `store` on this thread: rules evaluated, its `Source` filled in.
pub fn read_into(store: &mut Store, path: &std::path::Path) {
    read_within(store, path, &mut Budget::new(u64::MAX, 0));
}

/// As [`read_into`], keeping the loaded events within `budget`. Returns false if the budget
/// stopped the file (a warning on the file says where).
pub fn read_within(store: &mut Store, path: &std::path::Path, budget: &mut Budget) -> bool {
    let id = store.begin_source(crate::model::Source::new(path.to_path_buf()));
    let rules = store.rules.clone();
    let mut stored = 0u64;
    let mut over_budget = false;
    let prepare = |events| Batch::prepare(events, &rules);
    let mut info = ingest::stream_path_with(
        path,
        id,
        ReadOptions::default(),
        &prepare,
        &mut |mut batch: Batch, _| {
            over_budget = batch.take_within(budget);
            stored += batch.events.len() as u64;
            store.push(batch);
            !over_budget
        },
    );
    if over_budget {
        budget.mark_stopped(&mut info, stored);
    }
    store.sources[id as usize] = info;
    !over_budget
}

/// Runs `scan`; returns the process exit code.
pub fn scan(args: &ScanArgs, out: &mut dyn Write) -> std::io::Result<i32> {
    let (rules, empty_rule_paths) = rules_with_empty_paths(!args.no_builtin_rules, &args.rules);
    let mut store = Store::new(rules);
    let mut budget = Budget::new(
        args.max_memory
            .unwrap_or_else(crate::memory::default_budget_bytes),
        0,
    );
    let mut budget_reached = false;
    for path in &args.files {
        if budget_reached {
            store.begin_source(crate::memory::not_read_source(path.clone()));
            continue;
        }
        budget_reached = !read_within(&mut store, path, &mut budget);
    }
    let filter = Filter {
        all_events: args.all_events,
        ..Filter::default()
    };
    let mut shown = visible_rows(&store, &filter);
    sort_rows(&store, &mut shown, Sort::default());
    let flagged: Vec<_> = shown
        .iter()
        .copied()
        .filter(|row| store.detections.contains_key(row))
        .collect();

    let mut export_errors = Vec::new();
    if let Some(path) = &args.flagged_csv
        && let Err(e) = export::write_csv(&store, &flagged, path)
    {
        export_errors.push(e.to_string());
    }
    // `--jsonl -` (or /dev/stdout): the JSON lines go to standard output and the summary to
    // standard error.
    let to_stdout = args
        .jsonl
        .as_deref()
        .is_some_and(|p| p == Path::new("-") || p == Path::new("/dev/stdout"));
    let mut stderr = std::io::stderr();
    if let Some(path) = &args.jsonl {
        let rows = if args.flagged_only { &flagged } else { &shown };
        if to_stdout {
            export::write_jsonl_to(&store, rows, out)?;
        } else if let Err(e) = export::write_jsonl(&store, rows, path) {
            export_errors.push(e.to_string());
        }
    }
    let out: &mut dyn Write = if to_stdout { &mut stderr } else { out };

    let appx_of = |source: u32| {
        store
            .packed_events()
            .iter()
            .zip(&store.derived)
            .filter(|(e, d)| e.source() == source && d.appx)
            .count()
    };
    let mut hits = vec![0usize; store.rules.rules.len()];
    for row in &shown {
        for detection in store.hits(*row) {
            if let Some(h) = hits.get_mut(detection.rule) {
                *h += 1;
            }
        }
    }
    let appx_total = store.appx_count();
    match args.format {
        OutputFormat::Json => {
            let files: Vec<_> = store
                .sources
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    json!({
                        "path": s.path.display().to_string(),
                        "format": s.format.map(|f| f.name()),
                        "records": s.records,
                        "events": store.packed_events().iter().filter(|e| e.source() == i as u32).count(),
                        "appx_events": appx_of(i as u32),
                        "warnings": s.warnings.iter().map(|w| format!("{}: {}", w.location, w.message)).collect::<Vec<_>>(),
                        "error": s.error,
                    })
                })
                .collect();
            let rules: Vec<_> = store
                .rules
                .rules
                .iter()
                .zip(&hits)
                .map(|(r, h)| json!({"id": r.id, "title": r.title, "level": r.level.to_string(), "hits": h}))
                .collect();
            let summary = json!({
                "files": files,
                "events": shown.len(),
                "appx_events": appx_total,
                "flagged": flagged.len(),
                "rules": rules,
                "rule_errors": store.rules.errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "export_errors": export_errors,
            });
            writeln!(out, "{summary}")?;
        }
        OutputFormat::Text => {
            for s in &store.sources {
                let format = s.format.map(|f| f.name()).unwrap_or("-");
                writeln!(
                    out,
                    "{}: {format}, {} records, {} warnings{}",
                    s.path.display(),
                    s.records,
                    s.warnings.len(),
                    s.error
                        .as_ref()
                        .map(|e| format!(", ERROR: {e}"))
                        .unwrap_or_default()
                )?;
                for w in &s.warnings {
                    writeln!(out, "  warning: {}: {}", w.location, w.message)?;
                }
            }
            for e in &store.rules.errors {
                writeln!(out, "rule not loaded: {e}")?;
            }
            for path in &empty_rule_paths {
                writeln!(out, "no rule loaded from {}", path.display())?;
            }
            writeln!(
                out,
                "{} events shown ({} AppX), {} flagged",
                shown.len(),
                appx_total,
                flagged.len()
            )?;
            for (rule, h) in store.rules.rules.iter().zip(&hits) {
                if *h > 0 {
                    writeln!(out, "  {h:>6}  [{}] {}", rule.level, rule.title)?;
                }
            }
            for row in &flagged {
                let Some(event) = store.event(*row) else {
                    continue;
                };
                for d in store.hits(*row) {
                    if let Some(rule) = store.rules.rules.get(d.rule) {
                        writeln!(
                            out,
                            "FLAG {} record {} event {} [{}] {}: {}",
                            event.time.display(),
                            event.record_or_position(),
                            event.event_id.map(|i| i.to_string()).unwrap_or_default(),
                            rule.level,
                            rule.title,
                            export::why_text(d)
                        )?;
                    }
                }
            }
            for e in &export_errors {
                writeln!(out, "export failed: {e}")?;
            }
        }
    }
    let unreadable = store.sources.iter().any(|s| s.error.is_some());
    Ok(
        if unreadable || budget_reached || !empty_rule_paths.is_empty() || !export_errors.is_empty()
        {
            1
        } else {
            0
        },
    )
}

/// Runs `inspect`: prints the event to `out`, problems to `err`; returns the exit code
/// (0 found, 1 no such record, 2 the file could not be read).
pub fn inspect(
    args: &InspectArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<i32> {
    let rules = rules_for(!args.no_builtin_rules, &args.rules);
    let mut store = Store::new(rules);
    for e in &store.rules.errors {
        writeln!(err, "appxview: rule not loaded: {e}")?;
    }
    read_into(&mut store, &args.file);
    let path = args.file.display();
    let Some(source) = store.sources.first() else {
        writeln!(err, "appxview: cannot read {path}")?;
        return Ok(2);
    };
    let rows = crate::inspect::rows_with_record(&store, args.record);
    let Some(&row) = rows.first() else {
        if let Some(error) = &source.error {
            writeln!(err, "appxview: cannot read {path}: {error}")?;
            return Ok(2);
        }
        writeln!(
            err,
            "appxview: no record {} in {path}: {}",
            args.record,
            record_range(&store)
        )?;
        let named = format!("record {} ", args.record);
        for warning in store
            .sources
            .iter()
            .flat_map(|s| &s.warnings)
            .filter(|w| w.location.starts_with(&named))
        {
            writeln!(err, "appxview: it could not be read: {warning}")?;
        }
        return Ok(1);
    };
    if rows.len() > 1 {
        writeln!(
            err,
            "appxview: {} events in {path} have record {} (a damaged file can yield a record twice); showing the first",
            rows.len(),
            args.record
        )?;
    }
    if let Some(error) = &source.error {
        writeln!(err, "appxview: {path}: {error}")?;
    }
    if !source.warnings.is_empty() {
        writeln!(
            err,
            "appxview: {path}: {} warnings while reading (appxview scan {path} lists them)",
            source.warnings.len()
        )?;
    }
    let Some(event) = store.event(row) else {
        return Ok(1);
    };
    let detail = crate::schema::EventDetail::build(&event);
    match args.format {
        OutputFormat::Json => {
            writeln!(out, "{}", crate::inspect::event_json(&store, row, &detail))?
        }
        OutputFormat::Text => write!(out, "{}", crate::inspect::event_text(&store, row, &detail))?,
    }
    Ok(0)
}

/// How many records a file has and which identifiers they carry, for "record not found".
fn record_range(store: &Store) -> String {
    let records = store.sources.first().map_or(0, |s| s.records);
    let ids = store.packed_events().iter().map(|e| e.record_or_position());
    match (ids.clone().min(), ids.max()) {
        (Some(low), Some(high)) => {
            let what = if store
                .packed_events()
                .iter()
                .all(|e| e.record_id().is_some())
            {
                "record ids"
            } else {
                "identifiers (record id, else position)"
            };
            format!("the file has {records} records, {what} {low} to {high}")
        }
        _ => format!("the file has {records} records"),
    }
}
