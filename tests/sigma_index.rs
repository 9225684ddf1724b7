#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on purpose.
//! `RuleSet::evaluate` looks only at the rules its index says can apply to an event's
//! channel, provider and event id. It must give exactly the detections (rule indices and
//! why) of a plain loop over every rule, for every event of the SigmaHQ regression EVTX files
//! with the whole SigmaHQ rule set loaded: as loaded, after disabling rules, after enabling
//! them again, and after `rules` is replaced or shortened directly.

mod sigma_support;

use appxview::model::{Event, Sym};
use appxview::sigma::{Detection, Rule, RuleSet};
use sigma_support::{events_evtx, regression_evtx_files, rule_dirs};

/// Every SigmaHQ rule under ../shared/sigmahq/rules*.
fn sigmahq() -> RuleSet {
    let dirs = rule_dirs();
    let mut set = RuleSet::default();
    for d in &dirs {
        set.load_path(d);
    }
    assert!(set.rules.len() > 3000, "rules: {}", set.rules.len());
    set
}

/// Every event of every regression EVTX file.
fn regression_events() -> Vec<Event> {
    let files = regression_evtx_files();
    let events: Vec<Event> = files
        .iter()
        .filter_map(|f| events_evtx(f).ok())
        .flatten()
        .collect();
    assert!(events.len() > 800, "events: {}", events.len());
    events
}

/// The reference: every enabled rule, in order, logsource and detection.
fn plain(rules: &[Rule], event: &Event) -> Vec<Detection> {
    rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.enabled && r.matches(event))
        .map(|(i, r)| Detection {
            rule: i,
            why: r.explain(event),
        })
        .collect()
}

/// Asserts that the indexed evaluation equals the plain loop on every event; returns the
/// number of detections.
fn same(set: &RuleSet, events: &[Event], what: &str) -> usize {
    let mut hits = 0;
    for (n, e) in events.iter().enumerate() {
        let want = plain(&set.rules, e);
        let got = set.evaluate(e);
        assert_eq!(
            got, want,
            "{what}: event {n} ({:?} {:?})",
            e.channel, e.event_id
        );
        hits += want.len();
    }
    hits
}

#[test]
fn sigma_index_equals_plain_loop_on_regression_evtx() {
    fn shared_across_threads<T: Clone + Send + Sync>() {}
    shared_across_threads::<RuleSet>();

    let mut set = sigmahq();
    let events = regression_events();

    let all = same(&set, &events, "all rules");
    assert!(all > 300, "detections with every rule: {all}");

    // Disable every third rule and every other rule that fired (the UI toggles `enabled`
    // directly).
    let fired: Vec<usize> = events
        .iter()
        .flat_map(|e| set.evaluate(e))
        .map(|d| d.rule)
        .collect();
    for (i, rule) in set.rules.iter_mut().enumerate() {
        if i % 3 == 0 {
            rule.enabled = false;
        }
    }
    for (k, &i) in fired.iter().enumerate() {
        if k % 2 == 0 {
            set.rules[i].enabled = false;
        }
    }
    let some = same(&set, &events, "some rules disabled");
    assert!(some > 0 && some < all, "detections {some} of {all}");

    for rule in &mut set.rules {
        rule.enabled = true;
    }
    assert_eq!(same(&set, &events, "enabled again"), all);
    for e in &events {
        assert_eq!(set.evaluate_each(e), set.evaluate(e), "evaluate_each");
    }

    // The rest on a fifth of the events (a plain loop over every rule is slow in debug).
    let events: Vec<Event> = events.into_iter().step_by(5).collect();
    let all = same(&set, &events, "a fifth of the events");

    // A clone (threads get one) gives the same.
    let copy = set.clone();
    assert_eq!(same(&copy, &events, "clone"), all);

    // Rules replaced, reordered or dropped through the public `rules` field.
    let fired_first = events
        .iter()
        .flat_map(|e| set.evaluate(e))
        .map(|d| d.rule)
        .next()
        .unwrap();
    let middle = set.rules.len() / 2;
    set.rules.swap(fired_first, middle);
    assert_eq!(same(&set, &events, "two rules swapped"), all);
    set.rules.reverse();
    same(&set, &events, "reversed");
    set.rules.truncate(set.rules.len() / 2);
    same(&set, &events, "half");
    let kept = set.rules.len();
    set.rules = copy.rules.clone();
    set.rules.swap(0, kept);
    assert_eq!(same(&set, &events, "replaced"), all);

    // More rules loaded on top.
    let before = set.rules.len();
    set.load_str(
        "title: any Sysmon event\nlogsource: {product: windows, service: sysmon}\n\
         detection: {sel: {EventID: 1}, condition: sel}\n",
        "extra.yml",
    )
    .unwrap();
    assert_eq!(set.rules.len(), before + 1);
    let with_extra = same(&set, &events, "one more rule");
    assert!(with_extra > all, "{with_extra} vs {all}");
}

#[test]
fn sigma_index_facts_only() {
    // Events that differ only outside channel, provider and id share the index entry; a
    // different id or channel does not.
    let mut set = RuleSet::default();
    set.load_str(
        "title: Sysmon 1 evil\nlogsource: {product: windows, category: process_creation}\n\
         detection: {sel: {Image|endswith: '\\evil.exe'}, condition: sel}\n\
         ---\n\
         title: Security 4624\nlogsource: {product: windows, service: security}\n\
         detection: {sel: {EventID: 4624}, condition: sel}\n\
         ---\n\
         title: Any event named x\nlogsource: {product: windows}\n\
         detection: {sel: {Name|contains: 'X'}, condition: sel}\n",
        "t.yml",
    )
    .unwrap();
    assert_eq!(set.rules.len(), 3);
    let event = |channel: &str, id: Option<u32>, fields: Vec<(&str, &str)>| Event {
        channel: Sym::new(channel),
        provider: Sym::new("P"),
        event_id: id,
        fields: fields
            .into_iter()
            .map(|(n, v)| (Sym::new(n), appxview::model::Value::Str(v.into())))
            .collect(),
        ..Event::default()
    };
    let sysmon = "Microsoft-Windows-Sysmon/Operational";
    let cases = [
        event(sysmon, Some(1), vec![("Image", r"C:\x\EVIL.EXE")]),
        event(sysmon, Some(1), vec![("Image", r"C:\x\good.exe")]),
        event(sysmon, Some(1), vec![("Image", r"C:\x\évil.exe")]),
        event(sysmon, Some(2), vec![("Image", r"C:\x\evil.exe")]),
        event("Security", Some(4624), vec![("Name", "max")]),
        event(
            "Security",
            Some(4688),
            vec![("NewProcessName", r"c:\EVIL.exe")],
        ),
        event("Security", None, vec![]),
        event("Other", Some(4624), vec![("name", "Ähnlich xß")]),
    ];
    for e in &cases {
        assert_eq!(set.evaluate(e), plain(&set.rules, e), "{e:?}");
    }
    let rules = |e: &Event| set.evaluate(e).iter().map(|d| d.rule).collect::<Vec<_>>();
    assert_eq!(rules(&cases[0]), [0]);
    assert!(rules(&cases[1]).is_empty());
    assert_eq!(rules(&cases[3]), Vec::<usize>::new());
    assert_eq!(rules(&cases[4]), [1, 2]);
    assert_eq!(rules(&cases[5]), [0]);
    assert_eq!(rules(&cases[7]), [2]);
}
