//! KMS requests as events: which operations are read-only, which keys a call concerns, and
//! what of its answer is recorded.

use super::Record;
use super::params::{clean_value, json_parameters};
use kmsd_audit::Resource;
use kmsd_model::KeyReference;
use serde_json::Value;
use std::fmt::Write as _;

/// `resources[].type` of a KMS key.
pub(crate) const KEY_RESOURCE_TYPE: &str = "AWS::KMS::Key";

/// Request members that name a key.
const KEY_MEMBERS: &[&str] = &["keyId", "targetKeyId", "sourceKeyId", "destinationKeyId"];

/// CloudTrail's `readOnly` of a KMS operation: reads, and the cryptographic operations (they
/// use a key without changing it).
pub(crate) fn read_only(operation: &str) -> bool {
    operation.starts_with("Describe")
        || operation.starts_with("List")
        || operation.starts_with("Get")
        || matches!(
            operation,
            "Encrypt"
                | "Decrypt"
                | "ReEncrypt"
                | "GenerateDataKey"
                | "GenerateDataKeyWithoutPlaintext"
                | "GenerateDataKeyPair"
                | "GenerateDataKeyPairWithoutPlaintext"
                | "GenerateRandom"
                | "GenerateMac"
                | "VerifyMac"
                | "Sign"
                | "Verify"
                | "DeriveSharedSecret"
        )
}

/// The record of a KMS call. `body` is the request body if it was read; `response` the answer
/// of a call that succeeded; `caller_account` the account a bare key id belongs to.
pub(crate) fn kms_call(
    operation: &str,
    caller_account: Option<&str>,
    region: &str,
    body: Option<&[u8]>,
    response: Option<&Value>,
) -> Record {
    let read_only = read_only(operation);
    let request_parameters = body.map_or(Value::Null, json_parameters);
    let mut resources = Vec::new();
    for member in KEY_MEMBERS {
        if let Some(reference) = request_parameters.get(*member).and_then(Value::as_str) {
            add_key(&mut resources, reference, caller_account, region);
        }
    }
    let response_elements = match response {
        Some(out) => {
            for member in ["KeyId", "SourceKeyId"] {
                if let Some(arn) = out.get(member).and_then(Value::as_str) {
                    add_key(&mut resources, arn, caller_account, region);
                }
            }
            let metadata_arn = out.get("KeyMetadata").and_then(|m| m.get("Arn"));
            if let Some(arn) = metadata_arn.and_then(Value::as_str) {
                add_key(&mut resources, arn, caller_account, region);
            }
            if read_only {
                Value::Null
            } else {
                clean_value(out)
            }
        }
        None => Value::Null,
    };
    Record {
        request_parameters,
        response_elements,
        resources,
        read_only,
    }
}

/// Adds the key a reference names, if it names one directly (an alias names no key until it is
/// resolved: the key then appears in the response).
fn add_key(
    resources: &mut Vec<Resource>,
    reference: &str,
    caller_account: Option<&str>,
    region: &str,
) {
    let (arn, account) = match key_arn_account(reference) {
        // A key ARN is recorded as named, without a parse and re-format (the response's
        // `KeyId` of every crypto operation is one).
        Some(account) => (reference.to_owned(), account.to_owned()),
        None => match (KeyReference::parse(reference), caller_account) {
            (Ok(KeyReference::Id(id)), Some(account)) => {
                let mut arn = String::with_capacity(60 + region.len());
                for part in ["arn:aws:kms:", region, ":", account, ":key/"] {
                    arn.push_str(part);
                }
                let _ = write!(arn, "{id}");
                (arn, account.to_owned())
            }
            _ => return,
        },
    };
    if resources.iter().any(|r| r.arn.eq_ignore_ascii_case(&arn)) {
        return;
    }
    resources.push(Resource {
        account_id: account,
        resource_type: KEY_RESOURCE_TYPE.to_owned(),
        arn,
    });
}

/// The account of a string shaped like a key ARN (`arn:PARTITION:kms:REGION:ACCOUNT:key/ID`,
/// the account twelve digits), if it is one.
fn key_arn_account(reference: &str) -> Option<&str> {
    let mut parts = reference.splitn(6, ':');
    let (arn, _partition, service, _region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let is_key = arn == "arn"
        && service == "kms"
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && resource.len() > "key/".len()
        && resource.starts_with("key/");
    is_key.then_some(account)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEY: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

    /// The record of a call by account 111122223333.
    fn call(operation: &str, region: &str, body: &str, response: Option<&Value>) -> Record {
        kms_call(
            operation,
            Some("111122223333"),
            region,
            Some(body.as_bytes()),
            response,
        )
    }

    #[test]
    fn crypto_operations_record_no_response_and_name_their_key() {
        let body = r#"{"KeyId":"alias/x","Plaintext":"c2VjcmV0"}"#;
        let arn = format!("arn:aws:kms:us-east-1:111122223333:key/{KEY}");
        let response = json!({"CiphertextBlob": "YmxvYg==", "KeyId": arn});
        let record = call("Encrypt", "us-east-1", body, Some(&response));
        assert!(record.read_only);
        assert_eq!(record.response_elements, Value::Null);
        assert_eq!(record.request_parameters, json!({"keyId": "alias/x"}));
        assert_eq!(record.resources.len(), 1);
        assert_eq!(record.resources[0].arn, arn);
        assert_eq!(record.resources[0].resource_type, "AWS::KMS::Key");
    }

    #[test]
    fn a_bare_key_id_is_in_the_callers_account_and_an_arn_in_its_own() {
        let body = format!(r#"{{"KeyId":"{KEY}"}}"#);
        let record = call("DisableKey", "eu-west-1", &body, None);
        assert!(!record.read_only);
        assert_eq!(
            record.resources[0].arn,
            format!("arn:aws:kms:eu-west-1:111122223333:key/{KEY}")
        );
        let other = format!(r#"{{"KeyId":"arn:aws:kms:eu-west-1:098765432109:key/{KEY}"}}"#);
        let record = call("Decrypt", "eu-west-1", &other, None);
        assert_eq!(record.resources[0].account_id, "098765432109");
    }

    #[test]
    fn key_arns_are_recognised_by_shape_and_others_are_not() {
        let arn = format!("arn:aws:kms:us-east-1:111122223333:key/{KEY}");
        assert_eq!(key_arn_account(&arn), Some("111122223333"));
        for not_a_key_arn in [
            "arn:aws:kms:us-east-1:111122223333:alias/app",
            "arn:aws:kms:us-east-1:evil:key/x",
            "arn:aws:iam::111122223333:key/x",
            "arn:aws:kms:us-east-1:111122223333:key/",
            KEY,
            "alias/app",
        ] {
            assert_eq!(key_arn_account(not_a_key_arn), None, "{not_a_key_arn}");
        }
        // The request's ARN and the response's are one resource.
        let body = format!(r#"{{"KeyId":"{arn}"}}"#);
        let response = json!({"KeyId": arn});
        let record = call("Encrypt", "us-east-1", &body, Some(&response));
        assert_eq!(record.resources.len(), 1);
    }

    #[test]
    fn changes_record_their_response_without_secrets() {
        let response = json!({"KeyMetadata": {"KeyId": KEY, "Arn": format!("arn:aws:kms:us-east-1:111122223333:key/{KEY}")}});
        let record = kms_call(
            "CreateKey",
            Some("111122223333"),
            "us-east-1",
            Some(b"{}"),
            Some(&response),
        );
        assert_eq!(record.response_elements["keyMetadata"]["keyId"], KEY);
        assert_eq!(record.resources.len(), 1);
        let grant = json!({"GrantId": "g", "GrantToken": "secret-ish"});
        let record = kms_call("CreateGrant", None, "us-east-1", None, Some(&grant));
        assert_eq!(record.response_elements, json!({"grantId": "g"}));
    }
}
