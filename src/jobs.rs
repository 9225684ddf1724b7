//! Background work: the only module that starts threads.
//!
//! A [`LoadJob`] reads files one after another on one thread (the evtx crate runs its own
//! chunk pool inside it; no pool is ever nested in another), prepares each batch (derived
//! facts, rule hits) and sends it over a bounded channel. The UI drains the channel each
//! frame; `wake` (the UI's repaint request) is called after every message, so this module
//! needs no egui.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use crate::ingest::{self, Progress, ReadOptions};
use crate::model::{Source, SourceId};
use crate::sigma::RuleSet;
use crate::store::Batch;

/// What the loader thread tells its owner.
pub enum LoadMsg {
    /// A file is about to be read: the store registers it and answers with its id through
    /// the job's id channel.
    Begin(PathBuf),
    /// Events of the current file.
    Events(SourceId, Batch, Progress),
    /// A file is done (or failed): final counts, warnings and error.
    Finished(SourceId, Source),
    /// Every file is done, or the job was cancelled.
    AllDone { cancelled: bool },
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
    /// Starts reading `paths` on a new thread.
    pub fn spawn(
        paths: Vec<PathBuf>,
        rules: RuleSet,
        options: ReadOptions,
        wake: impl Fn() + Send + 'static,
    ) -> std::io::Result<LoadJob> {
        let (tx, rx) = mpsc::sync_channel(8);
        let (ids_tx, ids_rx) = mpsc::channel::<SourceId>();
        let cancel = Arc::new(AtomicBool::new(false));
        let thread_cancel = Arc::clone(&cancel);
        let thread_paths = paths.clone();
        std::thread::Builder::new()
            .name("appxview-load".to_owned())
            .spawn(move || {
                let send = |msg: LoadMsg| {
                    let delivered = tx.send(msg).is_ok();
                    wake();
                    delivered
                };
                let mut cancelled = false;
                for path in thread_paths {
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
                    let info =
                        ingest::stream_path(&path, source, options, &mut |events, progress| {
                            if thread_cancel.load(Ordering::Relaxed) {
                                return false;
                            }
                            let batch = Batch::prepare(events, &rules);
                            send(LoadMsg::Events(source, batch, progress))
                                && !thread_cancel.load(Ordering::Relaxed)
                        });
                    if thread_cancel.load(Ordering::Relaxed) {
                        cancelled = true;
                    }
                    if !send(LoadMsg::Finished(source, info)) {
                        return;
                    }
                    if cancelled {
                        break;
                    }
                }
                send(LoadMsg::AllDone { cancelled });
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
