//! Who may do what to a key, as AWS KMS decides it:
//!
//! 1. An action on another account's key is refused unless AWS allows it across accounts.
//! 2. The key policy is the root of access. A statement naming the caller allows directly; one
//!    naming the caller's account delegates to the caller's IAM policies. Across accounts both
//!    the key policy and the caller's own IAM policies must allow.
//! 3. An explicit deny in the key policy or in an IAM policy refuses, whatever else allows.
//! 4. Otherwise a grant for the caller (or its role, or its account, delegating through IAM)
//!    that covers the operation, within its constraints, allows on its own.
//!
//! Operations that name no key (CreateKey, ListKeys, ListAliases, GenerateRandom,
//! ListRetirableGrants) and the alias half of alias operations are decided by IAM policies
//! alone. Steps 2–3 are cached per (principal, key, action) when no policy involved reads the
//! condition context (see `decision_cache`); grants are looked at per request.

use crate::caller::{CallerArns, global_context};
use crate::decision_cache::{DenyReason, PolicyVerdict};
use crate::grants::{RequestedGrant, grant_covers, grantee_names};
use crate::identity::{IdentityVerdict, verdict_of};
use crate::key_cache::CachedKey;
use crate::{Kms, KmsError, RequestContext};
use kmsd_model::{EncryptionContext, GrantOperation, Tag};
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

/// The request-specific condition keys an operation adds.
#[derive(Default)]
pub(crate) struct RequestFacts<'a> {
    pub encryption_context: Option<&'a EncryptionContext>,
    pub encryption_algorithm: Option<&'a str>,
    pub request_alias: Option<&'a str>,
    /// TagResource's tags (`aws:RequestTag/…`, `aws:TagKeys`).
    pub request_tags: Option<&'a [Tag]>,
    /// UntagResource's keys (`aws:TagKeys`).
    pub tag_keys: Option<&'a [String]>,
    /// CreateGrant's grant (`kms:GrantOperations`, `kms:GranteePrincipal`, …).
    pub grant: Option<RequestedGrant<'a>>,
    /// EnableKeyRotation's period (`kms:RotationPeriodInDays`).
    pub rotation_period_days: Option<u32>,
    /// ScheduleKeyDeletion's window (`kms:ScheduleKeyDeletionPendingWindowInDays`).
    pub pending_window_days: Option<u32>,
    /// Sign / Verify (`kms:SigningAlgorithm`, `kms:MessageType`).
    pub signing_algorithm: Option<&'a str>,
    pub message_type: Option<&'a str>,
    /// GenerateMac / VerifyMac (`kms:MacAlgorithm`).
    pub mac_algorithm: Option<&'a str>,
    /// DeriveSharedSecret (`kms:KeyAgreementAlgorithm`).
    pub key_agreement_algorithm: Option<&'a str>,
    /// GenerateDataKeyPair* (`kms:DataKeyPairSpec`).
    pub data_key_pair_spec: Option<&'a str>,
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
        let refuse = |why: String| {
            KmsError::AccessDenied(format!(
                "User: {} is not authorized to perform: {action} on resource: {} {why}",
                arns.arn, key.arn
            ))
        };
        let cross_account = caller.account != key.record.account;
        if cross_account && !CROSS_ACCOUNT_ACTIONS.contains(&action) {
            return Err(refuse(format!(
                "because {action} is not allowed on a key of another account"
            )));
        }
        let mut context = None;
        match self
            .policy_verdict(ctx, &arns, key, action, &facts, &mut context)
            .await?
        {
            PolicyVerdict::Allow => Ok(()),
            PolicyVerdict::Deny(why) => Err(refuse(why.explain(action))),
            PolicyVerdict::NoAllow(why) => {
                if self
                    .grant_allows(ctx, key, action, &facts, &mut context)
                    .await?
                {
                    Ok(())
                } else {
                    Err(refuse(why.explain(action)))
                }
            }
        }
    }

    /// Steps 2 and 3: the key policy and the caller's IAM policies. `context` is filled when
    /// it had to be built, so grant checks can reuse it.
    async fn policy_verdict(
        &self,
        ctx: &RequestContext,
        arns: &CallerArns,
        key: &CachedKey,
        action: &str,
        facts: &RequestFacts<'_>,
        context: &mut Option<ContextMap>,
    ) -> Result<PolicyVerdict, KmsError> {
        let key_id = &key.record.key_id;
        let iam_epoch = self.iam.policies_epoch();
        if let Some(hit) = self
            .decisions
            .get(&arns.arn, key_id, action, key.generation, iam_epoch)
        {
            return Ok(hit);
        }
        let (verdict, context_free) = self
            .evaluate_policies(ctx, arns, key, action, facts, context)
            .await?;
        if context_free {
            self.decisions.insert(
                &arns.arn,
                key_id,
                action,
                key.generation,
                iam_epoch,
                verdict,
            );
        }
        Ok(verdict)
    }

    /// Evaluates the key policy and the caller's IAM policies, uncached. Also says whether the
    /// verdict is context-free (no policy involved read the condition context), and so may be
    /// cached.
    async fn evaluate_policies(
        &self,
        ctx: &RequestContext,
        arns: &CallerArns,
        key: &CachedKey,
        action: &str,
        facts: &RequestFacts<'_>,
        context: &mut Option<ContextMap>,
    ) -> Result<(PolicyVerdict, bool), KmsError> {
        let caller = &ctx.principal;
        let Some(key_policy) = &key.policy else {
            return Ok((PolicyVerdict::NoAllow(DenyReason::NoKeyPolicy), true));
        };
        let cross_account = caller.account != key.record.account;
        let own_root = caller.is_root() && !cross_account;
        // The root's identity permissions are complete in its own account, so it has none
        // to load; everyone else's are needed unless the key policy alone refuses.
        let identity = if caller.is_root() {
            None
        } else {
            Some(self.iam.identity_policies(caller).await?)
        };
        let needs_context = key_policy.uses_context()
            || identity
                .as_ref()
                .is_some_and(|p| p.iter().any(|d| d.uses_context()));
        let empty = ContextMap::new();
        let condition_context = if needs_context {
            &*context.insert(self.condition_context(ctx, key, facts))
        } else {
            &empty
        };
        let request = Request::new(arns.policy_principal(), action, &key.arn, condition_context);
        let evaluation = key_policy.evaluate(&request);
        let verdict = if evaluation.explicit_deny {
            PolicyVerdict::Deny(DenyReason::KeyPolicyDeny)
        } else if let Some(matched) = evaluation.allow {
            if own_root {
                PolicyVerdict::Allow
            } else {
                let identity_verdict = match &identity {
                    Some(policies) => verdict_of(policies, &request),
                    None => IdentityVerdict::NoAllow,
                };
                // Across accounts both sides must agree: the key policy and the caller's own
                // account's IAM policies (the root's are complete). In the key's own account a
                // key policy naming the caller directly is enough.
                let allowed = if cross_account {
                    caller.is_root() || identity_verdict == IdentityVerdict::Allow
                } else {
                    matched == AllowedPrincipalMatch::Principal
                        || identity_verdict == IdentityVerdict::Allow
                };
                match identity_verdict {
                    IdentityVerdict::ExplicitDeny => PolicyVerdict::Deny(DenyReason::IdentityDeny),
                    _ if allowed => PolicyVerdict::Allow,
                    _ => PolicyVerdict::NoAllow(DenyReason::IdentityNoAllow),
                }
            }
        } else {
            // The key policy allows nothing here; an identity Deny still outranks a grant.
            match identity.as_ref().map(|p| verdict_of(p, &request)) {
                Some(IdentityVerdict::ExplicitDeny) => {
                    PolicyVerdict::Deny(DenyReason::IdentityDeny)
                }
                _ => PolicyVerdict::NoAllow(DenyReason::KeyPolicyNoAllow),
            }
        };
        Ok((verdict, !needs_context))
    }

    /// Step 4: whether one of the key's grants allows the request.
    async fn grant_allows(
        &self,
        ctx: &RequestContext,
        key: &CachedKey,
        action: &str,
        facts: &RequestFacts<'_>,
        context: &mut Option<ContextMap>,
    ) -> Result<bool, KmsError> {
        let Some(operation) = GrantOperation::from_action(action) else {
            return Ok(false);
        };
        if key.grants.len() == 0 {
            return Ok(false);
        }
        let caller = &ctx.principal;
        let covers = |grantee: &str| {
            key.grants
                .for_grantee(grantee)
                .iter()
                .any(|g| grant_covers(g, operation, facts.encryption_context, facts.grant.as_ref()))
        };
        let (own_names, account_root) = grantee_names(caller);
        if own_names.iter().any(|name| covers(name)) {
            return Ok(true);
        }
        if !covers(&account_root) {
            return Ok(false);
        }
        // A grant to an account is delegated onward by that account's IAM policies.
        if caller.is_root() {
            return Ok(true);
        }
        let context = match context {
            Some(c) => &*c,
            None => &*context.insert(self.condition_context(ctx, key, facts)),
        };
        let verdict = self
            .iam
            .identity_verdict(caller, action, &key.arn, context)
            .await?;
        Ok(verdict == IdentityVerdict::Allow)
    }

    /// Authorizes `action` on `resource` by the caller's IAM policies alone.
    pub(crate) async fn authorize_by_iam(
        &self,
        ctx: &RequestContext,
        action: &str,
        resource: &str,
    ) -> Result<(), KmsError> {
        self.authorize_by_iam_with(ctx, action, resource, |_| {})
            .await
    }

    /// [`Kms::authorize_by_iam`] with request-specific condition keys added by `add_facts`.
    pub(crate) async fn authorize_by_iam_with(
        &self,
        ctx: &RequestContext,
        action: &str,
        resource: &str,
        add_facts: impl FnOnce(&mut ContextMap),
    ) -> Result<(), KmsError> {
        let caller = &ctx.principal;
        if caller.is_root() {
            return Ok(());
        }
        let mut context = self.global_context(ctx);
        context.insert("kms:CallerAccount", caller.account.to_string());
        add_facts(&mut context);
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

    /// The global condition keys of this request.
    fn global_context(&self, ctx: &RequestContext) -> ContextMap {
        global_context(ctx, self.clock.now())
    }

    /// Every condition key of a request on `key`.
    fn condition_context(
        &self,
        ctx: &RequestContext,
        key: &CachedKey,
        facts: &RequestFacts<'_>,
    ) -> ContextMap {
        let mut context = self.global_context(ctx);
        add_key_facts(&mut context, ctx.principal.account.as_str(), key, facts);
        context
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
            material: Default::default(),
            policy: Some(new_policy),
            grants: Default::default(),
            tags: Vec::new(),
            aliases: Vec::new(),
            // Unused: the probe's verdict is evaluated uncached.
            generation: 0,
        };
        let caller = &ctx.principal;
        let arns = CallerArns::of(caller);
        let mut context = None;
        let (verdict, _) = self
            .evaluate_policies(
                ctx,
                &arns,
                &probe,
                "kms:PutKeyPolicy",
                &RequestFacts::default(),
                &mut context,
            )
            .await?;
        if verdict == PolicyVerdict::Allow {
            Ok(())
        } else {
            Err(KmsError::MalformedPolicyDocument(
                "The new key policy will not allow you to update the key policy in the future."
                    .to_owned(),
            ))
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

/// `aws:RequestTag/<key>` for each tag and `aws:TagKeys` for all of them.
pub(crate) fn add_request_tags(context: &mut ContextMap, tags: &[Tag]) {
    for tag in tags {
        context.insert(&format!("aws:RequestTag/{}", tag.key), tag.value.clone());
    }
    if !tags.is_empty() {
        context.set("aws:TagKeys", tags.iter().map(|t| t.key.clone()));
    }
}

fn add_encryption_context(context: &mut ContextMap, ec: &EncryptionContext) {
    for (k, v) in ec.pairs() {
        context.insert(&format!("kms:EncryptionContext:{k}"), v.clone());
    }
    if !ec.is_empty() {
        context.set("kms:EncryptionContextKeys", ec.pairs().keys().cloned());
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
    for tag in &key.tags {
        context.insert(&format!("aws:ResourceTag/{}", tag.key), tag.value.clone());
    }
    if !key.aliases.is_empty() {
        context.set("kms:ResourceAliases", key.aliases.iter().cloned());
    }
    if let Some(alias) = facts.request_alias {
        context.insert("kms:RequestAlias", alias.to_owned());
    }
    for (name, value) in [
        ("kms:EncryptionAlgorithm", facts.encryption_algorithm),
        ("kms:SigningAlgorithm", facts.signing_algorithm),
        ("kms:MessageType", facts.message_type),
        ("kms:MacAlgorithm", facts.mac_algorithm),
        ("kms:KeyAgreementAlgorithm", facts.key_agreement_algorithm),
        ("kms:DataKeyPairSpec", facts.data_key_pair_spec),
    ] {
        if let Some(value) = value {
            context.insert(name, value.to_owned());
        }
    }
    if let Some(ec) = facts.encryption_context {
        add_encryption_context(context, ec);
    }
    if let Some(tags) = facts.request_tags {
        add_request_tags(context, tags);
    }
    if let Some(days) = facts.rotation_period_days {
        context.insert("kms:RotationPeriodInDays", days.to_string());
    }
    if let Some(days) = facts.pending_window_days {
        context.insert(
            "kms:ScheduleKeyDeletionPendingWindowInDays",
            days.to_string(),
        );
    }
    if let Some(keys) = facts.tag_keys {
        context.set("aws:TagKeys", keys.iter().cloned());
    }
    if let Some(grant) = &facts.grant {
        context
            .set(
                "kms:GrantOperations",
                grant.operations.iter().map(|op| op.as_str()),
            )
            .insert("kms:GranteePrincipal", grant.grantee.to_owned())
            .insert("kms:GrantIsForAWSResource", "false");
        if let Some(retiring) = grant.retiring {
            context.insert("kms:RetiringPrincipal", retiring.to_owned());
        }
        let types = grant.constraints.constraint_types();
        if !types.is_empty() {
            context.set("kms:GrantConstraintType", types);
        }
        // The constraint's pairs stand for the request's encryption context.
        for ec in [
            &grant.constraints.encryption_context_equals,
            &grant.constraints.encryption_context_subset,
        ]
        .into_iter()
        .flatten()
        {
            add_encryption_context(context, ec);
        }
    }
}
