//! An ordered parallel map: inputs are taken on the calling thread, `work` runs on scoped
//! worker threads, and the outputs reach `consume` in input order. Used for EVTX chunks: the
//! calling thread reads the file, the workers decode and prepare, the caller keeps order. No
//! pool outlives the call and none is ever started inside another.

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

/// Runs `work` over `inputs` on `threads` threads (inline when `threads` is 1 or no thread
/// can be started) and hands each output to `consume`, in order, until it returns `false`.
/// At most two inputs per thread are taken ahead of the output being consumed, so memory
/// stays bounded whatever the input's size. A panic in `work` is raised again here.
pub fn map_ordered<I, O, W, C>(threads: usize, inputs: impl Iterator<Item = I>, work: W, consume: C)
where
    I: Send,
    O: Send,
    W: Fn(I) -> O + Sync,
    C: FnMut(O) -> bool,
{
    let mut inputs = inputs;
    let mut consume = consume;
    if threads <= 1 {
        for input in inputs {
            if !consume(work(input)) {
                return;
            }
        }
        return;
    }
    std::thread::scope(|scope| {
        let (job_tx, job_rx) = mpsc::sync_channel::<(u64, I)>(threads * 2);
        let job_rx = Arc::new(Mutex::new(job_rx));
        let (out_tx, out_rx) = mpsc::channel::<(u64, std::thread::Result<O>)>();
        let work = &work;
        let mut started = 0;
        for n in 0..threads {
            let jobs = Arc::clone(&job_rx);
            let out = out_tx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("appxview-chunks-{n}"))
                .spawn_scoped(scope, move || {
                    loop {
                        let job = match jobs.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        let Ok((seq, input)) = job else { return };
                        let output =
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(input)));
                        if out.send((seq, output)).is_err() {
                            return;
                        }
                    }
                });
            if spawned.is_ok() {
                started += 1;
            }
        }
        drop(out_tx);
        if started == 0 {
            drop(job_tx);
            for input in inputs {
                if !consume(work(input)) {
                    return;
                }
            }
            return;
        }
        let ahead = started * 2;
        let mut pending = BTreeMap::new();
        let (mut next_in, mut next_out, mut in_flight) = (0u64, 0u64, 0usize);
        let mut exhausted = false;
        loop {
            while !exhausted && in_flight < ahead {
                match inputs.next() {
                    Some(input) => {
                        if job_tx.send((next_in, input)).is_err() {
                            exhausted = true;
                            break;
                        }
                        next_in += 1;
                        in_flight += 1;
                    }
                    None => exhausted = true,
                }
            }
            if let Some(output) = pending.remove(&next_out) {
                next_out += 1;
                in_flight -= 1;
                match output {
                    Ok(output) => {
                        if !consume(output) {
                            break;
                        }
                    }
                    Err(panic) => std::panic::resume_unwind(panic),
                }
                continue;
            }
            if in_flight == 0 {
                break;
            }
            match out_rx.recv() {
                Ok((seq, output)) => {
                    pending.insert(seq, output);
                }
                Err(_) => break,
            }
        }
        // Workers finish what they hold and stop: no more jobs, nobody listening.
        drop(job_tx);
        drop(out_rx);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_come_in_input_order_and_stop_when_asked() {
        for threads in [1, 2, 3] {
            let mut seen = Vec::new();
            map_ordered(
                threads,
                0..100u64,
                |i| {
                    // Later inputs finish first.
                    std::thread::sleep(std::time::Duration::from_micros(100 - i));
                    i * 2
                },
                |o| {
                    seen.push(o);
                    true
                },
            );
            assert_eq!(seen, (0..100).map(|i| i * 2).collect::<Vec<_>>());
            let mut taken = 0;
            map_ordered(
                threads,
                0..1000u64,
                |i| i,
                |_| {
                    taken += 1;
                    taken < 5
                },
            );
            assert_eq!(taken, 5);
        }
    }

    #[test]
    fn a_panic_in_work_is_raised_again() {
        let result = std::panic::catch_unwind(|| {
            map_ordered(
                2,
                0..10u32,
                |i| if i == 3 { panic!("boom") } else { i },
                |_| true,
            );
        });
        assert!(result.is_err());
    }
}
