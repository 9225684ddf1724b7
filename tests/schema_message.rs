//! Message rendering for every catalogue event with made values: no `%n` or `{Name}` is left.

#![allow(clippy::unwrap_used)] // tests may unwrap (house rules)

use appxview::model::{Event, Sym, Value};
use appxview::schema::catalogue::Catalogue;
use appxview::schema::message::{MessageText, render_message, render_named, render_positional};

/// `{Identifier}` patterns left in `text`.
fn leftover_inserts(text: &str, names: &[String]) -> Vec<String> {
    names
        .iter()
        .filter(|n| text.contains(&format!("{{{n}}}")))
        .cloned()
        .collect()
}

fn has_positional(text: &str) -> bool {
    text.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'%' && w[1].is_ascii_digit())
}

fn template_names(template: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        rest = &rest[i + 1..];
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if len > 0 && rest[len..].starts_with('}') {
            out.push(rest[..len].to_owned());
        }
    }
    out
}

#[test]
fn every_catalogue_template_renders_without_inserts() {
    let cat = Catalogue::get();
    let mut rendered = 0;
    for p in &cat.providers {
        for (id, schema) in &p.events {
            // Made events: the newest field list with made values, and no fields at all.
            let full = Event {
                provider: Sym::new(&p.name),
                event_id: Some(*id),
                fields: schema
                    .fields
                    .iter()
                    .map(|f| {
                        let v = if f.ty.contains("Int") {
                            Value::UInt(1)
                        } else {
                            Value::Str("made".into())
                        };
                        (Sym::new(&f.name), v)
                    })
                    .collect(),
                ..Event::default()
            };
            let empty = Event {
                fields: Vec::new(),
                ..full.clone()
            };
            let names = schema
                .message_named
                .as_deref()
                .map(template_names)
                .unwrap_or_default();
            for e in [&full, &empty] {
                match render_message(e) {
                    MessageText::Rendered(text) => {
                        assert!(!has_positional(&text), "{} {id}: {text}", p.name);
                        assert_eq!(
                            leftover_inserts(&text, &names),
                            Vec::<String>::new(),
                            "{} {id}: {text}",
                            p.name
                        );
                        rendered += 1;
                    }
                    MessageText::EmptyTemplate => {
                        assert_eq!(schema.message_named.as_deref(), Some(""))
                    }
                    MessageText::NoTemplate => {
                        assert!(schema.message_named.is_none() && schema.message.is_none())
                    }
                    MessageText::UnknownEvent => panic!("{} {id} is in the catalogue", p.name),
                }
            }
        }
    }
    assert!(rendered > 2000, "{rendered}");
}

#[test]
fn missing_values_and_literal_braces() {
    // Event 605 in 25H2 has FailedDeploymentState instead of the 1809 template's fields (made values).
    let e = Event {
        provider: Sym::new("Microsoft-Windows-AppXDeployment-Server"),
        event_id: Some(605),
        fields: vec![
            (
                Sym::new("FailedDeploymentState"),
                Value::Str("Staged".into()),
            ),
            (Sym::new("ErrorCode"), Value::Str("0x80073cff".into())),
        ],
        ..Event::default()
    };
    let text = render_message(&e).text().unwrap().to_owned();
    assert!(text.contains("<missing DeploymentState>"), "{text}");
    assert!(text.ends_with("hr: 0x80073cff"), "{text}");
    // A HexInt32 exported as a negative number is shown as Windows would (made value).
    let e = Event {
        fields: vec![(Sym::new("ErrorCode"), Value::Int(-2_147_009_281))],
        ..e
    };
    assert!(
        render_message(&e)
            .text()
            .unwrap()
            .ends_with("hr: 0x80073CFF")
    );
    // Braces that are not inserts stay; doubled braces keep the literal ones.
    assert_eq!(
        render_named("{{a}} {not an insert} {}", |n| n.to_uppercase()),
        "{A} {not an insert} {}"
    );
    assert_eq!(
        render_positional("%1 of %2, 100%% and %", |n| format!("<{n}>")),
        "<1> of <2>, 100% and %"
    );
    // Unknown event and unknown provider.
    let e = Event {
        event_id: Some(999_999),
        ..Event::default()
    };
    assert_eq!(render_message(&e), MessageText::UnknownEvent);
    assert!(
        MessageText::NoTemplate
            .explain("P", Some(7))
            .starts_with("no message template in the catalogue for P 7")
    );
    // A missing provider or id is said, not left as a blank or a `?`.
    assert_eq!(
        MessageText::UnknownEvent.explain("", Some(4624)),
        "event 4624 (no provider) is not in the catalogue"
    );
    assert_eq!(
        MessageText::UnknownEvent.explain(" ", None),
        "an event with no provider and no event id is not in the catalogue"
    );
    assert_eq!(
        MessageText::UnknownEvent.explain("P", None),
        "P (no event id) is not in the catalogue"
    );
}
