//! Key policy documents: the default policy, the checks a document must pass to be stored, and
//! parsing for evaluation (see `authorize.rs`).

use crate::KmsError;
use kmsd_model::AccountId;
use kmsd_policy::{PolicyDocument, PolicyKind};

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

/// Checks size and characters, then parses the document as a resource policy. The document is
/// stored exactly as given.
pub(crate) fn check(policy: &str) -> Result<PolicyDocument, KmsError> {
    if policy.len() > MAX_POLICY_BYTES {
        return Err(KmsError::LimitExceeded(format!(
            "Policy document exceeds the maximum size of {MAX_POLICY_BYTES} bytes."
        )));
    }
    if !policy
        .chars()
        .all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}'))
    {
        return Err(KmsError::MalformedPolicyDocument(
            "The policy contains characters that are not allowed.".to_owned(),
        ));
    }
    PolicyDocument::parse(policy, PolicyKind::Resource)
        .map_err(|e| KmsError::MalformedPolicyDocument(e.message().to_owned()))
}

impl crate::Kms {
    /// Every IAM user and role a key policy names must exist, as AWS KMS checks.
    pub(crate) async fn check_policy_principals(
        &self,
        policy: &PolicyDocument,
    ) -> Result<(), KmsError> {
        match self.iam.first_unknown_principal(policy).await? {
            Some(_) => Err(KmsError::MalformedPolicyDocument(
                "Policy contains a statement with one or more invalid principals.".to_owned(),
            )),
            None => Ok(()),
        }
    }
}

/// Parses a stored policy for evaluation. A document that no longer parses allows nothing;
/// that is logged, never silently widened.
pub(crate) fn parse_stored(policy: &str, key_arn: &str) -> Option<PolicyDocument> {
    match PolicyDocument::parse(policy, PolicyKind::Resource) {
        Ok(doc) => Some(doc),
        Err(e) => {
            tracing::error!(
                key = key_arn,
                error = e.message(),
                "stored key policy does not parse; denying all access"
            );
            None
        }
    }
}

#[cfg(test)]
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
        let no_principal = r#"{"Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#;
        assert!(matches!(
            check(no_principal),
            Err(KmsError::MalformedPolicyDocument(_))
        ));
        let big = format!("{{\"x\":\"{}\"}}", "a".repeat(MAX_POLICY_BYTES));
        assert!(matches!(check(&big), Err(KmsError::LimitExceeded(_))));
    }
}
