//! Background work: the only module that starts threads.
//!
//! A [`LoadJob`] reads files one after another on one thread; EVTX chunks are decoded and
//! each batch prepared (derived facts, rule hits, packing) on the chunk workers of
//! [`pool::map_ordered`] inside it (no pool is ever nested in another), and the batches are
//! sent over a bounded channel. It keeps to a memory
//! budget: a batch that would take the loaded events past it is not sent, the file gets a
//! warning saying so and the remaining files are not read. A [`RulesJob`] re-evaluates the
//! rules over every loaded event after rules were added or toggled. The UI drains both each
//! frame; `wake` (the UI's repaint request) is called after every message, so this module
//! needs no egui. A [`Call`] runs one blocking call (a file dialog) off the UI thread.

pub mod pool;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use crate::ingest::{self, Progress, ReadOptions};
use crate::memory::{Budget, not_read_source};
use crate::model::{Row, Source, SourceId};
use crate::packed::PackedEvent;
use crate::sigma::{Detection, RuleSet};
use crate::store::{Batch, evaluate_all};

/// How often, at most, a batch of events wakes the window while loading.
const WAKE_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// Events are sent to the window in batches of about this many, or what was read in
/// `JOIN_FOR`, whichever comes first.
const JOIN_EVENTS: usize = 2048;
const JOIN_FOR: std::time::Duration = std::time::Duration::from_millis(50);

/// What the loader thread tells its owner.
pub enum LoadMsg {
    /// A file is about to be read: the store registers it and answers with its id through
    /// the job's id channel.
    Begin(PathBuf),
    /// Events of the current file.
    Events(SourceId, Batch, Progress),
    /// A file is done (or failed): final counts, warnings and error.
    Finished(SourceId, Source),
    /// Every file is done, or the job was cancelled, or the memory budget was reached.
    AllDone {
        cancelled: bool,
        /// Set when the budget stopped the load: what to tell the investigator.
        budget_reached: Option<String>,
    },
}

/// A load in flight. Dropping it stops the thread at its next batch.
pub struct LoadJob {
    rx: mpsc::Receiver<LoadMsg>,
    ids: mpsc::Sender<SourceId>,
    cancel: Arc<AtomicBool>,
    /// Files in this job.
    pub paths: Vec<PathBuf>,
}

impl LoadJob {
    /// Starts reading `paths` on a new thread, stopping before the loaded events would take
    /// more than `budget` allows.
    pub fn spawn(
        paths: Vec<PathBuf>,
        rules: RuleSet,
        options: ReadOptions,
        mut budget: Budget,
        wake: impl Fn() + Send + 'static,
    ) -> std::io::Result<LoadJob> {
        // Room for about 64 batches (128k events): the loader keeps reading while a slow
        // frame (software rendering) is drawn, instead of waiting for the window to drain it.
        let (tx, rx) = mpsc::sync_channel(64);
        let (ids_tx, ids_rx) = mpsc::channel::<SourceId>();
        let cancel = Arc::new(AtomicBool::new(false));
        let thread_cancel = Arc::clone(&cancel);
        let thread_paths = paths.clone();
        std::thread::Builder::new()
            .name("appxview-load".to_owned())
            .spawn(move || {
                // Events wake the window at most every WAKE_EVERY (it drains everything
                // waiting each frame); every other message wakes it at once. Waking it for
                // every batch makes it redraw as fast as it can, and with software rendering
                // those redraws take the cores the loader needs.
                let last_wake = std::cell::Cell::new(None::<std::time::Instant>);
                let send = |msg: LoadMsg| {
                    let events = matches!(msg, LoadMsg::Events(..));
                    let delivered = match tx.try_send(msg) {
                        Ok(()) => true,
                        Err(mpsc::TrySendError::Full(msg)) => {
                            // About to wait for the window: make sure it is coming.
                            last_wake.set(Some(std::time::Instant::now()));
                            wake();
                            tx.send(msg).is_ok()
                        }
                        Err(mpsc::TrySendError::Disconnected(_)) => false,
                    };
                    let due = last_wake.get().is_none_or(|at| at.elapsed() >= WAKE_EVERY);
                    if !events || due {
                        last_wake.set(Some(std::time::Instant::now()));
                        wake();
                    }
                    delivered
                };
                let mut cancelled = false;
                let mut budget_reached = None;
                let mut remaining = thread_paths.into_iter();
                while let Some(path) = remaining.next() {
                    if thread_cancel.load(Ordering::Relaxed) {
                        cancelled = true;
                        break;
                    }
                    if !send(LoadMsg::Begin(path.clone())) {
                        return;
                    }
                    let Ok(source) = ids_rx.recv() else {
                        return;
                    };
                    let mut stored = 0u64;
                    let mut over_budget = false;
                    let mut cut_short = false;
                    let prepare = |events| Batch::prepare(events, &rules);
                    // Small batches (one per EVTX chunk, about 40 events) are joined before
                    // they are sent: fewer messages for the window to take each frame.
                    let mut pending: Option<(Batch, Progress)> = None;
                    let mut last_sent = std::time::Instant::now();
                    let mut info = ingest::stream_path_with(
                        &path,
                        source,
                        options,
                        &prepare,
                        &mut |mut batch: Batch, progress| {
                            if thread_cancel.load(Ordering::Relaxed) {
                                cut_short = true;
                                return false;
                            }
                            over_budget = batch.take_within(&mut budget);
                            stored += batch.events.len() as u64;
                            match &mut pending {
                                Some((joined, latest)) => {
                                    joined.append(batch);
                                    *latest = progress;
                                }
                                None => pending = Some((batch, progress)),
                            }
                            let due = over_budget
                                || last_sent.elapsed() >= JOIN_FOR
                                || pending
                                    .as_ref()
                                    .is_some_and(|(b, _)| b.events.len() >= JOIN_EVENTS);
                            let mut delivered = true;
                            if due && let Some((joined, latest)) = pending.take() {
                                last_sent = std::time::Instant::now();
                                delivered = joined.events.is_empty()
                                    || send(LoadMsg::Events(source, joined, latest));
                            }
                            let cancel_now = thread_cancel.load(Ordering::Relaxed);
                            cut_short |= cancel_now;
                            delivered && !over_budget && !cancel_now
                        },
                    );
                    if let Some((joined, latest)) = pending.take()
                        && !joined.events.is_empty()
                        && !send(LoadMsg::Events(source, joined, latest))
                    {
                        return;
                    }
                    if cut_short {
                        // A lasting mark on the file, not only a passing status message:
                        // exports made afterwards hold part of it.
                        info.warnings.push(crate::model::Warning {
                            path: path.clone(),
                            location: format!("after {stored} events"),
                            message: "loading cancelled: the events read so far are kept, the \
                                      rest of the file was not read"
                                .to_owned(),
                        });
                    }
                    if over_budget {
                        budget.mark_stopped(&mut info, stored);
                        budget_reached = Some(format!(
                            "Memory budget reached: {} stopped after {stored} events (see View > Warnings; raise it with --max-memory).",
                            path.file_name().map_or_else(
                                || path.display().to_string(),
                                |n| n.to_string_lossy().into_owned()
                            )
                        ));
                    }
                    if thread_cancel.load(Ordering::Relaxed) {
                        cancelled = true;
                    }
                    if !send(LoadMsg::Finished(source, info)) {
                        return;
                    }
                    if cancelled {
                        break;
                    }
                    if over_budget {
                        // The files after it are listed, each saying why it was not read.
                        for skipped in remaining.by_ref() {
                            if !send(LoadMsg::Begin(skipped.clone())) {
                                return;
                            }
                            let Ok(id) = ids_rx.recv() else {
                                return;
                            };
                            if !send(LoadMsg::Finished(id, not_read_source(skipped))) {
                                return;
                            }
                        }
                        break;
                    }
                }
                send(LoadMsg::AllDone {
                    cancelled,
                    budget_reached,
                });
            })?;
        Ok(LoadJob {
            rx,
            ids: ids_tx,
            cancel,
            paths,
        })
    }

    /// Whatever has arrived, without blocking.
    pub fn try_recv(&self) -> Option<LoadMsg> {
        self.rx.try_recv().ok()
    }

    /// Waits for the next message (`None` once the thread has gone). For headless callers.
    pub fn recv(&self) -> Option<LoadMsg> {
        self.rx.recv().ok()
    }

    /// Answers a [`LoadMsg::Begin`] with the id the store gave the file.
    pub fn assign(&self, source: SourceId) {
        let _ = self.ids.send(source);
    }

    /// Stops after the current batch, keeping what arrived.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

/// The result of a [`RulesJob`]: hits for rows `0..rows`.
pub struct RulesDone {
    pub rows: usize,
    pub detections: HashMap<Row, Vec<Detection>>,
}

/// Rules evaluated again over every loaded event, on a thread of its own. Dropping it (or
/// starting another) stops it at its next few thousand events.
pub struct RulesJob {
    rx: mpsc::Receiver<RulesDone>,
    cancel: Arc<AtomicBool>,
}

impl RulesJob {
    /// Starts evaluating `rules` over `events`.
    pub fn spawn(
        events: Arc<Vec<PackedEvent>>,
        rules: RuleSet,
        wake: impl Fn() + Send + 'static,
    ) -> std::io::Result<RulesJob> {
        let (tx, rx) = mpsc::sync_channel(1);
        let cancel = Arc::new(AtomicBool::new(false));
        let thread_cancel = Arc::clone(&cancel);
        std::thread::Builder::new()
            .name("appxview-rules".to_owned())
            .spawn(move || {
                let stop = || thread_cancel.load(Ordering::Relaxed);
                let rows = events.len();
                let result = evaluate_all(&events, &rules, &stop);
                // Let go of the events before answering: the store may grow right after, and
                // a shared vector would be copied.
                drop(events);
                if let Some(detections) = result {
                    let _ = tx.send(RulesDone { rows, detections });
                    wake();
                }
            })?;
        Ok(RulesJob { rx, cancel })
    }

    /// The result, once it is there.
    pub fn try_recv(&self) -> Option<RulesDone> {
        self.rx.try_recv().ok()
    }

    /// Waits for the result (`None` if the job was stopped).
    pub fn recv(&self) -> Option<RulesDone> {
        self.rx.recv().ok()
    }
}

impl Drop for RulesJob {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

/// One blocking call run on its own thread (a file dialog, which would otherwise stop the
/// window from drawing until it closes).
pub struct Call<T> {
    rx: mpsc::Receiver<T>,
}

impl<T: Send + 'static> Call<T> {
    /// Starts `call` on a new thread; `wake` is called when it has answered.
    pub fn spawn(
        call: impl FnOnce() -> T + Send + 'static,
        wake: impl Fn() + Send + 'static,
    ) -> std::io::Result<Call<T>> {
        let (tx, rx) = mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("appxview-dialog".to_owned())
            .spawn(move || {
                let _ = tx.send(call());
                wake();
            })?;
        Ok(Call { rx })
    }

    /// The answer, if it came within `wait` (calls that answer at once, such as "no dialog
    /// here", are then handled in the same frame).
    pub fn answer_within(&self, wait: std::time::Duration) -> Option<T> {
        self.rx.recv_timeout(wait).ok()
    }

    /// True once the thread has gone without answering (it panicked).
    pub fn is_lost(&self) -> bool {
        matches!(self.rx.try_recv(), Err(mpsc::TryRecvError::Disconnected))
    }
}
