//! IAM on the wire: every served action, its parameters and its result XML.

use super::QueryError;
use super::form::{Params, encode};
use super::xml::Xml;
use kmsd_service::RequestContext;
use kmsd_service::identity::{
    AttachedPolicy, CreateRoleRequest, GroupInfo, Iam, IdentityKind, Listing, ManagedPolicyInfo,
    RoleInfo, UserInfo,
};

fn required<'a>(p: &'a Params, name: &str) -> Result<&'a str, QueryError> {
    p.get(name).ok_or_else(|| QueryError::missing(name))
}

fn max_items(p: &Params) -> Result<Option<usize>, QueryError> {
    match p.get("MaxItems") {
        None => Ok(None),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => Ok(Some(n)),
            _ => Err(QueryError::validation(format!(
                "1 validation error detected: Value '{v}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000"
            ))),
        },
    }
}

fn user(x: &mut Xml, u: &UserInfo) {
    x.text("Path", &u.path)
        .text("UserName", &u.name)
        .text("UserId", &u.user_id)
        .text("Arn", &u.arn)
        .text("CreateDate", &u.created_at.iso8601());
}

fn group(x: &mut Xml, g: &GroupInfo) {
    x.text("Path", &g.path)
        .text("GroupName", &g.name)
        .text("GroupId", &g.group_id)
        .text("Arn", &g.arn)
        .text("CreateDate", &g.created_at.iso8601());
}

fn role(x: &mut Xml, r: &RoleInfo) {
    x.text("Path", &r.path)
        .text("RoleName", &r.name)
        .text("RoleId", &r.role_id)
        .text("Arn", &r.arn)
        .text("CreateDate", &r.created_at.iso8601())
        .text(
            "AssumeRolePolicyDocument",
            &encode(&r.assume_role_policy_document),
        );
    if let Some(d) = &r.description {
        x.text("Description", d);
    }
    x.text("MaxSessionDuration", &r.max_session_duration.to_string());
}

fn policy(x: &mut Xml, p: &ManagedPolicyInfo) {
    x.text("PolicyName", &p.name)
        .text("PolicyId", &p.policy_id)
        .text("Arn", &p.arn)
        .text("Path", &p.path)
        .text("DefaultVersionId", &p.default_version_id)
        .text("AttachmentCount", &p.attachment_count.to_string())
        .text("PermissionsBoundaryUsageCount", "0")
        .text("IsAttachable", "true");
    if let Some(d) = &p.description {
        x.text("Description", d);
    }
    x.text("CreateDate", &p.created_at.iso8601())
        .text("UpdateDate", &p.updated_at.iso8601());
}

fn attached(x: &mut Xml, a: &AttachedPolicy) {
    x.text("PolicyName", &a.name).text("PolicyArn", &a.arn);
}

/// `<List><member>…</member>…</List><IsTruncated>…</IsTruncated>[<Marker>…</Marker>]`.
fn listing<T>(x: &mut Xml, list_name: &str, l: &Listing<T>, item: impl Fn(&mut Xml, &T)) {
    x.element(list_name, |x| {
        for i in &l.items {
            x.element("member", |x| item(x, i));
        }
    });
    x.text(
        "IsTruncated",
        if l.marker.is_some() { "true" } else { "false" },
    );
    if let Some(m) = &l.marker {
        x.text("Marker", m);
    }
}

/// Actions that exist for users, groups and roles alike: `PutUserPolicy`, `PutGroupPolicy`…
fn identity_action(action: &str) -> Option<(&str, IdentityKind, &str)> {
    for (kind, word) in [
        (IdentityKind::User, "User"),
        (IdentityKind::Group, "Group"),
        (IdentityKind::Role, "Role"),
    ] {
        for verb in [
            "Put",
            "Get",
            "Delete",
            "List",
            "Attach",
            "Detach",
            "ListAttached",
        ] {
            for noun in ["Policy", "Policies"] {
                if action == format!("{verb}{word}{noun}") {
                    return Some((verb, kind, noun));
                }
            }
        }
    }
    None
}

fn name_param(kind: IdentityKind) -> &'static str {
    match kind {
        IdentityKind::User => "UserName",
        IdentityKind::Group => "GroupName",
        IdentityKind::Role => "RoleName",
    }
}

pub(crate) async fn dispatch(
    iam: &Iam,
    ctx: &RequestContext,
    action: &str,
    p: &Params,
) -> Result<Option<String>, QueryError> {
    let mut x = Xml::new();
    let marker = p.get("Marker");
    match action {
        "CreateUser" => {
            let u = iam
                .create_user(ctx, required(p, "UserName")?, p.get("Path"))
                .await?;
            x.element("User", |x| user(x, &u));
        }
        "GetUser" => {
            let u = iam.get_user(ctx, p.get("UserName")).await?;
            x.element("User", |x| {
                if u.name.is_empty() {
                    x.text("UserId", &u.user_id)
                        .text("Arn", &u.arn)
                        .text("CreateDate", &u.created_at.iso8601());
                } else {
                    user(x, &u);
                }
            });
        }
        "ListUsers" => {
            let l = iam
                .list_users(ctx, p.get("PathPrefix"), marker, max_items(p)?)
                .await?;
            listing(&mut x, "Users", &l, user);
        }
        "DeleteUser" => {
            iam.delete_user(ctx, required(p, "UserName")?).await?;
            return Ok(None);
        }
        "CreateAccessKey" => {
            let k = iam.create_access_key(ctx, p.get("UserName")).await?;
            x.element("AccessKey", |x| {
                x.text("UserName", &k.user_name)
                    .text("AccessKeyId", &k.access_key_id)
                    .text("Status", "Active");
                if let Some(secret) = &k.secret_access_key {
                    x.text("SecretAccessKey", secret);
                }
                x.text("CreateDate", &k.created_at.iso8601());
            });
        }
        "ListAccessKeys" => {
            let l = iam
                .list_access_keys(ctx, p.get("UserName"), marker, max_items(p)?)
                .await?;
            listing(&mut x, "AccessKeyMetadata", &l, |x, k| {
                x.text("UserName", &k.user_name)
                    .text("AccessKeyId", &k.access_key_id)
                    .text("Status", if k.active { "Active" } else { "Inactive" })
                    .text("CreateDate", &k.created_at.iso8601());
            });
        }
        "UpdateAccessKey" => {
            let active = match required(p, "Status")? {
                "Active" => true,
                "Inactive" => false,
                other => {
                    return Err(QueryError::validation(format!(
                        "1 validation error detected: Value '{other}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]"
                    )));
                }
            };
            iam.update_access_key(ctx, p.get("UserName"), required(p, "AccessKeyId")?, active)
                .await?;
            return Ok(None);
        }
        "DeleteAccessKey" => {
            iam.delete_access_key(ctx, p.get("UserName"), required(p, "AccessKeyId")?)
                .await?;
            return Ok(None);
        }
        "CreateGroup" => {
            let g = iam
                .create_group(ctx, required(p, "GroupName")?, p.get("Path"))
                .await?;
            x.element("Group", |x| group(x, &g));
        }
        "GetGroup" => {
            let (g, members) = iam
                .get_group(ctx, required(p, "GroupName")?, marker, max_items(p)?)
                .await?;
            x.element("Group", |x| group(x, &g));
            listing(&mut x, "Users", &members, user);
        }
        "ListGroups" => {
            let l = iam
                .list_groups(ctx, p.get("PathPrefix"), marker, max_items(p)?)
                .await?;
            listing(&mut x, "Groups", &l, group);
        }
        "DeleteGroup" => {
            iam.delete_group(ctx, required(p, "GroupName")?).await?;
            return Ok(None);
        }
        "AddUserToGroup" => {
            iam.add_user_to_group(ctx, required(p, "GroupName")?, required(p, "UserName")?)
                .await?;
            return Ok(None);
        }
        "RemoveUserFromGroup" => {
            iam.remove_user_from_group(ctx, required(p, "GroupName")?, required(p, "UserName")?)
                .await?;
            return Ok(None);
        }
        "ListGroupsForUser" => {
            let l = iam
                .list_groups_for_user(ctx, required(p, "UserName")?, marker, max_items(p)?)
                .await?;
            listing(&mut x, "Groups", &l, group);
        }
        "CreateRole" => {
            let max_session_duration = match p.get("MaxSessionDuration") {
                Some(v) => Some(v.parse::<u32>().map_err(|_| {
                    QueryError::validation(format!(
                        "1 validation error detected: Value '{v}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200"
                    ))
                })?),
                None => None,
            };
            let req = CreateRoleRequest {
                name: required(p, "RoleName")?.to_owned(),
                path: p.get("Path").map(str::to_owned),
                assume_role_policy_document: required(p, "AssumeRolePolicyDocument")?.to_owned(),
                description: p.get("Description").map(str::to_owned),
                max_session_duration,
            };
            let r = iam.create_role(ctx, req).await?;
            x.element("Role", |x| role(x, &r));
        }
        "GetRole" => {
            let r = iam.get_role(ctx, required(p, "RoleName")?).await?;
            x.element("Role", |x| role(x, &r));
        }
        "ListRoles" => {
            let l = iam
                .list_roles(ctx, p.get("PathPrefix"), marker, max_items(p)?)
                .await?;
            listing(&mut x, "Roles", &l, role);
        }
        "DeleteRole" => {
            iam.delete_role(ctx, required(p, "RoleName")?).await?;
            return Ok(None);
        }
        "UpdateAssumeRolePolicy" => {
            iam.update_assume_role_policy(
                ctx,
                required(p, "RoleName")?,
                required(p, "PolicyDocument")?,
            )
            .await?;
            return Ok(None);
        }
        "CreatePolicy" => {
            let pol = iam
                .create_policy(
                    ctx,
                    required(p, "PolicyName")?,
                    p.get("Path"),
                    required(p, "PolicyDocument")?,
                    p.get("Description"),
                )
                .await?;
            x.element("Policy", |x| policy(x, &pol));
        }
        "GetPolicy" => {
            let pol = iam.get_policy(ctx, required(p, "PolicyArn")?).await?;
            x.element("Policy", |x| policy(x, &pol));
        }
        "GetPolicyVersion" => {
            let v = iam
                .get_policy_version(ctx, required(p, "PolicyArn")?, required(p, "VersionId")?)
                .await?;
            x.element("PolicyVersion", |x| {
                x.text("Document", &encode(&v.document))
                    .text("VersionId", &v.version_id)
                    .text(
                        "IsDefaultVersion",
                        if v.is_default { "true" } else { "false" },
                    )
                    .text("CreateDate", &v.created_at.iso8601());
            });
        }
        "DeletePolicy" => {
            iam.delete_policy(ctx, required(p, "PolicyArn")?).await?;
            return Ok(None);
        }
        other => {
            let Some((verb, kind, _)) = identity_action(other) else {
                return Err(QueryError {
                    status: 400,
                    code: "InvalidAction",
                    message: format!("Could not find operation {other} for version 2010-05-08"),
                });
            };
            let name_key = name_param(kind);
            let name = required(p, name_key)?;
            match verb {
                "Put" => {
                    iam.put_inline_policy(
                        ctx,
                        kind,
                        name,
                        required(p, "PolicyName")?,
                        required(p, "PolicyDocument")?,
                    )
                    .await?;
                    return Ok(None);
                }
                "Get" => {
                    let policy_name = required(p, "PolicyName")?;
                    let document = iam.get_inline_policy(ctx, kind, name, policy_name).await?;
                    x.text(name_key, name)
                        .text("PolicyName", policy_name)
                        .text("PolicyDocument", &encode(&document));
                }
                "Delete" => {
                    iam.delete_inline_policy(ctx, kind, name, required(p, "PolicyName")?)
                        .await?;
                    return Ok(None);
                }
                "List" => {
                    let l = iam
                        .list_inline_policies(ctx, kind, name, marker, max_items(p)?)
                        .await?;
                    listing(&mut x, "PolicyNames", &l, |x, n| {
                        x.raw_text(n);
                    });
                }
                "Attach" => {
                    iam.attach_policy(ctx, kind, name, required(p, "PolicyArn")?)
                        .await?;
                    return Ok(None);
                }
                "Detach" => {
                    iam.detach_policy(ctx, kind, name, required(p, "PolicyArn")?)
                        .await?;
                    return Ok(None);
                }
                _ => {
                    let l = iam
                        .list_attached_policies(ctx, kind, name, marker, max_items(p)?)
                        .await?;
                    listing(&mut x, "AttachedPolicies", &l, attached);
                }
            }
        }
    }
    Ok(Some(x.into_string()))
}
