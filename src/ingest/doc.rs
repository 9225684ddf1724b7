//! A light JSON tree for reading events: strings borrowed from the input where they have no
//! escapes, objects as lists of pairs in document order (no hashing), numbers kept as the
//! parser gave them. Parsing an evtx record into this costs a fraction of a
//! `serde_json::Value` (which hashes every key into an ordered map and owns every string),
//! and dropping it is as cheap. [`Doc::from_json`] borrows a `serde_json::Value` the same
//! way, so one conversion serves EVTX records and JSON files.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// One JSON value.
#[derive(Clone, Debug, PartialEq)]
pub enum Doc<'a> {
    Null,
    Bool(bool),
    UInt(u64),
    Int(i64),
    Float(f64),
    Str(Cow<'a, str>),
    Array(Vec<Doc<'a>>),
    /// Members in document order (a repeated key keeps every occurrence).
    Object(Vec<(Cow<'a, str>, Doc<'a>)>),
}

impl<'a> Doc<'a> {
    /// Parses JSON text, borrowing from it.
    pub fn parse(text: &'a [u8]) -> serde_json::Result<Doc<'a>> {
        serde_json::from_slice(text)
    }

    /// Borrows a `serde_json::Value` as a tree of this kind.
    pub fn from_json(value: &'a serde_json::Value) -> Doc<'a> {
        match value {
            serde_json::Value::Null => Doc::Null,
            serde_json::Value::Bool(b) => Doc::Bool(*b),
            serde_json::Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    Doc::UInt(u)
                } else if let Some(i) = n.as_i64() {
                    Doc::Int(i)
                } else {
                    Doc::Float(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            serde_json::Value::String(s) => Doc::Str(Cow::Borrowed(s)),
            serde_json::Value::Array(items) => {
                Doc::Array(items.iter().map(Doc::from_json).collect())
            }
            serde_json::Value::Object(map) => Doc::Object(
                map.iter()
                    .map(|(k, v)| (Cow::Borrowed(k.as_str()), Doc::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// The member named `key` of an object (the last one if the key repeats, as
    /// `serde_json` would keep it).
    pub fn get(&self, key: &str) -> Option<&Doc<'a>> {
        match self {
            Doc::Object(members) => members.iter().rfind(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The members, if this is an object.
    pub fn members(&self) -> Option<&[(Cow<'a, str>, Doc<'a>)]> {
        match self {
            Doc::Object(members) => Some(members),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Doc::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Doc::Null)
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Doc::Object(_))
    }

    /// The value as compact JSON text (for values that are kept as text).
    pub fn to_json_text(&self) -> String {
        self.to_json().to_string()
    }

    /// The value as a `serde_json::Value`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Doc::Null => serde_json::Value::Null,
            Doc::Bool(b) => serde_json::Value::Bool(*b),
            Doc::UInt(u) => serde_json::Value::from(*u),
            Doc::Int(i) => serde_json::Value::from(*i),
            Doc::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Doc::Str(s) => serde_json::Value::String(s.to_string()),
            Doc::Array(items) => serde_json::Value::Array(items.iter().map(Doc::to_json).collect()),
            Doc::Object(members) => serde_json::Value::Object(
                members
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

/// A string that stays borrowed when the input allows it.
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

impl<'de> Deserialize<'de> for Doc<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DocVisitor)
    }
}

struct DocVisitor;

impl<'de> Visitor<'de> for DocVisitor {
    type Value = Doc<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Doc::Null)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Doc::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Doc::Bool(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Doc::UInt(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(if v >= 0 {
            Doc::UInt(v as u64)
        } else {
            Doc::Int(v)
        })
    }

    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Doc::Float(v))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Doc::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Doc::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Doc::Str(Cow::Owned(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Doc::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(4));
        while let Some(Text(key)) = map.next_key()? {
            let value: Doc<'de> = map.next_value()?;
            members.push((key, value));
        }
        Ok(Doc::Object(members))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parsing_and_borrowing_give_the_same_tree() {
        let text = br#"{"Event":{"System":{"EventID":400,"Neg":-5,"F":1.5,"T":true,"N":null},
            "EventData":{"Path":"C:\\Program Files\\x","Name":"plain","List":[1,"a"]}}}"#;
        let parsed = Doc::parse(text).unwrap();
        let value: serde_json::Value = serde_json::from_slice(text).unwrap();
        assert_eq!(parsed, Doc::from_json(&value));
        assert_eq!(parsed.to_json(), value);
        let data = parsed.get("Event").unwrap().get("EventData").unwrap();
        assert_eq!(
            data.get("Path").unwrap().as_str(),
            Some(r"C:\Program Files\x")
        );
        assert!(matches!(
            data.get("Name"),
            Some(Doc::Str(Cow::Borrowed("plain")))
        ));
        assert_eq!(
            parsed
                .get("Event")
                .unwrap()
                .get("System")
                .unwrap()
                .get("Neg"),
            Some(&Doc::Int(-5))
        );
    }

    #[test]
    fn repeated_keys_are_all_kept_and_get_finds_the_last() {
        let parsed = Doc::parse(br#"{"Data":1,"Data":2}"#).unwrap();
        assert_eq!(parsed.members().unwrap().len(), 2);
        assert_eq!(parsed.get("Data"), Some(&Doc::UInt(2)));
    }
}
