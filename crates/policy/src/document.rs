//! Policy documents: parsing and validating the JSON into compiled statements.

use std::collections::HashSet;

use crate::PolicyError;
use crate::action::ActionPattern;
use crate::condition::{self, Condition};
use crate::json::{self, Json};
use crate::principal::{PrincipalEntry, PrincipalSet};
use crate::resource::ResourcePattern;

/// Which kind of policy a document is, which decides whether statements name principals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// Attached to an IAM user, group or role (inline or managed): no `Principal`.
    Identity,
    /// Attached to a resource (a KMS key policy, a role's trust policy): every statement has
    /// `Principal` or `NotPrincipal`.
    Resource,
}

/// The policy language version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// `2008-10-17`, the default when `Version` is absent: no policy variables.
    V2008_10_17,
    /// `2012-10-17`: policy variables in `Resource` and condition values.
    V2012_10_17,
}

impl Version {
    /// The version string as written in policies.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::V2008_10_17 => "2008-10-17",
            Self::V2012_10_17 => "2012-10-17",
        }
    }

    /// Whether `${…}` policy variables are substituted.
    pub const fn has_variables(self) -> bool {
        matches!(self, Self::V2012_10_17)
    }
}

/// A statement's effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    Allow,
    Deny,
}

/// How strictly to parse. [`ParseOptions::new`] gives what AWS does for each kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    pub kind: PolicyKind,
    /// Every statement must have `Resource` or `NotResource`. Default: identity policies yes;
    /// resource policies no (role trust policies have none; a missing `Resource` means `*`).
    /// KMS key policies, which AWS requires to say `"Resource": "*"`, may turn it on.
    pub require_resource: bool,
    /// `Sid`s must match `[0-9A-Za-z]*`, as IAM requires of its own policies. Default: identity
    /// policies yes, resource policies no (KMS key policies use Sids such as
    /// `"Enable IAM User Permissions"`); the IAM trust-policy caller may turn it on.
    pub alphanumeric_sids: bool,
}

impl ParseOptions {
    /// AWS's rules for `kind`.
    pub const fn new(kind: PolicyKind) -> Self {
        let identity = matches!(kind, PolicyKind::Identity);
        Self {
            kind,
            require_resource: identity,
            alphanumeric_sids: identity,
        }
    }
}

/// A statement's `Principal` or `NotPrincipal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalElement<'a> {
    Principal(&'a [PrincipalEntry]),
    NotPrincipal(&'a [PrincipalEntry]),
}

/// A list element that may be negated (`Action`/`NotAction`, `Resource`/`NotResource`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Element<T> {
    pub(crate) negated: bool,
    pub(crate) items: Vec<T>,
}

/// The compiled principal part of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Principals {
    pub(crate) negated: bool,
    pub(crate) set: PrincipalSet,
}

/// One compiled statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    sid: Option<String>,
    pub(crate) effect: Effect,
    pub(crate) principals: Option<Principals>,
    pub(crate) actions: Element<ActionPattern>,
    /// `None`: no `Resource` element (resource policies), which means every resource.
    pub(crate) resources: Option<Element<ResourcePattern>>,
    pub(crate) conditions: Vec<Condition>,
}

impl Statement {
    /// The statement id, if any.
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }

    /// `Allow` or `Deny`.
    pub fn effect(&self) -> Effect {
        self.effect
    }

    /// The principals the statement names (resource policies only).
    pub fn principal(&self) -> Option<PrincipalElement<'_>> {
        self.principals.as_ref().map(|p| {
            if p.negated {
                PrincipalElement::NotPrincipal(p.set.entries())
            } else {
                PrincipalElement::Principal(p.set.entries())
            }
        })
    }
}

/// A parsed, validated policy, ready to evaluate requests.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDocument {
    kind: PolicyKind,
    version: Version,
    id: Option<String>,
    statements: Vec<Statement>,
}

impl PolicyDocument {
    /// Parses `json` with AWS's rules for `kind` ([`ParseOptions::new`]).
    pub fn parse(json: &str, kind: PolicyKind) -> Result<Self, PolicyError> {
        Self::parse_with(json, ParseOptions::new(kind))
    }

    /// Parses `json` with explicit options.
    pub fn parse_with(json: &str, options: ParseOptions) -> Result<Self, PolicyError> {
        let root = json::parse(json)?;
        let Json::Object(members) = root else {
            return Err(PolicyError::syntax());
        };
        let mut version = None;
        let mut id = None;
        let mut statement = None;
        for (name, value) in &members {
            match name.as_str() {
                "Version" => version = Some(value),
                "Id" => id = Some(value),
                "Statement" => statement = Some(value),
                _ => return Err(PolicyError::syntax()),
            }
        }
        let version = match version {
            None => Version::V2008_10_17,
            Some(Json::String(v)) if v == "2012-10-17" => Version::V2012_10_17,
            Some(Json::String(v)) if v == "2008-10-17" => Version::V2008_10_17,
            Some(Json::String(_)) => return Err(PolicyError::invalid_version()),
            Some(_) => return Err(PolicyError::syntax()),
        };
        let id = match id {
            None => None,
            Some(Json::String(s)) => Some(s.clone()),
            Some(_) => return Err(PolicyError::syntax()),
        };
        let raw_statements: Vec<&Json> = match statement {
            None => return Err(PolicyError::missing_field("Statement")),
            Some(single @ Json::Object(_)) => vec![single],
            Some(Json::Array(items)) if !items.is_empty() => items.iter().collect(),
            Some(_) => return Err(PolicyError::syntax()),
        };
        let mut sids = HashSet::new();
        let mut statements = Vec::with_capacity(raw_statements.len());
        for raw in raw_statements {
            let statement = parse_statement(raw, options, version)?;
            if let Some(sid) = &statement.sid
                && !sids.insert(sid.clone())
            {
                return Err(PolicyError::duplicate_sid());
            }
            statements.push(statement);
        }
        Ok(Self {
            kind: options.kind,
            version,
            id,
            statements,
        })
    }

    /// Identity or resource policy.
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    /// The language version (2008-10-17 when the document has none).
    pub fn version(&self) -> Version {
        self.version
    }

    /// The `Id` element.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The statements, in document order.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// Whether evaluating this document can read the request's condition context: it has a
    /// `Condition`, or an ARN resource pattern that may hold policy variables. When false the
    /// caller may evaluate with an empty context and get the same answer, which keeps the hot
    /// path free of building one.
    pub fn uses_context(&self) -> bool {
        let variables = self.version.has_variables();
        self.statements.iter().any(|s| {
            !s.conditions.is_empty()
                || (variables
                    && s.resources.as_ref().is_some_and(|r| {
                        r.items
                            .iter()
                            .any(|p| matches!(p, crate::resource::ResourcePattern::Arn(_)))
                    }))
        })
    }
}

fn parse_statement(
    value: &Json,
    options: ParseOptions,
    version: Version,
) -> Result<Statement, PolicyError> {
    let Json::Object(members) = value else {
        return Err(PolicyError::syntax());
    };
    let mut sid = None;
    let mut effect = None;
    let (mut principal, mut not_principal) = (None, None);
    let (mut action, mut not_action) = (None, None);
    let (mut resource, mut not_resource) = (None, None);
    let mut condition = None;
    for (name, value) in members {
        let slot = match name.as_str() {
            "Sid" => &mut sid,
            "Effect" => &mut effect,
            "Principal" => &mut principal,
            "NotPrincipal" => &mut not_principal,
            "Action" => &mut action,
            "NotAction" => &mut not_action,
            "Resource" => &mut resource,
            "NotResource" => &mut not_resource,
            "Condition" => &mut condition,
            _ => return Err(PolicyError::syntax()),
        };
        *slot = Some(value);
    }

    let effect = match effect {
        None => return Err(PolicyError::missing_field("Effect")),
        Some(Json::String(e)) if e == "Allow" => Effect::Allow,
        Some(Json::String(e)) if e == "Deny" => Effect::Deny,
        Some(Json::String(e)) => return Err(PolicyError::invalid_effect(e)),
        Some(_) => return Err(PolicyError::syntax()),
    };

    let principals = match (options.kind, principal, not_principal) {
        (PolicyKind::Identity, None, None) => None,
        (PolicyKind::Identity, _, _) => return Err(PolicyError::principal_not_allowed()),
        (PolicyKind::Resource, Some(_), Some(_)) => return Err(PolicyError::syntax()),
        (PolicyKind::Resource, None, None) => return Err(PolicyError::missing_field("Principal")),
        (PolicyKind::Resource, Some(p), None) => Some(Principals {
            negated: false,
            set: PrincipalSet::parse(p)?,
        }),
        (PolicyKind::Resource, None, Some(p)) => Some(Principals {
            negated: true,
            set: PrincipalSet::parse(p)?,
        }),
    };

    let sid = match sid {
        None => None,
        Some(Json::String(s)) => {
            if options.alphanumeric_sids && !s.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(PolicyError::sid_not_alphanumeric());
            }
            Some(s.clone())
        }
        Some(_) => return Err(PolicyError::syntax()),
    };

    let actions = match (action, not_action) {
        (Some(_), Some(_)) => return Err(PolicyError::syntax()),
        (None, None) => return Err(PolicyError::no_actions()),
        (Some(v), None) | (None, Some(v)) => Element {
            negated: not_action.is_some(),
            items: strings(v, PolicyError::no_actions)?
                .into_iter()
                .map(ActionPattern::parse)
                .collect::<Result<_, _>>()?,
        },
    };

    let variables = version.has_variables();
    let resources = match (resource, not_resource) {
        (Some(_), Some(_)) => return Err(PolicyError::syntax()),
        (None, None) if options.require_resource => return Err(PolicyError::no_resources()),
        (None, None) => None,
        (Some(v), None) | (None, Some(v)) => Some(Element {
            negated: not_resource.is_some(),
            items: strings(v, PolicyError::no_resources)?
                .into_iter()
                .map(|r| ResourcePattern::parse(r, variables))
                .collect::<Result<_, _>>()?,
        }),
    };

    let conditions = match condition {
        None => Vec::new(),
        Some(c) => condition::parse_block(c, variables)?,
    };

    Ok(Statement {
        sid,
        effect,
        principals,
        actions,
        resources,
        conditions,
    })
}

/// A string or a non-empty list of strings; `empty` is the error for an empty list.
fn strings(value: &Json, empty: fn() -> PolicyError) -> Result<Vec<&str>, PolicyError> {
    match value {
        Json::String(s) => Ok(vec![s.as_str()]),
        Json::Array(items) if items.is_empty() => Err(empty()),
        Json::Array(items) => items
            .iter()
            .map(|item| match item {
                Json::String(s) => Ok(s.as_str()),
                _ => Err(PolicyError::syntax()),
            })
            .collect(),
        _ => Err(PolicyError::syntax()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_POLICY: &str = r#"{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}"#;

    fn identity_err(text: &str) -> String {
        PolicyDocument::parse(text, PolicyKind::Identity)
            .unwrap_err()
            .message()
            .to_owned()
    }

    fn resource_err(text: &str) -> String {
        PolicyDocument::parse(text, PolicyKind::Resource)
            .unwrap_err()
            .message()
            .to_owned()
    }

    #[test]
    fn default_key_policy() {
        let doc = PolicyDocument::parse(KEY_POLICY, PolicyKind::Resource).unwrap();
        assert_eq!(doc.version(), Version::V2012_10_17);
        assert_eq!(doc.id(), Some("key-default-1"));
        assert_eq!(doc.kind(), PolicyKind::Resource);
        let [s] = doc.statements() else {
            panic!("one statement")
        };
        assert_eq!(s.sid(), Some("Enable IAM User Permissions"));
        assert_eq!(s.effect(), Effect::Allow);
        assert_eq!(
            s.principal(),
            Some(PrincipalElement::Principal(&[PrincipalEntry::Account(
                "111122223333".into()
            )]))
        );
    }

    #[test]
    fn single_statement_object_and_default_version() {
        let doc = PolicyDocument::parse(
            r#"{"Statement":{"Effect":"Deny","NotAction":"kms:Decrypt","NotResource":["arn:aws:kms:*:1:key/a"]}}"#,
            PolicyKind::Identity,
        )
        .unwrap();
        assert_eq!(doc.version(), Version::V2008_10_17);
        assert!(!doc.version().has_variables());
        assert_eq!(doc.version().as_str(), "2008-10-17");
        assert_eq!(doc.statements().len(), 1);
        assert_eq!(doc.statements()[0].principal(), None);
        assert!(doc.statements()[0].actions.negated);
        assert!(doc.statements()[0].resources.as_ref().unwrap().negated);
    }

    #[test]
    fn resource_is_optional_in_resource_policies() {
        let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::098765432109:root"},"Action":"sts:AssumeRole"}]}"#;
        let doc = PolicyDocument::parse(trust, PolicyKind::Resource).unwrap();
        assert!(doc.statements()[0].resources.is_none());
        let mut strict = ParseOptions::new(PolicyKind::Resource);
        strict.require_resource = true;
        assert_eq!(
            PolicyDocument::parse_with(trust, strict)
                .unwrap_err()
                .message(),
            "Policy statement must contain resources."
        );
        assert_eq!(
            identity_err(r#"{"Statement":[{"Effect":"Allow","Action":"kms:*"}]}"#),
            "Policy statement must contain resources."
        );
    }

    #[test]
    fn principals_by_kind() {
        assert_eq!(
            identity_err(KEY_POLICY),
            "Policy document should not specify a principal."
        );
        assert_eq!(
            identity_err(
                r#"{"Statement":[{"Effect":"Allow","NotPrincipal":"*","Action":"kms:*","Resource":"*"}]}"#
            ),
            "Policy document should not specify a principal."
        );
        assert_eq!(
            resource_err(r#"{"Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#),
            "Missing required field Principal"
        );
        assert_eq!(
            resource_err(
                r#"{"Statement":[{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"kms:*","Resource":"*"}]}"#
            ),
            "Syntax errors in policy."
        );
    }

    #[test]
    fn sids() {
        let dup = r#"{"Statement":[{"Sid":"A","Effect":"Allow","Action":"kms:*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"kms:*","Resource":"*"}]}"#;
        assert_eq!(
            identity_err(dup),
            "Statement IDs (SID) in a single policy must be unique."
        );
        let spaced = r#"{"Statement":[{"Sid":"Allow use","Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#;
        assert!(identity_err(spaced).starts_with("Statement IDs (SID) must be alpha-numeric."));
        let mut lenient = ParseOptions::new(PolicyKind::Identity);
        lenient.alphanumeric_sids = false;
        assert!(PolicyDocument::parse_with(spaced, lenient).is_ok());
        // Statements without Sid never clash.
        assert!(
            PolicyDocument::parse(
                r#"{"Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"},{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#,
                PolicyKind::Identity
            )
            .is_ok()
        );
    }

    #[test]
    fn malformed_documents() {
        let cases: &[(&str, &str)] = &[
            ("not json", "This policy contains invalid Json"),
            ("[]", "Syntax errors in policy."),
            (
                r#"{"Version":"2012-10-17"}"#,
                "Missing required field Statement",
            ),
            (r#"{"Statement":[]}"#, "Syntax errors in policy."),
            (r#"{"Statement":"x"}"#, "Syntax errors in policy."),
            (r#"{"Statement":["x"]}"#, "Syntax errors in policy."),
            (
                r#"{"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}"#,
                "The policy failed legacy parsing",
            ),
            (
                r#"{"Version":2012,"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}"#,
                "Syntax errors in policy.",
            ),
            (
                r#"{"Id":1,"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}"#,
                "Syntax errors in policy.",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"},"Extra":1}"#,
                "Syntax errors in policy.",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*","Resources":"*"}}"#,
                "Syntax errors in policy.",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*","effect":"Deny"}}"#,
                "Syntax errors in policy.",
            ),
            (
                r#"{"Statement":{"Action":"kms:*","Resource":"*"}}"#,
                "Missing required field Effect",
            ),
            (
                r#"{"Statement":{"Effect":"allow","Action":"kms:*","Resource":"*"}}"#,
                "Invalid effect: allow",
            ),
            (
                r#"{"Statement":{"Effect":true,"Action":"kms:*","Resource":"*"}}"#,
                "Syntax errors in policy.",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Resource":"*"}}"#,
                "Policy statement must contain actions.",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}"#,
                "Policy statement must contain actions.",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"kms:*","NotAction":"kms:Decrypt","Resource":"*"}}"#,
                "Syntax errors in policy.",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":[1],"Resource":"*"}}"#,
                "Syntax errors in policy.",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"Encrypt","Resource":"*"}}"#,
                "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":[]}}"#,
                "Policy statement must contain resources.",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*","NotResource":"*"}}"#,
                "Syntax errors in policy.",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"key/1"}}"#,
                "Resource key/1 must be in ARN format or \"*\".",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"a"}}}}"#,
                "Invalid Condition type : StringEqualz",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*","Sid":7}}"#,
                "Syntax errors in policy.",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Effect":"Deny","Action":"kms:*","Resource":"*"}}"#,
                "Syntax errors in policy.",
            ),
        ];
        for (text, message) in cases {
            assert_eq!(identity_err(text), *message, "{text}");
        }
    }

    #[test]
    fn variables_follow_the_version() {
        let text = |version: &str| {
            format!(
                r#"{{"Version":"{version}","Statement":{{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::1:user/${{aws:username}}"}}}}"#
            )
        };
        let new = PolicyDocument::parse(&text("2012-10-17"), PolicyKind::Identity).unwrap();
        let old = PolicyDocument::parse(&text("2008-10-17"), PolicyKind::Identity).unwrap();
        assert_ne!(new.statements()[0].resources, old.statements()[0].resources);
    }

    #[test]
    fn knows_when_it_reads_the_context() {
        let plain = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}"#;
        assert!(
            !PolicyDocument::parse(plain, PolicyKind::Resource)
                .unwrap()
                .uses_context()
        );
        let conditional = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"111122223333"}}}]}"#;
        assert!(
            PolicyDocument::parse(conditional, PolicyKind::Resource)
                .unwrap()
                .uses_context()
        );
        let variable = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::111122223333:user/${aws:username}"}]}"#;
        assert!(
            PolicyDocument::parse(variable, PolicyKind::Identity)
                .unwrap()
                .uses_context()
        );
    }
}
