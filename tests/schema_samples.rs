//! The detail model on the real and shaped inputs in ../shared: every AppX event of every file
//! builds a detail without leftover inserts, and its package is found where a field names one.

#![allow(clippy::unwrap_used)] // tests may unwrap (house rules)

use std::path::PathBuf;

use appxview::schema::catalogue::Catalogue;
use appxview::schema::detail::EventDetail;
use appxview::schema::package::PackageId;

fn inputs() -> Vec<PathBuf> {
    let root = PathBuf::from(format!("{}/../shared", env!("CARGO_MANIFEST_DIR")));
    let mut out = Vec::new();
    for dir in ["cases-json", "sigma-cases", "samples/evtx-crate"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            let p = e.unwrap().path();
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
            if ["json", "jsonl", "txt", "evtx"].contains(&ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn details_of_shared_inputs() {
    let cat = Catalogue::get();
    let mut appx = 0;
    let mut shaped_400 = 0;
    let mut real_325 = 0;
    for path in inputs() {
        let load = appxview::ingest::read_path(&path, 0);
        for e in &load.events {
            if cat.provider(e.provider.as_str()).is_none() {
                continue;
            }
            appx += 1;
            let d = EventDetail::build(e);
            let j = d.to_json();
            if let Some(m) = &d.message {
                assert!(!m.contains("%1"), "{}: {m}", path.display());
            }
            // A PackageFullName that parses is the package (sigma-cases also hold made names with
            // a 3-character publisher id, which are rightly not packages).
            if let Some(id) = e
                .field("PackageFullName")
                .and_then(|v| PackageId::parse(&v.to_text()))
            {
                assert_eq!(d.package, Some(id), "{}: {j}", path.display());
            }
            assert_eq!(j["fields"].as_array().unwrap().len(), e.fields.len());
            let file = path.file_name().unwrap().to_string_lossy().into_owned();
            // The shaped copies of event 400 (cases-json/shape_*) carry the 1511 field list.
            if file.starts_with("shape_") && e.event_id == Some(400) {
                assert_eq!(d.builds, ["Windows 10 1511"], "{file}");
                // An export that carries its own rendered message (PowerShell) keeps it.
                assert!(
                    e.message.is_some() || d.message.as_deref().unwrap().starts_with("Deployment PreRegisterPackage operation with target volume C: on Package Microsoft.VCLibs.120.00_12.0.21005.1_x86__8wekyb3d8bbwe"),
                    "{file}: {j}"
                );
                assert_eq!(j["fields"][4]["decoded"], "Windows8x", "{file}");
                shaped_400 += 1;
            }
            // The real AppX client log: event 325 names a family, found as the package.
            if file == "sample_with_a_bad_chunk_magic.evtx" && e.event_id == Some(325) {
                let family = e.field("PackageFamilyName").unwrap().to_text();
                if family.contains('_') {
                    let p = d.package.as_ref().unwrap_or_else(|| panic!("{j}"));
                    assert_eq!(p.family_name(), family);
                    assert!(p.version.is_empty());
                    real_325 += 1;
                } else {
                    // The damaged log also holds a cut-off name ("Microsoft.Windows.ContentDeliver").
                    assert_eq!(d.package, None, "{j}");
                }
            }
        }
    }
    assert!(appx > 10, "{appx}");
    assert!(shaped_400 >= 3, "{shaped_400}");
    assert!(real_325 > 0);
}
