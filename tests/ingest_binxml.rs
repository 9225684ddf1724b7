#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on purpose.
//! Our own BinXML reader against the evtx crate: on every record of every EVTX file in
//! ../shared (the evtx crate's samples, MIT/Apache-2.0; the mdecrevoisier log, CC0; the
//! SigmaHQ regression logs, DRL 1.1; the damaged cases) and of the demo sample and a freshly
//! written synthetic file, each record our reader decodes must give exactly the event that
//! the crate's JSON gives, and it must decode nearly every record of healthy real logs.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use appxview::ingest::binxml::decode_records;
use appxview::ingest::evtx::crate_chunk;
use appxview::model::Event;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn evtx_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            evtx_under(&path, out);
        } else if path.extension().is_some_and(|x| x == "evtx") {
            out.push(path);
        }
    }
}

#[derive(Default, Debug)]
struct Tally {
    chunks: usize,
    healthy_chunks: usize,
    records: usize,
    decoded: usize,
    unsupported: usize,
    reasons: std::collections::BTreeMap<&'static str, usize>,
    mismatches: Vec<String>,
}

/// Compares both readings of every chunk of `path`.
fn compare(path: &Path, tally: &mut Tally) {
    let settings = Arc::new(evtx::ParserSettings::new().recover_records(true));
    let Ok(mut parser) = evtx::EvtxParser::from_path(path) else {
        return;
    };
    for mut chunk in parser.chunks().flatten() {
        tally.chunks += 1;
        let ours = decode_records(&chunk);
        let (theirs, _) = crate_chunk(&mut chunk, &settings, path);
        let Some(ours) = ours else {
            continue;
        };
        tally.healthy_chunks += 1;
        tally.records += ours.len();
        let theirs: Vec<&Event> = theirs.iter().filter(|e| !e.recovered).collect();
        assert_eq!(ours.len(), theirs.len(), "{}: record count", path.display());
        for (mine, crate_event) in ours.iter().zip(theirs) {
            match mine {
                Ok(mine) => {
                    tally.decoded += 1;
                    if mine != crate_event && tally.mismatches.len() < 20 {
                        tally.mismatches.push(format!(
                            "{} record {:?}:\n  ours  {mine:?}\n  crate {crate_event:?}",
                            path.display(),
                            crate_event.record_id
                        ));
                    } else if mine != crate_event {
                        tally.mismatches.push(String::new());
                    }
                }
                Err(why) => {
                    tally.unsupported += 1;
                    *tally.reasons.entry(why.0).or_default() += 1;
                }
            }
        }
    }
}

#[test]
fn our_binxml_reader_equals_the_crate_on_every_record() {
    let mut files = Vec::new();
    evtx_under(&root().join("../shared"), &mut files);
    files.push(root().join("assets/samples/appx-demo-synthetic.evtx"));
    let dir = tempfile::tempdir().unwrap();
    let synthetic = dir.path().join("synthetic.evtx");
    appxview::evtx_writer::synth::write_synthetic(&synthetic, 3000, 7).unwrap();
    files.push(synthetic.clone());
    files.sort();
    assert!(files.len() > 200, "{} files", files.len());

    let mut all = Tally::default();
    for path in &files {
        let mut tally = Tally::default();
        compare(path, &mut tally);
        if tally.unsupported > 0 || tally.healthy_chunks < tally.chunks {
            println!(
                "{}: {} of {} chunks healthy, {} records, {} decoded, {} left to the crate",
                path.display(),
                tally.healthy_chunks,
                tally.chunks,
                tally.records,
                tally.decoded,
                tally.unsupported
            );
        }
        if path == &synthetic {
            assert_eq!(tally.decoded, 3000, "synthetic: {:?}", tally.reasons);
        }
        all.chunks += tally.chunks;
        all.healthy_chunks += tally.healthy_chunks;
        all.records += tally.records;
        all.decoded += tally.decoded;
        all.unsupported += tally.unsupported;
        all.mismatches.extend(tally.mismatches);
        for (why, n) in tally.reasons {
            *all.reasons.entry(why).or_default() += n;
        }
    }
    println!(
        "{} files: {} chunks, {} healthy; {} records in them, {} decoded by us, {} left to the crate, {} different",
        files.len(),
        all.chunks,
        all.healthy_chunks,
        all.records,
        all.decoded,
        all.unsupported,
        all.mismatches.len()
    );
    for (why, n) in &all.reasons {
        println!("  left to the crate at {why}: {n} records");
    }
    for m in all.mismatches.iter().filter(|m| !m.is_empty()) {
        println!("{m}");
    }
    assert!(
        all.mismatches.is_empty(),
        "{} records differ",
        all.mismatches.len()
    );
    // Real logs are mostly read by our decoder, not handed back.
    assert!(
        all.decoded * 100 >= all.records * 95,
        "only {} of {} records decoded",
        all.decoded,
        all.records
    );
}
