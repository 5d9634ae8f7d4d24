//! CreateGroup, GetGroup, ListGroups, DeleteGroup, AddUserToGroup, RemoveUserFromGroup,
//! ListGroupsForUser. Membership is kept on the user's document.

use super::IdentityKind;
use super::documents::{GroupDoc, UserDoc};
use super::names::{check_name, check_path, group_arn, unique_id};
use super::users::user_info;
use super::{GroupInfo, Iam, IamError, Listing, UserInfo, page};
use crate::RequestContext;
use kmsd_model::{AccountId, Timestamp};
use kmsd_store::IamEntityKind;

fn group_info(account: &AccountId, name: &str, doc: &GroupDoc) -> GroupInfo {
    let name = super::authority::display(name, &doc.name);
    GroupInfo {
        name: name.to_owned(),
        path: doc.path.clone(),
        group_id: doc.group_id.clone(),
        arn: group_arn(account, &doc.path, name),
        created_at: Timestamp(doc.created_at),
    }
}

impl Iam {
    pub async fn create_group(
        &self,
        ctx: &RequestContext,
        name: &str,
        path: Option<&str>,
    ) -> Result<GroupInfo, IamError> {
        check_name("groupName", name, 128)?;
        let path = path.unwrap_or("/");
        check_path(path)?;
        let account = &ctx.principal.account;
        self.authorize(ctx, "iam:CreateGroup", &group_arn(account, path, name))
            .await?;
        let doc = GroupDoc {
            name: name.to_owned(),
            group_id: unique_id(&self.rng, "AGPA")?,
            path: path.to_owned(),
            created_at: self.clock.now().millis(),
            inline_policies: Default::default(),
            attached: Vec::new(),
        };
        self.insert_new(account, IamEntityKind::Group, name, &doc, || {
            format!("Group with name {name} already exists.")
        })
        .await?;
        Ok(group_info(account, name, &doc))
    }

    /// The group and its members.
    pub async fn get_group(
        &self,
        ctx: &RequestContext,
        name: &str,
        marker: Option<&str>,
        max_items: Option<usize>,
    ) -> Result<(GroupInfo, Listing<UserInfo>), IamError> {
        check_name("groupName", name, 128)?;
        let account = &ctx.principal.account;
        let doc = self
            .authorized::<GroupDoc>(ctx, IdentityKind::Group, name, "iam:GetGroup")
            .await?;
        let members = self
            .load_all::<UserDoc>(account, IamEntityKind::User)
            .await?
            .iter()
            .filter(|(_, u)| u.groups.iter().any(|g| g.eq_ignore_ascii_case(name)))
            .map(|(n, u)| user_info(account, n, u))
            .collect();
        let members = page(members, |u| &u.name, marker, max_items);
        Ok((group_info(account, name, &doc), members))
    }

    pub async fn list_groups(
        &self,
        ctx: &RequestContext,
        path_prefix: Option<&str>,
        marker: Option<&str>,
        max_items: Option<usize>,
    ) -> Result<Listing<GroupInfo>, IamError> {
        let account = &ctx.principal.account;
        self.authorize(
            ctx,
            "iam:ListGroups",
            &format!("arn:aws:iam::{account}:group/"),
        )
        .await?;
        let groups: Vec<GroupInfo> = self
            .load_all::<GroupDoc>(account, IamEntityKind::Group)
            .await?
            .iter()
            .filter(|(_, d)| path_prefix.is_none_or(|p| d.path.starts_with(p)))
            .map(|(n, d)| group_info(account, n, d))
            .collect();
        Ok(page(groups, |g| &g.name, marker, max_items))
    }

    pub async fn delete_group(&self, ctx: &RequestContext, name: &str) -> Result<(), IamError> {
        check_name("groupName", name, 128)?;
        let account = &ctx.principal.account;
        let _write = self.write_lock().await;
        let doc = self
            .authorized::<GroupDoc>(ctx, IdentityKind::Group, name, "iam:DeleteGroup")
            .await?;
        let has_members = self
            .load_all::<UserDoc>(account, IamEntityKind::User)
            .await?
            .iter()
            .any(|(_, u)| u.groups.iter().any(|g| g.eq_ignore_ascii_case(name)));
        if has_members {
            return Err(IamError::DeleteConflict(
                "Cannot delete entity, must remove users from group first.".to_owned(),
            ));
        }
        super::authority::check_no_policies(&doc.inline_policies, &doc.attached)?;
        self.store
            .delete_entity(
                account,
                IamEntityKind::Group,
                &super::authority::name_key(name),
            )
            .await?;
        Ok(())
    }

    pub async fn add_user_to_group(
        &self,
        ctx: &RequestContext,
        group: &str,
        user: &str,
    ) -> Result<(), IamError> {
        self.change_membership(ctx, group, user, true).await
    }

    pub async fn remove_user_from_group(
        &self,
        ctx: &RequestContext,
        group: &str,
        user: &str,
    ) -> Result<(), IamError> {
        self.change_membership(ctx, group, user, false).await
    }

    async fn change_membership(
        &self,
        ctx: &RequestContext,
        group: &str,
        user: &str,
        add: bool,
    ) -> Result<(), IamError> {
        check_name("groupName", group, 128)?;
        check_name("userName", user, 64)?;
        let account = &ctx.principal.account;
        let _write = self.write_lock().await;
        let action = if add {
            "iam:AddUserToGroup"
        } else {
            "iam:RemoveUserFromGroup"
        };
        let group_doc = self
            .authorized::<GroupDoc>(ctx, IdentityKind::Group, group, action)
            .await?;
        let mut user_doc = self.user_doc(account, user).await?;
        let member = user_doc
            .groups
            .iter()
            .any(|g| g.eq_ignore_ascii_case(group));
        match (add, member) {
            (true, true) => return Ok(()),
            (true, false) => user_doc
                .groups
                .push(super::authority::display(group, &group_doc.name).to_owned()),
            (false, true) => user_doc.groups.retain(|g| !g.eq_ignore_ascii_case(group)),
            (false, false) => {
                return Err(IamError::NoSuchEntity(format!(
                    "User {user} is not in group {group}."
                )));
            }
        }
        self.store
            .update_entities(&[Self::entity(account, IamEntityKind::User, user, &user_doc)?])
            .await?;
        Ok(())
    }

    pub async fn list_groups_for_user(
        &self,
        ctx: &RequestContext,
        user: &str,
        marker: Option<&str>,
        max_items: Option<usize>,
    ) -> Result<Listing<GroupInfo>, IamError> {
        check_name("userName", user, 64)?;
        let account = &ctx.principal.account;
        let user_doc = self
            .authorized::<UserDoc>(ctx, IdentityKind::User, user, "iam:ListGroupsForUser")
            .await?;
        let mut groups = Vec::new();
        for name in &user_doc.groups {
            if let Some(doc) = self
                .load::<GroupDoc>(account, IamEntityKind::Group, name)
                .await?
            {
                groups.push(group_info(account, name, &doc));
            }
        }
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(page(groups, |g| &g.name, marker, max_items))
    }
}
