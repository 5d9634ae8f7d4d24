//! STS on the wire: GetCallerIdentity and AssumeRole.

use super::QueryError;
use super::form::Params;
use super::xml::Xml;
use kmsd_service::RequestContext;
use kmsd_service::sts::{AssumeRoleRequest, Sts};

pub(crate) async fn dispatch(
    sts: &Sts,
    ctx: &RequestContext,
    action: &str,
    params: &Params,
) -> Result<Option<String>, QueryError> {
    let mut x = Xml::new();
    match action {
        "GetCallerIdentity" => {
            let id = sts.get_caller_identity(ctx).await?;
            x.text("UserId", &id.user_id)
                .text("Account", id.account.as_str())
                .text("Arn", &id.arn);
        }
        "AssumeRole" => {
            let role_arn = params
                .get("RoleArn")
                .ok_or_else(|| QueryError::missing("RoleArn"))?;
            let session = params
                .get("RoleSessionName")
                .ok_or_else(|| QueryError::missing("RoleSessionName"))?;
            let duration_seconds = match params.get("DurationSeconds") {
                Some(d) => Some(d.parse::<u32>().map_err(|_| {
                    QueryError::validation(format!(
                        "1 validation error detected: Value '{d}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"
                    ))
                })?),
                None => None,
            };
            if !(20..=2048).contains(&role_arn.len()) {
                return Err(QueryError::validation(format!(
                    "1 validation error detected: Value '{role_arn}' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20"
                )));
            }
            let req = AssumeRoleRequest {
                role_arn: role_arn.to_owned(),
                role_session_name: session.to_owned(),
                duration_seconds,
                external_id: params.get("ExternalId").map(str::to_owned),
                policy: params.get("Policy").map(str::to_owned),
            };
            let out = sts.assume_role(ctx, req).await?;
            let c = &out.credentials;
            x.element("Credentials", |x| {
                x.text("AccessKeyId", &c.access_key_id)
                    .text("SecretAccessKey", &c.secret_access_key)
                    .text("SessionToken", &c.session_token)
                    .text("Expiration", &c.expiration.iso8601());
            })
            .element("AssumedRoleUser", |x| {
                x.text("AssumedRoleId", &out.assumed_role_id)
                    .text("Arn", &out.assumed_role_arn);
            });
        }
        _ => return Err(unknown(action)),
    }
    Ok(Some(x.into_string()))
}

fn unknown(action: &str) -> QueryError {
    QueryError {
        status: 400,
        code: "InvalidAction",
        message: format!("Could not find operation {action} for version 2011-06-15"),
    }
}
