//! The line format of trail files. See the crate documentation for the normative description.

use serde::{Deserialize, Serialize};

use crate::error::AuditError;
use crate::hex;

/// `previousHash` of the very first line of a trail: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";
pub(crate) const GENESIS: [u8; 32] = [0u8; 32];

/// The domain separator at the head of the signed form of a digest.
const DIGEST_FORMAT: &str = "kmsd-audit-digest-v1";

/// `recordType` of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecordType {
    Event,
    Digest,
}

/// The `digest` member of a digest line: a signed statement about the chain up to and
/// including the line before it (whose hash is the digest line's `previousHash`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DigestRecord {
    /// Wall-clock time the digest was written, ISO 8601 UTC.
    pub digest_time: String,
    /// The first sequence number after the previous digest (1 for the first digest).
    pub first_sequence: u64,
    /// The sequence number of the line before this one.
    pub last_sequence: u64,
    /// The event lines between the previous digest and this one.
    pub event_count: u64,
    /// Set on the closing digest of a file (the last line of every file but the newest): the
    /// name of the file that continues the chain.
    pub next_file: Option<String>,
    /// The earliest and latest `eventTime` of the event lines of this file so far (`null` if
    /// none); a closing digest thereby bounds its file's times, which lets lookups skip it.
    pub min_event_time: Option<String>,
    pub max_event_time: Option<String>,
    pub key_id: String,
    pub signature_algorithm: String,
    /// Lower-case hex of the signature over the signed form (see the crate documentation).
    pub signature: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DigestLineOut<'a> {
    record_type: RecordType,
    sequence: u64,
    previous_hash: &'a str,
    digest: &'a DigestRecord,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SignedDigest<'a> {
    format: &'static str,
    sequence: u64,
    previous_hash: &'a str,
    digest_time: &'a str,
    first_sequence: u64,
    last_sequence: u64,
    event_count: u64,
    next_file: Option<&'a str>,
    min_event_time: Option<&'a str>,
    max_event_time: Option<&'a str>,
    key_id: &'a str,
    signature_algorithm: &'a str,
}

/// The bytes a digest's signature covers: compact JSON of the format name, the line's
/// `sequence` and `previousHash`, and every digest member but `signature`, in that order.
pub(crate) fn digest_message(
    sequence: u64,
    previous_hash: &str,
    digest: &DigestRecord,
) -> Result<Vec<u8>, AuditError> {
    serde_json::to_vec(&SignedDigest {
        format: DIGEST_FORMAT,
        sequence,
        previous_hash,
        digest_time: &digest.digest_time,
        first_sequence: digest.first_sequence,
        last_sequence: digest.last_sequence,
        event_count: digest.event_count,
        next_file: digest.next_file.as_deref(),
        min_event_time: digest.min_event_time.as_deref(),
        max_event_time: digest.max_event_time.as_deref(),
        key_id: &digest.key_id,
        signature_algorithm: &digest.signature_algorithm,
    })
    .map_err(|e| AuditError::Serialize(e.to_string()))
}

/// An event line (without its newline). `event_json` is the compact JSON of the event.
pub(crate) fn event_line(sequence: u64, previous_hash: &[u8; 32], event_json: &str) -> Vec<u8> {
    let prev = hex::encode(previous_hash);
    let mut line = Vec::with_capacity(event_json.len() + 140);
    line.extend_from_slice(b"{\"recordType\":\"Event\",\"sequence\":");
    line.extend_from_slice(sequence.to_string().as_bytes());
    line.extend_from_slice(b",\"previousHash\":\"");
    line.extend_from_slice(prev.as_bytes());
    line.extend_from_slice(b"\",\"event\":");
    line.extend_from_slice(event_json.as_bytes());
    line.push(b'}');
    line
}

/// The bytes an event line adds to its event's JSON (newline included), with room for a
/// sequence number of any size.
pub(crate) const EVENT_LINE_OVERHEAD: usize = 150;

/// A digest line (without its newline).
pub(crate) fn digest_line(
    sequence: u64,
    previous_hash: &str,
    digest: &DigestRecord,
) -> Result<Vec<u8>, AuditError> {
    serde_json::to_vec(&DigestLineOut {
        record_type: RecordType::Digest,
        sequence,
        previous_hash,
        digest,
    })
    .map_err(|e| AuditError::Serialize(e.to_string()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawLine {
    record_type: RecordType,
    sequence: u64,
    previous_hash: String,
    #[serde(default)]
    event: Option<EventTimeOnly>,
    #[serde(default)]
    digest: Option<DigestRecord>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventTimeOnly {
    event_time: String,
}

/// The chain-relevant content of one line.
#[derive(Debug, Clone)]
pub(crate) struct ParsedLine {
    pub sequence: u64,
    pub previous_hash: [u8; 32],
    pub kind: LineKind,
}

#[derive(Debug, Clone)]
pub(crate) enum LineKind {
    /// The event's `eventTime` in seconds, if well formed.
    Event {
        time: Option<i64>,
    },
    Digest(Box<DigestRecord>),
}

impl ParsedLine {
    pub fn digest(&self) -> Option<&DigestRecord> {
        match &self.kind {
            LineKind::Digest(d) => Some(d),
            LineKind::Event { .. } => None,
        }
    }
}

/// Parses a line (without its newline), checking its shape but not its place in the chain.
pub(crate) fn parse_line(bytes: &[u8]) -> Result<ParsedLine, String> {
    let raw: RawLine =
        serde_json::from_slice(bytes).map_err(|e| format!("not a trail record: {e}"))?;
    let previous_hash = hex::decode_hash(&raw.previous_hash)
        .ok_or_else(|| "previousHash is not 64 lower-case hex digits".to_owned())?;
    let kind = match (raw.record_type, raw.event, raw.digest) {
        (RecordType::Event, Some(event), None) => LineKind::Event {
            time: crate::time::parse_event_time(&event.event_time),
        },
        (RecordType::Digest, None, Some(digest)) => LineKind::Digest(Box::new(digest)),
        (RecordType::Event, _, _) => return Err("an event record needs exactly an event".into()),
        (RecordType::Digest, _, _) => return Err("a digest record needs exactly a digest".into()),
    };
    Ok(ParsedLine {
        sequence: raw.sequence,
        previous_hash,
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_line_parses_back() {
        let prev = crate::hex::sha256(b"x");
        let line = event_line(
            u64::MAX,
            &prev,
            r#"{"eventTime":"2026-11-23T09:15:08Z","eventName":"Encrypt"}"#,
        );
        assert!(line.len() <= 58 + EVENT_LINE_OVERHEAD);
        let parsed = parse_line(&line).unwrap();
        assert_eq!(parsed.sequence, u64::MAX);
        assert_eq!(parsed.previous_hash, prev);
        assert!(matches!(
            parsed.kind,
            LineKind::Event {
                time: Some(1_795_425_308)
            }
        ));
    }

    #[test]
    fn digest_line_parses_back() {
        let digest = DigestRecord {
            digest_time: "2026-11-23T09:15:08Z".into(),
            first_sequence: 1,
            last_sequence: 4,
            event_count: 4,
            next_file: Some("f".into()),
            min_event_time: None,
            max_event_time: None,
            key_id: "k".into(),
            signature_algorithm: "HMAC-SHA256".into(),
            signature: "00".into(),
        };
        let line = digest_line(5, GENESIS_HASH, &digest).unwrap();
        let parsed = parse_line(&line).unwrap();
        assert_eq!(parsed.sequence, 5);
        assert_eq!(parsed.digest(), Some(&digest));
        let mut other = digest.clone();
        other.signature = "ff".into();
        assert_eq!(
            digest_message(5, GENESIS_HASH, &digest).unwrap(),
            digest_message(5, GENESIS_HASH, &other).unwrap()
        );
        other.event_count = 3;
        assert_ne!(
            digest_message(5, GENESIS_HASH, &digest).unwrap(),
            digest_message(5, GENESIS_HASH, &other).unwrap()
        );
    }

    #[test]
    fn malformed_lines_are_refused() {
        for bad in [
            &b"not json"[..],
            br#"{"recordType":"Event","sequence":1,"previousHash":"00"}"#,
            br#"{"recordType":"Digest","sequence":1,"previousHash":"0000000000000000000000000000000000000000000000000000000000000000","event":{"eventTime":"x"}}"#,
            br#"{"recordType":"Event","sequence":1,"previousHash":"0000000000000000000000000000000000000000000000000000000000000000","event":{"eventTime":"x"},"extra":1}"#,
        ] {
            assert!(parse_line(bad).is_err());
        }
    }
}
