//! Resource patterns (`Resource`/`NotResource`): `*` (any run of stars), or an ARN pattern (see [`crate::arn`]),
//! with policy variables in `2012-10-17` documents.

use crate::PolicyError;
use crate::arn::ArnPattern;
use crate::variables::VarSource;

/// One compiled entry of a `Resource` or `NotResource` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ResourcePattern {
    /// `*`: every resource, including the `*` of actions that have none.
    Any,
    Arn(ArnPattern),
}

impl ResourcePattern {
    pub(crate) fn parse(text: &str, variables: bool) -> Result<Self, PolicyError> {
        if !text.is_empty() && text.bytes().all(|b| b == b'*') {
            return Ok(Self::Any);
        }
        if !text.starts_with("arn:") {
            return Err(PolicyError::invalid_resource(text));
        }
        Ok(Self::Arn(ArnPattern::new(text, variables)))
    }

    /// Whether the request's resource matches; `None` when a variable does not resolve.
    pub(crate) fn matches<'a>(&'a self, resource: &str, src: &impl VarSource<'a>) -> Option<bool> {
        match self {
            Self::Any => Some(true),
            Self::Arn(p) => p.matches(resource, src),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct User(&'static str);
    impl<'a> VarSource<'a> for User {
        fn single(&self, key: &str) -> Option<&'a str> {
            (key == "aws:username").then_some(self.0)
        }
    }

    #[test]
    fn any_and_arn() {
        assert_eq!(
            ResourcePattern::parse("**", true).unwrap(),
            ResourcePattern::Any
        );
        let any = ResourcePattern::parse("*", true).unwrap();
        assert_eq!(any.matches("*", &User("a")), Some(true));
        assert_eq!(any.matches("arn:aws:kms:r:1:key/x", &User("a")), Some(true));
        let arn = ResourcePattern::parse("arn:aws:kms:*:1:key/*", true).unwrap();
        assert_eq!(arn.matches("arn:aws:kms:r:1:key/x", &User("a")), Some(true));
        assert_eq!(arn.matches("*", &User("a")), Some(false));
    }

    #[test]
    fn variables_only_when_enabled() {
        let p = ResourcePattern::parse("arn:aws:iam::1:user/${aws:username}", true).unwrap();
        assert_eq!(
            p.matches("arn:aws:iam::1:user/alice", &User("alice")),
            Some(true)
        );
        assert_eq!(
            p.matches("arn:aws:iam::1:user/bob", &User("alice")),
            Some(false)
        );
        let p = ResourcePattern::parse("arn:aws:iam::1:user/${aws:username}", false).unwrap();
        assert_eq!(
            p.matches("arn:aws:iam::1:user/alice", &User("alice")),
            Some(false)
        );
        assert_eq!(
            p.matches("arn:aws:iam::1:user/${aws:username}", &User("alice")),
            Some(true)
        );
    }

    #[test]
    fn must_be_an_arn() {
        for bad in ["", "key/1", "ARN:aws:kms:r:1:key/x", "*:*"] {
            assert_eq!(
                ResourcePattern::parse(bad, true).unwrap_err().message(),
                format!("Resource {bad} must be in ARN format or \"*\"."),
            );
        }
    }
}
