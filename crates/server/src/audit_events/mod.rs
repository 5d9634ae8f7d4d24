//! Building the audit trail's events from requests and their answers.
//!
//! Every KMS, IAM, STS and CloudTrail request on the listener becomes one CloudTrail-shaped
//! [`AuditEvent`] (two for a call on another account's resource: one per account, sharing a
//! `sharedEventID`). The edge (`http.rs`) appends them and only then answers.
//!
//! **Secrets never reach an event.** Request members are copied by name, and every member
//! whose name marks it as secret (plaintexts, ciphertext blobs, messages, signatures, key
//! material, passwords, secret access keys, tokens of any kind) is skipped while parsing, so
//! its value is never even copied ([`params`]). Response elements are kept only for
//! operations that change something, through the same filter; crypto operations record
//! `null`, as CloudTrail does.

mod kms;
mod params;
mod query;

pub(crate) use kms::kms_call;
pub(crate) use params::json_parameters;

/// The `Action` of a Query form body, decoded.
pub(crate) fn form_action(body: &[u8]) -> Option<String> {
    params::form_value(body, "Action")
}
pub(crate) use query::{QueryOutcome, query_call};

use kmsd_audit::{
    AuditError, AuditEvent, IDENTITY_ASSUMED_ROLE, IDENTITY_IAM_USER, IDENTITY_ROOT, Resource,
    SessionAttributes, SessionContext, SessionIssuer, UserIdentity, new_event_id,
};
use kmsd_model::{Principal, PrincipalKind};
use serde_json::Value;

/// `userIdentity.type` of a caller whose credentials could not be attributed to anyone.
pub(crate) const IDENTITY_UNKNOWN: &str = "Unknown";

/// The longest `userAgent` recorded (CloudTrail truncates long ones too).
const MAX_USER_AGENT: usize = 1024;
/// The longest operation name recorded (it comes from a request header or form field).
const MAX_OPERATION: usize = 128;
/// The longest access key id recorded for a caller that could not be authenticated.
const MAX_ACCESS_KEY_ID: usize = 128;

/// Who made a request, as far as the edge knows.
#[derive(Debug, Clone)]
pub(crate) enum Caller {
    /// The signature verified.
    Authenticated(Principal),
    /// Refused before or at authentication. `claimed` is whoever owns the access key the
    /// request named, when that could be told (the signature did not prove it).
    Refused {
        claimed: Option<Principal>,
        access_key_id: Option<String>,
    },
}

impl Caller {
    /// The account the caller belongs to (or claims to), if any.
    pub fn account(&self) -> Option<String> {
        match self {
            Caller::Authenticated(p) => Some(p.account.to_string()),
            Caller::Refused {
                claimed: Some(p), ..
            } => Some(p.account.to_string()),
            Caller::Refused { .. } => None,
        }
    }

    fn identity(&self) -> UserIdentity {
        match self {
            Caller::Authenticated(p)
            | Caller::Refused {
                claimed: Some(p), ..
            } => user_identity(p),
            Caller::Refused {
                claimed: None,
                access_key_id,
            } => UserIdentity {
                identity_type: IDENTITY_UNKNOWN.to_owned(),
                principal_id: String::new(),
                arn: String::new(),
                account_id: String::new(),
                access_key_id: access_key_id
                    .as_deref()
                    .map(|k| truncate(k, MAX_ACCESS_KEY_ID)),
                user_name: None,
                session_context: None,
                invoked_by: None,
            },
        }
    }
}

/// CloudTrail's `userIdentity` for an authenticated principal.
pub(crate) fn user_identity(p: &Principal) -> UserIdentity {
    let account = p.account.to_string();
    let (identity_type, user_name, session_context) = match &p.kind {
        PrincipalKind::Root => (IDENTITY_ROOT, None, None),
        PrincipalKind::User { name, .. } => (IDENTITY_IAM_USER, Some(name.clone()), None),
        PrincipalKind::AssumedRole {
            role_name, role_id, ..
        } => (
            IDENTITY_ASSUMED_ROLE,
            None,
            Some(SessionContext {
                session_issuer: SessionIssuer {
                    issuer_type: "Role".to_owned(),
                    principal_id: role_id.clone(),
                    arn: p.role_arn().unwrap_or_default(),
                    account_id: account.clone(),
                    user_name: role_name.clone(),
                },
                attributes: SessionAttributes {
                    // The session's credentials carry its expiry, not its start.
                    creation_date: None,
                    mfa_authenticated: "false".to_owned(),
                },
            }),
        ),
        _ => (IDENTITY_UNKNOWN, None, None),
    };
    UserIdentity {
        identity_type: identity_type.to_owned(),
        principal_id: p.user_id(),
        arn: p.arn(),
        account_id: account,
        access_key_id: Some(p.access_key_id.clone()),
        user_name,
        session_context,
        invoked_by: None,
    }
}

/// One request, as the edge saw it, ready to become its event(s).
pub(crate) struct Call<'a> {
    pub event_source: &'static str,
    pub operation: &'a str,
    pub region: &'a str,
    pub caller: &'a Caller,
    /// Seconds since the epoch when the request arrived (the wall clock, not the dev clock).
    pub time_secs: i64,
    pub source_ip: &'a str,
    pub user_agent: &'a str,
    pub request_id: &'a str,
    pub record: Record,
    /// `(errorCode, errorMessage)` of a refused or failed call.
    pub error: Option<(String, String)>,
}

/// What a protocol module makes of a request and its answer.
#[derive(Debug, Default)]
pub(crate) struct Record {
    pub request_parameters: Value,
    pub response_elements: Value,
    pub resources: Vec<Resource>,
    pub read_only: bool,
}

/// The call's events: one in the caller's account, and one more in every other account that
/// owns a resource it named (CloudTrail delivers a cross-account call to both, with one
/// `sharedEventID`). A caller that could not be attributed to any account gets an event with
/// an empty `recipientAccountId`: it is in the trail files, but no account's `LookupEvents`
/// shows it.
pub(crate) fn events(call: Call<'_>) -> Result<Vec<AuditEvent>, AuditError> {
    let identity = call.caller.identity();
    let mut event = AuditEvent::api_call(
        call.time_secs,
        call.event_source,
        &truncate(call.operation, MAX_OPERATION),
        call.region,
        identity,
    )?;
    event.recipient_account_id = call.caller.account().unwrap_or_default();
    event.source_ip_address = call.source_ip.to_owned();
    event.user_agent = truncate(call.user_agent, MAX_USER_AGENT);
    event.request_id = call.request_id.to_owned();
    event.request_parameters = call.record.request_parameters;
    event.response_elements = call.record.response_elements;
    event.read_only = call.record.read_only;
    event.resources = call.record.resources;
    if let Some((code, message)) = call.error {
        event.error_code = Some(code);
        event.error_message = Some(message);
    }
    let mut others: Vec<String> = Vec::new();
    for resource in &event.resources {
        if resource.account_id != event.recipient_account_id
            && !resource.account_id.is_empty()
            && !others.contains(&resource.account_id)
        {
            others.push(resource.account_id.clone());
        }
    }
    if others.is_empty() {
        return Ok(vec![event]);
    }
    let shared = new_event_id()?;
    event.shared_event_id = Some(shared);
    let mut all = Vec::with_capacity(others.len() + 1);
    for account in others {
        let mut copy = event.clone();
        copy.event_id = new_event_id()?;
        copy.recipient_account_id = account;
        all.push(copy);
    }
    all.insert(0, event);
    Ok(all)
}

/// At most `max` bytes of `s`, cut at a character boundary.
fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    s[..cut].to_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use kmsd_model::Timestamp;

    fn principal(kind: PrincipalKind) -> Principal {
        Principal {
            account: "111122223333".parse().unwrap(),
            kind,
            access_key_id: "AKIAEXAMPLE".into(),
        }
    }

    fn call<'a>(caller: &'a Caller, resources: Vec<Resource>) -> Call<'a> {
        Call {
            event_source: kmsd_audit::EVENT_SOURCE_KMS,
            operation: "Encrypt",
            region: "us-east-1",
            caller,
            time_secs: 1_795_425_308,
            source_ip: "127.0.0.1",
            user_agent: "ua",
            request_id: "rid",
            record: Record {
                resources,
                read_only: true,
                ..Record::default()
            },
            error: None,
        }
    }

    #[test]
    fn identities_have_cloudtrail_shapes() {
        let root = user_identity(&principal(PrincipalKind::Root));
        assert_eq!(root.identity_type, "Root");
        assert_eq!(root.principal_id, "111122223333");
        assert_eq!(root.arn, "arn:aws:iam::111122223333:root");
        let user = user_identity(&principal(PrincipalKind::User {
            path: "/".into(),
            name: "alice".into(),
            user_id: "AIDAX".into(),
        }));
        assert_eq!(
            (user.identity_type.as_str(), user.user_name.as_deref()),
            ("IAMUser", Some("alice"))
        );
        let role = user_identity(&principal(PrincipalKind::AssumedRole {
            role_path: "/".into(),
            role_name: "admin".into(),
            role_id: "AROAX".into(),
            session_name: "s1".into(),
            expires_at: Timestamp(0),
        }));
        assert_eq!(role.principal_id, "AROAX:s1");
        let issuer = role.session_context.unwrap().session_issuer;
        assert_eq!(issuer.arn, "arn:aws:iam::111122223333:role/admin");
        assert_eq!(issuer.user_name, "admin");
    }

    #[test]
    fn a_cross_account_call_is_recorded_in_both_accounts() {
        let caller = Caller::Authenticated(principal(PrincipalKind::Root));
        let resource = |account: &str| Resource {
            account_id: account.into(),
            resource_type: "AWS::KMS::Key".into(),
            arn: format!("arn:aws:kms:us-east-1:{account}:key/k"),
        };
        let one = events(call(&caller, vec![resource("111122223333")])).unwrap();
        assert_eq!(one.len(), 1);
        assert!(one[0].shared_event_id.is_none());
        let two = events(call(&caller, vec![resource("098765432109")])).unwrap();
        assert_eq!(two.len(), 2);
        assert_eq!(two[0].recipient_account_id, "111122223333");
        assert_eq!(two[1].recipient_account_id, "098765432109");
        assert_eq!(two[0].shared_event_id, two[1].shared_event_id);
        assert_ne!(two[0].event_id, two[1].event_id);
    }

    #[test]
    fn an_unattributed_caller_belongs_to_no_account() {
        let caller = Caller::Refused {
            claimed: None,
            access_key_id: Some("AKIA".repeat(100)),
        };
        let events = events(call(&caller, Vec::new())).unwrap();
        assert_eq!(events[0].recipient_account_id, "");
        assert_eq!(events[0].user_identity.identity_type, "Unknown");
        assert_eq!(
            events[0]
                .user_identity
                .access_key_id
                .as_ref()
                .unwrap()
                .len(),
            MAX_ACCESS_KEY_ID
        );
    }
}
