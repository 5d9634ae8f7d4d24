//! CreateRole, GetRole, ListRoles, DeleteRole, UpdateAssumeRolePolicy.

use super::IdentityKind;
use super::documents::RoleDoc;
use super::names::{check_name, check_path, role_arn, unique_id};
use super::{Iam, IamError, Listing, RoleInfo, page};
use crate::RequestContext;
use kmsd_model::{AccountId, Timestamp};
use kmsd_policy::{PolicyDocument, PolicyKind, PrincipalElement, PrincipalEntry};
use kmsd_store::IamEntityKind;

#[derive(Debug, Clone)]
pub struct CreateRoleRequest {
    pub name: String,
    pub path: Option<String>,
    pub assume_role_policy_document: String,
    pub description: Option<String>,
    /// Seconds, 3600–43200; default 3600.
    pub max_session_duration: Option<u32>,
}

fn role_info(account: &AccountId, name: &str, doc: &RoleDoc) -> RoleInfo {
    let name = super::authority::display(name, &doc.name);
    RoleInfo {
        name: name.to_owned(),
        path: doc.path.clone(),
        role_id: doc.role_id.clone(),
        arn: role_arn(account, &doc.path, name),
        created_at: Timestamp(doc.created_at),
        assume_role_policy_document: doc.assume_role_policy_document.clone(),
        description: doc.description.clone(),
        max_session_duration: doc.max_session_duration,
    }
}

/// A trust policy is a resource policy naming who may assume the role.
fn check_trust_policy(document: &str) -> Result<PolicyDocument, IamError> {
    let malformed = |m: String| IamError::MalformedPolicyDocument(m);
    let parsed = PolicyDocument::parse(document, PolicyKind::Resource)
        .map_err(|e| malformed(e.message().to_owned()))?;
    // A trust policy's resource is the role itself: naming one is an error.
    let raw: serde_json::Value =
        serde_json::from_str(document).map_err(|e| malformed(e.to_string()))?;
    let statements = match raw.get("Statement") {
        Some(serde_json::Value::Array(list)) => list.clone(),
        Some(one) => vec![one.clone()],
        None => Vec::new(),
    };
    for field in ["Resource", "NotResource"] {
        if statements.iter().any(|s| s.get(field).is_some()) {
            return Err(malformed(format!("Has prohibited field {field}")));
        }
    }
    Ok(parsed)
}

impl Iam {
    /// Every user or role a trust policy names must exist, as IAM checks.
    async fn check_trust_principals(&self, policy: &PolicyDocument) -> Result<(), IamError> {
        match self.first_unknown_principal(policy).await? {
            Some(arn) => Err(IamError::MalformedPolicyDocument(format!(
                "Invalid principal in policy: \"AWS\":\"{arn}\""
            ))),
            None => Ok(()),
        }
    }

    /// The first IAM user or role ARN a resource policy names that does not exist (in any
    /// account: one this deployment does not serve has none). Accounts, services, wildcards
    /// and role sessions are not checked.
    pub(crate) async fn first_unknown_principal(
        &self,
        policy: &PolicyDocument,
    ) -> Result<Option<String>, IamError> {
        for statement in policy.statements() {
            let entries = match statement.principal() {
                Some(PrincipalElement::Principal(e) | PrincipalElement::NotPrincipal(e)) => e,
                None => continue,
            };
            for entry in entries {
                let PrincipalEntry::Arn(arn) = entry else {
                    continue;
                };
                let Some(rest) = arn.strip_prefix("arn:aws:iam::") else {
                    continue;
                };
                let Some((account, resource)) = rest.split_once(':') else {
                    continue;
                };
                let (kind, path_and_name) = if let Some(r) = resource.strip_prefix("user/") {
                    (IamEntityKind::User, r)
                } else if let Some(r) = resource.strip_prefix("role/") {
                    (IamEntityKind::Role, r)
                } else {
                    continue;
                };
                let name = path_and_name.rsplit('/').next().unwrap_or_default();
                let exists = match account.parse::<AccountId>() {
                    Ok(a) => self
                        .store
                        .entity(&a, kind, &super::authority::name_key(name))
                        .await?
                        .is_some(),
                    Err(_) => false,
                };
                if !exists {
                    return Ok(Some(arn.clone()));
                }
            }
        }
        Ok(None)
    }
}

impl Iam {
    pub async fn create_role(
        &self,
        ctx: &RequestContext,
        req: CreateRoleRequest,
    ) -> Result<RoleInfo, IamError> {
        check_name("roleName", &req.name, 64)?;
        let path = req.path.as_deref().unwrap_or("/");
        check_path(path)?;
        let duration = req.max_session_duration.unwrap_or(3600);
        if !(3600..=43_200).contains(&duration) {
            return Err(IamError::Validation(format!(
                "1 validation error detected: Value '{duration}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200"
            )));
        }
        if let Some(d) = &req.description
            && d.chars().count() > 1000
        {
            return Err(IamError::Validation(
                    "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000".to_owned(),
                ));
        }
        let trust = check_trust_policy(&req.assume_role_policy_document)?;
        self.check_trust_principals(&trust).await?;
        let account = &ctx.principal.account;
        self.authorize(ctx, "iam:CreateRole", &role_arn(account, path, &req.name))
            .await?;
        let doc = RoleDoc {
            name: req.name.clone(),
            role_id: unique_id(&self.rng, "AROA")?,
            path: path.to_owned(),
            created_at: self.clock.now().millis(),
            assume_role_policy_document: req.assume_role_policy_document,
            description: req.description,
            max_session_duration: duration,
            inline_policies: Default::default(),
            attached: Vec::new(),
        };
        self.insert_new(account, IamEntityKind::Role, &req.name, &doc, || {
            format!("Role with name {} already exists.", req.name)
        })
        .await?;
        Ok(role_info(account, &req.name, &doc))
    }

    pub async fn get_role(&self, ctx: &RequestContext, name: &str) -> Result<RoleInfo, IamError> {
        check_name("roleName", name, 64)?;
        let account = &ctx.principal.account;
        let doc = self
            .authorized::<RoleDoc>(ctx, IdentityKind::Role, name, "iam:GetRole")
            .await?;
        Ok(role_info(account, name, &doc))
    }

    pub async fn list_roles(
        &self,
        ctx: &RequestContext,
        path_prefix: Option<&str>,
        marker: Option<&str>,
        max_items: Option<usize>,
    ) -> Result<Listing<RoleInfo>, IamError> {
        let account = &ctx.principal.account;
        self.authorize(
            ctx,
            "iam:ListRoles",
            &format!("arn:aws:iam::{account}:role/"),
        )
        .await?;
        let roles: Vec<RoleInfo> = self
            .load_all::<RoleDoc>(account, IamEntityKind::Role)
            .await?
            .iter()
            .filter(|(_, d)| path_prefix.is_none_or(|p| d.path.starts_with(p)))
            .map(|(n, d)| role_info(account, n, d))
            .collect();
        Ok(page(roles, |r| &r.name, marker, max_items))
    }

    pub async fn delete_role(&self, ctx: &RequestContext, name: &str) -> Result<(), IamError> {
        check_name("roleName", name, 64)?;
        let account = &ctx.principal.account;
        let _write = self.write_lock().await;
        let doc = self
            .authorized::<RoleDoc>(ctx, IdentityKind::Role, name, "iam:DeleteRole")
            .await?;
        super::authority::check_no_policies(&doc.inline_policies, &doc.attached)?;
        self.store
            .delete_entity(
                account,
                IamEntityKind::Role,
                &super::authority::name_key(name),
            )
            .await?;
        Ok(())
    }

    pub async fn update_assume_role_policy(
        &self,
        ctx: &RequestContext,
        name: &str,
        document: &str,
    ) -> Result<(), IamError> {
        check_name("roleName", name, 64)?;
        let trust = check_trust_policy(document)?;
        self.check_trust_principals(&trust).await?;
        let account = &ctx.principal.account;
        let _write = self.write_lock().await;
        let mut doc = self
            .authorized::<RoleDoc>(ctx, IdentityKind::Role, name, "iam:UpdateAssumeRolePolicy")
            .await?;
        doc.assume_role_policy_document = document.to_owned();
        self.store
            .update_entities(&[Self::entity(account, IamEntityKind::Role, name, &doc)?])
            .await?;
        Ok(())
    }
}
