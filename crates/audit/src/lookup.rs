//! CloudTrail `LookupEvents` over the trail: newest first, one account, one attribute.

use std::fs::File;
use std::path::Path;
use std::str::FromStr;

use serde::Deserialize;

use crate::event::AuditEvent;
use crate::files::{self, RevLines, TrailFile};
use crate::hex;
use crate::record::{RecordType, parse_line};

/// `MaxResults` when the request has none, and the most it may ask for.
pub const LOOKUP_DEFAULT_MAX_RESULTS: u32 = 50;

/// The attributes `LookupEvents` can filter on (`LookupAttributes[].AttributeKey`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LookupAttributeKey {
    EventId,
    EventName,
    ReadOnly,
    Username,
    ResourceType,
    ResourceName,
    EventSource,
    AccessKeyId,
}

impl LookupAttributeKey {
    pub const ALL: [LookupAttributeKey; 8] = [
        LookupAttributeKey::EventId,
        LookupAttributeKey::EventName,
        LookupAttributeKey::ReadOnly,
        LookupAttributeKey::Username,
        LookupAttributeKey::ResourceType,
        LookupAttributeKey::ResourceName,
        LookupAttributeKey::EventSource,
        LookupAttributeKey::AccessKeyId,
    ];

    /// The wire name, e.g. `EventName`.
    pub fn as_str(self) -> &'static str {
        match self {
            LookupAttributeKey::EventId => "EventId",
            LookupAttributeKey::EventName => "EventName",
            LookupAttributeKey::ReadOnly => "ReadOnly",
            LookupAttributeKey::Username => "Username",
            LookupAttributeKey::ResourceType => "ResourceType",
            LookupAttributeKey::ResourceName => "ResourceName",
            LookupAttributeKey::EventSource => "EventSource",
            LookupAttributeKey::AccessKeyId => "AccessKeyId",
        }
    }
}

impl FromStr for LookupAttributeKey {
    type Err = LookupError;

    /// The wire name; anything else is [`LookupError::InvalidLookupAttribute`].
    fn from_str(s: &str) -> Result<Self, LookupError> {
        LookupAttributeKey::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| LookupError::InvalidLookupAttribute(s.to_owned()))
    }
}

/// One `LookupAttributes` entry (CloudTrail accepts at most one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupAttribute {
    pub key: LookupAttributeKey,
    pub value: String,
}

/// A `LookupEvents` request, for the caller's account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LookupQuery {
    /// Only records whose `recipientAccountId` is this account.
    pub account_id: String,
    /// Only records of this region (`awsRegion`), when set; CloudTrail is regional.
    pub region: Option<String>,
    pub attribute: Option<LookupAttribute>,
    /// Seconds since the epoch, inclusive, compared with `eventTime`.
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    /// 1 to 50; `None` is 50.
    pub max_results: Option<u32>,
    /// From a previous page of the same query.
    pub next_token: Option<String>,
}

/// One result.
#[derive(Debug, Clone, PartialEq)]
pub struct LookupEvent {
    pub sequence: u64,
    pub event: AuditEvent,
    /// The record's JSON exactly as stored: `CloudTrailEvent` of the response.
    pub cloud_trail_event: String,
}

/// One page of results, newest first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LookupPage {
    pub events: Vec<LookupEvent>,
    /// Set when more results follow.
    pub next_token: Option<String>,
}

/// A refused lookup; the variants map to CloudTrail's exception names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// `InvalidMaxResultsException`.
    #[error("MaxResults must be between 1 and 50")]
    InvalidMaxResults,
    /// `InvalidTimeRangeException`.
    #[error("StartTime must not be after EndTime")]
    InvalidTimeRange,
    /// `InvalidNextTokenException`.
    #[error("the NextToken is invalid or belongs to a different query")]
    InvalidNextToken,
    /// `InvalidLookupAttributesException`.
    #[error("invalid lookup attribute: {0}")]
    InvalidLookupAttribute(String),
    /// An internal error.
    #[error("audit trail I/O error: {0}")]
    Io(String),
}

/// Finds one page of `query`'s events in the trail in `dir`, newest (highest sequence) first.
/// Blocking: call it from `spawn_blocking`. Files are read backwards in chunks from the
/// newest; a closed file whose closing digest shows no event in the time range is skipped
/// without reading it; the next token holds the file, byte offset and sequence number to go
/// on from, so each page costs what it reads.
pub fn lookup(dir: &Path, query: &LookupQuery) -> Result<LookupPage, LookupError> {
    let max = query.max_results.unwrap_or(LOOKUP_DEFAULT_MAX_RESULTS);
    if max == 0 || max > LOOKUP_DEFAULT_MAX_RESULTS {
        return Err(LookupError::InvalidMaxResults);
    }
    if let (Some(start), Some(end)) = (query.start_time, query.end_time)
        && start > end
    {
        return Err(LookupError::InvalidTimeRange);
    }
    let max = max as usize;
    let fingerprint = fingerprint(query);
    let io = |e: std::io::Error| LookupError::Io(e.to_string());
    let list = files::list(dir).map_err(io)?;
    let (mut index, mut end, mut expect_seq) = match &query.next_token {
        Some(token) => {
            let token = Token::decode(token).ok_or(LookupError::InvalidNextToken)?;
            if token.fingerprint != fingerprint {
                return Err(LookupError::InvalidNextToken);
            }
            let index = list
                .iter()
                .position(|f| f.first_sequence == token.file_sequence)
                .ok_or(LookupError::InvalidNextToken)?;
            (Some(index), Some(token.offset), Some(token.sequence))
        }
        None => (list.len().checked_sub(1), None, None),
    };
    let filter = Filter::new(query);
    let mut found: Vec<(Position, LookupEvent)> = Vec::new();
    'files: while let Some(i) = index {
        let file = &list[i];
        let handle = File::open(&file.path).map_err(io)?;
        let len = files::content_len(&handle).map_err(io)?;
        let start_at = end.take().unwrap_or(len);
        if start_at > len {
            return Err(LookupError::InvalidNextToken);
        }
        let skip = expect_seq.is_none() && filter.skips_file(file);
        if !skip {
            let mut lines = RevLines::new(handle, start_at);
            while let Some((offset, line)) = lines.next_line().map_err(io)? {
                if let Some(seq) = expect_seq.take() {
                    // The line before the token's must be its predecessor.
                    let ok = parse_line(&line).is_ok_and(|p| p.sequence + 1 == seq);
                    if !ok {
                        return Err(LookupError::InvalidNextToken);
                    }
                }
                let Some(event) = filter.matching(&line) else {
                    continue;
                };
                let position = Position {
                    file_sequence: file.first_sequence,
                    offset,
                    sequence: event.sequence,
                };
                found.push((position, event));
                if found.len() > max {
                    break 'files;
                }
            }
        }
        if expect_seq.is_some() && start_at != 0 {
            // A token pointing at a line with nothing complete before it.
            return Err(LookupError::InvalidNextToken);
        }
        index = i.checked_sub(1);
    }
    let next_token = if found.len() > max {
        found.truncate(max);
        found.last().map(|(position, _)| {
            Token {
                file_sequence: position.file_sequence,
                offset: position.offset,
                sequence: position.sequence,
                fingerprint,
            }
            .encode()
        })
    } else {
        None
    };
    Ok(LookupPage {
        events: found.into_iter().map(|(_, event)| event).collect(),
        next_token,
    })
}

#[derive(Clone, Copy)]
struct Position {
    file_sequence: u64,
    offset: u64,
    sequence: u64,
}

/// Where the next page starts: before the line at `offset` of the file starting at
/// `file_sequence`, whose sequence number is `sequence`.
#[derive(Debug, PartialEq, Eq)]
struct Token {
    file_sequence: u64,
    offset: u64,
    sequence: u64,
    fingerprint: String,
}

impl Token {
    fn encode(&self) -> String {
        hex::encode(
            format!(
                "v1.{}.{}.{}.{}",
                self.file_sequence, self.offset, self.sequence, self.fingerprint
            )
            .as_bytes(),
        )
    }

    fn decode(text: &str) -> Option<Token> {
        let bytes = hex::decode(text)?;
        let text = std::str::from_utf8(&bytes).ok()?;
        let mut parts = text.split('.');
        if parts.next()? != "v1" {
            return None;
        }
        let token = Token {
            file_sequence: parts.next()?.parse().ok()?,
            offset: parts.next()?.parse().ok()?,
            sequence: parts.next()?.parse().ok()?,
            fingerprint: parts.next()?.to_owned(),
        };
        parts.next().is_none().then_some(token)
    }
}

/// Binds a token to its query: everything but the page size and the token.
fn fingerprint(query: &LookupQuery) -> String {
    let attribute = query
        .attribute
        .as_ref()
        .map(|a| (a.key.as_str(), a.value.as_str()));
    let text = format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}",
        query.account_id, query.region, attribute, query.start_time, query.end_time
    );
    hex::encode(&hex::sha256(text.as_bytes())[..8])
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LookupLine {
    record_type: RecordType,
    sequence: u64,
    #[serde(default)]
    event: Option<AuditEvent>,
}

struct Filter<'q> {
    query: &'q LookupQuery,
    /// Byte strings every matching line contains (cheap tests before parsing).
    needles: Vec<Vec<u8>>,
}

impl<'q> Filter<'q> {
    fn new(query: &'q LookupQuery) -> Filter<'q> {
        // The writer serialises with serde_json, so a value appears in a line exactly as
        // serde_json escapes it.
        let escaped = |s: &str| {
            let quoted = serde_json::to_string(s).unwrap_or_default();
            quoted
                .get(1..quoted.len().saturating_sub(1))
                .unwrap_or_default()
                .as_bytes()
                .to_vec()
        };
        let mut needles = vec![
            format!(
                "\"recipientAccountId\":\"{}\"",
                String::from_utf8_lossy(&escaped(&query.account_id))
            )
            .into_bytes(),
        ];
        if let Some(attribute) = &query.attribute {
            match attribute.key {
                LookupAttributeKey::ReadOnly => {
                    needles.push(format!("\"readOnly\":{}", attribute.value).into_bytes());
                }
                // The root user's name is derived, not written.
                LookupAttributeKey::Username if attribute.value == "root" => {}
                _ => needles.push(escaped(&attribute.value)),
            }
        }
        Filter { query, needles }
    }

    /// A closed file whose closing digest puts all its events outside the time range.
    fn skips_file(&self, file: &TrailFile) -> bool {
        if self.query.start_time.is_none() && self.query.end_time.is_none() {
            return false;
        }
        let Ok(Some(line)) = files::last_line(&file.path) else {
            return false;
        };
        let Ok(parsed) = parse_line(&line) else {
            return false;
        };
        let Some(digest) = parsed.digest().filter(|d| d.next_file.is_some()) else {
            return false;
        };
        let parse = |t: &Option<String>| t.as_deref().and_then(crate::time::parse_event_time);
        let (Some(min), Some(max)) = (parse(&digest.min_event_time), parse(&digest.max_event_time))
        else {
            // No event with a readable time: nothing here can match a time range.
            return digest.min_event_time.is_none() && digest.max_event_time.is_none();
        };
        self.query.start_time.is_some_and(|start| max < start)
            || self.query.end_time.is_some_and(|end| min > end)
    }

    fn matching(&self, line: &[u8]) -> Option<LookupEvent> {
        if !self.needles.iter().all(|n| contains(line, n)) {
            return None;
        }
        let parsed: LookupLine = serde_json::from_slice(line).ok()?;
        if parsed.record_type != RecordType::Event {
            return None;
        }
        let event = parsed.event?;
        if !self.matches(&event) {
            return None;
        }
        Some(LookupEvent {
            sequence: parsed.sequence,
            cloud_trail_event: raw_event(line, &event)?,
            event,
        })
    }

    fn matches(&self, event: &AuditEvent) -> bool {
        let q = self.query;
        if event.recipient_account_id != q.account_id {
            return false;
        }
        if q.region.as_ref().is_some_and(|r| *r != event.aws_region) {
            return false;
        }
        if q.start_time.is_some() || q.end_time.is_some() {
            let Some(t) = event.event_time_secs() else {
                return false;
            };
            if q.start_time.is_some_and(|s| t < s) || q.end_time.is_some_and(|e| t > e) {
                return false;
            }
        }
        let Some(attribute) = &q.attribute else {
            return true;
        };
        let value = attribute.value.as_str();
        match attribute.key {
            LookupAttributeKey::EventId => event.event_id == value,
            LookupAttributeKey::EventName => event.event_name == value,
            LookupAttributeKey::EventSource => event.event_source == value,
            LookupAttributeKey::ReadOnly => match value {
                "true" => event.read_only,
                "false" => !event.read_only,
                _ => false,
            },
            LookupAttributeKey::Username => event.lookup_username() == Some(value),
            LookupAttributeKey::AccessKeyId => {
                event.user_identity.access_key_id.as_deref() == Some(value)
            }
            LookupAttributeKey::ResourceType => {
                event.resources.iter().any(|r| r.resource_type == value)
            }
            LookupAttributeKey::ResourceName => event.resources.iter().any(|r| {
                r.arn == value
                    || r.arn
                        .rsplit(['/', ':'])
                        .next()
                        .is_some_and(|last| last == value)
            }),
        }
    }
}

/// The event's JSON as stored: the line is `{…,"event":<event>}`.
fn raw_event(line: &[u8], event: &AuditEvent) -> Option<String> {
    const MEMBER: &[u8] = b",\"event\":";
    let start = line.windows(MEMBER.len()).position(|w| w == MEMBER)? + MEMBER.len();
    let raw = line.get(start..line.len().checked_sub(1)?)?;
    match std::str::from_utf8(raw) {
        Ok(text) if serde_json::from_str::<AuditEvent>(text).is_ok() => Some(text.to_owned()),
        _ => serde_json::to_string(event).ok(),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip() {
        let token = Token {
            file_sequence: 1,
            offset: 12345,
            sequence: 99,
            fingerprint: "00ff".into(),
        };
        assert_eq!(Token::decode(&token.encode()), Some(token));
        assert_eq!(Token::decode("zz"), None);
        assert_eq!(Token::decode(&hex::encode(b"v2.1.2.3.ab")), None);
        assert_eq!(Token::decode(&hex::encode(b"v1.1.2.3.ab.extra")), None);
    }

    #[test]
    fn attribute_keys_parse() {
        for key in LookupAttributeKey::ALL {
            assert_eq!(key.as_str().parse::<LookupAttributeKey>(), Ok(key));
        }
        assert!("eventname".parse::<LookupAttributeKey>().is_err());
    }
}
