//! Loading and saving entity documents, the caller's identity policies, and authorization of
//! IAM actions.

use super::documents::{GroupDoc, ManagedPolicyDoc, RoleDoc, UserDoc};
use super::names::{policy_name_from_arn, role_arn};
use super::{Iam, IamError, RoleInfo};
use crate::RequestContext;
use crate::caller::{CallerArns, global_context};
use kmsd_model::{AccountId, Principal, PrincipalKind, Timestamp};
use kmsd_policy::{ContextMap, PolicyDocument, PolicyKind, Request};
use kmsd_store::{IamEntity, IamEntityKind};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// The stored display name, or the requested one for documents written before names were kept.
pub(crate) fn display<'a>(requested: &'a str, stored: &'a str) -> &'a str {
    if stored.is_empty() { requested } else { stored }
}

/// IAM refuses to delete a user, group or role that still has policies.
pub(crate) fn check_no_policies(
    inline: &std::collections::BTreeMap<String, String>,
    attached: &[String],
) -> Result<(), IamError> {
    if !inline.is_empty() {
        return Err(IamError::DeleteConflict(
            "Cannot delete entity, must delete policies first.".to_owned(),
        ));
    }
    if !attached.is_empty() {
        return Err(IamError::DeleteConflict(
            "Cannot delete entity, must detach all policies first.".to_owned(),
        ));
    }
    Ok(())
}

/// The answer of a caller's identity-based policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdentityVerdict {
    Allow,
    ExplicitDeny,
    NoAllow,
}

impl IdentityVerdict {
    /// AWS's refusal message for a verdict that is not `Allow`.
    pub(crate) fn refusal(self, caller: &Principal, action: &str, resource: &str) -> String {
        let why = match self {
            IdentityVerdict::ExplicitDeny => {
                "with an explicit deny in an identity-based policy".to_owned()
            }
            _ => format!("because no identity-based policy allows the {action} action"),
        };
        format!(
            "User: {} is not authorized to perform: {action} on resource: {resource} {why}",
            caller.arn()
        )
    }
}

/// Which kind of identity an inline or attached policy belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityKind {
    User,
    Group,
    Role,
}

impl IdentityKind {
    pub(crate) fn entity_kind(self) -> IamEntityKind {
        match self {
            IdentityKind::User => IamEntityKind::User,
            IdentityKind::Group => IamEntityKind::Group,
            IdentityKind::Role => IamEntityKind::Role,
        }
    }

    /// `user`, `group`, `role` as in IAM's messages.
    pub(crate) fn noun(self) -> &'static str {
        match self {
            IdentityKind::User => "user",
            IdentityKind::Group => "group",
            IdentityKind::Role => "role",
        }
    }
}

/// The largest managed policy, in characters not counting whitespace (an IAM quota).
pub(crate) const MANAGED_POLICY_MAX: usize = 6144;

/// A policy's size as IAM's quotas count it: characters other than whitespace.
pub(crate) fn policy_size(document: &str) -> usize {
    document.chars().filter(|c| !c.is_whitespace()).count()
}

/// The store key of an IAM name: IAM names are unique regardless of case.
pub(crate) fn name_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

fn corrupt(e: serde_json::Error) -> IamError {
    IamError::ServiceFailure(Box::new(e))
}

impl Iam {
    pub(crate) async fn load<T: DeserializeOwned>(
        &self,
        account: &AccountId,
        kind: IamEntityKind,
        name: &str,
    ) -> Result<Option<T>, IamError> {
        match self.store.entity(account, kind, &name_key(name)).await? {
            Some(e) => Ok(Some(serde_json::from_str(&e.document).map_err(corrupt)?)),
            None => Ok(None),
        }
    }

    pub(crate) async fn load_all<T: DeserializeOwned>(
        &self,
        account: &AccountId,
        kind: IamEntityKind,
    ) -> Result<Vec<(String, T)>, IamError> {
        let mut out = Vec::new();
        for e in self.store.entities(account, kind).await? {
            let doc: serde_json::Value = serde_json::from_str(&e.document).map_err(corrupt)?;
            let name = doc
                .get("name")
                .and_then(|n| n.as_str())
                .filter(|n| !n.is_empty())
                .map(str::to_owned);
            out.push((
                name.unwrap_or(e.name),
                serde_json::from_value(doc).map_err(corrupt)?,
            ));
        }
        Ok(out)
    }

    pub(crate) fn entity<T: Serialize>(
        account: &AccountId,
        kind: IamEntityKind,
        name: &str,
        doc: &T,
    ) -> Result<IamEntity, IamError> {
        Ok(IamEntity {
            account: account.clone(),
            kind,
            name: name_key(name),
            document: serde_json::to_string(doc).map_err(corrupt)?,
        })
    }

    pub(crate) async fn user_doc(
        &self,
        account: &AccountId,
        name: &str,
    ) -> Result<UserDoc, IamError> {
        self.load(account, IamEntityKind::User, name)
            .await?
            .ok_or_else(|| {
                IamError::NoSuchEntity(format!("The user with name {name} cannot be found."))
            })
    }

    /// Stores a new entity under the write lock. `EntityAlreadyExists(taken)` when its name
    /// (regardless of case) is in use.
    pub(crate) async fn insert_new<T: Serialize>(
        &self,
        account: &AccountId,
        kind: IamEntityKind,
        name: &str,
        doc: &T,
        taken: impl FnOnce() -> String,
    ) -> Result<(), IamError> {
        let entity = Self::entity(account, kind, name, doc)?;
        let _write = self.write_lock().await;
        match self.store.insert_entity(&entity).await {
            Ok(()) => Ok(()),
            Err(kmsd_store::StoreError::AlreadyExists) => {
                Err(IamError::EntityAlreadyExists(taken()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A role, for STS.
    pub async fn role(
        &self,
        account: &AccountId,
        role_name: &str,
    ) -> Result<Option<RoleInfo>, IamError> {
        let doc: Option<RoleDoc> = self.load(account, IamEntityKind::Role, role_name).await?;
        Ok(doc.map(|d| RoleInfo {
            arn: role_arn(account, &d.path, display(role_name, &d.name)),
            name: display(role_name, &d.name).to_owned(),
            path: d.path,
            role_id: d.role_id,
            created_at: Timestamp(d.created_at),
            assume_role_policy_document: d.assume_role_policy_document,
            description: d.description,
            max_session_duration: d.max_session_duration,
        }))
    }

    /// The identity-based policies in force for `principal`: for a user its own inline and
    /// attached policies and those of its groups; for a role session the role's. The root has
    /// none (its permissions in its account are complete).
    pub async fn identity_policies(
        &self,
        principal: &Principal,
    ) -> Result<Arc<Vec<PolicyDocument>>, IamError> {
        if principal.is_root() {
            return Ok(Arc::new(Vec::new()));
        }
        let key = principal.arn();
        if let Some(hit) = self.policies.read().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(hit);
        }
        let epoch = self.policies_epoch.load(Ordering::Acquire);
        let loaded = Arc::new(self.load_identity_policies(principal).await?);
        if let Ok(mut cache) = self.policies.write()
            && self.policies_epoch.load(Ordering::Acquire) == epoch
        {
            if cache.len() >= 100_000 {
                cache.clear();
            }
            cache.insert(key, loaded.clone());
        }
        Ok(loaded)
    }

    async fn load_identity_policies(
        &self,
        principal: &Principal,
    ) -> Result<Vec<PolicyDocument>, IamError> {
        let account = &principal.account;
        let mut documents: Vec<String> = Vec::new();
        let mut attached: Vec<String> = Vec::new();
        match &principal.kind {
            PrincipalKind::User { name, .. } => {
                let Some(user) = self
                    .load::<UserDoc>(account, IamEntityKind::User, name)
                    .await?
                else {
                    return Ok(Vec::new());
                };
                documents.extend(user.inline_policies.into_values());
                attached.extend(user.attached);
                for group in &user.groups {
                    if let Some(g) = self
                        .load::<GroupDoc>(account, IamEntityKind::Group, group)
                        .await?
                    {
                        documents.extend(g.inline_policies.into_values());
                        attached.extend(g.attached);
                    }
                }
            }
            PrincipalKind::AssumedRole { role_name, .. } => {
                if let Some(role) = self
                    .load::<RoleDoc>(account, IamEntityKind::Role, role_name)
                    .await?
                {
                    documents.extend(role.inline_policies.into_values());
                    attached.extend(role.attached);
                }
            }
            _ => return Ok(Vec::new()),
        }
        attached.sort();
        attached.dedup();
        for arn in attached {
            let Ok(name) = policy_name_from_arn(account, &arn) else {
                continue;
            };
            if let Some(p) = self
                .load::<ManagedPolicyDoc>(account, IamEntityKind::Policy, &name)
                .await?
                && let Some(v) = p
                    .versions
                    .iter()
                    .find(|v| v.version_id == p.default_version_id)
            {
                documents.push(v.document.clone());
            }
        }
        let mut parsed = Vec::with_capacity(documents.len());
        for text in documents {
            match PolicyDocument::parse(&text, PolicyKind::Identity) {
                Ok(doc) => parsed.push(doc),
                // Stored documents were validated on the way in; one that no longer parses
                // grants nothing.
                Err(e) => {
                    tracing::error!(error = e.message(), "stored identity policy does not parse")
                }
            }
        }
        Ok(parsed)
    }

    /// Authorizes an IAM action on `resource`: the root may do everything in its own account;
    /// others need an identity-policy Allow and no Deny.
    pub(crate) async fn authorize(
        &self,
        ctx: &RequestContext,
        action: &str,
        resource: &str,
    ) -> Result<(), IamError> {
        let caller = &ctx.principal;
        if caller.is_root() {
            return Ok(());
        }
        let context = global_context(ctx, self.clock.now());
        match self
            .identity_verdict(caller, action, resource, &context)
            .await?
        {
            IdentityVerdict::Allow => Ok(()),
            verdict => Err(IamError::AccessDenied(
                verdict.refusal(caller, action, resource),
            )),
        }
    }

    /// Authorizes an action of another service kmsd serves beside IAM (e.g.
    /// `cloudtrail:LookupEvents`) by the same rule as IAM's own: the root may do everything in
    /// its own account; others need an identity-policy Allow and no Deny.
    pub async fn authorize_action(
        &self,
        ctx: &RequestContext,
        action: &str,
        resource: &str,
    ) -> Result<(), IamError> {
        self.authorize(ctx, action, resource).await
    }

    /// What the caller's identity-based policies say about `action` on `resource`.
    pub(crate) async fn identity_verdict(
        &self,
        caller: &Principal,
        action: &str,
        resource: &str,
        context: &ContextMap,
    ) -> Result<IdentityVerdict, IamError> {
        let policies = self.identity_policies(caller).await?;
        let arns = CallerArns::of(caller);
        let request = Request::new(arns.policy_principal(), action, resource, context);
        Ok(verdict_of(&policies, &request))
    }

    /// Changes with every IAM write: a value cached under an older epoch may be stale.
    pub(crate) fn policies_epoch(&self) -> u64 {
        self.policies_epoch.load(Ordering::Acquire)
    }

    /// Parses an identity policy for storage.
    pub(crate) fn check_identity_policy(document: &str) -> Result<(), IamError> {
        if policy_size(document) > MANAGED_POLICY_MAX {
            return Err(IamError::LimitExceeded(format!(
                "Cannot exceed quota for PolicySize: {MANAGED_POLICY_MAX}"
            )));
        }
        PolicyDocument::parse(document, PolicyKind::Identity)
            .map(drop)
            .map_err(|e| IamError::MalformedPolicyDocument(e.message().to_owned()))
    }
}

/// What a set of identity-based policies says about one request: any Deny wins, then any
/// Allow.
pub(crate) fn verdict_of(policies: &[PolicyDocument], request: &Request<'_>) -> IdentityVerdict {
    let mut allowed = false;
    for policy in policies {
        let evaluation = policy.evaluate(request);
        if evaluation.explicit_deny {
            return IdentityVerdict::ExplicitDeny;
        }
        allowed |= evaluation.allow.is_some();
    }
    if allowed {
        IdentityVerdict::Allow
    } else {
        IdentityVerdict::NoAllow
    }
}
