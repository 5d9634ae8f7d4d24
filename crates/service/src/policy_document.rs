//! Key policy documents: the default policy, and the checks a document must pass to be stored.
//! Evaluation arrives with the policy crate; until then documents are kept, not enforced.

use crate::KmsError;
use kmsd_model::AccountId;

/// The only policy name KMS has.
pub(crate) const DEFAULT_POLICY_NAME: &str = "default";

/// The largest key policy KMS accepts, in bytes (a fixed quota).
pub(crate) const MAX_POLICY_BYTES: usize = 32_768;

/// `key-default-1`, formatted the way AWS pretty-prints it.
pub(crate) fn default_policy(account: &AccountId) -> String {
    format!(
        "{{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {{\n    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {{\n      \"AWS\" : \"arn:aws:iam::{account}:root\"\n    }},\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  }} ]\n}}"
    )
}

/// Checks size, characters and shape. The document is stored exactly as given.
pub(crate) fn check(policy: &str) -> Result<(), KmsError> {
    if policy.len() > MAX_POLICY_BYTES {
        return Err(KmsError::LimitExceeded(format!(
            "Policy document exceeds the maximum size of {MAX_POLICY_BYTES} bytes."
        )));
    }
    let malformed = |why: &str| Err(KmsError::MalformedPolicyDocument(why.to_owned()));
    if !policy
        .chars()
        .all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}'))
    {
        return malformed("The policy contains characters that are not allowed.");
    }
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(policy) else {
        return malformed("The policy is not a valid JSON document.");
    };
    let Some(object) = doc.as_object() else {
        return malformed("Policy document must be a JSON object.");
    };
    match object.get("Statement") {
        Some(serde_json::Value::Array(statements)) if !statements.is_empty() => {
            if statements.iter().all(statement_has_shape) {
                Ok(())
            } else {
                malformed("Policy statement is missing Effect, Action or Principal.")
            }
        }
        Some(statement @ serde_json::Value::Object(_)) if statement_has_shape(statement) => Ok(()),
        _ => malformed("Policy document must contain a Statement."),
    }
}

fn statement_has_shape(statement: &serde_json::Value) -> bool {
    let Some(s) = statement.as_object() else {
        return false;
    };
    let effect_ok = matches!(
        s.get("Effect").and_then(|e| e.as_str()),
        Some("Allow" | "Deny")
    );
    let action = s.contains_key("Action") || s.contains_key("NotAction");
    let principal = s.contains_key("Principal") || s.contains_key("NotPrincipal");
    effect_ok && action && principal
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy_is_valid_json_naming_the_root() {
        let account: AccountId = "111122223333".parse().unwrap();
        let policy = default_policy(&account);
        check(&policy).unwrap();
        let v: serde_json::Value = serde_json::from_str(&policy).unwrap();
        assert_eq!(v["Id"], "key-default-1");
        assert_eq!(
            v["Statement"][0]["Principal"]["AWS"],
            "arn:aws:iam::111122223333:root"
        );
    }

    #[test]
    fn rejects_malformed_and_oversized_documents() {
        assert!(matches!(
            check("{"),
            Err(KmsError::MalformedPolicyDocument(_))
        ));
        assert!(matches!(
            check("[]"),
            Err(KmsError::MalformedPolicyDocument(_))
        ));
        assert!(matches!(
            check("{\"Statement\":[]}"),
            Err(KmsError::MalformedPolicyDocument(_))
        ));
        let big = format!("{{\"x\":\"{}\"}}", "a".repeat(MAX_POLICY_BYTES));
        assert!(matches!(check(&big), Err(KmsError::LimitExceeded(_))));
    }
}
