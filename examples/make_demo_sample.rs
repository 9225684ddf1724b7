//! Writes `assets/samples/appx-demo-synthetic.evtx`, the synthetic demo log, with appxview's
//! own EVTX writer, and lists its labelled positives (`cargo run --example make_demo_sample`).

use std::path::Path;
use std::process::ExitCode;

use appxview::evtx_writer::synth::{
    DEMO_BENIGN, DEMO_POSITIVES, DEMO_SEED, demo_events, write_demo_sample,
};

fn main() -> ExitCode {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/samples/appx-demo-synthetic.evtx");
    let bytes = match write_demo_sample(&path) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let events = demo_events(DEMO_BENIGN, DEMO_SEED);
    println!("{}: {} events, {bytes} bytes", path.display(), events.len());
    // Record ids are positions: the writer numbers records from 1.
    for (i, (label, event)) in events.iter().enumerate() {
        let id = i + 1;
        let what = match label {
            Some(k) => format!(
                "{} -> {}",
                DEMO_POSITIVES[*k].0,
                DEMO_POSITIVES[*k].1.join(", ")
            ),
            None if event.event_id == Some(412)
                && event.provider.as_str().contains("AppXDeployment") =>
            {
                "event 412 (AppLocker block) -> win_appxdeployment_server_applocker_block"
                    .to_owned()
            }
            None => continue,
        };
        println!("record {id}: {} {what}", event.time.display());
    }
    ExitCode::SUCCESS
}
