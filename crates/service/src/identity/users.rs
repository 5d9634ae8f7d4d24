//! CreateUser, GetUser, ListUsers, DeleteUser.

use super::IdentityKind;
use super::documents::UserDoc;
use super::names::{check_name, check_path, unique_id, user_arn};
use super::{Iam, IamError, Listing, UserInfo, page};
use crate::RequestContext;
use kmsd_model::{AccountId, PrincipalKind, Timestamp};
use kmsd_store::IamEntityKind;

pub(crate) fn user_info(account: &AccountId, name: &str, doc: &UserDoc) -> UserInfo {
    let name = super::authority::display(name, &doc.name);
    UserInfo {
        name: name.to_owned(),
        path: doc.path.clone(),
        user_id: doc.user_id.clone(),
        arn: user_arn(account, &doc.path, name),
        created_at: Timestamp(doc.created_at),
    }
}

impl Iam {
    pub async fn create_user(
        &self,
        ctx: &RequestContext,
        name: &str,
        path: Option<&str>,
    ) -> Result<UserInfo, IamError> {
        check_name("userName", name, 64)?;
        let path = path.unwrap_or("/");
        check_path(path)?;
        let account = &ctx.principal.account;
        self.authorize(ctx, "iam:CreateUser", &user_arn(account, path, name))
            .await?;
        let doc = UserDoc {
            name: name.to_owned(),
            user_id: unique_id(&self.rng, "AIDA")?,
            path: path.to_owned(),
            created_at: self.clock.now().millis(),
            groups: Vec::new(),
            inline_policies: Default::default(),
            attached: Vec::new(),
        };
        self.insert_new(account, IamEntityKind::User, name, &doc, || {
            format!("User with name {name} already exists.")
        })
        .await?;
        Ok(user_info(account, name, &doc))
    }

    /// Without a name, the calling user (or, for the root, the account's root "user").
    pub async fn get_user(
        &self,
        ctx: &RequestContext,
        name: Option<&str>,
    ) -> Result<UserInfo, IamError> {
        let caller = &ctx.principal;
        let account = &caller.account;
        let name = match (name, &caller.kind) {
            (Some(n), _) => n.to_owned(),
            (None, PrincipalKind::User { name, .. }) => name.clone(),
            (None, PrincipalKind::Root) => {
                return Ok(UserInfo {
                    name: String::new(),
                    path: "/".to_owned(),
                    user_id: account.to_string(),
                    arn: caller.arn(),
                    created_at: Timestamp(0),
                });
            }
            (None, _) => {
                return Err(IamError::Validation(
                    "Must specify userName when calling with non-User credentials".to_owned(),
                ));
            }
        };
        check_name("userName", &name, 64)?;
        let doc = self
            .authorized::<UserDoc>(ctx, IdentityKind::User, &name, "iam:GetUser")
            .await?;
        Ok(user_info(account, &name, &doc))
    }

    pub async fn list_users(
        &self,
        ctx: &RequestContext,
        path_prefix: Option<&str>,
        marker: Option<&str>,
        max_items: Option<usize>,
    ) -> Result<Listing<UserInfo>, IamError> {
        let account = &ctx.principal.account;
        self.authorize(
            ctx,
            "iam:ListUsers",
            &format!("arn:aws:iam::{account}:user/"),
        )
        .await?;
        let users: Vec<UserInfo> = self
            .load_all::<UserDoc>(account, IamEntityKind::User)
            .await?
            .iter()
            .filter(|(_, d)| path_prefix.is_none_or(|p| d.path.starts_with(p)))
            .map(|(name, d)| user_info(account, name, d))
            .collect();
        Ok(page(users, |u| &u.name, marker, max_items))
    }

    /// Refused while the user still has access keys, policies or group memberships.
    pub async fn delete_user(&self, ctx: &RequestContext, name: &str) -> Result<(), IamError> {
        check_name("userName", name, 64)?;
        let account = &ctx.principal.account;
        let _write = self.write_lock().await;
        let doc = self
            .authorized::<UserDoc>(ctx, IdentityKind::User, name, "iam:DeleteUser")
            .await?;
        let name = super::authority::display(name, &doc.name);
        if !self.store.access_keys_of(account, name).await?.is_empty() {
            return Err(IamError::DeleteConflict(
                "Cannot delete entity, must delete access keys first.".to_owned(),
            ));
        }
        super::authority::check_no_policies(&doc.inline_policies, &doc.attached)?;
        if !doc.groups.is_empty() {
            return Err(IamError::DeleteConflict(
                "Cannot delete entity, must remove user from all groups first.".to_owned(),
            ));
        }
        self.store
            .delete_entity(
                account,
                IamEntityKind::User,
                &super::authority::name_key(name),
            )
            .await?;
        self.forget_access_keys_of(account, name);
        Ok(())
    }
}
