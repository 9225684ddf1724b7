//! The compiled-in catalogue (assets/schema/catalogue.json, made by tools/gen_catalogue.py) holds
//! exactly what ../shared/schema says for every event of every provider.

#![allow(clippy::unwrap_used)] // tests may unwrap (house rules)

use appxview::schema::catalogue::{Catalogue, FieldSchema};
use serde_json::Value as Json;

fn load(name: &str) -> Json {
    let path = format!("{}/../shared/schema/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn fields(list: &Json) -> Vec<FieldSchema> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|f| FieldSchema {
            name: f["name"].as_str().unwrap().to_owned(),
            ty: f["type"].as_str().unwrap().to_owned(),
            decoding: f["decoding"].as_str().map(str::to_owned),
        })
        .collect()
}

fn opt(v: &Json) -> Option<String> {
    v.as_str().map(str::to_owned)
}

#[test]
fn catalogue_matches_reference_for_every_event() {
    let cat = Catalogue::get();
    assert_eq!(cat.load_error, None);
    let build_keys: Vec<&str> = cat.builds.iter().map(|b| b.key.as_str()).collect();
    assert_eq!(build_keys.len(), 16);
    let server = load("appxdeployment-server.json");
    let others = load("appx-other-providers.json");
    let mut providers = vec![&server];
    providers.extend(others["providers"].as_array().unwrap());
    let mut checked = 0;
    for p in providers {
        let name = p["provider"].as_str().unwrap();
        let events = p["events"].as_array().unwrap();
        assert_eq!(
            cat.provider(name).unwrap().events.len(),
            events.len(),
            "{name}"
        );
        for e in events {
            let id = e["id"].as_u64().unwrap() as u32;
            let s = cat.event(name, id).unwrap();
            let ctx = format!("{name} {id}");
            assert_eq!(s.fields, fields(&e["fields"]), "{ctx}");
            assert_eq!(s.message, opt(&e["message"]), "{ctx}");
            assert_eq!(s.message_named, opt(&e["message_named"]), "{ctx}");
            assert_eq!(s.level, opt(&e["level"]), "{ctx}");
            assert_eq!(s.opcode, opt(&e["opcode"]), "{ctx}");
            assert_eq!(s.task, opt(&e["task"]), "{ctx}");
            assert_eq!(s.channel, opt(&e["channel"]), "{ctx}");
            assert_eq!(
                u64::from(s.version),
                e["version"].as_u64().unwrap(),
                "{ctx}"
            );
            let mut kw: Vec<String> = e["keywords"]
                .as_array()
                .map(|a| a.iter().map(|k| k.as_str().unwrap().to_owned()).collect())
                .unwrap_or_default();
            let mut got = s.keywords.clone();
            kw.sort();
            got.sort();
            assert_eq!(got, kw, "{ctx}");
            // Builds: first_seen..=last_seen without missing_in.
            let b = &e["builds"];
            let first = build_keys
                .iter()
                .position(|k| *k == b["first_seen"])
                .unwrap();
            let last = build_keys
                .iter()
                .position(|k| *k == b["last_seen"])
                .unwrap();
            let missing: Vec<&str> = b["missing_in"]
                .as_array()
                .map(|a| a.iter().map(|m| m.as_str().unwrap()).collect())
                .unwrap_or_default();
            let expected: Vec<usize> = (first..=last)
                .filter(|i| !missing.contains(&build_keys[*i]))
                .collect();
            assert_eq!(s.builds, expected, "{ctx}");
            match e.get("field_history").and_then(|h| h.as_array()) {
                Some(history) => {
                    assert_eq!(s.field_history.len(), history.len(), "{ctx}");
                    for (got, h) in s.field_history.iter().zip(history) {
                        let builds: Vec<usize> = h["builds"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|k| build_keys.iter().position(|b| *b == k).unwrap())
                            .collect();
                        assert_eq!(got.builds, builds, "{ctx}");
                        assert_eq!(got.fields, fields(&h["fields"]), "{ctx}");
                    }
                }
                None => {
                    assert_eq!(s.field_history.len(), 1, "{ctx}");
                    assert_eq!(s.field_history[0].builds, expected, "{ctx}");
                    assert_eq!(s.field_history[0].fields, s.fields, "{ctx}");
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 2074 + 324 + 130 + 93 + 16);
}
