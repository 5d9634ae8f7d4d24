//! Why a policy document was refused, worded like IAM's `MalformedPolicyDocument` messages.

/// A policy document that cannot be accepted. [`PolicyError::message`] is the text to return
/// to the client (it reads like the message AWS gives for the same mistake).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PolicyError {
    message: String,
}

impl PolicyError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// The client-facing message, e.g. `Syntax errors in policy.`
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Not JSON at all.
    pub(crate) fn invalid_json() -> Self {
        Self::new("This policy contains invalid Json")
    }

    /// JSON, but not shaped like a policy: unknown members, wrong types, duplicate keys.
    pub(crate) fn syntax() -> Self {
        Self::new("Syntax errors in policy.")
    }

    pub(crate) fn missing_field(field: &str) -> Self {
        Self::new(format!("Missing required field {field}"))
    }

    pub(crate) fn principal_not_allowed() -> Self {
        Self::new("Policy document should not specify a principal.")
    }

    pub(crate) fn duplicate_sid() -> Self {
        Self::new("Statement IDs (SID) in a single policy must be unique.")
    }

    pub(crate) fn sid_not_alphanumeric() -> Self {
        Self::new(
            "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
        )
    }

    pub(crate) fn invalid_version() -> Self {
        Self::new("The policy failed legacy parsing")
    }

    pub(crate) fn invalid_effect(effect: &str) -> Self {
        Self::new(format!("Invalid effect: {effect}"))
    }

    pub(crate) fn no_actions() -> Self {
        Self::new("Policy statement must contain actions.")
    }

    pub(crate) fn no_resources() -> Self {
        Self::new("Policy statement must contain resources.")
    }

    pub(crate) fn no_vendor() -> Self {
        Self::new("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
    }

    pub(crate) fn invalid_vendor(vendor: &str) -> Self {
        Self::new(format!("Vendor {vendor} is not valid"))
    }

    pub(crate) fn invalid_resource(resource: &str) -> Self {
        Self::new(format!(
            "Resource {resource} must be in ARN format or \"*\"."
        ))
    }

    pub(crate) fn invalid_principal(kind: &str, value: &str) -> Self {
        Self::new(format!(
            "Invalid principal in policy: \"{kind}\":\"{value}\""
        ))
    }

    pub(crate) fn invalid_condition_type(operator: &str) -> Self {
        Self::new(format!("Invalid Condition type : {operator}"))
    }

    pub(crate) fn invalid_condition_value(operator: &str, value: &str) -> Self {
        Self::new(format!(
            "Invalid Condition value : {operator} does not accept \"{value}\""
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_the_message() {
        let e = PolicyError::invalid_condition_type("StringEqualz");
        assert_eq!(e.message(), "Invalid Condition type : StringEqualz");
        assert_eq!(e.to_string(), e.message());
    }

    #[test]
    fn principal_message_names_kind_and_value() {
        let e = PolicyError::invalid_principal("AWS", "bob");
        assert_eq!(e.message(), "Invalid principal in policy: \"AWS\":\"bob\"");
    }
}
