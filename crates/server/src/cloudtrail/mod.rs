//! CloudTrail's `LookupEvents` (AWS JSON 1.1, `X-Amz-Target:
//! com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents`, signed for the
//! `cloudtrail` service) over the audit trail, so `aws cloudtrail lookup-events` works.
//!
//! A caller sees only its own account's events (`recipientAccountId`) and needs
//! `cloudtrail:LookupEvents` in its identity policies (the account root may always).

use kmsd_audit::{
    LOOKUP_DEFAULT_MAX_RESULTS, LookupAttribute, LookupAttributeKey, LookupError, LookupEvent,
    LookupPage, LookupQuery, lookup, parse_event_time,
};
use kmsd_service::RequestContext;
use kmsd_service::identity::{Iam, IamError};
use serde::Deserialize;
use serde_json::{Value, json};
use std::path::PathBuf;

/// The `X-Amz-Target` prefix of CloudTrail.
pub(crate) const TARGET_PREFIX: &str = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.";

/// The IAM action `LookupEvents` needs.
const LOOKUP_ACTION: &str = "cloudtrail:LookupEvents";

/// The longest `AttributeValue` CloudTrail accepts.
const MAX_ATTRIBUTE_VALUE: usize = 2000;

/// A CloudTrail error as it goes on the wire (`__type` + message, JSON 1.1).
#[derive(Debug)]
pub(crate) struct CloudTrailError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl CloudTrailError {
    fn client(code: &'static str, message: impl Into<String>) -> CloudTrailError {
        CloudTrailError {
            status: 400,
            code,
            message: message.into(),
        }
    }

    /// An internal failure (the cause is logged, not sent).
    pub(crate) fn internal() -> CloudTrailError {
        CloudTrailError {
            status: 500,
            code: "InternalFailure",
            message: "An internal error occurred.".to_owned(),
        }
    }

    fn attributes(message: impl Into<String>) -> CloudTrailError {
        CloudTrailError::client("InvalidLookupAttributesException", message)
    }
}

impl From<IamError> for CloudTrailError {
    fn from(e: IamError) -> CloudTrailError {
        match e {
            IamError::AccessDenied(message) => {
                CloudTrailError::client("AccessDeniedException", message)
            }
            other => {
                tracing::error!(error = ?other, "authorizing LookupEvents failed");
                CloudTrailError::internal()
            }
        }
    }
}

impl From<LookupError> for CloudTrailError {
    fn from(e: LookupError) -> CloudTrailError {
        let code = match &e {
            LookupError::InvalidMaxResults => "InvalidMaxResultsException",
            LookupError::InvalidTimeRange => "InvalidTimeRangeException",
            LookupError::InvalidNextToken => "InvalidNextTokenException",
            LookupError::InvalidLookupAttribute(_) => "InvalidLookupAttributesException",
            LookupError::Io(cause) => {
                tracing::error!(cause, "reading the audit trail failed");
                return CloudTrailError::internal();
            }
        };
        CloudTrailError::client(code, e.to_string())
    }
}

/// CloudTrail operations kmsd does not serve (trails, event data stores, …): named, so a
/// caller learns it is the operation that is missing.
const NOT_SERVED: &[&str] = &[
    "AddTags",
    "CreateTrail",
    "DeleteTrail",
    "DescribeTrails",
    "GetEventSelectors",
    "GetTrail",
    "GetTrailStatus",
    "ListTrails",
    "ListTags",
    "PutEventSelectors",
    "RemoveTags",
    "StartLogging",
    "StopLogging",
    "UpdateTrail",
    "ListPublicKeys",
    "LookupEventsInsights",
];

/// Runs one CloudTrail operation. `trail` is the audit trail's directory (`None`: no trail,
/// every lookup is empty).
pub(crate) async fn dispatch(
    iam: &Iam,
    ctx: &RequestContext,
    trail: Option<PathBuf>,
    operation: &str,
    body: &[u8],
) -> Result<Value, CloudTrailError> {
    match operation {
        "LookupEvents" => lookup_events(iam, ctx, trail, body).await,
        other if NOT_SERVED.contains(&other) => Err(CloudTrailError::client(
            "UnsupportedOperationException",
            format!("{other} is not supported by this kmsd release."),
        )),
        _ => Err(CloudTrailError::client("UnknownOperationException", "")),
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct LookupEventsWire {
    lookup_attributes: Option<Vec<AttributeWire>>,
    start_time: Option<Value>,
    end_time: Option<Value>,
    event_category: Option<String>,
    max_results: Option<Value>,
    next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AttributeWire {
    attribute_key: Option<String>,
    attribute_value: Option<String>,
}

async fn lookup_events(
    iam: &Iam,
    ctx: &RequestContext,
    trail: Option<PathBuf>,
    body: &[u8],
) -> Result<Value, CloudTrailError> {
    iam.authorize_action(ctx, LOOKUP_ACTION, "*").await?;
    let w: LookupEventsWire = decode(body)?;
    let query = LookupQuery {
        account_id: ctx.principal.account.to_string(),
        region: None,
        attribute: attribute(w.lookup_attributes)?,
        start_time: w
            .start_time
            .as_ref()
            .map(|t| time(t, Round::Up))
            .transpose()?,
        end_time: w
            .end_time
            .as_ref()
            .map(|t| time(t, Round::Down))
            .transpose()?,
        max_results: w.max_results.as_ref().map(max_results).transpose()?,
        next_token: w.next_token.filter(|t| !t.is_empty()),
    };
    let insights_only = match w.event_category.as_deref() {
        None => false,
        Some("insight") => true,
        Some(other) => {
            return Err(CloudTrailError::client(
                "InvalidEventCategoryException",
                format!("Event category {other} is not valid. Valid values: insight."),
            ));
        }
    };
    let page = match trail {
        // kmsd records no Insights events; the query is still checked.
        Some(dir) if !insights_only => tokio::task::spawn_blocking(move || lookup(&dir, &query))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "the lookup task failed");
                CloudTrailError::internal()
            })??,
        _ => {
            check_only(&query)?;
            LookupPage::default()
        }
    };
    let events: Vec<Value> = page.events.into_iter().map(event_json).collect();
    let mut out = json!({ "Events": events });
    if let Some(token) = page.next_token {
        out["NextToken"] = Value::String(token);
    }
    Ok(out)
}

/// What `lookup` would refuse, for a query that is not run.
fn check_only(query: &LookupQuery) -> Result<(), CloudTrailError> {
    if let (Some(start), Some(end)) = (query.start_time, query.end_time)
        && start > end
    {
        return Err(LookupError::InvalidTimeRange.into());
    }
    if query.next_token.is_some() {
        return Err(LookupError::InvalidNextToken.into());
    }
    Ok(())
}

fn decode(body: &[u8]) -> Result<LookupEventsWire, CloudTrailError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(LookupEventsWire::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        CloudTrailError::client(
            "SerializationException",
            format!(
                "Unexpected value type or member shape at line {} column {}",
                e.line(),
                e.column()
            ),
        )
    })
}

fn attribute(
    attributes: Option<Vec<AttributeWire>>,
) -> Result<Option<LookupAttribute>, CloudTrailError> {
    let mut attributes = attributes.unwrap_or_default();
    if attributes.len() > 1 {
        return Err(CloudTrailError::attributes(
            "You cannot specify more than one lookup attribute.",
        ));
    }
    let Some(a) = attributes.pop() else {
        return Ok(None);
    };
    let key_text = a
        .attribute_key
        .ok_or_else(|| CloudTrailError::attributes("AttributeKey is required."))?;
    let key: LookupAttributeKey = key_text.parse().map_err(|_| {
        CloudTrailError::attributes(format!(
            "Lookup attribute key {key_text} is not valid. Valid values: {}.",
            LookupAttributeKey::ALL
                .map(LookupAttributeKey::as_str)
                .join(", ")
        ))
    })?;
    let value = a
        .attribute_value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| CloudTrailError::attributes("AttributeValue is required."))?;
    if value.chars().count() > MAX_ATTRIBUTE_VALUE {
        return Err(CloudTrailError::attributes(format!(
            "AttributeValue must be at most {MAX_ATTRIBUTE_VALUE} characters."
        )));
    }
    Ok(Some(LookupAttribute { key, value }))
}

#[derive(Clone, Copy)]
enum Round {
    Up,
    Down,
}

/// A timestamp member: epoch seconds (what the SDKs and the CLI send over JSON 1.1; a fraction
/// is rounded inwards, since events are stamped to the second) or an ISO 8601 string.
fn time(value: &Value, round: Round) -> Result<i64, CloudTrailError> {
    let seconds = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s
            .parse::<f64>()
            .ok()
            .or_else(|| parse_event_time(s).map(|t| t as f64)),
        _ => None,
    };
    let Some(seconds) = seconds.filter(|s| s.is_finite()) else {
        return Err(CloudTrailError::client(
            "SerializationException",
            "StartTime and EndTime must be timestamps.",
        ));
    };
    let rounded = match round {
        Round::Up => seconds.ceil(),
        Round::Down => seconds.floor(),
    };
    // Far outside any event time: clamp rather than overflow.
    Ok(rounded.clamp(-1e15, 1e15) as i64)
}

fn max_results(value: &Value) -> Result<u32, CloudTrailError> {
    value
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| (1..=LOOKUP_DEFAULT_MAX_RESULTS).contains(n))
        .ok_or_else(|| LookupError::InvalidMaxResults.into())
}

/// One `Events` entry.
fn event_json(found: LookupEvent) -> Value {
    let e = &found.event;
    let mut out = json!({
        "EventId": e.event_id,
        "EventName": e.event_name,
        "ReadOnly": if e.read_only { "true" } else { "false" },
        "EventSource": e.event_source,
        "Resources": e.resources.iter().map(|r| json!({
            "ResourceType": r.resource_type,
            "ResourceName": r.arn,
        })).collect::<Vec<_>>(),
    });
    if let Some(key) = &e.user_identity.access_key_id {
        out["AccessKeyId"] = Value::String(key.clone());
    }
    if let Some(t) = e.event_time_secs() {
        out["EventTime"] = Value::from(t);
    }
    if let Some(name) = e.lookup_username() {
        out["Username"] = Value::String(name.to_owned());
    }
    out["CloudTrailEvent"] = Value::String(found.cloud_trail_event);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn times_round_inwards_and_accept_the_forms_clients_send() {
        assert_eq!(time(&json!(10), Round::Up).unwrap(), 10);
        assert_eq!(time(&json!(10.2), Round::Up).unwrap(), 11);
        assert_eq!(time(&json!(10.8), Round::Down).unwrap(), 10);
        assert_eq!(
            time(&json!("2026-11-23T09:15:08Z"), Round::Down).unwrap(),
            1_795_425_308
        );
        assert_eq!(time(&json!("12"), Round::Down).unwrap(), 12);
        assert!(time(&json!(true), Round::Down).is_err());
        assert!(time(&json!("yesterday"), Round::Down).is_err());
    }

    #[test]
    fn attributes_and_page_sizes_are_checked() {
        assert!(attribute(None).unwrap().is_none());
        let one = |k: &str, v: &str| AttributeWire {
            attribute_key: Some(k.into()),
            attribute_value: Some(v.into()),
        };
        let got = attribute(Some(vec![one("EventName", "Encrypt")]))
            .unwrap()
            .unwrap();
        assert_eq!(got.key, LookupAttributeKey::EventName);
        let e = attribute(Some(vec![one("EventName", "a"), one("Username", "b")])).unwrap_err();
        assert_eq!(e.code, "InvalidLookupAttributesException");
        assert_eq!(
            attribute(Some(vec![one("Nope", "a")])).unwrap_err().code,
            "InvalidLookupAttributesException"
        );
        assert_eq!(
            attribute(Some(vec![one("EventName", "")]))
                .unwrap_err()
                .code,
            "InvalidLookupAttributesException"
        );
        assert_eq!(max_results(&json!(50)).unwrap(), 50);
        for bad in [json!(0), json!(51), json!(-1), json!(2.5), json!("5")] {
            assert_eq!(
                max_results(&bad).unwrap_err().code,
                "InvalidMaxResultsException"
            );
        }
    }
}
