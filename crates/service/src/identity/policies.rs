//! Inline policies (Put/Get/Delete/List{User,Group,Role}Policy) and managed policies
//! (CreatePolicy, GetPolicy, GetPolicyVersion, DeletePolicy, Attach/Detach{User,Group,Role}Policy,
//! ListAttached{User,Group,Role}Policies).

use super::documents::{GroupDoc, ManagedPolicyDoc, PolicyVersionDoc, RoleDoc, UserDoc};
use super::names::{
    check_name, check_path, group_arn, policy_arn, policy_name_from_arn, role_arn, unique_id,
    user_arn,
};
use super::{
    AttachedPolicy, Iam, IamError, IdentityKind, Listing, ManagedPolicyInfo, PolicyVersionInfo,
    page,
};
use crate::RequestContext;
use kmsd_model::{AccountId, Timestamp};
use kmsd_store::IamEntityKind;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;

/// What users, groups and roles have in common for `Iam::authorized`: a path (their policies
/// are reached per kind by `change_policies` and `policies_of`).
pub(crate) trait PolicyHolder: Serialize + DeserializeOwned {
    fn path(&self) -> &str;
}

macro_rules! policy_holder {
    ($t:ty) => {
        impl PolicyHolder for $t {
            fn path(&self) -> &str {
                &self.path
            }
        }
    };
}
policy_holder!(UserDoc);
policy_holder!(GroupDoc);
policy_holder!(RoleDoc);

fn identity_arn(kind: IdentityKind, account: &AccountId, path: &str, name: &str) -> String {
    match kind {
        IdentityKind::User => user_arn(account, path, name),
        IdentityKind::Group => group_arn(account, path, name),
        IdentityKind::Role => role_arn(account, path, name),
    }
}

fn member(kind: IdentityKind) -> &'static str {
    match kind {
        IdentityKind::User => "userName",
        IdentityKind::Group => "groupName",
        IdentityKind::Role => "roleName",
    }
}

fn action(verb: &str, kind: IdentityKind, noun: &str) -> String {
    let k = match kind {
        IdentityKind::User => "User",
        IdentityKind::Group => "Group",
        IdentityKind::Role => "Role",
    };
    format!("iam:{verb}{k}{noun}")
}

fn policy_info(
    account: &AccountId,
    name: &str,
    doc: &ManagedPolicyDoc,
    attachment_count: usize,
) -> ManagedPolicyInfo {
    let name = super::authority::display(name, &doc.name);
    ManagedPolicyInfo {
        name: name.to_owned(),
        path: doc.path.clone(),
        policy_id: doc.policy_id.clone(),
        arn: policy_arn(account, &doc.path, name),
        default_version_id: doc.default_version_id.clone(),
        attachment_count,
        description: doc.description.clone(),
        created_at: Timestamp(doc.created_at),
        updated_at: Timestamp(doc.updated_at),
    }
}

impl Iam {
    /// Authorizes `action` on a user, group or role, then loads it, so a caller without
    /// permission learns nothing about whether it exists (path `/` in the ARN when it doesn't).
    pub(crate) async fn authorized<T: PolicyHolder>(
        &self,
        ctx: &RequestContext,
        kind: IdentityKind,
        name: &str,
        action: &str,
    ) -> Result<T, IamError> {
        check_name(
            member(kind),
            name,
            if kind == IdentityKind::Group { 128 } else { 64 },
        )?;
        let account = &ctx.principal.account;
        let doc = self.load::<T>(account, kind.entity_kind(), name).await?;
        let path = doc.as_ref().map_or("/", |d| d.path());
        self.authorize(ctx, action, &identity_arn(kind, account, path, name))
            .await?;
        doc.ok_or_else(|| {
            IamError::NoSuchEntity(format!(
                "The {} with name {name} cannot be found.",
                kind.noun()
            ))
        })
    }

    /// Loads an identity's document, authorizes, lets `change` edit it, and saves it.
    async fn modify<T: PolicyHolder>(
        &self,
        ctx: &RequestContext,
        kind: IdentityKind,
        name: &str,
        action: &str,
        change: impl FnOnce(&mut T) -> Result<(), IamError>,
    ) -> Result<(), IamError> {
        let account = &ctx.principal.account;
        let _write = self.write_lock().await;
        let mut doc: T = self.authorized(ctx, kind, name, action).await?;
        change(&mut doc)?;
        self.store
            .update_entities(&[Self::entity(account, kind.entity_kind(), name, &doc)?])
            .await?;
        Ok(())
    }

    /// Reads an identity's document after authorizing `action` on it.
    async fn read_holder<T: PolicyHolder>(
        &self,
        ctx: &RequestContext,
        kind: IdentityKind,
        name: &str,
        action: &str,
    ) -> Result<T, IamError> {
        self.authorized(ctx, kind, name, action).await
    }

    /// Lets `change` edit an identity's inline policies and attachments, whichever kind.
    async fn change_policies(
        &self,
        ctx: &RequestContext,
        kind: IdentityKind,
        name: &str,
        action: &str,
        change: impl FnOnce(&mut BTreeMap<String, String>, &mut Vec<String>) -> Result<(), IamError>,
    ) -> Result<(), IamError> {
        match kind {
            IdentityKind::User => {
                self.modify::<UserDoc>(ctx, kind, name, action, |d| {
                    change(&mut d.inline_policies, &mut d.attached)
                })
                .await
            }
            IdentityKind::Group => {
                self.modify::<GroupDoc>(ctx, kind, name, action, |d| {
                    change(&mut d.inline_policies, &mut d.attached)
                })
                .await
            }
            IdentityKind::Role => {
                self.modify::<RoleDoc>(ctx, kind, name, action, |d| {
                    change(&mut d.inline_policies, &mut d.attached)
                })
                .await
            }
        }
    }

    /// An identity's inline policies and attached policy ARNs, after authorizing `action`.
    async fn policies_of(
        &self,
        ctx: &RequestContext,
        kind: IdentityKind,
        name: &str,
        action: &str,
    ) -> Result<(BTreeMap<String, String>, Vec<String>), IamError> {
        Ok(match kind {
            IdentityKind::User => {
                let d = self.read_holder::<UserDoc>(ctx, kind, name, action).await?;
                (d.inline_policies, d.attached)
            }
            IdentityKind::Group => {
                let d = self
                    .read_holder::<GroupDoc>(ctx, kind, name, action)
                    .await?;
                (d.inline_policies, d.attached)
            }
            IdentityKind::Role => {
                let d = self.read_holder::<RoleDoc>(ctx, kind, name, action).await?;
                (d.inline_policies, d.attached)
            }
        })
    }

    pub async fn put_inline_policy(
        &self,
        ctx: &RequestContext,
        kind: IdentityKind,
        name: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<(), IamError> {
        check_name("policyName", policy_name, 128)?;
        Self::check_identity_policy(document)?;
        let act = action("Put", kind, "Policy");
        // IAM limits the total of an identity's inline policies.
        let limit = match kind {
            IdentityKind::User => 2048,
            IdentityKind::Group => 5120,
            IdentityKind::Role => 10_240,
        };
        let noun = kind.noun();
        let set = |inline: &mut BTreeMap<String, String>| {
            let others: usize = inline
                .iter()
                .filter(|(n, _)| n.as_str() != policy_name)
                .map(|(_, d)| super::authority::policy_size(d))
                .sum();
            if others + super::authority::policy_size(document) > limit {
                return Err(IamError::LimitExceeded(format!(
                    "Maximum policy size of {limit} bytes exceeded for {noun} {name}"
                )));
            }
            inline.insert(policy_name.to_owned(), document.to_owned());
            Ok(())
        };
        self.change_policies(ctx, kind, name, &act, |inline, _| set(inline))
            .await
    }

    pub async fn get_inline_policy(
        &self,
        ctx: &RequestContext,
        kind: IdentityKind,
        name: &str,
        policy_name: &str,
    ) -> Result<String, IamError> {
        check_name("policyName", policy_name, 128)?;
        let act = action("Get", kind, "Policy");
        let mut inline = self.policies_of(ctx, kind, name, &act).await?.0;
        inline.remove(policy_name).ok_or_else(|| {
            IamError::NoSuchEntity(format!(
                "The {} policy with name {policy_name} cannot be found.",
                kind.noun()
            ))
        })
    }

    pub async fn delete_inline_policy(
        &self,
        ctx: &RequestContext,
        kind: IdentityKind,
        name: &str,
        policy_name: &str,
    ) -> Result<(), IamError> {
        check_name("policyName", policy_name, 128)?;
        let act = action("Delete", kind, "Policy");
        let noun = kind.noun();
        let remove = |inline: &mut BTreeMap<String, String>| {
            inline.remove(policy_name).map(drop).ok_or_else(|| {
                IamError::NoSuchEntity(format!(
                    "The {noun} policy with name {policy_name} cannot be found."
                ))
            })
        };
        self.change_policies(ctx, kind, name, &act, |inline, _| remove(inline))
            .await
    }

    pub async fn list_inline_policies(
        &self,
        ctx: &RequestContext,
        kind: IdentityKind,
        name: &str,
        marker: Option<&str>,
        max_items: Option<usize>,
    ) -> Result<Listing<String>, IamError> {
        let act = action("List", kind, "Policies");
        let inline = self.policies_of(ctx, kind, name, &act).await?.0;
        Ok(page(
            inline.into_keys().collect(),
            |n: &String| n.as_str(),
            marker,
            max_items,
        ))
    }

    pub async fn create_policy(
        &self,
        ctx: &RequestContext,
        name: &str,
        path: Option<&str>,
        document: &str,
        description: Option<&str>,
    ) -> Result<ManagedPolicyInfo, IamError> {
        check_name("policyName", name, 128)?;
        let path = path.unwrap_or("/");
        check_path(path)?;
        Self::check_identity_policy(document)?;
        let account = &ctx.principal.account;
        self.authorize(ctx, "iam:CreatePolicy", &policy_arn(account, path, name))
            .await?;
        let now = self.clock.now().millis();
        let doc = ManagedPolicyDoc {
            name: name.to_owned(),
            policy_id: unique_id(&self.rng, "ANPA")?,
            path: path.to_owned(),
            description: description.map(str::to_owned),
            created_at: now,
            updated_at: now,
            default_version_id: "v1".to_owned(),
            versions: vec![PolicyVersionDoc {
                version_id: "v1".to_owned(),
                document: document.to_owned(),
                created_at: now,
            }],
        };
        self.insert_new(account, IamEntityKind::Policy, name, &doc, || {
            format!("A policy called {name} already exists. Duplicate names are not allowed.")
        })
        .await?;
        Ok(policy_info(account, name, &doc, 0))
    }

    async fn policy_doc(
        &self,
        account: &AccountId,
        arn: &str,
    ) -> Result<(String, ManagedPolicyDoc), IamError> {
        let name = policy_name_from_arn(account, arn)?;
        let doc: ManagedPolicyDoc = self
            .load(account, IamEntityKind::Policy, &name)
            .await?
            .ok_or_else(|| {
                IamError::NoSuchEntity(format!("Policy {arn} does not exist or is not attachable."))
            })?;
        if policy_arn(account, &doc.path, &name) != arn {
            return Err(IamError::NoSuchEntity(format!(
                "Policy {arn} does not exist or is not attachable."
            )));
        }
        Ok((name, doc))
    }

    /// How many users, groups and roles of the account have `arn` attached.
    async fn attachment_count(&self, account: &AccountId, arn: &str) -> Result<usize, IamError> {
        let has = |attached: &Vec<String>| attached.iter().any(|a| a == arn);
        let users = self
            .load_all::<UserDoc>(account, IamEntityKind::User)
            .await?;
        let groups = self
            .load_all::<GroupDoc>(account, IamEntityKind::Group)
            .await?;
        let roles = self
            .load_all::<RoleDoc>(account, IamEntityKind::Role)
            .await?;
        Ok(users.iter().filter(|(_, d)| has(&d.attached)).count()
            + groups.iter().filter(|(_, d)| has(&d.attached)).count()
            + roles.iter().filter(|(_, d)| has(&d.attached)).count())
    }

    pub async fn get_policy(
        &self,
        ctx: &RequestContext,
        arn: &str,
    ) -> Result<ManagedPolicyInfo, IamError> {
        let account = &ctx.principal.account;
        let (name, doc) = self.policy_doc(account, arn).await?;
        self.authorize(ctx, "iam:GetPolicy", arn).await?;
        let count = self.attachment_count(account, arn).await?;
        Ok(policy_info(account, &name, &doc, count))
    }

    pub async fn get_policy_version(
        &self,
        ctx: &RequestContext,
        arn: &str,
        version_id: &str,
    ) -> Result<PolicyVersionInfo, IamError> {
        let account = &ctx.principal.account;
        let (_, doc) = self.policy_doc(account, arn).await?;
        self.authorize(ctx, "iam:GetPolicyVersion", arn).await?;
        let version = doc
            .versions
            .iter()
            .find(|v| v.version_id == version_id)
            .ok_or_else(|| {
                IamError::NoSuchEntity(format!(
                    "Policy {arn} version {version_id} does not exist or is not attachable."
                ))
            })?;
        Ok(PolicyVersionInfo {
            document: version.document.clone(),
            version_id: version.version_id.clone(),
            is_default: version.version_id == doc.default_version_id,
            created_at: Timestamp(version.created_at),
        })
    }

    pub async fn delete_policy(&self, ctx: &RequestContext, arn: &str) -> Result<(), IamError> {
        let account = &ctx.principal.account;
        let _write = self.write_lock().await;
        let (name, _) = self.policy_doc(account, arn).await?;
        self.authorize(ctx, "iam:DeletePolicy", arn).await?;
        if self.attachment_count(account, arn).await? > 0 {
            return Err(IamError::DeleteConflict(
                "Cannot delete a policy attached to entities.".to_owned(),
            ));
        }
        self.store
            .delete_entity(
                account,
                IamEntityKind::Policy,
                &super::authority::name_key(&name),
            )
            .await?;
        Ok(())
    }

    pub async fn attach_policy(
        &self,
        ctx: &RequestContext,
        kind: IdentityKind,
        name: &str,
        arn: &str,
    ) -> Result<(), IamError> {
        let account = &ctx.principal.account;
        self.policy_doc(account, arn).await?;
        let act = action("Attach", kind, "Policy");
        let attach = |attached: &mut Vec<String>| {
            if !attached.iter().any(|a| a == arn) {
                attached.push(arn.to_owned());
            }
            Ok(())
        };
        self.change_policies(ctx, kind, name, &act, |_, attached| attach(attached))
            .await
    }

    pub async fn detach_policy(
        &self,
        ctx: &RequestContext,
        kind: IdentityKind,
        name: &str,
        arn: &str,
    ) -> Result<(), IamError> {
        let act = action("Detach", kind, "Policy");
        let detach = |attached: &mut Vec<String>| {
            let before = attached.len();
            attached.retain(|a| a != arn);
            if attached.len() == before {
                return Err(IamError::NoSuchEntity(format!(
                    "Policy {arn} was not found."
                )));
            }
            Ok(())
        };
        self.change_policies(ctx, kind, name, &act, |_, attached| detach(attached))
            .await
    }

    pub async fn list_attached_policies(
        &self,
        ctx: &RequestContext,
        kind: IdentityKind,
        name: &str,
        marker: Option<&str>,
        max_items: Option<usize>,
    ) -> Result<Listing<AttachedPolicy>, IamError> {
        let act = action("ListAttached", kind, "Policies");
        let attached = self.policies_of(ctx, kind, name, &act).await?.1;
        let mut items: Vec<AttachedPolicy> = attached
            .into_iter()
            .map(|arn| AttachedPolicy {
                name: arn.rsplit('/').next().unwrap_or_default().to_owned(),
                arn,
            })
            .collect();
        items.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(page(items, |p| &p.name, marker, max_items))
    }
}
