//! `appxview bench`: one run, one synthetic file, every speed and memory figure the scale
//! issue asks for, each next to what the evtx crate itself does on the same file.
//!
//! Order matters for the memory figure: the GUI-path load runs first in a fresh process and
//! its resident-memory growth is divided by the events it stored; the evtx crate's own
//! `records_json` runs (1 and 2 threads) and appxview's headless ingest runs follow. Times
//! are medians over `--repeat` runs. Frame times live in `cargo bench --bench frame` (it
//! steps the window with egui_kittest, which the shipped binary does not depend on).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::evtx_writer::synth::write_synthetic;
use crate::filter::{Column, Filter, Sort, sort_rows, visible_rows};
use crate::ingest::{self, ReadOptions};
use crate::jobs::{LoadJob, LoadMsg};
use crate::memory;
use crate::model::Source;
use crate::sigma::RuleSet;
use crate::store::{Batch, Store};

/// `appxview bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Synthetic events to write and read (about 1.6 KB of EVTX each).
    #[arg(long, default_value_t = 200_000)]
    pub events: usize,
    /// Measure this EVTX file instead of writing a synthetic one.
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,
    /// Runs per timed figure (the median is reported).
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// `text` (default) or `json` (one object as the last line).
    #[arg(long, value_enum, default_value_t = crate::cli::OutputFormat::Text)]
    pub format: crate::cli::OutputFormat,
}

/// Every figure of one run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BenchReport {
    pub events: u64,
    pub file_bytes: u64,
    pub cores: usize,
    /// The GUI path (loader thread, batches, derived facts, rules) until every row is stored.
    pub gui_load_s: f64,
    pub first_rows_ms: f64,
    pub bytes_per_event: Option<f64>,
    /// appxview's ingest (events with derived facts, no rules) with 1 and 2 threads.
    pub appxview_s: [f64; 2],
    /// evtx crate `records_json` with 1 and 2 threads.
    pub evtx_json_s: [f64; 2],
    pub filter_ms: f64,
    pub filter_rows: usize,
    pub sort_ms: f64,
    pub rules_ms: f64,
    pub flagged: usize,
}

impl BenchReport {
    /// appxview events/s over evtx `records_json` events/s, with 2 threads each (higher is
    /// better; 1.0 means as fast as the crate producing JSON text).
    pub fn ingest_ratio_vs_evtx_json(&self) -> f64 {
        ratio(self.evtx_json_s[1], self.appxview_s[1])
    }

    /// The same ratio with one thread each.
    pub fn ingest_ratio_vs_evtx_json_1t(&self) -> f64 {
        ratio(self.evtx_json_s[0], self.appxview_s[0])
    }

    /// The figures as one JSON object (the keys README and the issue name).
    pub fn to_json(&self) -> serde_json::Value {
        let eps = |s: f64| per_second(self.events as f64, s);
        let mbps = |s: f64| per_second(self.file_bytes as f64 / 1e6, s);
        json!({
            "events": self.events,
            "file_mb": round(self.file_bytes as f64 / 1e6, 1),
            "cores": self.cores,
            "appxview_events_per_s_1t": round(eps(self.appxview_s[0]), 0),
            "appxview_events_per_s_2t": round(eps(self.appxview_s[1]), 0),
            "appxview_mb_per_s_1t": round(mbps(self.appxview_s[0]), 1),
            "appxview_mb_per_s_2t": round(mbps(self.appxview_s[1]), 1),
            "evtx_json_events_per_s_1t": round(eps(self.evtx_json_s[0]), 0),
            "evtx_json_events_per_s_2t": round(eps(self.evtx_json_s[1]), 0),
            "evtx_json_mb_per_s_1t": round(mbps(self.evtx_json_s[0]), 1),
            "evtx_json_mb_per_s_2t": round(mbps(self.evtx_json_s[1]), 1),
            "ingest_ratio_vs_evtx_json": round(self.ingest_ratio_vs_evtx_json(), 3),
            "ingest_ratio_vs_evtx_json_1t": round(self.ingest_ratio_vs_evtx_json_1t(), 3),
            "gui_load_s": round(self.gui_load_s, 3),
            "gui_load_ratio_vs_evtx_json": round(ratio(self.evtx_json_s[1], self.gui_load_s), 3),
            "first_rows_ms": round(self.first_rows_ms, 1),
            "bytes_per_event": self.bytes_per_event.map(|b| round(b, 0)),
            "filter_ms": round(self.filter_ms, 2),
            "filter_rows": self.filter_rows,
            "sort_ms": round(self.sort_ms, 2),
            "rules_ms": round(self.rules_ms, 1),
            "flagged": self.flagged,
        })
    }

    /// The figures for people, with the goals beside them.
    pub fn to_text(&self) -> String {
        let eps = |s: f64| per_second(self.events as f64, s);
        let mbps = |s: f64| per_second(self.file_bytes as f64 / 1e6, s);
        let mut out = String::new();
        let mut line = |s: String| {
            out.push_str(&s);
            out.push('\n');
        };
        line(format!(
            "{} events, {:.1} MB of EVTX, {} cores",
            self.events,
            self.file_bytes as f64 / 1e6,
            self.cores
        ));
        for (i, threads) in [1, 2].iter().enumerate() {
            line(format!(
                "ingest, {threads} thread(s): appxview {:>9.0} events/s {:>6.1} MB/s | evtx records_json {:>9.0} events/s {:>6.1} MB/s",
                eps(self.appxview_s[i]),
                mbps(self.appxview_s[i]),
                eps(self.evtx_json_s[i]),
                mbps(self.evtx_json_s[i]),
            ));
        }
        line(format!(
            "ingest_ratio_vs_evtx_json  {:.3} (2 threads; {:.3} with 1)   goal >= 1.0",
            self.ingest_ratio_vs_evtx_json(),
            self.ingest_ratio_vs_evtx_json_1t()
        ));
        line(format!(
            "window load (rules included) {:.3} s; first_rows_ms {:.1}   goal <= 1000",
            self.gui_load_s, self.first_rows_ms
        ));
        match self.bytes_per_event {
            Some(b) => line(format!("bytes_per_event  {b:.0}   goal <= 512")),
            None => line("bytes_per_event  not measurable on this system".to_owned()),
        }
        line(format!(
            "filter_ms {:.2} ({} rows; goal <= 30 for 1M)   sort_ms {:.2}   rules_ms {:.1} ({} flagged; goal <= 1000 for 1M)",
            self.filter_ms, self.filter_rows, self.sort_ms, self.rules_ms, self.flagged
        ));
        out
    }
}

fn ratio(baseline_s: f64, ours_s: f64) -> f64 {
    if ours_s > 0.0 {
        baseline_s / ours_s
    } else {
        0.0
    }
}

fn per_second(amount: f64, seconds: f64) -> f64 {
    if seconds > 0.0 { amount / seconds } else { 0.0 }
}

fn round(x: f64, digits: i32) -> f64 {
    let p = 10f64.powi(digits);
    (x * p).round() / p
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

fn timed<T>(mut work: impl FnMut() -> T) -> (Duration, T) {
    let start = Instant::now();
    let out = work();
    (start.elapsed(), out)
}

/// Runs `appxview bench`; writes the report to `out`. Exit code 0, or 2 if the input cannot
/// be made or read.
pub fn run(args: &BenchArgs, out: &mut dyn Write) -> std::io::Result<i32> {
    let dir = tempfile::tempdir()?;
    let path = match &args.file {
        Some(path) => path.clone(),
        None => {
            let path = dir.path().join("bench-synthetic.evtx");
            writeln!(out, "writing {} synthetic events ...", args.events)?;
            let (took, written) = timed(|| write_synthetic(&path, args.events, 1));
            if let Err(e) = written {
                writeln!(out, "appxview bench: cannot write {}: {e}", path.display())?;
                return Ok(2);
            }
            writeln!(out, "written in {:.1} s", took.as_secs_f64())?;
            path
        }
    };
    match measure(&path, args.repeat.max(1), out) {
        Ok(report) => {
            match args.format {
                crate::cli::OutputFormat::Text => out.write_all(report.to_text().as_bytes())?,
                crate::cli::OutputFormat::Json => writeln!(out, "{}", report.to_json())?,
            }
            Ok(0)
        }
        Err(message) => {
            writeln!(out, "appxview bench: {}: {message}", path.display())?;
            Ok(2)
        }
    }
}

/// Measures every figure on `path`.
pub fn measure(path: &Path, repeat: usize, out: &mut dyn Write) -> Result<BenchReport, String> {
    let mut report = BenchReport {
        file_bytes: std::fs::metadata(path).map_err(|e| e.to_string())?.len(),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        ..BenchReport::default()
    };
    let progress = |out: &mut dyn Write, what: &str| {
        let _ = writeln!(out, "{what} ...");
        let _ = out.flush();
    };

    // 1. The window's path, in a fresh process: memory and first rows.
    progress(out, "loading as the window does");
    let before = memory::resident_bytes();
    let rules = RuleSet::builtin();
    let (took, (store, first_rows)) = timed(|| gui_load(path, &rules));
    let store = store?;
    let after = memory::resident_bytes();
    report.gui_load_s = took.as_secs_f64();
    report.first_rows_ms = first_rows.as_secs_f64() * 1e3;
    report.events = store.len() as u64;
    if let (Some(before), Some(after)) = (before, after)
        && report.events > 0
    {
        report.bytes_per_event = Some(after.saturating_sub(before) as f64 / report.events as f64);
    }

    // 2. Filter, sort and rules over everything loaded (one core each).
    progress(out, "filter, sort, rules");
    let filter = Filter {
        package: "microsoft.windowsterminal".to_owned(),
        all_events: true,
        ..Filter::default()
    };
    let mut samples = Vec::new();
    let mut rows = Vec::new();
    for _ in 0..repeat.max(3) {
        let (took, visible) = timed(|| visible_rows(&store, &filter));
        samples.push(took);
        rows = visible;
    }
    report.filter_ms = median(samples).as_secs_f64() * 1e3;
    report.filter_rows = rows.len();
    let all = visible_rows(
        &store,
        &Filter {
            all_events: true,
            ..Filter::default()
        },
    );
    let sort = Sort {
        column: Column::Time,
        ascending: false,
    };
    let samples = (0..repeat.max(3))
        .map(|_| {
            let mut rows = all.clone();
            timed(|| sort_rows(&store, &mut rows, sort)).0
        })
        .collect();
    report.sort_ms = median(samples).as_secs_f64() * 1e3;
    let mut store = store;
    let samples = (0..repeat)
        .map(|_| timed(|| store.reevaluate()).0)
        .collect();
    report.rules_ms = median(samples).as_secs_f64() * 1e3;
    report.flagged = store.detections.len();
    drop(store);

    // 3. Ingest throughput against the evtx crate, same file, 1 and 2 threads.
    for (i, threads) in [1usize, 2].into_iter().enumerate() {
        progress(out, &format!("evtx records_json, {threads} thread(s)"));
        report.evtx_json_s[i] = median_run(repeat, report.events, "evtx records_json", || {
            evtx_records_json(path, threads)
        })?;
        progress(out, &format!("appxview ingest, {threads} thread(s)"));
        report.appxview_s[i] = median_run(repeat, report.events, "headless ingest", || {
            appxview_ingest(path, threads)
        })?;
    }
    Ok(report)
}

/// Runs `read` `repeat` times; the median seconds. Each run must read `expected` events. What
/// a run keeps (the events it made) is dropped after its clock stops: freeing them is not part
/// of reading.
fn median_run<T>(
    repeat: usize,
    expected: u64,
    what: &str,
    mut read: impl FnMut() -> Result<(u64, T), String>,
) -> Result<f64, String> {
    let mut samples = Vec::new();
    for _ in 0..repeat {
        let (took, result) = timed(&mut read);
        let (count, kept) = result?;
        drop(kept);
        if count != expected {
            return Err(format!(
                "{what} read {count} events, the window's path {expected}"
            ));
        }
        samples.push(took);
    }
    Ok(median(samples).as_secs_f64())
}

/// Loads `path` as the window does (loader thread, builtin rules, batches into a store);
/// returns the store and the time until the first rows arrived.
fn gui_load(path: &Path, rules: &RuleSet) -> (Result<Store, String>, Duration) {
    let start = Instant::now();
    let mut first_rows = Duration::ZERO;
    let mut store = Store::new(rules.clone());
    let job = match LoadJob::spawn(
        vec![path.to_path_buf()],
        rules.clone(),
        ReadOptions::default(),
        crate::memory::Budget::new(u64::MAX, 0),
        || {},
    ) {
        Ok(job) => job,
        Err(e) => return (Err(format!("cannot start the loader: {e}")), first_rows),
    };
    loop {
        match job.recv() {
            Some(LoadMsg::Begin(path)) => job.assign(store.begin_source(Source::new(path))),
            Some(LoadMsg::Events(_, batch, _)) => {
                if first_rows.is_zero() {
                    first_rows = start.elapsed();
                }
                store.push(batch);
            }
            Some(LoadMsg::Finished(id, source)) => {
                if let Some(error) = &source.error {
                    return (Err(error.clone()), first_rows);
                }
                if let Some(slot) = store.sources.get_mut(id as usize) {
                    *slot = source;
                }
            }
            Some(LoadMsg::AllDone { .. }) | None => break,
        }
    }
    (Ok(store), first_rows)
}

/// The evtx crate alone: every record rendered as JSON text. Returns the record count (the
/// text of each record is dropped as it is read: nothing is kept).
fn evtx_records_json(path: &Path, threads: usize) -> Result<(u64, ()), String> {
    let settings = ::evtx::ParserSettings::new().num_threads(threads);
    let mut parser = ::evtx::EvtxParser::from_path(path)
        .map_err(|e| e.to_string())?
        .with_configuration(settings);
    let mut count = 0u64;
    for record in parser.records_json() {
        if let Ok(record) = record {
            std::hint::black_box(&record.data);
        }
        count += 1;
    }
    Ok((count, ()))
}

/// appxview's ingest alone: normalised events with their derived facts, packed, no rules.
/// Returns the count and the batches (the rows ready to be stored).
fn appxview_ingest(path: &Path, threads: usize) -> Result<(u64, Vec<Batch>), String> {
    let none = RuleSet::default();
    let mut count = 0u64;
    let mut kept = Vec::new();
    let prepare = |events| Batch::prepare(events, &none);
    let info = ingest::stream_path_with(
        path,
        0,
        ReadOptions {
            evtx_threads: threads,
        },
        &prepare,
        &mut |batch: Batch, _| {
            count += batch.events.len() as u64;
            kept.push(batch);
            true
        },
    );
    match info.error {
        Some(error) => Err(error),
        None => Ok((count, kept)),
    }
}
