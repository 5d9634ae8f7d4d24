//! The event: one CloudTrail record, with CloudTrail's member names.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::AuditError;
use crate::time::format_event_time;

/// `eventVersion` of every record kmsd writes.
pub const EVENT_VERSION: &str = "1.08";
/// `eventType` of a record of an API call.
pub const EVENT_TYPE_API_CALL: &str = "AwsApiCall";
/// `eventCategory` of a management event (every KMS, IAM and STS call is one).
pub const EVENT_CATEGORY_MANAGEMENT: &str = "Management";

/// `eventSource` values of the services kmsd speaks.
pub const EVENT_SOURCE_KMS: &str = "kms.amazonaws.com";
pub const EVENT_SOURCE_IAM: &str = "iam.amazonaws.com";
pub const EVENT_SOURCE_STS: &str = "sts.amazonaws.com";
pub const EVENT_SOURCE_CLOUDTRAIL: &str = "cloudtrail.amazonaws.com";

/// `userIdentity.type` values.
pub const IDENTITY_ROOT: &str = "Root";
pub const IDENTITY_IAM_USER: &str = "IAMUser";
pub const IDENTITY_ASSUMED_ROLE: &str = "AssumedRole";
pub const IDENTITY_AWS_ACCOUNT: &str = "AWSAccount";
pub const IDENTITY_AWS_SERVICE: &str = "AWSService";

/// One CloudTrail record (`eventVersion` 1.08). Serialises with CloudTrail's member names and in
/// CloudTrail's member order; absent optional members are omitted, as CloudTrail omits them.
///
/// **Never put a secret here**: no plaintext, data key, private key, secret access key or
/// session token — the trail is readable by whoever can run `LookupEvents`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    /// Always [`EVENT_VERSION`].
    pub event_version: String,
    pub user_identity: UserIdentity,
    /// ISO 8601 UTC to the second, `2026-11-23T09:15:08Z` (see [`format_event_time`]).
    pub event_time: String,
    /// E.g. [`EVENT_SOURCE_KMS`].
    pub event_source: String,
    /// The operation, e.g. `Encrypt`.
    pub event_name: String,
    pub aws_region: String,
    #[serde(rename = "sourceIPAddress")]
    pub source_ip_address: String,
    pub user_agent: String,
    /// The AWS error code when the call failed or was refused, e.g. `AccessDeniedException`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// The request's parameters, secrets removed; `null` when there is nothing to record.
    #[serde(default)]
    pub request_parameters: Value,
    /// The response's non-secret elements; `null` for most KMS calls (as in AWS).
    #[serde(default)]
    pub response_elements: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_event_data: Option<Value>,
    #[serde(rename = "requestID")]
    pub request_id: String,
    /// A UUID v4 in text form ([`new_event_id`]).
    #[serde(rename = "eventID")]
    pub event_id: String,
    pub read_only: bool,
    #[serde(default)]
    pub resources: Vec<Resource>,
    /// Always [`EVENT_TYPE_API_CALL`].
    pub event_type: String,
    pub management_event: bool,
    /// The account whose trail holds this record; `LookupEvents` shows a caller only the
    /// records whose `recipientAccountId` is its account. A cross-account call is recorded
    /// twice, once per account, both copies carrying the same `sharedEventID`.
    pub recipient_account_id: String,
    #[serde(
        rename = "sharedEventID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub shared_event_id: Option<String>,
    /// Always [`EVENT_CATEGORY_MANAGEMENT`].
    pub event_category: String,
}

/// `userIdentity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIdentity {
    /// `Root`, `IAMUser`, `AssumedRole`, … (the `IDENTITY_*` constants).
    #[serde(rename = "type")]
    pub identity_type: String,
    pub principal_id: String,
    pub arn: String,
    pub account_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    /// The IAM user's name (absent for roles and the root user, as in CloudTrail).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// Present for role sessions (temporary credentials).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_context: Option<SessionContext>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoked_by: Option<String>,
}

/// `userIdentity.sessionContext`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionContext {
    pub session_issuer: SessionIssuer,
    pub attributes: SessionAttributes,
}

/// `userIdentity.sessionContext.sessionIssuer`: the role the session was issued for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionIssuer {
    #[serde(rename = "type")]
    pub issuer_type: String,
    pub principal_id: String,
    pub arn: String,
    pub account_id: String,
    pub user_name: String,
}

/// `userIdentity.sessionContext.attributes`. CloudTrail writes both as strings:
/// `creationDate` ISO 8601, `mfaAuthenticated` `"true"` / `"false"`. `creationDate` is omitted
/// when the caller's credentials do not say when the session began.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionAttributes {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<String>,
    pub mfa_authenticated: String,
}

/// One entry of `resources`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    #[serde(rename = "accountId")]
    pub account_id: String,
    /// E.g. `AWS::KMS::Key`.
    #[serde(rename = "type")]
    pub resource_type: String,
    #[serde(rename = "ARN")]
    pub arn: String,
}

impl AuditEvent {
    /// A record of an API call with CloudTrail's constant members filled in (`eventVersion`,
    /// `eventType`, `eventCategory`, `managementEvent`), a fresh `eventID`, `recipientAccountId`
    /// set to the caller's account, `readOnly` false, no resources and `null` parameters and
    /// response. The caller sets the rest on the public fields.
    pub fn api_call(
        event_time_secs: i64,
        event_source: &str,
        event_name: &str,
        aws_region: &str,
        user_identity: UserIdentity,
    ) -> Result<AuditEvent, AuditError> {
        Ok(AuditEvent {
            event_version: EVENT_VERSION.to_owned(),
            recipient_account_id: user_identity.account_id.clone(),
            user_identity,
            event_time: format_event_time(event_time_secs),
            event_source: event_source.to_owned(),
            event_name: event_name.to_owned(),
            aws_region: aws_region.to_owned(),
            source_ip_address: String::new(),
            user_agent: String::new(),
            error_code: None,
            error_message: None,
            request_parameters: Value::Null,
            response_elements: Value::Null,
            additional_event_data: None,
            request_id: String::new(),
            event_id: new_event_id()?,
            read_only: false,
            resources: Vec::new(),
            event_type: EVENT_TYPE_API_CALL.to_owned(),
            management_event: true,
            shared_event_id: None,
            event_category: EVENT_CATEGORY_MANAGEMENT.to_owned(),
        })
    }

    /// `eventTime` as seconds since the epoch, if it is well formed.
    pub fn event_time_secs(&self) -> Option<i64> {
        crate::time::parse_event_time(&self.event_time)
    }

    /// What CloudTrail's `LookupEvents` calls the `Username` of this record: the IAM user's
    /// name; for a role session the session name (after the `:` of `principalId`); `root` for
    /// the account root.
    pub fn lookup_username(&self) -> Option<&str> {
        let identity = &self.user_identity;
        if let Some(name) = identity.user_name.as_deref() {
            return Some(name);
        }
        match identity.identity_type.as_str() {
            IDENTITY_ROOT => Some("root"),
            IDENTITY_ASSUMED_ROLE => identity
                .principal_id
                .split_once(':')
                .map(|(_, session)| session),
            _ => None,
        }
    }
}

/// A fresh random UUID v4 in its 36-character text form (for `eventID` and `requestID`).
///
/// The randomness comes from the system CSPRNG in batches of [`IDS_PER_DRAW`] ids per thread:
/// each draw has a fixed cost (aws-lc mixes fresh RDRAND output into every call) that one id
/// per call paid two or three times per request.
pub fn new_event_id() -> Result<String, AuditError> {
    Ok(format_uuid_v4(random_id_bytes()?))
}

/// Ids drawn from the CSPRNG at once, per thread.
const IDS_PER_DRAW: usize = 64;

fn random_id_bytes() -> Result<[u8; 16], AuditError> {
    use std::cell::RefCell;
    thread_local! {
        static POOL: RefCell<([u8; 16 * IDS_PER_DRAW], usize)> =
            const { RefCell::new(([0; 16 * IDS_PER_DRAW], IDS_PER_DRAW)) };
    }
    POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        let (bytes, next) = &mut *pool;
        if *next == IDS_PER_DRAW {
            aws_lc_rs::rand::fill(bytes).map_err(|_| AuditError::Random)?;
            *next = 0;
        }
        let start = *next * 16;
        let mut id = [0u8; 16];
        id.copy_from_slice(&bytes[start..start + 16]);
        // Used bytes are not kept around.
        bytes[start..start + 16].fill(0);
        *next += 1;
        Ok(id)
    })
}

pub(crate) fn format_uuid_v4(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    kmsd_model::UuidText::new(&bytes).as_str().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> UserIdentity {
        UserIdentity {
            identity_type: IDENTITY_ASSUMED_ROLE.into(),
            principal_id: "AROAEXAMPLE:my-session".into(),
            arn: "arn:aws:sts::111122223333:assumed-role/Admin/my-session".into(),
            account_id: "111122223333".into(),
            access_key_id: Some("ASIAEXAMPLE".into()),
            user_name: None,
            session_context: Some(SessionContext {
                session_issuer: SessionIssuer {
                    issuer_type: "Role".into(),
                    principal_id: "AROAEXAMPLE".into(),
                    arn: "arn:aws:iam::111122223333:role/Admin".into(),
                    account_id: "111122223333".into(),
                    user_name: "Admin".into(),
                },
                attributes: SessionAttributes {
                    creation_date: Some("2026-01-01T00:00:00Z".into()),
                    mfa_authenticated: "false".into(),
                },
            }),
            invoked_by: None,
        }
    }

    #[test]
    fn uuid_v4_shape() {
        let id = new_event_id().unwrap();
        assert_eq!(id.len(), 36);
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert!(matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
        assert_ne!(id, new_event_id().unwrap());
    }

    #[test]
    fn ids_stay_distinct_across_draws() {
        let ids: std::collections::HashSet<String> = (0..IDS_PER_DRAW * 3 + 1)
            .map(|_| new_event_id().unwrap())
            .collect();
        assert_eq!(ids.len(), IDS_PER_DRAW * 3 + 1);
        assert_eq!(
            format_uuid_v4([0xff; 16]),
            "ffffffff-ffff-4fff-bfff-ffffffffffff"
        );
    }

    #[test]
    fn serialises_with_cloudtrail_member_names() {
        let mut event = AuditEvent::api_call(
            1_795_425_308,
            EVENT_SOURCE_KMS,
            "Encrypt",
            "eu-west-1",
            identity(),
        )
        .unwrap();
        event.error_code = Some("AccessDeniedException".into());
        event.resources.push(Resource {
            account_id: "111122223333".into(),
            resource_type: "AWS::KMS::Key".into(),
            arn: "arn:aws:kms:eu-west-1:111122223333:key/k".into(),
        });
        let value = serde_json::to_value(&event).unwrap();
        let keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for member in [
            "eventVersion",
            "userIdentity",
            "eventTime",
            "eventSource",
            "eventName",
            "awsRegion",
            "sourceIPAddress",
            "userAgent",
            "errorCode",
            "requestParameters",
            "responseElements",
            "requestID",
            "eventID",
            "readOnly",
            "resources",
            "eventType",
            "managementEvent",
            "recipientAccountId",
            "eventCategory",
        ] {
            assert!(keys.contains(&member), "{member} missing from {keys:?}");
        }
        assert!(!keys.contains(&"errorMessage"));
        assert_eq!(value["eventTime"], "2026-11-23T09:15:08Z");
        assert_eq!(value["requestParameters"], Value::Null);
        assert_eq!(value["userIdentity"]["type"], "AssumedRole");
        assert_eq!(
            value["userIdentity"]["sessionContext"]["sessionIssuer"]["userName"],
            "Admin"
        );
        assert_eq!(
            value["userIdentity"]["sessionContext"]["attributes"]["mfaAuthenticated"],
            "false"
        );
        assert_eq!(
            value["resources"][0]["ARN"],
            "arn:aws:kms:eu-west-1:111122223333:key/k"
        );
        assert_eq!(value["resources"][0]["type"], "AWS::KMS::Key");
        let back: AuditEvent = serde_json::from_value(value).unwrap();
        assert_eq!(back, event);
        assert_eq!(back.lookup_username(), Some("my-session"));
        assert_eq!(back.event_time_secs(), Some(1_795_425_308));
    }
}
