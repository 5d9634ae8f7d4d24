//! Action patterns (`Action`/`NotAction`): `service:Action` with `*`/`?` wildcards, compared
//! case-insensitively; `*` alone matches every action. Policy variables do not apply here.

use crate::PolicyError;
use crate::glob::Pattern;

/// One compiled entry of an `Action` or `NotAction` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ActionPattern {
    pattern: Pattern,
}

impl ActionPattern {
    /// Validates and compiles an action string as IAM does: `*`, or a vendor prefix, a colon
    /// and an action name.
    pub(crate) fn parse(text: &str) -> Result<Self, PolicyError> {
        if text != "*" {
            let Some((vendor, name)) = text.split_once(':') else {
                return Err(PolicyError::no_vendor());
            };
            if vendor.is_empty() || name.is_empty() {
                return Err(PolicyError::no_vendor());
            }
            if !vendor
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '*' | '?'))
            {
                return Err(PolicyError::invalid_vendor(vendor));
            }
        }
        Ok(Self {
            pattern: Pattern::new(text),
        })
    }

    /// Whether the request's action (`kms:Encrypt`) matches.
    pub(crate) fn matches(&self, action: &str) -> bool {
        self.pattern.matches(action, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, action: &str) -> bool {
        ActionPattern::parse(pattern).unwrap().matches(action)
    }

    #[test]
    fn wildcards_and_case() {
        assert!(m("*", "kms:Encrypt"));
        assert!(m("kms:*", "kms:Encrypt"));
        assert!(m("KMS:encrypt", "kms:Encrypt"));
        assert!(m("kms:ReEncrypt*", "kms:ReEncryptFrom"));
        assert!(m(
            "kms:GenerateDataKey*",
            "kms:GenerateDataKeyPairWithoutPlaintext"
        ));
        assert!(m("kms:Describe?ey", "kms:DescribeKey"));
        assert!(!m("kms:Encrypt", "kms:Decrypt"));
        assert!(!m("kms:*", "iam:CreateUser"));
        assert!(!m("kms:Create*", "kms:Encrypt"));
        assert!(m("*:Encrypt", "kms:Encrypt"));
    }

    #[test]
    fn validation() {
        for bad in ["", "Encrypt", ":Encrypt", "kms:", "kms"] {
            assert_eq!(
                ActionPattern::parse(bad).unwrap_err().message(),
                "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
                "{bad:?}"
            );
        }
        assert_eq!(
            ActionPattern::parse("k ms:Encrypt").unwrap_err().message(),
            "Vendor k ms is not valid"
        );
        assert!(ActionPattern::parse("kms:Encrypt").is_ok());
        assert!(ActionPattern::parse("kms-foo:Encrypt").is_ok());
    }
}
