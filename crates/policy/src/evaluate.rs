//! Evaluating requests: one document ([`PolicyDocument::evaluate`]) and AWS's same-account
//! combination of identity and resource policies ([`decide`]).

use crate::condition::KeySource;
use crate::context::{ConditionContext, ContextValues};
#[cfg(doc)]
use crate::document::PolicyKind;
use crate::document::{Effect, PolicyDocument, Statement};
use crate::principal::{AllowedPrincipalMatch, Principal};
use crate::resource::ResourcePattern;
use crate::variables::VarSource;

/// What is being asked: who, which action, on which resource, in which context.
#[derive(Clone, Copy)]
pub struct Request<'a> {
    pub principal: Principal<'a>,
    /// `service:Action`, e.g. `kms:Encrypt` (compared case-insensitively).
    pub action: &'a str,
    /// The resource ARN, or `*` for actions without a resource (e.g. `kms:CreateKey`).
    pub resource: &'a str,
    /// The condition keys of the request. `aws:PrincipalArn` (the role ARN for a role
    /// session), `aws:PrincipalAccount` and `aws:username` (IAM users) are derived from
    /// `principal` when the context lacks them.
    pub context: &'a dyn ConditionContext,
}

impl<'a> Request<'a> {
    pub fn new(
        principal: Principal<'a>,
        action: &'a str,
        resource: &'a str,
        context: &'a dyn ConditionContext,
    ) -> Self {
        Self {
            principal,
            action,
            resource,
            context,
        }
    }
}

impl std::fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("principal", &self.principal)
            .field("action", &self.action)
            .field("resource", &self.resource)
            .finish_non_exhaustive()
    }
}

/// The outcome of one document for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Evaluation {
    /// Some `Deny` statement applies.
    pub explicit_deny: bool,
    /// Some `Allow` statement applies, and how it named the caller ([`AllowedPrincipalMatch::Principal`]
    /// whenever any allowing statement names the caller itself; always `Principal` for identity
    /// policies). `None` whenever `explicit_deny` is set.
    pub allow: Option<AllowedPrincipalMatch>,
}

impl Evaluation {
    /// Allowed by this document alone: an applicable Allow and no applicable Deny.
    pub fn is_allowed(&self) -> bool {
        !self.explicit_deny && self.allow.is_some()
    }
}

/// The combined answer of [`decide`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// A `Deny` statement applies; `in_resource_policy` says where (the resource policy is
    /// reported when both deny).
    ExplicitDeny {
        in_resource_policy: bool,
    },
    /// Nothing allows the request.
    ImplicitDeny,
}

impl PolicyDocument {
    /// Evaluates every statement against `req`. No allocation unless a policy variable or a
    /// `BinaryEquals` value must be resolved.
    pub fn evaluate(&self, req: &Request<'_>) -> Evaluation {
        let view = View {
            principal: req.principal,
            context: req.context,
        };
        let statements = self.statements();
        let denied = statements
            .iter()
            .filter(|s| s.effect == Effect::Deny)
            .any(|s| s.applies(req, &view).is_some());
        if denied {
            return Evaluation {
                explicit_deny: true,
                allow: None,
            };
        }
        let mut allow = None;
        for s in statements.iter().filter(|s| s.effect == Effect::Allow) {
            match s.applies(req, &view) {
                Some(AllowedPrincipalMatch::Principal) => {
                    allow = Some(AllowedPrincipalMatch::Principal);
                    break;
                }
                Some(AllowedPrincipalMatch::Account) => {
                    allow = Some(AllowedPrincipalMatch::Account)
                }
                None => {}
            }
        }
        Evaluation {
            explicit_deny: false,
            allow,
        }
    }
}

impl Statement {
    /// Whether the statement applies to the request, and how it matched the principal.
    fn applies<'a>(&'a self, req: &Request<'_>, view: &View<'a>) -> Option<AllowedPrincipalMatch> {
        let action_listed = self.actions.items.iter().any(|a| a.matches(req.action));
        if action_listed == self.actions.negated {
            return None;
        }
        let how = match &self.principals {
            None => AllowedPrincipalMatch::Principal,
            Some(p) if p.negated => {
                if !p.set.not_principal_applies(&req.principal) {
                    return None;
                }
                AllowedPrincipalMatch::Principal
            }
            Some(p) => p.set.matches(&req.principal)?,
        };
        if let Some(resources) = &self.resources {
            let applies = if resources.negated {
                // A pattern whose variable does not resolve might have excluded the resource.
                resources
                    .items
                    .iter()
                    .all(|r| resolves(r, view) && r.matches(req.resource, view) == Some(false))
            } else {
                resources
                    .items
                    .iter()
                    .any(|r| r.matches(req.resource, view) == Some(true))
            };
            if !applies {
                return None;
            }
        }
        self.conditions.iter().all(|c| c.holds(view)).then_some(how)
    }
}

fn resolves<'a>(pattern: &'a ResourcePattern, view: &View<'a>) -> bool {
    match pattern {
        ResourcePattern::Any => true,
        ResourcePattern::Arn(arn) => arn.resolves(view),
    }
}

/// The request as seen by conditions and policy variables.
struct View<'a> {
    principal: Principal<'a>,
    context: &'a dyn ConditionContext,
}

impl<'a> VarSource<'a> for View<'a> {
    fn single(&self, key: &str) -> Option<&'a str> {
        KeySource::values(self, key).and_then(|v| v.single())
    }
}

impl<'a> KeySource<'a> for View<'a> {
    fn values(&self, key: &str) -> Option<ContextValues<'a>> {
        if let Some(v) = self.context.values(key).filter(|v| !v.is_empty()) {
            return Some(v);
        }
        let p = &self.principal;
        let derived = match key {
            "aws:principalaccount" => Some(p.account),
            "aws:principalarn" => p.role_arn.or(Some(p.arn)).filter(|a| a.starts_with("arn:")),
            "aws:username" => p.user_name(),
            _ => None,
        };
        derived.filter(|v| !v.is_empty()).map(ContextValues::One)
    }
}

/// AWS's decision for a request within one account, from the caller's identity policies and
/// the resource's policy (if the resource has one):
///
/// 1. An applicable `Deny` in any of them → [`Decision::ExplicitDeny`].
/// 2. An identity policy allows → [`Decision::Allow`].
/// 3. The resource policy allows and names the caller itself (its ARN, its role, or `*`) →
///    [`Decision::Allow`], even without an identity-policy allow.
/// 4. Otherwise → [`Decision::ImplicitDeny`]. A resource-policy allow that names only the
///    caller's account delegates to the identity policies, so it adds nothing on its own.
///
/// `identity` are the caller's [`PolicyKind::Identity`] documents (user, group and role
/// policies); `resource` must be a [`PolicyKind::Resource`] document.
///
/// KMS key policies are stricter and are not decided here: AWS KMS requires the key policy
/// itself to allow (directly, or through the account root, which then also requires an
/// identity-policy allow — identity policies alone never grant access to a key). The KMS
/// service implements that rule from the individual [`Evaluation`]s.
pub fn decide(
    identity: &[&PolicyDocument],
    resource: Option<&PolicyDocument>,
    req: &Request<'_>,
) -> Decision {
    let resource_eval = resource.map(|doc| doc.evaluate(req)).unwrap_or_default();
    if resource_eval.explicit_deny {
        return Decision::ExplicitDeny {
            in_resource_policy: true,
        };
    }
    let mut identity_allows = false;
    for doc in identity {
        let e = doc.evaluate(req);
        if e.explicit_deny {
            return Decision::ExplicitDeny {
                in_resource_policy: false,
            };
        }
        identity_allows |= e.allow.is_some();
    }
    if identity_allows || resource_eval.allow == Some(AllowedPrincipalMatch::Principal) {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{ContextMap, EmptyContext};
    use crate::document::PolicyKind;

    const ALICE: Principal<'static> =
        Principal::new("arn:aws:iam::111122223333:user/alice", "111122223333");

    fn req<'a>(action: &'a str, resource: &'a str, ctx: &'a dyn ConditionContext) -> Request<'a> {
        Request::new(ALICE, action, resource, ctx)
    }

    fn identity(text: &str) -> PolicyDocument {
        PolicyDocument::parse(text, PolicyKind::Identity).unwrap()
    }

    #[test]
    fn derived_keys() {
        let ctx = EmptyContext;
        let r = req("kms:Encrypt", "*", &ctx);
        let view = View {
            principal: r.principal,
            context: r.context,
        };
        assert_eq!(view.single("aws:username"), Some("alice"));
        assert_eq!(view.single("aws:principalaccount"), Some("111122223333"));
        assert_eq!(
            view.single("aws:principalarn"),
            Some("arn:aws:iam::111122223333:user/alice")
        );
        let session = View {
            principal: Principal::assumed_role(
                "arn:aws:sts::1:assumed-role/r/s",
                "1",
                "arn:aws:iam::1:role/r",
            ),
            context: &ctx,
        };
        assert_eq!(
            session.single("aws:principalarn"),
            Some("arn:aws:iam::1:role/r")
        );
        assert_eq!(session.single("aws:username"), None);
        // The context wins over derived values.
        let ctx = ContextMap::new().with("aws:username", "override");
        let view = View {
            principal: ALICE,
            context: &ctx,
        };
        assert_eq!(view.single("aws:username"), Some("override"));
    }

    #[test]
    fn deny_reports_no_allow() {
        let doc = identity(
            r#"{"Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"},{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}]}"#,
        );
        let ctx = EmptyContext;
        assert_eq!(
            doc.evaluate(&req("kms:Decrypt", "*", &ctx)),
            Evaluation {
                explicit_deny: true,
                allow: None
            }
        );
        let e = doc.evaluate(&req("kms:Encrypt", "*", &ctx));
        assert!(e.is_allowed());
        assert_eq!(e.allow, Some(AllowedPrincipalMatch::Principal));
    }

    #[test]
    fn not_resource_with_unresolved_variable_does_not_apply() {
        let doc = identity(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"kms:*","NotResource":"arn:aws:kms:*:111122223333:key/${aws:PrincipalTag/key}"}]}"#,
        );
        let ctx = EmptyContext;
        assert!(
            !doc.evaluate(&req(
                "kms:Encrypt",
                "arn:aws:kms:r:111122223333:key/a",
                &ctx
            ))
            .explicit_deny
        );
        let ctx = ContextMap::new().with("aws:PrincipalTag/key", "b");
        assert!(
            doc.evaluate(&req(
                "kms:Encrypt",
                "arn:aws:kms:r:111122223333:key/a",
                &ctx
            ))
            .explicit_deny
        );
        assert!(
            !doc.evaluate(&req(
                "kms:Encrypt",
                "arn:aws:kms:r:111122223333:key/b",
                &ctx
            ))
            .explicit_deny
        );
    }

    #[test]
    fn decide_same_account() {
        let ctx = EmptyContext;
        let r = req("kms:Encrypt", "arn:aws:kms:r:111122223333:key/a", &ctx);
        let allow =
            identity(r#"{"Statement":{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}}"#);
        let deny = identity(r#"{"Statement":{"Effect":"Deny","Action":"kms:*","Resource":"*"}}"#);
        let account = PolicyDocument::parse(
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"}}"#,
            PolicyKind::Resource,
        )
        .unwrap();
        let direct = PolicyDocument::parse(
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"kms:*","Resource":"*"}}"#,
            PolicyKind::Resource,
        )
        .unwrap();
        let resource_deny = PolicyDocument::parse(
            r#"{"Statement":{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*"}}"#,
            PolicyKind::Resource,
        )
        .unwrap();
        assert_eq!(decide(&[], None, &r), Decision::ImplicitDeny);
        assert_eq!(decide(&[&allow], None, &r), Decision::Allow);
        assert_eq!(
            decide(&[&allow, &deny], None, &r),
            Decision::ExplicitDeny {
                in_resource_policy: false
            }
        );
        assert_eq!(decide(&[], Some(&account), &r), Decision::ImplicitDeny);
        assert_eq!(decide(&[&allow], Some(&account), &r), Decision::Allow);
        assert_eq!(decide(&[], Some(&direct), &r), Decision::Allow);
        assert_eq!(
            decide(&[&deny], Some(&direct), &r),
            Decision::ExplicitDeny {
                in_resource_policy: false
            }
        );
        assert_eq!(
            decide(&[&allow, &deny], Some(&resource_deny), &r),
            Decision::ExplicitDeny {
                in_resource_policy: true
            }
        );
    }
}
