//! The caller as the policy engine sees it: its policy principal and the global condition keys
//! (`aws:PrincipalArn`, `aws:userid`, `aws:CurrentTime`, …) every authorization starts from.

use crate::RequestContext;
use kmsd_model::{Principal, PrincipalKind, Timestamp};
use kmsd_policy::ContextMap;

/// The caller's ARNs, owned so a `kmsd_policy::Principal` can borrow them.
pub(crate) struct CallerArns {
    pub arn: String,
    pub account: String,
    pub role_arn: Option<String>,
}

impl CallerArns {
    pub fn of(principal: &Principal) -> CallerArns {
        CallerArns {
            arn: principal.arn(),
            account: principal.account.to_string(),
            role_arn: principal.role_arn(),
        }
    }

    pub fn policy_principal(&self) -> kmsd_policy::Principal<'_> {
        match &self.role_arn {
            Some(role) => kmsd_policy::Principal::assumed_role(&self.arn, &self.account, role),
            None => kmsd_policy::Principal::new(&self.arn, &self.account),
        }
    }
}

/// The global condition keys of a request at `now`.
pub(crate) fn global_context(ctx: &RequestContext, now: Timestamp) -> ContextMap {
    let principal = &ctx.principal;
    let mut context = ContextMap::new();
    if let Some(ip) = ctx.source_ip {
        context.insert("aws:SourceIp", ip.to_string());
    }
    let principal_arn = principal.role_arn().unwrap_or_else(|| principal.arn());
    context
        .insert("aws:PrincipalArn", principal_arn)
        .insert("aws:PrincipalAccount", principal.account.to_string())
        .insert("aws:PrincipalType", principal.principal_type())
        .insert("aws:userid", principal.user_id())
        .insert("aws:CurrentTime", now.iso8601())
        .insert("aws:EpochTime", (now.millis() / 1000).to_string())
        .insert("aws:SecureTransport", "false");
    if let PrincipalKind::User { name, .. } = &principal.kind {
        context.insert("aws:username", name.clone());
    }
    context
}
