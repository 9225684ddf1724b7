//! Every decoding table agrees with ../shared/schema/decodings.json on every value it lists, and
//! HRESULT lookups accept all the spellings exports use.

#![allow(clippy::unwrap_used)] // tests may unwrap (house rules)

use appxview::model::Value;
use appxview::schema::catalogue::Catalogue;
use appxview::schema::decode::{Decoded, decode, decode_with_table, hresult};

fn reference() -> serde_json::Value {
    let path = format!(
        "{}/../shared/schema/decodings.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn num(key: &str) -> u64 {
    match key.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).unwrap(),
        None => key.parse().unwrap(),
    }
}

fn entries(v: &serde_json::Value) -> Vec<(u64, String)> {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, n)| (num(k), n.as_str().unwrap().to_owned()))
        .collect()
}

fn text(table: &str, field: &str, value: u64, build: Option<u32>) -> Decoded {
    decode_with_table(table, field, &Value::UInt(value), build)
        .unwrap_or_else(|| panic!("{table} {value}: no decoding"))
        .decoded
}

#[test]
fn every_enum_and_flag_value_agrees_with_reference() {
    let r = reference();
    let mut checked = 0;
    for (table, t) in r.as_object().unwrap() {
        if table.starts_with('_')
            || [
                "HRESULT",
                "Level",
                "Opcode",
                "Keywords",
                "DeploymentOptions",
                "PackageFlags",
            ]
            .contains(&table.as_str())
        {
            continue;
        }
        let kind = t["kind"].as_str().unwrap_or("");
        let is_flags = kind.contains("flag") || kind.contains("bitmap");
        for key in ["values", "candidate_values"] {
            if t.get(key).is_none() {
                continue;
            }
            for (value, name) in entries(&t[key]) {
                let got = text(table, "x", value, None);
                if is_flags {
                    assert_eq!(
                        got,
                        Decoded::Flags(vec![name.clone()]),
                        "{table} {value:#x}"
                    );
                } else {
                    assert_eq!(got, Decoded::Text(name.clone()), "{table} {value}");
                }
                checked += 1;
            }
        }
        if let Some(by_build) = t.get("values_by_build").and_then(|b| b.as_object()) {
            for (build, map) in by_build {
                let build: u32 = build.parse().unwrap();
                for (value, name) in entries(map) {
                    assert_eq!(
                        text(table, "x", value, Some(build)),
                        Decoded::Text(name.clone()),
                        "{table} {build} {value}"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 300, "{checked}");
}

#[test]
fn deployment_options_bitmaps_agree_with_reference() {
    let r = reference();
    let t = &r["DeploymentOptions"];
    for (part, field) in [
        ("etw_low32_bitmap_by_build", "Flags"),
        ("etw_high32_bitmap_by_build", "FlagsHigh"),
    ] {
        for (build, map) in t[part].as_object().unwrap() {
            let build: u32 = build.parse().unwrap();
            for (mask, name) in entries(map) {
                assert_eq!(
                    text("DeploymentOptions", field, mask, Some(build)),
                    Decoded::Flags(vec![name.clone()]),
                    "{field} {build} {mask:#x}"
                );
                if field == "FlagsHigh" {
                    // The same bit in the upper half of the 64-bit DeploymentOptions field.
                    assert_eq!(
                        text(
                            "DeploymentOptions",
                            "DeploymentOptions",
                            mask << 32,
                            Some(build)
                        ),
                        Decoded::Flags(vec![name.clone()])
                    );
                }
            }
        }
    }
    // The public enum is carried unchanged.
    let cat = Catalogue::get();
    let Some(appxview::schema::catalogue::DecodingTable::DeploymentOptions { public, .. }) =
        cat.decoding("DeploymentOptions")
    else {
        panic!("DeploymentOptions table")
    };
    let reference_public = entries(&t["public_api_enum"]["values"]);
    assert_eq!(public.len(), reference_public.len());
    for (mask, name) in reference_public {
        assert_eq!(public.get(&mask), Some(&name));
    }
}

#[test]
fn deployment_options_0x800000_depends_on_build() {
    let v = Value::UInt(0x80_0000);
    let provider = "Microsoft-Windows-AppXDeployment-Server";
    // Unknown build: the 18990 map, and the note says so.
    let d = decode(provider, 603, "Flags", &v).unwrap();
    assert_eq!(d.decoded, Decoded::Flags(vec!["AllowUnsigned".into()]));
    assert!(d.note.unwrap().contains("18990"));
    let d = decode_with_table("DeploymentOptions", "Flags", &v, Some(17763)).unwrap();
    assert_eq!(d.decoded, Decoded::Flags(vec!["DeleteXapFile".into()]));
    assert!(d.note.unwrap().contains("17134"));
    let d = decode_with_table("DeploymentOptions", "Flags", &v, Some(26100)).unwrap();
    assert_eq!(d.decoded, Decoded::Flags(vec!["AllowUnsigned".into()]));
    // 10240 does not name the bit: shown as unknown, not guessed.
    let d = decode_with_table("DeploymentOptions", "Flags", &v, Some(10240)).unwrap();
    assert_eq!(d.decoded, Decoded::Flags(vec!["0x800000 (unknown)".into()]));
}

#[test]
fn every_hresult_agrees_with_reference_in_all_spellings() {
    let r = reference();
    let values = r["HRESULT"]["values"].as_object().unwrap();
    assert_eq!(values.len(), 93);
    for (code, v) in values {
        let n = num(&code.to_ascii_lowercase()) as u32;
        let spellings = [
            Value::Str(code.to_ascii_lowercase().into()),
            Value::Str(code.to_ascii_uppercase().replace("0X", "0x").into()),
            Value::Str(format!("0X{n:X}").into()),
            Value::UInt(u64::from(n)),
            Value::Int(i64::from(n as i32)),
            Value::Str(n.to_string().into()),
            Value::Str((n as i32).to_string().into()),
        ];
        for s in spellings {
            let h = hresult(&s).unwrap_or_else(|| panic!("{code} as {s:?}"));
            assert_eq!(h.code, n);
            assert_eq!(h.symbol, v["symbol"].as_str().unwrap());
            assert_eq!(h.meaning, v["meaning"].as_str().unwrap());
        }
    }
}

#[test]
fn hresult_examples_and_unknown() {
    let h = hresult(&Value::Int(-2_147_009_281)).unwrap();
    assert_eq!(h.code, 0x8007_3CFF);
    assert_eq!(h.symbol, "ERROR_INSTALL_POLICY_FAILURE");
    // The unsigned decimal spelling of 0x80073CFF is 2147958015; 2147009281 (the magnitude of
    // the negative form) is a different code, 0x7FF8C301, and must not be taken for it.
    assert_eq!(
        hresult(&Value::UInt(2_147_958_015)).unwrap().symbol,
        "ERROR_INSTALL_POLICY_FAILURE"
    );
    assert_eq!(hresult(&Value::UInt(2_147_009_281)), None);
    assert_eq!(
        hresult(&Value::Str("0x80073cff".into())).unwrap().symbol,
        "ERROR_INSTALL_POLICY_FAILURE"
    );
    // Eight hex digits without `0x`: hex when a letter says so, decimal otherwise.
    assert_eq!(
        hresult(&Value::Str(" 80073CFF".into())).unwrap().symbol,
        "ERROR_INSTALL_POLICY_FAILURE"
    );
    assert_eq!(
        hresult(&Value::Str("80070005".into())).map(|h| h.code),
        None,
        "80070005 reads as the decimal number 80,070,005, not as 0x80070005"
    );
    // Not in the table (made value): Unknown, not guessed.
    let unknown = Value::Str("0x80041234".into());
    assert_eq!(hresult(&unknown), None);
    let d = decode(
        "Microsoft-Windows-AppXDeployment-Server",
        401,
        "ErrorCode",
        &unknown,
    )
    .unwrap();
    assert_eq!(d.decoded, Decoded::Unknown);
    assert_eq!(d.table, "HRESULT");
    // Built by HRESULT_FROM_WIN32 but not in the table (0x800704EC, the AppLocker 412 code):
    // the Win32 error number, never a guessed name.
    let win32 = hresult(&Value::Str("0x800704ec".into())).unwrap();
    assert_eq!(win32.symbol, "HRESULT_FROM_WIN32(1260)");
    assert!(
        win32.meaning.starts_with("Win32 error 1260"),
        "{}",
        win32.meaning
    );
    // Not a number at all.
    assert_eq!(hresult(&Value::Str("access denied".into())), None);
    assert_eq!(hresult(&Value::Int(-1 - i64::from(u32::MAX))), None);
    // HRESULT field names apply to events outside the catalogue too (made event id).
    let d = decode(
        "Microsoft-Windows-AppXDeployment-Server",
        999_999,
        "hr",
        &Value::Str("0x80073CFF".into()),
    )
    .unwrap();
    assert_eq!(
        d.decoded.clone(),
        Decoded::Text(format!(
            "ERROR_INSTALL_POLICY_FAILURE: {}",
            hresult(&Value::UInt(0x8007_3CFF)).unwrap().meaning
        ))
    );
}

#[test]
fn inferred_and_raw_tables_say_so() {
    let d = decode_with_table(
        "PackageType",
        "PackageType",
        &Value::Str("0x8".into()),
        None,
    )
    .unwrap();
    assert!(d.inferred);
    let d = decode_with_table(
        "PackageFlags",
        "PackageFlags",
        &Value::Str("0x800".into()),
        None,
    )
    .unwrap();
    assert_eq!(d.decoded, Decoded::Raw);
    // DeploymentState without a known build: 18990 numbering, marked inferred.
    let d =
        decode_with_table("DeploymentState", "DeploymentState", &Value::UInt(12), None).unwrap();
    assert_eq!(d.decoded, Decoded::Text("Staged".into()));
    assert!(d.inferred);
    let d = decode_with_table(
        "DeploymentState",
        "DeploymentState",
        &Value::UInt(12),
        Some(10240),
    )
    .unwrap();
    assert_eq!(d.decoded, Decoded::Text("PackagesInUseClosed".into()));
    assert!(!d.inferred);
}

#[test]
fn levels_opcodes_keywords_agree_with_reference() {
    let r = reference();
    let cat = Catalogue::get();
    for (v, name) in entries(&r["Level"]["values"]) {
        assert_eq!(cat.levels.get(&(v as u8)), Some(&name));
    }
    for (v, name) in entries(&r["Opcode"]["values"]) {
        assert_eq!(cat.opcodes.get(&(v as u8)), Some(&name));
    }
    for (provider, bits) in r["Keywords"]["provider_bits"].as_object().unwrap() {
        let p = cat.provider(provider).unwrap();
        for (mask, name) in entries(bits) {
            assert_eq!(p.keywords.get(&mask), Some(&name), "{provider} {mask:#x}");
        }
    }
}
