//! Frame time of the real window (`appxview::ui::App`) driven by egui_kittest without a display
//! or GPU: `cargo bench --bench frame` (a plain `main`, no harness).
//!
//! Writes a synthetic EVTX of N events (default 200,000; `--events N` or
//! `APPXVIEW_BENCH_EVENTS`) into a temporary folder, drops it on the window, and times single
//! `Harness::step` calls (one egui frame: `App::ui`, egui's layout and the AccessKit tree the
//! harness always builds):
//!
//! 1. while the file loads (frames paced at 60 Hz, as a vsynced window would be, so the loader
//!    thread gets the CPU a real window leaves it); goal ≤ 33 ms;
//! 2. idle with every row loaded and "All events" shown; goal ≤ 16 ms;
//! 3. while scrolling the table with the mouse wheel, one wheel event per frame; goal ≤ 16 ms;
//! 4. idle with a row selected (the detail pane open).
//!
//! Phases 2–4 run `--frames N` frames each (default 120). For each: median and p95 of the
//! step, of `App::ui` alone, of tessellating the frame's shapes (what eframe does next, before
//! the GPU), and of the UI thread's own CPU time (the rest is waiting for a core). Then the
//! slowest loading frames, the cost of the work the window does once per filter or sort change
//! (re-filter and re-sort of every row, per column), and a final JSON line. Unknown arguments
//! (cargo passes `--bench`) are ignored.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A benchmark fails loudly on purpose.

mod common;
#[path = "../tests/ui_support/mod.rs"]
mod ui_support;

use common::option;
use ui_support::{DroppedPath, NoDialog};

use std::sync::Arc;
use std::time::{Duration, Instant};

use appxview::filter::{Column, Sort, sort_rows, visible_rows};
use appxview::sigma::RuleSet;
use appxview::ui::{Action, App};
use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

/// 60 Hz.
const FRAME: Duration = Duration::from_micros(16_667);

/// The app and how long its last `App::ui` call took.
struct Bench {
    app: App,
    ui: Duration,
}

/// One frame: the whole step, `App::ui` inside it, and tessellation after it.
#[derive(Clone, Copy, Debug)]
struct Sample {
    step: Duration,
    ui: Duration,
    tessellate: Duration,
    /// Time this thread was on a CPU during the step, to tell work from waiting for a core
    /// while the loader threads run.
    on_cpu: Option<Duration>,
}

/// Time the calling thread has spent on a CPU; `None` where it cannot be read.
#[cfg(unix)]
fn thread_cpu_time() -> Option<Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

/// Time the calling thread has spent on a CPU; `None` where it cannot be read.
#[cfg(not(unix))]
fn thread_cpu_time() -> Option<Duration> {
    None
}

fn frame(h: &mut Harness<'_, Bench>) -> Sample {
    let cpu_before = thread_cpu_time();
    let start = Instant::now();
    h.step();
    let step = start.elapsed();
    let on_cpu = thread_cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    let ui = h.state().ui;
    let shapes = h.output().shapes.clone();
    let pixels_per_point = h.output().pixels_per_point;
    let start = Instant::now();
    let primitives = h.ctx.tessellate(shapes, pixels_per_point);
    let tessellate = start.elapsed();
    std::hint::black_box(primitives);
    Sample {
        step,
        ui,
        tessellate,
        on_cpu,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// (median, p95, max) in milliseconds.
fn stats(mut values: Vec<Duration>) -> (f64, f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    values.sort();
    let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
    (ms(at(0.5)), ms(at(0.95)), ms(values[values.len() - 1]))
}

struct Summary {
    median: f64,
    p95: f64,
}

fn report(name: &str, samples: &[Sample], goal_ms: f64) -> Summary {
    let (median, p95, max) = stats(samples.iter().map(|s| s.step).collect());
    let (ui_median, ui_p95, ui_max) = stats(samples.iter().map(|s| s.ui).collect());
    let (t_median, t_p95, _) = stats(samples.iter().map(|s| s.tessellate).collect());
    let (c_median, c_p95, c_max) = stats(samples.iter().filter_map(|s| s.on_cpu).collect());
    let verdict = if p95 <= goal_ms { "ok" } else { "OVER" };
    println!(
        "{name:<9} {:>5} frames  step median {median:6.2} ms  p95 {p95:6.2} ms  max {max:7.2} ms  \
         (goal <= {goal_ms} ms: {verdict})",
        samples.len()
    );
    println!(
        "{:<9} {:>5}         App::ui median {ui_median:6.2} ms  p95 {ui_p95:6.2} ms  max {ui_max:7.2} ms  \
         · tessellate median {t_median:.2} ms  p95 {t_p95:.2} ms",
        "", ""
    );
    println!(
        "{:<9} {:>5}         on a CPU median {c_median:6.2} ms  p95 {c_p95:6.2} ms  max {c_max:7.2} ms  \
         (the rest of a step is waiting for a core)",
        "", ""
    );
    Summary { median, p95 }
}

fn round(x: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (x * scale).round() / scale
}

fn main() {
    let n: usize = option("events", "APPXVIEW_BENCH_EVENTS")
        .map(|v| v.replace('_', "").parse().expect("--events N"))
        .unwrap_or(200_000);
    let idle_frames: usize = option("frames", "APPXVIEW_BENCH_FRAMES")
        .map(|v| v.parse().expect("--frames N"))
        .unwrap_or(120);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cfg!(debug_assertions) {
        eprintln!("warning: not an optimised build; run `cargo bench --bench frame`");
    }

    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("synthetic.evtx");
    let start = Instant::now();
    let bytes = appxview::evtx_writer::synth::write_synthetic(&path, n, 7).expect("write EVTX");
    println!(
        "synthetic EVTX: {n} events, {:.1} MB, written in {:.2} s; {cores} cores",
        bytes as f64 / 1e6,
        start.elapsed().as_secs_f64()
    );

    let app = App::new(
        RuleSet::builtin(),
        Box::new(NoDialog("benchmark")),
        Vec::new(),
    );
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 800.0))
        .build_ui_state(
            |ui, bench: &mut Bench| {
                let start = Instant::now();
                bench.app.ui(ui);
                bench.ui = start.elapsed();
            },
            Bench {
                app,
                ui: Duration::ZERO,
            },
        );
    h.run();

    // 1. While loading: drop the file, step until the loader is done.
    h.input_mut()
        .dropped_files
        .push(Arc::new(DroppedPath(path.clone())));
    let load_start = Instant::now();
    let mut loading = Vec::new();
    // (step, rows stored after the frame) of each loading frame
    let mut loading_rows: Vec<(Sample, usize)> = Vec::new();
    loop {
        let started = Instant::now();
        let sample = frame(&mut h);
        loading.push(sample);
        loading_rows.push((sample, h.state().app.store.len()));
        if !h.state().app.is_loading() {
            break;
        }
        if let Some(rest) = FRAME.checked_sub(started.elapsed()) {
            std::thread::sleep(rest);
        }
    }
    let load_secs = load_start.elapsed().as_secs_f64();
    let last_loading_frame = loading_rows.len() - 1;
    let mut slowest: Vec<(usize, Sample, usize)> = loading_rows
        .iter()
        .enumerate()
        .map(|(i, (sample, rows))| (i, *sample, *rows))
        .collect();
    slowest.sort_by_key(|(_, sample, _)| std::cmp::Reverse(sample.step));
    let loaded = h.state().app.store.len();
    assert_eq!(loaded, n, "every event loaded");
    println!(
        "loaded {loaded} events in {load_secs:.2} s over {} frames ({} AppX shown)",
        loading.len(),
        h.state().app.visible.len()
    );

    // 2. Idle, all events shown: tick the checkbox through the UI.
    h.get_by_label("All events (not only AppX)").click();
    let mut change = Vec::new();
    for _ in 0..3 {
        change.push(frame(&mut h));
    }
    assert!(h.state().app.filter.all_events);
    assert_eq!(h.state().app.visible.len(), n, "all events shown");
    for _ in 0..5 {
        h.step();
    }
    let idle: Vec<Sample> = (0..idle_frames).map(|_| frame(&mut h)).collect();

    // 3. Scrolling: the pointer over the table, one wheel notch per frame.
    let first_time = {
        let app = &h.state().app;
        app.store
            .event(app.visible[0])
            .expect("a shown row")
            .time
            .display()
    };
    assert!(
        h.query_by_label(&first_time).is_some(),
        "first row shown before scrolling"
    );
    h.input_mut()
        .events
        .push(egui::Event::PointerMoved(egui::pos2(700.0, 450.0)));
    h.step();
    let mut scroll = Vec::new();
    for _ in 0..idle_frames.max(60) {
        h.input_mut().events.push(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, -120.0),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Wheel,
            modifiers: egui::Modifiers::NONE,
        });
        scroll.push(frame(&mut h));
    }
    let scrolled = h.query_by_label(&first_time).is_none();
    println!(
        "scrolled away from the first row: {}",
        if scrolled { "yes" } else { "NO" }
    );

    // 4. A row selected: the detail pane open beside the table.
    let row = {
        let app = &h.state().app;
        app.visible[app.visible.len() / 2]
    };
    h.state_mut().app.apply(Action::Select(row));
    for _ in 0..3 {
        h.step();
    }
    let detail: Vec<Sample> = (0..idle_frames).map(|_| frame(&mut h)).collect();

    println!();
    let loading_summary = report("loading", &loading, 33.0);
    let idle_summary = report("idle", &idle, 16.0);
    let scroll_summary = report("scroll", &scroll, 16.0);
    let detail_summary = report("detail", &detail, 16.0);
    let slow: Vec<String> = slowest
        .iter()
        .take(4)
        .map(|(i, sample, rows)| {
            let last = if *i == last_loading_frame {
                ", the last"
            } else {
                ""
            };
            let cpu = sample
                .on_cpu
                .map(|c| format!(", {:.1} ms on a CPU", ms(c)))
                .unwrap_or_default();
            format!(
                "#{i} {:.1} ms{cpu} ({rows} rows stored{last})",
                ms(sample.step)
            )
        })
        .collect();
    println!("slowest loading frames: {}", slow.join(", "));
    let (change_median, _, change_max) = stats(change.iter().map(|s| s.step).collect());
    println!(
        "frames right after ticking \"All events\": max {change_max:.2} ms (median of 3: {change_median:.2} ms)"
    );

    // What a filter or sort change costs (once per change; every 250 ms while loading).
    let app = &h.state().app;
    let start = Instant::now();
    let mut rows = visible_rows(&app.store, &app.filter);
    let filter_ms = ms(start.elapsed());
    let start = Instant::now();
    sort_rows(&app.store, &mut rows, app.sort);
    let sort_time_ms = ms(start.elapsed());
    println!(
        "\nper change on {} rows: filter::visible_rows {filter_ms:.1} ms, filter::sort_rows by time {sort_time_ms:.1} ms",
        rows.len()
    );
    for column in Column::ALL {
        let mut rows = rows.clone();
        let start = Instant::now();
        sort_rows(
            &app.store,
            &mut rows,
            Sort {
                column,
                ascending: false,
            },
        );
        println!(
            "  sort_rows by {:<24} {:8.1} ms",
            column.title(),
            ms(start.elapsed())
        );
    }
    let start = Instant::now();
    let flagged = app.store.flagged_count(true);
    println!(
        "  store.flagged_count (every frame, status bar): {:.3} ms ({flagged} flagged)",
        ms(start.elapsed())
    );

    let json = serde_json::json!({
        "events": n,
        "frame_ms_idle": round(idle_summary.median, 2),
        "frame_ms_idle_p95": round(idle_summary.p95, 2),
        "frame_ms_scroll": round(scroll_summary.median, 2),
        "frame_ms_scroll_p95": round(scroll_summary.p95, 2),
        "frame_ms_loading": round(loading_summary.median, 2),
        "frame_ms_loading_p95": round(loading_summary.p95, 2),
        "frame_ms_detail": round(detail_summary.median, 2),
        "frame_ms_detail_p95": round(detail_summary.p95, 2),
        "load_s": round(load_secs, 2),
        "scrolled": scrolled,
        "cores": cores,
    });
    println!("{json}");
}
