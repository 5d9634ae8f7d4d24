//! A strict JSON tree for policy text: object members keep their order and a key that appears
//! twice in one object is an error (`{"Effect":"Deny","Effect":"Allow"}` must not quietly
//! become an Allow, as a last-wins map would make it).

use std::collections::HashSet;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};

use crate::PolicyError;

/// One JSON value. Numbers keep a textual form, since policies compare them as strings or
/// parse them per condition operator.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// Parses `text`; JSON syntax errors and duplicate keys are policy errors.
pub(crate) fn parse(text: &str) -> Result<Json, PolicyError> {
    serde_json::from_str::<Json>(text).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => PolicyError::syntax(),
        _ => PolicyError::invalid_json(),
    })
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Json>()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members: Vec<(String, Json)> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format!("duplicate key {key}")));
            }
            let value = map.next_value::<Json>()?;
            members.push((key, value));
        }
        Ok(Json::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_member_order_and_number_text() {
        let v = parse(r#"{"b": 1, "a": [true, null, -2, 1.5, "x"]}"#).unwrap();
        let Json::Object(members) = v else {
            panic!("not an object")
        };
        assert_eq!(members[0].0, "b");
        assert_eq!(members[0].1, Json::Number("1".into()));
        assert_eq!(
            members[1].1,
            Json::Array(vec![
                Json::Bool(true),
                Json::Null,
                Json::Number("-2".into()),
                Json::Number("1.5".into()),
                Json::String("x".into()),
            ])
        );
    }

    #[test]
    fn duplicate_keys_are_a_policy_syntax_error() {
        let e = parse(r#"{"Effect":"Deny","Effect":"Allow"}"#).unwrap_err();
        assert_eq!(e.message(), "Syntax errors in policy.");
        // Same key in different objects is fine.
        assert!(parse(r#"[{"a":1},{"a":2}]"#).is_ok());
    }

    #[test]
    fn bad_json_is_invalid_json() {
        for text in ["", "{", "{\"a\":}", "[1,]", "{} x", "nul"] {
            assert_eq!(
                parse(text).unwrap_err().message(),
                "This policy contains invalid Json",
                "{text:?}"
            );
        }
    }
}
