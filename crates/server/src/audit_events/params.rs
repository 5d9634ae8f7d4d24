//! Request parameters and response elements without secrets, with CloudTrail's lower-camel
//! member names.
//!
//! A member is secret by its name ([`is_secret_member`]): the filter never looks at values, so
//! a new secret member of an operation is caught by its name alone, and a skipped value is
//! never copied (JSON bodies are parsed with the secret members skipped, not parsed then
//! removed).

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// Request bodies larger than this are recorded without their parameters (a marker says so):
/// the largest legitimate KMS request, a key policy, is 32 KiB.
pub(crate) const MAX_RECORDED_BODY: usize = 128 * 1024;

/// Members whose value is secret or bulk data, by exact name (any protocol).
const SECRET_NAMES: &[&str] = &[
    "plaintext",
    "ciphertextblob",
    "sourceciphertextblob",
    "message",
    "mac",
    "signature",
    "publickey",
    "privatekey",
    "encryptedkeymaterial",
    "keymaterial",
    "importtoken",
    "recipient",
    "attestationdocument",
    "ciphertextforrecipient",
    "sharedsecret",
];

/// Parts of names that mark a secret wherever they occur (`SecretAccessKey`, `SessionToken`,
/// `GrantTokens`, `NewPassword`, `PrivateKeyPlaintext`, `SAMLAssertion`, …).
const SECRET_PARTS: &[&str] = &[
    "secret",
    "password",
    "token",
    "plaintext",
    "privatekey",
    "samlassertion",
];

/// Whether a member (request or response, any protocol) holds a secret and must not be
/// recorded.
pub(crate) fn is_secret_member(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_NAMES.contains(&lower.as_str()) || SECRET_PARTS.iter().any(|p| lower.contains(p))
}

/// Members whose value is a map of the caller's own keys (an encryption context): its keys
/// are data, not member names, and keep their spelling.
fn is_user_map(name: &str) -> bool {
    name.starts_with("EncryptionContext") || name.starts_with("encryptionContext")
}

/// CloudTrail's member names: the wire name with its first letter lower-cased (`KeyId` →
/// `keyId`).
pub(crate) fn lower_camel(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// A JSON request body's members, secrets skipped, names in lower camel case; `null` when the
/// body is empty, not a JSON object, or too large to record.
pub(crate) fn json_parameters(body: &[u8]) -> Value {
    if body.len() > MAX_RECORDED_BODY {
        return too_large(body.len());
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Value::Null;
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    match (Clean { rename: true }).deserialize(&mut de) {
        Ok(value @ Value::Object(_)) if de.end().is_ok() => empty_to_null(value),
        _ => Value::Null,
    }
}

pub(crate) fn too_large(size: usize) -> Value {
    serde_json::json!({ "omitted": "request parameters too large to record", "requestSize": size })
}

fn empty_to_null(value: Value) -> Value {
    match &value {
        Value::Object(map) if map.is_empty() => Value::Null,
        _ => value,
    }
}

/// A copy of a response value without its secret members, names in lower camel case; `null`
/// when nothing is left.
pub(crate) fn clean_value(value: &Value) -> Value {
    empty_to_null(clean(value, true))
}

fn clean(value: &Value, rename: bool) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                if is_secret_member(k) {
                    continue;
                }
                let name = if rename { lower_camel(k) } else { k.clone() };
                out.insert(name, clean(v, rename && !is_user_map(k)));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| clean(v, rename)).collect()),
        other => other.clone(),
    }
}

/// Deserializes any JSON value into a [`Value`], skipping secret members of every object
/// (their values are read past, never stored) and renaming the others unless `rename` is off
/// (inside an encryption context).
#[derive(Clone, Copy)]
struct Clean {
    rename: bool,
}

impl<'de> DeserializeSeed<'de> for Clean {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Clean {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(self)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if is_secret_member(&key) {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let value = map.next_value_seed(Clean {
                rename: self.rename && !is_user_map(&key),
            })?;
            let name = if self.rename { lower_camel(&key) } else { key };
            out.insert(name, value);
        }
        Ok(Value::Object(out))
    }
}

/// An `application/x-www-form-urlencoded` body's parameters (Query protocol), without
/// `Action` and `Version`, secrets skipped (before their values are decoded), names in lower
/// camel case; `null` when nothing is left. A parameter that does not decode is left out.
pub(crate) fn form_parameters(body: &[u8]) -> Value {
    if body.len() > MAX_RECORDED_BODY {
        return too_large(body.len());
    }
    let Ok(text) = std::str::from_utf8(body) else {
        return Value::Null;
    };
    let mut out = Map::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let Some(name) = percent_decode(name) else {
            continue;
        };
        if name == "Action" || name == "Version" || is_secret_member(&name) {
            continue;
        }
        if let Some(value) = percent_decode(value) {
            out.insert(lower_camel(&name), Value::String(value));
        }
    }
    empty_to_null(Value::Object(out))
}

/// The value of form parameter `wanted`, decoded.
pub(crate) fn form_value(body: &[u8], wanted: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    text.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(name)? == wanted)
            .then(|| percent_decode(value))
            .flatten()
    })
}

/// Percent-decoding with `+` as a space; `None` for a bad escape or invalid UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_members_are_recognised_by_name() {
        for secret in [
            "Plaintext",
            "CiphertextBlob",
            "SourceCiphertextBlob",
            "GrantTokens",
            "GrantToken",
            "SecretAccessKey",
            "SessionToken",
            "Password",
            "NewPassword",
            "PrivateKeyPlaintext",
            "PrivateKeyCiphertextBlob",
            "Message",
            "Signature",
            "Mac",
            "Recipient",
            "EncryptedKeyMaterial",
            "ImportToken",
            "SAMLAssertion",
            "WebIdentityToken",
        ] {
            assert!(is_secret_member(secret), "{secret}");
        }
        for public in [
            "KeyId",
            "EncryptionContext",
            "KeySpec",
            "NumberOfBytes",
            "Policy",
            "Description",
            "UserName",
            "RoleArn",
            "MacAlgorithm",
            "AccessKeyId",
        ] {
            assert!(!is_secret_member(public), "{public}");
        }
    }

    #[test]
    fn json_bodies_lose_their_secrets_and_keep_the_rest() {
        let body = br#"{"KeyId":"alias/a","Plaintext":"c2VjcmV0","EncryptionContext":{"Dept":"Eng","Plaintext":"visible? no"},"GrantTokens":["t"],"Constraints":{"EncryptionContextSubset":{"Big":"x"}},"NumberOfBytes":32}"#;
        let value = json_parameters(body);
        assert_eq!(
            value,
            json!({
                "keyId": "alias/a",
                // An encryption context keeps its keys' spelling; a key named like a secret
                // member is still dropped (better lose a context pair than record a secret).
                "encryptionContext": {"Dept": "Eng"},
                "constraints": {"encryptionContextSubset": {"Big": "x"}},
                "numberOfBytes": 32
            })
        );
        assert!(!value.to_string().contains("c2VjcmV0"));
        assert_eq!(json_parameters(b""), Value::Null);
        assert_eq!(json_parameters(b"{}"), Value::Null);
        assert_eq!(json_parameters(b"[1]"), Value::Null);
        assert_eq!(json_parameters(b"{\"a\":1} x"), Value::Null);
        assert_eq!(json_parameters(b"{\"Plaintext\":"), Value::Null);
        let big = vec![b' '; MAX_RECORDED_BODY + 1];
        assert_eq!(json_parameters(&big)["requestSize"], MAX_RECORDED_BODY + 1);
    }

    #[test]
    fn responses_lose_their_secrets() {
        let response = json!({
            "KeyMetadata": {"KeyId": "k", "Arn": "arn"},
            "GrantToken": "tok",
            "GrantId": "g",
            "Plaintext": "c2VjcmV0"
        });
        assert_eq!(
            clean_value(&response),
            json!({"keyMetadata": {"keyId": "k", "arn": "arn"}, "grantId": "g"})
        );
        assert_eq!(clean_value(&json!({"Plaintext": "x"})), Value::Null);
    }

    #[test]
    fn forms_lose_action_version_and_secrets() {
        let body = b"Action=CreateUser&Version=2010-05-08&UserName=a+b&Path=%2Fops%2F&Password=hunter2&Bad=%zz";
        assert_eq!(
            form_parameters(body),
            json!({"userName": "a b", "path": "/ops/"})
        );
        assert_eq!(form_value(body, "Action").as_deref(), Some("CreateUser"));
        assert_eq!(form_value(body, "Missing"), None);
        assert_eq!(form_parameters(b"Action=GetUser"), Value::Null);
    }
}
