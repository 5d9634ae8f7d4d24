//! Who may do what to a key: the key policy, then (when it delegates to the account) the
//! caller's IAM policies — AWS KMS's rule. Operations that name no key (CreateKey, ListKeys,
//! ListAliases, GenerateRandom) and the alias half of alias operations are decided by IAM
//! policies alone. Grants join here with the grants issue.

use crate::caller::{CallerArns, global_context};
use crate::identity::IdentityVerdict;
use crate::key_cache::CachedKey;
use crate::{Kms, KmsError, RequestContext};
use kmsd_model::EncryptionContext;
use kmsd_policy::{AllowedPrincipalMatch, ContextMap, Request};

/// The actions AWS KMS allows on a key of another account; everything else is refused.
const CROSS_ACCOUNT_ACTIONS: &[&str] = &[
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:DeriveSharedSecret",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GenerateMac",
    "kms:GetKeyRotationStatus",
    "kms:GetPublicKey",
    "kms:ListGrants",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:RetireGrant",
    "kms:RevokeGrant",
    "kms:Sign",
    "kms:Verify",
    "kms:VerifyMac",
];

fn refuse_early(caller_arn: &str, action: &str, key_arn: &str) -> KmsError {
    KmsError::AccessDenied(format!(
        "User: {caller_arn} is not authorized to perform: {action} on resource: {key_arn} because {action} is not allowed on a key of another account"
    ))
}

/// The request-specific condition keys an operation adds.
#[derive(Default)]
pub(crate) struct RequestFacts<'a> {
    pub encryption_context: Option<&'a EncryptionContext>,
    pub encryption_algorithm: Option<&'a str>,
    pub request_alias: Option<&'a str>,
}

impl Kms {
    /// Authorizes `action` (e.g. `kms:Encrypt`) on `key`.
    pub(crate) async fn authorize(
        &self,
        ctx: &RequestContext,
        key: &CachedKey,
        action: &str,
        facts: RequestFacts<'_>,
    ) -> Result<(), KmsError> {
        let caller = &ctx.principal;
        let arns = CallerArns::of(caller);
        let cross_account = caller.account != key.record.account;
        if cross_account && !CROSS_ACCOUNT_ACTIONS.contains(&action) {
            return Err(refuse_early(&arns.arn, action, &key.arn));
        }
        let own_root = caller.is_root() && !cross_account;
        // The account root under a key policy without conditions (the default policy) is the
        // common hot path: its answer cannot depend on condition keys, so build none.
        let needs_context = !own_root || key.policy.as_ref().is_some_and(|p| p.uses_context());
        let mut context = ContextMap::new();
        if needs_context {
            context = global_context(caller, self.clock.now());
            add_key_facts(&mut context, caller.account.as_str(), key, &facts);
        }
        let refuse = |why: &str| {
            KmsError::AccessDenied(format!(
                "User: {} is not authorized to perform: {action} on resource: {} {why}",
                arns.arn, key.arn
            ))
        };
        let key_policy = match &key.policy {
            Some(policy) => policy.evaluate(&Request::new(
                arns.policy_principal(),
                action,
                &key.arn,
                &context,
            )),
            None => return Err(refuse("because no resource-based policy allows the action")),
        };
        if key_policy.explicit_deny {
            return Err(refuse("with an explicit deny in a resource-based policy"));
        }
        let Some(matched) = key_policy.allow else {
            return Err(refuse(&format!(
                "because no resource-based policy allows the {action} action"
            )));
        };
        if own_root {
            // The root's identity permissions are complete in its own account.
            return Ok(());
        }
        let verdict = self
            .iam
            .identity_verdict(caller, action, &key.arn, &context)
            .await?;
        if verdict == IdentityVerdict::ExplicitDeny {
            return Err(refuse("with an explicit deny in an identity-based policy"));
        }
        let identity_allows = verdict == IdentityVerdict::Allow;
        // Across accounts both sides must agree: the key policy (checked above) and the
        // caller's own account's IAM policies (the root's are complete). In the key's own
        // account a key policy naming the caller directly is enough.
        let allowed = if cross_account {
            caller.is_root() || identity_allows
        } else {
            matched == AllowedPrincipalMatch::Principal || identity_allows
        };
        if allowed {
            return Ok(());
        }
        Err(refuse(&format!(
            "because no identity-based policy allows the {action} action"
        )))
    }

    /// Authorizes `action` on `resource` by the caller's IAM policies alone.
    pub(crate) async fn authorize_by_iam(
        &self,
        ctx: &RequestContext,
        action: &str,
        resource: &str,
    ) -> Result<(), KmsError> {
        let caller = &ctx.principal;
        if caller.is_root() {
            return Ok(());
        }
        let mut context = global_context(caller, self.clock.now());
        context.insert("kms:CallerAccount", caller.account.to_string());
        match self
            .iam
            .identity_verdict(caller, action, resource, &context)
            .await?
        {
            IdentityVerdict::Allow => Ok(()),
            verdict => Err(KmsError::AccessDenied(
                verdict.refusal(caller, action, resource),
            )),
        }
    }
}

impl Kms {
    /// The lockout safety check: a new key policy must still let the caller change the policy,
    /// unless the caller bypasses the check.
    pub(crate) async fn check_policy_lockout(
        &self,
        ctx: &RequestContext,
        record: &kmsd_store::KeyRecord,
        arn: &str,
        new_policy: kmsd_policy::PolicyDocument,
    ) -> Result<(), KmsError> {
        let probe = CachedKey {
            record: record.clone(),
            arn: arn.to_owned(),
            backing_keys: std::collections::HashMap::new(),
            policy: Some(new_policy),
        };
        match self
            .authorize(ctx, &probe, "kms:PutKeyPolicy", RequestFacts::default())
            .await
        {
            Err(KmsError::AccessDenied(_)) => Err(KmsError::MalformedPolicyDocument(
                "The new key policy will not allow you to update the key policy in the future."
                    .to_owned(),
            )),
            other => other,
        }
    }
}

/// The alias a request named its key by, for `kms:RequestAlias`.
pub(crate) fn alias_of(reference: &kmsd_model::KeyReference) -> Option<String> {
    match reference {
        kmsd_model::KeyReference::Alias(a) => Some(a.to_string()),
        kmsd_model::KeyReference::AliasArn(a) => Some(a.alias.to_string()),
        _ => None,
    }
}

fn add_key_facts(
    context: &mut ContextMap,
    caller_account: &str,
    key: &CachedKey,
    facts: &RequestFacts<'_>,
) {
    let r = &key.record;
    context
        .insert("kms:CallerAccount", caller_account.to_owned())
        .insert("kms:KeySpec", r.key_spec.as_str())
        .insert("kms:CustomerMasterKeySpec", r.key_spec.as_str())
        .insert("kms:KeyUsage", r.key_usage.as_str())
        .insert("kms:KeyOrigin", r.origin.as_str())
        .insert("kms:MultiRegion", r.key_id.is_multi_region().to_string());
    if let Some(alias) = facts.request_alias {
        context.insert("kms:RequestAlias", alias.to_owned());
    }
    if let Some(algorithm) = facts.encryption_algorithm {
        context.insert("kms:EncryptionAlgorithm", algorithm.to_owned());
    }
    if let Some(ec) = facts.encryption_context {
        for (k, v) in ec.pairs() {
            context.insert(&format!("kms:EncryptionContext:{k}"), v.clone());
        }
        context.set("kms:EncryptionContextKeys", ec.pairs().keys().cloned());
    }
}
