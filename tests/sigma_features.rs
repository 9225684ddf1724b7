#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on purpose.
//! Table tests of every modifier and condition feature of the engine.
//!
//! All rules and events here are made by hand for these tests (labelled "made"): AppX-shaped
//! events on the AppXDeployment-Server channel unless a case needs another log.

use appxview::model::{Event, Sym, Value};
use appxview::sigma::{RuleSet, Severity};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

const APPX_CHANNEL: &str = "Microsoft-Windows-AppXDeploymentServer/Operational";

/// Made event: AppX channel, the given id and EventData.
fn ev(id: u32, fields: &[(&str, Value)]) -> Event {
    Event {
        provider: Sym::new("Microsoft-Windows-AppXDeployment-Server"),
        channel: Sym::new(APPX_CHANNEL),
        event_id: Some(id),
        fields: fields
            .iter()
            .map(|(n, v)| (Sym::new(n), v.clone()))
            .collect(),
        ..Event::default()
    }
}

fn s(text: &str) -> Value {
    Value::Str(text.into())
}

/// Made rule on the AppX service with the given detection block (YAML, indented 4).
fn rule(detection: &str) -> RuleSet {
    let yaml = format!(
        "title: made test rule\nid: 00000000-0000-4000-8000-000000000000\nlogsource:\n    product: windows\n    service: appxdeployment-server\ndetection:\n{detection}\nlevel: high\n"
    );
    let mut set = RuleSet::default();
    set.load_str(&yaml, "made.yml")
        .unwrap_or_else(|e| panic!("rule did not load: {e}\n{yaml}"));
    set
}

fn fires(set: &RuleSet, event: &Event) -> bool {
    !set.evaluate(event).is_empty()
}

/// (label, detection YAML, event, expected)
type Case = (&'static str, &'static str, Event, bool);

fn run(cases: Vec<Case>) {
    let mut failures = Vec::new();
    for (label, det, event, want) in cases {
        let set = rule(det);
        let got = fires(&set, &event);
        if got != want {
            failures.push(format!("{label}: expected {want}, got {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn sigma_string_modifiers() {
    let p = |v: &str| ev(400, &[("Path", s(v))]);
    run(vec![
        (
            "plain is full match",
            "    sel:\n        Path: 'abc'\n    condition: sel",
            p("ABC"),
            true,
        ),
        (
            "plain no substring",
            "    sel:\n        Path: 'abc'\n    condition: sel",
            p("xabc"),
            false,
        ),
        (
            "contains ci",
            "    sel:\n        Path|contains: 'DownLoads'\n    condition: sel",
            p(r"C:\Users\a\downloads\x.msix"),
            true,
        ),
        (
            "startswith",
            "    sel:\n        Path|startswith: 'https://'\n    condition: sel",
            p("HTTPS://x"),
            true,
        ),
        (
            "startswith miss",
            "    sel:\n        Path|startswith: 'https://'\n    condition: sel",
            p("file:///https://"),
            false,
        ),
        (
            "endswith",
            "    sel:\n        Path|endswith: '.MSIX'\n    condition: sel",
            p("a.msix"),
            true,
        ),
        (
            "endswith miss",
            "    sel:\n        Path|endswith: '.msix'\n    condition: sel",
            p("a.msix.txt"),
            false,
        ),
        (
            "cased hit",
            "    sel:\n        Path|cased: 'Abc'\n    condition: sel",
            p("Abc"),
            true,
        ),
        (
            "cased miss",
            "    sel:\n        Path|cased: 'Abc'\n    condition: sel",
            p("abc"),
            false,
        ),
        (
            "cased contains",
            "    sel:\n        Path|contains|cased: 'B'\n    condition: sel",
            p("abc"),
            false,
        ),
        (
            "list is OR",
            "    sel:\n        Path:\n            - 'a'\n            - 'b'\n    condition: sel",
            p("b"),
            true,
        ),
        (
            "all is AND hit",
            "    sel:\n        Path|contains|all:\n            - 'one'\n            - 'two'\n    condition: sel",
            p("two and one"),
            true,
        ),
        (
            "all is AND miss",
            "    sel:\n        Path|contains|all:\n            - 'one'\n            - 'two'\n    condition: sel",
            p("one only"),
            false,
        ),
        (
            "? one char",
            "    sel:\n        Path: 'a?c'\n    condition: sel",
            p("abc"),
            true,
        ),
        (
            "? not zero chars",
            "    sel:\n        Path: 'a?c'\n    condition: sel",
            p("ac"),
            false,
        ),
        (
            "? one non-ASCII char",
            "    sel:\n        Path: 'a?c'\n    condition: sel",
            p("aéc"),
            true,
        ),
        (
            "escaped star literal",
            "    sel:\n        Path: 'a\\*c'\n    condition: sel",
            p("a*c"),
            true,
        ),
        (
            "escaped star not wildcard",
            "    sel:\n        Path: 'a\\*c'\n    condition: sel",
            p("abc"),
            false,
        ),
        (
            "escaped backslash then star",
            "    sel:\n        Path: 'a\\\\*'\n    condition: sel",
            p("a\\anything"),
            true,
        ),
        (
            "non-ASCII ci",
            "    sel:\n        Path|contains: 'ÄPFEL'\n    condition: sel",
            p("grüne äpfel"),
            true,
        ),
        (
            "windash slash",
            "    sel:\n        Path|windash|contains: ' -force'\n    condition: sel",
            p("x /FORCE"),
            true,
        ),
        (
            "windash em dash",
            "    sel:\n        Path|windash|contains: ' -force'\n    condition: sel",
            p("x \u{2014}force"),
            true,
        ),
        (
            "windash underscore",
            "    sel:\n        Path|windash|contains: ' -force'\n    condition: sel",
            p("x _force"),
            false,
        ),
        (
            "re search",
            "    sel:\n        Path|re: 'ab+c'\n    condition: sel",
            p("xxabbbcxx"),
            true,
        ),
        (
            "re case-sensitive by default",
            "    sel:\n        Path|re: 'ABC'\n    condition: sel",
            p("abc"),
            false,
        ),
        (
            "re i",
            "    sel:\n        Path|re|i: 'ABC'\n    condition: sel",
            p("abc"),
            true,
        ),
        (
            "re m",
            "    sel:\n        Path|re|m: '^two$'\n    condition: sel",
            p("one\ntwo\nthree"),
            true,
        ),
        (
            "re without m",
            "    sel:\n        Path|re: '^two$'\n    condition: sel",
            p("one\ntwo\nthree"),
            false,
        ),
        (
            "re s",
            "    sel:\n        Path|re|s: 'one.two'\n    condition: sel",
            p("one\ntwo"),
            true,
        ),
        (
            "re without s",
            "    sel:\n        Path|re: 'one.two'\n    condition: sel",
            p("one\ntwo"),
            false,
        ),
        (
            "empty matches empty",
            "    sel:\n        Path: ''\n    condition: sel",
            p(""),
            true,
        ),
        (
            "empty not absent",
            "    sel:\n        Path: ''\n    condition: sel",
            ev(400, &[]),
            false,
        ),
        (
            "null matches absent",
            "    sel:\n        Path: null\n    condition: sel",
            ev(400, &[]),
            true,
        ),
        (
            "null matches JSON null",
            "    sel:\n        Path: null\n    condition: sel",
            ev(400, &[("Path", Value::Null)]),
            true,
        ),
        (
            "null not 'Null'",
            "    sel:\n        Path: null\n    condition: sel",
            p("Null"),
            false,
        ),
        (
            "exists true",
            "    sel:\n        Path|exists: true\n    condition: sel",
            p(""),
            true,
        ),
        (
            "exists true absent",
            "    sel:\n        Path|exists: true\n    condition: sel",
            ev(400, &[]),
            false,
        ),
        (
            "exists false absent",
            "    sel:\n        Path|exists: false\n    condition: sel",
            ev(400, &[]),
            true,
        ),
        (
            "list value any element",
            "    sel:\n        Path: 'b'\n    condition: sel",
            ev(400, &[("Path", Value::List(vec![s("a"), s("B")].into()))]),
            true,
        ),
        (
            "field name case-insensitive fallback",
            "    sel:\n        path: 'a'\n    condition: sel",
            p("a"),
            true,
        ),
    ]);
}

#[test]
fn sigma_encoding_modifiers() {
    let b64 = |t: &[u8]| STANDARD.encode(t);
    let wide = |t: &str| {
        t.encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect::<Vec<u8>>()
    };
    let wide_be = |t: &str| {
        t.encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect::<Vec<u8>>()
    };
    let p = |v: String| ev(400, &[("CommandLine", Value::Str(v.into()))]);
    let mut cases: Vec<Case> = vec![
        (
            "base64 exact",
            "    sel:\n        CommandLine|base64: 'ping'\n    condition: sel",
            p(b64(b"ping")),
            true,
        ),
        (
            "base64 contains",
            "    sel:\n        CommandLine|base64|contains: 'ping'\n    condition: sel",
            p(format!("-enc {}", b64(b"ping"))),
            true,
        ),
        (
            "base64 is case-sensitive",
            "    sel:\n        CommandLine|base64: 'ping'\n    condition: sel",
            p(b64(b"ping").to_lowercase()),
            false,
        ),
        (
            "wide base64",
            "    sel:\n        CommandLine|wide|base64: 'ab'\n    condition: sel",
            p(b64(&wide("ab"))),
            true,
        ),
        (
            "utf16be base64",
            "    sel:\n        CommandLine|utf16be|base64: 'ab'\n    condition: sel",
            p(b64(&wide_be("ab"))),
            true,
        ),
        (
            "utf16le = wide",
            "    sel:\n        CommandLine|utf16le|base64: 'ab'\n    condition: sel",
            p(b64(&wide("ab"))),
            true,
        ),
        (
            "utf16le miss",
            "    sel:\n        CommandLine|utf16le|base64: 'ab'\n    condition: sel",
            p(b64(b"ab")),
            false,
        ),
    ];
    for prefix in ["", "x", "xy", "xyz"] {
        let label: &'static str =
            Box::leak(format!("base64offset after '{prefix}'").into_boxed_str());
        cases.push((
            label,
            "    sel:\n        CommandLine|base64offset|contains: 'http://'\n    condition: sel",
            p(b64(format!("{prefix}http://evil").as_bytes())),
            true,
        ));
        let label: &'static str =
            Box::leak(format!("wide base64offset after '{prefix}'").into_boxed_str());
        let mut data = wide(prefix);
        data.extend(wide("Invoke-"));
        cases.push((label, "    sel:\n        CommandLine|wide|base64offset|contains: 'Invoke-'\n    condition: sel", p(b64(&data)), true));
    }
    cases.push((
        "base64offset miss",
        "    sel:\n        CommandLine|base64offset|contains: 'http://'\n    condition: sel",
        p(b64(b"ftp://x")),
        false,
    ));
    run(cases);
}

#[test]
fn sigma_typed_and_numeric_modifiers() {
    let ip = |v: &str| ev(400, &[("DestinationIp", s(v))]);
    let n = |v: Value| ev(400, &[("Size", v)]);
    run(vec![
        (
            "cidr v4 hit",
            "    sel:\n        DestinationIp|cidr: '10.0.0.0/8'\n    condition: sel",
            ip("10.1.2.3"),
            true,
        ),
        (
            "cidr v4 miss",
            "    sel:\n        DestinationIp|cidr: '10.0.0.0/8'\n    condition: sel",
            ip("11.1.2.3"),
            false,
        ),
        (
            "cidr list",
            "    sel:\n        DestinationIp|cidr:\n            - '192.168.0.0/16'\n            - '127.0.0.0/8'\n    condition: sel",
            ip("127.0.0.1"),
            true,
        ),
        (
            "cidr v6 hit",
            "    sel:\n        DestinationIp|cidr: 'fe80::/10'\n    condition: sel",
            ip("fe80::1"),
            true,
        ),
        (
            "cidr v6 miss",
            "    sel:\n        DestinationIp|cidr: 'fe80::/10'\n    condition: sel",
            ip("2001:db8::1"),
            false,
        ),
        (
            "cidr not an ip",
            "    sel:\n        DestinationIp|cidr: '10.0.0.0/8'\n    condition: sel",
            ip("ten"),
            false,
        ),
        (
            "gt",
            "    sel:\n        Size|gt: 10\n    condition: sel",
            n(Value::UInt(11)),
            true,
        ),
        (
            "gt equal",
            "    sel:\n        Size|gt: 10\n    condition: sel",
            n(Value::UInt(10)),
            false,
        ),
        (
            "gte equal",
            "    sel:\n        Size|gte: 10\n    condition: sel",
            n(Value::UInt(10)),
            true,
        ),
        (
            "lt string number",
            "    sel:\n        Size|lt: 10\n    condition: sel",
            n(s("9")),
            true,
        ),
        (
            "lte hex string",
            "    sel:\n        Size|lte: 16\n    condition: sel",
            n(s("0x10")),
            true,
        ),
        (
            "lt not a number",
            "    sel:\n        Size|lt: 10\n    condition: sel",
            n(s("nine")),
            false,
        ),
        (
            "number equals number",
            "    sel:\n        Size: 400\n    condition: sel",
            n(Value::UInt(400)),
            true,
        ),
        (
            "number equals string",
            "    sel:\n        Size: 400\n    condition: sel",
            n(s("400")),
            true,
        ),
        (
            "number never substring 4000",
            "    sel:\n        Size: 400\n    condition: sel",
            n(Value::UInt(4000)),
            false,
        ),
        (
            "number never substring 1400 text",
            "    sel:\n        Size: 400\n    condition: sel",
            n(s("1400")),
            false,
        ),
        (
            "int pattern contains on number = equality",
            "    sel:\n        Size|contains: 40\n    condition: sel",
            n(Value::UInt(400)),
            false,
        ),
        (
            "string pattern contains on number = text",
            "    sel:\n        Size|contains: '40'\n    condition: sel",
            n(Value::UInt(400)),
            true,
        ),
        (
            "string pattern equals number",
            "    sel:\n        Size: '8388608'\n    condition: sel",
            n(Value::UInt(8388608)),
            true,
        ),
        (
            "hex text compares as text ci",
            "    sel:\n        Size: '0x80073cff'\n    condition: sel",
            n(s("0x80073CFF")),
            true,
        ),
        (
            "hex text not numeric",
            "    sel:\n        Size: 2147957759\n    condition: sel",
            n(s("0x80073CFF")),
            false,
        ),
        (
            "bool true = true",
            "    sel:\n        Size: true\n    condition: sel",
            n(Value::Bool(true)),
            true,
        ),
        (
            "bool true = 'true'",
            "    sel:\n        Size: true\n    condition: sel",
            n(s("True")),
            true,
        ),
        (
            "bool true != false",
            "    sel:\n        Size: true\n    condition: sel",
            n(Value::Bool(false)),
            false,
        ),
        (
            "string 'true' = bool",
            "    sel:\n        Size: 'true'\n    condition: sel",
            n(Value::Bool(true)),
            true,
        ),
        (
            "EventID string in rule",
            "    sel:\n        EventID: '400'\n    condition: sel",
            ev(400, &[]),
            true,
        ),
        (
            "EventID other",
            "    sel:\n        EventID: 401\n    condition: sel",
            ev(400, &[]),
            false,
        ),
    ]);
}

#[test]
fn sigma_fieldref_and_system_fields() {
    let two = |a: &str, b: &str| ev(400, &[("A", s(a)), ("B", s(b))]);
    let mut sys = ev(400, &[]);
    sys.computer = Sym::new("LAB-PC-01");
    sys.user_sid = Some(Sym::new("S-1-5-18"));
    sys.level = Some(4);
    sys.keywords = Some(0x4000400000000001);
    sys.record_id = Some(77);
    sys.process_id = Some(1584);
    run(vec![
        (
            "fieldref equal ci",
            "    sel:\n        A|fieldref: B\n    condition: sel",
            two("x", "X"),
            true,
        ),
        (
            "fieldref differ",
            "    sel:\n        A|fieldref: B\n    condition: sel",
            two("x", "y"),
            false,
        ),
        (
            "fieldref startswith",
            "    sel:\n        A|fieldref|startswith: B\n    condition: sel",
            two("abc", "ab"),
            true,
        ),
        (
            "fieldref endswith",
            "    sel:\n        A|fieldref|endswith: B\n    condition: sel",
            two("abc", "ab"),
            false,
        ),
        (
            "fieldref contains",
            "    sel:\n        A|fieldref|contains: B\n    condition: sel",
            two("xaby", "ab"),
            true,
        ),
        (
            "fieldref absent other",
            "    sel:\n        A|fieldref: C\n    condition: sel",
            two("x", "x"),
            false,
        ),
        (
            "Computer",
            "    sel:\n        Computer: 'lab-pc-01'\n    condition: sel",
            sys.clone(),
            true,
        ),
        (
            "UserID",
            "    sel:\n        UserID: 'S-1-5-18'\n    condition: sel",
            sys.clone(),
            true,
        ),
        (
            "Level",
            "    sel:\n        Level: 4\n    condition: sel",
            sys.clone(),
            true,
        ),
        (
            "Keywords hex text",
            "    sel:\n        Keywords: '0x4000400000000001'\n    condition: sel",
            sys.clone(),
            true,
        ),
        (
            "EventRecordID",
            "    sel:\n        EventRecordID: 77\n    condition: sel",
            sys.clone(),
            true,
        ),
        (
            "ProcessID",
            "    sel:\n        ProcessID: 1584\n    condition: sel",
            sys.clone(),
            true,
        ),
        (
            "Channel",
            "    sel:\n        Channel: 'Microsoft-Windows-AppXDeploymentServer/Operational'\n    condition: sel",
            sys.clone(),
            true,
        ),
        (
            "Provider_Name",
            "    sel:\n        Provider_Name: 'Microsoft-Windows-AppXDeployment-Server'\n    condition: sel",
            sys.clone(),
            true,
        ),
        (
            "Defender-style spaced name",
            "    sel:\n        ThreatName|endswith: 'EICAR'\n    condition: sel",
            ev(1119, &[("Threat Name", s("x:EICAR"))]),
            true,
        ),
        (
            "UserData dotted name",
            "    sel:\n        Param1: 'v'\n    condition: sel",
            ev(1, &[("EventXML.Param1", s("v"))]),
            true,
        ),
    ]);
}

#[test]
fn sigma_conditions() {
    let e = ev(400, &[("A", s("a")), ("B", s("b"))]);
    let sels =
        "    sel_a:\n        A: 'a'\n    sel_b:\n        B: 'b'\n    sel_c:\n        A: 'zzz'\n";
    let c = |cond: &str| -> &'static str {
        Box::leak(format!("{sels}    condition: {cond}").into_boxed_str())
    };
    run(vec![
        ("and", c("sel_a and sel_b"), e.clone(), true),
        ("and false", c("sel_a and sel_c"), e.clone(), false),
        ("or", c("sel_c or sel_b"), e.clone(), true),
        ("not", c("not sel_c"), e.clone(), true),
        ("not not", c("not not sel_c"), e.clone(), false),
        (
            "and binds tighter than or",
            c("sel_a or sel_c and sel_c"),
            e.clone(),
            true,
        ),
        (
            "parentheses",
            c("(sel_a or sel_c) and sel_c"),
            e.clone(),
            false,
        ),
        (
            "not binds tighter than and",
            c("not sel_c and sel_a"),
            e.clone(),
            true,
        ),
        ("1 of pattern", c("1 of sel_*"), e.clone(), true),
        ("all of pattern", c("all of sel_*"), e.clone(), false),
        (
            "all of narrower pattern",
            c("all of sel_a*"),
            e.clone(),
            true,
        ),
        (
            "1 of one-character pattern",
            c("1 of sel_?"),
            e.clone(),
            true,
        ),
        (
            "all of one-character pattern",
            c("all of sel_?"),
            e.clone(),
            false,
        ),
        (
            "? is exactly one character",
            c("all of sel?a"),
            e.clone(),
            true,
        ),
        ("?? takes every sel_x", c("all of sel??"), e.clone(), false),
        ("1 of them", c("1 of them"), e.clone(), true),
        ("all of them", c("all of them"), e.clone(), false),
        ("not 1 of", c("sel_a and not 1 of sel_c*"), e.clone(), true),
        (
            "upper-case keywords",
            c("sel_a AND NOT sel_c"),
            e.clone(),
            true,
        ),
        (
            "condition list is OR",
            "    sel_a:\n        A: 'a'\n    sel_c:\n        A: 'zzz'\n    condition:\n        - sel_c\n        - sel_a",
            e.clone(),
            true,
        ),
        (
            "list of maps is OR",
            "    sel:\n        - A: 'zzz'\n        - B: 'b'\n    condition: sel",
            e.clone(),
            true,
        ),
        (
            "map is AND",
            "    sel:\n        A: 'a'\n        B: 'zzz'\n    condition: sel",
            e.clone(),
            false,
        ),
        (
            "keywords any value",
            "    kw:\n        - 'zzz'\n        - 'B'\n    condition: kw",
            e.clone(),
            true,
        ),
        (
            "keywords are substrings",
            "    kw:\n        - 'b'\n    condition: kw",
            ev(1, &[("X", s("abc"))]),
            true,
        ),
        (
            "keywords miss",
            "    kw:\n        - 'q'\n    condition: kw",
            e.clone(),
            false,
        ),
        (
            "keywords all",
            "    kw:\n        '|all':\n            - 'a'\n            - 'b'\n    condition: kw",
            e.clone(),
            true,
        ),
        (
            "keywords numbers as text",
            "    kw:\n        - '12'\n    condition: kw",
            ev(1, &[("N", Value::UInt(5123))]),
            true,
        ),
    ]);
}

#[test]
fn sigma_condition_name_patterns_with_question_mark() {
    // sel1 and sel2 hold, `selection` does not, filter_a holds, filter_ab does not.
    let e = ev(400, &[("A", s("a")), ("B", s("b"))]);
    let sels = "    sel1:\n        A: 'a'\n    sel2:\n        B: 'b'\n    selection:\n        A: 'zzz'\n    filter_a:\n        A: 'a'\n    filter_ab:\n        B: 'zzz'\n";
    let c = |cond: &str| -> &'static str {
        Box::leak(format!("{sels}    condition: {cond}").into_boxed_str())
    };
    run(vec![
        (
            "all of sel? leaves out 'selection'",
            c("all of sel?"),
            e.clone(),
            true,
        ),
        (
            "all of sel* takes 'selection' in",
            c("all of sel*"),
            e.clone(),
            false,
        ),
        (
            "all of filter_? is filter_a only",
            c("all of filter_?"),
            e.clone(),
            true,
        ),
        (
            "all of filter_* takes filter_ab in",
            c("all of filter_*"),
            e.clone(),
            false,
        ),
        ("? then *", c("all of filter_?*"), e.clone(), false),
        (
            "? and * mixed",
            c("all of s?l? and not 1 of filter_??"),
            e.clone(),
            true,
        ),
        ("? at the start", c("1 of ?election"), e.clone(), false),
    ]);
    // A `?` pattern that names no selection is reported like a `*` one.
    let mut set = RuleSet::default();
    let err = set
        .load_str(
            &format!(
                "title: made\nlogsource:\n    product: windows\n    service: appxdeployment-server\ndetection:\n{sels}    condition: 1 of sel???\n"
            ),
            "made.yml",
        )
        .expect_err("no selection has six characters starting with sel");
    assert!(err.reason.contains("matches no selection"), "{err}");
}

#[test]
fn sigma_why_reports_selection_field_value_pattern() {
    let set = rule(
        "    selection:\n        EventID: 854\n        Path|contains: 'github.com'\n    filter:\n        Path|contains: 'zzz'\n    condition: selection and not filter",
    );
    let e = ev(854, &[("Path", s("https://GitHub.com/x.msix"))]);
    let hits = set.evaluate(&e);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].rule, 0);
    let why = &hits[0].why;
    assert_eq!(why.len(), 3, "{why:?}");
    let path = why
        .iter()
        .find(|w| w.field == "Path" && w.selection == "selection")
        .unwrap();
    assert_eq!(path.value, "https://GitHub.com/x.msix");
    assert_eq!(path.pattern, "contains: github.com");
    // The filter that let the event through says what it looked at and did not find.
    let filter = why.iter().find(|w| w.selection == "not filter").unwrap();
    assert_eq!(
        (
            filter.field.as_str(),
            filter.value.as_str(),
            filter.pattern.as_str()
        ),
        ("Path", "https://GitHub.com/x.msix", "contains: zzz")
    );
    assert_eq!(
        filter.describe(),
        "not filter: Path = \"https://GitHub.com/x.msix\", none of contains: zzz"
    );
    // A filter of two fields fails on the one the event does not match: only that one is named.
    let two = rule(
        "    selection:\n        EventID: 854\n    filter:\n        Path|contains: 'github'\n        CallingProcess: 'trusted.exe'\n    condition: selection and not filter",
    );
    let e2 = ev(
        854,
        &[
            ("Path", s("https://github.com/x.msix")),
            ("CallingProcess", s("evil.exe")),
        ],
    );
    let hits = two.evaluate(&e2);
    let named: Vec<&str> = hits[0]
        .why
        .iter()
        .filter(|w| w.selection == "not filter")
        .map(|w| w.field.as_str())
        .collect();
    assert_eq!(named, ["CallingProcess"]);
    let miss = ev(854, &[("Path", s("https://zzz.github.com/x.msix"))]);
    let none = set.evaluate(&miss);
    assert!(none.is_empty());
    assert_eq!(none.capacity(), 0, "no allocation without hits");
}

#[test]
fn sigma_logsource_gates_rules() {
    let appx = rule("    sel:\n        EventID: 400\n    condition: sel");
    let mut ps = ev(400, &[]);
    ps.provider = Sym::new("PowerShell");
    ps.channel = Sym::new("Windows PowerShell");
    assert!(fires(&appx, &ev(400, &[])));
    assert!(
        !fires(&appx, &ps),
        "PowerShell 400 must not trigger an AppX rule"
    );
    // the provider alone is enough (exports without a channel)
    let mut provider_only = ev(400, &[]);
    provider_only.channel = Sym::EMPTY;
    assert!(fires(&appx, &provider_only));

    let mut set = RuleSet::default();
    set.load_str("title: made classic\nlogsource:\n    product: windows\n    category: ps_classic_start\ndetection:\n    sel:\n        EventID: 400\n    condition: sel\n", "made.yml").unwrap();
    assert!(fires(&set, &ps));
    assert!(
        !fires(&set, &ev(400, &[])),
        "an AppX 400 is not a PowerShell start"
    );

    let mut set = RuleSet::default();
    set.load_str("title: made proc\nlogsource:\n    product: windows\n    category: process_creation\ndetection:\n    sel:\n        Image|endswith: '\\cmd.exe'\n    condition: sel\n", "made.yml").unwrap();
    let mut sysmon1 = ev(1, &[("Image", s(r"C:\Windows\System32\cmd.exe"))]);
    sysmon1.channel = Sym::new("Microsoft-Windows-Sysmon/Operational");
    assert!(fires(&set, &sysmon1));
    let mut sysmon3 = sysmon1.clone();
    sysmon3.event_id = Some(3);
    assert!(!fires(&set, &sysmon3), "Sysmon 3 is not process creation");

    let mut set = RuleSet::default();
    set.load_str("title: made linux\nlogsource:\n    product: linux\n    category: process_creation\ndetection:\n    sel:\n        EventID: 1\n    condition: sel\n", "made.yml").unwrap();
    assert!(
        !fires(&set, &sysmon1),
        "a Linux rule never fires on Windows events"
    );
}

#[test]
fn sigma_process_creation_reads_security_4688_names() {
    // SigmaHQ's windows-audit pipeline: Image → NewProcessName, ParentImage → ParentProcessName,
    // CommandLine unchanged. Made events and rules.
    let proc_rule = |sel: &str| {
        let mut set = RuleSet::default();
        set.load_str(
            &format!("title: made proc\nlogsource:\n    product: windows\n    category: process_creation\ndetection:\n    sel:\n{sel}\n    condition: sel\n"),
            "made.yml",
        )
        .unwrap();
        set
    };
    let security = |id: u32, fields: &[(&str, Value)]| {
        let mut e = ev(id, fields);
        e.provider = Sym::new("Microsoft-Windows-Security-Auditing");
        e.channel = Sym::new("Security");
        e
    };
    let e4688 = security(
        4688,
        &[
            ("SubjectUserName", s("alice")),
            ("NewProcessName", s(r"C:\Windows\System32\cmd.exe")),
            ("CommandLine", s(r"cmd.exe /c whoami")),
            ("ParentProcessName", s(r"C:\Windows\explorer.exe")),
        ],
    );
    let image = proc_rule("        Image|endswith: '\\cmd.exe'");
    assert!(fires(&image, &e4688), "Image reads NewProcessName");
    let why = &image.evaluate(&e4688)[0].why;
    assert_eq!(why[0].field, "Image");
    assert_eq!(why[0].value, r"C:\Windows\System32\cmd.exe");
    let parent = proc_rule(
        "        ParentImage|endswith: '\\explorer.exe'\n        CommandLine|contains: 'whoami'",
    );
    assert!(
        fires(&parent, &e4688),
        "ParentImage reads ParentProcessName"
    );
    let other = proc_rule("        Image|endswith: '\\powershell.exe'");
    assert!(!fires(&other, &e4688));
    // Not renamed: the rule's own 4688 names still work, and User is not SubjectUserName.
    let native = proc_rule("        NewProcessName|endswith: '\\cmd.exe'");
    assert!(fires(&native, &e4688));
    let user = proc_rule("        User: 'alice'");
    assert!(!fires(&user, &e4688), "User is not mapped");
    // An export without a channel: the Security-Auditing provider is enough.
    let mut provider_only = e4688.clone();
    provider_only.channel = Sym::EMPTY;
    let mut any_windows = RuleSet::default();
    any_windows
        .load_str("title: made any\nlogsource:\n    product: windows\ndetection:\n    sel:\n        Image|endswith: '\\cmd.exe'\n    condition: sel\n", "made.yml")
        .unwrap();
    assert!(fires(&any_windows, &provider_only));
    // Only 4688 is renamed: another Security event with the same field does not answer to Image.
    let mut e4624 = e4688.clone();
    e4624.event_id = Some(4624);
    assert!(!fires(&any_windows, &e4624));
    // Nor a 4688 from another log.
    let mut elsewhere = e4688.clone();
    elsewhere.provider = Sym::new("Made-Provider");
    elsewhere.channel = Sym::new("Application");
    assert!(!fires(&any_windows, &elsewhere));
    // A field the event really has wins over the renamed one.
    let mut both = e4688.clone();
    both.fields
        .push((Sym::new("Image"), s(r"C:\x\powershell.exe")));
    assert!(fires(&other, &both));
    assert!(!fires(&image, &both));
    // Sysmon 1 is unchanged.
    let mut sysmon1 = ev(1, &[("Image", s(r"C:\Windows\System32\cmd.exe"))]);
    sysmon1.channel = Sym::new("Microsoft-Windows-Sysmon/Operational");
    assert!(fires(&image, &sysmon1));
}

#[test]
fn sigma_unsupported_and_broken_rules_are_reported() {
    let head = "title: made\nlogsource:\n    product: windows\n    service: security\n";
    let cases = [
        ("expand", format!("{head}detection:\n    sel:\n        A|expand: '%x%'\n    condition: sel\n"), "expand"),
        ("unknown modifier", format!("{head}detection:\n    sel:\n        A|sounds_like: 'x'\n    condition: sel\n"), "unknown modifier"),
        ("aggregation", format!("{head}detection:\n    sel:\n        A: 'x'\n    condition: sel | count() > 5\n"), "aggregation"),
        ("unknown selection", format!("{head}detection:\n    sel:\n        A: 'x'\n    condition: nope\n"), "unknown selection"),
        ("lookahead regex", format!("{head}detection:\n    sel:\n        A|re: 'a(?!b)'\n    condition: sel\n"), "regex"),
        ("no condition", format!("{head}detection:\n    sel:\n        A: 'x'\n"), "condition"),
        ("unknown service", "title: made\nlogsource:\n    product: windows\n    service: nosuch\ndetection:\n    sel:\n        A: 'x'\n    condition: sel\n".to_string(), "unknown windows logsource service"),
        ("correlation", "title: made\ncorrelation:\n    type: event_count\n    rules: [a]\n".to_string(), "correlation"),
        ("filter meta rule", "title: made\nlogsource:\n    product: windows\nfilter:\n    rules: [a]\n    selection:\n        A: x\n    condition: not selection\n".to_string(), "filter"),
        ("bad yaml", "title: [unclosed\n".to_string(), "YAML"),
        ("bad level", format!("{head}detection:\n    sel:\n        A: 'x'\n    condition: sel\nlevel: severe\n"), "level"),
    ];
    for (label, yaml, reason) in cases {
        let mut set = RuleSet::default();
        let err = set.load_str(&yaml, "made.yml").expect_err(label);
        assert!(err.reason.contains(reason), "{label}: {err}");
        assert_eq!(err.source, "made.yml");
        assert_eq!(err.to_string(), format!("made.yml: {}", err.reason));
        assert!(set.rules.is_empty());
    }
    // a collection: the good document loads, the global one is reported with its number
    let multi = format!(
        "action: global\ntitle: x\n---\n{head}detection:\n    sel:\n        A: 'x'\n    condition: sel\n"
    );
    let mut set = RuleSet::default();
    assert_eq!(set.load_str(&multi, "multi.yml"), Ok(1));
    assert_eq!(set.errors.len(), 1);
    assert_eq!(set.errors[0].source, "multi.yml#1");
    assert!(set.errors[0].reason.contains("action"));
}

#[test]
fn sigma_load_path_walks_folders() {
    let dir = tempfile::tempdir().unwrap();
    let good = "title: made\nlevel: low\nlogsource:\n    product: windows\n    service: security\ndetection:\n    sel:\n        EventID: 4624\n    condition: sel\n";
    std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
    std::fs::write(dir.path().join("one.yml"), good).unwrap();
    std::fs::write(dir.path().join("a/b/two.yaml"), good).unwrap();
    std::fs::write(dir.path().join("a/bad.yml"), "title: bad\n").unwrap();
    std::fs::write(dir.path().join("a/notes.txt"), good).unwrap();
    let mut set = RuleSet::builtin();
    let builtin = set.rules.len();
    assert_eq!(set.load_path(dir.path()), 2);
    assert_eq!(set.rules.len(), builtin + 2);
    assert_eq!(set.errors.len(), 1);
    assert!(
        set.errors[0].source.ends_with("bad.yml"),
        "{}",
        set.errors[0]
    );
    assert!(
        set.rules[builtin..]
            .iter()
            .all(|r| !r.builtin && r.enabled && r.level == Severity::Low)
    );
    // files are read in sorted path order
    assert!(set.rules[builtin].source.ends_with("two.yaml"));
    assert!(set.rules[builtin + 1].source.ends_with("one.yml"));
    // a single file
    let mut set = RuleSet::default();
    assert_eq!(set.load_path(&dir.path().join("one.yml")), 1);
    // a missing path is an error, not a panic
    assert_eq!(set.load_path(&dir.path().join("missing.yml")), 0);
    assert_eq!(set.errors.len(), 1);
}

#[test]
fn sigma_severity_and_types() {
    assert!(Severity::Critical > Severity::High && Severity::High > Severity::Medium);
    assert!(Severity::Low > Severity::Informational);
    assert_eq!(Severity::Informational.to_string(), "informational");
    assert_eq!(Severity::Critical.to_string(), "critical");
    fn send_sync_clone<T: Send + Sync + Clone>() {}
    send_sync_clone::<RuleSet>();
    // disabled rules do not fire
    let mut set = rule("    sel:\n        EventID: 400\n    condition: sel");
    assert!(fires(&set, &ev(400, &[])));
    set.rules[0].enabled = false;
    assert!(!fires(&set, &ev(400, &[])));
}
