//! Decoding request members from their JSON wire form into typed values, and encoding
//! response values. The only place that knows how AWS spells things on the wire.

use crate::error::ApiError;
use crate::validate::Validator;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kmsd_model::{EncryptionContext, KeyReference, Timestamp};
use kmsd_service::KmsError;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use zeroize::Zeroizing;

/// Parses a request body into its wire struct. Malformed JSON or a member of the wrong type is
/// a `SerializationException`; the message says where, never what (it could be a secret).
pub(crate) fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Data => "Unexpected value type or member shape",
            serde_json::error::Category::Eof => "Unexpected end of JSON input",
            _ => "Malformed JSON",
        };
        ApiError::Serialization(format!("{what} at line {} column {}", e.line(), e.column()))
    })
}

/// A KeyId-like member: 1–2048 characters.
pub(crate) fn key_id_member<'a>(
    v: &mut Validator,
    member: &str,
    value: &'a Option<String>,
    required: bool,
) -> Option<&'a str> {
    let s = if required {
        v.required(member, value)
    } else {
        value.as_ref()
    }?;
    v.length(member, s, 1, 2048);
    Some(s.as_str())
}

/// A key reference that passed validation, parsed. A string that can never name a key is
/// `NotFoundException` (what AWS answers for `Invalid keyId …`).
pub(crate) fn key_reference(s: &str) -> Result<KeyReference, KmsError> {
    KeyReference::parse(s).map_err(|_| KmsError::NotFound(format!("Invalid keyId '{s}'")))
}

/// A base64 blob member.
pub(crate) fn blob(member: &str, value: &str) -> Result<Vec<u8>, ApiError> {
    STANDARD
        .decode(value)
        .map_err(|_| ApiError::Serialization(format!("Member {member} is not valid base64")))
}

/// A base64 blob member that holds a secret.
pub(crate) fn secret_blob(member: &str, value: &str) -> Result<Zeroizing<Vec<u8>>, ApiError> {
    blob(member, value).map(Zeroizing::new)
}

pub(crate) fn encode_blob(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Encryption context: a map of strings. Non-string scalars are taken as their text, as AWS does.
pub(crate) fn encryption_context(
    value: Option<BTreeMap<String, serde_json::Value>>,
) -> Result<EncryptionContext, ApiError> {
    let mut pairs = BTreeMap::new();
    for (k, v) in value.unwrap_or_default() {
        let text = match v {
            serde_json::Value::String(s) => s,
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            _ => {
                return Err(ApiError::Serialization(
                    "EncryptionContext values must be strings".to_owned(),
                ));
            }
        };
        pairs.insert(k, text);
    }
    Ok(EncryptionContext::new(pairs))
}

/// `GrantTokens`: at most 10, each 1–8192 characters.
pub(crate) fn check_grant_tokens(v: &mut Validator, tokens: &Option<Vec<String>>) {
    if let Some(tokens) = tokens {
        v.count("grantTokens", tokens.len(), 0, 10);
        for (i, t) in tokens.iter().enumerate() {
            v.length(&format!("grantTokens.{}.member", i + 1), t, 1, 8192);
        }
    }
}

/// `GrantTokens`: each must be a token this deployment issued.
pub(crate) fn grant_tokens(
    kms: &kmsd_service::Kms,
    tokens: &Option<Vec<String>>,
) -> Result<(), KmsError> {
    kms.check_grant_tokens(tokens.as_deref().unwrap_or_default())
}

/// `Limit`: an optional integer in `min..=max`.
pub(crate) fn limit(v: &mut Validator, value: Option<i64>, max: i64) -> Option<usize> {
    value.and_then(|n| v.range("limit", n, 1, max))
}

/// `Marker`: 1–1024 characters of U+0020–U+00FF.
pub(crate) fn marker(v: &mut Validator, value: &Option<String>) {
    if let Some(m) = value {
        v.length("marker", m, 1, 1024);
        v.pattern(
            "marker",
            m,
            m.chars().all(|c| ('\u{20}'..='\u{ff}').contains(&c)),
            "[\\u0020-\\u00FF]*",
        );
    }
}

/// Timestamps go out as fractional epoch seconds.
pub(crate) fn timestamp(t: Timestamp) -> serde_json::Value {
    serde_json::json!(t.epoch_seconds())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct TagWire {
    pub tag_key: Option<String>,
    pub tag_value: Option<String>,
}

/// `Tags`: each key 1–128, each value 0–256 characters, both required.
pub(crate) fn tags(v: &mut Validator, tags: Option<Vec<TagWire>>) -> Vec<kmsd_model::Tag> {
    let mut out = Vec::new();
    for (i, t) in tags.unwrap_or_default().into_iter().enumerate() {
        let n = i + 1;
        let key_member = format!("tags.{n}.member.tagKey");
        let value_member = format!("tags.{n}.member.tagValue");
        let key = v.required(&key_member, &t.tag_key).cloned();
        let value = v.required(&value_member, &t.tag_value).cloned();
        if let (Some(key), Some(value)) = (key, value) {
            v.length(&key_member, &key, 1, 128);
            v.length(&value_member, &value, 0, 256);
            out.push(kmsd_model::Tag { key, value });
        }
    }
    out
}
