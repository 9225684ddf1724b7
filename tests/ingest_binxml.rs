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

/// Sets both CRC32s of the chunk at `chunk_start` so that the chunk counts as healthy.
fn fix_chunk_crcs(bytes: &mut [u8], chunk_start: usize) {
    let chunk = &mut bytes[chunk_start..chunk_start + 65536];
    let free = u32::from_le_bytes(chunk[48..52].try_into().unwrap()) as usize;
    let records_crc = crc32fast::hash(&chunk[512..free.clamp(512, 65536)]);
    chunk[52..56].copy_from_slice(&records_crc.to_le_bytes());
    let mut header = crc32fast::Hasher::new();
    header.update(&chunk[..120]);
    header.update(&chunk[128..512]);
    chunk[124..128].copy_from_slice(&header.finalize().to_le_bytes());
}

/// Damage that keeps a chunk's CRC32s right (the chunk was damaged before it was written, or
/// the CRCs were fixed) must not make our reader disagree with the crate: for each of many
/// one-byte changes in the record area of a real log (the evtx crate's test logs in
/// ../shared/cases-evtx, MIT/Apache-2.0), either our reader leaves the chunk to the crate, or
/// it gives exactly the events the crate gives. Covers the cases a tryout found: a
/// CloseStartElement turned into an Attribute, an unknown declared type in a template, a name
/// offset out of the chunk, a substitution index past the values.
#[test]
fn damage_behind_correct_crcs_reads_as_the_crate_reads_it() {
    let settings = Arc::new(evtx::ParserSettings::new().recover_records(true));
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        // xorshift64: a fixed, reproducible sequence.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut tried = 0;
    let mut declined = 0;
    let mut mismatches = Vec::new();
    let named = [
        // (file, offset, byte): the tryout's four cases.
        ("system_base_3chunks.evtx", 0x1000 + 0x294f, 0x06u8),
        ("system_base_3chunks.evtx", 0x1000 + 0x562d, 0x4a),
        ("system_base_3chunks.evtx", 0x11000 + 0xa693, 0x81),
        ("system_base_3chunks.evtx", 0x1000 + 0x2d05, 0x0a),
    ];
    let mut mutations: Vec<(&str, usize, u8)> = named.to_vec();
    for file in ["system_base_3chunks.evtx", "gpo_base_3chunks.evtx"] {
        let len = std::fs::metadata(root().join("../shared/cases-evtx").join(file))
            .unwrap()
            .len() as usize;
        let chunks = (len - 4096) / 65536;
        for _ in 0..500 {
            let chunk = (next() as usize) % chunks;
            let at = 4096 + chunk * 65536 + 512 + (next() as usize) % (65536 - 512);
            mutations.push((file, at, next() as u8));
        }
    }
    for (file, at, byte) in mutations {
        let mut bytes = std::fs::read(root().join("../shared/cases-evtx").join(file)).unwrap();
        if bytes[at] == byte {
            continue;
        }
        bytes[at] = byte;
        let chunk_start = 4096 + (at - 4096) / 65536 * 65536;
        fix_chunk_crcs(&mut bytes, chunk_start);
        tried += 1;
        let label = format!("{file} byte {at:#x} -> {byte:#04x}");
        let mut parser = evtx::EvtxParser::from_buffer(bytes).unwrap();
        for mut chunk in parser.chunks().flatten() {
            let Some(ours) = appxview::ingest::binxml::decode_chunk(&chunk) else {
                declined += 1;
                continue;
            };
            let (theirs, warnings) = crate_chunk(&mut chunk, &settings, Path::new(file));
            let theirs: Vec<Event> = theirs.into_iter().filter(|e| !e.recovered).collect();
            if ours != theirs {
                let first = ours
                    .iter()
                    .zip(&theirs)
                    .position(|(a, b)| a != b)
                    .map_or(String::new(), |i| {
                        format!("\n  ours  {:?}\n  crate {:?}", ours[i], theirs[i])
                    });
                mismatches.push(format!(
                    "{label}: ours {} events, crate {} (warnings {warnings:?}){first}",
                    ours.len(),
                    theirs.len()
                ));
            }
        }
    }
    println!(
        "{tried} damaged files, {declined} chunks left to the crate, {} chunks read differently",
        mismatches.len()
    );
    for m in &mismatches {
        println!("{m}");
    }
    assert!(tried >= 900, "{tried} mutations");
    assert!(
        mismatches.is_empty(),
        "{} chunks differ from the crate",
        mismatches.len()
    );
}
